//! Covariate shift: the inputs move, the rule that labels them does not.
//!
//! The source draws \\(x \sim p(x)\\), the target \\(x \sim q(x)\\), and both share
//! \\(p(y \mid x)\\). Then the importance weight is the density ratio
//! \\(\beta(x) = q(x)/p(x)\\), and it can be estimated without labels, by a
//! classifier that tells source from target samples: by Bayes' rule, with
//! \\(n_s\\) source and \\(n_t\\) target samples,
//!
//! \\[ \beta(x) = \frac{q(x)}{p(x)} = \frac{n_s}{n_t}\cdot\frac{P(\text{target} \mid x)}{P(\text{source} \mid x)} = \frac{n_s}{n_t}\, e^{h(x)} \\]
//!
//! for a logistic regression with logit \\(h(x)\\). The same classifier is a
//! shift *detector*: if it cannot tell the two apart (AUC ≈ ½), there is no
//! covariate shift it can see.

use ndarray::{Array1, Array2, ArrayView2, Axis, concatenate};
use rand::Rng;
use rand::seq::SliceRandom;

use crate::Error;
use crate::shift::logistic::Logistic;

/// The density of \\(\mathcal N(\mu, \sigma^2)\\) at x:
/// \\(e^{-(x-\mu)^2/(2\sigma^2)} / (\sigma\sqrt{2\pi})\\).
///
/// ```
/// let p = stable_learning::shift::covariate::normal_pdf(0.0, 0.0, 1.0);
/// assert!((p - 0.3989422804014327).abs() < 1e-15);
/// ```
pub fn normal_pdf(x: f64, mean: f64, std: f64) -> f64 {
    let z = (x - mean) / std;
    (-0.5 * z * z).exp() / (std * (2.0 * std::f64::consts::PI).sqrt())
}

/// The expectation \\(\mathbb{E}[f(x)]\\) for \\(x \sim \mathcal N(\mu, \sigma^2)\\), by
/// the trapezoidal rule on 1201 points over \\(\mu \pm 9\sigma\\). For a smooth
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
/// coefficients \\(c_0, \dots, c_d\\) minimizing
/// \\(\sum_i \beta_i (y_i - \sum_k c_k x_i^k)^2\\), from the normal equations
/// \\(X^\top B X c = X^\top B y\\) with \\(B = \operatorname{diag}(\beta)\\).
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

/// The polynomial \\(\sum_k c_k x^k\\) at x.
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
    /// Source samples it saw, \\(n_s\\).
    pub n_source: usize,
    /// Target samples it saw, \\(n_t\\).
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
    /// \\(\hat\beta(x) = \frac{n_s}{n_t} e^{h(x)}\\) at every row.
    pub fn weights(&self, x: ArrayView2<f64>) -> Vec<f64> {
        let ratio = self.n_source as f64 / self.n_target as f64;
        self.model
            .logits(x)
            .iter()
            .map(|h| ratio * h.exp())
            .collect()
    }

    /// The weights without the \\(n_s/n_t\\) factor, \\(e^{h(x)}\\), as d2l writes
    /// them: right only when the two samples are equally large.
    pub fn weights_without_count_ratio(&self, x: ArrayView2<f64>) -> Vec<f64> {
        self.model.logits(x).iter().map(|h| h.exp()).collect()
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
/// statistic \\((R_+ - n_+(n_+ + 1)/2)/(n_+ n_-)\\) from the rank sum of the
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
/// \\(p = (1 + \#\{\text{AUC}_\text{perm} \ge \text{AUC}\})/(1 + B)\\), which
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
#[derive(Debug, Clone, Copy, PartialEq)]
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

#[cfg(test)]
mod tests {
    use super::*;

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
