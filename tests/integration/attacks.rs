//! Attacks on a logged-in provider through its browser: another site making the browser send a
//! changing request (CSRF), and a session id planted before the login (fixation).

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::api::{IK, cookie, problem};
use crate::harness::{TestApp, spawn_app};

fn query() -> serde_json::Value {
    json!({"kvnr": "A123456780", "consent": "insured_present"})
}

/// `POST /api/exemption-queries` with the session and the headers a browser adds.
async fn ask_from(app: &TestApp, session: &str, headers: &[(&str, &str)]) -> reqwest::Response {
    let mut request = app
        .http
        .request(Method::POST, app.url("/api/exemption-queries"))
        .header("cookie", session)
        .json(&query());
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request.send().await.unwrap()
}

async fn audit_records(app: &TestApp) -> usize {
    app.stores.audit.audit_of_ik(&portal_domain::Ik::parse(IK).unwrap()).await.unwrap().len()
}

#[tokio::test]
async fn a_changing_request_sent_by_another_site_is_refused_and_asks_nothing() {
    let app = spawn_app().await;
    let session = app.provider_session().await;
    let own_origin = app.address.clone();

    for headers in [
        vec![("origin", "https://evil.example")],
        vec![("origin", "null")],
        // A sibling insurer's portal is another origin of the same site.
        vec![("sec-fetch-site", "same-site")],
        vec![("sec-fetch-site", "cross-site"), ("origin", own_origin.as_str())],
    ] {
        let (status, body) = problem(ask_from(&app, &session, &headers).await).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{headers:?}");
        assert_eq!(body["code"], "cross_site_request", "{headers:?}");
    }
    assert_eq!(audit_records(&app).await, 0, "nothing was asked, nothing recorded");

    // The portal's own page, and a client that is no browser, are answered.
    let own = [("origin", own_origin.as_str()), ("sec-fetch-site", "same-origin")];
    assert_eq!(ask_from(&app, &session, &own).await.status(), StatusCode::OK);
    assert_eq!(ask_from(&app, &session, &[]).await.status(), StatusCode::OK);
    assert_eq!(audit_records(&app).await, 2);
}

#[tokio::test]
async fn reading_from_another_site_is_no_change_and_is_left_to_the_browsers_same_origin_rule() {
    let app = spawn_app().await;
    let response = app
        .http
        .get(app.url("/api/tenant"))
        .header("origin", "https://evil.example")
        .header("sec-fetch-site", "cross-site")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    // No CORS header: the other site's script cannot read the answer.
    assert!(response.headers().get("access-control-allow-origin").is_none());
}

#[tokio::test]
async fn a_login_never_adopts_a_session_id_planted_before_it() {
    let app = spawn_app().await;
    app.provider_session().await;
    let planted =
        format!("{}=planted-by-an-attacker-0123456789abcdef", portal_http::SESSION_COOKIE);

    let login = app
        .http
        .post(app.url("/api/session"))
        .header("cookie", &planted)
        .json(&json!({"ik": IK, "password": crate::api::STRONG}))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), StatusCode::OK);
    let issued = cookie(&login);
    assert_ne!(issued, planted, "the login issues a new session id");

    let current = |cookie: String| {
        let app = app.clone();
        async move { app.with_cookie(Method::GET, "/api/session", &cookie, None).await.status() }
    };
    assert_eq!(current(issued).await, StatusCode::OK);
    assert_eq!(current(planted).await, StatusCode::UNAUTHORIZED, "the planted id opens nothing");
}

#[tokio::test]
async fn walking_through_kvnrs_with_many_accounts_from_one_address_meets_that_addresss_limit() {
    let app = crate::harness::spawn(crate::harness::AppOptions {
        configure: Box::new(|config| {
            config.settings.oha.burst_per_minute = 10;
            config.settings.oha.queries_per_client_per_minute = 3;
        }),
        ..crate::harness::AppOptions::default()
    })
    .await;
    let pharmacy = app.provider_session().await;
    let practice = app.activated("401612342", 2).await;
    for session in [&pharmacy, &pharmacy, &practice] {
        assert_eq!(app.ask(session, query()).await.status(), StatusCode::OK);
    }
    // The practice has asked once of its ten a minute, but its address has asked three times.
    let (status, body) = problem(app.ask(&practice, query()).await).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::TOO_MANY_REQUESTS, Some("rate_limited"))
    );
    let recorded = |ik: &str| {
        let (app, ik) = (app.clone(), portal_domain::Ik::parse(ik).unwrap());
        async move { app.stores.audit.audit_of_ik(&ik).await.unwrap().len() }
    };
    assert_eq!((recorded(IK).await, recorded("401612342").await), (2, 1), "a refusal is no record");
}
