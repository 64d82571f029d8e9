//! Chapter "Order, chaos and dynamical isometry": every figure and number in
//! it.
//!
//! Run `cargo run --example order_chaos -- --help` for the flags. The
//! experiments are in `stable_learning::deep::order_chaos`; this file is
//! their command line and their figures.

use clap::Parser;
use serde::Serialize;
use stable_learning::book::figure::{Figure, Legend, LineChart, Marker};
use stable_learning::book::live::{
    self,
    order_chaos::{maps_figure, measured},
};
use stable_learning::book::runner::{Common, Experiment, Run, number_in, whole_in};
use stable_learning::book::table::{Cell, Table};
use stable_learning::deep::mean_field::{
    DepthScales, Trainability, TrainabilityParams, trainability,
};
use stable_learning::deep::order_chaos::{
    Isometry, MapsCheck, OrderChaosParams, PhaseDiagram, ResidualStacks, isometry,
    maps_against_networks, phase_diagram, residual_stacks,
};
use stable_learning::numeric::stats::Spread;

/// Order, chaos and dynamical isometry: the mean-field maps of wide tanh
/// networks against finite ones, the order-to-chaos boundary and its depth
/// scales, which networks train on the digits, the Jacobian's singular
/// values at the edge of chaos, and residual stacks.
#[derive(Parser, Debug, Clone, PartialEq, Serialize)]
#[command(name = "order_chaos", allow_negative_numbers = true)]
struct Args {
    #[command(flatten)]
    #[serde(flatten)]
    common: Common,
    /// The biases' variance σ_b² for the maps, depth scales and training (0..=1)
    #[arg(long, default_value_t = 0.05, value_parser = number_in(OrderChaosParams::SIGMA_B2))]
    sigma_b2: f64,
    /// σ_w² of the ordered network checked against the maps (0..=5)
    #[arg(long, default_value_t = 1.2, value_parser = number_in(OrderChaosParams::SIGMA_W2))]
    ordered: f64,
    /// σ_w² of the chaotic network checked against the maps (0..=5)
    #[arg(long, default_value_t = 4.0, value_parser = number_in(OrderChaosParams::SIGMA_W2))]
    chaotic: f64,
    /// Units per layer of the networks checked against the maps (2..=4000)
    #[arg(long, default_value_t = 500, value_parser = whole_in(OrderChaosParams::WIDTH))]
    width: usize,
    /// Layers of the networks checked against the maps (1..=1000)
    #[arg(long, default_value_t = 15, value_parser = whole_in(OrderChaosParams::DEPTH))]
    depth: usize,
    /// Units per layer of the Jacobian and residual networks (2..=1000)
    #[arg(long, default_value_t = 256, value_parser = whole_in(OrderChaosParams::JACOBIAN_WIDTH))]
    jacobian_width: usize,
    /// Layers of the deepest Jacobian and of the residual stacks (1..=2000)
    #[arg(long, default_value_t = 32, value_parser = whole_in(OrderChaosParams::JACOBIAN_DEPTH))]
    jacobian_depth: usize,
    /// Networks each measurement is repeated over (1..=100)
    #[arg(long, default_value_t = 5, value_parser = whole_in(OrderChaosParams::SEEDS))]
    seeds: usize,
    /// Units per hidden layer of the trained networks (2..=1000)
    #[arg(long, default_value_t = 32, value_parser = whole_in(TrainabilityParams::WIDTH))]
    train_width: usize,
    /// Training epochs of each network of the trainability grid (1..=500)
    #[arg(long, default_value_t = 3, value_parser = whole_in(TrainabilityParams::EPOCHS))]
    epochs: usize,
    /// SGD's learning rate in the trainability grid (1e-6..=10)
    #[arg(long, default_value_t = 0.03, value_parser = number_in(TrainabilityParams::LR))]
    lr: f64,
    /// Trained networks per cell of the trainability grid (1..=100)
    #[arg(long, default_value_t = 3, value_parser = whole_in(TrainabilityParams::SEEDS))]
    train_seeds: usize,
    /// Which trainability grid to train: the book's small one (seconds), or
    /// the full one (σ_w² from 0.5 to 4 in steps of 0.25, 4 to 96 layers;
    /// minutes)
    #[arg(long, value_enum, default_value_t = Grid::Small)]
    grid: Grid,
}

/// The trainability grid's size.
#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
enum Grid {
    // 7 values of σ_w² × 4 depths.
    Small,
    // 16 values of σ_w² × 9 depths.
    Full,
}

impl Experiment for Args {
    fn common(&mut self) -> &mut Common {
        &mut self.common
    }
}

fn main() {
    let (args, mut run) = Run::start::<Args>("order_chaos");
    let params = OrderChaosParams {
        sigma_b2: args.sigma_b2,
        ordered: args.ordered,
        chaotic: args.chaotic,
        width: args.width,
        depth: args.depth,
        jacobian_width: args.jacobian_width,
        jacobian_depth: args.jacobian_depth,
        seeds: args.seeds,
    };
    let seed = args.common.seed;

    // Every experiment runs before any figure is written: one that fails
    // leaves no files.
    let maps = run.check(maps_against_networks(&params, seed));
    let phase = run.check(phase_diagram(&params));
    let grid = trainability_grid(&args, phase.critical);
    let progress = &mut run.progress_fn("training the trainability grid");
    let trained = run.check(trainability(&grid, seed, progress));
    let progress = &mut run.progress_fn("Jacobian spectra");
    let spectra = run.check(isometry(&params, seed, progress));
    let stacks = run.check(residual_stacks(&params, seed));

    report_maps(&mut run, &maps);
    report_phase(&mut run, &params, &phase);
    report_trainability(&mut run, &grid, &trained, &phase.scales);
    report_isometry(&mut run, &spectra);
    report_residual(&mut run, &stacks);
    run.record("maps_against_networks", &maps);
    run.record("phase_diagram", &phase);
    run.record("trainability", &trained);
    run.record("isometry", &spectra);
    run.record("residual_stacks", &stacks);
    run.finish();
}

/// The test accuracy from which a cell counts as trained (chance is 0.1).
const TRAINS: f64 = 0.5;

/// The book's small grid, or the full one: σ_w² columns (with the critical
/// value among them) and depth rows.
fn trainability_grid(args: &Args, critical: f64) -> TrainabilityParams {
    let (mut sigma_w2, depths) = if args.grid == Grid::Full {
        let w: Vec<f64> = (0..=14).map(|i| 0.5 + 0.25 * i as f64).collect();
        (w, vec![4, 8, 12, 16, 24, 32, 48, 64, 96])
    } else {
        (vec![0.5, 0.75, 1.0, 1.25, 2.5, 4.0], vec![4, 8, 16, 24])
    };
    sigma_w2.push(critical);
    sigma_w2.sort_by(f64::total_cmp);
    TrainabilityParams {
        sigma_b2: args.sigma_b2,
        sigma_w2,
        depths,
        width: args.train_width,
        epochs: args.epochs,
        lr: args.lr,
        minibatch: 16,
        seeds: args.train_seeds,
    }
}

/// Figure 5.1 and Table 5.1.
fn report_maps(run: &mut Run, m: &MapsCheck) {
    let width = m.runs[0].measured_lengths[0].width;
    let seeds = m.runs[0].measured_lengths.len();
    let (figure, table) = maps_figure(m);
    let table = table.to_markdown();
    run.say(format!(
        "Mean-field maps against {seeds} tanh networks of {width} units per layer:"
    ));
    run.say(&table);
    run.text("maps.md", &table);
    run.figure("maps.svg", &figure);
    run.text("live.html", &live::order_chaos::LIVE.controls_html());
}

/// Figure 5.2.
fn report_phase(run: &mut Run, params: &OrderChaosParams, p: &PhaseDiagram) {
    let mut plane = LineChart::new("Order and chaos for tanh networks")
        .labels(
            "σ_b² (variance of the biases)",
            "σ_w² (fan-in × variance of the weights)",
        )
        .legend(Legend::LowerRight)
        .series("edge of chaos: χ₁ = 1", p.boundary.clone(), Marker::Line)
        .color(0);
    for (i, placed) in p.placed.iter().enumerate() {
        plane = plane
            .series(
                format!("{}: χ₁ = {:.2}", placed.name, placed.chi_1),
                vec![(0.0, placed.sigma_w2)],
                Marker::Discs,
            )
            .color(i + 1);
    }
    plane = plane.note("above the line: chaotic (χ₁ > 1); below: ordered (χ₁ < 1)");
    let xi = |f: fn(&DepthScales) -> f64| -> Vec<(f64, f64)> {
        p.scales
            .iter()
            .filter(|s| f(s).is_finite())
            .map(|s| (s.sigma_w2, f(s)))
            .collect()
    };
    let scales = LineChart::new(format!(
        "Depth scales at σ_b² = {}: infinite at σ_w² = {:.3}",
        params.sigma_b2, p.critical
    ))
    .labels("σ_w²", "layers (log scale)")
    .log_y()
    .legend(Legend::UpperRight)
    .series("ξ_c: correlations settle", xi(|s| s.xi_c), Marker::Line)
    .color(0)
    .series("ξ_q: lengths settle", xi(|s| s.xi_q), Marker::Dashed)
    .color(1);
    run.say(format!(
        "Edge of chaos at σ_b² = {}: σ_w² = {:.6}",
        params.sigma_b2, p.critical
    ));
    run.figure("phase.svg", &Figure::stack(vec![plane, scales]));
}

/// Figure 5.3 and Table 5.2.
fn report_trainability(
    run: &mut Run,
    grid: &TrainabilityParams,
    t: &Trainability,
    scales: &[DepthScales],
) {
    let seeds = grid.seeds;
    let mut accuracy = LineChart::new(format!(
        "Test accuracy after {} epochs of SGD ({} units per layer)",
        grid.epochs, grid.width
    ))
    .labels("σ_w²", format!("test accuracy, median of {seeds} networks"))
    .y_limits(0.0, 1.3)
    .legend(Legend::UpperLeft);
    let mut header = vec!["hidden layers".to_string()];
    header.extend(grid.sigma_w2.iter().map(|w| format!("σ_w² = {w:.2}")));
    let header: Vec<&str> = header.iter().map(String::as_str).collect();
    let mut table = Table::new(&header);
    for (row, &depth) in grid.depths.iter().enumerate() {
        let cells = &t.cells[row * grid.sigma_w2.len()..(row + 1) * grid.sigma_w2.len()];
        let points: Vec<(f64, Spread)> = cells
            .iter()
            .map(|c| (c.sigma_w2, c.accuracy.clone()))
            .collect();
        accuracy =
            accuracy.median_and_range(format!("{depth} layers"), &points, Marker::LineDots, row);
        let mut line = vec![Cell::number(depth as f64)];
        line.extend(cells.iter().map(|c| Cell::number(c.accuracy.median)));
        table.row(line);
    }
    let (lo, hi) = (grid.sigma_w2[0], *grid.sigma_w2.last().unwrap_or(&1.0));
    let edge = t
        .cells
        .iter()
        .zip(t.xi_c.iter().cycle())
        .find(|(_, x)| x.is_infinite())
        .map(|(c, _)| c.sigma_w2);
    accuracy = accuracy
        .series("", vec![(lo, 0.1), (hi, 0.1)], Marker::Dashed)
        .color(6);
    if let Some(edge) = edge {
        accuracy = accuracy
            .series("", vec![(edge, 0.0), (edge, 1.0)], Marker::Dashed)
            .color(6)
            .note(format!(
                "dashed: chance (0.1), and the edge of chaos (σ_w² = {edge:.2})"
            ));
    }
    let mut xi_row = vec![Cell::text("ξ_c")];
    xi_row.extend(t.xi_c.iter().map(|&x| {
        if x < 1e5 {
            Cell::written(format!("{x:.1}"))
        } else {
            // Infinite at the edge; at a column a hair beside it, larger
            // than any depth worth printing.
            Cell::written(if x.is_finite() { "> 10⁵" } else { "∞" })
        }
    }));
    table.row(xi_row);
    let table = table.to_markdown();
    run.say(format!(
        "Test accuracy (median of {seeds}) after {} epochs, σ_b² = {}:",
        grid.epochs, grid.sigma_b2
    ));
    run.say(&table);
    run.text("trainability.md", &table);
    run.figure(
        "trainability.svg",
        &Figure::stack(vec![accuracy, trainable_region(grid, t, scales)]),
    );
}

/// The grid's cells in the (σ_w², depth) plane, trained or not, under the
/// depth scale ξ_c and six times it.
fn trainable_region(
    grid: &TrainabilityParams,
    t: &Trainability,
    scales: &[DepthScales],
) -> LineChart {
    // High enough to show 6 ξ_c on the chaotic side too.
    let top = 4.0 * *grid.depths.iter().max().unwrap_or(&1) as f64;
    let (trains, fails): (Vec<_>, Vec<_>) = t
        .cells
        .iter()
        .map(|c| (c.sigma_w2, c.depth as f64, c.accuracy.median >= TRAINS))
        .partition(|c| c.2);
    let points = |cells: Vec<(f64, f64, bool)>| cells.into_iter().map(|(w, d, _)| (w, d)).collect();
    // One curve per phase: ξ_c is infinite between them.
    let times = |k: f64, ordered: bool| -> Vec<(f64, f64)> {
        scales
            .iter()
            .filter(|s| k * s.xi_c <= top && (s.chi_1 < 1.0) == ordered)
            .map(|s| (s.sigma_w2, k * s.xi_c))
            .collect()
    };
    LineChart::new("Which networks train, under the depth scale")
        .labels("σ_w²", "hidden layers (log scale)")
        .log_y()
        .y_limits(1.0, top)
        .legend(Legend::LowerRight)
        .series(
            format!("trains (median accuracy ≥ {TRAINS})"),
            points(trains),
            Marker::Discs,
        )
        .color(2)
        .series(
            format!("does not (median accuracy < {TRAINS})"),
            points(fails),
            Marker::Rings,
        )
        .color(3)
        .series("ξ_c", times(1.0, true), Marker::Line)
        .color(0)
        .series("", times(1.0, false), Marker::Line)
        .color(0)
        .series("6 ξ_c", times(6.0, true), Marker::Dashed)
        .color(1)
        .series("", times(6.0, false), Marker::Dashed)
        .color(1)
}

/// Figure 5.4 and Table 5.3.
fn report_isometry(run: &mut Run, iso: &Isometry) {
    let seeds = iso.cases[0].variance[0].values.len();
    let mut spread = LineChart::new("Spread of the squared singular values of J")
        .labels(
            "depth L (log scale)",
            format!("variance of σ², mean of {seeds} (log scale)"),
        )
        .log_x()
        .log_y()
        .legend(Legend::LowerRight);
    let mut histogram = LineChart::new(format!(
        "Singular values of J at depth {}",
        iso.cases[0].depths.last().unwrap()
    ))
    .labels(
        "log₁₀ of the singular value σ",
        "fraction of singular values",
    )
    .legend(Legend::UpperLeft);
    // log₁₀ σ over [−3, 1.5]: the smallest singular values span decades.
    let (log_lo, log_hi) = (-3.0, 1.5);
    let mut below = Vec::new();
    let deepest = *iso.cases[0].depths.last().unwrap();
    let mut table = Table::new(&[
        "network",
        "weights",
        "variance of σ² at L = 8: predicted",
        &format!("measured, mean of {seeds}"),
        &format!("at L = {deepest}: predicted"),
        "measured",
        "largest σ",
    ]);
    for (i, c) in iso.cases.iter().enumerate() {
        let name = format!("{}, {}", c.activation, c.weights.name());
        let measured: Vec<(f64, f64)> = c
            .depths
            .iter()
            .zip(&c.mean_variance)
            .filter(|(_, v)| **v > 1e-12)
            .map(|(&d, &v)| (d as f64, v))
            .collect();
        let predicted: Vec<(f64, f64)> = c
            .depths
            .iter()
            .zip(&c.predicted)
            .filter(|(_, v)| **v > 1e-12)
            .map(|(&d, &v)| (d as f64, v))
            .collect();
        if !measured.is_empty() {
            spread = spread
                .series(format!("{name}: measured"), measured, Marker::LineDots)
                .color(i);
        }
        if !predicted.is_empty() {
            spread = spread.series("", predicted, Marker::Dashed).color(i);
        }
        if c.activation == "tanh"
            || c.weights == stable_learning::deep::isometry::Weights::Orthogonal
        {
            let values: Vec<f64> = c
                .deepest
                .singular_values
                .iter()
                .map(|&v| stable_learning::numeric::math::log10(v))
                .collect();
            let hist = stable_learning::numeric::stats::Histogram::new(&values, log_lo, log_hi, 45);
            histogram = histogram.histogram(name.clone(), &hist).color(i);
            let small = values.iter().filter(|v| v.is_nan() || **v < log_lo).count();
            if small > 0 {
                below.push(format!(
                    "{} {}: {:.0}%",
                    c.activation,
                    c.weights.name(),
                    100.0 * small as f64 / values.len() as f64
                ));
            }
        }
        let at = |d: usize| c.depths.iter().position(|&x| x == d);
        let eight = at(8);
        let last = c.depths.len() - 1;
        table.row(vec![
            Cell::text(c.activation.clone()),
            Cell::text(c.weights.name()),
            eight.map_or(Cell::text("–"), |k| Cell::number(c.predicted[k])),
            eight.map_or(Cell::text("–"), |k| Cell::number(c.mean_variance[k])),
            Cell::number(c.predicted[last]),
            Cell::number(c.mean_variance[last]),
            Cell::number(c.largest[last].median),
        ]);
    }
    spread = spread.note("dashed: L·(μ₂/μ₁² − 1 − s₁), the wide-network formula");
    if !below.is_empty() {
        histogram = histogram.note(format!("below 10⁻³, not drawn: {}", below.join("; ")));
    }
    let table = table.to_markdown();
    run.say("Jacobian spectra at the edge of chaos:");
    run.say(&table);
    run.text("isometry.md", &table);
    run.figure("isometry.svg", &Figure::stack(vec![spread, histogram]));
}

/// The stacks that stay near 1 forward, on a linear scale (next to α = 1,
/// the log scale flattens them).
fn near_one(r: &ResidualStacks) -> LineChart {
    let seeds = r.stacks[0].profiles.len();
    let mut chart = LineChart::new("… the three that stay near 1, on a linear scale")
        .labels(
            "layer l",
            format!("mean h² relative to the input's, median of {seeds}"),
        )
        .y_limits(0.0, 3.0)
        .legend(Legend::UpperLeft);
    for (i, s) in r.stacks.iter().enumerate() {
        let factor = s.stack.factor_per_layer();
        if factor.powi(r.depth as i32) > 10.0 {
            continue;
        }
        let up = measured(
            |l| s.profiles.iter().map(|p| p.second_moment[l]).collect(),
            r.depth,
        );
        let theory: Vec<(f64, f64)> = (0..=r.depth)
            .map(|l| (l as f64, factor.powi(l as i32)))
            .collect();
        chart = chart
            .median_and_range("", &up, Marker::Line, i)
            .series("", theory, Marker::Dashed)
            .color(i);
    }
    chart.note("colours as above; dashed: (1 + α²)ˡ")
}

/// Figure 5.5.
fn report_residual(run: &mut Run, r: &ResidualStacks) {
    let seeds = r.stacks[0].profiles.len();
    let mut forward = LineChart::new(format!(
        "{} ReLU layers at initialization: forward",
        r.depth
    ))
    .labels(
        "layer l",
        format!("mean h² relative to the input's, median of {seeds} (log)"),
    )
    .log_y()
    .legend(Legend::UpperLeft);
    let mut backward = LineChart::new("… and backward")
        .labels(
            "layer l",
            format!("|∂loss/∂h|² relative to the output's, median of {seeds} (log)"),
        )
        .log_y()
        .legend(Legend::UpperRight);
    // The stacks come in the order of `residual_stacks`: plain, α = 1,
    // α = 1/√L, α = 0 (named by place, since 1/√L is 1 for L = 1).
    let names = [
        "plain (He)".to_string(),
        "residual, α = 1".to_string(),
        format!("residual, α = 1/√{}", r.depth),
        "residual, α = 0 (SkipInit)".to_string(),
    ];
    for (i, (s, name)) in r.stacks.iter().zip(names).enumerate() {
        let factor = s.stack.factor_per_layer();
        let up = measured(
            |l| s.profiles.iter().map(|p| p.second_moment[l]).collect(),
            r.depth,
        );
        let down = measured(
            |l| s.profiles.iter().map(|p| p.gradient[l]).collect(),
            r.depth,
        );
        let theory = |power: fn(usize, usize) -> i32| -> Vec<(f64, f64)> {
            (0..=r.depth)
                .map(|l| (l as f64, factor.powi(power(l, r.depth))))
                .collect()
        };
        forward = forward
            .median_and_range(name.clone(), &up, Marker::Line, i)
            .series("", theory(|l, _| l as i32), Marker::Dashed)
            .color(i);
        backward = backward
            .median_and_range(name, &down, Marker::Line, i)
            .series("", theory(|l, depth| (depth - l) as i32), Marker::Dashed)
            .color(i);
    }
    forward = forward.note("dashed: (1 + α²)ˡ");
    backward = backward.note(format!("dashed: (1 + α²)^({} − l)", r.depth));
    run.figure(
        "residual.svg",
        &Figure::stack(vec![forward, near_one(r), backward]),
    );
}
