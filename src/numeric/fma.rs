//! The fused multiply-add `a·b + c`, rounded once, from ordinary additions
//! and multiplications: the matrix product's one operation on processors
//! without an fma instruction (WebAssembly, where the live figures run).
//!
//! The matrix product (the `kernels` module, which uses this one)
//! accumulates every element in one fixed order of fused multiply-adds, so
//! that every processor computes the same bits. Processors with an fma
//! instruction round `a·b + c` once in hardware; WebAssembly has none, and
//! the C library's `fma` that `f64::mul_add` then calls computes it with
//! integer arithmetic: it took 85% of a live figure's time. Here the same correctly
//! rounded result comes from about thirty ordinary operations:
//!
//! 1. the product exactly, as `uh + ul` (Dekker's product, with Veltkamp's
//!    splitting of each factor into halves of 26 bits);
//! 2. `c + uh` exactly, as `th + tl` (Knuth's two-sum);
//! 3. `v = tl + ul` *rounded to odd* (when the sum is inexact, the
//!    neighbour whose last bit is 1), from a two-sum and one step to the
//!    next float;
//! 4. `th + v`, rounded to nearest: equal to `a·b + c` rounded once
//!    (Boldo & Melquiond 2008, "Emulation of FMA and correctly rounded sums:
//!    proved algorithms using rounding to odd", IEEE Transactions on
//!    Computers 57(4), Algorithm 5).
//!
//! The steps are exact only away from overflow and underflow, so inputs
//! outside the safe range (huge or tiny factors, non-finite values) go to
//! the `libm` crate's `fma`, which is correctly rounded everywhere. The
//! tests compare both with the processor's own fma on millions of inputs.
//!
//! ```
//! use stable_learning::numeric::fma::fma;
//! // 0.1·10 − 1 is exactly 2⁻⁵⁴ before rounding; separate rounding loses it.
//! assert_eq!(0.1 * 10.0 - 1.0, 0.0);
//! assert_eq!(fma(0.1, 10.0, -1.0), 2f64.powi(-54));
//! ```

/// A number and its Veltkamp split: `value = hi + lo`, each half with at
/// most 26 significant bits, so that products of halves are exact.
#[derive(Clone, Copy, Debug)]
pub struct Split {
    value: f64,
    hi: f64,
    lo: f64,
}

/// 2²⁷ + 1, Veltkamp's splitting constant for 53-bit significands.
const SPLITTER: f64 = 134_217_729.0;
/// Factors up to this size split without overflow.
const MAX_FACTOR: f64 = 1.0e298; // < 2^990
/// Products and addends up to this size add without overflow.
const MAX_TERM: f64 = 1.0e300; // < 2^997
/// Products at least this large have an exact error term (it stays normal).
const MIN_PRODUCT: f64 = 1.0e-290; // > 2^-964

impl Split {
    /// Splits `value` (any value: [`fused`] checks the range).
    #[inline(always)]
    pub fn new(value: f64) -> Split {
        let t = SPLITTER * value;
        let hi = t - (t - value);
        Split {
            value,
            hi,
            lo: value - hi,
        }
    }
}

/// `a·b + c` rounded once (to nearest, ties to even), as the fma
/// instruction computes it.
#[inline]
pub fn fma(a: f64, b: f64, c: f64) -> f64 {
    fused(Split::new(a), Split::new(b), c)
}

/// [`fma`] for factors already split (a matrix product splits each entry
/// once and uses it many times).
#[inline(always)]
pub fn fused(a: Split, b: Split, c: f64) -> f64 {
    let (v, in_range) = fused_in_range(a, b, c);
    if in_range {
        v
    } else if a.value == 0.0 || b.value == 0.0 {
        // A zero factor makes the product an exact ±0, and one rounding of
        // the sum is the answer (with the sign of zero the sum gives).
        a.value * b.value + c
    } else {
        libm::fma(a.value, b.value, c)
    }
}

/// The four steps of the module's description, without a branch (so that
/// a row of sums can become vector instructions): the result, and whether
/// the inputs were in the range where the steps are exact (when not, call
/// [`fused`]).
#[inline(always)]
pub fn fused_in_range(a: Split, b: Split, c: f64) -> (f64, bool) {
    let uh = a.value * b.value;
    let safe = (a.value.abs() <= MAX_FACTOR)
        & (b.value.abs() <= MAX_FACTOR)
        & (c.abs() <= MAX_TERM)
        & (uh.abs() <= MAX_TERM)
        & (uh.abs() >= MIN_PRODUCT);
    // 1. Dekker: uh + ul = a·b exactly.
    let ul = ((a.hi * b.hi - uh) + a.hi * b.lo + a.lo * b.hi) + a.lo * b.lo;
    // 2. Two-sum: th + tl = c + uh exactly.
    let (th, tl) = two_sum(c, uh);
    // 3. v = tl + ul rounded to odd. Inexact and even: the neighbour
    // toward the exact sum is odd. Same signs: one step away from zero;
    // opposite: one toward it.
    let (s, e) = two_sum(tl, ul);
    let bits = s.to_bits();
    let step = u64::from((e != 0.0) & (bits & 1 == 0));
    let toward = if (bits ^ e.to_bits()) >> 63 == 0 {
        step
    } else {
        step.wrapping_neg()
    };
    // 4. One rounding to nearest.
    (th + f64::from_bits(bits.wrapping_add(toward)), safe)
}

/// Whether this WebAssembly engine's relaxed multiply-add rounds once.
///
/// WebAssembly's relaxed-SIMD `f64x2.relaxed_madd` may round once (fused,
/// as an fma instruction) or twice, as the engine chooses, the same way on
/// every call; engines on processors with fma instructions fuse it. When it
/// is fused on cases where one rounding and two differ, the matrix product
/// uses it, with the same bits as everywhere else and about ten times as
/// fast as [`fused`]; otherwise it uses [`fused`].
#[cfg(all(target_family = "wasm", target_feature = "relaxed-simd"))]
pub fn relaxed_madd_is_fused() -> bool {
    use core::arch::wasm32::{f64x2_extract_lane, f64x2_relaxed_madd, f64x2_splat};
    static FUSED: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *FUSED.get_or_init(|| {
        PROBE.iter().all(|&(a, b, c)| {
            let (a, b, c) = std::hint::black_box((a, b, c));
            let v = f64x2_relaxed_madd(f64x2_splat(a), f64x2_splat(b), f64x2_splat(c));
            f64x2_extract_lane::<0>(v).to_bits() == fma(a, b, c).to_bits()
        })
    })
}

/// Inputs whose `a·b + c` rounded once differs from `a·b` rounded and then
/// `+ c` rounded: an engine whose multiply-add gives the fused result on
/// all of them fuses it (see `relaxed_madd_is_fused`).
pub const PROBE: [(f64, f64, f64); 5] = [
    // Unfused, 0.1·10 rounds to 1 and the sum to 0; fused, 2⁻⁵⁴.
    (0.1, 10.0, -1.0),
    (1.0 + f64::EPSILON, 1.0 - f64::EPSILON, -1.0),
    (-7.1, 0.3, 2.13),
    // Unfused, the product overflows; fused, the sum is f64::MAX.
    (f64::MAX, 2.0, -f64::MAX),
    // 1.5·2⁻⁵³⁷ · 2⁻⁵³⁷ + 2⁻¹⁰⁷⁴: unfused, the product 1.5·2⁻¹⁰⁷⁴ rounds
    // (a tie, to even) to 2⁻¹⁰⁷³ and the sum is 3·2⁻¹⁰⁷⁴; fused, 2.5·2⁻¹⁰⁷⁴
    // rounds to 2⁻¹⁰⁷³.
    (3.334138124227616e-162, 2.2227587494850775e-162, 5e-324),
];

/// Knuth's two-sum: `(s, e)` with `s = a + b` rounded and `s + e = a + b`
/// exactly (no overflow).
#[inline(always)]
fn two_sum(a: f64, b: f64) -> (f64, f64) {
    let s = a + b;
    let bb = s - a;
    let e = (a - (s - bb)) + (b - bb);
    (s, e)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::StdRng;
    use rand::{RngExt, SeedableRng};

    fn same(a: f64, b: f64, c: f64) {
        let want = a.mul_add(b, c);
        let got = fma(a, b, c);
        let (fast, in_range) = fused_in_range(Split::new(a), Split::new(b), c);
        if in_range {
            assert_eq!(
                fast.to_bits(),
                want.to_bits(),
                "fused_in_range({a:e}, {b:e}, {c:e})"
            );
        }
        assert!(
            want.to_bits() == got.to_bits() || (want.is_nan() && got.is_nan()),
            "fma({a:e}, {b:e}, {c:e}): emulated {got:e}, processor {want:e}"
        );
        assert_eq!(
            libm::fma(a, b, c).to_bits(),
            want.to_bits(),
            "libm fma({a:e}, {b:e}, {c:e})"
        );
    }

    /// A random double with a random exponent in `lo..hi` (powers of two).
    fn wide(rng: &mut StdRng, lo: i32, hi: i32) -> f64 {
        let m: f64 = rng.random_range(1.0..2.0);
        let e = rng.random_range(lo..hi);
        let sign = if rng.random::<bool>() { -1.0 } else { 1.0 };
        sign * m * 2f64.powi(e)
    }

    #[test]
    fn every_probe_case_tells_one_rounding_from_two() {
        for (a, b, c) in PROBE {
            let (a, b, c) = std::hint::black_box((a, b, c));
            let twice = a * b + c;
            let once = a.mul_add(b, c);
            assert_ne!(once.to_bits(), twice.to_bits(), "({a:e}, {b:e}, {c:e})");
            assert_eq!(fma(a, b, c).to_bits(), once.to_bits());
        }
    }

    #[test]
    fn equals_the_processors_fma_on_random_inputs() {
        let mut rng = StdRng::seed_from_u64(7);
        for _ in 0..2_000_000 {
            let (a, b) = (wide(&mut rng, -40, 40), wide(&mut rng, -40, 40));
            let c = wide(&mut rng, -90, 90);
            same(a, b, c);
        }
    }

    #[test]
    fn equals_the_processors_fma_near_cancellation_and_ties() {
        // c close to −a·b, so the result is the product's rounding error and
        // every bit of it counts; and sums landing on halfway cases.
        let mut rng = StdRng::seed_from_u64(8);
        for _ in 0..2_000_000 {
            let (a, b) = (wide(&mut rng, -30, 30), wide(&mut rng, -30, 30));
            let p = a * b;
            let k: i64 = rng.random_range(-4..=4);
            let c = -f64::from_bits((p.to_bits() as i64 + k) as u64);
            same(a, b, c);
            // c a power of two near p: many halfway cases.
            let e = ((p.abs().to_bits() >> 52) as i32) - 1023;
            let c =
                2f64.powi(e + rng.random_range(-60..60)) * if rng.random() { 1.0 } else { -1.0 };
            same(a, b, c);
            // Small integers: exact products, ties to even.
            let (x, y): (i32, i32) = (
                rng.random_range(-1 << 26..1 << 26),
                rng.random_range(-1 << 26..1 << 26),
            );
            same(
                f64::from(x),
                f64::from(y),
                f64::from(rng.random_range(-1000..1000)) * 0.5,
            );
        }
    }

    #[test]
    fn equals_the_processors_fma_at_the_edges_of_the_range() {
        let mut rng = StdRng::seed_from_u64(9);
        for _ in 0..1_000_000 {
            let a = wide(&mut rng, -1074, 1023);
            let b = wide(&mut rng, -1074, 1023);
            let c = wide(&mut rng, -1074, 1023);
            same(a, b, c);
            same(a, 1.0 / a, -1.0);
            same(a, b, -(a * b));
        }
        let specials = [
            0.0,
            -0.0,
            1.0,
            -1.0,
            f64::MIN_POSITIVE,
            f64::MIN_POSITIVE / 3.0,
            5e-324,
            f64::MAX,
            -f64::MAX,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NAN,
            1e300,
            1e-300,
            MAX_FACTOR,
            MAX_TERM,
            MIN_PRODUCT,
        ];
        for &a in &specials {
            for &b in &specials {
                for &c in &specials {
                    same(a, b, c);
                }
            }
        }
    }
}
