//! The API test suite: one binary, a module per feature, each test run on SQLite and on
//! PostgreSQL through `backend_tests!`.

mod browser;
mod helpers;

mod accounts;
mod cli;
mod compat;
mod flows;
mod oauth;
mod oauth_codes;
mod oauth_tokens;
mod sources;
mod store_conformance;
mod store_oauth;
mod web;
