//! The test harness: `TestApp::spawn` starts the real server on a random loopback port with a
//! fresh database, SQLite in a temporary directory or a fresh PostgreSQL schema.

use std::sync::atomic::{AtomicU64, Ordering};

use tokio::sync::oneshot;
use tributary::state::limits::LimitSettings;
use tributary::store::{self, DynStore, FlowRecord, OrgRecord};
use tributary_sdk::Client;

pub(crate) const MAX_BODY_BYTES: usize = 64 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Backend {
    Sqlite,
    Postgres,
}

/// Runs each named `async fn name(backend: Backend)` once per backend, as `sqlite::name` and
/// `postgres::name`.
#[macro_export]
macro_rules! backend_tests {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test]
                async fn $name() {
                    super::$name($crate::helpers::Backend::Sqlite).await
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test]
                async fn $name() {
                    super::$name($crate::helpers::Backend::Postgres).await
                }
            )*
        }
    };
}

/// A fresh, empty database for one test, and what keeps it alive.
pub(crate) struct TestDb {
    pub url: String,
    _dir: Option<tempfile::TempDir>,
}

impl TestDb {
    /// The same database again, for a second node; the first keeps it alive.
    pub(crate) fn share(&self) -> TestDb {
        TestDb {
            url: self.url.clone(),
            _dir: None,
        }
    }

    pub(crate) async fn new(backend: Backend) -> TestDb {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("temp dir");
                let url = format!("sqlite://{}", dir.path().join("tributary.db").display());
                TestDb {
                    url,
                    _dir: Some(dir),
                }
            }
            Backend::Postgres => TestDb {
                url: fresh_pg_schema().await,
                _dir: None,
            },
        }
    }

    pub(crate) async fn connect(&self) -> DynStore {
        store::connect(&self.url)
            .await
            .expect("store opens and migrates")
    }
}

/// The PostgreSQL server every Postgres test uses. `scripts/test` sets it; without it the tests
/// try the conventional local server and fail loudly when there is none (never skip).
pub(crate) fn pg_url() -> String {
    std::env::var("TRIBUTARY_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

static SCHEMAS: AtomicU64 = AtomicU64::new(0);

/// Creates a new schema and returns a URL whose connections use it, so tests never share rows.
async fn fresh_pg_schema() -> String {
    let base = pg_url();
    let (client, conn) = tokio_postgres::connect(&base, tokio_postgres::NoTls)
        .await
        .unwrap_or_else(|e| {
            panic!(
                "PostgreSQL at {base} is required for the postgres tests (run scripts/test): {e}"
            )
        });
    tokio::spawn(conn);
    let schema = format!(
        "t_{}_{}_{}",
        std::process::id(),
        SCHEMAS.fetch_add(1, Ordering::Relaxed),
        tributary::secrets::new_token(4)
    );
    client
        .batch_execute(&format!("CREATE SCHEMA {schema}"))
        .await
        .expect("create schema");
    let sep = if base.contains('?') { '&' } else { '?' };
    format!("{base}{sep}options=-csearch_path%3D{schema}")
}

pub(crate) struct TestApp {
    pub base_url: String,
    pub store: DynStore,
    /// Where the server keeps uploaded files.
    pub blobs: tributary::store::DynBlobStore,
    pub db: TestDb,
    pub http: reqwest::Client,
    shutdown: Option<oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

/// Server settings that tests vary.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Settings {
    pub keepalive: std::time::Duration,
    pub bus_capacity: usize,
    /// The production rate limits, unless a test floods on purpose (issue 18).
    pub rate_limits: bool,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            keepalive: tributary::stream::KEEPALIVE,
            bus_capacity: tributary::bus::CAPACITY,
            rate_limits: true,
        }
    }
}

/// A user made through the store, with its secrets.
#[derive(Clone, Debug)]
pub(crate) struct TestUser {
    pub id: i64,
    pub email: String,
    pub password: String,
    pub token: String,
    pub client: Client,
}

static USERS: AtomicU64 = AtomicU64::new(0);

impl TestApp {
    pub(crate) async fn spawn(backend: Backend) -> TestApp {
        let db = TestDb::new(backend).await;
        Self::spawn_on(db).await
    }

    /// Starts a server on an existing database (a second node, or after the CLI wrote to it).
    pub(crate) async fn spawn_on(db: TestDb) -> TestApp {
        Self::spawn_on_with(db, Settings::default(), |_| {}).await
    }

    /// A server with non-default stream settings on an existing database (a second node).
    pub(crate) async fn spawn_on_tuned(db: TestDb, settings: Settings) -> TestApp {
        Self::spawn_on_with(db, settings, |_| {}).await
    }

    /// A server whose state `configure` adjusts first (file limits, for example).
    pub(crate) async fn spawn_with(
        backend: Backend,
        configure: impl FnOnce(&mut tributary::state::AppState),
    ) -> TestApp {
        let db = TestDb::new(backend).await;
        Self::spawn_on_with(db, Settings::default(), configure).await
    }

    /// A server with non-default stream settings.
    pub(crate) async fn spawn_tuned(backend: Backend, settings: Settings) -> TestApp {
        let db = TestDb::new(backend).await;
        Self::spawn_on_with(db, settings, |_| {}).await
    }

    async fn spawn_on_with(
        db: TestDb,
        settings: Settings,
        configure: impl FnOnce(&mut tributary::state::AppState),
    ) -> TestApp {
        let bus = tributary::bus::Bus::with_capacity(settings.bus_capacity);
        let store = store::connect_with_bus(&db.url, bus)
            .await
            .expect("store opens and migrates");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let base_url = format!("http://{}", listener.local_addr().expect("addr"));
        let mut state = tributary::server::state(store.clone(), &base_url);
        state.streams.keepalive = settings.keepalive;
        // The tests' integrations listen on loopback (`--allow-private-action-targets`).
        state.actions.allow_private_targets = true;
        if !settings.rate_limits {
            state.limits = tributary::state::RateLimits::new(&LimitSettings {
                enabled: false,
                ..LimitSettings::default()
            });
        }
        configure(&mut state);
        let blobs = state.blobs.clone();
        let (tx, rx) = oneshot::channel::<()>();
        let shutdown = tributary::server::shutdown_streams(&state, async {
            let _ = rx.await;
        });
        let router = tributary::server::router(state, MAX_BODY_BYTES);
        let server = tokio::spawn(tributary::server::serve(listener, router, shutdown));
        TestApp {
            base_url,
            store,
            blobs,
            db,
            http: reqwest::Client::new(),
            shutdown: Some(tx),
            server: Some(server),
        }
    }

    /// Shuts the server down gracefully and waits until it has stopped serving.
    pub(crate) async fn stop(&mut self) -> std::io::Result<()> {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        match self.server.take() {
            Some(server) => server.await.expect("server task"),
            None => Ok(()),
        }
    }

    /// An SDK client without credentials.
    pub(crate) fn sdk(&self) -> Client {
        Client::new(&self.base_url)
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{}", self.base_url, path)
    }

    pub(crate) async fn user(&self, nick: &str) -> TestUser {
        let n = USERS.fetch_add(1, Ordering::Relaxed);
        let email = format!("{nick}{n}@example.com");
        let password = format!("pw-{nick}-secret");
        let (user, token) = tributary::users::create_user(
            &self.store,
            tributary::users::CreateUser {
                email: email.clone(),
                name: format!("{nick} Tester"),
                nick: nick.to_owned(),
                password: Some(password.clone()),
            },
        )
        .await
        .expect("create user");
        TestUser {
            id: user.id,
            email,
            password,
            client: self.sdk().with_api_token(&token),
            token,
        }
    }

    /// An organization whose first admin is `owner`.
    pub(crate) async fn org(&self, name: &str, owner: &TestUser) -> OrgRecord {
        tributary::organizations::create_org(&self.store, name, Some(&owner.email))
            .await
            .expect("create org")
    }

    pub(crate) async fn join_org(&self, org: &OrgRecord, user: &TestUser, admin: bool) {
        self.store
            .add_org_member(org.id, user.id, admin)
            .await
            .expect("join org");
    }

    /// A flow in `org` with `members` joined.
    pub(crate) async fn flow(
        &self,
        org: &OrgRecord,
        name: &str,
        mode: tributary_types::AccessMode,
        members: &[&TestUser],
    ) -> FlowRecord {
        let flow =
            tributary::flows::create_flow(&self.store, &org.parameterized_name, name, mode, None)
                .await
                .expect("create flow");
        for m in members {
            self.store
                .set_flow_member(&flow.id, m.id, true)
                .await
                .expect("join flow");
        }
        flow
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// Sends `signal` (`"TERM"`, `"KILL"`) to a server started as a child process and waits, at
/// most 10 s, for it to exit.
pub(crate) async fn signal_and_wait(
    child: &mut tokio::process::Child,
    signal: &str,
) -> std::process::ExitStatus {
    let pid = child.id().expect("the child is running").to_string();
    assert!(std::process::Command::new("kill")
        .args([&format!("-{signal}"), &pid])
        .status()
        .expect("kill runs")
        .success());
    tokio::time::timeout(std::time::Duration::from_secs(10), child.wait())
        .await
        .expect("exits within 10 s")
        .expect("its status")
}
