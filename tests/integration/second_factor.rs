//! The second factor (TOTP and recovery codes), the half-logged-in session, the insurer's
//! "required" setting, re-authentication for changes, and the sessions a provider can see and
//! end, over HTTP on both stores. Codes are computed here from the enrolment's secret, as an
//! authenticator app does.

use portal_core::accounts::totp;
use reqwest::{Method, Response, StatusCode};
use serde_json::{Value, json};
use time::Duration;

use crate::api::{IK, STRONG, cookie, problem};
use crate::harness::{AppOptions, TestApp};

on_both_apps! {
    a_factor_is_enrolled_with_a_code_and_then_asked_for_at_every_login,
    a_code_works_once_and_a_recovery_code_works_once,
    every_authenticated_route_refuses_a_half_logged_in_session,
    a_password_change_needs_the_current_password_and_a_code,
    removing_the_factor_needs_password_and_code,
    the_provider_sees_its_sessions_and_ends_one_or_all_others,
    a_session_ends_after_eight_hours_however_active,
    too_many_wrong_codes_end_the_half_logged_in_session,
}

/// An enrolled factor: its secret (as the app keeps it) and the recovery codes.
pub(crate) struct Enrolled {
    pub(crate) secret: Vec<u8>,
    recovery_codes: Vec<String>,
    pub(crate) session: String,
}

/// The code the app shows now (the test clock's now).
pub(crate) fn code(app: &TestApp, secret: &[u8]) -> String {
    totp::code_at(secret, app.clock_now().unix_timestamp()).unwrap()
}

async fn json_of(response: Response) -> Value {
    response.json().await.unwrap()
}

async fn begin_enrolment(app: &TestApp, session: &str) -> Vec<u8> {
    let begun = app.with_cookie(Method::POST, "/api/second-factor/totp", session, None).await;
    assert_eq!(begun.status(), StatusCode::OK);
    let body = json_of(begun).await;
    let uri = body["otpauth_uri"].as_str().unwrap();
    assert!(uri.starts_with("otpauth://totp/"), "{uri}");
    assert!(body["qr_svg"].as_str().unwrap().contains("<svg"));
    let secret = body["secret"].as_str().unwrap();
    assert!(uri.contains(secret));
    totp::secret_from_text(secret).unwrap()
}

/// An active provider with an authenticator app enrolled.
pub(crate) async fn enrolled(app: &TestApp) -> Enrolled {
    let (_, session) = app.active().await;
    enrol(app, &session, Some(STRONG)).await
}

async fn enrol(app: &TestApp, session: &str, password: Option<&str>) -> Enrolled {
    let secret = begin_enrolment(app, session).await;
    let mut body = json!({"code": code(app, &secret)});
    if let Some(password) = password {
        body["password"] = json!(password);
    }
    let confirmed =
        app.with_cookie(Method::POST, "/api/second-factor/totp/confirm", session, Some(body)).await;
    let (session, codes) = active_with_codes(confirmed).await;
    Enrolled { secret, recovery_codes: codes, session }
}

/// A confirmed enrolment's answer: the new session and the ten recovery codes shown once.
pub(crate) async fn active_with_codes(confirmed: Response) -> (String, Vec<String>) {
    assert_eq!(confirmed.status(), StatusCode::OK);
    let session = cookie(&confirmed);
    let codes: Vec<String> = json_of(confirmed).await["recovery_codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_string())
        .collect();
    assert_eq!(codes.len(), 10);
    (session, codes)
}

/// The password step: a half-logged-in session's cookie.
async fn half_logged_in(app: &TestApp) -> String {
    let response = app.login(IK, STRONG).await;
    assert_eq!(response.status(), StatusCode::OK);
    let half = cookie(&response);
    let body = json_of(response).await;
    assert_eq!(body["second_factor_required"], true);
    half
}

async fn second_step(app: &TestApp, half: &str, body: Value) -> Response {
    app.with_cookie(Method::POST, "/api/session/second-factor", half, Some(body)).await
}

async fn a_factor_is_enrolled_with_a_code_and_then_asked_for_at_every_login(app: TestApp) {
    let (_, session) = app.active().await;
    // Without a factor the session body says nothing is to come.
    let status = json_of(app.with_cookie(Method::GET, "/api/session", &session, None).await).await;
    assert_eq!(
        (status["second_factor_required"].clone(), status["enrolment_required"].clone()),
        (json!(false), json!(false))
    );
    let secret = begin_enrolment(&app, &session).await;
    // Pending: a wrong code does not confirm it, and a login still needs no code.
    let wrong = json!({"code": "000000", "password": STRONG});
    let (status, body) = problem(
        app.with_cookie(Method::POST, "/api/second-factor/totp/confirm", &session, Some(wrong))
            .await,
    )
    .await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::UNAUTHORIZED, Some("invalid_code")));
    let no_password = json!({"code": code(&app, &secret)});
    let (status, body) = problem(
        app.with_cookie(
            Method::POST,
            "/api/second-factor/totp/confirm",
            &session,
            Some(no_password),
        )
        .await,
    )
    .await;
    assert_eq!(
        (status, body["errors"][0]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("password"))
    );
    let elsewhere = cookie(&app.login(IK, STRONG).await);
    app.clock.advance(Duration::seconds(1));
    // Confirmed: every other session ends, this browser goes on under a new id.
    let body = json!({"code": code(&app, &secret), "password": STRONG});
    let confirmed = app
        .with_cookie(Method::POST, "/api/second-factor/totp/confirm", &session, Some(body))
        .await;
    assert_eq!(confirmed.status(), StatusCode::OK);
    let renewed = cookie(&confirmed);
    assert_eq!(json_of(confirmed).await["recovery_codes"].as_array().unwrap().len(), 10);
    for gone in [&session, &elsewhere] {
        let response = app.with_cookie(Method::GET, "/api/session", gone, None).await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    }
    assert_eq!(
        app.with_cookie(Method::GET, "/api/session", &renewed, None).await.status(),
        StatusCode::OK
    );
    // Active: enrolling again is refused until it is removed.
    let (status, body) =
        problem(app.with_cookie(Method::POST, "/api/second-factor/totp", &renewed, None).await)
            .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::CONFLICT, Some("second_factor_active"))
    );

    // A login: the password, then the code (of a later step: the confirming one is used).
    app.clock.advance(Duration::seconds(30));
    let half = half_logged_in(&app).await;
    let (status, body) =
        problem(app.with_cookie(Method::GET, "/api/session", &half, None).await).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("second_factor_required"))
    );
    let done = second_step(&app, &half, json!({"code": code(&app, &secret)})).await;
    assert_eq!(done.status(), StatusCode::OK);
    let full = cookie(&done);
    assert_ne!(full, half, "a new id for the full session");
    let body = json_of(done).await;
    assert_eq!(body["second_factor_required"], false);
    assert_eq!(
        app.with_cookie(Method::GET, "/api/session", &full, None).await.status(),
        StatusCode::OK
    );
    assert_eq!(
        app.with_cookie(Method::GET, "/api/session", &half, None).await.status(),
        StatusCode::UNAUTHORIZED,
        "the half session is gone"
    );
}

async fn a_code_works_once_and_a_recovery_code_works_once(app: TestApp) {
    let enrolled = enrolled(&app).await;
    // The code that confirmed the enrolment is used: refused in the same step.
    let half = half_logged_in(&app).await;
    let used = code(&app, &enrolled.secret);
    let (status, body) = problem(second_step(&app, &half, json!({"code": used})).await).await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::UNAUTHORIZED, Some("invalid_code")));
    // The next step's code works, once.
    app.clock.advance(Duration::seconds(30));
    let fresh = code(&app, &enrolled.secret);
    assert_eq!(second_step(&app, &half, json!({"code": fresh})).await.status(), StatusCode::OK);
    let again = half_logged_in(&app).await;
    let (status, body) = problem(second_step(&app, &again, json!({"code": fresh})).await).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("invalid_code")),
        "a used code is refused the second time"
    );
    // A recovery code, however typed, works once.
    let recovery = enrolled.recovery_codes[4].to_uppercase();
    let with_recovery = second_step(&app, &again, json!({"recovery_code": recovery})).await;
    assert_eq!(with_recovery.status(), StatusCode::OK);
    let third = half_logged_in(&app).await;
    let (status, body) =
        problem(second_step(&app, &third, json!({"recovery_code": recovery})).await).await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::UNAUTHORIZED, Some("invalid_code")));
    let other = &enrolled.recovery_codes[5];
    assert_eq!(
        second_step(&app, &third, json!({"recovery_code": other})).await.status(),
        StatusCode::OK
    );
    // Neither or both: the request says which field is missing.
    let fourth = half_logged_in(&app).await;
    let (status, body) = problem(second_step(&app, &fourth, json!({})).await).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("field_required"))
    );
    // A full session has no second step.
    let (status, body) =
        problem(second_step(&app, &enrolled.session, json!({"code": "123456"})).await).await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::CONFLICT, Some("no_second_factor")));
}

/// Every `/api` route that wants a session, tried with `cookie`: none answers but with 401 or 403.
async fn refused_everywhere(
    app: &TestApp,
    cookie: &str,
    expected: (StatusCode, &str),
    allowed: &[&str],
) -> Vec<String> {
    let mut tried = Vec::new();
    for route in portal_http::routes().into_iter().filter(|r| r.path.starts_with("/api/")) {
        let what = format!("{} {}", route.method, route.path);
        if allowed.contains(&what.as_str()) {
            continue;
        }
        let body =
            matches!(route.method, Method::POST | Method::PUT | Method::DELETE).then(|| json!({}));
        let anonymous = app.http.request(route.method.clone(), app.url(route.path));
        let anonymous = match &body {
            Some(body) => anonymous.json(body),
            None => anonymous,
        };
        if anonymous.send().await.unwrap().status() != StatusCode::UNAUTHORIZED {
            continue; // needs no session
        }
        tried.push(what.clone());
        let response = app.with_cookie(route.method.clone(), route.path, cookie, body).await;
        let (status, problem) = problem(response).await;
        assert!(
            status == StatusCode::UNAUTHORIZED || status == StatusCode::FORBIDDEN,
            "{what}: {status} {problem}"
        );
        // Login and reset take no session: they answer for their own bodies. The back office's
        // routes take no provider session at all: any is refused as none (401 all the same).
        let own_answer = ["POST /api/session", "POST /api/password-reset"].contains(&what.as_str())
            || route.path.starts_with("/api/backoffice/");
        if !own_answer {
            assert_eq!((status, problem["code"].as_str().unwrap()), expected, "{what}");
        }
    }
    tried
}

async fn every_authenticated_route_refuses_a_half_logged_in_session(app: TestApp) {
    let enrolled = enrolled(&app).await;
    app.clock.advance(Duration::seconds(30));
    let half = half_logged_in(&app).await;
    let expected = (StatusCode::UNAUTHORIZED, "second_factor_required");
    let second_step_routes = [
        "POST /api/session/second-factor",
        "POST /api/session/second-factor/passkey",
        "POST /api/session/passkey",
    ];
    let tried = refused_everywhere(&app, &half, expected, &second_step_routes).await;
    for needed in [
        "GET /api/session",
        "POST /api/password",
        "POST /api/exemption-queries",
        "GET /api/therapy-reports",
        "POST /api/second-factor/totp",
        "POST /api/second-factor/totp/confirm",
        "DELETE /api/second-factor/totp",
        "POST /api/second-factor/passkey",
        "DELETE /api/second-factor/passkey",
        "GET /api/sessions",
        "DELETE /api/sessions",
        "DELETE /api/sessions/{id}",
        "GET /api/account/history",
    ] {
        assert!(tried.iter().any(|t| t == needed), "{needed} in {tried:?}");
    }
    // The half session still takes its code afterwards.
    let done = second_step(&app, &half, json!({"code": code(&app, &enrolled.secret)})).await;
    assert_eq!(done.status(), StatusCode::OK);
}

async fn a_password_change_needs_the_current_password_and_a_code(app: TestApp) {
    let enrolled = enrolled(&app).await;
    let session = enrolled.session.clone();
    let change = |body: Value| {
        let (app, session) = (app.clone(), session.clone());
        async move { app.with_cookie(Method::POST, "/api/password", &session, Some(body)).await }
    };
    let new = "Kraniche ziehen über Zingst 71";
    // The Prüfnummer no longer changes an own password.
    let (status, body) =
        problem(change(json!({"pruefnummer": "ABCD-EFGH-JK12", "new_password": new})).await).await;
    assert_eq!(
        (status, body["errors"][0]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("current_password"))
    );
    // Without a code, with a wrong password, with a wrong code: refused.
    let (status, body) =
        problem(change(json!({"current_password": STRONG, "new_password": new})).await).await;
    assert_eq!(
        (status, body["errors"][0]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("code"))
    );
    app.clock.advance(Duration::seconds(30));
    let right = code(&app, &enrolled.secret);
    let (status, body) = problem(
        change(json!({"current_password": "Falsches Kennwort 2026", "new_password": new, "code": right}))
            .await,
    )
    .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("invalid_password"))
    );
    let (status, body) = problem(
        change(json!({"current_password": STRONG, "new_password": new, "code": "000000"})).await,
    )
    .await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::UNAUTHORIZED, Some("invalid_code")));
    // Right: set, this browser goes on in a new session, the old password is gone.
    let set = change(json!({"current_password": STRONG, "new_password": new, "code": right})).await;
    assert_eq!(set.status(), StatusCode::NO_CONTENT);
    let renewed = cookie(&set);
    assert_eq!(
        app.with_cookie(Method::GET, "/api/session", &renewed, None).await.status(),
        StatusCode::OK
    );
    assert_eq!(app.login(IK, STRONG).await.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(app.login(IK, new).await.status(), StatusCode::OK);
    assert_eq!(app.wait_for_letters("password_changed", 2).await.len(), 2);
}

async fn removing_the_factor_needs_password_and_code(app: TestApp) {
    let enrolled = enrolled(&app).await;
    app.clock.advance(Duration::seconds(30));
    let remove = |body: Value| {
        let (app, session) = (app.clone(), enrolled.session.clone());
        async move {
            app.with_cookie(Method::DELETE, "/api/second-factor/totp", &session, Some(body)).await
        }
    };
    let right = code(&app, &enrolled.secret);
    let (status, body) =
        problem(remove(json!({"password": "Falsches Kennwort 2026", "code": right})).await).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("invalid_password"))
    );
    let (status, body) = problem(remove(json!({"password": STRONG})).await).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("field_required"))
    );
    let removed = remove(json!({"password": STRONG, "code": right})).await;
    assert_eq!(removed.status(), StatusCode::NO_CONTENT);
    // Without a factor a login is one step again.
    let login = app.login(IK, STRONG).await;
    assert_eq!(json_of(login).await["second_factor_required"], false);
}

async fn the_provider_sees_its_sessions_and_ends_one_or_all_others(app: TestApp) {
    let (_, here) = app.active().await;
    let firefox = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";
    let login_with = |agent: &'static str| {
        let app = app.clone();
        async move {
            let response = app
                .http
                .post(app.url("/api/session"))
                .header("user-agent", agent)
                .json(&json!({"ik": IK, "password": STRONG}))
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), StatusCode::OK);
            cookie(&response)
        }
    };
    app.clock.advance(Duration::minutes(1));
    let in_firefox = login_with(firefox).await;
    app.clock.advance(Duration::minutes(1));
    let in_curl = login_with("curl/8.5.0").await;
    let list = |cookie: String| {
        let app = app.clone();
        async move {
            let response = app.with_cookie(Method::GET, "/api/sessions", &cookie, None).await;
            assert_eq!(response.status(), StatusCode::OK);
            json_of(response).await.as_array().unwrap().clone()
        }
    };
    let sessions = list(here.clone()).await;
    assert_eq!(sessions.len(), 3, "{sessions:?}");
    assert_eq!(sessions.iter().filter(|s| s["current"] == true).count(), 1);
    let browsers: Vec<&str> = sessions.iter().map(|s| s["browser"].as_str().unwrap()).collect();
    assert_eq!(browsers, ["andere", "Firefox", "andere"], "newest first");
    assert!(
        sessions.iter().all(|s| s["started_at"].is_string() && s["last_active_at"].is_string())
    );
    let firefox_id = sessions[1]["id"].as_str().unwrap().to_string();
    assert!(!in_firefox.contains(&firefox_id), "the id is not the cookie");

    // Ending one: that browser is logged out; an id of no session is 404.
    let path = format!("/api/sessions/{firefox_id}");
    assert_eq!(
        app.with_cookie(Method::DELETE, &path, &here, None).await.status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        app.with_cookie(Method::GET, "/api/session", &in_firefox, None).await.status(),
        StatusCode::UNAUTHORIZED
    );
    let (status, _) = problem(app.with_cookie(Method::DELETE, &path, &here, None).await).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, body) =
        problem(app.with_cookie(Method::DELETE, "/api/sessions", &here, None).await).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("field_required"))
    );

    // Ending all others: only this one is left.
    let all = app.with_cookie(Method::DELETE, "/api/sessions?others=true", &here, None).await;
    assert_eq!(all.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        app.with_cookie(Method::GET, "/api/session", &in_curl, None).await.status(),
        StatusCode::UNAUTHORIZED
    );
    let left = list(here.clone()).await;
    assert_eq!(left.len(), 1);
    assert_eq!(left[0]["current"], true);
    // Another provider's session is not found by this one.
    assert_eq!(
        app.with_cookie(
            Method::DELETE,
            "/api/sessions/0123456789abcdef0123456789abcdef",
            &here,
            None
        )
        .await
        .status(),
        StatusCode::NOT_FOUND
    );
}

async fn a_session_ends_after_eight_hours_however_active(app: TestApp) {
    let (_, session) = app.active().await;
    let login = app.login(IK, STRONG).await;
    let fresh = cookie(&login);
    // Busy all day: a request every nine minutes keeps it from idling out...
    for _ in 0..53 {
        app.clock.advance(Duration::minutes(9));
        let response = app.with_cookie(Method::GET, "/api/session", &fresh, None).await;
        assert_eq!(response.status(), StatusCode::OK);
    }
    // ...but not past eight hours after the login (7 h 57 min so far).
    app.clock.advance(Duration::minutes(3));
    let (status, body) =
        problem(app.with_cookie(Method::GET, "/api/session", &fresh, None).await).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("session_expired"))
    );
    // The first one idled out long ago.
    assert_eq!(
        app.with_cookie(Method::GET, "/api/session", &session, None).await.status(),
        StatusCode::UNAUTHORIZED
    );
}

async fn too_many_wrong_codes_end_the_half_logged_in_session(app: TestApp) {
    let enrolled = enrolled(&app).await;
    app.clock.advance(Duration::seconds(30));
    let half = half_logged_in(&app).await;
    for _ in 0..4 {
        let (status, body) =
            problem(second_step(&app, &half, json!({"code": "000000"})).await).await;
        assert_eq!(
            (status, body["code"].as_str()),
            (StatusCode::UNAUTHORIZED, Some("invalid_code"))
        );
    }
    let (status, body) = problem(second_step(&app, &half, json!({"code": "000000"})).await).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("session_expired"))
    );
    // Even the right code no longer helps this session: log in again.
    let right = json!({"code": code(&app, &enrolled.secret)});
    assert_eq!(second_step(&app, &half, right).await.status(), StatusCode::UNAUTHORIZED);
}

/// An insurer that requires a second factor.
mod required {
    use super::*;

    const REQUIRED: &str = r##"
[[tenant]]
slug = "plus"
ik = "107299005"
name = "AOK PLUS (Test)"
hosts = ["plus.localhost"]
years_shown = "current_and_previous_until_june_30"
second_factor_required = true
services = ["oha", "calculators"]
[tenant.letterhead]
sender = "Serviceportal der AOK PLUS"
mail_from = "serviceportal@plus.aok.example"
portal_url = "http://plus.localhost:8080"
[tenant.look]
logo = '<svg xmlns="http://www.w3.org/2000/svg"><title>PLUS</title></svg>'
primary = "#005e3a"
secondary = "#00442a"
"##;

    fn requiring() -> AppOptions {
        AppOptions { tenants: Some(REQUIRED), ..AppOptions::default() }
    }

    on_both_apps! {
        @with super::requiring;
        a_provider_without_a_factor_must_enrol_before_anything_else,
    }

    async fn a_provider_without_a_factor_must_enrol_before_anything_else(app: TestApp) {
        let app = app.tenant("plus");
        // Setting the first own password leads straight to enrolment.
        let (_, session) = app.active().await;
        let expected = (StatusCode::FORBIDDEN, "second_factor_enrolment_required");
        let allowed = [
            "POST /api/second-factor/totp",
            "POST /api/second-factor/totp/confirm",
            "POST /api/second-factor/passkey",
            "POST /api/second-factor/passkey/confirm",
        ];
        let tried = refused_everywhere(&app, &session, expected, &allowed).await;
        assert!(tried.iter().any(|t| t == "POST /api/exemption-queries"), "{tried:?}");
        // So does every login until a factor is enrolled.
        let login = app.login(IK, STRONG).await;
        let again = cookie(&login);
        assert_eq!(json_of(login).await["enrolment_required"], true);
        let (status, body) =
            problem(app.with_cookie(Method::GET, "/api/sessions", &again, None).await).await;
        assert_eq!((status, body["code"].as_str()), (expected.0, Some(expected.1)));
        // Enrolment right after the password step needs no password again.
        let enrolled = enrol(&app, &again, None).await;
        assert_eq!(
            app.with_cookie(Method::GET, "/api/sessions", &enrolled.session, None).await.status(),
            StatusCode::OK
        );
        // From now on the code is asked for at login; logging out works at every stage.
        app.clock.advance(Duration::seconds(30));
        let half = half_logged_in(&app).await;
        let out = app.with_cookie(Method::DELETE, "/api/session", &half, None).await;
        assert_eq!(out.status(), StatusCode::NO_CONTENT);
    }
}
