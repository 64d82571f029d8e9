//! Chapter "Label shift": every figure and number in it.
//!
//! Run `cargo run --example label_shift -- --help` for the flags. The
//! experiments are in `stable_learning::shift::label`; this file is their
//! command line and their figures.

use clap::Parser;
use rand::{SeedableRng, rngs::StdRng};
use serde::Serialize;
use stable_learning::book::figure::{Figure, Legend, LineChart, Marker};
use stable_learning::book::runner::{Common, Experiment, Run, number_in, whole_in};
use stable_learning::shift::label::{
    BrokenAssumption, CorrectionAccuracy, ErrorVsM, Floors, LabelShiftParams, ShiftWeights,
    SplitSummary, TwoShifts, broken_assumption, chapter_split, correction_accuracy, error_vs_m,
    floors, two_shifts,
};

/// Label shift on handwritten digits: black-box shift estimation (BBSE) and
/// EM estimate the target's class weights from unlabelled target data.
#[derive(Parser, Debug, Clone, PartialEq, Serialize)]
#[command(name = "label_shift", allow_negative_numbers = true)]
struct Args {
    #[command(flatten)]
    common: Common,
    /// Unlabelled target samples for the weights figure and the accuracy table (10..=1000000)
    #[arg(long, default_value_t = 2000, value_parser = whole_in(LabelShiftParams::M))]
    m: usize,
    /// Largest number of target samples in the error-against-samples figure (100..=1000000)
    #[arg(long, default_value_t = 20_000, value_parser = whole_in(LabelShiftParams::MAX_M))]
    max_m: usize,
    /// Repetitions per point of the error-against-samples figure and the accuracy table, and re-splits behind the table of floors (1..=10000)
    #[arg(long, default_value_t = 40, value_parser = whole_in(LabelShiftParams::TRIALS))]
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
    /// Largest within-class covariate shift k when the assumption breaks (0..=10)
    #[arg(long, default_value_t = 2.0, value_parser = number_in(LabelShiftParams::COVARIATE))]
    covariate: f64,
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
    };
    let mut rng = StdRng::seed_from_u64(args.common.seed);

    // Every experiment runs before any figure is written: one that fails
    // leaves no files.
    let split = chapter_split(&mut rng);
    let summary = split.summary();
    let shifts = run.check(two_shifts(&split, &params, &mut rng));
    let progress = &mut run.progress_fn("trials");
    let errors = run.check(error_vs_m(&split, &params, &mut rng, progress));
    let progress = &mut run.progress_fn("trials");
    let accuracy = run.check(correction_accuracy(&split, &params, &mut rng, progress));
    let progress = &mut run.progress_fn("trials");
    let broken = run.check(broken_assumption(&split, &params, &mut rng, progress));
    let progress = &mut run.progress_fn("trials");
    let floors = run.check(floors(&split, &params, &mut rng, progress));

    report_split(&run, &summary);
    run.record("chapter_split", &summary);
    report_two_shifts(&mut run, &params, &shifts);
    run.record("two_shifts", &shifts);
    report_error_vs_m(&mut run, &params, &errors);
    run.record("error_vs_m", &errors);
    report_correction_accuracy(&mut run, &params, &accuracy);
    run.record("correction_accuracy", &accuracy);
    report_broken_assumption(&mut run, &params, &broken);
    run.record("broken_assumption", &broken);
    report_floors(&mut run, &params, &summary, &floors);
    run.record("floors", &floors);

    run.finish();
}

/// The split's sizes and the classifier's accuracy.
fn report_split(run: &Run, s: &SplitSummary) {
    run.say(format!(
        "{} training, {} held-out source and {} pool digits; source accuracy {:.3}",
        s.train_size, s.held_out_size, s.pool_size, s.source_accuracy
    ));
}

/// Figure 6.1 and d2l's sums.
fn report_two_shifts(run: &mut Run, params: &LabelShiftParams, r: &TwoShifts) {
    let classes = |w: &[f64]| {
        w.iter()
            .enumerate()
            .map(|(j, &v)| (j as f64, v))
            .collect::<Vec<_>>()
    };
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
            &r.tweak_one,
        ),
        panel(
            format!("Dirichlet shift, α = {}", params.alpha),
            &r.dirichlet,
        ),
    ];
    run.figure("weights.svg", &Figure::grid(panels, 2));
    run.say(format!(
        "d2l's p(y) = Ĉ⁻¹ μ̂ with the joint Ĉ sums to {:.2}; with the conditional Ĉ it sums to {:.6}",
        r.tweak_one.joint_solution_sum, r.tweak_one.conditional_solution_sum
    ));
}

/// Figure 6.2.
fn report_error_vs_m(run: &mut Run, params: &LabelShiftParams, r: &ErrorVsM) {
    let first = r.exact[0];
    let reference: Vec<(f64, f64)> =
        r.ms.iter()
            .map(|&m| (m as f64, first.1 * (first.0 / m as f64).sqrt()))
            .collect();
    let mut chart = LineChart::new(format!(
        "Weight error against target samples (tweak-one ρ = {}, {} runs each)",
        params.rho, params.trials
    ))
    .labels(
        "target samples m (log scale)",
        "mean ‖q̂/p̂ − w‖₂, q̂ renormalized (log scale)",
    )
    .log_x()
    .log_y()
    .series(
        format!("BBSE, Ĉ exact for the target (slope {:.2})", r.exact_slope),
        r.exact.clone(),
        Marker::LineDots,
    )
    .series(
        format!("BBSE, Ĉ from {} held-out rows", r.held_rows),
        r.bbse.clone(),
        Marker::LineDots,
    )
    .series("EM, same classifier", r.em.clone(), Marker::LineDots)
    .series(
        format!("BBSE, Ĉ from {} held-out rows", r.small_rows),
        r.small_source.clone(),
        Marker::LineDots,
    )
    .series("slope −½", reference, Marker::Dashed)
    .legend(Legend::LowerLeft);
    if r.small_source_singular {
        chart = chart.note(format!(
            "Ĉ from {} held-out rows is singular: BBSE cannot invert it",
            r.small_rows
        ));
    }
    run.figure("error_vs_m.svg", &Figure::single(chart));
    let last = |c: &[(f64, f64)]| c.last().map_or(f64::NAN, |p| p.1);
    run.say(format!(
        "log-log slope with exact Ĉ: {:.3}; with Ĉ from the held-out set the error levels off at {:.3} (last three points' slope {:.2}); with {} rows {}",
        r.exact_slope,
        last(&r.bbse),
        r.pool_tail_slope,
        r.small_rows,
        if r.small_source_singular {
            "Ĉ is singular and BBSE has no estimate".to_string()
        } else {
            format!("at {:.3}", last(&r.small_source))
        }
    ));
}

/// Table 6.2.
fn report_correction_accuracy(run: &mut Run, params: &LabelShiftParams, r: &CorrectionAccuracy) {
    let mut table = String::from(
        "| target shift | no correction | true weights | BBSE weights | EM weights |\n|---|---:|---:|---:|---:|\n",
    );
    for row in &r.rows {
        table += &format!(
            "| {} | {:.3} | {:.3} | {:.3} | {:.3} |\n",
            row.shift, row.uncorrected, row.true_weights, row.bbse_weights, row.em_weights
        );
    }
    run.say(format!(
        "Target accuracy, m = {}, mean of {} runs:",
        params.m, params.trials
    ));
    run.say(&table);
    run.text("accuracy.md", &table);
}

/// Figure 6.3.
fn report_broken_assumption(run: &mut Run, params: &LabelShiftParams, r: &BrokenAssumption) {
    run.figure(
        "broken.svg",
        &Figure::single(
            LineChart::new(format!(
                "Label shift plus a within-class covariate shift (m = {}, {} runs each)",
                params.m, params.trials
            ))
            .labels(
                "within-class shift k (target rows drawn ∝ exp(k·ink))",
                "mean ‖q̂/p̂ − w‖₂, q̂ renormalized",
            )
            .series("BBSE", r.bbse.clone(), Marker::LineDots)
            .series("EM", r.em.clone(), Marker::LineDots)
            .legend(Legend::UpperLeft),
        ),
    );
    let last = r.strengths.len() - 1;
    run.say(format!(
        "Assumption broken: BBSE error {:.3} at k = 0, {:.3} at k = {}; EM {:.3} and {:.3}",
        r.bbse[0].1, r.bbse[last].1, r.strengths[last], r.em[0].1, r.em[last].1
    ));
}

/// Table 6.1.
fn report_floors(run: &mut Run, params: &LabelShiftParams, split: &SplitSummary, r: &Floors) {
    let mut table = String::from(
        "| held-out digits (Ĉ, p̂) | pool digits (targets) | EM's posteriors | BBSE floor | EM floor |\n|---:|---:|---|---:|---:|\n",
    );
    for f in &r.resplit {
        let post = if f.tempered {
            format!("tempered, τ fitted (mean {:.2})", r.resplit_mean_tau)
        } else {
            "as trained".to_string()
        };
        table += &format!(
            "| {} | {} | {post} | {:.3} | {:.3} |\n",
            f.held_rows, f.target_rows, f.bbse, f.em
        );
    }
    let small = if r.small_source_bbse.is_nan() {
        "none (singular)".to_string()
    } else {
        format!("{:.3}", r.small_source_bbse)
    };
    let resplits = if r.resplits < params.trials {
        format!(
            "{} of {} re-splits (the others' small Ĉ is singular)",
            r.resplits, params.trials
        )
    } else {
        format!("{} re-splits", r.resplits)
    };
    run.say(format!(
        "Floors at m = ∞ on the chapter's split: BBSE {:.3} with Ĉ from {} held-out rows, {small} from {}; EM {:.3}; means over {resplits}:",
        r.bbse, split.held_out_size, r.small_rows, r.em
    ));
    run.say(&table);
    run.text("floors.md", &table);
}
