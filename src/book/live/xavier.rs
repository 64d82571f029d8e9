//! Chapter 3's live figure: histograms of the activations per layer of a
//! deep network at initialization, the standard initialization against
//! Xavier's (Figure 3.1), with the per-layer table.

use crate::book::figure::{Figure, Legend, LineChart};
use crate::book::live::{Control, LiveFigure, Settings};
use crate::book::table::{Cell, Table};
use crate::deep::xavier::{AtInit, GlorotAtInit, XavierParams, glorot_at_init};
use crate::numeric::random::stream;
use crate::numeric::stats::Histogram;
use crate::{Error, Progress, Range};

/// Figure 3.1, live: depth, width, activation, the compared initialization,
/// the batch and the seed.
pub static LIVE: LiveFigure = LiveFigure {
    name: "xavier",
    figure: "activations.svg",
    caption: "Figure 3.1",
    controls: &[
        Control::slider(
            "depth",
            "hidden layers",
            Range::whole(1, 6),
            XavierParams::DEPTH,
            1.0,
            "5",
        ),
        Control::slider(
            "width",
            "units per layer",
            Range::whole(100, 1000),
            XavierParams::WIDTH,
            100.0,
            "1000",
        ),
        Control::choice(
            "activation",
            "activation",
            &["tanh", "sigmoid", "relu", "leaky-relu", "identity"],
            "tanh",
        ),
        Control::choice(
            "init",
            "initialization",
            &[
                "xavier-uniform",
                "xavier-normal",
                "he-uniform",
                "torch-linear",
                "orthogonal",
            ],
            "xavier-uniform",
        ),
        Control::slider(
            "batch",
            "digits in the batch",
            Range::whole(10, 100),
            XavierParams::BATCH,
            10.0,
            "100",
        ),
        Control::SEED,
    ],
    compute,
};

fn compute(s: &Settings, progress: Progress) -> Result<(Figure, Table), Error> {
    let params = XavierParams {
        depth: s.whole("depth"),
        width: s.whole("width"),
        activation: s.choice("activation").parse().map_err(Error::Live)?,
        init: s.choice("init").parse().map_err(Error::Live)?,
        batch: s.whole("batch"),
        ..XavierParams::default()
    };
    let rng = &mut stream(s.seed(), "glorot_at_init", 0);
    let r = glorot_at_init(&params, rng, progress)?;
    Ok((
        histograms_figure(&r, "activation value", |n| &n.activations),
        layers_table(&r),
    ))
}

/// Figures 3.1–3.3 (Figures 6–8 of Glorot & Bengio): a quantity's histogram
/// per layer, one panel per initialization.
pub fn histograms_figure(
    r: &GlorotAtInit,
    what: &str,
    hists: fn(&AtInit) -> &Vec<Histogram>,
) -> Figure {
    let panels = [&r.standard, &r.chosen]
        .iter()
        .map(|net| {
            let mut chart = LineChart::new(format!("{what}: {}", net.init))
                .labels(what.to_string(), "fraction of values per bin")
                .legend(Legend::UpperRight);
            let mut non_finite = 0;
            for (l, h) in r.histogram_layers.iter().zip(hists(net)) {
                non_finite += h.non_finite;
                chart = chart.histogram(format!("layer {l}"), h);
            }
            if non_finite > 0 {
                chart = chart.note(format!(
                    "{non_finite} values overflowed (inf/NaN), not counted"
                ));
            }
            chart
        })
        .collect();
    Figure::stack(panels)
}

/// Table 3.1: per layer and initialization, the activations' mean and
/// variance and the gradients' variances.
pub fn layers_table(r: &GlorotAtInit) -> Table {
    let mut table = Table::new(&[
        "init",
        "layer",
        "mean of h",
        "Var(h)",
        "Var(h) ratio to previous layer",
        "Var(∂L/∂z)",
        "Var(∂L/∂W)",
    ]);
    for net in [&r.standard, &r.chosen] {
        let label = net.init.to_string();
        for (i, s) in net.layers.iter().enumerate() {
            let ratio = if i == 0 {
                Cell::text("–")
            } else {
                Cell::number(s.activation_var / net.layers[i - 1].activation_var)
            };
            table.row(vec![
                Cell::text(label.clone()),
                Cell::number(s.layer as f64),
                Cell::number(s.activation_mean),
                Cell::number(s.activation_var),
                ratio,
                Cell::number(s.delta_var),
                Cell::number(s.weight_grad_var),
            ]);
        }
    }
    table
}
