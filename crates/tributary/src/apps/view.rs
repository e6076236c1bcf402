//! An application's JSON: the public part that sources embed, and the owner's full view.

use tributary_types::Application;

use crate::state::Urls;
use crate::store::AppRecord;

pub fn url(urls: &Urls, id: i64) -> String {
    format!("{}/oauth/applications/{id}", urls.base())
}

/// What anyone may see: sources embed this.
pub fn public(urls: &Urls, app: &AppRecord) -> Application {
    Application {
        id: app.id,
        name: app.name.clone(),
        icon_url: app.icon_url.clone(),
        url: url(urls, app.id),
        configuration_uri: app.configuration_uri.clone(),
        setup_uri: None,
        redirect_uri: None,
        client_id: None,
        client_secret: None,
        published: None,
    }
}

/// What the owner sees, secret included.
pub fn owned(urls: &Urls, app: &AppRecord) -> Application {
    Application {
        setup_uri: app.setup_uri.clone(),
        redirect_uri: Some(app.redirect_uri.clone()),
        client_id: Some(app.client_id.clone()),
        client_secret: Some(app.client_secret.clone()),
        published: Some(app.published),
        ..public(urls, app)
    }
}
