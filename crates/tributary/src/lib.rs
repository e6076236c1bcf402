//! Tributary: a self-hosted team inbox and integration platform that speaks the Flowdock API.
//!
//! The modules below are listed in the order a request meets them: the shell starts the server,
//! `server` routes the request to a resource module's `routes()`, its handler authenticates
//! (`auth`), parses (`input`), calls one domain function, and answers; below the resources lie
//! the shared `state`, the `store` and the `bus`. Imports only point down this list (the leaf
//! helpers `error`, `input`, `names`, `secrets`, `urls`, `raw_json` and `metrics` excepted);
//! `tests/layers.rs` checks it. `docs/ARCHITECTURE.md` tells the same story with file names.

// The shell.
/// The `tributary` binary: `serve` and the `admin` commands.
pub mod cli;
/// The configuration: file, environment and flags, layered.
pub mod config;
/// Prometheus request counts and latencies, recorded by a middleware.
pub mod metrics;
/// The HTTP server: path normalisation, the middleware stack, every module's routes merged.
pub mod server;

// The pages and the streaming API, above the resources they show.
/// The Streaming API: a flow's events replayed from the store, then live from the bus.
pub mod stream;
/// The server-rendered pages: login, developer tools, consent, and the app under `/app/`.
pub mod web;

// The resources, each with one `routes()`.
/// Thread actions: the buttons that call an integration.
pub mod actions;
/// `/oauth/applications`: developer applications, the OAuth clients.
pub mod apps;
/// Files: uploads on posts, attachments, signed downloads.
pub mod files;
/// `/flows`: who may see a flow, and the one membership check (`flows::require_joined`).
pub mod flows;
/// A flow's messages: posting every event kind, reading, editing, the legacy push API.
pub mod messages;
/// The OAuth 2.0 provider: the token and revocation endpoints.
pub mod oauth;
/// `/organizations`: organizations and their members.
pub mod organizations;
/// Sources: an application installed into a flow, holding its `flow_token`.
pub mod sources;
/// A flow's threads, which change only through their messages.
pub mod threads;
/// `/user`, `/users`: accounts.
pub mod users;

// Who is asking.
/// Credentials to a principal: API tokens, passwords, OAuth bearers, sessions, flow_tokens.
pub mod auth;

// What every request shares, and where it is kept.
/// Live fan-out of stored events to open streams, in process and across nodes.
pub mod bus;
/// `AppState`: the store, the URLs, the settings, the password checker, the stream signals.
pub mod state;
/// The storage traits and their SQLite and PostgreSQL backends.
pub mod store;

// Leaf helpers, usable from any layer.
/// `ApiError` and its Flowdock-shaped answer.
pub mod error;
/// Request input: query, form and JSON merged, parsed leniently.
pub mod input;
/// Parameterized names and the reserved ones.
pub mod names;
/// Answers whose JSON is already serialised (stored messages and threads).
pub mod raw_json;
/// Random tokens, token hashes, password hashes.
pub mod secrets;
/// Web URLs and redirect URIs, validated.
pub mod urls;
