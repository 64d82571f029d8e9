//! A multilayer perceptron that keeps everything the book wants to look at.
//!
//! Layer l computes z⁽ˡ⁾ = h⁽ˡ⁻¹⁾ W⁽ˡ⁾ + b⁽ˡ⁾ and h⁽ˡ⁾ = φ⁽ˡ⁾(z⁽ˡ⁾), with
//! h⁽⁰⁾ = X, a (batch × n_in) matrix. The forward pass stores every z and h;
//! the backward pass returns every weight gradient ∂L/∂W⁽ˡ⁾ and every
//! back-propagated gradient ∂L/∂h⁽ˡ⁾, so chapters can plot them layer by layer.

use ndarray::{Array1, Array2, ArrayView2, Axis};
use rand::Rng;

use crate::activation::Activation;
use crate::init::Init;

/// One fully connected layer: weights (n_in × n_out), biases (n_out) and its
/// activation.
#[derive(Debug, Clone, PartialEq)]
pub struct Layer {
    /// W, shape (n_in, n_out).
    pub weights: Array2<f64>,
    /// b, length n_out.
    pub biases: Array1<f64>,
    /// φ, applied after the affine map.
    pub activation: Activation,
}

/// A stack of [`Layer`]s.
#[derive(Debug, Clone, PartialEq)]
pub struct Mlp {
    /// The layers, input side first.
    pub layers: Vec<Layer>,
}

/// Everything the forward pass computed.
#[derive(Debug, Clone)]
pub struct Forward {
    /// z⁽ˡ⁾ for l = 1..=L (index l − 1).
    pub pre: Vec<Array2<f64>>,
    /// h⁽ˡ⁾ for l = 0..=L: `post[0]` is the input X, `post[L]` the output.
    pub post: Vec<Array2<f64>>,
}

impl Forward {
    /// The network's output h⁽ᴸ⁾.
    pub fn output(&self) -> &Array2<f64> {
        self.post
            .last()
            .expect("a forward pass has at least the input")
    }
}

/// Everything the backward pass computed.
#[derive(Debug, Clone)]
pub struct Gradients {
    /// ∂L/∂W⁽ˡ⁾ (index l − 1), same shape as the weights.
    pub weights: Vec<Array2<f64>>,
    /// ∂L/∂b⁽ˡ⁾ (index l − 1).
    pub biases: Vec<Array1<f64>>,
    /// ∂L/∂h⁽ˡ⁾ for l = 0..L−1 (index l): the gradient arriving at each layer's
    /// input, `inputs[0]` being ∂L/∂X.
    pub inputs: Vec<Array2<f64>>,
}

impl Gradients {
    /// The global Euclidean norm of all weight and bias gradients,
    /// √(Σ ‖∂L/∂W⁽ˡ⁾‖²_F + ‖∂L/∂b⁽ˡ⁾‖²).
    pub fn global_norm(&self) -> f64 {
        let w: f64 = self
            .weights
            .iter()
            .map(|g| g.iter().map(|v| v * v).sum::<f64>())
            .sum();
        let b: f64 = self
            .biases
            .iter()
            .map(|g| g.iter().map(|v| v * v).sum::<f64>())
            .sum();
        (w + b).sqrt()
    }

    /// ‖∂L/∂W⁽ˡ⁾‖_F for every layer, input side first.
    pub fn weight_norms(&self) -> Vec<f64> {
        self.weights.iter().map(frobenius).collect()
    }
}

/// The Frobenius norm √(Σ aᵢⱼ²).
pub fn frobenius(a: &Array2<f64>) -> f64 {
    a.iter().map(|v| v * v).sum::<f64>().sqrt()
}

impl Mlp {
    /// A network with layer widths `sizes` (input first, output last): hidden
    /// layers use `hidden`, the output layer is linear (identity); all weights
    /// drawn from `init`.
    ///
    /// ```
    /// use rand::{SeedableRng, rngs::StdRng};
    /// use stable_learning::{activation::Activation, init::Init, mlp::Mlp};
    /// let mut rng = StdRng::seed_from_u64(0);
    /// let net = Mlp::new(&[64, 32, 10], Activation::Tanh, Init::TorchLinear, &mut rng);
    /// assert_eq!(net.layers.len(), 2);
    /// assert_eq!(net.layers[0].weights.dim(), (64, 32));
    /// ```
    pub fn new(sizes: &[usize], hidden: Activation, init: Init, rng: &mut impl Rng) -> Mlp {
        assert!(
            sizes.len() >= 2,
            "an MLP needs at least input and output sizes"
        );
        let last = sizes.len() - 2;
        let layers = sizes
            .windows(2)
            .enumerate()
            .map(|(i, pair)| {
                let (n_in, n_out) = (pair[0], pair[1]);
                Layer {
                    weights: init.weights(n_in, n_out, rng),
                    biases: init.biases(n_in, n_out, rng),
                    activation: if i == last {
                        Activation::Identity
                    } else {
                        hidden
                    },
                }
            })
            .collect();
        Mlp { layers }
    }

    /// The forward pass, keeping every pre-activation and activation.
    pub fn forward(&self, x: ArrayView2<f64>) -> Forward {
        let mut pre = Vec::with_capacity(self.layers.len());
        let mut post = Vec::with_capacity(self.layers.len() + 1);
        post.push(x.to_owned());
        for layer in &self.layers {
            let z = post.last().unwrap().dot(&layer.weights) + &layer.biases;
            post.push(layer.activation.apply_all(z.view()));
            pre.push(z);
        }
        Forward { pre, post }
    }

    /// Only the output, without keeping the intermediate layers.
    pub fn predict(&self, x: ArrayView2<f64>) -> Array2<f64> {
        let mut h = x.to_owned();
        for layer in &self.layers {
            let z = h.dot(&layer.weights) + &layer.biases;
            h = layer.activation.apply_all(z.view());
        }
        h
    }

    /// The backward pass. `d_output` is ∂L/∂h⁽ᴸ⁾ (from a loss in [`crate::loss`]).
    ///
    /// For each layer, from the output down:
    /// δ⁽ˡ⁾ = ∂L/∂z⁽ˡ⁾ = ∂L/∂h⁽ˡ⁾ ⊙ φ'(z⁽ˡ⁾),
    /// ∂L/∂W⁽ˡ⁾ = h⁽ˡ⁻¹⁾ᵀ δ⁽ˡ⁾, ∂L/∂b⁽ˡ⁾ = Σ_batch δ⁽ˡ⁾, ∂L/∂h⁽ˡ⁻¹⁾ = δ⁽ˡ⁾ W⁽ˡ⁾ᵀ.
    pub fn backward(&self, forward: &Forward, d_output: ArrayView2<f64>) -> Gradients {
        let n = self.layers.len();
        let mut weights = vec![Array2::zeros((0, 0)); n];
        let mut biases = vec![Array1::zeros(0); n];
        let mut inputs = vec![Array2::zeros((0, 0)); n];
        let mut d_h = d_output.to_owned();
        for l in (0..n).rev() {
            let layer = &self.layers[l];
            let delta = match layer.activation {
                Activation::Identity => d_h,
                act => d_h * act.derivative_all(forward.pre[l].view()),
            };
            weights[l] = forward.post[l].t().dot(&delta);
            biases[l] = delta.sum_axis(Axis(0));
            d_h = delta.dot(&layer.weights.t());
            inputs[l] = d_h.clone();
        }
        Gradients {
            weights,
            biases,
            inputs,
        }
    }

    /// The number of layers L.
    pub fn depth(&self) -> usize {
        self.layers.len()
    }
}
