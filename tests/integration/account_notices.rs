//! What the provider is told and can read back (BSI TR-03161 O.Auth_6, O.Auth_16, O.Pass_4), on
//! both stores: a login from a new browser is told once per browser, the change notices carry a
//! link that blocks the account until new letters are used, the account's history, and the back
//! office's reset of the second factor.

use portal::backoffice::Action;
use portal_core::accounts::{BLOCK_LINK_LABEL, secret_in};
use reqwest::{Method, Response, StatusCode};
use serde_json::{Value, json};
use time::Duration;

use crate::api::{IK, STRONG, cookie, problem};
use crate::harness::TestApp;
use crate::second_factor::{code, enrolled};

on_both_apps! {
    a_new_browser_is_told_once_and_a_known_one_never,
    the_block_link_ends_every_session_and_refuses_login_until_the_new_letters_are_used,
    a_block_link_works_once_and_for_seven_days_only,
    a_factor_change_notice_blocks_and_removes_the_factor,
    the_history_lists_logins_failures_and_changes_with_the_browser,
    reset_factor_lets_the_provider_in_with_the_password_alone_and_sends_a_letter,
}

const FIREFOX: &str = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";
const NEWER: &str = "Pfefferkuchen im Zwinger 1711!";

/// The device cookie a login set (`__Host-device=…`).
fn device_cookie(response: &Response) -> String {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap())
        .find(|v| v.starts_with("__Host-device="))
        .map(|v| v.split(';').next().unwrap().to_string())
        .expect("a device cookie")
}

/// `POST /api/session` from a Firefox whose device cookie is `device` (`None`: a new browser).
async fn login_from(app: &TestApp, password: &str, device: Option<&str>) -> Response {
    let mut request = app
        .http
        .post(app.url("/api/session"))
        .header("user-agent", FIREFOX)
        .json(&json!({"ik": IK, "password": password}));
    if let Some(device) = device {
        request = request.header("cookie", device);
    }
    request.send().await.unwrap()
}

/// Letters of `kind` in the outbox after the dispatcher had time to write any.
async fn settled_letters(app: &TestApp, kind: &str) -> Vec<String> {
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    app.letters_of_kind(kind)
}

/// The token of the block link in the newest letter of `kind`.
async fn block_token(app: &TestApp, kind: &str, count: usize) -> String {
    let letters = app.wait_for_letters(kind, count).await;
    let link = secret_in(letters.last().unwrap(), BLOCK_LINK_LABEL).expect("a block link");
    assert!(link.starts_with("https://portal.example/sperren?token="), "{link}");
    link.split_once("token=").unwrap().1.to_string()
}

async fn block(app: &TestApp, token: &str) -> Response {
    app.post("/api/account/block", json!({"token": token})).await
}

/// Changes the own password (no factor): the session it goes on in.
async fn change_password(app: &TestApp, session: &str, current: &str, new: &str) -> String {
    let body = json!({"current_password": current, "new_password": new});
    let changed = app.with_cookie(Method::POST, "/api/password", session, Some(body)).await;
    assert_eq!(changed.status(), StatusCode::NO_CONTENT);
    cookie(&changed)
}

async fn a_new_browser_is_told_once_and_a_known_one_never(app: TestApp) {
    // The first browser after registration is no news: the provider has the letters in hand.
    app.active().await;
    assert!(settled_letters(&app, "new_browser").await.is_empty());
    // Another browser: told once, with the time, the browser family and the network only.
    app.clock.advance(Duration::minutes(1));
    let second = login_from(&app, STRONG, None).await;
    assert_eq!(second.status(), StatusCode::OK);
    let device = device_cookie(&second);
    let set =
        second.headers().get_all("set-cookie").iter().map(|v| v.to_str().unwrap().to_string());
    let set: Vec<String> = set.collect();
    assert!(set[0].starts_with("__Host-session="), "the session's cookie comes first: {set:?}");
    assert!(
        set[1].contains("HttpOnly")
            && set[1].contains("Secure")
            && set[1].contains("SameSite=Strict"),
        "{set:?}"
    );
    let notices = app.wait_for_letters("new_browser", 1).await;
    let notice = &notices[0];
    assert!(notice.contains("04.05.2026 um 10:01"), "{notice}");
    assert!(notice.contains("Browser: Firefox"), "{notice}");
    assert!(notice.contains("Netz: 127.0.0.0/24"), "{notice}");
    assert!(!notice.contains("127.0.0.1"), "never the address: {notice}");
    // The same browser again: nothing, however often.
    for _ in 0..2 {
        let again = login_from(&app, STRONG, Some(&device)).await;
        assert_eq!(again.status(), StatusCode::OK);
        assert_eq!(device_cookie(&again), device, "the browser keeps its id");
    }
    assert_eq!(settled_letters(&app, "new_browser").await.len(), 1);
    // A third browser is told too, once.
    let third = login_from(&app, STRONG, None).await;
    let third_device = device_cookie(&third);
    app.wait_for_letters("new_browser", 2).await;
    login_from(&app, STRONG, Some(&third_device)).await;
    assert_eq!(settled_letters(&app, "new_browser").await.len(), 2);
    // Fresh browsers one after another make no flood of mail: five notices a day at most.
    for _ in 0..5 {
        assert_eq!(login_from(&app, STRONG, None).await.status(), StatusCode::OK);
    }
    assert_eq!(settled_letters(&app, "new_browser").await.len(), 5);
    app.clock.advance(Duration::days(1));
    login_from(&app, STRONG, None).await;
    app.wait_for_letters("new_browser", 6).await;
}

async fn the_block_link_ends_every_session_and_refuses_login_until_the_new_letters_are_used(
    app: TestApp,
) {
    let (_, session) = app.active().await;
    let elsewhere = cookie(&login_from(&app, STRONG, None).await);
    app.clock.advance(Duration::seconds(1));
    let changed = change_password(&app, &session, STRONG, NEWER).await;
    // The notice of the first own password and of this change; this one's link.
    let token = block_token(&app, "password_changed", 2).await;
    assert_eq!(block(&app, &token).await.status(), StatusCode::NO_CONTENT);
    // Every session has ended, and the password no longer works.
    for gone in [&changed, &elsewhere] {
        let response = app.with_cookie(Method::GET, "/api/session", gone, None).await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    }
    let (status, body) = problem(app.login(IK, NEWER).await).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("invalid_credentials"))
    );
    // The new letters let the provider in again, and set an own password.
    let letters = app.read_letters(2).await;
    let first = app.login(IK, &letters.initial_password).await;
    assert_eq!(first.status(), StatusCode::OK);
    let session = cookie(&first);
    let body: Value = first.json().await.unwrap();
    assert_eq!(body["must_change_password"], true);
    let set = json!({"pruefnummer": letters.pruefnummer, "new_password": STRONG});
    let set = app.with_cookie(Method::POST, "/api/password", &session, Some(set)).await;
    assert_eq!(set.status(), StatusCode::NO_CONTENT);
    assert_eq!(app.login(IK, STRONG).await.status(), StatusCode::OK);
}

async fn a_block_link_works_once_and_for_seven_days_only(app: TestApp) {
    let (_, session) = app.active().await;
    app.clock.advance(Duration::seconds(1));
    change_password(&app, &session, STRONG, NEWER).await;
    let old = block_token(&app, "password_changed", 2).await;
    // Six days later another change, with a link of its own.
    app.clock.advance(Duration::days(6));
    let session = cookie(&app.login(IK, NEWER).await);
    change_password(&app, &session, NEWER, STRONG).await;
    let fresh = block_token(&app, "password_changed", 3).await;
    app.clock.advance(Duration::days(1) + Duration::minutes(1));
    for refused in [old.as_str(), "kein-token-von-uns"] {
        let (status, body) = problem(block(&app, refused).await).await;
        assert_eq!((status, body["code"].as_str()), (StatusCode::GONE, Some("block_link_invalid")));
    }
    assert_eq!(block(&app, &fresh).await.status(), StatusCode::NO_CONTENT);
    let (status, body) = problem(block(&app, &fresh).await).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::GONE, Some("block_link_invalid")),
        "used"
    );
    assert_eq!(app.read_letters(2).await.initial_password.len(), 19, "new letters, once");
    assert_eq!(app.letters_of_kind("initial_password").len(), 2);
}

async fn a_factor_change_notice_blocks_and_removes_the_factor(app: TestApp) {
    let enrolled = enrolled(&app).await;
    let status: Value = app
        .with_cookie(Method::GET, "/api/session", &enrolled.session, None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(status["second_factor"], "totp");
    let token = block_token(&app, "factor_changed", 1).await;
    assert_eq!(block(&app, &token).await.status(), StatusCode::NO_CONTENT);
    // The factor may have been a stranger's: the new letters open the account without it.
    let letters = app.read_letters(2).await;
    let first = app.login(IK, &letters.initial_password).await;
    assert_eq!(first.status(), StatusCode::OK);
    let body: Value = first.json().await.unwrap();
    assert_eq!(
        (body["second_factor_required"].clone(), body["second_factor"].clone()),
        (json!(false), Value::Null)
    );
}

async fn the_history_lists_logins_failures_and_changes_with_the_browser(app: TestApp) {
    let (_, _) = app.active().await;
    app.clock.advance(Duration::seconds(1));
    let failed = login_from(&app, "nicht mein Kennwort", None).await;
    assert_eq!(failed.status(), StatusCode::UNAUTHORIZED);
    app.clock.advance(Duration::seconds(1));
    let session = cookie(&login_from(&app, STRONG, None).await);
    app.clock.advance(Duration::seconds(1));
    let session = change_password(&app, &session, STRONG, NEWER).await;
    let history: Vec<Value> = app
        .with_cookie(Method::GET, "/api/account/history", &session, None)
        .await
        .json()
        .await
        .unwrap();
    let lines: Vec<(String, String)> = history
        .iter()
        .map(|e| (e["event"].as_str().unwrap().into(), e["browser"].as_str().unwrap_or("-").into()))
        .collect();
    let expected =
        [("password_changed", "Firefox"), ("login", "Firefox"), ("login_failed", "Firefox")];
    let expected: Vec<(String, String)> =
        expected.iter().map(|(e, b)| (e.to_string(), b.to_string())).collect();
    assert_eq!(lines[..3], expected);
    // The registration's, both in the same instant: the first login and the first own password.
    let mut first = lines[3..].to_vec();
    first.sort();
    assert_eq!(
        first,
        [("login".to_string(), "andere".to_string()), ("password_changed".into(), "andere".into())]
    );
    assert!(history[0]["at"].as_str().unwrap().starts_with("2026-05-04T08:00:03"), "{history:?}");
    // The back office reads the same.
    let printed = app.back_office(Action::History { ik: IK.into() }).await;
    assert!(
        printed.starts_with("Zeit;Ereignis;Browser\n04.05.2026 10:00;password_changed;Firefox"),
        "{printed}"
    );
}

async fn reset_factor_lets_the_provider_in_with_the_password_alone_and_sends_a_letter(
    app: TestApp,
) {
    let enrolled = enrolled(&app).await;
    app.clock.advance(Duration::seconds(30));
    // Before: a login asks for the code.
    let half: Value = app.login(IK, STRONG).await.json().await.unwrap();
    assert_eq!(half["second_factor_required"], true);
    app.clock.advance(Duration::seconds(1));
    let said = app.back_office(Action::ResetFactor { ik: IK.into() }).await;
    assert!(said.contains("zweite Faktor"), "{said}");
    app.clock.advance(Duration::seconds(1));
    // Every session ended; the password alone lets the provider in.
    let gone = app.with_cookie(Method::GET, "/api/session", &enrolled.session, None).await;
    assert_eq!(gone.status(), StatusCode::UNAUTHORIZED);
    let login = app.login(IK, STRONG).await;
    assert_eq!(login.status(), StatusCode::OK);
    let session = cookie(&login);
    let body: Value = login.json().await.unwrap();
    assert_eq!(
        (body["second_factor_required"].clone(), body["second_factor"].clone()),
        (json!(false), Value::Null)
    );
    // A letter (after the enrolment's notice) says so.
    let letters = app.wait_for_letters("factor_changed", 2).await;
    assert!(letters[1].contains("Leistungserbringer-Service den zweiten Faktor"), "{}", letters[1]);
    // The old codes are gone with it: a new enrolment starts afresh.
    let begun = app.with_cookie(Method::POST, "/api/second-factor/totp", &session, None).await;
    assert_eq!(begun.status(), StatusCode::OK);
    let _ = code(&app, &enrolled.secret);
    let history: Vec<Value> = app
        .with_cookie(Method::GET, "/api/account/history", &session, None)
        .await
        .json()
        .await
        .unwrap();
    let events: Vec<&str> = history.iter().map(|e| e["event"].as_str().unwrap()).collect();
    assert_eq!(events[..2], ["login", "factor_reset"], "{events:?}");
    assert!(events.contains(&"factor_enrolled"), "{events:?}");
}

/// The ports behind the notices and the history, alike on both stores.
mod store {
    use portal_core::Store;
    use portal_core::model::{AccountEvent, BlockToken, Browser, DeviceSeen, HistoryEntry};
    use portal_domain::Ik;
    use time::Duration;
    use time::macros::datetime;

    on_both_stores! {
        an_accounts_first_browser_is_first_then_others_new_and_each_known_after,
        a_block_token_is_taken_once,
        the_history_comes_newest_first_from_the_time_asked_and_per_account,
    }

    fn ik(text: &str) -> Ik {
        Ik::parse(text).unwrap()
    }

    async fn an_accounts_first_browser_is_first_then_others_new_and_each_known_after(
        store: &impl Store,
    ) {
        let (a, b) = (ik("301412340"), ik("401612342"));
        let until = datetime!(2027-06-01 00:00 UTC);
        let seen = |ik: Ik, device: &'static str| async move {
            store.remember_device(&ik, &device.repeat(64), until).await.unwrap()
        };
        assert_eq!(seen(a, "1").await, DeviceSeen::First);
        assert_eq!(seen(a, "1").await, DeviceSeen::Known);
        assert_eq!(seen(a, "2").await, DeviceSeen::New);
        assert_eq!(seen(a, "2").await, DeviceSeen::Known);
        // Another account's browsers are its own.
        assert_eq!(seen(b, "2").await, DeviceSeen::First);
    }

    async fn a_block_token_is_taken_once(store: &impl Store) {
        let token = BlockToken {
            hash: "b".repeat(64),
            ik: ik("301412340"),
            expires_at: datetime!(2026-05-11 08:00 UTC),
            drops_factor: true,
        };
        store.put_block_token(&token).await.unwrap();
        assert_eq!(store.take_block_token(&token.hash).await.unwrap(), Some(token.clone()));
        assert_eq!(store.take_block_token(&token.hash).await.unwrap(), None);
        assert_eq!(store.take_block_token(&"c".repeat(64)).await.unwrap(), None);
    }

    async fn the_history_comes_newest_first_from_the_time_asked_and_per_account(
        store: &impl Store,
    ) {
        let (a, b) = (ik("301412340"), ik("401612342"));
        let start = datetime!(2026-05-04 08:00 UTC);
        let entry = |ik: Ik, minutes: i64, event, browser| HistoryEntry {
            ik,
            at: start + Duration::minutes(minutes),
            event,
            browser,
            id: format!("id{minutes}"),
        };
        let written = [
            entry(a, 0, AccountEvent::Login, Some(Browser::Firefox)),
            entry(a, 2, AccountEvent::PasswordChanged, Some(Browser::Chrome)),
            entry(a, 1, AccountEvent::LoginFailed, None),
            entry(b, 3, AccountEvent::Blocked, None),
        ];
        for e in &written {
            store.record_event(e).await.unwrap();
        }
        let history = store.history_of(&a, start).await.unwrap();
        assert_eq!(history, [written[1].clone(), written[2].clone(), written[0].clone()]);
        let later = store.history_of(&a, start + Duration::minutes(1)).await.unwrap();
        assert_eq!(later, [written[1].clone(), written[2].clone()]);
    }
}
