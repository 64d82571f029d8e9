//! Chapter "Breaking the symmetry": every figure and number in it.
//!
//! Run `cargo run --example symmetry -- --help` for the flags.

use clap::Parser;
use rand::{SeedableRng, rngs::StdRng};
use serde::Serialize;
use stable_learning::book::figure::{Figure, Legend, LineChart};
use stable_learning::book::runner::{Common, Experiment, Run, float_in, int_in};
use stable_learning::deep::symmetry::unit_spread;
use stable_learning::nn::activation::Activation;
use stable_learning::nn::data::Dataset;
use stable_learning::nn::init::Init;
use stable_learning::nn::mlp::Mlp;
use stable_learning::nn::optim::Sgd;
use stable_learning::nn::train::{EpochStats, Training, train};

/// Breaking the symmetry: a one-hidden-layer network on the digits, started
/// with every weight equal, with random weights, and with equal weights plus
/// dropout.
#[derive(Parser, Debug, Clone, PartialEq, Serialize)]
#[command(name = "symmetry", allow_negative_numbers = true)]
struct Args {
    #[command(flatten)]
    common: Common,
    /// Hidden units (2..=1024)
    #[arg(long, default_value_t = 32, value_parser = int_in(2, 1024))]
    hidden: usize,
    /// Value of every weight in the symmetric start (-10..=10)
    #[arg(long, default_value_t = 0.05, value_parser = float_in(-10.0, 10.0))]
    value: f64,
    /// Passes over the training set (1..=1000)
    #[arg(long, default_value_t = 30, value_parser = int_in(1, 1000))]
    epochs: usize,
    /// Examples per SGD step (1..=1797)
    #[arg(long, default_value_t = 32, value_parser = int_in(1, 1797))]
    batch: usize,
    /// Learning rate (1e-6..=10)
    #[arg(long, default_value_t = 0.2, value_parser = float_in(1e-6, 10.0))]
    lr: f64,
    /// Dropout probability for the hidden units in the dropout run (0.01..=0.95)
    #[arg(long, default_value_t = 0.5, value_parser = float_in(0.01, 0.95))]
    dropout: f64,
}

impl Experiment for Args {
    fn common(&mut self) -> &mut Common {
        &mut self.common
    }
}

fn main() {
    let (args, mut run) = Run::start::<Args>("symmetry");
    let mut rng = StdRng::seed_from_u64(args.common.seed);
    let digits = Dataset::digits();
    let (train_set, test_set) = digits.split(0.25, &mut rng);
    let sizes = [64, args.hidden, 10];
    let constant = Init::Constant { value: args.value };

    // ANCHOR: runs
    let runs = [
        ("equal weights", constant, 0.0),
        (
            "random weights (Xavier)",
            Init::XavierUniform { gain: 1.0 },
            0.0,
        ),
        ("equal weights + dropout", constant, args.dropout),
    ];
    let mut results = Vec::new();
    for (name, init, dropout) in run.steps(runs.into_iter(), "training three networks") {
        let mut net = Mlp::new(&sizes, Activation::Tanh, init, &mut rng);
        let cfg = Training {
            epochs: args.epochs,
            batch_size: args.batch,
            sgd: Sgd::new(args.lr),
            dropout,
        };
        // After every SGD step: how different are the hidden units?
        let mut spread = vec![unit_spread(&net, 1)];
        let history = train(&mut net, &train_set, &test_set, &cfg, &mut rng, |n| {
            spread.push(unit_spread(n, 1))
        });
        results.push((name, spread, history));
    }
    // ANCHOR_END: runs

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
    for (name, spread, history) in &results {
        let last_spread = *spread.last().unwrap();
        let last = history.last().unwrap();
        if last_spread == 0.0 {
            spread_chart = spread_chart.note(format!(
                "{name}: exactly 0 at all {} steps (cannot be drawn on a log axis)",
                spread.len() - 1
            ));
        }
        spread_chart = spread_chart.line(*name, steps(spread));
        error_chart = error_chart.line(*name, errors(history));
        table += &format!("| {name} | {last_spread:.3e} | {:.3} |\n", last.test_error);
        let key = name.split(' ').next().unwrap().to_string()
            + if name.contains("dropout") {
                "_dropout"
            } else {
                ""
            };
        run.record(
            &format!("{key}_max_spread"),
            spread.iter().fold(0.0f64, |m, v| m.max(*v)),
        );
        run.record(&format!("{key}_test_error"), last.test_error);
        run.record(
            &format!("{key}_steps_to_spread_1"),
            spread.iter().position(|&d| d > 1.0),
        );
    }
    run.say(format!(
        "One hidden layer of {} tanh units, {} epochs, {} training and {} test digits:",
        args.hidden,
        args.epochs,
        train_set.len(),
        test_set.len()
    ));
    run.say(&table);
    run.text("symmetry.md", &table);
    run.figure("spread.svg", &Figure::single(spread_chart));
    run.figure("test_error.svg", &Figure::single(error_chart));
    run.finish();
}

fn steps(v: &[f64]) -> Vec<(f64, f64)> {
    v.iter().enumerate().map(|(t, &y)| (t as f64, y)).collect()
}

fn errors(h: &[EpochStats]) -> Vec<(f64, f64)> {
    h.iter().map(|s| (s.epoch as f64, s.test_error)).collect()
}
