//! Distributed mode: what a worker group shares beyond the stores.

mod applicable;
pub mod coordinator;
pub mod forward;
pub mod herder;
mod membership;
mod rest;
pub mod signing;
