//! Chapter "Concept shift": every figure and number in it.
//!
//! Run `cargo run --example concept_shift -- --help` for the flags. The
//! experiments are `strategy_comparison` and `detection_delays` in
//! `stable_learning::shift::concept`; this file is their command line and
//! their figures.

use clap::Parser;
use serde::Serialize;
use stable_learning::book::figure::{Figure, Legend, LineChart, Marker, PALETTE};
use stable_learning::book::live::{
    self,
    concept_shift::{operating_figure, operating_table},
};
use stable_learning::book::runner::{Common, Experiment, Run, number_in, whole_in};
use stable_learning::numeric::random::stream;
use stable_learning::numeric::stats::Spread;
use stable_learning::shift::concept::{
    ConceptShiftParams, DetectionDelays, DriftKind, OperatingPoints, StrategyComparison,
    detection_delays, operating_points, strategy_comparison,
};

/// Concept shift on a stream: a decision boundary that turns suddenly,
/// gradually or back and forth, and models that ignore it, follow it, or
/// retrain when a drift detector (DDM, Page–Hinkley, ADWIN) fires.
#[derive(Parser, Debug, Clone, PartialEq, Serialize)]
#[command(name = "concept_shift", allow_negative_numbers = true)]
struct Args {
    #[command(flatten)]
    #[serde(flatten)]
    common: Common,
    /// Samples in each stream (500..=1000000)
    #[arg(long, default_value_t = 6000, value_parser = whole_in(ConceptShiftParams::LENGTH))]
    length: usize,
    /// Where the change starts, as a fraction of the stream (0.05..=0.95)
    #[arg(long, default_value_t = 0.25, value_parser = number_in(ConceptShiftParams::CHANGE_AT))]
    change_at: f64,
    /// Angle in degrees between the old and the new decision boundary (0..=180)
    #[arg(long, default_value_t = 60.0, value_parser = number_in(ConceptShiftParams::ANGLE))]
    angle: f64,
    /// Probability that a label is flipped (0..=0.45)
    #[arg(long, default_value_t = 0.1, value_parser = number_in(ConceptShiftParams::NOISE))]
    noise: f64,
    /// Samples over which a gradual change completes (1..=100000)
    #[arg(long, default_value_t = 1000, value_parser = whole_in(ConceptShiftParams::WIDTH))]
    width: usize,
    /// Samples between switches of a recurring change (1..=100000)
    #[arg(long, default_value_t = 1000, value_parser = whole_in(ConceptShiftParams::PERIOD))]
    period: usize,
    /// Samples the initial model is trained on (10..=10000)
    #[arg(long, default_value_t = 200, value_parser = whole_in(ConceptShiftParams::INITIAL))]
    initial: usize,
    /// Learning rate of the continually updated (SGD) model (0.0001..=10)
    #[arg(long, default_value_t = 0.05, value_parser = number_in(ConceptShiftParams::LR))]
    lr: f64,
    /// Samples the sliding-window model is refitted on (10..=100000)
    #[arg(long, default_value_t = 300, value_parser = whole_in(ConceptShiftParams::WINDOW))]
    window: usize,
    /// Samples between refits of the sliding-window model (1..=10000)
    #[arg(long, default_value_t = 25, value_parser = whole_in(ConceptShiftParams::EVERY))]
    every: usize,
    /// DDM: drift level in standard deviations (warning at the smaller of 2 and this) (0.5..=10)
    #[arg(long, default_value_t = 3.0, value_parser = number_in(ConceptShiftParams::DDM_DRIFT))]
    ddm_drift: f64,
    /// Page–Hinkley: tolerated change δ (0..=1)
    #[arg(long, default_value_t = 0.005, value_parser = number_in(ConceptShiftParams::PH_DELTA))]
    ph_delta: f64,
    /// Page–Hinkley: threshold λ (0.1..=10000)
    #[arg(long, default_value_t = 50.0, value_parser = number_in(ConceptShiftParams::PH_LAMBDA))]
    ph_lambda: f64,
    /// ADWIN: confidence δ (1e-9..=0.5)
    #[arg(long, default_value_t = 0.002, value_parser = number_in(ConceptShiftParams::ADWIN_DELTA))]
    adwin_delta: f64,
    /// Samples per point of the accuracy-over-time curves (10..=10000)
    #[arg(long, default_value_t = 100, value_parser = whole_in(ConceptShiftParams::BLOCK))]
    block: usize,
    /// Streams behind the table of detection delays and false alarms (1..=10000)
    #[arg(long, default_value_t = 100, value_parser = whole_in(ConceptShiftParams::TRIALS))]
    trials: usize,
    /// Streams of each kind behind the table of strategies (1..=1000)
    #[arg(long, default_value_t = 20, value_parser = whole_in(ConceptShiftParams::SEEDS))]
    seeds: usize,
}

impl Experiment for Args {
    fn common(&mut self) -> &mut Common {
        &mut self.common
    }
}

fn main() {
    let (args, mut run) = Run::start::<Args>("concept_shift");
    let params = ConceptShiftParams {
        length: args.length,
        change_at: args.change_at,
        angle: args.angle,
        noise: args.noise,
        width: args.width,
        period: args.period,
        initial: args.initial,
        lr: args.lr,
        window: args.window,
        every: args.every,
        ddm_drift: args.ddm_drift,
        ph_delta: args.ph_delta,
        ph_lambda: args.ph_lambda,
        adwin_delta: args.adwin_delta,
        block: args.block,
        trials: args.trials,
        seeds: args.seeds,
    };
    // Each experiment draws from its own random stream, derived from the
    // seed and the experiment's name.
    let seed = args.common.seed;

    let progress = &mut run.progress_fn("streams");
    let comparison = run.check(strategy_comparison(&params, seed, progress));
    report_strategy_comparison(&mut run, &params, &comparison);
    run.record("strategy_comparison", &comparison);

    let progress = &mut run.progress_fn("detector trials");
    let rng = &mut stream(seed, "detection_delays", 0);
    let delays = run.check(detection_delays(&params, rng, progress));
    report_detection_delays(&mut run, &params, &delays);
    run.record("detection_delays", &delays);

    let progress = &mut run.progress_fn("detector settings");
    let rng = &mut stream(seed, "operating_points", 0);
    let points = run.check(operating_points(&params, rng, progress));
    report_operating_points(&mut run, &points);
    run.record("operating_points", &points);

    run.finish();
}

/// The kind of drift as the figure and table name it.
fn kind_name(kind: DriftKind) -> &'static str {
    match kind {
        DriftKind::None => "none",
        DriftKind::Sudden => "sudden",
        DriftKind::Gradual => "gradual",
        DriftKind::Recurring => "recurring",
    }
}

/// Figure 8.1 and Table 7.1.
fn report_strategy_comparison(run: &mut Run, p: &ConceptShiftParams, r: &StrategyComparison) {
    let change_at = r.change_at;
    let mut panels = Vec::new();
    let mut table = String::from("| strategy |");
    for k in &r.kinds {
        table += &format!(" {} |", kind_name(k.kind));
    }
    table += "\n|---|";
    table += &"---:|".repeat(r.kinds.len());
    table += "\n";
    let mut rows: Vec<(String, Vec<Spread>)> = Vec::new();
    for k in &r.kinds {
        let name = kind_name(k.kind);
        let mut plain = LineChart::new(format!("{name} drift: models that never look for it"))
            .labels("sample t", format!("accuracy per {} samples", p.block))
            .y_limits(0.0, 1.0)
            .legend(Legend::LowerLeft);
        let mut triggered = LineChart::new(format!("{name} drift: retrain when a detector fires"))
            .labels("sample t", format!("accuracy per {} samples", p.block))
            .y_limits(0.0, 1.0)
            .legend(Legend::LowerLeft);
        let mut alarms_of: Vec<&[usize]> = Vec::new();
        for (i, s) in k.runs.iter().enumerate() {
            match rows.iter_mut().find(|(l, _)| *l == s.strategy) {
                Some((_, v)) => v.push(s.accuracy_after.clone()),
                None => rows.push((s.strategy.clone(), vec![s.accuracy_after.clone()])),
            }
            if i < 3 {
                plain = plain.series(&s.strategy, s.blocks.clone(), Marker::Line);
            } else {
                alarms_of.push(&s.detections);
                triggered = triggered.series(&s.strategy, s.blocks.clone(), Marker::Line);
            }
        }
        // Each alarm is a short vertical tick in its detector's colour (the
        // figure colours series by position, so pad with empty series to
        // come back to the same colour), DDM highest, ADWIN lowest.
        let palette = PALETTE.len();
        let mut count = alarms_of.len();
        for (d, times) in alarms_of.iter().enumerate() {
            let (lo, hi) = (0.42 - 0.09 * d as f64, 0.49 - 0.09 * d as f64);
            for &t in times.iter() {
                while count % palette != d {
                    triggered = triggered.series("", Vec::new(), Marker::Line);
                    count += 1;
                }
                triggered =
                    triggered.series("", vec![(t as f64, lo), (t as f64, hi)], Marker::Line);
                count += 1;
            }
        }
        triggered = triggered.note("ticks: alarms (DDM top, Page–Hinkley middle, ADWIN bottom)");
        if k.runs.iter().all(|s| s.blocks.is_empty()) {
            let why = format!(
                "no accuracy curve: a block of {} samples is longer than the stream ({})",
                p.block, p.length
            );
            plain = plain.note(why.clone());
            triggered = triggered.note(why);
        }
        let change = vec![(change_at as f64, 0.0), (change_at as f64, 1.0)];
        panels.push(plain.series("change starts", change.clone(), Marker::Dashed));
        panels.push(triggered);
    }
    run.figure("accuracy.svg", &Figure::stack(panels));
    for (label, v) in &rows {
        table += &format!("| {label} |");
        for a in v {
            if p.seeds > 1 {
                table += &format!(" {:.3} ({:.3}–{:.3}) |", a.median, a.min, a.max);
            } else {
                table += &format!(" {:.3} |", a.median);
            }
        }
        table += "\n";
    }
    run.say(format!(
        "Accuracy from the change (sample {change_at}) to the end of the stream, median (range) over {} streams of each kind:",
        p.seeds
    ));
    run.say(&table);
    run.text("strategies.md", &table);
}

/// Table 7.2.
fn report_detection_delays(run: &mut Run, p: &ConceptShiftParams, r: &DetectionDelays) {
    let mut table = String::from(
        "| detector | median delay | 90% of delays below | missed | false alarms before the change, per 1000 samples | false alarms without change, per 1000 samples |\n|---|---:|---:|---:|---:|---:|\n",
    );
    for d in &r.detectors {
        let median = d.median_delay.unwrap_or(f64::NAN);
        let q90 = d.delay_q90.unwrap_or(f64::NAN);
        table += &format!(
            "| {} | {median:.0} | {q90:.0} | {} of {} | {:.3} | {:.3} |\n",
            d.detector,
            d.missed,
            p.trials,
            d.false_alarms_per_1000_before,
            d.false_alarms_per_1000_stationary
        );
    }
    run.say(format!(
        "Sudden change after {} samples, {} streams; the static model's error rate goes from {:.3} to {:.3}:",
        r.before, p.trials, r.error_rate_before, r.error_rate_after
    ));
    run.say(&table);
    run.text("delays.md", &table);
}

/// Figure 8.2 and Table 8.3: delay against false alarms, every setting.
fn report_operating_points(run: &mut Run, r: &OperatingPoints) {
    let table = operating_table(r).to_markdown();
    run.say("Delay against false alarms, each detector over its settings:");
    run.say(&table);
    run.text("operating.md", &table);
    run.figure("operating.svg", &operating_figure(r));
    run.text("live.html", &live::concept_shift::LIVE.controls_html());
}
