//! Chapter "Breaking the symmetry": the example's results against the claims
//! and the numbers in the prose.

mod common;

use common::{assert_mentions, chapter, example_json, result, temp_dir};
use stable_learning::deep::symmetry::ThreeStarts;

#[test]
fn equal_start_stays_symmetric_and_dropout_breaks_it() {
    let out = temp_dir("symmetry-chapter");
    let doc = example_json("symmetry", &[], &out);
    let starts: ThreeStarts = result(&doc, "three_starts");
    let [equal, random, dropout] = &starts.runs[..] else {
        panic!("three runs expected, got {}", starts.runs.len());
    };
    assert_eq!(equal.start, "equal weights");
    assert!(dropout.start.contains("dropout"));
    let text = chapter("symmetry.md");

    // Exactly zero: the hidden units are bitwise copies at every step.
    assert_eq!(equal.max_spread, 0.0);
    // Dropout and random starts separate the units (by order 1).
    assert!(dropout.max_spread > 0.1);
    assert!(random.max_spread > 0.1);
    // One unit in disguise cannot classify ten digits; the others can. The
    // margins are wide: 71% vs 5% error.
    let (e, r, d) = (equal.test_error, random.test_error, dropout.test_error);
    assert!(e > 0.5 && r < 0.1 && d < 0.1, "{e} {r} {d}");
    assert_mentions(
        &text,
        &format!("{:.1}%", 100.0 * e),
        "the equal start's test error",
    );
    assert_mentions(
        &text,
        &format!("reaches {:.1}%", 100.0 * r),
        "the random start's test error",
    );
    assert_mentions(
        &text,
        &format!("ends at {:.1}%", 100.0 * d),
        "the dropout run's test error",
    );
    let steps = dropout
        .steps_to_spread_1
        .expect("dropout separates the units");
    assert_mentions(
        &text,
        &format!("after\n{steps} steps"),
        "when dropout's units differ by 1",
    );
    assert_mentions(
        &text,
        &format!(
            "by {:.2} at most, against {:.2}",
            dropout.max_spread, random.max_spread
        ),
        "the largest spreads",
    );
    // The control: a network with one hidden unit does about as badly as
    // the equal start, at the book's seed and at others.
    let one = starts.single_unit_test_error;
    assert!(one > 0.5, "{one}");
    assert_mentions(
        &text,
        &format!("ends at {:.1}%, also", 100.0 * one),
        "the one-unit control's test error",
    );
    for seed in ["1", "2", "3"] {
        let doc = example_json("symmetry", &["--seed", seed], &out.join(seed));
        let s: ThreeStarts = result(&doc, "three_starts");
        let (equal, random) = (s.runs[0].test_error, s.runs[1].test_error);
        let one = s.single_unit_test_error;
        assert!(
            equal > 0.5 && one > 0.5 && random < 0.1,
            "seed {seed}: equal {equal}, one unit {one}, random {random}"
        );
    }
    // 1348 training digits in batches of 32: 43 steps per epoch, 30 epochs.
    assert_eq!(starts.train_size, 1348);
    assert_eq!(equal.spread.len(), 1 + 43 * 30);
    assert_mentions(
        &text,
        &format!("one of the {} steps", 43 * 30),
        "the number of steps",
    );
}
