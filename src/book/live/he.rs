//! Chapter 4's live figure: the variance of the pre-activations through a
//! deep ReLU network at initialization, He against another initialization
//! (Figure 4.1), with its table.

use crate::book::figure::{Figure, Legend, LineChart, Marker};
use crate::book::live::{Control, LiveFigure, Settings};
use crate::book::table::{Cell, Table};
use crate::deep::he::{HeParams, VariancePerLayer, variance_per_layer};
use crate::numeric::random::stream;
use crate::{Error, Progress, Range};

/// Figure 4.1, live: depth, width, batch, the compared initialization and
/// the seed.
pub static LIVE: LiveFigure = LiveFigure {
    name: "he",
    figure: "variance.svg",
    caption: "Figure 4.1",
    controls: &[
        Control::slider(
            "depth",
            "hidden layers",
            Range::whole(2, 40),
            HeParams::DEPTH,
            1.0,
            "30",
        ),
        Control::slider(
            "width",
            "units per layer",
            Range::whole(16, 256),
            HeParams::WIDTH,
            16.0,
            "256",
        ),
        Control::slider(
            "batch",
            "digits in the batch",
            Range::whole(10, 100),
            HeParams::BATCH,
            10.0,
            "100",
        ),
        Control::choice(
            "init",
            "compared with He",
            &[
                "xavier-normal",
                "xavier-uniform",
                "torch-linear",
                "he-normal-fan-out",
                "orthogonal",
            ],
            "xavier-normal",
        ),
        Control::SEED,
    ],
    compute,
};

fn compute(s: &Settings, _progress: Progress) -> Result<(Figure, Table), Error> {
    let params = HeParams {
        depth: s.whole("depth"),
        width: s.whole("width"),
        batch: s.whole("batch"),
        init: s.choice("init").parse().map_err(Error::Live)?,
        ..HeParams::default()
    };
    let rng = &mut stream(s.seed(), "variance_per_layer", 0);
    let v = variance_per_layer(&params, rng)?;
    Ok((variance_figure(&params, &v), variance_table(&v)))
}

fn layer_axis(v: &[f64]) -> Vec<(f64, f64)> {
    v.iter()
        .enumerate()
        .map(|(l, &y)| ((l + 1) as f64, y))
        .collect()
}

/// Figure 4.1: Var(z⁽ˡ⁾)/Var(z⁽¹⁾) per layer for both initializations,
/// with the theory's lines.
pub fn variance_figure(params: &HeParams, v: &VariancePerLayer) -> Figure {
    let mut chart = LineChart::new(format!(
        "{}-layer ReLU network at initialization",
        params.depth
    ))
    .labels("layer l", "Var(z(l)) / Var(z(1)) (log scale)")
    .log_y()
    .legend(Legend::LowerLeft);
    for (p, color) in [(&v.compared, 0), (&v.he, 2)] {
        let first = p.var_z[0];
        chart = chart
            .line(
                p.init.to_string(),
                layer_axis(&p.var_z.iter().map(|v| v / first).collect::<Vec<_>>()),
            )
            .color(color);
        if !p.faults.is_clean() {
            chart = chart.note(format!("{}: {}", p.init, p.faults.describe("layers")));
        }
    }
    let halving: Vec<f64> = (0..params.depth).map(|l| 0.5f64.powi(l as i32)).collect();
    chart = chart
        .series(
            "theory for Xavier + ReLU: 2⁻⁽ˡ⁻¹⁾",
            layer_axis(&halving),
            Marker::Dashed,
        )
        .color(0)
        .series(
            "theory for He: 1",
            layer_axis(&vec![1.0; params.depth]),
            Marker::Dashed,
        )
        .color(2);
    Figure::single(chart)
}

/// Table 4.1: the variance at the first and last hidden layers and the
/// ratio per layer.
pub fn variance_table(v: &VariancePerLayer) -> Table {
    let mut table = Table::new(&[
        "initialization",
        "Var(z) at layer 1",
        "at the last hidden layer",
        "ratio last/first",
        "mean ratio per layer",
    ]);
    for p in [&v.compared, &v.he] {
        table.row(vec![
            Cell::text(p.init.to_string()),
            Cell::number(p.var_z[0]),
            Cell::number(*p.var_z.last().expect("at least one layer")),
            Cell::number(p.ratio),
            Cell::number(p.per_layer),
        ]);
    }
    table
}
