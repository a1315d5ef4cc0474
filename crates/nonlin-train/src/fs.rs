//! Safe file writes: a reader (or a crash) sees the old file or the new one, never half of one,
//! and temporary files get unpredictable names created exclusively (`O_EXCL`), next to their
//! target, so a planted symlink is never followed.

use crate::error::TrainError;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Writes `bytes` to `path` through a fresh temporary file in the same directory, synced, then
/// renamed over `path`.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), TrainError> {
    let io = |source| TrainError::io("writing", path, source);
    let mut file = temp_file_beside(path).map_err(io)?;
    file.write_all(bytes).map_err(io)?;
    file.as_file().sync_all().map_err(io)?;
    file.persist(path).map_err(|e| io(e.error))?;
    sync_dir(parent_of(path));
    Ok(())
}

/// Copies `from` to `to` atomically. A real copy, not a hard link: a tool that rewrites `to` in
/// place must not reach the file it was copied from (a checkpoint).
pub fn copy_atomic(from: &Path, to: &Path) -> Result<(), TrainError> {
    let io = |source| TrainError::io("copying to", to, source);
    let mut target = temp_file_beside(to).map_err(io)?;
    let mut source = std::fs::File::open(from).map_err(|e| TrainError::io("reading", from, e))?;
    std::io::copy(&mut source, &mut target).map_err(io)?;
    target.as_file().sync_all().map_err(io)?;
    target.persist(to).map_err(|e| io(e.error))?;
    sync_dir(parent_of(to));
    Ok(())
}

/// A new, exclusively created temporary file with a random name next to `path`.
pub fn temp_file_beside(path: &Path) -> std::io::Result<tempfile::NamedTempFile> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    tempfile::Builder::new()
        .prefix(&format!(".{name}."))
        .suffix(TEMP_SUFFIX)
        .tempfile_in(parent_of(path))
}

/// A new temporary directory with a random name inside `dir`, removed when dropped unless kept.
pub fn temp_dir_in(dir: &Path, name: &str) -> std::io::Result<tempfile::TempDir> {
    tempfile::Builder::new()
        .prefix(&format!(".{name}."))
        .suffix(TEMP_SUFFIX)
        .tempdir_in(dir)
}

/// Every temporary name made here ends with this, so leftovers of a killed process can be found.
pub const TEMP_SUFFIX: &str = ".nonlin-tmp";

/// Whether `name` is a temporary file or directory made by [`temp_file_beside`] or
/// [`temp_dir_in`].
pub fn is_temp_name(name: &str) -> bool {
    name.starts_with('.') && name.ends_with(TEMP_SUFFIX)
}

/// Removes the temporary leftovers of killed processes directly inside `dir`; only call it while
/// holding the directory's lock, so no live writer's file is taken.
pub fn remove_temp_leftovers(dir: &Path) -> Result<Vec<PathBuf>, TrainError> {
    let mut removed = Vec::new();
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(removed),
        Err(e) => return Err(TrainError::io("listing", dir, e)),
    };
    for entry in entries {
        let entry = entry.map_err(|e| TrainError::io("listing", dir, e))?;
        if !entry.file_name().to_str().is_some_and(is_temp_name) {
            continue;
        }
        let path = entry.path();
        // symlink_metadata: a planted link is removed itself, never followed
        let is_dir = entry.file_type().is_ok_and(|t| t.is_dir());
        let result = if is_dir {
            std::fs::remove_dir_all(&path)
        } else {
            std::fs::remove_file(&path)
        };
        result.map_err(|e| TrainError::io("removing", &path, e))?;
        removed.push(path);
    }
    Ok(removed)
}

/// Makes a rename inside `dir` durable. Best effort: some file systems cannot sync directories.
pub fn sync_dir(dir: &Path) {
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
}

fn parent_of(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// Creates `dir` (and parents), with an error that names it.
pub fn create_dir(dir: &Path) -> Result<(), TrainError> {
    std::fs::create_dir_all(dir).map_err(|source| TrainError::io("creating directory", dir, source))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_whole_files_and_leaves_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("a.json");
        write_atomic(&file, b"first").unwrap();
        write_atomic(&file, b"second").unwrap();
        assert_eq!(std::fs::read(&file).unwrap(), b"second");
        copy_atomic(&file, &dir.path().join("b.json")).unwrap();
        copy_atomic(&file, &dir.path().join("b.json")).unwrap();
        assert_eq!(std::fs::read(dir.path().join("b.json")).unwrap(), b"second");
        // the copy is its own file: writing it in place leaves the source alone
        std::fs::write(dir.path().join("b.json"), b"edited").unwrap();
        assert_eq!(std::fs::read(&file).unwrap(), b"second");
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            2,
            "no temporary file left"
        );
        let err = write_atomic(Path::new("/proc/nonlin-cannot-write"), b"x")
            .unwrap_err()
            .to_string();
        assert!(err.contains("/proc/nonlin-cannot-write"), "{err}");
    }

    #[cfg(unix)]
    #[test]
    fn a_planted_symlink_is_replaced_not_followed() {
        let dir = tempfile::tempdir().unwrap();
        let victim = dir.path().join("victim");
        std::fs::write(&victim, b"precious").unwrap();
        let target = dir.path().join("out.json");
        std::os::unix::fs::symlink(&victim, &target).unwrap();
        write_atomic(&target, b"new").unwrap();
        assert_eq!(std::fs::read(&victim).unwrap(), b"precious");
        assert_eq!(std::fs::read(&target).unwrap(), b"new");
        assert!(!std::fs::symlink_metadata(&target).unwrap().is_symlink());
    }

    #[test]
    fn leftovers_are_found_by_name_only() {
        let dir = tempfile::tempdir().unwrap();
        let keep = temp_file_beside(&dir.path().join("x"))
            .unwrap()
            .into_temp_path();
        let kept_path = keep.to_path_buf();
        keep.keep().unwrap();
        let scratch = temp_dir_in(dir.path(), "epoch-0001").unwrap().keep();
        std::fs::write(dir.path().join("user.tmp"), b"mine").unwrap();
        let mut removed = remove_temp_leftovers(dir.path()).unwrap();
        removed.sort();
        let mut expected = vec![kept_path, scratch];
        expected.sort();
        assert_eq!(removed, expected);
        assert!(dir.path().join("user.tmp").exists());
    }
}
