//! Activations and their derivatives: a catalog sheet, or one activation.

use super::Figure;
use super::panels::*;
use crate::error::EvalError;
use burn::tensor::{Device, Tensor, TensorData};
use nonlin_activations::ActivationConfig;
use plotters::coord::Shift;
use plotters::prelude::*;

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

/// One activation's curves: its spec, `f` and `f'` as `(x, y)` points.
pub type ActivationPanel = (String, Vec<(f64, f64)>, Vec<(f64, f64)>);

/// Activations `f` and `f'` on a grid, one panel each.
#[derive(Debug, Clone)]
pub struct ActivationSheet {
    /// One panel per activation.
    pub panels: Vec<ActivationPanel>,
    /// Panels per row.
    pub columns: usize,
}

impl Figure for ActivationSheet {
    fn size(&self) -> (u32, u32) {
        let rows = self.panels.len().div_ceil(self.columns).max(1) as u32;
        (self.columns as u32 * 320, rows * 260)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        let rows = self.panels.len().div_ceil(self.columns).max(1);
        let areas = root.split_evenly((rows, self.columns));
        for ((name, f, df), area) in self.panels.iter().zip(areas.iter()) {
            let series = [
                Series {
                    name: "f(x)".into(),
                    points: f.clone(),
                },
                Series {
                    name: "f'(x)".into(),
                    points: df.clone(),
                },
            ];
            line_panel(
                area,
                name,
                ("x", ""),
                &series,
                (12, SeriesLabelPosition::UpperLeft),
            )?;
        }
        Ok(())
    }
}
