//! Numerics: linear algebra, a linear solver, statistics, and the fast
//! kernels the network core runs on. Nothing here knows about networks.

pub mod alloc;
pub mod dirichlet;
pub mod fma;
pub mod kernels;
pub mod linalg;
pub mod math;
pub mod normal;
pub mod quadrature;
pub mod random;
pub mod solve;
pub mod stats;

/// Formats a number for an axis or a table: plain for moderate magnitudes,
/// scientific otherwise.
///
/// ```
/// use stable_learning::numeric::format_number;
/// assert_eq!(format_number(0.25), "0.25");
/// assert_eq!(format_number(1.073741824e-21), "1.07e-21");
/// assert_eq!(format_number(0.0), "0");
/// ```
pub fn format_number(v: f64) -> String {
    if v == 0.0 {
        return "0".to_string();
    }
    if !v.is_finite() {
        return format!("{v}");
    }
    let a = v.abs();
    if (1e-3..1e5).contains(&a) {
        let s = format!("{v:.3}");
        let s = s.trim_end_matches('0').trim_end_matches('.');
        s.to_string()
    } else {
        format!("{v:.2e}")
    }
}
