//! Distribution shift: when the data a model meets is not the data it learned
//! from.
//!
//! A model is trained to make the *empirical risk* small on source samples
//! (xᵢ, yᵢ) ~ p, while what we care about is the *risk* under the target
//! distribution q:
//!
//! ```text
//! R_q(f) = 𝔼[ℓ(f(x), y)] over (x, y) ~ q
//!        = 𝔼[q(x,y)/p(x,y) · ℓ(f(x), y)] over (x, y) ~ p
//!        ≈ (1/n) Σᵢ βᵢ ℓ(f(xᵢ), yᵢ),
//! ```
//!
//! with importance weights βᵢ = q(xᵢ, yᵢ)/p(xᵢ, yᵢ) (weighted
//! empirical risk minimization). Each kind of shift says which part of
//! p(x, y) changes, and so what the weight depends on:
//!
//! | module | what changes | the weight |
//! |---|---|---|
//! | [`covariate`] | p(x), with p(y \| x) fixed | β(x) = q(x)/p(x) |
//! | [`label`] | p(y), with p(x \| y) fixed | β(y) = q(y)/p(y) |
//! | [`concept`] | p(y \| x) itself, over time | none: detect ([`drift`]) and retrain |
//! | [`feedback`] | what is observed, through the model's own decisions | 1 / P(observed) |
//! | [`bandit`] | which outcome is observed: only that of the arm chosen | none: keep exploring |
//! | [`selective`] | whose outcome is observed: only those the model accepts | explore, and 1 / P(accepted) |

pub mod bandit;
pub mod concept;
pub mod covariate;
pub mod drift;
pub mod feedback;
pub mod label;
pub mod logistic;
pub mod selective;

/// The weighted empirical risk (1/n) Σᵢ βᵢ ℓᵢ of
/// per-sample losses `losses` with importance weights `weights`.
///
/// ```
/// use stable_learning::shift::weighted_risk;
/// // Unit weights give the plain empirical risk.
/// assert_eq!(weighted_risk(&[1.0, 3.0], &[1.0, 1.0]), 2.0);
/// assert_eq!(weighted_risk(&[1.0, 3.0], &[0.0, 2.0]), 3.0);
/// ```
pub fn weighted_risk(losses: &[f64], weights: &[f64]) -> f64 {
    assert_eq!(losses.len(), weights.len(), "one weight per loss");
    losses.iter().zip(weights).map(|(l, b)| l * b).sum::<f64>() / losses.len() as f64
}

/// Clips every weight at `c`: βᵢ ← min(βᵢ, c) (d2l's
/// remedy for a few huge weights).
///
/// ```
/// assert_eq!(stable_learning::shift::clip_weights(&[0.5, 3.0, 40.0], 10.0), vec![0.5, 3.0, 10.0]);
/// ```
pub fn clip_weights(weights: &[f64], c: f64) -> Vec<f64> {
    weights.iter().map(|&b| b.min(c)).collect()
}

/// Flattens the weights, βᵢ ← βᵢ^λ with
/// 0 ≤ λ ≤ 1 (Shimodaira 2000): λ = 0 is unweighted, λ = 1 fully
/// weighted; in between trades bias for variance.
///
/// ```
/// let w = stable_learning::shift::flatten_weights(&[4.0, 0.25], 0.5);
/// assert_eq!(w, vec![2.0, 0.5]);
/// ```
pub fn flatten_weights(weights: &[f64], lambda: f64) -> Vec<f64> {
    weights
        .iter()
        .map(|&b| crate::numeric::math::powf(b, lambda))
        .collect()
}

/// The effective sample size (Σᵢ βᵢ)² / Σᵢ βᵢ² of a
/// weighted sample: n for equal weights, 1 when one weight dominates. A large
/// shift spends most of the sample on a few points.
///
/// ```
/// use stable_learning::shift::effective_sample_size;
/// assert_eq!(effective_sample_size(&[1.0; 8]), 8.0);
/// assert!((effective_sample_size(&[1.0, 0.0, 0.0]) - 1.0).abs() < 1e-12);
/// ```
pub fn effective_sample_size(weights: &[f64]) -> f64 {
    let s: f64 = weights.iter().sum();
    let s2: f64 = weights.iter().map(|b| b * b).sum();
    s * s / s2
}
