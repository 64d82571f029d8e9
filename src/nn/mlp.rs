//! A multilayer perceptron that keeps everything the book wants to look at.
//!
//! Layer l computes z⁽ˡ⁾ = h⁽ˡ⁻¹⁾ W⁽ˡ⁾ + b⁽ˡ⁾ and h⁽ˡ⁾ = φ⁽ˡ⁾(z⁽ˡ⁾), with
//! h⁽⁰⁾ = X, a (batch × n_in) matrix. The forward pass stores every z and h;
//! the backward pass returns every weight gradient ∂L/∂W⁽ˡ⁾ and every
//! back-propagated gradient ∂L/∂h⁽ˡ⁾, so chapters can plot them layer by layer.

use ndarray::{Array1, Array2, ArrayView2, Axis};
use rand::{Rng, RngExt};

use crate::nn::activation::Activation;
use crate::nn::init::Init;
use crate::numeric::kernels::matmul;
use crate::numeric::linalg::frobenius;

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
    /// The dropout mask of each layer (index l − 1), if dropout was used:
    /// entries 0 (dropped) or 1/(1 − p) (kept), so h⁽ˡ⁾ = φ(z⁽ˡ⁾) ⊙ mask.
    pub masks: Vec<Option<Array2<f64>>>,
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
    /// δ⁽ˡ⁾ = ∂L/∂z⁽ˡ⁾ (index l − 1): the back-propagated gradient at each
    /// layer's pre-activation (Glorot & Bengio's ∂Cost/∂s).
    pub deltas: Vec<Array2<f64>>,
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

/// The layer widths of a network with `depth` hidden layers of `width`
/// units: `[inputs, width, …, width, outputs]`, as [`Mlp::new`] takes them.
///
/// ```
/// assert_eq!(stable_learning::nn::mlp::layer_sizes(64, 100, 3, 10), vec![64, 100, 100, 100, 10]);
/// ```
pub fn layer_sizes(inputs: usize, width: usize, depth: usize, outputs: usize) -> Vec<usize> {
    let mut sizes = vec![inputs];
    sizes.extend(std::iter::repeat_n(width, depth));
    sizes.push(outputs);
    sizes
}

impl Mlp {
    /// A network with layer widths `sizes` (input first, output last): hidden
    /// layers use `hidden`, the output layer is linear (identity); all weights
    /// drawn from `init`.
    ///
    /// ```
    /// use rand::{SeedableRng, rngs::StdRng};
    /// use stable_learning::nn::{activation::Activation, init::Init, mlp::Mlp};
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
        self.forward_with(x, |_, _| None)
    }

    /// The forward pass with (inverted) dropout on every hidden layer: each
    /// hidden unit's output is zeroed with probability `p` and the survivors
    /// are scaled by 1/(1 − p), so the expected activation is unchanged
    /// (Srivastava et al. 2014). The output layer is never dropped.
    pub fn forward_dropout(&self, x: ArrayView2<f64>, p: f64, rng: &mut impl Rng) -> Forward {
        assert!(
            (0.0..1.0).contains(&p),
            "dropout probability must be in [0, 1)"
        );
        let last = self.layers.len() - 1;
        self.forward_with(x, |l, shape| {
            (l < last && p > 0.0).then(|| {
                let keep = 1.0 / (1.0 - p);
                Array2::from_shape_simple_fn(shape, || {
                    if rng.random::<f64>() < p { 0.0 } else { keep }
                })
            })
        })
    }

    fn forward_with(
        &self,
        x: ArrayView2<f64>,
        mut mask_for: impl FnMut(usize, (usize, usize)) -> Option<Array2<f64>>,
    ) -> Forward {
        let mut pre = Vec::with_capacity(self.layers.len());
        let mut post = Vec::with_capacity(self.layers.len() + 1);
        let mut masks = Vec::with_capacity(self.layers.len());
        post.push(x.to_owned());
        for (l, layer) in self.layers.iter().enumerate() {
            let mut z = matmul(post.last().unwrap().view(), layer.weights.view());
            z += &layer.biases;
            let mut h = layer.activation.apply_all(z.view());
            let mask = mask_for(l, h.dim());
            if let Some(m) = &mask {
                h *= m;
            }
            post.push(h);
            pre.push(z);
            masks.push(mask);
        }
        Forward { pre, post, masks }
    }

    /// Only the output, without keeping the intermediate layers.
    pub fn predict(&self, x: ArrayView2<f64>) -> Array2<f64> {
        let mut h = x.to_owned();
        for layer in &self.layers {
            let mut z = matmul(h.view(), layer.weights.view());
            z += &layer.biases;
            h = layer.activation.apply_all(z.view());
        }
        h
    }

    /// The backward pass. `d_output` is ∂L/∂h⁽ᴸ⁾ (from a loss in [`crate::nn::loss`]).
    ///
    /// For each layer, from the output down:
    /// δ⁽ˡ⁾ = ∂L/∂z⁽ˡ⁾ = ∂L/∂h⁽ˡ⁾ ⊙ φ'(z⁽ˡ⁾) (⊙ the dropout mask, if any),
    /// ∂L/∂W⁽ˡ⁾ = h⁽ˡ⁻¹⁾ᵀ δ⁽ˡ⁾, ∂L/∂b⁽ˡ⁾ = Σ_batch δ⁽ˡ⁾, ∂L/∂h⁽ˡ⁻¹⁾ = δ⁽ˡ⁾ W⁽ˡ⁾ᵀ.
    pub fn backward(&self, forward: &Forward, d_output: ArrayView2<f64>) -> Gradients {
        let n = self.layers.len();
        let mut weights = vec![Array2::zeros((0, 0)); n];
        let mut biases = vec![Array1::zeros(0); n];
        let mut inputs = vec![Array2::zeros((0, 0)); n];
        let mut deltas = vec![Array2::zeros((0, 0)); n];
        for l in (0..n).rev() {
            let layer = &self.layers[l];
            // ∂L/∂h⁽ˡ⁺¹⁾: the loss's gradient, or what the layer above sent.
            let d_h = if l + 1 == n {
                d_output
            } else {
                inputs[l + 1].view()
            };
            let (z, h) = (forward.pre[l].view(), forward.post[l + 1].view());
            let delta = match forward.masks.get(l).and_then(Option::as_ref) {
                None => layer.activation.times_derivative(d_h, z, h),
                Some(mask) => &d_h * mask * layer.activation.derivative_all(z),
            };
            weights[l] = matmul(forward.post[l].t(), delta.view());
            biases[l] = delta.sum_axis(Axis(0));
            inputs[l] = matmul(delta.view(), layer.weights.t());
            deltas[l] = delta;
        }
        Gradients {
            weights,
            biases,
            inputs,
            deltas,
        }
    }

    /// The number of layers L.
    pub fn depth(&self) -> usize {
        self.layers.len()
    }
}
