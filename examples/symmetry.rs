//! Chapter "Breaking the symmetry": every figure and number in it.
//!
//! Run `cargo run --example symmetry -- --help` for the flags. The experiment
//! is `stable_learning::deep::symmetry::three_starts`; this file is its
//! command line and its figures.

use clap::Parser;
use serde::Serialize;
use stable_learning::book::live::{self, symmetry::figures_and_table};
use stable_learning::book::runner::{Common, Experiment, Run, number_in, whole_in};
use stable_learning::deep::symmetry::{SymmetryParams, ThreeStarts, three_starts};

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
    let (spread, test_error, table) = figures_and_table(params, starts);
    let table = table.to_markdown();
    run.say(format!(
        "One hidden layer of {} tanh units, {} epochs, {} training and {} test digits, {} seeds:",
        params.hidden, params.epochs, starts.train_size, starts.test_size, params.seeds
    ));
    run.say(&table);
    run.text("symmetry.md", &table);
    run.figure("spread.svg", &spread);
    run.figure("test_error.svg", &test_error);
    run.text("live.html", &live::symmetry::LIVE.controls_html());
}
