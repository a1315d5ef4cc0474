//! The `nonlin` binary against a careless or hostile user: a kill at every step of a checkpoint,
//! runs pointed at folders of the user's, two processes on one run, changed flags on resume and
//! on a second sweep, sweeps of different experiments merged, damaged and hostile files, sizes
//! that do not fit, and a closed pipe. Each bad input must end with a clear error and a non-zero
//! exit, never a panic (exit code 101), and leave every file that was there as it was (the whole
//! tree is compared byte for byte before and after). One file of ~600 lines on purpose: the cases
//! share the tree snapshot and the refusal check.

mod common;

use common::{metrics, nonlin, outcome, run, text};
use nonlin_train::hooks::{CRASH_ENV, CRASH_POINTS};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// Every file and directory under `dir`, with file contents.
fn tree(dir: &Path) -> BTreeMap<PathBuf, Option<Vec<u8>>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for entry in entries {
            let path = entry.unwrap().path();
            let rel = path.strip_prefix(dir).unwrap().to_path_buf();
            if path.is_dir() {
                stack.push(path);
                out.insert(rel, None);
            } else {
                out.insert(rel, Some(std::fs::read(&path).unwrap()));
            }
        }
    }
    out
}

/// A failure with a clear message: exit code 1 (anyhow's error), `Error:` and `fragment` in
/// stderr, and no panic.
#[track_caller]
fn assert_refused(out: &Output, fragment: &str) {
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "exit code; stderr: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(stderr.contains("Error:"), "{stderr}");
    assert!(
        stderr.contains(fragment),
        "expected `{fragment}` in: {stderr}"
    );
}

const SMALL: [&str; 12] = [
    "train",
    "--dataset",
    "xor(n=200)",
    "--hidden",
    "8",
    "--epochs",
    "3",
    "--batch-size",
    "32",
    "--progress",
    "quiet",
    "--out",
];

fn json(path: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn temp_names(tree: &BTreeMap<PathBuf, Option<Vec<u8>>>) -> Vec<&PathBuf> {
    tree.keys()
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(nonlin_train::fs::is_temp_name)
        })
        .collect()
}

#[test]
fn killed_at_every_step_of_a_checkpoint_then_resumed_equals_uninterrupted() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path();
    let whole = run(&[&SMALL[..], &["whole"]].concat(), dir);
    assert!(whole.status.success(), "{}", text(&whole.stderr));
    let mut kills = 0;
    for point in CRASH_POINTS {
        // the first epoch (nothing to fall back to) and the second (a previous checkpoint)
        for nth in [1, 2] {
            if point == "summary" && nth == 2 {
                continue; // passed once per run
            }
            let name = format!("{point}-{nth}");
            let killed = nonlin()
                .args([&SMALL[..], &[name.as_str()]].concat())
                .current_dir(dir)
                .env(CRASH_ENV, format!("{point}@{nth}"))
                .output()
                .unwrap();
            assert!(
                !killed.status.success() && text(&killed.stderr).contains("aborting at"),
                "{name}: {}",
                text(&killed.stderr)
            );
            kills += 1;
            let run_dir = dir.join(&name);
            assert!(!run_dir.join("summary.json").exists(), "{name}");
            // a new run there is refused once a checkpoint exists; resume is the way on
            let resumed = run(&[&SMALL[..], &[name.as_str(), "--resume"]].concat(), dir);
            assert!(
                resumed.status.success(),
                "{name}: {}",
                text(&resumed.stderr)
            );
            assert_eq!(outcome(&dir.join("whole")), outcome(&run_dir), "{name}");
            assert_eq!(metrics(&dir.join("whole")), metrics(&run_dir), "{name}");
            let after = tree(&run_dir);
            assert!(
                temp_names(&after).is_empty(),
                "{name}: {:?}",
                temp_names(&after)
            );
            // the published best model is the newest checkpoint's
            let latest = std::fs::read_to_string(run_dir.join("checkpoints/latest")).unwrap();
            assert_eq!(
                std::fs::read(run_dir.join("best/model.bpk")).unwrap(),
                std::fs::read(run_dir.join("checkpoints").join(latest).join("best.bpk")).unwrap(),
                "{name}"
            );
        }
    }
    assert_eq!(kills, 2 * CRASH_POINTS.len() - 1);
}

#[test]
fn out_into_a_folder_of_the_users_is_refused_and_nothing_is_touched() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path();
    let mine = dir.join("mine");
    std::fs::create_dir(&mine).unwrap();
    std::fs::write(mine.join("config.toml"), "my own settings").unwrap();
    std::fs::write(mine.join("metrics.csv"), "my,own\n1,2\n").unwrap();
    let before = tree(dir);
    let out = run(&[&SMALL[..], &["mine"]].concat(), dir);
    assert_refused(&out, "not a nonlin run directory");
    assert_refused(&out, "--exist-ok");
    assert_eq!(tree(dir), before);
    // --exist-ok still never overwrites a file of the user's
    let out = run(&[&SMALL[..], &["mine", "--exist-ok"]].concat(), dir);
    assert_refused(&out, "config.toml, metrics.csv");
    assert_eq!(tree(dir), before);
    // beside other files it is fine, and they stay as they were
    std::fs::remove_file(mine.join("config.toml")).unwrap();
    std::fs::remove_file(mine.join("metrics.csv")).unwrap();
    std::fs::write(mine.join("notes.txt"), "keep me").unwrap();
    let out = run(&[&SMALL[..], &["mine", "--exist-ok"]].concat(), dir);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        std::fs::read_to_string(mine.join("notes.txt")).unwrap(),
        "keep me"
    );
    // --resume of a folder that is not a run
    let other = dir.join("other");
    std::fs::create_dir(&other).unwrap();
    std::fs::write(other.join("notes.txt"), "x").unwrap();
    let before = tree(dir);
    let out = run(&[&SMALL[..], &["other", "--resume"]].concat(), dir);
    assert_refused(&out, "nothing to resume");
    assert_eq!(tree(dir), before);
    // a file where the directory should be
    std::fs::write(dir.join("afile"), "x").unwrap();
    let out = run(&[&SMALL[..], &["afile"]].concat(), dir);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert_eq!(std::fs::read_to_string(dir.join("afile")).unwrap(), "x");
}

#[test]
fn a_finished_run_is_never_replaced_by_a_new_experiment() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path();
    let out = run(&[&SMALL[..], &["done"]].concat(), dir);
    assert!(out.status.success(), "{}", text(&out.stderr));
    std::fs::remove_dir_all(dir.join("done/checkpoints")).unwrap();
    let before = tree(dir);
    let out = run(
        &[&SMALL[..], &["done", "--seed", "9", "--hidden", "4"]].concat(),
        dir,
    );
    assert_refused(&out, "already holds a run");
    assert_eq!(tree(dir), before);
}

#[test]
fn a_second_process_on_the_same_run_fails_fast() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path();
    let mut first = nonlin()
        .args([
            "train",
            "--epochs",
            "100000",
            "--progress",
            "quiet",
            "--out",
            "busy",
        ])
        .current_dir(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while !dir.join("busy/config.toml").exists() {
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "no run started"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    for args in [
        vec!["train", "--epochs", "3", "--out", "busy"],
        vec!["train", "--epochs", "3", "--out", "busy", "--resume"],
        vec!["train", "--epochs", "100000", "--out", "busy", "--resume"],
    ] {
        let second = run(&args, dir);
        assert_refused(&second, "in use by another nonlin process");
    }
    first.kill().unwrap();
    first.wait().unwrap();
    // the lock died with the process: the run can be resumed at once
    let resumed = run(
        &[
            "train",
            "--epochs",
            "2",
            "--out",
            "busy",
            "--resume",
            "--progress",
            "quiet",
        ],
        dir,
    );
    assert!(resumed.status.success(), "{}", text(&resumed.stderr));
}

#[test]
fn resume_uses_the_runs_own_config_and_refuses_changed_flags() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path();
    let out = run(
        &[&SMALL[..], &["r", "--seed", "5", "--lr", "0.01"]].concat(),
        dir,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let before = tree(dir);
    let changed = run(
        &[&SMALL[..], &["r", "--resume", "--lr", "0.1"]].concat(),
        dir,
    );
    assert_refused(&changed, "training.learning_rate (0.01 → 0.1)");
    assert_eq!(tree(dir), before);
    // without config.toml, with only --epochs given: the run's own config, three more epochs
    std::fs::remove_file(dir.join("r/config.toml")).unwrap();
    let more = run(&["train", "--out", "r", "--resume", "--epochs", "6"], dir);
    assert!(more.status.success(), "{}", text(&more.stderr));
    let summary = json(&dir.join("r/summary.json"));
    assert_eq!(summary["epochs"], 6);
    assert_eq!(summary["seed"], 5);
    assert!(
        summary["model"].as_str().unwrap().contains("2-8-2"),
        "{summary}"
    );
}

#[test]
fn relative_data_paths_are_resolved_when_the_run_is_created() {
    let root = tempfile::tempdir().unwrap();
    let here = root.path().join("here");
    let elsewhere = root.path().join("elsewhere");
    std::fs::create_dir_all(&here).unwrap();
    std::fs::create_dir_all(&elsewhere).unwrap();
    let mut rows = String::from("a,b,label\n");
    for i in 0..200 {
        let (a, b) = ((i % 17) as f32 / 4.0, (i % 11) as f32 / 3.0);
        rows.push_str(&format!("{a},{b},{}\n", usize::from(a > b)));
    }
    std::fs::write(here.join("data.csv"), &rows).unwrap();
    // elsewhere holds a different data.csv: the run must not read it
    std::fs::write(
        elsewhere.join("data.csv"),
        "a,b,label\n9,9,x\n8,8,y\n7,7,x\n",
    )
    .unwrap();
    let trained = run(
        &[
            "train",
            "--dataset",
            "csv(path=data.csv)",
            "--epochs",
            "3",
            "--progress",
            "quiet",
            "--out",
            "run",
        ],
        &here,
    );
    assert!(trained.status.success(), "{}", text(&trained.stderr));
    let config = std::fs::read_to_string(here.join("run/config.toml")).unwrap();
    assert!(
        config.contains(&here.join("data.csv").display().to_string()),
        "{config}"
    );
    let eval = run(
        &[
            "eval",
            here.join("run").to_str().unwrap(),
            "--format",
            "json",
        ],
        &elsewhere,
    );
    assert!(eval.status.success(), "{}", text(&eval.stderr));
    let evaluation: serde_json::Value = serde_json::from_slice(&eval.stdout).unwrap();
    assert_eq!(
        evaluation["accuracy"],
        json(&here.join("run/summary.json"))["test_accuracy"]
    );
}

#[test]
fn hostile_specs_and_sizes_are_clear_errors_not_panics_or_aborts() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path();
    let cases: [(&[&str], &str); 12] = [
        (
            &[
                "--activation",
                "maxout(k=288230376151711744)",
                "--hidden",
                "64",
            ],
            "of memory",
        ),
        (&["--activation", "glu(dim=0)"], "splits dimension 0"),
        (
            &["--epochs", "18446744073709551615"],
            "between 1 and 1000000",
        ),
        (&["--hidden", "100000000000"], "of memory"),
        (&["--dataset", "xor(n=100000000000)"], "of memory"),
        (
            &["--dataset", "spirals(arms=100000000)"],
            "classes need at least 2 samples",
        ),
        (
            &["--model", "deep-mlp", "--depth", "100000000000"],
            "more than 10000 layers",
        ),
        (&["--lr", "nan"], "learning_rate = NaN"),
        (&["--activation", "maxout(k=0)"], "k"),
        (&["--dropout", "1.5"], "dropout"),
        (&["--batch-size", "0"], "batch_size"),
        (
            &["--activations", "relu;relu", "--hidden", "4"],
            "2 activations for 1 hidden",
        ),
    ];
    for (args, fragment) in cases {
        let before = tree(dir);
        let out = run(
            &[&["train", "--progress", "quiet", "--out", "run"][..], args].concat(),
            dir,
        );
        assert_refused(&out, fragment);
        assert_eq!(tree(dir), before, "{args:?} wrote something");
    }
    // min_learning_rate = nan in a config file
    std::fs::write(
        dir.join("nan.toml"),
        "[training]\nschedule = \"cosine\"\nmin_learning_rate = nan\n",
    )
    .unwrap();
    let out = run(&["train", "--config", "nan.toml", "--out", "run"], dir);
    assert_refused(&out, "min_learning_rate = NaN");
}

/// Writes MNIST-style IDX files with `labels` as the test labels.
fn write_idx(dir: &Path, test_labels: &[u8]) {
    std::fs::create_dir_all(dir).unwrap();
    let idx = |dims: &[u32], data: &[u8]| {
        let mut out = vec![0, 0, 8, dims.len() as u8];
        for d in dims {
            out.extend_from_slice(&d.to_be_bytes());
        }
        out.extend_from_slice(data);
        out
    };
    let n = 40u32;
    let train_labels: Vec<u8> = (0..n).map(|i| (i % 10) as u8).collect();
    let images = |n: u32| idx(&[n, 4, 4], &vec![3; (n * 16) as usize]);
    std::fs::write(dir.join("train-images-idx3-ubyte"), images(n)).unwrap();
    std::fs::write(
        dir.join("train-labels-idx1-ubyte"),
        idx(&[n], &train_labels),
    )
    .unwrap();
    let m = test_labels.len() as u32;
    std::fs::write(dir.join("t10k-images-idx3-ubyte"), images(m)).unwrap();
    std::fs::write(dir.join("t10k-labels-idx1-ubyte"), idx(&[m], test_labels)).unwrap();
}

#[test]
fn idx_labels_outside_the_ten_classes_are_refused_before_training() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path();
    for (name, labels) in [("l255", vec![1u8, 255, 3]), ("l10", vec![10u8, 2])] {
        let data = dir.join(name);
        write_idx(&data, &labels);
        let before = tree(dir);
        let out = run(
            &[
                "train",
                "--dataset",
                &format!("mnist(dir={})", data.display()),
                "--epochs",
                "1",
                "--out",
                "run",
            ],
            dir,
        );
        assert_refused(&out, "is not a class 0..9");
        assert_eq!(tree(dir), before);
    }
}

#[test]
fn a_closed_pipe_ends_quietly() {
    let out = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "\"{}\" activations | head -1",
            env!("CARGO_BIN_EXE_nonlin")
        ))
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(text(&out.stdout).lines().count(), 1);
    assert!(
        !text(&out.stderr).contains("panicked"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn sweeps_and_merges_never_mix_experiments() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path();
    let grid = [
        "sweep",
        "--dataset",
        "xor(n=200)",
        "--hidden",
        "8",
        "--over-activations",
        "relu;tanh",
        "--seeds",
        "1,2",
    ];
    let first = run(&[&grid[..], &["--epochs", "1", "--out", "s"]].concat(), dir);
    assert!(first.status.success(), "{}", text(&first.stderr));
    // the same sweep again with another setting: refused, nothing changed
    let before = tree(dir);
    let other = run(&[&grid[..], &["--epochs", "2", "--out", "s"]].concat(), dir);
    assert_refused(&other, "base.training.epochs (1 → 2)");
    assert_eq!(tree(dir), before);
    // a sweep into a folder of the user's
    std::fs::create_dir(dir.join("mine")).unwrap();
    std::fs::write(dir.join("mine/results.md"), "my results").unwrap();
    let into = run(
        &[&grid[..], &["--epochs", "1", "--out", "mine"]].concat(),
        dir,
    );
    assert_refused(&into, "not a sweep directory");
    assert_eq!(
        std::fs::read_to_string(dir.join("mine/results.md")).unwrap(),
        "my results"
    );
    // shards of different settings do not merge into one row
    for (shard, epochs) in [("1/2", "1"), ("2/2", "2")] {
        let out = run(
            &[
                &grid[..],
                &[
                    "--epochs",
                    epochs,
                    "--shard",
                    shard,
                    "--out",
                    &format!("shard{}", &shard[..1]),
                ],
            ]
            .concat(),
            dir,
        );
        assert!(out.status.success(), "{}", text(&out.stderr));
    }
    let merged = run(&["merge", "shard1", "shard2"], dir);
    assert_refused(&merged, "sweeps of different experiments");
    // one shard alone is incomplete: refused, naming the missing shard, unless a partial table
    // is asked for
    let incomplete = run(&["merge", "shard1"], dir);
    assert_refused(
        &incomplete,
        "2 of 4 planned runs have not finished, in shard(s) 2/2",
    );
    let partial = run(&["merge", "shard1", "--allow-partial"], dir);
    assert!(partial.status.success(), "{}", text(&partial.stderr));
    assert!(
        text(&partial.stderr).contains("partial: 2 planned runs have not finished in shard(s) 2/2"),
        "{}",
        text(&partial.stderr)
    );
    assert!(text(&partial.stdout).contains("Partial: 2 of 4"));
    // the same run in two sweeps with different results is refused
    let copy = run(
        &[&grid[..], &["--epochs", "1", "--out", "copy"]].concat(),
        dir,
    );
    assert!(copy.status.success(), "{}", text(&copy.stderr));
    let same = run(&["merge", "s", "copy"], dir);
    assert!(
        same.status.success(),
        "identical runs merge: {}",
        text(&same.stderr)
    );
    let id = std::fs::read_dir(dir.join("copy/runs"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .file_name();
    let summary_path = dir.join("copy/runs").join(&id).join("summary.json");
    let mut summary = json(&summary_path);
    summary["test_accuracy"] = serde_json::json!(0.123);
    std::fs::write(&summary_path, summary.to_string()).unwrap();
    let differ = run(&["merge", "s", "copy"], dir);
    assert_refused(&differ, "with different results");
    // merge --out into a folder of the user's is refused
    let into_mine = run(&["merge", "s", "--out", "mine"], dir);
    assert_refused(&into_mine, "not a sweep's results");
}

#[test]
fn reports_render_without_touching_the_temp_directory() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path();
    let out = run(&[&SMALL[..], &["r"]].concat(), dir);
    assert!(out.status.success(), "{}", text(&out.stderr));
    // a temp "directory" that is a file: any figure rendered through it would fail
    let tmp = dir.join("not-a-dir");
    std::fs::write(&tmp, "mine").unwrap();
    let report = nonlin()
        .args(["report", "r"])
        .current_dir(dir)
        .env("TMPDIR", &tmp)
        .output()
        .unwrap();
    assert!(report.status.success(), "{}", text(&report.stderr));
    assert!(dir.join("r/report.html").is_file());
    assert_eq!(std::fs::read_to_string(&tmp).unwrap(), "mine");
}

#[test]
fn the_wgpu_probe_is_quiet_without_a_runtime_dir() {
    // servers, containers and CI jobs often have no XDG_RUNTIME_DIR; `auto` probes wgpu anyway
    for display in [None, Some("")] {
        let mut cmd = nonlin();
        cmd.arg("backends")
            .env_remove("NONLIN_BACKEND")
            .env_remove("XDG_RUNTIME_DIR");
        match display {
            Some(v) => cmd.env("WAYLAND_DISPLAY", v),
            None => cmd.env_remove("WAYLAND_DISPLAY"),
        };
        let out = cmd.output().unwrap();
        assert!(out.status.success(), "{}", text(&out.stderr));
        assert!(
            !text(&out.stderr).contains("XDG_RUNTIME_DIR"),
            "{}",
            text(&out.stderr)
        );
    }
}
