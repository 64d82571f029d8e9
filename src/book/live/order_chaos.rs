//! Chapter 5's live figure: the mean-field length and correlation maps
//! against finite tanh networks, one ordered and one chaotic (Figure 5.1),
//! with its table.

use crate::book::figure::{Figure, Legend, LineChart, Marker};
use crate::book::live::{Control, LiveFigure, Settings};
use crate::book::table::{Cell, Table};
use crate::deep::order_chaos::{MapsCheck, OrderChaosParams, maps_against_networks};
use crate::numeric::stats::{Spread, mean};
use crate::{Error, Progress, Range};

/// Figure 5.1, live: σ_b², the two σ_w², the networks' width and depth,
/// how many networks, and the seed.
pub static LIVE: LiveFigure = LiveFigure {
    name: "order_chaos",
    figure: "maps.svg",
    caption: "Figure 5.1",
    controls: &[
        Control::slider(
            "sigma-b2",
            "σ_b²",
            Range::closed(0.0, 0.5),
            OrderChaosParams::SIGMA_B2,
            0.01,
            "0.05",
        ),
        Control::slider(
            "ordered",
            "σ_w², ordered",
            Range::closed(0.1, 5.0),
            OrderChaosParams::SIGMA_W2,
            0.1,
            "1.2",
        ),
        Control::slider(
            "chaotic",
            "σ_w², chaotic",
            Range::closed(0.1, 5.0),
            OrderChaosParams::SIGMA_W2,
            0.1,
            "4",
        ),
        Control::slider(
            "width",
            "units per layer",
            Range::whole(50, 500),
            OrderChaosParams::WIDTH,
            50.0,
            "500",
        ),
        Control::slider(
            "depth",
            "layers",
            Range::whole(2, 20),
            OrderChaosParams::DEPTH,
            1.0,
            "15",
        ),
        Control::slider(
            "seeds",
            "networks",
            Range::whole(1, 10),
            OrderChaosParams::SEEDS,
            1.0,
            "5",
        ),
        Control::SEED,
    ],
    compute,
};

fn compute(s: &Settings, _progress: Progress) -> Result<(Figure, Table), Error> {
    let params = OrderChaosParams {
        sigma_b2: s.number("sigma-b2"),
        ordered: s.number("ordered"),
        chaotic: s.number("chaotic"),
        width: s.whole("width"),
        depth: s.whole("depth"),
        seeds: s.whole("seeds"),
        ..OrderChaosParams::default()
    };
    let m = maps_against_networks(&params, s.seed())?;
    Ok(maps_figure(&m))
}

/// The larger of two numbers, NaN if either is (`f64::max` drops a NaN,
/// which would turn a failed measurement into a plausible gap).
fn nan_max(a: f64, b: f64) -> f64 {
    if a.is_nan() || b.is_nan() {
        f64::NAN
    } else {
        a.max(b)
    }
}

/// Points (l, v[l]) from layer 0.
fn layer_axis(v: &[f64]) -> Vec<(f64, f64)> {
    v.iter().enumerate().map(|(l, &y)| (l as f64, y)).collect()
}

/// The median and range over runs of one measured quantity per layer.
pub fn measured(values: impl Fn(usize) -> Vec<f64>, layers: usize) -> Vec<(f64, Spread)> {
    (0..=layers)
        .map(|l| (l as f64, Spread::of(values(l))))
        .collect()
}

/// Figure 5.1 and Table 5.1: the maps (dashed) against the networks'
/// median and range, for the ordered and the chaotic σ_w².
pub fn maps_figure(m: &MapsCheck) -> (Figure, Table) {
    let layers = m.runs[0].lengths.len() - 1;
    let seeds = m.runs[0].measured_lengths.len();
    let mut lengths = LineChart::new(format!("The length map from q = {}", m.q_start))
        .labels("layer l", "q(l): mean square pre-activation")
        .y_limits(0.0, 4.0)
        .legend(Legend::UpperRight);
    let mut correlations =
        LineChart::new(format!("The correlation map at q*, from c = {}", m.c_start))
            .labels("layer l", "c(l): correlation of two inputs")
            .y_limits(0.0, 1.05)
            .note("colours and markers as above");
    let mut table = Table::new(&[
        "σ_w²",
        "phase",
        "q*",
        "c*",
        "χ₁",
        "ξ_c (layers)",
        &format!("largest gap, q: map vs mean of {seeds}"),
        "largest gap, c",
    ]);
    for (i, r) in m.runs.iter().enumerate() {
        let name = format!("σ_w² = {}", r.sigma_w2);
        let q = measured(
            |l| r.measured_lengths.iter().map(|p| p.q_first[l]).collect(),
            layers,
        );
        let c = measured(
            |l| r.measured_correlations.iter().map(|p| p.c[l]).collect(),
            layers,
        );
        lengths = lengths
            .series(
                format!("{name}: map"),
                layer_axis(&r.lengths),
                Marker::Dashed,
            )
            .color(i)
            .median_and_range(format!("{name}: {seeds} networks"), &q, Marker::Dots, i);
        correlations = correlations
            .series("", layer_axis(&r.correlations), Marker::Dashed)
            .color(i)
            .median_and_range("", &c, Marker::Dots, i);
        let gap_q = (1..=layers)
            .map(|l| (mean(&q[l].1.values) / r.lengths[l] - 1.0).abs())
            .fold(0.0, nan_max);
        let gap_c = (1..=layers)
            .map(|l| (mean(&c[l].1.values) - r.correlations[l]).abs())
            .fold(0.0, nan_max);
        let phase = if r.scales.chi_1 < 1.0 {
            "ordered"
        } else {
            "chaotic"
        };
        table.row(vec![
            Cell::number(r.sigma_w2),
            Cell::text(phase),
            Cell::number(r.scales.q_star),
            Cell::number(r.scales.c_star),
            Cell::number(r.scales.chi_1),
            Cell::number(r.scales.xi_c),
            Cell::written(format!("{:.1}%", 100.0 * gap_q)),
            Cell::number(gap_c),
        ]);
    }
    (Figure::stack(vec![lengths, correlations]), table)
}
