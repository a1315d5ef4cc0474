//! One module per subcommand: parse, call the library, print.

pub mod activations;
pub mod bench;
pub mod plot;
pub mod study;
pub mod sweep;
pub mod train;
