//! Chapter 4, *He initialization, and beyond*: the variance of a deep ReLU
//! network's signal at initialization ([`variance_per_layer`]), training it
//! ([`train_deep_relu`]), and signal propagation through thousands of
//! Gaussian or orthogonal layers ([`very_deep`]).

use rand::Rng;
use serde::{Deserialize, Serialize};

use crate::deep::propagation::{flat, propagate_deep};
use crate::nn::activation::Activation;
use crate::nn::data::{Dataset, TEST_FRACTION};
use crate::nn::init::Init;
use crate::nn::mlp::{Mlp, layer_sizes};
use crate::nn::optim::Sgd;
use crate::nn::train::{EpochStats, Training, train};
use crate::numeric::linalg::gaussian_matrix;
use crate::numeric::math;
use crate::numeric::random::{repeat_counted, stream};
use crate::numeric::stats::{Faults, Spread, variance};
use crate::{Error, Progress, Range};

/// The parameters of the chapter's experiments; `Default` gives the book's.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HeParams {
    /// Hidden layers of the ReLU network, at initialization and in training.
    pub depth: usize,
    /// Units per hidden layer at initialization.
    pub width: usize,
    /// The initialization compared with He's.
    pub init: Init,
    /// Digits pushed through the network at initialization.
    pub batch: usize,
    /// Units per hidden layer for the training runs.
    pub train_width: usize,
    /// Training epochs.
    pub epochs: usize,
    /// Learning rate for training.
    pub lr: f64,
    /// Examples per SGD step in training.
    pub minibatch: usize,
    /// Layers in the very deep signal-propagation experiment.
    pub deep_depth: usize,
    /// Units per layer in the very deep experiment.
    pub deep_width: usize,
    /// Seeds the training runs are repeated over.
    pub seeds: usize,
}

impl HeParams {
    /// Allowed numbers of hidden layers.
    pub const DEPTH: Range = Range::whole(1, 200);
    /// Allowed units per hidden layer at initialization.
    pub const WIDTH: Range = Range::whole(2, 2000);
    /// Allowed batch sizes at initialization (up to every digit).
    pub const BATCH: Range = Range::whole(1, 1797);
    /// Allowed units per hidden layer in training.
    pub const TRAIN_WIDTH: Range = Range::whole(2, 1000);
    /// Allowed numbers of epochs.
    pub const EPOCHS: Range = Range::whole(1, 500);
    /// Allowed learning rates.
    pub const LR: Range = Range::closed(1e-6, 10.0);
    /// Allowed minibatch sizes (up to every digit).
    pub const MINIBATCH: Range = Range::whole(1, 1797);
    /// Allowed numbers of layers in the very deep experiment.
    pub const DEEP_DEPTH: Range = Range::whole(1, 100_000);
    /// Allowed units per layer in the very deep experiment.
    pub const DEEP_WIDTH: Range = Range::whole(2, 512);
    /// Allowed numbers of seeds for the training runs.
    pub const SEEDS: Range = Range::whole(1, 100);

    /// Checks every parameter against its range ([`Error::Parameter`] names
    /// the first one out of range; `init`'s number against [`Init::NUMBER`]).
    pub fn check(&self) -> Result<(), Error> {
        Self::DEPTH.check_whole("depth", self.depth)?;
        Self::WIDTH.check_whole("width", self.width)?;
        self.init.check("init")?;
        Self::BATCH.check_whole("batch", self.batch)?;
        Self::TRAIN_WIDTH.check_whole("train_width", self.train_width)?;
        Self::EPOCHS.check_whole("epochs", self.epochs)?;
        Self::LR.check("lr", self.lr)?;
        Self::MINIBATCH.check_whole("minibatch", self.minibatch)?;
        Self::DEEP_DEPTH.check_whole("deep_depth", self.deep_depth)?;
        Self::DEEP_WIDTH.check_whole("deep_width", self.deep_width)?;
        Self::SEEDS.check_whole("seeds", self.seeds)?;
        Ok(())
    }
}

impl Default for HeParams {
    fn default() -> Self {
        HeParams {
            depth: 30,
            width: 256,
            init: Init::XavierNormal { gain: 1.0 },
            batch: 100,
            train_width: 48,
            epochs: 20,
            lr: 0.003,
            minibatch: 16,
            deep_depth: 2000,
            deep_width: 64,
            seeds: 5,
        }
    }
}

/// One network of [`variance_per_layer`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VarianceProfile {
    /// Its initialization.
    pub init: Init,
    /// Var(z⁽ˡ⁾) of the pre-activations of every hidden layer, l = 1, …, depth.
    pub var_z: Vec<f64>,
    /// Var(z⁽ᴸ⁾)/Var(z⁽¹⁾), last hidden layer against the first.
    pub ratio: f64,
    /// The geometric mean of the ratio per layer, ratio^(1/(depth − 1))
    /// (the ratio itself for a single hidden layer).
    pub per_layer: f64,
    /// Layers whose variance overflowed (inf/NaN) or underflowed to 0.
    pub faults: Faults,
}

/// What [`variance_per_layer`] found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VariancePerLayer {
    /// The network with the compared initialization (`init`, Xavier by default).
    pub compared: VarianceProfile,
    /// The network with He initialization.
    pub he: VarianceProfile,
}

// ANCHOR: variance_per_layer
/// A deep ReLU network (`depth` hidden layers of `width` units) at
/// initialization, on a batch of digits: the variance of the pre-activations
/// z⁽ˡ⁾ of every hidden layer, for the compared initialization and for He.
pub fn variance_per_layer(
    params: &HeParams,
    rng: &mut impl Rng,
) -> Result<VariancePerLayer, Error> {
    params.check()?;
    let batch = Dataset::digits().sample(params.batch, rng);
    let sizes = layer_sizes(64, params.width, params.depth, 10);
    let mut profile = |init: Init| {
        let net = Mlp::new(&sizes, Activation::Relu, init, rng);
        let forward = net.forward(batch.x.view());
        let var_z: Vec<f64> = forward.pre[..params.depth]
            .iter()
            .map(|z| variance(&flat(z)))
            .collect();
        let ratio = var_z[params.depth - 1] / var_z[0];
        VarianceProfile {
            init,
            ratio,
            per_layer: math::powf(ratio, 1.0 / (params.depth.max(2) - 1) as f64),
            faults: Faults::count(&var_z),
            var_z,
        }
    };
    let compared = profile(params.init);
    let he = profile(Init::HE_RELU);
    Ok(VariancePerLayer { compared, he })
}
// ANCHOR_END: variance_per_layer

/// One network of [`train_deep_relu`], trained once per seed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReluRun {
    /// Its initialization.
    pub init: Init,
    /// Its hidden layers.
    pub depth: usize,
    /// Per seed: training loss and test error, per epoch (epoch 0 = at
    /// initialization; a run stops early if its loss stops being finite).
    pub histories: Vec<Vec<EpochStats>>,
    /// The training loss of the last epoch, over the seeds.
    pub train_loss: Spread,
    /// The test error after the last epoch, over the seeds.
    pub test_error: Spread,
}

/// What [`train_deep_relu`] found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeepReluTraining {
    /// Digits the networks trained on.
    pub train_size: usize,
    /// Digits they were tested on.
    pub test_size: usize,
    /// The deep network with the compared initialization (`init`, Xavier by
    /// default).
    pub compared: ReluRun,
    /// The deep network with He initialization.
    pub he: ReluRun,
    /// The shallow baseline: one hidden layer, He initialization, trained
    /// the same way.
    pub shallow: ReluRun,
}

// ANCHOR: train_deep_relu
/// The deep ReLU network (`depth` hidden layers of `train_width` units)
/// trained on the digits by SGD with the compared initialization and with
/// He's, beside a shallow baseline (one hidden layer, He). Repeated over
/// `seeds` seeds in parallel: repetition r draws its split of the digits (a
/// quarter held out for testing), its networks and their minibatches from
/// `stream(seed, "train_deep_relu", r)`.
pub fn train_deep_relu(
    params: &HeParams,
    seed: u64,
    progress: Progress,
) -> Result<DeepReluTraining, Error> {
    params.check()?;
    let digits = Dataset::digits();
    let (train_size, test_size) = digits.split_sizes(TEST_FRACTION);
    let cfg = Training {
        epochs: params.epochs,
        batch_size: params.minibatch,
        sgd: Sgd::new(params.lr),
        dropout: 0.0,
    };
    let nets = [
        (params.init, params.depth),
        (Init::HE_RELU, params.depth),
        (Init::HE_RELU, 1),
    ];
    let steps_per_run = params.epochs * train_size.div_ceil(params.minibatch);
    let total = params.seeds * nets.len() * steps_per_run;
    let per_seed = repeat_counted(params.seeds, total, progress, |r, step| {
        let rng = &mut stream(seed, "train_deep_relu", r as u64);
        let (train_set, test_set) = digits.train_test(rng);
        nets.map(|(init, depth)| {
            let sizes = layer_sizes(64, params.train_width, depth, 10);
            let mut net = Mlp::new(&sizes, Activation::Relu, init, rng);
            train(&mut net, &train_set, &test_set, &cfg, rng, |_| step())
        })
    });
    let [compared, he, shallow] = std::array::from_fn(|i| {
        let (init, depth) = nets[i];
        let histories: Vec<Vec<EpochStats>> = per_seed.iter().map(|h| h[i].clone()).collect();
        let last = |f: fn(&EpochStats) -> f64| {
            let values = histories.iter().map(|h| h.last().map_or(f64::NAN, f));
            Spread::of(values.collect())
        };
        ReluRun {
            init,
            depth,
            train_loss: last(|s| s.train_loss),
            test_error: last(|s| s.test_error),
            histories,
        }
    });
    Ok(DeepReluTraining {
        train_size,
        test_size,
        compared,
        he,
        shallow,
    })
}
// ANCHOR_END: train_deep_relu

/// One run of [`very_deep`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeepRun {
    /// The weights: "Gaussian" (variance 1/n) or "orthogonal".
    pub weights: String,
    /// The activation: identity (linear) or tanh.
    pub activation: Activation,
    /// The root-mean-square of h⁽ˡ⁾, l = 0 (the input), 1, …, `deep_depth`.
    pub rms: Vec<f64>,
    /// The RMS after the last layer.
    pub last: f64,
    /// Layers where the RMS overflowed (inf/NaN) or underflowed to 0.
    pub faults: Faults,
}

/// What [`very_deep`] found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VeryDeep {
    /// The RMS of the input batch.
    pub input_rms: f64,
    /// The four runs: Gaussian linear, Gaussian tanh, orthogonal linear,
    /// orthogonal tanh.
    pub runs: Vec<DeepRun>,
}

// ANCHOR: very_deep
/// A batch of 32 random vectors pushed through `deep_depth` square layers of
/// `deep_width` units ([`propagate_deep`]): Gaussian weights with Var = 1/n
/// against random orthogonal weights, each linear and with tanh.
pub fn very_deep(
    params: &HeParams,
    rng: &mut impl Rng,
    progress: Progress,
) -> Result<VeryDeep, Error> {
    params.check()?;
    let x = gaussian_matrix(32, params.deep_width, rng);
    let acts = [Activation::Identity, Activation::Tanh];
    let n = params.deep_width as f64;
    let total = 2 * params.deep_depth;
    let mut done = 0;
    let mut layer_done = || {
        done += 1;
        progress(done, total);
    };
    let gaussian = Init::Normal {
        std: 1.0 / n.sqrt(),
    };
    let orthogonal = Init::Orthogonal { gain: 1.0 };
    let mut runs = Vec::new();
    for (weights, init) in [("Gaussian", gaussian), ("orthogonal", orthogonal)] {
        let rms = propagate_deep(
            x.view(),
            params.deep_depth,
            &acts,
            init,
            rng,
            &mut layer_done,
        );
        for (activation, rms) in acts.into_iter().zip(rms) {
            runs.push(DeepRun {
                weights: weights.to_string(),
                activation,
                last: *rms.last().unwrap(),
                faults: Faults::count(&rms),
                rms,
            });
        }
    }
    progress(total, total);
    Ok(VeryDeep {
        input_rms: runs[0].rms[0],
        runs,
    })
}
// ANCHOR_END: very_deep

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{SeedableRng, rngs::StdRng};

    #[test]
    fn out_of_range_parameters_are_refused_before_any_work() {
        // Depth 0 would index the variance of hidden layer 0.
        let params = HeParams {
            depth: 0,
            ..HeParams::default()
        };
        let err = variance_per_layer(&params, &mut StdRng::seed_from_u64(0)).unwrap_err();
        assert!(
            matches!(err, Error::Parameter { name: "depth", .. }),
            "{err}"
        );
        assert!(err.to_string().contains("1..=200"), "{err}");
        let params = HeParams {
            deep_width: 1,
            ..HeParams::default()
        };
        let err = very_deep(&params, &mut StdRng::seed_from_u64(0), &mut crate::quiet).unwrap_err();
        assert!(
            matches!(
                err,
                Error::Parameter {
                    name: "deep_width",
                    ..
                }
            ),
            "{err}"
        );
        let params = HeParams {
            lr: 0.0,
            ..HeParams::default()
        };
        let err = train_deep_relu(&params, 0, &mut crate::quiet).unwrap_err();
        assert!(matches!(err, Error::Parameter { name: "lr", .. }), "{err}");
        assert_eq!(HeParams::default().check(), Ok(()));
    }
}
