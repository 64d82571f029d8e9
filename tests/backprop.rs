//! Backpropagation against finite differences, for every activation and loss.
//!
//! Central differences (f(θ+ε) − f(θ−ε))/(2ε) have truncation error O(ε²) and
//! rounding error O(u/ε) with u ≈ 1e-16; ε = 1e-6 balances them near 1e-10
//! relative error. ReLU's kink makes a difference wrong when an input sits
//! within ε of zero; with Gaussian inputs that has probability ~1e-6 per unit,
//! and the fixed seed below avoids it. We accept |analytic − numeric| ≤
//! 1e-6·|analytic| + 1e-8: the absolute floor covers the rounding error of the
//! difference itself, about u·|L|/ε ≈ 1e-10 for losses of order one.

use ndarray::Array2;
use rand::{SeedableRng, rngs::StdRng};
use stable_learning::nn::activation::Activation;
use stable_learning::nn::init::Init;
use stable_learning::nn::loss::{self, LossAndGrad};
use stable_learning::nn::mlp::Mlp;
use stable_learning::numeric::linalg::gaussian_matrix;

const EPS: f64 = 1e-6;
const TOL: f64 = 1e-6;

fn check(act: Activation, loss_name: &str) {
    let mut rng = StdRng::seed_from_u64(7);
    let net = Mlp::new(
        &[5, 7, 6, 3],
        act,
        Init::XavierNormal { gain: 1.0 },
        &mut rng,
    );
    let x = gaussian_matrix(4, 5, &mut rng);
    let labels = [0usize, 2, 1, 2];
    let target = gaussian_matrix(4, 3, &mut rng);
    let loss_of = |out: &Array2<f64>| -> LossAndGrad {
        match loss_name {
            "mse" => loss::mse(out.view(), target.view()),
            _ => loss::softmax_cross_entropy(out.view(), &labels),
        }
    };
    let fwd = net.forward(x.view());
    let grads = net.backward(&fwd, loss_of(fwd.output()).grad.view());
    let value = |n: &Mlp, x: &Array2<f64>| loss_of(&n.predict(x.view())).value;

    // 0 when the two agree within the tolerance, positive otherwise.
    let rel = |analytic: f64, numeric: f64| {
        ((analytic - numeric).abs() - 1e-8).max(0.0) / analytic.abs().max(numeric.abs()).max(1e-300)
    };
    for l in 0..net.depth() {
        for ((i, j), &g) in grads.weights[l].indexed_iter() {
            let (mut plus, mut minus) = (net.clone(), net.clone());
            plus.layers[l].weights[[i, j]] += EPS;
            minus.layers[l].weights[[i, j]] -= EPS;
            let numeric = (value(&plus, &x) - value(&minus, &x)) / (2.0 * EPS);
            assert!(
                rel(g, numeric) < TOL,
                "{act} {loss_name} W{l}[{i},{j}]: {g} vs {numeric}"
            );
        }
        for (j, &g) in grads.biases[l].indexed_iter() {
            let (mut plus, mut minus) = (net.clone(), net.clone());
            plus.layers[l].biases[j] += EPS;
            minus.layers[l].biases[j] -= EPS;
            let numeric = (value(&plus, &x) - value(&minus, &x)) / (2.0 * EPS);
            assert!(
                rel(g, numeric) < TOL,
                "{act} {loss_name} b{l}[{j}]: {g} vs {numeric}"
            );
        }
    }
    // ∂L/∂X, the gradient arriving at the input.
    for ((i, j), &g) in grads.inputs[0].indexed_iter() {
        let (mut xp, mut xm) = (x.clone(), x.clone());
        xp[[i, j]] += EPS;
        xm[[i, j]] -= EPS;
        let numeric = (value(&net, &xp) - value(&net, &xm)) / (2.0 * EPS);
        assert!(
            rel(g, numeric) < TOL,
            "{act} {loss_name} X[{i},{j}]: {g} vs {numeric}"
        );
    }
}

#[test]
fn every_activation_with_mse() {
    for act in Activation::ALL {
        check(act, "mse");
    }
}

#[test]
fn every_activation_with_softmax_cross_entropy() {
    for act in Activation::ALL {
        check(act, "cross-entropy");
    }
}

#[test]
fn activation_derivatives_match_differences() {
    for act in Activation::ALL {
        for &z in &[-3.0, -0.7, 0.3, 2.5] {
            let numeric = (act.apply(z + EPS) - act.apply(z - EPS)) / (2.0 * EPS);
            assert!((act.derivative(z) - numeric).abs() < 1e-8, "{act} at {z}");
        }
    }
}

#[test]
fn sgd_with_clipping_takes_a_step_of_at_most_lr_times_tau() {
    use stable_learning::nn::optim::Sgd;
    let mut rng = StdRng::seed_from_u64(3);
    let mut net = Mlp::new(
        &[4, 8, 2],
        Activation::Tanh,
        Init::Normal { std: 3.0 },
        &mut rng,
    );
    let before = net.clone();
    let x = gaussian_matrix(16, 4, &mut rng) * 10.0;
    let fwd = net.forward(x.view());
    let grads = net.backward(
        &fwd,
        loss::mse(fwd.output().view(), Array2::zeros((16, 2)).view())
            .grad
            .view(),
    );
    let sgd = Sgd {
        learning_rate: 0.1,
        clip_norm: Some(0.5),
    };
    let norm = sgd
        .step(&mut net, &grads)
        .expect("clipping reports the norm");
    assert!(
        norm > 0.5,
        "the test needs a gradient larger than τ (got {norm})"
    );
    let moved: f64 = net
        .layers
        .iter()
        .zip(&before.layers)
        .map(|(a, b)| {
            (&a.weights - &b.weights).mapv(|v| v * v).sum()
                + (&a.biases - &b.biases).mapv(|v| v * v).sum()
        })
        .sum::<f64>()
        .sqrt();
    assert!((moved - 0.1 * 0.5).abs() < 1e-12, "step length {moved}");
}
