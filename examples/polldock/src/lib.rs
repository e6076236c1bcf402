//! Polldock: people create polls, vote, comment and close polls, and every step reaches the
//! flows that added Polldock as an integration. It follows the integration guide step by
//! step, using nothing but `tributary-sdk` to talk to Tributary:
//!
//! - `setup`: the setup endpoint (`flow`, `flow_url`), OAuth with `state` and PKCE, the
//!   callback, `GET /flows/find`, the confirmation screen, the source creation, and the
//!   configuration page Tributary's "Configure" button opens (`integration_id`, `flow`).
//! - `publish`: activities and discussions into each flow's thread `polldock:poll:<id>`,
//!   `error_message` set while posting keeps failing and cleared once it works, and the
//!   stored integration deleted when Tributary answers 410.
//! - `actions`: the "Vote: <option>" UpdateActions, verified with the SDK; an unknown
//!   Flowdock user gets the 401 challenge that leads to the pairing page.
//! - `polls` and `session`: the app itself.

pub mod actions;
pub mod db;
pub mod pages;
pub mod polls;
pub mod publish;
pub mod session;
pub mod setup;

use std::net::SocketAddr;
use std::path::PathBuf;

use axum::routing::{get, post};
use axum::Router;
use clap::Parser;

/// How Polldock reaches Tributary and how Tributary reaches it.
#[derive(Debug, Clone, Parser)]
#[command(
    name = "polldock",
    about = "Polls in your flows: the example Tributary integration"
)]
pub struct Config {
    /// Where to listen.
    #[arg(long, env = "POLLDOCK_LISTEN", default_value = "127.0.0.1:3000")]
    pub listen: SocketAddr,
    /// The URL people and Tributary reach Polldock at [default: http:// + --listen].
    #[arg(long, env = "POLLDOCK_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// Tributary's base URL.
    #[arg(
        long,
        env = "POLLDOCK_TRIBUTARY_URL",
        default_value = "http://127.0.0.1:8080"
    )]
    pub tributary_url: String,
    /// The developer application, as `tributary admin app create` prints it:
    /// `{"id", "client_id", "client_secret"}`. Or pass --client-id and --client-secret.
    #[arg(long, env = "POLLDOCK_APP")]
    pub app: Option<String>,
    #[arg(long, env = "POLLDOCK_CLIENT_ID")]
    pub client_id: Option<String>,
    #[arg(long, env = "POLLDOCK_CLIENT_SECRET")]
    pub client_secret: Option<String>,
    /// Polldock's SQLite file.
    #[arg(
        long,
        env = "POLLDOCK_DATABASE",
        default_value = "./polldock-data/polldock.db"
    )]
    pub database: PathBuf,
}

/// What every handler shares.
#[derive(Clone)]
pub struct App {
    pub db: db::Db,
    pub public_url: String,
    pub tributary_url: String,
    pub client_id: String,
    pub client_secret: String,
    /// Signs pairing claims; Polldock's own, kept in its database.
    pub claim_secret: String,
    pub oauth: tributary_sdk::oauth::OAuth,
}

/// The redirect URI to register for the application.
pub const CALLBACK_PATH: &str = "/auth/flowdock/callback";

impl App {
    pub fn new(config: &Config) -> Result<App, String> {
        let (client_id, client_secret) = credentials(config)?;
        let public_url = config
            .public_url
            .clone()
            .unwrap_or_else(|| format!("http://{}", config.listen))
            .trim_end_matches('/')
            .to_owned();
        let db = db::Db::open(&config.database)
            .map_err(|e| format!("cannot open {}: {e}", config.database.display()))?;
        let claim_secret = db
            .setting("claim_secret", session::random_token)
            .map_err(|e| e.to_string())?;
        let oauth = tributary_sdk::oauth::OAuth::new(
            &config.tributary_url,
            &client_id,
            &client_secret,
            &format!("{public_url}{CALLBACK_PATH}"),
        )
        .map_err(|e| e.to_string())?;
        Ok(App {
            db,
            public_url,
            tributary_url: config.tributary_url.trim_end_matches('/').to_owned(),
            client_id,
            client_secret,
            claim_secret,
            oauth,
        })
    }
}

fn credentials(config: &Config) -> Result<(String, String), String> {
    if let Some(json) = &config.app {
        let v: serde_json::Value =
            serde_json::from_str(json).map_err(|e| format!("--app is not JSON: {e}"))?;
        let field = |k: &str| {
            v.get(k)
                .and_then(|x| x.as_str())
                .map(str::to_owned)
                .ok_or_else(|| format!("--app has no {k}"))
        };
        return Ok((field("client_id")?, field("client_secret")?));
    }
    match (&config.client_id, &config.client_secret) {
        (Some(id), Some(secret)) => Ok((id.clone(), secret.clone())),
        _ => Err(
            "pass --app '<output of tributary admin app create>', or --client-id and \
                  --client-secret"
                .into(),
        ),
    }
}

pub fn router(app: App) -> Router {
    Router::new()
        .route("/", get(polls::index))
        .route("/login", get(session::show_login).post(session::login))
        .route("/polls", post(polls::create_poll))
        .route("/polls/{id}", get(polls::show_poll))
        .route("/polls/{id}/vote", post(polls::vote))
        .route("/polls/{id}/comments", post(polls::comment))
        .route("/polls/{id}/close", post(polls::close))
        .route("/integrations", get(setup::list_integrations))
        .route("/flowdock/setup", get(setup::start_setup))
        .route(CALLBACK_PATH, get(setup::callback))
        .route("/flowdock/confirm", post(setup::confirm))
        .route(
            "/flowdock/configure",
            get(setup::show_configuration).post(setup::save_configuration),
        )
        .route(
            "/flowdock/polls/{id}/vote/{option}",
            post(actions::vote_from_flow),
        )
        .route(
            "/pair",
            get(actions::show_pairing).post(actions::start_pairing),
        )
        .with_state(app)
}

/// Serves Polldock until the process ends.
pub async fn run(config: Config) -> Result<(), String> {
    let app = App::new(&config)?;
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", config.listen))?;
    eprintln!(
        "polldock listening on {} (Tributary at {}; register the redirect URI {}{CALLBACK_PATH})",
        app.public_url, app.tributary_url, app.public_url
    );
    axum::serve(listener, router(app))
        .await
        .map_err(|e| e.to_string())
}
