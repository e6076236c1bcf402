//! The API test suite: one binary, a module per feature, each test run on SQLite and on
//! PostgreSQL through `backend_tests!`.

mod helpers;

mod accounts;
mod cli;
mod compat;
mod crash;
mod flows;
mod idempotency;
mod messages_edit;
mod messages_legacy;
mod messages_post;
mod messages_read;
mod messages_validation;
mod messaging;
mod store_conformance;
mod store_messages;
mod threads;
mod xss;
