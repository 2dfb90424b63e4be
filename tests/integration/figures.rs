//! The service figures (issue #18): the daily roll-up of the audit log, the public monthly figures
//! with small counts masked, `portal stats` with its anomaly list, each insurer's apart.
//!
//! A month of traffic is written as the query use case writes it (its one atomic append to the
//! audit log, `AuditLog::record_query`), at the instants a month of providers would have asked:
//! the clock cannot be moved over HTTP, so `tools/traffic` drives only today's traffic through
//! the real API.

use std::collections::BTreeSet;
use std::sync::Arc;

use portal_core::figures::{Figures, Month};
use portal_core::model::{AuditEntry, Channel, DayFigures, Outcome, QueryId, Recorded};
use portal_domain::{Consent, Ik, Kvnr, Lang, german_date};
use serde_json::Value;
use time::macros::date;
use time::{Date, Duration, OffsetDateTime};

use crate::harness::{AppOptions, TestApp, portal_command};

/// Providers of the demo directory (valid IKs).
const PROVIDERS: [&str; 5] = ["301412340", "401612342", "331456786", "401612353", "409123450"];

impl TestApp {
    /// The figures' use case on this tenant's stores, as `portal serve` wires it.
    pub(crate) fn figures(&self) -> Figures {
        Figures {
            tenant: self.tenant.clone(),
            timeline: self.stores.timeline.clone(),
            store: self.stores.figures.clone(),
            limits: self.stores.limits.clone(),
            clock: Arc::new(self.clock.clone()),
        }
    }

    pub(crate) async fn service_figures(&self, query: &str) -> (reqwest::StatusCode, Value) {
        let response =
            self.http.get(self.url(&format!("/api/service-figures{query}"))).send().await.unwrap();
        (response.status(), response.json().await.unwrap())
    }

    /// One answered query of `ik` at `at`, appended as the query use case appends it.
    async fn answered(&self, ik: &str, at: OffsetDateTime, found: bool, exempt: bool) {
        let entry = AuditEntry {
            query_id: QueryId::new(),
            ik: Ik::parse(ik).unwrap(),
            at,
            kvnr: Kvnr::parse(if found { "A123456780" } else { "C345678908" }).unwrap(),
            consent: Consent::InsuredPresent,
            dispensing_date: None,
            outcome: Outcome {
                found,
                exempt_years: if exempt { vec![2026] } else { Vec::new() },
                exempt_on_dispensing_date: None,
            },
            channel: Channel::Web,
            expires_at: at + Duration::days(730),
        };
        let recorded = self.stores.audit.record_query(&entry, &[]).await.unwrap();
        assert!(matches!(recorded, Recorded::Done(_)));
    }

    /// `count` queries of `ik` on `day` from 08:00 UTC a minute apart; every third finds no
    /// record, every second of the others shows an exemption.
    async fn queries_on(&self, ik: &str, day: Date, count: u32) {
        for n in 0..count {
            let at = day.midnight().assume_utc() + Duration::hours(8) + Duration::minutes(n.into());
            self.answered(ik, at, n % 3 != 2, n % 2 == 0).await;
        }
    }
}

/// `n` valid IKs (their check digit right), the demo's first.
fn iks(n: usize) -> Vec<String> {
    let generated = (300_000_000_u32..).map(|n| n.to_string()).filter(|ik| Ik::parse(ik).is_ok());
    PROVIDERS.iter().map(|ik| ik.to_string()).chain(generated).take(n).collect()
}

/// A generated April 2026: twelve providers (enough not to be masked), a different number of
/// queries each day, some at night (23:30 German summer time).
async fn april_of_traffic(app: &TestApp) {
    let providers = iks(12);
    let futures = providers.iter().enumerate().map(|(i, ik)| async move {
        let mut day = date!(2026 - 04 - 01);
        while day <= date!(2026 - 04 - 30) {
            let count = (u32::from(day.day()) * 7 + i as u32 * 3) % 5 + 1;
            app.queries_on(ik, day, count).await;
            if i == 0 && day.day() % 10 == 0 {
                app.answered(
                    ik,
                    day.midnight().assume_utc() + Duration::minutes(21 * 60 + 30),
                    true,
                    false,
                )
                .await;
            }
            day = day.next_day().unwrap();
        }
    });
    futures::future::join_all(futures).await;
}

/// What the audit log itself says about a month: queries, exempt answers, active providers.
async fn recount(app: &TestApp, month: Month) -> (u64, u64, u64) {
    let (mut answered, mut exempt, mut active) = (0, 0, BTreeSet::new());
    for head in app.stores.audit.audit_heads().await.unwrap() {
        for row in app.stores.audit.audit_of_ik(&head.ik).await.unwrap() {
            let record = row.intact().expect("an intact record").clone();
            if Month::of(german_date(record.at)) == month {
                answered += 1;
                exempt += u64::from(!record.outcome.exempt_years.is_empty());
                active.insert(record.ik);
            }
        }
    }
    (answered, exempt, active.len() as u64)
}

fn count(value: &Value) -> u64 {
    value.as_u64().unwrap_or_else(|| panic!("a count, not {value}"))
}

async fn the_monthly_figures_equal_a_recount_of_the_audit_log(app: TestApp) {
    april_of_traffic(&app).await;
    app.figures().roll_up(date!(2026 - 04 - 01), date!(2026 - 04 - 30)).await.unwrap();

    let (status, body) = app.service_figures("?from=2026-04&to=2026-04").await;
    assert_eq!(status, 200, "{body}");
    let april = &body["months"][0];
    let (answered, exempt, active) = recount(&app, Month::parse("2026-04").unwrap()).await;
    assert_eq!(april["month"], "2026-04");
    assert_eq!(count(&april["queries_answered"]), answered);
    assert_eq!(count(&april["providers_active"]), active);
    assert_eq!(active, 12);
    let share = april["share_exempt"].as_f64().expect("a share");
    assert!((share - exempt as f64 / answered as f64).abs() < 1e-9);
    // Counted at the event since issue 18's second part: no query was refused, no report sent,
    // no provider registered in this made-up April (small counts masked).
    assert_eq!(april["availability"], 1.0);
    assert_eq!(april["reports_sent"], "< 10");
    assert_eq!(april["providers_registered"], "< 10");
    assert_eq!(april["median_hours_to_letters"], Value::Null, "no letters sent");
}

async fn small_counts_are_shown_as_less_than_ten(app: TestApp) {
    app.queries_on(PROVIDERS[0], date!(2026 - 05 - 02), 3).await;
    app.queries_on(PROVIDERS[1], date!(2026 - 05 - 03), 4).await;
    app.figures().roll_up_due().await.unwrap();

    // By default the twelve months up to the clock's (May 2026).
    let (status, body) = app.service_figures("").await;
    assert_eq!(status, 200, "{body}");
    let months = body["months"].as_array().unwrap();
    assert_eq!(months.len(), 12);
    let may = months.last().unwrap();
    assert_eq!(may["month"], "2026-05");
    assert_eq!(may["queries_answered"], "< 10");
    assert_eq!(may["providers_active"], "< 10");
    assert_eq!(may["share_exempt"], "< 10");
    // A month without any query: 0 is below 10 as well.
    assert_eq!(months[0]["queries_answered"], "< 10");

    let csv = app.http.get(app.url("/api/service-figures.csv")).send().await.unwrap();
    assert_eq!(csv.headers()["content-type"], "text/csv; charset=utf-8");
    let text = csv.text().await.unwrap();
    assert!(text.lines().last().unwrap().starts_with("2026-05;< 10;< 10;"), "{text}");
}

async fn rolling_a_day_up_again_gives_the_same_figures(app: TestApp) {
    april_of_traffic(&app).await;
    let figures = app.figures();
    let (from, to) = (date!(2026 - 04 - 01), date!(2026 - 04 - 30));
    let without_time = |days: Vec<DayFigures>| -> Vec<DayFigures> {
        days.into_iter()
            .map(|d| DayFigures { rolled_up_at: OffsetDateTime::UNIX_EPOCH, ..d })
            .collect()
    };
    figures.roll_up(from, to).await.unwrap();
    let first = without_time(figures.days(from, to).await.unwrap());
    let (_, api_first) = app.service_figures("?from=2026-04&to=2026-04").await;
    app.clock.advance(Duration::hours(5));
    figures.roll_up(from, to).await.unwrap();
    figures.roll_up(date!(2026 - 04 - 10), date!(2026 - 04 - 12)).await.unwrap();
    let again = without_time(figures.days(from, to).await.unwrap());
    assert_eq!(first.len(), 30);
    assert_eq!(first, again);
    assert_eq!(app.service_figures("?from=2026-04&to=2026-04").await.1, api_first);
}

async fn the_anomaly_list_flags_the_provider_asking_ten_times_its_usual_rate_and_nobody_else(
    app: TestApp,
) {
    let last = date!(2026 - 04 - 29);
    let usual = |ik: &'static str, per_day: u32| {
        let app = app.clone();
        async move {
            for back in 1..=28 {
                app.queries_on(ik, last - Duration::days(back), per_day).await;
            }
        }
    };
    futures::future::join(usual(PROVIDERS[0], 4), usual(PROVIDERS[1], 12)).await;
    // Ten times its usual rate, and the other one as ever.
    futures::future::join(
        app.queries_on(PROVIDERS[0], last, 40),
        app.queries_on(PROVIDERS[1], last, 12),
    )
    .await;
    let figures = app.figures();
    figures.roll_up(last - Duration::days(28), last).await.unwrap();

    let args = portal::stats::StatsArgs {
        command: None,
        from: Some("2026-04-23".into()),
        to: Some(last.to_string()),
        json: true,
    };
    let report = portal::stats::report(&figures, &args, 100, Lang::En).await.unwrap();
    let anomalies = report["anomalies"].as_array().unwrap();
    assert_eq!(anomalies.len(), 1, "{anomalies:?}");
    assert_eq!(anomalies[0]["ik"], PROVIDERS[0]);
    assert_eq!(anomalies[0]["rule"], "jump");
    assert_eq!(anomalies[0]["day"], "2026-04-29");
    let days = report["days"].as_array().unwrap();
    assert_eq!(days.len(), 7);
    let top = &days[6]["top_providers"];
    assert_eq!(top[0]["ik"], PROVIDERS[0]);
    assert_eq!(top[0]["share_of_quota"], 0.4);
}

async fn one_insurers_figures_do_not_count_anothers_queries(app: TestApp) {
    let (plus, bayern) = (app.tenant("plus"), app.tenant("bayern"));
    let day = date!(2026 - 04 - 14);
    plus.queries_on(PROVIDERS[0], day, 12).await;
    bayern.queries_on(PROVIDERS[0], day, 15).await;
    bayern.queries_on(PROVIDERS[4], day, 3).await;
    plus.figures().roll_up(day, day).await.unwrap();
    bayern.figures().roll_up(day, day).await.unwrap();

    let april = |body: Value| body["months"][0].clone();
    let of_plus = april(plus.service_figures("?from=2026-04&to=2026-04").await.1);
    let of_bayern = april(bayern.service_figures("?from=2026-04&to=2026-04").await.1);
    assert_eq!(of_plus["queries_answered"], 12);
    assert_eq!(of_bayern["queries_answered"], 18);
    assert_eq!(of_plus["providers_active"], "< 10");
    let plus_days = plus.figures().days(day, day).await.unwrap();
    assert_eq!(plus_days[0].providers.len(), 1);
}

on_both_apps! {
    the_monthly_figures_equal_a_recount_of_the_audit_log,
    small_counts_are_shown_as_less_than_ten,
    rolling_a_day_up_again_gives_the_same_figures,
    the_anomaly_list_flags_the_provider_asking_ten_times_its_usual_rate_and_nobody_else,
}

mod tenants {
    on_both_apps! {
        @with crate::tenants::two_tenants;
        one_insurers_figures_do_not_count_anothers_queries,
    }
    use super::one_insurers_figures_do_not_count_anothers_queries;
}

#[tokio::test]
async fn a_month_that_is_not_yyyy_mm_is_refused_naming_the_field() {
    let app = crate::harness::spawn(AppOptions::default()).await;
    for (query, field) in
        [("?from=2026-4", "from"), ("?to=2026-13", "to"), ("?from=2026-05&to=2026-04", "from")]
    {
        let (status, body) = app.service_figures(query).await;
        assert_eq!(status, 400, "{query}: {body}");
        assert_eq!(body["code"], "invalid_date");
        assert_eq!(body["errors"][0]["field"], field, "{query}");
    }
}

#[tokio::test]
async fn portal_stats_json_gives_the_same_numbers_as_the_api() {
    let app = crate::harness::spawn(AppOptions::default()).await;
    april_of_traffic(&app).await;
    // The roll-up through the command line, as the back office runs it.
    let rollup = portal_command(app.data_dir.path())
        .args(["stats", "rollup", "--from", "2026-04-01", "--to", "2026-04-30"])
        .output()
        .unwrap();
    assert!(rollup.status.success(), "{}", String::from_utf8_lossy(&rollup.stderr));
    let output = portal_command(app.data_dir.path())
        .args(["stats", "--from", "2026-04-01", "--to", "2026-04-30", "--json"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let stats: Value = serde_json::from_slice(&output.stdout).unwrap();
    let (_, api) = app.service_figures("?from=2026-04&to=2026-04").await;
    let (month, public) = (&stats["months"][0], &api["months"][0]);
    for figure in ["queries_answered", "providers_active"] {
        assert_eq!(month[figure], public[figure], "{figure}");
    }
    assert!(
        (month["share_exempt"].as_f64().unwrap() - public["share_exempt"].as_f64().unwrap()).abs()
            < 1e-9
    );
    let days = stats["days"].as_array().unwrap();
    assert_eq!(days.len(), 30);
    let per_day: u64 = days.iter().map(|d| count(&d["queries_answered"])).sum();
    assert_eq!(per_day, count(&public["queries_answered"]));
    assert_eq!(stats["anomalies"], Value::Array(Vec::new()));
}
