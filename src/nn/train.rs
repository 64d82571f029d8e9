//! Training a classifier with minibatch SGD, recording what the chapters plot.

use rand::Rng;
use rand::seq::SliceRandom;

use crate::nn::data::Dataset;
use crate::nn::loss;
use crate::nn::mlp::Mlp;
use crate::nn::optim::Sgd;
use crate::numeric::stats::Spread;

/// How to train.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Training {
    /// Passes over the training set.
    pub epochs: usize,
    /// Examples per SGD step.
    pub batch_size: usize,
    /// The optimizer.
    pub sgd: Sgd,
    /// Dropout probability for hidden units during training (0 for none).
    pub dropout: f64,
}

/// Measurements after an epoch (epoch 0 is before any training).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct EpochStats {
    /// The epoch, 0 = at initialization.
    pub epoch: usize,
    /// Softmax cross-entropy on the training set: for epoch 0 evaluated on
    /// the whole set, afterwards the mean of the minibatch losses seen during
    /// the epoch (what training actually optimized; free to compute, where a
    /// second pass over the data would cost a fifth of the training time).
    pub train_loss: f64,
    /// Fraction of test examples misclassified.
    pub test_error: f64,
}

/// One statistic of several training runs (one history per seed), epoch by
/// epoch: for each epoch, the [`Spread`] over the runs that reached it (a run
/// that blew up stops early; its last, non-finite, epoch is kept).
///
/// ```
/// use stable_learning::nn::train::{EpochStats, per_epoch};
/// let run = |e: [f64; 2]| vec![
///     EpochStats { epoch: 0, train_loss: 2.3, test_error: e[0] },
///     EpochStats { epoch: 1, train_loss: 1.0, test_error: e[1] },
/// ];
/// let errors = per_epoch(&[run([0.9, 0.2]), run([0.9, 0.4])], |s| s.test_error);
/// assert_eq!(errors[1].0, 1);
/// assert_eq!((errors[1].1.min, errors[1].1.max), (0.2, 0.4));
/// ```
pub fn per_epoch(
    histories: &[Vec<EpochStats>],
    stat: fn(&EpochStats) -> f64,
) -> Vec<(usize, Spread)> {
    let epochs = histories.iter().map(Vec::len).max().unwrap_or(0);
    (0..epochs)
        .map(|e| {
            let values = histories
                .iter()
                .filter_map(|h| h.get(e).map(stat))
                .collect();
            (e, Spread::of(values))
        })
        .collect()
}

/// How many of the training runs `histories` (one per seed) blew up: their
/// last recorded training loss is inf or NaN ([`train`] stops there).
pub fn diverged(histories: &[Vec<EpochStats>]) -> usize {
    histories
        .iter()
        .filter(|h| h.last().is_some_and(|s| !s.train_loss.is_finite()))
        .count()
}

/// Evaluates loss on `train` and error on `test` without dropout.
pub fn evaluate(net: &Mlp, train: &Dataset, test: &Dataset, epoch: usize) -> EpochStats {
    let out = net.predict(train.x.view());
    let train_loss = loss::softmax_cross_entropy(out.view(), &train.y).value;
    let test_error = 1.0 - loss::accuracy(net.predict(test.x.view()).view(), &test.y);
    EpochStats {
        epoch,
        train_loss,
        test_error,
    }
}

/// Trains `net` on `train` with softmax cross-entropy, shuffling every epoch
/// with `rng`. Calls `after_step(net)` after every SGD step (for
/// measurements such as the symmetry of hidden units) and returns the stats
/// of epoch 0 (before training) through `epochs`. Stops early, after recording
/// it, if the training loss stops being finite: a blow-up is a result.
pub fn train(
    net: &mut Mlp,
    train: &Dataset,
    test: &Dataset,
    cfg: &Training,
    rng: &mut impl Rng,
    mut after_step: impl FnMut(&Mlp),
) -> Vec<EpochStats> {
    let mut history = vec![evaluate(net, train, test, 0)];
    let mut order: Vec<usize> = (0..train.len()).collect();
    for epoch in 1..=cfg.epochs {
        order.shuffle(rng);
        let mut loss_sum = 0.0;
        for batch in order.chunks(cfg.batch_size) {
            let b = train.select(batch);
            let fwd = if cfg.dropout > 0.0 {
                net.forward_dropout(b.x.view(), cfg.dropout, rng)
            } else {
                net.forward(b.x.view())
            };
            let l = loss::softmax_cross_entropy(fwd.output().view(), &b.y);
            loss_sum += l.value * batch.len() as f64;
            let grads = net.backward(&fwd, l.grad.view());
            cfg.sgd.step(net, &grads);
            after_step(net);
        }
        let test_error = 1.0 - loss::accuracy(net.predict(test.x.view()).view(), &test.y);
        let stats = EpochStats {
            epoch,
            train_loss: loss_sum / train.len() as f64,
            test_error,
        };
        history.push(stats);
        if !stats.train_loss.is_finite() {
            break;
        }
    }
    history
}
