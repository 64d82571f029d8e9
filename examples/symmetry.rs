//! Chapter "Breaking the symmetry": every figure and number in it.
//!
//! Run `cargo run --example symmetry -- --help` for the flags. The experiment
//! is `stable_learning::deep::symmetry::three_starts`; this file is its
//! command line and its figures.

use clap::Parser;
use rand::{SeedableRng, rngs::StdRng};
use serde::Serialize;
use stable_learning::book::figure::{Figure, Legend, LineChart};
use stable_learning::book::runner::{Common, Experiment, Run, number_in, whole_in};
use stable_learning::deep::symmetry::{SymmetryParams, ThreeStarts, three_starts};

/// Breaking the symmetry: a one-hidden-layer network on the digits, started
/// with every weight equal, with random weights, and with equal weights plus
/// dropout.
#[derive(Parser, Debug, Clone, PartialEq, Serialize)]
#[command(name = "symmetry", allow_negative_numbers = true)]
struct Args {
    #[command(flatten)]
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
    };
    let mut rng = StdRng::seed_from_u64(args.common.seed);

    let progress = &mut run.progress_fn("training four networks");
    let starts = run.check(three_starts(&params, &mut rng, progress));
    report_three_starts(&mut run, &params, &starts);
    run.record("three_starts", &starts);

    run.finish();
}

/// Table 2.1 and Figures 2.1 and 2.2.
fn report_three_starts(run: &mut Run, params: &SymmetryParams, starts: &ThreeStarts) {
    let mut spread_chart = LineChart::new("Largest difference between hidden units")
        .labels("SGD step", "max |unit j − unit 1| (log scale)")
        .log_y()
        .legend(Legend::LowerRight);
    let mut error_chart = LineChart::new("Test error on the digits")
        .labels("epoch", "test error")
        .y_limits(0.0, 1.0)
        .legend(Legend::UpperRight);
    let mut table = String::from(
        "| start | largest difference between hidden units, after training | test error |\n|---|---:|---:|\n",
    );
    for r in &starts.runs {
        let last_spread = *r.spread.last().unwrap();
        if last_spread == 0.0 {
            spread_chart = spread_chart.note(format!(
                "{}: exactly 0 at all {} steps (cannot be drawn on a log axis)",
                r.start,
                r.spread.len() - 1
            ));
        }
        let steps = r.spread.iter().enumerate();
        spread_chart = spread_chart.line(&r.start, steps.map(|(t, &d)| (t as f64, d)).collect());
        let errors = r.history.iter().map(|s| (s.epoch as f64, s.test_error));
        error_chart = error_chart.line(&r.start, errors.collect());
        table += &format!(
            "| {} | {last_spread:.3e} | {:.3} |\n",
            r.start, r.test_error
        );
    }
    table += &format!(
        "| one hidden unit, random weights (control) | – | {:.3} |\n",
        starts.single_unit_test_error
    );
    run.say(format!(
        "One hidden layer of {} tanh units, {} epochs, {} training and {} test digits:",
        params.hidden, params.epochs, starts.train_size, starts.test_size
    ));
    run.say(&table);
    run.text("symmetry.md", &table);
    run.figure("spread.svg", &Figure::single(spread_chart));
    run.figure("test_error.svg", &Figure::single(error_chart));
}
