//! The linear algebra the book needs: the matrix product every layer uses
//! ([`matmul`], the same bits on every CPU), and, written out, random orthogonal
//! matrices (Gram–Schmidt on a Gaussian matrix) and the eigenvalues of a
//! symmetric matrix (Householder tridiagonalization, then implicit QL), from
//! which the singular values of a layer's Jacobian follow.

use ndarray::{Array2, ArrayView2};
use rand::{Rng, RngExt};

use super::math;
use crate::numeric::normal::StandardNormal;

pub use crate::numeric::kernels::matmul;

/// A random (rows × cols) matrix with orthonormal columns (rows ≥ cols) or
/// orthonormal rows (rows < cols), distributed uniformly (Haar): orthonormalize
/// the columns of a Gaussian matrix by Gram–Schmidt. That is the Q of the QR
/// decomposition whose R has a positive diagonal, which is exactly Haar
/// distributed (Mezzadri 2007, "How to generate random matrices from the
/// classical compact groups"). Each vector is orthogonalized twice ("twice is
/// enough", Giraud et al. 2005), so Q is orthonormal to machine precision.
///
/// ```
/// use rand::{SeedableRng, rngs::StdRng};
/// let q = stable_learning::numeric::linalg::random_orthogonal(5, 3, &mut StdRng::seed_from_u64(1));
/// let qtq = q.t().dot(&q);
/// for i in 0..3 { for j in 0..3 {
///     let want = if i == j { 1.0 } else { 0.0 };
///     assert!((qtq[[i, j]] - want).abs() < 1e-12);
/// } }
/// ```
pub fn random_orthogonal(rows: usize, cols: usize, rng: &mut impl Rng) -> Array2<f64> {
    if rows < cols {
        return random_orthogonal(cols, rows, rng).reversed_axes();
    }
    // Work on the columns as contiguous rows of a (cols × rows) matrix.
    let mut g = gaussian_matrix(cols, rows, rng).into_raw_vec_and_offset().0;
    let m = rows;
    for i in 0..cols {
        let (done, rest) = g.split_at_mut(i * m);
        let v = &mut rest[..m];
        for _pass in 0..2 {
            for q in done.chunks_exact(m) {
                let r = dot(q, v);
                v.iter_mut().zip(q).for_each(|(x, qj)| *x -= r * qj);
            }
        }
        let norm = v.iter().map(|x| x * x).sum::<f64>().sqrt();
        v.iter_mut().for_each(|x| *x /= norm);
    }
    Array2::from_shape_vec((cols, rows), g)
        .expect("cols × rows")
        .reversed_axes()
        .as_standard_layout()
        .into_owned()
}

/// Σ aᵢbᵢ with four running sums, so the additions do not wait on each other
/// and the loop vectorizes (a single running sum is a chain of dependent
/// additions the compiler may not reorder).
fn dot(a: &[f64], b: &[f64]) -> f64 {
    let mut acc = [0.0; 4];
    let (a4, b4) = (a.chunks_exact(4), b.chunks_exact(4));
    let tail: f64 = a4
        .remainder()
        .iter()
        .zip(b4.remainder())
        .map(|(x, y)| x * y)
        .sum();
    for (x, y) in a4.zip(b4) {
        for i in 0..4 {
            acc[i] += x[i] * y[i];
        }
    }
    (acc[0] + acc[1]) + (acc[2] + acc[3]) + tail
}

/// The eigenvalues of a symmetric matrix, ascending: Householder reduction to
/// tridiagonal form, then the implicit QL algorithm with shifts
/// (Golub & Van Loan, *Matrix Computations*, §8.3). O(n³).
///
/// ```
/// use ndarray::array;
/// let e = stable_learning::numeric::linalg::symmetric_eigenvalues(array![[2.0, 1.0], [1.0, 2.0]].view());
/// assert!((e[0] - 1.0).abs() < 1e-12 && (e[1] - 3.0).abs() < 1e-12);
/// ```
pub fn symmetric_eigenvalues(a: ArrayView2<f64>) -> Vec<f64> {
    let n = a.nrows();
    assert_eq!(n, a.ncols(), "a symmetric matrix is square");
    if n == 0 {
        return Vec::new();
    }
    let (mut d, mut e) = tridiagonalize(a.to_owned());
    tridiagonal_ql(&mut d, &mut e);
    d.sort_by(f64::total_cmp);
    d
}

/// Reduces symmetric A to tridiagonal T = QᵀAQ; returns (diagonal, off-diagonal
/// with e[i] = T[i, i+1] for i < n−1, e[n−1] = 0).
fn tridiagonalize(mut a: Array2<f64>) -> (Vec<f64>, Vec<f64>) {
    let n = a.nrows();
    let mut e = vec![0.0; n];
    #[allow(clippy::needless_range_loop)] // k indexes e and slices a: clearer as is
    for k in 0..n.saturating_sub(2) {
        let x = a.slice(ndarray::s![k + 1.., k]).to_owned();
        let norm = x.dot(&x).sqrt();
        if norm == 0.0 {
            continue;
        }
        let alpha = if x[0] >= 0.0 { -norm } else { norm };
        let mut v = x;
        v[0] -= alpha;
        let vnorm2 = v.dot(&v);
        e[k] = alpha;
        if vnorm2 == 0.0 {
            continue;
        }
        // A' = H A H on the trailing block, H = I − 2vvᵀ/(vᵀv):
        // p = A v·(2/vᵀv), K = vᵀp/(vᵀv), q = p − K v, A' = A − v qᵀ − q vᵀ.
        let mut sub = a.slice_mut(ndarray::s![k + 1.., k + 1..]);
        let beta = 2.0 / vnorm2;
        let p = sub.dot(&v) * beta;
        let kk = v.dot(&p) * beta / 2.0;
        let q = &p - &(&v * kk);
        for (i, (vi, qi)) in v.iter().zip(q.iter()).enumerate() {
            let mut row = sub.row_mut(i);
            row.scaled_add(-vi, &q);
            row.scaled_add(-qi, &v);
        }
    }
    if n >= 2 {
        e[n - 2] = a[[n - 1, n - 2]];
    }
    let d = (0..n).map(|i| a[[i, i]]).collect();
    (d, e)
}

/// Eigenvalues (unsorted) of the symmetric tridiagonal matrix with diagonal
/// `d` and off-diagonal `e` (`e[i]` beside `d[i]` and `d[i+1]`; the last entry
/// unused), in place into `d`; `e` is overwritten.
pub fn tridiagonal_eigenvalues(d: &mut [f64], e: &mut [f64]) {
    assert_eq!(d.len(), e.len(), "e has one entry per row, the last unused");
    tridiagonal_ql(d, e);
}

/// Eigenvalues of the symmetric tridiagonal matrix (d, e) by implicit QL with
/// shifts, in place into `d` (the classic `tqli`, without eigenvectors).
fn tridiagonal_ql(d: &mut [f64], e: &mut [f64]) {
    let n = d.len();
    for l in 0..n {
        let mut iterations = 0;
        loop {
            let mut m = l;
            while m + 1 < n {
                let dd = d[m].abs() + d[m + 1].abs();
                if e[m].abs() <= f64::EPSILON * dd {
                    break;
                }
                m += 1;
            }
            if m == l {
                break;
            }
            iterations += 1;
            if iterations > 60 {
                break; // does not happen for finite input; never loop forever
            }
            let mut g = (d[l + 1] - d[l]) / (2.0 * e[l]);
            let mut r = math::hypot(g, 1.0);
            g = d[m] - d[l] + e[l] / (g + r.copysign(g));
            let (mut s, mut c, mut p) = (1.0, 1.0, 0.0);
            let mut i = m;
            let mut underflow = false;
            while i > l {
                i -= 1;
                let f = s * e[i];
                let b = c * e[i];
                r = math::hypot(f, g);
                e[i + 1] = r;
                if r == 0.0 {
                    d[i + 1] -= p;
                    e[m] = 0.0;
                    underflow = true;
                    break;
                }
                s = f / r;
                c = g / r;
                g = d[i + 1] - p;
                r = (d[i] - g) * s + 2.0 * c * b;
                p = s * r;
                d[i + 1] = g + p;
                g = c * r - b;
            }
            if underflow {
                continue;
            }
            d[l] -= p;
            e[l] = g;
            e[m] = 0.0;
        }
    }
}

/// The singular values of any matrix J, descending: √ of the eigenvalues of
/// JᵀJ (or JJᵀ, whichever is smaller). Accurate to about √ε·σ_max for the
/// smallest ones, plenty for averages and histograms.
pub fn singular_values(j: ArrayView2<f64>) -> Vec<f64> {
    let gram = if j.nrows() >= j.ncols() {
        matmul(j.t(), j)
    } else {
        matmul(j, j.t())
    };
    let mut s: Vec<f64> = symmetric_eigenvalues(gram.view())
        .into_iter()
        .map(|l| l.max(0.0).sqrt())
        .collect();
    s.reverse();
    s
}

/// A (rows × cols) matrix with independent N(0, 1) entries.
pub fn gaussian_matrix(rows: usize, cols: usize, rng: &mut impl Rng) -> Array2<f64> {
    Array2::from_shape_simple_fn((rows, cols), || rng.sample(StandardNormal))
}

/// The Frobenius norm √(Σ aᵢⱼ²), computed as m·√(Σ (aᵢⱼ/m)²) with
/// m = max |aᵢⱼ| so that squaring neither underflows (entries below 1e-154)
/// nor overflows (above 1e154). inf or NaN entries give inf or NaN.
///
/// ```
/// use ndarray::array;
/// use stable_learning::numeric::linalg::frobenius;
/// assert_eq!(frobenius(&array![[3.0, 4.0]]), 5.0);
/// // Squaring these would underflow to 0 or overflow to inf:
/// assert!((frobenius(&array![[3e-200, 4e-200]]) / 5e-200 - 1.0).abs() < 1e-15);
/// assert!((frobenius(&array![[3e200, 4e200]]) / 5e200 - 1.0).abs() < 1e-15);
/// ```
pub fn frobenius(a: &Array2<f64>) -> f64 {
    let m = a.iter().fold(
        0.0f64,
        |m, v| if v.is_nan() { f64::NAN } else { m.max(v.abs()) },
    );
    if m == 0.0 || !m.is_finite() {
        return m;
    }
    m * a.iter().map(|v| (v / m) * (v / m)).sum::<f64>().sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array1;
    use rand::{SeedableRng, rngs::StdRng};

    #[test]
    fn eigenvalues_of_a_random_symmetric_matrix_match_its_trace_and_frobenius_norm() {
        let mut rng = StdRng::seed_from_u64(3);
        let b = gaussian_matrix(40, 40, &mut rng);
        let a = &b + &b.t();
        let e = symmetric_eigenvalues(a.view());
        let trace: f64 = (0..40).map(|i| a[[i, i]]).sum();
        let frob2: f64 = a.iter().map(|v| v * v).sum();
        assert!((e.iter().sum::<f64>() - trace).abs() < 1e-9);
        assert!((e.iter().map(|v| v * v).sum::<f64>() - frob2).abs() < 1e-8 * frob2);
    }

    #[test]
    fn singular_values_of_an_orthogonal_times_diagonal() {
        let mut rng = StdRng::seed_from_u64(4);
        let q = random_orthogonal(30, 30, &mut rng);
        let d = Array2::from_diag(&Array1::from_iter((1..=30).map(|i| i as f64)));
        let s = singular_values(q.dot(&d).view());
        for (i, v) in s.iter().enumerate() {
            assert!((v - (30 - i) as f64).abs() < 1e-9, "{i}: {v}");
        }
    }

    #[test]
    fn matmul_agrees_with_ndarray_for_every_layout() {
        let mut rng = StdRng::seed_from_u64(6);
        for (m, k, n) in [(1, 1, 1), (3, 5, 2), (17, 64, 33), (130, 70, 90)] {
            let a = gaussian_matrix(m, k, &mut rng);
            let b = gaussian_matrix(k, n, &mut rng);
            let (at, bt) = (a.t().to_owned(), b.t().to_owned());
            let want = a.dot(&b);
            for got in [
                matmul(a.view(), b.view()),
                matmul(at.t(), b.view()),
                matmul(a.view(), bt.t()),
                matmul(at.t(), bt.t()),
            ] {
                let err = (&got - &want).iter().fold(0.0f64, |e, v| e.max(v.abs()));
                assert!(err < 1e-12 * k as f64, "{m}×{k}×{n}: {err}");
            }
        }
    }

    #[test]
    fn orthogonal_rectangular_both_ways() {
        let mut rng = StdRng::seed_from_u64(5);
        let tall = random_orthogonal(20, 7, &mut rng);
        let wide = random_orthogonal(7, 20, &mut rng);
        let i7 = Array2::<f64>::eye(7);
        assert!((tall.t().dot(&tall) - &i7).iter().all(|v| v.abs() < 1e-12));
        assert!((wide.dot(&wide.t()) - &i7).iter().all(|v| v.abs() < 1e-12));
    }
}
