//! The Rust side of the NumPy comparison (`benches/numpy_reference.py` runs
//! this with `cargo bench -p stable-learning-benches --bench numpy_compare` and the same computations in
//! NumPy, then prints the time ratios).
//!
//! Every case runs on deterministic inputs built from sines, so both sides
//! compute exactly the same thing, and prints a checksum next to its median
//! time; the Python script checks the checksums agree.

use std::hint::black_box;
use std::time::Instant;

use ndarray::{Array1, Array2};
use rand::{SeedableRng, rngs::StdRng};
use stable_learning::nn::activation::Activation;
use stable_learning::nn::init::Init;
use stable_learning::nn::mlp::{Layer, Mlp};
use stable_learning::nn::optim::Sgd;
use stable_learning::numeric::kernels::matmul;
use stable_learning::numeric::math;
use stable_learning::numeric::stats::variance;
use stable_learning::shift::drift::{DriftDetector, PageHinkley, Status};
use stable_learning_benches::{bbse_estimate, bbse_inputs, deep_forward, train_step};

/// W[i, j] = scale · sin(1 + 0.37 i + 0.73 j + seed): the same in NumPy.
fn det_matrix(rows: usize, cols: usize, seed: f64, scale: f64) -> Array2<f64> {
    Array2::from_shape_fn((rows, cols), |(i, j)| {
        scale * math::sin(1.0 + 0.37 * i as f64 + 0.73 * j as f64 + seed)
    })
}

/// The median of `reps` timings of `f`, in seconds, after one warm-up call.
fn median_time(reps: usize, mut f: impl FnMut()) -> f64 {
    f();
    let mut times: Vec<f64> = (0..reps)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed().as_secs_f64()
        })
        .collect();
    times.sort_by(f64::total_cmp);
    times[reps / 2]
}

/// Glorot & Bengio's network (64 → 5 × 1000 tanh → 10) with deterministic
/// weights and zero biases.
fn glorot_net() -> Mlp {
    let sizes = [64, 1000, 1000, 1000, 1000, 1000, 10];
    let layers = sizes
        .windows(2)
        .enumerate()
        .map(|(l, w)| Layer {
            weights: det_matrix(w[0], w[1], l as f64, (6.0 / (w[0] + w[1]) as f64).sqrt()),
            biases: Array1::zeros(w[1]),
            activation: if l == sizes.len() - 2 {
                Activation::Identity
            } else {
                Activation::Tanh
            },
        })
        .collect();
    Mlp { layers }
}

fn main() {
    let mut cases = Vec::new();

    for batch in [10usize, 256] {
        let x = det_matrix(batch, 64, 100.0, 0.5).mapv(|v| v + 0.5);
        let labels: Vec<usize> = (0..batch).map(|i| i % 10).collect();
        // Checksum: the loss and a weighted sum of the weights after one step.
        let mut net = glorot_net();
        let loss_value = train_step(&mut net, &x, &labels, &Sgd::new(0.01));
        let checksum: f64 = net
            .layers
            .iter()
            .map(|l| {
                l.weights
                    .iter()
                    .enumerate()
                    .map(|(k, w)| w * ((k % 7) as f64 - 3.0))
                    .sum::<f64>()
            })
            .sum();
        let mut net = glorot_net();
        let secs = median_time(if batch == 10 { 30 } else { 10 }, || {
            black_box(train_step(&mut net, &x, &labels, &Sgd::new(0.01)));
        });
        cases.push((
            format!("train_step_glorot_batch{batch}"),
            secs,
            vec![loss_value, checksum],
        ));
    }

    // The two kernels a training step spends its time in.
    let a = det_matrix(256, 1000, 3.0, 0.1);
    let b = det_matrix(1000, 1000, 4.0, 0.1);
    let c = matmul(a.view(), b.view());
    let checksum = c
        .iter()
        .enumerate()
        .map(|(k, v)| v * ((k % 5) as f64 - 2.0))
        .sum::<f64>();
    let secs = median_time(20, || {
        black_box(matmul(a.view(), b.view()));
    });
    cases.push(("matmul_256x1000x1000".to_string(), secs, vec![checksum]));
    let z = det_matrix(1280, 1000, 5.0, 3.0);
    let checksum = Activation::Tanh
        .apply_all(z.view())
        .iter()
        .enumerate()
        .map(|(k, v)| v * ((k % 5) as f64 - 2.0))
        .sum::<f64>();
    let secs = median_time(20, || {
        black_box(Activation::Tanh.apply_all(z.view()));
    });
    cases.push(("tanh_1280x1000".to_string(), secs, vec![checksum]));

    let mut rng = StdRng::seed_from_u64(0);
    for (name, init) in [
        ("xavier_uniform", Init::XavierUniform { gain: 1.0 }),
        ("xavier_normal", Init::XavierNormal { gain: 1.0 }),
        ("he_normal", Init::HE_RELU),
        ("torch_linear", Init::TorchLinear),
    ] {
        // Random: the checksum is n·Var(W), which both sides must agree on
        // within sampling error.
        let w = init.weights(1000, 1000, &mut rng);
        let n_var = 1000.0 * variance(w.as_slice().unwrap());
        let secs = median_time(10, || {
            black_box(init.weights(1000, 1000, &mut rng));
        });
        cases.push((format!("init_1000x1000_{name}"), secs, vec![n_var]));
    }

    // A forward pass through 1000 tanh layers of width 256 (batch 64), the
    // weights cycling through 10 deterministic matrices.
    let ws: Vec<Array2<f64>> = (0..10)
        .map(|l| det_matrix(256, 256, l as f64, 1.5 / 16.0))
        .collect();
    let x = det_matrix(64, 256, 7.0, 1.0);
    let forward = || deep_forward(&x, &ws);
    let out = forward();
    let checksum = out
        .iter()
        .enumerate()
        .map(|(k, v)| v * ((k % 5) as f64 - 2.0))
        .sum::<f64>();
    let secs = median_time(5, || {
        black_box(forward());
    });
    cases.push((
        "forward_1000_layers_width256".to_string(),
        secs,
        vec![checksum],
    ));

    // BBSE from 100,000 deterministic predictions and a target sample of 50,000.
    let (labels, predicted, target_pred) = bbse_inputs();
    let estimate = || bbse_estimate(&labels, &predicted, &target_pred);
    let w = estimate();
    let secs = median_time(20, || {
        black_box(estimate());
    });
    cases.push(("bbse_estimate_100k".to_string(), secs, w.to_vec()));

    // Page–Hinkley, per sample: a stream of 1,000,000 errors whose rate
    // jumps from 0.1 to 0.5 every 100,000 samples.
    let stream: Vec<f64> = (0..1_000_000)
        .map(|t| {
            let rate = if (t / 100_000) % 2 == 0 { 10 } else { 50 };
            ((t * 37) % 100 < rate) as u8 as f64
        })
        .collect();
    let detect = || {
        let mut d = PageHinkley::new(30, 0.005, 50.0).unwrap();
        stream
            .iter()
            .filter(|&&x| d.update(x) == Status::Drift)
            .count()
    };
    let alarms = detect() as f64;
    let secs = median_time(5, || {
        black_box(detect());
    }) / stream.len() as f64;
    cases.push(("page_hinkley_update".to_string(), secs, vec![alarms]));

    println!("{{");
    for (i, (name, secs, check)) in cases.iter().enumerate() {
        let check: Vec<String> = check.iter().map(|v| format!("{v:.17e}")).collect();
        let comma = if i + 1 < cases.len() { "," } else { "" };
        println!(
            "  \"{name}\": {{\"seconds\": {secs:.9e}, \"checksum\": [{}]}}{comma}",
            check.join(", ")
        );
    }
    println!("}}");
}
