//! The body an UpdateAction request carries.

use serde::{Deserialize, Serialize};

/// The body of an UpdateAction request: the action as the thread holds it, plus `agent`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActionRequest {
    /// The schema.org type of the action, `UpdateAction`.
    #[serde(rename = "@type")]
    pub kind: String,
    /// The action's label, as the thread shows it on its button.
    pub name: String,
    /// The user who clicked the action, when the server names one.
    #[serde(default)]
    pub agent: Option<Agent>,
    /// Where the request was sent: the action's own entry point.
    #[serde(default)]
    pub target: Option<EntryPoint>,
}

/// Who clicked: schema.org `Person`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Agent {
    /// The schema.org type, `Person`.
    #[serde(rename = "@type")]
    pub kind: String,
    /// The user's display name.
    pub name: String,
    /// The URL of the user's avatar, when they have one.
    #[serde(default)]
    pub image: Option<String>,
}

/// Where an UpdateAction sends its request: schema.org `EntryPoint`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EntryPoint {
    /// The schema.org type, `EntryPoint`.
    #[serde(rename = "@type", default = "entry_point")]
    pub kind: String,
    /// The URL the request goes to (the integration's, as given in the thread's action).
    #[serde(rename = "urlTemplate")]
    pub url_template: String,
    /// The HTTP method of the request, `POST` unless the action says otherwise.
    #[serde(rename = "httpMethod", default = "post")]
    pub http_method: String,
}

fn entry_point() -> String {
    "EntryPoint".into()
}

fn post() -> String {
    "POST".into()
}
