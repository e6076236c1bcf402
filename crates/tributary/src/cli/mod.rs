//! The `tributary` command line: `serve` and the `admin` commands.
//!
//! Every admin command prints exactly one JSON object on stdout; a failure prints
//! `{"message": ..., "errors": {...}}` on stderr and exits non-zero, so scripts can rely on both.

mod admin;
mod demo;
mod serve;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::config::DEFAULT_DATABASE;
use crate::error::ApiError;

#[derive(Debug, Parser)]
#[command(
    name = "tributary",
    version,
    about = "A self-hosted team inbox that speaks the Flowdock API"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the server.
    Serve(serve::ServeArgs),
    /// Administer users, organizations, flows, applications and sources.
    Admin(admin::AdminArgs),
}

/// The `--database` flag every command shares.
#[derive(Debug, Clone, clap::Args)]
struct DatabaseArg {
    /// sqlite://PATH (embedded, the default) or postgres://...
    #[arg(long, env = "TRIBUTARY_DATABASE", global = true)]
    database: Option<String>,
}

impl DatabaseArg {
    fn url(&self) -> String {
        self.database
            .clone()
            .unwrap_or_else(|| DEFAULT_DATABASE.to_owned())
    }
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    init_tracing();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            return fail(&ApiError::internal(format!(
                "cannot start the runtime: {e}"
            )))
        }
    };
    let result = runtime.block_on(async move {
        match cli.command {
            Command::Serve(args) => serve::run(args).await,
            Command::Admin(args) => admin::run(args).await,
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(&e),
    }
}

fn fail(e: &ApiError) -> ExitCode {
    let body = match e {
        // The CLI's user is the operator: the detail is theirs to see.
        ApiError::Internal(detail) => {
            serde_json::json!({"message": crate::error::cause_chain(&**detail)})
        }
        _ => serde_json::to_value(e.body()).unwrap_or_default(),
    };
    eprintln!("{body}");
    ExitCode::FAILURE
}

fn init_tracing() {
    let filter: tracing_subscriber::filter::Targets = std::env::var("RUST_LOG")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| "info".parse().unwrap_or_default());
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    let _ = tracing_subscriber::registry()
        .with(
            tracing_subscriber::fmt::layer()
                .with_writer(std::io::stderr)
                .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr())),
        )
        .with(filter)
        .try_init();
}
