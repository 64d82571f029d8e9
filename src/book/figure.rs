//! Figures with one look for the whole book, written as SVG.
//!
//! A [`Figure`] is a grid of [`LineChart`] panels. Log axes are drawn by
//! plotting log₁₀ of the values and labelling the ticks with the original
//! numbers, so one code path serves both scales. Values a log axis cannot show
//! (zero, negative) and values no axis can show (inf, NaN) are left out, and the
//! panel says how many in a visible note: a blow-up is a result, never a panic.
//!
//! Files are written atomically ([`write_atomic`]): a reader who interrupts an
//! example never finds half a figure in the book.

use std::path::Path;

use plotters::coord::Shift;
use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint, Ranged};
use plotters::coord::types::RangedCoordf64;

use crate::book::output::write_atomic;
use plotters::prelude::*;

use crate::nn::train::{EpochStats, per_epoch};
pub use crate::numeric::format_number;
use crate::numeric::math;
use crate::numeric::stats::{Histogram, Spread};

/// The book's palette (Okabe & Ito's colour-blind-safe colours).
pub const PALETTE: [RGBColor; 7] = [
    RGBColor(0, 114, 178),
    RGBColor(213, 94, 0),
    RGBColor(0, 158, 115),
    RGBColor(204, 121, 167),
    RGBColor(230, 159, 0),
    RGBColor(86, 180, 233),
    RGBColor(0, 0, 0),
];

const FONT: &str = "sans-serif";
/// Text sizes, as plotters takes them: it writes 1/1.24 of each into the
/// SVG (17 → 13.7 px). A panel is [`PANEL_SIZE`] wide and is shown at that
/// width in the book's text column (on a phone, the figure scrolls sideways
/// rather than shrink), so a reader sees text of 13.7 px and up.
const TEXT_PX: u32 = 17;
const AXIS_PX: u32 = 18;
const TITLE_PX: u32 = 22;
/// The height of one line of notes under a panel.
const NOTE_PX: i32 = 20;
/// The size of one panel: as wide as the book's text column.
pub const PANEL_SIZE: (u32, u32) = (720, 440);

/// A linear or logarithmic axis.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Scale {
    /// Evenly spaced values.
    #[default]
    Linear,
    /// Evenly spaced powers of ten; only positive finite values are shown.
    Log,
}

impl Scale {
    fn to_axis(self, v: f64) -> Option<f64> {
        let t = match self {
            Scale::Linear => v,
            Scale::Log if v > 0.0 => math::log10(v),
            Scale::Log => return None,
        };
        t.is_finite().then_some(t)
    }

    /// The label of the tick at `t` on an axis `span` long (in axis
    /// coordinates): on a log axis over two decades or more, a power of ten
    /// as 10ⁿ; over fewer, plain numbers (0.5, 1, 2, 5, 10).
    ///
    /// A linear axis writes every tick with the decimals its step needs
    /// (trailing zeros dropped): −0.001, −0.0005, 0, 0.0005, never a mix of
    /// plain and e-notation. Negative ticks take the minus sign (−), as the
    /// text does.
    fn label(self, t: f64, span: f64) -> String {
        let text = match self {
            Scale::Linear => {
                let step = nice_step(span / 6.0);
                if (1e-6..1e6).contains(&step) && t.abs() < 1e6 {
                    let decimals = (-math::log10(step)).ceil().max(0.0) as usize;
                    let fixed = format!("{t:.decimals$}");
                    let trimmed = if fixed.contains('.') {
                        fixed.trim_end_matches('0').trim_end_matches('.')
                    } else {
                        &fixed
                    };
                    if trimmed == "-0" {
                        "0".to_string()
                    } else {
                        trimmed.to_string()
                    }
                } else {
                    format_number(t)
                }
            }
            Scale::Log if span >= 2.0 && (t - t.round()).abs() < 1e-9 => {
                power_of_ten(t.round() as i64)
            }
            Scale::Log => format_number(math::powf(10f64, t)),
        };
        text.replacen('-', "−", 1)
    }

    /// Where the ticks go on an axis from `lo` to `hi` (axis coordinates,
    /// log₁₀ of the values on a log axis): round numbers, 1, 2 or 5 times a
    /// power of ten apart (on a log axis: at powers of ten, every one or every
    /// few, or at 1, 2 and 5 times them when the axis spans less than two).
    fn ticks(self, lo: f64, hi: f64) -> Vec<f64> {
        match self {
            Scale::Log if hi - lo >= 2.0 => {
                let every = nice_step((hi - lo) / 7.0).max(1.0);
                multiples(every, lo, hi)
            }
            Scale::Log => {
                let mut ticks = Vec::new();
                for decade in (lo.floor() as i64)..=(hi.ceil() as i64) {
                    for m in [1.0, 2.0, 5.0] {
                        let t = decade as f64 + math::log10(m);
                        if (lo..=hi).contains(&t) {
                            ticks.push(t);
                        }
                    }
                }
                ticks
            }
            Scale::Linear => multiples(nice_step((hi - lo) / 6.0), lo, hi),
        }
    }
}

/// 10ⁿ written with superscript digits: 10⁻²⁰, 10⁰, 10³.
pub fn power_of_ten(n: i64) -> String {
    const DIGITS: [char; 10] = ['⁰', '¹', '²', '³', '⁴', '⁵', '⁶', '⁷', '⁸', '⁹'];
    let mut text = String::from("10");
    if n < 0 {
        text.push('⁻');
    }
    for d in n.unsigned_abs().to_string().bytes() {
        text.push(DIGITS[(d - b'0') as usize]);
    }
    text
}

/// The smallest of 1, 2 and 5 times a power of ten that is at least `rough`.
fn nice_step(rough: f64) -> f64 {
    if rough.is_nan() || rough <= 0.0 || rough.is_infinite() {
        return 1.0;
    }
    let power = math::powf(10.0, math::log10(rough).floor());
    [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * power)
        .find(|&step| step >= rough * (1.0 - 1e-9))
        .unwrap_or(10.0 * power)
}

/// The multiples of `step` from `lo` to `hi` (snapped to the multiple, so
/// that 0.30000000000000004 labels as 0.3).
fn multiples(step: f64, lo: f64, hi: f64) -> Vec<f64> {
    let first = (lo / step).ceil() as i64;
    let last = (hi / step).floor() as i64;
    (first..=last).map(|k| k as f64 * step).collect()
}

/// How a series is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Marker {
    /// A solid line.
    #[default]
    Line,
    /// A dashed line (for theory and reference curves).
    Dashed,
    /// Dots only (for scatter plots).
    Dots,
    /// A line with a dot at every point.
    LineDots,
    /// Large filled discs only (for a few marked points, such as the cells
    /// of a grid that pass a test).
    Discs,
    /// Large hollow rings only (the cells that fail it: told apart from
    /// [`Marker::Discs`] by shape as well as colour).
    Rings,
}

/// A statistic of training runs (one history per seed), epoch by epoch, as
/// points for [`LineChart::median_and_range`] ([`per_epoch`]).
pub fn by_epoch(histories: &[Vec<EpochStats>], stat: fn(&EpochStats) -> f64) -> Vec<(f64, Spread)> {
    per_epoch(histories, stat)
        .into_iter()
        .map(|(epoch, s)| (epoch as f64, s))
        .collect()
}

/// One named set of points.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// The legend entry.
    pub label: String,
    /// (x, y) pairs, in drawing order.
    pub points: Vec<(f64, f64)>,
    /// How to draw it.
    pub marker: Marker,
    /// A palette index, to give related series one colour (default: the
    /// series' position).
    pub color: Option<usize>,
}

/// A shaded region between two curves sharing x values (a spread, a band).
#[derive(Debug, Clone, PartialEq)]
pub struct Band {
    /// The legend entry.
    pub label: String,
    /// (x, lower, upper) triples.
    pub points: Vec<(f64, f64, f64)>,
    /// A palette index, to give a band its curve's colour (default: the
    /// band's position). An empty label leaves the band out of the legend.
    pub color: Option<usize>,
}

/// One panel: lines, bands, axes, a title and notes.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct LineChart {
    /// Shown above the panel.
    pub title: String,
    /// The x axis description.
    pub x_label: String,
    /// The y axis description.
    pub y_label: String,
    /// The x axis scale.
    pub x_scale: Scale,
    /// The y axis scale.
    pub y_scale: Scale,
    /// The curves, each drawn in the next palette colour.
    pub series: Vec<Series>,
    /// Shaded bands, drawn under the curves in the same colour order.
    pub bands: Vec<Band>,
    /// Fixed y limits (in data units) instead of fitting the data.
    pub y_limits: Option<(f64, f64)>,
    /// Lines of text shown inside the panel, for example what was left out.
    pub notes: Vec<String>,
    /// Where the legend goes.
    pub legend: Legend,
}

/// Where a panel's legend is drawn (pick the corner the data leaves empty).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Legend {
    /// Top left.
    #[default]
    UpperLeft,
    /// Top right.
    UpperRight,
    /// Bottom left.
    LowerLeft,
    /// Bottom right.
    LowerRight,
    /// Right, halfway up.
    MiddleRight,
}

impl LineChart {
    /// An empty panel with a title.
    pub fn new(title: impl Into<String>) -> LineChart {
        LineChart {
            title: title.into(),
            ..LineChart::default()
        }
    }

    /// Sets the axis descriptions.
    pub fn labels(mut self, x: impl Into<String>, y: impl Into<String>) -> LineChart {
        self.x_label = x.into();
        self.y_label = y.into();
        self
    }

    /// Uses a logarithmic y axis.
    pub fn log_y(mut self) -> LineChart {
        self.y_scale = Scale::Log;
        self
    }

    /// Uses a logarithmic x axis.
    pub fn log_x(mut self) -> LineChart {
        self.x_scale = Scale::Log;
        self
    }

    /// Fixes the y limits (data units).
    pub fn y_limits(mut self, lo: f64, hi: f64) -> LineChart {
        self.y_limits = Some((lo, hi));
        self
    }

    /// Adds a series drawn with `marker`.
    pub fn series(
        mut self,
        label: impl Into<String>,
        points: Vec<(f64, f64)>,
        marker: Marker,
    ) -> LineChart {
        self.series.push(Series {
            label: label.into(),
            points,
            marker,
            color: None,
        });
        self
    }

    /// Gives the last series added the palette colour `index`.
    pub fn color(mut self, index: usize) -> LineChart {
        if let Some(s) = self.series.last_mut() {
            s.color = Some(index);
        }
        self
    }

    /// Adds a solid line.
    pub fn line(self, label: impl Into<String>, points: Vec<(f64, f64)>) -> LineChart {
        self.series(label, points, Marker::Line)
    }

    /// Adds a shaded band.
    pub fn band(mut self, label: impl Into<String>, points: Vec<(f64, f64, f64)>) -> LineChart {
        self.bands.push(Band {
            label: label.into(),
            points,
            color: None,
        });
        self
    }

    /// Adds a shaded band in palette colour `color` (to sit under the curve
    /// of that colour; an empty label keeps it out of the legend).
    pub fn band_in(
        mut self,
        label: impl Into<String>,
        points: Vec<(f64, f64, f64)>,
        color: usize,
    ) -> LineChart {
        self.bands.push(Band {
            label: label.into(),
            points,
            color: Some(color),
        });
        self
    }

    /// Adds a result over seeds: its median as a curve (`marker`, palette
    /// colour `color`) over its min–max range as a band of the same colour.
    pub fn median_and_range(
        self,
        label: impl Into<String>,
        points: &[(f64, Spread)],
        marker: Marker,
        color: usize,
    ) -> LineChart {
        let band = points.iter().map(|(x, s)| (*x, s.min, s.max)).collect();
        let median = points.iter().map(|(x, s)| (*x, s.median)).collect();
        self.band_in("", band, color)
            .series(label, median, marker)
            .color(color)
    }

    /// Adds a histogram as a step outline of the fraction of values per bin.
    pub fn histogram(self, label: impl Into<String>, hist: &Histogram) -> LineChart {
        let fractions = hist.fractions();
        let mut points = Vec::with_capacity(2 * fractions.len() + 2);
        points.push((hist.edges[0], 0.0));
        for (i, f) in fractions.iter().enumerate() {
            points.push((hist.edges[i], *f));
            points.push((hist.edges[i + 1], *f));
        }
        points.push((*hist.edges.last().unwrap(), 0.0));
        self.line(label, points)
    }

    /// Moves the legend.
    pub fn legend(mut self, corner: Legend) -> LineChart {
        self.legend = corner;
        self
    }

    /// Adds a note shown inside the panel.
    pub fn note(mut self, text: impl Into<String>) -> LineChart {
        self.notes.push(text.into());
        self
    }
}

/// Panels one above the other, each as wide as the book's text column, so
/// that no panel is shrunk to fit beside another.
#[derive(Debug, Clone, PartialEq)]
pub struct Figure {
    /// The panels, top to bottom.
    pub panels: Vec<LineChart>,
}

impl Figure {
    /// A figure of one panel.
    pub fn single(panel: LineChart) -> Figure {
        Figure::stack(vec![panel])
    }

    /// A figure of several panels, top to bottom.
    pub fn stack(panels: Vec<LineChart>) -> Figure {
        Figure { panels }
    }

    /// Renders the figure as an SVG document.
    pub fn to_svg(&self) -> Result<String, crate::Error> {
        let rows = self.panels.len().max(1);
        let size = (PANEL_SIZE.0, PANEL_SIZE.1 * rows as u32);
        let mut svg = String::new();
        {
            let root = SVGBackend::with_string(&mut svg, size).into_drawing_area();
            root.fill(&WHITE).map_err(plot_error)?;
            let areas = root.split_evenly((rows, 1));
            for (area, panel) in areas.iter().zip(&self.panels) {
                draw_panel(area, panel).map_err(plot_error)?;
            }
            root.present().map_err(plot_error)?;
        }
        Ok(svg)
    }

    /// Renders the figure and writes it to `path` atomically.
    pub fn save(&self, path: &Path) -> Result<(), crate::Error> {
        write_atomic(path, self.to_svg()?.as_bytes())
    }
}

fn plot_error<E: std::fmt::Debug>(e: E) -> crate::Error {
    crate::Error::Plot(format!("{e:?}"))
}

/// Points mapped to axis coordinates, and how many could not be shown.
fn to_axes(chart: &LineChart, points: &[(f64, f64)]) -> (Vec<(f64, f64)>, usize) {
    let mut kept = Vec::with_capacity(points.len());
    for &(x, y) in points {
        if let (Some(tx), Some(ty)) = (chart.x_scale.to_axis(x), chart.y_scale.to_axis(y)) {
            kept.push((tx, ty));
        }
    }
    let dropped = points.len() - kept.len();
    (kept, dropped)
}

/// An axis with the book's own ticks ([`Scale::ticks`]); plotters' own
/// would put a log axis's ticks at 10^0.2, 10^0.4, ….
struct Ticked {
    axis: RangedCoordf64,
    ticks: Vec<f64>,
}

impl Ranged for Ticked {
    type FormatOption = DefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        self.axis.map(value, limit)
    }

    fn key_points<Hint: KeyPointHint>(&self, _hint: Hint) -> Vec<f64> {
        self.ticks.clone()
    }

    fn range(&self) -> std::ops::Range<f64> {
        self.axis.range()
    }
}

/// Points in axis coordinates.
type Points = Vec<(f64, f64)>;

fn padded_range(values: impl Iterator<Item = f64>, fallback: (f64, f64)) -> (f64, f64) {
    let (lo, hi) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
        (lo.min(v), hi.max(v))
    });
    if !lo.is_finite() || !hi.is_finite() {
        return fallback;
    }
    if hi - lo < 1e-12 * lo.abs().max(1.0) {
        return (lo - 0.5, hi + 0.5);
    }
    let pad = 0.04 * (hi - lo);
    (lo - pad, hi + pad)
}

fn draw_panel<'a>(
    area: &DrawingArea<SVGBackend<'a>, Shift>,
    panel: &LineChart,
) -> DrawResultFor<'a> {
    let mut dropped = 0;
    // Dots beyond fixed y limits would be drawn on the frame, as if they lay
    // there: they are left out and counted.
    let mut beyond = 0;
    let series: Vec<Vec<(f64, f64)>> = panel
        .series
        .iter()
        .map(|s| {
            let (mut kept, d) = to_axes(panel, &s.points);
            dropped += d;
            if let (Marker::Dots, Some((lo, hi))) = (s.marker, panel.y_limits) {
                let (lo, hi) = (
                    panel.y_scale.to_axis(lo).unwrap_or(f64::NEG_INFINITY),
                    panel.y_scale.to_axis(hi).unwrap_or(f64::INFINITY),
                );
                let before = kept.len();
                kept.retain(|&(_, y)| (lo..=hi).contains(&y));
                beyond += before - kept.len();
            }
            kept
        })
        .collect();
    let bands: Vec<(Points, Points)> = panel
        .bands
        .iter()
        .map(|b| {
            let lo: Vec<_> = b.points.iter().map(|&(x, l, _)| (x, l)).collect();
            let hi: Vec<_> = b.points.iter().map(|&(x, _, h)| (x, h)).collect();
            let (lo, d1) = to_axes(panel, &lo);
            let (hi, d2) = to_axes(panel, &hi);
            dropped += d1 + d2;
            (lo, hi)
        })
        .collect();
    let all = || {
        series
            .iter()
            .flatten()
            .chain(bands.iter().flat_map(|(l, h)| l.iter().chain(h)))
    };
    let (x0, x1) = padded_range(all().map(|p| p.0), (0.0, 1.0));
    let (y0, y1) = match panel.y_limits {
        Some((lo, hi)) => (
            panel.y_scale.to_axis(lo).unwrap_or(0.0),
            panel.y_scale.to_axis(hi).unwrap_or(1.0),
        ),
        None => padded_range(all().map(|p| p.1), (0.0, 1.0)),
    };

    let mut notes = panel.notes.clone();
    if dropped > 0 {
        let why = match panel.y_scale {
            Scale::Log => "inf, NaN, or ≤ 0 on a log axis",
            Scale::Linear => "inf or NaN",
        };
        let points = if dropped == 1 { "point" } else { "points" };
        notes.push(format!("{dropped} {points} not shown ({why})"));
    }
    if beyond > 0 {
        let points = if beyond == 1 { "point" } else { "points" };
        notes.push(format!("{beyond} {points} beyond the y axis not shown"));
    }
    if series.iter().all(|s| s.is_empty()) && bands.iter().all(|b| b.0.is_empty()) {
        notes.push("no finite values to show".to_string());
    }
    // Notes get their own strip under the chart, so they never cover data.
    let (_, h) = area.dim_in_pixel();
    let strip = NOTE_PX as u32 * notes.len() as u32;
    let (plot_area, note_area) = area.split_vertically(h - strip);
    for (i, note) in notes.iter().enumerate() {
        // Dark grey: no series has this colour.
        let style = (FONT, TEXT_PX).into_font().color(&RGBColor(80, 80, 80));
        note_area.draw_text(note, &style, (88, NOTE_PX * i as i32))?;
    }

    let x_ticks = panel.x_scale.ticks(x0, x1);
    let y_ticks = panel.y_scale.ticks(y0, y1);
    let mut chart = ChartBuilder::on(&plot_area)
        .caption(&panel.title, (FONT, TITLE_PX))
        .margin(12)
        .x_label_area_size(48)
        .y_label_area_size(76)
        .build_cartesian_2d(
            Ticked {
                axis: (x0..x1).into(),
                ticks: x_ticks,
            },
            Ticked {
                axis: (y0..y1).into(),
                ticks: y_ticks,
            },
        )?;
    let (xs, ys) = (panel.x_scale, panel.y_scale);
    let (x_span, y_span) = (x1 - x0, y1 - y0);
    let x_fmt = move |v: &f64| xs.label(*v, x_span);
    let y_fmt = move |v: &f64| ys.label(*v, y_span);
    chart
        .configure_mesh()
        .light_line_style(WHITE.mix(0.0))
        .bold_line_style(BLACK.mix(0.08))
        .x_desc(&panel.x_label)
        .y_desc(&panel.y_label)
        .axis_desc_style((FONT, AXIS_PX))
        .label_style((FONT, TEXT_PX))
        .x_label_formatter(&x_fmt)
        .y_label_formatter(&y_fmt)
        .draw()?;

    for (i, ((lo, hi), band)) in bands.iter().zip(&panel.bands).enumerate() {
        let color = PALETTE[band.color.unwrap_or(i) % PALETTE.len()];
        let outline: Vec<_> = hi.iter().chain(lo.iter().rev()).copied().collect();
        if outline.len() >= 3 {
            let drawn = chart.draw_series(std::iter::once(Polygon::new(
                outline,
                color.mix(0.18).filled(),
            )))?;
            if !band.label.is_empty() {
                drawn.label(&band.label).legend(move |(x, y)| {
                    Rectangle::new([(x, y - 5), (x + 18, y + 5)], color.mix(0.3).filled())
                });
            }
        }
    }

    let mut has_legend = panel.bands.iter().any(|b| !b.label.is_empty());
    for (i, (points, s)) in series.iter().zip(&panel.series).enumerate() {
        let color = PALETTE[s.color.unwrap_or(i) % PALETTE.len()];
        let line = color.stroke_width(2);
        let anno = match s.marker {
            Marker::Line => chart.draw_series(LineSeries::new(points.iter().copied(), line))?,
            Marker::Dashed => {
                chart.draw_series(DashedLineSeries::new(points.iter().copied(), 6, 4, line))?
            }
            Marker::Dots => chart.draw_series(
                points
                    .iter()
                    .map(|&p| Circle::new(p, 2, color.mix(0.7).filled())),
            )?,
            Marker::LineDots => {
                chart.draw_series(LineSeries::new(points.iter().copied(), line))?;
                chart.draw_series(points.iter().map(|&p| Circle::new(p, 3, color.filled())))?
            }
            Marker::Discs => {
                chart.draw_series(points.iter().map(|&p| Circle::new(p, 5, color.filled())))?
            }
            Marker::Rings => chart.draw_series(
                points
                    .iter()
                    .map(|&p| Circle::new(p, 5, color.stroke_width(2))),
            )?,
        };
        if !s.label.is_empty() {
            has_legend = true;
            let anno = anno.label(&s.label);
            if s.marker == Marker::Dots {
                anno.legend(move |(x, y)| Circle::new((x + 9, y), 3, color.mix(0.7).filled()));
            } else if s.marker == Marker::Discs {
                anno.legend(move |(x, y)| Circle::new((x + 9, y), 5, color.filled()));
            } else if s.marker == Marker::Rings {
                anno.legend(move |(x, y)| Circle::new((x + 9, y), 5, color.stroke_width(2)));
            } else if s.marker == Marker::Dashed {
                anno.legend(move |(x, y)| {
                    EmptyElement::at((x, y))
                        + PathElement::new(vec![(0, 0), (7, 0)], color.stroke_width(2))
                        + PathElement::new(vec![(11, 0), (18, 0)], color.stroke_width(2))
                });
            } else {
                anno.legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 18, y)], color.stroke_width(2))
                });
            }
        }
    }
    if has_legend {
        chart
            .configure_series_labels()
            .position(match panel.legend {
                Legend::UpperLeft => SeriesLabelPosition::UpperLeft,
                Legend::UpperRight => SeriesLabelPosition::UpperRight,
                Legend::LowerLeft => SeriesLabelPosition::LowerLeft,
                Legend::LowerRight => SeriesLabelPosition::LowerRight,
                Legend::MiddleRight => SeriesLabelPosition::MiddleRight,
            })
            .label_font((FONT, TEXT_PX))
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK.mix(0.3))
            .draw()?;
    }

    Ok(())
}

type DrawResultFor<'a> =
    Result<(), DrawingAreaErrorKind<<SVGBackend<'a> as DrawingBackend>::ErrorType>>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn powers_of_ten_are_written_with_superscripts() {
        assert_eq!(power_of_ten(0), "10⁰");
        assert_eq!(power_of_ten(3), "10³");
        assert_eq!(power_of_ten(-20), "10⁻²⁰");
        assert_eq!(Scale::Log.label(-43.0, 44.7), "10⁻⁴³");
    }

    #[test]
    fn ticks_fall_on_round_numbers() {
        // A log axis over many decades: powers of ten, every tenth one here.
        assert_eq!(
            Scale::Log.ticks(-43.5, 1.2),
            vec![-40.0, -30.0, -20.0, -10.0, 0.0]
        );
        // Over a few: every power of ten.
        assert_eq!(Scale::Log.ticks(-0.3, 3.4), vec![0.0, 1.0, 2.0, 3.0]);
        // Over less than two: 1, 2 and 5 times them (0.5, 1, 2, 5, 10).
        let shown: Vec<String> = Scale::Log
            .ticks(-0.4, 1.1)
            .into_iter()
            .map(|t| Scale::Log.label(t, 1.5))
            .collect();
        assert_eq!(shown, ["0.5", "1", "2", "5", "10"]);
        // Linear: steps of 1, 2 or 5 times a power of ten, snapped.
        let shown: Vec<String> = Scale::Linear
            .ticks(-0.04, 1.04)
            .into_iter()
            .map(|t| Scale::Linear.label(t, 1.08))
            .collect();
        assert_eq!(shown, ["0", "0.2", "0.4", "0.6", "0.8", "1"]);
        // Small steps: plain decimals for all, and a real minus sign.
        let shown: Vec<String> = Scale::Linear
            .ticks(-0.0011, 0.0011)
            .into_iter()
            .map(|t| Scale::Linear.label(t, 0.0022))
            .collect();
        assert_eq!(shown, ["−0.001", "−0.0005", "0", "0.0005", "0.001"]);
    }
}
