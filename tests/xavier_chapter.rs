//! Chapter "Default and Xavier initialization": the example's measurements
//! against theory and against the numbers in the prose.

mod common;

use common::{assert_mentions, chapter, example_json, result, temp_dir, tex_sci};
use stable_learning::deep::propagation::{LayerStats, quarter_circle_mean};
use stable_learning::deep::xavier::{
    GlorotAtInit, TanhSigmoidTraining, TorchDefault, XavierParams,
};
use stable_learning::nn::activation::Activation;

fn field(layers: &[LayerStats], f: fn(&LayerStats) -> f64) -> Vec<f64> {
    layers.iter().map(f).collect()
}

fn ratios(v: &[f64]) -> Vec<f64> {
    v.windows(2).map(|w| w[1] / w[0]).collect()
}

#[test]
fn xavier_example_matches_theory_and_prose() {
    let out = temp_dir("xavier-chapter");
    let doc = example_json("xavier", &[], &out);
    let torch: TorchDefault = result(&doc, "torch_default");
    let at_init: GlorotAtInit = result(&doc, "glorot_at_init");
    let training: TanhSigmoidTraining = result(&doc, "train_tanh_sigmoid");
    let text = chapter("xavier.md");

    // The library's defaults are the command line's: the book's values.
    let params: XavierParams = serde_json::from_value(doc["parameters"].clone()).unwrap();
    assert_eq!(params, XavierParams::default());

    // PyTorch's default: n·Var(W) = 1/3 from 10⁶ samples of a uniform. The
    // sample variance's relative standard error is √(0.8/10⁶) ≈ 0.09%; allow
    // 0.6% (over 6 standard errors).
    assert_eq!(torch.n, 1000);
    let n_var = torch.n_var;
    assert!((n_var - 1.0 / 3.0).abs() < 0.002, "{n_var}");
    assert!(torch.largest <= 1.0 / 1000f64.sqrt());
    assert_eq!(torch.bound, 1.0 / 1000f64.sqrt());
    assert_mentions(&text, &format!("{n_var:.4}"), "n·Var(W)");
    assert_mentions(
        &text,
        &format!("{:.5}", torch.largest),
        "the largest weight",
    );

    // Forward: standard keeps ≈ 1/3 of the variance per layer in the linear
    // regime. tanh's curvature lowers Var(h) below Var(z) by about 2·Var(z)
    // (tanh z ≈ z − z³/3), at most 15% here, and finite width adds ~1%.
    assert_eq!(at_init.standard.init.to_string(), "standard");
    assert_eq!(at_init.chosen.init.to_string(), "xavier-uniform");
    let standard = &at_init.standard.layers;
    let chosen = &at_init.chosen.layers;
    assert_eq!((standard.len(), chosen.len()), (5, 5));
    for q in ratios(&field(standard, |l| l.activation_var)) {
        assert!((0.28..0.36).contains(&q), "standard forward ratio {q}");
    }
    // Xavier: ≈ 1, lowered by the same curvature (Var(h) ≈ 0.025 here).
    for q in ratios(&field(chosen, |l| l.activation_var)) {
        assert!((0.85..1.05).contains(&q), "Xavier forward ratio {q}");
    }
    // Backward: the back-propagated gradient grows by ≈ 3 per layer toward
    // the output with the standard init, and stays level with Xavier.
    for q in ratios(&field(standard, |l| l.delta_var)) {
        assert!((2.5..3.6).contains(&q), "standard backward ratio {q}");
    }
    for q in ratios(&field(chosen, |l| l.delta_var)) {
        assert!((0.9..1.2).contains(&q), "Xavier backward ratio {q}");
    }
    // Weight gradients: about the same in every layer with the standard init.
    let wg = field(standard, |l| l.weight_grad_var);
    let (lo, hi) = wg
        .iter()
        .fold((f64::MAX, 0.0f64), |(l, h), &v| (l.min(v), h.max(v)));
    assert!(hi / lo < 1.5, "standard weight-gradient variances {wg:?}");

    // Jacobian singular values: the quarter-circle law predicts 8√c/(3π).
    // For c = 1/3 (standard) tanh' ≈ 1 − Var(h) ≈ 0.98 lowers it slightly;
    // one 1000×1000 matrix fluctuates by well under 1%. Allow 4%.
    // Between hidden layers 2 and 3, as the chapter says.
    assert_eq!(at_init.jacobian_layer, Some(2));
    let (sv_std, sv_xavier) = (
        at_init
            .standard
            .jacobian_mean_sv
            .expect("five hidden layers"),
        at_init.chosen.jacobian_mean_sv.expect("five hidden layers"),
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
    let [tanh_std, tanh_x, sig_std, sig_x] = &training.runs[..] else {
        panic!("four runs expected, got {}", training.runs.len());
    };
    assert!(tanh_std.standard && tanh_std.activation == Activation::Tanh);
    assert!(!tanh_x.standard && tanh_x.activation == Activation::Tanh);
    assert!(sig_std.standard && sig_std.activation == Activation::Sigmoid);
    assert!(!sig_x.standard && sig_x.activation == Activation::Sigmoid);
    let (tanh_std, tanh_x, sig_std, sig_x) = (
        tanh_std.test_error,
        tanh_x.test_error,
        sig_std.test_error,
        sig_x.test_error,
    );
    // 1348 training and 449 test images, as the chapter says.
    assert_eq!((training.train_size, training.test_size), (1348, 449));
    assert_mentions(
        &text,
        &format!(
            "({} training, {} test",
            training.train_size, training.test_size
        ),
        "the split of the digits",
    );
    assert!(tanh_x < tanh_std && tanh_std < 0.1, "{tanh_x} {tanh_std}");
    assert!(sig_std > 0.8 && sig_x > 0.8, "{sig_std} {sig_x}");
    for e in [tanh_std, tanh_x, sig_std, sig_x] {
        assert_mentions(&text, &format!("{:.2}%", 100.0 * e), "a test error");
    }
}
