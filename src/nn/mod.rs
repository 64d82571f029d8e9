//! The network core: activations, initializers, losses, the MLP with its
//! backward pass, SGD, a training loop and the digits data. It builds on
//! [`crate::numeric`] and knows nothing of any chapter.

pub mod activation;
pub mod data;
pub mod init;
pub mod loss;
pub mod mlp;
pub mod optim;
pub mod train;
