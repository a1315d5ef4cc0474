//! One line of the catalog per entry, and lookup by name or alias.

use super::CATALOG;
use super::spec::{closest, normalize};
use crate::error::ActivationError;
use crate::info::ActivationInfo;

/// One line of the catalog: a canonical spec name, the other names it answers to, its parameters
/// in positional order, and its metadata.
#[derive(Debug, Clone, Copy)]
pub struct CatalogEntry {
    /// Canonical spec name.
    pub name: &'static str,
    /// Other accepted names (PyTorch, Hugging Face, common spellings), besides case and `_`/`-`
    /// variations of the canonical name.
    pub aliases: &'static [&'static str],
    /// Parameters, in the order positional arguments fill them.
    pub params: &'static [&'static str],
    /// Metadata.
    pub info: &'static ActivationInfo,
}

/// Finds the catalog entry for a name or alias, or the error with the closest suggestion.
pub fn lookup(name: &str) -> Result<&'static CatalogEntry, ActivationError> {
    let wanted = normalize(name);
    let found = CATALOG
        .iter()
        .find(|e| normalize(e.name) == wanted || e.aliases.iter().any(|a| normalize(a) == wanted));
    found.ok_or_else(|| {
        let candidates = CATALOG
            .iter()
            .flat_map(|e| core::iter::once(e.name).chain(e.aliases.iter().copied()));
        ActivationError::UnknownName {
            name: name.to_string(),
            suggestion: closest(name, candidates),
        }
    })
}
