//! Chapter "He initialization": every figure and number in it.
//!
//! Run `cargo run --example he -- --help` for the flags. The experiments are
//! in `stable_learning::deep::he`; this file is their command line and their
//! figures.

use clap::Parser;
use serde::Serialize;
use stable_learning::book::figure::{Figure, Legend, LineChart, Marker, by_epoch};
use stable_learning::book::live::{
    self,
    he::{variance_figure, variance_table},
};
use stable_learning::book::runner::{Common, Experiment, Run, number_in, whole_in};
use stable_learning::book::table::{Cell, Table};
use stable_learning::deep::he::{
    DeepReluTraining, HeParams, VariancePerLayer, VeryDeep, train_deep_relu, variance_per_layer,
    very_deep,
};
use stable_learning::nn::activation::Activation;
use stable_learning::nn::init::Init;
use stable_learning::nn::train::{EpochStats, diverged};
use stable_learning::numeric::random::stream;

/// He initialization and beyond: a deep ReLU network where Xavier loses half
/// the variance per layer and He keeps it, training it, and signal
/// propagation through thousands of Gaussian or orthogonal layers.
#[derive(Parser, Debug, Clone, PartialEq, Serialize)]
#[command(name = "he", allow_negative_numbers = true)]
struct Args {
    #[command(flatten)]
    #[serde(flatten)]
    common: Common,
    /// Hidden layers of the ReLU network (1..=200)
    #[arg(long, default_value_t = 30, value_parser = whole_in(HeParams::DEPTH))]
    depth: usize,
    /// Units per hidden layer at initialization (2..=2000)
    #[arg(long, default_value_t = 256, value_parser = whole_in(HeParams::WIDTH))]
    width: usize,
    /// The initialization compared with He (he-normal). One of: torch-linear
    /// (= standard), xavier-uniform, xavier-normal, he-uniform, he-normal,
    /// he-uniform-fan-out, he-normal-fan-out, orthogonal, normal:STD,
    /// uniform:BOUND, constant:VALUE; xavier-*, he-* and orthogonal take an optional :GAIN
    #[arg(long, default_value = "xavier-normal")]
    init: Init,
    /// Digits pushed through the network at initialization (1..=1797)
    #[arg(long, default_value_t = 100, value_parser = whole_in(HeParams::BATCH))]
    batch: usize,
    /// Units per hidden layer for the training runs (2..=1000)
    #[arg(long, default_value_t = 48, value_parser = whole_in(HeParams::TRAIN_WIDTH))]
    train_width: usize,
    /// Training epochs (1..=500)
    #[arg(long, default_value_t = 20, value_parser = whole_in(HeParams::EPOCHS))]
    epochs: usize,
    /// Learning rate for training (1e-6..=10)
    #[arg(long, default_value_t = 0.003, value_parser = number_in(HeParams::LR))]
    lr: f64,
    /// Minibatch size for training (1..=1797)
    #[arg(long, default_value_t = 16, value_parser = whole_in(HeParams::MINIBATCH))]
    minibatch: usize,
    /// Layers in the very deep signal-propagation experiment (1..=100000)
    #[arg(long, default_value_t = 2000, value_parser = whole_in(HeParams::DEEP_DEPTH))]
    deep_depth: usize,
    /// Units per layer in the very deep experiment (2..=512)
    #[arg(long, default_value_t = 64, value_parser = whole_in(HeParams::DEEP_WIDTH))]
    deep_width: usize,
    /// Seeds each training run is repeated over (1..=100)
    #[arg(long, default_value_t = 5, value_parser = whole_in(HeParams::SEEDS))]
    seeds: usize,
}

impl Experiment for Args {
    fn common(&mut self) -> &mut Common {
        &mut self.common
    }
}

fn main() {
    let (args, mut run) = Run::start::<Args>("he");
    let params = HeParams {
        depth: args.depth,
        width: args.width,
        init: args.init,
        batch: args.batch,
        train_width: args.train_width,
        epochs: args.epochs,
        lr: args.lr,
        minibatch: args.minibatch,
        deep_depth: args.deep_depth,
        deep_width: args.deep_width,
        seeds: args.seeds,
    };
    let seed = args.common.seed;

    let rng = &mut stream(seed, "variance_per_layer", 0);
    let variance = run.check(variance_per_layer(&params, rng));
    report_variance(&mut run, &params, &variance);
    run.record("variance_per_layer", &variance);

    let what = format!("training {}-layer ReLU networks", params.depth);
    let progress = &mut run.progress_fn(&what);
    let training = run.check(train_deep_relu(&params, seed, progress));
    report_training(&mut run, &params, &training);
    run.record("train_deep_relu", &training);

    let progress = &mut run.progress_fn("very deep propagation");
    let rng = &mut stream(seed, "very_deep", 0);
    let deep = run.check(very_deep(&params, rng, progress));
    report_very_deep(&mut run, &params, &deep);
    run.record("very_deep", &deep);

    run.finish();
}

/// Table 4.1 and Figure 4.1.
fn report_variance(run: &mut Run, params: &HeParams, v: &VariancePerLayer) {
    run.say(format!(
        "{} hidden ReLU layers of {} units at initialization, {} digits:",
        params.depth, params.width, params.batch
    ));
    let table = variance_table(v).to_markdown();
    run.say(&table);
    for p in [&v.compared, &v.he] {
        if !p.faults.is_clean() {
            run.say(format!(
                "numerical fault: {}: {}",
                p.init,
                p.faults.describe("layers")
            ));
        }
    }
    run.text("variance.md", &table);
    run.figure("variance.svg", &variance_figure(params, v));
    run.text("live.html", &live::he::LIVE.controls_html());
}

/// Table 4.2 and Figure 4.2.
fn report_training(run: &mut Run, params: &HeParams, t: &DeepReluTraining) {
    let seeds = params.seeds;
    let spread = if seeds > 1 {
        "median and range"
    } else {
        "one seed"
    };
    let mut loss_chart = LineChart::new("Training loss")
        .labels(
            "epoch",
            format!("training cross-entropy, {spread} (log scale)"),
        )
        .log_y()
        .legend(Legend::LowerLeft);
    let mut error_chart = LineChart::new("Test error")
        .labels("epoch", format!("test error, {spread}"))
        .y_limits(0.0, 1.0)
        .legend(Legend::LowerLeft);
    let range_title = format!(
        "min–max over {seeds} seed{}",
        if seeds == 1 { "" } else { "s" }
    );
    let mut train_table = Table::new(&[
        "network",
        "initialization",
        "training loss (last epoch): median",
        "test error: median",
        &range_title,
    ]);
    for (r, color, marker) in [
        (&t.compared, 0, Marker::Line),
        (&t.he, 2, Marker::Line),
        (&t.shallow, 1, Marker::Dashed),
    ] {
        let layers = if r.depth == 1 {
            "1 hidden layer".to_string()
        } else {
            format!("{} hidden layers", r.depth)
        };
        let name = format!("{layers}, {}", r.init);
        let curve = |f: fn(&EpochStats) -> f64| by_epoch(&r.histories, f);
        loss_chart = loss_chart.median_and_range(&name, &curve(|s| s.train_loss), marker, color);
        error_chart = error_chart.median_and_range(&name, &curve(|s| s.test_error), marker, color);
        let diverged = diverged(&r.histories);
        if diverged > 0 {
            let what = format!("{name}: training diverged on {diverged} of {seeds} seeds");
            loss_chart = loss_chart.note(what.clone());
            run.say(format!("numerical fault: {what}"));
        }
        let e = &r.test_error;
        train_table.row(vec![
            Cell::text(layers),
            Cell::text(r.init.to_string()),
            Cell::number(r.train_loss.median),
            // Percentages keep two decimals, as the prose quotes them.
            Cell::written(format!("{:.2}%", 100.0 * e.median)),
            Cell::written(format!("{:.2}–{:.2}%", 100.0 * e.min, 100.0 * e.max)),
        ]);
    }
    let train_table = train_table.to_markdown();
    run.say(format!(
        "Training ReLU networks of {} units per layer, {} epochs, over {seeds} seeds:",
        params.train_width, params.epochs
    ));
    run.say(&train_table);
    run.text("training.md", &train_table);
    run.figure(
        "training.svg",
        &Figure::stack(vec![loss_chart, error_chart]),
    );
}

/// Table 4.3 and Figure 4.3.
fn report_very_deep(run: &mut Run, params: &HeParams, d: &VeryDeep) {
    let mut deep_chart = LineChart::new(format!(
        "A batch through {} layers of width {}",
        params.deep_depth, params.deep_width
    ))
    .labels("layer l", "RMS of h(l) (log scale)")
    .log_y()
    .legend(Legend::LowerLeft);
    let mut deep_table = Table::new(&[
        "weights",
        "activation",
        "RMS of h at the input",
        "after the last layer",
    ]);
    for r in &d.runs {
        let weights = &r.weights;
        let marker = if weights == "Gaussian" {
            Marker::Dashed
        } else {
            Marker::Line
        };
        let (act_name, color) = if r.activation == Activation::Identity {
            ("linear", 0)
        } else {
            ("tanh", 1)
        };
        deep_chart = deep_chart
            .series(
                format!("{weights}, {act_name}"),
                layer_axis0(&r.rms),
                marker,
            )
            .color(color);
        deep_table.row(vec![
            Cell::text(weights.clone()),
            Cell::text(act_name),
            Cell::number(r.rms[0]),
            Cell::number(r.last),
        ]);
        if !r.faults.is_clean() {
            let what = format!("{weights}, {act_name}: {}", r.faults.describe("layers"));
            deep_chart = deep_chart.note(what.clone());
            run.say(format!("numerical fault: {what}"));
        }
    }
    run.say(format!(
        "A batch of 32 through {} layers of width {}:",
        params.deep_depth, params.deep_width
    ));
    let deep_table = deep_table.to_markdown();
    run.say(&deep_table);
    run.text("very_deep.md", &deep_table);
    run.figure("very_deep.svg", &Figure::single(deep_chart));
}

/// Points (l, v[l]) for layers numbered from 0 (the input).
fn layer_axis0(v: &[f64]) -> Vec<(f64, f64)> {
    v.iter().enumerate().map(|(l, &y)| (l as f64, y)).collect()
}
