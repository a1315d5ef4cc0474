//! Atomic file writes: a reader (or a crash) sees the old file or the new one, never half of one.

use crate::error::TrainError;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Writes `bytes` to `path` through a temporary file in the same directory and a rename.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), TrainError> {
    let tmp = sibling(path, "tmp");
    let io = |source| TrainError::io("writing", path, source);
    {
        let mut file = std::fs::File::create(&tmp).map_err(io)?;
        file.write_all(bytes).map_err(io)?;
        file.sync_all().map_err(io)?;
    }
    std::fs::rename(&tmp, path).map_err(io)
}

/// Creates `dir` (and parents), with an error that names it.
pub fn create_dir(dir: &Path) -> Result<(), TrainError> {
    std::fs::create_dir_all(dir).map_err(|source| TrainError::io("creating directory", dir, source))
}

/// `dir/name.<suffix>-<pid>`: a private scratch name next to `path`.
pub fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    path.with_file_name(format!(".{name}.{suffix}-{}", std::process::id()))
}

/// Checks that `dir` can be created and written, before any work is done.
pub fn ensure_writable(dir: &Path) -> Result<(), TrainError> {
    create_dir(dir)?;
    let probe = sibling(&dir.join("write-test"), "probe");
    std::fs::write(&probe, b"")
        .and_then(|()| std::fs::remove_file(&probe))
        .map_err(|source| TrainError::io("writing into", dir, source))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_whole_files_and_reports_unwritable_dirs() {
        let dir = std::env::temp_dir().join(format!("nonlin-fs-{}", std::process::id()));
        create_dir(&dir).unwrap();
        let file = dir.join("a.json");
        write_atomic(&file, b"first").unwrap();
        write_atomic(&file, b"second").unwrap();
        assert_eq!(std::fs::read(&file).unwrap(), b"second");
        assert_eq!(
            std::fs::read_dir(&dir).unwrap().count(),
            1,
            "no temporary file left"
        );
        std::fs::remove_dir_all(&dir).unwrap();
        let err = ensure_writable(Path::new("/proc/nonlin-cannot-write"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("/proc/nonlin-cannot-write"), "{err}");
    }
}
