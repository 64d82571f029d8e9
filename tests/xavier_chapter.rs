//! Chapter "Default and Xavier initialization": the example's measurements
//! against theory and against the numbers in the prose.

mod common;

use common::{assert_mentions, chapter, example_json, temp_dir, tex_sci};
use serde_json::Value;
use stable_learning::deep::propagation::quarter_circle_mean;

fn field(layers: &Value, key: &str) -> Vec<f64> {
    layers
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l[key].as_f64().unwrap())
        .collect()
}

fn ratios(v: &[f64]) -> Vec<f64> {
    v.windows(2).map(|w| w[1] / w[0]).collect()
}

#[test]
fn xavier_example_matches_theory_and_prose() {
    let out = temp_dir("xavier-chapter");
    let doc = example_json("xavier", &[], &out);
    let r = &doc["results"];
    let num = |k: &str| {
        r[k].as_f64()
            .unwrap_or_else(|| panic!("result {k} missing"))
    };
    let text = chapter("xavier.md");

    // PyTorch's default: n·Var(W) = 1/3 from 10⁶ samples of a uniform. The
    // sample variance's relative standard error is √(0.8/10⁶) ≈ 0.09%; allow
    // 0.6% (over 6 standard errors).
    let n_var = num("torch_n_var");
    assert!((n_var - 1.0 / 3.0).abs() < 0.002, "{n_var}");
    assert!(num("torch_largest") <= 1.0 / 1000f64.sqrt());
    assert_mentions(&text, &format!("{n_var:.4}"), "n·Var(W)");
    assert_mentions(
        &text,
        &format!("{:.5}", num("torch_largest")),
        "the largest weight",
    );

    // Forward: standard keeps ≈ 1/3 of the variance per layer in the linear
    // regime. tanh's curvature lowers Var(h) below Var(z) by about 2·Var(z)
    // (tanh z ≈ z − z³/3), at most 15% here, and finite width adds ~1%.
    let standard = &r["layers_standard"];
    let chosen = &r["layers_chosen"];
    for q in ratios(&field(standard, "activation_var")) {
        assert!((0.28..0.36).contains(&q), "standard forward ratio {q}");
    }
    // Xavier: ≈ 1, lowered by the same curvature (Var(h) ≈ 0.025 here).
    for q in ratios(&field(chosen, "activation_var")) {
        assert!((0.85..1.05).contains(&q), "Xavier forward ratio {q}");
    }
    // Backward: the back-propagated gradient grows by ≈ 3 per layer toward
    // the output with the standard init, and stays level with Xavier.
    for q in ratios(&field(standard, "delta_var")) {
        assert!((2.5..3.6).contains(&q), "standard backward ratio {q}");
    }
    for q in ratios(&field(chosen, "delta_var")) {
        assert!((0.9..1.2).contains(&q), "Xavier backward ratio {q}");
    }
    // Weight gradients: about the same in every layer with the standard init.
    let wg = field(standard, "weight_grad_var");
    let (lo, hi) = wg
        .iter()
        .fold((f64::MAX, 0.0f64), |(l, h), &v| (l.min(v), h.max(v)));
    assert!(hi / lo < 1.5, "standard weight-gradient variances {wg:?}");

    // Jacobian singular values: the quarter-circle law predicts 8√c/(3π).
    // For c = 1/3 (standard) tanh' ≈ 1 − Var(h) ≈ 0.98 lowers it slightly;
    // one 1000×1000 matrix fluctuates by well under 1%. Allow 4%.
    let (sv_std, sv_xavier) = (
        num("jacobian_mean_sv_standard"),
        num("jacobian_mean_sv_chosen"),
    );
    let theory_std = quarter_circle_mean() / 3f64.sqrt();
    assert!(
        (sv_std / theory_std - 1.0).abs() < 0.04,
        "{sv_std} vs {theory_std}"
    );
    assert!(
        sv_xavier < quarter_circle_mean() && sv_xavier > 0.95 * quarter_circle_mean(),
        "{sv_xavier}"
    );
    // Glorot & Bengio report ≈ 0.5 and ≈ 0.8.
    assert!((sv_std - 0.5).abs() < 0.05 && (sv_xavier - 0.8).abs() < 0.05);
    for v in [sv_std, sv_xavier, theory_std, quarter_circle_mean()] {
        assert_mentions(
            &text,
            &format!("{v:.3}"),
            "a Jacobian singular-value average",
        );
    }

    // Exercise 4's worked numbers for the first layer (64 → 1000).
    let xavier = stable_learning::nn::init::Init::XavierUniform { gain: 1.0 };
    assert_mentions(
        &text,
        &format!("standard deviation {:.5}", xavier.std(64, 1000)),
        "the first layer's std",
    );
    assert_mentions(
        &text,
        &format!("uniform bound {:.5}", xavier.bound(64, 1000).unwrap()),
        "the first layer's bound",
    );
    assert_mentions(
        &text,
        &tex_sci(2.0 / 1064.0, 3),
        "the first layer's variance",
    );

    // Training: normalized tanh beats standard tanh; sigmoids stay near
    // chance (90% error) in this budget.
    let (tanh_std, tanh_x) = (
        num("test_error_tanh_standard"),
        num("test_error_tanh_chosen"),
    );
    let (sig_std, sig_x) = (
        num("test_error_sigmoid_standard"),
        num("test_error_sigmoid_chosen"),
    );
    assert!(tanh_x < tanh_std && tanh_std < 0.1, "{tanh_x} {tanh_std}");
    assert!(sig_std > 0.8 && sig_x > 0.8, "{sig_std} {sig_x}");
    for e in [tanh_std, tanh_x, sig_std, sig_x] {
        assert_mentions(&text, &format!("{:.2}%", 100.0 * e), "a test error");
    }
}
