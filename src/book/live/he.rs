//! Chapter 4's live figure: the variance of the pre-activations through a
//! deep ReLU network at initialization, He against another initialization
//! (Figure 4.1), with its table.

use crate::book::figure::{Figure, Legend, LineChart, Marker};
use crate::book::live::{Control, Input, LiveFigure, Settings};
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
        Control {
            flag: "depth",
            label: "hidden layers",
            input: Input::Slider {
                range: Range::whole(2, 40),
                flag: HeParams::DEPTH,
                step: 1.0,
            },
            book: "30",
        },
        Control {
            flag: "width",
            label: "units per layer",
            input: Input::Slider {
                range: Range::whole(16, 256),
                flag: HeParams::WIDTH,
                step: 16.0,
            },
            book: "256",
        },
        Control {
            flag: "batch",
            label: "digits in the batch",
            input: Input::Slider {
                range: Range::whole(10, 100),
                flag: HeParams::BATCH,
                step: 10.0,
            },
            book: "100",
        },
        Control {
            flag: "init",
            label: "compared with He",
            input: Input::Choice(&[
                "xavier-normal",
                "xavier-uniform",
                "torch-linear",
                "he-normal-fan-out",
                "orthogonal",
            ]),
            book: "xavier-normal",
        },
        Control {
            flag: "seed",
            label: "seed",
            input: Input::Seed,
            book: "42",
        },
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
