//! Covariate shift: the inputs move, the rule that labels them does not.
//!
//! The source draws x ~ p(x), the target x ~ q(x), and both share
//! p(y | x). Then the importance weight is the density ratio
//! β(x) = q(x)/p(x), and it can be estimated without labels, by a
//! classifier that tells source from target samples: by Bayes' rule, with
//! n_s source and n_t target samples,
//!
//! ```text
//! β(x) = q(x)/p(x) = (n_s/n_t) · P(target | x)/P(source | x) = (n_s/n_t) · exp(h(x))
//! ```
//!
//! for a logistic regression with logit h(x). The same classifier is a
//! shift *detector*: if it cannot tell the two apart (AUC ≈ ½), there is no
//! covariate shift it can see.

use crate::numeric::normal::StandardNormal;
use ndarray::{Array1, Array2, ArrayView2, Axis, concatenate};
use rand::seq::SliceRandom;
use rand::{Rng, RngExt};
use serde::{Deserialize, Serialize};

use crate::nn::data::{CLASSES, Dataset};
use crate::numeric::math;
use crate::numeric::stats::{mean, quantile, variance};
use crate::shift::logistic::{Logistic, Softmax, SoftmaxParams, accuracy, sigmoid};
use crate::shift::{clip_weights, effective_sample_size, flatten_weights};
use crate::{Error, Progress, Range};

/// The density of 𝒩(μ, σ²) at x:
/// exp(−(x − μ)²/(2σ²)) / (σ√(2π)).
///
/// ```
/// let p = stable_learning::shift::covariate::normal_pdf(0.0, 0.0, 1.0);
/// assert!((p - 0.3989422804014327).abs() < 1e-15);
/// ```
pub fn normal_pdf(x: f64, mean: f64, std: f64) -> f64 {
    let z = (x - mean) / std;
    math::exp(-0.5 * z * z) / (std * (2.0 * std::f64::consts::PI).sqrt())
}

/// The expectation 𝔼[f(x)] for x ~ 𝒩(μ, σ²), by
/// the trapezoidal rule on 1201 points over μ ± 9σ. For a smooth
/// integrand times a Gaussian the trapezoidal rule converges exponentially
/// fast; for the polynomials of the covariate-shift chapter the result is
/// exact to about 1e-12 relative, so test errors there are exact rather than
/// sampled.
///
/// ```
/// use stable_learning::shift::covariate::gaussian_expectation;
/// let v = gaussian_expectation(|x| x * x, 1.0, 0.5);
/// assert!((v - 1.25).abs() < 1e-12); // μ² + σ²
/// // E[x⁶] = 15σ⁶ for a centred Gaussian: the cubic's square stays exact.
/// let v6 = gaussian_expectation(|x| x.powi(6), 0.0, 0.3);
/// assert!((v6 / (15.0 * 0.3f64.powi(6)) - 1.0).abs() < 1e-12);
/// ```
pub fn gaussian_expectation(f: impl Fn(f64) -> f64, mean: f64, std: f64) -> f64 {
    let points = 1201;
    let (lo, hi) = (mean - 9.0 * std, mean + 9.0 * std);
    let h = (hi - lo) / (points - 1) as f64;
    (0..points)
        .map(|i| {
            let x = lo + i as f64 * h;
            let w = if i == 0 || i == points - 1 { 0.5 } else { 1.0 };
            w * f(x) * normal_pdf(x, mean, std)
        })
        .sum::<f64>()
        * h
}

/// Weighted least squares for a polynomial of degree `degree`: the
/// coefficients c₀, …, c_d minimizing
/// Σᵢ βᵢ (yᵢ − Σₖ cₖ xᵢᵏ)², from the normal equations
/// XᵀBXc = XᵀBy with B = diag(β).
/// Unit weights give ordinary least squares.
///
/// ```
/// use stable_learning::shift::covariate::weighted_polyfit;
/// let x = [0.0, 1.0, 2.0, 3.0];
/// let y = [1.0, 3.0, 5.0, 7.0]; // y = 1 + 2x
/// let c = weighted_polyfit(&x, &y, &[1.0; 4], 1).unwrap();
/// assert!((c[0] - 1.0).abs() < 1e-12 && (c[1] - 2.0).abs() < 1e-12);
/// ```
pub fn weighted_polyfit(
    x: &[f64],
    y: &[f64],
    weights: &[f64],
    degree: usize,
) -> Result<Vec<f64>, Error> {
    if y.len() != x.len() {
        return Err(Error::Size {
            what: "y",
            expected: x.len(),
            got: y.len(),
        });
    }
    if weights.len() != x.len() {
        return Err(Error::Size {
            what: "weights",
            expected: x.len(),
            got: weights.len(),
        });
    }
    let k = degree + 1;
    let mut a = Array2::<f64>::zeros((k, k));
    let mut b = Array1::<f64>::zeros(k);
    for ((&xi, &yi), &wi) in x.iter().zip(y).zip(weights) {
        let powers: Vec<f64> = (0..k).map(|p| xi.powi(p as i32)).collect();
        for r in 0..k {
            b[r] += wi * powers[r] * yi;
            for c in 0..k {
                a[[r, c]] += wi * powers[r] * powers[c];
            }
        }
    }
    crate::numeric::solve::solve(a.view(), b.view())
        .map(|c| c.to_vec())
        .ok_or(Error::Singular("the weighted normal-equation matrix"))
}

/// The polynomial Σₖ cₖ xᵏ at x.
///
/// ```
/// assert_eq!(stable_learning::shift::covariate::polyval(&[1.0, 2.0, 3.0], 2.0), 17.0);
/// ```
pub fn polyval(coefficients: &[f64], x: f64) -> f64 {
    coefficients.iter().rev().fold(0.0, |acc, c| acc * x + c)
}

/// A logistic regression trained to tell target (label 1) from source
/// (label 0) samples, and the counts it was trained on.
#[derive(Debug, Clone, PartialEq)]
pub struct DomainClassifier {
    /// The fitted classifier: its logit is h(x).
    pub model: Logistic,
    /// Source samples it saw, n_s.
    pub n_source: usize,
    /// Target samples it saw, n_t.
    pub n_target: usize,
}

impl DomainClassifier {
    /// Fits the classifier on the rows of `source` (label 0) and `target`
    /// (label 1) with L2 penalty `l2` (see [`Logistic::fit`]).
    pub fn fit(
        source: ArrayView2<f64>,
        target: ArrayView2<f64>,
        l2: f64,
    ) -> Result<DomainClassifier, Error> {
        if source.nrows() == 0 {
            return Err(Error::Empty("source samples"));
        }
        if target.nrows() == 0 {
            return Err(Error::Empty("target samples"));
        }
        if source.ncols() != target.ncols() {
            return Err(Error::Size {
                what: "target features",
                expected: source.ncols(),
                got: target.ncols(),
            });
        }
        let x = concatenate(Axis(0), &[source, target]).expect("same number of columns");
        let y: Vec<bool> = (0..x.nrows()).map(|i| i >= source.nrows()).collect();
        Ok(DomainClassifier {
            model: Logistic::fit(x.view(), &y, None, l2)?,
            n_source: source.nrows(),
            n_target: target.nrows(),
        })
    }

    /// The estimated density ratio
    /// β̂(x) = (n_s/n_t)·exp(h(x)) at every row.
    pub fn weights(&self, x: ArrayView2<f64>) -> Vec<f64> {
        let ratio = self.n_source as f64 / self.n_target as f64;
        self.model
            .logits(x)
            .iter()
            .map(|&h| ratio * math::exp(h))
            .collect()
    }

    /// The weights without the n_s/n_t factor, exp(h(x)), as d2l writes
    /// them: right only when the two samples are equally large.
    pub fn weights_without_count_ratio(&self, x: ArrayView2<f64>) -> Vec<f64> {
        self.model.logits(x).iter().map(|&h| math::exp(h)).collect()
    }
}

/// Average ranks (1-based) of `scores`, ties sharing the mean of their ranks.
fn average_ranks(scores: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|&a, &b| scores[a].total_cmp(&scores[b]));
    let mut ranks = vec![0.0; scores.len()];
    let mut i = 0;
    while i < order.len() {
        let mut j = i;
        while j + 1 < order.len() && scores[order[j + 1]] == scores[order[i]] {
            j += 1;
        }
        let rank = (i + j) as f64 / 2.0 + 1.0;
        for &k in &order[i..=j] {
            ranks[k] = rank;
        }
        i = j + 1;
    }
    ranks
}

fn auc_from_ranks(ranks: &[f64], positive: &[bool]) -> f64 {
    let n_pos = positive.iter().filter(|&&p| p).count() as f64;
    let n_neg = positive.len() as f64 - n_pos;
    let rank_sum: f64 = ranks
        .iter()
        .zip(positive)
        .filter(|(_, p)| **p)
        .map(|(r, _)| r)
        .sum();
    (rank_sum - n_pos * (n_pos + 1.0) / 2.0) / (n_pos * n_neg)
}

/// The area under the ROC curve: the probability that a random positive
/// scores higher than a random negative, ties counting ½ (the Mann–Whitney
/// statistic (R₊ − n₊(n₊ + 1)/2)/(n₊n₋) from the rank sum of the
/// positives). NaN when either class is empty.
///
/// ```
/// use stable_learning::shift::covariate::auc;
/// assert_eq!(auc(&[0.1, 0.4, 0.35, 0.8], &[false, false, true, true]), 0.75);
/// assert_eq!(auc(&[1.0, 1.0], &[false, true]), 0.5);
/// ```
pub fn auc(scores: &[f64], positive: &[bool]) -> f64 {
    assert_eq!(scores.len(), positive.len(), "one label per score");
    auc_from_ranks(&average_ranks(scores), positive)
}

/// The AUC of `scores` and its one-sided permutation p-value: the labels are
/// shuffled `permutations` times and
/// p = (1 + #{AUC_perm ≥ AUC})/(1 + B), which
/// is exact (never below the test's level under no shift) when the scores
/// come from a model that never saw these labels.
///
/// ```
/// use rand::{SeedableRng, rngs::StdRng};
/// use stable_learning::shift::covariate::auc_permutation_test;
/// let scores: Vec<f64> = (0..40).map(|i| i as f64).collect();
/// let labels: Vec<bool> = (0..40).map(|i| i >= 20).collect();
/// let (auc, p) = auc_permutation_test(&scores, &labels, 199, &mut StdRng::seed_from_u64(1));
/// assert_eq!(auc, 1.0);
/// assert_eq!(p, 1.0 / 200.0);
/// ```
pub fn auc_permutation_test(
    scores: &[f64],
    positive: &[bool],
    permutations: usize,
    rng: &mut impl Rng,
) -> (f64, f64) {
    let ranks = average_ranks(scores);
    let observed = auc_from_ranks(&ranks, positive);
    let mut labels = positive.to_vec();
    let mut at_least = 0;
    for _ in 0..permutations {
        labels.shuffle(rng);
        if auc_from_ranks(&ranks, &labels) >= observed - 1e-12 {
            at_least += 1;
        }
    }
    (observed, (1 + at_least) as f64 / (1 + permutations) as f64)
}

/// The result of [`domain_classifier_test`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ShiftTest {
    /// The domain classifier's AUC on held-out rows (½: no visible shift).
    pub auc: f64,
    /// The permutation p-value of that AUC.
    pub p_value: f64,
}

/// A covariate-shift detector (d2l's exercise): half of each sample trains a
/// [`DomainClassifier`]; on the other half its scores should not separate
/// source from target if there is no shift. Reports the held-out AUC and its
/// permutation p-value ([`auc_permutation_test`]).
///
/// ```
/// use ndarray::Array2;
/// use rand::{RngExt, SeedableRng, rngs::StdRng};
/// use stable_learning::shift::covariate::domain_classifier_test;
/// let mut rng = StdRng::seed_from_u64(3);
/// let source = Array2::from_shape_fn((200, 1), |_| rng.random::<f64>());
/// let target = Array2::from_shape_fn((200, 1), |_| rng.random::<f64>() + 0.5);
/// let t = domain_classifier_test(source.view(), target.view(), 199, 1e-3, &mut rng).unwrap();
/// assert!(t.auc > 0.8 && t.p_value < 0.01);
/// ```
pub fn domain_classifier_test(
    source: ArrayView2<f64>,
    target: ArrayView2<f64>,
    permutations: usize,
    l2: f64,
    rng: &mut impl Rng,
) -> Result<ShiftTest, Error> {
    if source.nrows() < 4 || target.nrows() < 4 {
        return Err(Error::Empty("samples (need at least 4 per domain)"));
    }
    let mut split = |n: usize| {
        let mut fit: Vec<usize> = (0..n).collect();
        fit.shuffle(rng);
        let test = fit.split_off(n / 2);
        (fit, test)
    };
    let (s_fit, s_test) = split(source.nrows());
    let (t_fit, t_test) = split(target.nrows());
    let clf = DomainClassifier::fit(
        source.select(Axis(0), &s_fit).view(),
        target.select(Axis(0), &t_fit).view(),
        l2,
    )?;
    let held_out = concatenate(
        Axis(0),
        &[
            source.select(Axis(0), &s_test).view(),
            target.select(Axis(0), &t_test).view(),
        ],
    )
    .expect("same number of columns");
    let scores = clf.model.logits(held_out.view()).to_vec();
    let labels: Vec<bool> = (0..scores.len()).map(|i| i >= s_test.len()).collect();
    let (auc, p_value) = auc_permutation_test(&scores, &labels, permutations, rng);
    Ok(ShiftTest { auc, p_value })
}

// The chapter's experiments.

// ANCHOR: truth
/// The regression function of the chapter's toy problem, y = −x + x³.
pub fn truth(x: f64) -> f64 {
    -x + x * x * x
}
// ANCHOR_END: truth

/// `n` draws from 𝒩(μ, σ²), μ = `mean`, σ = `std`.
pub fn normal_samples(n: usize, mean: f64, std: f64, rng: &mut impl Rng) -> Vec<f64> {
    (0..n)
        .map(|_| mean + std * rng.sample::<f64, _>(StandardNormal))
        .collect()
}

/// Features (x, x²) for the domain classifier, one row per input: with two
/// Gaussians the log density ratio is exactly quadratic in x.
pub fn quadratic_features(xs: &[f64]) -> Array2<f64> {
    Array2::from_shape_fn((xs.len(), 2), |(i, j)| xs[i].powi(j as i32 + 1))
}

/// The parameters of [`shimodaira_regression`]; `Default` gives the book's.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RegressionParams {
    /// Labelled training (source) samples per trial.
    pub n_train: usize,
    /// Unlabelled target samples the domain classifier sees per trial.
    pub n_target: usize,
    /// Mean of the training inputs.
    pub train_mean: f64,
    /// Standard deviation of the training inputs.
    pub train_std: f64,
    /// Mean of the test inputs.
    pub test_mean: f64,
    /// Standard deviation of the test inputs.
    pub test_std: f64,
    /// Standard deviation of the label noise.
    pub noise: f64,
    /// Repetitions, each with fresh samples.
    pub trials: usize,
    /// Where the clipping comparison clips the estimated weights.
    pub clip: f64,
}

impl Default for RegressionParams {
    fn default() -> Self {
        RegressionParams {
            n_train: 100,
            n_target: 400,
            train_mean: 0.5,
            train_std: 0.5,
            test_mean: 0.0,
            test_std: 0.3,
            noise: 0.3,
            trials: 200,
            clip: 2.0,
        }
    }
}

impl RegressionParams {
    /// Allowed labelled training samples per trial.
    pub const N_TRAIN: Range = Range::whole(10, 100_000);
    /// Allowed unlabelled target samples per trial.
    pub const N_TARGET: Range = Range::whole(10, 100_000);
    /// Allowed means of the training inputs.
    pub const TRAIN_MEAN: Range = Range::closed(-3.0, 3.0);
    /// Allowed standard deviations of the training inputs.
    pub const TRAIN_STD: Range = Range::closed(0.05, 3.0);
    /// Allowed means of the test inputs.
    pub const TEST_MEAN: Range = Range::closed(-3.0, 3.0);
    /// Allowed standard deviations of the test inputs.
    pub const TEST_STD: Range = Range::closed(0.05, 3.0);
    /// Allowed standard deviations of the label noise.
    pub const NOISE: Range = Range::closed(0.0, 3.0);
    /// Allowed numbers of trials.
    pub const TRIALS: Range = Range::whole(1, 10_000);
    /// Allowed values at which to clip the estimated weights.
    pub const CLIP: Range = Range::closed(0.01, 1e6);

    /// Checks every parameter against its range ([`Error::Parameter`] names
    /// the first one out of range).
    pub fn check(&self) -> Result<(), Error> {
        Self::N_TRAIN.check_whole("n_train", self.n_train)?;
        Self::N_TARGET.check_whole("n_target", self.n_target)?;
        Self::TRAIN_MEAN.check("train_mean", self.train_mean)?;
        Self::TRAIN_STD.check("train_std", self.train_std)?;
        Self::TEST_MEAN.check("test_mean", self.test_mean)?;
        Self::TEST_STD.check("test_std", self.test_std)?;
        Self::NOISE.check("noise", self.noise)?;
        Self::TRIALS.check_whole("trials", self.trials)?;
        Self::CLIP.check("clip", self.clip)?;
        Ok(())
    }

    /// The exact test error of the polynomial with coefficients `c`, by
    /// quadrature ([`gaussian_expectation`]) rather than sampling:
    /// 𝔼_q[(f(x) − y)²] = 𝔼_q[(f(x) − truth(x))²] + noise².
    pub fn test_error(&self, c: &[f64]) -> f64 {
        gaussian_expectation(
            |x| (polyval(c, x) - truth(x)).powi(2),
            self.test_mean,
            self.test_std,
        ) + self.noise * self.noise
    }

    /// The true importance weight β(x) = q(x)/p(x), a ratio of two normal
    /// densities.
    pub fn true_weight(&self, x: f64) -> f64 {
        normal_pdf(x, self.test_mean, self.test_std)
            / normal_pdf(x, self.train_mean, self.train_std)
    }
}

/// The test error of the line fitted with weights β^λ at one λ, over the
/// trials of [`shimodaira_regression`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LambdaPoint {
    /// The flattening exponent λ (0: unweighted, 1: fully weighted).
    pub lambda: f64,
    /// Mean test error over the trials.
    pub mean: f64,
    /// Its 25% quantile over the trials.
    pub q25: f64,
    /// Its 75% quantile over the trials.
    pub q75: f64,
}

/// The weights of the first trial of [`shimodaira_regression`] at one x.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WeightAt {
    /// The input.
    pub x: f64,
    /// The true ratio q(x)/p(x).
    pub true_ratio: f64,
    /// The domain classifier's estimate (n_s/n_t)·exp(h(x)).
    pub estimated: f64,
    /// The estimate without n_s/n_t, exp(h(x)), as d2l writes it.
    pub without_count_ratio: f64,
}

/// The first trial of [`shimodaira_regression`], for the figures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RegressionDraw {
    /// The training inputs.
    pub xs: Vec<f64>,
    /// Their noisy labels.
    pub ys: Vec<f64>,
    /// The true weights β(xᵢ).
    pub beta: Vec<f64>,
    /// The domain classifier's weights β̂(xᵢ).
    pub beta_hat: Vec<f64>,
    /// Coefficients (c₀, c₁) of the unweighted least-squares line.
    pub line_unweighted: Vec<f64>,
    /// The line weighted with the true β (`None` if the weights leave it
    /// undetermined: see [`ShimodairaRegression::undetermined_fits`]).
    pub line_true_weights: Option<Vec<f64>>,
    /// The line weighted with the estimated β̂ (`None` if undetermined).
    pub line_estimated_weights: Option<Vec<f64>>,
    /// The weights at x = −1, −0.99, …, 1.5.
    pub weights: Vec<WeightAt>,
}

/// What [`shimodaira_regression`] found: mean test errors over the trials.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShimodairaRegression {
    /// The line's test error against λ = 0, 0.05, …, 1, true weights β^λ.
    pub lambda_true_weights: Vec<LambdaPoint>,
    /// The same with estimated weights β̂^λ.
    pub lambda_estimated_weights: Vec<LambdaPoint>,
    /// The unweighted line (λ = 0).
    pub test_error_unweighted: f64,
    /// The line with the true weights (λ = 1).
    pub test_error_true_weights: f64,
    /// The line with the estimated weights (λ = 1).
    pub test_error_estimated_weights: f64,
    /// The λ of the grid with the smallest mean error, true weights.
    pub best_lambda: f64,
    /// That smallest mean error.
    pub test_error_best_lambda: f64,
    /// Trials in which the line with the true weights beat the unweighted one.
    pub weighted_wins: usize,
    /// The line with the estimated weights clipped at `clip`.
    pub test_error_clipped: f64,
    /// The line with d2l's weights exp(h(x)), without n_s/n_t, clipped at `clip`.
    pub test_error_clipped_without_ratio: f64,
    /// The unweighted cubic (the right model).
    pub test_error_cubic_unweighted: f64,
    /// The cubic with the true weights.
    pub test_error_cubic_weighted: f64,
    /// The floor of every test error, noise².
    pub noise_variance: f64,
    /// The mean estimated weight β̂ (≈ 1).
    pub mean_weight_with_ratio: f64,
    /// The mean of d2l's weights exp(h(x)) (≈ n_t/n_s).
    pub mean_weight_without_ratio: f64,
    /// The mean effective sample size of the true weights.
    pub effective_sample_size: f64,
    /// Weighted fits that the weights left undetermined, over all trials
    /// and weightings: when the test inputs lie far from the training
    /// inputs, the weights put almost all their mass on fewer points than
    /// the model has coefficients, and the weighted normal equations are
    /// singular to working precision. Such a fit counts as NaN, and every
    /// mean and quantile above is over the fits that were determined (NaN
    /// if none was). 0 at the book's parameters.
    pub undetermined_fits: usize,
    /// The data and fits of the first trial.
    pub first_draw: RegressionDraw,
}

// ANCHOR: shimodaira_regression
/// The chapter's regression after Shimodaira (2000): `trials` times, draw
/// labelled source inputs from 𝒩(train_mean, train_std²) and unlabelled
/// target inputs from 𝒩(test_mean, test_std²), weight the source by the
/// true β(x) = q(x)/p(x) and by a domain classifier's estimate β̂, and fit a
/// line (misspecified) and a cubic (right) by weighted least squares; the
/// exact test error of every fit is [`RegressionParams::test_error`].
pub fn shimodaira_regression(
    params: &RegressionParams,
    rng: &mut impl Rng,
    progress: Progress,
) -> Result<ShimodairaRegression, Error> {
    params.check()?;
    let p = params;
    let lambdas: Vec<f64> = (0..=20).map(|i| i as f64 / 20.0).collect();
    let mut errors_true = vec![Vec::new(); lambdas.len()];
    let mut errors_est = vec![Vec::new(); lambdas.len()];
    let (mut clipped, mut clipped_d2l, mut cubic_plain, mut cubic_weighted) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let (mut mean_w, mut mean_w_d2l, mut ess) = (Vec::new(), Vec::new(), Vec::new());
    let mut first_draw = None;
    let mut undetermined = 0;
    for trial in 0..p.trials {
        // Labelled source data, unlabelled target inputs.
        let xs = normal_samples(p.n_train, p.train_mean, p.train_std, rng);
        let ys: Vec<f64> = xs
            .iter()
            .map(|&x| truth(x) + p.noise * rng.sample::<f64, _>(StandardNormal))
            .collect();
        let xt = normal_samples(p.n_target, p.test_mean, p.test_std, rng);
        // The true weights, and weights estimated by a logistic regression
        // that tells target from source on (x, x²).
        let beta: Vec<f64> = xs.iter().map(|&x| p.true_weight(x)).collect();
        let (source, target) = (quadratic_features(&xs), quadratic_features(&xt));
        let domain = DomainClassifier::fit(source.view(), target.view(), 1e-3)?;
        let beta_hat = domain.weights(source.view());
        let d2l = domain.weights_without_count_ratio(source.view());
        // The test error of a polynomial fitted with weights w; NaN (and
        // counted) when the weights leave it undetermined.
        let mut fit = |w: &[f64], degree| match weighted_polyfit(&xs, &ys, w, degree) {
            Ok(c) => Ok(p.test_error(&c)),
            Err(Error::Singular(_)) => {
                undetermined += 1;
                Ok(f64::NAN)
            }
            Err(e) => Err(e),
        };
        // A straight line fitted with weights β^λ, for λ from 0 to 1.
        for (i, &lambda) in lambdas.iter().enumerate() {
            errors_true[i].push(fit(&flatten_weights(&beta, lambda), 1)?);
            errors_est[i].push(fit(&flatten_weights(&beta_hat, lambda), 1)?);
        }
        clipped.push(fit(&clip_weights(&beta_hat, p.clip), 1)?);
        clipped_d2l.push(fit(&clip_weights(&d2l, p.clip), 1)?);
        // A cubic is the right model: weighting should not be needed.
        cubic_plain.push(fit(&vec![1.0; xs.len()], 3)?);
        cubic_weighted.push(fit(&beta, 3)?);
        mean_w.push(mean(&beta_hat));
        mean_w_d2l.push(mean(&d2l));
        ess.push(effective_sample_size(&beta));
        if trial == 0 {
            first_draw = Some(RegressionDraw::new(p, &domain, xs, ys, beta, beta_hat)?);
        }
        progress(trial + 1, p.trials);
    }
    let curve = |errors: &[Vec<f64>]| -> Vec<LambdaPoint> {
        let points = lambdas.iter().zip(errors);
        points
            .map(|(&lambda, e)| LambdaPoint {
                lambda,
                mean: finite_mean(e),
                q25: quantile(e, 0.25),
                q75: quantile(e, 0.75),
            })
            .collect()
    };
    let (lambda_true, lambda_est) = (curve(&errors_true), curve(&errors_est));
    let best = lambda_true
        .iter()
        .filter(|l| !l.mean.is_nan())
        .min_by(|a, b| a.mean.total_cmp(&b.mean))
        .unwrap_or(&lambda_true[0])
        .clone();
    let last = lambdas.len() - 1;
    let wins = errors_true[0].iter().zip(&errors_true[last]);
    Ok(ShimodairaRegression {
        test_error_unweighted: lambda_true[0].mean,
        test_error_true_weights: lambda_true[last].mean,
        test_error_estimated_weights: lambda_est[last].mean,
        best_lambda: best.lambda,
        test_error_best_lambda: best.mean,
        weighted_wins: wins.filter(|(plain, weighted)| weighted < plain).count(),
        test_error_clipped: finite_mean(&clipped),
        test_error_clipped_without_ratio: finite_mean(&clipped_d2l),
        test_error_cubic_unweighted: finite_mean(&cubic_plain),
        test_error_cubic_weighted: finite_mean(&cubic_weighted),
        noise_variance: p.noise * p.noise,
        mean_weight_with_ratio: mean(&mean_w),
        mean_weight_without_ratio: mean(&mean_w_d2l),
        effective_sample_size: mean(&ess),
        undetermined_fits: undetermined,
        lambda_true_weights: lambda_true,
        lambda_estimated_weights: lambda_est,
        first_draw: first_draw.expect("at least one trial"),
    })
}
// ANCHOR_END: shimodaira_regression

/// The mean of the values that are not NaN (NaN if there are none): the
/// mean test error over the fits that were determined.
fn finite_mean(xs: &[f64]) -> f64 {
    let determined: Vec<f64> = xs.iter().copied().filter(|x| !x.is_nan()).collect();
    if determined.is_empty() {
        f64::NAN
    } else {
        mean(&determined)
    }
}

impl RegressionDraw {
    /// A trial's data with its three fitted lines (unweighted, true β, estimated
    /// β̂) and its weight curves from `domain`, for the figures
    /// (a weighted line is `None` if its weights leave it undetermined).
    pub fn new(
        params: &RegressionParams,
        domain: &DomainClassifier,
        xs: Vec<f64>,
        ys: Vec<f64>,
        beta: Vec<f64>,
        beta_hat: Vec<f64>,
    ) -> Result<RegressionDraw, Error> {
        let line = |w: &[f64]| match weighted_polyfit(&xs, &ys, w, 1) {
            Ok(c) => Ok(Some(c)),
            Err(Error::Singular(_)) => Ok(None),
            Err(e) => Err(e),
        };
        let grid = (0..=300).map(|i| -1.5 + i as f64 * 0.01);
        let weights = grid
            .filter(|x| (-1.0..=1.5).contains(x))
            .map(|x| {
                let row = quadratic_features(&[x]);
                WeightAt {
                    x,
                    true_ratio: params.true_weight(x),
                    estimated: domain.weights(row.view())[0],
                    without_count_ratio: domain.weights_without_count_ratio(row.view())[0],
                }
            })
            .collect();
        Ok(RegressionDraw {
            line_unweighted: weighted_polyfit(&xs, &ys, &vec![1.0; xs.len()], 1)?,
            line_true_weights: line(&beta)?,
            line_estimated_weights: line(&beta_hat)?,
            weights,
            xs,
            ys,
            beta,
            beta_hat,
        })
    }
}

/// The parameters of [`detection_power`]; `Default` gives the book's.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DetectorParams {
    /// Samples per domain in each run of the detector.
    pub n: usize,
    /// Runs of the detector per shift size.
    pub trials: usize,
    /// Label permutations behind each p-value.
    pub permutations: usize,
    /// Significance level α: a run detects a shift when p ≤ α.
    pub alpha: f64,
    /// The largest mean shift δ, in standard deviations.
    pub max_shift: f64,
}

impl DetectorParams {
    /// Allowed samples per domain (the detector needs at least 4).
    pub const N: Range = Range::whole(4, 10_000);
    /// Allowed runs per shift size.
    pub const TRIALS: Range = Range::whole(1, 10_000);
    /// Allowed numbers of label permutations.
    pub const PERMUTATIONS: Range = Range::whole(1, 100_000);
    /// Allowed significance levels.
    pub const ALPHA: Range = Range::closed(0.001, 0.5);
    /// Allowed largest mean shifts.
    pub const MAX_SHIFT: Range = Range::closed(0.01, 5.0);

    /// Checks every parameter against its range ([`Error::Parameter`] names
    /// the first one out of range).
    pub fn check(&self) -> Result<(), Error> {
        Self::N.check_whole("n", self.n)?;
        Self::TRIALS.check_whole("trials", self.trials)?;
        Self::PERMUTATIONS.check_whole("permutations", self.permutations)?;
        Self::ALPHA.check("alpha", self.alpha)?;
        Self::MAX_SHIFT.check("max_shift", self.max_shift)?;
        Ok(())
    }
}

impl Default for DetectorParams {
    fn default() -> Self {
        DetectorParams {
            n: 100,
            trials: 100,
            permutations: 199,
            alpha: 0.05,
            max_shift: 0.8,
        }
    }
}

/// The detector of [`detection_power`] at one shift δ.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PowerAt {
    /// The mean shift δ, in standard deviations.
    pub shift: f64,
    /// The fraction of runs with p ≤ α (at δ = 0: the false-alarm rate).
    pub power: f64,
    /// The mean held-out AUC over the runs.
    pub mean_auc: f64,
}

/// What [`detection_power`] found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DetectionPower {
    /// Power and mean AUC at δ = 0, max_shift/8, …, max_shift.
    pub points: Vec<PowerAt>,
    /// The mean AUC without shift (≈ ½).
    pub auc_no_shift: f64,
    /// The fraction of runs that detect a shift when there is none (≈ α).
    pub false_positive_rate: f64,
}

// ANCHOR: detection_power
/// The power of the domain-classifier test ([`domain_classifier_test`]):
/// source 𝒩(0, 1), target 𝒩(δ, 1), `n` samples each, for nine shifts δ
/// from 0 to `max_shift`: how often does the held-out AUC reject "no
/// shift" at level α?
pub fn detection_power(
    params: &DetectorParams,
    rng: &mut impl Rng,
    progress: Progress,
) -> Result<DetectionPower, Error> {
    params.check()?;
    let p = params;
    let shifts: Vec<f64> = (0..=8).map(|i| p.max_shift * i as f64 / 8.0).collect();
    let mut points = Vec::new();
    for (i, &shift) in shifts.iter().enumerate() {
        let (mut rejections, mut auc_sum) = (0, 0.0);
        for _ in 0..p.trials {
            let s = Array2::from_shape_vec((p.n, 1), normal_samples(p.n, 0.0, 1.0, rng));
            let t = Array2::from_shape_vec((p.n, 1), normal_samples(p.n, shift, 1.0, rng));
            let (s, t) = (s.expect("n rows"), t.expect("n rows"));
            let test = domain_classifier_test(s.view(), t.view(), p.permutations, 1e-3, rng)?;
            auc_sum += test.auc;
            if test.p_value <= p.alpha {
                rejections += 1;
            }
        }
        points.push(PowerAt {
            shift,
            power: rejections as f64 / p.trials as f64,
            mean_auc: auc_sum / p.trials as f64,
        });
        progress(i + 1, shifts.len());
    }
    Ok(DetectionPower {
        auc_no_shift: points[0].mean_auc,
        false_positive_rate: points[0].power,
        points,
    })
}
// ANCHOR_END: detection_power

// ANCHOR: ink_shift
/// Each digit's standardized mean pixel z: how much ink it carries, in
/// standard deviations from the average image.
pub fn standardized_ink(digits: &Dataset) -> Vec<f64> {
    let ink: Vec<f64> = digits.x.mean_axis(Axis(1)).expect("pixels").to_vec();
    let (ink_mean, ink_std) = (mean(&ink), variance(&ink).sqrt());
    ink.iter().map(|v| (v - ink_mean) / ink_std).collect()
}

/// A covariate shift selected by ink, from two random disjoint halves of
/// the rows: the source keeps row i with probability σ(−k·zᵢ), the target
/// with σ(k·zᵢ). Which rows are kept depends only on x, so p(y | x) is
/// untouched, and the true weight is q(x)/p(x) ∝ σ(k·z)/σ(−k·z) = exp(k·z).
/// Returns the source's and the target's row indices.
pub fn ink_shift(z: &[f64], k: f64, rng: &mut impl Rng) -> (Vec<usize>, Vec<usize>) {
    let mut idx: Vec<usize> = (0..z.len()).collect();
    idx.shuffle(rng);
    let (a, b) = idx.split_at(z.len() / 2);
    let mut keep = |half: &[usize], sign: f64| -> Vec<usize> {
        let kept = half.iter().copied();
        kept.filter(|&i| rng.random::<f64>() < sigmoid(sign * k * z[i]))
            .collect()
    };
    let source = keep(a, -1.0);
    let target = keep(b, 1.0);
    (source, target)
}
// ANCHOR_END: ink_shift

/// The parameters of [`digits_shift`]; `Default` gives the book's.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DigitsShiftParams {
    /// The strength k of the shift ([`ink_shift`]).
    pub k: f64,
    /// Random source/target splits.
    pub repeats: usize,
    /// Label permutations behind the detector's p-value.
    pub permutations: usize,
}

impl DigitsShiftParams {
    /// Allowed strengths k of the shift.
    pub const K: Range = Range::closed(0.0, 10.0);
    /// Allowed numbers of splits.
    pub const REPEATS: Range = Range::whole(1, 100);
    /// Allowed numbers of label permutations (as for [`DetectorParams`]).
    pub const PERMUTATIONS: Range = DetectorParams::PERMUTATIONS;

    /// Checks every parameter against its range ([`Error::Parameter`] names
    /// the first one out of range).
    pub fn check(&self) -> Result<(), Error> {
        Self::K.check("k", self.k)?;
        Self::REPEATS.check_whole("repeats", self.repeats)?;
        Self::PERMUTATIONS.check_whole("permutations", self.permutations)?;
        Ok(())
    }
}

impl Default for DigitsShiftParams {
    fn default() -> Self {
        DigitsShiftParams {
            k: 1.5,
            repeats: 5,
            permutations: 199,
        }
    }
}

/// A softmax regression's accuracy on the target, over the splits of
/// [`digits_shift`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SplitAccuracy {
    /// The accuracy on each split.
    pub per_split: Vec<f64>,
    /// Their mean.
    pub mean: f64,
    /// The largest minus the smallest.
    pub range: f64,
}

impl SplitAccuracy {
    /// The mean and range of the accuracies `per_split`.
    pub fn new(per_split: Vec<f64>) -> SplitAccuracy {
        let largest = per_split.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        let smallest = per_split.iter().fold(1.0f64, |m, v| m.min(*v));
        SplitAccuracy {
            mean: mean(&per_split),
            range: largest - smallest,
            per_split,
        }
    }
}

/// What [`digits_shift`] found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DigitsShift {
    /// Trained without weights.
    pub unweighted: SplitAccuracy,
    /// Trained with the true weights exp(k·z).
    pub true_weights: SplitAccuracy,
    /// Trained with a domain classifier's weights.
    pub estimated_weights: SplitAccuracy,
    /// The effective sample size of the true weights over the source size,
    /// mean over the splits.
    pub relative_ess: f64,
    /// Source images, mean over the splits.
    pub source_size: f64,
    /// Target images, mean over the splits.
    pub target_size: f64,
    /// The first split's source images' z.
    pub z_source: Vec<f64>,
    /// The first split's target images' z.
    pub z_target: Vec<f64>,
    /// The domain-classifier test on the first split's 64 pixels.
    pub detector: ShiftTest,
}

// ANCHOR: digits_shift
/// Covariate shift on the digits ([`ink_shift`]): on `repeats` random
/// splits, a softmax regression trained on the source without weights, with
/// the true weights exp(k·z) and with a domain classifier's, each tested on
/// the target; on the first split, also the shift detector.
pub fn digits_shift(
    params: &DigitsShiftParams,
    rng: &mut impl Rng,
    progress: Progress,
) -> Result<DigitsShift, Error> {
    params.check()?;
    let digits = Dataset::digits();
    let z = standardized_ink(&digits);
    let k = params.k;
    let mut accuracies: [Vec<f64>; 3] = Default::default();
    let (mut ess, mut source_sizes, mut target_sizes) = (Vec::new(), Vec::new(), Vec::new());
    let mut first = None;
    for repeat in 0..params.repeats {
        let (source_idx, target_idx) = ink_shift(&z, k, rng);
        let (source, target) = (digits.select(&source_idx), digits.select(&target_idx));
        let true_w: Vec<f64> = source_idx.iter().map(|&i| math::exp(k * z[i])).collect();
        let domain = DomainClassifier::fit(source.x.view(), target.x.view(), 1e-2)?;
        let est_w = domain.weights(source.x.view());
        let fit = |w: Option<&[f64]>| -> Result<f64, Error> {
            let model = Softmax::fit(
                source.x.view(),
                &source.y,
                CLASSES,
                w,
                SoftmaxParams::default(),
            )?;
            Ok(accuracy(&model.predict(target.x.view()), &target.y, None))
        };
        let weights = [None, Some(&true_w[..]), Some(&est_w[..])];
        for (acc, w) in accuracies.iter_mut().zip(weights) {
            acc.push(fit(w)?);
        }
        ess.push(effective_sample_size(&true_w) / true_w.len() as f64);
        source_sizes.push(source.len() as f64);
        target_sizes.push(target.len() as f64);
        if repeat == 0 {
            let (s, t) = (source.x.view(), target.x.view());
            let detector = domain_classifier_test(s, t, params.permutations, 1e-2, rng)?;
            let z_of = |idx: &[usize]| idx.iter().map(|&i| z[i]).collect::<Vec<_>>();
            first = Some((z_of(&source_idx), z_of(&target_idx), detector));
        }
        progress(repeat + 1, params.repeats);
    }
    let (z_source, z_target, detector) = first.expect("at least one split");
    let [unweighted, true_weights, estimated_weights] = accuracies.map(SplitAccuracy::new);
    Ok(DigitsShift {
        unweighted,
        true_weights,
        estimated_weights,
        relative_ess: mean(&ess),
        source_size: mean(&source_sizes),
        target_size: mean(&target_sizes),
        z_source,
        z_target,
        detector,
    })
}
// ANCHOR_END: digits_shift

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{SeedableRng, rngs::StdRng};

    #[test]
    fn out_of_range_parameters_are_refused_before_any_work() {
        let rng = &mut StdRng::seed_from_u64(0);
        let regression = RegressionParams {
            train_std: 0.0,
            ..RegressionParams::default()
        };
        let err = shimodaira_regression(&regression, rng, &mut crate::quiet).unwrap_err();
        assert!(
            matches!(
                err,
                Error::Parameter {
                    name: "train_std",
                    ..
                }
            ),
            "{err}"
        );
        assert!(err.to_string().contains("[0.05, 3]"), "{err}");
        let detector = DetectorParams {
            n: 3,
            ..DetectorParams::default()
        };
        let err = detection_power(&detector, rng, &mut crate::quiet).unwrap_err();
        assert!(matches!(err, Error::Parameter { name: "n", .. }), "{err}");
        assert!(err.to_string().contains("4..=10000"), "{err}");
        let digits = DigitsShiftParams {
            k: f64::NAN,
            ..DigitsShiftParams::default()
        };
        let err = digits_shift(&digits, rng, &mut crate::quiet).unwrap_err();
        assert!(matches!(err, Error::Parameter { name: "k", .. }), "{err}");
        assert_eq!(RegressionParams::default().check(), Ok(()));
        assert_eq!(DetectorParams::default().check(), Ok(()));
        assert_eq!(DigitsShiftParams::default().check(), Ok(()));
    }

    #[test]
    fn weights_that_vanish_everywhere_leave_the_weighted_fits_undetermined() {
        // The test inputs 120 training standard deviations away: every true
        // weight underflows to 0, and no weighted line can be fitted. That
        // is a result (NaN, counted), not an error: the unweighted fits
        // still stand.
        let params = RegressionParams {
            train_mean: -3.0,
            train_std: 0.05,
            test_mean: 3.0,
            test_std: 0.05,
            trials: 1,
            ..RegressionParams::default()
        };
        let r = shimodaira_regression(&params, &mut StdRng::seed_from_u64(0), &mut crate::quiet)
            .unwrap();
        assert!(r.test_error_unweighted.is_finite(), "{r:?}");
        assert!(r.test_error_cubic_unweighted.is_finite(), "{r:?}");
        assert!(r.test_error_true_weights.is_nan(), "{r:?}");
        assert!(r.test_error_cubic_weighted.is_nan(), "{r:?}");
        assert_eq!(r.first_draw.line_true_weights, None);
        // β^λ for the 20 exponents λ > 0 (β⁰ = 1 everywhere), and the cubic.
        assert_eq!(r.undetermined_fits, 21);
    }

    #[test]
    fn far_test_inputs_count_the_fits_their_weights_leave_undetermined() {
        // At the edge of the allowed range the true weights sit on a
        // handful of training points in some trials; those fits are
        // counted and left out of the means, which stay finite.
        let params = RegressionParams {
            train_mean: -3.0,
            trials: 20,
            ..RegressionParams::default()
        };
        let mut total = 0;
        for seed in 0..4 {
            let rng = &mut StdRng::seed_from_u64(seed);
            let r = shimodaira_regression(&params, rng, &mut crate::quiet).unwrap();
            for e in [
                r.test_error_unweighted,
                r.test_error_true_weights,
                r.test_error_best_lambda,
                r.test_error_cubic_weighted,
            ] {
                assert!(e.is_finite(), "seed {seed}: {r:?}");
            }
            total += r.undetermined_fits;
        }
        assert!(total > 0, "no undetermined fit in 4 × 20 trials");
        let book = shimodaira_regression(
            &RegressionParams {
                trials: 20,
                ..RegressionParams::default()
            },
            &mut StdRng::seed_from_u64(0),
            &mut crate::quiet,
        );
        assert_eq!(book.unwrap().undetermined_fits, 0);
    }

    #[test]
    fn auc_counts_pairs() {
        // Brute force over all positive–negative pairs.
        let scores = [0.3, 0.3, 0.9, 0.1, 0.5, 0.3, 0.7];
        let labels = [true, false, true, false, false, true, false];
        let (mut wins, mut pairs) = (0.0, 0.0);
        for i in 0..7 {
            for j in 0..7 {
                if labels[i] && !labels[j] {
                    pairs += 1.0;
                    wins += if scores[i] > scores[j] {
                        1.0
                    } else if scores[i] == scores[j] {
                        0.5
                    } else {
                        0.0
                    };
                }
            }
        }
        assert!((auc(&scores, &labels) - wins / pairs).abs() < 1e-15);
    }

    #[test]
    fn polyfit_recovers_a_cubic_and_weights_select_points() {
        let x: Vec<f64> = (0..20).map(|i| i as f64 / 10.0 - 1.0).collect();
        let y: Vec<f64> = x
            .iter()
            .map(|&v| polyval(&[0.5, -1.0, 0.0, 1.0], v))
            .collect();
        let c = weighted_polyfit(&x, &y, &[1.0; 20], 3).unwrap();
        for (a, b) in c.iter().zip([0.5, -1.0, 0.0, 1.0]) {
            assert!((a - b).abs() < 1e-9);
        }
        // Zero weight on all but two points: the line through those two.
        let mut w = vec![0.0; 20];
        w[0] = 1.0;
        w[19] = 1.0;
        let line = weighted_polyfit(&x, &y, &w, 1).unwrap();
        assert!((polyval(&line, x[0]) - y[0]).abs() < 1e-9);
        assert!((polyval(&line, x[19]) - y[19]).abs() < 1e-9);
    }
}
