//! Chapter "When the model changes the world": every figure and number in
//! it.
//!
//! Run `cargo run --example feedback -- --help` for the flags. The
//! experiments are in `stable_learning::shift::{bandit, feedback,
//! selective}`; this file is their command line and their figures.

use clap::Parser;
use serde::Serialize;
use stable_learning::book::figure::{Figure, Legend, LineChart, Marker};
use stable_learning::book::live::{
    self,
    feedback::{bandit_figure, bandit_table},
};
use stable_learning::book::runner::{
    Common, Experiment, Numbers, Run, number_in, numbers_in, whole_in,
};
use stable_learning::book::table::{Cell, Table};
use stable_learning::numeric::stats::Spread;
use stable_learning::shift::bandit::{BanditComparison, BanditParams, compare_policies};
use stable_learning::shift::feedback::{UrnParams, UrnStudy, urn_study};
use stable_learning::shift::selective::{
    Lender, SelectiveLabels, SelectiveParams, selective_labels,
};

/// When the model changes the world: a multi-armed bandit (ε-greedy, UCB1,
/// Thompson sampling), the runaway feedback loop of predictive policing and
/// its correction, and a lender that learns only from the loans it makes.
#[derive(Parser, Debug, Clone, PartialEq, Serialize)]
#[command(name = "feedback", allow_negative_numbers = true)]
struct Args {
    #[command(flatten)]
    #[serde(flatten)]
    common: Common,
    /// Bandit: the arms' success probabilities, comma-separated (2 to 100 arms, each from 0 to 1)
    #[arg(long, default_value = "0.1,0.3,0.5,0.7", value_parser = numbers_in(BanditParams::ARM, BanditParams::ARMS))]
    arms: Numbers,
    /// Bandit: steps of each play (10..=10000000)
    #[arg(long, default_value_t = 10_000, value_parser = whole_in(BanditParams::STEPS))]
    steps: usize,
    /// Bandit: ε-greedy's probability of a random arm (0..=1)
    #[arg(long, default_value_t = 0.1, value_parser = number_in(BanditParams::EPSILON))]
    epsilon: f64,
    /// Bandit: independent plays of each policy (1..=1000)
    #[arg(long, default_value_t = 20, value_parser = whole_in(BanditParams::SEEDS))]
    bandit_seeds: usize,
    /// Patrols: region B's true incident rate (0.01..=1)
    #[arg(long, default_value_t = 0.2, value_parser = number_in(UrnParams::RATE))]
    rate_b: f64,
    /// Patrols: region A's true rates, comma-separated, one case each (1 to 20 rates, each from 0.01 to 1)
    #[arg(long, default_value = "0.2,0.22,0.25,0.3,0.4", value_parser = numbers_in(UrnParams::RATE, UrnParams::CASES))]
    rates_a: Numbers,
    /// Patrols: days each city runs (10..=10000000)
    #[arg(long, default_value_t = 100_000, value_parser = whole_in(UrnParams::DAYS))]
    days: usize,
    /// Patrols: cities per case and update rule (1..=1000)
    #[arg(long, default_value_t = 30, value_parser = whole_in(UrnParams::CITIES))]
    cities: usize,
    /// Lending: what a repaid loan earns (above 0, up to 1000)
    #[arg(long, default_value_t = 1.0, value_parser = number_in(SelectiveParams::MONEY))]
    gain: f64,
    /// Lending: what a defaulted loan loses (above 0, up to 1000)
    #[arg(long, default_value_t = 1.0, value_parser = number_in(SelectiveParams::MONEY))]
    loss: f64,
    /// Lending: the fraction ε of would-be-rejected applicants lent to at random (above 0, up to 1)
    #[arg(long, default_value_t = 0.1, value_parser = number_in(SelectiveParams::EPSILON))]
    explore: f64,
    /// Lending: the legacy rule lent to scores above this (-2..=2)
    #[arg(long, default_value_t = 0.0, value_parser = number_in(SelectiveParams::LEGACY_CUTOFF))]
    legacy_cutoff: f64,
    /// Lending: applicants per round (50..=100000)
    #[arg(long, default_value_t = 500, value_parser = whole_in(SelectiveParams::APPLICANTS))]
    applicants: usize,
    /// Lending: rounds of lending after the legacy round (1..=1000)
    #[arg(long, default_value_t = 20, value_parser = whole_in(SelectiveParams::ROUNDS))]
    rounds: usize,
    /// Lending: independent runs of each lender (1..=1000)
    #[arg(long, default_value_t = 10, value_parser = whole_in(SelectiveParams::SEEDS))]
    lending_seeds: usize,
}

impl Experiment for Args {
    fn common(&mut self) -> &mut Common {
        &mut self.common
    }
}

fn main() {
    let (args, mut run) = Run::start::<Args>("feedback");
    let seed = args.common.seed;
    let bandit = BanditParams {
        arms: args.arms.0.clone(),
        steps: args.steps,
        epsilon: args.epsilon,
        seeds: args.bandit_seeds,
        ..BanditParams::default()
    };
    let urn = UrnParams {
        rate_b: args.rate_b,
        rates_a: args.rates_a.0.clone(),
        days: args.days,
        cities: args.cities,
        ..UrnParams::default()
    };
    let lending = SelectiveParams {
        gain: args.gain,
        loss: args.loss,
        epsilon: args.explore,
        legacy_cutoff: args.legacy_cutoff,
        applicants: args.applicants,
        rounds: args.rounds,
        seeds: args.lending_seeds,
        ..SelectiveParams::default()
    };

    // Every experiment runs before any figure is written: one that fails
    // leaves no files.
    let progress = &mut run.progress_fn("bandit plays");
    let policies = run.check(compare_policies(&bandit, seed, progress));
    let patrols = run.check(urn_study(&urn, seed));
    let progress = &mut run.progress_fn("lenders");
    let lenders = run.check(selective_labels(&lending, seed, progress));

    report_bandit(&mut run, &bandit, &policies);
    report_urn(&mut run, &urn, &patrols);
    report_lending(&mut run, &lending, &lenders);
    run.record("bandit", &policies);
    run.record("urn", &patrols);
    run.record("selective_labels", &lenders);
    run.finish();
}

/// "median (min–max)" with `digits` decimals.
fn median_range(s: &Spread, digits: usize) -> String {
    format!(
        "{:.digits$} ({:.digits$}–{:.digits$})",
        s.median, s.min, s.max
    )
}

/// Figure 9.1 and Table 9.1.
fn report_bandit(run: &mut Run, params: &BanditParams, b: &BanditComparison) {
    let table = bandit_table(b).to_markdown();
    run.say("Bandit policies:");
    run.say(&table);
    run.text("bandit.md", &table);
    run.figure("bandit.svg", &bandit_figure(params, b));
    run.text("live.html", &live::feedback::LIVE.controls_html());
}

/// Figure 9.2 and Table 9.2.
fn report_urn(run: &mut Run, params: &UrnParams, u: &UrnStudy) {
    // The trajectories: the case whose rate of A is largest but not
    // beyond 0.3 (the book's 0.3 against 0.2), or the last.
    let shown = u
        .cases
        .iter()
        .rfind(|c| c.rate_a <= 0.3 + 1e-12)
        .unwrap_or(&u.cases[u.cases.len() - 1]);
    let over_cities = |runs: &[Vec<f64>]| -> Vec<(f64, Spread)> {
        u.days
            .iter()
            .enumerate()
            .map(|(i, &d)| (d as f64, Spread::of(runs.iter().map(|r| r[i]).collect())))
            .collect()
    };
    let cities = shown.discovered.len();
    let last_day = *u.days.last().unwrap_or(&1) as f64;
    let trajectories = LineChart::new(format!(
        "Patrols for A: true rates {} (A) and {} (B)",
        shown.rate_a, u.rate_b
    ))
    .labels(
        "day",
        format!("A's share of patrols, median of {cities} cities"),
    )
    .y_limits(0.0, 1.0)
    .legend(Legend::LowerRight)
    .median_and_range(
        "incidents discovered",
        &over_cities(&shown.discovered),
        Marker::Line,
        1,
    )
    .median_and_range(
        "weighted by 1 / P(patrol there)",
        &over_cities(&shown.weighted),
        Marker::Line,
        2,
    )
    .series(
        format!("proportional share {:.2}", shown.fair_share),
        vec![(0.0, shown.fair_share), (last_day, shown.fair_share)],
        Marker::Dashed,
    )
    .color(0);
    let fair = u.cases.iter().map(|c| c.fair_share);
    let lowest = fair.clone().fold(f64::INFINITY, f64::min);
    let highest = fair.fold(f64::NEG_INFINITY, f64::max);
    let finals = LineChart::new(format!("After {} days", params.days))
        .labels(
            "A's proportional share λ_A / (λ_A + λ_B)",
            "A's final share of patrols",
        )
        .y_limits(0.0, 1.0)
        .legend(Legend::LowerRight)
        .median_and_range(
            "incidents discovered",
            &u.cases
                .iter()
                .map(|c| (c.fair_share, c.final_discovered.clone()))
                .collect::<Vec<_>>(),
            Marker::LineDots,
            1,
        )
        .median_and_range(
            "weighted",
            &u.cases
                .iter()
                .map(|c| (c.fair_share, c.final_weighted.clone()))
                .collect::<Vec<_>>(),
            Marker::LineDots,
            2,
        )
        .series(
            "proportional",
            vec![(lowest, lowest), (highest, highest)],
            Marker::Dashed,
        )
        .color(0);
    let rate_heading = format!("λ_A (λ_B = {})", u.rate_b);
    let mut table = Table::new(&[
        &rate_heading,
        "proportional share",
        "final share, discovered: median (range)",
        "weighted: median (range)",
    ]);
    for c in &u.cases {
        table.row(vec![
            Cell::number(c.rate_a),
            Cell::number(c.fair_share),
            Cell::written(median_range(&c.final_discovered, 3)),
            Cell::written(median_range(&c.final_weighted, 3)),
        ]);
    }
    let table = table.to_markdown();
    run.say(format!("The patrol urn, {cities} cities per case:"));
    run.say(&table);
    run.text("urn.md", &table);
    run.figure("urn.svg", &Figure::stack(vec![trajectories, finals]));
}

/// Figure 9.3 and Table 9.3.
fn report_lending(run: &mut Run, params: &SelectiveParams, s: &SelectiveLabels) {
    let seeds = params.seeds;
    let mut estimate = LineChart::new(format!(
        "What each lender believes after {} rounds",
        params.rounds
    ))
    .labels(
        "applicant's score x",
        format!("estimated repayment p̂(x), median of {seeds}"),
    )
    .y_limits(0.0, 1.0)
    .legend(Legend::LowerRight)
    .series(
        "true p(x)",
        s.grid
            .iter()
            .copied()
            .zip(s.truth.iter().copied())
            .collect(),
        Marker::Dashed,
    )
    .color(0)
    .series(
        format!("break-even τ = {:.2}", s.threshold),
        vec![
            (s.grid[0], s.threshold),
            (*s.grid.last().unwrap_or(&0.0), s.threshold),
        ],
        Marker::Dashed,
    )
    .color(4);
    let mut error = LineChart::new("… and how wrong it is where it does not lend")
        .labels(
            "round",
            format!("mean |p̂ − p| over rejected applicants, median of {seeds}"),
        )
        .note("colours as above");
    let mut table = Table::new(&[
        "lender",
        "error where it rejects, last round",
        "good applicants accepted, last round",
        "profit per applicant, all rounds",
        "money lost exploring, all rounds",
    ]);
    for (i, l) in s.lenders.iter().enumerate() {
        let name = l.lender.name();
        let points: Vec<(f64, Spread)> = s
            .grid
            .iter()
            .zip(&l.final_estimate)
            .map(|(&x, e)| (x, e.clone()))
            .collect();
        estimate = estimate.median_and_range(name, &points, Marker::Line, i + 1);
        let rounds: Vec<(f64, Spread)> = l
            .error_rejected
            .iter()
            .enumerate()
            .map(|(r, e)| ((r + 1) as f64, e.clone()))
            .collect();
        error = error.median_and_range("", &rounds, Marker::LineDots, i + 1);
        let last = |v: &[Spread]| v.last().cloned().unwrap_or_else(|| Spread::of(vec![]));
        let cost = last(&l.exploration_cost);
        table.row(vec![
            Cell::text(name),
            Cell::written(median_range(&last(&l.error_rejected), 3)),
            Cell::written(median_range(&last(&l.good_accepted), 3)),
            Cell::written(median_range(&l.total_profit, 3)),
            if l.lender == Lender::AcceptOnly {
                Cell::text("–")
            } else {
                Cell::written(median_range(&cost, 0))
            },
        ]);
    }
    let table = table.to_markdown();
    run.say(format!(
        "Selective labels ({} applicants × {} rounds, {seeds} runs); a lender who knew p(x) makes {:.3} per applicant:",
        params.applicants, params.rounds, s.oracle_profit
    ));
    run.say(&table);
    run.text("selective.md", &table);
    run.figure("selective.svg", &Figure::stack(vec![estimate, error]));
}
