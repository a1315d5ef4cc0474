//! Typed errors for invalid activation configs, spec strings and input shapes.

/// Everything that can be wrong with an activation's configuration or input.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ActivationError {
    /// An activation name that is not in the catalog.
    #[error("unknown activation `{name}`{}; `nonlin activations` lists them all", did_you_mean(.suggestion))]
    UnknownName {
        /// The name as given.
        name: String,
        /// The closest catalog name or alias, if one is close.
        suggestion: Option<String>,
    },
    /// A spec string that does not follow `name` or `name(arg, key=value, …)`.
    #[error("cannot parse activation spec `{spec}`: {reason}")]
    Syntax {
        /// The spec as given.
        spec: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A parameter name that the activation does not take.
    #[error("{activation} has no parameter `{param}`{}; its parameters are: {expected}", did_you_mean(.suggestion))]
    UnknownParameter {
        /// Canonical activation name.
        activation: &'static str,
        /// The parameter as given.
        param: String,
        /// The closest valid parameter name.
        suggestion: Option<String>,
        /// The valid parameter names.
        expected: String,
    },
    /// A parameter outside its valid range (CELU α = 0, Maxout k = 0, NaN thresholds, …).
    #[error("invalid {activation} parameter {param} = {value}: {requirement}")]
    InvalidParameter {
        /// Canonical activation name.
        activation: &'static str,
        /// Parameter name.
        param: &'static str,
        /// The offending value, printed.
        value: String,
        /// What the parameter must satisfy.
        requirement: &'static str,
    },
    /// An activation that changes the width, asked for as an element-wise one.
    #[error(
        "{spec} changes the width of the dimension it splits (Maxout divides it by k, the GLU family halves it), so it is not an element-wise `Activation`; build it with `ActivationConfig::init_any` (an `AnyActivation`, whose `try_forward` checks the width) and size the next layer with `output_width`"
    )]
    ChangesWidth {
        /// The activation's spec.
        spec: String,
    },
    /// An activation with one parameter per channel, asked for as an element-wise one.
    #[error(
        "{spec} has one parameter per channel, which dimension 1 of its input must match, so it is not an `Activation` (whose `forward` cannot fail); build it with `ActivationConfig::init_any` (an `AnyActivation`, whose `try_forward` checks the channels) or with num_parameters = 1"
    )]
    PerChannel {
        /// The activation's spec.
        spec: String,
    },
    /// Per-channel parameters that the input's channel dimension does not match.
    #[error(
        "{activation} has {channels} per-channel parameters but input dimension {dim} has size {size} (input shape {shape:?}); set num_parameters to 1 or to that size"
    )]
    ChannelMismatch {
        /// Canonical activation name.
        activation: &'static str,
        /// The number of parameters.
        channels: usize,
        /// The channel dimension (1, or 0 for a 1-D input).
        dim: usize,
        /// Its size.
        size: usize,
        /// The input's shape.
        shape: Vec<usize>,
    },
    /// An input dimension that an activation cannot split the way it needs.
    #[error(
        "{activation} needs dimension {dim} to be a multiple of {multiple}, but it has size {size}; make the preceding layer's output width a multiple of {multiple} (e.g. {})",
        .size.next_multiple_of(*.multiple).max(*.multiple)
    )]
    IndivisibleDimension {
        /// Canonical activation name.
        activation: &'static str,
        /// The dimension that is split.
        dim: usize,
        /// Its size.
        size: usize,
        /// The factor it must be divisible by (2 for the GLU family, k for Maxout).
        multiple: usize,
    },
    /// A dimension index outside the input's rank.
    #[error("{activation} splits dimension {dim}, but the input has only {rank} dimensions")]
    DimensionOutOfRange {
        /// Canonical activation name.
        activation: &'static str,
        /// The requested dimension.
        dim: isize,
        /// The input's rank.
        rank: usize,
    },
    /// A conversion to or from `burn::nn::ActivationConfig` that has no counterpart.
    #[error("{0}")]
    NoCounterpart(String),
}

fn did_you_mean(suggestion: &Option<String>) -> String {
    match suggestion {
        Some(s) => format!(" (did you mean `{s}`?)"),
        None => String::new(),
    }
}

/// Why rayon's workers were not pinned (`pin_cpu_workers`); nothing was changed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WorkerPinError {
    /// The global pool exists already (rayon builds it once per process, at its first parallel
    /// work), or its threads could not be started.
    #[error(
        "cannot build rayon's thread pool with pinned workers ({0}); call pin_cpu_workers before any parallel work"
    )]
    PoolBuilt(String),
    /// The operating system did not say which CPUs this process may run on.
    #[error("cannot read the CPUs this process may run on, so rayon's workers stay unpinned")]
    NoCpuList,
}
