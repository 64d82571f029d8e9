//! Chapter "Default and Xavier initialization": every figure and number in it.
//!
//! Run `cargo run --example xavier -- --help` for the flags.

use clap::Parser;
use rand::{SeedableRng, rngs::StdRng};
use serde::Serialize;
use stable_learning::book::figure::{Figure, Legend, LineChart, Marker, format_number};
use stable_learning::book::runner::{Common, Experiment, Run, float_in, int_in};
use stable_learning::deep::propagation::{
    Snapshot, flat, layer_jacobian, mean_singular_value, quarter_circle_mean,
};
use stable_learning::nn::activation::Activation;
use stable_learning::nn::data::Dataset;
use stable_learning::nn::init::Init;
use stable_learning::nn::mlp::{Mlp, layer_sizes};
use stable_learning::nn::optim::Sgd;
use stable_learning::nn::train::{EpochStats, Training, train};
use stable_learning::numeric::stats::{Faults, Histogram, quantile, variance};

/// Default and Xavier initialization: PyTorch's default, Glorot & Bengio's
/// experiments at initialization (their Figs. 6–8 and the Jacobians of
/// §4.2.2), and training deep tanh and sigmoid networks on the digits.
#[derive(Parser, Debug, Clone, PartialEq, Serialize)]
#[command(name = "xavier", allow_negative_numbers = true)]
struct Args {
    #[command(flatten)]
    common: Common,
    /// Hidden layers of the network studied at initialization (1..=100)
    #[arg(long, default_value_t = 5, value_parser = int_in(1, 100))]
    depth: usize,
    /// Units per hidden layer at initialization (2..=2000)
    #[arg(long, default_value_t = 1000, value_parser = int_in(2, 2000))]
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
    #[arg(long, default_value_t = 100, value_parser = int_in(1, 1797))]
    batch: usize,
    /// Units per hidden layer for the training runs (2..=2000)
    #[arg(long, default_value_t = 64, value_parser = int_in(2, 2000))]
    train_width: usize,
    /// Training epochs (1..=500)
    #[arg(long, default_value_t = 10, value_parser = int_in(1, 500))]
    epochs: usize,
    /// Learning rate for training (1e-6..=10)
    #[arg(long, default_value_t = 0.05, value_parser = float_in(1e-6, 10.0))]
    lr: f64,
    /// Minibatch size for training (Glorot & Bengio used 10) (1..=1797)
    #[arg(long, default_value_t = 10, value_parser = int_in(1, 1797))]
    minibatch: usize,
}

impl Experiment for Args {
    fn common(&mut self) -> &mut Common {
        &mut self.common
    }
}

fn main() {
    let (args, mut run) = Run::start::<Args>("xavier");
    let mut rng = StdRng::seed_from_u64(args.common.seed);
    let digits = Dataset::digits();

    // ANCHOR: torch_default
    // PyTorch's nn.Linear default, kaiming_uniform_(a = √5), sampled at
    // fan_in = fan_out = 1000: n·Var(W) should be 1/3, the bound 1/√n.
    let n = 1000;
    let torch = Init::TorchLinear.weights(n, n, &mut rng);
    let measured_n_var = n as f64 * variance(torch.as_slice().unwrap());
    let largest = torch.iter().fold(0.0f64, |m, w| m.max(w.abs()));
    // ANCHOR_END: torch_default
    run.say(format!(
        "PyTorch default at fan_in = {n}: n·Var(W) = {measured_n_var:.4} (theory 1/3 = 0.3333), largest |w| = {largest:.5} (bound 1/√n = {:.5})\n",
        1.0 / (n as f64).sqrt()
    ));
    run.record("torch_n_var", measured_n_var);
    run.record("torch_largest", largest);

    // ANCHOR: glorot_at_init
    // Glorot & Bengio's experiment at initialization, on a batch of digits:
    // `depth` hidden layers of `width` units, the standard initialization
    // against the one chosen with --init (normalized = Xavier by default).
    let (batch, _) = digits.split(1.0 - args.batch as f64 / digits.len() as f64, &mut rng);
    let sizes = layer_sizes(64, args.width, args.depth, 10);
    let inits = [("standard", Init::GLOROT_STANDARD), ("chosen", args.init)];
    let snapshots: Vec<(String, Mlp, Snapshot)> = inits
        .iter()
        .map(|&(role, init)| {
            let net = Mlp::new(&sizes, args.activation, init, &mut rng);
            let snap = Snapshot::take(&net, batch.x.view(), &batch.y);
            let label = if role == "standard" {
                "standard".to_string()
            } else {
                init.to_string()
            };
            (label, net, snap)
        })
        .collect();
    // ANCHOR_END: glorot_at_init

    // Per-layer table for the terminal and the chapter.
    let mut fault_lines = Vec::new();
    let mut table = String::from(
        "| init | layer | mean of h | Var(h) | Var(h) ratio to previous layer | Var(∂L/∂z) | Var(∂L/∂W) |\n|---|---:|---:|---:|---:|---:|---:|\n",
    );
    for (label, _, snap) in &snapshots {
        let stats = snap.hidden_stats();
        for (i, s) in stats.iter().enumerate() {
            let ratio = if i == 0 {
                String::from("–")
            } else {
                format_number(s.activation_var / stats[i - 1].activation_var)
            };
            table += &format!(
                "| {label} | {} | {} | {} | {ratio} | {} | {} |\n",
                s.layer,
                format_number(s.activation_mean),
                format_number(s.activation_var),
                format_number(s.delta_var),
                format_number(s.weight_grad_var)
            );
        }
        let key = if label.starts_with("standard") {
            "standard"
        } else {
            "chosen"
        };
        run.record(&format!("layers_{key}"), &stats);
        // Blow-ups are results: count the layers whose activations or
        // gradients overflowed, and those whose gradients underflowed to 0.
        let mut faults = Faults::default();
        for s in &stats {
            let values = [s.activation_var, s.delta_var, s.weight_grad_var];
            if values.iter().any(|v| !v.is_finite()) {
                faults.overflowed += 1;
            } else if s.delta_var == 0.0 || s.weight_grad_var == 0.0 {
                faults.vanished += 1;
            }
        }
        if !faults.is_clean() {
            fault_lines.push(format!("{label}: {}", faults.describe("layers")));
        }
        run.record(&format!("faults_{key}"), faults);
    }
    run.say(format!(
        "{} hidden {} layers of {} units at initialization, {} digits:",
        args.depth, args.activation, args.width, args.batch
    ));
    run.say(&table);
    for line in &fault_lines {
        run.say(format!("numerical fault: {line}"));
    }
    run.text("layers.md", &table);

    // Figures 6–8 of Glorot & Bengio: histograms per layer, both inits.
    let hist_figure = |what: &str,
                       values: &dyn Fn(&Snapshot, usize) -> Vec<f64>,
                       symmetric_range: Option<f64>| {
        // At most six layers per panel, evenly spaced, first and last included.
        let shown: Vec<usize> = if args.depth <= 6 {
            (0..args.depth).collect()
        } else {
            (0..6).map(|i| i * (args.depth - 1) / 5).collect()
        };
        let range = symmetric_range.unwrap_or_else(|| {
            let all: Vec<f64> = snapshots
                .iter()
                .flat_map(|(_, _, s)| shown.iter().flat_map(|&l| values(s, l)).map(f64::abs))
                .collect();
            quantile(&all, 0.995)
        });
        // No finite value at all (everything overflowed): draw an empty panel
        // on [-1, 1] with its note rather than fail.
        let range = if range.is_finite() && range > 0.0 {
            range
        } else {
            1.0
        };
        let panels = snapshots
            .iter()
            .map(|(label, _, snap)| {
                let mut chart = LineChart::new(format!("{what}: {label}"))
                    .labels(what.to_string(), "fraction of values per bin")
                    .legend(Legend::UpperRight);
                let mut non_finite = 0;
                for &l in &shown {
                    let h = Histogram::new(&values(snap, l), -range, range, 60);
                    non_finite += h.non_finite;
                    chart = chart.histogram(format!("layer {}", l + 1), &h);
                }
                if non_finite > 0 {
                    chart = chart.note(format!(
                        "{non_finite} values overflowed (inf/NaN), not counted"
                    ));
                }
                chart
            })
            .collect();
        Figure::grid(panels, 2)
    };
    let act_fig = hist_figure(
        "activation value",
        &|s, l| flat(&s.forward.post[l + 1]),
        match args.activation {
            Activation::Tanh => Some(1.0),
            _ => None,
        },
    );
    run.figure("activations.svg", &act_fig);
    run.figure(
        "backprop_gradients.svg",
        &hist_figure(
            "back-propagated gradient ∂L/∂z",
            &|s, l| flat(&s.grads.deltas[l]),
            None,
        ),
    );
    run.figure(
        "weight_gradients.svg",
        &hist_figure(
            "weight gradient ∂L/∂W",
            &|s, l| flat(&s.grads.weights[l]),
            None,
        ),
    );

    // ANCHOR: jacobian
    // §4.2.2: the average singular value of the Jacobian ∂h(l+1)/∂h(l)
    // between two middle layers, for the first digit of the batch.
    let l = (args.depth / 2)
        .max(1)
        .min(args.depth.saturating_sub(1))
        .max(1);
    let jacobians: Vec<(String, f64)> = snapshots
        .iter()
        .filter(|_| args.depth >= 2)
        .map(|(label, net, snap)| {
            let j = layer_jacobian(net, &snap.forward, l, 0);
            (label.clone(), mean_singular_value(j.view()))
        })
        .collect();
    // ANCHOR_END: jacobian
    for (label, s) in &jacobians {
        let key = if label.starts_with("standard") {
            "standard"
        } else {
            "chosen"
        };
        run.say(format!(
            "average singular value of ∂h({})/∂h({l}), {label}: {s:.3}",
            l + 1
        ));
        run.record(&format!("jacobian_mean_sv_{key}"), s);
    }
    run.record("quarter_circle_mean", quarter_circle_mean());

    // ANCHOR: training
    // Train deep (depth hidden layers) tanh and sigmoid networks on the
    // digits with both initializations, Glorot & Bengio's minibatch of 10.
    let (train_set, test_set) = digits.split(0.25, &mut rng);
    let train_sizes = layer_sizes(64, args.train_width, args.depth, 10);
    let cfg = Training {
        epochs: args.epochs,
        batch_size: args.minibatch,
        sgd: Sgd::new(args.lr),
        dropout: 0.0,
    };
    let steps = (args.epochs * train_set.len().div_ceil(args.minibatch)) as u64;
    let bar = run.progress(4 * steps, "training tanh and sigmoid networks");
    let mut curves = Vec::new();
    for act in [Activation::Tanh, Activation::Sigmoid] {
        for (label, init) in [("standard", Init::GLOROT_STANDARD), ("chosen", args.init)] {
            let mut net = Mlp::new(&train_sizes, act, init, &mut rng);
            let history = train(&mut net, &train_set, &test_set, &cfg, &mut rng, |_| {
                bar.inc(1)
            });
            curves.push((act, label, init, history));
        }
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
        "| activation | initialization | test error after training |\n|---|---|---:|\n",
    );
    for (act, label, init, history) in &curves {
        let init_name = if *label == "standard" {
            "standard".to_string()
        } else {
            init.to_string()
        };
        let name = format!("{act}, {init_name}");
        // One colour per activation; dashed = standard initialization.
        let (marker, color) = match (*label, act) {
            ("standard", Activation::Tanh) => (Marker::Dashed, 0),
            (_, Activation::Tanh) => (Marker::Line, 0),
            ("standard", _) => (Marker::Dashed, 1),
            _ => (Marker::Line, 1),
        };
        let curve = |f: fn(&EpochStats) -> f64| -> Vec<(f64, f64)> {
            history.iter().map(|s| (s.epoch as f64, f(s))).collect()
        };
        loss_chart = loss_chart
            .series(&name, curve(|s| s.train_loss), marker)
            .color(color);
        error_chart = error_chart
            .series(&name, curve(|s| s.test_error), marker)
            .color(color);
        let last = history.last().unwrap();
        if !last.train_loss.is_finite() {
            let what = format!(
                "{name}: training diverged (loss {}) in epoch {}",
                last.train_loss, last.epoch
            );
            loss_chart = loss_chart.note(what.clone());
            run.say(format!("numerical fault: {what}"));
        }
        train_table += &format!(
            "| {act} | {init_name} | {:.2}% |\n",
            100.0 * last.test_error
        );
        run.record(&format!("test_error_{act}_{label}"), last.test_error);
    }
    run.say(format!(
        "\nTraining {} hidden layers of {} units, {} epochs:",
        args.depth, args.train_width, args.epochs
    ));
    run.say(&train_table);
    run.text("training.md", &train_table);
    run.figure(
        "training.svg",
        &Figure::grid(vec![loss_chart, error_chart], 2),
    );
    run.finish();
}
