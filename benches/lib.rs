//! The computations the benches time, shared by the criterion benches
//! (`core.rs`) and the Rust side of the NumPy comparison (`numpy_compare.rs`)
//! so that both time exactly the same code.

use ndarray::{Array1, Array2};
use stable_learning::nn::activation::Activation;
use stable_learning::nn::loss;
use stable_learning::nn::mlp::Mlp;
use stable_learning::nn::optim::Sgd;
use stable_learning::numeric::kernels::matmul;
use stable_learning::shift::label::{bbse, class_frequencies, confusion_joint};

/// One training step: forward, softmax cross-entropy, backward, SGD update.
/// Returns the loss before the update.
pub fn train_step(net: &mut Mlp, x: &Array2<f64>, labels: &[usize], sgd: &Sgd) -> f64 {
    let fwd = net.forward(x.view());
    let l = loss::softmax_cross_entropy(fwd.output().view(), labels);
    let grads = net.backward(&fwd, l.grad.view());
    sgd.step(net, &grads);
    l.value
}

/// A forward pass of `x` through 1000 tanh layers, the weights cycling
/// through `ws`.
pub fn deep_forward(x: &Array2<f64>, ws: &[Array2<f64>]) -> Array2<f64> {
    let mut h = x.clone();
    for l in 0..1000 {
        h = Activation::Tanh.apply_all(matmul(h.view(), ws[l % ws.len()].view()).view());
    }
    h
}

/// Deterministic BBSE inputs (the same in NumPy): 100,000 held-out labels,
/// their predictions (every fifth one wrong), and 50,000 target predictions.
pub fn bbse_inputs() -> (Vec<usize>, Vec<usize>, Vec<usize>) {
    let k = 10;
    let labels: Vec<usize> = (0..100_000).map(|i| (i * 7 + i / 13) % k).collect();
    let predicted = labels
        .iter()
        .enumerate()
        .map(|(i, &y)| if i % 5 == 0 { (y + 1) % k } else { y })
        .collect();
    let target = (0..50_000)
        .map(|i| if i % 3 == 0 { 2 } else { (i * 11) % k })
        .collect();
    (labels, predicted, target)
}

/// A BBSE estimate from held-out predictions and target predictions (10 classes).
pub fn bbse_estimate(labels: &[usize], predicted: &[usize], target: &[usize]) -> Array1<f64> {
    let joint = confusion_joint(predicted, labels, 10);
    bbse(joint.view(), class_frequencies(target, 10).view())
        .expect("the confusion matrix is invertible")
}
