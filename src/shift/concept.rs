//! Concept shift: the rule itself changes. The same input means something
//! else than it did — "soda" in one region is "pop" in the next, and a
//! model trained on one region is simply wrong in the other.
//!
//! Our stream: points x uniform in the square [−1, 1]², labelled by
//! which side of a line through the origin they fall on, the line's normal
//! at angle θ, with a fraction of labels flipped at random (noise):
//! y = [cos θ · x₁ + sin θ · x₂ > 0]. Concept shift turns the
//! line: p(x) never changes, p(y | x) does. No importance weight
//! can fix that; a model has to notice and relearn ([`super::drift`]).

use ndarray::{Array1, Array2, array};
use rand::{Rng, RngExt};
use serde::{Deserialize, Serialize};

use super::drift::{Adwin, Ddm, DriftDetector, PageHinkley, Status};
use crate::numeric::math;
use crate::numeric::random::{repeat, repeat_counted, stream};
use crate::numeric::stats::{Spread, mean, quantile};
use crate::shift::logistic::Logistic;
use crate::{Error, Progress, Range};

/// How the concept changes over the stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
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
        math::cos(theta) * x[0] + math::sin(theta) * x[1] > 0.0
    }

    /// The fraction of the square [−1, 1]² whose label (before noise)
    /// differs between the two concepts: the double wedge between the old
    /// boundary and the boundary turned by θ = `angle_degrees`. In polar
    /// coordinates the square reaches out to r(φ) = 1/max(|cos φ|, |sin φ|),
    /// so the wedge's area is 2 ∫ r(φ)²/2 dφ over the θ
    /// between the two boundaries, in closed form piece by piece
    /// (−cot φ/2 where the top or bottom side is nearest,
    /// tan φ/2 where a left or right side is), out of a total of 4.
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
                -math::cos(phi) / math::sin(phi) / 2.0
            } else {
                math::tan(phi) / 2.0
            }
        };
        let mut area = 0.0;
        let mut lo = a;
        while lo < b {
            // Pieces end at the next multiple of 45°, where the nearest side changes.
            let hi = (((lo / FRAC_PI_4) + 1e-12).floor() + 1.0) * FRAC_PI_4;
            let hi = hi.min(b);
            let mid = (lo + hi) / 2.0;
            let top_or_bottom = math::sin(mid).abs() >= math::cos(mid).abs();
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

// The chapter's experiments.

/// The parameters of the chapter's experiments, [`strategy_comparison`] and
/// [`detection_delays`]; `Default` gives the book's.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConceptShiftParams {
    /// Samples in each stream of [`strategy_comparison`].
    pub length: usize,
    /// Where the change starts, as a fraction of the stream.
    pub change_at: f64,
    /// Angle in degrees between the old and the new decision boundary.
    pub angle: f64,
    /// Probability that a label is flipped.
    pub noise: f64,
    /// Samples over which a gradual change completes.
    pub width: usize,
    /// Samples between switches of a recurring change.
    pub period: usize,
    /// Samples the initial model is trained on.
    pub initial: usize,
    /// Learning rate of the continually updated (SGD) model.
    pub lr: f64,
    /// Samples the sliding-window model is refitted on.
    pub window: usize,
    /// Samples between refits of the sliding-window model.
    pub every: usize,
    /// DDM: drift level in standard deviations (warning at the smaller of 2
    /// and this).
    pub ddm_drift: f64,
    /// Page–Hinkley: tolerated change δ.
    pub ph_delta: f64,
    /// Page–Hinkley: threshold λ.
    pub ph_lambda: f64,
    /// ADWIN: confidence δ.
    pub adwin_delta: f64,
    /// Samples per point of the accuracy-over-time curves.
    pub block: usize,
    /// Streams behind [`detection_delays`].
    pub trials: usize,
    /// Streams of each kind behind [`strategy_comparison`]'s table.
    pub seeds: usize,
}

impl Default for ConceptShiftParams {
    fn default() -> Self {
        ConceptShiftParams {
            length: 6000,
            change_at: 0.25,
            angle: 60.0,
            noise: 0.1,
            width: 1000,
            period: 1000,
            initial: 200,
            lr: 0.05,
            window: 300,
            every: 25,
            ddm_drift: 3.0,
            ph_delta: 0.005,
            ph_lambda: 50.0,
            adwin_delta: 0.002,
            block: 100,
            trials: 100,
            seeds: 20,
        }
    }
}

impl ConceptShiftParams {
    /// Allowed stream lengths.
    pub const LENGTH: Range = Range::whole(500, 1_000_000);
    /// Allowed starts of the change, as a fraction of the stream.
    pub const CHANGE_AT: Range = Range::closed(0.05, 0.95);
    /// Allowed angles in degrees.
    pub const ANGLE: Range = Range::closed(0.0, 180.0);
    /// Allowed probabilities of a flipped label.
    pub const NOISE: Range = Range::closed(0.0, 0.45);
    /// Allowed lengths of a gradual change.
    pub const WIDTH: Range = Range::whole(1, 100_000);
    /// Allowed periods of a recurring change.
    pub const PERIOD: Range = Range::whole(1, 100_000);
    /// Allowed sizes of the initial training set.
    pub const INITIAL: Range = Range::whole(10, 10_000);
    /// Allowed learning rates of the SGD model.
    pub const LR: Range = Range::closed(1e-4, 10.0);
    /// Allowed sizes of the sliding window.
    pub const WINDOW: Range = Range::whole(10, 100_000);
    /// Allowed numbers of samples between the window's refits.
    pub const EVERY: Range = Range::whole(1, 10_000);
    /// Allowed DDM drift levels, in standard deviations.
    pub const DDM_DRIFT: Range = Range::closed(0.5, 10.0);
    /// Allowed Page–Hinkley tolerances δ.
    pub const PH_DELTA: Range = Range::closed(0.0, 1.0);
    /// Allowed Page–Hinkley thresholds λ.
    pub const PH_LAMBDA: Range = Range::closed(0.1, 10_000.0);
    /// Allowed ADWIN confidences δ.
    pub const ADWIN_DELTA: Range = Range::closed(1e-9, 0.5);
    /// Allowed samples per point of the accuracy curves.
    pub const BLOCK: Range = Range::whole(10, 10_000);
    /// Allowed numbers of streams behind [`detection_delays`].
    pub const TRIALS: Range = Range::whole(1, 10_000);
    /// Allowed numbers of streams behind [`strategy_comparison`].
    pub const SEEDS: Range = Range::whole(1, 1000);

    /// Checks every parameter against its range ([`Error::Parameter`] names
    /// the first one out of range).
    pub fn check(&self) -> Result<(), Error> {
        Self::LENGTH.check_whole("length", self.length)?;
        Self::CHANGE_AT.check("change_at", self.change_at)?;
        Self::ANGLE.check("angle", self.angle)?;
        Self::NOISE.check("noise", self.noise)?;
        Self::WIDTH.check_whole("width", self.width)?;
        Self::PERIOD.check_whole("period", self.period)?;
        Self::INITIAL.check_whole("initial", self.initial)?;
        Self::LR.check("lr", self.lr)?;
        Self::WINDOW.check_whole("window", self.window)?;
        Self::EVERY.check_whole("every", self.every)?;
        Self::DDM_DRIFT.check("ddm_drift", self.ddm_drift)?;
        Self::PH_DELTA.check("ph_delta", self.ph_delta)?;
        Self::PH_LAMBDA.check("ph_lambda", self.ph_lambda)?;
        Self::ADWIN_DELTA.check("adwin_delta", self.adwin_delta)?;
        Self::BLOCK.check_whole("block", self.block)?;
        Self::TRIALS.check_whole("trials", self.trials)?;
        Self::SEEDS.check_whole("seeds", self.seeds)?;
        Ok(())
    }

    /// The sample at which the change starts in a stream of `length`.
    pub fn change_sample(&self) -> usize {
        (self.length as f64 * self.change_at).round() as usize
    }

    /// A stream with these parameters' angle, width, period and noise.
    pub fn stream(&self, kind: DriftKind, length: usize, change_at: usize) -> RotatingStream {
        RotatingStream {
            kind,
            length,
            change_at,
            angle_degrees: self.angle,
            width: self.width,
            period: self.period,
            noise: self.noise,
        }
    }
}

// ANCHOR: detectors
/// The chapter's three drift detectors, fresh: DDM, Page–Hinkley and ADWIN.
pub fn detectors(params: &ConceptShiftParams) -> Vec<Box<dyn DriftDetector>> {
    let p = params;
    vec![
        Box::new(Ddm::new(30, p.ddm_drift.min(2.0), p.ddm_drift).expect("valid DDM")),
        Box::new(PageHinkley::new(30, p.ph_delta, p.ph_lambda).expect("valid Page–Hinkley")),
        Box::new(Adwin::new(p.adwin_delta, 5).expect("valid ADWIN")),
    ]
}
// ANCHOR_END: detectors

/// One strategy on one stream of [`strategy_comparison`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StrategyRun {
    /// The strategy's name ([`Strategy::name`]).
    pub strategy: String,
    /// The accuracy from the start of the change to the end of the stream,
    /// over the streams (one per seed).
    pub accuracy_after: Spread,
    /// On the first stream (the one the figure shows): the accuracy in
    /// consecutive blocks of `block` samples, as (middle of block, accuracy)
    /// points ([`Trace::blocks`]).
    pub blocks: Vec<(f64, f64)>,
    /// On the first stream: when its detector fired (triggered strategies;
    /// empty otherwise).
    pub detections: Vec<usize>,
}

/// Every strategy on one kind of drift.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DriftRuns {
    /// The kind of drift.
    pub kind: DriftKind,
    /// Static, SGD, window, then one triggered model per detector.
    pub runs: Vec<StrategyRun>,
}

/// What [`strategy_comparison`] found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StrategyComparison {
    /// The sample at which the change starts.
    pub change_at: usize,
    /// Sudden, gradual and recurring drift.
    pub kinds: Vec<DriftRuns>,
    /// The share of the square whose (noise-free) label the turn changes
    /// ([`RotatingStream::label_change_fraction`]).
    pub label_change_fraction: f64,
    /// The best accuracy any model can expect when a fraction `noise` of the
    /// labels is flipped at random, 1 − noise.
    pub accuracy_ceiling: f64,
}

impl StrategyComparison {
    /// The run of the strategy named `strategy` on drift of kind `kind`.
    pub fn run(&self, kind: DriftKind, strategy: &str) -> Option<&StrategyRun> {
        let runs = &self.kinds.iter().find(|k| k.kind == kind)?.runs;
        runs.iter().find(|r| r.strategy == strategy)
    }
}

// ANCHOR: strategy_comparison
/// The chapter's strategies on streams whose concept turns suddenly,
/// gradually and back and forth: for each kind, a model fitted on `initial`
/// samples of the old concept meets a stream of `length` samples, and is
/// kept static, updated by SGD, refitted on a sliding window, or refitted
/// when one of the [`detectors`] fires, all evaluated prequentially.
/// Repeated on `seeds` sets of streams in parallel: repetition r draws its
/// streams from `stream(seed, "strategy_comparison", r)`; the accuracy
/// curves and alarms kept are those of repetition 0.
pub fn strategy_comparison(
    params: &ConceptShiftParams,
    seed: u64,
    progress: Progress,
) -> Result<StrategyComparison, Error> {
    params.check()?;
    let p = params;
    let change_at = p.change_sample();
    let kinds = [DriftKind::Sudden, DriftKind::Gradual, DriftKind::Recurring];
    let strategies = || {
        let mut all = vec![
            Strategy::Static,
            Strategy::Sgd(p.lr),
            Strategy::Window {
                size: p.window,
                every: p.every,
            },
        ];
        all.extend(detectors(p).into_iter().map(Strategy::Triggered));
        all
    };
    let per_kind = strategies().len();
    let total = p.seeds * kinds.len() * per_kind;
    // For each repetition, kind and strategy: its trace on that stream.
    let traces = repeat_counted(p.seeds, total, progress, |r, step| {
        let rng = &mut stream(seed, "strategy_comparison", r as u64);
        kinds
            .iter()
            .map(|&kind| {
                let initial = p.stream(DriftKind::None, p.initial, 0).generate(rng)?;
                let drifting = p.stream(kind, p.length, change_at).generate(rng)?;
                strategies()
                    .into_iter()
                    .map(|strategy| {
                        let name = strategy.name();
                        let trace = prequential(&initial, &drifting, strategy);
                        step();
                        trace.map(|t| (name, t))
                    })
                    .collect::<Result<Vec<_>, Error>>()
            })
            .collect::<Result<Vec<_>, Error>>()
    })
    .into_iter()
    .collect::<Result<Vec<_>, Error>>()?;
    let by_kind = kinds
        .iter()
        .enumerate()
        .map(|(k, &kind)| {
            let runs = (0..per_kind)
                .map(|s| {
                    let (name, first) = &traces[0][k][s];
                    let accuracies = traces
                        .iter()
                        .map(|rep| rep[k][s].1.accuracy(change_at, p.length));
                    StrategyRun {
                        strategy: name.clone(),
                        accuracy_after: Spread::of(accuracies.collect()),
                        blocks: first.blocks(p.block),
                        detections: first.detections.clone(),
                    }
                })
                .collect();
            DriftRuns { kind, runs }
        })
        .collect();
    Ok(StrategyComparison {
        change_at,
        kinds: by_kind,
        label_change_fraction: p.stream(DriftKind::Sudden, 1, 0).label_change_fraction(),
        accuracy_ceiling: 1.0 - p.noise,
    })
}
// ANCHOR_END: strategy_comparison

/// One detector in [`detection_delays`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DetectorDelays {
    /// The detector's name ([`DriftDetector::name`]).
    pub detector: String,
    /// Samples from the change to the first alarm after it, on each stream
    /// where it fired after the change.
    pub delays: Vec<f64>,
    /// The median delay (None if it never fired after a change).
    pub median_delay: Option<f64>,
    /// The 90% quantile of the delays (None if it never fired after a change).
    pub delay_q90: Option<f64>,
    /// Changing streams on which it never fired after the change.
    pub missed: usize,
    /// For each missed change, how many samples before the change its last
    /// alarm came (None: no alarm before it either).
    pub missed_last_alarm_before_change: Vec<Option<usize>>,
    /// Alarms before the change, on all changing streams.
    pub alarms_before_change: usize,
    /// Alarms on the streams that never change.
    pub stationary_alarms: usize,
    /// Of those, the ones less than 100 samples after a start or restart.
    pub stationary_alarms_within_100_of_restart: usize,
    /// False alarms per 1000 samples before the change.
    pub false_alarms_per_1000_before: f64,
    /// False alarms per 1000 samples on the streams that never change.
    pub false_alarms_per_1000_stationary: f64,
}

/// What [`detection_delays`] found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DetectionDelays {
    /// Samples before the sudden change.
    pub before: usize,
    /// Samples after it.
    pub after: usize,
    /// The static model's error rate before the change, mean over streams.
    pub error_rate_before: f64,
    /// Its error rate after the change, mean over streams.
    pub error_rate_after: f64,
    /// DDM, Page–Hinkley and ADWIN.
    pub detectors: Vec<DetectorDelays>,
}

/// The static model's errors (true = mistake) on one pair of streams: a
/// model fitted on `initial` samples of the old concept, then a stream that
/// changes suddenly after `pre` samples and one that never changes, both
/// `pre + post` samples long.
fn error_streams(
    p: &ConceptShiftParams,
    pre: usize,
    post: usize,
    rng: &mut impl Rng,
) -> Result<(Vec<bool>, Vec<bool>), Error> {
    let initial = p.stream(DriftKind::None, p.initial, 0).generate(rng)?;
    let model = fit(&initial)?;
    let errors_on = |s: &[Sample]| -> Vec<bool> {
        let probabilities = model.probabilities(inputs(s).view());
        let predicted = probabilities.iter().map(|&q| q > 0.5);
        s.iter().zip(predicted).map(|(s, y)| y != s.y).collect()
    };
    let drifting = errors_on(&p.stream(DriftKind::Sudden, pre + post, pre).generate(rng)?);
    let steady = errors_on(&p.stream(DriftKind::None, pre + post, 0).generate(rng)?);
    Ok((drifting, steady))
}

// ANCHOR: detection_delays
/// Delays and false alarms of the [`detectors`]: on each of `trials` pairs
/// of streams, a model fitted on `initial` samples of the old concept makes
/// errors (1 = mistake) on a stream that changes suddenly after 1000
/// samples and on one that never changes (3000 samples each); the errors
/// feed each detector. Delay: samples from the change to the first alarm
/// after it. False alarms: alarms before the change, and on the unchanging
/// streams.
pub fn detection_delays(
    params: &ConceptShiftParams,
    rng: &mut impl Rng,
    progress: Progress,
) -> Result<DetectionDelays, Error> {
    params.check()?;
    let p = params;
    let (pre, post) = (1000, 2000);
    let n = detectors(p).len();
    let (mut delays, mut missed_after) = (vec![Vec::new(); n], vec![Vec::new(); n]);
    let (mut early, mut stationary) = (vec![0; n], vec![0; n]);
    // How long after the detector's (re)start each false alarm on an
    // unchanging stream came.
    let mut since_restart: Vec<Vec<usize>> = vec![Vec::new(); n];
    let (mut rates_before, mut rates_after) = (Vec::new(), Vec::new());
    for trial in 0..p.trials {
        let (drifting, steady) = error_streams(p, pre, post, rng)?;
        let rate = |e: &[bool]| e.iter().filter(|&&e| e).count() as f64 / e.len() as f64;
        rates_before.push(rate(&drifting[..pre]));
        rates_after.push(rate(&drifting[pre..]));
        for (d, mut detector) in detectors(p).into_iter().enumerate() {
            let fired = alarms(detector.as_mut(), &drifting);
            early[d] += fired.iter().filter(|&&t| t < pre).count();
            match fired.iter().find(|&&t| t >= pre) {
                Some(&t) => delays[d].push((t - pre) as f64),
                None => {
                    let last = fired.iter().rev().find(|&&t| t < pre);
                    missed_after[d].push(last.map(|&t| pre - t));
                }
            }
            let fired = alarms(detector.as_mut(), &steady);
            stationary[d] += fired.len();
            // After an alarm the detector restarts with the next sample.
            let starts = std::iter::once(0).chain(fired.iter().map(|&t| t + 1));
            since_restart[d].extend(fired.iter().zip(starts).map(|(&t, s)| t - s));
        }
        progress(trial + 1, p.trials);
    }
    let per_1000 = |alarms: usize, samples: usize| 1000.0 * alarms as f64 / samples as f64;
    let quantile_of = |v: &[f64], q: f64| (!v.is_empty()).then(|| quantile(v, q));
    let detectors = detectors(p).into_iter().enumerate().map(|(d, detector)| {
        let (delays, missed_after) = (delays[d].clone(), missed_after[d].clone());
        DetectorDelays {
            detector: detector.name().to_string(),
            median_delay: quantile_of(&delays, 0.5),
            delay_q90: quantile_of(&delays, 0.9),
            delays,
            missed: missed_after.len(),
            missed_last_alarm_before_change: missed_after,
            alarms_before_change: early[d],
            stationary_alarms: stationary[d],
            stationary_alarms_within_100_of_restart: since_restart[d]
                .iter()
                .filter(|&&s| s < 100)
                .count(),
            false_alarms_per_1000_before: per_1000(early[d], p.trials * pre),
            false_alarms_per_1000_stationary: per_1000(stationary[d], p.trials * (pre + post)),
        }
    });
    Ok(DetectionDelays {
        before: pre,
        after: post,
        error_rate_before: mean(&rates_before),
        error_rate_after: mean(&rates_after),
        detectors: detectors.collect(),
    })
}
// ANCHOR_END: detection_delays

/// One setting of one detector in [`operating_points`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OperatingPoint {
    /// The detector's name ([`DriftDetector::name`]).
    pub detector: String,
    /// Its sensitivity setting: DDM's drift level (in standard deviations),
    /// Page–Hinkley's threshold λ, or ADWIN's confidence δ.
    pub setting: f64,
    /// False alarms per 1000 samples on the streams that never change.
    pub false_alarms_per_1000: f64,
    /// The median delay on the changing streams where it fired after the
    /// change (None if it never did).
    pub median_delay: Option<f64>,
    /// Changing streams on which it never fired after the change.
    pub missed: usize,
}

/// What [`operating_points`] found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OperatingPoints {
    /// Pairs of streams (one changing, one not) every setting watched.
    pub streams: usize,
    /// Every detector at every setting, DDM's first, then Page–Hinkley's,
    /// then ADWIN's, each from the most to the least sensitive.
    pub points: Vec<OperatingPoint>,
}

/// DDM's drift levels, Page–Hinkley's thresholds and ADWIN's confidences
/// that [`operating_points`] tries, from the most to the least sensitive.
pub const DDM_LEVELS: [f64; 7] = [2.5, 3.0, 3.5, 4.0, 4.5, 5.0, 6.0];
/// See [`DDM_LEVELS`].
pub const PH_THRESHOLDS: [f64; 7] = [10.0, 20.0, 30.0, 50.0, 75.0, 100.0, 150.0];
/// See [`DDM_LEVELS`].
pub const ADWIN_DELTAS: [f64; 7] = [0.3, 0.1, 0.03, 0.01, 0.002, 1e-4, 1e-6];

// ANCHOR: operating_points
/// The detectors compared at matched operating points: each one's delay
/// and false-alarm rate as its sensitivity setting varies ([`DDM_LEVELS`],
/// [`PH_THRESHOLDS`], [`ADWIN_DELTAS`]), every setting on the same `trials`
/// pairs of error streams, drawn as [`detection_delays`] draws them (a
/// sudden change after 1000 samples, and no change, 3000 samples each). A detector is faster than
/// another only if it is faster at the same false-alarm rate.
pub fn operating_points(
    params: &ConceptShiftParams,
    rng: &mut impl Rng,
    progress: Progress,
) -> Result<OperatingPoints, Error> {
    params.check()?;
    let p = params;
    let (pre, post) = (1000, 2000);
    let mut pairs = Vec::with_capacity(p.trials);
    for _ in 0..p.trials {
        let (drifting, steady) = error_streams(p, pre, post, rng)?;
        pairs.push((drifting, steady));
        progress(pairs.len(), p.trials);
    }
    // Each setting as parameters for [`detectors`], and which of the three
    // detectors it is.
    let settings = DDM_LEVELS
        .iter()
        .map(|&v| {
            (
                0,
                ConceptShiftParams {
                    ddm_drift: v,
                    ..p.clone()
                },
            )
        })
        .chain(PH_THRESHOLDS.iter().map(|&v| {
            (
                1,
                ConceptShiftParams {
                    ph_lambda: v,
                    ..p.clone()
                },
            )
        }))
        .chain(ADWIN_DELTAS.iter().map(|&v| {
            (
                2,
                ConceptShiftParams {
                    adwin_delta: v,
                    ..p.clone()
                },
            )
        }));
    let settings: Vec<(usize, ConceptShiftParams)> = settings.collect();
    // The settings are independent of each other: run them on every core
    // (the results do not depend on the number of threads).
    let points = repeat(settings.len(), |i| {
        let (which, q) = &settings[i];
        let mut detector = detectors(q).swap_remove(*which);
        let (mut delays, mut missed, mut false_alarms) = (Vec::new(), 0, 0);
        for (drifting, steady) in &pairs {
            let fired = alarms(detector.as_mut(), drifting);
            match fired.iter().find(|&&t| t >= pre) {
                Some(&t) => delays.push((t - pre) as f64),
                None => missed += 1,
            }
            false_alarms += alarms(detector.as_mut(), steady).len();
        }
        OperatingPoint {
            detector: detector.name().to_string(),
            setting: [q.ddm_drift, q.ph_lambda, q.adwin_delta][*which],
            false_alarms_per_1000: 1000.0 * false_alarms as f64 / (p.trials * (pre + post)) as f64,
            median_delay: (!delays.is_empty()).then(|| quantile(&delays, 0.5)),
            missed,
        }
    });
    Ok(OperatingPoints {
        streams: p.trials,
        points,
    })
}
// ANCHOR_END: operating_points

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{SeedableRng, rngs::StdRng};

    #[test]
    fn out_of_range_parameters_are_refused_before_any_work() {
        let params = ConceptShiftParams {
            noise: 0.5,
            ..ConceptShiftParams::default()
        };
        let rng = &mut StdRng::seed_from_u64(0);
        let err = strategy_comparison(&params, 0, &mut crate::quiet).unwrap_err();
        assert!(
            matches!(err, Error::Parameter { name: "noise", .. }),
            "{err}"
        );
        assert!(err.to_string().contains("[0, 0.45]"), "{err}");
        let params = ConceptShiftParams {
            trials: 0,
            ..ConceptShiftParams::default()
        };
        let err = detection_delays(&params, rng, &mut crate::quiet).unwrap_err();
        assert!(
            matches!(err, Error::Parameter { name: "trials", .. }),
            "{err}"
        );
        assert_eq!(ConceptShiftParams::default().check(), Ok(()));
    }

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
