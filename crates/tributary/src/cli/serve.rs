//! `tributary serve`: configuration, the listeners, and the server until shutdown.

use clap::Args;

use super::{demo, DatabaseArg};
use crate::config::{Config, Overrides, Secret};
use crate::error::{ApiError, ApiResult};
use crate::metrics::{Metrics, MetricsAccess};
use crate::server;

#[derive(Debug, Args)]
pub(super) struct ServeArgs {
    /// Address to listen on [default: 127.0.0.1:8080]
    #[arg(long, env = "TRIBUTARY_LISTEN")]
    listen: Option<String>,
    /// Serve `/metrics` on this address, and only there (the API listener answers 404).
    #[arg(long, env = "TRIBUTARY_METRICS_LISTEN")]
    metrics_listen: Option<String>,
    /// Require `Authorization: Bearer <token>` for `/metrics`.
    #[arg(long, env = "TRIBUTARY_METRICS_TOKEN", hide_env_values = true)]
    metrics_token: Option<String>,
    /// The URL clients reach this server at, used in `url` and `web_url` fields.
    #[arg(long, env = "TRIBUTARY_PUBLIC_URL")]
    public_url: Option<String>,
    /// Largest accepted request body, in bytes [default: 1048576]
    #[arg(long, env = "TRIBUTARY_MAX_BODY_BYTES")]
    max_body_bytes: Option<usize>,
    /// Largest uploaded file, in bytes [default: 104857600]
    #[arg(long, env = "TRIBUTARY_MAX_UPLOAD_BYTES")]
    max_upload_bytes: Option<u64>,
    /// Uploads (bodies over the body limit) that run at once; more wait briefly, then get
    /// 503 with Retry-After [default: 4]
    #[arg(long, env = "TRIBUTARY_MAX_CONCURRENT_UPLOADS")]
    max_concurrent_uploads: Option<usize>,
    /// Keep uploaded files in this directory [default: `files/` beside an SQLite database;
    /// in the database with PostgreSQL]
    #[arg(long, env = "TRIBUTARY_FILES_DIR")]
    files_dir: Option<std::path::PathBuf>,
    /// A TOML file with any of: listen, metrics_listen, metrics_token, database, public_url,
    /// max_body_bytes, max_upload_bytes, max_concurrent_uploads, files_dir,
    /// allow_private_action_targets, action_ca_file, smtp_url, smtp_from, flow_token_grace_secs,
    /// rate_limits, rate_limit_per_second, rate_limit_ip_per_second, rate_limit_burst,
    /// oauth_token_per_minute, password_attempts_per_minute, password_attempts_per_minute_per_ip.
    #[arg(long, env = "TRIBUTARY_CONFIG")]
    config: Option<std::path::PathBuf>,
    /// Let thread actions call private, loopback and link-local addresses (refused by
    /// default, so integrations cannot make the server reach its own network).
    #[arg(long, env = "TRIBUTARY_ALLOW_PRIVATE_ACTION_TARGETS")]
    allow_private_action_targets: bool,
    /// A PEM file of CA certificates that `https://` thread-action targets may also chain to,
    /// besides the platform's roots (for internal integrations).
    #[arg(long, env = "TRIBUTARY_ACTION_CA_FILE")]
    action_ca_file: Option<std::path::PathBuf>,
    /// Send invitation emails through this SMTP server: `smtp://HOST:PORT` (add
    /// `?tls=required` for STARTTLS) or `smtps://HOST:PORT`, with `USER:PASSWORD@` if needed.
    /// Without it, the inviter is shown each invitation's link to pass on.
    #[arg(long, env = "TRIBUTARY_SMTP_URL", hide_env_values = true)]
    smtp_url: Option<String>,
    /// The `From` address of invitation emails [default: Tributary <tributary@localhost>]
    #[arg(long, env = "TRIBUTARY_SMTP_FROM")]
    smtp_from: Option<String>,
    /// Seconds a rotated flow_token keeps working, and the most a rotation may ask for;
    /// 0 ends the old token at once [default: 86400]
    #[arg(long = "flow-token-grace", env = "TRIBUTARY_FLOW_TOKEN_GRACE")]
    flow_token_grace_secs: Option<u64>,
    /// `false` turns every rate limit off [default: true]
    #[arg(long, env = "TRIBUTARY_RATE_LIMITS", action = clap::ArgAction::Set)]
    rate_limits: Option<bool>,
    /// Requests a second one credential may make, sustained [default: 50]
    #[arg(long, env = "TRIBUTARY_RATE_LIMIT_PER_SECOND")]
    rate_limit_per_second: Option<f64>,
    /// Requests a second one address may make without a credential [default: 20]
    #[arg(long, env = "TRIBUTARY_RATE_LIMIT_IP_PER_SECOND")]
    rate_limit_ip_per_second: Option<f64>,
    /// Requests a credential (or an address without one) may make at once [default: 500]
    #[arg(long, env = "TRIBUTARY_RATE_LIMIT_BURST")]
    rate_limit_burst: Option<u32>,
    /// `POST /oauth/token` a minute from one address [default: 60]
    #[arg(long, env = "TRIBUTARY_OAUTH_TOKEN_PER_MINUTE")]
    oauth_token_per_minute: Option<u32>,
    /// Failed password checks a minute for one account [default: 10]
    #[arg(long, env = "TRIBUTARY_PASSWORD_ATTEMPTS_PER_MINUTE")]
    password_attempts_per_minute: Option<u32>,
    /// Failed password checks a minute from one address [default: 30]
    #[arg(long, env = "TRIBUTARY_PASSWORD_ATTEMPTS_PER_MINUTE_PER_IP")]
    password_attempts_per_minute_per_ip: Option<u32>,
    /// Seed a demo organization, flow and admin user, and print how to sign in.
    #[arg(long)]
    demo: bool,
    #[command(flatten)]
    db: DatabaseArg,
}

pub(super) async fn run(args: ServeArgs) -> ApiResult<()> {
    let config = Config::load(Overrides {
        listen: args.listen,
        metrics_listen: args.metrics_listen,
        metrics_token: args.metrics_token,
        database: args.db.database,
        public_url: args.public_url,
        max_body_bytes: args.max_body_bytes,
        max_upload_bytes: args.max_upload_bytes,
        max_concurrent_uploads: args.max_concurrent_uploads,
        files_dir: args.files_dir,
        allow_private_action_targets: args.allow_private_action_targets.then_some(true),
        action_ca_file: args.action_ca_file,
        smtp_url: args.smtp_url,
        smtp_from: args.smtp_from,
        flow_token_grace_secs: args.flow_token_grace_secs,
        rate_limits: args.rate_limits,
        rate_limit_per_second: args.rate_limit_per_second,
        rate_limit_ip_per_second: args.rate_limit_ip_per_second,
        rate_limit_burst: args.rate_limit_burst,
        oauth_token_per_minute: args.oauth_token_per_minute,
        password_attempts_per_minute: args.password_attempts_per_minute,
        password_attempts_per_minute_per_ip: args.password_attempts_per_minute_per_ip,
        file: args.config,
    })
    .map_err(ApiError::BadRequest)?;
    // A CA file that cannot be used stops the server before it opens anything.
    let action_tls = match &config.action_ca_file {
        Some(ca) => Some(crate::state::ActionTls::new(Some(ca)).map_err(ApiError::BadRequest)?),
        None => None,
    };
    let mail = match &config.smtp_url {
        Some(url) => crate::state::Mailer::new(url.expose(), &config.smtp_from)
            .map_err(ApiError::BadRequest)?,
        None => crate::state::Mailer::none(),
    };
    let store = crate::store::connect(&config.database).await?;
    let _single_node = single_node_lock(&config.database)?;
    if args.demo {
        let seed = demo::seed(&store, &config.public_url).await?;
        println!("{seed}");
    }
    let listener = bind(config.listen).await?;
    let metrics_listener = match config.metrics_listen {
        Some(addr) => Some(bind(addr).await?),
        None => None,
    };
    let mut state = server::state(store, &config.public_url);
    state.metrics = std::sync::Arc::new(Metrics::new(MetricsAccess::new(
        config.metrics_token.as_ref().map(Secret::expose),
        metrics_listener.is_some(),
    )));
    state.files.max_upload_bytes = config.max_upload_bytes;
    state
        .files
        .set_max_concurrent_uploads(config.max_concurrent_uploads);
    if let Some(dir) = &config.files_dir {
        state.blobs = std::sync::Arc::new(crate::store::blobs::FsBlobStore::open(dir)?);
    }
    state.actions.allow_private_targets = config.allow_private_action_targets;
    state.mail = mail;
    state.limits = crate::state::RateLimits::new(&config.limits);
    state.flow_token_grace = std::time::Duration::from_secs(config.flow_token_grace_secs);
    if let Some(tls) = action_tls {
        state.actions.tls = tls;
    }
    let bound = listener
        .local_addr()
        .map(|a| a.to_string())
        .unwrap_or_default();
    tracing::info!(server.listen = %bound, server.public_url = %config.public_url, "server.started");
    // The metrics listener ends with the server: it holds no stream worth draining.
    let metrics_server = metrics_listener.map(|l| {
        tracing::info!(server.metrics_listen = %l.local_addr().map(|a| a.to_string()).unwrap_or_default(), "server.metrics_listening");
        let router = server::metrics_router(state.clone());
        tokio::spawn(server::serve(l, router, std::future::pending()))
    });
    let shutdown = server::shutdown_streams(&state, server::shutdown_signal());
    let served = server::serve(
        listener,
        server::router(state, config.max_body_bytes),
        shutdown,
    )
    .await;
    if let Some(task) = metrics_server {
        task.abort();
    }
    served.map_err(ApiError::internal)?;
    tracing::info!("server.stopped");
    Ok(())
}

async fn bind(addr: std::net::SocketAddr) -> ApiResult<tokio::net::TcpListener> {
    tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| ApiError::BadRequest(format!("cannot listen on {addr}: {e}")))
}

/// With SQLite only one node may serve: a second would never see the first one's live events,
/// which travel through the writer inside the serving process. Held until the server exits;
/// admin commands do not take it, so they keep working beside a running server.
fn single_node_lock(database: &str) -> ApiResult<Option<std::fs::File>> {
    if database.starts_with("postgres://") || database.starts_with("postgresql://") {
        return Ok(None);
    }
    let path = format!(
        "{}.serve-lock",
        database.strip_prefix("sqlite://").unwrap_or(database)
    );
    let file = std::fs::File::create(&path)
        .map_err(|e| ApiError::internal(format!("cannot create {path}: {e}")))?;
    match file.try_lock() {
        Ok(()) => Ok(Some(file)),
        Err(_) => Err(ApiError::Conflict(format!(
            "another `tributary serve` is already using this SQLite database ({path}); \
             run more than one node on PostgreSQL"
        ))),
    }
}
