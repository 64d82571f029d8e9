//! Criterion benches for the core library: `cargo bench`.

use criterion::{Criterion, criterion_group, criterion_main};
use rand::{SeedableRng, rngs::StdRng};
use stable_learning::activation::Activation;
use stable_learning::gradients::gaussian_matrix;
use stable_learning::init::Init;
use stable_learning::loss;
use stable_learning::mlp::Mlp;
use stable_learning::optim::Sgd;

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
            b.iter(|| {
                let fwd = net.forward(x.view());
                let l = loss::softmax_cross_entropy(fwd.output().view(), &labels);
                let grads = net.backward(&fwd, l.grad.view());
                sgd.step(&mut net, &grads)
            })
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

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(10);
    targets = training_step, initializers
}
criterion_main!(benches);
