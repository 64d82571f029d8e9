//! Chapter "He initialization": every figure and number in it.
//!
//! Run `cargo run --example he -- --help` for the flags.

use clap::Parser;
use rand::{SeedableRng, rngs::StdRng};
use serde::Serialize;
use stable_learning::book::figure::{Figure, Legend, LineChart, Marker, format_number};
use stable_learning::book::runner::{Common, Experiment, Run, float_in, int_in};
use stable_learning::deep::propagation::{Snapshot, flat, propagate_deep};
use stable_learning::nn::activation::Activation;
use stable_learning::nn::data::Dataset;
use stable_learning::nn::init::Init;
use stable_learning::nn::mlp::{Mlp, layer_sizes};
use stable_learning::nn::optim::Sgd;
use stable_learning::nn::train::{EpochStats, Training, train};
use stable_learning::numeric::linalg::gaussian_matrix;
use stable_learning::numeric::stats::{Faults, variance};

/// He initialization and beyond: a deep ReLU network where Xavier loses half
/// the variance per layer and He keeps it, training it, and signal
/// propagation through thousands of Gaussian or orthogonal layers.
#[derive(Parser, Debug, Clone, PartialEq, Serialize)]
#[command(name = "he", allow_negative_numbers = true)]
struct Args {
    #[command(flatten)]
    common: Common,
    /// Hidden layers of the ReLU network (1..=200)
    #[arg(long, default_value_t = 30, value_parser = int_in(1, 200))]
    depth: usize,
    /// Units per hidden layer at initialization (2..=2000)
    #[arg(long, default_value_t = 256, value_parser = int_in(2, 2000))]
    width: usize,
    /// The initialization compared with He (he-normal). One of: torch-linear
    /// (= standard), xavier-uniform, xavier-normal, he-uniform, he-normal,
    /// he-uniform-fan-out, he-normal-fan-out, orthogonal, normal:STD,
    /// uniform:BOUND, constant:VALUE; xavier-*, he-* and orthogonal take an optional :GAIN
    #[arg(long, default_value = "xavier-normal")]
    init: Init,
    /// Digits pushed through the network at initialization (1..=1797)
    #[arg(long, default_value_t = 100, value_parser = int_in(1, 1797))]
    batch: usize,
    /// Units per hidden layer for the training runs (2..=1000)
    #[arg(long, default_value_t = 48, value_parser = int_in(2, 1000))]
    train_width: usize,
    /// Training epochs (1..=500)
    #[arg(long, default_value_t = 20, value_parser = int_in(1, 500))]
    epochs: usize,
    /// Learning rate for training (1e-6..=10)
    #[arg(long, default_value_t = 0.003, value_parser = float_in(1e-6, 10.0))]
    lr: f64,
    /// Minibatch size for training (1..=1797)
    #[arg(long, default_value_t = 16, value_parser = int_in(1, 1797))]
    minibatch: usize,
    /// Layers in the very deep signal-propagation experiment (1..=100000)
    #[arg(long, default_value_t = 2000, value_parser = int_in(1, 100_000))]
    deep_depth: usize,
    /// Units per layer in the very deep experiment (2..=512)
    #[arg(long, default_value_t = 64, value_parser = int_in(2, 512))]
    deep_width: usize,
}

impl Experiment for Args {
    fn common(&mut self) -> &mut Common {
        &mut self.common
    }
}

fn main() {
    let (args, mut run) = Run::start::<Args>("he");
    let mut rng = StdRng::seed_from_u64(args.common.seed);
    let digits = Dataset::digits();

    // ANCHOR: variance_per_layer
    // A deep ReLU network at initialization on a batch of digits: the
    // variance of the pre-activations z(l) in every layer, relative to the
    // first layer, for the compared scheme and for He.
    let (batch, _) = digits.split(1.0 - args.batch as f64 / digits.len() as f64, &mut rng);
    let sizes = layer_sizes(64, args.width, args.depth, 10);
    let schemes = [(args.init, 0), (Init::HE_RELU, 2)];
    let mut profiles = Vec::new();
    for (init, _) in schemes {
        let net = Mlp::new(&sizes, Activation::Relu, init, &mut rng);
        let snap = Snapshot::take(&net, batch.x.view(), &batch.y);
        let var_z: Vec<f64> = snap.forward.pre[..args.depth]
            .iter()
            .map(|z| variance(&flat(z)))
            .collect();
        profiles.push((init, var_z));
    }
    // ANCHOR_END: variance_per_layer
    let mut chart = LineChart::new(format!(
        "{}-layer ReLU network at initialization",
        args.depth
    ))
    .labels("layer l", "Var(z(l)) / Var(z(1)) (log scale)")
    .log_y()
    .legend(Legend::LowerLeft);
    let mut table = String::from(
        "| initialization | Var(z) at layer 1 | at the last hidden layer | ratio last/first | mean ratio per layer |\n|---|---:|---:|---:|---:|\n",
    );
    let mut fault_lines = Vec::new();
    for ((init, var_z), (_, color)) in profiles.iter().zip(schemes) {
        let first = var_z[0];
        let last = *var_z.last().unwrap();
        let per_layer = (last / first).powf(1.0 / (args.depth.max(2) - 1) as f64);
        chart = chart
            .line(
                init.to_string(),
                layer_axis(&var_z.iter().map(|v| v / first).collect::<Vec<_>>()),
            )
            .color(color);
        table += &format!(
            "| {init} | {} | {} | {} | {} |\n",
            format_number(first),
            format_number(last),
            format_number(last / first),
            format_number(per_layer)
        );
        let key = if *init == Init::HE_RELU {
            "he"
        } else {
            "compared"
        };
        run.record(&format!("var_ratio_{key}"), last / first);
        run.record(&format!("var_per_layer_{key}"), per_layer);
        let faults = Faults::count(var_z);
        if !faults.is_clean() {
            let what = format!("{init}: {}", faults.describe("layers"));
            chart = chart.note(what.clone());
            fault_lines.push(what);
        }
        run.record(&format!("faults_{key}"), faults);
    }
    let halving: Vec<f64> = (0..args.depth).map(|l| 0.5f64.powi(l as i32)).collect();
    chart = chart
        .series(
            "theory for Xavier + ReLU: 2^-(l-1)",
            layer_axis(&halving),
            Marker::Dashed,
        )
        .color(0)
        .series(
            "theory for He: 1",
            layer_axis(&vec![1.0; args.depth]),
            Marker::Dashed,
        )
        .color(2);
    run.say(format!(
        "{} hidden ReLU layers of {} units at initialization, {} digits:",
        args.depth, args.width, args.batch
    ));
    run.say(&table);
    run.text("variance.md", &table);
    run.figure("variance.svg", &Figure::single(chart));

    // ANCHOR: training
    // Train the deep ReLU network on the digits, compared scheme against He.
    let (train_set, test_set) = digits.split(0.25, &mut rng);
    let train_sizes = layer_sizes(64, args.train_width, args.depth, 10);
    let cfg = Training {
        epochs: args.epochs,
        batch_size: args.minibatch,
        sgd: Sgd::new(args.lr),
        dropout: 0.0,
    };
    let steps = (args.epochs * train_set.len().div_ceil(args.minibatch)) as u64;
    let bar = run.progress(
        2 * steps,
        &format!("training {}-layer ReLU networks", args.depth),
    );
    let mut curves = Vec::new();
    for (init, color) in schemes {
        let mut net = Mlp::new(&train_sizes, Activation::Relu, init, &mut rng);
        let history = train(&mut net, &train_set, &test_set, &cfg, &mut rng, |_| {
            bar.inc(1)
        });
        curves.push((init, color, history));
    }
    bar.finish_and_clear();
    // ANCHOR_END: training
    let mut loss_chart = LineChart::new("Training loss")
        .labels("epoch", "cross-entropy on the training set (log scale)")
        .log_y()
        .legend(Legend::LowerLeft);
    let mut error_chart = LineChart::new("Test error")
        .labels("epoch", "test error")
        .y_limits(0.0, 1.0)
        .legend(Legend::MiddleRight);
    let mut train_table = String::from(
        "| initialization | training loss (last epoch) | test error |\n|---|---:|---:|\n",
    );
    for (init, color, history) in &curves {
        let curve = |f: fn(&EpochStats) -> f64| -> Vec<(f64, f64)> {
            history.iter().map(|s| (s.epoch as f64, f(s))).collect()
        };
        loss_chart = loss_chart
            .line(init.to_string(), curve(|s| s.train_loss))
            .color(*color);
        error_chart = error_chart
            .line(init.to_string(), curve(|s| s.test_error))
            .color(*color);
        let last = history.last().unwrap();
        if !last.train_loss.is_finite() {
            let what = format!(
                "{init}: training diverged (loss {}) in epoch {}",
                last.train_loss, last.epoch
            );
            loss_chart = loss_chart.note(what.clone());
            run.say(format!("numerical fault: {what}"));
        }
        train_table += &format!(
            "| {init} | {} | {:.2}% |\n",
            format_number(last.train_loss),
            100.0 * last.test_error
        );
        let key = if *init == Init::HE_RELU {
            "he"
        } else {
            "compared"
        };
        run.record(&format!("test_error_{key}"), last.test_error);
        run.record(&format!("train_loss_{key}"), last.train_loss);
    }
    run.say(format!(
        "Training {} ReLU layers of {} units, {} epochs:",
        args.depth, args.train_width, args.epochs
    ));
    run.say(&train_table);
    run.text("training.md", &train_table);
    run.figure(
        "training.svg",
        &Figure::grid(vec![loss_chart, error_chart], 2),
    );

    // ANCHOR: very_deep
    // Push a batch through thousands of square layers: Gaussian weights with
    // Var = 1/n against random orthogonal weights, linear and tanh.
    let x = gaussian_matrix(32, args.deep_width, &mut rng);
    let acts = [Activation::Identity, Activation::Tanh];
    let n = args.deep_width as f64;
    let bar = run.progress(2 * args.deep_depth as u64, "very deep propagation");
    let gaussian = propagate_deep(
        x.view(),
        args.deep_depth,
        &acts,
        Init::Normal {
            std: 1.0 / n.sqrt(),
        },
        &mut rng,
        || bar.inc(1),
    );
    let orthogonal = propagate_deep(
        x.view(),
        args.deep_depth,
        &acts,
        Init::Orthogonal { gain: 1.0 },
        &mut rng,
        || bar.inc(1),
    );
    bar.finish_and_clear();
    // ANCHOR_END: very_deep
    let mut deep_chart = LineChart::new(format!(
        "A batch through {} layers of width {}",
        args.deep_depth, args.deep_width
    ))
    .labels("layer l", "RMS of h(l) (log scale)")
    .log_y()
    .legend(Legend::LowerLeft);
    let mut deep_table = String::from(
        "| weights | activation | RMS of h at the input | after the last layer |\n|---|---|---:|---:|\n",
    );
    for (weights, series, marker) in [
        ("Gaussian", &gaussian, Marker::Dashed),
        ("orthogonal", &orthogonal, Marker::Line),
    ] {
        for (i, (act, rms)) in acts.iter().zip(series.iter()).enumerate() {
            let act_name = if *act == Activation::Identity {
                "linear"
            } else {
                "tanh"
            };
            deep_chart = deep_chart
                .series(format!("{weights}, {act_name}"), layer_axis0(rms), marker)
                .color(i);
            let last = *rms.last().unwrap();
            deep_table += &format!(
                "| {weights} | {act_name} | {} | {} |\n",
                format_number(rms[0]),
                format_number(last)
            );
            run.record(&format!("deep_{weights}_{act_name}").to_lowercase(), last);
            run.record("deep_input_rms", rms[0]);
            let faults = Faults::count(rms);
            if !faults.is_clean() {
                let what = format!("{weights}, {act_name}: {}", faults.describe("layers"));
                deep_chart = deep_chart.note(what.clone());
                fault_lines.push(what);
            }
        }
    }
    for line in &fault_lines {
        run.say(format!("numerical fault: {line}"));
    }
    run.say(format!(
        "A batch of 32 through {} layers of width {}:",
        args.deep_depth, args.deep_width
    ));
    run.say(&deep_table);
    run.text("very_deep.md", &deep_table);
    run.figure("very_deep.svg", &Figure::single(deep_chart));
    run.finish();
}

/// Points (l, v[l−1]) for layers numbered from 1.
fn layer_axis(v: &[f64]) -> Vec<(f64, f64)> {
    v.iter()
        .enumerate()
        .map(|(l, &y)| ((l + 1) as f64, y))
        .collect()
}

/// Points (l, v[l]) for layers numbered from 0 (the input).
fn layer_axis0(v: &[f64]) -> Vec<(f64, f64)> {
    v.iter().enumerate().map(|(l, &y)| (l as f64, y)).collect()
}
