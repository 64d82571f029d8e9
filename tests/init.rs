//! Initializer samples against their formulas.
//!
//! Each check draws n = 100,000 weights from a fixed seed. For independent
//! draws the sample variance has relative standard error √((κ − 1)/n), with
//! kurtosis κ = 3 for a normal and 1.8 for a uniform: at most √(2/n) ≈ 0.45%.
//! We allow 5 standard errors (2.3%), so a correct sampler fails with
//! probability below 1e-6 for any seed, while a wrong formula (a missing √3,
//! a factor 2, the wrong fan) misses by 30% or more. The mean's standard error
//! is σ/√n; we allow 5 of those.

use rand::{SeedableRng, rngs::StdRng};
use stable_learning::nn::init::{FanMode, Init};
use stable_learning::numeric::stats::{mean, variance};

const FAN_IN: usize = 250;
const FAN_OUT: usize = 400;

fn sample(init: Init) -> Vec<f64> {
    let mut rng = StdRng::seed_from_u64(2024);
    init.weights(FAN_IN, FAN_OUT, &mut rng)
        .into_raw_vec_and_offset()
        .0
}

fn check_moments(init: Init, expected_var: f64) {
    let w = sample(init);
    let n = w.len() as f64;
    let (m, v) = (mean(&w), variance(&w));
    let se_var = (2.0 / n).sqrt();
    assert!(
        (v / expected_var - 1.0).abs() < 5.0 * se_var,
        "{init}: variance {v:.6e}, formula {expected_var:.6e}"
    );
    assert!(
        m.abs() < 5.0 * (expected_var / n).sqrt(),
        "{init}: mean {m:e}"
    );
    // The closed form the library reports agrees with the formula too.
    let std = init.std(FAN_IN, FAN_OUT);
    assert!(
        (std * std / expected_var - 1.0).abs() < 1e-12,
        "{init}: std() disagrees"
    );
    if let Some(a) = init.bound(FAN_IN, FAN_OUT) {
        let max = w.iter().fold(0.0f64, |m, x| m.max(x.abs()));
        assert!(max <= a, "{init}: a sample {max} exceeds the bound {a}");
        // P(all |w| < a(1 − 1e-3)) = (1 − 1e-3)^n ≈ e^-100.
        assert!(
            max > a * (1.0 - 1e-3),
            "{init}: samples never approach the bound {a}"
        );
    }
}

#[test]
fn normal_and_uniform() {
    check_moments(Init::Normal { std: 0.3 }, 0.09);
    check_moments(Init::Uniform { bound: 0.5 }, 0.25 / 3.0);
}

#[test]
fn xavier_glorot_and_bengio() {
    let n = (FAN_IN + FAN_OUT) as f64;
    check_moments(Init::XavierUniform { gain: 1.0 }, 2.0 / n);
    check_moments(Init::XavierNormal { gain: 1.0 }, 2.0 / n);
    // tanh's gain 5/3 multiplies the standard deviation.
    check_moments(
        Init::XavierUniform { gain: 5.0 / 3.0 },
        25.0 / 9.0 * 2.0 / n,
    );
    let a = Init::XavierUniform { gain: 1.0 }
        .bound(FAN_IN, FAN_OUT)
        .unwrap();
    assert!((a - (6.0 / n).sqrt()).abs() < 1e-15);
}

#[test]
fn he_kaiming() {
    let relu = 2f64.sqrt();
    for (mode, fan) in [(FanMode::FanIn, FAN_IN), (FanMode::FanOut, FAN_OUT)] {
        check_moments(Init::HeNormal { mode, gain: relu }, 2.0 / fan as f64);
        check_moments(Init::HeUniform { mode, gain: relu }, 2.0 / fan as f64);
    }
    let he = Init::HE_RELU.std(FAN_IN, FAN_OUT);
    assert!((he - (2.0 / FAN_IN as f64).sqrt()).abs() < 1e-15);
}

#[test]
fn pytorch_linear_default_is_glorot_standard() {
    // Var = 1/(3·fan_in), bound 1/√fan_in.
    check_moments(Init::TorchLinear, 1.0 / (3.0 * FAN_IN as f64));
    let a = Init::TorchLinear.bound(FAN_IN, FAN_OUT).unwrap();
    assert!((a - 1.0 / (FAN_IN as f64).sqrt()).abs() < 1e-15);
    // Biases: U(−1/√fan_in, 1/√fan_in), not zero.
    let mut rng = StdRng::seed_from_u64(1);
    let b = Init::TorchLinear.biases(FAN_IN, 10_000, &mut rng);
    assert!(b.iter().all(|v| v.abs() <= a) && b.iter().any(|v| v.abs() > 0.9 * a));
}

#[test]
fn worked_bounds_at_fan_100() {
    // ../shared/REFERENCES.md: xavier_uniform 0.1732; kaiming_uniform(relu) 0.2449; Linear 0.1.
    let he = Init::HeUniform {
        mode: FanMode::FanIn,
        gain: 2f64.sqrt(),
    };
    assert!((Init::XavierUniform { gain: 1.0 }.bound(100, 100).unwrap() - 0.1732).abs() < 5e-5);
    assert!((he.bound(100, 100).unwrap() - 0.2449).abs() < 5e-5);
    assert!((Init::TorchLinear.bound(100, 100).unwrap() - 0.1).abs() < 1e-15);
}

#[test]
fn constant_is_constant_and_scaled_scales() {
    let w = sample(Init::Constant { value: 0.5 });
    assert!(w.iter().all(|&v| v == 0.5));
    let s = Init::TorchLinear.scaled(4.0);
    // Scaling PyTorch's default grows its weights but keeps its random biases.
    let mut rng = StdRng::seed_from_u64(5);
    let b = s.biases(FAN_IN, 10_000, &mut rng);
    let a = 1.0 / (FAN_IN as f64).sqrt();
    assert!(b.iter().all(|v| v.abs() <= a) && b.iter().any(|v| v.abs() > 0.9 * a));
    assert_eq!(Init::TorchLinear.scaled(1.0), Init::TorchLinear);
    assert!((s.std(FAN_IN, FAN_OUT) / Init::TorchLinear.std(FAN_IN, FAN_OUT) - 4.0).abs() < 1e-12);
}
