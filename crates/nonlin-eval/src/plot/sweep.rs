//! A sweep's mean test accuracy ± std per activation.

use super::panels::titled_chart;
use super::{Figure, color};
use nonlin_train::sweep::SweepTable;
use plotters::coord::Shift;
use plotters::prelude::*;

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

/// Mean test accuracy ± std per row of a sweep.
#[derive(Debug, Clone)]
pub struct SweepChart {
    /// Title.
    pub title: String,
    /// `(label, mean, std)` per bar.
    pub bars: Vec<(String, f64, f64)>,
}

impl Figure for SweepChart {
    fn size(&self) -> (u32, u32) {
        (140 + 110 * self.bars.len().max(1) as u32, 520)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        let lo = self.bars.iter().map(|b| b.1 - b.2).fold(1.0, f64::min);
        let lo = ((lo - 0.05).max(0.0) * 20.0).floor() / 20.0;
        let n = self.bars.len().max(1);
        // a segmented range 0..k has k + 1 segments
        let mut chart = titled_chart(
            root,
            &self.title,
            (18, 10),
            (90, 60),
            ((0..n - 1).into_segmented(), lo..1.0),
        )?;
        let labels: Vec<String> = self.bars.iter().map(|b| b.0.clone()).collect();
        chart
            .configure_mesh()
            .disable_x_mesh()
            .y_desc("test accuracy (mean ± std over seeds)")
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
            let (low, high) = ((mean - std).max(lo), (mean + std).min(1.0));
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
