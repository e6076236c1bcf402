//! The API test suite: one binary, a module per feature, each test run on SQLite and on
//! PostgreSQL through `backend_tests!`.

mod helpers;

mod accounts;
mod cli;
mod compat;
mod flows;
mod store_conformance;
mod messages_post;
mod messaging;
mod threads;
mod messages_read;
mod idempotency;
mod messages_legacy;
mod xss;
mod crash;
