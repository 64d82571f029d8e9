//! Tells the integration tests which target they are built for, so that
//! they build and start the examples for the same target, through the same
//! emulator when there is one (`tests/common/mod.rs`).

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let target = std::env::var("TARGET").expect("cargo sets TARGET for build scripts");
    println!("cargo:rustc-env=STABLE_LEARNING_TARGET={target}");
}
