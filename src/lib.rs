//! The `nonlin` package: the command line (`src/main.rs`) and the demos behind `examples/`.
//!
//! Each demo runs one claim of the nonlinearity notes, measures it, and returns its numbers with a
//! verdict; the example prints them and the tests assert the verdicts.

pub mod demos;
