//! Chapter 6's live figure: the test error of a line fitted with importance
//! weights flattened by λ (Figure 6.2), with the regression's table.

use crate::book::figure::{Figure, Legend, LineChart, Marker};
use crate::book::live::{Control, LiveFigure, Settings};
use crate::book::table::{Cell, Table};
use crate::numeric::random::stream;
use crate::shift::covariate::{
    LambdaPoint, RegressionParams, ShimodairaRegression, shimodaira_regression,
};
use crate::{Error, Progress, Range};

/// Figure 6.2, live: both input distributions, the label noise, the trials
/// and the seed.
pub static LIVE: LiveFigure = LiveFigure {
    name: "covariate_shift",
    figure: "lambda.svg",
    caption: "Figure 6.2",
    controls: &[
        Control::slider(
            "train-mean",
            "training mean",
            Range::closed(-1.5, 1.5),
            RegressionParams::TRAIN_MEAN,
            0.1,
            "0.5",
        ),
        Control::slider(
            "train-std",
            "training std",
            Range::closed(0.1, 1.5),
            RegressionParams::TRAIN_STD,
            0.05,
            "0.5",
        ),
        Control::slider(
            "test-mean",
            "test mean",
            Range::closed(-1.5, 1.5),
            RegressionParams::TEST_MEAN,
            0.1,
            "0",
        ),
        Control::slider(
            "test-std",
            "test std",
            Range::closed(0.1, 1.5),
            RegressionParams::TEST_STD,
            0.05,
            "0.3",
        ),
        Control::slider(
            "noise",
            "label noise std",
            Range::closed(0.0, 1.0),
            RegressionParams::NOISE,
            0.05,
            "0.3",
        ),
        Control::slider(
            "trials",
            "trials",
            Range::whole(10, 200),
            RegressionParams::TRIALS,
            10.0,
            "200",
        ),
        Control::SEED,
    ],
    compute,
};

fn compute(s: &Settings, progress: Progress) -> Result<(Figure, Table), Error> {
    let params = RegressionParams {
        train_mean: s.number("train-mean"),
        train_std: s.number("train-std"),
        test_mean: s.number("test-mean"),
        test_std: s.number("test-std"),
        noise: s.number("noise"),
        trials: s.whole("trials"),
        ..RegressionParams::default()
    };
    let rng = &mut stream(s.seed(), "shimodaira_regression", 0);
    let r = shimodaira_regression(&params, rng, progress)?;
    Ok((lambda_figure(&params, &r), regression_table(&params, &r)))
}

/// Figure 6.2: mean test error against λ, for the true and the estimated
/// weights, with the true weights' 25%–75% band.
pub fn lambda_figure(p: &RegressionParams, r: &ShimodairaRegression) -> Figure {
    let means = |c: &[LambdaPoint]| c.iter().map(|l| (l.lambda, l.mean)).collect::<Vec<_>>();
    let band = r
        .lambda_true_weights
        .iter()
        .map(|l| (l.lambda, l.q25, l.q75));
    Figure::single(
        LineChart::new(format!(
            "Test error of the line fitted with weights β to the power λ ({} trials)",
            p.trials
        ))
        .labels(
            "flattening exponent λ (0: unweighted, 1: fully weighted)",
            "mean test error under q: mean of (f(x) − y)²",
        )
        .band("25%–75% of trials, true β", band.collect())
        .series(
            "mean, true β",
            means(&r.lambda_true_weights),
            Marker::LineDots,
        )
        .series(
            "mean, estimated β",
            means(&r.lambda_estimated_weights),
            Marker::LineDots,
        )
        .legend(Legend::UpperRight),
    )
}

/// Table 6.1's rows: each model and weighting with its mean test error.
pub fn regression_rows(
    p: &RegressionParams,
    r: &ShimodairaRegression,
) -> Vec<(&'static str, String, f64)> {
    vec![
        ("line", "none (λ = 0)".to_string(), r.test_error_unweighted),
        (
            "line",
            "true β (λ = 1)".to_string(),
            r.test_error_true_weights,
        ),
        (
            "line",
            format!("true β to the power λ, best λ = {}", r.best_lambda),
            r.test_error_best_lambda,
        ),
        (
            "line",
            "estimated β̂ (λ = 1)".to_string(),
            r.test_error_estimated_weights,
        ),
        (
            "line",
            format!("estimated β̂ clipped at {}", p.clip),
            r.test_error_clipped,
        ),
        (
            "line",
            format!("β̂ without nₛ/nₜ, clipped at {}", p.clip),
            r.test_error_clipped_without_ratio,
        ),
        ("cubic", "none".to_string(), r.test_error_cubic_unweighted),
        ("cubic", "true β".to_string(), r.test_error_cubic_weighted),
    ]
}

/// Table 6.1, for the live figure.
fn regression_table(p: &RegressionParams, r: &ShimodairaRegression) -> Table {
    let mut table = Table::new(&["model", "weights", "mean test error"]);
    for (model, weights, err) in regression_rows(p, r) {
        table.row(vec![
            Cell::text(model),
            Cell::text(weights),
            Cell::written(format!("{err:.4}")),
        ]);
    }
    table
}
