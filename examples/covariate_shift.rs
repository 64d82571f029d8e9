//! Chapter "Covariate shift": every figure and number in it.
//!
//! Run `cargo run --example covariate_shift -- --help` for the flags. The
//! experiments are `shimodaira_regression`, `detection_power` and
//! `digits_shift` in `stable_learning::shift::covariate`; this file is their
//! command line and their figures.

use clap::Parser;
use serde::Serialize;
use stable_learning::book::figure::{Figure, Legend, LineChart, Marker};
use stable_learning::book::live::{
    self,
    covariate_shift::{lambda_figure, regression_rows},
};
use stable_learning::book::runner::{Common, Experiment, Run, number_in, whole_in};
use stable_learning::numeric::random::stream;
use stable_learning::numeric::stats::Histogram;
use stable_learning::shift::covariate::{
    DetectionPower, DetectorParams, DigitsShift, DigitsShiftParams, RegressionParams,
    ShimodairaRegression, WeightAt, detection_power, digits_shift, normal_pdf, polyval,
    shimodaira_regression, truth,
};

/// Covariate shift: a regression after Shimodaira (2000) with true and
/// estimated importance weights, a domain-classifier shift detector, and a
/// covariate shift on handwritten digits.
#[derive(Parser, Debug, Clone, PartialEq, Serialize)]
#[command(name = "covariate_shift", allow_negative_numbers = true)]
struct Args {
    #[command(flatten)]
    #[serde(flatten)]
    common: Common,
    /// Labelled training (source) samples of the regression (10..=100000)
    #[arg(long, default_value_t = 100, value_parser = whole_in(RegressionParams::N_TRAIN))]
    n_train: usize,
    /// Unlabelled target samples the domain classifier sees (10..=100000)
    #[arg(long, default_value_t = 400, value_parser = whole_in(RegressionParams::N_TARGET))]
    n_target: usize,
    /// Mean of the training inputs (-3..=3)
    #[arg(long, default_value_t = 0.5, value_parser = number_in(RegressionParams::TRAIN_MEAN))]
    train_mean: f64,
    /// Standard deviation of the training inputs (0.05..=3)
    #[arg(long, default_value_t = 0.5, value_parser = number_in(RegressionParams::TRAIN_STD))]
    train_std: f64,
    /// Mean of the test inputs (-3..=3)
    #[arg(long, default_value_t = 0.0, value_parser = number_in(RegressionParams::TEST_MEAN))]
    test_mean: f64,
    /// Standard deviation of the test inputs (0.05..=3)
    #[arg(long, default_value_t = 0.3, value_parser = number_in(RegressionParams::TEST_STD))]
    test_std: f64,
    /// Standard deviation of the label noise (0..=3)
    #[arg(long, default_value_t = 0.3, value_parser = number_in(RegressionParams::NOISE))]
    noise: f64,
    /// Repetitions of the regression, each with fresh samples (1..=10000)
    #[arg(long, default_value_t = 200, value_parser = whole_in(RegressionParams::TRIALS))]
    trials: usize,
    /// Clip the estimated weights at this value in the clipping comparison (0.01..=1e6)
    #[arg(long, default_value_t = 2.0, value_parser = number_in(RegressionParams::CLIP))]
    clip: f64,
    /// Samples per domain in each run of the shift detector (4..=10000)
    #[arg(long, default_value_t = 100, value_parser = whole_in(DetectorParams::N))]
    power_n: usize,
    /// Runs of the detector per shift size (1..=10000)
    #[arg(long, default_value_t = 100, value_parser = whole_in(DetectorParams::TRIALS))]
    power_trials: usize,
    /// Label permutations behind each p-value (1..=100000)
    #[arg(long, default_value_t = 199, value_parser = whole_in(DetectorParams::PERMUTATIONS))]
    permutations: usize,
    /// Significance level of the detector (0.001..=0.5)
    #[arg(long, default_value_t = 0.05, value_parser = number_in(DetectorParams::ALPHA))]
    alpha: f64,
    /// Largest mean shift (in standard deviations) in the detector's power curve (0.01..=5)
    #[arg(long, default_value_t = 0.8, value_parser = number_in(DetectorParams::MAX_SHIFT))]
    max_shift: f64,
    /// Strength k of the digits' covariate shift: P(source) = σ(−k·ink), P(target) = σ(k·ink) (0..=10)
    #[arg(long, default_value_t = 1.5, value_parser = number_in(DigitsShiftParams::K))]
    digits_shift: f64,
    /// Random source/target splits of the digits (1..=100)
    #[arg(long, default_value_t = 5, value_parser = whole_in(DigitsShiftParams::REPEATS))]
    digits_repeats: usize,
}

impl Experiment for Args {
    fn common(&mut self) -> &mut Common {
        &mut self.common
    }
}

fn main() {
    let (args, mut run) = Run::start::<Args>("covariate_shift");
    let regression_params = RegressionParams {
        n_train: args.n_train,
        n_target: args.n_target,
        train_mean: args.train_mean,
        train_std: args.train_std,
        test_mean: args.test_mean,
        test_std: args.test_std,
        noise: args.noise,
        trials: args.trials,
        clip: args.clip,
    };
    let detector_params = DetectorParams {
        n: args.power_n,
        trials: args.power_trials,
        permutations: args.permutations,
        alpha: args.alpha,
        max_shift: args.max_shift,
    };
    let digits_params = DigitsShiftParams {
        k: args.digits_shift,
        repeats: args.digits_repeats,
        permutations: args.permutations,
    };
    // Each experiment draws from its own random stream, derived from the
    // seed and the experiment's name: changing one experiment's flags
    // leaves the others' results as they were.
    let seed = args.common.seed;

    let progress = &mut run.progress_fn("regression trials");
    let rng = &mut stream(seed, "shimodaira_regression", 0);
    let regression = run.check(shimodaira_regression(&regression_params, rng, progress));
    report_shimodaira_regression(&mut run, &regression_params, &regression);
    run.record("shimodaira_regression", &regression);

    let progress = &mut run.progress_fn("detection power");
    let rng = &mut stream(seed, "detection_power", 0);
    let power = run.check(detection_power(&detector_params, rng, progress));
    report_detection_power(&mut run, &detector_params, &power);
    run.record("detection_power", &power);

    let progress = &mut run.progress_fn("digit splits");
    let rng = &mut stream(seed, "digits_shift", 0);
    let digits = run.check(digits_shift(&digits_params, rng, progress));
    report_digits_shift(&mut run, &digits_params, &digits);
    run.record("digits_shift", &digits);

    run.finish();
}

/// Figures 6.1–6.3 and Table 5.2.
fn report_shimodaira_regression(run: &mut Run, p: &RegressionParams, r: &ShimodairaRegression) {
    // Figure: the data, the two input densities and the fits of one trial.
    let first = &r.first_draw;
    let grid: Vec<f64> = (0..=300).map(|i| -1.5 + i as f64 * 0.01).collect();
    let curve = |f: &dyn Fn(f64) -> f64| grid.iter().map(|&x| (x, f(x))).collect::<Vec<_>>();
    // A weighted line the weights left undetermined is drawn as nothing.
    let fitted = |line: &Option<Vec<f64>>| match line {
        Some(c) => curve(&|x| polyval(c, x)),
        None => Vec::new(),
    };
    let densities = LineChart::new("Training and test inputs")
        .labels("x", "density")
        .line(
            format!("training p(x) = N({}, {}²)", p.train_mean, p.train_std),
            curve(&|x| normal_pdf(x, p.train_mean, p.train_std)),
        )
        .line(
            format!("test q(x) = N({}, {}²)", p.test_mean, p.test_std),
            curve(&|x| normal_pdf(x, p.test_mean, p.test_std)),
        )
        .legend(Legend::UpperRight);
    let fits = LineChart::new("y = −x + x³ + noise, fitted by a line")
        .labels("x", "y")
        .series(
            "training samples",
            first
                .xs
                .iter()
                .zip(&first.ys)
                .map(|(&x, &y)| (x, y))
                .collect(),
            Marker::Dots,
        )
        .line(
            "unweighted least squares",
            curve(&|x| polyval(&first.line_unweighted, x)),
        )
        .line("weighted, true β", fitted(&first.line_true_weights))
        .line(
            "weighted, estimated β",
            fitted(&first.line_estimated_weights),
        )
        .series("truth −x + x³", curve(&truth), Marker::Dashed)
        .y_limits(-2.0, 3.2)
        .legend(Legend::UpperLeft);
    let fits = match (&first.line_true_weights, &first.line_estimated_weights) {
        (Some(_), Some(_)) => fits,
        _ => fits.note("a weighted line is undetermined: its weights sit on too few points"),
    };
    run.figure("regression.svg", &Figure::stack(vec![densities, fits]));

    // Figure: test error against the flattening exponent λ.
    run.figure("lambda.svg", &lambda_figure(p, r));
    run.text("live.html", &live::covariate_shift::LIVE.controls_html());
    let mut table = String::from("| model | weights | mean test error |\n|---|---|---:|\n");
    for (model, weights, err) in &regression_rows(p, r) {
        table += &format!("| {model} | {weights} | {err:.4} |\n");
    }
    if r.undetermined_fits > 0 {
        table += &format!(
            "\nWeighted fits left undetermined (the weights sat on too few points): {}; \
             each mean is over the fits that were determined.\n",
            r.undetermined_fits
        );
    }
    run.say(format!(
        "Regression, {} trials of {} training points (noise variance {:.4} is the floor):",
        p.trials, p.n_train, r.noise_variance
    ));
    run.say(&table);
    run.text("regression.md", &table);

    // Figure: estimated against true weights (first trial).
    let weights = |f: &dyn Fn(&WeightAt) -> f64| {
        let points = first.weights.iter();
        points.map(|w| (w.x, f(w))).collect::<Vec<_>>()
    };
    run.figure(
        "weights.svg",
        &Figure::single(
            LineChart::new(format!(
                "Density ratio q(x)/p(x) from a domain classifier ({} source, {} target samples)",
                p.n_train, p.n_target
            ))
            .labels("x", "importance weight β(x)")
            .series(
                "true ratio q(x)/p(x)",
                weights(&|w| w.true_ratio),
                Marker::Dashed,
            )
            .line("estimated: (nₛ/nₜ)·exp(h(x))", weights(&|w| w.estimated))
            .line(
                "without nₛ/nₜ: exp(h(x))",
                weights(&|w| w.without_count_ratio),
            )
            .line(
                format!("estimated, clipped at {}", p.clip),
                weights(&|w| w.estimated.min(p.clip)),
            )
            .legend(Legend::UpperRight),
        ),
    );
}

/// Figure 5.4.
fn report_detection_power(run: &mut Run, p: &DetectorParams, r: &DetectionPower) {
    let power = r.points.iter().map(|q| (q.shift, q.power)).collect();
    let aucs = r.points.iter().map(|q| (q.shift, q.mean_auc)).collect();
    run.figure(
        "detector.svg",
        &Figure::stack(vec![
            LineChart::new(format!(
                "Detection power at α = {} ({} samples per domain)",
                p.alpha, p.n
            ))
            .labels(
                "mean shift δ (in standard deviations)",
                "fraction of runs that detect a shift",
            )
            .series("domain-classifier AUC test", power, Marker::LineDots)
            .series(
                format!("α = {}", p.alpha),
                vec![(0.0, p.alpha), (p.max_shift, p.alpha)],
                Marker::Dashed,
            )
            .y_limits(0.0, 1.0)
            .legend(Legend::LowerRight),
            LineChart::new("Held-out AUC of the domain classifier")
                .labels("mean shift δ (in standard deviations)", "mean AUC")
                .series("mean over runs", aucs, Marker::LineDots)
                .y_limits(0.4, 1.0)
                .legend(Legend::LowerRight),
        ]),
    );
    let last = r.points.last().expect("nine shifts");
    run.say(format!(
        "Detector: no shift: mean AUC {:.3}, false detections {:.2}; shift {}: power {:.2}",
        r.auc_no_shift, r.false_positive_rate, last.shift, last.power
    ));
}

/// Table 6.3 and Figure 5.5.
fn report_digits_shift(run: &mut Run, p: &DigitsShiftParams, r: &DigitsShift) {
    let mut table = String::from(
        "| training weights | target accuracy (mean) | range over splits |\n|---|---:|---:|\n",
    );
    for (name, acc) in [
        ("none", &r.unweighted),
        ("true β(x) = exp(k z)", &r.true_weights),
        (
            "estimated β̂(x), domain classifier on 64 pixels",
            &r.estimated_weights,
        ),
    ] {
        table += &format!("| {name} | {:.3} | {:.3} |\n", acc.mean, acc.range);
    }
    run.say(format!(
        "Digits, shift k = {}, {} splits: {:.0} source and {:.0} target images on average",
        p.k, p.repeats, r.source_size, r.target_size
    ));
    run.say(&table);
    run.text("digits.md", &table);
    let hist = |v: &[f64]| Histogram::new(v, -3.0, 4.0, 28);
    run.figure(
        "digits_ink.svg",
        &Figure::single(
            LineChart::new(format!(
                "How much ink: source and target digits (k = {})",
                p.k
            ))
            .labels("standardized mean pixel z", "fraction of images")
            .histogram(
                format!("source ({} images)", r.z_source.len()),
                &hist(&r.z_source),
            )
            .histogram(
                format!("target ({} images)", r.z_target.len()),
                &hist(&r.z_target),
            )
            .legend(Legend::UpperRight),
        ),
    );
}
