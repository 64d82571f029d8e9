//! Label shift: the class proportions move, what each class looks like does
//! not.
//!
//! The source has class priors \\(p(y)\\), the target \\(q(y)\\), and both share
//! \\(p(x \mid y)\\) — diseases cause symptoms, and an epidemic changes how
//! common a disease is, not what it looks like. The weights are
//! \\(w_y = q(y)/p(y)\\), one per class, and they can be estimated from
//! *unlabeled* target data:
//!
//! - [`bbse`] (black-box shift estimation, Lipton, Wang & Smola 2018) solves
//!   the linear system \\(\hat C \hat w = \hat\mu\\), where \\(\hat C_{ij}\\) is
//!   the joint frequency of (prediction i, label j) on held-out source data
//!   and \\(\hat\mu_i\\) the frequency of prediction i on the target;
//! - [`em_priors`] (Saerens, Latinne & Decaestecker 2002) alternates between
//!   reweighting the classifier's posteriors by \\(\hat q(y)/p(y)\\) and setting
//!   \\(\hat q(y)\\) to their mean.

use ndarray::{Array1, Array2, ArrayView1, ArrayView2, Axis};
use rand::{Rng, RngExt};
use rand_distr::Distribution;
use rand_distr::multi::Dirichlet;

use crate::{Error, Range};

/// The fraction of `labels` in each class 0..k.
///
/// ```
/// let f = stable_learning::shift::label::class_frequencies(&[0, 1, 1, 1], 3);
/// assert_eq!(f.to_vec(), vec![0.25, 0.75, 0.0]);
/// ```
pub fn class_frequencies(labels: &[usize], k: usize) -> Array1<f64> {
    let mut f = Array1::<f64>::zeros(k);
    for &y in labels {
        f[y] += 1.0;
    }
    f / labels.len().max(1) as f64
}

/// The *joint* confusion matrix \\(\hat C_{ij} = \frac{1}{n}\#\{\hat y = i, y = j\}\\):
/// its entries sum to 1 and its column j sums to the frequency of class j.
///
/// ```
/// use stable_learning::shift::label::confusion_joint;
/// let c = confusion_joint(&[0, 1, 1, 1], &[0, 0, 1, 1], 2);
/// assert_eq!(c, ndarray::array![[0.25, 0.0], [0.25, 0.5]]);
/// ```
pub fn confusion_joint(predicted: &[usize], labels: &[usize], k: usize) -> Array2<f64> {
    assert_eq!(predicted.len(), labels.len(), "one prediction per label");
    let mut c = Array2::<f64>::zeros((k, k));
    for (&p, &y) in predicted.iter().zip(labels) {
        c[[p, y]] += 1.0;
    }
    c / labels.len().max(1) as f64
}

/// The *conditional* confusion matrix \\(P(\hat y = i \mid y = j)\\): the joint
/// one with each column divided by its sum (columns of absent classes stay 0).
///
/// ```
/// use stable_learning::shift::label::confusion_conditional;
/// let c = confusion_conditional(&[0, 1, 1, 1], &[0, 0, 1, 1], 2);
/// assert_eq!(c, ndarray::array![[0.5, 0.0], [0.5, 1.0]]);
/// ```
pub fn confusion_conditional(predicted: &[usize], labels: &[usize], k: usize) -> Array2<f64> {
    let mut c = confusion_joint(predicted, labels, k);
    for mut col in c.axis_iter_mut(Axis(1)) {
        let s = col.sum();
        if s > 0.0 {
            col /= s;
        }
    }
    c
}

/// Black-box shift estimation: solves \\(\hat C \hat w = \hat\mu\\) for the
/// class weights \\(\hat w_y \approx q(y)/p(y)\\), with `joint` the *joint*
/// confusion matrix of the classifier on held-out source data
/// ([`confusion_joint`]) and `mu` the frequency of each prediction on the
/// target ([`class_frequencies`] of the predictions).
///
/// Why it holds: under label shift \\(q(\hat y = i) = \sum_j P(\hat y = i \mid y = j)\, q(y = j) = \sum_j P(\hat y = i, y = j)\,\frac{q(j)}{p(j)}\\).
/// Negative solutions (possible with few samples) are clipped to 0. Fails
/// when \\(\hat C\\) is singular.
///
/// ```
/// use ndarray::array;
/// use stable_learning::shift::label::bbse;
/// // A classifier that is right 80% of the time on two balanced classes.
/// let c = array![[0.4, 0.1], [0.1, 0.4]];
/// // The target has 3 times more class 0 than class 1: q = (0.75, 0.25).
/// let mu = array![0.8 * 0.75 + 0.2 * 0.25, 0.2 * 0.75 + 0.8 * 0.25];
/// let w = bbse(c.view(), mu.view()).unwrap();
/// assert!((w[0] - 1.5).abs() < 1e-12 && (w[1] - 0.5).abs() < 1e-12);
/// ```
pub fn bbse(joint: ArrayView2<f64>, mu: ArrayView1<f64>) -> Result<Array1<f64>, Error> {
    if joint.nrows() != mu.len() || joint.ncols() != mu.len() {
        return Err(Error::Size {
            what: "confusion matrix side",
            expected: mu.len(),
            got: joint.nrows(),
        });
    }
    crate::numeric::solve::solve(joint, mu)
        .map(|w| w.mapv(|v| v.max(0.0)))
        .ok_or(Error::Singular("the confusion matrix"))
}

/// What [`em_priors`] found.
#[derive(Debug, Clone, PartialEq)]
pub struct EmPriors {
    /// The estimated target priors \\(\hat q(y)\\).
    pub priors: Array1<f64>,
    /// The weights \\(\hat q(y)/p(y)\\).
    pub weights: Array1<f64>,
    /// Iterations used.
    pub iterations: usize,
}

/// The EM algorithm of Saerens, Latinne & Decaestecker (2002) for the target
/// priors. `posteriors` holds the source classifier's \\(p(y \mid x)\\) for
/// each target row, `counts` how many times each row occurs (`None`: once),
/// `source_priors` the class priors \\(p(y)\\) it was trained under. From
/// \\(\hat q^{(0)} = p\\), repeat until no prior moves by more than `tol`
/// (or `max_iter` times):
///
/// \\[ \hat q^{(s)}(y \mid x_i) = \frac{\frac{\hat q^{(s)}(y)}{p(y)}\, p(y \mid x_i)}{\sum_{y'} \frac{\hat q^{(s)}(y')}{p(y')}\, p(y' \mid x_i)}, \qquad \hat q^{(s+1)}(y) = \frac{1}{m}\sum_{i=1}^m \hat q^{(s)}(y \mid x_i). \\]
///
/// Unlike BBSE it trusts the posteriors to be *calibrated*.
///
/// ```
/// use ndarray::array;
/// use stable_learning::shift::label::em_priors;
/// // A perfect classifier: EM returns the predicted class frequencies.
/// let post = array![[1.0, 0.0], [1.0, 0.0], [1.0, 0.0], [0.0, 1.0]];
/// let em = em_priors(post.view(), None, array![0.5, 0.5].view(), 1000, 1e-12).unwrap();
/// assert!((em.priors[0] - 0.75).abs() < 1e-9 && (em.weights[0] - 1.5).abs() < 1e-9);
/// ```
pub fn em_priors(
    posteriors: ArrayView2<f64>,
    counts: Option<&[f64]>,
    source_priors: ArrayView1<f64>,
    max_iter: usize,
    tol: f64,
) -> Result<EmPriors, Error> {
    let (m, k) = posteriors.dim();
    if m == 0 {
        return Err(Error::Empty("target rows"));
    }
    if source_priors.len() != k {
        return Err(Error::Size {
            what: "source priors",
            expected: k,
            got: source_priors.len(),
        });
    }
    if let Some(c) = counts
        && c.len() != m
    {
        return Err(Error::Size {
            what: "counts",
            expected: m,
            got: c.len(),
        });
    }
    if source_priors.iter().any(|&p| p <= 0.0 || !p.is_finite()) {
        return Err(Error::Parameter {
            name: "source prior",
            value: source_priors.fold(f64::INFINITY, |a, &b| a.min(b)),
            range: Range::above(0.0, f64::INFINITY),
        });
    }
    // Rows that do not occur in the sample play no part: drop them once.
    let (posteriors, c) = match counts {
        None => (posteriors.to_owned(), Array1::ones(m)),
        Some(c) => {
            let keep: Vec<usize> = (0..m).filter(|&i| c[i] > 0.0).collect();
            (
                posteriors.select(Axis(0), &keep),
                Array1::from_iter(keep.iter().map(|&i| c[i])),
            )
        }
    };
    let total: f64 = c.sum();
    if !(total > 0.0 && total.is_finite()) {
        return Err(Error::Empty("target rows with a positive, finite count"));
    }
    let mut q = source_priors.to_owned();
    let mut iterations = 0;
    for _ in 0..max_iter {
        iterations += 1;
        // E step: every row's posterior under the current guess, each row
        // normalized to 1 and multiplied by its count.
        let adjusted = &posteriors * &(&q / &source_priors);
        let sums = adjusted.sum_axis(Axis(1));
        let scale = Array1::from_iter(
            sums.iter()
                .zip(&c)
                .map(|(&s, &c)| if s > 0.0 { c / s } else { 0.0 }),
        );
        // M step: the new priors are the mean adjusted posterior.
        let next = scale.dot(&adjusted) / total;
        let moved = (&next - &q).iter().fold(0.0f64, |a, v| a.max(v.abs()));
        q = next;
        if moved < tol {
            break;
        }
    }
    let weights = &q / &source_priors;
    Ok(EmPriors {
        priors: q,
        weights,
        iterations,
    })
}

/// Corrects a source classifier's posteriors for label shift: each row
/// becomes \\(w_y\, p(y \mid x) / \sum_{y'} w_{y'}\, p(y' \mid x)\\), the
/// posterior under the target priors (Bayes' rule; \\(p(x \mid y)\\) is shared).
///
/// ```
/// use ndarray::array;
/// let p = stable_learning::shift::label::adjust_posteriors(array![[0.6, 0.4]].view(), array![1.0, 3.0].view());
/// assert!((p[[0, 1]] - 2.0 / 3.0).abs() < 1e-12);
/// ```
pub fn adjust_posteriors(posteriors: ArrayView2<f64>, weights: ArrayView1<f64>) -> Array2<f64> {
    let mut out = &posteriors * &weights;
    for mut row in out.axis_iter_mut(Axis(0)) {
        let s = row.sum();
        if s > 0.0 {
            row /= s;
        }
    }
    out
}

/// Lipton et al.'s *tweak-one* shift on `k` classes: class `class` gets
/// probability ρ, every other class \\((1-\rho)/(k-1)\\).
///
/// ```
/// let q = stable_learning::shift::label::tweak_one(10, 5, 0.5).unwrap();
/// assert_eq!(q[5], 0.5);
/// assert!((q[0] - 0.5 / 9.0).abs() < 1e-15);
/// ```
pub fn tweak_one(k: usize, class: usize, rho: f64) -> Result<Vec<f64>, Error> {
    if k < 2 || class >= k {
        return Err(Error::Size {
            what: "class index (k ≥ 2, class < k)",
            expected: k,
            got: class,
        });
    }
    let rho = Range::closed(0.0, 1.0).check("rho", rho)?;
    Ok((0..k)
        .map(|j| {
            if j == class {
                rho
            } else {
                (1.0 - rho) / (k - 1) as f64
            }
        })
        .collect())
}

/// Class priors drawn from a symmetric Dirichlet distribution \\(\mathrm{Dir}(\alpha)\\)
/// on `k` classes: α large gives nearly uniform priors, α small puts most of
/// the mass on a few classes.
///
/// ```
/// use rand::{SeedableRng, rngs::StdRng};
/// let q = stable_learning::shift::label::dirichlet_priors(1.0, 10, &mut StdRng::seed_from_u64(0)).unwrap();
/// assert!((q.iter().sum::<f64>() - 1.0).abs() < 1e-12);
/// ```
pub fn dirichlet_priors(alpha: f64, k: usize, rng: &mut impl Rng) -> Result<Vec<f64>, Error> {
    let alpha = Range::closed(1e-3, 1e6).check("alpha", alpha)?;
    let d = Dirichlet::new(&vec![alpha; k]).map_err(|_| Error::Size {
        what: "classes (k ≥ 2)",
        expected: 2,
        got: k,
    })?;
    Ok(d.sample(rng))
}

/// Draws `m` row indices so that their classes follow `priors` and, within a
/// class, row i is drawn with probability proportional to `row_weights[i]`
/// (`None`: all rows equally likely), with replacement. With equal row
/// weights this is a label-shifted sample that keeps \\(p(x \mid y)\\) of the
/// pool `labels`; unequal ones change \\(p(x \mid y)\\) too, breaking the
/// label-shift assumption on purpose.
///
/// ```
/// use rand::{SeedableRng, rngs::StdRng};
/// use stable_learning::shift::label::sample_with_priors;
/// let labels = [0, 0, 1, 1, 1];
/// let mut rng = StdRng::seed_from_u64(1);
/// let idx = sample_with_priors(&labels, &[1.0, 0.0], None, 20, &mut rng).unwrap();
/// assert!(idx.iter().all(|&i| labels[i] == 0));
/// let idx = sample_with_priors(&labels, &[1.0, 0.0], Some(&[0.0, 1.0, 1.0, 1.0, 1.0]), 20, &mut rng).unwrap();
/// assert!(idx.iter().all(|&i| i == 1));
/// ```
pub fn sample_with_priors(
    labels: &[usize],
    priors: &[f64],
    row_weights: Option<&[f64]>,
    m: usize,
    rng: &mut impl Rng,
) -> Result<Vec<usize>, Error> {
    let k = priors.len();
    check_sampling(labels, priors, row_weights)?;
    // Per class: its rows and the running sum of their weights.
    let mut members: Vec<Vec<usize>> = vec![Vec::new(); k];
    let mut cumulative: Vec<Vec<f64>> = vec![Vec::new(); k];
    for (i, &y) in labels.iter().enumerate() {
        let w = row_weights.map_or(1.0, |w| w[i]);
        if y < k && w > 0.0 {
            let last = cumulative[y].last().copied().unwrap_or(0.0);
            members[y].push(i);
            cumulative[y].push(last + w);
        }
    }
    if let Some(class) = (0..k).find(|&c| priors[c] > 0.0 && members[c].is_empty()) {
        return Err(Error::MissingClass(class));
    }
    let total: f64 = priors.iter().sum();
    let last_class = (0..k)
        .rev()
        .find(|&c| priors[c] > 0.0)
        .expect("a positive prior");
    Ok((0..m)
        .map(|_| {
            let mut u = rng.random::<f64>() * total;
            let mut class = last_class;
            for (c, &p) in priors.iter().enumerate() {
                if u < p {
                    class = c;
                    break;
                }
                u -= p;
            }
            let cum = &cumulative[class];
            let v = rng.random::<f64>() * cum[cum.len() - 1];
            let j = cum.partition_point(|&c| c <= v).min(cum.len() - 1);
            members[class][j]
        })
        .collect())
}

/// What a sample drawn by [`sample_with_priors`] converges to as it grows:
/// the fraction of the sample that is row i, \\(q_j\, v_i / \sum_{i' \in j} v_{i'}\\)
/// for row i of class j with row weight \\(v_i\\) (all 1 for `None`), and
/// \\(q\\) the priors normalized to sum to 1. Feeding these fractions to an
/// estimator in place of a sample's counts gives its error for \\(m \to \infty\\)
/// target samples, exactly, without sampling.
///
/// ```
/// use rand::{SeedableRng, rngs::StdRng};
/// use stable_learning::shift::label::{expected_counts, sample_with_priors};
/// let labels = [0, 0, 1, 1, 1];
/// let f = expected_counts(&labels, &[0.4, 0.6], None).unwrap();
/// assert!(f.iter().all(|v| (v - 0.2).abs() < 1e-15)); // 0.4/2 and 0.6/3
/// let f = expected_counts(&labels, &[1.0, 0.0], Some(&[1.0, 3.0, 1.0, 1.0, 1.0])).unwrap();
/// assert_eq!(f, vec![0.25, 0.75, 0.0, 0.0, 0.0]);
/// // A large sample comes close.
/// let idx = sample_with_priors(&labels, &[0.4, 0.6], None, 100_000, &mut StdRng::seed_from_u64(1)).unwrap();
/// let share = idx.iter().filter(|&&i| i == 0).count() as f64 / 1e5;
/// assert!((share - 0.2).abs() < 0.01);
/// ```
pub fn expected_counts(
    labels: &[usize],
    priors: &[f64],
    row_weights: Option<&[f64]>,
) -> Result<Vec<f64>, Error> {
    let k = priors.len();
    check_sampling(labels, priors, row_weights)?;
    let weight = |i: usize| row_weights.map_or(1.0, |w| w[i]);
    let mut class_weight = vec![0.0; k];
    for (i, &y) in labels.iter().enumerate() {
        if y < k {
            class_weight[y] += weight(i);
        }
    }
    if let Some(class) = (0..k).find(|&c| priors[c] > 0.0 && class_weight[c] <= 0.0) {
        return Err(Error::MissingClass(class));
    }
    let total: f64 = priors.iter().sum();
    Ok(labels
        .iter()
        .enumerate()
        .map(|(i, &y)| {
            if y < k && priors[y] > 0.0 {
                priors[y] / total * weight(i) / class_weight[y]
            } else {
                0.0
            }
        })
        .collect())
}

/// Checks the inputs of [`sample_with_priors`] and [`expected_counts`]: one
/// finite, non-negative weight per row; finite, non-negative priors with a
/// positive sum.
fn check_sampling(
    labels: &[usize],
    priors: &[f64],
    row_weights: Option<&[f64]>,
) -> Result<(), Error> {
    if let Some(w) = row_weights {
        if w.len() != labels.len() {
            return Err(Error::Size {
                what: "row weights",
                expected: labels.len(),
                got: w.len(),
            });
        }
        if let Some(&bad) = w.iter().find(|v| !v.is_finite() || **v < 0.0) {
            return Err(Error::Parameter {
                name: "row weight",
                value: bad,
                range: Range::closed(0.0, f64::INFINITY),
            });
        }
    }
    if let Some(&bad) = priors.iter().find(|v| !v.is_finite() || **v < 0.0) {
        return Err(Error::Parameter {
            name: "prior",
            value: bad,
            range: Range::closed(0.0, f64::INFINITY),
        });
    }
    let total: f64 = priors.iter().sum();
    if total <= 0.0 {
        return Err(Error::Parameter {
            name: "sum of priors",
            value: total,
            range: Range::above(0.0, f64::INFINITY),
        });
    }
    Ok(())
}

/// Tempers a classifier's posteriors: every row becomes \\(p^\tau\\),
/// renormalized — for a softmax classifier the same as multiplying its logits
/// by τ. τ > 1 sharpens the probabilities, τ < 1 softens them; the most
/// probable class never changes.
///
/// ```
/// use ndarray::array;
/// use stable_learning::shift::label::temper;
/// let t = temper(array![[0.75, 0.25]].view(), 2.0);
/// assert!((t[[0, 0]] - 0.9).abs() < 1e-12); // 0.5625 / (0.5625 + 0.0625)
/// ```
pub fn temper(posteriors: ArrayView2<f64>, tau: f64) -> Array2<f64> {
    let mut out = posteriors.mapv(|p| p.powf(tau));
    for mut row in out.axis_iter_mut(Axis(0)) {
        let s = row.sum();
        if s > 0.0 {
            row /= s;
        }
    }
    out
}

/// The mean log-loss \\(-\frac{1}{n}\sum_i \ln p(y_i \mid x_i)\\) of posteriors
/// on labelled rows. The temperature τ that minimizes it on held-out data
/// ([`temper`]) says whether a classifier is over-confident (τ < 1) or
/// under-confident (τ > 1).
///
/// ```
/// use ndarray::array;
/// let loss = stable_learning::shift::label::log_loss(array![[0.5, 0.5], [0.25, 0.75]].view(), &[0, 1]);
/// assert!((loss - (2f64.ln() + (4.0f64 / 3.0).ln()) / 2.0).abs() < 1e-12);
/// ```
pub fn log_loss(posteriors: ArrayView2<f64>, labels: &[usize]) -> f64 {
    assert_eq!(posteriors.nrows(), labels.len(), "one label per row");
    labels
        .iter()
        .enumerate()
        .map(|(i, &y)| -posteriors[[i, y]].ln())
        .sum::<f64>()
        / labels.len().max(1) as f64
}

/// The Euclidean distance \\(\lVert \hat w - w \rVert_2\\) between estimated and
/// true weights.
pub fn weight_error(estimated: ArrayView1<f64>, truth: ArrayView1<f64>) -> f64 {
    (&estimated - &truth).mapv(|v| v * v).sum().sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn joint_and_conditional_give_the_same_answer() {
        // Solving with the joint matrix gives the weights; with the
        // conditional one, the target priors: q = w ⊙ p.
        let pred = [0, 0, 1, 2, 2, 1, 0, 2, 1, 1];
        let truth = [0, 0, 0, 2, 2, 1, 1, 2, 1, 1];
        let joint = confusion_joint(&pred, &truth, 3);
        let cond = confusion_conditional(&pred, &truth, 3);
        let p = class_frequencies(&truth, 3);
        let mu = array![0.5, 0.2, 0.3];
        let w = crate::numeric::solve::solve(joint.view(), mu.view()).unwrap();
        let q = crate::numeric::solve::solve(cond.view(), mu.view()).unwrap();
        for j in 0..3 {
            assert!((w[j] * p[j] - q[j]).abs() < 1e-12);
        }
    }

    #[test]
    fn sampling_rejects_a_class_without_rows() {
        use rand::SeedableRng;
        let mut rng = rand::rngs::StdRng::seed_from_u64(0);
        let r = sample_with_priors(&[0, 0], &[0.5, 0.5], None, 3, &mut rng);
        assert_eq!(r, Err(Error::MissingClass(1)));
    }

    #[test]
    fn em_is_exact_for_calibrated_posteriors_in_expectation() {
        // Two classes, p(y|x) known exactly for four kinds of x; the target
        // sample is the expected one under q = (0.2, 0.8).
        let px_given_y = [[0.4, 0.1], [0.3, 0.2], [0.2, 0.3], [0.1, 0.4]];
        let (p, q) = ([0.5, 0.5], [0.2, 0.8]);
        let post = Array2::from_shape_fn((4, 2), |(x, y)| {
            px_given_y[x][y] * p[y] / (px_given_y[x][0] * p[0] + px_given_y[x][1] * p[1])
        });
        let counts: Vec<f64> = (0..4)
            .map(|x| px_given_y[x][0] * q[0] + px_given_y[x][1] * q[1])
            .collect();
        let em = em_priors(
            post.view(),
            Some(&counts),
            array![0.5, 0.5].view(),
            10_000,
            1e-14,
        )
        .unwrap();
        assert!((em.priors[0] - 0.2).abs() < 1e-6, "{:?}", em.priors);
    }
}
