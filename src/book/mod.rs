//! The presentation layer: figures (plotters, SVG), the command line every
//! example shares (clap, progress bars), and where and how files are written.
//!
//! Only this layer prints or touches files, and nothing else in the library
//! depends on it: the computation core ([`crate::numeric`], [`crate::nn`],
//! [`crate::deep`], [`crate::shift`]) builds without it
//! (`cargo build --lib --no-default-features`), for tests, benches and the
//! browser alike. It is the `book` feature, on by default.

pub mod figure;
pub mod json;
pub mod live;
pub mod output;
#[cfg(feature = "book")]
pub mod runner;
pub mod table;
