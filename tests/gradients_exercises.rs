//! Chapter "Vanishing and exploding gradients": the exercises' solutions.
//! The chapter includes each anchored solution function whole; the tests call
//! them and check the answers the chapter gives.

use rand::{SeedableRng, rngs::StdRng};
use stable_learning::deep::gradients::gaussian_product_growth_rate;
use stable_learning::numeric::linalg::gaussian_matrix;
use stable_learning::numeric::math;

// ANCHOR: underflow
/// Exercise 1: multiplies 1 by sigmoid's steepest slope, 1/4, once per layer,
/// and returns the depths at which the value becomes subnormal and then zero.
fn underflow() -> (Option<usize>, Option<usize>) {
    let mut value = 1.0f64;
    let mut depth = 0;
    let (mut subnormal_at, mut zero_at) = (None, None);
    while zero_at.is_none() {
        value *= 0.25; // one more sigmoid layer at its steepest
        depth += 1;
        if subnormal_at.is_none() && value < f64::MIN_POSITIVE {
            subnormal_at = Some(depth);
        }
        if value == 0.0 {
            zero_at = Some(depth);
        }
    }
    println!("below MIN_POSITIVE at L = {subnormal_at:?}, zero at L = {zero_at:?}");
    (subnormal_at, zero_at)
}
// ANCHOR_END: underflow

#[test]
fn exercise_1_underflow() {
    let (subnormal_at, zero_at) = underflow();
    assert_eq!(subnormal_at, Some(512));
    assert_eq!(zero_at, Some(538));
    assert_eq!(0.25f64.powi(511), f64::MIN_POSITIVE);
}

// ANCHOR: scaled_products
/// Exercise 2: the growth rate per factor of a long product of n×n Gaussian
/// matrices scaled by 1/√n, measured and from theory, as (n, measured, theory).
fn scaled_products() -> Vec<(usize, f64, f64)> {
    let mut rng = StdRng::seed_from_u64(1);
    let mut rates = Vec::new();
    for n in [2, 4, 16, 64] {
        let scale = 1.0 / (n as f64).sqrt();
        // Apply 20,000 scaled random matrices to a unit vector, renormalizing
        // after each so nothing overflows, and average the log of the growth.
        let steps = 20_000;
        let mut v = ndarray::Array1::<f64>::ones(n) / (n as f64).sqrt();
        let mut log_growth = 0.0;
        for _ in 0..steps {
            v = gaussian_matrix(n, n, &mut rng).dot(&v) * scale;
            let norm = v.dot(&v).sqrt();
            log_growth += math::ln(norm);
            v /= norm;
        }
        let measured = math::exp(log_growth / steps as f64);
        let theory = gaussian_product_growth_rate(n) * scale;
        println!("n = {n:2}: measured {measured:.3}, theory {theory:.3}");
        rates.push((n, measured, theory));
    }
    rates
}
// ANCHOR_END: scaled_products

#[test]
fn exercise_2_scaled_products_shrink() {
    let chapter = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/chapters/gradients.md"
    ))
    .unwrap();
    for (n, measured, theory) in scaled_products() {
        let stated = format!("{theory:.2} for \\\\(n = {n}\\\\)");
        assert!(
            chapter.contains(&stated),
            "the solution should state `{stated}`"
        );
        assert!(measured < 1.0, "n = {n}: the product should shrink");
        // 20,000 factors: the standard error of the mean log-growth is below
        // 0.6/√20000 ≈ 0.004 for every n here; allow 2% (5 standard errors).
        assert!(
            (measured / theory - 1.0).abs() < 0.02,
            "n = {n}: {measured} vs {theory}"
        );
    }
}

// ANCHOR: clip_direction
/// Exercise 3: how far clipping g = (3, 0.1) by value (to [-1, 1]) and by
/// norm (to length 1) turns its direction, in degrees: (by value, by norm).
fn clip_direction() -> (f64, f64) {
    let g = [3.0f64, 0.1];
    let angle = |v: [f64; 2]| math::atan2(v[1], v[0]).to_degrees();
    let by_value = g.map(|x| x.clamp(-1.0, 1.0));
    let norm = (g[0] * g[0] + g[1] * g[1]).sqrt();
    let by_norm = g.map(|x| x / norm);
    let turned_by_value = angle(by_value) - angle(g);
    let turned_by_norm = angle(by_norm) - angle(g);
    println!(
        "value clipping turns the gradient by {turned_by_value:.2}°, norm clipping by {turned_by_norm:.2}°"
    );
    (turned_by_value, turned_by_norm)
}
// ANCHOR_END: clip_direction

#[test]
fn exercise_3_clip_direction() {
    let (turned_by_value, turned_by_norm) = clip_direction();
    assert!((turned_by_value - 3.8).abs() < 0.05);
    assert!(turned_by_norm.abs() < 1e-12);
}
