//! A 2-D model's predicted classes over the plane, with its test points.

use super::panels::{class_points, titled_chart};
use super::{Figure, color};
use crate::evaluate::{LoadedRun, predictions};
use burn::module::Module;
use burn::tensor::Device;
use nonlin_train::Dataset;
use plotters::coord::Shift;
use plotters::prelude::*;

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

/// A 2-D classifier's regions and the test points.
#[derive(Debug, Clone)]
pub struct DecisionBoundary {
    /// Title.
    pub title: String,
    /// `(x0, x1)` and `(y0, y1)` of the grid.
    pub extent: ((f64, f64), (f64, f64)),
    /// Grid resolution per side.
    pub resolution: usize,
    /// Predicted class per grid cell, row-major from (x0, y0).
    pub grid: Vec<usize>,
    /// `(x, y, class)` of the points to show.
    pub points: Vec<(f64, f64, usize)>,
}

impl Figure for DecisionBoundary {
    fn size(&self) -> (u32, u32) {
        (700, 640)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        let ((x0, x1), (y0, y1)) = self.extent;
        let n = self.resolution;
        let (dx, dy) = ((x1 - x0) / n as f64, (y1 - y0) / n as f64);
        let mut chart = titled_chart(root, &self.title, (18, 10), (40, 50), (x0..x1, y0..y1))?;
        chart
            .configure_mesh()
            .x_desc("x₁ (scaled)")
            .y_desc("x₂ (scaled)")
            .label_style(("sans-serif", 14))
            .draw()
            .map_err(|e| e.to_string())?;
        chart
            .draw_series(self.grid.iter().enumerate().map(|(k, &class)| {
                let (i, j) = (k % n, k / n);
                let (x, y) = (x0 + i as f64 * dx, y0 + j as f64 * dy);
                Rectangle::new([(x, y), (x + dx, y + dy)], color(class).mix(0.25).filled())
            }))
            .map_err(|e| e.to_string())?;
        class_points(&mut chart, &self.points)
    }
}
