//! Chapter "Order, chaos and dynamical isometry": the mean-field maps of a
//! wide random network (Poole et al. 2016; Schoenholz et al. 2017).
//!
//! A layer computes `z⁽ˡ⁾ = W⁽ˡ⁾ φ(z⁽ˡ⁻¹⁾) + b⁽ˡ⁾` with weights drawn from
//! `N(0, σ_w²/n)` and biases from `N(0, σ_b²)`. When the layers are wide,
//! each unit's pre-activation is Gaussian, and two numbers per layer describe
//! the whole forward pass:
//!
//! - the **length** `q⁽ˡ⁾ = mean_i z_i⁽ˡ⁾²` of one input, which follows
//!   `q⁽ˡ⁾ = σ_w² E[φ(√q⁽ˡ⁻¹⁾ z)²] + σ_b²` to a fixed point `q*`;
//! - the **correlation** `c⁽ˡ⁾` of two inputs, which follows
//!   `c⁽ˡ⁾ = (σ_w² E[φ(u₁)φ(u₂)] + σ_b²) / q*`, `u₁ = √q* z₁`,
//!   `u₂ = √q* (c z₁ + √(1 − c²) z₂)`.
//!
//! The slope of the correlation map at `c = 1`, `χ₁ = σ_w² E[φ'(√q* z)²]`,
//! is also the factor by which a small perturbation — or a gradient — grows
//! per layer. `χ₁ < 1` is the **ordered** phase (inputs become alike,
//! gradients vanish), `χ₁ > 1` the **chaotic** one (nearby inputs fly apart,
//! gradients explode), and `χ₁ = 1` the edge between them, where the depth
//! scales `ξ_c = −1/ln χ_c` over which correlations settle diverge.
//!
//! Every expectation is a Gauss–Hermite sum
//! ([`crate::numeric::quadrature`]); nothing here is random.

use std::sync::{Arc, OnceLock};

use ndarray::{Array1, Array2, Axis};
use rand::Rng;
use serde::{Deserialize, Serialize};

use crate::nn::activation::Activation;
use crate::nn::data::{Dataset, TEST_FRACTION};
use crate::nn::mlp::{Layer, Mlp};
use crate::nn::optim::Sgd;
use crate::nn::train::{Training, train};
use crate::numeric::kernels::matmul;
use crate::numeric::linalg::gaussian_matrix;
use crate::numeric::math;
use crate::numeric::quadrature::GaussHermite;
use crate::numeric::random::{repeat_counted, stream};
use crate::numeric::stats::{Spread, nonfinite};
use crate::{Error, Progress, Range};

/// Points of the one-dimensional quadrature rule. Gauss–Hermite converges
/// slowly when `φ(√q z)` is steep (tanh at large q: its poles near the real
/// axis come closer as q grows); with 200 points the length map is accurate
/// to about 1e-7 and χ₁ to about 1e-5 for q ≤ 5, and to 1e-13 at q ≤ 1 (the
/// tests compare with a 400-point rule).
pub const QUADRATURE_POINTS: usize = 200;

/// Points per dimension of the two-dimensional (product) rule for the
/// correlation map: 100² evaluations per call, accurate to about 1e-8 for
/// q ≤ 3 away from c = 1.
pub const QUADRATURE_POINTS_2D: usize = 100;

/// A wide random network's mean-field description: its activation and the
/// variances of its weights (`σ_w²/n`) and biases (`σ_b²`).
#[derive(Clone, Debug)]
pub struct MeanField {
    /// φ.
    pub activation: Activation,
    /// σ_w²: the weights' variance times the layer's fan-in.
    pub sigma_w2: f64,
    /// σ_b²: the biases' variance.
    pub sigma_b2: f64,
    rule: Arc<GaussHermite>,
    rule2: Arc<GaussHermite>,
}

/// The default one-dimensional rule, shared with every [`MeanField`].
pub(crate) fn default_rule() -> Arc<GaussHermite> {
    default_rules().0
}

/// The default rules, computed once: maps are built by the thousand along a
/// phase boundary.
fn default_rules() -> (Arc<GaussHermite>, Arc<GaussHermite>) {
    static RULES: OnceLock<(Arc<GaussHermite>, Arc<GaussHermite>)> = OnceLock::new();
    RULES
        .get_or_init(|| {
            (
                Arc::new(GaussHermite::new(QUADRATURE_POINTS)),
                Arc::new(GaussHermite::new(QUADRATURE_POINTS_2D)),
            )
        })
        .clone()
}

/// The fixed points, slopes and depth scales of one `(φ, σ_w², σ_b²)`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct DepthScales {
    /// σ_w².
    pub sigma_w2: f64,
    /// σ_b².
    pub sigma_b2: f64,
    /// The length map's fixed point q*.
    pub q_star: f64,
    /// The correlation map's stable fixed point c* (1 in the ordered phase).
    pub c_star: f64,
    /// χ₁ = σ_w² E[φ'(√q* z)²]: the per-layer growth of a small
    /// perturbation and of a gradient's squared norm.
    pub chi_1: f64,
    /// χ_c = σ_w² E[φ'(u₁)φ'(u₂)] at c*: the correlation map's slope at c*.
    pub chi_c: f64,
    /// ξ_q = −1/ln(slope of the length map at q*): layers for q to settle.
    #[serde(with = "nonfinite")]
    pub xi_q: f64,
    /// ξ_c = −1/ln χ_c: layers for the correlation to settle (infinite at
    /// χ₁ = 1).
    #[serde(with = "nonfinite")]
    pub xi_c: f64,
}

impl MeanField {
    /// The maps of `activation` with weight variance `sigma_w2 / n` and bias
    /// variance `sigma_b2`.
    pub fn new(activation: Activation, sigma_w2: f64, sigma_b2: f64) -> Self {
        MeanField {
            activation,
            sigma_w2,
            sigma_b2,
            rule: default_rules().0,
            rule2: default_rules().1,
        }
    }

    /// The same maps with `n`-point quadrature rules (in one and in two
    /// dimensions), to check the default ones' accuracy.
    pub fn with_points(mut self, n: usize) -> Self {
        self.rule = Arc::new(GaussHermite::new(n));
        self.rule2 = Arc::clone(&self.rule);
        self
    }

    // ANCHOR: length_map
    /// One step of the length map: `σ_w² E[φ(√q z)²] + σ_b²`.
    pub fn length_map(&self, q: f64) -> f64 {
        // A negative q (rounding) counts as 0; NaN stays NaN.
        let s = if q < 0.0 { 0.0 } else { q.sqrt() };
        let phi = self.activation;
        self.sigma_w2 * self.rule.expect(|z| phi.apply(s * z).powi(2)) + self.sigma_b2
    }
    // ANCHOR_END: length_map

    /// The length map's slope at `q`: `σ_w² E[φ'(u)² + φ(u)φ''(u)]`,
    /// `u = √q z` (Stein's lemma applied to its derivative).
    pub fn length_slope(&self, q: f64) -> f64 {
        let s = if q < 0.0 { 0.0 } else { q.sqrt() };
        let phi = self.activation;
        self.sigma_w2
            * self.rule.expect(|z| {
                let u = s * z;
                phi.derivative(u).powi(2) + phi.apply(u) * second_derivative(phi, u)
            })
    }

    /// The length after `layers` steps from `q0`, every step kept:
    /// `[q0, q1, …]`.
    pub fn length_trajectory(&self, q0: f64, layers: usize) -> Vec<f64> {
        let mut q = vec![q0];
        for _ in 0..layers {
            let next = self.length_map(*q.last().unwrap());
            q.push(next);
        }
        q
    }

    /// The fixed point q* of the length map, from q = 1: Newton steps on
    /// `map(q) − q` while the map's slope is below 1 (the fixed point is
    /// stable), plain steps `q ← map(q)` otherwise, until a plain step would
    /// change q by less than 1e-12 of itself. `None` if the length grows
    /// without bound (ReLU with σ_w² > 2, say) or does not settle in 5000
    /// steps. At a marginal point every q is fixed (linear with σ_w² = 1 and
    /// σ_b² = 0, ReLU with σ_w² = 2): it returns 1, the length it started at.
    pub fn fixed_length(&self) -> Option<f64> {
        let mut q: f64 = 1.0;
        for _ in 0..5000 {
            let gap = self.length_map(q) - q;
            if !gap.is_finite() || q > 1e12 {
                return None;
            }
            // One plain step would change q by less than 1e-12 of itself.
            if gap.abs() <= 1e-12 * q {
                return Some(q);
            }
            let slope = self.length_slope(q) - 1.0;
            let mut next = if slope < -1e-12 {
                q - gap / slope
            } else {
                q + gap
            };
            if next < 0.0 {
                next = q + gap;
            }
            if next < 1e-300 {
                return Some(0.0); // the length dies out: q* = 0
            }
            q = next;
        }
        None
    }

    // ANCHOR: correlation_map
    /// One step of the correlation map at length `q_star`:
    /// `(σ_w² E[φ(u₁)φ(u₂)] + σ_b²) / q*`.
    pub fn correlation_map(&self, q_star: f64, c: f64) -> f64 {
        let s = q_star.sqrt();
        let phi = self.activation;
        let c = c.clamp(-1.0, 1.0);
        let both = self
            .rule2
            .expect_product(c, |a| phi.apply(s * a), |b| phi.apply(s * b));
        (self.sigma_w2 * both + self.sigma_b2) / q_star
    }
    // ANCHOR_END: correlation_map

    /// The correlation after each of `layers` steps from `c0`: `[c0, c1, …]`.
    pub fn correlation_trajectory(&self, q_star: f64, c0: f64, layers: usize) -> Vec<f64> {
        let mut c = vec![c0];
        for _ in 0..layers {
            let next = self.correlation_map(q_star, *c.last().unwrap());
            c.push(next);
        }
        c
    }

    // ANCHOR: chi_1
    /// χ₁ = σ_w² E[φ'(√q* z)²].
    pub fn chi_1(&self, q_star: f64) -> f64 {
        let s = q_star.sqrt();
        let phi = self.activation;
        self.sigma_w2 * self.rule.expect(|z| phi.derivative(s * z).powi(2))
    }
    // ANCHOR_END: chi_1

    /// The correlation map's slope at `c`: σ_w² E[φ'(u₁)φ'(u₂)].
    pub fn chi_c(&self, q_star: f64, c: f64) -> f64 {
        let s = q_star.sqrt();
        let phi = self.activation;
        let slope = |z: f64| phi.derivative(s * z);
        self.sigma_w2 * self.rule2.expect_product(c.clamp(-1.0, 1.0), slope, slope)
    }

    /// The correlation map's stable fixed point: 1 when χ₁ ≤ 1 (every pair of
    /// inputs ends up aligned), otherwise the point below 1 it settles at,
    /// found by regula falsi (the Illinois variant) on `c ↦ map(c) − c` over
    /// [0, 1 − 1e-5], to 1e-12 (for an odd φ and σ_b² ≥ 0 the map is
    /// increasing and convex in c, with exactly one crossing there in the
    /// chaotic phase).
    pub fn fixed_correlation(&self, q_star: f64) -> f64 {
        if self.chi_1(q_star) <= 1.0 {
            return 1.0;
        }
        let gap = |c: f64| self.correlation_map(q_star, c) - c;
        // Just below 1 the gap, about (χ₁ − 1)(1 − c), drowns in the
        // quadrature's error (about 1e-8): the search stops 1e-5 short of 1.
        let (mut lo, mut hi) = (0.0, 1.0 - 1e-5);
        let (mut g_lo, mut g_hi) = (gap(lo), gap(hi));
        if g_lo <= 0.0 {
            return 0.0;
        }
        if g_hi >= 0.0 {
            return hi;
        }
        // Which end moved last: the other one's gap is halved (Illinois).
        let mut last = 0i8;
        for _ in 0..100 {
            let c = (lo * g_hi - hi * g_lo) / (g_hi - g_lo);
            let g = gap(c);
            if g > 0.0 {
                lo = c;
                g_lo = g;
                if last == 1 {
                    g_hi /= 2.0;
                }
                last = 1;
            } else {
                hi = c;
                g_hi = g;
                if last == -1 {
                    g_lo /= 2.0;
                }
                last = -1;
            }
            if hi - lo < 1e-12 || g == 0.0 {
                return c;
            }
        }
        0.5 * (lo + hi)
    }

    /// q*, c*, χ₁, χ_c and the depth scales; `None` when the length has no
    /// fixed point.
    pub fn depth_scales(&self) -> Option<DepthScales> {
        let q_star = self.fixed_length()?;
        let c_star = self.fixed_correlation(q_star);
        let chi_1 = self.chi_1(q_star);
        let chi_c = if c_star >= 1.0 {
            chi_1
        } else {
            self.chi_c(q_star, c_star)
        };
        let depth = |slope: f64| {
            if slope >= 1.0 {
                f64::INFINITY
            } else {
                -1.0 / math::ln(slope)
            }
        };
        Some(DepthScales {
            sigma_w2: self.sigma_w2,
            sigma_b2: self.sigma_b2,
            q_star,
            c_star,
            chi_1,
            chi_c,
            xi_q: depth(self.length_slope(q_star)),
            xi_c: depth(chi_c),
        })
    }
}

/// φ''(z), for the slope of the length map.
fn second_derivative(phi: Activation, z: f64) -> f64 {
    match phi {
        Activation::Tanh => {
            let t = phi.apply(z);
            -2.0 * t * (1.0 - t * t)
        }
        Activation::Sigmoid => {
            let s = phi.apply(z);
            s * (1.0 - s) * (1.0 - 2.0 * s)
        }
        // Piecewise linear: zero away from the kink (a set of measure 0).
        Activation::Identity | Activation::Relu | Activation::LeakyRelu { .. } => 0.0,
    }
}

/// The order-to-chaos boundary: the σ_w² at which χ₁ = 1 for this
/// activation and σ_b², by bisection on [0.1, 20] (χ₁ grows with σ_w² along
/// the boundary's neighbourhood for tanh); `None` if χ₁ − 1 does not change
/// sign there.
pub fn critical_sigma_w2(activation: Activation, sigma_b2: f64) -> Option<f64> {
    let chi = |w: f64| {
        let m = MeanField::new(activation, w, sigma_b2);
        m.fixed_length().map(|q| m.chi_1(q) - 1.0)
    };
    let (mut lo, mut hi) = (0.1, 20.0);
    let (f_lo, f_hi) = (chi(lo)?, chi(hi)?);
    if f_lo.signum() == f_hi.signum() {
        return None;
    }
    for _ in 0..60 {
        let mid = 0.5 * (lo + hi);
        match chi(mid) {
            Some(f) if f.signum() == f_lo.signum() => lo = mid,
            Some(_) => hi = mid,
            None => hi = mid,
        }
    }
    Some(0.5 * (lo + hi))
}

/// Two inputs pushed through one finite random network: what the maps
/// predict for infinitely wide layers, measured.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PairPropagation {
    /// The units per layer.
    pub width: usize,
    /// `q⁽ˡ⁾` of the first input for l = 0 (the start) to the last layer.
    pub q_first: Vec<f64>,
    /// The same for the second input.
    pub q_second: Vec<f64>,
    /// Their correlation `c⁽ˡ⁾ = z₁·z₂ / (|z₁| |z₂|)`, l = 0, 1, …
    pub c: Vec<f64>,
}

/// Draws one network of `depth` layers of `width` units (weights
/// `N(0, σ_w²/width)`, biases `N(0, σ_b²)`, drawn from `rng` layer by layer)
/// and pushes two pre-activation vectors through it, starting from length
/// `q0` for both and correlation `c0` (made exact: the starting vectors are
/// orthogonalized and rescaled). Layer l computes
/// `z⁽ˡ⁾ = W⁽ˡ⁾ φ(z⁽ˡ⁻¹⁾) + b⁽ˡ⁾`, the maps' recursion.
pub fn propagate_pair(
    field: &MeanField,
    width: usize,
    depth: usize,
    q0: f64,
    c0: f64,
    rng: &mut impl Rng,
) -> PairPropagation {
    assert!(width >= 2, "two orthogonal directions need two units");
    let n = width as f64;
    // Two exactly orthonormal directions (Gram–Schmidt), scaled to mean
    // square 1: |g|² = n.
    let raw = gaussian_matrix(width, 2, rng);
    let (a, b) = (raw.column(0), raw.column(1));
    let a = &a * (n.sqrt() / a.dot(&a).sqrt());
    let b = &b - &(&a * (a.dot(&b) / n));
    let b = &b * (n.sqrt() / b.dot(&b).sqrt());
    let c0 = c0.clamp(-1.0, 1.0);
    let mut z = Array2::zeros((width, 2));
    z.column_mut(0).assign(&(&a * q0.sqrt()));
    z.column_mut(1)
        .assign(&((&a * c0 + &b * (1.0 - c0 * c0).sqrt()) * q0.sqrt()));
    let measure = |z: &Array2<f64>| {
        let (x, y) = (z.column(0), z.column(1));
        let (qx, qy) = (x.dot(&x) / n, y.dot(&y) / n);
        (qx, qy, x.dot(&y) / n / (qx * qy).sqrt())
    };
    let mut out = PairPropagation {
        width,
        q_first: Vec::with_capacity(depth + 1),
        q_second: Vec::with_capacity(depth + 1),
        c: Vec::with_capacity(depth + 1),
    };
    let record = |out: &mut PairPropagation, z: &Array2<f64>| {
        let (qx, qy, c) = measure(z);
        out.q_first.push(qx);
        out.q_second.push(qy);
        out.c.push(c);
    };
    record(&mut out, &z);
    let (w_std, b_std) = ((field.sigma_w2 / n).sqrt(), field.sigma_b2.sqrt());
    for _ in 0..depth {
        let w = gaussian_matrix(width, width, rng) * w_std;
        let bias: Array1<f64> = gaussian_matrix(width, 1, rng).column(0).to_owned() * b_std;
        let h = field.activation.apply_all(z.view());
        z = matmul(w.view(), h.view());
        z += &bias.view().insert_axis(Axis(1));
        record(&mut out, &z);
    }
    out
}

/// A tanh network on the digits whose every layer is drawn as the maps
/// assume: weights `N(0, σ_w²/fan_in)`, biases `N(0, σ_b²)`, `depth` hidden
/// layers of `width` units and a linear ten-class output layer.
pub fn mean_field_network(
    field: &MeanField,
    depth: usize,
    width: usize,
    rng: &mut impl Rng,
) -> Mlp {
    let mut sizes = vec![64];
    sizes.extend(std::iter::repeat_n(width, depth));
    sizes.push(10);
    let last = sizes.len() - 2;
    let layers = sizes
        .windows(2)
        .enumerate()
        .map(|(i, pair)| Layer {
            weights: gaussian_matrix(pair[0], pair[1], rng)
                * (field.sigma_w2 / pair[0] as f64).sqrt(),
            biases: gaussian_matrix(pair[1], 1, rng).column(0).to_owned() * field.sigma_b2.sqrt(),
            activation: if i == last {
                Activation::Identity
            } else {
                field.activation
            },
        })
        .collect();
    Mlp { layers }
}

/// How the trainability grid is trained.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrainabilityParams {
    /// σ_b², the same for every network.
    pub sigma_b2: f64,
    /// The σ_w² of the grid's columns.
    pub sigma_w2: Vec<f64>,
    /// The depths (hidden layers) of the grid's rows.
    pub depths: Vec<usize>,
    /// Units per hidden layer.
    pub width: usize,
    /// Passes over the training digits.
    pub epochs: usize,
    /// SGD's learning rate.
    pub lr: f64,
    /// Examples per SGD step.
    pub minibatch: usize,
    /// Networks per cell, each with its own split, weights and batches.
    pub seeds: usize,
}

impl TrainabilityParams {
    /// Allowed σ_b² (the grid's ξ_c come from the maps, whose quadrature is
    /// accurate while q* stays below about 6).
    pub const SIGMA_B2: Range = Range::closed(0.0, 1.0);
    /// Allowed σ_w² (see [`TrainabilityParams::SIGMA_B2`]).
    pub const SIGMA_W2: Range = Range::closed(0.0, 5.0);
    /// Allowed depths.
    pub const DEPTH: Range = Range::whole(1, 500);
    /// Allowed widths.
    pub const WIDTH: Range = Range::whole(2, 1000);
    /// Allowed epochs.
    pub const EPOCHS: Range = Range::whole(1, 500);
    /// Allowed learning rates.
    pub const LR: Range = Range::closed(1e-6, 10.0);
    /// Allowed minibatch sizes.
    pub const MINIBATCH: Range = Range::whole(1, 1797);
    /// Allowed seeds per cell.
    pub const SEEDS: Range = Range::whole(1, 100);

    /// Checks every parameter against its range.
    pub fn check(&self) -> Result<(), Error> {
        Self::SIGMA_B2.check("sigma_b2", self.sigma_b2)?;
        for &w in &self.sigma_w2 {
            Self::SIGMA_W2.check("sigma_w2", w)?;
        }
        for &d in &self.depths {
            Self::DEPTH.check_whole("depth", d)?;
        }
        Self::WIDTH.check_whole("width", self.width)?;
        Self::EPOCHS.check_whole("epochs", self.epochs)?;
        Self::LR.check("lr", self.lr)?;
        Self::MINIBATCH.check_whole("minibatch", self.minibatch)?;
        Self::SEEDS.check_whole("seeds", self.seeds)?;
        Ok(())
    }
}

/// One cell of the grid: the test accuracy of its networks after training.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrainabilityCell {
    /// σ_w².
    pub sigma_w2: f64,
    /// Hidden layers.
    pub depth: usize,
    /// Test accuracy after the last epoch, over the seeds.
    pub accuracy: Spread,
}

/// The trainability grid with the depth scale of each column.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Trainability {
    /// ξ_c of each σ_w² (infinite at the edge of chaos).
    #[serde(with = "nonfinite::vec")]
    pub xi_c: Vec<f64>,
    /// Every cell, row by row (depth-major, in the order of the params).
    pub cells: Vec<TrainabilityCell>,
}

// ANCHOR: trainability
/// Trains tanh networks of every depth × σ_w² of the grid on the digits by
/// SGD (softmax cross-entropy), `seeds` per cell, in parallel: job `j`
/// (cell-major, then seed) draws its split, network and minibatches from
/// `stream(seed, "trainability", j)`.
pub fn trainability(
    params: &TrainabilityParams,
    seed: u64,
    progress: Progress,
) -> Result<Trainability, Error> {
    params.check()?;
    let digits = Dataset::digits();
    let (train_size, _) = digits.split_sizes(TEST_FRACTION);
    let cfg = Training {
        epochs: params.epochs,
        batch_size: params.minibatch,
        sgd: Sgd::new(params.lr),
        dropout: 0.0,
    };
    let cells: Vec<(usize, f64)> = params
        .depths
        .iter()
        .flat_map(|&d| params.sigma_w2.iter().map(move |&w| (d, w)))
        .collect();
    let jobs = cells.len() * params.seeds;
    let steps = params.epochs * train_size.div_ceil(params.minibatch);
    let accuracies = repeat_counted(jobs, jobs * steps, progress, |j, step| {
        let (depth, sigma_w2) = cells[j / params.seeds];
        let rng = &mut stream(seed, "trainability", j as u64);
        let (train_set, test_set) = digits.train_test(rng);
        let field = MeanField::new(Activation::Tanh, sigma_w2, params.sigma_b2);
        let mut net = mean_field_network(&field, depth, params.width, rng);
        let history = train(&mut net, &train_set, &test_set, &cfg, rng, |_| step());
        1.0 - history.last().map_or(f64::NAN, |s| s.test_error)
    });
    let xi_c = params
        .sigma_w2
        .iter()
        .map(|&w| {
            MeanField::new(Activation::Tanh, w, params.sigma_b2)
                .depth_scales()
                .map_or(f64::NAN, |s| s.xi_c)
        })
        .collect();
    let cells = cells
        .iter()
        .enumerate()
        .map(|(i, &(depth, sigma_w2))| TrainabilityCell {
            sigma_w2,
            depth,
            accuracy: Spread::of(accuracies[i * params.seeds..(i + 1) * params.seeds].to_vec()),
        })
        .collect();
    Ok(Trainability { xi_c, cells })
}
// ANCHOR_END: trainability

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wide_networks_follow_the_maps() {
        use crate::numeric::random::stream;
        // A layer's measured q fluctuates by about √(2/n) of itself around
        // the map's value; the mean over `seeds` networks by √(2/(n·seeds)).
        // Allow four of those, for ordered and chaotic tanh.
        let (width, depth, seeds) = (500, 10, 6);
        let tolerance = 4.0 * (2.0 / (width * seeds) as f64).sqrt();
        for (w, b) in [(1.2, 0.05), (4.0, 0.05)] {
            let field = MeanField::new(Activation::Tanh, w, b);
            let q_star = field.fixed_length().unwrap();
            let lengths = field.length_trajectory(3.0, depth);
            let correlations = field.correlation_trajectory(q_star, 0.9, depth);
            let runs = |q0: f64, which: u64| -> Vec<PairPropagation> {
                (0..seeds as u64)
                    .map(|s| {
                        propagate_pair(&field, width, depth, q0, 0.9, &mut stream(s, "maps", which))
                    })
                    .collect()
            };
            let (from_far, at_fixed) = (runs(3.0, 0), runs(q_star, 1));
            for l in 1..=depth {
                let q = from_far.iter().map(|r| r.q_first[l]).sum::<f64>() / seeds as f64;
                assert!(
                    (q / lengths[l] - 1.0).abs() < tolerance,
                    "σ_w² = {w}, l = {l}: {q} vs {}",
                    lengths[l]
                );
                let c = at_fixed.iter().map(|r| r.c[l]).sum::<f64>() / seeds as f64;
                assert!(
                    (c - correlations[l]).abs() < tolerance,
                    "σ_w² = {w}, l = {l}: {c} vs {}",
                    correlations[l]
                );
            }
        }
    }

    #[test]
    fn networks_near_the_edge_of_chaos_train_deeper() {
        // Twenty tanh layers: at the edge of chaos (σ_w² = 1.76 for
        // σ_b² = 0.05, ξ_c infinite) SGD trains them; deep in the ordered
        // phase (σ_w² = 0.5, ξ_c ≈ 1.2) it cannot, on every seed.
        let params = TrainabilityParams {
            sigma_b2: 0.05,
            sigma_w2: vec![0.5, 1.76],
            depths: vec![20],
            width: 32,
            epochs: 8,
            lr: 0.01,
            minibatch: 16,
            seeds: 3,
        };
        let grid = trainability(&params, 7, &mut crate::quiet).unwrap();
        assert!(
            grid.xi_c[0] < 2.0 && grid.xi_c[1] > 100.0,
            "{:?}",
            grid.xi_c
        );
        let (ordered, critical) = (&grid.cells[0].accuracy, &grid.cells[1].accuracy);
        assert!(ordered.max < 0.2, "{ordered:?}");
        assert!(critical.min > 0.6, "{critical:?}");
    }

    #[test]
    fn linear_and_relu_maps_have_closed_forms() {
        // Linear: q' = σ_w² q + σ_b²; the correlation map is affine too.
        let lin = MeanField::new(Activation::Identity, 0.5, 0.1);
        assert!((lin.length_map(2.0) - 1.1).abs() < 1e-13);
        assert!((lin.fixed_length().unwrap() - 0.2).abs() < 1e-12);
        assert!((lin.chi_1(0.2) - 0.5).abs() < 1e-13);
        // ReLU: E[relu(√q z)²] = q/2; with σ_w² = 2 the length is kept.
        let relu = MeanField::new(Activation::Relu, 2.0, 0.0);
        assert!(
            (relu.length_map(3.0) - 3.0).abs() < 1e-2,
            "{}",
            relu.length_map(3.0)
        );
        // ReLU's kink makes Gauss–Hermite converge slowly; 200 points do better.
        let fine = MeanField::new(Activation::Relu, 2.0, 0.0).with_points(200);
        assert!((fine.length_map(3.0) - 3.0).abs() < 2e-3);
        // ReLU's correlation map (the arc-cosine kernel, Cho & Saul 2009):
        // c' = (√(1 − c²) + (π − arccos c) c) / π at σ_w² = 2, σ_b² = 0.
        for c in [0.0f64, 0.5, 0.9] {
            let exact = ((1.0 - c * c).sqrt() + (std::f64::consts::PI - acos(c)) * c)
                / std::f64::consts::PI;
            assert!(
                (fine.correlation_map(1.0, c) - exact).abs() < 3e-3,
                "c = {c}"
            );
        }
    }

    fn acos(c: f64) -> f64 {
        math::atan2((1.0 - c * c).sqrt(), c)
    }

    #[test]
    fn tanh_maps_converge_with_the_quadrature() {
        let coarse = MeanField::new(Activation::Tanh, 1.5, 0.05);
        let fine = MeanField::new(Activation::Tanh, 1.5, 0.05).with_points(400);
        for (q, length, chi) in [
            (0.01, 1e-15, 1e-14),
            (1.0, 1e-14, 1e-13),
            (3.0, 1e-9, 1e-7),
            (5.0, 3e-7, 1e-5),
        ] {
            let dl = (coarse.length_map(q) - fine.length_map(q)).abs();
            let dc = (coarse.chi_1(q) - fine.chi_1(q)).abs();
            assert!(dl < length && dc < chi, "q = {q}: {dl:e}, {dc:e}");
        }
        for q in [0.5, 3.0] {
            let d = (coarse.correlation_map(q, 0.5) - fine.correlation_map(q, 0.5)).abs();
            assert!(d < 3e-8, "q = {q}: {d:e}");
        }
        // The correlation map fixes c = 1 (two equal inputs stay equal).
        let q = coarse.fixed_length().unwrap();
        assert!((coarse.correlation_map(q, 1.0) - 1.0).abs() < 1e-12);
        // Its slope at 1 is χ₁.
        let slope = (coarse.correlation_map(q, 1.0) - coarse.correlation_map(q, 1.0 - 1e-6)) / 1e-6;
        assert!((slope - coarse.chi_1(q)).abs() < 1e-4, "{slope}");
    }

    #[test]
    fn the_length_slope_is_the_derivative_of_the_length_map() {
        for (w, b) in [(1.5, 0.05), (3.0, 0.3), (0.8, 0.01)] {
            let m = MeanField::new(Activation::Tanh, w, b);
            let q = m.fixed_length().unwrap();
            let h = 1e-5 * q;
            let numeric = (m.length_map(q + h) - m.length_map(q - h)) / (2.0 * h);
            assert!(
                (numeric - m.length_slope(q)).abs() < 1e-6,
                "{numeric} vs {}",
                m.length_slope(q)
            );
        }
    }

    #[test]
    fn tanh_phases_order_and_chaos() {
        // σ_b² = 0: q* = 0 for σ_w² ≤ 1 and χ₁ = σ_w² there; the boundary is 1.
        let w = critical_sigma_w2(Activation::Tanh, 0.0).unwrap();
        assert!((w - 1.0).abs() < 1e-3, "{w}");
        // With bias noise the boundary moves to larger σ_w², monotonically.
        let mut last = w;
        for b in [0.01, 0.05, 0.1, 0.3] {
            let w = critical_sigma_w2(Activation::Tanh, b).unwrap();
            assert!(w > last, "σ_b² = {b}: {w} after {last}");
            let m = MeanField::new(Activation::Tanh, w, b);
            let q = m.fixed_length().unwrap();
            assert!((m.chi_1(q) - 1.0).abs() < 1e-9);
            last = w;
        }
        // Points on the boundary, as an independent Gauss–Hermite program
        // computed them (σ_b² = 0.09 is Poole et al.'s σ_b = 0.3; 1.76 at
        // σ_b² = 0.05 is the critical point trainability studies quote).
        for (b, w_crit, q_crit) in [
            (0.01, 1.424205, None),
            (0.05, 1.760955, Some(0.570048)),
            (0.09, 1.947655, Some(0.763475)),
            (0.3, 2.505127, None),
        ] {
            let w = critical_sigma_w2(Activation::Tanh, b).unwrap();
            assert!((w - w_crit).abs() < 2e-6, "σ_b² = {b}: {w}");
            if let Some(q) = q_crit {
                let got = MeanField::new(Activation::Tanh, w, b)
                    .fixed_length()
                    .unwrap();
                assert!((got - q).abs() < 2e-6, "σ_b² = {b}: q* = {got}");
            }
        }
        // The same program's depth scales, ordered and chaotic.
        let s = MeanField::new(Activation::Tanh, 1.5, 0.05)
            .depth_scales()
            .unwrap();
        assert!(
            (s.q_star - 0.41804).abs() < 1e-5 && (s.chi_1 - 0.93864).abs() < 1e-5,
            "{s:?}"
        );
        assert!(
            (s.xi_c - 15.79).abs() < 0.01 && (s.xi_q - 1.683).abs() < 1e-3,
            "{s:?}"
        );
        let s = MeanField::new(Activation::Tanh, 3.0, 0.05)
            .depth_scales()
            .unwrap();
        assert!(
            (s.q_star - 1.42801).abs() < 1e-5 && (s.c_star - 0.29932).abs() < 1e-5,
            "{s:?}"
        );
        assert!(
            (s.chi_1 - 1.20893).abs() < 1e-5 && (s.xi_c - 9.05).abs() < 0.01,
            "{s:?}"
        );
        // Ordered: c* = 1, finite ξ_c. Chaotic: c* < 1.
        let ordered = MeanField::new(Activation::Tanh, 0.8, 0.05)
            .depth_scales()
            .unwrap();
        assert_eq!(ordered.c_star, 1.0);
        assert!(ordered.chi_1 < 1.0 && ordered.xi_c.is_finite());
        let chaotic = MeanField::new(Activation::Tanh, 4.0, 0.05)
            .depth_scales()
            .unwrap();
        assert!(chaotic.chi_1 > 1.0 && chaotic.c_star < 0.9, "{chaotic:?}");
        assert!(chaotic.chi_c < 1.0 && chaotic.xi_c.is_finite());
    }

    #[test]
    fn the_correlation_depth_scale_diverges_at_the_edge_of_chaos() {
        let b = 0.05;
        let w = critical_sigma_w2(Activation::Tanh, b).unwrap();
        let xi = |w: f64| {
            MeanField::new(Activation::Tanh, w, b)
                .depth_scales()
                .unwrap()
                .xi_c
        };
        // Approaching from either side, ξ_c grows without bound.
        let left: Vec<f64> = [0.5, 0.1, 0.01].iter().map(|d| xi(w - d)).collect();
        let right: Vec<f64> = [0.5, 0.1, 0.01].iter().map(|d| xi(w + d)).collect();
        assert!(left[0] < left[1] && left[1] < left[2], "{left:?}");
        assert!(right[0] < right[1] && right[1] < right[2], "{right:?}");
        assert!(left[2] > 50.0 && right[2] > 50.0, "{left:?} {right:?}");
    }
}
