//! Measuring whether hidden units are copies of each other.

use crate::nn::mlp::Mlp;

/// The largest difference between any hidden unit of layer `layer` (1-based:
/// the first hidden layer is 1) and that layer's first unit, over everything
/// that defines a unit: its incoming weights (a column of W⁽ˡ⁾), its bias and
/// its outgoing weights (a row of W⁽ˡ⁺¹⁾). Exactly 0 when all units are copies.
///
/// ```
/// use rand::{SeedableRng, rngs::StdRng};
/// use stable_learning::deep::symmetry::unit_spread;
/// use stable_learning::nn::{activation::Activation, init::Init, mlp::Mlp};
/// let mut rng = StdRng::seed_from_u64(0);
/// let net = Mlp::new(&[4, 3, 2], Activation::Tanh, Init::Constant { value: 0.1 }, &mut rng);
/// assert_eq!(unit_spread(&net, 1), 0.0);
/// ```
pub fn unit_spread(net: &Mlp, layer: usize) -> f64 {
    let incoming = &net.layers[layer - 1];
    let outgoing = net.layers.get(layer);
    let units = incoming.weights.ncols();
    let mut spread: f64 = 0.0;
    for j in 1..units {
        let w_in = incoming.weights.column(j);
        let first_in = incoming.weights.column(0);
        for (a, b) in w_in.iter().zip(first_in) {
            spread = spread.max((a - b).abs());
        }
        spread = spread.max((incoming.biases[j] - incoming.biases[0]).abs());
        if let Some(next) = outgoing {
            for (a, b) in next.weights.row(j).iter().zip(next.weights.row(0)) {
                spread = spread.max((a - b).abs());
            }
        }
    }
    spread
}
