//! `cargo run -p polldock -- --app "$(tributary admin app create ...)"`: see the README.

use clap::Parser;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let config = polldock::Config::parse();
    match polldock::run(config).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("polldock: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
