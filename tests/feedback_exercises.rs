//! Chapter "When the model changes the world": the exercises' solutions.

mod common;

use common::{assert_mentions_words, chapter_words};
use rand::{Rng, RngExt};
use stable_learning::numeric::random::stream;
use stable_learning::shift::bandit::{Bandit, Policy, play};
use stable_learning::shift::selective::{Lender, SelectiveParams, selective_labels};

// ANCHOR: search_engine
/// Exercise 1: two results with click probabilities `relevance` (if a user
/// looks at them); users always look at the top result and at the second
/// with probability `look_second`. Each day the engine ranks by its score
/// so far: the clicks (`corrected = false`), or each click divided by the
/// probability that its position was looked at (`corrected = true`).
/// Returns the share of the last half of the days on which result 0 was on
/// top.
fn search_engine(
    relevance: [f64; 2],
    look_second: f64,
    days: usize,
    corrected: bool,
    rng: &mut impl Rng,
) -> f64 {
    let mut score = [0.0f64; 2];
    let mut zero_on_top = 0;
    for day in 0..days {
        // Ties (as on the first day) go to a coin.
        let top = if score[0] == score[1] {
            usize::from(rng.random::<bool>())
        } else {
            usize::from(score[1] > score[0])
        };
        for (result, &relevant) in relevance.iter().enumerate() {
            let looked = if result == top { 1.0 } else { look_second };
            if rng.random::<f64>() < looked && rng.random::<f64>() < relevant {
                score[result] += if corrected { 1.0 / looked } else { 1.0 };
            }
        }
        if day >= days / 2 && top == 0 {
            zero_on_top += 1;
        }
    }
    zero_on_top as f64 / (days - days / 2) as f64
}
// ANCHOR_END: search_engine

// ANCHOR: greedy_lockout
/// Exercise 2: in how many of `plays` plays of pure greedy (ε = 0) on the
/// book's bandit does the best arm get under a tenth of the pulls?
fn greedy_lockout(plays: u64, steps: usize) -> usize {
    let bandit = Bandit::new(vec![0.1, 0.3, 0.5, 0.7]).expect("valid arms");
    (0..plays)
        .filter(|&r| {
            let rng = &mut stream(42, "greedy_lockout", r);
            let run = play(&bandit, Policy::EpsilonGreedy { epsilon: 0.0 }, steps, rng)
                .expect("valid policy");
            run.pulls[3] < steps / 10
        })
        .count()
}
// ANCHOR_END: greedy_lockout

// ANCHOR: costly_defaults
/// Exercise 3: the lenders when a default costs `loss`, a repaid loan
/// earns 1, and the explorers lend to a fraction `epsilon` of the rest.
fn costly_defaults(loss: f64, epsilon: f64) -> stable_learning::shift::selective::SelectiveLabels {
    let params = SelectiveParams {
        loss,
        epsilon,
        ..SelectiveParams::default()
    };
    selective_labels(&params, 42, &mut |_, _| {}).expect("valid parameters")
}
// ANCHOR_END: costly_defaults

#[test]
fn exercise_1_a_search_engine_that_ranks_by_clicks() {
    let text = chapter_words("feedback.md");
    let runs = 40;
    let (relevance, look, days) = ([0.5, 0.45], 0.3, 20_000);
    let wrong = |corrected: bool, which: u64| {
        (0..runs)
            .filter(|&r| {
                let rng = &mut stream(r, "search_engine", which);
                search_engine(relevance, look, days, corrected, rng) < 0.5
            })
            .count()
    };
    let (by_clicks, by_weighted) = (wrong(false, 0), wrong(true, 1));
    // Ranking by clicks leaves the worse result on top about as often as
    // the first days' luck puts it there; the weights never do.
    assert!((8..=32).contains(&by_clicks), "{by_clicks}");
    assert_eq!(by_weighted, 0);
    assert_mentions_words(
        &text,
        &format!("the worse result ends on top in {by_clicks} of {runs} runs"),
        "the runaway ranking",
    );
}

#[test]
fn exercise_2_pure_greedy_locks_out_the_best_arm() {
    let text = chapter_words("feedback.md");
    let locked = greedy_lockout(40, 10_000);
    assert!((4..=30).contains(&locked), "{locked}");
    assert_mentions_words(
        &text,
        &format!("in {locked} of 40 plays"),
        "greedy's lockouts",
    );
}

#[test]
fn exercise_3_costly_defaults() {
    let text = chapter_words("feedback.md");
    let book = costly_defaults(1.0, 0.1);
    let costly = costly_defaults(3.0, 0.1);
    let careful = costly_defaults(3.0, 0.02);
    assert!((costly.threshold - 0.75).abs() < 1e-12);
    let last = |s: &stable_learning::numeric::stats::Spread| s.median;
    let good = |r: &stable_learning::shift::selective::SelectiveLabels, l: Lender| {
        last(r.lender(l).good_accepted.last().unwrap())
    };
    let profit = |r: &stable_learning::shift::selective::SelectiveLabels, l: Lender| {
        r.lender(l).total_profit.median
    };
    // The accept-only lender still misses the good low scores.
    assert!(good(&costly, Lender::AcceptOnly) < 0.9);
    assert_mentions_words(
        &text,
        &format!(
            "accepts {:.3} of the good applicants (against {:.3} when a default costs 1)",
            good(&costly, Lender::AcceptOnly),
            good(&book, Lender::AcceptOnly)
        ),
        "accept-only's good share",
    );
    assert_mentions_words(
        &text,
        &format!(
            "makes {:.3} per applicant, the weighted explorer {:.3}",
            profit(&costly, Lender::AcceptOnly),
            profit(&costly, Lender::Weighted)
        ),
        "the profits with costly defaults",
    );
    // Exploring less: the weighted explorer's error where it rejects and its
    // profit, against the accept-only lender's.
    let err = |r: &stable_learning::shift::selective::SelectiveLabels, l: Lender| {
        last(r.lender(l).error_rejected.last().unwrap())
    };
    assert!(err(&careful, Lender::Weighted) < err(&careful, Lender::AcceptOnly));
    assert!(profit(&careful, Lender::Weighted) < profit(&careful, Lender::AcceptOnly));
    assert!(profit(&costly, Lender::Weighted) < profit(&costly, Lender::AcceptOnly));
    assert_mentions_words(
        &text,
        &format!(
            "With \\\\(\\varepsilon = 0.02\\\\) it makes {:.3} per applicant, still less than the accept-only lender over 20 rounds, and its error where it rejects is {:.3} against the accept-only lender's {:.3}",
            profit(&careful, Lender::Weighted),
            err(&careful, Lender::Weighted),
            err(&careful, Lender::AcceptOnly)
        ),
        "exploring less",
    );
}
