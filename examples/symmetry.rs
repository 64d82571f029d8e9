//! Chapter "Breaking the symmetry": every figure and number in it.
//!
//! Run `cargo run --example symmetry -- --help` for the flags. The experiment
//! is `stable_learning::deep::symmetry::three_starts`; this file is its
//! command line and its figures.

use clap::Parser;
use serde::Serialize;
use stable_learning::book::figure::{Figure, Legend, LineChart, Marker, by_epoch};
use stable_learning::book::runner::{Common, Experiment, Run, number_in, whole_in};
use stable_learning::book::table::{Cell, Table};
use stable_learning::deep::symmetry::{SymmetryParams, ThreeStarts, three_starts};
use stable_learning::numeric::stats::Spread;

/// Breaking the symmetry: a one-hidden-layer network on the digits, started
/// with every weight equal, with random weights, and with equal weights plus
/// dropout.
#[derive(Parser, Debug, Clone, PartialEq, Serialize)]
#[command(name = "symmetry", allow_negative_numbers = true)]
struct Args {
    #[command(flatten)]
    #[serde(flatten)]
    common: Common,
    /// Hidden units (2..=1024)
    #[arg(long, default_value_t = 32, value_parser = whole_in(SymmetryParams::HIDDEN))]
    hidden: usize,
    /// Value of every weight in the symmetric start (-10..=10)
    #[arg(long, default_value_t = 0.05, value_parser = number_in(SymmetryParams::VALUE))]
    value: f64,
    /// Passes over the training set (1..=1000)
    #[arg(long, default_value_t = 30, value_parser = whole_in(SymmetryParams::EPOCHS))]
    epochs: usize,
    /// Examples per SGD step (1..=1797)
    #[arg(long, default_value_t = 32, value_parser = whole_in(SymmetryParams::BATCH))]
    batch: usize,
    /// Learning rate (1e-6..=10)
    #[arg(long, default_value_t = 0.2, value_parser = number_in(SymmetryParams::LR))]
    lr: f64,
    /// Dropout probability for the hidden units in the dropout run (0.01..=0.95)
    #[arg(long, default_value_t = 0.5, value_parser = number_in(SymmetryParams::DROPOUT))]
    dropout: f64,
    /// Seeds the runs are repeated over (1..=100)
    #[arg(long, default_value_t = 5, value_parser = whole_in(SymmetryParams::SEEDS))]
    seeds: usize,
}

impl Experiment for Args {
    fn common(&mut self) -> &mut Common {
        &mut self.common
    }
}

fn main() {
    let (args, mut run) = Run::start::<Args>("symmetry");
    let params = SymmetryParams {
        hidden: args.hidden,
        value: args.value,
        epochs: args.epochs,
        batch: args.batch,
        lr: args.lr,
        dropout: args.dropout,
        seeds: args.seeds,
    };
    let progress = &mut run.progress_fn("training four networks per seed");
    let starts = run.check(three_starts(&params, args.common.seed, progress));
    report_three_starts(&mut run, &params, &starts);
    run.record("three_starts", &starts);

    run.finish();
}

/// Table 2.1 and Figures 2.1 and 2.2.
fn report_three_starts(run: &mut Run, params: &SymmetryParams, starts: &ThreeStarts) {
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
    let table = table.to_markdown();
    run.say(format!(
        "One hidden layer of {} tanh units, {} epochs, {} training and {} test digits, {seeds} seeds:",
        params.hidden, params.epochs, starts.train_size, starts.test_size
    ));
    run.say(&table);
    run.text("symmetry.md", &table);
    run.figure("spread.svg", &Figure::single(spread_chart));
    run.figure("test_error.svg", &Figure::single(error_chart));
}
