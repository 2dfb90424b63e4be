//! Provider accounts over HTTP, as a provider lives them: register, read the two letters, log in
//! with the initial password, set an own one with the Prüfnummer; and every way it can go wrong.

use std::time::Duration as StdDuration;

use portal_core::accounts::secret_in;
use reqwest::StatusCode;
use serde_json::{Value, json};
use time::Duration;

use crate::api::{IK, STRONG, cookie, problem};
use crate::harness::TestApp;

on_both_apps! {
    a_provider_registers_reads_both_letters_sets_a_password_and_logs_in_again,
    registration_refuses_bad_input_and_unknown_or_active_iks,
    a_security_check_works_once_and_only_for_a_few_minutes,
    a_second_registration_while_the_letters_are_in_the_post_keeps_them_valid_and_tells_the_address,
    a_new_registration_voids_the_earlier_credentials,
    an_unknown_ik_and_a_wrong_password_get_the_same_answer,
    after_five_failed_logins_an_ik_needs_a_security_check_but_no_one_is_locked_out,
    wrong_pruefnummern_count_as_failures_and_a_reset_still_works,
    a_reset_with_the_pruefnummer_alone_does_not_open_a_pending_account,
    the_initial_password_expires_after_thirty_days,
    an_account_unused_for_180_days_is_reactivated_with_the_pruefnummer,
    weak_passwords_are_refused_with_the_reason,
    the_session_ends_after_ten_idle_minutes_and_each_request_extends_it,
    logging_out_ends_the_session_on_the_server,
    a_new_password_ends_the_sessions_of_every_other_browser,
    the_back_office_blocks_unlocks_and_resends,
    a_blocked_pending_account_stays_blocked_when_registered_again,
    a_burst_of_parallel_guesses_gets_no_more_tries_than_one_by_one,
}

async fn a_provider_registers_reads_both_letters_sets_a_password_and_logs_in_again(app: TestApp) {
    app.with_directory().await;
    let response = app.register(IK).await;
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        body,
        json!({"ik": IK, "recipient": "Muster-Apotheke am Altmarkt, p***@muster-apotheke.example", "letters": 2})
    );

    // Two separate letters, to the directory's address, each with its secret on a line of its own.
    let password_letter = app.wait_for_letters("initial_password", 1).await.remove(0);
    let pruefnummer_letter = app.wait_for_letters("pruefnummer", 1).await.remove(0);
    for letter in [&password_letter, &pruefnummer_letter] {
        assert!(
            letter
                .contains("\r\nTo: Muster-Apotheke am Altmarkt <post@muster-apotheke.example>\r\n"),
            "{letter}"
        );
        assert!(letter.contains("Institutionskennzeichen (IK) 301412340"));
        assert!(letter.contains("Date: Mon, 04 May 2026 08:00:00 +0000"));
    }
    let initial = secret_in(&password_letter, "Initialkennwort").unwrap();
    let pruefnummer = secret_in(&pruefnummer_letter, "Prüfnummer").unwrap();
    assert!(!password_letter.contains(&pruefnummer) && !pruefnummer_letter.contains(&initial));
    assert!(password_letter.contains("Das Initialkennwort gilt bis zum 03.06.2026."));

    // First login: a session, but a password to set first.
    let first = app.login(IK, &initial).await;
    assert_eq!(first.status(), StatusCode::OK);
    let session = cookie(&first);
    let set_cookie = first.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(set_cookie.starts_with("__Host-session="));
    for attribute in ["Path=/", "Secure", "HttpOnly", "SameSite=Strict"] {
        assert!(set_cookie.contains(attribute), "{set_cookie}");
    }
    let status: Value = first.json().await.unwrap();
    assert_eq!(status["must_change_password"], true);
    assert_eq!(status["name"], "Muster-Apotheke am Altmarkt");
    assert_eq!(status["idle_timeout_s"], 600);
    assert_eq!(status["expires_at"], "2026-05-04T08:10:00Z");

    app.clock.advance(Duration::seconds(30));
    let body = json!({"pruefnummer": pruefnummer.to_lowercase(), "new_password": STRONG});
    let set = app.with_cookie(reqwest::Method::POST, "/api/password", &session, Some(body)).await;
    assert_eq!(set.status(), StatusCode::NO_CONTENT);
    // The browser goes on in a new session; the one begun with the initial password is void.
    let initial_session = session;
    let session = cookie(&set);
    assert_ne!(session, initial_session);
    let void = app.with_cookie(reqwest::Method::GET, "/api/session", &initial_session, None);
    assert_eq!(void.await.status(), StatusCode::UNAUTHORIZED);
    let now: Value = app
        .with_cookie(reqwest::Method::GET, "/api/session", &session, None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(now["must_change_password"], false);

    // The change is announced to the address on file.
    let notice = app.wait_for_letters("password_changed", 1).await.remove(0);
    assert!(notice.contains("wurde am 04.05.2026 um 10:00 Uhr geändert"), "{notice}");

    let logout = app.with_cookie(reqwest::Method::DELETE, "/api/session", &session, None).await;
    assert_eq!(logout.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        app.login(IK, &initial).await.status(),
        StatusCode::UNAUTHORIZED,
        "the initial password is gone"
    );
    let again = app.login(IK, STRONG).await;
    assert_eq!(again.status(), StatusCode::OK);
    assert_eq!(again.json::<Value>().await.unwrap()["must_change_password"], false);
}

async fn registration_refuses_bad_input_and_unknown_or_active_iks(app: TestApp) {
    app.with_directory().await;
    let (id, nonce) = app.challenge().await;
    let bad_ik = app.post(
                "/api/registrations",
        json!({"ik": "301412341", "terms_accepted": true, "challenge": {"id": id, "nonce": nonce}}),
    )
    .await;
    let (status, body) = problem(bad_ik).await;
    assert_eq!(
        (status, body["code"].as_str(), body["errors"][0]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_ik"), Some("ik"))
    );

    let (id, nonce) = app.challenge().await;
    let no_terms = app
        .post(
            "/api/registrations",
            json!({"ik": IK, "terms_accepted": false, "challenge": {"id": id, "nonce": nonce}}),
        )
        .await;
    let (status, body) = problem(no_terms).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("terms_required"))
    );

    let (status, body) = problem(app.register("168140950").await).await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::NOT_FOUND, Some("unknown_ik")));

    let _ = app.active().await;
    let (status, body) = problem(app.register(IK).await).await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::CONFLICT, Some("already_active")));
}

async fn a_security_check_works_once_and_only_for_a_few_minutes(app: TestApp) {
    app.with_directory().await;
    let (id, nonce) = app.challenge().await;
    let body = |nonce: String| json!({"ik": IK, "terms_accepted": true, "challenge": {"id": id, "nonce": nonce}});
    let (status, problem_body) =
        problem(app.post("/api/registrations", body("not a number".into())).await).await;
    assert_eq!(
        (status, problem_body["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("challenge_invalid"))
    );
    let (status, _) = problem(app.post("/api/registrations", body(nonce.clone())).await).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "a challenge is used up by any attempt");

    let (id, nonce) = app.challenge().await;
    app.clock.advance(Duration::minutes(5));
    let late = app
        .post(
            "/api/registrations",
            json!({"ik": IK, "terms_accepted": true, "challenge": {"id": id, "nonce": nonce}}),
        )
        .await;
    assert_eq!(problem(late).await.1["code"], "challenge_invalid");

    // An id no challenge could have (DynamoDB refuses keys this long) is just as invalid.
    let forged = json!({"ik": IK, "terms_accepted": true, "challenge": {"id": "x".repeat(3000), "nonce": "1"}});
    let (status, body) = problem(app.post("/api/registrations", forged).await).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("challenge_invalid"))
    );
}

#[tokio::test]
async fn security_checks_get_harder_when_crowded_and_are_rationed_per_client() {
    let options = crate::harness::AppOptions {
        configure: Box::new(|config| config.settings.challenges_per_minute = 2),
        ..crate::harness::AppOptions::default()
    };
    let app = crate::harness::spawn(options).await;
    let difficulty = |response: reqwest::Response| async move {
        assert_eq!(response.status(), StatusCode::OK);
        response.json::<Value>().await.unwrap()["difficulty"].as_u64().unwrap()
    };
    let get = || app.http.get(app.url("/api/challenge")).send();
    assert_eq!(difficulty(get().await.unwrap()).await, 8);
    assert_eq!(difficulty(get().await.unwrap()).await, 8);
    // Beyond everyone's two a minute: harder, but nobody is turned away.
    assert_eq!(difficulty(get().await.unwrap()).await, 12);
    // One client's own ration (20 a minute) is refused when used up.
    for _ in 3..20 {
        get().await.unwrap();
    }
    let refused = get().await.unwrap();
    assert_eq!(refused.headers()["retry-after"], "60");
    let (status, body) = problem(refused).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::TOO_MANY_REQUESTS, Some("too_many_requests"))
    );
    app.clock.advance(Duration::minutes(1));
    assert_eq!(difficulty(get().await.unwrap()).await, 8, "a new minute");
}

async fn a_second_registration_while_the_letters_are_in_the_post_keeps_them_valid_and_tells_the_address(
    app: TestApp,
) {
    let first = app.registered().await;
    app.clock.advance(Duration::hours(1));
    for _ in 0..2 {
        let (status, body) = problem(app.register(IK).await).await;
        assert_eq!(
            (status, body["code"].as_str()),
            (StatusCode::CONFLICT, Some("letters_on_the_way"))
        );
        assert!(body["title"].as_str().unwrap().contains("ab dem 07.05.2026 10:00 Uhr"), "{body}");
    }
    // The address on file hears of it, once a day, and no new credentials were made.
    let notices = app.wait_for_letters("registration_repeated", 1).await;
    assert!(notices[0].contains("Ihre Schreiben vom 04.05.2026"), "{}", notices[0]);
    assert!(notices[0].contains("erneut Zugangsdaten"), "{}", notices[0]);
    tokio::time::sleep(StdDuration::from_millis(300)).await;
    assert_eq!(app.letters_of_kind("registration_repeated").len(), 1, "one notice a day");
    assert_eq!(app.letters_of_kind("initial_password").len(), 1, "no new letters");
    assert_eq!(app.login(IK, &first.initial_password).await.status(), StatusCode::OK);

    // Once the letters had time to arrive, new ones may be asked for.
    app.clock.advance(Duration::days(3));
    assert_eq!(app.register(IK).await.status(), StatusCode::ACCEPTED);
}

async fn a_new_registration_voids_the_earlier_credentials(app: TestApp) {
    let first = app.registered().await;
    app.clock.advance(Duration::days(3));
    assert_eq!(app.register(IK).await.status(), StatusCode::ACCEPTED);
    let second = app.read_letters(2).await;
    assert_ne!(first.initial_password, second.initial_password);
    assert_eq!(app.login(IK, &first.initial_password).await.status(), StatusCode::UNAUTHORIZED);
    let session = cookie(&app.login(IK, &second.initial_password).await);
    let old_pruefnummer = json!({"pruefnummer": first.pruefnummer, "new_password": STRONG});
    let refused = app
        .with_cookie(reqwest::Method::POST, "/api/password", &session, Some(old_pruefnummer))
        .await;
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
}

async fn an_unknown_ik_and_a_wrong_password_get_the_same_answer(app: TestApp) {
    let _ = app.registered().await;
    let wrong_password = problem(app.login(IK, "falsches Kennwort").await).await;
    let unknown_ik = problem(app.login("401612342", "falsches Kennwort").await).await;
    let malformed_ik = problem(app.login("30141234", "falsches Kennwort").await).await;
    assert_eq!(wrong_password.0, StatusCode::UNAUTHORIZED);
    assert_eq!(wrong_password.1["code"], "invalid_credentials");
    assert_eq!(unknown_ik, wrong_password);
    assert_eq!(malformed_ik, wrong_password);
}

async fn after_five_failed_logins_an_ik_needs_a_security_check_but_no_one_is_locked_out(
    app: TestApp,
) {
    let credentials = app.registered().await;
    const UNKNOWN: &str = "401612342";
    for ik in [IK, UNKNOWN] {
        for _ in 0..5 {
            let (_, body) = problem(app.login(ik, "falsch").await).await;
            assert_eq!(body["code"], "invalid_credentials");
        }
    }
    // Known and unknown IKs answer alike: a security check first.
    let known = problem(app.login(IK, "falsch").await).await;
    let unknown = problem(app.login(UNKNOWN, "falsch").await).await;
    assert_eq!(
        (known.0, known.1["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("challenge_required"))
    );
    assert_eq!(unknown, known);
    let (_, body) = problem(app.login(IK, &credentials.initial_password).await).await;
    assert_eq!(body["code"], "challenge_required", "the right password needs it too");
    // With the check solved, the provider gets in at once: nobody waits out a lock.
    let checked = app.login_with_check(IK, &credentials.initial_password).await;
    assert_eq!(checked.status(), StatusCode::OK);
    let (_, body) = problem(app.login_with_check(UNKNOWN, "falsch").await).await;
    assert_eq!(body["code"], "invalid_credentials");
    // The next German day starts afresh.
    app.clock.advance(Duration::days(1));
    assert_eq!(app.login(IK, &credentials.initial_password).await.status(), StatusCode::OK);
}

async fn wrong_pruefnummern_count_as_failures_and_a_reset_still_works(app: TestApp) {
    let (credentials, _) = app.active().await;
    let wrong = portal_domain::Pruefnummer::from_random([1; 12]).formatted();
    for attempt in 1..=6 {
        let body = json!({"ik": IK, "pruefnummer": wrong, "new_password": STRONG});
        let (status, problem_body) = problem(app.post("/api/password-reset", body).await).await;
        assert_eq!(problem_body["code"], "invalid_credentials", "attempt {attempt}: {status}");
    }
    let (_, body) = problem(app.login(IK, STRONG).await).await;
    assert_eq!(body["code"], "challenge_required", "the wrong Prüfnummern counted");
    // The provider with the letter in hand resets at once.
    let newer = "Nebel über der Elbe, 2027";
    let right = json!({"ik": IK, "pruefnummer": credentials.pruefnummer, "new_password": newer});
    assert_eq!(app.post("/api/password-reset", right).await.status(), StatusCode::NO_CONTENT);
    assert_eq!(app.login_with_check(IK, newer).await.status(), StatusCode::OK);
    let malformed = json!({"ik": IK, "pruefnummer": "12", "new_password": STRONG});
    let (status, body) = problem(app.post("/api/password-reset", malformed).await).await;
    assert_eq!(
        (status, body["errors"][0]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("pruefnummer"))
    );
}

async fn a_reset_with_the_pruefnummer_alone_does_not_open_a_pending_account(app: TestApp) {
    // Someone who intercepted only the Prüfnummer letter.
    let credentials = app.registered().await;
    let body = json!({"ik": IK, "pruefnummer": credentials.pruefnummer, "new_password": STRONG});
    let (status, body) = problem(app.post("/api/password-reset", body).await).await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::CONFLICT, Some("use_both_letters")));
    assert!(body["title"].as_str().unwrap().contains("Initialkennwort"), "{body}");
    assert_eq!(
        app.login(IK, STRONG).await.status(),
        StatusCode::UNAUTHORIZED,
        "no password was set"
    );
    // Both letters together still work.
    let session = cookie(&app.login(IK, &credentials.initial_password).await);
    let body = json!({"pruefnummer": credentials.pruefnummer, "new_password": STRONG});
    let set = app.with_cookie(reqwest::Method::POST, "/api/password", &session, Some(body)).await;
    assert_eq!(set.status(), StatusCode::NO_CONTENT);
}

async fn the_initial_password_expires_after_thirty_days(app: TestApp) {
    let credentials = app.registered().await;
    app.clock.advance(Duration::days(30));
    let (status, body) = problem(app.login(IK, &credentials.initial_password).await).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("initial_password_expired"))
    );
    assert_eq!(
        app.register(IK).await.status(),
        StatusCode::ACCEPTED,
        "a pending account may register again"
    );
}

async fn an_account_unused_for_180_days_is_reactivated_with_the_pruefnummer(app: TestApp) {
    let (credentials, _) = app.active().await;
    app.clock.advance(Duration::days(180));
    let (status, body) = problem(app.login(IK, STRONG).await).await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::LOCKED, Some("inactive")));
    let newer = "Nebel über der Elbe, 2027";
    let reset = app
        .post(
            "/api/password-reset",
            json!({"ik": IK, "pruefnummer": credentials.pruefnummer, "new_password": newer}),
        )
        .await;
    assert_eq!(reset.status(), StatusCode::NO_CONTENT);
    assert_eq!(app.login(IK, newer).await.status(), StatusCode::OK);
    assert_eq!(
        app.wait_for_letters("password_changed", 2).await.len(),
        2,
        "set and reset are both announced"
    );
}

async fn weak_passwords_are_refused_with_the_reason(app: TestApp) {
    let credentials = app.registered().await;
    let session = cookie(&app.login(IK, &credentials.initial_password).await);
    let cases = [
        ("kurz", "Das Kennwort braucht mindestens 12 Zeichen."),
        ("apotheke-301412340", "Das Kennwort darf Ihr IK nicht enthalten."),
        (
            credentials.initial_password.as_str(),
            "Bitte wählen Sie ein anderes Kennwort als das Initialkennwort.",
        ),
        (
            "passwort1234",
            "Dieses Kennwort ist zu verbreitet oder zu leicht zu erraten. Ein Satz aus mehreren Wörtern ist sicher und gut zu merken.",
        ),
        (
            "Muster-Apotheke1",
            "Dieses Kennwort ist zu verbreitet oder zu leicht zu erraten. Ein Satz aus mehreren Wörtern ist sicher und gut zu merken.",
        ),
    ];
    for (candidate, message) in cases {
        let body = json!({"pruefnummer": credentials.pruefnummer, "new_password": candidate});
        let (status, problem_body) = problem(
            app.with_cookie(reqwest::Method::POST, "/api/password", &session, Some(body)).await,
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{candidate}");
        assert_eq!(problem_body["code"], "weak_password");
        assert_eq!(problem_body["errors"][0]["field"], "new_password");
        assert_eq!(problem_body["errors"][0]["message"], message, "{candidate}");
    }
    assert_eq!(
        app.login(IK, &credentials.initial_password).await.status(),
        StatusCode::OK,
        "nothing changed"
    );
}

async fn the_session_ends_after_ten_idle_minutes_and_each_request_extends_it(app: TestApp) {
    let (_, session) = app.active().await;
    app.clock.advance(Duration::minutes(9));
    let touched: Value = app
        .with_cookie(reqwest::Method::GET, "/api/session", &session, None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(touched["expires_at"], "2026-05-04T08:19:00Z");
    app.clock.advance(Duration::minutes(9));
    assert_eq!(
        app.with_cookie(reqwest::Method::GET, "/api/session", &session, None).await.status(),
        StatusCode::OK
    );
    app.clock.advance(Duration::minutes(10));
    let (status, body) =
        problem(app.with_cookie(reqwest::Method::GET, "/api/session", &session, None).await).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("session_expired"))
    );
    let (_, body) =
        problem(app.with_cookie(reqwest::Method::GET, "/api/session", &session, None).await).await;
    assert_eq!(body["code"], "unauthenticated", "an ended session is gone");
}

async fn logging_out_ends_the_session_on_the_server(app: TestApp) {
    let (_, session) = app.active().await;
    let logout = app.with_cookie(reqwest::Method::DELETE, "/api/session", &session, None).await;
    assert_eq!(logout.status(), StatusCode::NO_CONTENT);
    assert!(logout.headers()["set-cookie"].to_str().unwrap().contains("Max-Age=0"));
    let (status, body) =
        problem(app.with_cookie(reqwest::Method::GET, "/api/session", &session, None).await).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("unauthenticated"))
    );
    let each_login_a_new_id = cookie(&app.login(IK, STRONG).await);
    assert_ne!(each_login_a_new_id, session);
}

async fn a_new_password_ends_the_sessions_of_every_other_browser(app: TestApp) {
    let (credentials, session) = app.active().await;
    // Another browser, maybe a stranger's who learnt the password.
    let elsewhere = cookie(&app.login(IK, STRONG).await);
    app.clock.advance(Duration::seconds(1));

    // Once an own password is set, a change takes it (the Prüfnummer resets a forgotten one).
    let body =
        json!({"current_password": STRONG, "new_password": "Kraniche ziehen über Zingst 71"});
    let set = app.with_cookie(reqwest::Method::POST, "/api/password", &session, Some(body)).await;
    assert_eq!(set.status(), StatusCode::NO_CONTENT);

    let renewed = cookie(&set);
    let (status, body) =
        problem(app.with_cookie(reqwest::Method::GET, "/api/session", &elsewhere, None).await)
            .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("session_expired")),
        "the other browser is told its session has ended"
    );
    let replaced = app.with_cookie(reqwest::Method::GET, "/api/session", &session, None).await;
    assert_eq!(replaced.status(), StatusCode::UNAUTHORIZED);
    let here = app.with_cookie(reqwest::Method::GET, "/api/session", &renewed, None).await;
    assert_eq!(here.status(), StatusCode::OK, "the browser that set it stays logged in");

    // A reset with the Prüfnummer, from the login page, ends every session.
    app.clock.advance(Duration::seconds(1));
    let body = json!({"ik": IK, "pruefnummer": credentials.pruefnummer, "new_password": "Dritte Fassung im Herbstlaub 28"});
    assert_eq!(app.post("/api/password-reset", body).await.status(), StatusCode::NO_CONTENT);
    let after_reset = app.with_cookie(reqwest::Method::GET, "/api/session", &renewed, None).await;
    assert_eq!(after_reset.status(), StatusCode::UNAUTHORIZED);
}

/// Answers the next `account` read with a copy taken earlier: what a login sees whose read came
/// before concurrent wrong guesses locked the account while its own hash check waited its turn.
struct StaleOnce {
    inner: std::sync::OnceLock<std::sync::Arc<dyn portal_core::AccountStore>>,
    stale: std::sync::Mutex<Option<portal_core::model::Account>>,
}

#[async_trait::async_trait]
impl portal_core::AccountStore for StaleOnce {
    async fn account(
        &self,
        ik: &portal_domain::Ik,
    ) -> Result<Option<portal_core::model::Account>, portal_core::StoreError> {
        if let Some(stale) = self.stale.lock().unwrap().take() {
            return Ok(Some(stale));
        }
        self.inner.get().unwrap().account(ik).await
    }
    async fn standing(
        &self,
        ik: &portal_domain::Ik,
    ) -> Result<Option<portal_core::model::Standing>, portal_core::StoreError> {
        self.inner.get().unwrap().standing(ik).await
    }
    async fn save_account(
        &self,
        account: &portal_core::model::Account,
        letters: &[portal_core::model::Letter],
    ) -> Result<portal_core::Saved, portal_core::StoreError> {
        self.inner.get().unwrap().save_account(account, letters).await
    }
}

#[tokio::test]
async fn a_right_password_checked_while_the_account_was_blocked_is_refused_too() {
    let accounts = std::sync::Arc::new(StaleOnce {
        inner: std::sync::OnceLock::new(),
        stale: std::sync::Mutex::new(None),
    });
    let wrapper = accounts.clone();
    let app = crate::harness::spawn(crate::harness::AppOptions {
        wrap_stores: Box::new(move |mut stores| {
            let _ = wrapper.inner.set(stores.accounts.clone());
            stores.accounts = wrapper;
            stores
        }),
        ..crate::harness::AppOptions::default()
    })
    .await;
    app.active().await;
    let ik = portal_domain::Ik::parse(IK).unwrap();
    let before_the_block = app.stores.accounts.account(&ik).await.unwrap();
    app.back_office(portal::backoffice::Action::Block { ik: IK.into() }).await;

    *accounts.stale.lock().unwrap() = before_the_block;
    let (status, body) = problem(app.login(IK, STRONG).await).await;

    assert_eq!((status, body["code"].as_str()), (StatusCode::LOCKED, Some("blocked")));
}

async fn the_back_office_blocks_unlocks_and_resends(app: TestApp) {
    let (credentials, session) = app.active().await;
    let elsewhere = cookie(&app.login(IK, STRONG).await);
    app.clock.advance(Duration::seconds(1));
    use portal::backoffice::Action;

    let blocked = app.back_office(Action::Block { ik: IK.into() }).await;
    assert!(blocked.starts_with("Der Zugang für IK 301412340 ist gesperrt"), "{blocked}");
    for session in [&session, &elsewhere] {
        let after = app.with_cookie(reqwest::Method::GET, "/api/session", session, None).await;
        assert_eq!(after.status(), StatusCode::UNAUTHORIZED, "a block ends every session");
    }
    let (status, body) = problem(app.login(IK, STRONG).await).await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::LOCKED, Some("blocked")));
    let reset = json!({"ik": IK, "pruefnummer": credentials.pruefnummer, "new_password": "Kraniche ziehen über Zingst 71"});
    let (status, body) = problem(app.post("/api/password-reset", reset).await).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::LOCKED, Some("blocked")),
        "nor a reset"
    );

    let unlocked = app.back_office(Action::Unlock { ik: IK.into() }).await;
    assert_eq!(unlocked, "Der Zugang für IK 301412340 ist entsperrt.");
    assert_eq!(app.login(IK, STRONG).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn the_back_office_resends_the_letters_of_a_pending_account() {
    let app = crate::harness::spawn_app().await;
    let credentials = app.registered().await;
    let resent = app.back_office(portal::backoffice::Action::Resend { ik: IK.into() }).await;
    assert!(
        resent.starts_with("2 neue Schreiben an Muster-Apotheke am Altmarkt, p***@"),
        "{resent}"
    );
    assert_eq!(
        app.login(IK, &credentials.initial_password).await.status(),
        StatusCode::UNAUTHORIZED,
        "old letters are void"
    );
}

async fn a_blocked_pending_account_stays_blocked_when_registered_again(app: TestApp) {
    let _ = app.registered().await;
    app.back_office(portal::backoffice::Action::Block { ik: IK.into() }).await;
    app.clock.advance(Duration::days(3));
    let (status, body) = problem(app.register(IK).await).await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::LOCKED, Some("blocked")));
    assert_eq!(app.letters_of_kind("initial_password").len(), 1, "no new letters");
}

async fn a_burst_of_parallel_guesses_gets_no_more_tries_than_one_by_one(app: TestApp) {
    let _ = app.registered().await;
    let guesses = (0..20).map(|n| {
        let app = &app;
        async move { problem(app.login(IK, &format!("geraten {n}")).await).await.1["code"].clone() }
    });
    let answers = futures::future::join_all(guesses).await;
    let checked = answers.iter().filter(|code| *code == "invalid_credentials").count();
    assert_eq!(checked, 5, "only five passwords were checked: {answers:?}");
    assert!(
        answers.iter().all(|code| code == "invalid_credentials" || code == "challenge_required")
    );
}
