//! Label shift: the class proportions move, what each class looks like does
//! not.
//!
//! The source has class priors p(y), the target q(y), and both share
//! p(x | y) — diseases cause symptoms, and an epidemic changes how
//! common a disease is, not what it looks like. The weights are
//! w_y = q(y)/p(y), one per class, and they can be estimated from
//! *unlabeled* target data:
//!
//! - [`bbse`] (black-box shift estimation, Lipton, Wang & Smola 2018) solves
//!   the linear system Ĉ ŵ = μ̂, where Ĉᵢⱼ is
//!   the joint frequency of (prediction i, label j) on held-out source data
//!   and μ̂ᵢ the frequency of prediction i on the target;
//! - [`em_priors`] (Saerens, Latinne & Decaestecker 2002) alternates between
//!   reweighting the classifier's posteriors by q̂(y)/p(y) and setting
//!   q̂(y) to their mean.

use ndarray::{Array1, Array2, ArrayView1, ArrayView2, Axis};
use rand::seq::SliceRandom;
use rand::{Rng, RngExt};
use serde::{Deserialize, Serialize};

use crate::nn::data::{CLASSES, Dataset};
use crate::numeric::dirichlet::Dirichlet;
use crate::numeric::math;
use crate::numeric::normal::StandardNormal;
use crate::numeric::random::{repeat_counted, stream};
use crate::numeric::stats::mean;
use crate::shift::logistic::{Softmax, SoftmaxParams, accuracy, argmax_rows};
use crate::{Error, Progress, Range};

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

/// The *joint* confusion matrix Ĉᵢⱼ = (1/n) #{ŷ = i, y = j}:
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

/// The *conditional* confusion matrix P(ŷ = i | y = j): the joint
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

/// Black-box shift estimation: solves Ĉ ŵ = μ̂ for the
/// class weights ŵ_y ≈ q(y)/p(y), with `joint` the *joint*
/// confusion matrix of the classifier on held-out source data
/// ([`confusion_joint`]) and `mu` the frequency of each prediction on the
/// target ([`class_frequencies`] of the predictions).
///
/// Why it holds: under label shift
/// q(ŷ = i) = Σⱼ P(ŷ = i | y = j) q(y = j) = Σⱼ P(ŷ = i, y = j) q(j)/p(j).
/// Negative solutions (possible with few samples) are clipped to 0. Fails
/// when Ĉ is singular.
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
    /// The estimated target priors q̂(y).
    pub priors: Array1<f64>,
    /// The weights q̂(y)/p(y).
    pub weights: Array1<f64>,
    /// Iterations used.
    pub iterations: usize,
}

/// The EM algorithm of Saerens, Latinne & Decaestecker (2002) for the target
/// priors. `posteriors` holds the source classifier's p(y | x) for
/// each target row, `counts` how many times each row occurs (`None`: once),
/// `source_priors` the class priors p(y) it was trained under. From
/// q̂⁽⁰⁾ = p, repeat until no prior moves by more than `tol`
/// (or `max_iter` times):
///
/// ```text
/// q̂⁽ˢ⁾(y | xᵢ) = [q̂⁽ˢ⁾(y)/p(y)] p(y | xᵢ) / Σ_y′ [q̂⁽ˢ⁾(y′)/p(y′)] p(y′ | xᵢ),
/// q̂⁽ˢ⁺¹⁾(y)    = (1/m) Σᵢ q̂⁽ˢ⁾(y | xᵢ).
/// ```
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
/// becomes w_y p(y | x) / Σ_y′ w_y′ p(y′ | x), the
/// posterior under the target priors (Bayes' rule; p(x | y) is shared).
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
/// probability ρ, every other class (1 − ρ)/(k − 1).
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

/// Class priors drawn from a symmetric Dirichlet distribution Dir(α)
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
    let d = Dirichlet::symmetric(alpha, k).ok_or(Error::Size {
        what: "classes (k ≥ 2)",
        expected: 2,
        got: k,
    })?;
    Ok(d.sample(rng))
}

/// Draws `m` row indices so that their classes follow `priors` and, within a
/// class, row i is drawn with probability proportional to `row_weights[i]`
/// (`None`: all rows equally likely), with replacement. With equal row
/// weights this is a label-shifted sample that keeps p(x | y) of the
/// pool `labels`; unequal ones change p(x | y) too, breaking the
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
/// the fraction of the sample that is row i, qⱼ vᵢ / (Σ vₖ over the rows k
/// of class j), for row i of class j with row weight vᵢ (all 1 for `None`), and
/// q the priors normalized to sum to 1. Feeding these fractions to an
/// estimator in place of a sample's counts gives its error for m → ∞
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

/// Tempers a classifier's posteriors: every row becomes p^τ,
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
    let mut out = posteriors.mapv(|p| math::powf(p, tau));
    for mut row in out.axis_iter_mut(Axis(0)) {
        let s = row.sum();
        if s > 0.0 {
            row /= s;
        }
    }
    out
}

/// The mean log-loss −(1/n) Σᵢ ln p(yᵢ | xᵢ) of posteriors
/// on labelled rows. The temperature τ that minimizes it on held-out data
/// ([`fitted_temperature`]) says whether a classifier is over-confident
/// (τ < 1) or under-confident (τ > 1).
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
        .map(|(i, &y)| -math::ln(posteriors[[i, y]]))
        .sum::<f64>()
        / labels.len().max(1) as f64
}

/// The temperature τ that fits `posteriors` best on their true `labels`:
/// the lowest [`log_loss`] of the posteriors tempered by τ ([`temper`]), on
/// a grid from 0.5 to 4 in steps of 0.05 (the smallest τ if several tie).
/// Above 1 the classifier is under-confident, below 1 over-confident.
///
/// ```
/// use ndarray::array;
/// use stable_learning::shift::label::fitted_temperature;
/// // Always right but never sure: sharpening helps up to the grid's end.
/// let post = array![[0.6, 0.4], [0.4, 0.6]];
/// assert_eq!(fitted_temperature(post.view(), &[0, 1]), 4.0);
/// ```
pub fn fitted_temperature(posteriors: ArrayView2<f64>, labels: &[usize]) -> f64 {
    (10..=80)
        .map(|i| i as f64 / 20.0)
        .map(|tau| (tau, log_loss(temper(posteriors, tau).view(), labels)))
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .expect("a non-empty grid")
        .0
}

/// The Euclidean distance ‖ŵ − w‖₂ between estimated and
/// true weights.
pub fn weight_error(estimated: ArrayView1<f64>, truth: ArrayView1<f64>) -> f64 {
    (&estimated - &truth).mapv(|v| v * v).sum().sqrt()
}

// The chapter's experiments.

/// The parameters of the chapter's experiments; `Default` gives the book's.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LabelShiftParams {
    /// Unlabelled target samples for the weights figure, the accuracy table
    /// and the broken-assumption figure.
    pub m: usize,
    /// The largest number of target samples in the error-against-samples
    /// figure.
    pub max_m: usize,
    /// Repetitions per point of the error-against-samples and
    /// broken-assumption figures and per row of the accuracy table, and
    /// re-splits behind the table of floors.
    pub trials: usize,
    /// Tweak-one shift: the probability ρ of the tweaked class.
    pub rho: f64,
    /// Tweak-one shift: the tweaked class.
    pub class: usize,
    /// Dirichlet shift: the concentration α of Dir(α).
    pub alpha: f64,
    /// Held-out source rows in the "small source" settings.
    pub small_source: usize,
    /// The largest pixel noise k of the target's scanner when the assumption
    /// breaks (a covariate shift within every class).
    pub covariate: f64,
    /// Independent splits of the digits (each with its own classifier) that
    /// every experiment is repeated on ([`over_splits`]).
    pub seeds: usize,
}

impl LabelShiftParams {
    /// Allowed target sample sizes m.
    pub const M: Range = Range::whole(10, 1_000_000);
    /// Allowed largest target sample sizes in the error-against-samples
    /// figure.
    pub const MAX_M: Range = Range::whole(100, 1_000_000);
    /// Allowed numbers of repetitions (and re-splits).
    pub const TRIALS: Range = Range::whole(1, 10_000);
    /// Allowed probabilities ρ of the tweaked class.
    pub const RHO: Range = Range::closed(0.0, 1.0);
    /// Allowed tweaked classes: the ten digits.
    pub const CLASS: Range = Range::whole(0, CLASSES - 1);
    /// Allowed Dirichlet concentrations α.
    pub const ALPHA: Range = Range::closed(0.01, 100.0);
    /// Allowed sizes of the small source set (fewer rows than the held-out
    /// set and the pool hold).
    pub const SMALL_SOURCE: Range = Range::whole(20, 500);
    /// Allowed largest pixel noises k (pixels run from 0 to 1).
    pub const COVARIATE: Range = Range::closed(0.0, 2.0);
    /// Allowed numbers of splits.
    pub const SEEDS: Range = Range::whole(1, 100);

    /// Checks every parameter against its range ([`Error::Parameter`] names
    /// the first one out of range).
    pub fn check(&self) -> Result<(), Error> {
        Self::M.check_whole("m", self.m)?;
        Self::MAX_M.check_whole("max_m", self.max_m)?;
        Self::TRIALS.check_whole("trials", self.trials)?;
        Self::RHO.check("rho", self.rho)?;
        Self::CLASS.check_whole("class", self.class)?;
        Self::ALPHA.check("alpha", self.alpha)?;
        Self::SMALL_SOURCE.check_whole("small_source", self.small_source)?;
        Self::COVARIATE.check("covariate", self.covariate)?;
        Self::SEEDS.check_whole("seeds", self.seeds)?;
        Ok(())
    }
}

impl Default for LabelShiftParams {
    fn default() -> Self {
        LabelShiftParams {
            m: 2000,
            max_m: 20_000,
            trials: 20,
            rho: 0.5,
            class: 5,
            alpha: 1.0,
            small_source: 150,
            covariate: 0.6,
            seeds: 5,
        }
    }
}

/// The chapter's data and classifier, made by [`chapter_split`].
#[derive(Debug, Clone, PartialEq)]
pub struct ChapterSplit {
    /// The classifier's training set: 40% of the digits.
    pub train: Dataset,
    /// The held-out source set (30%), on which Ĉ is measured.
    pub held: Dataset,
    /// The pool (the other 30%) the label-shifted target samples are drawn
    /// from.
    pub pool: Dataset,
    /// The digits the classifier never trained on: `held`, then `pool`.
    pub others: Dataset,
    /// The softmax regression trained on `train`.
    pub model: Softmax,
    /// The class frequencies of `train`: the priors the classifier's
    /// posteriors were learned under.
    pub train_priors: Array1<f64>,
    /// The classifier's posteriors p(y | x) on `held`, one row per digit.
    pub held_post: Array2<f64>,
    /// Its predicted classes on `held`.
    pub held_pred: Vec<usize>,
    /// The joint confusion matrix Ĉ on `held` ([`confusion_joint`]).
    pub c_joint: Array2<f64>,
    /// The class frequencies p̂ of `held` (the column sums of Ĉ).
    pub p: Array1<f64>,
    /// The classifier's posteriors on `pool`.
    pub pool_post: Array2<f64>,
    /// Its predicted classes on `pool`.
    pub pool_pred: Vec<usize>,
}

// ANCHOR: setup
/// The chapter's split: three disjoint parts of the digits, shuffled by
/// `rng` — the classifier's training set, a held-out source set on which we
/// measure its confusion matrix, and a pool the label-shifted target samples
/// are drawn from — and the softmax regression trained on the first.
pub fn chapter_split(rng: &mut impl Rng) -> ChapterSplit {
    let digits = Dataset::digits();
    let mut idx: Vec<usize> = (0..digits.len()).collect();
    idx.shuffle(rng);
    let (n_train, n_held) = (digits.len() * 4 / 10, digits.len() * 3 / 10);
    let train = digits.select(&idx[..n_train]);
    let held = digits.select(&idx[n_train..n_train + n_held]);
    let pool = digits.select(&idx[n_train + n_held..]);
    let others = digits.select(&idx[n_train..]);
    let model = Softmax::fit(
        train.x.view(),
        &train.y,
        CLASSES,
        None,
        SoftmaxParams::default(),
    )
    .expect("the classifier fits");
    let train_priors = class_frequencies(&train.y, CLASSES);
    // On held-out source data: the joint confusion matrix Ĉ and p(y).
    let held_post = model.probabilities(held.x.view());
    let held_pred = argmax_rows(held_post.view());
    let c_joint = confusion_joint(&held_pred, &held.y, CLASSES);
    let p = class_frequencies(&held.y, CLASSES);
    // On the pool: predictions and posteriors, computed once.
    let pool_post = model.probabilities(pool.x.view());
    let pool_pred = argmax_rows(pool_post.view());
    ChapterSplit {
        train,
        held,
        pool,
        others,
        model,
        train_priors,
        held_post,
        held_pred,
        c_joint,
        p,
        pool_post,
        pool_pred,
    }
}
// ANCHOR_END: setup

/// The sizes of the chapter's split and how its classifier does on the
/// held-out digits ([`ChapterSplit::summary`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SplitSummary {
    /// Digits the classifier trained on.
    pub train_size: usize,
    /// Held-out source digits (Ĉ and p̂).
    pub held_out_size: usize,
    /// Pool digits (the targets).
    pub pool_size: usize,
    /// The classifier's accuracy on the held-out digits.
    pub source_accuracy: f64,
    /// The mean of its largest posterior probability on the held-out digits:
    /// below `source_accuracy` for an under-confident classifier.
    pub held_mean_top_probability: f64,
}

impl ChapterSplit {
    /// [`estimate_priors`] for a sample of the pool, given as how often each
    /// pool row occurs in it, with Ĉ and p̂ from all the held-out rows and
    /// EM's priors from the training set.
    pub fn estimate_from_pool(&self, counts: &[f64]) -> Result<Estimates, Error> {
        estimate_priors(
            counts,
            self.pool_post.view(),
            &self.pool_pred,
            self.c_joint.view(),
            self.p.view(),
            self.train_priors.view(),
        )
    }

    /// The split's sizes and the classifier's accuracy and confidence on the
    /// held-out digits.
    pub fn summary(&self) -> SplitSummary {
        let top: Vec<f64> = self
            .held_post
            .rows()
            .into_iter()
            .map(|r| r.fold(0.0f64, |a, &b| a.max(b)))
            .collect();
        SplitSummary {
            train_size: self.train.len(),
            held_out_size: self.held.len(),
            pool_size: self.pool.len(),
            source_accuracy: accuracy(&self.held_pred, &self.held.y, None),
            held_mean_top_probability: mean(&top),
        }
    }
}

/// Two estimates of the target priors q̂ from one target sample
/// ([`estimate_priors`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Estimates {
    /// BBSE's: q̂ = ŵ ⊙ p̂, renormalized after clipping.
    pub bbse: Array1<f64>,
    /// EM's ([`em_priors`]).
    pub em: Array1<f64>,
}

// ANCHOR: estimate
/// BBSE and EM from a target sample, given as how often each row of `post`
/// (posteriors) and `pred` (predicted classes) occurs in it (`counts`): each
/// returns its estimate of the target priors q̂. BBSE's `p` is the class
/// frequencies of the rows its joint confusion matrix `c` was measured on
/// (Ĉ's columns sum to them); EM's `train_priors` are the training set's, the
/// priors the classifier's posteriors were learned under. Fails with
/// [`Error::Singular`] if Ĉ is singular.
pub fn estimate_priors(
    counts: &[f64],
    post: ArrayView2<f64>,
    pred: &[usize],
    c: ArrayView2<f64>,
    p: ArrayView1<f64>,
    train_priors: ArrayView1<f64>,
) -> Result<Estimates, Error> {
    let mut mu = Array1::<f64>::zeros(p.len());
    for (&n, &i) in counts.iter().zip(pred) {
        mu[i] += n;
    }
    mu /= mu.sum();
    let w = bbse(c, mu.view())?;
    let bbse_q = &w * &p / (&w * &p).sum(); // q̂ = ŵ ⊙ p̂, renormalized after clipping
    let em = em_priors(post, Some(counts), train_priors, 1000, 1e-8)?;
    Ok(Estimates {
        bbse: bbse_q,
        em: em.priors,
    })
}
// ANCHOR_END: estimate

/// How often each of `rows` rows occurs in a sample of row indices (as
/// drawn by [`sample_with_priors`]).
///
/// ```
/// assert_eq!(stable_learning::shift::label::row_counts(&[2, 0, 2], 3), vec![1.0, 0.0, 2.0]);
/// ```
pub fn row_counts(sample: &[usize], rows: usize) -> Vec<f64> {
    let mut counts = vec![0.0; rows];
    for &i in sample {
        counts[i] += 1.0;
    }
    counts
}

/// The least-squares slope of ln y against ln x through `points` (x, y): the
/// exponent a of a power law y ∝ xᵃ.
///
/// ```
/// let pts = [(1.0, 1.0), (4.0, 0.5), (16.0, 0.25)];
/// assert!((stable_learning::shift::label::log_log_slope(&pts) + 0.5).abs() < 1e-12);
/// ```
pub fn log_log_slope(points: &[(f64, f64)]) -> f64 {
    let (xs, ys): (Vec<f64>, Vec<f64>) = points
        .iter()
        .map(|&(x, y)| (math::ln(x), math::ln(y)))
        .unzip();
    let (mx, my) = (mean(&xs), mean(&ys));
    let cov: f64 = xs.iter().zip(&ys).map(|(x, y)| (x - mx) * (y - my)).sum();
    let var: f64 = xs.iter().map(|x| (x - mx).powi(2)).sum();
    cov / var
}

/// One panel of Figure 7.1 ([`two_shifts`]): a target shift, its true class
/// weights, and the weights BBSE's and EM's estimates imply.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShiftWeights {
    /// The target priors q.
    pub priors: Vec<f64>,
    /// The true weights w = q/p̂, one per class.
    pub true_weights: Vec<f64>,
    /// BBSE's weights q̂/p̂.
    pub bbse_weights: Vec<f64>,
    /// EM's weights q̂/p̂.
    pub em_weights: Vec<f64>,
    /// ‖q̂/p̂ − w‖₂ for BBSE ([`weight_error`]).
    pub bbse_error: f64,
    /// ‖q̂/p̂ − w‖₂ for EM.
    pub em_error: f64,
    /// Σ x for d2l's equation read literally: x solves Ĉ x = μ̂ with the
    /// *joint* Ĉ. It is about Σ q/p̂, not 1.
    pub joint_solution_sum: f64,
    /// Σ x when x solves the same system with the *conditional* Ĉ: 1 up to
    /// rounding.
    pub conditional_solution_sum: f64,
}

/// What [`two_shifts`] found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TwoShifts {
    /// The tweak-one shift: class `class` has probability ρ.
    pub tweak_one: ShiftWeights,
    /// The Dirichlet shift: priors drawn from Dir(α).
    pub dirichlet: ShiftWeights,
    /// The true weight of the tweaked class, q(class)/p̂(class).
    pub tweaked_true_weight: f64,
}

// ANCHOR: two_shifts
/// Figure 7.1: one target sample of `m` pool digits for a tweak-one shift and
/// one for a Dirichlet shift (its priors drawn first), and the weights BBSE
/// and EM estimate from each; also the sums of the solutions of Ĉ x = μ̂ with
/// the joint and the conditional Ĉ (d2l's equation).
pub fn two_shifts(
    split: &ChapterSplit,
    params: &LabelShiftParams,
    rng: &mut impl Rng,
) -> Result<TwoShifts, Error> {
    params.check()?;
    let s = split;
    let tweak = Array1::from(tweak_one(CLASSES, params.class, params.rho)?);
    let dirichlet = Array1::from(dirichlet_priors(params.alpha, CLASSES, rng)?);
    let [tweak_one, dirichlet] = [&tweak, &dirichlet].map(|q| {
        let sample = sample_with_priors(&s.pool.y, q.as_slice().unwrap(), None, params.m, rng)?;
        let counts = row_counts(&sample, s.pool.len());
        let est = s.estimate_from_pool(&counts)?;
        let (w, w_bbse, w_em) = (q / &s.p, &est.bbse / &s.p, &est.em / &s.p);
        // d2l's equation read literally: solve Ĉ x = μ̂ with the *joint* Ĉ
        // and call x the target priors. It sums to about Σ q/p, not to 1.
        let predicted: Vec<usize> = sample.iter().map(|&i| s.pool_pred[i]).collect();
        let mu = class_frequencies(&predicted, CLASSES);
        let solve = |c: &Array2<f64>| {
            crate::numeric::solve::solve(c.view(), mu.view())
                .ok_or(Error::Singular("the confusion matrix"))
        };
        let x = solve(&s.c_joint)?;
        let q_cond = solve(&confusion_conditional(&s.held_pred, &s.held.y, CLASSES))?;
        Ok(ShiftWeights {
            priors: q.to_vec(),
            bbse_error: weight_error(w_bbse.view(), w.view()),
            em_error: weight_error(w_em.view(), w.view()),
            true_weights: w.to_vec(),
            bbse_weights: w_bbse.to_vec(),
            em_weights: w_em.to_vec(),
            joint_solution_sum: x.sum(),
            conditional_solution_sum: q_cond.sum(),
        })
    });
    Ok(TwoShifts {
        tweaked_true_weight: tweak[params.class] / s.p[params.class],
        tweak_one: tweak_one?,
        dirichlet: dirichlet?,
    })
}
// ANCHOR_END: two_shifts

/// What [`error_vs_m`] found: for each target sample size m, the mean weight
/// error ‖q̂/p̂ − w‖₂ over `trials` samples, as points (m, error).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorVsM {
    /// The target sample sizes m: 50, 100, 200, 500, … up to `max_m`.
    pub ms: Vec<usize>,
    /// BBSE with Ĉ exactly the confusion matrix of the distribution the
    /// target is drawn from (targets drawn from the held-out set itself).
    pub exact: Vec<(f64, f64)>,
    /// BBSE with targets from the pool and Ĉ from all held-out rows.
    pub bbse: Vec<(f64, f64)>,
    /// EM on the same targets.
    pub em: Vec<(f64, f64)>,
    /// BBSE on the same targets with Ĉ from `small_rows` held-out rows
    /// (empty if that Ĉ is singular: see `small_source_singular`).
    pub small_source: Vec<(f64, f64)>,
    /// Whether Ĉ from the first `small_rows` held-out rows is singular to
    /// working precision, so that BBSE cannot invert it: so few rows can
    /// miss a class or never predict one, and whether they do depends on
    /// the split. A result, not an error: it is why BBSE needs enough
    /// source data for an invertible Ĉ.
    pub small_source_singular: bool,
    /// The held-out rows behind `bbse`'s Ĉ.
    pub held_rows: usize,
    /// The held-out rows behind `small_source`'s Ĉ.
    pub small_rows: usize,
    /// The log-log slope of `exact` ([`log_log_slope`]): −½ in theory.
    pub exact_slope: f64,
    /// The log-log slope of the last three points of `bbse`: about 0 once it
    /// has reached its floor.
    pub pool_tail_slope: f64,
}

/// The target sample sizes m of [`error_vs_m`], up to `max_m`.
pub fn target_sizes(max_m: usize) -> Vec<usize> {
    [
        50, 100, 200, 500, 1000, 2000, 5000, 10_000, 20_000, 50_000, 100_000, 200_000, 500_000,
        1_000_000,
    ]
    .into_iter()
    .filter(|&m| m <= max_m)
    .collect()
}

// ANCHOR: error_vs_m
/// Figure 7.2: the weight error against the number m of target samples for
/// the tweak-one shift. Four curves: BBSE when Ĉ is exactly the confusion
/// matrix of the distribution the target is drawn from (targets drawn from
/// the held-out set itself: the limit of plentiful source data); BBSE and EM
/// with targets from the independent pool, Ĉ from all held-out rows; and
/// BBSE with Ĉ from only `small_source` of them.
pub fn error_vs_m(
    split: &ChapterSplit,
    params: &LabelShiftParams,
    rng: &mut impl Rng,
    progress: Progress,
) -> Result<ErrorVsM, Error> {
    params.check()?;
    let s = split;
    let tweak = Array1::from(tweak_one(CLASSES, params.class, params.rho)?);
    let small: Vec<usize> = (0..params.small_source.min(s.held.len())).collect();
    let small_held = s.held.select(&small);
    let small_pred: Vec<usize> = small.iter().map(|&i| s.held_pred[i]).collect();
    let c_small = confusion_joint(&small_pred, &small_held.y, CLASSES);
    let p_small = class_frequencies(&small_held.y, CLASSES);
    // So few rows may miss a class, or never predict one: Ĉ is singular,
    // and that curve has no points.
    let small_singular = crate::numeric::solve::solve(c_small.view(), p_small.view()).is_none();
    let ms = target_sizes(params.max_m);
    let true_w = &tweak / &s.p;
    let error = |q: &Array1<f64>| weight_error((q / &s.p).view(), true_w.view());
    let mut curves = vec![Vec::new(); 4];
    for (done, &m) in ms.iter().enumerate() {
        let mut errs = vec![Vec::new(); 4];
        for trial in 0..params.trials {
            let exact = sample_with_priors(&s.held.y, tweak.as_slice().unwrap(), None, m, rng)?;
            let e = estimate_priors(
                &row_counts(&exact, s.held.len()),
                s.held_post.view(),
                &s.held_pred,
                s.c_joint.view(),
                s.p.view(),
                s.train_priors.view(),
            )?;
            errs[0].push(error(&e.bbse));
            let target = sample_with_priors(&s.pool.y, tweak.as_slice().unwrap(), None, m, rng)?;
            let target = row_counts(&target, s.pool.len());
            let e = s.estimate_from_pool(&target)?;
            errs[1].push(error(&e.bbse));
            errs[2].push(error(&e.em));
            if !small_singular {
                let e = estimate_priors(
                    &target,
                    s.pool_post.view(),
                    &s.pool_pred,
                    c_small.view(),
                    p_small.view(),
                    s.train_priors.view(),
                )?;
                errs[3].push(error(&e.bbse));
            }
            progress(done * params.trials + trial + 1, ms.len() * params.trials);
        }
        for (curve, e) in curves.iter_mut().zip(&errs) {
            if !e.is_empty() {
                curve.push((m as f64, mean(e)));
            }
        }
    }
    let [exact, bbse, em, small_source] = <[_; 4]>::try_from(curves).expect("four curves");
    Ok(ErrorVsM {
        exact_slope: log_log_slope(&exact),
        pool_tail_slope: log_log_slope(&bbse[bbse.len().saturating_sub(3)..]),
        ms,
        exact,
        bbse,
        em,
        small_source,
        small_source_singular: small_singular,
        held_rows: s.held.len(),
        small_rows: small.len(),
    })
}
// ANCHOR_END: error_vs_m

// ANCHOR: correct
/// The accuracy on target rows `sample` (indices into `post` and `labels`)
/// after correcting the classifier's posteriors for target priors `q`: each
/// row's p(y | x) times q(y)/p_train(y), renormalized ([`adjust_posteriors`]).
pub fn corrected_accuracy(
    post: ArrayView2<f64>,
    labels: &[usize],
    sample: &[usize],
    q: ArrayView1<f64>,
    train_priors: ArrayView1<f64>,
) -> f64 {
    let post = post.select(Axis(0), sample);
    let adjusted = adjust_posteriors(post.view(), (&q / &train_priors).view());
    let labels: Vec<usize> = sample.iter().map(|&i| labels[i]).collect();
    accuracy(&argmax_rows(adjusted.view()), &labels, None)
}
// ANCHOR_END: correct

/// One row of Table 7.2 ([`correction_accuracy`]): mean target accuracy
/// under one kind of shift.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccuracyRow {
    /// The shift, as the table names it ("tweak-one, ρ = 0.9", "Dirichlet, α = 1", …).
    pub shift: String,
    /// Without correction.
    pub uncorrected: f64,
    /// Corrected with the true priors.
    pub true_weights: f64,
    /// Corrected with BBSE's estimate.
    pub bbse_weights: f64,
    /// Corrected with EM's estimate.
    pub em_weights: f64,
    /// Calibrated first (posteriors tempered by the τ that fits the held-out
    /// digits), then corrected with the true priors.
    pub calibrated_true_weights: f64,
    /// Calibrated first, then corrected with EM's estimate from the
    /// calibrated posteriors.
    pub calibrated_em_weights: f64,
}

/// What [`correction_accuracy`] found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CorrectionAccuracy {
    /// Tweak-one with ρ = `rho` and 0.9, then Dirichlet with α = 0.1, 1 and 10.
    pub rows: Vec<AccuracyRow>,
    /// How many of `m` target samples each of the nine rare classes of the
    /// ρ = 0.9 tweak-one shift gets on average: m · 0.1 / 9.
    pub rare_class_expected_count: f64,
}

// ANCHOR: correction_accuracy
/// Table 7.2: for five target shifts, `trials` target samples of `m` pool
/// digits each (for a Dirichlet shift, new priors for every sample), and the
/// mean accuracy of the classifier on them before and after correcting its
/// posteriors ([`corrected_accuracy`]) with the true and the estimated priors.
pub fn correction_accuracy(
    split: &ChapterSplit,
    params: &LabelShiftParams,
    rng: &mut impl Rng,
    progress: Progress,
) -> Result<CorrectionAccuracy, Error> {
    params.check()?;
    let s = split;
    let shifts: Vec<(String, Option<f64>)> = vec![
        (format!("tweak-one, ρ = {}", params.rho), None),
        ("tweak-one, ρ = 0.9".to_string(), None),
        ("Dirichlet, α = 0.1".to_string(), Some(0.1)),
        ("Dirichlet, α = 1".to_string(), Some(1.0)),
        ("Dirichlet, α = 10".to_string(), Some(10.0)),
    ];
    let train = s.train_priors.view();
    let correct = |post: &Array2<f64>, sample: &[usize], q: &Array1<f64>| {
        corrected_accuracy(post.view(), &s.pool.y, sample, q.view(), train)
    };
    // Calibration: the temperature that fits the held-out digits best.
    let tau = fitted_temperature(s.held_post.view(), &s.held.y);
    let calibrated = temper(s.pool_post.view(), tau);
    let mut rows = Vec::new();
    for (i, (shift, alpha)) in shifts.into_iter().enumerate() {
        let mut acc = vec![Vec::new(); 6];
        for trial in 0..params.trials {
            let q = match alpha {
                Some(a) => Array1::from(dirichlet_priors(a, CLASSES, rng)?),
                None => {
                    let rho = if i == 0 { params.rho } else { 0.9 };
                    Array1::from(tweak_one(CLASSES, params.class, rho)?)
                }
            };
            let sample = sample_with_priors(&s.pool.y, q.as_slice().unwrap(), None, params.m, rng)?;
            let counts = row_counts(&sample, s.pool.len());
            let est = s.estimate_from_pool(&counts)?;
            let em_calibrated = em_priors(calibrated.view(), Some(&counts), train, 1000, 1e-8)?;
            acc[0].push(correct(&s.pool_post, &sample, &s.train_priors));
            acc[1].push(correct(&s.pool_post, &sample, &q));
            acc[2].push(correct(&s.pool_post, &sample, &est.bbse));
            acc[3].push(correct(&s.pool_post, &sample, &est.em));
            acc[4].push(correct(&calibrated, &sample, &q));
            acc[5].push(correct(&calibrated, &sample, &em_calibrated.priors));
            progress(i * params.trials + trial + 1, 5 * params.trials);
        }
        rows.push(AccuracyRow {
            shift,
            uncorrected: mean(&acc[0]),
            true_weights: mean(&acc[1]),
            bbse_weights: mean(&acc[2]),
            em_weights: mean(&acc[3]),
            calibrated_true_weights: mean(&acc[4]),
            calibrated_em_weights: mean(&acc[5]),
        });
    }
    Ok(CorrectionAccuracy {
        rows,
        rare_class_expected_count: params.m as f64 * (1.0 - 0.9) / (CLASSES - 1) as f64,
    })
}
// ANCHOR_END: correction_accuracy

/// What [`broken_assumption`] found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BrokenAssumption {
    /// The target scanner's pixel noise k: 0 to `covariate` in eight steps.
    pub strengths: Vec<f64>,
    /// BBSE's mean weight error at each k, as points (k, error).
    pub bbse: Vec<(f64, f64)>,
    /// EM's, likewise.
    pub em: Vec<(f64, f64)>,
    /// BBSE's error at the largest k for m → ∞ target samples, computed
    /// exactly ([`expected_counts`]).
    pub bbse_limit: f64,
    /// EM's, likewise.
    pub em_limit: f64,
}

// ANCHOR: broken
/// Figure 7.3: the target's classes follow the tweak-one priors, and its
/// images come from another scanner, one that adds Gaussian noise of
/// standard deviation k to every pixel (pixels run from 0 to 1). Now
/// p(x | y) differs between source and target: the classifier errs
/// differently on the target, and BBSE's equation no longer holds. More
/// target samples would not help: the errors at the largest k for m → ∞
/// show it, exactly.
pub fn broken_assumption(
    split: &ChapterSplit,
    params: &LabelShiftParams,
    rng: &mut impl Rng,
    progress: Progress,
) -> Result<BrokenAssumption, Error> {
    params.check()?;
    let s = split;
    let tweak = Array1::from(tweak_one(CLASSES, params.class, params.rho)?);
    let true_w = &tweak / &s.p;
    let strengths: Vec<f64> = (0..=8).map(|i| params.covariate * i as f64 / 8.0).collect();
    // One draw of the scanner's noise per pixel, scaled by each k.
    let noise =
        Array2::from_shape_simple_fn(s.pool.x.dim(), || -> f64 { rng.sample(StandardNormal) });
    let (mut bbse, mut em, mut limits) = (Vec::new(), Vec::new(), [f64::NAN; 2]);
    for (done, &k) in strengths.iter().enumerate() {
        // The classifier on the target's images, as the target's scanner
        // makes them.
        let post = s.model.probabilities((&s.pool.x + &(&noise * k)).view());
        let pred = argmax_rows(post.view());
        let errors = |counts: &[f64]| {
            let train = s.train_priors.view();
            let e = estimate_priors(
                counts,
                post.view(),
                &pred,
                s.c_joint.view(),
                s.p.view(),
                train,
            )?;
            Ok::<_, Error>([
                weight_error((&e.bbse / &s.p).view(), true_w.view()),
                weight_error((&e.em / &s.p).view(), true_w.view()),
            ])
        };
        let (mut eb, mut ee) = (Vec::new(), Vec::new());
        for trial in 0..params.trials {
            let q = tweak.as_slice().unwrap();
            let sample = sample_with_priors(&s.pool.y, q, None, params.m, rng)?;
            let [b, e] = errors(&row_counts(&sample, s.pool.len()))?;
            eb.push(b);
            ee.push(e);
            progress(
                done * params.trials + trial + 1,
                strengths.len() * params.trials,
            );
        }
        bbse.push((k, mean(&eb)));
        em.push((k, mean(&ee)));
        if done == strengths.len() - 1 {
            // m → ∞ at the largest k: each row's share of an endless sample.
            let limit = expected_counts(&s.pool.y, tweak.as_slice().unwrap(), None)?;
            limits = errors(&limit)?;
        }
    }
    let [bbse_limit, em_limit] = limits;
    Ok(BrokenAssumption {
        strengths,
        bbse,
        em,
        bbse_limit,
        em_limit,
    })
}
// ANCHOR_END: broken

/// One setting of Table 7.1 ([`floors`]): its mean floors over the re-splits.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FloorSetting {
    /// Held-out digits behind Ĉ and p̂.
    pub held_rows: usize,
    /// Pool digits the targets are drawn from.
    pub target_rows: usize,
    /// Whether EM reads the posteriors tempered by the τ fitted to the
    /// held-out digits ([`temper`]), or as trained.
    pub tempered: bool,
    /// BBSE's mean floor.
    pub bbse: f64,
    /// EM's mean floor.
    pub em: f64,
}

/// What [`floors`] found: the weight error for m → ∞ target samples
/// (computed exactly) under the tweak-one shift.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Floors {
    /// BBSE's floor on the chapter's split.
    pub bbse: f64,
    /// EM's floor on the chapter's split.
    pub em: f64,
    /// BBSE's floor with Ĉ from only `small_rows` held-out digits (NaN if
    /// that Ĉ is singular, as [`ErrorVsM::small_source_singular`] reports).
    pub small_source_bbse: f64,
    /// The size of the small sets: `small_source`, at most the held-out set
    /// and the pool.
    pub small_rows: usize,
    /// The temperature τ with the lowest log-loss on the chapter's held-out
    /// digits ([`fitted_temperature`]).
    pub fitted_tau: f64,
    /// EM's floor on the chapter's split with its posteriors tempered by
    /// `fitted_tau`.
    pub em_fitted_tau: f64,
    /// Re-splits in the means of `resplit` (those whose small Ĉ is
    /// invertible; the means are NaN if there is none).
    pub resplits: usize,
    /// The mean fitted τ over the re-splits.
    pub resplit_mean_tau: f64,
    /// Table 7.1's rows: all rows; Ĉ from `small_rows` held-out rows;
    /// targets from `small_rows` pool rows; EM's posteriors tempered.
    pub resplit: Vec<FloorSetting>,
}

// ANCHOR: floors
/// Table 7.1, and the floors of Figure 7.2, exactly: as m → ∞ a target
/// sample holds row i of class j a fraction q_j / n_j of the time
/// ([`expected_counts`]), and BBSE and EM fed those fractions give the errors
/// the curves level off at. First on the chapter's split, then on `trials`
/// random re-splits of the same digits, four settings each.
pub fn floors(
    split: &ChapterSplit,
    params: &LabelShiftParams,
    rng: &mut impl Rng,
    progress: Progress,
) -> Result<Floors, Error> {
    params.check()?;
    let s = split;
    let tweak = Array1::from(tweak_one(CLASSES, params.class, params.rho)?);
    // `others` holds the digits the classifier never trained on, the
    // held-out set first, then the pool. Ĉ comes from rows `c_rows`, p̂ from
    // rows `p_rows` (a set that contains them), targets from rows
    // `target_rows`, and EM reads the posteriors tempered by τ.
    let others_post = s.model.probabilities(s.others.x.view());
    let others_pred = argmax_rows(others_post.view()); // the same at every τ
    let labels_of = |rows: &[usize]| rows.iter().map(|&i| s.others.y[i]).collect::<Vec<_>>();
    let floor = |c_rows: &[usize], p_rows: &[usize], target_rows: &[usize], tau: f64| {
        let pred_of = |rows: &[usize]| rows.iter().map(|&i| others_pred[i]).collect::<Vec<_>>();
        let c = confusion_joint(&pred_of(c_rows), &labels_of(c_rows), CLASSES);
        let p_c = class_frequencies(&labels_of(c_rows), CLASSES);
        let p_ref = class_frequencies(&labels_of(p_rows), CLASSES);
        let counts =
            expected_counts(&labels_of(target_rows), tweak.as_slice().unwrap(), None).ok()?;
        let post = temper(others_post.select(Axis(0), target_rows).view(), tau);
        let pred = pred_of(target_rows);
        let train = s.train_priors.view();
        let e = estimate_priors(&counts, post.view(), &pred, c.view(), p_c.view(), train).ok()?;
        let w = &tweak / &p_ref;
        Some([
            weight_error((&e.bbse / &p_ref).view(), w.view()),
            weight_error((&e.em / &p_ref).view(), w.view()),
        ])
    };
    // The temperature that fits rows `rows` best.
    let best_tau = |rows: &[usize]| {
        fitted_temperature(others_post.select(Axis(0), rows).view(), &labels_of(rows))
    };
    let (n_held, n_pool) = (s.held.len(), s.pool.len());
    let n_small = params.small_source.min(n_held).min(n_pool);
    // The chapter's own split first: the floors its curves approach.
    let held_rows: Vec<usize> = (0..n_held).collect();
    let pool_rows: Vec<usize> = (n_held..s.others.len()).collect();
    let singular = || Error::Singular("the confusion matrix");
    let at_infinity = floor(&held_rows, &held_rows, &pool_rows, 1.0).ok_or_else(singular)?;
    let small_at_infinity =
        floor(&held_rows[..n_small], &held_rows, &pool_rows, 1.0).unwrap_or([f64::NAN; 2]);
    let fitted_tau = best_tau(&held_rows);
    let em_fitted_tau =
        floor(&held_rows, &held_rows, &pool_rows, fitted_tau).ok_or_else(singular)?[1];
    // Then `trials` random re-splits of the same digits, four settings each.
    let mut settings_floors: Vec<Vec<[f64; 2]>> = vec![Vec::new(); 4];
    let mut taus = Vec::new();
    for trial in 0..params.trials {
        let mut rows: Vec<usize> = (0..s.others.len()).collect();
        rows.shuffle(rng);
        let (h, t) = rows.split_at(n_held);
        let tau = best_tau(h);
        let settings = [
            floor(h, h, t, 1.0),
            floor(&h[..n_small], h, t, 1.0),
            floor(h, h, &t[..n_small], 1.0),
            floor(h, h, t, tau),
        ];
        // A re-split whose small Ĉ is singular is skipped, in every setting.
        if settings.iter().all(Option::is_some) {
            for (f, v) in settings_floors.iter_mut().zip(settings) {
                f.push(v.expect("checked"));
            }
            taus.push(tau);
        }
        progress(trial + 1, params.trials);
    }
    let shapes = [
        (n_held, n_pool, false),
        (n_small, n_pool, false),
        (n_held, n_small, false),
        (n_held, n_pool, true),
    ];
    let resplit = shapes
        .into_iter()
        .zip(&settings_floors)
        .map(|((held_rows, target_rows, tempered), f)| FloorSetting {
            held_rows,
            target_rows,
            tempered,
            bbse: mean(&f.iter().map(|v| v[0]).collect::<Vec<_>>()),
            em: mean(&f.iter().map(|v| v[1]).collect::<Vec<_>>()),
        })
        .collect();
    Ok(Floors {
        bbse: at_infinity[0],
        em: at_infinity[1],
        small_source_bbse: small_at_infinity[0],
        small_rows: n_small,
        fitted_tau,
        em_fitted_tau,
        resplits: taus.len(),
        resplit_mean_tau: mean(&taus),
        resplit,
    })
}
// ANCHOR_END: floors

/// Every experiment of the chapter on one split ([`over_splits`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SplitResults {
    /// The split and its classifier.
    pub summary: SplitSummary,
    /// [`two_shifts`].
    pub shifts: TwoShifts,
    /// [`error_vs_m`].
    pub errors: ErrorVsM,
    /// [`correction_accuracy`].
    pub accuracy: CorrectionAccuracy,
    /// [`broken_assumption`].
    pub broken: BrokenAssumption,
    /// [`floors`].
    pub floors: Floors,
}

// ANCHOR: over_splits
/// The chapter's experiments repeated on `seeds` independent splits of the
/// digits, in parallel. Split r, and the classifier trained on it, come from
/// `stream(seed, "chapter_split", r)`; each experiment on it draws from its
/// own `stream(seed, NAME, r)`, so changing one experiment's parameters
/// leaves the others' results as they were.
pub fn over_splits(
    params: &LabelShiftParams,
    seed: u64,
    progress: Progress,
) -> Result<Vec<SplitResults>, Error> {
    params.check()?;
    let p = params;
    // Progress reports per split: one per trial of each experiment's
    // settings (target sizes, shifts, strengths, re-splits).
    let per_split = p.trials * (target_sizes(p.max_m).len() + 5 + 9 + 1);
    let runs = repeat_counted(p.seeds, p.seeds * per_split, progress, |r, step| {
        let r = r as u64;
        let tick = &mut |_: usize, _: usize| step();
        let split = chapter_split(&mut stream(seed, "chapter_split", r));
        Ok(SplitResults {
            summary: split.summary(),
            shifts: two_shifts(&split, p, &mut stream(seed, "two_shifts", r))?,
            errors: error_vs_m(&split, p, &mut stream(seed, "error_vs_m", r), tick)?,
            accuracy: correction_accuracy(
                &split,
                p,
                &mut stream(seed, "correction_accuracy", r),
                tick,
            )?,
            broken: broken_assumption(&split, p, &mut stream(seed, "broken_assumption", r), tick)?,
            floors: floors(&split, p, &mut stream(seed, "floors", r), tick)?,
        })
    });
    runs.into_iter().collect()
}
// ANCHOR_END: over_splits

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
    fn out_of_range_parameters_are_refused_before_any_work() {
        use rand::{SeedableRng, rngs::StdRng};
        assert_eq!(LabelShiftParams::default().check(), Ok(()));
        let split = chapter_split(&mut StdRng::seed_from_u64(42));
        let rng = &mut StdRng::seed_from_u64(0);
        let with = |change: fn(&mut LabelShiftParams)| {
            let mut params = LabelShiftParams::default();
            change(&mut params);
            params
        };
        let refused = |r: Result<(), Error>, field: &str, range: &str| {
            let err = r.unwrap_err();
            assert!(
                matches!(err, Error::Parameter { name, .. } if name == field),
                "{err}"
            );
            assert!(err.to_string().contains(range), "{err}");
        };
        let p = with(|p| p.rho = 1.5);
        refused(two_shifts(&split, &p, rng).map(drop), "rho", "[0, 1]");
        let p = with(|p| p.small_source = 10);
        let r = error_vs_m(&split, &p, rng, &mut crate::quiet);
        refused(r.map(drop), "small_source", "20..=500");
        let p = with(|p| p.m = 0);
        let r = correction_accuracy(&split, &p, rng, &mut crate::quiet);
        refused(r.map(drop), "m", "10..=1000000");
        let p = with(|p| p.covariate = f64::NAN);
        let r = broken_assumption(&split, &p, rng, &mut crate::quiet);
        refused(r.map(drop), "covariate", "[0, 2]");
        let p = with(|p| p.seeds = 0);
        refused(
            over_splits(&p, 0, &mut crate::quiet).map(drop),
            "seeds",
            "1..=100",
        );
        let p = with(|p| p.class = 10);
        refused(
            floors(&split, &p, rng, &mut crate::quiet).map(drop),
            "class",
            "0..=9",
        );
        // In range, yet too few rows for an invertible Ĉ on this split: a
        // result (no small-source curve, a NaN floor), not an error.
        let p = with(|p| {
            p.small_source = 20;
            p.max_m = 100;
            p.trials = 2;
        });
        let r = error_vs_m(&split, &p, rng, &mut crate::quiet).unwrap();
        assert!(
            r.small_source_singular && r.small_source.is_empty(),
            "{r:?}"
        );
        assert_eq!(r.bbse.len(), r.ms.len(), "{r:?}");
        let f = floors(&split, &p, rng, &mut crate::quiet).unwrap();
        assert!(f.small_source_bbse.is_nan() && f.bbse.is_finite(), "{f:?}");
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
