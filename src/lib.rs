//! # Stable Learning — the core library
//!
//! The reusable pieces of the book *Stable Learning*; each module is named
//! after an idea a chapter teaches, and each chapter's example
//! (`examples/NAME.rs`) reads top to bottom as the experiment.
//!
//! | module | what it holds | chapter |
//! |---|---|---|
//! | [`activation`] | φ and φ' for identity, sigmoid, tanh, ReLU, leaky ReLU | all |
//! | [`init`] | constant, normal, uniform, Xavier, He, PyTorch's `nn.Linear` default | initialization |
//! | [`mlp`] | an MLP that keeps every layer's values and gradients | all |
//! | [`loss`] | MSE, softmax cross-entropy | all |
//! | [`optim`] | SGD with gradient-norm clipping | vanishing and exploding gradients |
//! | [`gradients`] | measuring how gradients grow and shrink with depth | vanishing and exploding gradients |
//! | [`linalg`] | random orthogonal matrices, symmetric eigenvalues, singular values | initialization |
//! | [`propagation`] | signals and gradients layer by layer at initialization, Jacobians, very deep stacks | initialization |
//! | [`symmetry`] | are hidden units copies of each other? | breaking the symmetry |
//! | [`train`] | minibatch SGD on a classifier, with learning curves | initialization |
//! | [`logistic`] | logistic and softmax regression with sample weights | distribution shift |
//! | [`solve`] | solving a linear system by Gaussian elimination | distribution shift |
//! | [`shift`] | covariate, label and concept shift: weights, BBSE, EM, drift detectors | distribution shift |
//! | [`stats`] | mean, variance, quantiles, histograms | all |
//! | [`data`] | the handwritten digits | all |
//! | [`figure`] | SVG figures with one look, written atomically | all |
//! | [`runner`] | the command line every example shares | all |

pub mod activation;
pub mod data;
pub mod figure;
pub mod gradients;
pub mod init;
pub mod linalg;
pub mod logistic;
pub mod loss;
pub mod mlp;
pub mod optim;
pub mod propagation;
pub mod runner;
pub mod shift;
pub mod solve;
pub mod stats;
pub mod symmetry;
pub mod train;

/// What can go wrong in the library.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum Error {
    /// A file could not be written.
    #[error("{0}")]
    Io(String),
    /// plotters failed to draw.
    #[error("plotting failed: {0}")]
    Plot(String),
}

/// The book's chapters, so that `cargo test` compiles and runs their Rust
/// snippets (blocks that `{{#include}}` code from `examples/` or `tests/` are
/// marked `ignore`: that code is compiled and run where it lives).
#[cfg(doctest)]
pub mod chapters {
    #[doc = include_str!("../chapters/introduction.md")]
    pub struct Introduction;
    #[doc = include_str!("../chapters/gradients.md")]
    pub struct Gradients;
    #[doc = include_str!("../chapters/symmetry.md")]
    pub struct Symmetry;
    #[doc = include_str!("../chapters/xavier.md")]
    pub struct Xavier;
    #[doc = include_str!("../chapters/he.md")]
    pub struct He;
    #[doc = include_str!("../chapters/covariate_shift.md")]
    pub struct CovariateShift;
    #[doc = include_str!("../chapters/label_shift.md")]
    pub struct LabelShift;
    #[doc = include_str!("../chapters/concept_shift.md")]
    pub struct ConceptShift;
    #[doc = include_str!("../chapters/performance.md")]
    pub struct Performance;
}
