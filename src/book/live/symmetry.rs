//! Chapter 2's live figure: the largest difference between hidden units
//! during training, from a symmetric start, a random one, and a symmetric
//! one with dropout (Figure 2.1), with Table 2.1.

use crate::book::figure::{Figure, Legend, LineChart, Marker, by_epoch};
use crate::book::live::{Control, LiveFigure, Settings};
use crate::book::table::{Cell, Table};
use crate::deep::symmetry::{SymmetryParams, ThreeStarts, three_starts};
use crate::numeric::stats::Spread;
use crate::{Error, Progress, Range};

/// Figure 2.1, live: hidden units, the symmetric value, epochs, the
/// learning rate, dropout, seeds and the seed.
pub static LIVE: LiveFigure = LiveFigure {
    name: "symmetry",
    figure: "spread.svg",
    caption: "Figure 2.1",
    controls: &[
        Control::slider(
            "hidden",
            "hidden units",
            Range::whole(2, 32),
            SymmetryParams::HIDDEN,
            2.0,
            "32",
        ),
        Control::slider(
            "value",
            "symmetric weight",
            Range::closed(-1.0, 1.0),
            SymmetryParams::VALUE,
            0.05,
            "0.05",
        ),
        Control::slider(
            "epochs",
            "epochs",
            Range::whole(1, 30),
            SymmetryParams::EPOCHS,
            1.0,
            "30",
        ),
        Control::slider(
            "lr",
            "learning rate",
            Range::closed(0.01, 1.0),
            SymmetryParams::LR,
            0.01,
            "0.2",
        ),
        Control::slider(
            "dropout",
            "dropout",
            Range::closed(0.05, 0.9),
            SymmetryParams::DROPOUT,
            0.05,
            "0.5",
        ),
        Control::slider(
            "seeds",
            "seeds",
            Range::whole(1, 5),
            SymmetryParams::SEEDS,
            1.0,
            "5",
        ),
        Control::SEED,
    ],
    compute,
};

fn compute(s: &Settings, progress: Progress) -> Result<(Figure, Table), Error> {
    let params = SymmetryParams {
        hidden: s.whole("hidden"),
        value: s.number("value"),
        epochs: s.whole("epochs"),
        lr: s.number("lr"),
        dropout: s.number("dropout"),
        seeds: s.whole("seeds"),
        ..SymmetryParams::default()
    };
    let starts = three_starts(&params, s.seed(), progress)?;
    let (spread, _, table) = figures_and_table(&params, &starts);
    Ok((spread, table))
}

/// Figures 2.1 (the largest difference between hidden units per SGD step)
/// and 2.2 (test error per epoch), and Table 2.1.
pub fn figures_and_table(params: &SymmetryParams, starts: &ThreeStarts) -> (Figure, Figure, Table) {
    let seeds = params.seeds;
    let spread = if seeds > 1 {
        "median and range"
    } else {
        "one seed"
    };
    let mut spread_chart = LineChart::new("Largest difference between hidden units")
        .labels(
            "SGD step",
            format!("max |unit j − unit 1|, {spread} (log scale)"),
        )
        .log_y()
        .legend(Legend::LowerRight);
    let mut error_chart = LineChart::new("Test error on the digits")
        .labels("epoch", format!("test error, {spread}"))
        .y_limits(0.0, 1.0)
        .legend(Legend::UpperRight);
    let range_title = format!(
        "min–max over {seeds} seed{}",
        if seeds == 1 { "" } else { "s" }
    );
    let mut table = Table::new(&[
        "start",
        "largest difference between hidden units, after training: median",
        "test error: median",
        &range_title,
    ]);
    for (color, r) in starts.runs.iter().enumerate() {
        if r.spreads.iter().flatten().all(|&d| d == 0.0) {
            spread_chart = spread_chart.note(format!(
                "{}: exactly 0 at all {} steps of every seed (cannot be drawn on a log axis)",
                r.start,
                r.spreads[0].len() - 1
            ));
        } else {
            let per_step: Vec<(f64, Spread)> = (0..r.spreads[0].len())
                .map(|t| {
                    (
                        t as f64,
                        Spread::of(r.spreads.iter().map(|s| s[t]).collect()),
                    )
                })
                .collect();
            spread_chart = spread_chart.median_and_range(&r.start, &per_step, Marker::Line, color);
        }
        let errors = by_epoch(&r.histories, |s| s.test_error);
        error_chart = error_chart.median_and_range(&r.start, &errors, Marker::Line, color);
        table.row(vec![
            Cell::text(r.start.clone()),
            Cell::number(r.final_spread.median),
            Cell::number(r.test_error.median),
            Cell::range(r.test_error.min, r.test_error.max),
        ]);
    }
    let single = &starts.single_unit_test_error;
    table.row(vec![
        Cell::text("one hidden unit, random weights (control)"),
        Cell::text("–"),
        Cell::number(single.median),
        Cell::range(single.min, single.max),
    ]);
    (
        Figure::single(spread_chart),
        Figure::single(error_chart),
        table,
    )
}
