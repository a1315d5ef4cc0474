//! MNIST's IDX format (raw or gzip), and MNIST / Fashion-MNIST from a directory.
//!
//! An IDX file is a big-endian header — two zero bytes, a type byte (0x08 = unsigned byte), the
//! number of dimensions — then one u32 per dimension, then the data. Images are `idx3`
//! (`[n, rows, cols]`), labels `idx1` (`[n]`).

use super::Dataset;
use crate::error::DataError;
use flate2::read::GzDecoder;
use std::io::Read;
use std::path::{Path, PathBuf};

/// An IDX array of unsigned bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdxArray {
    /// The dimensions from the header.
    pub dims: Vec<usize>,
    /// The bytes, row-major.
    pub data: Vec<u8>,
}

/// Parses IDX bytes, gunzipping them first when they start with the gzip magic.
pub fn parse(bytes: &[u8], origin: &Path) -> Result<IdxArray, DataError> {
    let bad = |reason: String| DataError::Idx {
        path: origin.to_path_buf(),
        reason,
    };
    let raw;
    let bytes = if bytes.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        // a hostile archive can expand a thousandfold: stop at what memory allows
        let limit = crate::memory::limit_bytes() / 4;
        GzDecoder::new(bytes)
            .take(limit.saturating_add(1))
            .read_to_end(&mut out)
            .map_err(|e| bad(format!("corrupt gzip data ({e}); download the file again")))?;
        if out.len() as u64 > limit {
            return Err(bad(format!(
                "the gzip data expands to more than {} (a quarter of the memory available); \
                 is it really an IDX file?",
                crate::memory::human(u128::from(limit))
            )));
        }
        raw = out;
        &raw[..]
    } else {
        bytes
    };
    if bytes.len() < 4 {
        return Err(bad(format!(
            "{} bytes is too short for an IDX header",
            bytes.len()
        )));
    }
    if bytes[0] != 0 || bytes[1] != 0 {
        return Err(bad(
            "the magic number does not start with two zero bytes: not an IDX file".into(),
        ));
    }
    if bytes[2] != 0x08 {
        return Err(bad(format!(
            "element type 0x{:02x} is not supported (only 0x08, unsigned byte)",
            bytes[2]
        )));
    }
    let rank = usize::from(bytes[3]);
    let header = 4 + 4 * rank;
    if rank == 0 || bytes.len() < header {
        return Err(bad(format!(
            "a header for {rank} dimensions does not fit in {} bytes",
            bytes.len()
        )));
    }
    let dims: Vec<usize> = (0..rank)
        .map(|d| {
            let at = 4 + 4 * d;
            u32::from_be_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]]) as usize
        })
        .collect();
    let expected = dims.iter().try_fold(1usize, |acc, &d| acc.checked_mul(d));
    let found = bytes.len() - header;
    match expected {
        Some(expected) if expected == found => Ok(IdxArray {
            dims,
            data: bytes[header..].to_vec(),
        }),
        Some(expected) if expected > found => Err(DataError::Truncated {
            path: origin.to_path_buf(),
            expected,
            found,
        }),
        Some(expected) => Err(bad(format!(
            "{} bytes after the {expected} the header announces",
            found - expected
        ))),
        None => Err(bad(format!("dimensions {dims:?} overflow"))),
    }
}

/// Reads and parses an IDX file.
pub fn read(path: &Path) -> Result<IdxArray, DataError> {
    let bytes = std::fs::read(path).map_err(|source| DataError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    parse(&bytes, path)
}

/// Pairs an idx3 image array with an idx1 label array into a data set of 1-channel images.
pub fn images_and_labels(
    name: &str,
    images: IdxArray,
    labels: IdxArray,
    (images_path, labels_path): (&Path, &Path),
) -> Result<Dataset, DataError> {
    let [n, rows, cols] = images.dims[..] else {
        return Err(DataError::Idx {
            path: images_path.to_path_buf(),
            reason: format!(
                "images need 3 dimensions [n, rows, cols], found {:?}",
                images.dims
            ),
        });
    };
    if labels.dims != [n] {
        return Err(DataError::Idx {
            path: labels_path.to_path_buf(),
            reason: format!(
                "{n} images need {n} labels, found dimensions {:?}",
                labels.dims
            ),
        });
    }
    // MNIST and Fashion-MNIST have ten classes; a label beyond them is a damaged or foreign file,
    // never a reason to grow the model's output
    if let Some((at, &label)) = labels
        .data
        .iter()
        .enumerate()
        .find(|&(_, &l)| usize::from(l) >= MNIST_CLASSES)
    {
        return Err(DataError::Idx {
            path: labels_path.to_path_buf(),
            reason: format!(
                "label {label} of sample {at} is not a class 0..{}: MNIST-style label files hold \
                 the digits 0 to 9; is the file damaged or of another data set?",
                MNIST_CLASSES - 1
            ),
        });
    }
    crate::memory::check(
        &format!("{n} images of {rows}×{cols} pixels"),
        Some(images.data.len() as u128 * 4),
        "use a smaller IDX file",
    )
    .map_err(|reason| DataError::Idx {
        path: images_path.to_path_buf(),
        reason,
    })?;
    let features = images.data.into_iter().map(f32::from).collect();
    let labels = labels.data.into_iter().map(u32::from).collect();
    Dataset::new(name, features, labels, vec![1, rows, cols], MNIST_CLASSES)
}

/// Classes of MNIST and Fashion-MNIST.
pub const MNIST_CLASSES: usize = 10;

/// The four files of an MNIST-style directory.
pub const MNIST_FILES: [&str; 4] = [
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
];

/// Finds `name` or `name.gz` in `dir`.
fn find(dir: &Path, name: &str) -> Option<PathBuf> {
    [dir.join(name), dir.join(format!("{name}.gz"))]
        .into_iter()
        .find(|p| p.is_file())
}

/// Loads MNIST or Fashion-MNIST (same file names) from `dir`, downloading the files that are
/// missing first: `(train, test)`.
pub fn load_mnist_dir(dir: &Path, fashion: bool) -> Result<(Dataset, Dataset), DataError> {
    let remote = if fashion {
        super::download::Remote::fashion_mnist()
    } else {
        super::download::Remote::mnist()
    };
    super::download::fetch_missing(&remote, dir)?;
    read_mnist_dir(dir, fashion)
}

/// Loads MNIST or Fashion-MNIST from `dir` without downloading: `(train, test)`.
pub fn read_mnist_dir(dir: &Path, fashion: bool) -> Result<(Dataset, Dataset), DataError> {
    let name = if fashion { "fashion_mnist" } else { "mnist" };
    let missing: Vec<&str> = MNIST_FILES
        .iter()
        .copied()
        .filter(|f| find(dir, f).is_none())
        .collect();
    if !missing.is_empty() {
        return Err(DataError::MissingFiles {
            dataset: name.into(),
            dir: dir.to_path_buf(),
            missing: missing.iter().map(|f| format!("{f}(.gz)")).collect(),
        });
    }
    let path = |f: &str| find(dir, f).expect("checked above");
    let split = |images: &str, labels: &str| -> Result<Dataset, DataError> {
        let (ip, lp) = (path(images), path(labels));
        images_and_labels(name, read(&ip)?, read(&lp)?, (&ip, &lp))
    };
    Ok((
        split(MNIST_FILES[0], MNIST_FILES[1])?,
        split(MNIST_FILES[2], MNIST_FILES[3])?,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::{Compression, write::GzEncoder};
    use std::io::Write;

    fn idx(dims: &[u32], data: &[u8]) -> Vec<u8> {
        let mut bytes = vec![0, 0, 0x08, dims.len() as u8];
        for d in dims {
            bytes.extend_from_slice(&d.to_be_bytes());
        }
        bytes.extend_from_slice(data);
        bytes
    }

    #[test]
    fn raw_and_gzip_parse_alike() {
        let raw = idx(&[2, 2, 2], &[1, 2, 3, 4, 5, 6, 7, 8]);
        let mut gz = GzEncoder::new(Vec::new(), Compression::default());
        gz.write_all(&raw).unwrap();
        let gz = gz.finish().unwrap();
        let a = parse(&raw, Path::new("a")).unwrap();
        assert_eq!(a.dims, vec![2, 2, 2]);
        assert_eq!(a, parse(&gz, Path::new("a.gz")).unwrap());
    }

    #[test]
    fn corrupt_files_are_clear_errors() {
        let p = Path::new("f");
        let truncated = parse(&idx(&[3, 2], &[1, 2, 3]), p).unwrap_err();
        assert!(
            matches!(
                truncated,
                DataError::Truncated {
                    expected: 6,
                    found: 3,
                    ..
                }
            ),
            "{truncated}"
        );
        assert!(
            parse(&[0, 0, 8], p)
                .unwrap_err()
                .to_string()
                .contains("too short")
        );
        assert!(
            parse(b"PK\x03\x04zipfile", p)
                .unwrap_err()
                .to_string()
                .contains("not an IDX file")
        );
        assert!(
            parse(&[0, 0, 0x0d, 1, 0, 0, 0, 1, 0, 0, 0, 0], p)
                .unwrap_err()
                .to_string()
                .contains("0x0d")
        );
        let cut_gzip = [0x1f, 0x8b, 8, 0, 0, 0, 0, 0];
        assert!(
            parse(&cut_gzip, p)
                .unwrap_err()
                .to_string()
                .contains("corrupt gzip")
        );
        let extra = parse(&idx(&[1], &[1, 2]), p).unwrap_err();
        assert!(extra.to_string().contains("1 bytes after"), "{extra}");
    }

    #[test]
    fn missing_mnist_files_say_where_to_put_them() {
        let err = read_mnist_dir(Path::new("/nonexistent/mnist"), false)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("/nonexistent/mnist") && err.contains("train-images-idx3-ubyte"),
            "{err}"
        );
    }
}
