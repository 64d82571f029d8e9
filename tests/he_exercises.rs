//! Chapter "He initialization": the exercises' solutions.

mod common;

use rand::{SeedableRng, rngs::StdRng};
use stable_learning::nn::activation::Activation;
use stable_learning::nn::data::Dataset;
use stable_learning::nn::init::Init;
use stable_learning::nn::loss;
use stable_learning::nn::mlp::{Mlp, layer_sizes};
use stable_learning::nn::optim::Sgd;
use stable_learning::nn::train::{Training, train};
use stable_learning::numeric::linalg::frobenius;
use stable_learning::numeric::math;
use stable_learning::numeric::random::{repeat, stream};
use stable_learning::numeric::stats::Spread;

// ANCHOR: after_the_fact
/// What Exercise 1's solution measures on the stalled network.
struct AfterTheFact {
    /// Each layer's relative SGD step lr·‖∇W(l)‖/‖W(l)‖ at the Xavier start.
    relative: Vec<f64>,
    /// The largest of them.
    largest: f64,
    /// The test error after rescaling and 20 epochs of plain SGD.
    error: f64,
}

/// Exercise 1: the Xavier-initialized 30-layer ReLU network is frozen in
/// every layer, and rescaling its weights from data (LSUV) lets it train.
/// Repetition `r` draws the split, the network and the minibatches from
/// `stream(42, "after_the_fact", r)`.
fn after_the_fact(r: u64) -> AfterTheFact {
    // The stalled network: 30 ReLU layers of 48 units, Xavier initialization.
    let mut rng = stream(42, "after_the_fact", r);
    let (train_set, test_set) = Dataset::digits().train_test(&mut rng);
    let sizes = layer_sizes(64, 48, 30, 10);
    let mut net = Mlp::new(
        &sizes,
        Activation::Relu,
        Init::XavierNormal { gain: 1.0 },
        &mut rng,
    );

    // Diagnosis: how far one plain SGD step (learning rate 0.003) moves each
    // layer, relative to the size of its weights, lr·‖∇W(l)‖/‖W(l)‖.
    let probe = train_set.select(&(0..256).collect::<Vec<_>>());
    let fwd = net.forward(probe.x.view());
    let l = loss::softmax_cross_entropy(fwd.output().view(), &probe.y);
    let grads = net.backward(&fwd, l.grad.view());
    let relative: Vec<f64> = net
        .layers
        .iter()
        .zip(&grads.weights)
        .map(|(layer, g)| 0.003 * frobenius(g) / frobenius(&layer.weights))
        .collect();
    let largest = relative.iter().fold(0.0f64, |m, &r| m.max(r));
    println!("seed {r}: largest relative SGD step of any layer: {largest:.1e}");

    // The fix, after the fact (LSUV, Mishkin & Matas 2015): layer by layer,
    // rescale the weights until that layer's pre-activations on a batch have
    // variance 1 (within 0.1, at most 10 tries).
    for l in 0..net.layers.len() - 1 {
        for _ in 0..10 {
            let z = &net.forward(probe.x.view()).pre[l];
            let var = stable_learning::numeric::stats::variance(z.as_slice().unwrap());
            if (var - 1.0).abs() < 0.1 {
                break;
            }
            net.layers[l].weights /= var.sqrt();
        }
    }
    let cfg = Training {
        epochs: 20,
        batch_size: 16,
        sgd: Sgd::new(0.003),
        dropout: 0.0,
    };
    let history = train(&mut net, &train_set, &test_set, &cfg, &mut rng, |_| {});
    let error = history.last().unwrap().test_error;
    println!(
        "seed {r}: after rescaling, plain SGD reaches {:.1}% test error",
        100.0 * error
    );
    AfterTheFact {
        relative,
        largest,
        error,
    }
}
// ANCHOR_END: after_the_fact

#[test]
fn exercise_1_fixing_the_scale_after_the_fact() {
    // Five seeds, in parallel, as the chapter's training runs.
    let runs = repeat(5, |r| after_the_fact(r as u64));
    // Every layer is frozen alike on every seed: relative steps far below
    // 1e-6.
    let largest = runs.iter().map(|r| r.largest).fold(0.0, f64::max);
    assert!(largest < 1e-6, "{:?}", runs[0].relative);
    // Rescaled, the same network trains on every seed (chance is 90%).
    let errors = Spread::of(runs.iter().map(|r| r.error).collect());
    let trained = errors.count(|e| e < 0.5);
    assert!(trained >= 3, "{errors:?}");
    let chapter = common::chapter_words("he.md");
    let pct = |v: f64| format!("{:.1}%", 100.0 * v);
    for stated in [
        format!("the largest {largest:.1e}"),
        match trained {
            5 => "on all five seeds".to_string(),
            n => format!(
                "on {} of the five seeds",
                ["none", "one", "two", "three", "four"][n]
            ),
        },
        format!(
            "median {} ({:.1}–{})",
            pct(errors.median),
            100.0 * errors.min,
            pct(errors.max)
        ),
    ] {
        common::assert_mentions(&chapter, &stated, "exercise 1's solution");
    }
}

// ANCHOR: leaky_gain
/// What Exercise 2's solution measures.
struct LeakyGain {
    /// The leaky ReLU's slope a for negative inputs.
    slope: f64,
    /// The per-layer factor of Var(z) over 30 layers, with gain 1 and with
    /// the derived gain √(2/(1 + a²)).
    per_layer: Vec<f64>,
}

/// Exercise 2: the variance-preserving gain for leaky ReLU, derived and
/// checked on a 30-layer network.
fn leaky_gain() -> LeakyGain {
    // For leaky ReLU with slope a, E[φ(z)²] = (1 + a²)/2 · Var(z), so the
    // variance-preserving gain is √(2/(1 + a²)).
    let mut rng = StdRng::seed_from_u64(4);
    let a = 0.2;
    let act = Activation::LeakyRelu { slope: a };
    let gain = (2.0 / (1.0 + a * a)).sqrt();
    assert!((gain - act.gain()).abs() < 1e-15);
    let x = stable_learning::numeric::linalg::gaussian_matrix(256, 256, &mut rng);
    let mut sizes = vec![256];
    sizes.extend(std::iter::repeat_n(256, 30));
    let mut per_layer = Vec::new();
    for g in [1.0, gain] {
        let mut net = Mlp::new(
            &sizes,
            act,
            Init::HeNormal {
                mode: stable_learning::nn::init::FanMode::FanIn,
                gain: g,
            },
            &mut rng,
        );
        net.layers.last_mut().unwrap().activation = act;
        let fwd = net.forward(x.view());
        let var = |z: &ndarray::Array2<f64>| {
            stable_learning::numeric::stats::variance(z.as_slice().unwrap())
        };
        let ratio = math::powf(var(&fwd.pre[29]) / var(&fwd.pre[0]), 1.0 / 29.0);
        println!("gain {g:.3}: Var(z) changes by {ratio:.3} per layer");
        per_layer.push(ratio);
    }
    LeakyGain {
        slope: a,
        per_layer,
    }
}
// ANCHOR_END: leaky_gain

#[test]
fn exercise_2_leaky_relu_gain() {
    let LeakyGain {
        slope: a,
        per_layer,
    } = leaky_gain();
    // Gain 1 loses (1 + a²)/2 = 0.52 per layer; the right gain keeps 1.
    // 30 layers of 256 units: the per-layer geometric mean is within ~2%.
    assert!(
        (per_layer[0] - (1.0 + a * a) / 2.0).abs() < 0.03,
        "{per_layer:?}"
    );
    assert!((per_layer[1] - 1.0).abs() < 0.05, "{per_layer:?}");
}
