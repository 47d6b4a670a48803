//! The rconnect worker runtime.
//!
//! Split as Kafka Connect splits its runtime: the herder decides what runs (configs,
//! target states, statuses) and the [`worker`] runs it (connector instances and task
//! loops). Standalone and distributed modes differ only in their herder and stores.

pub mod auto_restart;
pub mod clients;
pub mod config_store;
pub mod distributed;
pub mod errors;
pub mod herder;
pub mod herder_support;
pub mod kafka_adapter;
pub mod metrics;
pub mod offset_admin;
pub mod offsets;
pub mod plugin_loader;
pub mod plugins;
pub mod standalone;
#[cfg(test)]
mod standalone_tests;
pub mod status;
#[cfg(any(test, feature = "test-util"))]
pub mod test_util;
pub mod topic_creation;
pub mod transform_chain;
pub mod validation;
pub mod worker;
