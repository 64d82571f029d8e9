//! Solving a square linear system, written out for the shift chapters: a
//! square system A x = b by Gaussian elimination with partial pivoting.
//!
//! Used by Newton's method for logistic regression
//! (`shift::logistic`), by weighted least squares
//! (`shift::covariate`) and by black-box shift
//! estimation (`shift::label`).

use ndarray::{Array1, Array2, ArrayView1, ArrayView2};

/// Solves A x = b for a square `a` by Gaussian elimination with partial
/// pivoting (at each column, swap up the row with the largest pivot).
///
/// Returns `None` when `a` is not square, when the sizes disagree, or when a
/// pivot is smaller than `1e-12` times the largest entry of `a` (the matrix
/// is singular to working precision): the caller decides what that means.
///
/// ```
/// use ndarray::array;
/// let a = array![[2.0, 1.0], [1.0, 3.0]];
/// let x = stable_learning::numeric::solve::solve(a.view(), array![3.0, 5.0].view()).unwrap();
/// assert!((x[0] - 0.8).abs() < 1e-12 && (x[1] - 1.4).abs() < 1e-12);
/// assert!(stable_learning::numeric::solve::solve(array![[1.0, 2.0], [2.0, 4.0]].view(), array![1.0, 2.0].view()).is_none());
/// ```
pub fn solve(a: ArrayView2<f64>, b: ArrayView1<f64>) -> Option<Array1<f64>> {
    let n = a.nrows();
    if a.ncols() != n || b.len() != n || n == 0 {
        return None;
    }
    let scale = a.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    if scale == 0.0 || !scale.is_finite() {
        return None;
    }
    let mut m: Array2<f64> = a.to_owned();
    let mut x: Array1<f64> = b.to_owned();
    for col in 0..n {
        let pivot = (col..n)
            .max_by(|&i, &j| m[[i, col]].abs().total_cmp(&m[[j, col]].abs()))
            .expect("a non-empty range");
        if m[[pivot, col]].abs() < 1e-12 * scale {
            return None;
        }
        if pivot != col {
            for k in 0..n {
                m.swap([pivot, k], [col, k]);
            }
            x.swap(pivot, col);
        }
        for row in col + 1..n {
            let f = m[[row, col]] / m[[col, col]];
            if f != 0.0 {
                for k in col..n {
                    m[[row, k]] -= f * m[[col, k]];
                }
                x[row] -= f * x[col];
            }
        }
    }
    for col in (0..n).rev() {
        let mut v = x[col];
        for k in col + 1..n {
            v -= m[[col, k]] * x[k];
        }
        x[col] = v / m[[col, col]];
    }
    x.iter().all(|v| v.is_finite()).then_some(x)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn needs_pivoting() {
        // A zero on the diagonal: without row swaps elimination divides by 0.
        let a = array![[0.0, 1.0, 2.0], [1.0, 0.0, 3.0], [4.0, -3.0, 8.0]];
        let want = array![1.0, -2.0, 0.5];
        let b = a.dot(&want);
        let x = solve(a.view(), b.view()).unwrap();
        for (u, v) in x.iter().zip(&want) {
            assert!((u - v).abs() < 1e-12);
        }
    }

    #[test]
    fn rejects_bad_shapes() {
        assert!(solve(array![[1.0, 2.0]].view(), array![1.0].view()).is_none());
        assert!(solve(array![[1.0]].view(), array![1.0, 2.0].view()).is_none());
        assert!(solve(array![[0.0]].view(), array![1.0].view()).is_none());
    }
}
