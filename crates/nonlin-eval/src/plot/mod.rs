//! Figures, as PNG or SVG (by the file's extension), drawn with plotters and an embedded DejaVu
//! Sans font (no system fonts needed):
//!
//! - [`ActivationSheet`]: activations and their derivatives (a catalog sheet, or one activation);
//! - [`TrainingCurves`]: loss and accuracy per epoch of a run;
//! - [`DecisionBoundary`]: a 2-D model's predicted classes with the test points;
//! - [`LayerProfile`]: a per-layer quantity (gradient norms) for several models, log scale;
//! - [`EpochFractions`]: dead-unit and saturation fractions over epochs;
//! - [`SweepChart`]: a sweep's mean test accuracy ± std per activation;
//! - [`Scatter`] and [`Lines`]: points by class and curves, filled by the caller.
//!
//! One file per figure holds its data (computed from activations, runs, diagnostics and sweeps)
//! and its drawing; `panels.rs` holds what the drawings share (palette, bounds, line panels).

use crate::error::EvalError;
use plotters::coord::Shift;
use plotters::prelude::*;
use std::path::Path;
use std::sync::OnceLock;

mod activations;
mod boundary;
mod generic;
mod gradients;
mod panels;
mod sweep;
mod training;

pub use activations::{ActivationPanel, ActivationSheet, activation_sheet};
pub use boundary::{DecisionBoundary, decision_boundary};
pub use generic::{Lines, Scatter};
pub use gradients::{EpochFractions, LayerProfile, epoch_fractions, gradient_profile};
pub use panels::Series;
pub use sweep::{SweepChart, sweep_charts, validation_curves};
pub use training::{TrainingCurves, training_curves};

const FONT: &[u8] = include_bytes!("../../assets/DejaVuSans.ttf");
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

pub(super) fn color(i: usize) -> RGBColor {
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
