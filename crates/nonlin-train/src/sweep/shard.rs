//! Shards: `i/n` splits a sweep over machines (every n-th run from the i-th), given by a flag or
//! taken from a cluster scheduler's environment; a finished shard leaves a marker in the sweep
//! directory so that `merge` can name the shards that have not finished.

use crate::error::TrainError;
use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

/// `i/n`: this machine runs every n-th run, starting with the i-th (1-based).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    /// 1-based index.
    pub index: usize,
    /// Number of shards.
    pub count: usize,
}

impl Shard {
    /// The whole sweep.
    pub const ALL: Shard = Shard { index: 1, count: 1 };

    pub(crate) fn owns(self, run: usize) -> bool {
        run % self.count == self.index - 1
    }
}

impl Shard {
    /// The shard a cluster scheduler gives this task, from its environment (`var` reads a
    /// variable): a Slurm job array (`SLURM_ARRAY_TASK_ID` with `SLURM_ARRAY_TASK_COUNT`, and
    /// `SLURM_ARRAY_TASK_MIN`/`_STEP` for arrays that do not start at 0 or skip ids) or a
    /// Kubernetes Indexed Job (`JOB_COMPLETION_INDEX`, with the number of completions from
    /// `count` or `NONLIN_SHARD_COUNT`). `None` when neither is set; with the shard, a line saying
    /// where it came from. Missing, contradictory or out-of-range values are errors.
    pub fn from_scheduler(
        var: impl Fn(&str) -> Option<String>,
        count: Option<usize>,
    ) -> Result<Option<(Shard, String)>, TrainError> {
        let bad = |msg: String| TrainError::Config(msg);
        let number = |name: &str| -> Result<Option<usize>, TrainError> {
            match var(name).filter(|v| !v.trim().is_empty()) {
                None => Ok(None),
                Some(v) => v
                    .trim()
                    .parse()
                    .map(Some)
                    .map_err(|_| bad(format!("{name}={v} is not a whole number >= 0"))),
            }
        };
        let slurm =
            match number("SLURM_ARRAY_TASK_ID")? {
                None => None,
                Some(id) => {
                    let count = number("SLURM_ARRAY_TASK_COUNT")?.ok_or_else(|| {
                        bad("SLURM_ARRAY_TASK_ID is set but SLURM_ARRAY_TASK_COUNT is not; is this \
                         an array job (sbatch --array)?"
                        .into())
                    })?;
                    let min = number("SLURM_ARRAY_TASK_MIN")?.unwrap_or(0);
                    let step = number("SLURM_ARRAY_TASK_STEP")?.unwrap_or(1).max(1);
                    let offset = id.checked_sub(min).filter(|o| o % step == 0);
                    let index = offset.map(|o| o / step).filter(|&i| i < count).ok_or_else(|| {
                    bad(format!(
                        "SLURM_ARRAY_TASK_ID={id} is not one of the {count} tasks of an array \
                         starting at SLURM_ARRAY_TASK_MIN={min} with step {step}"
                    ))
                })?;
                    Some((
                        Shard {
                            index: index + 1,
                            count,
                        },
                        format!(
                            "Slurm array task {id} (SLURM_ARRAY_TASK_MIN={min}, \
                         SLURM_ARRAY_TASK_COUNT={count})"
                        ),
                    ))
                }
            };
        let kubernetes =
            match number("JOB_COMPLETION_INDEX")? {
                None => None,
                Some(index) => {
                    let count = match count {
                    Some(c) => Some(c),
                    None => number("NONLIN_SHARD_COUNT")?,
                }
                .filter(|&c| c > 0)
                .ok_or_else(|| {
                    bad("JOB_COMPLETION_INDEX is set: give the Job's number of completions with \
                         --shard-count N (or NONLIN_SHARD_COUNT)"
                        .into())
                })?;
                    if index >= count {
                        return Err(bad(format!(
                            "JOB_COMPLETION_INDEX={index} is not below the {count} completions"
                        )));
                    }
                    Some((
                        Shard {
                            index: index + 1,
                            count,
                        },
                        format!("Kubernetes completion index {index} of {count}"),
                    ))
                }
            };
        match (slurm, kubernetes) {
            (Some(a), Some(b)) if a.0 != b.0 => Err(bad(format!(
                "the scheduler variables disagree: {} gives shard {}, {} gives shard {}",
                a.1, a.0, b.1, b.0
            ))),
            (Some(a), _) => Ok(Some(a)),
            (None, b) => Ok(b),
        }
    }

    /// The file a finished shard leaves in the sweep directory.
    pub(crate) fn marker(self, dir: &Path) -> PathBuf {
        dir.join("shards")
            .join(format!("{}-of-{}.json", self.index, self.count))
    }
}

impl FromStr for Shard {
    type Err = TrainError;
    fn from_str(s: &str) -> Result<Self, TrainError> {
        let bad = || {
            TrainError::Config(format!(
                "--shard {s}: expected i/n with 1 <= i <= n, e.g. 1/4"
            ))
        };
        let (i, n) = s.split_once('/').ok_or_else(bad)?;
        let (index, count) = (
            i.trim().parse().map_err(|_| bad())?,
            n.trim().parse().map_err(|_| bad())?,
        );
        if index == 0 || count == 0 || index > count {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// The shards that finished in `dir` (their markers in `shards/`).
pub(crate) fn shard_markers(dir: &Path) -> Result<Vec<Shard>, TrainError> {
    let shards = dir.join("shards");
    let entries = match std::fs::read_dir(&shards) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(TrainError::io("listing", &shards, e)),
    };
    let mut found = Vec::new();
    for entry in entries {
        let name = entry
            .map_err(|e| TrainError::io("listing", &shards, e))?
            .file_name();
        let parsed = name
            .to_str()
            .and_then(|n| n.strip_suffix(".json"))
            .and_then(|n| n.split_once("-of-"))
            .and_then(|(i, n)| format!("{i}/{n}").parse::<Shard>().ok());
        found.extend(parsed);
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_partition_the_runs() {
        let shards: Vec<Shard> = ["1/3", "2/3", "3/3"]
            .iter()
            .map(|s| s.parse().unwrap())
            .collect();
        for run in 0..20 {
            assert_eq!(shards.iter().filter(|s| s.owns(run)).count(), 1);
        }
        for bad in ["0/2", "3/2", "1", "a/b", "1/0"] {
            assert!(bad.parse::<Shard>().is_err(), "{bad}");
        }
    }

    #[test]
    fn shards_come_from_slurm_and_kubernetes_variables() {
        let env = |pairs: &[(&str, &str)]| {
            let map: std::collections::HashMap<String, String> = pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            move |name: &str| map.get(name).cloned()
        };
        let shard = |pairs: &[(&str, &str)], count: Option<usize>| {
            Shard::from_scheduler(env(pairs), count).map(|s| s.map(|(shard, _)| shard.to_string()))
        };
        assert_eq!(shard(&[], None).unwrap(), None);
        // a 0-based array of 4, a 1-based one (--array=1-4), and one with a step (0-6:2)
        let slurm = |id: &str, min: &str, step: &str| {
            shard(
                &[
                    ("SLURM_ARRAY_TASK_ID", id),
                    ("SLURM_ARRAY_TASK_COUNT", "4"),
                    ("SLURM_ARRAY_TASK_MIN", min),
                    ("SLURM_ARRAY_TASK_STEP", step),
                ],
                None,
            )
        };
        assert_eq!(slurm("0", "0", "1").unwrap().unwrap(), "1/4");
        assert_eq!(slurm("3", "0", "1").unwrap().unwrap(), "4/4");
        assert_eq!(slurm("1", "1", "1").unwrap().unwrap(), "1/4");
        assert_eq!(slurm("4", "1", "1").unwrap().unwrap(), "4/4");
        assert_eq!(slurm("6", "0", "2").unwrap().unwrap(), "4/4");
        for (id, min, step) in [
            ("4", "0", "1"),
            ("0", "1", "1"),
            ("3", "0", "2"),
            ("x", "0", "1"),
        ] {
            assert!(slurm(id, min, step).is_err(), "{id} {min} {step}");
        }
        let no_count = shard(&[("SLURM_ARRAY_TASK_ID", "2")], None).unwrap_err();
        assert!(
            no_count.to_string().contains("SLURM_ARRAY_TASK_COUNT"),
            "{no_count}"
        );
        // Kubernetes: the count from the flag or NONLIN_SHARD_COUNT
        let k8s = [("JOB_COMPLETION_INDEX", "2")];
        assert_eq!(shard(&k8s, Some(3)).unwrap().unwrap(), "3/3");
        let with_env = [("JOB_COMPLETION_INDEX", "0"), ("NONLIN_SHARD_COUNT", "5")];
        assert_eq!(shard(&with_env, None).unwrap().unwrap(), "1/5");
        assert!(
            shard(&k8s, None)
                .unwrap_err()
                .to_string()
                .contains("--shard-count")
        );
        assert!(shard(&k8s, Some(2)).is_err(), "index 2 of 2 completions");
        // both, disagreeing
        let both = [
            ("SLURM_ARRAY_TASK_ID", "0"),
            ("SLURM_ARRAY_TASK_COUNT", "2"),
            ("JOB_COMPLETION_INDEX", "1"),
        ];
        assert!(
            shard(&both, Some(2))
                .unwrap_err()
                .to_string()
                .contains("disagree")
        );
    }
}
