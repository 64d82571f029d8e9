//! Chapter 1, *Vanishing and exploding gradients*: measuring how gradients
//! grow and shrink with depth.
//!
//! The pieces: a chain of scalar layers ([`scalar_chain`]), long products of
//! random matrices and their growth rate ([`matrix_product_growth`],
//! [`growth_rate`], [`gaussian_product_growth_rate`]), the per-layer gradient
//! norms of a deep MLP at initialization ([`profile_at_init`]), and gradient
//! descent on a scalar chain with and without clipping
//! ([`descend_scalar_chain`]). The chapter's experiments, one per figure, are
//! at the end: [`scalar_chains`], [`sigmoid_saturation`], [`matrix_products`],
//! [`deep_mlp_at_init`] and [`clipping`].
//!
//! Results may hold ±∞ and NaN (an overflowed loss is a result, not an
//! error). JSON has no such numbers, so the result types write them as the
//! strings `"inf"`, `"-inf"` and `"NaN"` and read them back.

use ndarray::{Array2, ArrayView2};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};

use crate::nn::activation::{Activation, sigmoid};
use crate::nn::data::{CLASSES, Dataset};
use crate::nn::init::Init;
use crate::nn::loss;
use crate::nn::mlp::{Mlp, layer_sizes};
use crate::nn::optim::clip_factor;
use crate::numeric::linalg::{frobenius, gaussian_matrix, matmul};
use crate::numeric::math;
use crate::numeric::random::{repeat_counted, stream};
use crate::numeric::stats::{Faults, Spread, nonfinite, quantile};
use crate::{Error, Progress, Range};

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
            product = matmul(product.view(), gaussian_matrix(dim, dim, rng).view());
            product.iter().fold(0.0, |m: f64, v| m.max(v.abs()))
        })
        .collect()
}

/// The growth rate per factor of a sequence that grows geometrically:
/// exp of the least-squares slope of ln(`values[k]`) against k, over the finite,
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
        .map(|(k, v)| (k as f64, math::ln(*v)))
        .collect();
    if pts.len() < 2 {
        return f64::NAN;
    }
    let n = pts.len() as f64;
    let mx = pts.iter().map(|p| p.0).sum::<f64>() / n;
    let my = pts.iter().map(|p| p.1).sum::<f64>() / n;
    let sxy: f64 = pts.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
    let sxx: f64 = pts.iter().map(|p| (p.0 - mx) * (p.0 - mx)).sum();
    math::exp(sxy / sxx)
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
    math::exp(0.5 * (std::f64::consts::LN_2 + digamma_half(n)))
}

/// What a deep MLP looks like at initialization, layer by layer (input side
/// first; one entry per layer, the output layer last).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LayerProfile {
    /// ‖∂L/∂W⁽ˡ⁾‖_F.
    #[serde(with = "nonfinite::vec")]
    pub weight_grad_norm: Vec<f64>,
    /// ‖∂L/∂h⁽ˡ⁻¹⁾‖_F, the gradient arriving at layer l's input.
    #[serde(with = "nonfinite::vec")]
    pub input_grad_norm: Vec<f64>,
    /// The standard deviation of each layer's activations h⁽ˡ⁾.
    #[serde(with = "nonfinite::vec")]
    pub activation_std: Vec<f64>,
    /// The softmax cross-entropy loss at initialization.
    #[serde(with = "nonfinite")]
    pub loss: f64,
}

/// Builds an MLP with `depth` hidden layers of `width` units, hidden
/// activation `act` and weights from `init`, on inputs `x` with `labels`
/// (digits: always 10 output classes, whichever labels the batch holds),
/// and measures one forward and backward pass of softmax cross-entropy.
pub fn profile_at_init(
    x: ArrayView2<f64>,
    labels: &[usize],
    depth: usize,
    width: usize,
    act: Activation,
    init: Init,
    rng: &mut impl Rng,
) -> LayerProfile {
    let sizes = layer_sizes(x.ncols(), width, depth, CLASSES);
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
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ChainStep {
    /// The loss ½(∏ wₗ − y)² before the step.
    #[serde(with = "nonfinite")]
    pub loss: f64,
    /// The norm of the gradient before clipping.
    #[serde(with = "nonfinite")]
    pub grad_norm: f64,
}

/// Gradient descent on the scalar chain f(w) = w₁w₂⋯w_L with loss
/// ½(f(w) − y)², every wₗ starting at `w0`. ∂L/∂wₖ = (f − y) · (the product of every wⱼ but wₖ).
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

// The chapter's experiments.

/// What [`scalar_chains`] found: the output of the scalar identity network
/// after l = 0, 1, …, depth layers (index l), for three weights.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScalarChains {
    /// Weight 0.2: the values 0.2ˡ, which vanish.
    #[serde(with = "nonfinite::vec")]
    pub small: Vec<f64>,
    /// Weight 5: the values 5ˡ, which explode.
    #[serde(with = "nonfinite::vec")]
    pub large: Vec<f64>,
    /// Weight 0.25, the sigmoid's largest slope: the values 0.25ˡ, the bound
    /// on a chain of l sigmoid derivatives.
    #[serde(with = "nonfinite::vec")]
    pub sigmoid_bound: Vec<f64>,
}

/// Allowed depths of [`scalar_chains`].
pub const CHAIN_DEPTH: Range = Range::whole(1, 1000);

// ANCHOR: scalar_chains
/// An identity network with one scalar weight per layer, `depth` layers
/// deep, for the weights 0.2, 5 and 0.25: after l layers the output is wˡ.
/// Small weights vanish, large ones explode.
pub fn scalar_chains(depth: usize) -> Result<ScalarChains, Error> {
    CHAIN_DEPTH.check_whole("depth", depth)?;
    Ok(ScalarChains {
        small: scalar_chain(0.2, depth),
        large: scalar_chain(5.0, depth),
        sigmoid_bound: scalar_chain(0.25, depth),
    })
}
// ANCHOR_END: scalar_chains

/// What [`sigmoid_saturation`] found: the sigmoid σ and its derivative σ'
/// on a grid, and σ' at three points.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SigmoidSaturation {
    /// The grid: −8 to 8 in steps of 0.05.
    pub x: Vec<f64>,
    /// σ(x) at each point of the grid.
    pub sigmoid: Vec<f64>,
    /// σ'(x) = σ(x)(1 − σ(x)) at each point of the grid.
    pub derivative: Vec<f64>,
    /// σ'(0) = 1/4, the largest slope.
    pub derivative_at_0: f64,
    /// σ'(4): already saturating.
    pub derivative_at_4: f64,
    /// σ'(8): saturated.
    pub derivative_at_8: f64,
}

// ANCHOR: sigmoid_saturation
/// The sigmoid and its derivative on [−8, 8] (after d2l's Figure 5.4.1): the
/// derivative never exceeds 1/4 and dies on both sides.
pub fn sigmoid_saturation() -> SigmoidSaturation {
    let x: Vec<f64> = (0..=320).map(|i| -8.0 + i as f64 * 0.05).collect();
    let s = Activation::Sigmoid;
    SigmoidSaturation {
        sigmoid: x.iter().map(|&x| sigmoid(x)).collect(),
        derivative: x.iter().map(|&x| s.derivative(x)).collect(),
        derivative_at_0: s.derivative(0.0),
        derivative_at_4: s.derivative(4.0),
        derivative_at_8: s.derivative(8.0),
        x,
    }
}
// ANCHOR_END: sigmoid_saturation

/// The parameters of [`matrix_products`]; `Default` gives the book's.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MatrixProductParams {
    /// Random matrices multiplied together in each trial.
    pub factors: usize,
    /// Size n of the n × n matrices.
    pub dim: usize,
    /// Independent trials, each with its own seed.
    pub trials: usize,
}

impl MatrixProductParams {
    /// Allowed numbers of factors.
    pub const FACTORS: Range = Range::whole(1, 10_000);
    /// Allowed matrix sizes n.
    pub const DIM: Range = Range::whole(1, 64);
    /// Allowed numbers of trials.
    pub const TRIALS: Range = Range::whole(1, 10_000);

    /// Checks every parameter against its range ([`Error::Parameter`] names
    /// the first one out of range).
    pub fn check(&self) -> Result<(), Error> {
        Self::FACTORS.check_whole("factors", self.factors)?;
        Self::DIM.check_whole("dim", self.dim)?;
        Self::TRIALS.check_whole("trials", self.trials)?;
        Ok(())
    }
}

impl Default for MatrixProductParams {
    fn default() -> Self {
        MatrixProductParams {
            factors: 100,
            dim: 4,
            trials: 200,
        }
    }
}

/// How a quantity is spread over many seeds: quantiles of its finite values
/// ([`quantile`]; NaN when none is finite).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Quantiles {
    /// The smallest value.
    #[serde(with = "nonfinite")]
    pub min: f64,
    /// The 10% quantile.
    #[serde(with = "nonfinite")]
    pub q10: f64,
    /// The median.
    #[serde(with = "nonfinite")]
    pub median: f64,
    /// The 90% quantile.
    #[serde(with = "nonfinite")]
    pub q90: f64,
    /// The largest value.
    #[serde(with = "nonfinite")]
    pub max: f64,
}

impl Quantiles {
    /// The quantiles of `xs`.
    ///
    /// ```
    /// let s = stable_learning::deep::gradients::Quantiles::of(&[3.0, 1.0, 2.0]);
    /// assert_eq!((s.min, s.median, s.max), (1.0, 2.0, 3.0));
    /// ```
    pub fn of(xs: &[f64]) -> Quantiles {
        Quantiles {
            min: quantile(xs, 0.0),
            q10: quantile(xs, 0.1),
            median: quantile(xs, 0.5),
            q90: quantile(xs, 0.9),
            max: quantile(xs, 1.0),
        }
    }
}

/// What [`matrix_products`] found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MatrixProducts {
    /// The largest absolute entry of the product M₁⋯M_k, spread over the
    /// trials, for k = 1, …, `factors` (at index k − 1).
    pub largest_entry: Vec<Quantiles>,
    /// Each trial's growth rate per factor: [`growth_rate`] of its curve,
    /// skipping the first min(10, factors/2) factors.
    #[serde(with = "nonfinite::vec")]
    pub growth_rates: Vec<f64>,
    /// The median of `growth_rates`.
    #[serde(with = "nonfinite")]
    pub growth_rate: f64,
    /// The theory's growth rate per factor, e^λ₁
    /// ([`gaussian_product_growth_rate`]).
    #[serde(with = "nonfinite")]
    pub growth_rate_theory: f64,
}

// ANCHOR: matrix_products
/// d2l's experiment, repeated over many seeds: the largest entry of the
/// product of `factors` random dim × dim N(0, 1) matrices, after every
/// factor, in `trials` trials seeded from `rng`; and how fast it grows per
/// factor, measured and predicted by the top Lyapunov exponent.
pub fn matrix_products(
    params: &MatrixProductParams,
    rng: &mut impl Rng,
    progress: Progress,
) -> Result<MatrixProducts, Error> {
    params.check()?;
    let mut trials = Vec::with_capacity(params.trials);
    for t in 0..params.trials {
        let mut trial_rng = StdRng::seed_from_u64(rng.next_u64());
        trials.push(matrix_product_growth(
            params.factors,
            params.dim,
            &mut trial_rng,
        ));
        progress(t + 1, params.trials);
    }
    let largest_entry = (0..params.factors)
        .map(|k| Quantiles::of(&trials.iter().map(|t| t[k]).collect::<Vec<_>>()))
        .collect();
    let growth_rates: Vec<f64> = trials
        .iter()
        .map(|t| growth_rate(t, 10.min(t.len() / 2)))
        .collect();
    Ok(MatrixProducts {
        largest_entry,
        growth_rate: quantile(&growth_rates, 0.5),
        growth_rate_theory: gaussian_product_growth_rate(params.dim),
        growth_rates,
    })
}
// ANCHOR_END: matrix_products

/// The parameters of [`deep_mlp_at_init`]; `Default` gives the book's.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeepMlpParams {
    /// Hidden layers.
    pub depth: usize,
    /// Units per hidden layer.
    pub width: usize,
    /// Digits in the batch pushed through the network.
    pub batch: usize,
    /// The factor multiplying the weights' standard deviation in the scaled-up runs.
    pub scale: f64,
    /// Seeds (batch and weights) every network is drawn on.
    pub seeds: usize,
}

impl DeepMlpParams {
    /// Allowed numbers of hidden layers.
    pub const DEPTH: Range = Range::whole(1, 1000);
    /// Allowed units per hidden layer.
    pub const WIDTH: Range = Range::whole(1, 1024);
    /// Allowed batch sizes (up to every digit).
    pub const BATCH: Range = Range::whole(1, 1797);
    /// Allowed factors on the weights' standard deviation.
    pub const SCALE: Range = Range::closed(0.01, 100.0);
    /// Allowed numbers of seeds.
    pub const SEEDS: Range = Range::whole(1, 1000);

    /// Checks every parameter against its range ([`Error::Parameter`] names
    /// the first one out of range).
    pub fn check(&self) -> Result<(), Error> {
        Self::DEPTH.check_whole("depth", self.depth)?;
        Self::WIDTH.check_whole("width", self.width)?;
        Self::BATCH.check_whole("batch", self.batch)?;
        Self::SCALE.check("scale", self.scale)?;
        Self::SEEDS.check_whole("seeds", self.seeds)?;
        Ok(())
    }
}

impl Default for DeepMlpParams {
    fn default() -> Self {
        DeepMlpParams {
            depth: 50,
            width: 64,
            batch: 256,
            scale: 4.0,
            seeds: 10,
        }
    }
}

/// One network of [`deep_mlp_at_init`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProfileRun {
    /// The hidden layers' activation (written by its name, e.g. "tanh").
    #[serde(with = "activation_name")]
    pub activation: Activation,
    /// False for PyTorch's default initialization, true for its weights
    /// scaled up `scale` times.
    pub scaled: bool,
    /// The network's layers at initialization, one network per seed.
    pub profiles: Vec<LayerProfile>,
    /// ‖∂L/∂W⁽¹⁾‖ / ‖∂L/∂W⁽ᴸ⁾‖, the input layer's weight-gradient norm over
    /// the output layer's, over the seeds: below 1 the gradient vanishes
    /// toward the input, above 1 it explodes.
    pub ratio: Spread,
    /// The layers (of all seeds' networks) whose weight-gradient norm
    /// overflowed or is exactly 0.
    pub faults: Faults,
}

/// What [`deep_mlp_at_init`] found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeepMlpAtInit {
    /// Digits in the batch.
    pub batch_size: usize,
    /// The six networks in the order they were built: sigmoid, tanh and
    /// ReLU, each with the default initialization and then scaled up.
    pub runs: Vec<ProfileRun>,
}

impl DeepMlpAtInit {
    /// The network with `activation` and default (`scaled == false`) or
    /// scaled-up weights, if it was built.
    pub fn run(&self, activation: Activation, scaled: bool) -> Option<&ProfileRun> {
        self.runs
            .iter()
            .find(|r| r.activation == activation && r.scaled == scaled)
    }
}

// ANCHOR: deep_mlp_at_init
/// A deep MLP at initialization on a batch of real digits: the norm of the
/// weight gradient in every layer, for three activations, with PyTorch's
/// default initialization and with the weights scaled up. Repeated on
/// `seeds` seeds in parallel: repetition r draws its batch and its six
/// networks from `stream(seed, "deep_mlp_at_init", r)`.
pub fn deep_mlp_at_init(
    params: &DeepMlpParams,
    seed: u64,
    progress: Progress,
) -> Result<DeepMlpAtInit, Error> {
    params.check()?;
    let configs = [Activation::Sigmoid, Activation::Tanh, Activation::Relu]
        .map(|activation| [false, true].map(|scaled| (activation, scaled)));
    let configs = configs.as_flattened();
    let digits = Dataset::digits();
    let per_seed = repeat_counted(
        params.seeds,
        params.seeds * configs.len(),
        progress,
        |r, step| {
            let rng = &mut stream(seed, "deep_mlp_at_init", r as u64);
            let batch = digits.sample(params.batch, rng);
            let profiles: Vec<LayerProfile> = configs
                .iter()
                .map(|&(activation, scaled)| {
                    let init = if scaled {
                        Init::TorchLinear.scaled(params.scale)
                    } else {
                        Init::TorchLinear
                    };
                    let (x, y) = (batch.x.view(), &batch.y);
                    let (depth, width) = (params.depth, params.width);
                    let profile = profile_at_init(x, y, depth, width, activation, init, rng);
                    step();
                    profile
                })
                .collect();
            (batch.len(), profiles)
        },
    );
    let runs = configs
        .iter()
        .enumerate()
        .map(|(c, &(activation, scaled))| {
            let profiles: Vec<LayerProfile> = per_seed.iter().map(|(_, p)| p[c].clone()).collect();
            let ratio = |p: &LayerProfile| {
                let norms = &p.weight_grad_norm;
                norms[0] / norms[norms.len() - 1]
            };
            // Numerical blow-ups are results: count them.
            let all: Vec<f64> = profiles
                .iter()
                .flat_map(|p| p.weight_grad_norm.clone())
                .collect();
            ProfileRun {
                activation,
                scaled,
                ratio: Spread::of(profiles.iter().map(ratio).collect()),
                faults: Faults::count(&all),
                profiles,
            }
        })
        .collect();
    Ok(DeepMlpAtInit {
        batch_size: per_seed[0].0,
        runs,
    })
}
// ANCHOR_END: deep_mlp_at_init

/// The parameters of [`clipping`]; `Default` gives the book's.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClippingParams {
    /// Scalar weights in the chain.
    pub depth: usize,
    /// The starting value of every weight.
    pub w0: f64,
    /// The target of the chain's output.
    pub target: f64,
    /// Learning rate.
    pub lr: f64,
    /// Steps of gradient descent.
    pub steps: usize,
    /// The clipping threshold τ on the gradient norm.
    pub clip: f64,
}

impl ClippingParams {
    /// Allowed numbers of weights in the chain.
    pub const DEPTH: Range = Range::whole(1, 1000);
    /// Allowed starting values of the weights.
    pub const W0: Range = Range::closed(-10.0, 10.0);
    /// Allowed targets of the chain's output.
    pub const TARGET: Range = Range::closed(-1e6, 1e6);
    /// Allowed learning rates.
    pub const LR: Range = Range::closed(1e-6, 10.0);
    /// Allowed numbers of steps.
    pub const STEPS: Range = Range::whole(1, 100_000);
    /// Allowed clipping thresholds.
    pub const CLIP: Range = Range::closed(1e-6, 1e6);

    /// Checks every parameter against its range ([`Error::Parameter`] names
    /// the first one out of range).
    pub fn check(&self) -> Result<(), Error> {
        Self::DEPTH.check_whole("depth", self.depth)?;
        Self::W0.check("w0", self.w0)?;
        Self::TARGET.check("target", self.target)?;
        Self::LR.check("lr", self.lr)?;
        Self::STEPS.check_whole("steps", self.steps)?;
        Self::CLIP.check("clip", self.clip)?;
        Ok(())
    }
}

impl Default for ClippingParams {
    fn default() -> Self {
        ClippingParams {
            depth: 30,
            w0: 1.1,
            target: 1.0,
            lr: 0.01,
            steps: 200,
            clip: 1.0,
        }
    }
}

/// What [`clipping`] found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Clipping {
    /// Gradient descent without clipping, one entry per step; it stops at
    /// the step whose loss is not finite.
    pub plain: Vec<ChainStep>,
    /// The same descent with the gradient clipped to norm τ.
    pub clipped: Vec<ChainStep>,
    /// The step at which the loss without clipping stopped being finite, if
    /// it did.
    pub blowup_step: Option<usize>,
    /// The norm of the first gradient (the same in both runs).
    #[serde(with = "nonfinite")]
    pub first_grad_norm: f64,
    /// The last loss without clipping (∞ when it overflowed).
    #[serde(with = "nonfinite")]
    pub final_loss_plain: f64,
    /// The last loss with clipping.
    #[serde(with = "nonfinite")]
    pub final_loss_clipped: f64,
}

// ANCHOR: clipping
/// Gradient descent on a scalar chain of `depth` weights, all starting at
/// `w0` (the book's 1.1³⁰ ≈ 17.45, target 1), without and with clipping the
/// gradient to norm `clip`: without clipping the first steps overshoot into a
/// region where the gradient explodes; with clipping they cannot.
pub fn clipping(params: &ClippingParams) -> Result<Clipping, Error> {
    params.check()?;
    let p = params;
    let plain = descend_scalar_chain(p.depth, p.w0, p.target, p.lr, p.steps, None);
    let clipped = descend_scalar_chain(p.depth, p.w0, p.target, p.lr, p.steps, Some(p.clip));
    let final_loss = |h: &[ChainStep]| h.last().map_or(f64::NAN, |s| s.loss);
    Ok(Clipping {
        blowup_step: plain.iter().position(|s| !s.loss.is_finite()),
        first_grad_norm: plain.first().map_or(f64::NAN, |s| s.grad_norm),
        final_loss_plain: final_loss(&plain),
        final_loss_clipped: final_loss(&clipped),
        plain,
        clipped,
    })
}
// ANCHOR_END: clipping

/// Serde for an [`Activation`] by its name ("sigmoid", "tanh", …).
mod activation_name {
    use serde::de::Error;
    use serde::{Deserialize, Deserializer, Serializer};

    use crate::nn::activation::Activation;

    pub fn serialize<S: Serializer>(a: &Activation, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(a.name())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Activation, D::Error> {
        String::deserialize(d)?.parse().map_err(D::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_batch_of_one_digit_still_has_ten_classes() {
        // With the output sized by the batch's largest label, one digit 0
        // built a one-class network: softmax ≡ 1, loss and gradients 0.
        let x = Array2::from_elem((1, 64), 0.5);
        let rng = &mut StdRng::seed_from_u64(5);
        let p = profile_at_init(
            x.view(),
            &[0],
            3,
            16,
            Activation::Tanh,
            Init::TorchLinear,
            rng,
        );
        assert!(
            p.loss > 1.0 && p.loss < 4.0,
            "loss {} (ln 10 ≈ 2.30)",
            p.loss
        );
        assert!(p.weight_grad_norm.iter().all(|g| *g > 0.0), "{p:?}");
    }

    #[test]
    fn out_of_range_parameters_are_refused_before_any_work() {
        let params = MatrixProductParams {
            dim: 0,
            ..MatrixProductParams::default()
        };
        let err =
            matrix_products(&params, &mut StdRng::seed_from_u64(0), &mut crate::quiet).unwrap_err();
        assert!(matches!(err, Error::Parameter { name: "dim", .. }), "{err}");
        assert!(err.to_string().contains("1..=64"), "{err}");
        let params = DeepMlpParams {
            scale: 0.0,
            ..DeepMlpParams::default()
        };
        let err = deep_mlp_at_init(&params, 0, &mut crate::quiet).unwrap_err();
        assert!(
            matches!(err, Error::Parameter { name: "scale", .. }),
            "{err}"
        );
        let params = ClippingParams {
            clip: f64::NAN,
            ..ClippingParams::default()
        };
        let err = clipping(&params).unwrap_err();
        assert!(
            matches!(err, Error::Parameter { name: "clip", .. }),
            "{err}"
        );
        assert!(matches!(
            scalar_chains(0),
            Err(Error::Parameter { name: "depth", .. })
        ));
        assert_eq!(MatrixProductParams::default().check(), Ok(()));
        assert_eq!(DeepMlpParams::default().check(), Ok(()));
        assert_eq!(ClippingParams::default().check(), Ok(()));
    }

    #[test]
    fn digamma_known_values() {
        // ψ(1) = −γ, ψ(2) = 1 − γ, ψ(3/2) = 2 − γ − 2 ln 2.
        let g = 0.5772156649015329;
        assert!((digamma_half(2) + g).abs() < 1e-15);
        assert!((digamma_half(4) - (1.0 - g)).abs() < 1e-15);
        assert!((digamma_half(3) - (2.0 - g - 2.0 * math::ln(2f64))).abs() < 1e-15);
    }

    #[test]
    fn infinities_round_trip_through_json() {
        let c = clipping(&ClippingParams::default()).unwrap();
        assert!(c.final_loss_plain.is_infinite());
        let json = serde_json::to_string(&c).unwrap();
        assert!(json.contains("\"inf\""), "{json}");
        let back: Clipping = serde_json::from_str(&json).unwrap();
        assert!(back.final_loss_plain.is_infinite());
        // Every step comes back, non-finite where it was (finite values to
        // within the last digit: serde_json's parser may round it).
        assert_eq!(back.blowup_step, c.blowup_step);
        assert_eq!(back.plain.len(), c.plain.len());
        for (x, y) in back.plain.iter().zip(&c.plain) {
            assert_eq!(x.loss.is_finite(), y.loss.is_finite());
            assert_eq!(x.grad_norm.is_nan(), y.grad_norm.is_nan());
            assert!(!x.loss.is_finite() || (x.loss - y.loss).abs() <= 1e-15 * y.loss.abs());
        }
        let nan: Quantiles =
            serde_json::from_str(r#"{"min":null,"q10":"NaN","median":"-inf","q90":1,"max":2.5}"#)
                .unwrap();
        assert!(nan.min.is_nan() && nan.q10.is_nan() && nan.median == f64::NEG_INFINITY);
        assert_eq!((nan.q90, nan.max), (1.0, 2.5));
        assert!(
            serde_json::from_str::<Quantiles>(r#"{"min":"x","q10":0,"median":0,"q90":0,"max":0}"#)
                .is_err()
        );
    }
}
