//! Chapter "Covariate shift": every figure and number in it.
//!
//! Run `cargo run --example covariate_shift -- --help` for the flags.

use clap::Parser;
use ndarray::{Array2, Axis};
use rand::seq::SliceRandom;
use rand::{Rng, RngExt, SeedableRng, rngs::StdRng};
use rand_distr::StandardNormal;
use serde::Serialize;
use stable_learning::book::figure::{Figure, Legend, LineChart, Marker};
use stable_learning::book::runner::{Common, Experiment, Run, float_in, int_in};
use stable_learning::nn::data::{CLASSES, Dataset};
use stable_learning::numeric::stats::{Histogram, mean, quantile};
use stable_learning::shift::covariate::{
    DomainClassifier, domain_classifier_test, gaussian_expectation, normal_pdf, polyval,
    weighted_polyfit,
};
use stable_learning::shift::logistic::{Softmax, SoftmaxParams, accuracy, sigmoid};
use stable_learning::shift::{clip_weights, effective_sample_size, flatten_weights};

/// Covariate shift: a regression after Shimodaira (2000) with true and
/// estimated importance weights, a domain-classifier shift detector, and a
/// covariate shift on handwritten digits.
#[derive(Parser, Debug, Clone, PartialEq, Serialize)]
#[command(name = "covariate_shift", allow_negative_numbers = true)]
struct Args {
    #[command(flatten)]
    common: Common,
    /// Labelled training (source) samples of the regression (10..=100000)
    #[arg(long, default_value_t = 100, value_parser = int_in(10, 100_000))]
    n_train: usize,
    /// Unlabelled target samples the domain classifier sees (10..=100000)
    #[arg(long, default_value_t = 400, value_parser = int_in(10, 100_000))]
    n_target: usize,
    /// Mean of the training inputs (-3..=3)
    #[arg(long, default_value_t = 0.5, value_parser = float_in(-3.0, 3.0))]
    train_mean: f64,
    /// Standard deviation of the training inputs (0.05..=3)
    #[arg(long, default_value_t = 0.5, value_parser = float_in(0.05, 3.0))]
    train_std: f64,
    /// Mean of the test inputs (-3..=3)
    #[arg(long, default_value_t = 0.0, value_parser = float_in(-3.0, 3.0))]
    test_mean: f64,
    /// Standard deviation of the test inputs (0.05..=3)
    #[arg(long, default_value_t = 0.3, value_parser = float_in(0.05, 3.0))]
    test_std: f64,
    /// Standard deviation of the label noise (0..=3)
    #[arg(long, default_value_t = 0.3, value_parser = float_in(0.0, 3.0))]
    noise: f64,
    /// Repetitions of the regression, each with fresh samples (1..=10000)
    #[arg(long, default_value_t = 200, value_parser = int_in(1, 10_000))]
    trials: usize,
    /// Clip the estimated weights at this value in the clipping comparison (0.01..=1e6)
    #[arg(long, default_value_t = 2.0, value_parser = float_in(0.01, 1e6))]
    clip: f64,
    /// Samples per domain in each run of the shift detector (4..=10000)
    #[arg(long, default_value_t = 100, value_parser = int_in(4, 10_000))]
    power_n: usize,
    /// Runs of the detector per shift size (1..=10000)
    #[arg(long, default_value_t = 100, value_parser = int_in(1, 10_000))]
    power_trials: usize,
    /// Label permutations behind each p-value (1..=100000)
    #[arg(long, default_value_t = 199, value_parser = int_in(1, 100_000))]
    permutations: usize,
    /// Significance level of the detector (0.001..=0.5)
    #[arg(long, default_value_t = 0.05, value_parser = float_in(0.001, 0.5))]
    alpha: f64,
    /// Largest mean shift (in standard deviations) in the detector's power curve (0.01..=5)
    #[arg(long, default_value_t = 0.8, value_parser = float_in(0.01, 5.0))]
    max_shift: f64,
    /// Strength k of the digits' covariate shift: P(source) = σ(−k·ink), P(target) = σ(k·ink) (0..=10)
    #[arg(long, default_value_t = 1.5, value_parser = float_in(0.0, 10.0))]
    digits_shift: f64,
    /// Random source/target splits of the digits (1..=100)
    #[arg(long, default_value_t = 5, value_parser = int_in(1, 100))]
    digits_repeats: usize,
}

impl Experiment for Args {
    fn common(&mut self) -> &mut Common {
        &mut self.common
    }
}

/// The regression function of the toy problem.
// ANCHOR: truth
fn truth(x: f64) -> f64 {
    -x + x * x * x
}
// ANCHOR_END: truth

fn normals(n: usize, mean: f64, std: f64, rng: &mut impl Rng) -> Vec<f64> {
    (0..n)
        .map(|_| mean + std * rng.sample::<f64, _>(StandardNormal))
        .collect()
}

/// Features (x, x²) for the domain classifier: with two Gaussians the log
/// density ratio is exactly quadratic in x.
fn quadratic_features(xs: &[f64]) -> Array2<f64> {
    Array2::from_shape_fn((xs.len(), 2), |(i, j)| xs[i].powi(j as i32 + 1))
}

fn main() {
    let (args, mut run) = Run::start::<Args>("covariate_shift");
    let mut rng = StdRng::seed_from_u64(args.common.seed);
    let lambdas: Vec<f64> = (0..=20).map(|i| i as f64 / 20.0).collect();
    // The error of a fitted polynomial on the test distribution, exact:
    // E_q[(f(x) − y)²] = E_q[(f(x) − truth(x))²] + noise².
    let test_error = |c: &[f64]| {
        gaussian_expectation(
            |x| (polyval(c, x) - truth(x)).powi(2),
            args.test_mean,
            args.test_std,
        ) + args.noise * args.noise
    };

    // --- 1. Regression after Shimodaira (2000) -------------------------
    let mut by_lambda_true = vec![Vec::new(); lambdas.len()];
    let mut by_lambda_est = vec![Vec::new(); lambdas.len()];
    let (mut clipped_err, mut clipped_d2l_err) = (Vec::new(), Vec::new());
    let (mut cubic_plain, mut cubic_weighted) = (Vec::new(), Vec::new());
    let (mut mean_w_ratio, mut mean_w_plain, mut ess_true) = (Vec::new(), Vec::new(), Vec::new());
    let mut first_trial = None;
    for trial in run.steps(0..args.trials, "regression trials") {
        // ANCHOR: regression
        // Labelled source data, unlabelled target inputs.
        let xs = normals(args.n_train, args.train_mean, args.train_std, &mut rng);
        let ys: Vec<f64> = xs
            .iter()
            .map(|&x| truth(x) + args.noise * rng.sample::<f64, _>(StandardNormal))
            .collect();
        let xt = normals(args.n_target, args.test_mean, args.test_std, &mut rng);
        // The true weights β(x) = q(x)/p(x), and weights estimated by a
        // logistic regression that tells target from source on (x, x²).
        let beta: Vec<f64> = xs
            .iter()
            .map(|&x| {
                normal_pdf(x, args.test_mean, args.test_std)
                    / normal_pdf(x, args.train_mean, args.train_std)
            })
            .collect();
        let domain = DomainClassifier::fit(
            quadratic_features(&xs).view(),
            quadratic_features(&xt).view(),
            1e-3,
        )
        .expect("the domain classifier fits");
        let beta_hat = domain.weights(quadratic_features(&xs).view());
        // A straight line fitted with weights β^λ, for λ from 0 to 1.
        let line = |w: &[f64]| weighted_polyfit(&xs, &ys, w, 1).expect("two distinct inputs");
        for (i, &lambda) in lambdas.iter().enumerate() {
            by_lambda_true[i].push(test_error(&line(&flatten_weights(&beta, lambda))));
            by_lambda_est[i].push(test_error(&line(&flatten_weights(&beta_hat, lambda))));
        }
        // ANCHOR_END: regression
        let d2l = domain.weights_without_count_ratio(quadratic_features(&xs).view());
        clipped_err.push(test_error(&line(&clip_weights(&beta_hat, args.clip))));
        clipped_d2l_err.push(test_error(&line(&clip_weights(&d2l, args.clip))));
        mean_w_ratio.push(mean(&beta_hat));
        mean_w_plain.push(mean(&d2l));
        ess_true.push(effective_sample_size(&beta));
        // A cubic is the right model: weighting should not be needed.
        let cubic = |w: &[f64]| weighted_polyfit(&xs, &ys, w, 3).expect("four distinct inputs");
        cubic_plain.push(test_error(&cubic(&vec![1.0; xs.len()])));
        cubic_weighted.push(test_error(&cubic(&beta)));
        if trial == 0 {
            first_trial = Some((xs, ys, beta, beta_hat, domain));
        }
    }
    let (xs, ys, beta, beta_hat, domain) = first_trial.expect("at least one trial");

    // Figure: the data, the two input densities and the fits of one trial.
    let grid: Vec<f64> = (0..=300).map(|i| -1.5 + i as f64 * 0.01).collect();
    let curve = |f: &dyn Fn(f64) -> f64| grid.iter().map(|&x| (x, f(x))).collect::<Vec<_>>();
    let fit_plain = weighted_polyfit(&xs, &ys, &vec![1.0; xs.len()], 1).unwrap();
    let fit_true = weighted_polyfit(&xs, &ys, &beta, 1).unwrap();
    let fit_est = weighted_polyfit(&xs, &ys, &beta_hat, 1).unwrap();
    let densities = LineChart::new("Training and test inputs")
        .labels("x", "density")
        .line(
            format!(
                "training p(x) = N({}, {}²)",
                args.train_mean, args.train_std
            ),
            curve(&|x| normal_pdf(x, args.train_mean, args.train_std)),
        )
        .line(
            format!("test q(x) = N({}, {}²)", args.test_mean, args.test_std),
            curve(&|x| normal_pdf(x, args.test_mean, args.test_std)),
        )
        .legend(Legend::UpperRight);
    let fits = LineChart::new("y = −x + x³ + noise, fitted by a line")
        .labels("x", "y")
        .series(
            "training samples",
            xs.iter().zip(&ys).map(|(&x, &y)| (x, y)).collect(),
            Marker::Dots,
        )
        .line(
            "unweighted least squares",
            curve(&|x| polyval(&fit_plain, x)),
        )
        .line("weighted, true β", curve(&|x| polyval(&fit_true, x)))
        .line("weighted, estimated β", curve(&|x| polyval(&fit_est, x)))
        .series("truth −x + x³", curve(&truth), Marker::Dashed)
        .y_limits(-2.0, 2.0)
        .legend(Legend::UpperLeft);
    run.figure("regression.svg", &Figure::grid(vec![densities, fits], 2));

    // Figure: test error against the flattening exponent λ.
    let mean_curve = |errs: &[Vec<f64>]| -> Vec<(f64, f64)> {
        lambdas
            .iter()
            .zip(errs)
            .map(|(&l, e)| (l, mean(e)))
            .collect()
    };
    let band = |errs: &[Vec<f64>]| -> Vec<(f64, f64, f64)> {
        lambdas
            .iter()
            .zip(errs)
            .map(|(&l, e)| (l, quantile(e, 0.25), quantile(e, 0.75)))
            .collect()
    };
    let true_curve = mean_curve(&by_lambda_true);
    let est_curve = mean_curve(&by_lambda_est);
    let (best_i, best) = true_curve
        .iter()
        .enumerate()
        .min_by(|a, b| a.1.1.total_cmp(&b.1.1))
        .map(|(i, p)| (i, p.1))
        .unwrap();
    run.figure(
        "lambda.svg",
        &Figure::single(
            LineChart::new(format!(
                "Test error of the weighted line, weights β^λ ({} trials)",
                args.trials
            ))
            .labels(
                "flattening exponent λ (0: unweighted, 1: fully weighted)",
                "mean test error E_q[(f(x) − y)²]",
            )
            .band("25%–75% of trials, true β", band(&by_lambda_true))
            .series("mean, true β", true_curve.clone(), Marker::LineDots)
            .series("mean, estimated β", est_curve.clone(), Marker::LineDots)
            .legend(Legend::UpperRight),
        ),
    );
    let err_plain = true_curve[0].1;
    let err_true = true_curve[lambdas.len() - 1].1;
    let err_est = est_curve[lambdas.len() - 1].1;
    let wins = by_lambda_true[0]
        .iter()
        .zip(&by_lambda_true[lambdas.len() - 1])
        .filter(|(plain, weighted)| weighted < plain)
        .count();
    let mut table = String::from("| model | weights | mean test error |\n|---|---|---:|\n");
    let rows = [
        ("line", "none (λ = 0)".to_string(), err_plain),
        ("line", "true β (λ = 1)".to_string(), err_true),
        (
            "line",
            format!("true β^λ, best λ = {}", lambdas[best_i]),
            best,
        ),
        ("line", "estimated β̂ (λ = 1)".to_string(), err_est),
        (
            "line",
            format!("estimated β̂ clipped at {}", args.clip),
            mean(&clipped_err),
        ),
        (
            "line",
            format!("β̂ without n_s/n_t, clipped at {}", args.clip),
            mean(&clipped_d2l_err),
        ),
        ("cubic", "none".to_string(), mean(&cubic_plain)),
        ("cubic", "true β".to_string(), mean(&cubic_weighted)),
    ];
    for (model, weights, err) in &rows {
        table += &format!("| {model} | {weights} | {err:.4} |\n");
    }
    run.say(format!(
        "Regression, {} trials of {} training points (noise variance {:.4} is the floor):",
        args.trials,
        args.n_train,
        args.noise * args.noise
    ));
    run.say(&table);
    run.text("regression.md", &table);
    run.record("test_error_unweighted", err_plain);
    run.record("test_error_true_weights", err_true);
    run.record("test_error_estimated_weights", err_est);
    run.record("test_error_best_lambda", best);
    run.record("best_lambda", lambdas[best_i]);
    run.record("lambda_curve_true_weights", &true_curve);
    run.record("weighted_wins", wins);
    run.record("test_error_clipped", mean(&clipped_err));
    run.record("test_error_clipped_without_ratio", mean(&clipped_d2l_err));
    run.record("test_error_cubic_unweighted", mean(&cubic_plain));
    run.record("test_error_cubic_weighted", mean(&cubic_weighted));
    run.record("noise_variance", args.noise * args.noise);
    run.record("mean_weight_with_ratio", mean(&mean_w_ratio));
    run.record("mean_weight_without_ratio", mean(&mean_w_plain));
    run.record("effective_sample_size", mean(&ess_true));

    // Figure: estimated against true weights (first trial).
    let ratio = |x: f64| {
        normal_pdf(x, args.test_mean, args.test_std)
            / normal_pdf(x, args.train_mean, args.train_std)
    };
    let range: Vec<f64> = grid
        .iter()
        .copied()
        .filter(|x| (-1.0..=1.5).contains(x))
        .collect();
    let on_range = |f: &dyn Fn(f64) -> f64| range.iter().map(|&x| (x, f(x))).collect::<Vec<_>>();
    let est_at = |x: f64| domain.weights(quadratic_features(&[x]).view())[0];
    let d2l_at = |x: f64| domain.weights_without_count_ratio(quadratic_features(&[x]).view())[0];
    run.figure(
        "weights.svg",
        &Figure::single(
            LineChart::new(format!(
                "Density ratio q(x)/p(x) from a domain classifier ({} source, {} target samples)",
                args.n_train, args.n_target
            ))
            .labels("x", "importance weight β(x)")
            .series("true ratio q(x)/p(x)", on_range(&ratio), Marker::Dashed)
            .line("estimated: (n_s/n_t)·exp(h(x))", on_range(&est_at))
            .line("without n_s/n_t: exp(h(x))", on_range(&d2l_at))
            .line(
                format!("estimated, clipped at {}", args.clip),
                on_range(&|x| est_at(x).min(args.clip)),
            )
            .legend(Legend::UpperRight),
        ),
    );

    // --- 2. Detecting covariate shift --------------------------------------
    // ANCHOR: detector
    // Source N(0, 1), target N(δ, 1): how often does the domain classifier's
    // held-out AUC reject "no shift" at level α?
    let shifts: Vec<f64> = (0..=8).map(|i| args.max_shift * i as f64 / 8.0).collect();
    let mut power = Vec::new();
    let mut aucs = Vec::new();
    for &delta in run.steps(shifts.iter(), "detection power") {
        let (mut rejections, mut auc_sum) = (0, 0.0);
        for _ in 0..args.power_trials {
            let s = Array2::from_shape_vec(
                (args.power_n, 1),
                normals(args.power_n, 0.0, 1.0, &mut rng),
            )
            .unwrap();
            let t = Array2::from_shape_vec(
                (args.power_n, 1),
                normals(args.power_n, delta, 1.0, &mut rng),
            )
            .unwrap();
            let test =
                domain_classifier_test(s.view(), t.view(), args.permutations, 1e-3, &mut rng)
                    .expect("enough samples");
            auc_sum += test.auc;
            if test.p_value <= args.alpha {
                rejections += 1;
            }
        }
        power.push((delta, rejections as f64 / args.power_trials as f64));
        aucs.push((delta, auc_sum / args.power_trials as f64));
    }
    // ANCHOR_END: detector
    run.figure(
        "detector.svg",
        &Figure::grid(
            vec![
                LineChart::new(format!(
                    "Detection power at α = {} ({} samples per domain)",
                    args.alpha, args.power_n
                ))
                .labels(
                    "mean shift δ (in standard deviations)",
                    "fraction of runs that detect a shift",
                )
                .series(
                    "domain-classifier AUC test",
                    power.clone(),
                    Marker::LineDots,
                )
                .series(
                    format!("α = {}", args.alpha),
                    vec![(0.0, args.alpha), (args.max_shift, args.alpha)],
                    Marker::Dashed,
                )
                .y_limits(0.0, 1.0)
                .legend(Legend::LowerRight),
                LineChart::new("Held-out AUC of the domain classifier")
                    .labels("mean shift δ (in standard deviations)", "mean AUC")
                    .series("mean over runs", aucs.clone(), Marker::LineDots)
                    .y_limits(0.4, 1.0)
                    .legend(Legend::LowerRight),
            ],
            2,
        ),
    );
    run.say(format!(
        "Detector: no shift: mean AUC {:.3}, false detections {:.2}; shift {}: power {:.2}",
        aucs[0].1,
        power[0].1,
        shifts[shifts.len() - 1],
        power[shifts.len() - 1].1
    ));
    run.record("detector_auc_no_shift", aucs[0].1);
    run.record("detector_false_positive_rate", power[0].1);
    run.record("detector_power", &power);
    run.record("detector_mean_auc", &aucs);

    // --- 3. Covariate shift on the digits ------------------------------------
    // ANCHOR: digits
    // Source and target select digits by how much ink they carry: the source
    // keeps an image with probability σ(−k·z), the target with σ(k·z), where
    // z is the image's standardized mean pixel. p(y | x) is untouched, and the
    // true weight is q(x)/p(x) ∝ σ(k z)/σ(−k z) = exp(k z).
    let digits = Dataset::digits();
    let ink: Vec<f64> = digits.x.mean_axis(Axis(1)).unwrap().to_vec();
    let (ink_mean, ink_std) = (
        mean(&ink),
        stable_learning::numeric::stats::variance(&ink).sqrt(),
    );
    let z: Vec<f64> = ink.iter().map(|v| (v - ink_mean) / ink_std).collect();
    let k = args.digits_shift;
    // ANCHOR_END: digits
    let params = SoftmaxParams::default();
    let mut results: Vec<[f64; 3]> = Vec::new();
    let (mut ess_digits, mut source_sizes, mut target_sizes) = (Vec::new(), Vec::new(), Vec::new());
    let (mut z_source, mut z_target) = (Vec::new(), Vec::new());
    let mut auc_digits = Vec::new();
    for repeat in 0..args.digits_repeats {
        let mut idx: Vec<usize> = (0..digits.len()).collect();
        idx.shuffle(&mut rng);
        let (a, b) = idx.split_at(digits.len() / 2);
        let source_idx: Vec<usize> = a
            .iter()
            .copied()
            .filter(|&i| rng.random::<f64>() < sigmoid(-k * z[i]))
            .collect();
        let target_idx: Vec<usize> = b
            .iter()
            .copied()
            .filter(|&i| rng.random::<f64>() < sigmoid(k * z[i]))
            .collect();
        let (source, target) = (digits.select(&source_idx), digits.select(&target_idx));
        // ANCHOR: digits_weights
        let true_w: Vec<f64> = source_idx.iter().map(|&i| (k * z[i]).exp()).collect();
        let domain = DomainClassifier::fit(source.x.view(), target.x.view(), 1e-2)
            .expect("the domain classifier fits");
        let est_w = domain.weights(source.x.view());
        let fit = |w: Option<&[f64]>| {
            let model = Softmax::fit(source.x.view(), &source.y, CLASSES, w, params).expect("fits");
            accuracy(&model.predict(target.x.view()), &target.y, None)
        };
        results.push([fit(None), fit(Some(&true_w)), fit(Some(&est_w))]);
        // ANCHOR_END: digits_weights
        ess_digits.push(effective_sample_size(&true_w) / true_w.len() as f64);
        source_sizes.push(source.len() as f64);
        target_sizes.push(target.len() as f64);
        if repeat == 0 {
            z_source = source_idx.iter().map(|&i| z[i]).collect();
            z_target = target_idx.iter().map(|&i| z[i]).collect();
            let detect = domain_classifier_test(
                source.x.view(),
                target.x.view(),
                args.permutations,
                1e-2,
                &mut rng,
            )
            .expect("enough samples");
            auc_digits.push(detect.auc);
            auc_digits.push(detect.p_value);
        }
    }
    let col = |j: usize| results.iter().map(|r| r[j]).collect::<Vec<_>>();
    let (acc_plain, acc_true, acc_est) = (mean(&col(0)), mean(&col(1)), mean(&col(2)));
    let spread = |j: usize| {
        let c = col(j);
        c.iter().fold(0.0f64, |m, v| m.max(v.abs())) - c.iter().fold(1.0f64, |m, v| m.min(*v))
    };
    let mut table = String::from(
        "| training weights | target accuracy (mean) | range over splits |\n|---|---:|---:|\n",
    );
    for (j, name) in [
        "none",
        "true β(x) = exp(k z)",
        "estimated β̂(x), domain classifier on 64 pixels",
    ]
    .iter()
    .enumerate()
    {
        table += &format!("| {name} | {:.3} | {:.3} |\n", mean(&col(j)), spread(j));
    }
    run.say(format!(
        "Digits, shift k = {k}, {} splits: {:.0} source and {:.0} target images on average",
        args.digits_repeats,
        mean(&source_sizes),
        mean(&target_sizes)
    ));
    run.say(&table);
    run.text("digits.md", &table);
    let hist = |v: &[f64]| Histogram::new(v, -3.0, 4.0, 28);
    run.figure(
        "digits_ink.svg",
        &Figure::single(
            LineChart::new(format!("How much ink: source and target digits (k = {k})"))
                .labels("standardized mean pixel z", "fraction of images")
                .histogram(
                    format!("source ({} images)", z_source.len()),
                    &hist(&z_source),
                )
                .histogram(
                    format!("target ({} images)", z_target.len()),
                    &hist(&z_target),
                )
                .legend(Legend::UpperRight),
        ),
    );
    run.record("digits_accuracy_unweighted", acc_plain);
    run.record("digits_accuracy_true_weights", acc_true);
    run.record("digits_accuracy_estimated_weights", acc_est);
    run.record("digits_relative_ess", mean(&ess_digits));
    run.record("digits_source_size", mean(&source_sizes));
    run.record("digits_target_size", mean(&target_sizes));
    run.record("digits_detector_auc", auc_digits[0]);
    run.record("digits_detector_p_value", auc_digits[1]);
    run.finish();
}
