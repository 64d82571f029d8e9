//! Chapter "Covariate shift": the exercises' solutions. The chapter includes
//! the anchored parts; the assertions check the answers it gives.

mod common;

use common::{assert_mentions, chapter, example_json, result, temp_dir};
use ndarray::Array2;
use rand::seq::SliceRandom;
use rand::{RngExt, SeedableRng, rngs::StdRng};
use stable_learning::nn::data::Dataset;
use stable_learning::numeric::math;
use stable_learning::numeric::normal::StandardNormal;
use stable_learning::numeric::random::stream;
use stable_learning::shift::covariate::{
    DomainClassifier, RegressionParams, ShiftTest, ShimodairaRegression, domain_classifier_test,
    normal_pdf, polyval, shimodaira_regression, standardized_ink, weighted_polyfit,
};
use stable_learning::shift::effective_sample_size;

// ANCHOR: detector
/// Exercise 2: the chapter's detector on the digits, for a random split (no
/// shift) and for light against heavy digits (a covariate shift).
fn detector() -> (ShiftTest, ShiftTest) {
    let digits = Dataset::digits();
    // Each digit's ink, standardized as in the chapter's shift (the median
    // splits it exactly as it would the raw mean pixel).
    let ink = standardized_ink(&digits);
    let median = stable_learning::numeric::stats::median(&ink);
    let mut rng = StdRng::seed_from_u64(4);
    // A random split: no shift.
    let mut idx: Vec<usize> = (0..digits.len()).collect();
    idx.shuffle(&mut rng);
    let (a, b) = idx.split_at(digits.len() / 2);
    let same = domain_classifier_test(
        digits.select(a).x.view(),
        digits.select(b).x.view(),
        199,
        1e-2,
        &mut rng,
    )
    .unwrap();
    // Light digits against heavy ones: a covariate shift.
    let light: Vec<usize> = (0..digits.len()).filter(|&i| ink[i] < median).collect();
    let heavy: Vec<usize> = (0..digits.len()).filter(|&i| ink[i] >= median).collect();
    let shifted = domain_classifier_test(
        digits.select(&light).x.view(),
        digits.select(&heavy).x.view(),
        199,
        1e-2,
        &mut rng,
    )
    .unwrap();
    println!("random split: {same:?}; light vs heavy: {shifted:?}");
    (same, shifted)
}
// ANCHOR_END: detector

#[test]
fn exercise_2_a_detector_on_the_digits() {
    let (same, shifted) = detector();
    // Without shift, the held-out AUC of ~450 against ~450 rows has a
    // standard error of about 0.02: 0.1 is five of them.
    assert!((same.auc - 0.5).abs() < 0.1, "{same:?}");
    assert!(same.p_value > 0.01, "{same:?}");
    assert!(
        shifted.auc > 0.9 && shifted.p_value == 1.0 / 200.0,
        "{shifted:?}"
    );
    let text = chapter("covariate_shift.md");
    for (what, t) in [("the random split", same), ("the ink split", shifted)] {
        let stated = format!("(AUC {:.3}, \\\\(p = {}\\\\))", t.auc, t.p_value);
        assert_mentions(&text, &stated, what);
    }
}

// ANCHOR: ess
/// Exercise 4: what 1000 training points from 𝒩(0.5, 0.5²) are worth,
/// weighted for a test distribution 𝒩(μ, 0.3²).
fn ess_for(mu: f64) -> f64 {
    let mut rng = StdRng::seed_from_u64(5);
    let train: Vec<f64> = (0..1000)
        .map(|_| 0.5 + 0.5 * rng.sample::<f64, _>(StandardNormal))
        .collect();
    let beta: Vec<f64> = train
        .iter()
        .map(|&x| normal_pdf(x, mu, 0.3) / normal_pdf(x, 0.5, 0.5))
        .collect();
    let ess = effective_sample_size(&beta);
    println!("test mean {mu}: 1000 training points are worth {ess:.0}");
    ess
}
// ANCHOR_END: ess

#[test]
fn exercise_4_effective_sample_size_collapses() {
    let text = chapter("covariate_shift.md");
    let values: Vec<f64> = [0.0, 0.5, 1.0, 1.5].iter().map(|&m| ess_for(m)).collect();
    // It falls as the test distribution moves away from the training one.
    // (At μ = 0.5 the narrower test distribution already costs half.)
    assert!(values.windows(2).skip(1).all(|w| w[1] < w[0]), "{values:?}");
    assert_mentions(
        &text,
        &format!("about {:.0} at", values[0]),
        "the ESS at μ = 0",
    );
    assert_mentions(
        &text,
        &format!("({:.0} at", values[1]),
        "the ESS at μ = 0.5",
    );
    assert_mentions(
        &text,
        &format!("only about {:.0} at", values[3]),
        "the ESS at μ = 1.5",
    );
    // The population value at μ = 0 is n / E_p[β²]; with 1000 samples the
    // estimate scatters by roughly 10%.
    let second_moment = stable_learning::shift::covariate::gaussian_expectation(
        |x| (normal_pdf(x, 0.0, 0.3) / normal_pdf(x, 0.5, 0.5)).powi(2),
        0.5,
        0.5,
    );
    assert!((values[0] / (1000.0 / second_moment) - 1.0).abs() < 0.15);
}

// ANCHOR: far_target
/// Exercise 5: the chapter's regression with the test inputs moved to
/// 𝒩(1.5, 0.3²), as `cargo run --example covariate_shift -- --test-mean 1.5`
/// runs it (seed 42; the regression comes first in the example's random stream).
fn far_target() -> ShimodairaRegression {
    let params = RegressionParams {
        test_mean: 1.5,
        ..RegressionParams::default()
    };
    // The example's random stream for this experiment at its seed, 42.
    let rng = &mut stream(42, "shimodaira_regression", 0);
    let r = shimodaira_regression(&params, rng, &mut |_, _| {});
    let r = r.unwrap();
    let ess = r.effective_sample_size;
    let (plain, weighted) = (r.test_error_unweighted, r.test_error_true_weights);
    println!(
        "ESS {ess:.1} of 100; test error {plain:.3} unweighted, {weighted:.3} weighted; best λ {}",
        r.best_lambda
    );
    r
}
// ANCHOR_END: far_target

#[test]
fn exercise_5_a_far_target() {
    let r = far_target();
    // The example at `--test-mean 1.5` records the very same result.
    let out = temp_dir("covariate-far");
    let doc = example_json(
        "covariate_shift",
        &[
            "--test-mean",
            "1.5",
            "--power-trials",
            "1",
            "--digits-repeats",
            "1",
        ],
        &out,
    );
    let recorded: ShimodairaRegression = result(&doc, "shimodaira_regression");
    assert_eq!(recorded, r, "the example's regression at --test-mean 1.5");
    let ess = r.effective_sample_size;
    let (plain, weighted) = (r.test_error_unweighted, r.test_error_true_weights);
    let text = chapter("covariate_shift.md");
    assert!(ess < 10.0);
    assert_mentions(&text, &format!("about {ess:.1} of the 100"), "the ESS");
    assert_mentions(
        &text,
        &format!("(test error {plain:.2})"),
        "the unweighted error",
    );
    assert_mentions(&text, &format!("({weighted:.3})"), "the weighted error");
    assert_eq!(r.weighted_wins, 200);
    assert_eq!(r.best_lambda, 1.0);
    assert!(weighted > 5.0 * 0.09, "far above the noise floor");
}

// ANCHOR: sugiyama
/// The normalized sinc, sin(πx)/(πx).
fn sinc(x: f64) -> f64 {
    if x == 0.0 {
        1.0
    } else {
        math::sin(std::f64::consts::PI * x) / (std::f64::consts::PI * x)
    }
}

/// What Exercise 6's solution finds over its draws.
struct Sugiyama {
    /// Mean test error of the unweighted line.
    err_plain: f64,
    /// Mean test error of the line weighted by the domain classifier.
    err_weighted: f64,
    /// Draws in which the weighted line had the smaller test error.
    wins: usize,
    /// The number of draws.
    trials: usize,
}

/// Exercise 6: Sugiyama, Krauledat and Müller's setting, a straight line
/// fitted with and without importance weights from a domain classifier.
fn sugiyama() -> Sugiyama {
    let mut rng = StdRng::seed_from_u64(6);
    let features =
        |xs: &[f64]| Array2::from_shape_fn((xs.len(), 2), |(i, j)| xs[i].powi(j as i32 + 1));
    let (mut wins, mut err_plain, mut err_weighted) = (0, 0.0, 0.0);
    let trials = 50;
    for _ in 0..trials {
        let draw = |n: usize, mean: f64, std: f64, rng: &mut StdRng| -> Vec<f64> {
            (0..n)
                .map(|_| mean + std * rng.sample::<f64, _>(StandardNormal))
                .collect()
        };
        let xs = draw(200, 1.0, 0.5, &mut rng);
        let xt = draw(1000, 2.0, 0.25, &mut rng);
        let noisy = |x: f64, rng: &mut StdRng| sinc(x) + 0.1 * rng.sample::<f64, _>(StandardNormal);
        let ys: Vec<f64> = xs.iter().map(|&x| noisy(x, &mut rng)).collect();
        let yt: Vec<f64> = xt.iter().map(|&x| noisy(x, &mut rng)).collect();
        // Weights from a domain classifier on the unlabelled test inputs.
        let domain =
            DomainClassifier::fit(features(&xs).view(), features(&xt).view(), 1e-3).unwrap();
        let beta = domain.weights(features(&xs).view());
        let test_mse = |c: &[f64]| {
            xt.iter()
                .zip(&yt)
                .map(|(&x, &y)| (polyval(c, x) - y).powi(2))
                .sum::<f64>()
                / xt.len() as f64
        };
        let plain = test_mse(&weighted_polyfit(&xs, &ys, &vec![1.0; xs.len()], 1).unwrap());
        let weighted = test_mse(&weighted_polyfit(&xs, &ys, &beta, 1).unwrap());
        err_plain += plain / trials as f64;
        err_weighted += weighted / trials as f64;
        wins += (weighted < plain) as usize;
    }
    println!(
        "test MSE: {err_plain:.4} unweighted, {err_weighted:.4} weighted; weighted better in {wins} of {trials}"
    );
    Sugiyama {
        err_plain,
        err_weighted,
        wins,
        trials,
    }
}
// ANCHOR_END: sugiyama

#[test]
fn exercise_6_sugiyamas_problem() {
    let Sugiyama {
        err_plain,
        err_weighted,
        wins,
        trials,
    } = sugiyama();
    assert!(err_weighted < err_plain);
    assert!(wins > trials / 2, "{wins} of {trials}");
    let text = chapter("covariate_shift.md");
    assert_mentions(
        &text,
        &format!("mean test error {err_weighted:.4} against {err_plain:.3}"),
        "the two errors",
    );
    assert_mentions(
        &text,
        &format!("better in {wins} of the {trials} draws"),
        "the wins",
    );
}

#[test]
fn the_chapter_uses_the_normalized_sinc() {
    assert!((sinc(1.0)).abs() < 1e-15 && sinc(0.0) == 1.0);
    assert!((sinc(0.5) - 2.0 / std::f64::consts::PI).abs() < 1e-15);
}
