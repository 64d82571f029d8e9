//! Chapter "Concept shift": every figure and number in it.
//!
//! Run `cargo run --example concept_shift -- --help` for the flags.

use clap::Parser;
use rand::{SeedableRng, rngs::StdRng};
use serde::Serialize;
use stable_learning::book::figure::{Figure, Legend, LineChart, Marker};
use stable_learning::book::runner::{Common, Experiment, Run, float_in, int_in};
use stable_learning::numeric::stats::{mean, quantile};
use stable_learning::shift::concept::{
    DriftKind, RotatingStream, Strategy, alarms, fit, inputs, prequential,
};
use stable_learning::shift::drift::{Adwin, Ddm, DriftDetector, PageHinkley};

/// Concept shift on a stream: a decision boundary that turns suddenly,
/// gradually or back and forth, and models that ignore it, follow it, or
/// retrain when a drift detector (DDM, Page–Hinkley, ADWIN) fires.
#[derive(Parser, Debug, Clone, PartialEq, Serialize)]
#[command(name = "concept_shift", allow_negative_numbers = true)]
struct Args {
    #[command(flatten)]
    common: Common,
    /// Samples in each stream (500..=1000000)
    #[arg(long, default_value_t = 6000, value_parser = int_in(500, 1_000_000))]
    length: usize,
    /// Where the change starts, as a fraction of the stream (0.05..=0.95)
    #[arg(long, default_value_t = 0.25, value_parser = float_in(0.05, 0.95))]
    change_at: f64,
    /// Angle in degrees between the old and the new decision boundary (0..=180)
    #[arg(long, default_value_t = 60.0, value_parser = float_in(0.0, 180.0))]
    angle: f64,
    /// Probability that a label is flipped (0..=0.45)
    #[arg(long, default_value_t = 0.1, value_parser = float_in(0.0, 0.45))]
    noise: f64,
    /// Samples over which a gradual change completes (1..=100000)
    #[arg(long, default_value_t = 1000, value_parser = int_in(1, 100_000))]
    width: usize,
    /// Samples between switches of a recurring change (1..=100000)
    #[arg(long, default_value_t = 1000, value_parser = int_in(1, 100_000))]
    period: usize,
    /// Samples the initial model is trained on (10..=10000)
    #[arg(long, default_value_t = 200, value_parser = int_in(10, 10_000))]
    initial: usize,
    /// Learning rate of the continually updated (SGD) model (0.0001..=10)
    #[arg(long, default_value_t = 0.05, value_parser = float_in(1e-4, 10.0))]
    lr: f64,
    /// Samples the sliding-window model is refitted on (10..=100000)
    #[arg(long, default_value_t = 300, value_parser = int_in(10, 100_000))]
    window: usize,
    /// Samples between refits of the sliding-window model (1..=10000)
    #[arg(long, default_value_t = 25, value_parser = int_in(1, 10_000))]
    every: usize,
    /// DDM: drift level in standard deviations (warning at the smaller of 2 and this) (0.5..=10)
    #[arg(long, default_value_t = 3.0, value_parser = float_in(0.5, 10.0))]
    ddm_drift: f64,
    /// Page–Hinkley: tolerated change δ (0..=1)
    #[arg(long, default_value_t = 0.005, value_parser = float_in(0.0, 1.0))]
    ph_delta: f64,
    /// Page–Hinkley: threshold λ (0.1..=10000)
    #[arg(long, default_value_t = 50.0, value_parser = float_in(0.1, 10_000.0))]
    ph_lambda: f64,
    /// ADWIN: confidence δ (1e-9..=0.5)
    #[arg(long, default_value_t = 0.002, value_parser = float_in(1e-9, 0.5))]
    adwin_delta: f64,
    /// Samples per point of the accuracy-over-time curves (10..=10000)
    #[arg(long, default_value_t = 100, value_parser = int_in(10, 10_000))]
    block: usize,
    /// Streams behind the table of detection delays and false alarms (1..=10000)
    #[arg(long, default_value_t = 100, value_parser = int_in(1, 10_000))]
    trials: usize,
}

impl Experiment for Args {
    fn common(&mut self) -> &mut Common {
        &mut self.common
    }
}

fn main() {
    let (args, mut run) = Run::start::<Args>("concept_shift");
    let mut rng = StdRng::seed_from_u64(args.common.seed);
    let change_at = (args.length as f64 * args.change_at).round() as usize;
    // ANCHOR: detectors
    let detectors = || -> Vec<Box<dyn DriftDetector>> {
        vec![
            Box::new(Ddm::new(30, args.ddm_drift.min(2.0), args.ddm_drift).expect("valid DDM")),
            Box::new(
                PageHinkley::new(30, args.ph_delta, args.ph_lambda).expect("valid Page–Hinkley"),
            ),
            Box::new(Adwin::new(args.adwin_delta, 5).expect("valid ADWIN")),
        ]
    };
    // ANCHOR_END: detectors
    let stream_of = |kind: DriftKind, length: usize, change_at: usize| RotatingStream {
        kind,
        length,
        change_at,
        angle_degrees: args.angle,
        width: args.width,
        period: args.period,
        noise: args.noise,
    };

    // --- Accuracy over time for every strategy and kind of drift ------------
    let kinds = [
        (DriftKind::Sudden, "sudden"),
        (DriftKind::Gradual, "gradual"),
        (DriftKind::Recurring, "recurring"),
    ];
    let mut panels = Vec::new();
    let mut table = String::from("| strategy |");
    for (_, name) in &kinds {
        table += &format!(" {name} |");
    }
    table += "\n|---|";
    table += &"---:|".repeat(kinds.len());
    table += "\n";
    let mut rows: Vec<(String, Vec<f64>)> = Vec::new();
    for (kind, name) in kinds {
        // ANCHOR: stream
        let initial = stream_of(DriftKind::None, args.initial, 0)
            .generate(&mut rng)
            .expect("valid stream");
        let stream = stream_of(kind, args.length, change_at)
            .generate(&mut rng)
            .expect("valid stream");
        let mut strategies = vec![
            Strategy::Static,
            Strategy::Sgd(args.lr),
            Strategy::Window {
                size: args.window,
                every: args.every,
            },
        ];
        strategies.extend(detectors().into_iter().map(Strategy::Triggered));
        // ANCHOR_END: stream
        let mut plain = LineChart::new(format!("{name} drift: models that never look for it"))
            .labels("sample t", format!("accuracy per {} samples", args.block))
            .y_limits(0.0, 1.0)
            .legend(Legend::LowerLeft);
        let mut triggered = LineChart::new(format!("{name} drift: retrain when a detector fires"))
            .labels("sample t", format!("accuracy per {} samples", args.block))
            .y_limits(0.0, 1.0)
            .legend(Legend::LowerLeft);
        let mut alarms_of: Vec<Vec<usize>> = Vec::new();
        for (i, strategy) in strategies.into_iter().enumerate() {
            let label = strategy.name();
            let trace = prequential(&initial, &stream, strategy).expect("the stream fits");
            let after = trace.accuracy(change_at, args.length);
            match rows.iter_mut().find(|(l, _)| *l == label) {
                Some((_, v)) => v.push(after),
                None => rows.push((label.clone(), vec![after])),
            }
            run.record(&format!("accuracy_after_{name}_{}", key(&label)), after);
            if i < 3 {
                plain = plain.series(label, trace.blocks(args.block), Marker::Line);
            } else {
                alarms_of.push(trace.detections.clone());
                run.record(
                    &format!("detections_{name}_{}", key(&label)),
                    &trace.detections,
                );
                triggered = triggered.series(label, trace.blocks(args.block), Marker::Line);
            }
        }
        // Each alarm is a short vertical tick in its detector's colour (the
        // figure colours series by position, so pad with empty series to
        // come back to the same colour), DDM highest, ADWIN lowest.
        let palette = stable_learning::book::figure::PALETTE.len();
        let mut count = alarms_of.len();
        for (d, times) in alarms_of.iter().enumerate() {
            let (lo, hi) = (0.42 - 0.09 * d as f64, 0.49 - 0.09 * d as f64);
            for &t in times {
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
        let change = vec![(change_at as f64, 0.0), (change_at as f64, 1.0)];
        panels.push(plain.series("change starts", change.clone(), Marker::Dashed));
        panels.push(triggered);
    }
    run.figure("accuracy.svg", &Figure::grid(panels, 2));
    for (label, v) in &rows {
        table += &format!("| {label} |");
        for a in v {
            table += &format!(" {a:.3} |");
        }
        table += "\n";
    }
    run.say(format!(
        "Accuracy from the change (sample {change_at}) to the end of the stream:"
    ));
    run.say(&table);
    run.text("strategies.md", &table);

    // --- Detection delay and false alarms -----------------------------------
    // ANCHOR: delays
    // A model trained before a sudden change; its errors (1 = mistake) feed
    // each detector. Delay: samples from the change to the first alarm after
    // it. False alarms: alarms before the change, and on streams that never
    // change, per 1000 samples.
    let (pre, post) = (1000, 2000);
    let names: Vec<&str> = detectors().iter().map(|d| d.name()).collect();
    let mut delays = vec![Vec::new(); names.len()];
    let mut missed = vec![0usize; names.len()];
    let mut early = vec![0usize; names.len()];
    let mut stationary = vec![0usize; names.len()];
    // How long after the detector's (re)start each false alarm on an
    // unchanging stream came, and, for each missed change, how long before
    // the change the last alarm came (None: no alarm before it).
    let mut since_restart = vec![Vec::new(); names.len()];
    let mut missed_after = vec![Vec::new(); names.len()];
    let mut error_rates = (Vec::new(), Vec::new());
    for _ in run.steps(0..args.trials, "detector trials") {
        let initial = stream_of(DriftKind::None, args.initial, 0)
            .generate(&mut rng)
            .expect("valid");
        let model = fit(&initial).expect("fits");
        let errors_on = |s: &[stable_learning::shift::concept::Sample]| -> Vec<bool> {
            let p = model.probabilities(inputs(s).view());
            s.iter()
                .zip(p.iter())
                .map(|(s, &p)| (p > 0.5) != s.y)
                .collect()
        };
        let drifting = errors_on(
            &stream_of(DriftKind::Sudden, pre + post, pre)
                .generate(&mut rng)
                .expect("valid"),
        );
        let steady = errors_on(
            &stream_of(DriftKind::None, pre + post, 0)
                .generate(&mut rng)
                .expect("valid"),
        );
        error_rates
            .0
            .push(drifting[..pre].iter().filter(|&&e| e).count() as f64 / pre as f64);
        error_rates
            .1
            .push(drifting[pre..].iter().filter(|&&e| e).count() as f64 / post as f64);
        for (d, mut detector) in detectors().into_iter().enumerate() {
            let fired = alarms(detector.as_mut(), &drifting);
            early[d] += fired.iter().filter(|&&t| t < pre).count();
            match fired.iter().find(|&&t| t >= pre) {
                Some(&t) => delays[d].push((t - pre) as f64),
                None => {
                    missed[d] += 1;
                    let last = fired.iter().rev().find(|&&t| t < pre);
                    missed_after[d].push(last.map(|&t| pre - t));
                }
            }
            let fired = alarms(detector.as_mut(), &steady);
            stationary[d] += fired.len();
            // After an alarm the detector restarts with the next sample.
            let starts = std::iter::once(0).chain(fired.iter().map(|&t| t + 1));
            since_restart[d].extend(fired.iter().zip(starts).map(|(&t, s)| t - s));
        }
    }
    // ANCHOR_END: delays
    let mut table = String::from(
        "| detector | median delay | 90% of delays below | missed | false alarms before the change, per 1000 samples | false alarms without change, per 1000 samples |\n|---|---:|---:|---:|---:|---:|\n",
    );
    for (d, name) in names.iter().enumerate() {
        let median = quantile(&delays[d], 0.5);
        let q90 = quantile(&delays[d], 0.9);
        let fa_before = 1000.0 * early[d] as f64 / (args.trials * pre) as f64;
        let fa_steady = 1000.0 * stationary[d] as f64 / (args.trials * (pre + post)) as f64;
        table += &format!(
            "| {name} | {median:.0} | {q90:.0} | {} of {} | {fa_before:.3} | {fa_steady:.3} |\n",
            missed[d], args.trials
        );
        let k = key(name);
        run.record(&format!("delay_median_{k}"), median);
        run.record(&format!("delay_q90_{k}"), q90);
        run.record(&format!("missed_{k}"), missed[d]);
        run.record(&format!("false_alarms_per_1000_before_{k}"), fa_before);
        run.record(&format!("false_alarms_per_1000_stationary_{k}"), fa_steady);
        run.record(&format!("stationary_alarms_{k}"), stationary[d]);
        run.record(
            &format!("stationary_alarms_within_100_of_restart_{k}"),
            since_restart[d].iter().filter(|&&s| s < 100).count(),
        );
        run.record(
            &format!("missed_last_alarm_before_change_{k}"),
            &missed_after[d],
        );
    }
    run.say(format!(
        "Sudden change after {pre} samples, {} streams; the static model's error rate goes from {:.3} to {:.3}:",
        args.trials,
        mean(&error_rates.0),
        mean(&error_rates.1)
    ));
    run.say(&table);
    run.text("delays.md", &table);
    run.record("error_rate_before", mean(&error_rates.0));
    run.record("error_rate_after", mean(&error_rates.1));
    run.record("change_at", change_at);
    // The share of the square whose (noise-free) label the turn changes, and
    // the best accuracy any model can have when a fraction `noise` of the
    // labels is flipped at random.
    run.record(
        "label_change_fraction",
        stream_of(DriftKind::Sudden, 1, 0).label_change_fraction(),
    );
    run.record("accuracy_ceiling", 1.0 - args.noise);
    run.finish();
}

/// A JSON-friendly key for a strategy or detector name.
fn key(name: &str) -> String {
    name.to_lowercase()
        .replace("page–hinkley", "page_hinkley")
        .replace(' ', "_")
}
