//! What the drawings share: named series, their bounds, tick labels, the chart frame, labelled
//! lines, the legend and a line panel.

use super::color;
use plotters::coord::Shift;
use plotters::coord::ranged1d::{AsRangedCoord, Ranged};
use plotters::prelude::*;

/// A named curve.
#[derive(Debug, Clone)]
pub struct Series {
    /// Legend label.
    pub name: String,
    /// Points in drawing order.
    pub points: Vec<(f64, f64)>,
}

pub(super) fn bounds(series: &[Series], pad: f64) -> ((f64, f64), (f64, f64)) {
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
pub(super) fn tick(v: &f64) -> String {
    if v.fract() == 0.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.1}")
    }
}

/// A 2-D chart drawn into `DB`, with the axes `X` and `Y` were given as.
pub(super) type Chart<'a, DB, X, Y> = ChartContext<
    'a,
    DB,
    Cartesian2d<<X as AsRangedCoord>::CoordDescType, <Y as AsRangedCoord>::CoordDescType>,
>;

/// A chart with its caption (`font` points), a `margin` and label areas for the axes: how every
/// figure starts.
pub(super) fn titled_chart<'a, DB: DrawingBackend, X: AsRangedCoord, Y: AsRangedCoord>(
    area: &'a DrawingArea<DB, Shift>,
    title: &str,
    (font, margin): (u32, u32),
    (x_labels, y_labels): (u32, u32),
    (x, y): (X, Y),
) -> Result<Chart<'a, DB, X, Y>, String> {
    ChartBuilder::on(area)
        .caption(title, ("sans-serif", font))
        .margin(margin)
        .x_label_area_size(x_labels)
        .y_label_area_size(y_labels)
        .build_cartesian_2d(x, y)
        .map_err(|e| e.to_string())
}

/// Draws `points` as series `i`'s line (its palette colour, 2 px) with a legend entry `name`.
pub(super) fn labelled_line<'a, DB, X, Y>(
    chart: &mut ChartContext<'a, DB, Cartesian2d<X, Y>>,
    i: usize,
    name: &str,
    points: impl IntoIterator<Item = (f64, f64)>,
) -> Result<(), String>
where
    DB: DrawingBackend + 'a,
    X: Ranged<ValueType = f64>,
    Y: Ranged<ValueType = f64>,
{
    let c = color(i);
    chart
        .draw_series(LineSeries::new(points, c.stroke_width(2)))
        .map_err(|e| e.to_string())?
        .label(name)
        .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], c.stroke_width(2)));
    Ok(())
}

/// `(x, y, class)` points as dots in their class's colour.
pub(super) fn class_points<'a, DB: DrawingBackend + 'a, X, Y>(
    chart: &mut ChartContext<'a, DB, Cartesian2d<X, Y>>,
    points: &[(f64, f64, usize)],
) -> Result<(), String>
where
    X: Ranged<ValueType = f64>,
    Y: Ranged<ValueType = f64>,
{
    chart
        .draw_series(
            points
                .iter()
                .map(|&(x, y, class)| Circle::new((x, y), 3, color(class).filled())),
        )
        .map_err(|e| e.to_string())?;
    Ok(())
}

/// The legend of the labelled series, on a translucent white box, at `position`.
pub(super) fn legend<'a, DB: DrawingBackend + 'a, X: Ranged, Y: Ranged>(
    chart: &mut ChartContext<'a, DB, Cartesian2d<X, Y>>,
    font: u32,
    position: SeriesLabelPosition,
) -> Result<(), String> {
    chart
        .configure_series_labels()
        .label_font(("sans-serif", font))
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .position(position)
        .draw()
        .map_err(|e| e.to_string())
}

pub(super) fn line_panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    title: &str,
    (x_label, y_label): (&str, &str),
    series: &[Series],
    (font, position): (u32, SeriesLabelPosition),
) -> Result<(), String> {
    let ((x0, x1), (y0, y1)) = bounds(series, 0.05);
    let mut chart = titled_chart(
        area,
        title,
        (font + 4, 8),
        (font * 2 + 8, font * 3 + 12),
        (x0..x1, y0..y1),
    )?;
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
        let finite = s
            .points
            .iter()
            .copied()
            .filter(|(x, y)| x.is_finite() && y.is_finite());
        labelled_line(&mut chart, i, &s.name, finite)?;
    }
    legend(&mut chart, font, position)
}
