//! Gauss–Hermite quadrature: expectations over Gaussians, computed exactly
//! for polynomials and to many digits for smooth functions.
//!
//! The mean-field theory of deep networks is a set of Gaussian integrals,
//! `E[φ(√q z)²]` for `z ~ N(0, 1)` and their two-dimensional kin. An
//! `n`-point rule integrates `f(x) e^{−x²}` exactly when `f` is a polynomial
//! of degree below `2n`; a change of variable turns it into an expectation
//! over `N(0, 1)`.
//!
//! ```
//! use stable_learning::numeric::{math, quadrature::GaussHermite};
//! let rule = GaussHermite::new(20);
//! // E[z⁴] = 3 and E[cos z] = e^{−1/2}.
//! assert!((rule.expect(|z| z.powi(4)) - 3.0).abs() < 1e-12);
//! assert!((rule.expect(|z| math::cos(z)) - math::exp(-0.5)).abs() < 1e-12);
//! ```

use super::math;

/// An `n`-point Gauss–Hermite rule: nodes `x_i` and weights `w_i` with
/// `Σ w_i f(x_i) ≈ ∫ f(x) e^{−x²} dx`.
#[derive(Clone, Debug)]
pub struct GaussHermite {
    nodes: Vec<f64>,
    weights: Vec<f64>,
}

impl GaussHermite {
    /// The rule with `1 ≤ n ≤ 500` points (beyond about 700, the outer
    /// nodes' polynomial values overflow and the weights come out as NaN).
    ///
    /// The nodes are the eigenvalues of the Jacobi matrix of the Hermite
    /// polynomials (zero diagonal, `√(k/2)` beside it: Golub & Welsch 1969),
    /// polished by Newton steps on the orthonormal recurrence; each weight
    /// is the Christoffel number `1 / Σ_{k<n} p_k(x_i)²`, where `p_k` are the
    /// Hermite polynomials made orthonormal for the weight `e^{−x²}`.
    pub fn new(n: usize) -> Self {
        assert!(
            (1..=500).contains(&n),
            "a Gauss–Hermite rule here has 1 to 500 points, not {n}"
        );
        let mut diagonal = vec![0.0; n];
        let mut beside: Vec<f64> = (1..n).map(|k| (k as f64 / 2.0).sqrt()).collect();
        beside.push(0.0);
        super::linalg::tridiagonal_eigenvalues(&mut diagonal, &mut beside);
        diagonal.sort_by(f64::total_cmp);
        let mut nodes = diagonal;
        // Symmetry: the rule's nodes come in pairs ±x (and 0 for odd n).
        for i in 0..n / 2 {
            let x = 0.5 * (nodes[n - 1 - i] - nodes[i]);
            nodes[i] = -x;
            nodes[n - 1 - i] = x;
        }
        if n % 2 == 1 {
            nodes[n / 2] = 0.0;
        }
        for x in &mut nodes {
            for _ in 0..3 {
                let (p, dp) = orthonormal_hermite(n, *x);
                if dp == 0.0 {
                    break;
                }
                *x -= p[n] / dp;
            }
        }
        let weights = nodes
            .iter()
            .map(|&x| {
                let (p, _) = orthonormal_hermite(n, x);
                1.0 / p[..n].iter().map(|v| v * v).sum::<f64>()
            })
            .collect();
        GaussHermite { nodes, weights }
    }

    /// The number of points.
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// Always false: a rule has at least one point.
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// The nodes `x_i`, ascending.
    pub fn nodes(&self) -> &[f64] {
        &self.nodes
    }

    /// The weights `w_i`; they sum to `√π`.
    pub fn weights(&self) -> &[f64] {
        &self.weights
    }

    /// `E[f(z)]` for `z ~ N(0, 1)`: `Σ w_i f(√2 x_i) / √π`.
    pub fn expect(&self, f: impl Fn(f64) -> f64) -> f64 {
        let s: f64 = self
            .nodes
            .iter()
            .zip(&self.weights)
            .map(|(&x, &w)| w * f(std::f64::consts::SQRT_2 * x))
            .sum();
        s / std::f64::consts::PI.sqrt()
    }

    /// `E[f(z₁) g(z₂)]` for standard normal `z₁, z₂` with correlation `c`:
    /// the same sum as [`GaussHermite::expect2`], with `f` evaluated once per
    /// node of `z₁` instead of once per pair.
    pub fn expect_product(&self, c: f64, f: impl Fn(f64) -> f64, g: impl Fn(f64) -> f64) -> f64 {
        let s = (1.0 - c * c).max(0.0).sqrt();
        let root2 = std::f64::consts::SQRT_2;
        let mut total = 0.0;
        for (&x1, &w1) in self.nodes.iter().zip(&self.weights) {
            let z1 = root2 * x1;
            let inner: f64 = self
                .nodes
                .iter()
                .zip(&self.weights)
                .map(|(&x3, &w3)| w3 * g(c * z1 + s * root2 * x3))
                .sum();
            total += w1 * f(z1) * inner;
        }
        total / std::f64::consts::PI
    }

    /// `E[f(z₁, z₂)]` for standard normal `z₁, z₂` with correlation `c`
    /// (`|c| ≤ 1`): `z₂ = c z₁ + √(1 − c²) z₃`, a product rule over
    /// `(z₁, z₃)` with `n²` points.
    pub fn expect2(&self, c: f64, f: impl Fn(f64, f64) -> f64) -> f64 {
        let s = (1.0 - c * c).max(0.0).sqrt();
        self.expect(|z1| self.expect(|z3| f(z1, c * z1 + s * z3)))
    }
}

/// The orthonormal Hermite polynomials `p_0 … p_n` at `x`, and `p_n'(x)`.
/// `p_0 = π^{−1/4}`, `p_{k+1} = √(2/(k+1)) x p_k − √(k/(k+1)) p_{k−1}`,
/// `p_k' = √(2k) p_{k−1}`.
fn orthonormal_hermite(n: usize, x: f64) -> (Vec<f64>, f64) {
    let mut p = Vec::with_capacity(n + 1);
    p.push(math::powf(std::f64::consts::PI, -0.25));
    for k in 0..n {
        let previous = if k == 0 { 0.0 } else { p[k - 1] };
        let next = (2.0 / (k as f64 + 1.0)).sqrt() * x * p[k]
            - (k as f64 / (k as f64 + 1.0)).sqrt() * previous;
        p.push(next);
    }
    let dp = (2.0 * n as f64).sqrt() * p[n - 1];
    (p, dp)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_rules_have_their_textbook_values() {
        // n = 1: the node 0 with weight √π.
        let one = GaussHermite::new(1);
        assert_eq!(one.nodes(), &[0.0]);
        assert!((one.weights()[0] - std::f64::consts::PI.sqrt()).abs() < 1e-15);
        // n = 2: nodes ±1/√2, weights √π/2.
        let two = GaussHermite::new(2);
        let half = std::f64::consts::FRAC_1_SQRT_2;
        assert!((two.nodes()[1] - half).abs() < 1e-15 && (two.nodes()[0] + half).abs() < 1e-15);
        for w in two.weights() {
            assert!((w - std::f64::consts::PI.sqrt() / 2.0).abs() < 1e-15);
        }
        // n = 3: nodes 0, ±√(3/2); weights 2√π/3 and √π/6.
        let three = GaussHermite::new(3);
        assert!((three.nodes()[2] - 1.5f64.sqrt()).abs() < 1e-14);
        assert!((three.weights()[1] - 2.0 * std::f64::consts::PI.sqrt() / 3.0).abs() < 1e-14);
        assert!((three.weights()[0] - std::f64::consts::PI.sqrt() / 6.0).abs() < 1e-14);
    }

    #[test]
    fn polynomials_up_to_degree_2n_minus_1_are_exact() {
        for n in [5, 16, 40, 80] {
            let rule = GaussHermite::new(n);
            let total: f64 = rule.weights().iter().sum();
            assert!(
                (total - std::f64::consts::PI.sqrt()).abs() < 1e-13,
                "n = {n}"
            );
            // E[z^(2k)] = (2k − 1)!!.
            let mut double_factorial = 1.0;
            for k in 1..n.min(12) {
                double_factorial *= (2 * k - 1) as f64;
                let m = rule.expect(|z| z.powi(2 * k as i32));
                assert!(
                    (m / double_factorial - 1.0).abs() < 1e-11,
                    "n = {n}, E[z^{}] = {m}",
                    2 * k
                );
                let odd = rule.expect(|z| z.powi(2 * k as i32 - 1));
                assert!(
                    odd.abs() < 1e-12 * double_factorial,
                    "n = {n}, k = {k}: {odd}"
                );
            }
        }
    }

    #[test]
    fn smooth_expectations_match_closed_forms() {
        let rule = GaussHermite::new(60);
        // E[e^{a z}] = e^{a²/2}, E[cos(a z)] = e^{−a²/2}.
        for a in [0.5, 1.0, 2.0] {
            let e = rule.expect(|z| math::exp(a * z));
            assert!((e / math::exp(a * a / 2.0) - 1.0).abs() < 1e-12, "a = {a}");
            let c = rule.expect(|z| math::cos(a * z));
            assert!((c - math::exp(-a * a / 2.0)).abs() < 1e-12, "a = {a}");
        }
        // E[z₁ z₂] = c and E[z₁² z₂²] = 1 + 2c² for correlated normals.
        for c in [-0.9, 0.0, 0.3, 1.0] {
            assert!((rule.expect_product(c, |a| a, |b| b) - c).abs() < 1e-12);
            assert!((rule.expect2(c, |a, b| a * b) - c).abs() < 1e-12);
            assert!((rule.expect2(c, |a, b| a * a * b * b) - (1.0 + 2.0 * c * c)).abs() < 1e-11);
        }
    }
}
