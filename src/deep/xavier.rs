//! Chapter 3, *Default and Xavier initialization*: PyTorch's default
//! ([`torch_default`]), Glorot & Bengio's measurements at initialization
//! ([`glorot_at_init`], with the Jacobian of [`middle_jacobian`]), and deep
//! tanh and sigmoid networks trained with both initializations
//! ([`train_tanh_sigmoid`]).

use rand::Rng;
use serde::{Deserialize, Serialize};

use crate::deep::propagation::{LayerStats, Snapshot, flat, layer_jacobian, mean_singular_value};
use crate::nn::activation::Activation;
use crate::nn::data::{Dataset, TEST_FRACTION};
use crate::nn::init::Init;
use crate::nn::mlp::{Forward, Mlp, layer_sizes};
use crate::nn::optim::Sgd;
use crate::nn::train::{EpochStats, Training, train};
use crate::numeric::random::{repeat_counted, stream};
use crate::numeric::stats::{Faults, Histogram, Spread, quantile, variance};
use crate::{Error, Progress, Range};

/// The parameters of the chapter's experiments; `Default` gives the book's.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct XavierParams {
    /// Hidden layers, at initialization and in training.
    pub depth: usize,
    /// Units per hidden layer at initialization.
    pub width: usize,
    /// Hidden activation at initialization.
    pub activation: Activation,
    /// The initialization compared with Glorot & Bengio's standard one.
    pub init: Init,
    /// Digits pushed through the network at initialization.
    pub batch: usize,
    /// Units per hidden layer for the training runs.
    pub train_width: usize,
    /// Training epochs.
    pub epochs: usize,
    /// Learning rate for training.
    pub lr: f64,
    /// Examples per SGD step in training (Glorot & Bengio used 10).
    pub minibatch: usize,
    /// Seeds the training runs are repeated over.
    pub seeds: usize,
}

impl XavierParams {
    /// Allowed numbers of hidden layers.
    pub const DEPTH: Range = Range::whole(1, 100);
    /// Allowed units per hidden layer at initialization.
    pub const WIDTH: Range = Range::whole(2, 2000);
    /// Allowed batch sizes at initialization (up to every digit).
    pub const BATCH: Range = Range::whole(1, 1797);
    /// Allowed units per hidden layer in training.
    pub const TRAIN_WIDTH: Range = Range::whole(2, 2000);
    /// Allowed numbers of epochs.
    pub const EPOCHS: Range = Range::whole(1, 500);
    /// Allowed learning rates.
    pub const LR: Range = Range::closed(1e-6, 10.0);
    /// Allowed minibatch sizes (up to every digit).
    pub const MINIBATCH: Range = Range::whole(1, 1797);
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
        Self::SEEDS.check_whole("seeds", self.seeds)?;
        Ok(())
    }
}

impl Default for XavierParams {
    fn default() -> Self {
        XavierParams {
            depth: 5,
            width: 1000,
            activation: Activation::Tanh,
            init: Init::XavierUniform { gain: 1.0 },
            batch: 100,
            train_width: 64,
            epochs: 10,
            lr: 0.05,
            minibatch: 10,
            seeds: 5,
        }
    }
}

/// What [`torch_default`] measured.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TorchDefault {
    /// The fan n (fan_in = fan_out) of the sampled n × n matrix.
    pub n: usize,
    /// n·Var(W) of the sample; the formula gives 1/3.
    pub n_var: f64,
    /// The largest |w| of the sample.
    pub largest: f64,
    /// The bound 1/√n of the distribution.
    pub bound: f64,
}

/// Allowed fans n of [`torch_default`].
pub const TORCH_FAN: Range = Range::whole(2, 2000);

// ANCHOR: torch_default
/// PyTorch's `nn.Linear` default, `kaiming_uniform_(a = √5)`, sampled at
/// fan_in = fan_out = `n`: n·Var(W) should be 1/3, the largest weight at
/// most 1/√n.
pub fn torch_default(n: usize, rng: &mut impl Rng) -> Result<TorchDefault, Error> {
    TORCH_FAN.check_whole("n", n)?;
    let torch = Init::TorchLinear.weights(n, n, rng);
    let n_var = n as f64 * variance(torch.as_slice().unwrap());
    let largest = torch.iter().fold(0.0f64, |m, w| m.max(w.abs()));
    Ok(TorchDefault {
        n,
        n_var,
        largest,
        bound: 1.0 / (n as f64).sqrt(),
    })
}
// ANCHOR_END: torch_default

/// One network of [`glorot_at_init`], measured at initialization.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AtInit {
    /// Its initialization (`standard` for Glorot & Bengio's standard one).
    pub init: Init,
    /// The statistics of every hidden layer.
    pub layers: Vec<LayerStats>,
    /// Hidden layers whose activations or gradients overflowed (inf/NaN),
    /// and those whose gradients underflowed to exactly 0.
    pub faults: Faults,
    /// Histograms of the activations h, one per layer of
    /// [`GlorotAtInit::histogram_layers`].
    pub activations: Vec<Histogram>,
    /// Histograms of the back-propagated gradients ∂L/∂z, one per layer of
    /// [`GlorotAtInit::histogram_layers`].
    pub deltas: Vec<Histogram>,
    /// Histograms of the weight gradients ∂L/∂W, one per layer of
    /// [`GlorotAtInit::histogram_layers`].
    pub weight_grads: Vec<Histogram>,
    /// [`middle_jacobian`]: the average singular value of the Jacobian
    /// between two middle hidden layers (none with a single hidden layer).
    pub jacobian_mean_sv: Option<f64>,
}

/// What [`glorot_at_init`] found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GlorotAtInit {
    /// The network with Glorot & Bengio's standard initialization.
    pub standard: AtInit,
    /// The network with the chosen initialization (`init`).
    pub chosen: AtInit,
    /// The hidden layers (1 = first) the histograms show: all of them up to
    /// six, otherwise six evenly spaced, the first and the last included.
    pub histogram_layers: Vec<usize>,
    /// The layer l of the Jacobian ∂h⁽ˡ⁺¹⁾/∂h⁽ˡ⁾ that [`middle_jacobian`]
    /// measures (none with a single hidden layer).
    pub jacobian_layer: Option<usize>,
}

// ANCHOR: glorot_at_init
/// Glorot & Bengio's experiment at initialization, on a batch of digits:
/// `depth` hidden layers of `width` units, their standard initialization
/// against the chosen one (`init`, normalized = Xavier by default). One
/// forward and backward pass per network gives every hidden layer's
/// statistics, the histograms of their Figures 6–8, and the Jacobian of
/// their §4.2.2 ([`middle_jacobian`]).
pub fn glorot_at_init(
    params: &XavierParams,
    rng: &mut impl Rng,
    progress: Progress,
) -> Result<GlorotAtInit, Error> {
    params.check()?;
    let batch = Dataset::digits().sample(params.batch, rng);
    let sizes = layer_sizes(64, params.width, params.depth, 10);
    let nets: Vec<(Init, Mlp, Snapshot)> = [Init::GLOROT_STANDARD, params.init]
        .into_iter()
        .enumerate()
        .map(|(i, init)| {
            let net = Mlp::new(&sizes, params.activation, init, rng);
            let snap = Snapshot::take(&net, batch.x.view(), &batch.y);
            progress(i + 1, 2);
            (init, net, snap)
        })
        .collect();

    // Figures 6–8: the same bins for both networks.
    let shown = histogram_layers(params.depth);
    let snaps: Vec<&Snapshot> = nets.iter().map(|(_, _, s)| s).collect();
    let tanh_range = (params.activation == Activation::Tanh).then_some(1.0);
    let activations = histograms(&snaps, &shown, tanh_range, |s, l| {
        flat(&s.forward.post[l + 1])
    });
    let deltas = histograms(&snaps, &shown, None, |s, l| flat(&s.grads.deltas[l]));
    let weight_grads = histograms(&snaps, &shown, None, |s, l| flat(&s.grads.weights[l]));

    let mut measured = nets.iter().enumerate().map(|(i, (init, net, snap))| {
        let layers = snap.hidden_stats();
        AtInit {
            init: *init,
            faults: layer_faults(&layers),
            layers,
            activations: activations[i].clone(),
            deltas: deltas[i].clone(),
            weight_grads: weight_grads[i].clone(),
            jacobian_mean_sv: middle_jacobian(net, &snap.forward),
        }
    });
    Ok(GlorotAtInit {
        standard: measured.next().unwrap(),
        chosen: measured.next().unwrap(),
        histogram_layers: shown.iter().map(|l| l + 1).collect(),
        jacobian_layer: (params.depth >= 2).then_some(params.depth / 2),
    })
}
// ANCHOR_END: glorot_at_init

// ANCHOR: middle_jacobian
/// Glorot & Bengio's §4.2.2: the average singular value of the Jacobian
/// ∂h⁽ˡ⁺¹⁾/∂h⁽ˡ⁾ between two middle hidden layers (l = depth/2), for the
/// first example of the batch. None if the network has a single hidden layer.
pub fn middle_jacobian(net: &Mlp, forward: &Forward) -> Option<f64> {
    let depth = net.depth() - 1; // hidden layers
    if depth < 2 {
        return None;
    }
    let j = layer_jacobian(net, forward, depth / 2, 0);
    Some(mean_singular_value(j.view()))
}
// ANCHOR_END: middle_jacobian

/// The hidden layers (0-based) a histogram figure shows for a network of
/// `depth` hidden layers: all up to six, otherwise six evenly spaced, the
/// first and the last included.
pub fn histogram_layers(depth: usize) -> Vec<usize> {
    if depth <= 6 {
        (0..depth).collect()
    } else {
        (0..6).map(|i| i * (depth - 1) / 5).collect()
    }
}

/// For each snapshot, a 60-bin histogram of `values(snapshot, layer)` for each
/// of the hidden `layers` (0-based), all over the same range [−r, r]: r is
/// `symmetric_range` if given, otherwise the 99.5% quantile of |value| over
/// every snapshot and layer shown (1 if that is not a positive number, as
/// when everything overflowed).
pub fn histograms(
    snaps: &[&Snapshot],
    layers: &[usize],
    symmetric_range: Option<f64>,
    values: impl Fn(&Snapshot, usize) -> Vec<f64>,
) -> Vec<Vec<Histogram>> {
    let range = symmetric_range.unwrap_or_else(|| {
        let all: Vec<f64> = snaps
            .iter()
            .flat_map(|s| layers.iter().flat_map(|&l| values(s, l)).map(f64::abs))
            .collect();
        quantile(&all, 0.995)
    });
    let range = if range.is_finite() && range > 0.0 {
        range
    } else {
        1.0
    };
    snaps
        .iter()
        .map(|s| {
            layers
                .iter()
                .map(|&l| Histogram::new(&values(s, l), -range, range, 60))
                .collect()
        })
        .collect()
}

/// Blow-ups are results: the hidden layers whose activations or gradients
/// overflowed (inf/NaN), and those whose gradients underflowed to 0.
pub fn layer_faults(layers: &[LayerStats]) -> Faults {
    let mut faults = Faults::default();
    for s in layers {
        let values = [s.activation_var, s.delta_var, s.weight_grad_var];
        if values.iter().any(|v| !v.is_finite()) {
            faults.overflowed += 1;
        } else if s.delta_var == 0.0 || s.weight_grad_var == 0.0 {
            faults.vanished += 1;
        }
    }
    faults
}

/// One configuration of [`train_tanh_sigmoid`], trained once per seed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainedNet {
    /// The hidden activation.
    pub activation: Activation,
    /// The initialization (`standard` for Glorot & Bengio's standard one).
    pub init: Init,
    /// True for the run with the standard initialization, false for the one
    /// with the chosen initialization (`init`).
    pub standard: bool,
    /// Per seed: training loss and test error, per epoch (epoch 0 = at
    /// initialization; a run stops early if its loss stops being finite).
    pub histories: Vec<Vec<EpochStats>>,
    /// The test error after the last epoch, over the seeds.
    pub test_error: Spread,
}

/// What [`train_tanh_sigmoid`] found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TanhSigmoidTraining {
    /// Digits the networks trained on.
    pub train_size: usize,
    /// Digits they were tested on.
    pub test_size: usize,
    /// The four configurations: tanh standard, tanh chosen, sigmoid
    /// standard, sigmoid chosen.
    pub runs: Vec<TrainedNet>,
}

// ANCHOR: train_tanh_sigmoid
/// Deep (`depth` hidden layers of `train_width` units) tanh and sigmoid
/// networks trained on the digits with Glorot & Bengio's standard
/// initialization and with the chosen one, by SGD on minibatches of
/// `minibatch` (they used 10). Repeated over `seeds` seeds, in parallel:
/// repetition r draws its split of the digits (a random quarter held out for
/// testing), its four networks and their minibatches from
/// `stream(seed, "train_tanh_sigmoid", r)`.
pub fn train_tanh_sigmoid(
    params: &XavierParams,
    seed: u64,
    progress: Progress,
) -> Result<TanhSigmoidTraining, Error> {
    params.check()?;
    let digits = Dataset::digits();
    let (train_size, test_size) = digits.split_sizes(TEST_FRACTION);
    let sizes = layer_sizes(64, params.train_width, params.depth, 10);
    let cfg = Training {
        epochs: params.epochs,
        batch_size: params.minibatch,
        sgd: Sgd::new(params.lr),
        dropout: 0.0,
    };
    let configs = [Activation::Tanh, Activation::Sigmoid].map(|activation| {
        [(true, Init::GLOROT_STANDARD), (false, params.init)]
            .map(|(standard, init)| (activation, standard, init))
    });
    let configs = configs.as_flattened();
    let steps_per_run = params.epochs * train_size.div_ceil(params.minibatch);
    let total = params.seeds * configs.len() * steps_per_run;
    let per_seed = repeat_counted(params.seeds, total, progress, |r, step| {
        let rng = &mut stream(seed, "train_tanh_sigmoid", r as u64);
        let (train_set, test_set) = digits.train_test(rng);
        configs
            .iter()
            .map(|&(activation, _, init)| {
                let mut net = Mlp::new(&sizes, activation, init, rng);
                train(&mut net, &train_set, &test_set, &cfg, rng, |_| step())
            })
            .collect::<Vec<_>>()
    });
    let runs = configs
        .iter()
        .enumerate()
        .map(|(c, &(activation, standard, init))| {
            let histories: Vec<Vec<EpochStats>> =
                per_seed.iter().map(|runs| runs[c].clone()).collect();
            let last = |h: &Vec<EpochStats>| h.last().map_or(f64::NAN, |s| s.test_error);
            TrainedNet {
                activation,
                init,
                standard,
                test_error: Spread::of(histories.iter().map(last).collect()),
                histories,
            }
        })
        .collect();
    Ok(TanhSigmoidTraining {
        train_size,
        test_size,
        runs,
    })
}
// ANCHOR_END: train_tanh_sigmoid

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{SeedableRng, rngs::StdRng};

    #[test]
    fn out_of_range_parameters_are_refused_before_any_work() {
        let params = XavierParams {
            minibatch: 0,
            ..XavierParams::default()
        };
        let err = train_tanh_sigmoid(&params, 0, &mut crate::quiet).unwrap_err();
        assert!(
            matches!(
                err,
                Error::Parameter {
                    name: "minibatch",
                    ..
                }
            ),
            "{err}"
        );
        assert!(err.to_string().contains("1..=1797"), "{err}");
        let params = XavierParams {
            init: Init::Normal { std: -1.0 },
            ..XavierParams::default()
        };
        let err =
            glorot_at_init(&params, &mut StdRng::seed_from_u64(0), &mut crate::quiet).unwrap_err();
        assert!(
            matches!(err, Error::Parameter { name: "init", .. }),
            "{err}"
        );
        assert!(torch_default(0, &mut StdRng::seed_from_u64(0)).is_err());
        assert_eq!(XavierParams::default().check(), Ok(()));
    }
}
