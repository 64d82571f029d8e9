//! Losses, each returning its value and its gradient with respect to the
//! network's output, averaged over the batch.

use crate::numeric::math;
use ndarray::{Array2, ArrayView2, Axis};

/// A loss value and ∂L/∂output.
#[derive(Debug, Clone)]
pub struct LossAndGrad {
    /// L, averaged over the batch.
    pub value: f64,
    /// ∂L/∂output, same shape as the output.
    pub grad: Array2<f64>,
}

/// Mean squared error L = (1/(2n)) Σᵢ ‖ŷᵢ − yᵢ‖², n the batch size, so that
/// ∂L/∂ŷ = (ŷ − y)/n.
///
/// ```
/// use ndarray::array;
/// let l = stable_learning::nn::loss::mse(array![[1.0, 2.0]].view(), array![[0.0, 0.0]].view());
/// assert_eq!(l.value, 2.5);
/// assert_eq!(l.grad, array![[1.0, 2.0]]);
/// ```
pub fn mse(pred: ArrayView2<f64>, target: ArrayView2<f64>) -> LossAndGrad {
    let n = pred.nrows() as f64;
    let diff = &pred - &target;
    let value = diff.iter().map(|d| d * d).sum::<f64>() / (2.0 * n);
    LossAndGrad {
        value,
        grad: diff / n,
    }
}

/// Row-wise softmax, shifted by each row's maximum so that exp never overflows.
pub fn softmax(logits: ArrayView2<f64>) -> Array2<f64> {
    let mut out = logits.to_owned();
    for mut row in out.axis_iter_mut(Axis(0)) {
        let max = row.fold(f64::NEG_INFINITY, |m, &v| m.max(v));
        row.mapv_inplace(|v| math::exp(v - max));
        let sum = row.sum();
        row /= sum;
    }
    out
}

/// Softmax cross-entropy L = −(1/n) Σᵢ log pᵢ(yᵢ), where pᵢ = softmax(oᵢ) and
/// pᵢ(yᵢ) is its entry for the true label yᵢ, for integer labels,
/// with ∂L/∂o = (softmax(o) − onehot(y))/n. Computed with the log-sum-exp
/// shift, so large logits give a large loss rather than inf or NaN.
///
/// ```
/// use ndarray::array;
/// let l = stable_learning::nn::loss::softmax_cross_entropy(array![[0.0, 0.0]].view(), &[1]);
/// assert!((l.value - 2f64.ln()).abs() < 1e-15);
/// ```
pub fn softmax_cross_entropy(logits: ArrayView2<f64>, labels: &[usize]) -> LossAndGrad {
    assert_eq!(logits.nrows(), labels.len(), "one label per row");
    let n = logits.nrows() as f64;
    let mut value = 0.0;
    let mut grad = softmax(logits);
    for (i, (row, &y)) in logits.axis_iter(Axis(0)).zip(labels).enumerate() {
        let max = row.fold(f64::NEG_INFINITY, |m, &v| m.max(v));
        let log_sum = math::ln(row.iter().map(|v| math::exp(v - max)).sum::<f64>()) + max;
        value += log_sum - row[y];
        grad[[i, y]] -= 1.0;
    }
    grad /= n;
    LossAndGrad {
        value: value / n,
        grad,
    }
}

/// The fraction of rows whose largest logit is at the label.
pub fn accuracy(logits: ArrayView2<f64>, labels: &[usize]) -> f64 {
    let correct = logits
        .axis_iter(Axis(0))
        .zip(labels)
        .filter(|(row, y)| argmax(row.iter().copied()) == **y)
        .count();
    correct as f64 / labels.len() as f64
}

/// The index of the largest value (the first one on ties; NaN never wins).
pub fn argmax(xs: impl Iterator<Item = f64>) -> usize {
    let mut best = (0, f64::NEG_INFINITY);
    for (i, x) in xs.enumerate() {
        if x > best.1 {
            best = (i, x);
        }
    }
    best.0
}
