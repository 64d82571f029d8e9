//! The benches live in this package's `core.rs` (criterion) and
//! `numpy_compare.rs` (the Rust side of `numpy_reference.py`); this library
//! target is empty.
