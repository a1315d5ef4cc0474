//! One module per subcommand: parse, call the library, print.

pub mod activations;
pub mod bench;
pub mod plot;
pub mod study;
pub mod sweep;
pub mod train;

use core::fmt::Display;
use core::str::FromStr;

/// A `;`-separated list of specs on the command line (`"relu; leaky_relu(0.2); maxout(k=3)"`,
/// `"xor;spirals(arms=3)"`): `;`, because specs use `,` inside their parentheses. Empty items
/// are skipped; the first item that does not parse is the error, named.
#[derive(Debug, Clone, PartialEq)]
pub struct SpecList<T>(pub Vec<T>);

impl<T: FromStr> FromStr for SpecList<T>
where
    T::Err: Display,
{
    type Err = String;

    fn from_str(list: &str) -> Result<Self, String> {
        list.split(';')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| s.parse().map_err(|e| format!("`{s}`: {e}")))
            .collect::<Result<_, _>>()
            .map(SpecList)
    }
}
