//! Chapter 9's live figure: the regret of three bandit policies (Figure
//! 9.1), with its table.

use crate::book::figure::{Figure, Legend, LineChart, Marker};
use crate::book::live::{Control, LiveFigure, Settings};
use crate::book::table::{Cell, Table};
use crate::numeric::stats::Spread;
use crate::shift::bandit::{BanditComparison, BanditParams, compare_policies};
use crate::{Error, Progress, Range};

/// Figure 9.1, live: the arms, the steps, ε, the plays and the seed.
pub static LIVE: LiveFigure = LiveFigure {
    name: "feedback",
    figure: "bandit.svg",
    caption: "Figure 9.1",
    controls: &[
        Control::choice(
            "arms",
            "arms (success rates)",
            &[
                "0.1,0.3,0.5,0.7",
                "0.45,0.5,0.55",
                "0.2,0.8",
                "0.5,0.5,0.6",
                "0.1,0.2,0.3,0.4,0.5,0.6,0.7,0.8,0.9",
            ],
            "0.1,0.3,0.5,0.7",
        ),
        Control::slider(
            "steps",
            "steps T",
            Range::whole(1000, 20_000),
            BanditParams::STEPS,
            1000.0,
            "10000",
        ),
        Control::slider(
            "epsilon",
            "ε of ε-greedy",
            Range::closed(0.0, 0.5),
            BanditParams::EPSILON,
            0.01,
            "0.1",
        ),
        Control::slider(
            "bandit-seeds",
            "plays",
            Range::whole(1, 40),
            BanditParams::SEEDS,
            1.0,
            "20",
        ),
        Control::SEED,
    ],
    compute,
};

fn compute(s: &Settings, progress: Progress) -> Result<(Figure, Table), Error> {
    let arms = s
        .choice("arms")
        .split(',')
        .map(|a| {
            a.parse()
                .map_err(|_| Error::Live(format!("arms: `{a}` is not a number")))
        })
        .collect::<Result<Vec<f64>, Error>>()?;
    let params = BanditParams {
        arms,
        steps: s.whole("steps"),
        epsilon: s.number("epsilon"),
        seeds: s.whole("bandit-seeds"),
        ..BanditParams::default()
    };
    let b = compare_policies(&params, s.seed(), progress)?;
    Ok((bandit_figure(&params, &b), bandit_table(&b)))
}

/// Figure 9.1: each policy's regret over time, median and range over
/// plays, with ε-greedy's cost of exploring alone.
pub fn bandit_figure(params: &BanditParams, b: &BanditComparison) -> Figure {
    let arms: Vec<String> = params.arms.iter().map(|a| a.to_string()).collect();
    let mut chart = LineChart::new(format!("A bandit with arms {}", arms.join(", ")))
        .labels(
            "step t",
            format!("regret: reward lost so far, median of {}", params.seeds),
        )
        .legend(Legend::UpperLeft);
    for (i, p) in b.policies.iter().enumerate() {
        let points: Vec<(f64, Spread)> = b
            .steps
            .iter()
            .zip(&p.regret)
            .map(|(&t, s)| (t as f64, s.clone()))
            .collect();
        chart = chart.median_and_range(p.policy.name(), &points, Marker::Line, i);
    }
    let steps = *b.steps.last().unwrap_or(&1) as f64;
    chart = chart
        .series(
            "ε T Δ̄: ε-greedy's exploration alone",
            vec![(0.0, 0.0), (steps, b.epsilon_slope * steps)],
            Marker::Dashed,
        )
        .color(0);
    Figure::single(chart)
}

/// Table 9.1: regret after T, how much of it comes in the second half, and
/// the share of pulls on the best arm.
pub fn bandit_table(b: &BanditComparison) -> Table {
    let mut table = Table::new(&[
        "policy",
        "regret after T, median (range)",
        "regret in the second half / first half",
        "share of pulls on the best arm",
    ]);
    // Every arm as good as the best counts as the best.
    let best: Vec<usize> = (0..b.gaps.len()).filter(|&i| b.gaps[i] == 0.0).collect();
    for p in &b.policies {
        let half = b.steps.len() / 2;
        let halves: Vec<f64> = (0..p.regret[0].values.len())
            .map(|r| {
                let (mid, end) = (p.regret[half - 1].values[r], p.final_regret().values[r]);
                (end - mid) / mid
            })
            .collect();
        let total: f64 = p.pulls.iter().sum();
        let f = p.final_regret();
        table.row(vec![
            Cell::text(p.policy.name()),
            Cell::written(format!("{:.0} ({:.0}–{:.0})", f.median, f.min, f.max)),
            Cell::number(Spread::of(halves).median),
            Cell::number(best.iter().map(|&i| p.pulls[i]).sum::<f64>() / total),
        ]);
    }
    table
}
