//! Numerical faults are results: runs that overflow or underflow f64 finish,
//! report how many layers blew up, and draw figures with finite axes and a
//! visible note. One extreme run per chapter that can produce them.

mod common;

use std::path::Path;

use common::{example_command, temp_dir};
use stable_learning::numeric::stats::Faults;

/// The typed [`Faults`] at `path` inside an example's results. (A run that
/// overflows has inf and NaN in its other fields, written as strings,
/// so the tests read only the fault counts, not the whole result struct.)
fn faults_at(results: &serde_json::Value, path: &str) -> Faults {
    let value = results
        .pointer(path)
        .unwrap_or_else(|| panic!("no faults at {path}: {results}"));
    serde_json::from_value(value.clone()).expect("a Faults value")
}

/// Runs an example with --json into `out`, returning (results, stderr).
fn run(example: &str, args: &[&str], out: &Path) -> (serde_json::Value, String) {
    let mut all = vec!["--json", "--out", out.to_str().unwrap()];
    all.extend_from_slice(args);
    let output = example_command(example).args(&all).output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(
        output.status.success(),
        "{example} {args:?} failed:\n{stderr}"
    );
    let doc: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    (doc["results"].clone(), stderr)
}

/// The figure has finite axes (no tick label is inf or NaN) and shows `note`.
fn assert_readable(svg: &Path, note: &str) {
    let text = std::fs::read_to_string(svg).unwrap();
    for bad in [">NaN<", ">inf<", ">-inf<"] {
        assert!(
            !text.contains(bad),
            "{}: an axis label reads {bad}",
            svg.display()
        );
    }
    assert!(
        text.contains(note),
        "{}: no visible note containing '{note}'",
        svg.display()
    );
}

#[test]
fn gradients_scaled_far_up_and_very_deep() {
    let out = temp_dir("faults-gradients");
    let (r, stderr) = run(
        "gradients",
        &[
            "--scale", "100", "--depth", "1000", "--trials", "5", "--seeds", "2",
        ],
        &out,
    );
    // The six runs, in order: sigmoid, tanh, ReLU, each default then scaled.
    let runs = r["deep_mlp_at_init"]["runs"].as_array().expect("runs");
    let at = |act: &str, scaled: bool| {
        let i = runs
            .iter()
            .position(|run| run["activation"] == act && run["scaled"] == scaled)
            .unwrap_or_else(|| panic!("no {act} run (scaled: {scaled})"));
        faults_at(&r, &format!("/deep_mlp_at_init/runs/{i}/faults"))
    };
    assert!(at("relu", true).overflowed > 0, "{r}");
    assert!(at("sigmoid", false).vanished > 0, "{r}");
    assert!(stderr.contains("numerical fault: relu"), "{stderr}");
    assert_readable(&out.join("deep_mlp.svg"), "overflowed (inf/NaN)");
    assert_readable(&out.join("deep_mlp.svg"), "not shown");
}

#[test]
fn xavier_with_weights_that_overflow() {
    let out = temp_dir("faults-xavier");
    let args = [
        "--activation",
        "relu",
        "--init",
        "normal:10",
        "--depth",
        "100",
        "--width",
        "100",
        "--epochs",
        "1",
        "--train-width",
        "16",
        "--seeds",
        "1",
    ];
    let (r, stderr) = run("xavier", &args, &out);
    assert!(
        faults_at(&r, "/glorot_at_init/chosen/faults").overflowed > 0,
        "{r}"
    );
    assert!(stderr.contains("numerical fault"), "{stderr}");
    for f in [
        "activations.svg",
        "backprop_gradients.svg",
        "weight_gradients.svg",
    ] {
        assert_readable(&out.join(f), "layer 100");
    }
}

#[test]
fn he_overflow_divergence_and_underflow() {
    let out = temp_dir("faults-he");
    let args = [
        "--init",
        "normal:10",
        "--depth",
        "100",
        "--epochs",
        "1",
        "--train-width",
        "16",
        "--deep-depth",
        "20000",
        "--deep-width",
        "8",
        "--seeds",
        "2",
    ];
    let (r, stderr) = run("he", &args, &out);
    assert!(
        faults_at(&r, "/variance_per_layer/compared/faults").overflowed > 0,
        "{r}"
    );
    assert!(stderr.contains("training diverged"), "{stderr}");
    assert!(stderr.contains("exactly 0 (underflow)"), "{stderr}");
    assert_readable(&out.join("variance.svg"), "overflowed (inf/NaN)");
    assert_readable(&out.join("very_deep.svg"), "exactly 0 (underflow)");
    assert_readable(&out.join("training.svg"), "training diverged");
}
