//! Provisioning through the admin CLI, as an operator would: a user, an organization, a
//! flow, an application and a source for one run.

use std::path::Path;
use std::process::{Command, Stdio};

use serde_json::Value;

use crate::server::Res;

/// What the admin CLI created for a run.
#[derive(Debug, Clone)]
pub struct Provisioned {
    pub org: String,
    pub flow: String,
    pub flow_id: String,
    /// The member user's API token (for streams and reads).
    pub api_token: String,
    pub flow_token: String,
    pub source_id: i64,
}

impl Provisioned {
    /// `Authorization: Basic <api token>:`.
    pub fn basic_auth(&self) -> String {
        use base64::Engine;
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(format!("{}:", self.api_token))
        )
    }
}

fn admin(bin: &Path, database: &str, args: &[&str]) -> Res<Value> {
    let out = Command::new(bin)
        .arg("admin")
        .args(args)
        .arg("--database")
        .arg(database)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run {}: {e}", bin.display()))?;
    if !out.status.success() {
        return Err(format!(
            "tributary admin {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    serde_json::from_slice(&out.stdout).map_err(|e| format!("tributary admin {}: {e}", args[0]))
}

fn field<'a>(v: &'a Value, k: &str) -> Res<&'a Value> {
    v.get(k)
        .ok_or_else(|| format!("admin output lacks `{k}`: {v}"))
}

fn text(v: &Value, k: &str) -> Res<String> {
    let f = field(v, k)?;
    Ok(f.as_str()
        .map(str::to_owned)
        .unwrap_or_else(|| f.to_string()))
}

/// Creates a user, an organization, a flow (with the user as member), an application and a
/// source, through `tributary admin`, as an operator would.
pub fn provision(bin: &Path, database: &str) -> Res<Provisioned> {
    let email = "bench@example.com";
    let user = admin(
        bin,
        database,
        &[
            "user",
            "create",
            "--email",
            email,
            "--name",
            "Bench User",
            "--nick",
            "bench",
        ],
    )?;
    let org = admin(
        bin,
        database,
        &["org", "create", "--name", "Bench", "--owner", email],
    )?;
    let org_name = text(&org, "parameterized_name")?;
    let flow = admin(
        bin,
        database,
        &[
            "flow", "create", "--org", &org_name, "--name", "Main", "--member", email,
        ],
    )?;
    let flow_name = text(&flow, "parameterized_name")?;
    let app = admin(
        bin,
        database,
        &[
            "app",
            "create",
            "--owner",
            email,
            "--name",
            "Bench App",
            "--redirect-uri",
            "https://bench.example.com/callback",
        ],
    )?;
    let app_id = text(&app, "id")?;
    let source = admin(
        bin,
        database,
        &[
            "source",
            "create",
            "--flow",
            &format!("{org_name}/{flow_name}"),
            "--app",
            &app_id,
            "--name",
            "Bench source",
        ],
    )?;
    Ok(Provisioned {
        org: org_name,
        flow: flow_name,
        flow_id: text(&flow, "id")?,
        api_token: text(&user, "api_token")?,
        flow_token: text(&source, "flow_token")?,
        source_id: field(&source, "id")?
            .as_i64()
            .ok_or("source id is not a number")?,
    })
}
