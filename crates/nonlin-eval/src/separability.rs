//! Separability: a linear classifier on the raw inputs versus on the last hidden layer of a trained
//! nonlinear network. The network's hidden features make the classes linearly separable.

use crate::error::EvalError;
use crate::study::{linear_probe, train_on};
use burn::module::Module;
use burn::tensor::Tensor;
use nonlin_backend::Backend;
use nonlin_train::data::{Dataset, Scaler, Scaling, Splits};
use nonlin_train::{ExperimentConfig, Model};
use serde::{Deserialize, Serialize};

/// Linear-probe test accuracies.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Separability {
    /// Data set spec.
    pub dataset: String,
    /// The network whose hidden features are probed.
    pub network: String,
    /// The network's own test accuracy.
    pub network_accuracy: f64,
    /// A linear classifier on the raw (scaled) inputs.
    pub linear_on_inputs: f64,
    /// A linear classifier on the network's last hidden layer.
    pub linear_on_hidden: f64,
}

/// The last hidden layer's outputs for every sample of `data` (model without autodiff).
pub fn hidden_features(model: &Model, data: &Dataset, device: &burn::tensor::Device) -> Dataset {
    let indices: Vec<usize> = (0..data.len()).collect();
    let mut features = Vec::new();
    let mut width = 0;
    for chunk in indices.chunks(1024) {
        let batch = data.batch(chunk, device);
        let (_, traces) = model
            .dense()
            .forward_traced(model.dense_input(batch.x), |_, z| z);
        let last: Tensor<2> = traces
            .last()
            .expect("a network with a hidden layer")
            .output
            .clone();
        width = last.dims()[1];
        features.extend(
            last.into_data()
                .convert::<f32>()
                .try_into_vec::<f32>()
                .expect("features"),
        );
    }
    Dataset::new(
        format!("{} (hidden features)", data.name),
        features,
        data.labels.clone(),
        vec![width],
        data.num_classes,
    )
    .expect("features and labels agree")
}

/// Trains `base` (which needs at least one hidden layer), then fits linear probes on its inputs and
/// on its last hidden layer.
pub fn separability(base: &ExperimentConfig, backend: &Backend) -> Result<Separability, EvalError> {
    separability_with_features(base, backend).map(|(result, _)| result)
}

/// [`separability`], also returning the hidden features (standardised) it probed, for plotting.
pub fn separability_with_features(
    base: &ExperimentConfig,
    backend: &Backend,
) -> Result<(Separability, Splits), EvalError> {
    if base.model.hidden_widths().is_empty() {
        return Err(EvalError::Invalid(
            "separability needs a network with a hidden layer".into(),
        ));
    }
    let splits = nonlin_train::data::load(&base.data, base.seed)?;
    let trained = train_on(&base.model, &splits, base, backend, |_, _| {})?;
    let network = trained.model.valid();
    let hidden = |d: &Dataset| hidden_features(&network, d, &backend.device);
    let hidden_splits = Splits::scaled(
        hidden(&splits.train),
        hidden(&splits.valid),
        hidden(&splits.test),
        Scaling::Standardize,
    );
    let input_splits = Splits {
        scaler: Scaler::fit(Scaling::None, &splits.train),
        ..splits.clone()
    };
    let result = Separability {
        dataset: base.data.dataset.to_string(),
        network: base
            .model
            .describe(splits.train.sample_len(), splits.train.num_classes),
        network_accuracy: trained.test_accuracy(&splits, backend),
        linear_on_inputs: linear_probe(&input_splits, base, backend)?,
        linear_on_hidden: linear_probe(&hidden_splits, base, backend)?,
    };
    Ok((result, hidden_splits))
}
