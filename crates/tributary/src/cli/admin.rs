//! `tributary admin ...`: operator commands that write straight to the store.

use clap::{Args, Subcommand};
use serde_json::{json, Value};

use super::DatabaseArg;
use crate::error::{ApiError, ApiResult};
use crate::store::{DynStore, FlowRecord, UserRecord};
use crate::{apps, flows, organizations, sources, users};

#[derive(Debug, Args)]
pub(super) struct AdminArgs {
    #[command(subcommand)]
    command: AdminCommand,
    #[command(flatten)]
    db: DatabaseArg,
}

#[derive(Debug, Subcommand)]
enum AdminCommand {
    /// Users.
    #[command(subcommand)]
    User(UserCommand),
    /// Organizations.
    #[command(subcommand)]
    Org(OrgCommand),
    /// Flows.
    #[command(subcommand)]
    Flow(FlowCommand),
    /// Developer applications.
    #[command(subcommand)]
    App(AppCommand),
    /// Sources (integrations installed in flows).
    #[command(subcommand)]
    Source(SourceCommand),
}

#[derive(Debug, Subcommand)]
enum UserCommand {
    /// Create a user; prints {"id", "api_token"}.
    Create {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        #[arg(long)]
        nick: String,
        #[arg(long)]
        password: Option<String>,
        /// Make the user a site administrator, who may publish applications. Organization
        /// admin rights come from `org add-user --admin`.
        #[arg(long)]
        admin: bool,
    },
    /// Disable an account: its credentials stop working and its open streams end within a
    /// keep-alive. Prints {"id", "disabled"}.
    Disable {
        #[arg(long)]
        email: String,
        /// Enable the account again instead.
        #[arg(long)]
        enable: bool,
    },
}

#[derive(Debug, Subcommand)]
enum OrgCommand {
    /// Create an organization; prints {"id", "parameterized_name"}.
    Create {
        #[arg(long)]
        name: String,
        /// Email of a user who becomes the organization's first admin.
        #[arg(long)]
        owner: Option<String>,
    },
    /// Add a user to an organization.
    AddUser {
        #[arg(long)]
        org: String,
        #[arg(long)]
        email: String,
        #[arg(long)]
        admin: bool,
    },
}

#[derive(Debug, Subcommand)]
enum FlowCommand {
    /// Create a flow; prints {"id", "parameterized_name"}.
    Create {
        #[arg(long)]
        org: String,
        #[arg(long)]
        name: String,
        /// Email of a user to add to the flow; repeat for more.
        #[arg(long = "member")]
        members: Vec<String>,
        #[arg(long, default_value = "invitation")]
        access_mode: String,
    },
    /// Take a user out of a flow; its open streams of the flow end within a keep-alive.
    /// Prints {"flow", "user_id", "removed"}.
    RemoveUser {
        /// ORG/FLOW, by parameterized names.
        #[arg(long)]
        flow: String,
        #[arg(long)]
        email: String,
    },
}

#[derive(Debug, Subcommand)]
enum AppCommand {
    /// Create a developer application; prints {"id", "client_id", "client_secret"}.
    Create {
        #[arg(long)]
        owner: String,
        #[arg(long)]
        name: String,
        #[arg(long)]
        redirect_uri: String,
        #[arg(long)]
        setup_uri: Option<String>,
        #[arg(long)]
        configuration_uri: Option<String>,
        #[arg(long)]
        icon_url: Option<String>,
        #[arg(long)]
        published: bool,
        /// Allow the OAuth password grant (`grant_type=password`): only for trusted tools,
        /// as RFC 9700 advises against it. Off by default.
        #[arg(long)]
        password_grant: bool,
    },
    /// List an application in the public directory; prints {"id", "name", "published"}.
    Publish {
        #[arg(long)]
        id: i64,
        /// Take the application off the directory instead.
        #[arg(long)]
        unpublish: bool,
    },
    /// Allow an application the OAuth password grant; prints {"id", "name", "password_grant"}.
    PasswordGrant {
        #[arg(long)]
        id: i64,
        /// Take the grant away instead.
        #[arg(long)]
        disallow: bool,
    },
}

#[derive(Debug, Subcommand)]
enum SourceCommand {
    /// Install an application into a flow; prints {"id", "flow_token"}.
    Create {
        /// ORG/FLOW, by parameterized names.
        #[arg(long)]
        flow: String,
        #[arg(long)]
        app: i64,
        #[arg(long)]
        name: String,
        #[arg(long)]
        external_url: Option<String>,
    },
    /// Remove a source; its flow_token answers 410 from the next request on.
    Delete {
        #[arg(long)]
        id: i64,
        #[arg(long, default_value = "removed")]
        reason: String,
    },
}

pub(super) async fn run(args: AdminArgs) -> ApiResult<()> {
    let store = crate::store::connect(&args.db.url()).await?;
    let out = match args.command {
        AdminCommand::User(UserCommand::Create {
            email,
            name,
            nick,
            password,
            admin,
        }) => {
            let (user, token) = users::create_user(
                &store,
                users::CreateUser {
                    email,
                    name,
                    nick,
                    password,
                },
            )
            .await?;
            if admin {
                store.set_user_admin(user.id, true).await?;
            }
            json!({"id": user.id, "api_token": token})
        }
        AdminCommand::User(UserCommand::Disable { email, enable }) => {
            let user = user_by_email(&store, &email).await?;
            store.set_user_disabled(user.id, !enable).await?;
            json!({"id": user.id, "disabled": !enable})
        }
        AdminCommand::Org(OrgCommand::Create { name, owner }) => {
            let org = organizations::create_org(&store, &name, owner.as_deref()).await?;
            json!({"id": org.id, "parameterized_name": org.parameterized_name})
        }
        AdminCommand::Org(OrgCommand::AddUser { org, email, admin }) => {
            let (org, user_id) = organizations::add_user(&store, &org, &email, admin).await?;
            json!({"organization": org.parameterized_name, "user_id": user_id, "admin": admin})
        }
        AdminCommand::Flow(FlowCommand::Create {
            org,
            name,
            members,
            access_mode,
        }) => create_flow(&store, &org, &name, &members, &access_mode).await?,
        AdminCommand::Flow(FlowCommand::RemoveUser { flow, email }) => {
            let flow = flow_by_path(&store, &flow).await?;
            let user = user_by_email(&store, &email).await?;
            let removed = store.remove_flow_member(&flow.id, user.id).await?;
            json!({"flow": flow.id, "user_id": user.id, "removed": removed})
        }
        AdminCommand::App(AppCommand::Create {
            owner,
            name,
            redirect_uri,
            setup_uri,
            configuration_uri,
            icon_url,
            published,
            password_grant,
        }) => {
            let app = apps::create_app(
                &store,
                apps::CreateApp {
                    owner_email: owner,
                    name,
                    icon_url,
                    redirect_uri,
                    setup_uri,
                    configuration_uri,
                    published,
                    password_grant,
                },
            )
            .await?;
            json!({"id": app.id, "client_id": app.client_id, "client_secret": app.client_secret})
        }
        AdminCommand::App(AppCommand::Publish { id, unpublish }) => {
            let app = apps::manage::set_published(&store, id, !unpublish).await?;
            json!({"id": app.id, "name": app.name, "published": app.published})
        }
        AdminCommand::App(AppCommand::PasswordGrant { id, disallow }) => {
            let app = apps::manage::set_password_grant(&store, id, !disallow).await?;
            json!({"id": app.id, "name": app.name, "password_grant": app.password_grant})
        }
        AdminCommand::Source(SourceCommand::Create {
            flow,
            app,
            name,
            external_url,
        }) => {
            let flow = flow_by_path(&store, &flow).await?;
            let (source, token) =
                sources::create_source(&store, &flow, app, None, &name, external_url).await?;
            json!({"id": source.id, "flow_token": token})
        }
        AdminCommand::Source(SourceCommand::Delete { id, reason }) => {
            let source = sources::remove_source(&store, id, &reason).await?;
            json!({"id": source.id, "removed": true, "reason": source.removal_reason})
        }
    };
    println!("{out}");
    Ok(())
}

async fn create_flow(
    store: &DynStore,
    org: &str,
    name: &str,
    members: &[String],
    mode: &str,
) -> ApiResult<Value> {
    let mode = tributary_types::AccessMode::parse(mode).ok_or_else(|| {
        ApiError::field("access_mode", "must be invitation, link or organization")
    })?;
    // Resolve every member first, so a typo creates nothing.
    let mut ids = Vec::with_capacity(members.len());
    for email in members {
        let user = store
            .user_by_email(email)
            .await?
            .ok_or_else(|| ApiError::field("member", format!("no user has the email {email}")))?;
        ids.push(user.id);
    }
    let flow = flows::create_flow(store, org, name, mode, None).await?;
    for id in ids {
        store.set_flow_member(&flow.id, id, true).await?;
    }
    Ok(json!({"id": flow.id, "parameterized_name": flow.parameterized_name}))
}

/// A flow named `ORG/FLOW` by parameterized names.
async fn flow_by_path(store: &DynStore, path: &str) -> ApiResult<FlowRecord> {
    let (org, flow) = path
        .split_once('/')
        .ok_or_else(|| ApiError::field("flow", "must be ORG/FLOW"))?;
    store
        .flow_by_name(org, flow)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("Flow {org}/{flow} not found")))
}

async fn user_by_email(store: &DynStore, email: &str) -> ApiResult<UserRecord> {
    store
        .user_by_email(email)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("No user has the email {email}")))
}
