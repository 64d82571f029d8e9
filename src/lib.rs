//! # Stable Learning — the core library
//!
//! The reusable pieces of the book *Stable Learning*, in layers that mirror
//! the book. Dependencies point one way, down this table: a layer uses only
//! the layers above it, and only `book` prints or writes files.
//!
//! | layer | modules | what it holds |
//! |---|---|---|
//! | [`numeric`] | [`kernels`](numeric::kernels), [`linalg`](numeric::linalg), [`solve`](numeric::solve), [`stats`](numeric::stats), [`alloc`](numeric::alloc) | the fast matrix product and tanh; orthogonal matrices, eigen- and singular values; a linear solver; mean, variance, quantiles, histograms; the allocator that reuses large matrices |
//! | [`nn`] | [`activation`](nn::activation), [`init`](nn::init), [`loss`](nn::loss), [`mlp`](nn::mlp), [`optim`](nn::optim), [`train`](nn::train), [`data`](nn::data) | the network core: φ and φ′, initializers, losses, an MLP that keeps every layer's values and gradients, SGD with clipping, training, the digits |
//! | [`deep`] | [`gradients`](deep::gradients), [`symmetry`](deep::symmetry), [`propagation`](deep::propagation), [`xavier`](deep::xavier), [`he`](deep::he), [`mean_field`](deep::mean_field), [`isometry`](deep::isometry), [`residual`](deep::residual), [`order_chaos`](deep::order_chaos) | Part I, *Training deep networks* (chapters 1–5) |
//! | [`shift`] | [`logistic`](shift::logistic), [`covariate`](shift::covariate), [`label`](shift::label), [`drift`](shift::drift), [`concept`](shift::concept), [`feedback`](shift::feedback), [`bandit`](shift::bandit), [`selective`](shift::selective) | Part II, *Why trained models fail in the world* (chapters 6–9) |
//! | `book` | `figure`, `output`, `runner` | presentation: SVG figures, the examples' command line, atomic file writes (the `book` feature) |
//!
//! [`Error`] is the one error type of every layer, and [`Range`] the one way
//! to state and check a parameter's allowed values (the command line uses it
//! too). The computation core — everything but `book` — builds without
//! plotters, clap or indicatif: `cargo build --lib --no-default-features`.

#![warn(missing_docs)]

mod error;

#[cfg(feature = "figures")]
pub mod book;
pub mod deep;
pub mod nn;
pub mod numeric;
pub mod shift;

/// Freed large matrices are reused ([`numeric::alloc`]), in every program
/// built on the library.
#[global_allocator]
static ALLOCATOR: numeric::alloc::Recycle = numeric::alloc::Recycle;

pub use error::{Error, Range};

/// How a long experiment says how far it has got: it calls the function with
/// (steps done, steps in all) as it goes. The library never draws anything;
/// the examples pass a progress bar (`book::runner::Run::progress_fn`), tests
/// and benches pass [`quiet`].
pub type Progress<'a> = &'a mut dyn FnMut(usize, usize);

/// A [`Progress`] that ignores every report: `experiment(&params, &mut quiet)`.
pub fn quiet(_done: usize, _total: usize) {}

/// The book's chapters, so that `cargo test` compiles and runs their Rust
/// snippets (blocks that `{{#include}}` code from `examples/` or `tests/` are
/// marked `ignore`: that code is compiled and run where it lives).
/// `tests/book.rs` checks that every chapter of `chapters/SUMMARY.md` is listed.
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
    #[doc = include_str!("../chapters/order_chaos.md")]
    pub struct OrderChaos;
    #[doc = include_str!("../chapters/covariate_shift.md")]
    pub struct CovariateShift;
    #[doc = include_str!("../chapters/label_shift.md")]
    pub struct LabelShift;
    #[doc = include_str!("../chapters/concept_shift.md")]
    pub struct ConceptShift;
    #[doc = include_str!("../chapters/feedback.md")]
    pub struct Feedback;
    #[doc = include_str!("../chapters/performance.md")]
    pub struct Performance;
}
