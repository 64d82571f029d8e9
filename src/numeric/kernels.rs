//! The fast paths, fenced off: the two computations that dominate a training
//! step, written for speed.
//!
//! Why they exist: a training step of the book's networks spends nearly all
//! its time in matrix products and in tanh. ndarray's own product and the C
//! library's scalar `tanh` made the examples several times slower than NumPy
//! (the appendix "How fast is this?" has the measurements), so [`matmul`]
//! is a blocked, vectorized kernel and [`tanh`] is the book's own branch-free
//! formula, which a loop over a matrix vectorizes ([`tanh_slice`]).
//!
//! Both give the same bits on every CPU: fast code usually buys its speed by
//! letting the CPU's vector width decide the order of additions, and the
//! book's chaotic experiments (long trainings of deep networks) would then
//! come out differently on a reader's laptop than in the book. Here every
//! path runs the same arithmetic per value, and tests run each path on the
//! same inputs and require identical bits. Every other module calls these
//! two through the same functions, whatever the memory layout, so a result
//! never depends on which path ran. Everything else in the library is written
//! for reading, not for speed.

use ndarray::{Array2, ArrayView2, Axis};

/// The matrix product C = A·B on one thread, for any memory layout of A and B
/// (a transposed view such as `w.t()` is fine), with the same bits on every
/// CPU.
///
/// **What it computes, exactly.** Every entry is one chain of fused
/// multiply-adds over the inner index in its natural order:
///
/// c_ij = fma(a_i,k−1, b_k−1,j, … fma(a_i1, b_1j, fma(a_i0, b_0j, 0)) …)
///
/// where fma(x, y, s) = x·y + s rounded once. IEEE 754 defines fma exactly,
/// so every CPU that follows it computes the same bits for the same chain.
/// The kernel below only chooses *which entries are computed side by side*
/// (a block of 6 rows × 8 columns at a time, 4 entries per AVX2
/// instruction); it never splits or reorders one entry's chain. So the
/// product is the same whatever the vector width, the instruction set or the
/// memory layout — unlike a BLAS or the `gemm` crate, whose kernels (chosen
/// at run time) add partial sums in an order set by the CPU's vector width.
/// The book's long trainings of deep networks are chaotic, so last-bit
/// differences there grow into different networks; the book's figures must
/// not depend on the reader's CPU.
///
/// ```
/// use ndarray::array;
/// let a = array![[1.0, 2.0], [3.0, 4.0]];
/// let c = stable_learning::numeric::kernels::matmul(a.view(), a.t());
/// assert_eq!(c, array![[5.0, 11.0], [11.0, 25.0]]);
/// ```
pub fn matmul(a: ArrayView2<f64>, b: ArrayView2<f64>) -> Array2<f64> {
    matmul_on(Path::fastest(), a, b)
}

/// The instruction sets [`matmul`] has code for. Every path computes the
/// same bits ([`matmul`] says why); they differ only in speed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Path {
    /// Plain Rust, for any CPU. On x86-64 CPUs without FMA, each fused
    /// multiply-add is a call to the C library's `fma` (correct, slow); on
    /// ARM (aarch64) the compiler emits the CPU's own fused instructions.
    Portable,
    /// x86-64 with AVX2 and FMA (Intel since 2013, AMD since 2015): the same
    /// code, compiled for 4-wide vectors with fused multiply-add.
    Avx2Fma,
}

impl Path {
    /// The fastest path this CPU supports (checked once per call; the check
    /// is a cached flag).
    pub fn fastest() -> Path {
        #[cfg(target_arch = "x86_64")]
        {
            if std::arch::is_x86_feature_detected!("avx2")
                && std::arch::is_x86_feature_detected!("fma")
            {
                return Path::Avx2Fma;
            }
        }
        Path::Portable
    }

    /// Every path this CPU can run (tests run them all on the same inputs).
    pub fn available() -> Vec<Path> {
        let mut paths = vec![Path::Portable];
        if Path::fastest() == Path::Avx2Fma {
            paths.push(Path::Avx2Fma);
        }
        paths
    }
}

/// Rows and columns of the block of C one kernel call keeps in registers
/// (6 × 8 = 48 running sums: twelve 4-wide AVX2 registers, enough
/// independent chains to keep both FMA units busy).
const MR: usize = 6;
const NR: usize = 8;
/// Inner-index steps per pass, so that a block of the right-hand operand
/// (KC × NR values, 16 KB) stays in the L1 cache while every row block of
/// the left-hand one goes past it.
const KC: usize = 256;
/// From this many rows on the left, a row-major right-hand operand is
/// copied into panels too: the copy costs one pass over it and spares the
/// kernel reading its rows far apart in memory, over and over.
const PACK_FROM: usize = 64;

/// [`matmul`] on a chosen [`Path`] (the same bits on every path).
///
/// # Panics
/// If the inner dimensions differ, or if `path` is not available on this
/// CPU (see [`Path::available`]).
pub fn matmul_on(path: Path, a: ArrayView2<f64>, b: ArrayView2<f64>) -> Array2<f64> {
    let (m, k) = a.dim();
    let (k2, n) = b.dim();
    assert_eq!(
        k, k2,
        "matmul: inner dimensions differ ({m}×{k} times {k2}×{n})"
    );
    if path == Path::Avx2Fma {
        assert_eq!(Path::fastest(), Path::Avx2Fma, "this CPU has no AVX2+FMA");
    }
    let mut c = Array2::zeros((m, n));
    if m == 0 || n == 0 || k == 0 {
        return c;
    }
    let out = c.as_slice_mut().expect("a new array is contiguous");
    // The kernel reads its left operand's rows in place and wants its right
    // operand's rows contiguous. When B = Wᵀ for a row-major W (as in
    // backpropagation's δ·Wᵀ), compute Cᵀ = W·Aᵀ instead: W's rows are then
    // read where they are and only the (small) A is copied. Either way each
    // entry is the same fma chain, so this choice cannot change a bit.
    if let Some(w) = b.t().to_slice() {
        let right = Right::new(a.t(), n);
        product(path, w, n, k, &right, out, Store::Transposed);
    } else {
        let left = a.as_standard_layout();
        let right = Right::new(b, m);
        let rows = left.as_slice().expect("standard layout is contiguous");
        product(path, rows, m, k, &right, out, Store::AsIs);
    }
    c
}

/// How a block of sums maps onto C: entry (r, c) of the product computed is
/// C[r, c] itself, or C[c, r] when Cᵀ was computed.
#[derive(Clone, Copy)]
enum Store {
    AsIs,
    Transposed,
}

/// The right-hand operand (k × cols) as the kernel reads it: row p of a block
/// of NR columns is NR values side by side, and the next row starts `stride`
/// values later. A row-major operand is read where it is (stride = cols);
/// any other is first copied into panels of NR columns (stride NR), padded
/// with zero columns that only feed sums which are never stored.
enum Right<'a> {
    InPlace(&'a [f64]),
    Panels(Vec<f64>),
}

impl<'a> Right<'a> {
    fn new(y: ArrayView2<'a, f64>, left_rows: usize) -> Self {
        if let Some(rows) = y.to_slice()
            && left_rows < PACK_FROM
        {
            return Right::InPlace(rows);
        }
        let (k, cols) = y.dim();
        let mut panels = vec![0.0; cols.div_ceil(NR) * k * NR];
        if let Some(rows) = y.to_slice() {
            // Row-major: each row's blocks of NR values go to their panels.
            for (p, row) in rows.chunks_exact(cols).enumerate() {
                for (jb, block) in row.chunks(NR).enumerate() {
                    let at = (jb * k + p) * NR;
                    panels[at..at + block.len()].copy_from_slice(block);
                }
            }
        } else {
            for (j, column) in y.axis_iter(Axis(1)).enumerate() {
                let panel = &mut panels[(j / NR) * k * NR..];
                for (p, &v) in column.iter().enumerate() {
                    panel[p * NR + j % NR] = v;
                }
            }
        }
        Right::Panels(panels)
    }
}

/// The product of `left` (rows × k, row-major) and `right` (k × cols) into
/// `out`, on `path`.
fn product(
    path: Path,
    left: &[f64],
    rows: usize,
    k: usize,
    right: &Right,
    out: &mut [f64],
    store: Store,
) {
    match path {
        Path::Portable => blocks(left, rows, k, right, out, store),
        Path::Avx2Fma => {
            #[cfg(target_arch = "x86_64")]
            // SAFETY: matmul_on asserted that the CPU supports AVX2 and FMA.
            unsafe {
                blocks_avx2_fma(left, rows, k, right, out, store)
            };
        }
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
fn blocks_avx2_fma(
    left: &[f64],
    rows: usize,
    k: usize,
    right: &Right,
    out: &mut [f64],
    store: Store,
) {
    blocks(left, rows, k, right, out, store)
}

/// Every MR × NR block of the product, in passes of KC steps of the inner
/// index; each pass continues the blocks' fma chains exactly where the last
/// one stopped (the running sums wait in C between passes).
///
/// (Helpers here are `#[inline(always)]` functions, not closures, so that
/// they are compiled with the instruction set of the path that calls them.)
#[inline(always)]
fn blocks(left: &[f64], rows: usize, k: usize, right: &Right, out: &mut [f64], store: Store) {
    let cols = out.len() / rows;
    let mut edge = [0.0; NR * KC];
    for p0 in (0..k).step_by(KC) {
        let kc = KC.min(k - p0);
        // A right operand read in place has a last block narrower than NR
        // columns: copy this pass's rows of it, padded with zeros.
        let last = cols - cols % NR;
        if let Right::InPlace(y) = right
            && last < cols
        {
            edge.fill(0.0);
            for p in 0..kc {
                let row = &y[(p0 + p) * cols + last..(p0 + p + 1) * cols];
                edge[p * NR..p * NR + row.len()].copy_from_slice(row);
            }
        }
        let pass = Pass {
            left,
            rows,
            k,
            cols,
            p0,
            kc,
            right,
            edge: &edge,
            store,
        };
        // Loop order, for the caches: when this pass of the right operand is
        // small (up to 256 KB), go row block by row block and reuse the
        // left rows from L1; otherwise column block by column block, reusing
        // one block of the right operand (16 KB) for every row block.
        if kc * cols <= 32 * 1024 {
            for i0 in (0..rows).step_by(MR) {
                let x = pass.x_rows(i0);
                for j0 in (0..cols).step_by(NR) {
                    pass.block(i0, j0, &x, out);
                }
            }
        } else {
            for j0 in (0..cols).step_by(NR) {
                for i0 in (0..rows).step_by(MR) {
                    pass.block(i0, j0, &pass.x_rows(i0), out);
                }
            }
        }
    }
}

/// One pass of [`blocks`]: inner indices p0..p0 + kc.
struct Pass<'a> {
    left: &'a [f64],
    rows: usize,
    k: usize,
    cols: usize,
    p0: usize,
    kc: usize,
    right: &'a Right<'a>,
    edge: &'a [f64],
    store: Store,
}

impl Pass<'_> {
    /// The block's left rows for rows i0..; past the last row, repeat it
    /// (those sums are computed and never stored).
    #[inline(always)]
    fn x_rows(&self, i0: usize) -> [&[f64]; MR] {
        let (k, p0, kc) = (self.k, self.p0, self.kc);
        std::array::from_fn(|r| {
            let i = (i0 + r).min(self.rows - 1);
            &self.left[i * k + p0..i * k + p0 + kc]
        })
    }

    /// This pass's rows of the right operand for columns j0.., and their
    /// stride.
    #[inline(always)]
    fn y_block(&self, j0: usize) -> (&[f64], usize) {
        let (k, p0, kc, cols) = (self.k, self.p0, self.kc, self.cols);
        match self.right {
            Right::Panels(panels) => {
                let start = ((j0 / NR) * k + p0) * NR;
                (&panels[start..start + kc * NR], NR)
            }
            Right::InPlace(_) if j0 + NR > cols => (&self.edge[..kc * NR], NR),
            Right::InPlace(y) => (&y[p0 * cols + j0..(p0 + kc - 1) * cols + j0 + NR], cols),
        }
    }

    /// The block at rows i0.., columns j0..: load its running sums, run the
    /// kernel, store them.
    #[inline(always)]
    fn block(&self, i0: usize, j0: usize, x: &[&[f64]; MR], out: &mut [f64]) {
        let (y, y_stride) = self.y_block(j0);
        let (rows, cols) = (self.rows, self.cols);
        let (height, width) = (MR.min(rows - i0), NR.min(cols - j0));
        let transposed = matches!(self.store, Store::Transposed);
        let at = |r: usize, c: usize| {
            if transposed {
                (j0 + c) * rows + i0 + r
            } else {
                (i0 + r) * cols + j0 + c
            }
        };
        let mut sums = [0.0; MR * NR];
        if self.p0 > 0 {
            for r in 0..height {
                for c in 0..width {
                    sums[r * NR + c] = out[at(r, c)];
                }
            }
        }
        block_kernel(x, y, y_stride, &mut sums);
        if !transposed && width == NR {
            for r in 0..height {
                let row: &mut [f64; NR] =
                    (&mut out[at(r, 0)..][..NR]).try_into().expect("NR values");
                *row = sums[r * NR..(r + 1) * NR].try_into().expect("NR values");
            }
        } else {
            for r in 0..height {
                for c in 0..width {
                    out[at(r, c)] = sums[r * NR + c];
                }
            }
        }
    }
}

/// One block: sums[r][c] = fma(x[r][p], y[p][c], sums[r][c]) for p in
/// order, where row p of y starts at `y[p · y_stride]`. The sums stay in
/// registers; the compiler vectorizes over c.
#[inline(always)]
fn block_kernel(x: &[&[f64]; MR], y: &[f64], y_stride: usize, sums: &mut [f64; MR * NR]) {
    let kc = x[0].len();
    assert!(x.iter().all(|row| row.len() == kc) && y.len() > (kc - 1) * y_stride + NR - 1);
    let mut s = *sums;
    for p in 0..kc {
        let yp: &[f64; NR] = y[p * y_stride..p * y_stride + NR]
            .try_into()
            .expect("NR values");
        for r in 0..MR {
            let xr = x[r][p];
            for c in 0..NR {
                s[r * NR + c] = xr.mul_add(yp[c], s[r * NR + c]);
            }
        }
    }
    *sums = s;
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
    use ndarray::Array2;

    /// The definition in [`matmul`]'s documentation, one entry at a time.
    fn fma_chain(a: ArrayView2<f64>, b: ArrayView2<f64>) -> Array2<f64> {
        Array2::from_shape_fn((a.nrows(), b.ncols()), |(i, j)| {
            (0..a.ncols()).fold(0.0, |sum, p| a[[i, p]].mul_add(b[[p, j]], sum))
        })
    }

    /// Deterministic test values of every sign and a wide range of scales.
    fn values(rows: usize, cols: usize, salt: f64) -> Array2<f64> {
        Array2::from_shape_fn((rows, cols), |(i, j)| {
            let t = (i * cols + j) as f64 + salt;
            super::super::math::sin(t * 0.7548776662)
                * (1.0 + super::super::math::cos(t * 0.5698402910) * 40.0).abs()
        })
    }

    fn bits(c: &Array2<f64>) -> Vec<u64> {
        c.iter().map(|v| v.to_bits()).collect()
    }

    #[test]
    fn every_path_and_layout_gives_the_bits_of_the_fma_chain() {
        // Shapes around the block sizes (6 rows, 8 columns, 256 inner steps,
        // packing from 64 rows)
        // and the book's own (a batch of 32 through a 64-1000 layer).
        let shapes = [
            (1, 1, 1),
            (3, 5, 2),
            (4, 8, 8),
            (5, 9, 7),
            (17, 64, 33),
            (32, 64, 1000),
            (9, 257, 17),
            (13, 600, 11),
            (70, 257, 65),
            (64, 520, 9),
        ];
        for (m, k, n) in shapes {
            let a = values(m, k, 0.25);
            let b = values(k, n, 0.5);
            let (at, bt) = (a.t().to_owned(), b.t().to_owned());
            let want = bits(&fma_chain(a.view(), b.view()));
            for path in Path::available() {
                for (what, c) in [
                    ("A·B", matmul_on(path, a.view(), b.view())),
                    ("Aᵀᵀ·B", matmul_on(path, at.t(), b.view())),
                    ("A·Bᵀᵀ", matmul_on(path, a.view(), bt.t())),
                    ("Aᵀᵀ·Bᵀᵀ", matmul_on(path, at.t(), bt.t())),
                ] {
                    assert_eq!(c.dim(), (m, n));
                    assert!(bits(&c) == want, "{path:?} {what} {m}×{k}×{n}");
                }
            }
        }
    }

    #[test]
    fn views_with_steps_and_reversed_axes_give_the_same_bits() {
        use ndarray::s;
        let a = values(40, 90, 3.0);
        let b = values(90, 70, 4.0);
        let views = [
            (a.slice(s![..;3, ..]), b.slice(s![.., ..;3])),
            (a.slice(s![..;-1, 5..35]), b.slice(s![60..90, ..;-2])),
            (a.slice(s![1..38, ..;2]), b.slice(s![..;2, 3..])),
        ];
        for (x, y) in views {
            let want = bits(&fma_chain(x, y));
            for path in Path::available() {
                assert!(
                    bits(&matmul_on(path, x, y)) == want,
                    "{path:?} {:?}",
                    x.dim()
                );
            }
        }
    }

    #[test]
    fn overflow_and_nan_propagate_as_in_the_definition() {
        let mut a = values(6, 10, 1.0);
        let b = values(10, 9, 2.0);
        a[[0, 3]] = f64::INFINITY;
        a[[1, 0]] = f64::NAN;
        a[[2, 5]] = 1e308;
        let want = fma_chain(a.view(), b.view());
        for path in Path::available() {
            assert_eq!(bits(&matmul_on(path, a.view(), b.view())), bits(&want));
        }
        assert!(want[[0, 0]].is_infinite() && want[[1, 4]].is_nan());
    }

    #[test]
    fn empty_products_are_zero() {
        let z = matmul(Array2::zeros((2, 0)).view(), Array2::zeros((0, 3)).view());
        assert_eq!(z, Array2::<f64>::zeros((2, 3)));
        assert_eq!(
            matmul(Array2::zeros((0, 4)).view(), Array2::zeros((4, 3)).view()).dim(),
            (0, 3)
        );
    }

    #[test]
    #[allow(clippy::disallowed_methods)] // compares with the platform's tanh on purpose
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
