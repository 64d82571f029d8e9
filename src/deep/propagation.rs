//! How signals and gradients propagate through the layers of a network at
//! initialization: per-layer statistics, layer Jacobians and their singular
//! values, and signal propagation through very deep stacks.

use ndarray::{Array1, Array2, ArrayView2, Axis};
use rand::Rng;

use crate::nn::activation::Activation;
use crate::nn::init::Init;
use crate::nn::loss;
use crate::nn::mlp::{Forward, Gradients, Mlp};
use crate::numeric::linalg::singular_values;
use crate::numeric::stats::{mean, variance};

/// What one forward and backward pass shows about each layer.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct LayerStats {
    /// Layer number, 1 = first hidden layer.
    pub layer: usize,
    /// Mean of the activations h⁽ˡ⁾.
    pub activation_mean: f64,
    /// Variance of the activations h⁽ˡ⁾.
    pub activation_var: f64,
    /// Variance of the back-propagated gradients δ⁽ˡ⁾ = ∂L/∂z⁽ˡ⁾.
    pub delta_var: f64,
    /// Variance of the weight gradients ∂L/∂W⁽ˡ⁾.
    pub weight_grad_var: f64,
}

/// A network's forward and backward pass on a batch, kept for histograms.
#[derive(Debug, Clone)]
pub struct Snapshot {
    /// The forward pass.
    pub forward: Forward,
    /// The backward pass of softmax cross-entropy.
    pub grads: Gradients,
}

impl Snapshot {
    /// One forward and backward pass of softmax cross-entropy on `x`, `labels`.
    pub fn take(net: &Mlp, x: ArrayView2<f64>, labels: &[usize]) -> Snapshot {
        let forward = net.forward(x);
        let l = loss::softmax_cross_entropy(forward.output().view(), labels);
        let grads = net.backward(&forward, l.grad.view());
        Snapshot { forward, grads }
    }

    /// Statistics of every layer except the output layer.
    pub fn hidden_stats(&self) -> Vec<LayerStats> {
        let hidden = self.forward.pre.len() - 1;
        (0..hidden)
            .map(|l| {
                let h = flat(&self.forward.post[l + 1]);
                LayerStats {
                    layer: l + 1,
                    activation_mean: mean(&h),
                    activation_var: variance(&h),
                    delta_var: variance(&flat(&self.grads.deltas[l])),
                    weight_grad_var: variance(&flat(&self.grads.weights[l])),
                }
            })
            .collect()
    }
}

/// The entries of a matrix as a vector.
pub fn flat(a: &Array2<f64>) -> Vec<f64> {
    a.iter().copied().collect()
}

/// The Jacobian ∂h⁽ˡ⁺¹⁾/∂h⁽ˡ⁾ = diag(φ'(z⁽ˡ⁺¹⁾)) W⁽ˡ⁺¹⁾ᵀ of layer l+1 for one
/// example (row `example` of the batch); `l` counts from 1 (the first hidden
/// layer's output) as in Glorot & Bengio's ∂z⁽ⁱ⁺¹⁾/∂z⁽ⁱ⁾.
pub fn layer_jacobian(net: &Mlp, forward: &Forward, l: usize, example: usize) -> Array2<f64> {
    let layer = &net.layers[l];
    let slopes = forward.pre[l]
        .row(example)
        .mapv(|z| layer.activation.derivative(z));
    let mut j = layer.weights.t().to_owned();
    for (mut row, s) in j.axis_iter_mut(Axis(0)).zip(slopes.iter()) {
        row *= *s;
    }
    j
}

/// The average of the singular values of a matrix.
pub fn mean_singular_value(j: ArrayView2<f64>) -> f64 {
    mean(&singular_values(j))
}

/// The mean of the quarter-circle law, 8/(3π) ≈ 0.849: the average singular
/// value of a large square matrix with independent entries of variance 1/n
/// (Marchenko & Pastur 1967). A matrix with n·Var(W) = c has average singular
/// value 8√c/(3π).
pub fn quarter_circle_mean() -> f64 {
    8.0 / (3.0 * std::f64::consts::PI)
}

/// The root-mean-square of each layer's activations as a batch goes through
/// `depth` square layers of `width` = x.ncols() units with weights drawn fresh
/// from `init` for every layer and no biases, once for each activation in
/// `acts` (all through the same weights, so the comparison is paired).
/// Entry `[a][l]` is the RMS of h⁽ˡ⁾ for activation a (l = 0 is the input).
/// Only one layer is kept in memory, so `depth` can be in the thousands.
/// Overflow shows as inf and underflow as 0: both are results.
/// `on_layer` is called after every layer (for a progress bar).
pub fn propagate_deep(
    x: ArrayView2<f64>,
    depth: usize,
    acts: &[Activation],
    init: Init,
    rng: &mut impl Rng,
    mut on_layer: impl FnMut(),
) -> Vec<Vec<f64>> {
    let width = x.ncols();
    // Via the scaled Frobenius norm, so that tiny values do not underflow
    // when squared: the RMS reaches 0 only when every entry has.
    let rms = |h: &Array2<f64>| crate::numeric::linalg::frobenius(h) / (h.len() as f64).sqrt();
    let mut hs: Vec<Array2<f64>> = acts.iter().map(|_| x.to_owned()).collect();
    let mut out: Vec<Vec<f64>> = acts.iter().map(|_| vec![rms(&x.to_owned())]).collect();
    for _ in 0..depth {
        let w = init.weights(width, width, rng);
        for ((h, act), series) in hs.iter_mut().zip(acts).zip(out.iter_mut()) {
            *h = act.apply_all(crate::numeric::linalg::matmul(h.view(), w.view()).view());
            series.push(rms(h));
        }
        on_layer();
    }
    out
}

/// The per-unit mean of a batch's activations: useful to see a layer's bias.
pub fn unit_means(h: &Array2<f64>) -> Array1<f64> {
    h.mean_axis(Axis(0)).expect("a non-empty batch")
}
