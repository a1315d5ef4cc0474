//! Character-level text for language models: Tiny Shakespeare built in, or any UTF-8 file.
//!
//! As nanoGPT's `shakespeare_char`: the first 90% of the characters train, the last 10% validate,
//! and a batch is `batch` random windows of `context` characters from a seeded stream, each with
//! its targets one character ahead. Unlike nanoGPT, the vocabulary comes from the training part
//! only (the validation text cannot leak symbols into the model), so a character seen only in the
//! validation part follows an explicit [`UnknownChars`] policy.

use crate::error::DataError;
use crate::rng::Rng;
use burn::tensor::{Device, Int, Tensor, TensorData};
use flate2::read::GzDecoder;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::fmt;
use std::io::Read;
use std::path::Path;
use std::str::FromStr;

/// Tiny Shakespeare (public domain; `data/tinyshakespeare/README.md`), gzip.
const SHAKESPEARE_GZ: &[u8] = include_bytes!("../../data/tinyshakespeare/input.txt.gz");
/// sha256 of the uncompressed text, as published with it.
const SHAKESPEARE_SHA256: &str = "86c4e6aa9db7c042ec79f339dcb96d42b0075e16b8fc2e86bf0ca57e2dc565ed";

/// The share of the characters that trains (the rest, at the end, validates).
pub const TRAIN_FRACTION: f64 = 0.9;

/// What to do with a validation character the training part never shows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UnknownChars {
    /// Refuse the text, naming the characters (the default: nothing is changed silently).
    #[default]
    Error,
    /// Leave them out of the validation text.
    Skip,
    /// Map them to one extra symbol, `<unk>` (decoded as U+FFFD).
    Token,
}

impl UnknownChars {
    /// The names the policy parses from.
    pub const NAMES: [&'static str; 3] = ["error", "skip", "token"];
}

impl fmt::Display for UnknownChars {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Error => "error",
            Self::Skip => "skip",
            Self::Token => "token",
        })
    }
}

impl FromStr for UnknownChars {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "error" => Ok(Self::Error),
            "skip" => Ok(Self::Skip),
            "token" | "unk" => Ok(Self::Token),
            other => Err(format!(
                "unknown-character policy `{other}`: choose one of {}",
                Self::NAMES.join(", ")
            )),
        }
    }
}

/// The characters a model reads and writes, sorted (as nanoGPT's `sorted(set(text))`), plus an
/// `<unk>` symbol at the end when the policy is [`UnknownChars::Token`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Vocabulary {
    symbols: Vec<char>,
    ids: BTreeMap<char, u32>,
    unknown: Option<u32>,
}

impl Vocabulary {
    /// The distinct characters of `text`, sorted; with an `<unk>` symbol if `with_unknown`.
    pub fn from_text(text: &str, with_unknown: bool) -> Self {
        let mut symbols: Vec<char> = text.chars().collect();
        symbols.sort_unstable();
        symbols.dedup();
        let ids = symbols
            .iter()
            .enumerate()
            .map(|(i, &c)| (c, i as u32))
            .collect();
        let unknown = with_unknown.then_some(symbols.len() as u32);
        Self {
            symbols,
            ids,
            unknown,
        }
    }

    /// How many symbols (the model's input and output size), `<unk>` included.
    pub fn len(&self) -> usize {
        self.symbols.len() + usize::from(self.unknown.is_some())
    }

    /// Whether there are no symbols.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The characters, in id order (without `<unk>`).
    pub fn symbols(&self) -> &[char] {
        &self.symbols
    }

    /// The id of `c`, if the vocabulary has it.
    pub fn id(&self, c: char) -> Option<u32> {
        self.ids.get(&c).copied()
    }

    /// `text` as ids under `policy`; `Err` lists the characters (with counts) that the vocabulary
    /// lacks when the policy is [`UnknownChars::Error`], or when it is `Token` and this
    /// vocabulary was built without `<unk>`.
    pub fn encode(&self, text: &str, policy: UnknownChars) -> Result<Vec<u32>, Vec<(char, usize)>> {
        let mut ids = Vec::with_capacity(text.len());
        let mut missing = BTreeMap::<char, usize>::new();
        for c in text.chars() {
            match (self.id(c), policy, self.unknown) {
                (Some(id), _, _) => ids.push(id),
                (None, UnknownChars::Skip, _) => {}
                (None, UnknownChars::Token, Some(unk)) => ids.push(unk),
                (None, _, _) => *missing.entry(c).or_default() += 1,
            }
        }
        if missing.is_empty() {
            Ok(ids)
        } else {
            Err(missing.into_iter().collect())
        }
    }

    /// The text of `ids`; an id outside the vocabulary, and `<unk>`, decode as U+FFFD.
    pub fn decode(&self, ids: &[u32]) -> String {
        ids.iter()
            .map(|&id| {
                self.symbols
                    .get(id as usize)
                    .copied()
                    .unwrap_or(char::REPLACEMENT_CHARACTER)
            })
            .collect()
    }
}

/// Which part of the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextSplit {
    /// The first 90%.
    Train,
    /// The last 10%.
    Valid,
}

/// A text split for character-level language modelling: its vocabulary and both parts as ids.
#[derive(Debug, Clone, PartialEq)]
pub struct TextCorpus {
    /// Where the text came from: `shakespeare`, or the file's path.
    pub name: String,
    /// The training part's characters.
    pub vocabulary: Vocabulary,
    /// The first 90% of the characters, as ids.
    pub train: Vec<u32>,
    /// The last 10%, as ids (after the unknown-character policy).
    pub valid: Vec<u32>,
}

/// `batch` windows of `context` ids and their targets (the same windows one character later),
/// row-major `[batch, context]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Windows {
    /// Rows of `context` input ids.
    pub inputs: Vec<u32>,
    /// Rows of `context` target ids: `targets[b][t] = text[start_b + t + 1]`.
    pub targets: Vec<u32>,
    /// Rows.
    pub batch: usize,
    /// Ids per row.
    pub context: usize,
}

impl Windows {
    /// The inputs and targets as `[batch, context]` integer tensors on `device`.
    pub fn tensors(&self, device: &Device) -> (Tensor<2, Int>, Tensor<2, Int>) {
        let shape = [self.batch, self.context];
        let as_tensor = |ids: &[u32]| {
            let ids: Vec<i64> = ids.iter().map(|&id| i64::from(id)).collect();
            Tensor::<2, Int>::from_data(TensorData::new(ids, shape), device)
        };
        (as_tensor(&self.inputs), as_tensor(&self.targets))
    }
}

impl TextCorpus {
    /// Tiny Shakespeare, built in (1,115,394 characters, 65 symbols), checked against its
    /// published sha256.
    pub fn shakespeare() -> Result<Self, DataError> {
        let bad = |reason: String| DataError::Invalid {
            dataset: "shakespeare".into(),
            reason,
        };
        let bytes = gunzip_limited(SHAKESPEARE_GZ, 16 << 20)
            .map_err(|e| bad(format!("the embedded text does not unpack: {e}")))?;
        let digest = format!("{:x}", Sha256::digest(&bytes));
        if digest != SHAKESPEARE_SHA256 {
            return Err(bad(format!(
                "the embedded text has sha256 {digest}, not the published {SHAKESPEARE_SHA256}; \
                 the build is corrupt: check out crates/nonlin-train/data/tinyshakespeare again"
            )));
        }
        let text = text_of(&bytes).map_err(bad)?;
        Self::from_text("shakespeare", text, UnknownChars::Error)
    }

    /// A UTF-8 text file (or its gzip), split 90/10, with `unknown` for validation characters
    /// that the training part lacks.
    pub fn from_file(path: &Path, unknown: UnknownChars) -> Result<Self, DataError> {
        let name = path.display().to_string();
        let bad = |reason: String| DataError::Invalid {
            dataset: name.clone(),
            reason,
        };
        let size = std::fs::metadata(path)
            .map_err(|source| DataError::Io {
                path: path.to_path_buf(),
                source,
            })?
            .len();
        // the bytes, the text and four bytes of id per character
        crate::memory::check(
            &format!("the text file {name}"),
            Some(u128::from(size) * 6),
            "use a smaller file or raise NONLIN_MEMORY_LIMIT",
        )
        .map_err(&bad)?;
        let raw = std::fs::read(path).map_err(|source| DataError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let bytes = if raw.starts_with(&[0x1f, 0x8b]) {
            // a hostile archive can expand a thousandfold: stop at what memory allows
            gunzip_limited(&raw, crate::memory::limit_bytes() / 6).map_err(&bad)?
        } else {
            raw
        };
        let text = text_of(&bytes).map_err(&bad)?;
        Self::from_text(name.clone(), text, unknown)
    }

    /// Splits `text` 90/10 by characters; the vocabulary is the first part's.
    pub fn from_text(
        name: impl Into<String>,
        text: &str,
        unknown: UnknownChars,
    ) -> Result<Self, DataError> {
        let name = name.into();
        let bad = |reason: String| DataError::Invalid {
            dataset: name.clone(),
            reason,
        };
        let chars = text.chars().count();
        if chars < 20 {
            return Err(bad(format!(
                "{chars} characters is too little text to split into training and validation \
                 parts; a character-level model needs thousands"
            )));
        }
        let cut = (chars as f64 * TRAIN_FRACTION) as usize;
        let split_byte = text
            .char_indices()
            .nth(cut)
            .map_or(text.len(), |(byte, _)| byte);
        let (train_text, valid_text) = text.split_at(split_byte);
        let vocabulary = Vocabulary::from_text(train_text, unknown == UnknownChars::Token);
        let train = vocabulary
            .encode(train_text, UnknownChars::Error)
            .map_err(|_| {
                bad("the training part has characters outside its own vocabulary".into())
            })?;
        let valid = vocabulary.encode(valid_text, unknown).map_err(|missing| {
            let shown: Vec<String> = missing
                .iter()
                .take(10)
                .map(|(c, n)| format!("{c:?} ×{n}"))
                .collect();
            bad(format!(
                "the validation part (last 10%) has {} character(s) the training part never \
                 shows: {}{}; set unknown=skip to leave them out or unknown=token to map them to \
                 <unk>",
                missing.len(),
                shown.join(", "),
                if missing.len() > 10 { ", …" } else { "" }
            ))
        })?;
        Ok(Self {
            name,
            vocabulary,
            train,
            valid,
        })
    }

    /// The ids of one part.
    pub fn part(&self, split: TextSplit) -> &[u32] {
        match split {
            TextSplit::Train => &self.train,
            TextSplit::Valid => &self.valid,
        }
    }

    /// `batch` windows of `context` characters from `split`, at offsets drawn from `rng`, with
    /// their next-character targets; an error if the part is shorter than `context + 1`.
    pub fn windows(
        &self,
        split: TextSplit,
        batch: usize,
        context: usize,
        rng: &mut Rng,
    ) -> Result<Windows, DataError> {
        let ids = self.part(split);
        if batch == 0 || context == 0 {
            return Err(DataError::Invalid {
                dataset: self.name.clone(),
                reason: format!("batch ({batch}) and context ({context}) must be at least 1"),
            });
        }
        if ids.len() <= context {
            return Err(DataError::Invalid {
                dataset: self.name.clone(),
                reason: format!(
                    "the {} part has {} characters, too few for windows of context {context} \
                     plus one target; use a context below {} or a longer text",
                    match split {
                        TextSplit::Train => "training",
                        TextSplit::Valid => "validation",
                    },
                    ids.len(),
                    ids.len()
                ),
            });
        }
        let mut inputs = Vec::with_capacity(batch * context);
        let mut targets = Vec::with_capacity(batch * context);
        for _ in 0..batch {
            // the last start whose target window fits: ids.len() - context - 1
            let start = rng.below(ids.len() - context);
            inputs.extend_from_slice(&ids[start..start + context]);
            targets.extend_from_slice(&ids[start + 1..start + context + 1]);
        }
        Ok(Windows {
            inputs,
            targets,
            batch,
            context,
        })
    }
}

/// `bytes` as text, or why they are not: a NUL byte (a binary file) or invalid UTF-8, with where.
fn text_of(bytes: &[u8]) -> Result<&str, String> {
    if bytes.is_empty() {
        return Err("the file is empty; a language model needs text".into());
    }
    if let Some(at) = bytes.iter().position(|&b| b == 0) {
        return Err(format!(
            "byte {at} is NUL: this looks like a binary file, not text; give a UTF-8 text file"
        ));
    }
    std::str::from_utf8(bytes).map_err(|e| {
        format!(
            "not UTF-8 text: invalid byte 0x{:02x} at offset {}; convert the file to UTF-8 \
             (e.g. `iconv -t UTF-8`)",
            bytes[e.valid_up_to()],
            e.valid_up_to()
        )
    })
}

/// Gunzips `bytes`, refusing to expand past `limit` bytes.
fn gunzip_limited(bytes: &[u8], limit: u64) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    GzDecoder::new(bytes)
        .take(limit.saturating_add(1))
        .read_to_end(&mut out)
        .map_err(|e| format!("corrupt gzip data ({e})"))?;
    if out.len() as u64 > limit {
        return Err(format!(
            "the gzip data expands to more than {}; is it really a text file?",
            crate::memory::human(u128::from(limit))
        ));
    }
    Ok(out)
}

#[cfg(test)]
mod tests;
