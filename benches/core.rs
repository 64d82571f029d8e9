//! Criterion benches for the core library:
//! `cargo bench -p stable-learning-benches --bench core`.

use criterion::{Criterion, criterion_group, criterion_main};
use rand::{SeedableRng, rngs::StdRng};
use stable_learning::nn::activation::Activation;
use stable_learning::nn::init::Init;
use stable_learning::nn::mlp::Mlp;
use stable_learning::nn::optim::Sgd;
use stable_learning::numeric::linalg::gaussian_matrix;
use stable_learning_benches::{bbse_estimate, bbse_inputs, deep_forward, train_step};

/// One SGD step (forward, backward, update) of Glorot & Bengio's network:
/// 64 inputs, 5 hidden tanh layers of 1000 units, 10 outputs.
fn training_step(c: &mut Criterion) {
    let mut rng = StdRng::seed_from_u64(0);
    let sizes = [64, 1000, 1000, 1000, 1000, 1000, 10];
    let mut net = Mlp::new(
        &sizes,
        Activation::Tanh,
        Init::XavierUniform { gain: 1.0 },
        &mut rng,
    );
    let sgd = Sgd::new(0.01);
    for batch in [10, 256] {
        let x = gaussian_matrix(batch, 64, &mut rng);
        let labels: Vec<usize> = (0..batch).map(|i| i % 10).collect();
        c.bench_function(&format!("train_step_glorot_batch{batch}"), |b| {
            b.iter(|| train_step(&mut net, &x, &labels, &sgd))
        });
    }
}

/// Drawing a 1000×1000 weight matrix with each scheme.
fn initializers(c: &mut Criterion) {
    let mut rng = StdRng::seed_from_u64(0);
    for (name, init) in [
        ("xavier_uniform", Init::XavierUniform { gain: 1.0 }),
        ("xavier_normal", Init::XavierNormal { gain: 1.0 }),
        ("he_normal", Init::HE_RELU),
        ("torch_linear", Init::TorchLinear),
    ] {
        c.bench_function(&format!("init_1000x1000_{name}"), |b| {
            b.iter(|| init.weights(1000, 1000, &mut rng))
        });
    }
}

/// A forward pass through 1000 tanh layers of width 256 (batch 64).
fn deep(c: &mut Criterion) {
    let mut rng = StdRng::seed_from_u64(0);
    let ws: Vec<_> = (0..10)
        .map(|_| Init::XavierNormal { gain: 1.0 }.weights(256, 256, &mut rng))
        .collect();
    let x = gaussian_matrix(64, 256, &mut rng);
    c.bench_function("forward_1000_layers_width256", |b| {
        b.iter(|| deep_forward(&x, &ws))
    });
}

/// A BBSE estimate from 100,000 held-out predictions, and one update of
/// each drift detector.
fn shift(c: &mut Criterion) {
    use stable_learning::shift::drift::{Adwin, Ddm, DriftDetector, PageHinkley};
    let (labels, predicted, target) = bbse_inputs();
    c.bench_function("bbse_estimate_100k", |b| {
        b.iter(|| bbse_estimate(&labels, &predicted, &target))
    });
    let stream: Vec<f64> = (0..10_000)
        .map(|t| ((t * 37) % 100 < 10) as u8 as f64)
        .collect();
    type MakeDetector = fn() -> Box<dyn DriftDetector>;
    let detectors: [(&str, MakeDetector); 3] = [
        ("ddm", || Box::new(Ddm::new(30, 2.0, 3.0).unwrap())),
        ("page_hinkley", || {
            Box::new(PageHinkley::new(30, 0.005, 50.0).unwrap())
        }),
        ("adwin", || Box::new(Adwin::new(0.002, 5).unwrap())),
    ];
    for (name, make) in detectors {
        // 10,000 updates per iteration: divide criterion's time by 10,000.
        c.bench_function(&format!("{name}_10k_updates"), |b| {
            b.iter(|| {
                let mut d = make();
                stream
                    .iter()
                    .map(|&x| d.update(x) as u8 as usize)
                    .sum::<usize>()
            })
        });
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(10);
    targets = training_step, initializers, deep, shift
}
criterion_main!(benches);
