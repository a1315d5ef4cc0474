//! Downloading MNIST and Fashion-MNIST into a cache directory, with a progress display and a
//! checksum check. A file is written under a temporary name and renamed only once its checksum
//! matches, so a failed or interrupted download never leaves a file that looks complete.

use crate::error::DataError;
use md5::Md5;
use sha2::{Digest, Sha256};
use std::io::{IsTerminal, Read, Write};
use std::path::Path;
use std::time::Duration;

/// The expected digest of a file, as lowercase hex.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Checksum {
    /// MD5 (what torchvision publishes for MNIST).
    Md5(&'static str),
    /// SHA-256.
    Sha256(&'static str),
}

/// A data set's four gzip files and where to get them.
#[derive(Debug, Clone)]
pub struct Remote {
    /// Data set name, for messages.
    pub name: &'static str,
    /// Base URLs, tried in order; a file is fetched from `base + file name`.
    pub mirrors: Vec<String>,
    /// `(file name, checksum)` of the four files.
    pub files: [(&'static str, Checksum); 4],
}

impl Remote {
    /// MNIST (LeCun et al.), from the mirrors torchvision uses, with torchvision's MD5 sums.
    pub fn mnist() -> Self {
        Self {
            name: "mnist",
            mirrors: mirrors(
                "NONLIN_MNIST_MIRROR",
                &[
                    "https://ossci-datasets.s3.amazonaws.com/mnist/",
                    "https://storage.googleapis.com/cvdf-datasets/mnist/",
                ],
            ),
            files: [
                (
                    "train-images-idx3-ubyte.gz",
                    Checksum::Md5("f68b3c2dcbeaaa9fbdd348bbdeb94873"),
                ),
                (
                    "train-labels-idx1-ubyte.gz",
                    Checksum::Md5("d53e105ee54ea40749a09fcbcd1e9432"),
                ),
                (
                    "t10k-images-idx3-ubyte.gz",
                    Checksum::Md5("9fb629c4189551a2d022fa330f9573f3"),
                ),
                (
                    "t10k-labels-idx1-ubyte.gz",
                    Checksum::Md5("ec29112dd5afa0611ce80d1b7f02629c"),
                ),
            ],
        }
    }

    /// Fashion-MNIST (Xiao et al. 2017, MIT licence), from Zalando's bucket, with SHA-256 sums.
    pub fn fashion_mnist() -> Self {
        Self {
            name: "fashion_mnist",
            mirrors: mirrors(
                "NONLIN_FASHION_MNIST_MIRROR",
                &["http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"],
            ),
            files: [
                (
                    "train-images-idx3-ubyte.gz",
                    Checksum::Sha256(
                        "08dc20ab1689590a0bcd66e874647b6ee8464e2d501b5a3f1f78831db19a3fdc",
                    ),
                ),
                (
                    "train-labels-idx1-ubyte.gz",
                    Checksum::Sha256(
                        "b0197879cbda89f3dc7b894f9fd52b858e68ea4182b6947c9d8c2b67e5f18dcc",
                    ),
                ),
                (
                    "t10k-images-idx3-ubyte.gz",
                    Checksum::Sha256(
                        "78dcbbfb5a27efaf1b6c1d616caca68560be8766c5bffcb2791df9273a534229",
                    ),
                ),
                (
                    "t10k-labels-idx1-ubyte.gz",
                    Checksum::Sha256(
                        "42bd18137a62d5998cdeae52bf3a0676ac6b706f5cf8439b47bb5b151ae3dccf",
                    ),
                ),
            ],
        }
    }
}

/// The mirrors from `variable` (one base URL) if set, else the defaults.
fn mirrors(variable: &str, defaults: &[&str]) -> Vec<String> {
    match std::env::var(variable) {
        Ok(url) if !url.trim().is_empty() => vec![url.trim().to_string()],
        _ => defaults.iter().map(|s| s.to_string()).collect(),
    }
}

/// Downloads into `dir` every file of `remote` that is neither there raw nor gzipped.
pub fn fetch_missing(remote: &Remote, dir: &Path) -> Result<(), DataError> {
    for (file, checksum) in &remote.files {
        let raw = file.trim_end_matches(".gz");
        if dir.join(file).is_file() || dir.join(raw).is_file() {
            continue;
        }
        std::fs::create_dir_all(dir).map_err(|source| DataError::Io {
            path: dir.to_path_buf(),
            source,
        })?;
        let mut attempts = Vec::new();
        let fetched = remote.mirrors.iter().any(|base| {
            let url = format!("{base}{file}");
            match download(&url, &dir.join(file), *checksum) {
                Ok(()) => true,
                Err(reason) => {
                    attempts.push(format!("{url}: {reason}"));
                    false
                }
            }
        });
        if !fetched {
            return Err(DataError::Download {
                dataset: remote.name.to_string(),
                dir: dir.to_path_buf(),
                attempts,
                files: remote.files.iter().map(|(f, _)| f.to_string()).collect(),
            });
        }
    }
    Ok(())
}

/// Fetches `url` into `target` through a temporary file, checking `checksum`; the error is a reason.
fn download(url: &str, target: &Path, checksum: Checksum) -> Result<(), String> {
    let agent = ureq::Agent::config_builder()
        .timeout_connect(Some(Duration::from_secs(15)))
        .timeout_recv_body(Some(Duration::from_secs(300)))
        .build()
        .new_agent();
    let mut response = agent.get(url).call().map_err(|e| e.to_string())?;
    let total = response.body().content_length();
    let mut reader = response.body_mut().with_config().limit(200 << 20).reader();
    // a fresh, exclusively created name: a file or link planted there is never written through
    let mut partial =
        crate::fs::temp_file_beside(target).map_err(|e| format!("{}: {e}", target.display()))?;
    let mut hasher = Hasher::new(checksum);
    let mut progress = DownloadProgress::new(target, total);
    let mut buffer = vec![0u8; 1 << 16];
    let result = loop {
        match reader.read(&mut buffer) {
            Ok(0) => break Ok(()),
            Ok(n) => {
                hasher.update(&buffer[..n]);
                if let Err(e) = partial.write_all(&buffer[..n]) {
                    break Err(format!("{}: {e}", partial.path().display()));
                }
                progress.advance(n as u64);
            }
            Err(e) => break Err(format!("reading the response: {e}")),
        }
    };
    progress.finish();
    // on any error the temporary file is removed when `partial` drops
    result
        .and_then(|()| partial.as_file().sync_all().map_err(|e| e.to_string()))
        .and_then(|()| hasher.verify(checksum))
        .and_then(|()| {
            partial
                .persist(target)
                .map(drop)
                .map_err(|e| e.error.to_string())
        })
}

enum Hasher {
    Md5(Md5),
    Sha256(Sha256),
}

impl Hasher {
    fn new(checksum: Checksum) -> Self {
        match checksum {
            Checksum::Md5(_) => Hasher::Md5(Md5::new()),
            Checksum::Sha256(_) => Hasher::Sha256(Sha256::new()),
        }
    }

    fn update(&mut self, bytes: &[u8]) {
        match self {
            Hasher::Md5(h) => h.update(bytes),
            Hasher::Sha256(h) => h.update(bytes),
        }
    }

    fn verify(self, checksum: Checksum) -> Result<(), String> {
        let (found, expected): (String, &str) = match (self, checksum) {
            (Hasher::Md5(h), Checksum::Md5(e)) => (hex(&h.finalize()), e),
            (Hasher::Sha256(h), Checksum::Sha256(e)) => (hex(&h.finalize()), e),
            _ => unreachable!("the hasher is made for its checksum"),
        };
        if found == expected {
            Ok(())
        } else {
            Err(format!(
                "checksum mismatch: expected {expected}, got {found} (a corrupt or different file)"
            ))
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A one-line progress display on a terminal; a start and an end line otherwise.
struct DownloadProgress {
    name: String,
    total: Option<u64>,
    done: u64,
    terminal: bool,
}

impl DownloadProgress {
    fn new(target: &Path, total: Option<u64>) -> Self {
        let name = target
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let terminal = std::io::stderr().is_terminal();
        if !terminal {
            eprintln!(
                "downloading {name}{}",
                total
                    .map(|t| format!(" ({:.1} MB)", t as f64 / 1e6))
                    .unwrap_or_default()
            );
        }
        Self {
            name,
            total,
            done: 0,
            terminal,
        }
    }

    fn advance(&mut self, bytes: u64) {
        self.done += bytes;
        if self.terminal {
            let total = self
                .total
                .map(|t| format!(" / {:.1} MB", t as f64 / 1e6))
                .unwrap_or_default();
            eprint!(
                "\rdownloading {} {:.1} MB{total}   ",
                self.name,
                self.done as f64 / 1e6
            );
        }
    }

    fn finish(&self) {
        if self.terminal {
            eprintln!();
        } else {
            eprintln!(
                "downloaded {} ({:.1} MB)",
                self.name,
                self.done as f64 / 1e6
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{BufRead, BufReader};
    use std::net::TcpListener;

    /// A one-thread HTTP server that answers every GET with `body` (or 404 for `/missing*`).
    fn serve(body: Vec<u8>, requests: usize) -> String {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}/", listener.local_addr().unwrap());
        std::thread::spawn(move || {
            for stream in listener.incoming().take(requests) {
                let mut stream = stream.unwrap();
                let mut request_line = String::new();
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                reader.read_line(&mut request_line).unwrap();
                loop {
                    let mut header = String::new();
                    if reader.read_line(&mut header).unwrap() <= 2 {
                        break;
                    }
                }
                let status = if request_line.contains("/missing") {
                    "404 Not Found"
                } else {
                    "200 OK"
                };
                let body: &[u8] = if status.starts_with("404") {
                    b""
                } else {
                    &body
                };
                let head = format!(
                    "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    body.len()
                );
                stream.write_all(head.as_bytes()).unwrap();
                stream.write_all(body).unwrap();
            }
        });
        base
    }

    fn remote(mirrors: Vec<String>, checksum: Checksum) -> Remote {
        Remote {
            name: "test",
            mirrors,
            files: [
                ("a.gz", checksum),
                ("b.gz", checksum),
                ("c.gz", checksum),
                ("d.gz", checksum),
            ],
        }
    }

    fn temp(name: &str) -> std::path::PathBuf {
        let dir =
            std::env::temp_dir().join(format!("nonlin-download-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    #[test]
    fn downloads_verify_checksums_and_fall_back_to_the_next_mirror() {
        let body = b"nonlin".to_vec();
        let sha = "3f5cd5a3ba8b7b7e2a5b6bf31b20e4c3b7d3f7c6e4e3c4a2d3e3c3b7a1f0e5d2";
        let md5 = hex(&Md5::digest(&body));
        let base = serve(body.clone(), 9);
        let dir = temp("ok");
        let mirrors = vec![format!("{base}missing/"), base.clone()];
        fetch_missing(
            &remote(mirrors, Checksum::Md5(Box::leak(md5.into_boxed_str()))),
            &dir,
        )
        .unwrap();
        for f in ["a.gz", "b.gz", "c.gz", "d.gz"] {
            assert_eq!(std::fs::read(dir.join(f)).unwrap(), body);
        }
        // a wrong checksum leaves nothing behind
        let bad = temp("bad");
        let err = fetch_missing(&remote(vec![base], Checksum::Sha256(sha)), &bad)
            .unwrap_err()
            .to_string();
        assert!(err.contains("checksum mismatch"), "{err}");
        assert_eq!(
            std::fs::read_dir(&bad).unwrap().count(),
            0,
            "no partial file kept"
        );
        std::fs::remove_dir_all(&dir).unwrap();
        std::fs::remove_dir_all(&bad).unwrap();
    }

    #[test]
    fn offline_says_where_to_put_the_files() {
        // a port nothing listens on
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let dir = temp("offline");
        let err = fetch_missing(
            &remote(
                vec![format!("http://127.0.0.1:{port}/")],
                Checksum::Md5("0"),
            ),
            &dir,
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.contains(&dir.display().to_string()) && err.contains("a.gz"),
            "{err}"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn known_digests() {
        assert_eq!(
            hex(&Md5::digest(b"abc")),
            "900150983cd24fb0d6963f7d28e17f72"
        );
        assert_eq!(
            hex(&Sha256::digest(b"abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
