//! Tributary: a self-hosted team inbox and integration platform that speaks the Flowdock API.
//!
//! The modules, in the order a request meets them:
//!
//! - [`cli`]: the `tributary` binary, `serve` and the `admin` commands; [`config`] layers the
//!   configuration file, the environment and the flags.
//! - [`server`]: path normalisation, the middleware stack, and every module's `routes()` merged;
//!   [`trace`] gives every request an id and logs each 5xx once; [`metrics`] counts requests
//!   and latencies in a middleware.
//! - [`limits`]: rate limits, a token from the request's bucket before anything else, and the
//!   `RateLimit-*` headers on every answer (the buckets are in [`state`]).
//! - [`web`]: the server-rendered pages (login, developer tools, consent, the app under `/app/`).
//! - [`stream`]: the Streaming API, a flow's events replayed from the store, then live.
//! - The resources, each with one `routes()`: [`users`], [`organizations`], [`flows`] (with
//!   the one membership check, `flows::require_joined`), [`invitations`] (inviting people and
//!   joining by link), [`messages`] (posting every event
//!   kind, reading, editing, the legacy push API), [`threads`], [`files`], [`sources`],
//!   [`actions`] (thread actions), [`apps`] (developer applications), [`oauth`] (the token
//!   and revocation endpoints) and [`private`] (private conversations and their messages).
//! - [`auth`]: credentials to a principal: API tokens, passwords, OAuth bearers, browser
//!   sessions and `flow_token`s.
//! - [`state`]: what every request shares (`AppState`): the store, the URLs, the settings,
//!   the password checker, the open streams' signals and revocation registry.
//! - [`store`]: the storage traits, with SQLite and PostgreSQL backends.
//! - [`bus`]: live fan-out of stored events to open streams, in process and across nodes.
//! - Leaf helpers, usable from any layer: [`input`] (request parameters, parsed leniently),
//!   [`error`] (`ApiError` and its Flowdock-shaped answer), [`raw_json`] (answers whose JSON is
//!   already serialised), [`names`] (parameterized names), [`urls`] (web URLs and redirect
//!   URIs, validated) and [`secrets`] (tokens and hashes).
//!
//! Imports only point down this list (leaf helpers excepted); `tests/layers.rs` checks it.

// The shell.
pub mod cli;
pub mod config;
pub mod metrics;
pub mod server;
pub mod trace;

// The pages and the streaming API, above the resources they show.
pub mod stream;
pub mod web;

// The resources.
pub mod actions;
pub mod apps;
pub mod files;
pub mod flows;
pub mod invitations;
pub mod limits;
pub mod messages;
pub mod oauth;
pub mod organizations;
pub mod private;
pub mod sources;
pub mod threads;
pub mod users;

// Who is asking.
pub mod auth;

// What every request shares, and where it is kept.
pub mod bus;
pub mod state;
pub mod store;

// Leaf helpers.
pub mod error;
pub mod input;
pub mod names;
pub mod raw_json;
pub mod secrets;
pub mod urls;
