//! Chapter "Default and Xavier initialization": the exercises' solutions.
//! The chapter includes each anchored solution function whole; the tests call
//! them and check the answers it gives.

mod common;

use rand::{SeedableRng, rngs::StdRng};
use stable_learning::deep::propagation::Snapshot;
use stable_learning::deep::xavier::GlorotAtInit;
use stable_learning::nn::activation::Activation;
use stable_learning::nn::data::Dataset;
use stable_learning::nn::init::Init;
use stable_learning::nn::mlp::{Mlp, layer_sizes};
use stable_learning::nn::optim::Sgd;
use stable_learning::nn::train::{Training, train};
use stable_learning::numeric::linalg::gaussian_matrix;
use stable_learning::numeric::linalg::singular_values;

// ANCHOR: product_bounds
/// Exercise 1: checks the bounds on the extreme singular values and on the
/// condition number of a product on 20 pairs of random 30×30 matrices.
/// Panics if a bound fails.
fn product_bounds() {
    let mut rng = StdRng::seed_from_u64(0);
    for trial in 0..20 {
        let a = gaussian_matrix(30, 30, &mut rng);
        let b = gaussian_matrix(30, 30, &mut rng) * (1.0 + trial as f64);
        let (sa, sb, sab) = (
            singular_values(a.view()),
            singular_values(b.view()),
            singular_values(a.dot(&b).view()),
        );
        // singular_values returns them largest first.
        let extremes = |s: &[f64]| (s[0], s[s.len() - 1]);
        let ((a_max, a_min), (b_max, b_min)) = (extremes(&sa), extremes(&sb));
        let (ab_max, ab_min) = extremes(&sab);
        assert!(ab_max <= a_max * b_max * (1.0 + 1e-9));
        assert!(ab_min >= a_min * b_min * (1.0 - 1e-6));
        // Condition numbers multiply at worst.
        assert!(ab_max / ab_min <= (a_max / a_min) * (b_max / b_min) * (1.0 + 1e-6));
    }
}
// ANCHOR_END: product_bounds

#[test]
fn exercise_1_singular_values_of_a_product() {
    product_bounds();
}

// ANCHOR: tanh_gain
/// Exercise 2: the variance of each hidden layer's activations in a deep tanh
/// network, with Xavier's gain 1 and with gain 5/3, and the layer-to-layer
/// ratios with gain 5/3: (gain 1, gain 5/3, ratios).
fn tanh_gain() -> (Vec<f64>, Vec<f64>, Vec<f64>) {
    let mut rng = StdRng::seed_from_u64(1);
    let batch = Dataset::digits().sample(300, &mut rng);
    let sizes = [64, 1000, 1000, 1000, 1000, 1000, 10];
    let variances = |init: Init, rng: &mut StdRng| -> Vec<f64> {
        let net = Mlp::new(&sizes, Activation::Tanh, init, rng);
        let snap = Snapshot::take(&net, batch.x.view(), &batch.y);
        snap.hidden_stats()
            .iter()
            .map(|s| s.activation_var)
            .collect()
    };
    let plain = variances(Init::XavierUniform { gain: 1.0 }, &mut rng);
    let gained = variances(Init::XavierUniform { gain: 5.0 / 3.0 }, &mut rng);
    let ratios: Vec<f64> = gained.windows(2).map(|w| w[1] / w[0]).collect();
    println!("Var(h) per layer, gain 1: {plain:.3?}");
    println!("Var(h) per layer, gain 5/3: {gained:.3?}, ratios {ratios:.3?}");
    (plain, gained, ratios)
}
// ANCHOR_END: tanh_gain

#[test]
fn exercise_2_tanh_gain() {
    let (plain, gained, ratios) = tanh_gain();
    // The gain grows the variance at first (ratio well above 1) and the
    // growth slows layer by layer as tanh saturates.
    assert!(ratios[0] > 1.5, "{ratios:?}");
    assert!(ratios.windows(2).all(|w| w[1] < w[0]), "{ratios:?}");
    assert!(gained.last().unwrap() > &(5.0 * plain.last().unwrap()));
    // The solution quotes the ratios the exercise's command prints in
    // Table 3.1 (the example's batch of 100 digits, seed 42); training
    // does not change that table, so one epoch is enough.
    let out = common::temp_dir("xavier-exercise-2");
    let args = ["--init", "xavier-uniform:1.667", "--epochs", "1"];
    let doc = common::example_json("xavier", &args, &out);
    let at_init: GlorotAtInit = common::result(&doc, "glorot_at_init");
    let layers = &at_init.chosen.layers;
    let printed: Vec<f64> = layers
        .windows(2)
        .map(|w| w[1].activation_var / w[0].activation_var)
        .collect();
    assert!(printed.windows(2).all(|w| w[1] < w[0]), "{printed:?}");
    let chapter =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/chapters/xavier.md"))
            .unwrap();
    let stated: Vec<String> = printed.iter().map(|r| format!("{r:.1}")).collect();
    let stated = format!(
        "{}, {}, {} and {}",
        stated[0], stated[1], stated[2], stated[3]
    );
    assert!(
        chapter.contains(&stated),
        "the solution should state the ratios as `{stated}`"
    );
}

// ANCHOR: sigmoid_depth
/// Exercise 3: the test errors of sigmoid networks with 1, 2 and 3 hidden
/// layers, trained from the standard and from Xavier's initialization:
/// (standard, Xavier).
fn sigmoid_depth() -> ([f64; 3], [f64; 3]) {
    // The example's training set-up: 128 units per layer, minibatch 10,
    // learning rate 0.05, 10 epochs.
    let mut rng = StdRng::seed_from_u64(2);
    let (train_set, test_set) = Dataset::digits().train_test(&mut rng);
    let cfg = Training {
        epochs: 10,
        batch_size: 10,
        sgd: Sgd::new(0.05),
        dropout: 0.0,
    };
    let error = |depth: usize, init: Init, rng: &mut StdRng| -> f64 {
        let sizes = layer_sizes(64, 128, depth, 10);
        let mut net = Mlp::new(&sizes, Activation::Sigmoid, init, rng);
        let e = train(&mut net, &train_set, &test_set, &cfg, rng, |_| {})
            .last()
            .unwrap()
            .test_error;
        println!(
            "sigmoid, {depth} hidden layer(s), {init}: test error {:.1}%",
            100.0 * e
        );
        e
    };
    let standard = [1, 2, 3].map(|d| error(d, Init::GLOROT_STANDARD, &mut rng));
    let xavier = [1, 2, 3].map(|d| error(d, Init::XavierUniform { gain: 1.0 }, &mut rng));
    (standard, xavier)
}
// ANCHOR_END: sigmoid_depth

#[test]
fn exercise_3_sigmoid_depth() {
    let (standard, xavier) = sigmoid_depth();
    assert!(
        standard[0] < 0.25 && xavier[0] < 0.15,
        "one layer learns: {standard:?} {xavier:?}"
    );
    assert!(
        xavier[1] < 0.6,
        "two layers: Xavier gets somewhere: {xavier:?}"
    );
    assert!(
        standard[2] > 0.8 && xavier[2] > 0.8,
        "three layers: chance: {standard:?} {xavier:?}"
    );
}
