//! Plain stochastic gradient descent, with optional gradient-norm clipping.

use crate::nn::mlp::{Gradients, Mlp};

/// SGD: W ← W − η ∂L/∂W for every weight and bias.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sgd {
    /// The learning rate η.
    pub learning_rate: f64,
    /// If set to τ, rescale the gradient to norm τ whenever its global norm
    /// exceeds τ (Pascanu, Mikolov & Bengio 2013).
    pub clip_norm: Option<f64>,
}

impl Sgd {
    /// SGD without clipping.
    pub fn new(learning_rate: f64) -> Sgd {
        Sgd {
            learning_rate,
            clip_norm: None,
        }
    }

    /// One update. With clipping, returns the gradient's global norm before
    /// clipping (which may be inf or NaN: the caller decides what a blow-up
    /// means); without, returns `None` and skips computing the norm.
    pub fn step(&self, net: &mut Mlp, grads: &Gradients) -> Option<f64> {
        let norm = self.clip_norm.map(|_| grads.global_norm());
        let clip = match (self.clip_norm, norm) {
            (Some(tau), Some(norm)) => clip_factor(norm, tau),
            _ => 1.0,
        };
        let scale = self.learning_rate * clip;
        for (layer, (gw, gb)) in net
            .layers
            .iter_mut()
            .zip(grads.weights.iter().zip(&grads.biases))
        {
            layer.weights.scaled_add(-scale, gw);
            layer.biases.scaled_add(-scale, gb);
        }
        norm
    }
}

/// The factor that clips a gradient of norm `norm` to norm at most `tau`:
/// min(1, τ/‖g‖). A gradient with no finite norm is zeroed (factor 0): its
/// direction is meaningless.
///
/// ```
/// use stable_learning::nn::optim::clip_factor;
/// assert_eq!(clip_factor(0.5, 1.0), 1.0);
/// assert_eq!(clip_factor(4.0, 1.0), 0.25);
/// assert_eq!(clip_factor(f64::INFINITY, 1.0), 0.0);
/// ```
pub fn clip_factor(norm: f64, tau: f64) -> f64 {
    if !norm.is_finite() {
        0.0
    } else if norm > tau {
        tau / norm
    } else {
        1.0
    }
}

/// Clips a gradient vector in place to norm at most τ; returns the norm before.
///
/// ```
/// let mut g = vec![3.0, 4.0];
/// assert_eq!(stable_learning::nn::optim::clip_by_norm(&mut g, 1.0), 5.0);
/// assert!((g[0] - 0.6).abs() < 1e-15 && (g[1] - 0.8).abs() < 1e-15);
/// ```
pub fn clip_by_norm(g: &mut [f64], tau: f64) -> f64 {
    let norm = g.iter().map(|v| v * v).sum::<f64>().sqrt();
    let f = clip_factor(norm, tau);
    g.iter_mut().for_each(|v| *v *= f);
    norm
}
