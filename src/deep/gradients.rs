//! Measuring how gradients grow and shrink with depth.
//!
//! The pieces behind the chapter "Vanishing and exploding gradients": a chain
//! of scalar layers, long products of random matrices and their growth rate,
//! the per-layer gradient norms of a deep MLP at initialization, and gradient
//! descent on a scalar chain with and without clipping.

use ndarray::{Array2, ArrayView2};
use rand::Rng;

use crate::nn::activation::Activation;
use crate::nn::init::Init;
use crate::nn::loss;
use crate::nn::mlp::{Mlp, layer_sizes};
use crate::nn::optim::clip_factor;
use crate::numeric::linalg::{frobenius, gaussian_matrix};

/// The output of an identity network with scalar weight `w` in every layer,
/// after l = 0, 1, …, `depth` layers, for input 1: the values wˡ, computed
/// layer by layer as the network would.
///
/// ```
/// let h = stable_learning::deep::gradients::scalar_chain(0.2, 30);
/// assert!((h[30] / 1.073741824e-21 - 1.0).abs() < 1e-12);
/// ```
pub fn scalar_chain(w: f64, depth: usize) -> Vec<f64> {
    let mut h = Vec::with_capacity(depth + 1);
    let mut value = 1.0;
    h.push(value);
    for _ in 0..depth {
        value *= w;
        h.push(value);
    }
    h
}

/// The largest absolute entry of each partial product M₁, M₁M₂, …, M₁⋯M_k of
/// `factors` random (dim × dim) N(0, 1) matrices (d2l's experiment, which
/// prints the product after 100 factors).
pub fn matrix_product_growth(factors: usize, dim: usize, rng: &mut impl Rng) -> Vec<f64> {
    let mut product = Array2::<f64>::eye(dim);
    (0..factors)
        .map(|_| {
            product = product.dot(&gaussian_matrix(dim, dim, rng));
            product.iter().fold(0.0, |m: f64, v| m.max(v.abs()))
        })
        .collect()
}

/// The growth rate per factor of a sequence that grows geometrically:
/// exp of the least-squares slope of ln(values[k]) against k, over the finite,
/// positive values from index `skip` on. NaN if fewer than two remain.
///
/// ```
/// let v: Vec<f64> = (0..20).map(|k| 3.0 * 1.5f64.powi(k)).collect();
/// assert!((stable_learning::deep::gradients::growth_rate(&v, 0) - 1.5).abs() < 1e-12);
/// ```
pub fn growth_rate(values: &[f64], skip: usize) -> f64 {
    let pts: Vec<(f64, f64)> = values
        .iter()
        .enumerate()
        .skip(skip)
        .filter(|(_, v)| v.is_finite() && **v > 0.0)
        .map(|(k, v)| (k as f64, v.ln()))
        .collect();
    if pts.len() < 2 {
        return f64::NAN;
    }
    let n = pts.len() as f64;
    let mx = pts.iter().map(|p| p.0).sum::<f64>() / n;
    let my = pts.iter().map(|p| p.1).sum::<f64>() / n;
    let sxy: f64 = pts.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
    let sxx: f64 = pts.iter().map(|p| (p.0 - mx) * (p.0 - mx)).sum();
    (sxy / sxx).exp()
}

/// The digamma function ψ at n/2 for a whole number n ≥ 1, from
/// ψ(1) = −γ, ψ(½) = −γ − 2 ln 2 and ψ(x + 1) = ψ(x) + 1/x.
pub fn digamma_half(n: usize) -> f64 {
    assert!(n >= 1, "digamma_half needs n ≥ 1");
    const EULER_GAMMA: f64 = 0.577_215_664_901_532_9;
    let (mut x, mut psi) = if n.is_multiple_of(2) {
        (1.0, -EULER_GAMMA)
    } else {
        (0.5, -EULER_GAMMA - 2.0 * std::f64::consts::LN_2)
    };
    while x < n as f64 / 2.0 - 1e-9 {
        psi += 1.0 / x;
        x += 1.0;
    }
    psi
}

/// The theoretical growth rate per factor of a product of (n × n) matrices
/// with independent N(0, 1) entries: e^λ with the top Lyapunov exponent
/// λ = ½(ln 2 + ψ(n/2)) (Newman 1986, Commun. Math. Phys. 103).
///
/// ```
/// let r = stable_learning::deep::gradients::gaussian_product_growth_rate(4);
/// assert!((r - 1.7469).abs() < 1e-3);
/// ```
pub fn gaussian_product_growth_rate(n: usize) -> f64 {
    (0.5 * (std::f64::consts::LN_2 + digamma_half(n))).exp()
}

/// What a deep MLP looks like at initialization, layer by layer (input side
/// first; one entry per layer, the output layer last).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct LayerProfile {
    /// ‖∂L/∂W⁽ˡ⁾‖_F.
    pub weight_grad_norm: Vec<f64>,
    /// ‖∂L/∂h⁽ˡ⁻¹⁾‖_F, the gradient arriving at layer l's input.
    pub input_grad_norm: Vec<f64>,
    /// The standard deviation of each layer's activations h⁽ˡ⁾.
    pub activation_std: Vec<f64>,
    /// The softmax cross-entropy loss at initialization.
    pub loss: f64,
}

/// Builds an MLP with `depth` hidden layers of `width` units, hidden
/// activation `act` and weights from `init`, on inputs `x` with `labels`
/// (10 classes), and measures one forward and backward pass of softmax
/// cross-entropy.
pub fn profile_at_init(
    x: ArrayView2<f64>,
    labels: &[usize],
    depth: usize,
    width: usize,
    act: Activation,
    init: Init,
    rng: &mut impl Rng,
) -> LayerProfile {
    let classes = labels.iter().max().map_or(1, |m| m + 1);
    let sizes = layer_sizes(x.ncols(), width, depth, classes);
    let net = Mlp::new(&sizes, act, init, rng);
    let fwd = net.forward(x);
    let l = loss::softmax_cross_entropy(fwd.output().view(), labels);
    let grads = net.backward(&fwd, l.grad.view());
    LayerProfile {
        weight_grad_norm: grads.weight_norms(),
        input_grad_norm: grads.inputs.iter().map(frobenius).collect(),
        activation_std: fwd.post[1..]
            .iter()
            .map(|h| crate::numeric::stats::variance(h.as_slice().expect("contiguous")).sqrt())
            .collect(),
        loss: l.value,
    }
}

/// One step of gradient descent on a scalar chain, as recorded by
/// [`descend_scalar_chain`].
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct ChainStep {
    /// The loss ½(∏ wₗ − y)² before the step.
    pub loss: f64,
    /// The norm of the gradient before clipping.
    pub grad_norm: f64,
}

/// Gradient descent on the scalar chain f(w) = w₁w₂⋯w_L with loss
/// ½(f(w) − y)², every wₗ starting at `w0`. ∂L/∂wₖ = (f − y) ∏_{j≠k} wⱼ.
/// With `clip = Some(τ)` the gradient is rescaled to norm ≤ τ.
/// Stops early, after recording it, when the loss stops being finite.
///
/// ```
/// use stable_learning::deep::gradients::descend_scalar_chain;
/// let clipped = descend_scalar_chain(30, 1.1, 1.0, 0.01, 200, Some(1.0));
/// assert!(clipped.last().unwrap().loss < 1e-6);
/// ```
pub fn descend_scalar_chain(
    depth: usize,
    w0: f64,
    target: f64,
    learning_rate: f64,
    steps: usize,
    clip: Option<f64>,
) -> Vec<ChainStep> {
    let mut w = vec![w0; depth];
    let mut history = Vec::with_capacity(steps);
    for _ in 0..steps {
        // prefix[k] = w₁⋯wₖ, suffix[k] = wₖ₊₁⋯w_L: products without division.
        let mut prefix = vec![1.0; depth + 1];
        for k in 0..depth {
            prefix[k + 1] = prefix[k] * w[k];
        }
        let mut suffix = vec![1.0; depth + 1];
        for k in (0..depth).rev() {
            suffix[k] = suffix[k + 1] * w[k];
        }
        let residual = prefix[depth] - target;
        let loss = 0.5 * residual * residual;
        let grad: Vec<f64> = (0..depth)
            .map(|k| residual * prefix[k] * suffix[k + 1])
            .collect();
        let grad_norm = grad.iter().map(|g| g * g).sum::<f64>().sqrt();
        history.push(ChainStep { loss, grad_norm });
        if !loss.is_finite() {
            break;
        }
        let factor = clip.map_or(1.0, |tau| clip_factor(grad_norm, tau));
        for (wk, g) in w.iter_mut().zip(&grad) {
            *wk -= learning_rate * factor * g;
        }
    }
    history
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digamma_known_values() {
        // ψ(1) = −γ, ψ(2) = 1 − γ, ψ(3/2) = 2 − γ − 2 ln 2.
        let g = 0.5772156649015329;
        assert!((digamma_half(2) + g).abs() < 1e-15);
        assert!((digamma_half(4) - (1.0 - g)).abs() < 1e-15);
        assert!((digamma_half(3) - (2.0 - g - 2.0 * 2f64.ln())).abs() < 1e-15);
    }
}
