//! Figures, as PNG or SVG (by the file's extension), drawn with plotters and an embedded DejaVu
//! Sans font (no system fonts needed):
//!
//! - [`ActivationSheet`]: activations and their derivatives (a catalog sheet, or one activation);
//! - [`TrainingCurves`]: loss and accuracy per epoch of a run;
//! - [`DecisionBoundary`]: a 2-D model's predicted classes with the test points;
//! - [`LayerProfile`]: a per-layer quantity (gradient norms) for several models, log scale;
//! - [`EpochFractions`]: dead-unit and saturation fractions over epochs;
//! - [`SweepChart`]: a sweep's mean test accuracy ± std per activation.

use crate::error::EvalError;
use plotters::coord::Shift;
use plotters::prelude::*;
use std::path::Path;
use std::sync::OnceLock;

const FONT: &[u8] = include_bytes!("../assets/DejaVuSans.ttf");
const PALETTE: [RGBColor; 8] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
];

fn color(i: usize) -> RGBColor {
    PALETTE[i % PALETTE.len()]
}

/// Something drawable into any plotters backend.
pub trait Figure {
    /// Pixel size.
    fn size(&self) -> (u32, u32);
    /// Draws into `root`.
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String>;
}

/// Makes the embedded font plotters' "sans-serif", once.
fn register_font() {
    static REGISTERED: OnceLock<()> = OnceLock::new();
    REGISTERED.get_or_init(|| {
        if plotters::style::register_font("sans-serif", FontStyle::Normal, FONT).is_err() {
            panic!("the embedded DejaVu Sans font is not a valid TrueType font");
        }
    });
}

/// Renders `figure` to `path`: PNG for `.png`, SVG for `.svg`, drawn in memory and written
/// atomically (a temporary file with a random name beside `path`, then a rename).
pub fn save(figure: &impl Figure, path: &Path) -> Result<(), EvalError> {
    let fail = |reason: String| EvalError::Invalid(format!("drawing {}: {reason}", path.display()));
    let extension = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or_default()
        .to_ascii_lowercase();
    let bytes = match extension.as_str() {
        "png" => png_bytes(figure)?,
        "svg" => svg_string(figure)?.into_bytes(),
        other => {
            return Err(fail(format!(
                "unknown image format `{other}`; use .png or .svg"
            )));
        }
    };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|source| EvalError::Io {
            what: "creating directory",
            path: dir.to_path_buf(),
            source,
        })?;
    }
    nonlin_train::fs::write_atomic(path, &bytes)?;
    Ok(())
}

/// Renders `figure` to PNG bytes in memory.
pub fn png_bytes(figure: &impl Figure) -> Result<Vec<u8>, EvalError> {
    register_font();
    let fail = |reason: String| EvalError::Invalid(format!("drawing a figure: {reason}"));
    let (width, height) = figure.size();
    let mut rgb = vec![0u8; width as usize * height as usize * 3];
    {
        let root = BitMapBackend::with_buffer(&mut rgb, (width, height)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| fail(e.to_string()))?;
        figure.draw(&root).map_err(fail)?;
        root.present().map_err(|e| fail(e.to_string()))?;
    }
    let mut out = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut out, width, height);
        encoder.set_color(png::ColorType::Rgb);
        encoder.set_depth(png::BitDepth::Eight);
        let mut writer = encoder.write_header().map_err(|e| fail(e.to_string()))?;
        writer
            .write_image_data(&rgb)
            .map_err(|e| fail(e.to_string()))?;
    }
    Ok(out)
}

/// Renders `figure` to an SVG string (for reports that inline their figures).
pub fn svg_string(figure: &impl Figure) -> Result<String, EvalError> {
    register_font();
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, figure.size()).into_drawing_area();
        root.fill(&WHITE)
            .map_err(|e| EvalError::Invalid(e.to_string()))?;
        figure.draw(&root).map_err(EvalError::Invalid)?;
        root.present()
            .map_err(|e| EvalError::Invalid(e.to_string()))?;
    }
    Ok(svg)
}

/// A named curve.
#[derive(Debug, Clone)]
pub struct Series {
    /// Legend label.
    pub name: String,
    /// Points in drawing order.
    pub points: Vec<(f64, f64)>,
}

fn bounds(series: &[Series], pad: f64) -> ((f64, f64), (f64, f64)) {
    let finite = series
        .iter()
        .flat_map(|s| s.points.iter())
        .filter(|(x, y)| x.is_finite() && y.is_finite());
    let (mut x0, mut x1, mut y0, mut y1) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
    for &(x, y) in finite {
        x0 = x0.min(x);
        x1 = x1.max(x);
        y0 = y0.min(y);
        y1 = y1.max(y);
    }
    if x0 > x1 {
        return ((0.0, 1.0), (0.0, 1.0));
    }
    let dy = (y1 - y0).max(1e-9) * pad;
    ((x0, x1.max(x0 + 1e-9)), (y0 - dy, y1 + dy))
}

/// A tick label without a trailing `.0` for whole numbers.
fn tick(v: &f64) -> String {
    if v.fract() == 0.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.1}")
    }
}

fn line_panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    title: &str,
    (x_label, y_label): (&str, &str),
    series: &[Series],
    (font, legend): (u32, SeriesLabelPosition),
) -> Result<(), String> {
    let ((x0, x1), (y0, y1)) = bounds(series, 0.05);
    let mut chart = ChartBuilder::on(area)
        .caption(title, ("sans-serif", font + 4))
        .margin(8)
        .x_label_area_size(font * 2 + 8)
        .y_label_area_size(font * 3 + 12)
        .build_cartesian_2d(x0..x1, y0..y1)
        .map_err(|e| e.to_string())?;
    chart
        .configure_mesh()
        .x_desc(x_label)
        .y_desc(y_label)
        .x_label_formatter(&tick)
        .label_style(("sans-serif", font))
        .axis_desc_style(("sans-serif", font))
        .draw()
        .map_err(|e| e.to_string())?;
    for (i, s) in series.iter().enumerate() {
        let c = color(i);
        chart
            .draw_series(LineSeries::new(
                s.points
                    .iter()
                    .copied()
                    .filter(|(x, y)| x.is_finite() && y.is_finite()),
                c.stroke_width(2),
            ))
            .map_err(|e| e.to_string())?
            .label(s.name.clone())
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], c.stroke_width(2)));
    }
    chart
        .configure_series_labels()
        .label_font(("sans-serif", font))
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .position(legend)
        .draw()
        .map_err(|e| e.to_string())
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
        let mut chart = ChartBuilder::on(root)
            .caption(self.title.as_str(), ("sans-serif", 16))
            .margin(10)
            .x_label_area_size(40)
            .y_label_area_size(80)
            .build_cartesian_2d(1.0..layers.max(2.0), (lo..hi).log_scale())
            .map_err(|e| e.to_string())?;
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
            let c = color(i);
            let points: Vec<(f64, f64)> = s
                .points
                .iter()
                .map(|&(x, y)| (x, if y > 0.0 { y } else { lo }))
                .collect();
            chart
                .draw_series(LineSeries::new(points.clone(), c.stroke_width(2)))
                .map_err(|e| e.to_string())?
                .label(s.name.clone())
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 18, y)], c.stroke_width(2))
                });
            chart
                .draw_series(points.into_iter().map(|p| Circle::new(p, 3, c.filled())))
                .map_err(|e| e.to_string())?;
        }
        chart
            .configure_series_labels()
            .label_font(("sans-serif", 14))
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .position(SeriesLabelPosition::LowerRight)
            .draw()
            .map_err(|e| e.to_string())
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
        let mut series = self.series.clone();
        // pin the axis to [0, 1]
        series.push(Series {
            name: String::new(),
            points: vec![],
        });
        let epochs = series
            .iter()
            .flat_map(|s| s.points.iter().map(|p| p.0))
            .fold(1.0, f64::max);
        let mut chart = ChartBuilder::on(root)
            .caption(self.title.as_str(), ("sans-serif", 20))
            .margin(10)
            .x_label_area_size(40)
            .y_label_area_size(60)
            .build_cartesian_2d(0.0..epochs, 0.0..1.0)
            .map_err(|e| e.to_string())?;
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
            let c = color(i);
            chart
                .draw_series(LineSeries::new(s.points.clone(), c.stroke_width(2)))
                .map_err(|e| e.to_string())?
                .label(s.name.clone())
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 18, y)], c.stroke_width(2))
                });
        }
        chart
            .configure_series_labels()
            .label_font(("sans-serif", 14))
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .draw()
            .map_err(|e| e.to_string())
    }
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
        let mut chart = ChartBuilder::on(root)
            .caption(self.title.as_str(), ("sans-serif", 18))
            .margin(10)
            .x_label_area_size(40)
            .y_label_area_size(50)
            .build_cartesian_2d(x0..x1, y0..y1)
            .map_err(|e| e.to_string())?;
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
        chart
            .draw_series(
                self.points
                    .iter()
                    .map(|&(x, y, class)| Circle::new((x, y), 3, color(class).filled())),
            )
            .map_err(|e| e.to_string())?;
        Ok(())
    }
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
        let mut chart = ChartBuilder::on(root)
            .caption(self.title.as_str(), ("sans-serif", 18))
            .margin(10)
            .x_label_area_size(90)
            .y_label_area_size(60)
            // a segmented range 0..k has k + 1 segments
            .build_cartesian_2d((0..n - 1).into_segmented(), lo..1.0)
            .map_err(|e| e.to_string())?;
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
        let mut chart = ChartBuilder::on(root)
            .caption(self.title.as_str(), ("sans-serif", 18))
            .margin(10)
            .x_label_area_size(40)
            .y_label_area_size(60)
            .build_cartesian_2d(x0..x1, y0..y1)
            .map_err(|e| e.to_string())?;
        chart
            .configure_mesh()
            .x_desc(self.axes.0.as_str())
            .y_desc(self.axes.1.as_str())
            .label_style(("sans-serif", 14))
            .draw()
            .map_err(|e| e.to_string())?;
        chart
            .draw_series(
                self.points
                    .iter()
                    .map(|&(x, y, class)| Circle::new((x, y), 3, color(class).filled())),
            )
            .map_err(|e| e.to_string())?;
        Ok(())
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
