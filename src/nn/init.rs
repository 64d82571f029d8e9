//! Weight initializers.
//!
//! **Shapes and fans.** The book writes a layer as `H = X W + b` with `X` of shape
//! (batch, n_in), so a weight matrix has shape (n_in, n_out): `fan_in` is its
//! number of rows and `fan_out` its number of columns. (PyTorch stores the
//! transpose, shape (out, in); the fans mean the same thing.)
//!
//! Every scheme states the distribution it draws from; `std` and `bound` give the
//! closed forms so tests and chapters can compare samples with the formulas.

use std::fmt;

use crate::numeric::normal::StandardNormal;
use ndarray::{Array1, Array2};
use rand::{Rng, RngExt};

use crate::{Error, Range};

/// Which fan a He (Kaiming) initializer keeps the variance for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FanMode {
    /// Preserve the variance of the forward signal: use n_in.
    FanIn,
    /// Preserve the variance of the backward gradient: use n_out.
    FanOut,
}

/// A weight initialization scheme.
///
/// ```
/// use stable_learning::nn::init::Init;
/// // Worked bounds at fan_in = fan_out = 100 (../shared/REFERENCES.md):
/// let xavier = Init::XavierUniform { gain: 1.0 }.bound(100, 100).unwrap();
/// assert!((xavier - 0.1732).abs() < 1e-4);
/// assert!((Init::TorchLinear.bound(100, 100).unwrap() - 0.1).abs() < 1e-12);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Init {
    /// Every weight equal to `value` (breaks nothing: see the symmetry chapter).
    Constant {
        /// The value of every weight.
        value: f64,
    },
    /// W ~ N(0, σ²).
    Normal {
        /// The standard deviation σ.
        std: f64,
    },
    /// W ~ U(−a, a), variance a²/3.
    Uniform {
        /// The bound a.
        bound: f64,
    },
    /// Glorot & Bengio (2010), "normalized": U(−a, a) with
    /// a = gain·√(6/(n_in + n_out)), variance gain²·2/(n_in + n_out).
    XavierUniform {
        /// Multiplies the bound (PyTorch `calculate_gain`).
        gain: f64,
    },
    /// N(0, σ²) with σ = gain·√(2/(n_in + n_out)).
    XavierNormal {
        /// Multiplies the standard deviation.
        gain: f64,
    },
    /// He et al. (2015): U(−a, a) with σ = gain/√fan and a = √3·σ.
    /// gain = √2 is He initialization for ReLU.
    HeUniform {
        /// Which fan to use.
        mode: FanMode,
        /// Multiplies the standard deviation.
        gain: f64,
    },
    /// N(0, σ²) with σ = gain/√fan.
    HeNormal {
        /// Which fan to use.
        mode: FanMode,
        /// Multiplies the standard deviation.
        gain: f64,
    },
    /// PyTorch's `nn.Linear` default, `kaiming_uniform_(a = √5)`:
    /// gain = √(2/(1 + 5)) = 1/√3, so the bound is √3·gain/√n_in = 1/√n_in and
    /// Var(W) = 1/(3·n_in) — Glorot & Bengio's "standard" initialization.
    /// Biases are drawn from U(−1/√n_in, 1/√n_in).
    TorchLinear,
    /// [`Init::TorchLinear`] with its weights (not its biases) multiplied by
    /// `factor`: W ~ U(−factor/√n_in, factor/√n_in), biases as before. What
    /// [`Init::scaled`] makes of the PyTorch default.
    ScaledTorchLinear {
        /// Multiplies the weights' bound.
        factor: f64,
    },
    /// gain·Q with Q a uniformly random matrix with orthonormal columns (or
    /// rows, when n_in < n_out): every singular value of W equals `gain`
    /// (Saxe, McClelland & Ganguli 2013). Entry variance gain²/max(n_in, n_out).
    Orthogonal {
        /// Every singular value of W.
        gain: f64,
    },
}

impl Init {
    /// Glorot & Bengio's "standard" initialization: U(−1/√n_in, 1/√n_in),
    /// Var(W) = 1/(3·n_in), biases 0. The weights of [`Init::TorchLinear`]
    /// without its random biases (a He uniform with gain 1/√3).
    pub const GLOROT_STANDARD: Init = Init::HeUniform {
        mode: FanMode::FanIn,
        gain: 0.577_350_269_189_625_8,
    };

    /// He initialization for ReLU, fan-in mode: N(0, 2/n_in).
    pub const HE_RELU: Init = Init::HeNormal {
        mode: FanMode::FanIn,
        gain: std::f64::consts::SQRT_2,
    };

    /// The standard deviation of one weight.
    pub fn std(self, fan_in: usize, fan_out: usize) -> f64 {
        let (n_in, n_out) = (fan_in as f64, fan_out as f64);
        match self {
            Init::Constant { .. } => 0.0,
            Init::Normal { std } => std,
            Init::Uniform { bound } => bound / 3f64.sqrt(),
            Init::XavierUniform { gain } | Init::XavierNormal { gain } => {
                gain * (2.0 / (n_in + n_out)).sqrt()
            }
            Init::HeUniform { mode, gain } | Init::HeNormal { mode, gain } => {
                let fan = match mode {
                    FanMode::FanIn => n_in,
                    FanMode::FanOut => n_out,
                };
                gain / fan.sqrt()
            }
            Init::TorchLinear => 1.0 / (3.0 * n_in).sqrt(),
            Init::ScaledTorchLinear { factor } => factor / (3.0 * n_in).sqrt(),
            Init::Orthogonal { gain } => gain / n_in.max(n_out).sqrt(),
        }
    }

    /// The bound a of a uniform scheme (`None` for the others).
    pub fn bound(self, fan_in: usize, fan_out: usize) -> Option<f64> {
        match self {
            Init::Uniform { .. }
            | Init::XavierUniform { .. }
            | Init::HeUniform { .. }
            | Init::TorchLinear
            | Init::ScaledTorchLinear { .. } => Some(3f64.sqrt() * self.std(fan_in, fan_out)),
            _ => None,
        }
    }

    /// Draws a (fan_in × fan_out) weight matrix.
    pub fn weights(self, fan_in: usize, fan_out: usize, rng: &mut impl Rng) -> Array2<f64> {
        let std = self.std(fan_in, fan_out);
        match self {
            Init::Constant { value } => Array2::from_elem((fan_in, fan_out), value),
            Init::Normal { .. } | Init::XavierNormal { .. } | Init::HeNormal { .. } => {
                Array2::from_shape_simple_fn((fan_in, fan_out), || {
                    std * rng.sample::<f64, _>(StandardNormal)
                })
            }
            Init::Uniform { .. }
            | Init::XavierUniform { .. }
            | Init::HeUniform { .. }
            | Init::TorchLinear
            | Init::ScaledTorchLinear { .. } => {
                let a = 3f64.sqrt() * std;
                Array2::from_shape_simple_fn((fan_in, fan_out), || uniform(rng, a))
            }
            Init::Orthogonal { gain } => {
                crate::numeric::linalg::random_orthogonal(fan_in, fan_out, rng) * gain
            }
        }
    }

    /// Draws a bias vector: zeros, except U(−1/√n_in, 1/√n_in) for
    /// [`Init::TorchLinear`] and the constant for [`Init::Constant`].
    pub fn biases(self, fan_in: usize, fan_out: usize, rng: &mut impl Rng) -> Array1<f64> {
        match self {
            Init::TorchLinear | Init::ScaledTorchLinear { .. } => {
                let a = 1.0 / (fan_in as f64).sqrt();
                Array1::from_shape_simple_fn(fan_out, || uniform(rng, a))
            }
            Init::Constant { value } => Array1::from_elem(fan_out, value),
            _ => Array1::zeros(fan_out),
        }
    }

    /// This scheme with its standard deviation multiplied by `factor` (a
    /// constant is multiplied as it is). Used to show what too-large weights do.
    pub fn scaled(self, factor: f64) -> Init {
        match self {
            Init::Constant { value } => Init::Constant {
                value: value * factor,
            },
            Init::Normal { std } => Init::Normal { std: std * factor },
            Init::Uniform { bound } => Init::Uniform {
                bound: bound * factor,
            },
            Init::XavierUniform { gain } => Init::XavierUniform {
                gain: gain * factor,
            },
            Init::XavierNormal { gain } => Init::XavierNormal {
                gain: gain * factor,
            },
            Init::HeUniform { mode, gain } => Init::HeUniform {
                mode,
                gain: gain * factor,
            },
            Init::HeNormal { mode, gain } => Init::HeNormal {
                mode,
                gain: gain * factor,
            },
            // The weights grow, PyTorch's random biases stay as they are.
            Init::TorchLinear if factor == 1.0 => Init::TorchLinear,
            Init::TorchLinear => Init::ScaledTorchLinear { factor },
            Init::ScaledTorchLinear { factor: f } => Init::ScaledTorchLinear { factor: f * factor },
            Init::Orthogonal { gain } => Init::Orthogonal {
                gain: gain * factor,
            },
        }
    }

    /// Allowed values of a scheme's number (its gain, std, bound, value or
    /// factor), as `name:NUMBER` parses it.
    pub const NUMBER: Range = Range::closed(0.0, 1e6);

    /// The scheme's number: its gain, std, bound, value or factor (`None`
    /// for [`Init::TorchLinear`], which has none).
    ///
    /// ```
    /// use stable_learning::nn::init::Init;
    /// assert_eq!("normal:0.5".parse::<Init>().unwrap().number(), Some(0.5));
    /// assert_eq!(Init::TorchLinear.number(), None);
    /// ```
    pub fn number(self) -> Option<f64> {
        match self {
            Init::Constant { value } => Some(value),
            Init::Normal { std } => Some(std),
            Init::Uniform { bound } => Some(bound),
            Init::XavierUniform { gain }
            | Init::XavierNormal { gain }
            | Init::HeUniform { gain, .. }
            | Init::HeNormal { gain, .. }
            | Init::Orthogonal { gain } => Some(gain),
            Init::TorchLinear => None,
            Init::ScaledTorchLinear { factor } => Some(factor),
        }
    }

    /// Checks the scheme's number against [`Init::NUMBER`]
    /// ([`Error::Parameter`] names it `name`).
    pub fn check(self, name: &'static str) -> Result<(), Error> {
        match self.number() {
            Some(v) => Init::NUMBER.check(name, v).map(|_| ()),
            None => Ok(()),
        }
    }

    /// The names [`Init::from_str`](std::str::FromStr) accepts, for `--help`.
    pub const NAMES: &'static str = "standard (Glorot & Bengio's, biases 0), torch-linear, xavier-uniform, xavier-normal, \
he-uniform, he-normal, he-uniform-fan-out, he-normal-fan-out, orthogonal, \
normal:STD, uniform:BOUND, constant:VALUE; xavier-*, he-* and orthogonal take an optional :GAIN, \
torch-linear an optional :FACTOR on its weights";
}

impl std::str::FromStr for Init {
    type Err = String;

    /// Parses `name` or `name:number`, e.g. `xavier-uniform`, `he-normal:1.0`,
    /// `normal:0.01`.
    ///
    /// ```
    /// use stable_learning::nn::init::Init;
    /// assert_eq!("xavier-normal".parse::<Init>(), Ok(Init::XavierNormal { gain: 1.0 }));
    /// assert_eq!("normal:0.5".parse::<Init>(), Ok(Init::Normal { std: 0.5 }));
    /// assert!("normal".parse::<Init>().is_err());
    /// assert!("lecun".parse::<Init>().is_err());
    /// ```
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (name, value) = match s.split_once(':') {
            Some((n, v)) => {
                let v: f64 = v
                    .parse()
                    .ok()
                    .filter(|v: &f64| Init::NUMBER.contains(*v))
                    .ok_or_else(|| format!("'{v}' in '{s}' must be a finite number in [0, 1e6]"))?;
                (n, Some(v))
            }
            None => (s, None),
        };
        let gain = |default: f64| value.unwrap_or(default);
        let required = || value.ok_or_else(|| format!("'{name}' needs a value, like {name}:0.1"));
        let relu = std::f64::consts::SQRT_2;
        Ok(match name {
            "torch-linear" if value.is_none() => Init::TorchLinear,
            "torch-linear" => Init::TorchLinear.scaled(gain(1.0)),
            "standard" if value.is_none() => Init::GLOROT_STANDARD,
            "xavier-uniform" => Init::XavierUniform { gain: gain(1.0) },
            "xavier-normal" => Init::XavierNormal { gain: gain(1.0) },
            "he-uniform" => Init::HeUniform {
                mode: FanMode::FanIn,
                gain: gain(relu),
            },
            "he-normal" => Init::HeNormal {
                mode: FanMode::FanIn,
                gain: gain(relu),
            },
            "he-uniform-fan-out" => Init::HeUniform {
                mode: FanMode::FanOut,
                gain: gain(relu),
            },
            "he-normal-fan-out" => Init::HeNormal {
                mode: FanMode::FanOut,
                gain: gain(relu),
            },
            "orthogonal" => Init::Orthogonal { gain: gain(1.0) },
            "normal" => Init::Normal { std: required()? },
            "uniform" => Init::Uniform { bound: required()? },
            "constant" => Init::Constant { value: required()? },
            _ => {
                return Err(format!(
                    "unknown initialization '{s}' (one of: {})",
                    Init::NAMES
                ));
            }
        })
    }
}

impl fmt::Display for Init {
    /// The name `--init` accepts, so a label can be typed back in:
    /// `xavier-uniform`, `he-normal-fan-out`, `xavier-normal:1.667`, `normal:0.01`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let relu = std::f64::consts::SQRT_2;
        let with_gain = |f: &mut fmt::Formatter<'_>, name: &str, gain: f64, default: f64| {
            if (gain - default).abs() < 1e-12 {
                write!(f, "{name}")
            } else {
                write!(f, "{name}:{}", crate::numeric::format_number(gain))
            }
        };
        let fan = |mode: &FanMode| match mode {
            FanMode::FanIn => "",
            FanMode::FanOut => "-fan-out",
        };
        match self {
            _ if *self == Init::GLOROT_STANDARD => write!(f, "standard"),
            Init::Constant { value } => write!(f, "constant:{value}"),
            Init::Normal { std } => write!(f, "normal:{std}"),
            Init::Uniform { bound } => write!(f, "uniform:{bound}"),
            Init::XavierUniform { gain } => with_gain(f, "xavier-uniform", *gain, 1.0),
            Init::XavierNormal { gain } => with_gain(f, "xavier-normal", *gain, 1.0),
            Init::HeUniform { mode, gain } => {
                with_gain(f, &format!("he-uniform{}", fan(mode)), *gain, relu)
            }
            Init::HeNormal { mode, gain } => {
                with_gain(f, &format!("he-normal{}", fan(mode)), *gain, relu)
            }
            Init::TorchLinear => write!(f, "torch-linear"),
            Init::ScaledTorchLinear { factor } => {
                write!(f, "torch-linear:{}", crate::numeric::format_number(*factor))
            }
            Init::Orthogonal { gain } => with_gain(f, "orthogonal", *gain, 1.0),
        }
    }
}

/// One draw from U(−a, a).
fn uniform(rng: &mut impl Rng, a: f64) -> f64 {
    if a == 0.0 {
        return 0.0;
    }
    rng.random_range(-a..a)
}

impl serde::Serialize for Init {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Init {
    /// Reads the name `--init` accepts (what [`serde::Serialize`] writes).
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
        for name in [
            "standard",
            "torch-linear",
            "xavier-uniform",
            "xavier-normal:1.667",
            "he-uniform",
            "he-normal",
            "he-normal-fan-out",
            "he-uniform-fan-out:1",
            "orthogonal",
            "normal:0.01",
            "uniform:0.5",
            "constant:0.1",
        ] {
            let init: Init = name.parse().unwrap();
            assert_eq!(init.to_string().parse::<Init>().unwrap(), init, "{name}");
        }
    }

    #[test]
    fn torch_linear_is_kaiming_uniform_with_a_sqrt5() {
        // kaiming_uniform_(a=√5): gain = √(2/(1+a²)) = √(1/3).
        let gain = (2.0f64 / (1.0 + 5.0)).sqrt();
        let kaiming = Init::HeUniform {
            mode: FanMode::FanIn,
            gain,
        };
        for n in [1, 10, 100, 784] {
            let a = kaiming.bound(n, 7).unwrap();
            assert!((a - Init::TorchLinear.bound(n, 7).unwrap()).abs() < 1e-15);
            assert!((a - 1.0 / (n as f64).sqrt()).abs() < 1e-15);
        }
    }
}
