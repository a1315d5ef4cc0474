//! Figures the caller fills: points coloured by class, and curves on linear axes.

use super::Figure;
use super::panels::*;
use plotters::coord::Shift;
use plotters::prelude::*;

/// Points coloured by class.
#[derive(Debug, Clone)]
pub struct Scatter {
    /// Title.
    pub title: String,
    /// Axis labels.
    pub axes: (String, String),
    /// `(x, y, class)`.
    pub points: Vec<(f64, f64, usize)>,
}

impl Figure for Scatter {
    fn size(&self) -> (u32, u32) {
        (640, 600)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        let series: Vec<Series> = vec![Series {
            name: String::new(),
            points: self.points.iter().map(|p| (p.0, p.1)).collect(),
        }];
        let ((x0, x1), (y0, y1)) = bounds(&series, 0.05);
        let mut chart = titled_chart(root, &self.title, (18, 10), (40, 60), (x0..x1, y0..y1))?;
        chart
            .configure_mesh()
            .x_desc(self.axes.0.as_str())
            .y_desc(self.axes.1.as_str())
            .label_style(("sans-serif", 14))
            .draw()
            .map_err(|e| e.to_string())?;
        class_points(&mut chart, &self.points)
    }
}

/// Curves on linear axes.
#[derive(Debug, Clone)]
pub struct Lines {
    /// Title.
    pub title: String,
    /// Axis labels.
    pub axes: (String, String),
    /// The curves.
    pub series: Vec<Series>,
}

impl Figure for Lines {
    fn size(&self) -> (u32, u32) {
        (900, 480)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        line_panel(
            root,
            &self.title,
            (&self.axes.0, &self.axes.1),
            &self.series,
            (14, SeriesLabelPosition::UpperRight),
        )
    }
}
