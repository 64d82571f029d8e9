//! Chapter "Vanishing and exploding gradients": every figure and number in it.
//!
//! Run `cargo run --example gradients -- --help` for the flags. The
//! experiments are `scalar_chains`, `sigmoid_saturation`, `matrix_products`,
//! `deep_mlp_at_init` and `clipping` in `stable_learning::deep::gradients`;
//! this file is their command line and their figures.

use clap::Parser;
use serde::Serialize;
use stable_learning::book::figure::{Figure, Legend, LineChart, Marker};
use stable_learning::book::live::{
    self,
    gradients::{GROWTH_NEEDS, matrix_product_figure},
};
use stable_learning::book::runner::{Common, Experiment, Run, number_in, whole_in};
use stable_learning::book::table::{Cell, Table};
use stable_learning::deep::gradients::{
    CHAIN_DEPTH, ChainStep, Clipping, ClippingParams, DeepMlpAtInit, DeepMlpParams,
    MatrixProductParams, MatrixProducts, ScalarChains, SigmoidSaturation, clipping,
    deep_mlp_at_init, matrix_products, scalar_chains, sigmoid_saturation,
};
use stable_learning::numeric::random::stream;
use stable_learning::numeric::stats::Spread;

/// Vanishing and exploding gradients: products of many factors, saturating
/// sigmoids, deep networks at initialization, and gradient clipping.
#[derive(Parser, Debug, Clone, PartialEq, Serialize)]
#[command(name = "gradients", allow_negative_numbers = true)]
struct Args {
    #[command(flatten)]
    #[serde(flatten)]
    common: Common,
    /// Layers in the scalar identity network (1..=1000)
    #[arg(long, default_value_t = 30, value_parser = whole_in(CHAIN_DEPTH))]
    chain_depth: usize,
    /// Random matrices multiplied together in each trial (1..=10000)
    #[arg(long, default_value_t = 100, value_parser = whole_in(MatrixProductParams::FACTORS))]
    factors: usize,
    /// Size n of the n×n random matrices (1..=64)
    #[arg(long, default_value_t = 4, value_parser = whole_in(MatrixProductParams::DIM))]
    dim: usize,
    /// Independent trials (seeds) of the matrix product (1..=10000)
    #[arg(long, default_value_t = 200, value_parser = whole_in(MatrixProductParams::TRIALS))]
    trials: usize,
    /// Hidden layers of the deep MLP (1..=1000)
    #[arg(long, default_value_t = 50, value_parser = whole_in(DeepMlpParams::DEPTH))]
    depth: usize,
    /// Units per hidden layer of the deep MLP (1..=1024)
    #[arg(long, default_value_t = 64, value_parser = whole_in(DeepMlpParams::WIDTH))]
    width: usize,
    /// Digits images in the batch pushed through the deep MLP (1..=1797)
    #[arg(long, default_value_t = 256, value_parser = whole_in(DeepMlpParams::BATCH))]
    batch: usize,
    /// Factor multiplying the weights' standard deviation in the "scaled up" panel (0.01..=100)
    #[arg(long, default_value_t = 4.0, value_parser = number_in(DeepMlpParams::SCALE))]
    scale: f64,
    /// Seeds the deep MLP is drawn on, batch and weights (1..=1000)
    #[arg(long, default_value_t = 10, value_parser = whole_in(DeepMlpParams::SEEDS))]
    seeds: usize,
    /// Learning rate for the clipping demonstration (1e-6..=10)
    #[arg(long, default_value_t = 0.01, value_parser = number_in(ClippingParams::LR))]
    lr: f64,
    /// Clipping threshold τ on the gradient norm (1e-6..=1e6)
    #[arg(long, default_value_t = 1.0, value_parser = number_in(ClippingParams::CLIP))]
    clip: f64,
}

impl Experiment for Args {
    fn common(&mut self) -> &mut Common {
        &mut self.common
    }
}

fn main() {
    let (args, mut run) = Run::start::<Args>("gradients");
    // Each random experiment draws from its own stream, derived from the
    // seed and the experiment's name.
    let seed = args.common.seed;

    let chains = run.check(scalar_chains(args.chain_depth));
    report_scalar_chains(&mut run, args.chain_depth, &chains);
    run.record("scalar_chains", &chains);

    let sigmoid = sigmoid_saturation();
    report_sigmoid_saturation(&mut run, &sigmoid);
    run.record("sigmoid_saturation", &sigmoid);

    let product_params = MatrixProductParams {
        factors: args.factors,
        dim: args.dim,
        trials: args.trials,
    };
    let progress = &mut run.progress_fn("matrix products");
    let rng = &mut stream(seed, "matrix_products", 0);
    let products = run.check(matrix_products(&product_params, rng, progress));
    report_matrix_products(&mut run, &product_params, &products);
    run.record("matrix_products", &products);

    let mlp_params = DeepMlpParams {
        depth: args.depth,
        width: args.width,
        batch: args.batch,
        scale: args.scale,
        seeds: args.seeds,
    };
    let progress = &mut run.progress_fn("deep networks");
    let mlp = run.check(deep_mlp_at_init(&mlp_params, seed, progress));
    report_deep_mlp_at_init(&mut run, &mlp_params, &mlp);
    run.record("deep_mlp_at_init", &mlp);

    let clip_params = ClippingParams {
        lr: args.lr,
        clip: args.clip,
        ..ClippingParams::default()
    };
    let clipped = run.check(clipping(&clip_params));
    report_clipping(&mut run, &clip_params, &clipped);
    run.record("clipping", &clipped);

    run.finish();
}

/// Points (l, v[l]) for a curve over the layers 0, 1, 2, …
fn by_layer(v: &[f64]) -> Vec<(f64, f64)> {
    v.iter().enumerate().map(|(l, &y)| (l as f64, y)).collect()
}

/// Table 1.1 and Figure 1.1.
fn report_scalar_chains(run: &mut Run, depth: usize, chains: &ScalarChains) {
    let mut table = Table::new(&["layer l", "0.2ˡ", "5ˡ", "0.25ˡ (sigmoid bound)"]).significant(4);
    let shown: std::collections::BTreeSet<usize> = [1, 5, 10, 20, 30, depth]
        .into_iter()
        .filter(|&l| l <= depth)
        .collect();
    for &l in &shown {
        table.row(vec![
            Cell::number(l as f64),
            Cell::number(chains.small[l]),
            Cell::number(chains.large[l]),
            Cell::number(chains.sigmoid_bound[l]),
        ]);
    }
    let table = table.to_markdown();
    run.say("Scalar identity network (output after l layers):");
    run.say(&table);
    run.text("scalar_chain.md", &table);
    run.figure(
        "scalar_chain.svg",
        &Figure::single(
            LineChart::new("A product of many factors vanishes or explodes")
                .labels("layer l", "output of the identity network (log scale)")
                .log_y()
                .line("weight 5: 5ˡ", by_layer(&chains.large))
                .line("weight 0.2: 0.2ˡ", by_layer(&chains.small))
                .series(
                    "sigmoid bound: 0.25ˡ",
                    by_layer(&chains.sigmoid_bound),
                    Marker::Dashed,
                ),
        ),
    );
}

/// Figure 1.2.
fn report_sigmoid_saturation(run: &mut Run, s: &SigmoidSaturation) {
    let curve = |y: &[f64]| s.x.iter().copied().zip(y.iter().copied()).collect();
    run.figure(
        "sigmoid.svg",
        &Figure::single(
            LineChart::new("The sigmoid saturates; its derivative never exceeds 1/4")
                .labels("x", "")
                .line("sigmoid(x)", curve(&s.sigmoid))
                .line("sigmoid'(x)", curve(&s.derivative)),
        ),
    );
}

/// Figure 1.3.
fn report_matrix_products(run: &mut Run, params: &MatrixProductParams, r: &MatrixProducts) {
    let entries = &r.largest_entry;
    let end = entries[entries.len() - 1];
    let theory = r.growth_rate_theory;
    run.figure("matrix_product.svg", &matrix_product_figure(params, r));
    run.text("live.html", &live::gradients::LIVE.controls_html());
    run.say(format!(
        "Product of {} random {}x{} matrices over {} seeds: largest entry median {:.2e}, 10%-90% [{:.2e}, {:.2e}], range [{:.2e}, {:.2e}]",
        params.factors,
        params.dim,
        params.dim,
        params.trials,
        end.median,
        end.q10,
        end.q90,
        end.min,
        end.max
    ));
    if r.growth_rate.is_nan() {
        run.say(format!(
            "growth per factor: {GROWTH_NEEDS}; theory {theory:.4}\n"
        ));
    } else {
        run.say(format!(
            "growth per factor: measured {:.4} (median over seeds), theory {theory:.4}\n",
            r.growth_rate
        ));
    }
}

/// Table 1.2 and Figure 1.4.
fn report_deep_mlp_at_init(run: &mut Run, params: &DeepMlpParams, r: &DeepMlpAtInit) {
    let seeds = params.seeds;
    let spread = if seeds > 1 {
        "median and range"
    } else {
        "one seed"
    };
    let mut panels = vec![
        LineChart::new("PyTorch default init (Var = 1/(3·fan_in))"),
        LineChart::new(format!("weights scaled up ×{}", params.scale)),
    ];
    let range_title = format!("min–max over {seeds} seed{}", plural(seeds));
    let mut table = Table::new(&[
        "activation",
        "init",
        "‖∂L/∂W‖ at layer 1 (input): median",
        "at the output layer: median",
        "ratio input/output: median",
        &range_title,
    ]);
    let mut fault_lines = Vec::new();
    for (i, p) in r.runs.iter().enumerate() {
        let act = p.activation;
        let name = if p.scaled {
            format!("×{}", params.scale)
        } else {
            "default".to_string()
        };
        let panel = &mut panels[usize::from(p.scaled)];
        let layers = p.profiles[0].weight_grad_norm.len();
        let at = |l: usize| Spread::of(p.profiles.iter().map(|q| q.weight_grad_norm[l]).collect());
        let by_layer: Vec<(f64, Spread)> = (0..layers).map(|l| ((l + 1) as f64, at(l))).collect();
        *panel = std::mem::take(panel).median_and_range(act.name(), &by_layer, Marker::Line, i / 2);
        table.row(vec![
            Cell::text(act.to_string()),
            Cell::text(name.clone()),
            Cell::number(at(0).median),
            Cell::number(at(layers - 1).median),
            Cell::number(p.ratio.median),
            Cell::range(p.ratio.min, p.ratio.max),
        ]);
        // Numerical blow-ups are results: report them.
        if !p.faults.is_clean() {
            let what = p.faults.describe("layers");
            *panel = std::mem::take(panel).note(format!("{act}: {what}"));
            fault_lines.push(format!("{act}, {name}: {what}"));
        }
    }
    let panels = panels
        .into_iter()
        .map(|p| {
            p.labels(
                "layer l (1 = input side)",
                format!("‖∂L/∂W(l)‖, {spread} (log scale)"),
            )
            .log_y()
            .legend(Legend::LowerRight)
        })
        .collect();
    run.figure("deep_mlp.svg", &Figure::stack(panels));
    let table = table.to_markdown();
    run.say(format!(
        "Deep MLP at initialization: {} hidden layer{} of {} units, a batch of {} digit image{}, {seeds} seed{}",
        params.depth,
        plural(params.depth),
        params.width,
        params.batch,
        plural(params.batch),
        plural(seeds)
    ));
    run.say(&table);
    for line in &fault_lines {
        run.say(format!("numerical fault: {line}"));
    }
    run.text("deep_mlp.md", &table);
}

/// Figure 1.5.
fn report_clipping(run: &mut Run, params: &ClippingParams, r: &Clipping) {
    let curve = |h: &[ChainStep]| -> Vec<(f64, f64)> {
        h.iter()
            .enumerate()
            .map(|(t, s)| (t as f64, s.loss))
            .collect()
    };
    let mut chart = LineChart::new(format!(
        "Gradient descent on a {}-layer scalar chain",
        params.depth
    ))
    .labels("step", "loss ½(w₁⋯w₃₀ − 1)² (log scale)")
    .log_y()
    .line("no clipping", curve(&r.plain))
    .line(
        format!("clipped to norm {}", params.clip),
        curve(&r.clipped),
    )
    .legend(Legend::UpperRight);
    if let Some(t) = r.blowup_step {
        chart = chart.note(format!(
            "without clipping the loss overflowed to {} at step {t}",
            r.plain[t].loss
        ));
    }
    run.figure("clipping.svg", &Figure::single(chart));
    run.say(format!(
        "Clipping: without, {}; with τ = {}, loss {:.2e} after {} steps",
        match r.blowup_step {
            Some(t) => format!("the loss overflowed at step {t}"),
            None => format!(
                "loss {:.2e} after {} steps",
                r.final_loss_plain,
                r.plain.len()
            ),
        },
        params.clip,
        r.final_loss_clipped,
        r.clipped.len()
    ));
}

/// The plural ending for a count.
fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}
