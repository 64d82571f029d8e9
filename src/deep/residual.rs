//! Chapter "Order, chaos and dynamical isometry": residual connections at
//! initialization.
//!
//! A residual layer adds its input back: `h⁽ˡ⁾ = h⁽ˡ⁻¹⁾ + α F(h⁽ˡ⁻¹⁾)`, here
//! with the branch `F(h) = W φ(h)`, ReLU and He-scaled weights
//! (`W ~ N(0, 2/n)`), so that the branch alone keeps the second moment:
//! `E|F(h)|² = |h|²`. The branch is uncorrelated with its input at
//! initialization, so each layer multiplies the second moment by `1 + α²`,
//! and a gradient's squared norm on the way back by the same factor: after
//! L layers `(1 + α²)^L`. With `α = 1` that is `2^L`, which is why deep
//! residual networks scale their branches down: by `1/√L`, which keeps
//! `(1 + 1/L)^L < e`, or by a learned `α` that starts at 0 (SkipInit, De &
//! Smith 2020), which starts every layer as the identity.

use ndarray::Array2;
use rand::Rng;
use serde::{Deserialize, Serialize};

use crate::nn::activation::Activation;
use crate::numeric::kernels::matmul;
use crate::numeric::linalg::gaussian_matrix;

/// How the layers are joined.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub enum Stack {
    /// `h⁽ˡ⁾ = φ(W h⁽ˡ⁻¹⁾)` with He weights: the plain network of chapter 4.
    Plain,
    /// `h⁽ˡ⁾ = h⁽ˡ⁻¹⁾ + α W φ(h⁽ˡ⁻¹⁾)`.
    Residual {
        /// The branch's scale α.
        alpha: f64,
    },
}

impl Stack {
    /// The wide-network prediction for the factor by which one layer
    /// multiplies the second moment (and a gradient's squared norm).
    pub fn factor_per_layer(self) -> f64 {
        match self {
            Stack::Plain => 1.0,
            Stack::Residual { alpha } => 1.0 + alpha * alpha,
        }
    }
}

/// Second moments forward and gradient norms backward through one network.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StackProfile {
    /// How its layers are joined.
    pub stack: Stack,
    /// `mean_i h_i⁽ˡ⁾²` divided by the input's, l = 0 … L.
    pub second_moment: Vec<f64>,
    /// `|∂loss/∂h⁽ˡ⁾|²` divided by the output's, for a random output
    /// gradient, l = 0 … L.
    pub gradient: Vec<f64>,
}

// ANCHOR: stack_profile
/// Pushes a batch of `batch` Gaussian inputs through `depth` layers of
/// `width` units joined as `stack`, then a random output gradient back.
pub fn stack_profile(
    stack: Stack,
    width: usize,
    depth: usize,
    batch: usize,
    rng: &mut impl Rng,
) -> StackProfile {
    let n = width as f64;
    let phi = Activation::Relu;
    let mean_square = |a: &Array2<f64>| a.iter().map(|v| v * v).sum::<f64>() / a.len() as f64;
    let mut h = gaussian_matrix(width, batch, rng);
    let start = mean_square(&h);
    let mut second_moment = vec![1.0];
    let mut weights = Vec::with_capacity(depth);
    // φ' where each layer applied φ: at W x (plain) or at x (the branch).
    let mut slopes = Vec::with_capacity(depth);
    for _ in 0..depth {
        let w = gaussian_matrix(width, width, rng) * (2.0 / n).sqrt();
        let next = match stack {
            Stack::Plain => {
                let z = matmul(w.view(), h.view());
                slopes.push(z.mapv(|v| phi.derivative(v)));
                phi.apply_all(z.view())
            }
            Stack::Residual { alpha } => {
                slopes.push(h.mapv(|v| phi.derivative(v)));
                let branch = matmul(w.view(), phi.apply_all(h.view()).view());
                &h + &(branch * alpha)
            }
        };
        weights.push(w);
        h = next;
        second_moment.push(mean_square(&h) / start);
    }
    // Backward: g⁽ˡ⁻¹⁾ = J⁽ˡ⁾ᵀ g⁽ˡ⁾.
    let mut g = gaussian_matrix(width, batch, rng);
    let end = mean_square(&g);
    let mut gradient = vec![1.0];
    for (w, slope) in weights.iter().zip(&slopes).rev() {
        g = match stack {
            // h = φ(W x): g_x = Wᵀ (φ'(W x) ⊙ g).
            Stack::Plain => matmul(w.t(), (slope * &g).view()),
            // h = x + α W φ(x): g_x = g + α φ'(x) ⊙ (Wᵀ g).
            Stack::Residual { alpha } => {
                let back = matmul(w.t(), g.view());
                &g + &(slope * &back * alpha)
            }
        };
        gradient.push(mean_square(&g) / end);
    }
    gradient.reverse();
    StackProfile {
        stack,
        second_moment,
        gradient,
    }
}
// ANCHOR_END: stack_profile

#[cfg(test)]
mod tests {
    use super::*;
    use crate::numeric::random::stream;

    #[test]
    fn residual_branches_add_variance_layer_by_layer() {
        // One network's ratio scatters by tens of percent around the
        // prediction (a log-variance of about 5L/n for ReLU layers); the mean
        // over ten networks by about a tenth.
        let (width, depth, seeds) = (512, 8, 10);
        for stack in [
            Stack::Plain,
            Stack::Residual { alpha: 1.0 },
            Stack::Residual {
                alpha: 1.0 / (depth as f64).sqrt(),
            },
            Stack::Residual { alpha: 0.0 },
        ] {
            let predicted = stack.factor_per_layer().powi(depth as i32);
            let (mut forward, mut backward) = (0.0, 0.0);
            for seed in 0..seeds {
                let p = stack_profile(stack, width, depth, 16, &mut stream(seed, "residual", 0));
                forward += p.second_moment[depth] / predicted / seeds as f64;
                backward += p.gradient[0] / predicted / seeds as f64;
            }
            assert!(
                (forward - 1.0).abs() < 0.3,
                "{stack:?}: forward {forward} of the prediction"
            );
            assert!(
                (backward - 1.0).abs() < 0.3,
                "{stack:?}: backward {backward} of the prediction"
            );
        }
    }
}
