//! Chapter "Default and Xavier initialization": every figure and number in it.
//!
//! Run `cargo run --example xavier -- --help` for the flags. The experiments
//! are in `stable_learning::deep::xavier`; this file is their command line
//! and their figures.

use clap::Parser;
use serde::Serialize;
use stable_learning::book::figure::{Figure, Legend, LineChart, Marker, by_epoch};
use stable_learning::book::live::{
    self,
    xavier::{histograms_figure, layers_table},
};
use stable_learning::book::runner::{Common, Experiment, Run, number_in, whole_in};
use stable_learning::deep::xavier::{
    GlorotAtInit, TanhSigmoidTraining, TorchDefault, XavierParams, glorot_at_init, torch_default,
    train_tanh_sigmoid,
};
use stable_learning::nn::activation::Activation;
use stable_learning::nn::init::Init;
use stable_learning::nn::train::{EpochStats, diverged};
use stable_learning::numeric::random::stream;

/// Default and Xavier initialization: PyTorch's default, Glorot & Bengio's
/// experiments at initialization (their Figs. 6–8 and the Jacobians of
/// §4.2.2), and training deep tanh and sigmoid networks on the digits.
#[derive(Parser, Debug, Clone, PartialEq, Serialize)]
#[command(name = "xavier", allow_negative_numbers = true)]
struct Args {
    #[command(flatten)]
    #[serde(flatten)]
    common: Common,
    /// Hidden layers, of the network studied at initialization and of the trained ones (1..=100)
    #[arg(long, default_value_t = 5, value_parser = whole_in(XavierParams::DEPTH))]
    depth: usize,
    /// Units per hidden layer at initialization (training uses --train-width) (2..=2000)
    #[arg(long, default_value_t = 1000, value_parser = whole_in(XavierParams::WIDTH))]
    width: usize,
    /// Hidden activation at initialization: identity, sigmoid, tanh, relu, leaky-relu
    #[arg(long, default_value = "tanh")]
    activation: Activation,
    /// The initialization compared with Glorot & Bengio's standard one. One of:
    /// standard (Glorot & Bengio's: U(±1/√fan_in), biases 0), torch-linear, xavier-uniform, xavier-normal, he-uniform, he-normal,
    /// he-uniform-fan-out, he-normal-fan-out, orthogonal, normal:STD, uniform:BOUND,
    /// constant:VALUE; xavier-*, he-* and orthogonal take an optional :GAIN
    #[arg(long, default_value = "xavier-uniform")]
    init: Init,
    /// Digits pushed through the network at initialization (1..=1797)
    #[arg(long, default_value_t = 100, value_parser = whole_in(XavierParams::BATCH))]
    batch: usize,
    /// Units per hidden layer for the training runs (2..=2000)
    #[arg(long, default_value_t = 64, value_parser = whole_in(XavierParams::TRAIN_WIDTH))]
    train_width: usize,
    /// Training epochs (1..=500)
    #[arg(long, default_value_t = 10, value_parser = whole_in(XavierParams::EPOCHS))]
    epochs: usize,
    /// Learning rate for training (1e-6..=10)
    #[arg(long, default_value_t = 0.05, value_parser = number_in(XavierParams::LR))]
    lr: f64,
    /// Minibatch size for training (Glorot & Bengio used 10) (1..=1797)
    #[arg(long, default_value_t = 10, value_parser = whole_in(XavierParams::MINIBATCH))]
    minibatch: usize,
    /// Seeds each training run is repeated over (1..=100)
    #[arg(long, default_value_t = 5, value_parser = whole_in(XavierParams::SEEDS))]
    seeds: usize,
}

impl Experiment for Args {
    fn common(&mut self) -> &mut Common {
        &mut self.common
    }
}

fn main() {
    let (args, mut run) = Run::start::<Args>("xavier");
    let params = XavierParams {
        depth: args.depth,
        width: args.width,
        activation: args.activation,
        init: args.init,
        batch: args.batch,
        train_width: args.train_width,
        epochs: args.epochs,
        lr: args.lr,
        minibatch: args.minibatch,
        seeds: args.seeds,
    };
    let seed = args.common.seed;

    let torch = run.check(torch_default(1000, &mut stream(seed, "torch_default", 0)));
    report_torch_default(&run, &torch);
    run.record("torch_default", &torch);

    let progress = &mut run.progress_fn("networks at initialization");
    let rng = &mut stream(seed, "glorot_at_init", 0);
    let at_init = run.check(glorot_at_init(&params, rng, progress));
    report_glorot_at_init(&mut run, &params, &at_init);
    run.record("glorot_at_init", &at_init);

    let progress = &mut run.progress_fn("training tanh and sigmoid networks");
    let training = run.check(train_tanh_sigmoid(&params, seed, progress));
    report_training(&mut run, &params, &training);
    run.record("train_tanh_sigmoid", &training);

    run.finish();
}

/// The sampled PyTorch default, against 1/3 and 1/√n.
fn report_torch_default(run: &Run, t: &TorchDefault) {
    run.say(format!(
        "PyTorch default at fan_in = {}: n·Var(W) = {:.4} (theory 1/3 = 0.3333), largest |w| = {:.5} (bound 1/√n = {:.5})\n",
        t.n, t.n_var, t.largest, t.bound
    ));
}

/// Table 3.1, Figures 3.1–3.3 and the Jacobians' singular values.
fn report_glorot_at_init(run: &mut Run, params: &XavierParams, r: &GlorotAtInit) {
    let nets = [&r.standard, &r.chosen];
    let table = layers_table(r).to_markdown();
    run.say(format!(
        "{} hidden {} layers of {} units at initialization, {} digits:",
        params.depth, params.activation, params.width, params.batch
    ));
    run.say(&table);
    for net in nets.iter().filter(|n| !n.faults.is_clean()) {
        run.say(format!(
            "numerical fault: {}: {}",
            net.init,
            net.faults.describe("layers")
        ));
    }
    run.text("layers.md", &table);

    // Figures 6–8 of Glorot & Bengio: histograms per layer, both inits.
    run.figure(
        "activations.svg",
        &histograms_figure(r, "activation value", |n| &n.activations),
    );
    run.figure(
        "backprop_gradients.svg",
        &histograms_figure(r, "back-propagated gradient ∂L/∂z", |n| &n.deltas),
    );
    run.figure(
        "weight_gradients.svg",
        &histograms_figure(r, "weight gradient ∂L/∂W", |n| &n.weight_grads),
    );
    run.text("live.html", &live::xavier::LIVE.controls_html());

    if let Some(l) = r.jacobian_layer {
        for net in nets {
            if let Some(s) = net.jacobian_mean_sv {
                run.say(format!(
                    "average singular value of ∂h({})/∂h({l}), {}: {s:.3}",
                    l + 1,
                    net.init
                ));
            }
        }
    }
}

/// Table 3.2 and Figure 3.4.
fn report_training(run: &mut Run, params: &XavierParams, t: &TanhSigmoidTraining) {
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
        .legend(Legend::MiddleRight);
    let mut train_table = format!(
        "| activation | initialization | test error after training: median | min–max over {seeds} seed{} |\n|---|---|---:|---:|\n",
        if seeds == 1 { "" } else { "s" }
    );
    for (color, r) in t.runs.iter().enumerate() {
        let (act, init_name) = (r.activation, r.init.to_string());
        let name = format!("{act}, {init_name}");
        // Dashed = standard initialization.
        let marker = if r.standard {
            Marker::Dashed
        } else {
            Marker::Line
        };
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
        train_table += &format!(
            "| {act} | {init_name} | {:.2}% | {:.2}–{:.2}% |\n",
            100.0 * e.median,
            100.0 * e.min,
            100.0 * e.max
        );
    }
    run.say(format!(
        "\nTraining {} hidden layers of {} units, {} epochs, over {seeds} seeds:",
        params.depth, params.train_width, params.epochs
    ));
    run.say(&train_table);
    run.text("training.md", &train_table);
    run.figure(
        "training.svg",
        &Figure::stack(vec![loss_chart, error_chart]),
    );
}
