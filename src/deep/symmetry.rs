//! Chapter 2, *Breaking the symmetry*: measuring whether hidden units are
//! copies of each other ([`unit_spread`]), and the chapter's experiment
//! ([`three_starts`]).

use rand::Rng;
use serde::{Deserialize, Serialize};

use crate::nn::activation::Activation;
use crate::nn::data::Dataset;
use crate::nn::init::Init;
use crate::nn::mlp::Mlp;
use crate::nn::optim::Sgd;
use crate::nn::train::{EpochStats, Training, train};
use crate::{Error, Progress, Range};

/// The largest difference between any hidden unit of layer `layer` (1-based:
/// the first hidden layer is 1) and that layer's first unit, over everything
/// that defines a unit: its incoming weights (a column of W⁽ˡ⁾), its bias and
/// its outgoing weights (a row of W⁽ˡ⁺¹⁾). Exactly 0 when all units are copies.
///
/// ```
/// use rand::{SeedableRng, rngs::StdRng};
/// use stable_learning::deep::symmetry::unit_spread;
/// use stable_learning::nn::{activation::Activation, init::Init, mlp::Mlp};
/// let mut rng = StdRng::seed_from_u64(0);
/// let net = Mlp::new(&[4, 3, 2], Activation::Tanh, Init::Constant { value: 0.1 }, &mut rng);
/// assert_eq!(unit_spread(&net, 1), 0.0);
/// ```
pub fn unit_spread(net: &Mlp, layer: usize) -> f64 {
    let incoming = &net.layers[layer - 1];
    let outgoing = net.layers.get(layer);
    let units = incoming.weights.ncols();
    let mut spread: f64 = 0.0;
    for j in 1..units {
        let w_in = incoming.weights.column(j);
        let first_in = incoming.weights.column(0);
        for (a, b) in w_in.iter().zip(first_in) {
            spread = spread.max((a - b).abs());
        }
        spread = spread.max((incoming.biases[j] - incoming.biases[0]).abs());
        if let Some(next) = outgoing {
            for (a, b) in next.weights.row(j).iter().zip(next.weights.row(0)) {
                spread = spread.max((a - b).abs());
            }
        }
    }
    spread
}

/// The parameters of the chapter's experiment; `Default` gives the book's.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SymmetryParams {
    /// Hidden tanh units.
    pub hidden: usize,
    /// The value of every weight and bias in the symmetric start.
    pub value: f64,
    /// Passes over the training set.
    pub epochs: usize,
    /// Examples per SGD step.
    pub batch: usize,
    /// Learning rate.
    pub lr: f64,
    /// Dropout probability of the hidden units in the dropout run.
    pub dropout: f64,
}

impl SymmetryParams {
    /// Allowed hidden units.
    pub const HIDDEN: Range = Range::whole(2, 1024);
    /// Allowed values of the symmetric start.
    pub const VALUE: Range = Range::closed(-10.0, 10.0);
    /// Allowed numbers of epochs.
    pub const EPOCHS: Range = Range::whole(1, 1000);
    /// Allowed minibatch sizes (up to every digit).
    pub const BATCH: Range = Range::whole(1, 1797);
    /// Allowed learning rates.
    pub const LR: Range = Range::closed(1e-6, 10.0);
    /// Allowed dropout probabilities.
    pub const DROPOUT: Range = Range::closed(0.01, 0.95);

    /// Checks every parameter against its range ([`Error::Parameter`] names
    /// the first one out of range).
    pub fn check(&self) -> Result<(), Error> {
        Self::HIDDEN.check_whole("hidden", self.hidden)?;
        Self::VALUE.check("value", self.value)?;
        Self::EPOCHS.check_whole("epochs", self.epochs)?;
        Self::BATCH.check_whole("batch", self.batch)?;
        Self::LR.check("lr", self.lr)?;
        Self::DROPOUT.check("dropout", self.dropout)?;
        Ok(())
    }
}

impl Default for SymmetryParams {
    fn default() -> Self {
        SymmetryParams {
            hidden: 32,
            value: 0.05,
            epochs: 30,
            batch: 32,
            lr: 0.2,
            dropout: 0.5,
        }
    }
}

/// One training run of [`three_starts`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StartRun {
    /// How the network started: "equal weights", "random weights (Xavier)"
    /// or "equal weights + dropout".
    pub start: String,
    /// [`unit_spread`] of the hidden layer at initialization and after every
    /// SGD step.
    pub spread: Vec<f64>,
    /// Training loss and test error, per epoch (epoch 0 = at initialization).
    pub history: Vec<EpochStats>,
    /// The largest value of `spread`.
    pub max_spread: f64,
    /// The first SGD step after which the units differ by more than 1, if any.
    pub steps_to_spread_1: Option<usize>,
    /// The test error after the last epoch.
    pub test_error: f64,
}

/// What [`three_starts`] found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ThreeStarts {
    /// Digits the networks trained on.
    pub train_size: usize,
    /// Digits they were tested on.
    pub test_size: usize,
    /// The three runs: equal weights, random weights, equal weights + dropout.
    pub runs: Vec<StartRun>,
    /// The control: the test error of a network with a single hidden unit,
    /// started at random and trained the same way. An equal start's units
    /// stay one unit repeated; this is what one unit can do.
    pub single_unit_test_error: f64,
}

// ANCHOR: three_starts
/// The chapter's experiment: a network with one hidden layer of tanh units,
/// trained on the digits (a random quarter held out for testing) three
/// times: every weight equal to `value`, Xavier's random start, and equal
/// weights with dropout on the hidden units. After every SGD step it
/// measures how different the hidden units are ([`unit_spread`]). Then, as
/// a control, it trains a network with a single hidden unit the same way.
pub fn three_starts(
    params: &SymmetryParams,
    rng: &mut impl Rng,
    progress: Progress,
) -> Result<ThreeStarts, Error> {
    params.check()?;
    let (train_set, test_set) = Dataset::digits().split(0.25, rng);
    let sizes = [64, params.hidden, 10];
    let equal = Init::Constant {
        value: params.value,
    };
    let starts = [
        ("equal weights", equal, 0.0),
        (
            "random weights (Xavier)",
            Init::XavierUniform { gain: 1.0 },
            0.0,
        ),
        ("equal weights + dropout", equal, params.dropout),
    ];
    let mut runs = Vec::new();
    for (i, (start, init, dropout)) in starts.into_iter().enumerate() {
        let mut net = Mlp::new(&sizes, Activation::Tanh, init, rng);
        let cfg = Training {
            epochs: params.epochs,
            batch_size: params.batch,
            sgd: Sgd::new(params.lr),
            dropout,
        };
        // After every SGD step: how different are the hidden units?
        let mut spread = vec![unit_spread(&net, 1)];
        let history = train(&mut net, &train_set, &test_set, &cfg, rng, |n| {
            spread.push(unit_spread(n, 1))
        });
        runs.push(StartRun {
            start: start.to_string(),
            max_spread: spread.iter().fold(0.0, |m, &v| m.max(v)),
            steps_to_spread_1: spread.iter().position(|&d| d > 1.0),
            test_error: history.last().map_or(f64::NAN, |s| s.test_error),
            spread,
            history,
        });
        progress(i + 1, starts.len() + 1);
    }
    // The control: one hidden unit, random start, the same training.
    let xavier = Init::XavierUniform { gain: 1.0 };
    let mut one = Mlp::new(&[64, 1, 10], Activation::Tanh, xavier, rng);
    let cfg = Training {
        epochs: params.epochs,
        batch_size: params.batch,
        sgd: Sgd::new(params.lr),
        dropout: 0.0,
    };
    let history = train(&mut one, &train_set, &test_set, &cfg, rng, |_| {});
    progress(starts.len() + 1, starts.len() + 1);
    Ok(ThreeStarts {
        train_size: train_set.len(),
        test_size: test_set.len(),
        runs,
        single_unit_test_error: history.last().map_or(f64::NAN, |s| s.test_error),
    })
}
// ANCHOR_END: three_starts

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{SeedableRng, rngs::StdRng};

    #[test]
    fn out_of_range_parameters_are_refused_before_any_work() {
        let params = SymmetryParams {
            dropout: 1.0,
            ..SymmetryParams::default()
        };
        let err =
            three_starts(&params, &mut StdRng::seed_from_u64(0), &mut crate::quiet).unwrap_err();
        assert!(
            matches!(
                err,
                Error::Parameter {
                    name: "dropout",
                    ..
                }
            ),
            "{err}"
        );
        assert!(err.to_string().contains("[0.01, 0.95]"), "{err}");
        assert_eq!(SymmetryParams::default().check(), Ok(()));
    }
}
