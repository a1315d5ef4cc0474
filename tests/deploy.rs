//! The launchers in `deploy/`, run the way the schedulers run them, without a cluster:
//! - Slurm: `submit.sh` through stand-ins for `sbatch` and `sacct` (tests/slurm-stubs) that run
//!   each job at once as Slurm would (script copied to a spool directory, array variables set);
//!   one task fails once, the merge job resubmits it with its shard of the whole sweep, and the
//!   table equals the unsharded sweep's;
//! - GNU parallel: `sweep.sh` on this machine, a shard failing once, the same command again
//!   reruns only that shard; the table equals the unsharded sweep's (skipped without GNU
//!   parallel unless `NONLIN_REQUIRE_PARALLEL=1`, as CI sets);
//! - Kubernetes: the Indexed Job's completions match its `--shard-count`, the merge Job reads the
//!   sweep Job's directory, and the container's arguments run as one index of the Job.

mod common;

use common::{SMALL_SWEEP as FLAGS, nonlin, rows, run, temp_dir, text};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The unsharded sweep's table, the reference for every launcher.
fn whole_sweep(dir: &Path) -> Vec<serde_json::Value> {
    let out = run(&[&["sweep", "--out", "whole"], &FLAGS[..]].concat(), dir);
    assert!(out.status.success(), "{}", text(&out.stderr));
    rows(&dir.join("whole"))
}

/// A `nonlin` that fails (as a lost node would) the first time its arguments contain `marker`,
/// and runs the real binary otherwise.
fn flaky_nonlin(dir: &Path, marker: &str) -> PathBuf {
    let path = dir.join("nonlin-flaky");
    let script = format!(
        "#!/usr/bin/env bash\n\
         if [[ \"$*\" == *'{marker}'* && ! -e '{seen}' ]]; then\n\
         \x20   touch '{seen}'; echo 'simulated node failure' >&2; exit 1\n\
         fi\n\
         exec '{real}' \"$@\"\n",
        seen = dir.join("failed-once").display(),
        real = env!("CARGO_BIN_EXE_nonlin"),
    );
    std::fs::write(&path, script).unwrap();
    Command::new("chmod").arg("+x").arg(&path).status().unwrap();
    path
}

/// `bash script args` in `dir`, with the test's `nonlin` environment (flex, no crash point).
fn launcher(script: &str, args: &[&str], dir: &Path, vars: &[(&str, &Path)]) -> Output {
    let mut cmd = Command::new("bash");
    let test_env = nonlin();
    for (k, v) in test_env.get_envs() {
        match v {
            Some(v) => cmd.env(k, v),
            None => cmd.env_remove(k),
        };
    }
    cmd.arg(repo().join(script)).args(args).current_dir(dir);
    for (k, v) in vars {
        cmd.env(k, v);
    }
    cmd.output().expect("bash runs")
}

#[test]
fn slurm_array_resubmits_a_failed_task_with_its_shard_and_merges_to_the_unsharded_table() {
    let dir = temp_dir("deploy-slurm");
    let whole = whole_sweep(&dir);
    let state = dir.join("slurm-state");
    std::fs::create_dir_all(&state).unwrap();
    let path = format!(
        "{}:{}",
        repo().join("tests/slurm-stubs").display(),
        std::env::var("PATH").unwrap_or_default()
    );
    // the task that runs the third shard is lost once
    let flaky = flaky_nonlin(&dir, "--shard 3/3");
    let out = {
        let mut vars: Vec<(&str, &Path)> = vec![
            ("SLURM_STUB_STATE", &state),
            ("NONLIN", &flaky),
            ("NONLIN_SWEEP_OUT", Path::new("sweeps/slurm")),
        ];
        let path = PathBuf::from(&path);
        vars.push(("PATH", &path));
        launcher(
            "deploy/slurm/submit.sh",
            &[&["3"], &FLAGS[..]].concat(),
            &dir,
            &vars,
        )
    };
    let submissions = std::fs::read_to_string(state.join("submissions")).unwrap_or_default();
    assert!(out.status.success(), "{}\n{submissions}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("sweep array"),
        "{}",
        text(&out.stdout)
    );
    // the array, its merge (which finds task 2 failed), task 2 again, and the merge again
    let jobs: Vec<&str> = submissions
        .lines()
        .map(|l| l.split_whitespace().nth(1).unwrap())
        .collect();
    assert_eq!(
        jobs,
        ["array=0-2", "array=none", "array=2", "array=none"],
        "{submissions}"
    );
    let retried = std::fs::read_to_string(state.join("job-1003-2.log")).unwrap();
    assert!(
        retried.contains("shard 3/3"),
        "a resubmitted task keeps its shard of the whole sweep, not 1/1 of its own array: \
         {retried}"
    );
    assert_eq!(rows(&dir.join("sweeps/slurm")), whole);

    // with no retries left, the merge job fails and says how to resubmit
    let state = dir.join("slurm-state-2");
    std::fs::create_dir_all(&state).unwrap();
    std::fs::remove_file(dir.join("failed-once")).unwrap();
    let path = PathBuf::from(&path);
    let out = launcher(
        "deploy/slurm/submit.sh",
        &[&["3"], &FLAGS[..]].concat(),
        &dir,
        &[
            ("SLURM_STUB_STATE", &state),
            ("NONLIN", &flaky),
            ("NONLIN_SWEEP_OUT", Path::new("sweeps/slurm-2")),
            ("NONLIN_RETRIES", Path::new("0")),
            ("PATH", &path),
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let merge_log = std::fs::read_to_string(state.join("job-1002.log")).unwrap();
    assert!(
        merge_log.contains("in shard(s) 3/3") && merge_log.contains("sbatch --array=2 "),
        "{merge_log}"
    );
    assert!(!dir.join("sweeps/slurm-2/results.json").exists());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn gnu_parallel_reruns_only_the_failed_shard_and_merges_to_the_unsharded_table() {
    if Command::new("parallel").arg("--version").output().is_err() {
        assert!(
            std::env::var("NONLIN_REQUIRE_PARALLEL").as_deref() != Ok("1"),
            "GNU parallel is required (NONLIN_REQUIRE_PARALLEL=1) but not installed"
        );
        eprintln!("skipped: GNU parallel is not installed (apt install parallel)");
        return;
    }
    let dir = temp_dir("deploy-parallel");
    let whole = whole_sweep(&dir);
    let flaky = flaky_nonlin(&dir, "--shard 2/3");
    let sweep = |dir: &Path| {
        launcher(
            "deploy/parallel/sweep.sh",
            &[&["3", "sweeps/parallel"], &FLAGS[..]].concat(),
            dir,
            &[("NONLIN", &flaky), ("NONLIN_RETRIES", Path::new("1"))],
        )
    };
    let first = sweep(&dir);
    assert!(!first.status.success(), "shard 2 fails on its one attempt");
    assert!(
        !dir.join("sweeps/parallel/results.json").exists(),
        "no table from an incomplete sweep"
    );
    let again = sweep(&dir);
    assert!(again.status.success(), "{}", text(&again.stderr));
    let log = std::fs::read_to_string(dir.join("sweeps/parallel.joblog")).unwrap();
    let commands: Vec<&str> = log.lines().skip(1).collect();
    assert_eq!(commands.len(), 4, "three shards, then shard 2 alone: {log}");
    assert!(commands[3].contains("--shard 2/3"), "{log}");
    assert_eq!(rows(&dir.join("sweeps/parallel")), whole);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The `args:` list of the container named `name` in a manifest (the simple block form used in
/// deploy/kubernetes: `- item` lines, or a flow list `[a, b]`).
fn container_args(manifest: &str, name: &str) -> Vec<String> {
    let mut lines = manifest
        .lines()
        .skip_while(|l| l.trim() != format!("- name: {name}"));
    let args = lines
        .find(|l| l.trim_start().starts_with("args:"))
        .unwrap_or_else(|| panic!("no args for container {name}"));
    let rest = args.trim_start().trim_start_matches("args:").trim();
    if let Some(flow) = rest.strip_prefix('[') {
        return flow
            .trim_end_matches(']')
            .split(',')
            .map(|a| a.trim().to_string())
            .collect();
    }
    lines
        .take_while(|l| l.trim_start().starts_with("- "))
        .map(|l| l.trim_start()[2..].trim().to_string())
        .collect()
}

fn field(manifest: &str, key: &str) -> String {
    manifest
        .lines()
        .find_map(|l| l.trim().strip_prefix(&format!("{key}:")))
        .unwrap_or_else(|| panic!("no {key}"))
        .trim()
        .to_string()
}

#[test]
fn kubernetes_indexed_job_matches_its_shard_count_and_its_arguments_run_one_index() {
    let sweep_job =
        std::fs::read_to_string(repo().join("deploy/kubernetes/sweep-job.yaml")).unwrap();
    let merge_job =
        std::fs::read_to_string(repo().join("deploy/kubernetes/merge-job.yaml")).unwrap();
    assert_eq!(field(&sweep_job, "completionMode"), "Indexed");
    let completions = field(&sweep_job, "completions");
    let args = container_args(&sweep_job, "sweep");
    let flag = |args: &[String], name: &str| {
        args.iter()
            .find_map(|a| a.strip_prefix(&format!("--{name}=")).map(str::to_string))
            .unwrap_or_else(|| panic!("no --{name}= in {args:?}"))
    };
    assert_eq!(
        flag(&args, "shard-count"),
        completions,
        "--shard-count must equal the Job's completions"
    );
    let sweep_dir = flag(&args, "out");
    let merge_args = container_args(&merge_job, "merge");
    assert_eq!(merge_args[..2], ["merge".to_string(), sweep_dir.clone()]);
    assert_eq!(flag(&merge_args, "out"), sweep_dir);
    for manifest in [&sweep_job, &merge_job] {
        assert_eq!(field(manifest, "claimName"), "nonlin-sweeps");
    }
    // the container's arguments, on a small data set, as the last index of the Job
    let dir = temp_dir("deploy-kubernetes");
    let local: Vec<String> = args
        .iter()
        .map(|a| match a.strip_prefix("--out=") {
            Some(_) => "--out=sweep".to_string(),
            None => a.clone(),
        })
        .chain(["--dataset", "xor(n=100)", "--hidden", "4", "--epochs", "1"].map(String::from))
        .collect();
    let last = (completions.parse::<usize>().unwrap() - 1).to_string();
    let out = nonlin()
        .args(&local)
        .env("JOB_COMPLETION_INDEX", &last)
        .current_dir(&dir)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains(&format!(
            "Kubernetes completion index {last} of {completions}"
        )),
        "{}",
        text(&out.stderr)
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
