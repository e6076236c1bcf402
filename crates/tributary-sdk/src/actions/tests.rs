//! The verifier against every way a token can be wrong.

use super::*;

const SECRET: &str = "polldock-client-secret";
const ORIGIN: &str = "https://polls.example";
const BODY: &[u8] = br#"{"@type":"UpdateAction","name":"Vote: Tea","agent":{"@type":"Person","name":"Ann","image":"https://a.example/1"}}"#;

fn headers(token: &str) -> http::HeaderMap {
    let mut h = http::HeaderMap::new();
    h.insert(TOKEN_HEADER, token.parse().unwrap());
    h
}

fn at(secs_from_now: i64) -> SystemTime {
    let now = SystemTime::now();
    if secs_from_now >= 0 {
        now + Duration::from_secs(secs_from_now as u64)
    } else {
        now - Duration::from_secs((-secs_from_now) as u64)
    }
}

fn token_with(claims: Value, secret: &str) -> String {
    jwt::sign(&claims, secret.as_bytes())
}

#[test]
fn a_valid_token_names_the_user() {
    let token = sign_action_token(7, BODY, SECRET, ORIGIN, Duration::from_secs(30));
    assert_eq!(
        verify_action_request(&headers(&token), BODY, SECRET, ORIGIN),
        Ok(7)
    );
    // Header names are case-insensitive on the wire.
    let mut h = http::HeaderMap::new();
    h.insert("flowdock-token", token.parse().unwrap());
    assert_eq!(verify_action_request(&h, BODY, SECRET, ORIGIN), Ok(7));
}

#[test]
fn a_wrong_secret_is_refused() {
    let token = sign_action_token(
        7,
        BODY,
        "someone-elses-secret",
        ORIGIN,
        Duration::from_secs(30),
    );
    assert_eq!(
        verify_action_request(&headers(&token), BODY, SECRET, ORIGIN),
        Err(ActionError::BadSignature)
    );
}

#[test]
fn an_expired_token_is_refused() {
    let token = sign_action_token(7, BODY, SECRET, ORIGIN, Duration::from_secs(30));
    assert_eq!(
        verify_action_token(
            &token,
            BODY,
            SECRET,
            ORIGIN,
            at(31 + CLOCK_SKEW.as_secs() as i64)
        ),
        Err(ActionError::Expired)
    );
    // Within the allowed skew it still passes.
    assert_eq!(
        verify_action_token(&token, BODY, SECRET, ORIGIN, at(32)),
        Ok(7)
    );
    let old = token_with(
        json!({"sub": "7", "exp": 1_000_000, "aud": ORIGIN, "signature": body_signature(BODY)}),
        SECRET,
    );
    assert_eq!(
        verify_action_request(&headers(&old), BODY, SECRET, ORIGIN),
        Err(ActionError::Expired)
    );
}

#[test]
fn a_body_that_does_not_match_is_refused() {
    let token = sign_action_token(7, BODY, SECRET, ORIGIN, Duration::from_secs(30));
    let mut tampered = BODY.to_vec();
    tampered.extend_from_slice(b" ");
    assert_eq!(
        verify_action_request(&headers(&token), &tampered, SECRET, ORIGIN),
        Err(ActionError::BodyMismatch)
    );
    assert_eq!(
        verify_action_request(&headers(&token), b"", SECRET, ORIGIN),
        Err(ActionError::BodyMismatch)
    );
}

#[test]
fn missing_and_malformed_tokens_are_refused() {
    assert_eq!(
        verify_action_request(&http::HeaderMap::new(), BODY, SECRET, ORIGIN),
        Err(ActionError::MissingToken)
    );
    assert!(matches!(
        verify_action_request(&headers("not-a-jwt"), BODY, SECRET, ORIGIN),
        Err(ActionError::Malformed(_))
    ));
    let exp = (SystemTime::now() + Duration::from_secs(30))
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let no_signature = token_with(json!({"sub": "7", "exp": exp, "aud": ORIGIN}), SECRET);
    assert!(matches!(
        verify_action_request(&headers(&no_signature), BODY, SECRET, ORIGIN),
        Err(ActionError::Malformed(_))
    ));
    let no_exp = token_with(
        json!({"sub": "7", "aud": ORIGIN, "signature": body_signature(BODY)}),
        SECRET,
    );
    assert!(matches!(
        verify_action_request(&headers(&no_exp), BODY, SECRET, ORIGIN),
        Err(ActionError::Malformed(_))
    ));
    // `exp` as a string (as the docs print it) and `sub` as a number are both read.
    let docs_shape = token_with(
        json!({"sub": 9, "exp": exp.to_string(), "aud": [ORIGIN], "signature": body_signature(BODY)}),
        SECRET,
    );
    assert_eq!(
        verify_action_request(&headers(&docs_shape), BODY, SECRET, ORIGIN),
        Ok(9)
    );
}

#[test]
fn a_token_for_another_origin_is_refused() {
    // Signed for integration A, replayed to integration B (even with B's secret the same).
    let token = sign_action_token(
        7,
        BODY,
        SECRET,
        "https://a.example/flowdock/vote",
        Duration::from_secs(30),
    );
    let h = headers(&token);
    assert_eq!(
        verify_action_request(&h, BODY, SECRET, "https://a.example"),
        Ok(7)
    );
    assert_eq!(
        verify_action_request(&h, BODY, SECRET, "https://A.example:443/any/path"),
        Ok(7),
        "the same origin written another way"
    );
    for other in [
        "https://b.example",
        "http://a.example",
        "https://a.example:8443",
        "https://a.example.evil.example",
        "not a url",
        "",
    ] {
        assert_eq!(
            verify_action_request(&h, BODY, SECRET, other),
            Err(ActionError::WrongAudience),
            "{other}"
        );
    }
    // A token without `aud` (made before the claim existed) is refused too.
    let exp = (SystemTime::now() + Duration::from_secs(30))
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let no_aud = token_with(
        json!({"sub": "7", "exp": exp, "signature": body_signature(BODY)}),
        SECRET,
    );
    assert_eq!(
        verify_action_request(&headers(&no_aud), BODY, SECRET, ORIGIN),
        Err(ActionError::WrongAudience)
    );
}

#[test]
fn challenges_round_trip() {
    let url = "https://polls.example/pair?claim=abc";
    assert_eq!(
        parse_challenge(&challenge_header_value(url)).as_deref(),
        Some(url)
    );
    assert_eq!(
        parse_challenge("flowdock-token url=\"https://x.example/a\"").as_deref(),
        Some("https://x.example/a")
    );
    assert_eq!(parse_challenge("Basic realm=\"Flowdock\""), None);
    assert_eq!(parse_challenge("Flowdock-Token"), None);
    let res = authentication_challenge(url);
    assert_eq!(res.status(), http::StatusCode::UNAUTHORIZED);
    assert!(res.body().contains("Authentication required"));
}

#[test]
fn action_requests_parse() {
    let req: ActionRequest = serde_json::from_slice(BODY).unwrap();
    assert_eq!(req.name, "Vote: Tea");
    assert_eq!(req.agent.unwrap().name, "Ann");
}
