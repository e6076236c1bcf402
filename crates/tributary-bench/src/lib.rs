//! Tributary's benchmarks (BENCHMARKS.md): a closed-loop keep-alive HTTP/1.1 load generator
//! on hyper with HDR histograms, the ceiling endpoint, and the scenarios: post, ceiling,
//! fan-out, idle streams, read, and post on PostgreSQL.
//!
//! The library holds the pieces so that the smoke test (`tests/smoke.rs`) drives the very
//! code the `tributary-bench` binary runs.

pub mod body;
pub mod ceiling;
pub mod database;
pub mod fanout;
pub mod load;
pub mod post;
pub mod procstat;
pub mod provision;
pub mod read;
pub mod report;
pub mod server;
