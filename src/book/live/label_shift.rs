//! Chapter 7's live figure: the error of the estimated importance weights
//! against the number of target samples, for BBSE and EM (Figure 7.2).

use crate::book::figure::{Figure, Legend, LineChart, Marker};
use crate::book::live::{Control, LiveFigure, Settings};
use crate::book::table::{Cell, Table};
use crate::numeric::random::{repeat_counted, stream};
use crate::numeric::stats::Spread;
use crate::shift::label::{ErrorVsM, LabelShiftParams, chapter_split, error_vs_m, target_sizes};
use crate::{Error, Progress, Range};

/// Figure 7.2, live: the tweaked class and its probability, the trials,
/// the small source, the splits and the seed.
pub static LIVE: LiveFigure = LiveFigure {
    name: "label_shift",
    figure: "error_vs_m.svg",
    caption: "Figure 7.2",
    controls: &[
        Control::slider(
            "rho",
            "ρ: the tweaked class's share",
            Range::closed(0.0, 1.0),
            LabelShiftParams::RHO,
            0.05,
            "0.5",
        ),
        Control::slider(
            "class",
            "tweaked class",
            LabelShiftParams::CLASS,
            LabelShiftParams::CLASS,
            1.0,
            "5",
        ),
        Control::slider(
            "small-source",
            "rows of the small source",
            Range::whole(20, 500),
            LabelShiftParams::SMALL_SOURCE,
            10.0,
            "150",
        ),
        Control::slider(
            "trials",
            "runs per point",
            Range::whole(2, 20),
            LabelShiftParams::TRIALS,
            1.0,
            "20",
        ),
        Control::slider(
            "seeds",
            "splits",
            Range::whole(1, 5),
            LabelShiftParams::SEEDS,
            1.0,
            "5",
        ),
        Control::SEED,
    ],
    compute,
};

fn compute(s: &Settings, progress: Progress) -> Result<(Figure, Table), Error> {
    let params = LabelShiftParams {
        rho: s.number("rho"),
        class: s.whole("class"),
        small_source: s.whole("small-source"),
        trials: s.whole("trials"),
        seeds: s.whole("seeds"),
        ..LabelShiftParams::default()
    };
    params.check()?;
    let seed = s.seed();
    // The same streams as `over_splits`: the same splits and the same draws.
    let per_split = params.trials * target_sizes(params.max_m).len();
    let errors = repeat_counted(
        params.seeds,
        params.seeds * per_split,
        progress,
        |r, step| {
            let r = r as u64;
            let split = chapter_split(&mut stream(seed, "chapter_split", r));
            let tick = &mut |_: usize, _: usize| step();
            error_vs_m(&split, &params, &mut stream(seed, "error_vs_m", r), tick)
        },
    )
    .into_iter()
    .collect::<Result<Vec<ErrorVsM>, Error>>()?;
    let errors: Vec<&ErrorVsM> = errors.iter().collect();
    let mut table = Table::new(&[
        "estimate",
        "weight error at the largest m: median over splits",
    ]);
    type Curve = fn(&ErrorVsM) -> &Vec<(f64, f64)>;
    let curves: [(&str, Curve); 4] = [
        ("BBSE, Ĉ exact for the target", |e| &e.exact),
        ("BBSE, Ĉ from the held-out rows", |e| &e.bbse),
        ("EM, same classifier", |e| &e.em),
        ("BBSE, Ĉ from the small source", |e| &e.small_source),
    ];
    for (name, curve) in curves {
        let last = curve_over(&errors, |e| curve(e))
            .last()
            .map(|(_, s)| s.median);
        table.row(vec![
            Cell::text(name),
            last.map_or(Cell::written("– (Ĉ singular on every split)"), |v| {
                Cell::written(format!("{v:.4}"))
            }),
        ]);
    }
    Ok((error_vs_m_figure(&params, &errors), table))
}

/// Per x, the spread over splits of the y of each split's curve at that x
/// (the curves share their x values; a split whose curve is empty, such as
/// a singular Ĉ, is left out).
pub fn curve_over<T>(r: &[T], curve: impl Fn(&T) -> &Vec<(f64, f64)>) -> Vec<(f64, Spread)> {
    let present: Vec<&Vec<(f64, f64)>> = r.iter().map(&curve).filter(|c| !c.is_empty()).collect();
    let Some(first) = present.first() else {
        return Vec::new();
    };
    (0..first.len())
        .map(|i| {
            (
                first[i].0,
                Spread::of(present.iter().map(|c| c[i].1).collect()),
            )
        })
        .collect()
}

/// Figure 7.2: the weight error against m, median and range over splits,
/// for four estimates, with a slope of −½ for reference.
pub fn error_vs_m_figure(params: &LabelShiftParams, r: &[&ErrorVsM]) -> Figure {
    let exact = curve_over(r, |x| &x.exact);
    let first = (exact[0].0, exact[0].1.median);
    let ms = &r[0].ms;
    let reference: Vec<(f64, f64)> = ms
        .iter()
        .map(|&m| (m as f64, first.1 * (first.0 / m as f64).sqrt()))
        .collect();
    let slope = Spread::of(r.iter().map(|x| x.exact_slope).collect());
    let (held, small) = (r[0].held_rows, r[0].small_rows);
    let singular = r.iter().filter(|x| x.small_source_singular).count();
    let mut chart = LineChart::new(format!(
        "Weight error against target samples (tweak-one ρ = {}, {} runs each)",
        params.rho, params.trials
    ))
    .labels(
        "target samples m (log scale)",
        format!(
            "mean ‖q̂/p̂ − w‖₂, median and range over {} splits (log scale)",
            r.len()
        ),
    )
    .log_x()
    .log_y()
    .median_and_range(
        format!(
            "BBSE, Ĉ exact for the target (slope {})",
            format!("{:.2}", slope.median).replace('-', "−")
        ),
        &exact,
        Marker::LineDots,
        0,
    )
    .median_and_range(
        format!("BBSE, Ĉ from {held} held-out rows"),
        &curve_over(r, |x| &x.bbse),
        Marker::LineDots,
        1,
    )
    .median_and_range(
        "EM, same classifier",
        &curve_over(r, |x| &x.em),
        Marker::LineDots,
        2,
    )
    .median_and_range(
        format!("BBSE, Ĉ from {small} held-out rows"),
        &curve_over(r, |x| &x.small_source),
        Marker::LineDots,
        3,
    )
    .series("slope −½", reference, Marker::Dashed)
    .color(4)
    .legend(Legend::LowerLeft);
    if singular > 0 {
        chart = chart.note(format!(
            "Ĉ from {small} held-out rows is singular on {singular} of {} splits: BBSE cannot invert it there",
            r.len()
        ));
    }
    Figure::single(chart)
}
