//! Chapter 2, *Breaking the symmetry*: measuring whether hidden units are
//! copies of each other ([`unit_spread`]), and the chapter's experiment
//! ([`three_starts`]).

use serde::{Deserialize, Serialize};

use crate::nn::activation::Activation;
use crate::nn::data::{Dataset, TEST_FRACTION};
use crate::nn::init::Init;
use crate::nn::mlp::Mlp;
use crate::nn::optim::Sgd;
use crate::nn::train::{EpochStats, Training, train};
use crate::numeric::random::{repeat_counted, stream};
use crate::numeric::stats::Spread;
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
    /// Seeds the runs are repeated over.
    pub seeds: usize,
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
    /// Allowed numbers of seeds.
    pub const SEEDS: Range = Range::whole(1, 100);

    /// Checks every parameter against its range ([`Error::Parameter`] names
    /// the first one out of range).
    pub fn check(&self) -> Result<(), Error> {
        Self::HIDDEN.check_whole("hidden", self.hidden)?;
        Self::VALUE.check("value", self.value)?;
        Self::EPOCHS.check_whole("epochs", self.epochs)?;
        Self::BATCH.check_whole("batch", self.batch)?;
        Self::LR.check("lr", self.lr)?;
        Self::DROPOUT.check("dropout", self.dropout)?;
        Self::SEEDS.check_whole("seeds", self.seeds)?;
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
            seeds: 5,
        }
    }
}

/// One start of [`three_starts`], trained once per seed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StartRun {
    /// How the network started: "equal weights", "random weights (Xavier)"
    /// or "equal weights + dropout".
    pub start: String,
    /// Per seed: [`unit_spread`] of the hidden layer at initialization and
    /// after every SGD step.
    pub spreads: Vec<Vec<f64>>,
    /// Per seed: training loss and test error, per epoch (epoch 0 = at
    /// initialization).
    pub histories: Vec<Vec<EpochStats>>,
    /// The spread after the last step, over the seeds.
    pub final_spread: Spread,
    /// Per seed: the first SGD step after which the units differ by more
    /// than 1, if any.
    pub steps_to_spread_1: Vec<Option<usize>>,
    /// The test error after the last epoch, over the seeds.
    pub test_error: Spread,
}

/// What [`three_starts`] found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ThreeStarts {
    /// Digits the networks trained on.
    pub train_size: usize,
    /// Digits they were tested on.
    pub test_size: usize,
    /// The three starts: equal weights, random weights, equal weights +
    /// dropout.
    pub runs: Vec<StartRun>,
    /// The control: the test error of a network with a single hidden unit,
    /// started at random and trained the same way, over the seeds. An equal
    /// start's units stay one unit repeated; this is what one unit can do.
    pub single_unit_test_error: Spread,
}

/// What one seed of [`three_starts`] gives: (spread per step, history) for
/// each start, and the single unit's test error.
type OneSeed = (Vec<(Vec<f64>, Vec<EpochStats>)>, f64);

// ANCHOR: three_starts
/// The chapter's experiment: a network with one hidden layer of tanh units,
/// trained on the digits (a random quarter held out for testing) three
/// times: every weight equal to `value`, Xavier's random start, and equal
/// weights with dropout on the hidden units. After every SGD step it
/// measures how different the hidden units are ([`unit_spread`]). Then, as
/// a control, it trains a network with a single hidden unit the same way.
/// Repeated over `seeds` seeds in parallel: repetition r draws its split,
/// its networks, minibatches and dropout masks from
/// `stream(seed, "three_starts", r)`.
pub fn three_starts(
    params: &SymmetryParams,
    seed: u64,
    progress: Progress,
) -> Result<ThreeStarts, Error> {
    params.check()?;
    let digits = Dataset::digits();
    let (train_size, test_size) = digits.split_sizes(TEST_FRACTION);
    let equal = Init::Constant {
        value: params.value,
    };
    let xavier = Init::XavierUniform { gain: 1.0 };
    let starts = [
        ("equal weights", equal, 0.0),
        ("random weights (Xavier)", xavier, 0.0),
        ("equal weights + dropout", equal, params.dropout),
    ];
    let cfg = |dropout| Training {
        epochs: params.epochs,
        batch_size: params.batch,
        sgd: Sgd::new(params.lr),
        dropout,
    };
    let steps_per_run = params.epochs * train_size.div_ceil(params.batch);
    let total = params.seeds * (starts.len() + 1) * steps_per_run;
    let per_seed: Vec<OneSeed> = repeat_counted(params.seeds, total, progress, |r, step| {
        let rng = &mut stream(seed, "three_starts", r as u64);
        let (train_set, test_set) = digits.train_test(rng);
        let runs = starts
            .iter()
            .map(|&(_, init, dropout)| {
                let mut net = Mlp::new(&[64, params.hidden, 10], Activation::Tanh, init, rng);
                // After every SGD step: how different are the hidden units?
                let mut spread = vec![unit_spread(&net, 1)];
                let history = train(&mut net, &train_set, &test_set, &cfg(dropout), rng, |n| {
                    spread.push(unit_spread(n, 1));
                    step();
                });
                (spread, history)
            })
            .collect();
        // The control: one hidden unit, random start, the same training.
        let mut one = Mlp::new(&[64, 1, 10], Activation::Tanh, xavier, rng);
        let history = train(&mut one, &train_set, &test_set, &cfg(0.0), rng, |_| step());
        (runs, history.last().map_or(f64::NAN, |s| s.test_error))
    });
    let runs = starts
        .iter()
        .enumerate()
        .map(|(i, &(start, _, _))| {
            let (spreads, histories): (Vec<Vec<f64>>, Vec<Vec<EpochStats>>) =
                per_seed.iter().map(|(runs, _)| runs[i].clone()).unzip();
            let last = |h: &Vec<EpochStats>| h.last().map_or(f64::NAN, |s| s.test_error);
            StartRun {
                start: start.to_string(),
                final_spread: Spread::of(spreads.iter().map(|s| s[s.len() - 1]).collect()),
                steps_to_spread_1: spreads
                    .iter()
                    .map(|s| s.iter().position(|&d| d > 1.0))
                    .collect(),
                test_error: Spread::of(histories.iter().map(last).collect()),
                spreads,
                histories,
            }
        })
        .collect();
    Ok(ThreeStarts {
        train_size,
        test_size,
        runs,
        single_unit_test_error: Spread::of(per_seed.iter().map(|(_, e)| *e).collect()),
    })
}
// ANCHOR_END: three_starts

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn out_of_range_parameters_are_refused_before_any_work() {
        let params = SymmetryParams {
            dropout: 1.0,
            ..SymmetryParams::default()
        };
        let err = three_starts(&params, 0, &mut crate::quiet).unwrap_err();
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
