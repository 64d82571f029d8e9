//! Chapter "Breaking the symmetry": the example's results against the claims
//! and the numbers in the prose.

mod common;

use common::{assert_mentions, chapter, example_json, temp_dir};

#[test]
fn equal_start_stays_symmetric_and_dropout_breaks_it() {
    let out = temp_dir("symmetry-chapter");
    let doc = example_json("symmetry", &[], &out);
    let r = &doc["results"];
    let num = |k: &str| {
        r[k].as_f64()
            .unwrap_or_else(|| panic!("result {k} missing"))
    };
    let text = chapter("symmetry.md");

    // Exactly zero: the hidden units are bitwise copies at every step.
    assert_eq!(num("equal_max_spread"), 0.0);
    // Dropout and random starts separate the units (by order 1).
    assert!(num("equal_dropout_max_spread") > 0.1);
    assert!(num("random_max_spread") > 0.1);
    // One unit in disguise cannot classify ten digits; the others can. The
    // margins are wide: 71% vs 5% error.
    let (equal, random, dropout) = (
        num("equal_test_error"),
        num("random_test_error"),
        num("equal_dropout_test_error"),
    );
    assert!(
        equal > 0.5 && random < 0.1 && dropout < 0.1,
        "{equal} {random} {dropout}"
    );
    assert_mentions(
        &text,
        &format!("{:.1}%", 100.0 * equal),
        "the equal start's test error",
    );
    assert_mentions(
        &text,
        &format!("reaches {:.1}%", 100.0 * random),
        "the random start's test error",
    );
    assert_mentions(
        &text,
        &format!("ends at {:.1}%", 100.0 * dropout),
        "the dropout run's test error",
    );
    let steps = r["equal_dropout_steps_to_spread_1"]
        .as_u64()
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
            num("equal_dropout_max_spread"),
            num("random_max_spread")
        ),
        "the largest spreads",
    );
    // 1348 training digits in batches of 32: 43 steps per epoch, 30 epochs.
    assert_mentions(
        &text,
        &format!("one of the {} steps", 43 * 30),
        "the number of steps",
    );
}
