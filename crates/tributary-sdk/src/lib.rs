//! A client for Flowdock-compatible servers such as Tributary.
//!
//! ```no_run
//! # async fn run() -> Result<(), tributary_sdk::Error> {
//! let client = tributary_sdk::Client::new("http://127.0.0.1:8080").with_api_token("0123abcd");
//! for flow in client.flows().list(true).await? {
//!     println!("{} has {} users", flow.name, flow.users.map(|u| u.len()).unwrap_or(0));
//! }
//! # Ok(()) }
//! ```

mod client;
mod error;
mod files;
mod integrations;
mod messages;
mod resources;

pub use client::{Client, Credentials};
pub use error::Error;
pub use files::{Download, FileUpload, Files, Multipart};
pub use integrations::{Applications, Sources};
pub use messages::{Integration, MessageFilter, Messages, Threads};
pub use resources::{Flows, Organizations, Users};
pub use tributary_types as types;
