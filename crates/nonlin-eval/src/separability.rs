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

/// A 2-D view of two-class `data` where linear separability shows: x is the Fisher discriminant
/// direction `S_w⁻¹ (m₁ − m₀)` (`S_w` the within-class scatter, regularised by 1e-6·I), y the
/// direction of largest variance orthogonal to it. Each sample as `(x, y, class)`.
pub fn discriminant_plane(data: &Dataset) -> Vec<(f64, f64, usize)> {
    use nalgebra::{DMatrix, DVector};
    let d = data.sample_len();
    let samples = DMatrix::from_fn(data.len(), d, |i, j| f64::from(data.sample(i)[j]));
    let class_mean = |class: u32| {
        let members: Vec<usize> = (0..data.len())
            .filter(|&i| data.labels[i] == class)
            .collect();
        let n = members.len().max(1) as f64;
        DVector::from_fn(d, |j, _| {
            members.iter().map(|&i| samples[(i, j)]).sum::<f64>() / n
        })
    };
    let (m0, m1) = (class_mean(0), class_mean(1));
    let mut within = DMatrix::<f64>::identity(d, d) * 1e-6;
    for i in 0..data.len() {
        let mean = if data.labels[i] == 0 { &m0 } else { &m1 };
        let centred = samples.row(i).transpose() - mean;
        within += &centred * centred.transpose();
    }
    let w = within
        .lu()
        .solve(&(&m1 - &m0))
        .unwrap_or_else(|| &m1 - &m0)
        .normalize();
    // the covariance with the discriminant direction projected out: its top eigenvector
    let mean = DVector::from_fn(d, |j, _| samples.column(j).mean());
    let projector = DMatrix::<f64>::identity(d, d) - &w * w.transpose();
    let mut centred = samples.clone();
    for mut row in centred.row_iter_mut() {
        row -= mean.transpose();
    }
    let covariance = &projector * (centred.transpose() * &centred) * &projector;
    let eigen = covariance.symmetric_eigen();
    let top = eigen.eigenvalues.imax();
    let v = eigen.eigenvectors.column(top).into_owned();
    (0..data.len())
        .map(|i| {
            let r = samples.row(i).transpose();
            (r.dot(&w), r.dot(&v), data.labels[i] as usize)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two classes apart along (1, 1, 0) by a little, spread along (1, -1, 0) a lot: Fisher's
    /// direction separates them where the largest-variance one would not, and the second axis is
    /// the spread, orthogonal to it.
    #[test]
    fn discriminant_plane_separates_two_clouds() {
        let (mut features, mut labels) = (Vec::new(), Vec::new());
        for i in 0..200 {
            let class = (i % 2) as u32;
            let spread = (i as f32 * 0.37).sin() * 10.0;
            let offset = if class == 1 { 0.5 } else { -0.5 };
            let jitter = (i as f32 * 1.7).cos() * 0.1;
            features.extend([offset + spread + jitter, offset - spread - jitter, jitter]);
            labels.push(class);
        }
        let data = Dataset::new("clouds", features, labels, vec![3], 2).unwrap();
        let points = discriminant_plane(&data);
        let xs = |class: usize| points.iter().filter(move |p| p.2 == class).map(|p| p.0);
        let (max0, min1) = (
            xs(0).fold(f64::MIN, f64::max),
            xs(1).fold(f64::MAX, f64::min),
        );
        let (min0, max1) = (
            xs(0).fold(f64::MAX, f64::min),
            xs(1).fold(f64::MIN, f64::max),
        );
        assert!(
            max0 < min1 || max1 < min0,
            "x does not separate the classes"
        );
        let y_range = points
            .iter()
            .map(|p| p.1)
            .fold(0.0, |m: f64, y| m.max(y.abs()));
        assert!(y_range > 10.0, "y is not the spread direction: {y_range}");
    }
}
