//! Concept shift: the rule itself changes. The same input means something
//! else than it did — "soda" in one region is "pop" in the next, and a
//! model trained on one region is simply wrong in the other.
//!
//! Our stream: points \\(x\\) uniform in the square \\([-1, 1]^2\\), labelled by
//! which side of a line through the origin they fall on, the line's normal
//! at angle θ, with a fraction of labels flipped at random (noise):
//! \\(y = [\cos\theta\, x_1 + \sin\theta\, x_2 > 0]\\). Concept shift turns the
//! line: \\(p(x)\\) never changes, \\(p(y \mid x)\\) does. No importance weight
//! can fix that; a model has to notice and relearn ([`super::drift`]).

use ndarray::{Array1, Array2, array};
use rand::{Rng, RngExt};

use super::drift::{DriftDetector, Status};
use crate::shift::logistic::Logistic;
use crate::{Error, Range};

/// How the concept changes over the stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DriftKind {
    /// No change at all (for measuring false alarms).
    None,
    /// At `change_at` the line turns at once.
    Sudden,
    /// From `change_at`, each label comes from the new line with a
    /// probability rising linearly from 0 to 1 over `width` samples (Gama et
    /// al. 2014 call this gradual; a line turning slowly would be incremental).
    Gradual,
    /// From `change_at`, the old and the new line take turns every `period`
    /// samples.
    Recurring,
}

/// One sample of the stream.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sample {
    /// The input, uniform in [−1, 1]².
    pub x: [f64; 2],
    /// Its label (after noise).
    pub y: bool,
    /// Which concept labelled it: 0 the original line, 1 the turned one.
    pub concept: u8,
}

/// A stream of points labelled by a line that turns.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RotatingStream {
    /// How the line changes.
    pub kind: DriftKind,
    /// Samples in the stream.
    pub length: usize,
    /// When the change starts.
    pub change_at: usize,
    /// The angle between the old and the new line, in degrees.
    pub angle_degrees: f64,
    /// The length of a gradual change.
    pub width: usize,
    /// The period of a recurring change.
    pub period: usize,
    /// The probability that a label is flipped, in [0, 0.5).
    pub noise: f64,
}

impl RotatingStream {
    /// Checks the parameters: the change inside the stream (unless there is
    /// none), width and period ≥ 1, noise in [0, 0.5), angle in [0, 180].
    pub fn validate(&self) -> Result<(), Error> {
        if self.kind != DriftKind::None && self.change_at > self.length {
            return Err(Error::Parameter {
                name: "change_at",
                value: self.change_at as f64,
                range: Range::whole(0, self.length),
            });
        }
        if self.width == 0 || self.period == 0 {
            return Err(Error::Parameter {
                name: "width/period",
                value: 0.0,
                range: Range::whole(1, usize::MAX),
            });
        }
        Range::below(0.0, 0.5).check("noise", self.noise)?;
        Range::closed(0.0, 180.0).check("angle_degrees", self.angle_degrees)?;
        Ok(())
    }

    /// Which concept (0 or 1) labels sample t; `u` is a uniform draw used by
    /// the gradual change.
    pub fn concept_at(&self, t: usize, u: f64) -> u8 {
        if t < self.change_at {
            return 0;
        }
        let since = t - self.change_at;
        match self.kind {
            DriftKind::None => 0,
            DriftKind::Sudden => 1,
            DriftKind::Gradual => (u < (since as f64 / self.width as f64).min(1.0)) as u8,
            DriftKind::Recurring => (since / self.period).is_multiple_of(2) as u8,
        }
    }

    /// The label of x under concept `concept`, before noise.
    pub fn label(&self, x: [f64; 2], concept: u8) -> bool {
        let theta = if concept == 0 {
            0.0
        } else {
            self.angle_degrees.to_radians()
        };
        theta.cos() * x[0] + theta.sin() * x[1] > 0.0
    }

    /// The fraction of the square \\([-1, 1]^2\\) whose label (before noise)
    /// differs between the two concepts: the double wedge between the old
    /// boundary and the boundary turned by θ = `angle_degrees`. In polar
    /// coordinates the square reaches out to \\(r(\varphi) = 1/\max(\lvert\cos\varphi\rvert, \lvert\sin\varphi\rvert)\\),
    /// so the wedge's area is \\(2\int r(\varphi)^2/2\, d\varphi\\) over the θ
    /// between the two boundaries, in closed form piece by piece
    /// (\\(-\cot\varphi/2\\) where the top or bottom side is nearest,
    /// \\(\tan\varphi/2\\) where a left or right side is), out of a total of 4.
    /// (For a disc it would be θ/180°; in the square it depends on where the
    /// two boundaries fall relative to the corners.)
    ///
    /// ```
    /// use stable_learning::shift::concept::{DriftKind, RotatingStream};
    /// let turn = |angle_degrees| RotatingStream { kind: DriftKind::Sudden, length: 1, change_at: 0,
    ///     angle_degrees, width: 1, period: 1, noise: 0.0 }.label_change_fraction();
    /// assert!((turn(90.0) - 0.5).abs() < 1e-12);  // a quarter turn: half the square
    /// assert!((turn(180.0) - 1.0).abs() < 1e-12); // a half turn: every label
    /// assert!((turn(60.0) - (2.0 - 1.0 / 3f64.sqrt()) / 4.0).abs() < 1e-12); // 0.3557
    /// ```
    pub fn label_change_fraction(&self) -> f64 {
        use std::f64::consts::FRAC_PI_4;
        // The old boundary runs along φ = 90°, the new one along 90° + θ.
        let (a, b) = (
            2.0 * FRAC_PI_4,
            2.0 * FRAC_PI_4 + self.angle_degrees.to_radians(),
        );
        let antiderivative = |phi: f64, top_or_bottom: bool| {
            if top_or_bottom {
                -phi.cos() / phi.sin() / 2.0
            } else {
                phi.tan() / 2.0
            }
        };
        let mut area = 0.0;
        let mut lo = a;
        while lo < b {
            // Pieces end at the next multiple of 45°, where the nearest side changes.
            let hi = (((lo / FRAC_PI_4) + 1e-12).floor() + 1.0) * FRAC_PI_4;
            let hi = hi.min(b);
            let mid = (lo + hi) / 2.0;
            let top_or_bottom = mid.sin().abs() >= mid.cos().abs();
            area += antiderivative(hi, top_or_bottom) - antiderivative(lo, top_or_bottom);
            lo = hi;
        }
        // Two opposite wedges, out of the square's area 4.
        2.0 * area / 4.0
    }

    /// Draws the stream (or an error for bad parameters).
    ///
    /// ```
    /// use rand::{SeedableRng, rngs::StdRng};
    /// use stable_learning::shift::concept::{DriftKind, RotatingStream};
    /// let s = RotatingStream { kind: DriftKind::Sudden, length: 100, change_at: 60,
    ///     angle_degrees: 90.0, width: 1, period: 1, noise: 0.0 };
    /// let samples = s.generate(&mut StdRng::seed_from_u64(1)).unwrap();
    /// assert!(samples[..60].iter().all(|z| z.concept == 0 && z.y == (z.x[0] > 0.0)));
    /// assert!(samples[60..].iter().all(|z| z.concept == 1 && z.y == (z.x[1] > 0.0)));
    /// ```
    pub fn generate(&self, rng: &mut impl Rng) -> Result<Vec<Sample>, Error> {
        self.validate()?;
        Ok((0..self.length)
            .map(|t| {
                let x = [rng.random_range(-1.0..1.0), rng.random_range(-1.0..1.0)];
                let concept = self.concept_at(t, rng.random::<f64>());
                let flip = rng.random::<f64>() < self.noise;
                Sample {
                    x,
                    y: self.label(x, concept) ^ flip,
                    concept,
                }
            })
            .collect())
    }
}

/// The inputs of `samples` as rows.
pub fn inputs(samples: &[Sample]) -> Array2<f64> {
    Array2::from_shape_fn((samples.len(), 2), |(i, j)| samples[i].x[j])
}

/// Fits a logistic regression (L2 penalty 1e-3) to `samples`.
pub fn fit(samples: &[Sample]) -> Result<Logistic, Error> {
    let y: Vec<bool> = samples.iter().map(|s| s.y).collect();
    Logistic::fit(inputs(samples).view(), &y, None, 1e-3)
}

/// How a model is kept up to date on the stream.
#[derive(Debug)]
pub enum Strategy {
    /// Never updated.
    Static,
    /// One stochastic gradient step per sample, with this learning rate.
    Sgd(f64),
    /// Refitted every `every` samples on the last `size` samples.
    Window {
        /// Samples kept.
        size: usize,
        /// Samples between refits.
        every: usize,
    },
    /// Refitted only after the detector, fed the model's errors, says
    /// drift: on the 25, 50, 100 and 200 samples that follow the alarm
    /// (each refit uses all of them). The detector restarts after the last
    /// refit, to watch the new model.
    Triggered(Box<dyn DriftDetector>),
}

impl Strategy {
    /// A name for legends and tables.
    pub fn name(&self) -> String {
        match self {
            Strategy::Static => "static".into(),
            Strategy::Sgd(_) => "SGD".into(),
            Strategy::Window { size, .. } => format!("window {size}"),
            Strategy::Triggered(d) => d.name().into(),
        }
    }
}

/// The samples after an alarm at which a triggered model is refitted.
pub const REFIT_AFTER_ALARM: [usize; 4] = [25, 50, 100, 200];

/// What happened on a stream.
#[derive(Debug, Clone, PartialEq)]
pub struct Trace {
    /// Whether each sample was predicted right (before learning from it).
    pub correct: Vec<bool>,
    /// When the detector fired (triggered strategy only).
    pub detections: Vec<usize>,
}

impl Trace {
    /// The accuracy over samples `from..to`.
    pub fn accuracy(&self, from: usize, to: usize) -> f64 {
        let part = &self.correct[from..to];
        part.iter().filter(|&&c| c).count() as f64 / part.len() as f64
    }

    /// The accuracy in consecutive blocks of `block` samples, as (middle of
    /// block, accuracy) points for a figure.
    pub fn blocks(&self, block: usize) -> Vec<(f64, f64)> {
        (0..self.correct.len() / block)
            .map(|b| {
                (
                    (b * block) as f64 + block as f64 / 2.0,
                    self.accuracy(b * block, (b + 1) * block),
                )
            })
            .collect()
    }
}

/// Prequential ("test, then train") evaluation: a model fitted on `initial`
/// predicts each sample of `stream` first and only then may learn from it,
/// as `strategy` says.
/// A refit that fails (too few samples to fit) keeps the current model; only
/// the initial fit can fail the whole run.
///
/// ```
/// use rand::{SeedableRng, rngs::StdRng};
/// use stable_learning::shift::concept::{DriftKind, RotatingStream, Strategy, prequential};
/// let s = RotatingStream { kind: DriftKind::Sudden, length: 2000, change_at: 1000,
///     angle_degrees: 90.0, width: 1, period: 1, noise: 0.1 };
/// let mut rng = StdRng::seed_from_u64(2);
/// let initial = RotatingStream { kind: DriftKind::None, length: 200, ..s }.generate(&mut rng).unwrap();
/// let stream = s.generate(&mut rng).unwrap();
/// let stat = prequential(&initial, &stream, Strategy::Static).unwrap();
/// let window = prequential(&initial, &stream, Strategy::Window { size: 200, every: 20 }).unwrap();
/// assert!(stat.accuracy(0, 1000) > 0.85 && stat.accuracy(1200, 2000) < 0.6);
/// assert!(window.accuracy(1200, 2000) > 0.85);
/// ```
pub fn prequential(
    initial: &[Sample],
    stream: &[Sample],
    mut strategy: Strategy,
) -> Result<Trace, Error> {
    if initial.is_empty() {
        return Err(Error::Empty("initial training samples"));
    }
    let mut model = fit(initial)?;
    let mut correct = Vec::with_capacity(stream.len());
    let mut detections = Vec::new();
    // For the triggered strategy: the alarm time, while refitting.
    let mut since_alarm: Option<usize> = None;
    for (t, s) in stream.iter().enumerate() {
        let x: Array1<f64> = array![s.x[0], s.x[1]];
        let p = model.probabilities(x.view().insert_axis(ndarray::Axis(0)))[0];
        let hit = (p > 0.5) == s.y;
        correct.push(hit);
        match &mut strategy {
            Strategy::Static => {}
            Strategy::Sgd(lr) => model.sgd_step(x.view(), s.y, *lr),
            Strategy::Window { size, every } => {
                if (t + 1) % *every == 0 {
                    let from = (t + 1).saturating_sub(*size);
                    // A refit on too few samples can fail (one class only,
                    // or separable without a penalty on the bias): keep
                    // the model we have.
                    if let Ok(refit) = fit(&stream[from..=t]) {
                        model = refit;
                    }
                }
            }
            Strategy::Triggered(detector) => match since_alarm {
                None => {
                    if detector.update(if hit { 0.0 } else { 1.0 }) == Status::Drift {
                        detections.push(t);
                        since_alarm = Some(t);
                    }
                }
                Some(alarm) => {
                    let seen = t - alarm;
                    if REFIT_AFTER_ALARM.contains(&seen)
                        && let Ok(refit) = fit(&stream[alarm + 1..=t])
                    {
                        model = refit;
                    }
                    if seen >= *REFIT_AFTER_ALARM.last().expect("not empty") {
                        detector.reset();
                        since_alarm = None;
                    }
                }
            },
        }
    }
    Ok(Trace {
        correct,
        detections,
    })
}

/// Feeds a 0/1 error stream to a detector from a fresh start and returns every
/// time it fired (the detector resets itself after each alarm).
///
/// ```
/// use stable_learning::shift::concept::alarms;
/// use stable_learning::shift::drift::PageHinkley;
/// let errors: Vec<bool> = (0..2000).map(|t| if t < 1000 { t % 10 == 0 } else { t % 2 == 0 }).collect();
/// let fired = alarms(&mut PageHinkley::new(30, 0.005, 50.0).unwrap(), &errors);
/// assert!(!fired.is_empty() && fired[0] > 1000);
/// ```
pub fn alarms(detector: &mut dyn DriftDetector, errors: &[bool]) -> Vec<usize> {
    detector.reset();
    errors
        .iter()
        .enumerate()
        .filter(|&(_, &e)| detector.update(if e { 1.0 } else { 0.0 }) == Status::Drift)
        .map(|(t, _)| t)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{SeedableRng, rngs::StdRng};

    #[test]
    fn label_change_fraction_matches_a_count_of_the_stream() {
        // 200000 points: the standard error of a fraction is at most
        // 0.5/√200000 ≈ 0.0011; allow 0.005 (over 4 standard errors).
        for angle_degrees in [20.0, 60.0, 135.0] {
            let stream = RotatingStream {
                kind: DriftKind::Sudden,
                length: 200_000,
                change_at: 0,
                angle_degrees,
                width: 1,
                period: 1,
                noise: 0.0,
            };
            let samples = stream.generate(&mut StdRng::seed_from_u64(3)).unwrap();
            let changed = samples
                .iter()
                .filter(|s| stream.label(s.x, 0) != stream.label(s.x, 1))
                .count() as f64
                / samples.len() as f64;
            let exact = stream.label_change_fraction();
            assert!(
                (changed - exact).abs() < 0.005,
                "{angle_degrees}°: {changed} vs {exact}"
            );
        }
    }
}
