//! Chapter "Order, chaos and dynamical isometry": the singular values of a
//! deep network's input–output Jacobian at initialization (Pennington,
//! Schoenholz & Ganguli 2017).
//!
//! At the edge of chaos (χ₁ = 1) a gradient keeps its size *on average*
//! through any depth: the mean of the squared singular values of
//! `J = ∂z⁽ᴸ⁾/∂z⁽⁰⁾` stays 1. What still differs between initializations is
//! the *spread* of those singular values: a few directions amplified and
//! most crushed is an ill-conditioned network that trains slowly, even if
//! the average is right. *Dynamical isometry* is every singular value near 1.
//!
//! `J = W⁽ᴸ⁾ D⁽ᴸ⁻¹⁾ ⋯ W⁽¹⁾ D⁽⁰⁾` with `D⁽ˡ⁾ = diag(φ'(z⁽ˡ⁾))`; it is built
//! layer by layer, one matrix product per layer.

use ndarray::{Array2, Axis};
use rand::Rng;
use serde::{Deserialize, Serialize};

use crate::deep::mean_field::MeanField;
use crate::nn::activation::Activation;
use crate::numeric::kernels::matmul;
use crate::numeric::linalg::{gaussian_matrix, random_orthogonal, singular_values};

/// How the weight matrices are drawn (both scaled to variance `σ_w²/n` per
/// entry).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Weights {
    /// Independent Gaussian entries.
    Gaussian,
    /// A uniformly random orthogonal matrix times `σ_w`: all its singular
    /// values equal `σ_w`.
    Orthogonal,
}

impl Weights {
    /// `W`'s S-transform coefficient s₁ (Pennington et al. 2017): −1 for
    /// Gaussian (Wishart) matrices, 0 for orthogonal ones.
    pub fn s1(self) -> f64 {
        match self {
            Weights::Gaussian => -1.0,
            Weights::Orthogonal => 0.0,
        }
    }

    /// Its name in figures and tables.
    pub fn name(self) -> &'static str {
        match self {
            Weights::Gaussian => "Gaussian",
            Weights::Orthogonal => "orthogonal",
        }
    }

    fn draw(self, n: usize, sigma_w: f64, rng: &mut impl Rng) -> Array2<f64> {
        match self {
            Weights::Gaussian => gaussian_matrix(n, n, rng) * (sigma_w / (n as f64).sqrt()),
            Weights::Orthogonal => random_orthogonal(n, n, rng) * sigma_w,
        }
    }
}

/// The Jacobian's singular values at one depth.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct JacobianSpectrum {
    /// Layers between input and output.
    pub depth: usize,
    /// The mean of the squared singular values, `tr(JJᵀ)/n` (1 at the edge
    /// of chaos for every depth, up to finite-width noise).
    pub mean_squared: f64,
    /// The variance of the squared singular values, `tr((JJᵀ)²)/n − mean²`.
    pub variance_squared: f64,
    /// The largest singular value.
    pub largest: f64,
    /// Every singular value, descending (those below about 1e-8 of the
    /// largest are not resolved: they come from the eigenvalues of JᵀJ).
    pub singular_values: Vec<f64>,
}

// ANCHOR: jacobian_spectra
/// One network's Jacobian spectra at several depths: `width` units per
/// layer, weights of kind `weights` with variance `σ_w²/width`, biases
/// `N(0, σ_b²)`, and an input of length `q0` per unit (the mean-field fixed
/// point q* makes every layer alike). `depths` must be ascending; the
/// network is as deep as the last of them.
pub fn jacobian_spectra(
    field: &MeanField,
    weights: Weights,
    q0: f64,
    width: usize,
    depths: &[usize],
    rng: &mut impl Rng,
) -> Vec<JacobianSpectrum> {
    assert!(
        depths.windows(2).all(|w| w[0] < w[1]),
        "depths must be ascending"
    );
    let n = width;
    let sigma_w = field.sigma_w2.sqrt();
    let sigma_b = field.sigma_b2.sqrt();
    let mut z = gaussian_matrix(n, 1, rng) * q0.sqrt();
    let mut jacobian = Array2::eye(n);
    let mut out = Vec::with_capacity(depths.len());
    let mut wanted = depths.iter().peekable();
    // Depth 0: the identity.
    if wanted.peek() == Some(&&0) {
        wanted.next();
        out.push(spectrum(0, &jacobian));
    }
    let deepest = depths.last().copied().unwrap_or(0);
    for layer in 1..=deepest {
        // J ← W D J: scale J's rows by φ'(z), then multiply by W.
        let slopes = z.column(0).mapv(|v| field.activation.derivative(v));
        jacobian *= &slopes.view().insert_axis(Axis(1));
        let w = weights.draw(n, sigma_w, rng);
        jacobian = matmul(w.view(), jacobian.view());
        let h = field.activation.apply_all(z.view());
        z = matmul(w.view(), h.view()) + gaussian_matrix(n, 1, rng) * sigma_b;
        if wanted.peek() == Some(&&layer) {
            wanted.next();
            out.push(spectrum(layer, &jacobian));
        }
    }
    out
}
// ANCHOR_END: jacobian_spectra

fn spectrum(depth: usize, jacobian: &Array2<f64>) -> JacobianSpectrum {
    let n = jacobian.nrows() as f64;
    let singular_values = singular_values(jacobian.view());
    let squares: Vec<f64> = singular_values.iter().map(|s| s * s).collect();
    let mean_squared = squares.iter().sum::<f64>() / n;
    let second = squares.iter().map(|l| l * l).sum::<f64>() / n;
    JacobianSpectrum {
        depth,
        mean_squared,
        variance_squared: second - mean_squared * mean_squared,
        largest: singular_values.first().copied().unwrap_or(0.0),
        singular_values,
    }
}

/// The moments `μ_k = E[φ'(√q z)^{2k}]` of the squared slopes, k = 1, 2.
pub fn slope_moments(activation: Activation, q: f64) -> (f64, f64) {
    let rule = crate::deep::mean_field::default_rule();
    let s = q.sqrt();
    let m1 = rule.expect(|z| activation.derivative(s * z).powi(2));
    let m2 = rule.expect(|z| activation.derivative(s * z).powi(4));
    (m1, m2)
}

/// The wide-network prediction for the variance of the squared singular
/// values at the edge of chaos after `depth` layers:
/// `depth · (μ₂/μ₁² − 1 − s₁)` (Pennington, Schoenholz & Ganguli 2017).
pub fn predicted_variance(activation: Activation, weights: Weights, q: f64, depth: usize) -> f64 {
    let (m1, m2) = slope_moments(activation, q);
    depth as f64 * (m2 / (m1 * m1) - 1.0 - weights.s1())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::numeric::random::stream;

    #[test]
    fn the_spread_of_singular_values_follows_the_wide_network_formula() {
        // At the edge of chaos, six layers of 256 units, sixteen networks
        // each: one network's variance scatters by a factor of two or more
        // around the formula (ReLU most).
        let (width, depth, seeds) = (256, 6, 16u64);
        let b = 1e-4;
        let w = crate::deep::mean_field::critical_sigma_w2(Activation::Tanh, b).unwrap();
        let tanh = MeanField::new(Activation::Tanh, w, b);
        let q_tanh = tanh.fixed_length().unwrap();
        let cases = [
            (
                MeanField::new(Activation::Identity, 1.0, 0.0),
                1.0,
                Weights::Gaussian,
            ),
            (
                MeanField::new(Activation::Relu, 2.0, 0.0),
                1.0,
                Weights::Gaussian,
            ),
            (
                MeanField::new(Activation::Relu, 2.0, 0.0),
                1.0,
                Weights::Orthogonal,
            ),
            (tanh.clone(), q_tanh, Weights::Gaussian),
            (tanh.clone(), q_tanh, Weights::Orthogonal),
        ];
        let mut per_seed = vec![Vec::new(); seeds as usize];
        for (i, (field, q, weights)) in cases.iter().enumerate() {
            let predicted = predicted_variance(field.activation, *weights, *q, depth);
            let runs: Vec<JacobianSpectrum> = (0..seeds)
                .map(|seed| {
                    let rng = &mut stream(seed, "iso", i as u64);
                    jacobian_spectra(field, *weights, *q, width, &[depth], rng).remove(0)
                })
                .collect();
            let mean = runs.iter().map(|s| s.mean_squared).sum::<f64>() / seeds as f64;
            let values: Vec<f64> = runs.iter().map(|s| s.variance_squared).collect();
            for (seed, v) in values.iter().enumerate() {
                per_seed[seed].push(*v);
            }
            // The average over networks of the mean squared singular value is 1.
            assert!((mean - 1.0).abs() < 0.2, "case {i}: mean {mean}");
            // The average variance agrees with the formula within three
            // standard errors of that average, plus 10% for the formula being
            // exact only for infinitely wide layers.
            let average = values.iter().sum::<f64>() / seeds as f64;
            let spread = crate::numeric::stats::variance(&values).sqrt() / (seeds as f64).sqrt();
            assert!(
                (average - predicted).abs() < 3.0 * spread + 0.1 * predicted,
                "case {i}: {average} ± {spread} vs {predicted}"
            );
        }
        // On every network, orthogonal tanh is the best conditioned by far.
        for v in per_seed {
            assert!(v[..4].iter().all(|&other| v[4] < 0.05 * other), "{v:?}");
        }
    }

    #[test]
    fn orthogonal_linear_networks_are_exact_isometries() {
        let field = MeanField::new(Activation::Identity, 1.0, 0.0);
        let spectra = jacobian_spectra(
            &field,
            Weights::Orthogonal,
            1.0,
            64,
            &[1, 10, 100],
            &mut stream(0, "iso", 0),
        );
        for s in spectra {
            assert!(
                s.singular_values.iter().all(|v| (v - 1.0).abs() < 1e-9),
                "depth {}",
                s.depth
            );
            assert!(s.variance_squared.abs() < 1e-9);
        }
    }
}
