//! Elementary functions that give the same bits on every computer.
//!
//! `f64::exp`, `f64::ln` and the like call the C library of the machine the
//! program runs on, and those differ: glibc picks a variant by CPU (with or
//! without FMA), macOS ships its own. Each is accurate to about one unit in the
//! last place, but not the *same* last place, and a long training run turns a
//! last-bit difference into a different network. So the library computes every
//! elementary function through this module, which calls one implementation
//! written in Rust (the `libm` crate, a port of musl's) on every platform. The
//! hyperbolic tangent the networks use most is the book's own, in the
//! `kernels` module (which builds on this one, so it is not linked here).
//!
//! `clippy.toml` forbids the standard methods in the library, so a new call
//! cannot slip past.
//!
//! ```
//! use stable_learning::numeric::math;
//! assert_eq!(math::exp(0.0), 1.0);
//! assert_eq!(math::ln(1.0), 0.0);
//! assert!((math::exp(math::ln(7.0)) - 7.0).abs() < 1e-14);
//! ```

/// eˣ.
#[inline]
pub fn exp(x: f64) -> f64 {
    libm::exp(x)
}

/// The natural logarithm ln x.
#[inline]
pub fn ln(x: f64) -> f64 {
    libm::log(x)
}

/// ln(1 + x), accurate for small x.
#[inline]
pub fn ln_1p(x: f64) -> f64 {
    libm::log1p(x)
}

/// log₁₀ x.
#[inline]
pub fn log10(x: f64) -> f64 {
    libm::log10(x)
}

/// xʸ.
#[inline]
pub fn powf(x: f64, y: f64) -> f64 {
    libm::pow(x, y)
}

/// sin x.
#[inline]
pub fn sin(x: f64) -> f64 {
    libm::sin(x)
}

/// cos x.
#[inline]
pub fn cos(x: f64) -> f64 {
    libm::cos(x)
}

/// tan x.
#[inline]
pub fn tan(x: f64) -> f64 {
    libm::tan(x)
}

/// The angle of the point (x, y) from the positive x axis, in (−π, π].
#[inline]
pub fn atan2(y: f64, x: f64) -> f64 {
    libm::atan2(y, x)
}

/// √(x² + y²) without overflow or underflow in between.
#[inline]
pub fn hypot(x: f64, y: f64) -> f64 {
    libm::hypot(x, y)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fingerprint of each function's bits over 4000 arguments spread
    /// across its domain (FNV-1a over the results' bit patterns).
    fn fingerprint(f: impl Fn(f64) -> f64, lo: f64, hi: f64) -> u64 {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for i in 0..4000 {
            let x = lo + (hi - lo) * (i as f64 / 3999.0) + 1e-7 * (i % 13) as f64;
            for b in f(x).to_bits().to_le_bytes() {
                h = (h ^ b as u64).wrapping_mul(0x0100_0000_01b3);
            }
        }
        h
    }

    /// The same bits on every platform: these fingerprints were recorded on
    /// x86-64, and the same test passes on processors without FMA and on
    /// ARM (the cross-processor check in `.ci/run`).
    #[test]
    fn same_bits_as_recorded() {
        let got = [
            fingerprint(exp, -745.0, 710.0),
            fingerprint(ln, 1e-300, 1e300),
            fingerprint(ln_1p, -0.999, 10.0),
            fingerprint(log10, 1e-10, 1e10),
            fingerprint(|x| powf(x, 0.37), 0.0, 1e3),
            fingerprint(sin, -100.0, 100.0),
            fingerprint(cos, -100.0, 100.0),
            fingerprint(tan, -10.0, 10.0),
            fingerprint(|x| atan2(x, 1.5), -10.0, 10.0),
            fingerprint(|x| hypot(x, 3.0), -1e3, 1e3),
        ];
        let recorded: [u64; 10] = RECORDED;
        assert_eq!(got, recorded, "{got:#x?}");
    }

    const RECORDED: [u64; 10] = [
        0x4ca0c95104333196,
        0xc0023bc89b6ef242,
        0x14d9c41d3052cac9,
        0x342d910fb2ddd566,
        0xeedddddf868a70e7,
        0x2112d46a368789bd,
        0xe2e2c4acc4b3657d,
        0xe4a500ca5d2e9be6,
        0x2d3350d66bce21ca,
        0x81202de4f3644037,
    ];

    /// Close to the platform's functions everywhere (both are within about an
    /// ulp of the truth), and the special values behave.
    #[test]
    #[allow(clippy::disallowed_methods)]
    fn agree_with_the_platform_to_an_ulp_or_two() {
        let close = |a: f64, b: f64| a == b || (a - b).abs() <= 4.0 * f64::EPSILON * b.abs();
        for i in 0..2000 {
            let x = -20.0 + i as f64 * 0.0201;
            assert!(close(exp(x), x.exp()), "exp({x})");
            assert!(
                close(sin(x), x.sin()) || (sin(x) - x.sin()).abs() < 1e-15,
                "sin({x})"
            );
            assert!(
                close(cos(x), x.cos()) || (cos(x) - x.cos()).abs() < 1e-15,
                "cos({x})"
            );
            let y = x.abs() + 1e-3;
            assert!(
                close(ln(y), y.ln()) || (ln(y) - y.ln()).abs() < 1e-15,
                "ln({y})"
            );
            assert!(close(powf(y, 0.3), y.powf(0.3)), "pow({y})");
        }
        assert_eq!(exp(f64::NEG_INFINITY), 0.0);
        assert_eq!(exp(f64::INFINITY), f64::INFINITY);
        assert_eq!(ln(0.0), f64::NEG_INFINITY);
        assert!(ln(-1.0).is_nan());
        assert!(exp(f64::NAN).is_nan());
    }
}
