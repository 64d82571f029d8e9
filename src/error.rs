//! The library's one error type, and the one way to check that a parameter
//! lies in its range (the command line uses the same [`Range`], so a flag and
//! the library function it feeds agree on what is allowed).

use std::fmt;
use std::path::PathBuf;

/// What can go wrong in the library.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Error {
    /// A parameter is outside its range.
    #[error("{name} = {value} is out of range: must be {range}")]
    Parameter {
        /// The parameter's name.
        name: &'static str,
        /// The value given.
        value: f64,
        /// What is allowed.
        range: Range,
    },
    /// Inputs disagree in size or shape.
    #[error("{what}: expected {expected}, got {got}")]
    Size {
        /// Which input.
        what: &'static str,
        /// The size expected.
        expected: usize,
        /// The size given.
        got: usize,
    },
    /// A linear system has no unique solution: for BBSE, the confusion matrix
    /// is singular (some class is never predicted, or two are confused alike);
    /// for Newton's method, the Hessian (use an L2 penalty > 0).
    #[error("{0} is singular")]
    Singular(&'static str),
    /// No data where some is needed.
    #[error("no {0}")]
    Empty(&'static str),
    /// A class that should be sampled has no rows to sample from.
    #[error("class {0} has a positive prior but no rows")]
    MissingClass(usize),
    /// A sample weight is negative, infinite or NaN, or all are zero.
    #[error("sample weight {value} at row {row} (weights must be finite, ≥ 0, not all 0)")]
    Weight {
        /// The row.
        row: usize,
        /// The bad weight.
        value: f64,
    },
    /// A class label is not below the number of classes.
    #[error("label {label} at row {row} is not below the number of classes {classes}")]
    Label {
        /// The row.
        row: usize,
        /// The label.
        label: usize,
        /// The number of classes.
        classes: usize,
    },
    /// A file could not be written (the presentation layer only).
    #[error("cannot write {}: {message}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// What the operating system said.
        message: String,
    },
    /// A mean-field map has no fixed point, or the order-to-chaos boundary
    /// is not where it is looked for.
    #[error("{0}")]
    NoFixedPoint(String),
    /// A live figure was asked for something it does not have: an unknown
    /// figure or control, or a value that does not parse (the presentation
    /// layer only).
    #[error("{0}")]
    Live(String),
    /// plotters failed to draw (the presentation layer only).
    #[error("plotting failed: {0}")]
    Plot(String),
}

/// The values a parameter may take: whole numbers `lo..=hi`, or finite
/// numbers between `lo` and `hi`, each end included or not.
///
/// ```
/// use stable_learning::Range;
/// assert_eq!(Range::whole(1, 1000).to_string(), "a whole number in 1..=1000");
/// assert_eq!(Range::closed(0.01, 100.0).to_string(), "a finite number in [0.01, 100]");
/// assert_eq!(Range::open(0.0, 1.0).to_string(), "a finite number in (0, 1)");
/// assert!(Range::open(0.0, 1.0).check("delta", 0.0).is_err());
/// assert_eq!(Range::closed(0.0, 1.0).check("rho", 1.0), Ok(1.0));
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Range {
    lo: f64,
    hi: f64,
    lo_open: bool,
    hi_open: bool,
    whole: bool,
}

impl Range {
    /// Whole numbers from `lo` to `hi`, both included (`hi = usize::MAX`
    /// means no upper limit).
    pub const fn whole(lo: usize, hi: usize) -> Range {
        Range {
            lo: lo as f64,
            hi: hi as f64,
            lo_open: false,
            hi_open: false,
            whole: true,
        }
    }

    /// Finite numbers in `[lo, hi]` (`hi = f64::INFINITY`: no upper limit).
    pub const fn closed(lo: f64, hi: f64) -> Range {
        Range {
            lo,
            hi,
            lo_open: false,
            hi_open: false,
            whole: false,
        }
    }

    /// Finite numbers in `(lo, hi)`.
    pub const fn open(lo: f64, hi: f64) -> Range {
        Range {
            lo_open: true,
            hi_open: true,
            ..Range::closed(lo, hi)
        }
    }

    /// Finite numbers in `(lo, hi]`.
    pub const fn above(lo: f64, hi: f64) -> Range {
        Range {
            lo_open: true,
            ..Range::closed(lo, hi)
        }
    }

    /// Finite numbers in `[lo, hi)`.
    pub const fn below(lo: f64, hi: f64) -> Range {
        Range {
            hi_open: true,
            ..Range::closed(lo, hi)
        }
    }

    /// The lower end.
    pub const fn lo(&self) -> f64 {
        self.lo
    }

    /// The upper end.
    pub const fn hi(&self) -> f64 {
        self.hi
    }

    /// Whether only whole numbers are allowed.
    pub const fn is_whole(&self) -> bool {
        self.whole
    }

    /// Whether every value `inner` allows, this range allows too.
    pub fn covers(&self, inner: &Range) -> bool {
        let lo_ok = inner.lo > self.lo || (inner.lo == self.lo && (!self.lo_open || inner.lo_open));
        let hi_ok = inner.hi < self.hi || (inner.hi == self.hi && (!self.hi_open || inner.hi_open));
        lo_ok && hi_ok && (inner.whole || !self.whole)
    }

    /// Whether `value` is allowed (NaN and infinities never are).
    pub fn contains(&self, value: f64) -> bool {
        let above_lo = if self.lo_open {
            value > self.lo
        } else {
            value >= self.lo
        };
        let below_hi = if self.hi_open {
            value < self.hi
        } else {
            value <= self.hi
        };
        value.is_finite() && above_lo && below_hi && (!self.whole || value.fract() == 0.0)
    }

    /// `value` if it is allowed, otherwise [`Error::Parameter`] naming `name`.
    pub fn check(&self, name: &'static str, value: f64) -> Result<f64, Error> {
        if self.contains(value) {
            Ok(value)
        } else {
            Err(Error::Parameter {
                name,
                value,
                range: *self,
            })
        }
    }

    /// [`Range::check`] for a whole number.
    pub fn check_whole(&self, name: &'static str, value: usize) -> Result<usize, Error> {
        self.check(name, value as f64).map(|_| value)
    }
}

impl fmt::Display for Range {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.whole {
            let lo = self.lo as usize;
            return if self.hi >= usize::MAX as f64 {
                write!(f, "a whole number ≥ {lo}")
            } else {
                write!(f, "a whole number in {lo}..={}", self.hi as usize)
            };
        }
        if self.hi == f64::INFINITY {
            let op = if self.lo_open { ">" } else { "≥" };
            return write!(f, "a finite number {op} {}", self.lo);
        }
        let (open, close) = (
            if self.lo_open { '(' } else { '[' },
            if self.hi_open { ')' } else { ']' },
        );
        write!(
            f,
            "a finite number in {open}{}, {}{close}",
            self.lo, self.hi
        )
    }
}
