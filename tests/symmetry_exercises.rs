//! Chapter "Breaking the symmetry": the exercises' solutions. The chapter
//! includes each anchored solution function whole; the tests call them and
//! check the answers it gives.

use rand::{SeedableRng, rngs::StdRng};
use stable_learning::deep::symmetry::unit_spread;
use stable_learning::nn::activation::Activation;
use stable_learning::nn::data::Dataset;
use stable_learning::nn::init::Init;
use stable_learning::nn::mlp::Mlp;
use stable_learning::nn::optim::Sgd;
use stable_learning::nn::train::{Training, train};
use stable_learning::numeric::linalg::gaussian_matrix;

// ANCHOR: softmax_regression
/// Exercise 2: trains softmax regression on the digits from all-zero, equal
/// and random weights, and returns the three test errors in that order.
fn softmax_regression() -> Vec<f64> {
    // Softmax regression is an MLP with no hidden layer: 64 pixels → 10 logits.
    let mut rng = StdRng::seed_from_u64(0);
    let (train_set, test_set) = Dataset::digits().split(0.25, &mut rng);
    let cfg = Training {
        epochs: 20,
        batch_size: 32,
        sgd: Sgd::new(0.5),
        dropout: 0.0,
    };
    let mut errors = Vec::new();
    for init in [
        Init::Constant { value: 0.0 },
        Init::Constant { value: 0.3 },
        Init::XavierUniform { gain: 1.0 },
    ] {
        let mut net = Mlp::new(&[64, 10], Activation::Identity, init, &mut rng);
        let history = train(&mut net, &train_set, &test_set, &cfg, &mut rng, |_| {});
        let error = history.last().unwrap().test_error;
        println!(
            "softmax regression from {init}: test error {:.1}%",
            100.0 * error
        );
        errors.push(error);
    }
    errors
}
// ANCHOR_END: softmax_regression

#[test]
fn exercise_2_softmax_regression_from_equal_weights() {
    let errors = softmax_regression();
    // All three reach the same optimum of a convex loss, up to SGD noise:
    // within 2 percentage points (9 of 449 test digits) of each other.
    let (lo, hi) = errors
        .iter()
        .fold((1.0f64, 0.0f64), |(l, h), &e| (l.min(e), h.max(e)));
    assert!(
        hi < 0.08,
        "softmax regression should reach < 8% error: {errors:?}"
    );
    assert!(
        hi - lo < 0.02,
        "equal and random starts should agree: {errors:?}"
    );
}

// ANCHOR: perturbation
/// Exercise 3: trains a tanh network from equal weights perturbed by 10⁻⁸ and
/// returns the largest difference between its hidden units at every step.
fn perturbation() -> Vec<f64> {
    let mut rng = StdRng::seed_from_u64(1);
    let (train_set, test_set) = Dataset::digits().split(0.25, &mut rng);
    let mut net = Mlp::new(
        &[64, 32, 10],
        Activation::Tanh,
        Init::Constant { value: 0.05 },
        &mut rng,
    );
    for layer in &mut net.layers {
        let (rows, cols) = layer.weights.dim();
        layer.weights += &(gaussian_matrix(rows, cols, &mut rng) * 1e-8);
    }
    let cfg = Training {
        epochs: 30,
        batch_size: 32,
        sgd: Sgd::new(0.2),
        dropout: 0.0,
    };
    let mut spread = vec![unit_spread(&net, 1)];
    let history = train(&mut net, &train_set, &test_set, &cfg, &mut rng, |n| {
        spread.push(unit_spread(n, 1))
    });
    for step in [0, 100, 200, 400, 800, spread.len() - 1] {
        println!(
            "step {step:4}: largest difference between hidden units {:.2e}",
            spread[step]
        );
    }
    println!(
        "test error after training: {:.1}%",
        100.0 * history.last().unwrap().test_error
    );
    spread
}
// ANCHOR_END: perturbation

#[test]
fn exercise_3_a_tiny_perturbation_breaks_the_symmetry() {
    let spread = perturbation();
    assert!(spread[0] < 1e-7, "starts within the perturbation");
    assert!(*spread.last().unwrap() > 1e-2, "the units have separated");
    assert!(spread[400] > 100.0 * spread[0], "the spread grows");
}

#[test]
fn exercise_4_an_equal_output_layer_alone_is_no_symmetry() {
    let mut rng = StdRng::seed_from_u64(2);
    let (train_set, test_set) = Dataset::digits().split(0.25, &mut rng);
    let mut net = Mlp::new(
        &[64, 32, 10],
        Activation::Tanh,
        Init::XavierUniform { gain: 1.0 },
        &mut rng,
    );
    net.layers[1].weights.fill(0.05);
    let cfg = Training {
        epochs: 30,
        batch_size: 32,
        sgd: Sgd::new(0.2),
        dropout: 0.0,
    };
    let history = train(&mut net, &train_set, &test_set, &cfg, &mut rng, |_| {});
    assert!(history.last().unwrap().test_error < 0.1);
}

#[test]
fn equal_units_stay_bitwise_equal_for_every_activation() {
    // The chapter's argument, for every activation: not approximately, exactly.
    let mut rng = StdRng::seed_from_u64(3);
    let (train_set, test_set) = Dataset::digits().split(0.25, &mut rng);
    let cfg = Training {
        epochs: 3,
        batch_size: 32,
        sgd: Sgd::new(0.2),
        dropout: 0.0,
    };
    for act in Activation::ALL {
        let mut net = Mlp::new(
            &[64, 16, 16, 10],
            act,
            Init::Constant { value: 0.05 },
            &mut rng,
        );
        let mut worst: f64 = 0.0;
        train(&mut net, &train_set, &test_set, &cfg, &mut rng, |n| {
            worst = worst.max(unit_spread(n, 1)).max(unit_spread(n, 2));
        });
        assert_eq!(worst, 0.0, "{act}: hidden units drifted apart");
    }
}
