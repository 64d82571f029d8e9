//! Chapter "Concept shift": the exercises' solutions. The chapter includes
//! the anchored functions; the tests check the answers they give.

mod common;

use common::{assert_mentions, chapter};
use rand::{RngExt, SeedableRng, rngs::StdRng};
use stable_learning::numeric::random::stream;
use stable_learning::numeric::stats::quantile;
use stable_learning::shift::concept::{
    ConceptShiftParams, DetectionDelays, DriftKind, StrategyComparison, alarms, detection_delays,
    strategy_comparison,
};
use stable_learning::shift::drift::PageHinkley;

// ANCHOR: threshold
/// Exercise 1: Page–Hinkley's median delay and false alarms against its
/// threshold λ. Returns the rows (λ, median delay, false alarms per 1000
/// samples without change).
fn threshold_sweep() -> Vec<(f64, f64, f64)> {
    // Error streams like the chapter's static model: 12% errors, then 38.5%
    // from sample 1000 on; and streams that stay at 12% for 3000 samples.
    let mut rng = StdRng::seed_from_u64(11);
    let mut bernoulli =
        |p: f64, n: usize| -> Vec<bool> { (0..n).map(|_| rng.random::<f64>() < p).collect() };
    let streams: Vec<(Vec<bool>, Vec<bool>)> = (0..200)
        .map(|_| {
            let mut drifting = bernoulli(0.122, 1000);
            drifting.extend(bernoulli(0.385, 2000));
            (drifting, bernoulli(0.122, 3000))
        })
        .collect();
    let mut rows = Vec::new();
    for lambda in [5.0, 10.0, 25.0, 50.0, 100.0] {
        let mut detector = PageHinkley::new(30, 0.005, lambda).unwrap();
        let (mut delays, mut false_alarms) = (Vec::new(), 0);
        for (drifting, steady) in &streams {
            if let Some(t) = alarms(&mut detector, drifting)
                .into_iter()
                .find(|&t| t >= 1000)
            {
                delays.push((t - 1000) as f64);
            }
            false_alarms += alarms(&mut detector, steady).len();
        }
        let per_1000 = 1000.0 * false_alarms as f64 / (200.0 * 3000.0);
        println!(
            "λ = {lambda}: median delay {:.0}, false alarms per 1000 samples {per_1000:.3}",
            quantile(&delays, 0.5)
        );
        rows.push((lambda, quantile(&delays, 0.5), per_1000));
    }
    rows
}
// ANCHOR_END: threshold

#[test]
fn exercise_1_page_hinkley_threshold() {
    let rows = threshold_sweep();
    let text = chapter("concept_shift.md");
    // A higher threshold waits longer and raises fewer false alarms.
    assert!(
        rows.windows(2)
            .all(|w| w[1].1 >= w[0].1 && w[1].2 <= w[0].2),
        "{rows:?}"
    );
    for (lambda, delay, fa) in rows {
        assert_mentions(
            &text,
            &format!("| {lambda} | {delay:.0} | {fa:.3} |"),
            "the threshold table",
        );
    }
}

// ANCHOR: small_turn
/// Exercise 3: the chapter's experiments with a 20° turn, as `cargo run
/// --example concept_shift -- --angle 20` runs them (seed 42, each
/// experiment from its own stream).
fn small_turn() -> (StrategyComparison, DetectionDelays) {
    let params = ConceptShiftParams {
        angle: 20.0,
        ..ConceptShiftParams::default()
    };
    let comparison = strategy_comparison(&params, 42, &mut |_, _| {}).unwrap();
    let rng = &mut stream(42, "detection_delays", 0);
    let delays = detection_delays(&params, rng, &mut |_, _| {}).unwrap();
    for d in &delays.detectors {
        println!(
            "{}: median delay {:?}, missed {} of 100",
            d.detector, d.median_delay, d.missed
        );
    }
    (comparison, delays)
}
// ANCHOR_END: small_turn

#[test]
fn exercise_3_a_small_turn() {
    let (comparison, delays) = small_turn();
    let accuracy = |strategy: &str| {
        comparison
            .run(DriftKind::Sudden, strategy)
            .expect("the strategy ran")
            .accuracy_after
            .median
    };
    let [ddm, ph, adwin] = &delays.detectors[..] else {
        panic!("three detectors expected");
    };
    let text = chapter("concept_shift.md");
    let changed = comparison.label_change_fraction;
    assert_mentions(
        &text,
        &format!(
            "A 20° turn changes the label of only about {:.0}% of the square",
            100.0 * changed
        ),
        "the changed share",
    );
    // The error after the change: noise + (1 − 2·noise)·changed, up to the
    // fitted model's own error (as in the chapter's test).
    assert!((delays.error_rate_after - (0.1 + 0.8 * changed)).abs() < 0.02);
    assert_mentions(
        &text,
        &format!(
            "from {:.3} to {:.3}",
            delays.error_rate_before, delays.error_rate_after
        ),
        "the error rates",
    );
    assert_eq!(ddm.detector, "DDM");
    assert_mentions(
        &text,
        &format!(
            "DDM now needs {:.0} samples",
            ddm.median_delay.expect("DDM fires")
        ),
        "DDM's delay",
    );
    assert_mentions(
        &text,
        &format!("in {} of 100 streams", ddm.missed),
        "DDM's misses",
    );
    assert_mentions(
        &text,
        &format!(
            "Page–Hinkley needs {} and misses {}",
            ph.median_delay.expect("Page–Hinkley fires") as u64,
            ph.missed
        ),
        "PH",
    );
    assert!(adwin.missed >= 95, "ADWIN misses almost every small turn");
    assert_mentions(
        &text,
        &format!("misses {} of 100", adwin.missed),
        "ADWIN's misses",
    );
    assert_mentions(
        &text,
        &format!("still scores\na median {:.3}", accuracy("static")),
        "static accuracy",
    );
    assert_mentions(
        &text,
        &format!(
            "against\n{:.3} for the sliding window",
            accuracy("window 300")
        ),
        "window accuracy",
    );
}
