//! Chapter 8's live figure: three drift detectors' delay against their
//! false alarms, each over its sensitivity settings (Figure 8.2), with its
//! table.

use crate::book::figure::{Figure, Legend, LineChart, Marker};
use crate::book::live::{Control, LiveFigure, Settings};
use crate::book::table::{Cell, Table};
use crate::numeric::random::stream;
use crate::shift::concept::{ConceptShiftParams, OperatingPoints, operating_points};
use crate::{Error, Progress, Range};

/// Figure 8.2, live: how far the boundary turns, the label noise, the
/// streams and the seed.
pub static LIVE: LiveFigure = LiveFigure {
    name: "concept_shift",
    figure: "operating.svg",
    caption: "Figure 8.2",
    controls: &[
        Control::slider(
            "angle",
            "boundary turns by (°)",
            Range::closed(0.0, 180.0),
            ConceptShiftParams::ANGLE,
            5.0,
            "60",
        ),
        Control::slider(
            "noise",
            "label noise",
            Range::closed(0.0, 0.45),
            ConceptShiftParams::NOISE,
            0.01,
            "0.1",
        ),
        Control::slider(
            "trials",
            "streams",
            Range::whole(10, 100),
            ConceptShiftParams::TRIALS,
            10.0,
            "100",
        ),
        Control::SEED,
    ],
    compute,
};

fn compute(s: &Settings, progress: Progress) -> Result<(Figure, Table), Error> {
    let params = ConceptShiftParams {
        angle: s.number("angle"),
        noise: s.number("noise"),
        trials: s.whole("trials"),
        ..ConceptShiftParams::default()
    };
    let rng = &mut stream(s.seed(), "operating_points", 0);
    let r = operating_points(&params, rng, progress)?;
    Ok((operating_figure(&r), operating_table(&r)))
}

/// Each point's setting, as the table names it.
fn settings(r: &OperatingPoints) -> Vec<String> {
    r.points
        .iter()
        .map(|p| match p.detector.as_str() {
            "DDM" => format!("drift level {}", p.setting),
            "Page–Hinkley" => format!("λ = {}", p.setting),
            _ => format!("δ = {}", p.setting),
        })
        .collect()
}

/// Figure 8.2: median delay after a sudden change against false alarms on
/// streams without one, each detector over its settings.
pub fn operating_figure(r: &OperatingPoints) -> Figure {
    let mut chart = LineChart::new(format!(
        "Detectors at matched false-alarm rates ({} streams each)",
        r.streams
    ))
    .labels(
        "false alarms per 1000 samples, streams without change",
        "median delay after a sudden change (samples, log scale)",
    )
    .log_y()
    .legend(Legend::UpperRight);
    for name in ["DDM", "Page–Hinkley", "ADWIN"] {
        let curve = r
            .points
            .iter()
            .filter(|p| p.detector == name)
            .filter_map(|p| Some((p.false_alarms_per_1000, p.median_delay?)));
        chart = chart.series(name, curve.collect(), Marker::LineDots);
    }
    Figure::single(chart)
}

/// Table 8.3: each detector at each setting, its false alarms, median
/// delay and misses.
pub fn operating_table(r: &OperatingPoints) -> Table {
    let mut table = Table::new(&[
        "detector",
        "setting",
        "false alarms per 1000 samples",
        "median delay",
        "missed",
    ]);
    for (p, setting) in r.points.iter().zip(settings(r)) {
        table.row(vec![
            Cell::text(p.detector.clone()),
            Cell::written(setting),
            Cell::written(format!("{:.3}", p.false_alarms_per_1000)),
            Cell::written(
                p.median_delay
                    .map_or("–".to_string(), |d| format!("{d:.0}")),
            ),
            Cell::written(format!("{} of {}", p.missed, r.streams)),
        ]);
    }
    table
}
