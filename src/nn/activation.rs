//! Activation functions and their derivatives.
//!
//! A layer computes `h = φ(z)` from its pre-activation `z`. Backpropagation needs
//! `φ'(z)`, so every activation here comes with its derivative, written in terms of
//! `z` (not `h`) to keep the code and the math side by side.

use std::fmt;
use std::str::FromStr;

use ndarray::{Array2, ArrayView2, Zip};

use crate::numeric::kernels::{tanh, tanh_slice};
use crate::numeric::math;

/// An element-wise activation function φ.
///
/// ```
/// use stable_learning::nn::activation::Activation;
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
            Activation::Tanh => tanh(z),
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

    /// The back-propagated gradient times φ′(z), element by element, given
    /// also h = φ(z) ([`Activation::derivative_from_output`]): the step
    /// δ = ∂L/∂h ⊙ φ'(z) of backpropagation, written into a new matrix (the
    /// gradient arriving is kept).
    pub fn times_derivative(
        self,
        grad: ArrayView2<f64>,
        z: ArrayView2<f64>,
        h: ArrayView2<f64>,
    ) -> Array2<f64> {
        Zip::from(grad)
            .and(z)
            .and(h)
            .map_collect(|&g, &z, &h| g * self.derivative_from_output(z, h))
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

/// The logistic sigmoid σ(z) = 1 / (1 + e^(−z)), computed without overflow for
/// large |z|.
pub fn sigmoid(z: f64) -> f64 {
    if z >= 0.0 {
        1.0 / (1.0 + math::exp(-z))
    } else {
        let e = math::exp(z);
        e / (1.0 + e)
    }
}

impl serde::Serialize for Activation {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Activation {
    /// Reads the name `--activation` accepts (what [`serde::Serialize`] writes).
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let name = String::deserialize(d)?;
        name.parse().map_err(serde::de::Error::custom)
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
    fn nan_propagates() {
        for a in Activation::ALL {
            assert!(a.apply(f64::NAN).is_nan(), "{a}");
        }
    }
}
