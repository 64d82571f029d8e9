//! The fast paths, fenced off: the two computations that dominate a training
//! step, written for speed.
//!
//! Why they exist: a training step of the book's networks spends nearly all
//! its time in matrix products and in tanh. ndarray's own product and the C
//! library's scalar `tanh` made the examples several times slower than NumPy
//! (the appendix "How fast is this?" has the measurements), so [`matmul`]
//! calls the `gemm` kernels and [`tanh`] is the book's own branch-free
//! formula, which a loop over a matrix vectorizes ([`tanh_slice`]). Every
//! other module calls these two through the same functions, whatever the
//! memory layout, so a result never depends on which path ran. Everything
//! else in the library is written for reading, not for speed.

use ndarray::{Array2, ArrayView2};

/// The matrix product C = A·B on one thread, for any memory layout of A and B
/// (a transposed view such as `w.t()` costs nothing).
///
/// It calls the `gemm` crate's f64 kernels, which pick AVX-512, AVX2 or
/// plain code at run time; on the book's machine they are about twice as
/// fast as ndarray's built-in `dot` on large products and 2.5–4× on the
/// small ones of a training step (see the appendix "How fast is this?").
///
/// ```
/// use ndarray::array;
/// let a = array![[1.0, 2.0], [3.0, 4.0]];
/// let c = stable_learning::numeric::kernels::matmul(a.view(), a.t());
/// assert_eq!(c, array![[5.0, 11.0], [11.0, 25.0]]);
/// ```
pub fn matmul(a: ArrayView2<f64>, b: ArrayView2<f64>) -> Array2<f64> {
    let (m, k) = a.dim();
    let (k2, n) = b.dim();
    assert_eq!(
        k, k2,
        "matmul: inner dimensions differ ({m}×{k} times {k2}×{n})"
    );
    if m == 0 || n == 0 || k == 0 {
        return Array2::zeros((m, n));
    }
    let (a_rs, a_cs) = (a.strides()[0], a.strides()[1]);
    let (b_rs, b_cs) = (b.strides()[0], b.strides()[1]);
    if [a_rs, a_cs, b_rs, b_cs].iter().any(|&s| s < 0) {
        return a.dot(&b); // reversed views: rare, and not worth the pointer arithmetic
    }
    // Uninitialized: gemm writes every entry (read_dst = false), so zeroing
    // 8 MB for a 1000×1000 product first would be wasted work.
    let mut c = Array2::<f64>::uninit((m, n));
    let c_rs = c.strides()[0];
    // gemm's kernels prefer a column-major destination, and our C is
    // row-major: compute Cᵀ = BᵀAᵀ instead, which is the same memory read
    // with the roles of rows and columns swapped. (The gemm crate's own
    // front end does the same; calling the f64 kernels directly spares
    // compiling the f32, complex and f16 ones.)
    // SAFETY: the pointers and element strides come from live ndarray views
    // of the stated shapes (m×k, k×n, m×n), so every address gemm computes
    // is inside its array; `c` is freshly allocated, row-major and not
    // aliased. With read_dst = false gemm never reads `c` and writes all m×n
    // entries (m, n, k > 0 here), so `assume_init` afterwards is sound.
    unsafe {
        gemm_f64::gemm::f64::get_gemm_fn()(
            n,
            m,
            k,
            c.as_mut_ptr() as *mut f64,
            c_rs,
            1,
            false,
            b.as_ptr(),
            b_rs,
            b_cs,
            a.as_ptr(),
            a_rs,
            a_cs,
            0.0,
            1.0,
            false,
            false,
            false,
            gemm_common::Parallelism::None,
        );
        c.assume_init()
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
/// use stable_learning::numeric::kernels::tanh;
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
/// stable_learning::numeric::kernels::tanh_slice(&mut v);
/// assert_eq!(v, vec![stable_learning::numeric::kernels::tanh(-1.0), 0.0, stable_learning::numeric::kernels::tanh(0.5)]);
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

#[cfg(test)]
mod tests {
    use super::*;

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
        assert!(worst <= 4.0, "worst error {worst} ulp");
        assert_eq!(tanh(0.0), 0.0);
        assert!(tanh(-0.0).is_sign_negative());
    }
}
