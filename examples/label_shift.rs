//! Chapter "Label shift": every figure and number in it.
//!
//! Run `cargo run --example label_shift -- --help` for the flags. The
//! experiments are in `stable_learning::shift::label`; this file is their
//! command line and their figures.

use clap::Parser;
use serde::Serialize;
use stable_learning::book::figure::{Figure, Legend, LineChart, Marker};
use stable_learning::book::live::{
    self,
    label_shift::{curve_over, error_vs_m_figure},
};
use stable_learning::book::runner::{Common, Experiment, Run, number_in, whole_in};
use stable_learning::numeric::stats::Spread;
use stable_learning::shift::label::{
    ErrorVsM, LabelShiftParams, ShiftWeights, SplitResults, over_splits,
};

/// Label shift on handwritten digits: black-box shift estimation (BBSE) and
/// EM estimate the target's class weights from unlabelled target data.
#[derive(Parser, Debug, Clone, PartialEq, Serialize)]
#[command(name = "label_shift", allow_negative_numbers = true)]
struct Args {
    #[command(flatten)]
    #[serde(flatten)]
    common: Common,
    /// Unlabelled target samples for the weights figure and the accuracy table (10..=1000000)
    #[arg(long, default_value_t = 2000, value_parser = whole_in(LabelShiftParams::M))]
    m: usize,
    /// Largest number of target samples in the error-against-samples figure (100..=1000000)
    #[arg(long, default_value_t = 20_000, value_parser = whole_in(LabelShiftParams::MAX_M))]
    max_m: usize,
    /// Repetitions per point of the error-against-samples figure and the accuracy table, and re-splits behind the table of floors (1..=10000)
    #[arg(long, default_value_t = 20, value_parser = whole_in(LabelShiftParams::TRIALS))]
    trials: usize,
    /// Tweak-one shift: the probability ρ of the tweaked class (0..=1)
    #[arg(long, default_value_t = 0.5, value_parser = number_in(LabelShiftParams::RHO))]
    rho: f64,
    /// Tweak-one shift: the tweaked class (0..=9)
    #[arg(long, default_value_t = 5, value_parser = whole_in(LabelShiftParams::CLASS))]
    class: usize,
    /// Dirichlet shift: concentration α of Dir(α) (0.01..=100)
    #[arg(long, default_value_t = 1.0, value_parser = number_in(LabelShiftParams::ALPHA))]
    alpha: f64,
    /// Held-out source rows in the "small source" curve (20..=500)
    #[arg(long, default_value_t = 150, value_parser = whole_in(LabelShiftParams::SMALL_SOURCE))]
    small_source: usize,
    /// Largest pixel noise k of the target's scanner when the assumption breaks (0..=2; pixels run from 0 to 1)
    #[arg(long, default_value_t = 0.6, value_parser = number_in(LabelShiftParams::COVARIATE))]
    covariate: f64,
    /// Independent splits of the digits (each with its own classifier) every experiment is repeated on (1..=100)
    #[arg(long, default_value_t = 5, value_parser = whole_in(LabelShiftParams::SEEDS))]
    seeds: usize,
}

impl Experiment for Args {
    fn common(&mut self) -> &mut Common {
        &mut self.common
    }
}

fn main() {
    let (args, mut run) = Run::start::<Args>("label_shift");
    let params = LabelShiftParams {
        m: args.m,
        max_m: args.max_m,
        trials: args.trials,
        rho: args.rho,
        class: args.class,
        alpha: args.alpha,
        small_source: args.small_source,
        covariate: args.covariate,
        seeds: args.seeds,
    };
    // Every experiment runs, on every split, before any figure is written:
    // one that fails leaves no files.
    let progress = &mut run.progress_fn("splits");
    let results = run.check(over_splits(&params, args.common.seed, progress));
    let r = &results;

    report_split(&run, r);
    report_two_shifts(&mut run, &params, r);
    report_error_vs_m(&mut run, &params, r);
    report_correction_accuracy(&mut run, &params, r);
    report_broken_assumption(&mut run, &params, r);
    report_floors(&mut run, &params, r);
    run.record("splits", &results);

    run.finish();
}

/// The spread over splits of one number per split.
fn over(r: &[SplitResults], f: impl Fn(&SplitResults) -> f64) -> Spread {
    Spread::of(r.iter().map(f).collect())
}

/// "median (min–max)" to three decimals.
fn median_range(s: &Spread) -> String {
    format!("{:.3} ({:.3}–{:.3})", s.median, s.min, s.max)
}

/// The split's sizes and the classifier's accuracy.
fn report_split(run: &Run, r: &[SplitResults]) {
    let s = &r[0].summary;
    run.say(format!(
        "{} training, {} held-out source and {} pool digits; source accuracy {} over {} splits",
        s.train_size,
        s.held_out_size,
        s.pool_size,
        median_range(&over(r, |x| x.summary.source_accuracy)),
        r.len()
    ));
}

/// Figure 7.1 (the first split) and d2l's sums.
fn report_two_shifts(run: &mut Run, params: &LabelShiftParams, r: &[SplitResults]) {
    let classes = |w: &[f64]| {
        w.iter()
            .enumerate()
            .map(|(j, &v)| (j as f64, v))
            .collect::<Vec<_>>()
    };
    let first = &r[0].shifts;
    let panel = |name: String, s: &ShiftWeights| {
        LineChart::new(format!("{name}, m = {}", params.m))
            .labels("class y", "weight w(y) = q(y)/p(y)")
            .series("true weights", classes(&s.true_weights), Marker::Dashed)
            .series("BBSE", classes(&s.bbse_weights), Marker::LineDots)
            .series("EM", classes(&s.em_weights), Marker::LineDots)
            .legend(Legend::UpperRight)
    };
    let panels = vec![
        panel(
            format!("tweak-one: class {} has ρ = {}", params.class, params.rho),
            &first.tweak_one,
        ),
        panel(
            format!("Dirichlet shift, α = {}", params.alpha),
            &first.dirichlet,
        ),
    ];
    run.figure("weights.svg", &Figure::stack(panels));
    run.say(format!(
        "Weight errors over {} splits, median (range): tweak-one BBSE {}, EM {}; Dirichlet BBSE {}, EM {}",
        r.len(),
        median_range(&over(r, |x| x.shifts.tweak_one.bbse_error)),
        median_range(&over(r, |x| x.shifts.tweak_one.em_error)),
        median_range(&over(r, |x| x.shifts.dirichlet.bbse_error)),
        median_range(&over(r, |x| x.shifts.dirichlet.em_error)),
    ));
    run.say(format!(
        "d2l's p(y) = Ĉ⁻¹ μ̂ with the joint Ĉ sums to {:.2} on the first split; with the conditional Ĉ it sums to {:.6}",
        first.tweak_one.joint_solution_sum, first.tweak_one.conditional_solution_sum
    ));
}

/// Figure 7.2.
fn report_error_vs_m(run: &mut Run, params: &LabelShiftParams, r: &[SplitResults]) {
    let slope = over(r, |x| x.errors.exact_slope);
    let small = r[0].errors.small_rows;
    let singular = r.iter().filter(|x| x.errors.small_source_singular).count();
    let errors: Vec<&ErrorVsM> = r.iter().map(|x| &x.errors).collect();
    run.figure("error_vs_m.svg", &error_vs_m_figure(params, &errors));
    run.text("live.html", &live::label_shift::LIVE.controls_html());
    let last = |c: &[(f64, f64)]| c.last().map_or(f64::NAN, |p| p.1);
    let small_level = if singular == r.len() {
        "Ĉ is singular on every split and BBSE has no estimate".to_string()
    } else {
        let levels = r
            .iter()
            .filter(|x| !x.errors.small_source_singular)
            .map(|x| last(&x.errors.small_source));
        let singular = if singular > 0 {
            format!(" (singular on {singular} of {} splits)", r.len())
        } else {
            String::new()
        };
        format!(
            "at {}{singular}",
            median_range(&Spread::of(levels.collect()))
        )
    };
    run.say(format!(
        "log-log slope with exact Ĉ: {}; with Ĉ from the held-out set the error levels off at {}; with {small} rows {small_level}",
        median_range(&slope),
        median_range(&over(r, |x| last(&x.errors.bbse))),
    ));
}

/// Table 6.2.
fn report_correction_accuracy(run: &mut Run, params: &LabelShiftParams, r: &[SplitResults]) {
    let mut table = String::from(
        "| target shift | no correction | true weights | BBSE weights | EM weights | calibrated, true weights | calibrated, EM weights |\n|---|---:|---:|---:|---:|---:|---:|\n",
    );
    for (i, row) in r[0].accuracy.rows.iter().enumerate() {
        let cell = |f: fn(&stable_learning::shift::label::AccuracyRow) -> f64| {
            format!("{:.3}", over(r, |x| f(&x.accuracy.rows[i])).median)
        };
        table += &format!(
            "| {} | {} | {} | {} | {} | {} | {} |\n",
            row.shift,
            cell(|a| a.uncorrected),
            cell(|a| a.true_weights),
            cell(|a| a.bbse_weights),
            cell(|a| a.em_weights),
            cell(|a| a.calibrated_true_weights),
            cell(|a| a.calibrated_em_weights)
        );
    }
    run.say(format!(
        "Target accuracy, m = {}, mean of {} runs per split, median over {} splits:",
        params.m,
        params.trials,
        r.len()
    ));
    run.say(&table);
    run.text("accuracy.md", &table);
}

/// Figure 6.3.
fn report_broken_assumption(run: &mut Run, params: &LabelShiftParams, r: &[SplitResults]) {
    let bbse = curve_over(r, |x| &x.broken.bbse);
    let em = curve_over(r, |x| &x.broken.em);
    run.figure(
        "broken.svg",
        &Figure::single(
            LineChart::new(format!(
                "Label shift plus a noisier scanner (m = {}, {} runs each)",
                params.m, params.trials
            ))
            .labels(
                "the target scanner's pixel noise k (pixels run from 0 to 1)",
                format!("mean ‖q̂/p̂ − w‖₂, median and range over {} splits", r.len()),
            )
            .median_and_range("BBSE", &bbse, Marker::LineDots, 0)
            .median_and_range("EM", &em, Marker::LineDots, 1)
            .legend(Legend::UpperLeft),
        ),
    );
    let last = r[0].broken.strengths.len() - 1;
    run.say(format!(
        "Assumption broken: BBSE error {} at k = 0, {} at k = {} ({} for m = ∞); EM {} and {} ({} for m = ∞)",
        median_range(&bbse[0].1),
        median_range(&bbse[last].1),
        r[0].broken.strengths[last],
        median_range(&over(r, |x| x.broken.bbse_limit)),
        median_range(&em[0].1),
        median_range(&em[last].1),
        median_range(&over(r, |x| x.broken.em_limit)),
    ));
}

/// Table 6.1.
fn report_floors(run: &mut Run, params: &LabelShiftParams, r: &[SplitResults]) {
    let mut table = String::from(
        "| held-out digits (Ĉ, p̂) | pool digits (targets) | EM's posteriors | BBSE floor | EM floor |\n|---:|---:|---|---:|---:|\n",
    );
    let tau = over(r, |x| x.floors.resplit_mean_tau);
    for (i, f) in r[0].floors.resplit.iter().enumerate() {
        let post = if f.tempered {
            format!(
                "tempered, τ fitted on each re-split (median {:.2})",
                tau.median
            )
        } else {
            "as trained".to_string()
        };
        table += &format!(
            "| {} | {} | {post} | {:.3} | {:.3} |\n",
            f.held_rows,
            f.target_rows,
            over(r, |x| x.floors.resplit[i].bbse).median,
            over(r, |x| x.floors.resplit[i].em).median
        );
    }
    let dropped: usize = r.iter().map(|x| params.trials - x.floors.resplits).sum();
    let resplits = if dropped > 0 {
        format!(
            "{} re-splits per split, {dropped} of all dropped (their small Ĉ is singular)",
            params.trials
        )
    } else {
        format!("{} re-splits per split", params.trials)
    };
    let small = Spread::of(r.iter().map(|x| x.floors.small_source_bbse).collect());
    let small = if small.median.is_nan() {
        "none (singular)".to_string()
    } else {
        median_range(&small)
    };
    run.say(format!(
        "Floors at m = ∞, median (range) over {} splits: BBSE {} with Ĉ from the held-out rows, {small} from {}; EM {}; table: medians over the splits of means over {resplits}:",
        r.len(),
        median_range(&over(r, |x| x.floors.bbse)),
        r[0].floors.small_rows,
        median_range(&over(r, |x| x.floors.em)),
    ));
    run.say(&table);
    run.text("floors.md", &table);
}
