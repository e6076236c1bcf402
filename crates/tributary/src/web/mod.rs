//! The server-rendered pages: login, developer applications and their tools, the OAuth
//! consent page, authorized applications, the published-apps directory and the admin page,
//! and the application itself under `/app/`: flows with the chat beside the team inbox
//! (`flow_page`), the thread view, Inbox Settings, "Invite people" (`flow_invitations`), a
//! flow's settings and members (`flow_settings`), an organization's page (`org_page`) and the
//! account page; and the landing page of invitation and join links, with sign-up (`join_page`).
//!
//! Pages answer HTML (askama templates under `templates/`) with a strict Content Security
//! Policy: no inline script or style, one stylesheet and one script served from here. Forms carry CSRF
//! tokens (`session`). The JSON API lives elsewhere; pages never answer JSON.

pub mod account;
pub mod admin;
pub mod authorized;
pub mod avatars;
pub mod compose;
pub mod consent;
pub mod developer;
pub mod developer_show;
pub mod directory;
pub mod error;
pub mod files;
pub mod flow_invitations;
pub mod flow_page;
pub mod flow_settings;
pub mod frame;
pub mod inbox_settings;
pub mod join_page;
pub mod login;
pub mod manage;
pub mod org_page;
pub mod private_page;
pub mod shell;
pub mod text;
pub mod thread_card;
pub mod thread_page;
pub mod views;

use askama::Template;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue};
use axum::middleware::{self, Next};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;

use crate::auth::session::{self, Browser, FreshSeed, CSRF_COOKIE};
use crate::state::AppState;
use crate::store::{DynStore, UserRecord};
use error::WebError;

/// Images may come from anywhere (application icons are external URLs); nothing else may.
/// `form-action` stays unset: the consent form's answer redirects to the client's site.
pub const CSP: &str = "default-src 'self'; img-src 'self' https: http: data:; \
     base-uri 'none'; object-src 'none'; frame-ancestors 'none'";

const STYLESHEET: &str = include_str!("../../static/tributary.css");
const SCRIPT: &str = include_str!("../../static/tributary.js");

/// The page header: who is signed in, and the token its logout form needs.
#[derive(Clone, Debug, Default)]
pub struct Nav {
    pub user_name: Option<String>,
    pub admin: bool,
    pub csrf: String,
}

impl Nav {
    pub fn anonymous() -> Nav {
        Nav::default()
    }

    pub async fn of(
        store: &DynStore,
        user: &UserRecord,
        browser: &Browser,
    ) -> Result<Nav, WebError> {
        Ok(Nav {
            user_name: Some(user.name.clone()),
            admin: store.user_is_admin(user.id).await?,
            csrf: browser.csrf_token(),
        })
    }
}

/// Renders a template into an HTML response.
pub fn html(t: impl Template) -> Result<Response, WebError> {
    Ok(Html(t.render()?).into_response())
}

/// Every page, with the page headers (CSP, CSRF seed) that need the state's public URL.
pub fn routes(state: &AppState) -> Router<AppState> {
    Router::new()
        .route("/login", get(login::show_login).post(login::create_session))
        .route("/logout", post(login::delete_session))
        .route(
            "/oauth/authorize",
            get(consent::show_consent).post(consent::decide_consent),
        )
        .route("/oauth/authorize/{code}", get(consent::show_oob_code))
        .route(
            "/developer/applications",
            get(developer::list_applications).post(developer::create_application),
        )
        .route(
            "/developer/applications/new",
            get(developer::new_application),
        )
        .route(
            "/developer/applications/{id}",
            get(developer_show::show_application).post(developer::update_application),
        )
        .route(
            "/developer/applications/{id}/edit",
            get(developer::edit_application),
        )
        .route(
            "/developer/applications/{id}/secret",
            post(developer_show::rotate_secret),
        )
        .route(
            "/developer/applications/{id}/sources",
            post(developer_show::create_test_source),
        )
        .route(
            "/account/authorized_applications",
            get(authorized::list_authorizations),
        )
        .route(
            "/account/authorized_applications/{app_id}/revoke",
            post(authorized::revoke_authorization),
        )
        .route("/integrations", get(directory::list_published))
        .route("/admin/applications", get(admin::list_all_applications))
        .route(
            "/admin/applications/{id}/publish",
            post(admin::publish_application),
        )
        .route("/static/tributary.css", get(stylesheet))
        .route("/static/tributary.js", get(script))
        .merge(app_routes())
        .layer(middleware::from_fn_with_state(state.clone(), page_headers))
}

/// The application under `/app/`, the account page and the default avatars.
fn app_routes() -> Router<AppState> {
    Router::new()
        .route("/", get(shell::home))
        .route("/app", get(shell::show_flows))
        .route("/app/~private", get(private_page::list_private))
        .route("/app/~private/{user_id}", get(private_page::show_private))
        .route(
            "/app/~private/{user_id}/live",
            get(private_page::live_private),
        )
        .route(
            "/app/~private/{user_id}/messages",
            post(private_page::post_private_chat),
        )
        .route(
            "/app/~private/{user_id}/files/{id}/{name}",
            get(private_page::download_private_file),
        )
        .route("/app/{org}/{flow}", get(flow_page::show_flow))
        .route("/app/{org}/{flow}/live", get(flow_page::live_fragments))
        .route("/app/{org}/{flow}/messages", post(compose::post_chat))
        .route(
            "/app/{org}/{flow}/files/{id}/{name}",
            get(files::download_file),
        )
        .route(
            "/app/{org}/{flow}/mentions/read",
            post(compose::mark_mentions_read),
        )
        .route(
            "/app/{org}/{flow}/threads/{id}",
            get(thread_page::show_thread),
        )
        .route(
            "/app/{org}/{flow}/threads/{id}/messages",
            post(compose::post_reply),
        )
        .route(
            "/app/{org}/{flow}/settings/inbox",
            get(inbox_settings::show_inbox_settings),
        )
        .route(
            "/app/{org}/{flow}/sources/{id}/remove",
            get(inbox_settings::confirm_remove_source).post(inbox_settings::remove_source),
        )
        .route(
            "/app/{org}/{flow}/invitations",
            get(flow_invitations::show_invitations).post(flow_invitations::create_invitation),
        )
        .route(
            "/app/{org}/{flow}/invitations/{id}/revoke",
            post(flow_invitations::revoke_invitation),
        )
        .route(
            "/app/{org}/{flow}/join_link",
            post(flow_invitations::reset_join_link),
        )
        .route(
            "/invite/{token}",
            get(join_page::show_invitation_link).post(join_page::accept_invitation_link),
        )
        .route(
            "/invitations/{key}",
            get(join_page::show_join_link).post(join_page::accept_join_link),
        )
        .route(
            "/app/{org}/{flow}/settings",
            get(flow_settings::show_flow_settings).post(flow_settings::update_flow_settings),
        )
        .route(
            "/app/{org}/{flow}/members",
            post(flow_settings::add_flow_member),
        )
        .route(
            "/app/{org}/{flow}/members/{id}/remove",
            post(flow_settings::remove_flow_member),
        )
        .route("/manage/{org}", get(org_page::show_org))
        .route("/manage/{org}/flows", post(org_page::create_org_flow))
        .route(
            "/manage/{org}/users/{id}/admin",
            post(org_page::set_org_admin),
        )
        .route(
            "/manage/{org}/users/{id}/remove",
            post(org_page::remove_org_user),
        )
        .route(
            "/app/{org}/{flow}/sources/{id}/rotate",
            post(inbox_settings::rotate_source),
        )
        .route("/account", get(account::show_account))
        .route("/account/profile", post(account::update_account_profile))
        .route("/account/api_token", post(account::regenerate_api_token))
        .route("/avatars/{id}", get(avatars::show_avatar))
}

async fn script() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        SCRIPT,
    )
}

async fn stylesheet() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        STYLESHEET,
    )
}

/// Security headers on every page, and a CSRF seed cookie for browsers that have none.
async fn page_headers(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let fresh = session::cookie(req.headers(), CSRF_COOKIE)
        .is_none()
        .then(|| crate::secrets::new_token(16));
    if let Some(seed) = &fresh {
        req.extensions_mut().insert(FreshSeed(seed.clone()));
    }
    let secure = state.urls.base().starts_with("https://");
    let mut response = next.run(req).await;
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    // No referrer at all: remote images in inbox bodies learn nothing of the page.
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    if !h.contains_key(header::CACHE_CONTROL) {
        // Pages carry secrets and CSRF tokens: never cache them.
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    if let Some(seed) = fresh {
        h.append(
            header::SET_COOKIE,
            session::set_cookie(CSRF_COOKIE, &seed, 365 * 24 * 60 * 60, secure),
        );
    }
    response
}
