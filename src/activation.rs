//! Activation functions and their derivatives.
//!
//! A layer computes `h = φ(z)` from its pre-activation `z`. Backpropagation needs
//! `φ'(z)`, so every activation here comes with its derivative, written in terms of
//! `z` (not `h`) to keep the code and the math side by side.

use std::fmt;
use std::str::FromStr;

use ndarray::{Array2, ArrayView2};

/// An element-wise activation function φ.
///
/// ```
/// use stable_learning::activation::Activation;
/// assert_eq!(Activation::Sigmoid.derivative(0.0), 0.25);
/// assert_eq!(Activation::Tanh.derivative(0.0), 1.0);
/// assert_eq!(Activation::Relu.apply(-3.0), 0.0);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Activation {
    /// φ(z) = z, φ'(z) = 1.
    Identity,
    /// φ(z) = 1 / (1 + e^(−z)), φ'(z) = φ(z)(1 − φ(z)) ≤ 1/4.
    Sigmoid,
    /// φ(z) = tanh z, φ'(z) = 1 − tanh² z ≤ 1.
    Tanh,
    /// φ(z) = max(0, z), φ'(z) = 1 for z > 0 and 0 otherwise.
    Relu,
    /// φ(z) = z for z > 0 and `slope`·z otherwise.
    LeakyRelu {
        /// The slope for negative inputs (PyTorch's default is 0.01).
        slope: f64,
    },
}

impl Activation {
    /// Every activation, with leaky ReLU at PyTorch's default slope 0.01.
    pub const ALL: [Activation; 5] = [
        Activation::Identity,
        Activation::Sigmoid,
        Activation::Tanh,
        Activation::Relu,
        Activation::LeakyRelu { slope: 0.01 },
    ];

    /// φ(z).
    pub fn apply(self, z: f64) -> f64 {
        match self {
            Activation::Identity => z,
            Activation::Sigmoid => sigmoid(z),
            Activation::Tanh => z.tanh(),
            // NaN stays NaN (f64::max would turn it into 0 and hide a blow-up).
            Activation::Relu => {
                if z > 0.0 || z.is_nan() {
                    z
                } else {
                    0.0
                }
            }
            Activation::LeakyRelu { slope } => {
                if z > 0.0 || z.is_nan() {
                    z
                } else {
                    slope * z
                }
            }
        }
    }

    /// φ'(z), the derivative with respect to the pre-activation.
    pub fn derivative(self, z: f64) -> f64 {
        match self {
            Activation::Identity => 1.0,
            Activation::Sigmoid => {
                let s = sigmoid(z);
                s * (1.0 - s)
            }
            Activation::Tanh => {
                let t = tanh(z);
                1.0 - t * t
            }
            Activation::Relu => {
                if z > 0.0 {
                    1.0
                } else {
                    0.0
                }
            }
            Activation::LeakyRelu { slope } => {
                if z > 0.0 {
                    1.0
                } else {
                    slope
                }
            }
        }
    }

    /// φ'(z) given also h = φ(z): sigmoid and tanh reuse h (σ' = h(1 − h),
    /// tanh' = 1 − h²) instead of evaluating an exponential again.
    pub fn derivative_from_output(self, z: f64, h: f64) -> f64 {
        match self {
            Activation::Sigmoid => h * (1.0 - h),
            Activation::Tanh => 1.0 - h * h,
            _ => self.derivative(z),
        }
    }

    /// φ applied element-wise to a matrix.
    pub fn apply_all(self, z: ArrayView2<f64>) -> Array2<f64> {
        let mut h = z.to_owned();
        match h.as_slice_mut() {
            Some(values) => self.apply_slice(values),
            None => h.mapv_inplace(|v| self.apply(v)),
        }
        h
    }

    /// φ applied in place to every value, with the activation chosen once
    /// outside the loop so that the loop can vectorize.
    pub fn apply_slice(self, values: &mut [f64]) {
        match self {
            Activation::Identity => {}
            Activation::Tanh => tanh_slice(values),
            Activation::Relu => values
                .iter_mut()
                .for_each(|v| *v = Activation::Relu.apply(*v)),
            act => values.iter_mut().for_each(|v| *v = act.apply(*v)),
        }
    }

    /// Multiplies each back-propagated gradient `grad[i]` by φ'(z[i]), given
    /// also h[i] = φ(z[i]): the step δ = ∂L/∂h ⊙ φ'(z) of backpropagation,
    /// with the activation chosen once outside the loop.
    pub fn scale_by_derivative(self, grad: &mut [f64], z: &[f64], h: &[f64]) {
        assert!(
            grad.len() == z.len() && z.len() == h.len(),
            "one z and h per gradient"
        );
        match self {
            Activation::Identity => {}
            Activation::Tanh => grad.iter_mut().zip(h).for_each(|(g, h)| *g *= 1.0 - h * h),
            Activation::Sigmoid => grad
                .iter_mut()
                .zip(h)
                .for_each(|(g, h)| *g *= h * (1.0 - h)),
            Activation::Relu => grad
                .iter_mut()
                .zip(z)
                .for_each(|(g, z)| *g *= if *z > 0.0 { 1.0 } else { 0.0 }),
            act => grad
                .iter_mut()
                .zip(z)
                .for_each(|(g, z)| *g *= act.derivative(*z)),
        }
    }

    /// φ' applied element-wise to a matrix.
    pub fn derivative_all(self, z: ArrayView2<f64>) -> Array2<f64> {
        z.mapv(|v| self.derivative(v))
    }

    /// The gain PyTorch's `calculate_gain` recommends for this activation:
    /// 1 for identity and sigmoid, 5/3 for tanh, √2 for ReLU and
    /// √(2/(1+slope²)) for leaky ReLU.
    pub fn gain(self) -> f64 {
        match self {
            Activation::Identity | Activation::Sigmoid => 1.0,
            Activation::Tanh => 5.0 / 3.0,
            Activation::Relu => 2f64.sqrt(),
            Activation::LeakyRelu { slope } => (2.0 / (1.0 + slope * slope)).sqrt(),
        }
    }

    /// The name used on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Activation::Identity => "identity",
            Activation::Sigmoid => "sigmoid",
            Activation::Tanh => "tanh",
            Activation::Relu => "relu",
            Activation::LeakyRelu { .. } => "leaky-relu",
        }
    }
}

impl fmt::Display for Activation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Activation {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Activation::ALL
            .into_iter()
            .find(|a| a.name() == s)
            .ok_or_else(|| {
                let names: Vec<_> = Activation::ALL.iter().map(|a| a.name()).collect();
                format!("unknown activation '{s}' (one of: {})", names.join(", "))
            })
    }
}

/// tanh(x), within a few units in the last place of the exact value, written
/// without branches or library calls so that a loop over a matrix
/// vectorizes (the C library's `tanh` is a scalar call and took a fifth of a
/// training step).
///
/// With a = |x| and y = −2a, tanh a = −m/(2 + m) where m = e^y − 1. Write
/// y = k ln 2 + r with k an integer and |r| ≤ ½ ln 2 (Cody & Waite's
/// reduction); then m = q(r)·2^k + (2^k − 1) with q(r) = e^r − 1 from its
/// Taylor series to r¹³ (truncation below 10⁻¹⁷). For |y| < ½ ln 2, k = 0 and
/// m = q(y) exactly, so small x lose nothing to cancellation. |x| > 20 gives
/// ±1 (tanh 20 = 1 − 8·10⁻¹⁸), and NaN stays NaN.
///
/// ```
/// use stable_learning::activation::tanh;
/// for x in [-3.0, -0.1, 0.0, 1e-8, 0.5, 2.0, 30.0] {
///     assert!((tanh(x) - f64::tanh(x)).abs() <= 4.0 * f64::EPSILON * f64::tanh(x).abs());
/// }
/// assert!(tanh(f64::NAN).is_nan());
/// ```
#[inline]
pub fn tanh(x: f64) -> f64 {
    const LN2_HI: f64 = 0.693_147_180_369_123_8;
    const LN2_LO: f64 = 1.908_214_929_270_587_7e-10;
    const MAGIC: f64 = 6_755_399_441_055_744.0; // 1.5·2⁵²: adding it rounds to an integer
    let a = x.abs();
    let a = if a > 20.0 { 20.0 } else { a }; // NaN passes through
    let y = -2.0 * a;
    let t = y * std::f64::consts::LOG2_E + MAGIC;
    let k = t - MAGIC; // round(y / ln 2), as a float
    let k_int = (t.to_bits() as i64).wrapping_sub(MAGIC.to_bits() as i64);
    let r = (y - k * LN2_HI) - k * LN2_LO;
    // q(r) = r + r²/2! + … + r¹³/13!, by Horner.
    let mut q = 1.0 / 6_227_020_800.0;
    for c in [
        1.0 / 479_001_600.0,
        1.0 / 39_916_800.0,
        1.0 / 3_628_800.0,
        1.0 / 362_880.0,
        1.0 / 40_320.0,
        1.0 / 5_040.0,
        1.0 / 720.0,
        1.0 / 120.0,
        1.0 / 24.0,
        1.0 / 6.0,
        0.5,
        1.0,
    ] {
        q = q * r + c;
    }
    q *= r;
    let scale = f64::from_bits(((k_int + 1023) as u64) << 52); // 2^k
    let m = q * scale + (scale - 1.0);
    (-m / (2.0 + m)).copysign(x)
}

/// [`tanh`] of every value, in place. On x86-64 CPUs with AVX-512 or AVX2
/// the same loop is compiled for those instruction sets and chosen at run
/// time, so it runs 8 or 4 values at a time. The arithmetic is the same in
/// every version (Rust never fuses a multiply and an add on its own), so the
/// results are bit-for-bit identical whichever runs.
///
/// ```
/// let mut v = vec![-1.0, 0.0, 0.5];
/// stable_learning::activation::tanh_slice(&mut v);
/// assert_eq!(v, vec![stable_learning::activation::tanh(-1.0), 0.0, stable_learning::activation::tanh(0.5)]);
/// ```
pub fn tanh_slice(values: &mut [f64]) {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx512f") {
            // SAFETY: the CPU supports AVX-512F, checked on the line above.
            unsafe { tanh_slice_avx512(values) };
            return;
        }
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU supports AVX2, checked on the line above.
            unsafe { tanh_slice_avx2(values) };
            return;
        }
    }
    values.iter_mut().for_each(|v| *v = tanh(*v));
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
fn tanh_slice_avx512(values: &mut [f64]) {
    values.iter_mut().for_each(|v| *v = tanh(*v));
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn tanh_slice_avx2(values: &mut [f64]) {
    values.iter_mut().for_each(|v| *v = tanh(*v));
}

/// The logistic sigmoid σ(z) = 1 / (1 + e^(−z)), computed without overflow for
/// large |z|.
pub fn sigmoid(z: f64) -> f64 {
    if z >= 0.0 {
        1.0 / (1.0 + (-z).exp())
    } else {
        let e = z.exp();
        e / (1.0 + e)
    }
}

impl serde::Serialize for Activation {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for a in Activation::ALL {
            assert_eq!(a.name().parse::<Activation>().unwrap(), a);
        }
        assert!("softplus".parse::<Activation>().is_err());
    }

    #[test]
    fn sigmoid_is_stable_for_large_inputs() {
        assert_eq!(sigmoid(1000.0), 1.0);
        assert_eq!(sigmoid(-1000.0), 0.0);
        assert!(Activation::Sigmoid.derivative(-1000.0) >= 0.0);
    }

    #[test]
    fn tanh_matches_the_library_within_a_few_ulp() {
        let mut worst: f64 = 0.0;
        for i in -400_000..=400_000 {
            let x = i as f64 * 6e-5 + 1e-9 * (i % 7) as f64;
            let (ours, libm) = (tanh(x), x.tanh());
            let ulps = (ours - libm).abs() / (f64::EPSILON * libm.abs().max(f64::MIN_POSITIVE));
            worst = worst.max(ulps);
        }
        for x in [
            1e-300,
            1e-20,
            1e-8,
            0.3465,
            0.3466,
            19.9,
            20.0,
            21.0,
            1e300,
            f64::INFINITY,
        ] {
            for x in [x, -x] {
                assert!(
                    (tanh(x) - x.tanh()).abs() <= 4.0 * f64::EPSILON * x.tanh().abs(),
                    "{x}"
                );
            }
        }
        println!("worst error {worst:.2} ulp");
        assert!(worst <= 4.0, "worst error {worst} ulp");
        assert_eq!(tanh(0.0), 0.0);
        assert!(tanh(-0.0).is_sign_negative());
    }

    #[test]
    fn nan_propagates() {
        for a in Activation::ALL {
            assert!(a.apply(f64::NAN).is_nan(), "{a}");
        }
    }
}
