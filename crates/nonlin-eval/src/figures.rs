//! The data behind each figure, computed from activations, runs, diagnostics and sweeps.

use crate::diagnose::Diagnostics;
use crate::error::EvalError;
use crate::evaluate::{LoadedRun, predictions};
use crate::plot::{
    ActivationSheet, DecisionBoundary, EpochFractions, LayerProfile, Series, SweepChart,
    TrainingCurves,
};
use burn::module::Module;
use burn::tensor::{Device, Tensor, TensorData};
use nonlin_activations::ActivationConfig;
use nonlin_train::Dataset;
use nonlin_train::sweep::SweepTable;
use std::path::Path;

/// `f` and `f'` of each element-wise activation on [-5, 5], computed by nonlin itself (flex with
/// autodiff), so the kinks show nonlin's PyTorch conventions. Maxout and the GLU family are skipped.
pub fn activation_sheet(
    configs: &[ActivationConfig],
    columns: usize,
) -> Result<ActivationSheet, EvalError> {
    let device = Device::flex().autodiff();
    let xs: Vec<f32> = (0..=400).map(|i| -5.0 + i as f32 * 0.025).collect();
    let mut panels = Vec::new();
    for config in configs.iter().filter(|c| c.width_factor() == 1) {
        let activation = config
            .init(&device)
            .map_err(|e| EvalError::Invalid(e.to_string()))?;
        let x =
            Tensor::<1>::from_data(TensorData::new(xs.clone(), [xs.len()]), &device).require_grad();
        // RReLU is drawn as evaluated (its mean slope), not with one random draw of training
        let y = match &activation {
            nonlin_activations::Activation::RRelu(m) => m.forward_eval(x.clone()),
            other => other.forward(x.clone()),
        };
        let grads = y.clone().sum().backward();
        let read = |t: Tensor<1>| -> Vec<f32> {
            t.into_data()
                .convert::<f32>()
                .try_into_vec()
                .expect("floats")
        };
        let ys = read(y);
        let dys = read(x.grad(&grads).expect("input gradient"));
        let points = |v: &[f32]| {
            xs.iter()
                .zip(v)
                .map(|(&x, &y)| (f64::from(x), f64::from(y)))
                .collect()
        };
        panels.push((config.spec(), points(&ys), points(&dys)));
    }
    Ok(ActivationSheet {
        panels,
        columns: columns.max(1),
    })
}

/// Loss and accuracy curves from a run directory's `metrics.jsonl`.
pub fn training_curves(run_dir: &Path, title: &str) -> Result<TrainingCurves, EvalError> {
    let path = run_dir.join("metrics.jsonl");
    let text = std::fs::read_to_string(&path).map_err(|source| EvalError::Io {
        what: "reading",
        path: path.clone(),
        source,
    })?;
    let mut rows = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let m: nonlin_train::train::EpochMetrics =
            serde_json::from_str(line).map_err(|e| EvalError::Checkpoint {
                path: path.clone(),
                reason: format!("line {}: {e}", i + 1),
            })?;
        rows.push(m);
    }
    let series = |name: &str, f: fn(&nonlin_train::train::EpochMetrics) -> f64| Series {
        name: name.to_string(),
        points: rows.iter().map(|m| (m.epoch as f64, f(m))).collect(),
    };
    Ok(TrainingCurves {
        title: title.to_string(),
        loss: vec![
            series("train", |m| m.train_loss),
            series("validation", |m| m.valid_loss),
        ],
        accuracy: vec![
            series("train", |m| m.train_accuracy),
            series("validation", |m| m.valid_accuracy),
        ],
    })
}

/// The predicted classes of a run's model over the plane, with its test points; `None` unless the
/// samples are 2-D.
pub fn decision_boundary(
    run: &LoadedRun,
    device: &Device,
    title: &str,
) -> Option<DecisionBoundary> {
    let test = &run.splits.test;
    if test.sample_shape != [2] {
        return None;
    }
    let all = run.splits.train.features.iter().chain(&test.features);
    let (xs, ys): (Vec<f64>, Vec<f64>) = all
        .collect::<Vec<_>>()
        .chunks(2)
        .map(|p| (f64::from(*p[0]), f64::from(*p[1])))
        .unzip();
    let pad = |v: &[f64]| {
        let (lo, hi) = v
            .iter()
            .fold((f64::MAX, f64::MIN), |(a, b), &x| (a.min(x), b.max(x)));
        let margin = (hi - lo) * 0.05;
        (lo - margin, hi + margin)
    };
    let ((x0, x1), (y0, y1)) = (pad(&xs), pad(&ys));
    let resolution = 150;
    let mut features = Vec::with_capacity(resolution * resolution * 2);
    for j in 0..resolution {
        for i in 0..resolution {
            features.push((x0 + (i as f64 + 0.5) * (x1 - x0) / resolution as f64) as f32);
            features.push((y0 + (j as f64 + 0.5) * (y1 - y0) / resolution as f64) as f32);
        }
    }
    let grid_set = Dataset::new(
        "grid",
        features,
        vec![0; resolution * resolution],
        vec![2],
        test.num_classes,
    )
    .ok()?;
    let grid = predictions(&run.model.valid(), &grid_set, device);
    let points = (0..test.len())
        .map(|i| {
            (
                f64::from(test.sample(i)[0]),
                f64::from(test.sample(i)[1]),
                test.labels[i] as usize,
            )
        })
        .collect();
    Some(DecisionBoundary {
        title: title.to_string(),
        extent: ((x0, x1), (y0, y1)),
        resolution,
        grid,
        points,
    })
}

/// ‖∂L/∂W‖ per layer for several labelled diagnostics.
pub fn gradient_profile(title: &str, diagnostics: &[(String, Diagnostics)]) -> LayerProfile {
    LayerProfile {
        title: title.to_string(),
        y_label: "‖∂L/∂W‖ (log scale)".into(),
        series: diagnostics
            .iter()
            .map(|(name, d)| Series {
                name: name.clone(),
                points: d
                    .layers
                    .iter()
                    .map(|l| (l.layer as f64, l.weight_grad_norm))
                    .collect(),
            })
            .collect(),
    }
}

/// Mean dead-unit and saturation fractions over the layers, per epoch, for several models.
pub fn epoch_fractions(
    title: &str,
    runs: &[(String, Vec<(usize, Diagnostics)>)],
) -> EpochFractions {
    let mut series = Vec::new();
    for (name, epochs) in runs {
        let mean =
            |d: &Diagnostics, f: &dyn Fn(&crate::diagnose::LayerDiagnostics) -> Option<f64>| {
                let values: Vec<f64> = d.layers.iter().filter_map(f).collect();
                (!values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64)
            };
        series.push(Series {
            name: format!("{name}: dead"),
            points: epochs
                .iter()
                .filter_map(|(e, d)| mean(d, &|l| Some(l.dead_fraction)).map(|v| (*e as f64, v)))
                .collect(),
        });
        series.push(Series {
            name: format!("{name}: saturated"),
            points: epochs
                .iter()
                .filter_map(|(e, d)| mean(d, &|l| l.saturated_fraction).map(|v| (*e as f64, v)))
                .collect(),
        });
    }
    EpochFractions {
        title: title.to_string(),
        series,
    }
}

/// One chart per (data set, model) group of a sweep table: the first group, or the one named.
pub fn sweep_charts(table: &SweepTable) -> Vec<SweepChart> {
    let mut charts: Vec<SweepChart> = Vec::new();
    for row in &table.rows {
        let title = format!("{} — {}", row.dataset, row.model);
        let bar = (
            row.activation.clone(),
            row.test_accuracy_mean,
            row.test_accuracy_std,
        );
        match charts.iter_mut().find(|c| c.title == title) {
            Some(chart) => chart.bars.push(bar),
            None => charts.push(SweepChart {
                title,
                bars: vec![bar],
            }),
        }
    }
    charts
}
