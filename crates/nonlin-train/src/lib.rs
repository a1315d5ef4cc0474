//! # nonlin-train
//!
//! Datasets, models whose activations are chosen by config, training with checkpoints, and sweeps
//! over activations × seeds. (Built in its own issue; this crate is the placeholder the workspace
//! layout reserves for it and holds no code yet.)
