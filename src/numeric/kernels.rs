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

use std::mem::MaybeUninit;

use ndarray::{Array2, ArrayView2};

use crate::numeric::fma;

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
    /// Plain Rust, for any CPU. On x86-64 each fused multiply-add is a call
    /// to the runtime's `fma`, which uses the CPU's instruction where there
    /// is one and software otherwise (correctly rounded either way); on ARM
    /// (aarch64) the compiler emits the CPU's own fused instructions.
    Portable,
    /// x86-64 with AVX2 and FMA (Intel since 2013, AMD since 2015): the same
    /// blocks, with the innermost loop written in AVX2 instructions (4-wide
    /// vectors, fused multiply-add) and everything around it compiled for
    /// them.
    Avx2Fma,
}

impl Path {
    /// The fastest path this CPU supports and [`Ceiling::current`] allows
    /// (checked once per call; both checks are cached flags).
    pub fn fastest() -> Path {
        #[cfg(target_arch = "x86_64")]
        {
            if Ceiling::current() >= Ceiling::Avx2
                && std::arch::is_x86_feature_detected!("avx2")
                && std::arch::is_x86_feature_detected!("fma")
            {
                return Path::Avx2Fma;
            }
        }
        Path::Portable
    }

    /// Every path this CPU can run and [`Ceiling::current`] allows (tests
    /// run them all on the same inputs).
    pub fn available() -> Vec<Path> {
        let mut paths = vec![Path::Portable];
        if Path::fastest() == Path::Avx2Fma {
            paths.push(Path::Avx2Fma);
        }
        paths
    }
}

/// The most capable instruction set the kernels may use, whatever the CPU
/// has: set by the environment variable `STABLE_LEARNING_KERNELS`, read once
/// per process.
///
/// With `STABLE_LEARNING_KERNELS=portable`, [`matmul`] and [`tanh_slice`]
/// run the loops that an x86-64 processor with SSE only runs (the portable
/// matrix product and the scalar tanh; its `fma` calls still use this CPU's
/// instruction, where an SSE-only one computes them in software); with
/// `avx2`, the code of a processor without AVX-512; unset
/// (or `native`), the fastest code this CPU has. Every path computes the
/// same bits, so the setting changes speed only. It exists to prove that:
/// the whole test suite and every example can run on this machine as they
/// would on an older processor, at the speed of native code instead of an
/// emulator's. Child processes inherit it, so it reaches the examples a
/// test runs. A path the CPU lacks is never taken: `avx2` on a CPU without
/// AVX2 runs the portable code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Ceiling {
    /// Portable code only (what an SSE-only x86-64 processor runs).
    Portable,
    /// At most AVX2 and FMA (a processor without AVX-512).
    Avx2,
    /// Everything this CPU has (the default).
    Native,
}

impl Ceiling {
    /// The environment variable that sets the ceiling.
    pub const VARIABLE: &'static str = "STABLE_LEARNING_KERNELS";

    /// Reads a value of [`Ceiling::VARIABLE`]; the error names the variable
    /// and the allowed values.
    pub fn parse(value: &str) -> Result<Ceiling, String> {
        match value {
            "portable" => Ok(Ceiling::Portable),
            "avx2" => Ok(Ceiling::Avx2),
            "native" | "" => Ok(Ceiling::Native),
            other => Err(format!(
                "{}={other:?} is not one of: portable, avx2, native",
                Ceiling::VARIABLE
            )),
        }
    }

    /// The ceiling for this process: from the environment, read on the first
    /// call. The examples check the value at start-up (and stop with an error
    /// naming it); elsewhere an unreadable value counts as `native`.
    pub fn current() -> Ceiling {
        static CURRENT: std::sync::OnceLock<Ceiling> = std::sync::OnceLock::new();
        *CURRENT.get_or_init(|| Ceiling::from_env().unwrap_or(Ceiling::Native))
    }

    /// The value of [`Ceiling::VARIABLE`] in the environment (unset: `native`).
    pub fn from_env() -> Result<Ceiling, String> {
        match std::env::var(Ceiling::VARIABLE) {
            Ok(value) => Ceiling::parse(&value),
            Err(std::env::VarError::NotPresent) => Ok(Ceiling::Native),
            Err(std::env::VarError::NotUnicode(_)) => Err(format!(
                "{} is not valid text: use one of portable, avx2, native",
                Ceiling::VARIABLE
            )),
        }
    }
}

/// Rows and columns of the block of C one kernel call keeps in registers
/// (6 × 8 = 48 running sums: twelve 4-wide AVX2 registers, enough
/// independent chains to keep both FMA units busy).
const MR: usize = 6;
const NR: usize = 8;
/// Inner-index steps per pass, so that a panel of the right-hand operand
/// (KC × NR values, 16 KB) stays in the L1 cache while every row block of
/// the left-hand one goes past it.
const KC: usize = 256;
/// Row blocks of the left operand that one sweep over the right operand's
/// panels goes past (32 blocks of MR rows × KC steps: 384 KB, which stays in
/// a 1 MB L2 cache beside the panels; more rows are done in several sweeps).
const ROW_CHUNK: usize = 32;
/// A pass of the right operand up to this many values (256 KB) is copied
/// into panels at once and the kernel goes row block by row block, reusing
/// each block of left rows from L1. A larger one goes panel by panel, each
/// reused for every row block: copied all at once too when the operand is
/// row-major (its rows are then read in order), one panel at a time
/// otherwise.
const SMALL_PASS: usize = 32 * 1024;

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
        assert!(
            Path::fastest() == Path::Avx2Fma,
            "matmul_on: the AVX2+FMA path is not available (this CPU lacks \
             AVX2 or FMA, or {} caps the kernels below it)",
            Ceiling::VARIABLE
        );
    }
    if m == 0 || n == 0 || k == 0 {
        return Array2::zeros((m, n));
    }
    // C is not zeroed first (for the book's shapes that took a twentieth of
    // a training step): the first pass over the inner index writes every
    // entry before any is read.
    let mut c = Array2::uninit((m, n));
    let out = c.as_slice_mut().expect("a new array is contiguous");
    match path {
        Path::Portable => blocks(path, a, b, out),
        Path::Avx2Fma => {
            #[cfg(target_arch = "x86_64")]
            // SAFETY: checked above that the CPU supports AVX2 and FMA.
            unsafe {
                blocks_avx2_fma(a, b, out)
            };
        }
    }
    // SAFETY: `blocks` stored every entry of C (see above).
    unsafe { c.assume_init() }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
fn blocks_avx2_fma(a: ArrayView2<f64>, b: ArrayView2<f64>, out: &mut [MaybeUninit<f64>]) {
    blocks(Path::Avx2Fma, a, b, out)
}

/// Every MR × NR block of C = A·B, in passes of KC steps of the inner index;
/// each pass continues the blocks' fma chains exactly where the last one
/// stopped (the running sums wait in C between passes).
///
/// Both operands are copied, a pass at a time, into the order the kernel
/// reads them ([`pack_left`], [`pack_right`]), whatever their memory
/// layout (a transposed view such as `w.t()` included). The copies change
/// where values sit, never which values meet in which order.
///
/// (Helpers here are `#[inline(always)]` functions, not closures, so that
/// they are compiled with the instruction set of the path that calls them.)
#[inline(always)]
fn blocks(path: Path, a: ArrayView2<f64>, b: ArrayView2<f64>, out: &mut [MaybeUninit<f64>]) {
    let ((rows, k), cols) = (a.dim(), b.ncols());
    let row_blocks = rows.div_ceil(MR);
    let col_blocks = cols.div_ceil(NR);
    // The right buffer holds a whole pass, or one panel when the loop below
    // copies a panel at a time.
    let right_len = (0..k)
        .step_by(KC)
        .map(|p0| {
            let kc = KC.min(k - p0);
            if whole_pass(b, kc) {
                col_blocks * NR * kc
            } else {
                NR * kc
            }
        })
        .max()
        .unwrap_or(0);
    let mut buffers = Scratch::take();
    let left = buffers.left.lines(row_blocks * MR * KC.min(k));
    let right = buffers.right.lines(right_len);
    let mut kernel = Kernel {
        path,
        rows,
        cols,
        out,
    };
    for p0 in (0..k).step_by(KC) {
        let kc = KC.min(k - p0);
        let left = &mut left[..row_blocks * MR * kc];
        pack_left(a, p0, kc, left);
        let x = |i0: usize| &left[i0 / MR * MR * kc..][..MR * kc];
        if whole_pass(b, kc) {
            // The whole pass at once: a small one, or a row-major one, whose
            // rows are then read in order (a panel at a time would read 8
            // values from each of kc rows far apart, and wait for memory at
            // every one).
            pack_right_pass(b, p0, kc, &mut right[..col_blocks * NR * kc]);
            let panel = |j0: usize| &right[j0 * kc..][..NR * kc];
            if kc * cols <= SMALL_PASS {
                for i0 in (0..rows).step_by(MR) {
                    for j0 in (0..cols).step_by(NR) {
                        kernel.block(i0, j0, p0 > 0, x(i0), panel(j0));
                    }
                }
            } else {
                // Rows in a few chunks of at most ROW_CHUNK blocks, so that
                // a chunk's packed rows stay in L2 while every panel passes
                // them.
                let chunks = row_blocks.div_ceil(ROW_CHUNK);
                let chunk = row_blocks.div_ceil(chunks) * MR;
                for r0 in (0..rows).step_by(chunk) {
                    for j0 in (0..cols).step_by(NR) {
                        for i0 in (r0..rows.min(r0 + chunk)).step_by(MR) {
                            kernel.block(i0, j0, p0 > 0, x(i0), panel(j0));
                        }
                    }
                }
            }
        } else {
            // Column-major and large (B = Wᵀ): one panel at a time, reused
            // for every row block while it sits in L1.
            let panel = &mut right[..NR * kc];
            for j0 in (0..cols).step_by(NR) {
                pack_right(b, p0, kc, j0, panel);
                for i0 in (0..rows).step_by(MR) {
                    kernel.block(i0, j0, p0 > 0, x(i0), panel);
                }
            }
        }
    }
    buffers.give_back();
}

/// Whether [`blocks`] copies a pass of `kc` rows of B into panels all at
/// once (a small pass, or a row-major B), rather than one panel at a time.
#[inline(always)]
fn whole_pass(b: ArrayView2<f64>, kc: usize) -> bool {
    kc * b.ncols() <= SMALL_PASS || b.is_standard_layout()
}

/// The two buffers [`blocks`] copies the operands into, kept by each thread
/// from one product to the next: allocating and zeroing them anew took a
/// few percent of a training step, and a reused buffer is often still in
/// the cache. Every value the kernel reads from them is written by the
/// copy of the same pass first, so what a buffer held before never matters.
/// A buffer larger than [`KEEP_AT_MOST`] is not kept (a thread that once
/// multiplied huge matrices does not hold their memory for good).
struct Scratch {
    left: Lines,
    right: Lines,
}

thread_local! {
    static SCRATCH: std::cell::Cell<Option<Scratch>> = const { std::cell::Cell::new(None) };
}

impl Scratch {
    /// This thread's buffers (new empty ones if they are in use or were
    /// never made).
    /// (A product called while the thread is being torn down, when its
    /// storage is gone, gets new ones too.)
    fn take() -> Scratch {
        SCRATCH
            .try_with(std::cell::Cell::take)
            .ok()
            .flatten()
            .unwrap_or(Scratch {
                left: Lines(Vec::new()),
                right: Lines(Vec::new()),
            })
    }

    fn give_back(mut self) {
        for lines in [&mut self.left, &mut self.right] {
            if lines.0.len() > KEEP_AT_MOST {
                lines.0 = Vec::new();
            }
        }
        let _ = SCRATCH.try_with(|cell| cell.set(Some(self)));
    }
}

/// A buffer handed out from a cache-line boundary (64 bytes): a packed row
/// of NR values then fills one line instead of straddling two, which made
/// copying the right operand nearly twice as fast.
struct Lines(Vec<f64>);

/// The largest buffer kept between products: 4 MiB, enough for every
/// product of a training step of Glorot and Bengio's network at minibatch
/// 256.
const KEEP_AT_MOST: usize = (4 << 20) / std::mem::size_of::<f64>();

impl Lines {
    /// The first `len` values from the first line boundary, growing the
    /// buffer if needed (their contents are left from earlier use).
    fn lines(&mut self, len: usize) -> &mut [f64] {
        const LINE: usize = 64 / std::mem::size_of::<f64>();
        if self.0.len() < len + LINE {
            self.0 = Vec::new(); // freed before the larger one is made
            self.0 = vec![0.0; len + LINE];
        }
        let start = self.0.as_ptr().align_offset(64).min(LINE);
        &mut self.0[start..start + len]
    }
}

/// Every panel of rows p0..p0 + kc of B ([`pack_right`]) into `to`, one
/// after the other; a row-major B is read row by row.
#[inline(always)]
fn pack_right_pass(b: ArrayView2<f64>, p0: usize, kc: usize, to: &mut [f64]) {
    let cols = b.ncols();
    let full = cols / NR * NR;
    match b.to_slice() {
        Some(by_row) if full > 0 => {
            for p in 0..kc {
                let row = &by_row[(p0 + p) * cols..][..full];
                for (jb, chunk) in row.chunks_exact(NR).enumerate() {
                    let chunk: &[f64; NR] = chunk.try_into().expect("NR values");
                    to[(jb * kc + p) * NR..][..NR].copy_from_slice(chunk);
                }
            }
            if full < cols {
                pack_right(b, p0, kc, full, &mut to[full * kc..][..NR * kc]);
            }
        }
        _ => {
            for j0 in (0..cols).step_by(NR) {
                pack_right(b, p0, kc, j0, &mut to[j0 * kc..][..NR * kc]);
            }
        }
    }
}

/// Rows p0..p0 + kc of A's columns, block of MR rows after block: value
/// (i0 + r, p0 + p) goes to `to[(i0 / MR)·MR·kc + p·MR + r]`, so the kernel
/// reads the MR values it needs at step p side by side. Rows past the last
/// are zeros; their sums are never stored.
#[inline(always)]
fn pack_left(a: ArrayView2<f64>, p0: usize, kc: usize, to: &mut [f64]) {
    let (rows, k) = a.dim();
    for (ib, block) in to.chunks_exact_mut(MR * kc).enumerate() {
        let height = MR.min(rows - ib * MR);
        if height < MR {
            block.fill(0.0);
        }
        if let Some(by_row) = a.to_slice() {
            for r in 0..height {
                let row = &by_row[(ib * MR + r) * k + p0..][..kc];
                for (p, &v) in row.iter().enumerate() {
                    block[p * MR + r] = v;
                }
            }
        } else if let Some(by_column) = a.t().to_slice() {
            // A = Xᵀ for a row-major X (as in Xᵀ·δ): each step's MR values
            // are side by side already.
            for p in 0..kc {
                let column = &by_column[(p0 + p) * rows + ib * MR..][..height];
                if let Ok(full) = <&[f64; MR]>::try_from(column) {
                    // A fixed length: a few moves, no call to memcpy.
                    block[p * MR..][..MR].copy_from_slice(full);
                } else {
                    block[p * MR..p * MR + height].copy_from_slice(column);
                }
            }
        } else {
            for r in 0..height {
                for p in 0..kc {
                    block[p * MR + r] = a[[ib * MR + r, p0 + p]];
                }
            }
        }
    }
}

/// Rows p0..p0 + kc of B's columns j0..j0 + NR as one panel: value
/// (p0 + p, j0 + c) goes to `to[p·NR + c]`. Columns past the last are zeros;
/// their sums are never stored.
#[inline(always)]
fn pack_right(b: ArrayView2<f64>, p0: usize, kc: usize, j0: usize, to: &mut [f64]) {
    let (k, cols) = b.dim();
    let width = NR.min(cols - j0);
    if width < NR {
        to.fill(0.0);
    }
    if let Some(by_row) = b.to_slice() {
        for (p, panel_row) in to.chunks_exact_mut(NR).enumerate() {
            let row = &by_row[(p0 + p) * cols + j0..];
            if width == NR {
                // A fixed length: copied with a few vector moves, no call.
                let full: &[f64; NR] = row[..NR].try_into().expect("NR values");
                panel_row.copy_from_slice(full);
            } else {
                panel_row[..width].copy_from_slice(&row[..width]);
            }
        }
    } else if let Some(by_column) = b.t().to_slice() {
        // B = Wᵀ for a row-major W (as in δ·Wᵀ): W's rows are B's columns,
        // read side by side and written one panel row at a time.
        let columns: Vec<&[f64]> = (0..width)
            .map(|c| &by_column[(j0 + c) * k + p0..][..kc])
            .collect();
        if let Ok(columns) = <[&[f64]; NR]>::try_from(columns.as_slice()) {
            for (p, panel_row) in to.chunks_exact_mut(NR).enumerate() {
                for (c, v) in panel_row.iter_mut().enumerate() {
                    *v = columns[c][p];
                }
            }
        } else {
            for (c, column) in columns.iter().enumerate() {
                for (p, &v) in column.iter().enumerate() {
                    to[p * NR + c] = v;
                }
            }
        }
    } else {
        for p in 0..kc {
            for c in 0..width {
                to[p * NR + c] = b[[p0 + p, j0 + c]];
            }
        }
    }
}

/// Where the blocks' sums go: C, row-major, `rows × cols`, not initialized
/// until the first pass has stored each block.
struct Kernel<'a> {
    path: Path,
    rows: usize,
    cols: usize,
    out: &'a mut [MaybeUninit<f64>],
}

impl Kernel<'_> {
    /// The block at rows i0.., columns j0..: continue its sums (from C when
    /// `resume`, else from zero) over this pass's steps, and store them.
    /// `resume` is only set on passes after the first, when C's entries
    /// have all been stored.
    #[inline(always)]
    fn block(&mut self, i0: usize, j0: usize, resume: bool, x: &[f64], y: &[f64]) {
        let (rows, cols) = (self.rows, self.cols);
        let (height, width) = (MR.min(rows - i0), NR.min(cols - j0));
        if resume {
            self.prefetch(i0 + MR, j0);
        }
        if height == MR && width == NR {
            // A whole block: the kernel reads and writes C where it is.
            let at = i0 * cols + j0;
            // SAFETY: when resuming, every entry of C has been stored.
            unsafe { kernel(self.path, x, y, &mut self.out[at..], cols, resume) };
        } else {
            let mut sums = [MaybeUninit::new(0.0); MR * NR];
            if resume {
                for r in 0..height {
                    let at = (i0 + r) * cols + j0;
                    sums[r * NR..r * NR + width].copy_from_slice(&self.out[at..at + width]);
                }
            }
            // SAFETY: `sums` is initialized.
            unsafe { kernel(self.path, x, y, &mut sums, NR, true) };
            for r in 0..height {
                let at = (i0 + r) * cols + j0;
                self.out[at..at + width].copy_from_slice(&sums[r * NR..r * NR + width]);
            }
        }
    }

    /// Asks the processor to bring the rows of C's block at i0.., j0.. into
    /// the cache (a hint; nothing is read). On large products [`blocks`]
    /// goes down a column of blocks, so [`Kernel::block`] asks for the block
    /// below its own: its sums then arrive while this block computes,
    /// instead of stalling the first fused multiply-adds of the next one (a
    /// few percent of a large product). On small ones, which go along rows
    /// of blocks, the hint comes early but does no harm.
    #[inline(always)]
    fn prefetch(&self, i0: usize, j0: usize) {
        #[cfg(target_arch = "x86_64")]
        if i0 + MR <= self.rows {
            use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
            for r in 0..MR {
                let row = self.out[(i0 + r) * self.cols + j0..].as_ptr();
                // SAFETY: a prefetch only hints; it reads nothing and the
                // address is inside C. (SSE, which it needs, is part of
                // every x86-64 processor.)
                unsafe { _mm_prefetch::<_MM_HINT_T0>(row.cast()) };
            }
        }
        #[cfg(not(target_arch = "x86_64"))]
        let _ = (i0, j0);
    }
}

/// [`block_kernel`] on `path`, after checking the bounds it relies on.
///
/// # Safety
/// When `resume`, the MR × NR entries of `c` the block covers are
/// initialized.
#[inline(always)]
unsafe fn kernel(
    path: Path,
    x: &[f64],
    y: &[f64],
    c: &mut [MaybeUninit<f64>],
    c_stride: usize,
    resume: bool,
) {
    let kc = x.len() / MR;
    assert!(
        kc > 0
            && x.len() == kc * MR
            && y.len() == kc * NR
            && c.len() > (MR - 1) * c_stride + NR - 1
    );
    match path {
        // SAFETY: as this function's.
        Path::Portable => unsafe { block_kernel(x, y, c, c_stride, resume) },
        Path::Avx2Fma => {
            #[cfg(target_arch = "x86_64")]
            // SAFETY: the bounds are asserted above, the entries read are
            // initialized (this function's contract), and the path is only
            // chosen on a CPU with AVX2 and FMA.
            unsafe {
                block_kernel_avx2_fma(x, y, c, c_stride, resume)
            };
        }
    }
}

/// One block: c[r][j] = fma(x[p][r], y[p][j], c[r][j]) for p in order,
/// where step p of x is `x[p·MR..]`, of y `y[p·NR..]`, and row r of c
/// starts at `c[r · c_stride]`; the chains start from c's values
/// when `resume`, else from zero. The sums stay in registers; the compiler
/// vectorizes over j.
///
/// # Safety
/// When `resume`, the entries of `c` the block covers are initialized.
#[inline(always)]
unsafe fn block_kernel(
    x: &[f64],
    y: &[f64],
    c: &mut [MaybeUninit<f64>],
    c_stride: usize,
    resume: bool,
) {
    let mut s = [0.0; MR * NR];
    if resume {
        for r in 0..MR {
            for j in 0..NR {
                // SAFETY: initialized, by this function's contract.
                s[r * NR + j] = unsafe { c[r * c_stride + j].assume_init() };
            }
        }
    }
    #[cfg(all(target_family = "wasm", target_feature = "relaxed-simd"))]
    if fma::relaxed_madd_is_fused() {
        block_relaxed_madd(x, y, &mut s);
        for r in 0..MR {
            for j in 0..NR {
                c[r * c_stride + j].write(s[r * NR + j]);
            }
        }
        return;
    }
    for (xp, yp) in x.chunks_exact(MR).zip(y.chunks_exact(NR)) {
        let yp: &[f64; NR] = yp.try_into().expect("NR values");
        if cfg!(target_family = "wasm") {
            // No fma instruction: the same rounding from ordinary
            // operations, each entry split once for its MR or NR uses.
            // Each row of NR sums is computed without branches (so the
            // compiler can use vector instructions) and redone with the
            // careful version only if an input is out of its range.
            let ys = yp.map(fma::Split::new);
            for (r, &xr) in xp.iter().enumerate() {
                let xs = fma::Split::new(xr);
                let row: &mut [f64; NR] =
                    (&mut s[r * NR..(r + 1) * NR]).try_into().expect("NR sums");
                let mut fast = [0.0; NR];
                let mut in_range = true;
                for j in 0..NR {
                    let (v, ok) = fma::fused_in_range(xs, ys[j], row[j]);
                    fast[j] = v;
                    in_range &= ok;
                }
                if in_range {
                    *row = fast;
                } else {
                    for j in 0..NR {
                        row[j] = fma::fused(xs, ys[j], row[j]);
                    }
                }
            }
            continue;
        }
        for (r, &xr) in xp.iter().enumerate() {
            for j in 0..NR {
                s[r * NR + j] = xr.mul_add(yp[j], s[r * NR + j]);
            }
        }
    }
    for r in 0..MR {
        for j in 0..NR {
            c[r * c_stride + j].write(s[r * NR + j]);
        }
    }
}

/// [`block_kernel`]'s chains in WebAssembly's relaxed multiply-add, for an
/// engine that fuses it ([`fma::relaxed_madd_is_fused`]): the sums held in
/// MR·NR/2 vectors of two.
#[cfg(all(target_family = "wasm", target_feature = "relaxed-simd"))]
#[inline(always)]
fn block_relaxed_madd(x: &[f64], y: &[f64], s: &mut [f64; MR * NR]) {
    use core::arch::wasm32::{f64x2, f64x2_extract_lane, f64x2_relaxed_madd, f64x2_splat, v128};
    const V: usize = NR / 2;
    let mut acc: [v128; MR * V] = std::array::from_fn(|i| f64x2(s[2 * i], s[2 * i + 1]));
    for (xp, yp) in x.chunks_exact(MR).zip(y.chunks_exact(NR)) {
        let yv: [v128; V] = std::array::from_fn(|k| f64x2(yp[2 * k], yp[2 * k + 1]));
        for (r, &xr) in xp.iter().enumerate() {
            let xv = f64x2_splat(xr);
            for k in 0..V {
                acc[r * V + k] = f64x2_relaxed_madd(xv, yv[k], acc[r * V + k]);
            }
        }
    }
    for (i, a) in acc.iter().enumerate() {
        s[2 * i] = f64x2_extract_lane::<0>(*a);
        s[2 * i + 1] = f64x2_extract_lane::<1>(*a);
    }
}

/// [`block_kernel`] in AVX2 instructions: the same chains, with the 48 sums
/// held in twelve registers explicitly (the compiler's version of the
/// generic kernel kept spilling them to memory around the loop).
///
/// # Safety
/// The CPU must support AVX2 and FMA, the slices must be as [`kernel`]
/// asserts, and when `resume` the entries of `c` the block covers must be
/// initialized.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn block_kernel_avx2_fma(
    x: &[f64],
    y: &[f64],
    c: &mut [MaybeUninit<f64>],
    c_stride: usize,
    resume: bool,
) {
    use std::arch::x86_64::{
        __m256d, _mm256_broadcast_sd, _mm256_fmadd_pd, _mm256_loadu_pd, _mm256_setzero_pd,
        _mm256_storeu_pd,
    };
    let kc = x.len() / MR;
    let (x, y, c) = (x.as_ptr(), y.as_ptr(), c.as_mut_ptr().cast::<f64>());
    // SAFETY: every pointer below stays within the slices, as the caller
    // guarantees: x has kc·MR values, y kc·NR, c at
    // least (MR − 1)·c_stride + NR; C's entries are read only when
    // initialized.
    unsafe {
        let mut s: [[__m256d; 2]; MR] = [[_mm256_setzero_pd(); 2]; MR];
        if resume {
            for (r, row) in s.iter_mut().enumerate() {
                *row = [
                    _mm256_loadu_pd(c.add(r * c_stride)),
                    _mm256_loadu_pd(c.add(r * c_stride + 4)),
                ];
            }
        }
        for p in 0..kc {
            let yp = y.add(p * NR);
            let (y0, y1) = (_mm256_loadu_pd(yp), _mm256_loadu_pd(yp.add(4)));
            for (r, row) in s.iter_mut().enumerate() {
                let xr = _mm256_broadcast_sd(&*x.add(p * MR + r));
                *row = [
                    _mm256_fmadd_pd(xr, y0, row[0]),
                    _mm256_fmadd_pd(xr, y1, row[1]),
                ];
            }
        }
        for (r, row) in s.iter().enumerate() {
            _mm256_storeu_pd(c.add(r * c_stride), row[0]);
            _mm256_storeu_pd(c.add(r * c_stride + 4), row[1]);
        }
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
/// time (up to [`Ceiling::current`]), so it runs 8 or 4 values at a time.
/// The arithmetic is the same in every version (Rust never fuses a multiply
/// and an add on its own), so the results are bit-for-bit identical
/// whichever runs.
///
/// ```
/// use stable_learning::numeric::kernels::{tanh, tanh_slice};
/// let mut v = vec![-1.0, 0.0, 0.5];
/// tanh_slice(&mut v);
/// assert_eq!(v, vec![tanh(-1.0), 0.0, tanh(0.5)]);
/// ```
pub fn tanh_slice(values: &mut [f64]) {
    #[cfg(target_arch = "x86_64")]
    match TanhPath::chosen() {
        // SAFETY: `chosen` returns it only where the CPU supports AVX-512F.
        TanhPath::Avx512 => return unsafe { tanh_slice_avx512(values) },
        // SAFETY: `chosen` returns it only where the CPU supports AVX2.
        TanhPath::Avx2 => return unsafe { tanh_slice_avx2(values) },
        TanhPath::Scalar => {}
    }
    values.iter_mut().for_each(|v| *v = tanh(*v));
}

/// The loops [`tanh_slice`] has (all give the same bits).
/// (Elsewhere than x86-64 only the tests ask which one runs.)
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
enum TanhPath {
    Scalar,
    Avx2,
    Avx512,
}

#[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
impl TanhPath {
    /// The widest loop this CPU supports and [`Ceiling::current`] allows.
    fn chosen() -> TanhPath {
        #[cfg(target_arch = "x86_64")]
        {
            let ceiling = Ceiling::current();
            if ceiling >= Ceiling::Native && std::arch::is_x86_feature_detected!("avx512f") {
                return TanhPath::Avx512;
            }
            if ceiling >= Ceiling::Avx2 && std::arch::is_x86_feature_detected!("avx2") {
                return TanhPath::Avx2;
            }
        }
        TanhPath::Scalar
    }
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
        // passes of 32K values copied at once, sweeps of 32 row blocks), and the
        // book's own (a batch of 32 through a 64-1000 layer).
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
            (70, 300, 130),
            (13, 260, 200),
            (7, 512, 9),
            (200, 260, 140),
            (200, 520, 140),
            (13, 600, 200),
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
    fn what_the_reused_buffers_held_before_never_shows() {
        // Before every product, fill this thread's buffers with NaN: a value
        // the kernel read without the copy of its pass having written it
        // would reach C. The shapes take every path: small passes, a
        // row-major right operand in two passes of two sweeps, and a
        // column-major one copied a panel at a time over two passes.
        let poison = || {
            let mut buffers = Scratch::take();
            for lines in [&mut buffers.left, &mut buffers.right] {
                lines.lines(300_000).fill(f64::NAN);
            }
            buffers.give_back();
        };
        for (m, k, n) in [
            (7, 300, 13),
            (1, 1, 1),
            (13, 9, 1000),
            (200, 520, 140),
            (13, 600, 200),
        ] {
            let (a, b) = (values(m, k, 0.25), values(k, n, 0.5));
            let bt = b.t().to_owned();
            let want = bits(&fma_chain(a.view(), b.view()));
            for path in Path::available() {
                poison();
                assert!(
                    bits(&matmul_on(path, a.view(), b.view())) == want,
                    "{m}×{k}×{n}"
                );
                poison();
                assert!(
                    bits(&matmul_on(path, a.view(), bt.t())) == want,
                    "{m}×{k}×{n} Bᵀᵀ"
                );
            }
        }
    }

    #[test]
    fn views_with_steps_and_reversed_axes_give_the_same_bits() {
        use ndarray::s;
        let a = values(40, 90, 3.0);
        let b = values(90, 70, 4.0);
        // Inner dimensions past one pass (256), and a right operand too
        // large to copy at once, read through strides.
        let c = values(20, 1200, 5.0);
        let d = values(1200, 300, 6.0);
        let views = [
            (a.slice(s![..;3, ..]), b.slice(s![.., ..;3])),
            (a.slice(s![..;-1, 5..35]), b.slice(s![60..90, ..;-2])),
            (a.slice(s![1..38, ..;2]), b.slice(s![..;2, 3..])),
            (c.slice(s![..;2, ..;2]), d.slice(s![..;2, ..;2])),
            (c.slice(s![..;-1, 100..1000]), d.slice(s![100..1000, ..;-1])),
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
    fn the_ceiling_in_the_environment_is_obeyed() {
        // When the whole suite runs with STABLE_LEARNING_KERNELS set, this
        // fails if the value is misspelt or the paths ignore it.
        let ceiling = Ceiling::from_env().expect("a valid STABLE_LEARNING_KERNELS");
        assert_eq!(Ceiling::current(), ceiling);
        // What this CPU has, asked directly (not through the ceiling).
        #[cfg(target_arch = "x86_64")]
        let (avx2, fma, avx512) = (
            std::arch::is_x86_feature_detected!("avx2"),
            std::arch::is_x86_feature_detected!("fma"),
            std::arch::is_x86_feature_detected!("avx512f"),
        );
        #[cfg(not(target_arch = "x86_64"))]
        let (avx2, fma, avx512) = (false, false, false);
        let want_matmul = if ceiling >= Ceiling::Avx2 && avx2 && fma {
            Path::Avx2Fma
        } else {
            Path::Portable
        };
        let want_tanh = if ceiling == Ceiling::Native && avx512 {
            TanhPath::Avx512
        } else if ceiling >= Ceiling::Avx2 && avx2 {
            TanhPath::Avx2
        } else {
            TanhPath::Scalar
        };
        assert_eq!(
            Path::fastest(),
            want_matmul,
            "matrix product under {ceiling:?}"
        );
        assert_eq!(
            TanhPath::chosen(),
            want_tanh,
            "tanh_slice under {ceiling:?}"
        );
        let mut available = vec![Path::Portable];
        if want_matmul == Path::Avx2Fma {
            available.push(Path::Avx2Fma);
        }
        assert_eq!(Path::available(), available);
        assert_eq!(Ceiling::parse("avx2"), Ok(Ceiling::Avx2));
        let error = Ceiling::parse("sse").unwrap_err();
        assert!(
            error.contains("STABLE_LEARNING_KERNELS") && error.contains("portable, avx2, native")
        );
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
    fn every_tanh_slice_path_gives_the_bits_of_the_formula() {
        // The same values through each vector path this CPU has (forced, so
        // a machine with AVX-512 checks its AVX2 path too), against the
        // scalar formula that the portable path and other processors run.
        let values: Vec<f64> = (-20_000..=20_000)
            .map(|i| i as f64 * 1.3e-3 + 1e-11 * (i % 5) as f64)
            .chain([0.0, -0.0, 1e-300, -25.0, 25.0, f64::INFINITY, f64::NAN])
            .collect();
        let want: Vec<u64> = values.iter().map(|&x| tanh(x).to_bits()).collect();
        type SlicePath = fn(&mut [f64]);
        #[allow(unused_mut)]
        let mut paths: Vec<(&str, SlicePath)> = vec![("dispatch", tanh_slice)];
        #[cfg(target_arch = "x86_64")]
        {
            if std::arch::is_x86_feature_detected!("avx2") {
                // SAFETY: called only where the CPU has AVX2 (checked here).
                paths.push(("avx2", |v| unsafe { tanh_slice_avx2(v) }));
            }
            if std::arch::is_x86_feature_detected!("avx512f") {
                // SAFETY: called only where the CPU has AVX-512F (checked here).
                paths.push(("avx512", |v| unsafe { tanh_slice_avx512(v) }));
            }
        }
        for (name, path) in paths {
            let mut got = values.clone();
            path(&mut got);
            let got: Vec<u64> = got.iter().map(|v| v.to_bits()).collect();
            assert!(
                got == want,
                "tanh_slice path {name} differs from the formula"
            );
        }
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
