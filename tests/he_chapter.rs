//! Chapter "He initialization": the example's measurements against theory
//! and against the numbers in the prose.

mod common;

use common::{assert_mentions, chapter, example_json, temp_dir, tex_sci};
use stable_learning::deep::gradients::gaussian_product_growth_rate;

#[test]
fn he_example_matches_theory_and_prose() {
    let out = temp_dir("he-chapter");
    let doc = example_json("he", &[], &out);
    let r = &doc["results"];
    let num = |k: &str| {
        r[k].as_f64()
            .unwrap_or_else(|| panic!("result {k} missing"))
    };
    let text = chapter("he.md");

    // Xavier + ReLU halves the variance per layer, He keeps it. Over 29
    // layers of 256 units the per-layer geometric mean of the ratio has a
    // relative spread of about √(2/256)/√29 ≈ 1.6% from the weights alone
    // (more from the batch); allow 8%.
    let (xavier, he) = (num("var_per_layer_compared"), num("var_per_layer_he"));
    assert!((xavier - 0.5).abs() < 0.04, "{xavier}");
    assert!((he - 1.0).abs() < 0.08, "{he}");
    // "within a factor of about 2" over the 29 layers.
    let overall = num("var_ratio_he");
    assert!((1.0 / 3.0..3.0).contains(&overall), "{overall}");
    assert_mentions(
        &text,
        &format!("factor of {xavier:.3} per layer"),
        "Xavier's factor",
    );
    assert_mentions(&text, &format!("average factor is\n{he:.3}"), "He's factor");
    assert_mentions(
        &text,
        &tex_sci(num("var_ratio_compared"), 2),
        "Xavier's overall ratio",
    );
    assert_mentions(&text, &tex_sci(0.5f64.powi(30), 2), "(1/2)^30");
    assert_mentions(&text, &tex_sci(0.5f64.powi(29), 2), "2^-29");

    // Training: Xavier stays at chance, loss ln 10; He learns (its error is
    // well below chance, 90%, and its loss well below ln 10).
    let loss_x = num("train_loss_compared");
    assert!((loss_x - 10f64.ln()).abs() < 0.01, "{loss_x}");
    assert_mentions(&text, &format!("stays at {loss_x:.3}"), "Xavier's loss");
    let (err_x, err_he) = (num("test_error_compared"), num("test_error_he"));
    assert!(err_x > 0.85 && err_he < 0.4, "{err_x} {err_he}");
    assert!(num("train_loss_he") < 1.0, "{}", num("train_loss_he"));
    assert_mentions(
        &text,
        &format!("{:.2}%", 100.0 * err_x),
        "Xavier's test error",
    );
    assert_mentions(
        &text,
        &format!("to {:.2}% test error", 100.0 * err_he),
        "He's test error",
    );

    // Very deep: orthogonal linear preserves the size exactly (up to
    // rounding over 2000 products); tanh + orthogonal follows 1/√(2l)
    // (the approximation's relative error is O(log l / l)); Gaussian linear
    // follows the Lyapunov drift within 3 standard deviations of its random
    // walk (σ ≈ √(2000/(2·64)) ≈ 4 in log space).
    let input = num("deep_input_rms");
    assert!((num("deep_orthogonal_linear") / input - 1.0).abs() < 1e-9);
    let tanh_orth = num("deep_orthogonal_tanh");
    let theory = 1.0 / (2.0 * 2000.0f64).sqrt();
    assert!(
        (tanh_orth / theory - 1.0).abs() < 0.05,
        "{tanh_orth} vs {theory}"
    );
    assert_mentions(&text, &format!("{theory:.4}"), "1/√4000");
    assert_mentions(
        &text,
        &format!("measure {tanh_orth:.3}"),
        "the measured tanh RMS",
    );
    let rate = gaussian_product_growth_rate(64) / 8.0;
    let log_gap = (num("deep_gaussian_linear") / input).ln() - 2000.0 * rate.ln();
    assert!(log_gap.abs() < 12.0, "{log_gap}");
    assert_mentions(&text, &format!("= {rate:.4}"), "the Lyapunov rate");
    assert_mentions(&text, &tex_sci(rate.powi(2000), 1), "the typical shrink");
    assert!(num("deep_gaussian_tanh") < tanh_orth);
}
