//! Distributed mode: what a worker group shares beyond the stores.

mod applicable;
pub mod forward;
pub mod herder;
pub mod signing;
