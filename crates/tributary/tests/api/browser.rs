//! A browser for the page tests: a cookie jar, no automatic redirects, and form posts that
//! carry the CSRF token the page gave, the way a person's browser does.

use reqwest::header::LOCATION;
use reqwest::redirect::Policy;
use reqwest::{Response, StatusCode};

use crate::helpers::{TestApp, TestUser};

pub(crate) struct Browser {
    pub http: reqwest::Client,
    base: String,
}

/// Undoes the HTML escaping of attribute values: named and numeric entities.
pub(crate) fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(at) = rest.find("&#") {
        out.push_str(&rest[..at]);
        let tail = &rest[at + 2..];
        let end = tail.find(';').unwrap_or(0);
        let num = &tail[..end];
        let code = match num.strip_prefix(['x', 'X']) {
            Some(hex) => u32::from_str_radix(hex, 16).ok(),
            None => num.parse().ok(),
        };
        match code.and_then(char::from_u32) {
            Some(c) if end > 0 => {
                out.push(c);
                rest = &tail[end + 1..];
            }
            _ => {
                out.push_str("&#");
                rest = tail;
            }
        }
    }
    out.push_str(rest);
    out.replace("&quot;", "\"")
        .replace("&#x27;", "'")
        .replace("&#39;", "'")
        .replace("&#x2f;", "/")
        .replace("&#x2F;", "/")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// Every `<input type="hidden" name=".." value="..">` of the page, in order.
pub(crate) fn hidden_inputs(html: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for chunk in html.split("<input type=\"hidden\" name=\"").skip(1) {
        let Some((name, rest)) = chunk.split_once('"') else {
            continue;
        };
        let Some(rest) = rest.split_once("value=\"") else {
            continue;
        };
        let Some((value, _)) = rest.1.split_once('"') else {
            continue;
        };
        out.push((unescape(name), unescape(value)));
    }
    out
}

/// The page's CSRF token (every form on a page carries the same one).
pub(crate) fn csrf(html: &str) -> String {
    hidden_inputs(html)
        .into_iter()
        .find(|(k, _)| k == "csrf_token")
        .map(|(_, v)| v)
        .unwrap_or_else(|| panic!("no csrf_token on the page: {html}"))
}

/// The text inside the element with `id="..."`.
pub(crate) fn by_id(html: &str, id: &str) -> String {
    let marker = format!("id=\"{id}\">");
    let start = html
        .find(&marker)
        .unwrap_or_else(|| panic!("no #{id} on the page: {html}"))
        + marker.len();
    let end = html[start..].find('<').expect("closing tag") + start;
    unescape(&html[start..end])
}

pub(crate) fn location(res: &Response) -> String {
    res.headers()
        .get(LOCATION)
        .unwrap_or_else(|| panic!("a redirect, got {}", res.status()))
        .to_str()
        .unwrap()
        .to_owned()
}

/// The page's Content-Security-Policy header.
pub(crate) fn csp_of(res: &reqwest::Response) -> String {
    res.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned()
}

impl Browser {
    pub(crate) fn new(app: &TestApp) -> Browser {
        Browser::at(&app.base_url)
    }

    /// A browser whose relative paths go to `base` (a server started as a process).
    pub(crate) fn at(base: &str) -> Browser {
        Browser {
            http: reqwest::Client::builder()
                .cookie_store(true)
                .redirect(Policy::none())
                .build()
                .unwrap(),
            base: base.trim_end_matches('/').to_owned(),
        }
    }

    fn abs(&self, path_or_url: &str) -> String {
        if path_or_url.starts_with("http") {
            path_or_url.to_owned()
        } else {
            format!("{}{}", self.base, path_or_url)
        }
    }

    pub(crate) async fn get(&self, path: &str) -> Response {
        self.http.get(self.abs(path)).send().await.unwrap()
    }

    /// GETs a page that must answer 200 and returns its HTML.
    pub(crate) async fn page(&self, path: &str) -> String {
        let res = self.get(path).await;
        assert_eq!(res.status(), StatusCode::OK, "GET {path}");
        res.text().await.unwrap()
    }

    pub(crate) async fn post(&self, path: &str, form: &[(&str, &str)]) -> Response {
        self.http
            .post(self.abs(path))
            .form(form)
            .send()
            .await
            .unwrap()
    }

    /// Signs in through the login form and checks the answer redirects.
    pub(crate) async fn login(&self, user: &TestUser) {
        let html = self.page("/login").await;
        let token = csrf(&html);
        let res = self
            .post(
                "/login",
                &[
                    ("csrf_token", &token),
                    ("email", &user.email),
                    ("password", &user.password),
                    ("return_to", "/developer/applications"),
                ],
            )
            .await;
        assert_eq!(
            res.status(),
            StatusCode::SEE_OTHER,
            "login answers a redirect"
        );
    }

    /// Opens an authorization URL (signed in already), submits the consent form with
    /// `decision`, and returns the consent page and where the browser was sent.
    pub(crate) async fn consent(&self, authorize_url: &str, decision: &str) -> (String, String) {
        let html = self.page(authorize_url).await;
        let form_start = html
            .find("action=\"/oauth/authorize\"")
            .unwrap_or_else(|| panic!("a consent form: {html}"));
        let mut form = hidden_inputs(&html[form_start..]);
        form.push(("decision".into(), decision.into()));
        let res = self
            .http
            .post(self.abs("/oauth/authorize"))
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(
            res.status(),
            StatusCode::SEE_OTHER,
            "the decision redirects"
        );
        (html, location(&res))
    }
}

/// The value of one query parameter of a URL.
pub(crate) fn query_param(url: &str, name: &str) -> Option<String> {
    url::Url::parse(url)
        .ok()?
        .query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}
