//! The Online-Hintergrund-Abfrage over HTTP: every case of the seed's result screen, the 30 June
//! rule, the errors, the quota, and the audit written before any answer.

use std::sync::Arc;

use async_trait::async_trait;
use portal::stores::Stores;
use portal_core::model::{AuditEntry, AuditHead, AuditRow, Limit, Recorded};
use portal_core::{AuditLog, StoreError};
use portal_domain::{Ik, Kvnr};
use reqwest::StatusCode;
use serde_json::{Value, json};
use time::Duration;
use time::macros::datetime;

use crate::api::{IK, cookie, problem};
use crate::harness::{AppOptions, TestApp};

on_both_apps! {
    an_exempt_patient_shows_initials_and_every_shown_year,
    exemption_from_a_day_in_the_year_decides_the_day_of_dispensing,
    a_patient_exempt_only_last_year_is_shown_so_until_the_30th_of_june,
    a_patient_without_a_record_is_not_found,
    the_previous_year_disappears_at_midnight_german_time_on_the_1st_of_july,
    bad_input_names_every_field_at_fault,
    only_logged_in_providers_with_their_own_password_may_ask,
    every_answer_is_in_the_audit_log_with_its_consent,
}

async fn an_exempt_patient_shows_initials_and_every_shown_year(app: TestApp) {
    let session = app.provider_session().await;
    let result =
        app.answer(&session, json!({"kvnr": " a121212122 ", "consent": "insured_present"})).await;
    assert_eq!(
        result,
        json!({
            "kvnr": "A121212122",
            "found": true,
            "initials": "Ö. Ç.",
            "years": [
                {"year": 2026, "exempt": true, "valid_from": "2026-01-01", "valid_to": "2026-12-31"},
                {"year": 2025, "exempt": true, "valid_from": "2025-01-01", "valid_to": "2025-12-31"}
            ]
        })
    );
}

async fn exemption_from_a_day_in_the_year_decides_the_day_of_dispensing(app: TestApp) {
    let session = app.provider_session().await;
    let on = |day: &str| json!({"kvnr": "A123456780", "consent": "representative_present", "dispensing_date": day});
    let before = app.answer(&session, on("2026-03-13")).await;
    assert_eq!(before["exempt_on_dispensing_date"], false);
    assert_eq!(
        before["years"],
        json!([
            {"year": 2026, "exempt": true, "valid_from": "2026-03-14", "valid_to": "2026-12-31"},
            {"year": 2025, "exempt": false}
        ])
    );
    assert_eq!(app.answer(&session, on("2026-03-14")).await["exempt_on_dispensing_date"], true);
    assert_eq!(app.answer(&session, on("2025-06-01")).await["exempt_on_dispensing_date"], false);
}

async fn a_patient_exempt_only_last_year_is_shown_so_until_the_30th_of_june(app: TestApp) {
    let session = app.provider_session().await;
    let result =
        app.answer(&session, json!({"kvnr": "B234567895", "consent": "insured_present"})).await;
    assert_eq!(result["initials"], "H. M.");
    assert_eq!(
        result["years"],
        json!([{"year": 2026, "exempt": false}, {"year": 2025, "exempt": true, "valid_from": "2025-09-02", "valid_to": "2025-12-31"}])
    );
}

async fn a_patient_without_a_record_is_not_found(app: TestApp) {
    let session = app.provider_session().await;
    let result =
        app.answer(&session, json!({"kvnr": "C345678908", "consent": "insured_present"})).await;
    assert_eq!(result, json!({"kvnr": "C345678908", "found": false}));
}

async fn the_previous_year_disappears_at_midnight_german_time_on_the_1st_of_july(app: TestApp) {
    let session = app.provider_session().await;
    let ask_b = || json!({"kvnr": "B234567895", "consent": "insured_present"});
    app.clock.advance(datetime!(2026-06-30 21:59 UTC) - datetime!(2026-05-04 08:00 UTC));
    let fresh = cookie(&app.login(IK, crate::api::STRONG).await);
    assert_eq!(
        app.answer(&fresh, ask_b()).await["years"].as_array().unwrap().len(),
        2,
        "23:59 on 30 June"
    );
    app.clock.advance(Duration::minutes(1));
    let years = app.answer(&fresh, ask_b()).await["years"].clone();
    assert_eq!(years, json!([{"year": 2026, "exempt": false}]), "00:00 on 1 July");
    let _ = session;
}

async fn bad_input_names_every_field_at_fault(app: TestApp) {
    let session = app.provider_session().await;
    let (status, body) = problem(app.ask(&session, json!({"kvnr": "A123456789"})).await).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["code"], "invalid_kvnr");
    let fields: Vec<(&str, &str)> = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["field"].as_str().unwrap(), e["code"].as_str().unwrap()))
        .collect();
    assert_eq!(fields, [("kvnr", "invalid_kvnr"), ("consent", "consent_required")]);

    let (_, body) =
        problem(app.ask(&session, json!({"kvnr": "A123456780", "consent": "yes"})).await).await;
    assert_eq!(body["code"], "consent_required");
    for (day, message) in [
        ("2026-05-05", "Der Tag der Abgabe darf nicht in der Zukunft liegen."),
        ("2024-12-31", "Der Tag der Abgabe muss in einem der angezeigten Jahre liegen."),
        ("05.05.2026", "Bitte geben Sie ein gültiges Datum im Format JJJJ-MM-TT an."),
    ] {
        let body =
            json!({"kvnr": "A123456780", "consent": "insured_present", "dispensing_date": day});
        let (status, problem_body) = problem(app.ask(&session, body).await).await;
        assert_eq!(
            (status, problem_body["code"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_dispensing_date")),
            "{day}"
        );
        assert_eq!(problem_body["errors"][0]["message"], message, "{day}");
    }
    let audit = app.stores.audit.audit_of_ik(&Ik::parse(IK).unwrap()).await.unwrap();
    assert_eq!(audit, [], "refused questions are not answered and not recorded");
}

async fn only_logged_in_providers_with_their_own_password_may_ask(app: TestApp) {
    let body = json!({"kvnr": "A123456780", "consent": "insured_present"});
    let anonymous =
        app.http.post(app.url("/api/exemption-queries")).json(&body).send().await.unwrap();
    assert_eq!(problem(anonymous).await.1["code"], "unauthenticated");
    let credentials = app.registered().await;
    let pending = cookie(&app.login(IK, &credentials.initial_password).await);
    let (status, body) = problem(app.ask(&pending, body).await).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("password_change_required"))
    );
}

async fn every_answer_is_in_the_audit_log_with_its_consent(app: TestApp) {
    let session = app.provider_session().await;
    app.answer(&session, json!({"kvnr": "A123456780", "consent": "insured_present", "dispensing_date": "2026-03-13"})).await;
    app.answer(&session, json!({"kvnr": "C345678908", "consent": "representative_present"})).await;
    app.answer(&session, json!({"kvnr": "A123456780", "consent": "representative_present"})).await;

    let about = app.stores.audit.audit_of_kvnr(&Kvnr::parse("A123456780").unwrap()).await.unwrap();
    let about = crate::harness::intact(about);
    assert_eq!(about.len(), 2);
    assert_eq!(about[0].consent.as_str(), "insured_present");
    assert_eq!(about[0].dispensing_date.map(|d| d.to_string()).as_deref(), Some("2026-03-13"));
    assert_eq!(about[0].outcome.to_text(), "exempt:2026;dispensing:no");
    assert_eq!(about[1].consent.as_str(), "representative_present");
    let chain = app.stores.audit.audit_of_ik(&Ik::parse(IK).unwrap()).await.unwrap();
    let chain = crate::harness::intact(chain);
    assert_eq!(chain.iter().map(|r| r.seq).collect::<Vec<_>>(), [1, 2, 3]);
    assert_eq!(chain[1].outcome.to_text(), "not_found");
    assert_eq!(chain[1].prev_hash, chain[0].hash);
    let verified = portal_core::oha::verify_audit(
        app.stores.audit.as_ref(),
        app.clock_now(),
        Duration::days(730),
    )
    .await
    .unwrap();
    assert_eq!((verified.chains, verified.records, verified.problems.len()), (1, 3, 0));
}

/// A portal with a quota of 3 a day and 2 a minute.
mod quota {
    use super::*;

    on_both_apps! {
        @with super::small_quota;
        the_burst_limit_and_the_daily_quota_answer_429_with_retry_after,
    }

    fn small_quota() -> AppOptions {
        AppOptions {
            configure: Box::new(|config| {
                config.settings.oha.quota_per_day = 3;
                config.settings.oha.burst_per_minute = 2;
            }),
            ..AppOptions::default()
        }
    }

    async fn the_burst_limit_and_the_daily_quota_answer_429_with_retry_after(app: TestApp) {
        let session = app.provider_session().await;
        let body = || json!({"kvnr": "A123456780", "consent": "insured_present"});
        for _ in 0..2 {
            assert_eq!(app.ask(&session, body()).await.status(), StatusCode::OK);
        }
        let too_fast = app.ask(&session, body()).await;
        assert_eq!(too_fast.headers()["retry-after"], "60");
        assert_eq!(problem(too_fast).await.1["code"], "rate_limited");
        app.clock.advance(Duration::minutes(1));
        let fresh = cookie(&app.login(IK, crate::api::STRONG).await);
        assert_eq!(app.ask(&fresh, body()).await.status(), StatusCode::OK);
        let over_quota = app.ask(&fresh, body()).await;
        // 08:01 UTC = 10:01 in Dresden; the German day ends in 13 h 59 min.
        assert_eq!(over_quota.headers()["retry-after"], (13 * 3600 + 59 * 60).to_string());
        let (_, body_json) = problem(over_quota).await;
        assert_eq!(
            body_json["title"],
            "Das Tageskontingent von 3 Abfragen ist erreicht. Ab Mitternacht sind wieder Abfragen möglich."
        );
        app.clock.advance(Duration::days(1));
        let next_day = cookie(&app.login(IK, crate::api::STRONG).await);
        assert_eq!(app.ask(&next_day, body()).await.status(), StatusCode::OK);
    }
}

/// An audit log that cannot be written to: what a full disk or an unreachable table looks like.
struct Unwritable(Arc<dyn AuditLog>);

#[async_trait]
impl AuditLog for Unwritable {
    async fn record_query(&self, _: &AuditEntry, _: &[Limit]) -> Result<Recorded, StoreError> {
        Err(StoreError::unavailable("disk full"))
    }
    async fn audit_heads(&self) -> Result<Vec<AuditHead>, StoreError> {
        self.0.audit_heads().await
    }
    async fn audit_of_ik(&self, ik: &Ik) -> Result<Vec<AuditRow>, StoreError> {
        self.0.audit_of_ik(ik).await
    }
    async fn audit_of_kvnr(&self, kvnr: &Kvnr) -> Result<Vec<AuditRow>, StoreError> {
        self.0.audit_of_kvnr(kvnr).await
    }
    async fn audit_record(&self, ik: &Ik, seq: u64) -> Result<Option<AuditRow>, StoreError> {
        self.0.audit_record(ik, seq).await
    }
}

#[tokio::test]
async fn without_an_audit_record_no_status_is_given() {
    let options = AppOptions {
        wrap_stores: Box::new(|stores: Stores| Stores {
            audit: Arc::new(Unwritable(stores.audit.clone())),
            ..stores
        }),
        ..AppOptions::default()
    };
    let app = crate::harness::spawn(options).await;
    let session = app.provider_session().await;
    let response =
        app.ask(&session, json!({"kvnr": "A121212122", "consent": "insured_present"})).await;
    let text = response.text().await.unwrap();
    let body: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        (body["status"].as_u64(), body["code"].as_str()),
        (Some(503), Some("audit_unavailable"))
    );
    assert!(!text.contains("Ö. Ç.") && !text.contains("exempt\""), "no status leaks: {text}");
}
