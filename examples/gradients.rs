//! Chapter "Vanishing and exploding gradients": every figure and number in it.
//!
//! Run `cargo run --example gradients -- --help` for the flags.

use clap::Parser;
use rand::{Rng, SeedableRng, rngs::StdRng};
use serde::Serialize;
use stable_learning::book::figure::{Figure, Legend, LineChart, Marker, format_number};
use stable_learning::book::runner::{Common, Experiment, Run, float_in, int_in};
use stable_learning::deep::gradients::{
    LayerProfile, descend_scalar_chain, gaussian_product_growth_rate, growth_rate,
    matrix_product_growth, profile_at_init, scalar_chain,
};
use stable_learning::nn::activation::{Activation, sigmoid};
use stable_learning::nn::data::Dataset;
use stable_learning::nn::init::Init;
use stable_learning::numeric::stats::{Faults, quantile};

/// Vanishing and exploding gradients: products of many factors, saturating
/// sigmoids, deep networks at initialization, and gradient clipping.
#[derive(Parser, Debug, Clone, PartialEq, Serialize)]
#[command(name = "gradients", allow_negative_numbers = true)]
struct Args {
    #[command(flatten)]
    common: Common,
    /// Layers in the scalar identity network (1..=1000)
    #[arg(long, default_value_t = 30, value_parser = int_in(1, 1000))]
    chain_depth: usize,
    /// Random matrices multiplied together in each trial (1..=10000)
    #[arg(long, default_value_t = 100, value_parser = int_in(1, 10_000))]
    factors: usize,
    /// Size n of the n×n random matrices (1..=64)
    #[arg(long, default_value_t = 4, value_parser = int_in(1, 64))]
    dim: usize,
    /// Independent trials (seeds) of the matrix product (1..=10000)
    #[arg(long, default_value_t = 200, value_parser = int_in(1, 10_000))]
    trials: usize,
    /// Hidden layers of the deep MLP (1..=1000)
    #[arg(long, default_value_t = 50, value_parser = int_in(1, 1000))]
    depth: usize,
    /// Units per hidden layer of the deep MLP (1..=1024)
    #[arg(long, default_value_t = 64, value_parser = int_in(1, 1024))]
    width: usize,
    /// Digits images in the batch pushed through the deep MLP (1..=1797)
    #[arg(long, default_value_t = 256, value_parser = int_in(1, 1797))]
    batch: usize,
    /// Factor multiplying the weights' standard deviation in the "scaled up" panel (0.01..=100)
    #[arg(long, default_value_t = 4.0, value_parser = float_in(0.01, 100.0))]
    scale: f64,
    /// Learning rate for the clipping demonstration (1e-6..=10)
    #[arg(long, default_value_t = 0.01, value_parser = float_in(1e-6, 10.0))]
    lr: f64,
    /// Clipping threshold τ on the gradient norm (1e-6..=1e6)
    #[arg(long, default_value_t = 1.0, value_parser = float_in(1e-6, 1e6))]
    clip: f64,
}

impl Experiment for Args {
    fn common(&mut self) -> &mut Common {
        &mut self.common
    }
}

const ACTIVATIONS: [Activation; 3] = [Activation::Sigmoid, Activation::Tanh, Activation::Relu];

fn main() {
    let (args, mut run) = Run::start::<Args>("gradients");
    let mut rng = StdRng::seed_from_u64(args.common.seed);

    // ANCHOR: scalar_chain
    // An identity network with one scalar weight per layer: after l layers the
    // output is w^l. Small weights vanish, large ones explode.
    let small = scalar_chain(0.2, args.chain_depth);
    let large = scalar_chain(5.0, args.chain_depth);
    let sigmoid_bound = scalar_chain(0.25, args.chain_depth);
    // ANCHOR_END: scalar_chain
    let mut table =
        String::from("| layer l | 0.2^l | 5^l | 0.25^l (sigmoid bound) |\n|---:|---:|---:|---:|\n");
    let shown: Vec<usize> = [1, 5, 10, 20, 30, args.chain_depth]
        .into_iter()
        .filter(|&l| l <= args.chain_depth)
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    for &l in &shown {
        table += &format!(
            "| {l} | {:.3e} | {:.3e} | {:.3e} |\n",
            small[l], large[l], sigmoid_bound[l]
        );
    }
    run.say("Scalar identity network (output after l layers):");
    run.say(&table);
    run.text("scalar_chain.md", &table);
    let depth_axis = |v: &[f64]| v.iter().enumerate().map(|(l, &y)| (l as f64, y)).collect();
    run.figure(
        "scalar_chain.svg",
        &Figure::single(
            LineChart::new("A product of many factors vanishes or explodes")
                .labels("layer l", "output of the identity network (log scale)")
                .log_y()
                .line("weight 5: 5^l", depth_axis(&large))
                .line("weight 0.2: 0.2^l", depth_axis(&small))
                .series(
                    "sigmoid bound: 0.25^l",
                    depth_axis(&sigmoid_bound),
                    Marker::Dashed,
                ),
        ),
    );
    run.record("chain_small", small[args.chain_depth]);
    run.record("chain_large", large[args.chain_depth]);
    run.record("chain_sigmoid_bound", sigmoid_bound[args.chain_depth]);

    // Sigmoid and its derivative on [-8, 8].
    let xs: Vec<f64> = (0..=320).map(|i| -8.0 + i as f64 * 0.05).collect();
    let s = Activation::Sigmoid;
    run.figure(
        "sigmoid.svg",
        &Figure::single(
            LineChart::new("The sigmoid saturates; its derivative never exceeds 1/4")
                .labels("x", "")
                .line("sigmoid(x)", xs.iter().map(|&x| (x, sigmoid(x))).collect())
                .line(
                    "sigmoid'(x)",
                    xs.iter().map(|&x| (x, s.derivative(x))).collect(),
                ),
        ),
    );
    for x in [0.0, 4.0, 8.0] {
        run.record(&format!("sigmoid_derivative_at_{x}"), s.derivative(x));
    }

    // ANCHOR: matrix_product
    // d2l's experiment, repeated over many seeds: the largest entry of the
    // product of `factors` random dim×dim N(0,1) matrices.
    let trials: Vec<Vec<f64>> = run
        .steps(0..args.trials, "matrix products")
        .map(|_| {
            let mut trial_rng = StdRng::seed_from_u64(rng.next_u64());
            matrix_product_growth(args.factors, args.dim, &mut trial_rng)
        })
        .collect();
    // ANCHOR_END: matrix_product
    let at = |k: usize, q: f64| quantile(&trials.iter().map(|t| t[k]).collect::<Vec<_>>(), q);
    let ks = 0..args.factors;
    let median: Vec<(f64, f64)> = ks.clone().map(|k| ((k + 1) as f64, at(k, 0.5))).collect();
    let band = ks
        .clone()
        .map(|k| ((k + 1) as f64, at(k, 0.1), at(k, 0.9)))
        .collect();
    let rates: Vec<f64> = trials
        .iter()
        .map(|t| growth_rate(t, 10.min(t.len() / 2)))
        .collect();
    let rate = quantile(&rates, 0.5);
    let theory = gaussian_product_growth_rate(args.dim);
    let last = args.factors - 1;
    let theory_line = ks
        .map(|k| {
            (
                (k + 1) as f64,
                at(last, 0.5) * theory.powi(k as i32 - last as i32),
            )
        })
        .collect();
    run.figure(
        "matrix_product.svg",
        &Figure::single(
            LineChart::new(format!(
                "Largest entry of a product of {}×{} Gaussian matrices ({} seeds)",
                args.dim, args.dim, args.trials
            ))
            .labels("number of factors k", "max |entry| (log scale)")
            .log_y()
            .band("10%–90% of seeds", band)
            .line("median over seeds", median)
            .series(
                format!("theory: growth {rate:.3} per factor", rate = theory),
                theory_line,
                Marker::Dashed,
            ),
        ),
    );
    let (lo, med, hi) = (at(last, 0.1), at(last, 0.5), at(last, 0.9));
    let (min, max) = (at(last, 0.0), at(last, 1.0));
    run.say(format!(
        "Product of {} random {}x{} matrices over {} seeds: largest entry median {:.2e}, 10%-90% [{:.2e}, {:.2e}], range [{:.2e}, {:.2e}]",
        args.factors, args.dim, args.dim, args.trials, med, lo, hi, min, max
    ));
    run.say(format!(
        "growth per factor: measured {rate:.4} (median over seeds), theory {theory:.4}\n"
    ));
    run.record("product_median", med);
    run.record("product_q10", lo);
    run.record("product_q90", hi);
    run.record("product_min", min);
    run.record("product_max", max);
    run.record("growth_rate_measured", rate);
    run.record("growth_rate_theory", theory);

    // ANCHOR: deep_mlp
    // A deep MLP at initialization on a batch of real digits: the norm of the
    // weight gradient in every layer, for three activations, with PyTorch's
    // default initialization and with the weights scaled up.
    let digits = Dataset::digits();
    let (batch, _) = digits.split(1.0 - args.batch as f64 / digits.len() as f64, &mut rng);
    let profile = |act: Activation, init: Init, rng: &mut StdRng| -> LayerProfile {
        profile_at_init(
            batch.x.view(),
            &batch.y,
            args.depth,
            args.width,
            act,
            init,
            rng,
        )
    };
    let default_init = Init::TorchLinear;
    let scaled_init = Init::TorchLinear.scaled(args.scale);
    let profiles: Vec<(Activation, LayerProfile, LayerProfile)> = ACTIVATIONS
        .iter()
        .map(|&act| {
            (
                act,
                profile(act, default_init, &mut rng),
                profile(act, scaled_init, &mut rng),
            )
        })
        .collect();
    // ANCHOR_END: deep_mlp
    let mut panels = vec![
        LineChart::new("PyTorch default init (Var = 1/(3·fan_in))"),
        LineChart::new(format!("weights scaled up ×{}", args.scale)),
    ];
    let mut table = String::from(
        "| activation | init | ‖∂L/∂W‖ at layer 1 (input) | at the output layer | ratio input/output |\n|---|---|---:|---:|---:|\n",
    );
    let mut fault_lines = Vec::new();
    for (act, plain, scaled) in &profiles {
        for (panel, (p, name)) in panels.iter_mut().zip([
            (plain, "default".to_string()),
            (scaled, format!("×{}", args.scale)),
        ]) {
            let norms = &p.weight_grad_norm;
            *panel = std::mem::take(panel).line(
                act.name(),
                norms
                    .iter()
                    .enumerate()
                    .map(|(l, &g)| ((l + 1) as f64, g))
                    .collect(),
            );
            let (first, out) = (norms[0], *norms.last().unwrap());
            table += &format!(
                "| {act} | {name} | {} | {} | {} |\n",
                format_number(first),
                format_number(out),
                format_number(first / out)
            );
            let key = if name == "default" {
                "default"
            } else {
                "scaled"
            };
            run.record(&format!("grad_ratio_{act}_{key}"), first / out);
            // Numerical blow-ups are results: count and report them.
            let faults = Faults::count(norms);
            if !faults.is_clean() {
                let what = faults.describe("layers");
                *panel = std::mem::take(panel).note(format!("{act}: {what}"));
                fault_lines.push(format!("{act}, {name}: {what}"));
            }
            run.record(&format!("faults_{act}_{key}"), faults);
        }
    }
    let panels = panels
        .into_iter()
        .map(|p| {
            p.labels("layer l (1 = input side)", "‖∂L/∂W(l)‖ (log scale)")
                .log_y()
                .legend(Legend::LowerRight)
        })
        .collect();
    run.figure("deep_mlp.svg", &Figure::grid(panels, 2));
    run.say(format!(
        "Deep MLP at initialization: {} hidden layers of {} units, {} digits images",
        args.depth, args.width, args.batch
    ));
    run.say(&table);
    for line in &fault_lines {
        run.say(format!("numerical fault: {line}"));
    }
    run.text("deep_mlp.md", &table);

    // ANCHOR: clipping
    // Gradient descent on a 30-layer scalar chain started at w = 1.1 (output
    // 1.1^30 ≈ 17.4, target 1): without clipping the first steps overshoot
    // into a region where the gradient explodes; with clipping they cannot.
    let steps = 200;
    let plain = descend_scalar_chain(30, 1.1, 1.0, args.lr, steps, None);
    let clipped = descend_scalar_chain(30, 1.1, 1.0, args.lr, steps, Some(args.clip));
    // ANCHOR_END: clipping
    let curve = |h: &[stable_learning::deep::gradients::ChainStep]| -> Vec<(f64, f64)> {
        h.iter()
            .enumerate()
            .map(|(t, s)| (t as f64, s.loss))
            .collect()
    };
    let blew_up = plain.iter().position(|s| !s.loss.is_finite());
    let mut chart = LineChart::new("Gradient descent on a 30-layer scalar chain")
        .labels("step", "loss ½(w₁⋯w₃₀ − 1)² (log scale)")
        .log_y()
        .line("no clipping", curve(&plain))
        .line(format!("clipped to norm {}", args.clip), curve(&clipped))
        .legend(Legend::UpperRight);
    if let Some(t) = blew_up {
        chart = chart.note(format!(
            "without clipping the loss overflowed to {} at step {t}",
            plain[t].loss
        ));
    }
    run.figure("clipping.svg", &Figure::single(chart));
    let final_loss =
        |h: &[stable_learning::deep::gradients::ChainStep]| h.last().map_or(f64::NAN, |s| s.loss);
    run.say(format!(
        "Clipping: without, {}; with τ = {}, loss {:.2e} after {} steps",
        match blew_up {
            Some(t) => format!("the loss overflowed at step {t}"),
            None => format!(
                "loss {:.2e} after {} steps",
                final_loss(&plain),
                plain.len()
            ),
        },
        args.clip,
        final_loss(&clipped),
        clipped.len()
    ));
    run.record("clipping_blowup_step", blew_up);
    run.record("clipping_first_grad_norm", plain[0].grad_norm);
    run.record("clipping_final_loss_plain", final_loss(&plain));
    run.record("clipping_final_loss_clipped", final_loss(&clipped));
    run.finish();
}
