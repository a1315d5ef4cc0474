//! Loss and accuracy per epoch of a run.

use super::Figure;
use super::panels::*;
use crate::error::EvalError;
use plotters::coord::Shift;
use plotters::prelude::*;
use std::path::Path;

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

/// Loss and accuracy per epoch.
#[derive(Debug, Clone)]
pub struct TrainingCurves {
    /// Title.
    pub title: String,
    /// Loss curves (train, valid).
    pub loss: Vec<Series>,
    /// Accuracy curves (train, valid).
    pub accuracy: Vec<Series>,
}

impl Figure for TrainingCurves {
    fn size(&self) -> (u32, u32) {
        (1100, 420)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        let (left, right) = root.split_horizontally(550);
        line_panel(
            &left,
            &format!("{}: loss", self.title),
            ("epoch", "cross-entropy"),
            &self.loss,
            (14, SeriesLabelPosition::UpperRight),
        )?;
        line_panel(
            &right,
            &format!("{}: accuracy", self.title),
            ("epoch", "accuracy"),
            &self.accuracy,
            (14, SeriesLabelPosition::LowerRight),
        )
    }
}
