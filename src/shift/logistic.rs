//! Logistic regression, binary and multinomial, with optional sample weights
//! and an L2 penalty — written out, because the shift chapters are built on
//! it: a classifier that tells source from target estimates the density ratio
//! (covariate shift), detects the shift (its AUC), and a multinomial one is the
//! digits classifier whose confusion matrix label shift inverts.
//!
//! Both minimize a *weighted* average log-loss, the weighted empirical risk of
//! the covariate-shift chapter:
//!
//! ```text
//! R̂_β(θ) = Σᵢ βᵢ ℓ(f_θ(xᵢ), yᵢ) / Σᵢ βᵢ + (λ/2)‖W‖²,
//! ```
//!
//! with the bias left out of the penalty.

use ndarray::{Array1, Array2, ArrayView1, ArrayView2, Axis};

use crate::nn::loss::softmax;
use crate::numeric::kernels::matmul;
use crate::numeric::math;
use crate::{Error, Range};

/// Both fits need rows to fit and one label per row.
fn check_rows(rows: usize, labels: usize) -> Result<(), Error> {
    if rows == 0 {
        return Err(Error::Empty("training rows"));
    }
    if labels != rows {
        return Err(Error::Size {
            what: "labels",
            expected: rows,
            got: labels,
        });
    }
    Ok(())
}

fn check_weights(weights: Option<&[f64]>, rows: usize) -> Result<Vec<f64>, Error> {
    let Some(w) = weights else {
        return Ok(vec![1.0; rows]);
    };
    if w.len() != rows {
        return Err(Error::Size {
            what: "sample weights",
            expected: rows,
            got: w.len(),
        });
    }
    if let Some((row, &value)) = w
        .iter()
        .enumerate()
        .find(|(_, v)| !v.is_finite() || **v < 0.0)
    {
        return Err(Error::Weight { row, value });
    }
    if w.iter().all(|&v| v == 0.0) {
        return Err(Error::Weight { row: 0, value: 0.0 });
    }
    Ok(w.to_vec())
}

/// The logistic function σ(z) = 1/(1 + e⁻ᶻ), the same one the networks
/// use ([`crate::nn::activation::sigmoid`]), re-exported where logistic
/// regression needs it.
///
/// ```
/// use stable_learning::shift::logistic::sigmoid;
/// assert_eq!(sigmoid(0.0), 0.5);
/// assert!(sigmoid(-800.0) >= 0.0 && sigmoid(800.0) == 1.0);
/// ```
pub use crate::nn::activation::sigmoid;

/// A binary logistic regression P(y = 1 | x) = σ(wᵀx + b).
#[derive(Debug, Clone, PartialEq)]
pub struct Logistic {
    /// The weights w, one per feature.
    pub weights: Array1<f64>,
    /// The bias b.
    pub bias: f64,
}

impl Logistic {
    /// Fits w and b by Newton's method (iteratively reweighted least squares)
    /// on the weighted log-loss with penalty (λ/2)‖w‖², λ = `l2`:
    ///
    /// ```text
    /// g = (1/Σβ) X̃ᵀ (β ⊙ (p − y)) + λw,
    /// H = (1/Σβ) X̃ᵀ diag(β p(1 − p)) X̃ + λI,
    /// θ ← θ − H⁻¹ g,
    /// ```
    ///
    /// where X̃ is X with a column of ones for the bias. Each step is
    /// halved until the loss decreases; it stops when no coordinate moves by
    /// more than 1e-9 (or after 100 steps). With λ = 0 and separable classes
    /// the optimum is at infinity: use λ > 0.
    ///
    /// ```
    /// use ndarray::array;
    /// use stable_learning::shift::logistic::Logistic;
    /// let x = array![[0.0], [1.0], [2.0], [3.0]];
    /// let m = Logistic::fit(x.view(), &[false, true, false, true], None, 1e-3).unwrap();
    /// let p = m.probabilities(x.view());
    /// // The fitted probabilities average to the fraction of positives.
    /// assert!((p.sum() / 4.0 - 0.5).abs() < 1e-3);
    /// ```
    pub fn fit(
        x: ArrayView2<f64>,
        y: &[bool],
        sample_weights: Option<&[f64]>,
        l2: f64,
    ) -> Result<Logistic, Error> {
        let (n, d) = x.dim();
        check_rows(n, y.len())?;
        Range::closed(0.0, f64::INFINITY).check("l2", l2)?;
        let beta = check_weights(sample_weights, n)?;
        let total: f64 = beta.iter().sum();
        let t: Vec<f64> = y.iter().map(|&v| if v { 1.0 } else { 0.0 }).collect();
        let loss = |theta: &Array1<f64>| -> f64 {
            let z = x.dot(&theta.slice(ndarray::s![..d])) + theta[d];
            let data: f64 = z
                .iter()
                .zip(&t)
                .zip(&beta)
                .map(|((&z, &t), &b)| b * (softplus(z) - t * z))
                .sum();
            data / total
                + 0.5
                    * l2
                    * theta
                        .slice(ndarray::s![..d])
                        .dot(&theta.slice(ndarray::s![..d]))
        };
        let mut theta = Array1::<f64>::zeros(d + 1);
        let mut current = loss(&theta);
        let mut xt = Array2::<f64>::ones((n, d + 1));
        xt.slice_mut(ndarray::s![.., ..d]).assign(&x);
        for _ in 0..100 {
            let z = x.dot(&theta.slice(ndarray::s![..d])) + theta[d];
            let p = z.mapv(sigmoid);
            // X̃ᵀ r and X̃ᵀ diag(s) X̃ with the bias column appended.
            let r = Array1::from_iter((0..n).map(|i| beta[i] * (p[i] - t[i]) / total));
            let s = Array1::from_iter((0..n).map(|i| beta[i] * p[i] * (1.0 - p[i]) / total));
            let mut grad = xt.t().dot(&r);
            let scaled = &xt * &s.view().insert_axis(Axis(1));
            let mut hess = matmul(xt.t(), scaled.view());
            for a in 0..d {
                grad[a] += l2 * theta[a];
                hess[[a, a]] += l2;
            }
            let step = crate::numeric::solve::solve(hess.view(), grad.view())
                .ok_or(Error::Singular("the Hessian (use an L2 penalty > 0)"))?;
            let mut scale = 1.0;
            let mut improved = false;
            while scale > 1e-6 {
                let candidate = &theta - &(&step * scale);
                let value = loss(&candidate);
                if value <= current {
                    theta = candidate;
                    current = value;
                    improved = true;
                    break;
                }
                scale *= 0.5;
            }
            let moved = step.iter().fold(0.0f64, |m, v| m.max(v.abs())) * scale;
            if !improved || moved < 1e-9 {
                break;
            }
        }
        Ok(Logistic {
            weights: theta.slice(ndarray::s![..d]).to_owned(),
            bias: theta[d],
        })
    }

    /// The logit h(x) = wᵀx + b of every row.
    pub fn logits(&self, x: ArrayView2<f64>) -> Array1<f64> {
        x.dot(&self.weights) + self.bias
    }

    /// P(y = 1 | x) = σ(h(x)) for every row.
    pub fn probabilities(&self, x: ArrayView2<f64>) -> Array1<f64> {
        self.logits(x).mapv(sigmoid)
    }

    /// One stochastic gradient step on a single example (for streams):
    /// w ← w − η (σ(h(x)) − y) x, b ← b − η (σ(h(x)) − y).
    ///
    /// ```
    /// use ndarray::array;
    /// use stable_learning::shift::logistic::Logistic;
    /// let mut m = Logistic { weights: array![0.0], bias: 0.0 };
    /// m.sgd_step(array![1.0].view(), true, 0.5);
    /// assert_eq!((m.weights[0], m.bias), (0.25, 0.25));
    /// ```
    pub fn sgd_step(&mut self, x: ArrayView1<f64>, y: bool, learning_rate: f64) {
        let p = sigmoid(self.weights.dot(&x) + self.bias);
        let r = p - if y { 1.0 } else { 0.0 };
        self.weights.scaled_add(-learning_rate * r, &x);
        self.bias -= learning_rate * r;
    }
}

/// log(1 + e^z) without overflow.
fn softplus(z: f64) -> f64 {
    if z > 0.0 {
        z + math::ln_1p(math::exp(-z))
    } else {
        math::ln_1p(math::exp(z))
    }
}

/// How a [`Softmax`] model is fitted.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SoftmaxParams {
    /// The L2 penalty λ on the weights (not the biases), ≥ 0.
    pub l2: f64,
    /// The step size η of gradient descent, > 0.
    pub learning_rate: f64,
    /// Full-batch gradient steps, ≥ 1.
    pub epochs: usize,
}

impl Default for SoftmaxParams {
    /// λ = 1e-3, η = 0.5, 300 steps: enough for the 64-pixel digits.
    fn default() -> SoftmaxParams {
        SoftmaxParams {
            l2: 1e-3,
            learning_rate: 0.5,
            epochs: 300,
        }
    }
}

/// A multinomial logistic (softmax) regression
/// P(y = k | x) = softmax(xW + b)ₖ.
#[derive(Debug, Clone, PartialEq)]
pub struct Softmax {
    /// Weights, one column per class (features × classes).
    pub weights: Array2<f64>,
    /// One bias per class.
    pub bias: Array1<f64>,
}

impl Softmax {
    /// Fits W and b by full-batch gradient descent with Nesterov momentum 0.9
    /// on the weighted cross-entropy plus (λ/2)‖W‖²; the gradient with respect
    /// to the logits is βᵢ(softmax(oᵢ) − onehot(yᵢ))/Σβ.
    ///
    /// ```
    /// use ndarray::array;
    /// use stable_learning::shift::logistic::{Softmax, SoftmaxParams};
    /// let x = array![[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]];
    /// let m = Softmax::fit(x.view(), &[0, 1, 2], 3, None, SoftmaxParams::default()).unwrap();
    /// assert_eq!(m.predict(x.view()), vec![0, 1, 2]);
    /// ```
    pub fn fit(
        x: ArrayView2<f64>,
        y: &[usize],
        classes: usize,
        sample_weights: Option<&[f64]>,
        params: SoftmaxParams,
    ) -> Result<Softmax, Error> {
        let (n, d) = x.dim();
        check_rows(n, y.len())?;
        if let Some((row, &label)) = y.iter().enumerate().find(|(_, l)| **l >= classes) {
            return Err(Error::Label {
                row,
                label,
                classes,
            });
        }
        let (l2, lr) = (params.l2, params.learning_rate);
        Range::closed(0.0, f64::INFINITY).check("l2", l2)?;
        Range::above(0.0, f64::INFINITY).check("learning_rate", lr)?;
        let beta = check_weights(sample_weights, n)?;
        let total: f64 = beta.iter().sum();
        let scale = Array1::from_iter(beta.iter().map(|b| b / total));
        let mut w = Array2::<f64>::zeros((d, classes));
        let mut b = Array1::<f64>::zeros(classes);
        let (mut vw, mut vb) = (w.clone(), b.clone());
        let momentum = 0.9;
        for _ in 0..params.epochs.max(1) {
            // Nesterov: the gradient at the look-ahead point.
            let lw = &w + &(&vw * momentum);
            let lb = &b + &(&vb * momentum);
            let mut g = softmax((matmul(x, lw.view()) + &lb).view());
            for (i, &label) in y.iter().enumerate() {
                g[[i, label]] -= 1.0;
            }
            g *= &scale.view().insert_axis(Axis(1));
            let gw = matmul(x.t(), g.view()) + &lw * params.l2;
            let gb = g.sum_axis(Axis(0));
            vw = &vw * momentum - &gw * params.learning_rate;
            vb = &vb * momentum - &gb * params.learning_rate;
            w += &vw;
            b += &vb;
        }
        Ok(Softmax {
            weights: w,
            bias: b,
        })
    }

    /// P(y = k | x) for every row (rows sum to 1).
    pub fn probabilities(&self, x: ArrayView2<f64>) -> Array2<f64> {
        softmax((matmul(x, self.weights.view()) + &self.bias).view())
    }

    /// The most probable class of every row.
    pub fn predict(&self, x: ArrayView2<f64>) -> Vec<usize> {
        argmax_rows(self.probabilities(x).view())
    }
}

/// The index of the largest entry of every row (the first one on ties).
///
/// ```
/// use ndarray::array;
/// assert_eq!(stable_learning::shift::logistic::argmax_rows(array![[0.1, 0.9], [0.7, 0.3]].view()), vec![1, 0]);
/// ```
pub fn argmax_rows(p: ArrayView2<f64>) -> Vec<usize> {
    p.axis_iter(Axis(0))
        .map(|row| crate::nn::loss::argmax(row.iter().copied()))
        .collect()
}

/// The fraction of predictions equal to the labels, each counted with its
/// weight: Σᵢ βᵢ [ŷᵢ = yᵢ] / Σᵢ βᵢ.
///
/// ```
/// assert_eq!(stable_learning::shift::logistic::accuracy(&[0, 1, 1], &[0, 1, 0], None), 2.0 / 3.0);
/// ```
pub fn accuracy(predicted: &[usize], labels: &[usize], weights: Option<&[f64]>) -> f64 {
    let (mut hit, mut total) = (0.0, 0.0);
    for (i, (p, y)) in predicted.iter().zip(labels).enumerate() {
        let w = weights.map_or(1.0, |w| w[i]);
        total += w;
        if p == y {
            hit += w;
        }
    }
    hit / total
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn logistic_gradient_is_zero_at_the_fit() {
        let x = array![[0.0, 1.0], [1.0, 0.5], [2.0, -1.0], [3.0, 0.0], [1.5, 2.0]];
        let y = [false, false, true, true, false];
        let beta = [1.0, 2.0, 0.5, 1.0, 3.0];
        let l2 = 0.1;
        let m = Logistic::fit(x.view(), &y, Some(&beta), l2).unwrap();
        let p = m.probabilities(x.view());
        let total: f64 = beta.iter().sum();
        for a in 0..2 {
            let g: f64 = (0..5)
                .map(|i| beta[i] * (p[i] - y[i] as u8 as f64) * x[[i, a]])
                .sum::<f64>()
                / total
                + l2 * m.weights[a];
            assert!(g.abs() < 1e-9, "feature {a}: gradient {g}");
        }
        let gb: f64 = (0..5)
            .map(|i| beta[i] * (p[i] - y[i] as u8 as f64))
            .sum::<f64>();
        assert!(gb.abs() < 1e-9);
    }

    #[test]
    fn rejects_bad_input() {
        let x = array![[0.0], [1.0]];
        assert!(matches!(
            Logistic::fit(x.view(), &[true], None, 0.0),
            Err(Error::Size { .. })
        ));
        assert!(matches!(
            Logistic::fit(x.view(), &[true, false], Some(&[1.0, -1.0]), 0.0),
            Err(Error::Weight { row: 1, .. })
        ));
        assert!(matches!(
            Softmax::fit(x.view(), &[0, 3], 2, None, SoftmaxParams::default()),
            Err(Error::Label { label: 3, .. })
        ));
    }

    #[test]
    fn integer_weights_equal_repeated_rows() {
        // Weight 2 on a row is the same risk as the row twice.
        let x = array![[0.0], [1.0], [2.0]];
        let y = [false, true, false];
        let a = Logistic::fit(x.view(), &y, Some(&[2.0, 1.0, 1.0]), 0.01).unwrap();
        let x2 = array![[0.0], [0.0], [1.0], [2.0]];
        let b = Logistic::fit(x2.view(), &[false, false, true, false], None, 0.01).unwrap();
        assert!((a.bias - b.bias).abs() < 1e-8 && (a.weights[0] - b.weights[0]).abs() < 1e-8);
    }
}
