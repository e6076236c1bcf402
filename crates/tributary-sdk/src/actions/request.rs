//! The body an UpdateAction request carries.

use serde::{Deserialize, Serialize};

/// The body of an UpdateAction request: the action as the thread holds it, plus `agent`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActionRequest {
    #[serde(rename = "@type")]
    pub kind: String,
    pub name: String,
    #[serde(default)]
    pub agent: Option<Agent>,
    #[serde(default)]
    pub target: Option<EntryPoint>,
}

/// Who clicked: schema.org `Person`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Agent {
    #[serde(rename = "@type")]
    pub kind: String,
    pub name: String,
    #[serde(default)]
    pub image: Option<String>,
}

/// Where an UpdateAction sends its request: schema.org `EntryPoint`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EntryPoint {
    #[serde(rename = "@type", default = "entry_point")]
    pub kind: String,
    #[serde(rename = "urlTemplate")]
    pub url_template: String,
    #[serde(rename = "httpMethod", default = "post")]
    pub http_method: String,
}

fn entry_point() -> String {
    "EntryPoint".into()
}

fn post() -> String {
    "POST".into()
}
