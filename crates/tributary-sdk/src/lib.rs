//! A client for Flowdock-compatible servers such as Tributary.
//!
//! - [`Client`] calls the REST API as a user: an API token, a password, or an OAuth access
//!   token from [`oauth::OAuth`] (authorization URL with `state` and PKCE, code exchange,
//!   refresh).
//! - [`Integration`] posts with a source's `flow_token`: typed [`thread::Activity`] and
//!   [`thread::Discussion`] messages built from a [`thread::Thread`], and the source's
//!   `error_message` ([`Integration::set_error`], [`Integration::clear_error`]).
//! - [`actions`] verifies the signed requests that thread actions send to an integration,
//!   and builds the 401 challenge that asks a user to authenticate.
//! - Errors are typed ([`Error`]): a removed source is [`Error::SourceGone`], field errors
//!   are [`Error::Validation`], and 429 is [`Error::RateLimited`], or retried when a
//!   [`Retry`] policy is set.
//!
//! ```no_run
//! # async fn run() -> Result<(), tributary_sdk::Error> {
//! let client = tributary_sdk::Client::new("http://127.0.0.1:8080").with_api_token("0123abcd");
//! for flow in client.flows().list(true).await? {
//!     println!("{} has {} users", flow.name, flow.users.map(|u| u.len()).unwrap_or(0));
//! }
//! # Ok(()) }
//! ```

// Everything public here is an integrator's API: each item says what it is for.
#![warn(missing_docs)]

pub mod actions;
mod client;
mod error;
mod files;
mod integration;
mod integrations;
mod jwt;
mod messages;
pub mod oauth;
mod resources;
mod retry;
pub mod thread;

pub use client::{Client, Credentials};
pub use error::Error;
pub use files::{Download, FileUpload, Files, Multipart};
pub use integrations::{Applications, Sources};
pub use messages::{Integration, MessageFilter, Messages, Threads};
pub use resources::{Flows, Organizations, Users};
pub use retry::Retry;
pub use tributary_types as types;
