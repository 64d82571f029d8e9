//! Chapter "Vanishing and exploding gradients": every number the prose states
//! is computed here (by the library or by running the example at its
//! defaults) and looked up in the chapter's text, and every claim is checked
//! against theory.

mod common;

use common::{assert_mentions, chapter, example_json, result, run_example_into, temp_dir, tex_sci};
use stable_learning::book::table::parse_number;
use stable_learning::deep::gradients::{
    Clipping, DeepMlpAtInit, MatrixProducts, ScalarChains, SigmoidSaturation,
    gaussian_product_growth_rate, scalar_chain,
};
use stable_learning::nn::activation::Activation;

#[test]
fn scalar_chain_numbers() {
    let text = chapter("gradients.md");
    let small = scalar_chain(0.2, 30)[30];
    let large = scalar_chain(5.0, 30)[30];
    // Exact values from ../shared/REFERENCES.md; the chain multiplies 30 times,
    // so allow 30 roundings of 2^-53 each.
    assert!((small / 1.073741824e-21 - 1.0).abs() < 30.0 * f64::EPSILON);
    assert!((large / 931322574615478515625.0 - 1.0).abs() < 30.0 * f64::EPSILON);
    assert_mentions(&text, &tex_sci(small, 3), "0.2^30");
    assert_mentions(&text, &tex_sci(large, 3), "5^30");
    // 1.1^30 in the clipping section.
    assert_mentions(&text, &format!("{:.2}", 1.1f64.powi(30)), "1.1^30");
}

#[test]
fn sigmoid_numbers() {
    let text = chapter("gradients.md");
    let s = Activation::Sigmoid;
    assert_eq!(s.derivative(0.0), 0.25);
    assert_eq!(Activation::Tanh.derivative(0.0), 1.0);
    // σ' is largest at 0: check on a fine grid.
    for i in -800..=800 {
        assert!(s.derivative(i as f64 / 100.0) <= 0.25);
    }
    assert_mentions(&text, &format!("{:.4}", s.derivative(4.0)), "σ'(4)");
    assert_mentions(&text, &format!("{:.4}", s.derivative(-4.0)), "σ'(-4)");
    assert_mentions(&text, &tex_sci(s.derivative(8.0), 2), "σ'(8)");
    assert_mentions(&text, &tex_sci(0.25f64.powi(10), 2), "0.25^10");
    assert_mentions(&text, &tex_sci(0.25f64.powi(30), 2), "0.25^30");
}

#[test]
fn example_results_match_the_chapter_and_the_theory() {
    let out = temp_dir("gradients-chapter");
    let doc = example_json("gradients", &[], &out);
    let text = chapter("gradients.md");

    // The scalar chains and the sigmoid: the example computes what the
    // library does (to the last bit or so: JSON may round the last digit).
    let close = |a: &[f64], b: &[f64]| {
        a.len() == b.len() && a.iter().zip(b).all(|(x, y)| (x / y - 1.0).abs() < 1e-15)
    };
    let chains: ScalarChains = result(&doc, "scalar_chains");
    assert!(close(&chains.small, &scalar_chain(0.2, 30)));
    assert!(close(&chains.large, &scalar_chain(5.0, 30)));
    assert!(close(&chains.sigmoid_bound, &scalar_chain(0.25, 30)));
    let sigmoid: SigmoidSaturation = result(&doc, "sigmoid_saturation");
    assert_eq!(sigmoid.derivative_at_0, 0.25);
    assert!(close(
        &[sigmoid.derivative_at_4],
        &[Activation::Sigmoid.derivative(4.0)]
    ));
    assert_eq!(sigmoid.x.len(), 321);
    assert!(sigmoid.derivative.iter().all(|&d| d <= 0.25));

    // The random matrix products: spread over seeds as stated.
    let products: MatrixProducts = result(&doc, "matrix_products");
    assert_eq!(products.largest_entry.len(), 100);
    assert_eq!(products.growth_rates.len(), 200);
    let end = *products.largest_entry.last().unwrap();
    for (value, what) in [
        (end.median, "the median largest entry"),
        (end.q10, "the 10% quantile"),
        (end.q90, "the 90% quantile"),
        (end.min, "the smallest"),
        (end.max, "the largest"),
    ] {
        assert_mentions(&text, &tex_sci(value, 2), what);
    }
    // The growth rate agrees with Newman's top Lyapunov exponent. Each seed's
    // fitted slope has a standard error of roughly 0.5/√90 in log space; the
    // median of 200 seeds is ~14× tighter: 1% on the rate is ~3 standard errors.
    let (measured, theory) = (products.growth_rate, products.growth_rate_theory);
    assert_eq!(theory, gaussian_product_growth_rate(4));
    assert!(
        (measured / theory - 1.0).abs() < 0.01,
        "{measured} vs {theory}"
    );
    assert_mentions(
        &text,
        &format!("{theory:.3} per factor"),
        "the theoretical growth rate",
    );
    assert_mentions(
        &text,
        &format!("gives {measured:.3}"),
        "the measured growth rate",
    );
    // d2l saw entries ~1e20..1e27: the bulk of our seeds agrees.
    assert!(end.q10 > 1e20 && end.q90 < 1e28);

    // The deep MLP: with the default init every activation vanishes toward
    // the input, by many orders of magnitude.
    let mlp: DeepMlpAtInit = result(&doc, "deep_mlp_at_init");
    assert_eq!(mlp.batch_size, 256);
    let spread = |act: Activation, scaled: bool| {
        mlp.run(act, scaled)
            .unwrap_or_else(|| panic!("no {act} run, scaled: {scaled}"))
            .ratio
            .clone()
    };
    let mut widest = 0.0f64;
    for act in [Activation::Sigmoid, Activation::Tanh, Activation::Relu] {
        let s = spread(act, false);
        assert_eq!(s.values.len(), 10);
        // On every seed, and within a factor of about twenty across them.
        assert!(s.max < 1e-8, "{act}: input/output gradient ratio {s:?}");
        assert!(s.max / s.min < 25.0, "{act}: {s:?}");
        widest = widest.max(s.max / s.min);
        assert_mentions(&text, &tex_sci(s.median, 2), &format!("the {act} ratio"));
    }
    assert_mentions(
        &text,
        &format!("varies by a factor of {widest:.0} at most"),
        "the spread across seeds",
    );
    // Sigmoid vanishes hardest (its derivative is at most 1/4), then ReLU,
    // then tanh, on every seed.
    let (sig, relu, tanh) = (
        spread(Activation::Sigmoid, false),
        spread(Activation::Relu, false),
        spread(Activation::Tanh, false),
    );
    assert!(
        sig.max < relu.min && relu.max < tanh.min,
        "{sig:?} {relu:?} {tanh:?}"
    );
    // Scaled up ×4: tanh explodes toward the input on every seed, sigmoid
    // still vanishes, ReLU's layers all sit near 1e10..1e11.
    let tanh_up = spread(Activation::Tanh, true);
    assert!(tanh_up.min > 1e3, "tanh ×4 ratio {tanh_up:?}");
    assert_mentions(
        &text,
        &format!(
            "a median {} times",
            thousands(tanh_up.median.round() as u64)
        ),
        "the tanh ×4 ratio",
    );
    assert!(spread(Activation::Sigmoid, true).max < 1e-8);
    let relu_up = mlp.run(Activation::Relu, true).unwrap();
    for p in &relu_up.profiles {
        for &g in &p.weight_grad_norm {
            assert!((1e9..1e12).contains(&g), "ReLU ×4 layer norm {g}");
        }
    }

    // Clipping: the unclipped run overflows, the clipped one converges.
    let clipping: Clipping = result(&doc, "clipping");
    let blowup = clipping.blowup_step.expect("the unclipped run overflows");
    assert_mentions(
        &text,
        &format!("infinity at step {blowup}"),
        "the overflow step",
    );
    let first = clipping.first_grad_norm;
    assert_mentions(
        &text,
        &format!("has norm {first:.0}"),
        "the first gradient norm",
    );
    let clipped = clipping.final_loss_clipped;
    assert!(clipped < 1e-20);
    assert_mentions(&text, &tex_sci(clipped, 2), "the clipped final loss");
    assert!(
        clipping.final_loss_plain.is_infinite(),
        "the unclipped loss overflows to inf (and reads back as inf from JSON)"
    );
}

#[test]
fn deep_relu_explodes_when_scaled_and_every_layer_is_reported() {
    let out = temp_dir("gradients-relu");
    let doc = example_json("gradients", &["--depth", "30", "--scale", "4"], &out);
    assert_eq!(doc["parameters"]["depth"], 30);
    // With ReLU and Var = 16/(3n), each layer multiplies the forward variance
    // by 16/6: after 30 layers gradients are far above 1.
    let table = std::fs::read_to_string(out.join("deep_mlp.md")).unwrap();
    let relu_scaled = table
        .lines()
        .find(|l| l.starts_with("| relu | ×4"))
        .unwrap();
    let first = parse_number(relu_scaled.split('|').nth(3).unwrap()).unwrap();
    assert!(first > 1e5, "ReLU ×4 first-layer gradient {first}");
    // The result has every layer: 30 hidden layers and the output layer.
    let mlp: DeepMlpAtInit = result(&doc, "deep_mlp_at_init");
    let relu = mlp.run(Activation::Relu, true).expect("a scaled ReLU run");
    assert_eq!(relu.profiles[0].weight_grad_norm.len(), 31);
    // The table gives the median over the seeds, to three significant digits.
    let firsts: Vec<f64> = relu
        .profiles
        .iter()
        .map(|p| p.weight_grad_norm[0])
        .collect();
    let median = stable_learning::numeric::stats::median(&firsts);
    assert!((median / first - 1.0).abs() < 0.01);
}

#[test]
fn exercise_4_the_scale_where_neither_end_wins() {
    let text = common::chapter_words("gradients.md");
    let ratio = |scale: &str, act: Activation| -> stable_learning::numeric::stats::Spread {
        let out = temp_dir(&format!("gradients-scale-{scale}"));
        // One matrix-product trial: that experiment has its own stream and
        // is not read here.
        let doc = example_json("gradients", &["--scale", scale, "--trials", "1"], &out);
        let mlp: DeepMlpAtInit = result(&doc, "deep_mlp_at_init");
        mlp.run(act, true).expect("a scaled run").ratio.clone()
    };
    let above = |s: &stable_learning::numeric::stats::Spread| s.count(|v| v > 1.0);
    let words = [
        "none", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "all ten",
    ];
    let (tanh, relu, sigmoid) = (Activation::Tanh, Activation::Relu, Activation::Sigmoid);
    // tanh crosses 1 between ×2 and ×√6, above Xavier's ×√3.
    let (xavier, two, six) = (ratio("1.732", tanh), ratio("2", tanh), ratio("2.449", tanh));
    assert!(
        xavier.max < 1.0 && two.median < 1.0 && six.min > 1.0,
        "{xavier:?} {two:?} {six:?}"
    );
    assert_mentions(
        &text,
        &format!(
            "(ratio {:.2}, already above 1 on {} of the ten seeds)",
            two.median,
            words[above(&two)]
        ),
        "tanh at ×2",
    );
    assert_mentions(
        &text,
        &format!("(ratio {:.2}, above 1 on all ten)", six.median),
        "tanh at ×√6",
    );
    assert_mentions(
        &text,
        &format!("(ratio {:.2})", xavier.median),
        "tanh at ×√3",
    );
    assert_mentions(
        &text,
        &format!("{:.2}", (5.0 / 3.0) * 3f64.sqrt()),
        "Xavier with gain 5/3",
    );
    // ReLU: of order 1 at He's ×√6 and at ×4 too (but with huge norms).
    let (two_relu, he, four) = (ratio("2", relu), ratio("2.449", relu), ratio("4", relu));
    assert!(two_relu.max < 0.01, "{two_relu:?}");
    assert_mentions(
        &text,
        &format!("(about \\\\({}\\\\) at", tex_sci(two_relu.median, 0)),
        "ReLU at ×2",
    );
    assert!(
        (0.1..10.0).contains(&he.min)
            && (0.1..10.0).contains(&he.max)
            && (0.1..10.0).contains(&four.min)
            && (0.1..10.0).contains(&four.max),
        "{he:?} {four:?}"
    );
    assert_mentions(&text, &format!("is {:.3} there", he.median), "ReLU at ×√6");
    assert_mentions(
        &text,
        &format!("the ratio is {:.3}", four.median),
        "ReLU at ×4",
    );
    // Sigmoid crosses only between ×16 and ×24, on every seed.
    let (s16, s20, s24) = (
        ratio("16", sigmoid),
        ratio("20", sigmoid),
        ratio("24", sigmoid),
    );
    assert!(s16.max < 1.0 && s24.min > 1.0, "{s16:?} {s24:?}");
    assert_mentions(
        &text,
        &format!("(ratio {:.3}) and", s16.median),
        "sigmoid at ×16",
    );
    assert_mentions(
        &text,
        &format!(
            "(ratio {:.0}, above 1 on all ten seeds; at \\\\(\\times 20\\\\) it is above 1 on {} of the ten)",
            s24.median,
            words[above(&s20)]
        ),
        "sigmoid at ×24 and ×20",
    );
}

fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A batch of one digit (`--batch 1 --seed 5` draws a 0) still gets a
/// ten-class output layer: every gradient in the deep-network table is
/// finite and non-zero, none reported as 0 or NaN.
#[test]
fn a_batch_of_one_digit_has_real_gradients() {
    let out = temp_dir("gradients-batch-1");
    let dir = out.join("figures");
    let run = run_example_into("gradients", &dir, &["--batch", "1", "--seed", "5"]);
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(stdout.contains("a batch of 1 digit image"), "{stdout}");
    let table = std::fs::read_to_string(dir.join("deep_mlp.md")).unwrap();
    let rows: Vec<&str> = table
        .lines()
        .filter(|l| {
            l.starts_with("| sigmoid") || l.starts_with("| tanh") || l.starts_with("| relu")
        })
        .collect();
    assert_eq!(rows.len(), 6, "{table}");
    for row in rows {
        let cells: Vec<&str> = row.split('|').map(str::trim).collect();
        for cell in &cells[3..6] {
            let v = parse_number(cell).unwrap_or_else(|| panic!("{cell:?} in {row}"));
            assert!(v.is_finite() && v > 0.0, "{row}");
        }
    }
}

/// Too few factors for a growth rate (`--factors 1` or `2`): the figure and
/// the text say so, rather than showing a lone point and "NaN".
#[test]
fn too_few_factors_for_a_growth_rate_say_so() {
    let out = temp_dir("gradients-factors");
    for factors in ["1", "2"] {
        let dir = out.join(factors);
        let run = run_example_into("gradients", &dir, &["--factors", factors]);
        let stdout = String::from_utf8_lossy(&run.stdout);
        let needs = "not measured (a growth rate needs --factors 3 or more)";
        assert!(
            stdout.contains(needs) && !stdout.contains("NaN"),
            "{stdout}"
        );
        let svg = std::fs::read_to_string(dir.join("matrix_product.svg")).unwrap();
        assert!(
            svg.contains(needs),
            "--factors {factors}: no note in the figure"
        );
    }
}

/// Each random experiment draws from its own stream: `--trials` of the
/// matrix products leaves the deep network's table and figure byte for
/// byte as they were.
#[test]
fn the_products_trials_leave_the_deep_network_untouched() {
    let out = temp_dir("gradients-streams");
    let files = |name: &str, args: &[&str]| common::files_of("gradients", &out.join(name), args);
    let (book, fewer) = (files("book", &[]), files("fewer", &["--trials", "20"]));
    for file in ["deep_mlp.md", "deep_mlp.svg"] {
        assert!(book(file) == fewer(file), "--trials 20 changed {file}");
    }
    assert!(book("matrix_product.svg") != fewer("matrix_product.svg"));
}
