//! Chapter "Order, chaos and dynamical isometry": the exercises' solutions.

mod common;

use common::{assert_mentions_words, chapter_words};
use stable_learning::deep::isometry::{Weights, predicted_variance};
use stable_learning::deep::mean_field::{MeanField, critical_sigma_w2};
use stable_learning::nn::activation::Activation;
use stable_learning::numeric::math;

// ANCHOR: relu_edge
/// Exercise 1: q* and χ₁ of ReLU networks with σ_b² = `b` as σ_w² nears 2,
/// `(σ_w², q*, χ₁)`, and whether σ_w² = 2 has a fixed point at all.
fn relu_edge(b: f64) -> (Vec<(f64, f64, f64)>, Option<f64>) {
    let approach = [1.0, 1.5, 1.9, 1.99]
        .into_iter()
        .map(|w| {
            let field = MeanField::new(Activation::Relu, w, b);
            let q = field.fixed_length().expect("ordered: a fixed point");
            (w, q, field.chi_1(q))
        })
        .collect();
    let at_the_edge = MeanField::new(Activation::Relu, 2.0, b).fixed_length();
    (approach, at_the_edge)
}
// ANCHOR_END: relu_edge

// ANCHOR: depth_budget
/// Exercise 2: the interval of σ_w² around the edge of chaos where
/// `6 ξ_c ≥ depth`, for tanh with σ_b² = `b`: bisection on each side of the
/// edge, where ξ_c falls monotonically away from it.
fn depth_budget(depth: f64, b: f64) -> (f64, f64) {
    let edge = critical_sigma_w2(Activation::Tanh, b).expect("tanh has an edge");
    let long_enough = |w: f64| {
        let scales = MeanField::new(Activation::Tanh, w, b)
            .depth_scales()
            .expect("tanh has a fixed point");
        6.0 * scales.xi_c >= depth
    };
    // `inside` satisfies the budget, `outside` does not.
    let bisect = |mut inside: f64, mut outside: f64| {
        for _ in 0..50 {
            let mid = 0.5 * (inside + outside);
            if long_enough(mid) {
                inside = mid;
            } else {
                outside = mid;
            }
        }
        0.5 * (inside + outside)
    };
    (bisect(edge - 1e-6, 0.1), bisect(edge + 1e-6, 10.0))
}
// ANCHOR_END: depth_budget

// ANCHOR: relu_spread
/// Exercise 3: `μ₂/μ₁² − 1` of ReLU at several lengths q, from the wide-network
/// formula for orthogonal weights at depth 1.
fn relu_spread() -> Vec<(f64, f64)> {
    [1e-3, 0.1, 1.0, 10.0, 1e3]
        .into_iter()
        .map(|q| {
            (
                q,
                predicted_variance(Activation::Relu, Weights::Orthogonal, q, 1),
            )
        })
        .collect()
}
// ANCHOR_END: relu_spread

// ANCHOR: ten_thousand
/// Exercise 4: the largest σ_b² for which an orthogonal tanh network on the
/// edge of chaos keeps the predicted variance of its squared singular values
/// at or below `target` after `depth` layers: bisection on log σ_b².
fn ten_thousand(depth: usize, target: f64) -> f64 {
    let spread = |log_b: f64| {
        let b = math::exp(log_b);
        let w = critical_sigma_w2(Activation::Tanh, b).expect("an edge");
        let q = MeanField::new(Activation::Tanh, w, b)
            .fixed_length()
            .expect("a fixed point");
        predicted_variance(Activation::Tanh, Weights::Orthogonal, q, depth)
    };
    let (mut small, mut large) = (math::ln(1e-12), math::ln(1e-2));
    for _ in 0..60 {
        let mid = 0.5 * (small + large);
        if spread(mid) <= target {
            small = mid;
        } else {
            large = mid;
        }
    }
    math::exp(small)
}
// ANCHOR_END: ten_thousand

#[test]
fn exercise_1_relu_with_biases_reaches_the_edge_only_at_infinite_length() {
    let text = chapter_words("order_chaos.md");
    let (approach, at_the_edge) = relu_edge(0.05);
    for &(w, q, chi) in &approach {
        // The closed forms: q* = σ_b²/(1 − σ_w²/2), χ₁ = σ_w²/2.
        let closed = 0.05 / (1.0 - w / 2.0);
        assert!(
            (q / closed - 1.0).abs() < 1e-9,
            "σ_w² = {w}: {q} vs {closed}"
        );
        assert!((chi - w / 2.0).abs() < 1e-12, "σ_w² = {w}: χ₁ = {chi}");
    }
    assert_eq!(at_the_edge, None);
    // No edge with biases: bisection between order and exploding lengths.
    assert_eq!(critical_sigma_w2(Activation::Relu, 0.05), None);
    let q: Vec<String> = approach.iter().map(|(_, q, _)| format!("{q:.2}")).collect();
    let listed = format!("{}, {}, {} and {}", q[0], q[1], q[2], q[3]);
    assert_mentions_words(&text, &listed, "q* approaching the edge");
    let last = approach.last().unwrap().2;
    assert_mentions_words(&text, &format!("creeps up to {last:.3}"), "χ₁ at 1.99");
}

#[test]
fn exercise_2_a_depth_budget_of_fifty_layers() {
    let text = chapter_words("order_chaos.md");
    let (low, high) = depth_budget(50.0, 0.05);
    let edge = critical_sigma_w2(Activation::Tanh, 0.05).unwrap();
    assert!(low < edge && edge < high, "{low} {edge} {high}");
    for w in [low, high] {
        let xi = MeanField::new(Activation::Tanh, w, 0.05)
            .depth_scales()
            .unwrap()
            .xi_c;
        assert!((6.0 * xi - 50.0).abs() < 1e-3, "{w}: 6 ξ_c = {}", 6.0 * xi);
    }
    // Just outside the interval the budget fails; just inside it holds.
    for (w, holds) in [
        (low - 0.01, false),
        (low + 0.01, true),
        (high - 0.01, true),
        (high + 0.01, false),
    ] {
        let xi = MeanField::new(Activation::Tanh, w, 0.05)
            .depth_scales()
            .unwrap()
            .xi_c;
        assert_eq!(6.0 * xi >= 50.0, holds, "σ_w² = {w}: ξ_c = {xi}");
    }
    assert_mentions_words(
        &text,
        &format!("from \\\\(\\sigma_w^2 = {low:.3}\\\\) to \\\\({high:.3}\\\\)"),
        "the depth budget's interval",
    );
    assert_mentions_words(&text, &format!("edge at {edge:.3}"), "the edge");
}

#[test]
fn exercise_3_orthogonal_relu_spreads_by_one_per_layer() {
    for (q, spread) in relu_spread() {
        assert!((spread - 1.0).abs() < 1e-9, "q = {q}: {spread}");
    }
    // And L layers give L: the formula is linear in depth.
    let l = predicted_variance(Activation::Relu, Weights::Orthogonal, 0.3, 64);
    assert!((l - 64.0).abs() < 1e-7, "{l}");
}

#[test]
fn exercise_4_ten_thousand_layers_of_orthogonal_tanh() {
    let text = chapter_words("order_chaos.md");
    let b = ten_thousand(10_000, 1.0);
    let spread_at = |b: f64| {
        let w = critical_sigma_w2(Activation::Tanh, b).unwrap();
        let q = MeanField::new(Activation::Tanh, w, b)
            .fixed_length()
            .unwrap();
        (
            w,
            q,
            predicted_variance(Activation::Tanh, Weights::Orthogonal, q, 10_000),
        )
    };
    let (w, q, at) = spread_at(b);
    assert!((at - 1.0).abs() < 1e-3, "{at}");
    // Ten times more bias noise spreads the singular values several times
    // as much.
    let (_, _, ten) = spread_at(10.0 * b);
    assert!(ten > 3.0 && ten < 10.0, "{ten}");
    assert_mentions_words(
        &text,
        &format!("spreads them {ten:.1} times as much"),
        "the spread at 10 σ_b²",
    );
    assert_mentions_words(
        &text,
        &format!("\\\\(\\sigma_b^2 \\le {}\\\\)", common::tex_sci(b, 1)),
        "the bias variance for 10,000 layers",
    );
    assert_mentions_words(
        &text,
        &format!("\\\\(q^* = {}\\\\)", common::tex_sci(q, 1)),
        "q* there",
    );
    assert_mentions_words(
        &text,
        &format!("\\\\(\\sigma_w^2 = {w:.6}\\\\)"),
        "σ_w² there",
    );
}
