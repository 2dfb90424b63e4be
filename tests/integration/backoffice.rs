//! The back office's own login and figures (issue #18), and the figures that were `null` until
//! they were counted at the event: providers registered, hours from registration to letters
//! sent, failed logins.

use std::sync::Arc;

use async_trait::async_trait;
use portal_core::accounts::{SecretHasher, dispatch_letters_counting};
use portal_core::backoffice::Backoffice;
use portal_core::figures::{median_hours, merged_histogram};
use portal_core::model::{BackofficeName, HOURS_BUCKETS, Letter, hours_bucket};
use portal_core::{MailError, Mailer};
use portal_domain::german_date;
use portal_mail_outbox::OutboxMailer;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use time::Duration;

use crate::api::{cookie, problem};
use crate::harness::{AppOptions, TestApp, portal_command};

impl TestApp {
    /// The back office's use case on this tenant's stores, as `portal serve` wires it.
    pub(crate) fn backoffice(&self) -> Backoffice {
        Backoffice {
            store: self.stores.backoffice.clone(),
            limits: self.stores.limits.clone(),
            letters: self.stores.letters.clone(),
            figures: self.figures(),
            hasher: SecretHasher::new(1).unwrap(),
            clock: Arc::new(self.clock.clone()),
            policy: portal_core::model::Policy::default(),
            quota_per_day: self.tenant.quota_per_day,
        }
    }

    /// A back-office user `name` added; their password.
    pub(crate) async fn backoffice_user(&self, name: &str) -> String {
        self.backoffice().add(&BackofficeName::parse(name).unwrap()).await.unwrap()
    }

    /// `POST /api/backoffice/session`.
    pub(crate) async fn backoffice_login(&self, name: &str, password: &str) -> reqwest::Response {
        let body = json!({"name": name, "password": password});
        self.http.post(self.url("/api/backoffice/session")).json(&body).send().await.unwrap()
    }

    /// `GET /api/backoffice/figures` with `cookie`.
    pub(crate) async fn backoffice_figures(&self, cookie: &str, query: &str) -> reqwest::Response {
        let path = format!("/api/backoffice/figures{query}");
        self.with_cookie(Method::GET, &path, cookie, None).await
    }
}

async fn registered_providers_and_the_median_hours_to_letters_equal_a_recount(app: TestApp) {
    app.with_directory().await;
    let day = german_date(app.clock_now());
    // Two registrations now, one 30 hours later, while the mail server is down: the letters
    // wait, then all go out at once.
    let mut registered_at = Vec::new();
    for ik in ["301412340", "401612342"] {
        assert_eq!(app.register(ik).await.status(), StatusCode::ACCEPTED);
        registered_at.push(app.clock_now());
    }
    app.clock.advance(Duration::hours(30));
    assert_eq!(app.register("331456786").await.status(), StatusCode::ACCEPTED);
    registered_at.push(app.clock_now());
    // The mail server is back (this round's mailer); the portal's own dispatcher, still on the
    // one that is down, may hold a letter for a moment, so rounds go on until all are out.
    let mailer = OutboxMailer::new(&app.outbox);
    let stores = &app.stores;
    for _ in 0..100 {
        dispatch_letters_counting(
            stores.letters.as_ref(),
            stores.accounts.as_ref(),
            &mailer,
            &app.clock,
            Some(stores.limits.as_ref()),
        )
        .await
        .unwrap();
        if app.letters_of_kind("initial_password").len() == 3 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(app.letters_of_kind("initial_password").len(), 3);
    // The recount: every registration's hours until its letters went out, its lower median.
    let sent_at = app.clock_now();
    let mut hours: Vec<Duration> = registered_at.iter().map(|at| sent_at - *at).collect();
    hours.sort();
    let middle = hours[(hours.len() - 1) / 2];
    let expected = f64::from(HOURS_BUCKETS[hours_bucket(middle)]);

    let days = app.figures().roll_up(day, german_date(sent_at)).await.unwrap();
    let registered: u64 = days.iter().filter_map(|d| d.providers_registered).sum();
    assert_eq!(registered, 3);
    let days: Vec<_> = days.iter().collect();
    assert_eq!(median_hours(&merged_histogram(&days)), Some(expected));
    assert_eq!(expected, 36.0, "two of three waited 30 hours");
}

/// The portal's own mail server down, so that letters wait (see the test above).
fn with_mailer_down() -> AppOptions {
    AppOptions { mailer: Some(Arc::new(DownMailer)), ..AppOptions::default() }
}

/// A mailer that never sends: the portal's own dispatcher leaves the letters queued.
struct DownMailer;

#[async_trait]
impl Mailer for DownMailer {
    async fn send(&self, _letter: &Letter) -> Result<(), MailError> {
        Err(MailError("the mail server is down".into()))
    }
}

async fn a_back_office_user_logs_in_reads_the_figures_and_logs_out(app: TestApp) {
    let password = app.backoffice_user("m.mueller").await;
    let login = app.backoffice_login("m.mueller", &password).await;
    assert_eq!(login.status(), StatusCode::OK);
    let set_cookie = login.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(set_cookie.starts_with("__Host-backoffice="), "{set_cookie}");
    for attribute in ["HttpOnly", "Secure", "SameSite=Strict", "Path=/"] {
        assert!(set_cookie.contains(attribute), "{attribute} in {set_cookie}");
    }
    let session = cookie(&login);
    let body: Value = login.json().await.unwrap();
    assert_eq!(body["name"], "m.mueller");

    let figures = app.backoffice_figures(&session, "").await;
    assert_eq!(figures.status(), StatusCode::OK);
    let figures: Value = figures.json().await.unwrap();
    assert!(figures["days"].is_array());
    assert!(figures["anomalies"].is_array());

    let logout = app.with_cookie(Method::DELETE, "/api/backoffice/session", &session, None).await;
    assert_eq!(logout.status(), StatusCode::NO_CONTENT);
    let after = app.backoffice_figures(&session, "").await;
    assert_eq!(after.status(), StatusCode::UNAUTHORIZED);
}

async fn a_wrong_back_office_password_is_refused_and_counted_in_the_days_figures(app: TestApp) {
    let password = app.backoffice_user("m.mueller").await;
    for (name, tried) in [("m.mueller", "not the password"), ("nobody", password.as_str())] {
        let (status, body) = problem(app.backoffice_login(name, tried).await).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(body["code"], "invalid_credentials");
    }
    let session = cookie(&app.backoffice_login("m.mueller", &password).await);
    let today = german_date(app.clock_now());
    app.figures().roll_up(today, today).await.unwrap();
    let figures: Value = app.backoffice_figures(&session, "").await.json().await.unwrap();
    let days = figures["days"].as_array().unwrap();
    let today = days.iter().find(|d| d["day"] == today.to_string()).unwrap();
    assert_eq!(today["backoffice_login_failures"], 2);
}

async fn a_provider_session_is_refused_on_back_office_routes_and_the_reverse(app: TestApp) {
    let provider = app.active().await.1;
    for (method, path) in
        [(Method::GET, "/api/backoffice/figures"), (Method::GET, "/api/backoffice/session")]
    {
        let (status, _) =
            problem(app.with_cookie(method.clone(), path, &provider, None).await).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{method} {path}");
    }
    let password = app.backoffice_user("m.mueller").await;
    let backoffice = cookie(&app.backoffice_login("m.mueller", &password).await);
    // Every route that wants a provider's session refuses the back office's.
    let mut tried = Vec::new();
    for route in portal_http::routes().into_iter().filter(|r| r.path.starts_with("/api/")) {
        if route.path.starts_with("/api/backoffice/") {
            continue;
        }
        let body = (route.method == Method::POST).then(|| json!({}));
        let anonymous = app.http.request(route.method.clone(), app.url(route.path));
        let anonymous = match &body {
            Some(body) => anonymous.json(body),
            None => anonymous,
        };
        if anonymous.send().await.unwrap().status() != StatusCode::UNAUTHORIZED {
            continue;
        }
        let what = format!("{} {}", route.method, route.path);
        let response = app.with_cookie(route.method.clone(), route.path, &backoffice, body).await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{what}");
        tried.push(what);
    }
    for needed in ["GET /api/session", "POST /api/exemption-queries", "GET /api/physicians"] {
        assert!(tried.iter().any(|t| t == needed), "{needed} in {tried:?}");
    }
    // The back office's own session still works.
    assert_eq!(app.backoffice_figures(&backoffice, "").await.status(), StatusCode::OK);
}

async fn one_insurers_back_office_session_is_refused_at_another(app: TestApp) {
    let (plus, bayern) = (app.tenant("plus"), app.tenant("bayern"));
    let password = plus.backoffice_user("m.mueller").await;
    let at_plus = cookie(&plus.backoffice_login("m.mueller", &password).await);
    assert_eq!(plus.backoffice_figures(&at_plus, "").await.status(), StatusCode::OK);
    assert_eq!(bayern.backoffice_figures(&at_plus, "").await.status(), StatusCode::UNAUTHORIZED);
    // The user is plus's only.
    let login = bayern.backoffice_login("m.mueller", &password).await;
    assert_eq!(login.status(), StatusCode::UNAUTHORIZED);
}

async fn a_range_that_is_not_days_or_too_long_is_refused_naming_the_field(app: TestApp) {
    let password = app.backoffice_user("m.mueller").await;
    let session = cookie(&app.backoffice_login("m.mueller", &password).await);
    for (query, field) in [
        ("?from=2026-13-01", "from"),
        ("?to=soon", "to"),
        ("?from=2026-01-01&to=2026-12-31", "from"),
        ("?from=2026-05-02&to=2026-05-01", "from"),
    ] {
        let (status, body) = problem(app.backoffice_figures(&session, query).await).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}");
        assert_eq!(body["code"], "invalid_date");
        assert_eq!(body["errors"][0]["field"], field, "{query}");
    }
}

on_both_apps! {
    a_back_office_user_logs_in_reads_the_figures_and_logs_out,
    a_wrong_back_office_password_is_refused_and_counted_in_the_days_figures,
    a_provider_session_is_refused_on_back_office_routes_and_the_reverse,
    a_range_that_is_not_days_or_too_long_is_refused_naming_the_field,
}

mod letters {
    on_both_apps! {
        @with crate::backoffice::with_mailer_down;
        registered_providers_and_the_median_hours_to_letters_equal_a_recount,
    }
    use super::registered_providers_and_the_median_hours_to_letters_equal_a_recount;
}

mod tenants {
    on_both_apps! {
        @with crate::tenants::two_tenants;
        one_insurers_back_office_session_is_refused_at_another,
    }
    use super::one_insurers_back_office_session_is_refused_at_another;
}

#[tokio::test]
async fn portal_backoffice_add_prints_a_password_that_logs_in_once_and_remove_ends_it() {
    let app = crate::harness::spawn(AppOptions::default()).await;
    let added = portal_command(app.data_dir.path())
        .args(["backoffice", "add", "k.schmidt"])
        .output()
        .unwrap();
    assert!(added.status.success(), "{}", String::from_utf8_lossy(&added.stderr));
    let stdout = String::from_utf8(added.stdout).unwrap();
    let password = stdout.lines().last().unwrap().trim().to_string();
    let login = app.backoffice_login("k.schmidt", &password).await;
    assert_eq!(login.status(), StatusCode::OK);
    let session = cookie(&login);
    // The same name again is refused.
    let again = portal_command(app.data_dir.path())
        .args(["backoffice", "add", "k.schmidt"])
        .output()
        .unwrap();
    assert!(!again.status.success());
    let removed = portal_command(app.data_dir.path())
        .args(["backoffice", "remove", "k.schmidt"])
        .output()
        .unwrap();
    assert!(removed.status.success(), "{}", String::from_utf8_lossy(&removed.stderr));
    assert_eq!(app.backoffice_figures(&session, "").await.status(), StatusCode::UNAUTHORIZED);
}

/// The store contract of the back office's users and sessions.
async fn back_office_users_are_added_once_and_removed_with_their_sessions_ending(
    store: &impl portal_core::Store,
) {
    use portal_core::model::{BackofficeSession, BackofficeUser};
    use portal_core::{Saved, SystemClock};

    let now = portal_core::Clock::now(&SystemClock);
    let name = BackofficeName::parse("m.mueller").unwrap();
    let user =
        BackofficeUser { name: name.clone(), password_hash: "$argon2id$x".into(), created_at: now };
    assert_eq!(store.add_backoffice_user(&user).await.unwrap(), Saved::Done);
    let again = BackofficeUser { password_hash: "$argon2id$y".into(), ..user.clone() };
    assert_eq!(store.add_backoffice_user(&again).await.unwrap(), Saved::Conflict);
    let stored = store.backoffice_user(&name).await.unwrap().unwrap();
    assert_eq!(stored.password_hash, "$argon2id$x", "the first one stays");
    let session = BackofficeSession {
        id_hash: "ab".repeat(32),
        name: name.clone(),
        created_at: now,
        idle_expires_at: now + Duration::minutes(10),
    };
    store.put_backoffice_session(&session).await.unwrap();
    let read = store.backoffice_session(&session.id_hash).await.unwrap().unwrap();
    assert_eq!((read.name, read.idle_expires_at), (name.clone(), session.idle_expires_at));
    store.delete_backoffice_session(&session.id_hash).await.unwrap();
    assert!(store.backoffice_session(&session.id_hash).await.unwrap().is_none());
    assert!(store.remove_backoffice_user(&name).await.unwrap());
    assert!(!store.remove_backoffice_user(&name).await.unwrap());
    assert!(store.backoffice_user(&name).await.unwrap().is_none());
}

mod store {
    on_both_stores! {
        back_office_users_are_added_once_and_removed_with_their_sessions_ending,
    }
    use super::back_office_users_are_added_once_and_removed_with_their_sessions_ending;
}
