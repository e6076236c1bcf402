//! Polldock as a process: it refuses to start without its application, serves its pages,
//! and answers UpdateActions as the guide says: a bad signature is refused, an unknown
//! Flowdock user gets the 401 challenge to the pairing page. (The whole guide against a real
//! Tributary runs in Tributary's suite, `polldock_guide`.)

#![allow(clippy::unwrap_used)] // a test: a panic is the failure report

use std::process::Stdio;
use std::time::Duration;

use tributary_sdk::actions::{parse_challenge, sign_action_token, TOKEN_HEADER};

const SECRET: &str = "polldock-test-secret";

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[test]
fn refuses_to_start_without_its_application() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_polldock"))
        .args(["--listen", "127.0.0.1:0"])
        .env_remove("POLLDOCK_APP")
        .env_remove("POLLDOCK_CLIENT_ID")
        .env_remove("POLLDOCK_CLIENT_SECRET")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--app"));
}

#[tokio::test]
async fn answers_actions_with_the_sdks_verification_and_challenge() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let app = format!(r#"{{"id": 1, "client_id": "cid", "client_secret": "{SECRET}"}}"#);
    let _child = tokio::process::Command::new(env!("CARGO_BIN_EXE_polldock"))
        .args(["--listen", &format!("127.0.0.1:{port}"), "--app", &app])
        .args(["--tributary-url", "http://127.0.0.1:9"])
        .arg("--database")
        .arg(dir.path().join("p.db"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let mut up = false;
    for _ in 0..300 {
        if let Ok(res) = http.get(format!("{base}/")).send().await {
            assert_eq!(res.status(), 200);
            assert!(res.text().await.unwrap().contains("<h1>Polls</h1>"));
            up = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(up, "polldock did not come up");

    let url = format!("{base}/flowdock/polls/1/vote/1");
    let body = br#"{"@type":"UpdateAction","name":"Vote: Pizza"}"#.to_vec();
    // No token, and a token signed with another secret: refused.
    let res = http.post(&url).body(body.clone()).send().await.unwrap();
    assert_eq!(res.status(), 403);
    let forged = sign_action_token(5, &body, "not-the-secret", &base, Duration::from_secs(30));
    let res = http
        .post(&url)
        .header(TOKEN_HEADER, forged)
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    // A genuine token, but sent to another integration's origin and replayed here: refused.
    let elsewhere = sign_action_token(
        5,
        &body,
        SECRET,
        "https://other-integration.example/vote",
        Duration::from_secs(30),
    );
    let res = http
        .post(&url)
        .header(TOKEN_HEADER, elsewhere)
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    assert!(res.text().await.unwrap().contains("origin"));
    // A genuine click by a Flowdock user Polldock does not know: the challenge.
    let token = sign_action_token(5, &body, SECRET, &base, Duration::from_secs(30));
    let res = http
        .post(&url)
        .header(TOKEN_HEADER, token)
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    let challenge = res.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .to_owned();
    let pair = parse_challenge(&challenge).expect("a Flowdock-Token challenge");
    assert!(pair.starts_with(&format!("{base}/pair?claim=")), "{pair}");
    // The pairing page asks its visitor to sign in to Polldock first.
    let res = http.get(&pair).send().await.unwrap();
    assert_eq!(res.status(), 303);
    assert!(res.headers()["location"]
        .to_str()
        .unwrap()
        .starts_with("/login?return_to=%2Fpair%3Fclaim%3D"));
}
