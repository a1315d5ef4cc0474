//! # nonlin-eval
//!
//! Evaluation, gradient-flow diagnostics, plots, reports and backend comparisons. (Built in its own
//! issue; this crate is the placeholder the workspace layout reserves for it and holds no code yet.)
