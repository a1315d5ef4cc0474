//! The `nonlin` package: the command line (`src/main.rs`) and what the `examples/` share.
//!
//! Each example prints one claim of the nonlinearity notes as `nonlin_eval::claims` measures it;
//! `crates/nonlin-eval/tests/claims.rs` asserts the verdicts.

pub mod example;
