//! Chapter 1's live figure: the largest entry of a product of random
//! matrices against the number of factors (Figure 1.3).

use crate::book::figure::{Figure, LineChart, Marker};
use crate::book::live::{Control, LiveFigure, Settings};
use crate::book::table::{Cell, Table};
use crate::deep::gradients::{MatrixProductParams, MatrixProducts, matrix_products};
use crate::numeric::random::stream;
use crate::{Error, Progress, Range};

/// Figure 1.3, live: factors, matrix size, trials and the seed.
pub static LIVE: LiveFigure = LiveFigure {
    name: "gradients",
    figure: "matrix_product.svg",
    caption: "Figure 1.3",
    controls: &[
        Control::slider(
            "factors",
            "factors k",
            Range::whole(1, 400),
            MatrixProductParams::FACTORS,
            1.0,
            "100",
        ),
        Control::slider(
            "dim",
            "matrix size n",
            Range::whole(1, 16),
            MatrixProductParams::DIM,
            1.0,
            "4",
        ),
        Control::slider(
            "trials",
            "seeds (trials)",
            Range::whole(10, 400),
            MatrixProductParams::TRIALS,
            10.0,
            "200",
        ),
        Control::SEED,
    ],
    compute,
};

fn compute(s: &Settings, progress: Progress) -> Result<(Figure, Table), Error> {
    let params = MatrixProductParams {
        factors: s.whole("factors"),
        dim: s.whole("dim"),
        trials: s.whole("trials"),
    };
    let rng = &mut stream(s.seed(), "matrix_products", 0);
    let r = matrix_products(&params, rng, progress)?;
    Ok((
        matrix_product_figure(&params, &r),
        matrix_product_numbers(&params, &r),
    ))
}

/// Why no growth rate is measured: the first factors (up to ten, at most
/// half of them) are skipped as a transient, and a rate needs two left.
pub const GROWTH_NEEDS: &str = "not measured (a growth rate needs --factors 3 or more)";

/// Figure 1.3: the largest entry's median and 10%–90% band over seeds, with
/// the theory's growth rate.
pub fn matrix_product_figure(params: &MatrixProductParams, r: &MatrixProducts) -> Figure {
    let entries = &r.largest_entry;
    let last = entries.len() - 1;
    let end = entries[last];
    let k_axis = |k: usize| (k + 1) as f64;
    let median = entries
        .iter()
        .enumerate()
        .map(|(k, s)| (k_axis(k), s.median))
        .collect();
    let band = entries
        .iter()
        .enumerate()
        .map(|(k, s)| (k_axis(k), s.q10, s.q90))
        .collect();
    let theory = r.growth_rate_theory;
    let theory_line = (0..entries.len())
        .map(|k| (k_axis(k), end.median * theory.powi(k as i32 - last as i32)))
        .collect();
    let mut chart = LineChart::new(format!(
        "Largest entry of a product of {}×{} Gaussian matrices ({} seeds)",
        params.dim, params.dim, params.trials
    ))
    .labels("number of factors k", "max |entry| (log scale)")
    .log_y()
    .band("10%–90% of seeds", band)
    .line("median over seeds", median)
    .series(
        format!("theory: growth {theory:.3} per factor"),
        theory_line,
        Marker::Dashed,
    );
    if r.growth_rate.is_nan() {
        chart = chart.note(GROWTH_NEEDS);
    }
    Figure::single(chart)
}

/// The numbers the chapter quotes from Figure 1.3.
pub fn matrix_product_numbers(params: &MatrixProductParams, r: &MatrixProducts) -> Table {
    let end = r.largest_entry[r.largest_entry.len() - 1];
    let sci = |v: f64| Cell::written(format!("{v:.2e}"));
    let mut t = Table::new(&["quantity", "value"]);
    let k = params.factors;
    t.row(vec![
        Cell::text(format!("largest entry after {k} factors: median")),
        sci(end.median),
    ]);
    t.row(vec![
        Cell::text("10%–90% of seeds"),
        Cell::written(format!("{:.2e} – {:.2e}", end.q10, end.q90)),
    ]);
    t.row(vec![
        Cell::text("growth per factor, measured (median over seeds)"),
        if r.growth_rate.is_nan() {
            Cell::written(GROWTH_NEEDS)
        } else {
            Cell::written(format!("{:.4}", r.growth_rate))
        },
    ]);
    t.row(vec![
        Cell::text("growth per factor, theory"),
        Cell::written(format!("{:.4}", r.growth_rate_theory)),
    ]);
    t
}
