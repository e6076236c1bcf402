//! Tributary: a self-hosted team inbox and integration platform that speaks the Flowdock API.
//!
//! `server` assembles the routes from the resource modules; `store` holds the one storage
//! trait and its SQLite and PostgreSQL backends; `cli` is the `tributary` binary.

pub mod actions;
pub mod apps;
pub mod auth;
pub mod bus;
pub mod cli;
pub mod config;
pub mod error;
pub mod files;
pub mod flows;
pub mod input;
pub mod messages;
pub mod metrics;
pub mod names;
pub mod oauth;
pub mod organizations;
pub mod raw_json;
pub mod secrets;
pub mod server;
pub mod sources;
pub mod state;
pub mod store;
pub mod stream;
pub mod threads;
pub mod urls;
pub mod users;
pub mod web;
