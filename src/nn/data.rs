//! The handwritten-digits data set, shipped with the project.
//!
//! E. Alpaydin, C. Kaynak (1998), *Optical Recognition of Handwritten Digits*,
//! UCI Machine Learning Repository, CC BY 4.0 (see `data/README.md`): 1797 images
//! of 8×8 pixels with values 0..16, labels 0..9. The file is compiled into the
//! library, so examples and tests work from any directory.

use std::io::Read;

use ndarray::{Array2, Axis};
use rand::Rng;
use rand::seq::SliceRandom;

const DIGITS_GZ: &[u8] = include_bytes!("../../data/digits.csv.gz");

/// Images as rows of features and their labels.
#[derive(Debug, Clone, PartialEq)]
pub struct Dataset {
    /// One row per image, 64 pixels scaled to [0, 1].
    pub x: Array2<f64>,
    /// The digit 0..9 of each row.
    pub y: Vec<usize>,
}

/// The number of classes (digits 0..9).
pub const CLASSES: usize = 10;

impl Dataset {
    /// Loads all 1797 digits, pixels divided by 16.
    ///
    /// ```
    /// let d = stable_learning::nn::data::Dataset::digits();
    /// assert_eq!(d.x.dim(), (1797, 64));
    /// assert!(d.x.iter().all(|&p| (0.0..=1.0).contains(&p)));
    /// ```
    pub fn digits() -> Dataset {
        let mut text = String::new();
        flate2::read::GzDecoder::new(DIGITS_GZ)
            .read_to_string(&mut text)
            .expect("the bundled digits file is valid gzip");
        let mut pixels = Vec::with_capacity(1797 * 64);
        let mut y = Vec::with_capacity(1797);
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            let fields: Vec<f64> = line
                .split(',')
                .map(|f| {
                    f.trim()
                        .parse()
                        .expect("the bundled digits file is numeric")
                })
                .collect();
            assert_eq!(fields.len(), 65, "64 pixels and a label per row");
            pixels.extend(fields[..64].iter().map(|p| p / 16.0));
            y.push(fields[64] as usize);
        }
        let x = Array2::from_shape_vec((y.len(), 64), pixels).expect("rows of 64");
        Dataset { x, y }
    }

    /// The number of rows.
    pub fn len(&self) -> usize {
        self.y.len()
    }

    /// True when there are no rows.
    pub fn is_empty(&self) -> bool {
        self.y.is_empty()
    }

    /// The rows at `idx`, in that order.
    pub fn select(&self, idx: &[usize]) -> Dataset {
        Dataset {
            x: self.x.select(Axis(0), idx),
            y: idx.iter().map(|&i| self.y[i]).collect(),
        }
    }

    /// A seeded random split: `test_fraction` of the rows (rounded) go to the
    /// test set, the rest to the training set.
    pub fn split(&self, test_fraction: f64, rng: &mut impl Rng) -> (Dataset, Dataset) {
        let mut idx: Vec<usize> = (0..self.len()).collect();
        idx.shuffle(rng);
        let (_, n_test) = self.split_sizes(test_fraction);
        let (test, train) = idx.split_at(n_test);
        (self.select(train), self.select(test))
    }

    /// The sizes (training, test) of [`Dataset::split`]`(test_fraction, _)`.
    pub fn split_sizes(&self, test_fraction: f64) -> (usize, usize) {
        let n_test = (self.len() as f64 * test_fraction).round() as usize;
        (self.len() - n_test, n_test)
    }

    /// A seeded random batch of `n` rows (at most all of them): the training
    /// side of a split that holds out every other row, so it draws from `rng`
    /// exactly as [`Dataset::split`] does.
    ///
    /// ```
    /// use rand::{SeedableRng, rngs::StdRng};
    /// let batch = stable_learning::nn::data::Dataset::digits().sample(256, &mut StdRng::seed_from_u64(1));
    /// assert_eq!(batch.len(), 256);
    /// ```
    pub fn sample(&self, n: usize, rng: &mut impl Rng) -> Dataset {
        let n = n.min(self.len());
        self.split(1.0 - n as f64 / self.len() as f64, rng).0
    }

    /// The chapters' training/test split of the digits: a quarter of the rows
    /// (449 of the 1797 digits) held out for testing, drawn from `rng`.
    pub fn train_test(&self, rng: &mut impl Rng) -> (Dataset, Dataset) {
        self.split(TEST_FRACTION, rng)
    }
}

/// The fraction of the digits the chapters hold out for testing.
pub const TEST_FRACTION: f64 = 0.25;
