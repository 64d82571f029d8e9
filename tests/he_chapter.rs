//! Chapter "He initialization": the example's measurements against theory
//! and against the numbers in the prose.

mod common;

use common::{assert_mentions, chapter, example_json, result, temp_dir, tex_sci};
use stable_learning::deep::gradients::gaussian_product_growth_rate;
use stable_learning::deep::he::{DeepReluTraining, HeParams, VariancePerLayer, VeryDeep};
use stable_learning::nn::activation::Activation;
use stable_learning::nn::init::Init;
use stable_learning::numeric::math;

#[test]
fn he_example_matches_theory_and_prose() {
    let out = temp_dir("he-chapter");
    let doc = example_json("he", &[], &out);
    let variance: VariancePerLayer = result(&doc, "variance_per_layer");
    let training: DeepReluTraining = result(&doc, "train_deep_relu");
    let deep: VeryDeep = result(&doc, "very_deep");
    let text = chapter("he.md");

    // The library's defaults are the command line's: the book's values.
    let params: HeParams = serde_json::from_value(doc["parameters"].clone()).unwrap();
    assert_eq!(params, HeParams::default());

    // Xavier + ReLU halves the variance per layer, He keeps it. Over 29
    // layers of 256 units the per-layer geometric mean of the ratio has a
    // relative spread of about √(2/256)/√29 ≈ 1.6% from the weights alone
    // (more from the batch); allow 8%.
    assert_eq!(variance.compared.init, Init::XavierNormal { gain: 1.0 });
    assert_eq!(variance.he.init, Init::HE_RELU);
    assert_eq!(variance.he.var_z.len(), 30);
    let (xavier, he) = (variance.compared.per_layer, variance.he.per_layer);
    assert!((xavier - 0.5).abs() < 0.04, "{xavier}");
    assert!((he - 1.0).abs() < 0.08, "{he}");
    // "within a factor of about 2" over the 29 layers.
    let overall = variance.he.ratio;
    assert!((1.0 / 3.0..3.0).contains(&overall), "{overall}");
    assert_mentions(
        &text,
        &format!("factor of {xavier:.3} per layer"),
        "Xavier's factor",
    );
    assert_mentions(&text, &format!("average factor is\n{he:.3}"), "He's factor");
    assert_mentions(
        &text,
        &tex_sci(variance.compared.ratio, 2),
        "Xavier's overall ratio",
    );
    assert_mentions(&text, &tex_sci(0.5f64.powi(30), 2), "(1/2)^30");
    assert_mentions(&text, &tex_sci(0.5f64.powi(29), 2), "2^-29");

    // Training: Xavier stays at chance, loss ln 10; He learns (its error is
    // well below chance, 90%, and its loss well below ln 10).
    let loss_x = training.compared.train_loss;
    assert!((loss_x - math::ln(10f64)).abs() < 0.01, "{loss_x}");
    assert_mentions(&text, &format!("stays at {loss_x:.3}"), "Xavier's loss");
    let (err_x, err_he) = (training.compared.test_error, training.he.test_error);
    assert!(err_x > 0.85 && err_he < 0.4, "{err_x} {err_he}");
    assert!(training.he.train_loss < 1.0, "{}", training.he.train_loss);
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
    let [gauss_lin, gauss_tanh, orth_lin, orth_tanh] = &deep.runs[..] else {
        panic!("four runs expected, got {}", deep.runs.len());
    };
    for (r, weights, act) in [
        (gauss_lin, "Gaussian", Activation::Identity),
        (gauss_tanh, "Gaussian", Activation::Tanh),
        (orth_lin, "orthogonal", Activation::Identity),
        (orth_tanh, "orthogonal", Activation::Tanh),
    ] {
        assert_eq!((r.weights.as_str(), r.activation), (weights, act));
        assert_eq!(r.rms.len(), 2001);
        assert_eq!(r.rms[0], deep.input_rms);
    }
    let input = deep.input_rms;
    assert!((orth_lin.last / input - 1.0).abs() < 1e-9);
    let tanh_orth = orth_tanh.last;
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
    let log_gap = math::ln(gauss_lin.last / input) - 2000.0 * math::ln(rate);
    assert!(log_gap.abs() < 12.0, "{log_gap}");
    assert_mentions(&text, &format!("= {rate:.4}"), "the Lyapunov rate");
    assert_mentions(&text, &tex_sci(rate.powi(2000), 1), "the typical shrink");
    assert!(gauss_tanh.last < tanh_orth);
    // The shrink factor and the end points, in the prose and the alt text.
    let factor = tex_sci(input / gauss_lin.last, 0);
    assert_mentions(
        &text,
        &format!("about\n\\\\({factor}\\\\)"),
        "the shrink factor",
    );
    let end = tex_sci(gauss_lin.last, 2);
    assert_mentions(
        &text,
        &format!("to \\\\({end}\\\\) in this run"),
        "the end point",
    );
    for (run, words) in [
        (gauss_lin, "Gaussian linear wanders downward"),
        (gauss_tanh, "Gaussian tanh"),
    ] {
        let alt = format!("{words} to about {:.0e}", run.last);
        assert_mentions(&text, &alt, "Figure 4.3's alt text");
    }
}
