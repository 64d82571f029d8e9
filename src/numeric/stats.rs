//! Statistics that describe a layer: mean, variance, quantiles, histograms.
//!
//! Non-finite values (a layer that overflowed) are results, not errors: every
//! function here says how it treats them.

/// The arithmetic mean (NaN for an empty slice; inf/NaN propagate).
///
/// ```
/// assert_eq!(stable_learning::numeric::stats::mean(&[1.0, 2.0, 3.0]), 2.0);
/// ```
pub fn mean(xs: &[f64]) -> f64 {
    xs.iter().sum::<f64>() / xs.len() as f64
}

/// The population variance (1/n) Σ (x − x̄)², computed in two passes.
///
/// ```
/// assert_eq!(stable_learning::numeric::stats::variance(&[1.0, 3.0]), 1.0);
/// ```
pub fn variance(xs: &[f64]) -> f64 {
    let m = mean(xs);
    xs.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / xs.len() as f64
}

/// The q-quantile (0 ≤ q ≤ 1) of the finite values, by linear interpolation
/// between order statistics (type 7, NumPy's default). NaN when no value is
/// finite. Infinite values are ignored; count them with [`count_non_finite`].
///
/// ```
/// use stable_learning::numeric::stats::quantile;
/// assert_eq!(quantile(&[4.0, 1.0, 3.0, 2.0], 0.5), 2.5);
/// assert_eq!(quantile(&[1.0, 2.0, f64::NAN], 1.0), 2.0);
/// ```
pub fn quantile(xs: &[f64], q: f64) -> f64 {
    let mut finite: Vec<f64> = xs.iter().copied().filter(|x| x.is_finite()).collect();
    if finite.is_empty() {
        return f64::NAN;
    }
    let pos = q.clamp(0.0, 1.0) * (finite.len() - 1) as f64;
    let lo = pos.floor() as usize;
    // Selection instead of a full sort: O(n) on average.
    let (_, &mut lo_value, above) = finite.select_nth_unstable_by(lo, f64::total_cmp);
    let hi_value = if pos > lo as f64 {
        above.iter().copied().fold(f64::INFINITY, f64::min)
    } else {
        lo_value
    };
    lo_value + (pos - lo as f64) * (hi_value - lo_value)
}

/// The median of the finite values (see [`quantile`]).
pub fn median(xs: &[f64]) -> f64 {
    quantile(xs, 0.5)
}

/// A result repeated over seeds: every value, in seed order, and the median
/// and range of the finite ones (NaN when none is finite). The book reports
/// stochastic results this way: "median 2.9% (2.0–4.5% over 5 seeds)".
///
/// ```
/// use stable_learning::numeric::stats::Spread;
/// let s = Spread::of(vec![0.3, 0.1, 0.2, f64::NAN]);
/// assert_eq!((s.median, s.min, s.max), (0.2, 0.1, 0.3));
/// assert_eq!(s.values.len(), 4);
/// ```
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Spread {
    /// One value per seed, in seed order (inf/NaN kept: they are results).
    #[serde(with = "nonfinite::vec")]
    pub values: Vec<f64>,
    /// The median of the finite values.
    #[serde(with = "nonfinite")]
    pub median: f64,
    /// The smallest finite value.
    #[serde(with = "nonfinite")]
    pub min: f64,
    /// The largest finite value.
    #[serde(with = "nonfinite")]
    pub max: f64,
}

impl Spread {
    /// The spread of `values`.
    pub fn of(values: Vec<f64>) -> Spread {
        Spread {
            median: quantile(&values, 0.5),
            min: quantile(&values, 0.0),
            max: quantile(&values, 1.0),
            values,
        }
    }

    /// How many values satisfy `holds`.
    pub fn count(&self, holds: impl Fn(f64) -> bool) -> usize {
        self.values.iter().filter(|&&v| holds(v)).count()
    }
}

/// How many values are inf or NaN.
pub fn count_non_finite(xs: &[f64]) -> usize {
    xs.iter().filter(|x| !x.is_finite()).count()
}

/// How many of a run's values blew up: overflowed to ±inf or became NaN
/// (`overflowed`), or underflowed to exactly zero (`vanished`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct Faults {
    /// Values that are ±inf or NaN.
    pub overflowed: usize,
    /// Values that are exactly 0.
    pub vanished: usize,
}

impl Faults {
    /// Counts the faults among `xs`.
    ///
    /// ```
    /// use stable_learning::numeric::stats::Faults;
    /// let f = Faults::count(&[1.0, f64::INFINITY, f64::NAN, 0.0]);
    /// assert_eq!((f.overflowed, f.vanished), (2, 1));
    /// ```
    pub fn count(xs: &[f64]) -> Faults {
        Faults {
            overflowed: count_non_finite(xs),
            vanished: xs.iter().filter(|&&x| x == 0.0).count(),
        }
    }

    /// True when nothing blew up.
    pub fn is_clean(&self) -> bool {
        self.overflowed == 0 && self.vanished == 0
    }

    /// "12 layers overflowed (inf/NaN), 3 layers exactly 0 (underflow)" for the parts that
    /// are not zero, naming what was counted (`what`, e.g. "layers").
    pub fn describe(&self, what: &str) -> String {
        let mut parts = Vec::new();
        if self.overflowed > 0 {
            parts.push(format!("{} {what} overflowed (inf/NaN)", self.overflowed));
        }
        if self.vanished > 0 {
            parts.push(format!("{} {what} exactly 0 (underflow)", self.vanished));
        }
        parts.join(", ")
    }
}

/// A histogram with equal-width bins over [lo, hi].
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Histogram {
    /// The bin edges, `bins + 1` of them.
    pub edges: Vec<f64>,
    /// How many values fell in each bin (the last bin includes `hi`).
    pub counts: Vec<usize>,
    /// Finite values outside [lo, hi].
    pub outside: usize,
    /// Values that were inf or NaN.
    pub non_finite: usize,
}

impl Histogram {
    /// Counts `xs` into `bins` equal bins over [lo, hi] (requires lo < hi, bins ≥ 1).
    ///
    /// ```
    /// use stable_learning::numeric::stats::Histogram;
    /// let h = Histogram::new(&[0.1, 0.2, 0.9, 1.0, 5.0, f64::NAN], 0.0, 1.0, 2);
    /// assert_eq!(h.counts, vec![2, 2]);
    /// assert_eq!((h.outside, h.non_finite), (1, 1));
    /// ```
    pub fn new(xs: &[f64], lo: f64, hi: f64, bins: usize) -> Histogram {
        assert!(lo < hi && bins >= 1, "histogram needs lo < hi and bins ≥ 1");
        let width = (hi - lo) / bins as f64;
        let edges = (0..=bins).map(|i| lo + i as f64 * width).collect();
        let mut counts = vec![0; bins];
        let (mut outside, mut non_finite) = (0, 0);
        for &x in xs {
            if !x.is_finite() {
                non_finite += 1;
            } else if x < lo || x > hi {
                outside += 1;
            } else {
                let i = (((x - lo) / width) as usize).min(bins - 1);
                counts[i] += 1;
            }
        }
        Histogram {
            edges,
            counts,
            outside,
            non_finite,
        }
    }

    /// The fraction of all values in each bin (counts / total values).
    pub fn fractions(&self) -> Vec<f64> {
        let total = self.counts.iter().sum::<usize>() + self.outside + self.non_finite;
        self.counts
            .iter()
            .map(|&c| c as f64 / total.max(1) as f64)
            .collect()
    }
}

/// Serde for `f64` values that may be ±∞ or NaN. JSON has no such numbers
/// (serde_json would write `null` and fail to read it back), so they are
/// written as the strings "inf", "-inf" and "nan" (the convention of the
/// examples' `--json`); "NaN" and `null` also read as NaN.
pub mod nonfinite {
    use serde::de::Error;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    /// One value, written as a number when it is finite.
    struct Num(f64);

    impl Serialize for Num {
        fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            match self.0 {
                v if v.is_finite() => s.serialize_f64(v),
                v if v.is_nan() => s.serialize_str("nan"),
                v if v > 0.0 => s.serialize_str("inf"),
                _ => s.serialize_str("-inf"),
            }
        }
    }

    impl<'de> Deserialize<'de> for Num {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            #[derive(Deserialize)]
            #[serde(untagged)]
            enum Repr {
                Number(f64),
                Text(String),
            }
            match Option::<Repr>::deserialize(d)? {
                Some(Repr::Number(v)) => Ok(Num(v)),
                None => Ok(Num(f64::NAN)),
                Some(Repr::Text(t)) => match t.as_str() {
                    "inf" => Ok(Num(f64::INFINITY)),
                    "-inf" => Ok(Num(f64::NEG_INFINITY)),
                    "nan" | "NaN" => Ok(Num(f64::NAN)),
                    _ => Err(D::Error::custom(format!("not a number: {t:?}"))),
                },
            }
        }
    }

    /// Writes `v` (see the module docs).
    pub fn serialize<S: Serializer>(v: &f64, s: S) -> Result<S::Ok, S::Error> {
        Num(*v).serialize(s)
    }

    /// Reads what [`serialize`] wrote.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
        Num::deserialize(d).map(|n| n.0)
    }

    /// The same for a `Vec<f64>`.
    pub mod vec {
        use super::Num;
        use serde::{Deserialize, Deserializer, Serializer};

        /// Writes `v` (see the module docs).
        pub fn serialize<S: Serializer>(v: &[f64], s: S) -> Result<S::Ok, S::Error> {
            s.collect_seq(v.iter().map(|&x| Num(x)))
        }

        /// Reads what [`serialize`] wrote.
        pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<f64>, D::Error> {
            Vec::<Num>::deserialize(d).map(|v| v.into_iter().map(|n| n.0).collect())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_match_numpy_type7() {
        let xs = [3.0, 1.0, 4.0, 1.0, 5.0, 9.0, 2.0, 6.0];
        // numpy.quantile(xs, [0, .25, .5, .9, 1]) = [1, 1.75, 3.5, 6.9, 9]
        let expect = [(0.0, 1.0), (0.25, 1.75), (0.5, 3.5), (0.9, 6.9), (1.0, 9.0)];
        for (q, v) in expect {
            assert!((quantile(&xs, q) - v).abs() < 1e-12, "q={q}");
        }
    }

    #[test]
    fn empty_or_non_finite_gives_nan() {
        assert!(quantile(&[], 0.5).is_nan());
        assert!(quantile(&[f64::INFINITY, f64::NAN], 0.5).is_nan());
        assert_eq!(count_non_finite(&[1.0, f64::INFINITY, f64::NAN]), 2);
    }
}
