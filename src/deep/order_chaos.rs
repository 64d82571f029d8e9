//! Chapter "Order, chaos and dynamical isometry": its experiments, built on
//! the mean-field maps ([`crate::deep::mean_field`]), the Jacobian spectra
//! ([`crate::deep::isometry`]) and residual stacks
//! ([`crate::deep::residual`]).

use serde::{Deserialize, Serialize};

use crate::deep::isometry::{JacobianSpectrum, Weights, jacobian_spectra, predicted_variance};
use crate::deep::mean_field::{
    DepthScales, MeanField, PairPropagation, critical_sigma_w2, propagate_pair,
};
use crate::deep::residual::{Stack, StackProfile, stack_profile};
use crate::nn::activation::Activation;
use crate::numeric::random::{repeat, repeat_counted, stream};
use crate::numeric::stats::{Spread, mean};
use crate::{Error, Progress, Range};

/// The parameters of the chapter's experiments; `Default` gives the book's.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrderChaosParams {
    /// σ_b², the biases' variance, for the maps, depth scales and training.
    pub sigma_b2: f64,
    /// σ_w² of the ordered network checked against the maps.
    pub ordered: f64,
    /// σ_w² of the chaotic network checked against the maps.
    pub chaotic: f64,
    /// Units per layer of the finite networks checked against the maps.
    pub width: usize,
    /// Layers of the finite networks checked against the maps.
    pub depth: usize,
    /// Units per layer of the Jacobian and residual networks.
    pub jacobian_width: usize,
    /// Layers of the deepest Jacobian and of the residual stacks.
    pub jacobian_depth: usize,
    /// Networks each measurement is repeated over.
    pub seeds: usize,
}

impl OrderChaosParams {
    /// Allowed σ_b²: with σ_w² ≤ 5 the length q* stays below 6, where the
    /// default quadrature rule is accurate to about 1e-5 in χ₁ (beyond, tanh
    /// gets too steep for it).
    pub const SIGMA_B2: Range = Range::closed(0.0, 1.0);
    /// Allowed σ_w² (see [`OrderChaosParams::SIGMA_B2`]).
    pub const SIGMA_W2: Range = Range::closed(0.0, 5.0);
    /// Allowed widths of the networks checked against the maps.
    pub const WIDTH: Range = Range::whole(2, 4000);
    /// Allowed depths of the networks checked against the maps.
    pub const DEPTH: Range = Range::whole(1, 1000);
    /// Allowed widths of the Jacobian and residual networks.
    pub const JACOBIAN_WIDTH: Range = Range::whole(2, 1000);
    /// Allowed depths of the Jacobian and residual networks.
    pub const JACOBIAN_DEPTH: Range = Range::whole(1, 2000);
    /// Allowed numbers of seeds.
    pub const SEEDS: Range = Range::whole(1, 100);

    /// Checks every parameter against its range.
    pub fn check(&self) -> Result<(), Error> {
        Self::SIGMA_B2.check("sigma_b2", self.sigma_b2)?;
        Self::SIGMA_W2.check("ordered", self.ordered)?;
        Self::SIGMA_W2.check("chaotic", self.chaotic)?;
        Self::WIDTH.check_whole("width", self.width)?;
        Self::DEPTH.check_whole("depth", self.depth)?;
        Self::JACOBIAN_WIDTH.check_whole("jacobian_width", self.jacobian_width)?;
        Self::JACOBIAN_DEPTH.check_whole("jacobian_depth", self.jacobian_depth)?;
        Self::SEEDS.check_whole("seeds", self.seeds)?;
        Ok(())
    }
}

impl Default for OrderChaosParams {
    fn default() -> Self {
        OrderChaosParams {
            sigma_b2: 0.05,
            ordered: 1.2,
            chaotic: 4.0,
            width: 500,
            depth: 15,
            jacobian_width: 256,
            jacobian_depth: 32,
            seeds: 5,
        }
    }
}

/// One network's maps and their finite-width measurements.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MapsRun {
    /// σ_w².
    pub sigma_w2: f64,
    /// Its depth scales (q*, c*, χ₁, ξ_q, ξ_c).
    pub scales: DepthScales,
    /// The length map from q = `q_start`: `[q0, q1, …]`.
    pub lengths: Vec<f64>,
    /// The correlation map at q* from c = `c_start`.
    pub correlations: Vec<f64>,
    /// Measured lengths from `q_start`, one run per seed.
    pub measured_lengths: Vec<PairPropagation>,
    /// Measured correlations at q*, one run per seed.
    pub measured_correlations: Vec<PairPropagation>,
}

/// The maps checked against finite networks, ordered and chaotic.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MapsCheck {
    /// The length every length run starts from.
    pub q_start: f64,
    /// The correlation every correlation run starts from.
    pub c_start: f64,
    /// Ordered, then chaotic.
    pub runs: Vec<MapsRun>,
}

/// The length and correlation maps of the ordered and the chaotic network,
/// against `seeds` finite networks each: the length from q = 3, the
/// correlation of two inputs at q* from c = 0.5. Network r of run k draws
/// from `stream(seed, "maps_against_networks", 2·(k·seeds + r) + which)`.
pub fn maps_against_networks(params: &OrderChaosParams, seed: u64) -> Result<MapsCheck, Error> {
    params.check()?;
    let (q_start, c_start) = (3.0, 0.5);
    let mut runs = Vec::new();
    for (k, &sigma_w2) in [params.ordered, params.chaotic].iter().enumerate() {
        let field = MeanField::new(Activation::Tanh, sigma_w2, params.sigma_b2);
        let scales = field.depth_scales().ok_or(Error::NoFixedPoint(format!(
            "the length map of σ_w² = {sigma_w2} has no fixed point"
        )))?;
        let lengths = field.length_trajectory(q_start, params.depth);
        let correlations = field.correlation_trajectory(scales.q_star, c_start, params.depth);
        let measured = repeat(2 * params.seeds, |j| {
            let rng = &mut stream(
                seed,
                "maps_against_networks",
                (2 * (k * params.seeds) + j) as u64,
            );
            let q0 = if j % 2 == 0 { q_start } else { scales.q_star };
            propagate_pair(&field, params.width, params.depth, q0, c_start, rng)
        });
        let (mut measured_lengths, mut measured_correlations) = (Vec::new(), Vec::new());
        for (j, m) in measured.into_iter().enumerate() {
            if j % 2 == 0 {
                measured_lengths.push(m);
            } else {
                measured_correlations.push(m);
            }
        }
        runs.push(MapsRun {
            sigma_w2,
            scales,
            lengths,
            correlations,
            measured_lengths,
            measured_correlations,
        });
    }
    Ok(MapsCheck {
        q_start,
        c_start,
        runs,
    })
}

/// An initialization of chapters 3–4 placed in the (σ_b², σ_w²) plane, for
/// a tanh network of equal widths with zero biases.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Placed {
    /// Its name.
    pub name: String,
    /// σ_w² = fan_in · Var(W).
    pub sigma_w2: f64,
    /// χ₁ there (σ_b² = 0).
    pub chi_1: f64,
}

/// The order-to-chaos boundary and the depth scales along σ_w².
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PhaseDiagram {
    /// (σ_b², critical σ_w²) along the boundary χ₁ = 1.
    pub boundary: Vec<(f64, f64)>,
    /// Standard (PyTorch's default), Xavier and He initialization.
    pub placed: Vec<Placed>,
    /// The depth scales at σ_b² = `params.sigma_b2`, σ_w² from 0.5 to 4.
    pub scales: Vec<DepthScales>,
    /// The critical σ_w² at `params.sigma_b2`.
    pub critical: f64,
}

/// The boundary χ₁ = 1 at 26 values of σ_b² from 0 to 0.5 (spaced
/// quadratically), the three initializations on it, and ξ_q, ξ_c against
/// σ_w² (Gauss–Hermite throughout; nothing random).
pub fn phase_diagram(params: &OrderChaosParams) -> Result<PhaseDiagram, Error> {
    params.check()?;
    let not_found =
        |b: f64| Error::NoFixedPoint(format!("no order-to-chaos boundary for tanh at σ_b² = {b}"));
    let boundary = (0..=25)
        .map(|i| {
            // Denser near 0, where the boundary rises steeply.
            let b = 0.5 * (i as f64 / 25.0).powi(2);
            critical_sigma_w2(Activation::Tanh, b)
                .map(|w| (b, w))
                .ok_or_else(|| not_found(b))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let placed = [
        ("standard (PyTorch default)", 1.0 / 3.0),
        ("Xavier", 1.0),
        ("He", 2.0),
    ]
    .into_iter()
    .map(|(name, w)| {
        let field = MeanField::new(Activation::Tanh, w, 0.0);
        let q = field.fixed_length().unwrap_or(0.0);
        Placed {
            name: name.to_string(),
            sigma_w2: w,
            chi_1: field.chi_1(q),
        }
    })
    .collect();
    let grid: Vec<f64> = (0..=70).map(|i| 0.5 + 0.05 * i as f64).collect();
    let scales = repeat(grid.len(), |i| {
        MeanField::new(Activation::Tanh, grid[i], params.sigma_b2).depth_scales()
    })
    .into_iter()
    .flatten()
    .collect();
    let critical = critical_sigma_w2(Activation::Tanh, params.sigma_b2)
        .ok_or_else(|| not_found(params.sigma_b2))?;
    Ok(PhaseDiagram {
        boundary,
        placed,
        scales,
        critical,
    })
}

/// One network family of the Jacobian experiment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IsometryCase {
    /// "linear", "ReLU" or "tanh".
    pub activation: String,
    /// How the weights are drawn.
    pub weights: Weights,
    /// σ_w² (on the edge of chaos).
    pub sigma_w2: f64,
    /// σ_b².
    pub sigma_b2: f64,
    /// The input's length (q* for tanh).
    pub q: f64,
    /// The depths measured.
    pub depths: Vec<usize>,
    /// The wide-network variance of the squared singular values per depth.
    pub predicted: Vec<f64>,
    /// The measured variance per depth, over the seeds.
    pub variance: Vec<Spread>,
    /// The mean of the measured variance over the seeds, per depth: the
    /// quantity the formula predicts (single networks scatter with a long
    /// upper tail, so their median falls below it).
    pub mean_variance: Vec<f64>,
    /// The largest singular value per depth, over the seeds.
    pub largest: Vec<Spread>,
    /// Seed 0's spectrum at the deepest depth.
    pub deepest: JacobianSpectrum,
}

/// The Jacobian spectra of five network families at the edge of chaos.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Isometry {
    /// Linear (Gaussian), ReLU (Gaussian, orthogonal), tanh (Gaussian,
    /// orthogonal).
    pub cases: Vec<IsometryCase>,
}

/// The bias variance of the tanh networks in the Jacobian experiment: small,
/// so that q* is small and tanh works near its linear regime.
pub const ISOMETRY_SIGMA_B2: f64 = 1e-4;

/// Jacobian spectra at depths 1, 2, 4, … up to `jacobian_depth`, for
/// linear, ReLU and tanh networks on the edge of chaos with Gaussian and
/// orthogonal weights, `seeds` networks each: case k, seed r draws from
/// `stream(seed, "isometry", k·seeds + r)`.
pub fn isometry(
    params: &OrderChaosParams,
    seed: u64,
    progress: Progress,
) -> Result<Isometry, Error> {
    params.check()?;
    let b = ISOMETRY_SIGMA_B2;
    let w_tanh = critical_sigma_w2(Activation::Tanh, b)
        .ok_or(Error::NoFixedPoint("no edge of chaos for tanh".to_string()))?;
    let tanh = MeanField::new(Activation::Tanh, w_tanh, b);
    let q_tanh = tanh.fixed_length().unwrap_or(0.0);
    let cases = [
        (
            "linear",
            MeanField::new(Activation::Identity, 1.0, 0.0),
            1.0,
            Weights::Gaussian,
        ),
        (
            "ReLU",
            MeanField::new(Activation::Relu, 2.0, 0.0),
            1.0,
            Weights::Gaussian,
        ),
        (
            "ReLU",
            MeanField::new(Activation::Relu, 2.0, 0.0),
            1.0,
            Weights::Orthogonal,
        ),
        ("tanh", tanh.clone(), q_tanh, Weights::Gaussian),
        ("tanh", tanh, q_tanh, Weights::Orthogonal),
    ];
    let mut depths = Vec::new();
    let mut d = 1;
    while d < params.jacobian_depth {
        depths.push(d);
        d *= 2;
    }
    depths.push(params.jacobian_depth);
    let jobs = cases.len() * params.seeds;
    let runs = repeat_counted(jobs, jobs, progress, |j, step| {
        let (_, field, q, weights) = &cases[j / params.seeds];
        let rng = &mut stream(seed, "isometry", j as u64);
        let spectra = jacobian_spectra(field, *weights, *q, params.jacobian_width, &depths, rng);
        step();
        spectra
    });
    let cases = cases
        .iter()
        .enumerate()
        .map(|(k, (name, field, q, weights))| {
            let mine = &runs[k * params.seeds..(k + 1) * params.seeds];
            let over = |f: fn(&JacobianSpectrum) -> f64| -> Vec<Spread> {
                (0..depths.len())
                    .map(|i| Spread::of(mine.iter().map(|r| f(&r[i])).collect()))
                    .collect()
            };
            IsometryCase {
                activation: name.to_string(),
                weights: *weights,
                sigma_w2: field.sigma_w2,
                sigma_b2: field.sigma_b2,
                q: *q,
                depths: depths.clone(),
                predicted: depths
                    .iter()
                    .map(|&d| predicted_variance(field.activation, *weights, *q, d))
                    .collect(),
                variance: over(|s| s.variance_squared),
                mean_variance: (0..depths.len())
                    .map(|i| {
                        mean(
                            &mine
                                .iter()
                                .map(|r| r[i].variance_squared)
                                .collect::<Vec<_>>(),
                        )
                    })
                    .collect(),
                largest: over(|s| s.largest),
                deepest: mine[0].last().expect("at least one depth").clone(),
            }
        })
        .collect();
    Ok(Isometry { cases })
}

/// Plain and residual stacks at initialization.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResidualStacks {
    /// Layers.
    pub depth: usize,
    /// Per stack: how it is joined, and one profile (second moments forward,
    /// gradients backward) per seed; the prediction is
    /// [`Stack::factor_per_layer`] to the power of the layers.
    pub stacks: Vec<StackRun>,
}

/// One stack of [`ResidualStacks`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StackRun {
    /// How the layers are joined.
    pub stack: Stack,
    /// One profile per seed.
    pub profiles: Vec<StackProfile>,
}

/// Plain He-initialized ReLU layers against residual ones with α = 1,
/// α = 1/√L and α = 0, `jacobian_depth` layers of `jacobian_width` units,
/// `seeds` networks each: stack k, seed r draws from
/// `stream(seed, "residual_stacks", k·seeds + r)`.
pub fn residual_stacks(params: &OrderChaosParams, seed: u64) -> Result<ResidualStacks, Error> {
    params.check()?;
    let depth = params.jacobian_depth;
    let stacks = [
        Stack::Plain,
        Stack::Residual { alpha: 1.0 },
        Stack::Residual {
            alpha: 1.0 / (depth as f64).sqrt(),
        },
        Stack::Residual { alpha: 0.0 },
    ];
    let jobs = stacks.len() * params.seeds;
    let profiles = repeat(jobs, |j| {
        let rng = &mut stream(seed, "residual_stacks", j as u64);
        stack_profile(
            stacks[j / params.seeds],
            params.jacobian_width,
            depth,
            16,
            rng,
        )
    });
    let stacks = stacks
        .iter()
        .enumerate()
        .map(|(k, &stack)| StackRun {
            stack,
            profiles: profiles[k * params.seeds..(k + 1) * params.seeds].to_vec(),
        })
        .collect();
    Ok(ResidualStacks { depth, stacks })
}
