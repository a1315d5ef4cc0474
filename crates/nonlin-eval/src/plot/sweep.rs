//! A sweep's mean test accuracy ± std per activation (a language model's validation loss), and
//! the mean validation curve of each activation over its seeds.

use super::panels::{Series, titled_chart};
use super::{Figure, Lines, color};
use crate::error::EvalError;
use nonlin_train::ExperimentConfig;
use nonlin_train::sweep::SweepTable;
use nonlin_train::train::EpochMetrics;
use plotters::coord::Shift;
use plotters::prelude::*;
use std::collections::BTreeMap;
use std::path::Path;

/// One chart per (data set, model) group of a sweep table: test accuracy, or for language models
/// the loss per character on the validation part.
pub fn sweep_charts(table: &SweepTable) -> Vec<SweepChart> {
    let mut charts: Vec<SweepChart> = Vec::new();
    for row in &table.rows {
        let title = format!("{} — {}", row.dataset, row.model);
        let loss = row.bits_per_char_mean.is_some();
        let bar = if loss {
            (
                row.activation.clone(),
                row.test_loss_mean,
                row.test_loss_std,
            )
        } else {
            (
                row.activation.clone(),
                row.test_accuracy_mean,
                row.test_accuracy_std,
            )
        };
        match charts.iter_mut().find(|c| c.title == title) {
            Some(chart) => chart.bars.push(bar),
            None => charts.push(SweepChart {
                title,
                y_label: if loss {
                    "validation loss, nats/char (mean ± std over seeds)"
                } else {
                    "test accuracy (mean ± std over seeds)"
                }
                .into(),
                lower_is_better: loss,
                bars: vec![bar],
            }),
        }
    }
    charts
}

/// The mean validation loss of each activation over its seeds, per step (per epoch for
/// classifiers), one figure per (data set, model kind): from the finished runs under
/// `sweep_dir/runs/`, averaged over the epochs every seed has.
pub fn validation_curves(sweep_dir: &Path) -> Result<Vec<Lines>, EvalError> {
    // (data set, model kind) → activation → one (step, validation loss) curve per seed
    type Curves = BTreeMap<String, Vec<Vec<(f64, f64)>>>;
    let mut groups: BTreeMap<(String, String), Curves> = BTreeMap::new();
    let runs = sweep_dir.join("runs");
    let entries = std::fs::read_dir(&runs).map_err(|source| EvalError::Io {
        what: "listing",
        path: runs.clone(),
        source,
    })?;
    let mut dirs: Vec<_> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    dirs.sort();
    for dir in dirs {
        if !dir.join(nonlin_train::run_dir::SUMMARY).is_file() {
            continue; // not finished: the table lists it as missing
        }
        let config = ExperimentConfig::load(&dir.join(nonlin_train::run_dir::CONFIG))?;
        let per_epoch = match config.model.kind {
            nonlin_train::ModelKind::Transformer => config.training.steps_per_epoch() as f64,
            _ => 1.0,
        };
        let path = dir.join("metrics.jsonl");
        let text = std::fs::read_to_string(&path).map_err(|source| EvalError::Io {
            what: "reading",
            path: path.clone(),
            source,
        })?;
        let mut curve = Vec::new();
        for (i, line) in text.lines().enumerate() {
            let m: EpochMetrics =
                serde_json::from_str(line).map_err(|e| EvalError::Checkpoint {
                    path: path.clone(),
                    reason: format!("line {}: {e}", i + 1),
                })?;
            curve.push((m.epoch as f64 * per_epoch, m.valid_loss));
        }
        let key = (
            config.data.dataset.to_string(),
            serde_json::to_value(config.model.kind)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default(),
        );
        groups
            .entry(key)
            .or_default()
            .entry(config.model.activation.spec())
            .or_default()
            .push(curve);
    }
    Ok(groups
        .into_iter()
        .map(|((dataset, model), by_activation)| {
            let steps = by_activation
                .values()
                .flatten()
                .any(|c| c.first().is_some_and(|p| p.0 > 1.0));
            Lines {
                title: format!("{dataset} — {model}: validation loss, mean over seeds"),
                axes: (
                    if steps { "step" } else { "epoch" }.to_string(),
                    "validation loss".to_string(),
                ),
                series: by_activation
                    .into_iter()
                    .map(|(activation, curves)| {
                        let n = curves.iter().map(Vec::len).min().unwrap_or(0);
                        let points = (0..n)
                            .map(|i| {
                                let mean = curves.iter().map(|c| c[i].1).sum::<f64>()
                                    / curves.len() as f64;
                                (curves[0][i].0, mean)
                            })
                            .collect();
                        Series {
                            name: format!("{activation} ({} seeds)", curves.len()),
                            points,
                        }
                    })
                    .collect(),
            }
        })
        .collect())
}

/// Mean ± std per row of a sweep: test accuracy, or a language model's validation loss.
#[derive(Debug, Clone)]
pub struct SweepChart {
    /// Title.
    pub title: String,
    /// What the bars measure.
    pub y_label: String,
    /// Whether the bars are losses (the axis then spans their range, not up to 1).
    pub lower_is_better: bool,
    /// `(label, mean, std)` per bar.
    pub bars: Vec<(String, f64, f64)>,
}

impl SweepChart {
    /// The value axis: from just under the lowest bar to 1 for accuracies, to just over the
    /// highest for losses.
    fn range(&self) -> (f64, f64) {
        if self.lower_is_better {
            let lo = self.bars.iter().map(|b| b.1 - b.2).fold(f64::MAX, f64::min);
            let hi = self.bars.iter().map(|b| b.1 + b.2).fold(f64::MIN, f64::max);
            let pad = ((hi - lo) * 0.2).max(0.01);
            ((lo - pad).max(0.0), hi + pad)
        } else {
            let lo = self.bars.iter().map(|b| b.1 - b.2).fold(1.0, f64::min);
            (((lo - 0.05).max(0.0) * 20.0).floor() / 20.0, 1.0)
        }
    }
}

impl Figure for SweepChart {
    fn size(&self) -> (u32, u32) {
        (140 + 110 * self.bars.len().max(1) as u32, 520)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        let (lo, hi) = self.range();
        let n = self.bars.len().max(1);
        // a segmented range 0..k has k + 1 segments
        let mut chart = titled_chart(
            root,
            &self.title,
            (18, 10),
            (90, 60),
            ((0..n - 1).into_segmented(), lo..hi),
        )?;
        let labels: Vec<String> = self.bars.iter().map(|b| b.0.clone()).collect();
        chart
            .configure_mesh()
            .disable_x_mesh()
            .y_desc(self.y_label.as_str())
            .x_labels(n)
            .x_label_formatter(&|v| match v {
                SegmentValue::CenterOf(i) => labels.get(*i).cloned().unwrap_or_default(),
                _ => String::new(),
            })
            .label_style(("sans-serif", 12))
            .axis_desc_style(("sans-serif", 14))
            .draw()
            .map_err(|e| e.to_string())?;
        chart
            .draw_series(self.bars.iter().enumerate().map(|(i, (_, mean, _))| {
                let mut bar = Rectangle::new(
                    [
                        (SegmentValue::Exact(i), lo),
                        (SegmentValue::Exact(i + 1), *mean),
                    ],
                    color(i).mix(0.7).filled(),
                );
                bar.set_margin(0, 0, 12, 12);
                bar
            }))
            .map_err(|e| e.to_string())?;
        // error bars: a vertical line from mean − std to mean + std
        for (i, (_, mean, std)) in self.bars.iter().enumerate() {
            let (low, high) = ((mean - std).max(lo), (mean + std).min(hi));
            let centre = SegmentValue::CenterOf(i);
            chart
                .draw_series(std::iter::once(PathElement::new(
                    vec![(centre.clone(), low), (centre, high)],
                    BLACK.stroke_width(2),
                )))
                .map_err(|e| e.to_string())?;
        }
        Ok(())
    }
}
