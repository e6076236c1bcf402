//! The API test suite: one binary, a module per feature, each test run on SQLite and on
//! PostgreSQL through `backend_tests!`; the `ui*` modules drive real Chromium, on SQLite.

// A test: a panic is the failure report.
#![allow(clippy::unwrap_used)]

mod browser;
mod chromium;
mod helpers;

mod accounts;
mod actions;
mod cli;
mod compat;
mod coverage;
mod crash;
mod files_attachments;
mod files_crash;
mod files_download;
mod files_python;
mod files_upload;
mod flows;
mod gaps_clients;
mod gaps_gone;
mod gaps_thread_pages;
mod idempotency;
mod messages_edit;
mod messages_group_commit;
mod messages_legacy;
mod messages_post;
mod messages_read;
mod messages_validation;
mod messaging;
mod oauth;
mod oauth_codes;
mod oauth_tokens;
mod polldock_guide;
mod polldock_harness;
mod properties;
mod request_ids;
mod sdk;
mod security_outbound;
mod security_passwords;
mod security_scopes;
mod security_small;
mod security_small_access;
mod security_small_metrics;
mod security_small_urls;
mod security_streams;
mod security_threads;
mod security_uploads;
mod security_uploads_memory;
mod sources;
mod sources_health;
mod sources_rotate;
mod sources_web;
mod store_access;
mod store_conformance;
mod store_integrations;
mod store_messages;
mod store_oauth;
mod store_source_health;
mod store_sqlite;
mod stream_client;
mod stream_reader;
mod stream_resume;
mod streaming;
mod threads;
mod ui;
mod ui_inbox;
mod ui_polldock;
mod ui_sources;
mod ui_xss;
mod web;
mod web_app;
mod web_files;
mod wire_shapes;
mod xss;
