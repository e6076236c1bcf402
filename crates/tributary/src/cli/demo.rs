//! `tributary serve --demo`: a demo account, organization and flow, created once through
//! the same domain functions the API and the admin commands use.

use serde_json::json;

use crate::error::ApiResult;
use crate::store::DynStore;
use crate::{flows, organizations, users};

const DEMO_EMAIL: &str = "admin@demo.tributary.local";

/// Creates the demo data once. The password and token are printed only on the run that
/// creates them, like every other secret.
pub(super) async fn seed(store: &DynStore, public_url: &str) -> ApiResult<serde_json::Value> {
    if store.user_by_email(DEMO_EMAIL).await?.is_some() {
        return Ok(
            json!({"demo": "already seeded", "email": DEMO_EMAIL, "flow": format!("{public_url}/flows/demo/main")}),
        );
    }
    let password = crate::secrets::new_token(8);
    let (user, token) = users::create_user(
        store,
        users::CreateUser {
            email: DEMO_EMAIL.into(),
            name: "Demo Admin".into(),
            nick: "admin".into(),
            password: Some(password.clone()),
        },
    )
    .await?;
    let org = organizations::create_org(store, "Demo", Some(DEMO_EMAIL)).await?;
    let flow = flows::create_flow(
        store,
        &org.parameterized_name,
        "Main",
        tributary_types::AccessMode::Organization,
        Some(user.id),
    )
    .await?;
    Ok(json!({
        "demo": "seeded",
        "email": DEMO_EMAIL,
        "password": password,
        "api_token": token,
        "flow": format!("{public_url}/flows/{}/{}", org.parameterized_name, flow.parameterized_name),
        "try": format!("curl -u {token}: {public_url}/flows?users=1"),
    }))
}
