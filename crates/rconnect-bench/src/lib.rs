//! Benchmarks of rconnect against a bare librdkafka reference.
//!
//! Two binaries: `bench-ref` (the reference: produce a file's lines, or consume a topic into a
//! file, with rconnect's client settings and nothing else) and `bench` (the driver: starts a
//! tansu broker, runs every scenario against both, prints or writes `docs/BENCHMARKS.md`).
//! `scripts/bench` builds both and runs the driver.

pub mod args;
pub mod avro;
pub mod broker;
pub mod data;
pub mod failover;
pub mod idle;
pub mod jdbc;
pub mod json;
pub mod plugins;
pub mod process;
pub mod procfs;
pub mod reference;
pub mod report;
pub mod s3;
pub mod scenarios;
pub mod smt;
pub mod stats;
pub mod worker;
