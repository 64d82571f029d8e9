//! Part I, *Training deep networks*: the experiments of chapters 1–4, built
//! on the network core ([`crate::nn`]).

pub mod gradients;
pub mod he;
pub mod isometry;
pub mod mean_field;
pub mod order_chaos;
pub mod propagation;
pub mod residual;
pub mod symmetry;
pub mod xavier;
