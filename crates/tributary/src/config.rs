//! Server configuration: command-line flags, then `TRIBUTARY_*` environment variables (both
//! read by clap), then an optional TOML file, then the defaults of DESIGN §2.

use std::net::SocketAddr;
use std::path::PathBuf;

use serde::Deserialize;

mod limits;

pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";
pub const DEFAULT_DATABASE: &str = "sqlite://./tributary-data/tributary.db";
pub const DEFAULT_MAX_BODY_BYTES: usize = 1024 * 1024;
/// Largest uploaded file: 100 MiB.
pub const DEFAULT_MAX_UPLOAD_BYTES: u64 = 100 * 1024 * 1024;
/// Uploads (bodies larger than `max_body_bytes`) that run at once.
pub const DEFAULT_MAX_CONCURRENT_UPLOADS: usize = 4;
/// How long a rotated `flow_token` keeps working: a day, for an integration's deployment
/// to pick up the new one.
pub const DEFAULT_FLOW_TOKEN_GRACE_SECS: u64 = 24 * 60 * 60;

#[derive(Debug, Clone)]
pub struct Config {
    pub listen: SocketAddr,
    /// Serve `/metrics` here only, not on `listen`.
    pub metrics_listen: Option<SocketAddr>,
    /// `/metrics` needs `Authorization: Bearer <token>`.
    pub metrics_token: Option<Secret>,
    pub database: String,
    pub public_url: String,
    pub max_body_bytes: usize,
    pub max_upload_bytes: u64,
    pub max_concurrent_uploads: usize,
    /// Keep uploaded files in this directory instead of the store's default (beside the
    /// SQLite file, or in PostgreSQL).
    pub files_dir: Option<PathBuf>,
    /// Thread actions may call private, loopback and link-local addresses (issue 9).
    pub allow_private_action_targets: bool,
    /// A PEM file of extra CA certificates `https://` action targets may chain to, besides
    /// the platform's roots (internal integrations).
    pub action_ca_file: Option<PathBuf>,
    /// Invitation emails go out through this SMTP server (`smtp://` or `smtps://`, with
    /// `user:password@` when it wants them); without one the inviter is shown the link.
    pub smtp_url: Option<Secret>,
    /// The `From` of those emails.
    pub smtp_from: String,
    /// Seconds a rotated `flow_token` keeps working; `0` ends it at once.
    pub flow_token_grace_secs: u64,
    pub limits: crate::state::limits::LimitSettings,
}

/// The sender when `smtp_from` is not set.
pub const DEFAULT_SMTP_FROM: &str = "Tributary <tributary@localhost>";

/// Declares the settings that flags, `TRIBUTARY_*` variables or the TOML file may give, in
/// one list: the file's keys ([`FileConfig`]), the flags' and environment's values
/// ([`Overrides`], which also name the file), and how the two layer.
macro_rules! settings {
    ($($name:ident: $ty:ty,)*) => {
        /// The TOML file's keys; each one is optional.
        #[derive(Debug, Default, Deserialize)]
        #[serde(deny_unknown_fields)]
        pub struct FileConfig {
            $(pub $name: Option<$ty>,)*
        }

        /// Values from flags or the environment; `None` where neither gave one.
        #[derive(Debug, Default, Clone)]
        pub struct Overrides {
            $(pub $name: Option<$ty>,)*
            pub file: Option<PathBuf>,
        }

        impl Overrides {
            /// Each setting from the flags or the environment, else from the file.
            fn over(self, file: FileConfig) -> FileConfig {
                FileConfig {
                    $($name: self.$name.or(file.$name),)*
                }
            }
        }
    };
}

settings! {
    listen: String,
    metrics_listen: String,
    metrics_token: String,
    database: String,
    public_url: String,
    max_body_bytes: usize,
    max_upload_bytes: u64,
    max_concurrent_uploads: usize,
    files_dir: PathBuf,
    allow_private_action_targets: bool,
    action_ca_file: PathBuf,
    smtp_url: String,
    smtp_from: String,
    flow_token_grace_secs: u64,
    rate_limits: bool, rate_limit_per_second: f64, rate_limit_ip_per_second: f64, rate_limit_burst: u32,
    oauth_token_per_minute: u32, password_attempts_per_minute: u32, password_attempts_per_minute_per_ip: u32,
}

/// A secret from the configuration; `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret([redacted])")
    }
}

impl Config {
    pub fn load(o: Overrides) -> Result<Config, String> {
        let file = match &o.file {
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
                toml::from_str::<FileConfig>(&text)
                    .map_err(|e| format!("bad config file {}: {e}", path.display()))?
            }
            None => FileConfig::default(),
        };
        let mut s = o.over(file);
        let limits = limits::settings(&mut s)?;
        let listen_text = s.listen.unwrap_or_else(|| DEFAULT_LISTEN.to_owned());
        let listen: SocketAddr = listen_text
            .parse()
            .map_err(|_| format!("--listen must be HOST:PORT, got {listen_text:?}"))?;
        let metrics_listen = match s.metrics_listen {
            None => None,
            Some(text) => Some(
                text.parse::<SocketAddr>()
                    .map_err(|_| format!("--metrics-listen must be HOST:PORT, got {text:?}"))?,
            ),
        };
        let metrics_token = s
            .metrics_token
            .filter(|t| !t.trim().is_empty())
            .map(|t| Secret(t.trim().to_owned()));
        let public_url = s.public_url.unwrap_or_else(|| format!("http://{listen}"));
        url::Url::parse(&public_url)
            .map_err(|e| format!("--public-url {public_url:?} is not a URL: {e}"))?;
        let max_concurrent_uploads = s
            .max_concurrent_uploads
            .unwrap_or(DEFAULT_MAX_CONCURRENT_UPLOADS);
        if max_concurrent_uploads == 0 {
            return Err("--max-concurrent-uploads must be at least 1".into());
        }
        Ok(Config {
            listen,
            metrics_listen,
            metrics_token,
            database: s.database.unwrap_or_else(|| DEFAULT_DATABASE.to_owned()),
            public_url,
            max_body_bytes: s.max_body_bytes.unwrap_or(DEFAULT_MAX_BODY_BYTES),
            max_upload_bytes: s.max_upload_bytes.unwrap_or(DEFAULT_MAX_UPLOAD_BYTES),
            max_concurrent_uploads,
            files_dir: s.files_dir,
            allow_private_action_targets: s.allow_private_action_targets.unwrap_or(false),
            action_ca_file: s.action_ca_file,
            smtp_url: s
                .smtp_url
                .filter(|u| !u.trim().is_empty())
                .map(|u| Secret(u.trim().to_owned())),
            smtp_from: s.smtp_from.unwrap_or_else(|| DEFAULT_SMTP_FROM.to_owned()),
            flow_token_grace_secs: s
                .flow_token_grace_secs
                .unwrap_or(DEFAULT_FLOW_TOKEN_GRACE_SECS),
            limits,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_win_over_the_file_and_the_file_over_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.toml");
        std::fs::write(
            &path,
            "listen = \"127.0.0.1:9999\"\ndatabase = \"sqlite://x.db\"\n",
        )
        .unwrap();
        let c = Config::load(Overrides {
            file: Some(path.clone()),
            ..Default::default()
        })
        .unwrap();
        assert_eq!(c.listen.port(), 9999);
        assert_eq!(c.database, "sqlite://x.db");
        assert_eq!(c.public_url, "http://127.0.0.1:9999");
        let c = Config::load(Overrides {
            file: Some(path),
            listen: Some("127.0.0.1:1".into()),
            ..Default::default()
        })
        .unwrap();
        assert_eq!(c.listen.port(), 1);
        let c = Config::load(Overrides::default()).unwrap();
        assert_eq!(c.database, DEFAULT_DATABASE);
        assert_eq!(c.max_upload_bytes, DEFAULT_MAX_UPLOAD_BYTES);
        assert_eq!(c.files_dir, None);
        assert!(
            !c.allow_private_action_targets,
            "private targets are refused by default"
        );
    }

    #[test]
    fn upload_settings_come_from_the_file_or_flags() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.toml");
        std::fs::write(&path, "max_upload_bytes = 10\nfiles_dir = \"/srv/files\"\n").unwrap();
        let c = Config::load(Overrides {
            file: Some(path.clone()),
            ..Default::default()
        })
        .unwrap();
        assert_eq!(c.max_upload_bytes, 10);
        assert_eq!(c.files_dir, Some(PathBuf::from("/srv/files")));
        let c = Config::load(Overrides {
            file: Some(path),
            max_upload_bytes: Some(20),
            ..Default::default()
        })
        .unwrap();
        assert_eq!(c.max_upload_bytes, 20);
    }

    #[test]
    fn concurrent_uploads_come_from_the_file_or_flags_and_are_at_least_one() {
        assert_eq!(
            Config::load(Overrides::default())
                .unwrap()
                .max_concurrent_uploads,
            DEFAULT_MAX_CONCURRENT_UPLOADS
        );
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.toml");
        std::fs::write(&path, "max_concurrent_uploads = 2\n").unwrap();
        let from_file = |o: Overrides| {
            Config::load(Overrides {
                file: Some(path.clone()),
                ..o
            })
        };
        assert_eq!(
            from_file(Overrides::default())
                .unwrap()
                .max_concurrent_uploads,
            2
        );
        let flag = Overrides {
            max_concurrent_uploads: Some(8),
            ..Default::default()
        };
        assert_eq!(from_file(flag).unwrap().max_concurrent_uploads, 8);
        let zero = Overrides {
            max_concurrent_uploads: Some(0),
            ..Default::default()
        };
        assert!(from_file(zero).is_err());
    }

    #[test]
    fn private_action_targets_are_allowed_by_the_file_or_the_flag() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.toml");
        std::fs::write(&path, "allow_private_action_targets = true\n").unwrap();
        let c = Config::load(Overrides {
            file: Some(path),
            ..Default::default()
        })
        .unwrap();
        assert!(c.allow_private_action_targets);
        let c = Config::load(Overrides {
            allow_private_action_targets: Some(true),
            ..Default::default()
        })
        .unwrap();
        assert!(c.allow_private_action_targets);
    }

    #[test]
    fn the_action_ca_file_comes_from_the_file_or_the_flag() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.toml");
        std::fs::write(&path, "action_ca_file = \"/etc/tributary/ca.pem\"\n").unwrap();
        let c = Config::load(Overrides {
            file: Some(path.clone()),
            ..Default::default()
        })
        .unwrap();
        assert_eq!(
            c.action_ca_file,
            Some(PathBuf::from("/etc/tributary/ca.pem"))
        );
        let c = Config::load(Overrides {
            file: Some(path),
            action_ca_file: Some("/srv/ca.pem".into()),
            ..Default::default()
        })
        .unwrap();
        assert_eq!(c.action_ca_file, Some(PathBuf::from("/srv/ca.pem")));
        assert_eq!(
            Config::load(Overrides::default()).unwrap().action_ca_file,
            None
        );
    }

    #[test]
    fn metrics_settings_come_from_the_file_or_flags_and_stay_out_of_debug() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.toml");
        std::fs::write(
            &path,
            "metrics_listen = \"127.0.0.1:9100\"\nmetrics_token = \"from-file\"\n",
        )
        .unwrap();
        let c = Config::load(Overrides {
            file: Some(path.clone()),
            ..Default::default()
        })
        .unwrap();
        assert_eq!(c.metrics_listen.map(|a| a.port()), Some(9100));
        assert_eq!(
            c.metrics_token.as_ref().map(Secret::expose),
            Some("from-file")
        );
        assert!(!format!("{c:?}").contains("from-file"));
        let c = Config::load(Overrides {
            file: Some(path),
            metrics_token: Some("from-flag".into()),
            ..Default::default()
        })
        .unwrap();
        assert_eq!(
            c.metrics_token.as_ref().map(Secret::expose),
            Some("from-flag")
        );
        let c = Config::load(Overrides {
            metrics_token: Some(" ".into()),
            ..Default::default()
        })
        .unwrap();
        assert_eq!((c.metrics_listen, c.metrics_token), (None, None));
        assert!(Config::load(Overrides {
            metrics_listen: Some("nope".into()),
            ..Default::default()
        })
        .is_err());
    }

    #[test]
    fn bad_values_are_reported() {
        assert!(Config::load(Overrides {
            listen: Some("nope".into()),
            ..Default::default()
        })
        .is_err());
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.toml");
        std::fs::write(&path, "unknown_key = 1\n").unwrap();
        assert!(Config::load(Overrides {
            file: Some(path),
            ..Default::default()
        })
        .is_err());
    }

    #[test]
    fn the_flow_token_grace_comes_from_the_file_or_flags() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.toml");
        std::fs::write(&path, "flow_token_grace_secs = 60\n").unwrap();
        let load = |flag: Option<u64>, file: bool| {
            Config::load(Overrides {
                flow_token_grace_secs: flag,
                file: file.then(|| path.clone()),
                ..Default::default()
            })
            .unwrap()
            .flow_token_grace_secs
        };
        assert_eq!(load(None, false), DEFAULT_FLOW_TOKEN_GRACE_SECS);
        assert_eq!(load(None, true), 60);
        assert_eq!(load(Some(0), true), 0);
    }
}
