//! Per-layer gradient norms, and dead-unit and saturation fractions over epochs.

use super::panels::*;
use super::{Figure, color};
use crate::diagnose::Diagnostics;
use plotters::coord::Shift;
use plotters::prelude::*;

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

/// A per-layer quantity for several models (e.g. ‖∂L/∂W‖), log scale.
#[derive(Debug, Clone)]
pub struct LayerProfile {
    /// Title.
    pub title: String,
    /// Y-axis label.
    pub y_label: String,
    /// One series per model: `(layer, value)`.
    pub series: Vec<Series>,
}

impl Figure for LayerProfile {
    fn size(&self) -> (u32, u32) {
        (900, 520)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        // zeros (gradients that underflowed float32) are drawn at the bottom edge
        let positive = self
            .series
            .iter()
            .flat_map(|s| s.points.iter().map(|p| p.1))
            .filter(|v| *v > 0.0);
        let (lo, hi) = positive.fold((f64::MAX, f64::MIN), |(a, b), v| (a.min(v), b.max(v)));
        let (lo, hi) = if lo > hi {
            (1e-12, 1.0)
        } else {
            (lo / 10.0, hi * 10.0)
        };
        let layers = self
            .series
            .iter()
            .flat_map(|s| s.points.iter().map(|p| p.0))
            .fold(1.0, f64::max);
        let mut chart = titled_chart(
            root,
            &self.title,
            (16, 10),
            (40, 80),
            (1.0..layers.max(2.0), (lo..hi).log_scale()),
        )?;
        chart
            .configure_mesh()
            .x_desc("layer (1 = input side)")
            .y_desc(self.y_label.as_str())
            .x_label_formatter(&|v| format!("{v:.0}"))
            .y_label_formatter(&|v| format!("{v:.0e}"))
            .label_style(("sans-serif", 14))
            .axis_desc_style(("sans-serif", 14))
            .draw()
            .map_err(|e| e.to_string())?;
        for (i, s) in self.series.iter().enumerate() {
            let points: Vec<(f64, f64)> = s
                .points
                .iter()
                .map(|&(x, y)| (x, if y > 0.0 { y } else { lo }))
                .collect();
            labelled_line(&mut chart, i, &s.name, points.clone())?;
            chart
                .draw_series(
                    points
                        .into_iter()
                        .map(|p| Circle::new(p, 3, color(i).filled())),
                )
                .map_err(|e| e.to_string())?;
        }
        legend(&mut chart, 14, SeriesLabelPosition::LowerRight)
    }
}

/// Dead-unit and saturation fractions per epoch.
#[derive(Debug, Clone)]
pub struct EpochFractions {
    /// Title.
    pub title: String,
    /// Series of `(epoch, fraction)`.
    pub series: Vec<Series>,
}

impl Figure for EpochFractions {
    fn size(&self) -> (u32, u32) {
        (900, 480)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        let epochs = self
            .series
            .iter()
            .flat_map(|s| s.points.iter().map(|p| p.0))
            .fold(1.0, f64::max);
        let mut chart = titled_chart(
            root,
            &self.title,
            (20, 10),
            (40, 60),
            (0.0..epochs, 0.0..1.0),
        )?;
        chart
            .configure_mesh()
            .x_desc("epoch (0 = initialisation)")
            .x_label_formatter(&|v| format!("{v:.0}"))
            .y_desc("fraction")
            .label_style(("sans-serif", 14))
            .axis_desc_style(("sans-serif", 14))
            .draw()
            .map_err(|e| e.to_string())?;
        for (i, s) in self.series.iter().enumerate() {
            labelled_line(&mut chart, i, &s.name, s.points.iter().copied())?;
        }
        legend(&mut chart, 14, SeriesLabelPosition::MiddleRight)
    }
}
