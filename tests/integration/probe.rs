//! What an outside security probe of the running portal found, each finding as the behaviour
//! that now holds. (The account findings, a reset with one letter, the lock anyone could
//! trigger, the voided letters and the block, are told in `accounts.rs`.)

use std::io::{Read as _, Write as _};
use std::net::TcpStream;
use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration as StdDuration, Instant};

use portal_core::accounts::{Accounts, Device, SecretHasher};
use portal_core::model::{
    Account, AuditEntry, AuditRow, Browser, Counter, Limit, Outcome, Policy, QueryId, Sender,
};
use portal_core::oha::{AuditProblem, verify_audit};
use portal_core::{AccountStore, AuditLog, ExemptionStore};
use portal_domain::{ClientAddress, Consent, Ik, Kvnr};
use reqwest::StatusCode;
use serde_json::json;
use time::{Duration, OffsetDateTime};

use crate::api::{IK, STRONG, problem};
use crate::harness::{AppOptions, TestApp, spawn, spawn_app, spawn_app_serving};

fn portal(data_dir: &Path) -> Command {
    crate::harness::portal_command(data_dir)
}

fn stdout(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

// --- The audit log: a tail cut with its head, one damaged record ---------------------------

/// Three answered queries of the demo pharmacy, in the app's data folder.
async fn three_queries(app: &TestApp) {
    let session = app.provider_session().await;
    for kvnr in ["A123456780", "C345678908", "A121212122"] {
        let body = json!({"kvnr": kvnr, "consent": "insured_present"});
        app.answer(&session, body).await;
    }
}

/// Opens the store file as someone with write access to the data folder would, past the
/// triggers that keep the portal itself from changing records.
fn tamper(dir: &Path) -> rusqlite::Connection {
    let db = rusqlite::Connection::open(dir.join("portal.db")).unwrap();
    db.execute_batch("DROP TRIGGER audit_is_append_only; DROP TRIGGER audit_kept_for_retention;")
        .unwrap();
    db
}

#[tokio::test]
async fn a_tail_cut_off_together_with_its_head_is_found_by_the_last_anchor() {
    let app = spawn_app().await;
    three_queries(&app).await;
    let dir = app.data_dir.path();
    let anchored = portal(dir).args(["audit", "anchor"]).output().unwrap();
    assert!(anchored.status.success());
    let log = std::fs::read_to_string(app.store_dir().join("audit-anchors.log")).unwrap();
    assert_eq!(log.lines().count(), 1, "{log}");
    assert!(log.contains(r#""ik":"301412340","seq":3"#), "{log}");
    let again = portal(dir).args(["audit", "anchor"]).output().unwrap();
    assert_eq!(stdout(&again).trim(), "Seit dem letzten Anker unverändert; kein neuer nötig.");

    // Remove the newest record and set the head back one step: the chain itself is consistent.
    let db = tamper(&app.store_dir());
    db.execute("DELETE FROM audit WHERE seq = 3", []).unwrap();
    db.execute(
        "UPDATE audit_heads SET (seq, hash, at) = (SELECT seq, hash, at FROM audit WHERE seq = 2)",
        [],
    )
    .unwrap();
    // The hourly anchoring will not vouch for the cut chain...
    let refused = portal(dir).args(["audit", "anchor"]).output().unwrap();
    assert_eq!(refused.status.code(), Some(1));
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(said.contains("stands behind the last anchor"), "{said}");
    // ...and verify names what was done.
    let verify = portal(dir).args(["audit", "verify"]).output().unwrap();
    assert_eq!(verify.status.code(), Some(1));
    assert_eq!(
        stdout(&verify).trim(),
        "1 Protokollkette mit 2 Einträgen geprüft.\n\
         IK 301412340: Die Kette endet bei Eintrag 2, der letzte Anker sah sie bei Eintrag 3; das Ende wurde abgeschnitten."
    );

    // Nor can the anchor be bent to fit: its signature no longer holds.
    let forged = log.replace(r#""seq":3"#, r#""seq":2"#);
    std::fs::write(app.store_dir().join("audit-anchors.log"), forged).unwrap();
    let verify = portal(dir).args(["audit", "verify"]).output().unwrap();
    assert!(
        stdout(&verify).contains("Ankerprotokoll, Zeile 1: Signatur oder Verkettung stimmt nicht."),
        "{}",
        stdout(&verify)
    );
}

#[tokio::test]
async fn without_any_anchor_verify_says_the_chains_cannot_be_vouched_for() {
    let app = spawn_app().await;
    three_queries(&app).await;
    // The records are from the test clock's May; the command runs on today's clock.
    let verify = portal(app.data_dir.path()).args(["audit", "verify"]).output().unwrap();
    assert_eq!(verify.status.code(), Some(1));
    assert!(stdout(&verify).contains("ohne dass seitdem ein Anker geschrieben wurde"));
}

#[tokio::test]
async fn one_damaged_record_is_named_and_the_others_are_still_listed() {
    let app = spawn_app().await;
    three_queries(&app).await;
    let dir = app.data_dir.path();
    portal(dir).args(["audit", "anchor"]).output().unwrap();
    tamper(&app.store_dir()).execute("UPDATE audit SET kvnr = 'kaputt' WHERE seq = 2", []).unwrap();

    let listing = portal(dir).args(["audit", "--ik", IK]).output().unwrap();
    assert!(listing.status.success(), "{}", String::from_utf8_lossy(&listing.stderr));
    let text = stdout(&listing);
    assert!(text.contains("A123456780") && text.contains("A121212122"), "{text}");
    assert!(text.contains("Eintrag 2 beschädigt"), "{text}");
    assert!(text.ends_with("3 Abfragen\n"), "{text}");

    let verify = portal(dir).args(["audit", "verify"]).output().unwrap();
    assert_eq!(verify.status.code(), Some(1));
    assert_eq!(
        stdout(&verify).trim(),
        "1 Protokollkette mit 3 Einträgen geprüft.\n\
         IK 301412340, Eintrag 2: beschädigt, nicht mehr lesbar."
    );
}

fn entry(n: u32) -> AuditEntry {
    let at = OffsetDateTime::now_utc();
    AuditEntry {
        query_id: QueryId::parse(&format!("01JD{n:022}")).unwrap(),
        ik: Ik::parse(IK).unwrap(),
        at,
        kvnr: Kvnr::parse("A123456780").unwrap(),
        consent: Consent::InsuredPresent,
        dispensing_date: None,
        outcome: Outcome::parse("exempt:2026").unwrap(),
        channel: portal_core::model::Channel::Web,
        expires_at: at + Duration::days(730),
    }
}

/// Records three queries, lets `damage` spoil the second, and checks that both the listing and
/// the verification name it and keep the others.
async fn a_damaged_record_reads_back_as_such(store: &dyn AuditLog, damage: impl AsyncFnOnce()) {
    let counter = Counter::burst(Ik::parse(IK).unwrap(), OffsetDateTime::now_utc());
    let limits = [Limit { counter, limit: 10 }];
    for n in 1..=3 {
        store.record_query(&entry(n), &limits).await.unwrap();
    }
    damage().await;
    let rows = store.audit_of_ik(&Ik::parse(IK).unwrap()).await.unwrap();
    assert_eq!(rows.iter().map(AuditRow::seq).collect::<Vec<_>>(), [1, 2, 3]);
    assert!(matches!(rows[1], AuditRow::Damaged { seq: 2, .. }), "{:?}", rows[1]);
    assert!(rows[0].intact().is_some() && rows[2].intact().is_some());
    let about = store.audit_of_kvnr(&Kvnr::parse("A123456780").unwrap()).await.unwrap();
    assert_eq!(about.len(), 2, "the damaged record no longer names the person");
    let verified =
        verify_audit(store, OffsetDateTime::now_utc(), Duration::days(730)).await.unwrap();
    let ik = Ik::parse(IK).unwrap();
    assert_eq!(verified.problems, [AuditProblem::Damaged { ik, seq: 2 }]);
}

#[tokio::test]
async fn a_damaged_record_in_the_embedded_store_is_reported_by_its_number() {
    let fixture = crate::harness::embedded();
    let path = fixture.dir.path().to_path_buf();
    a_damaged_record_reads_back_as_such(&fixture.store, async move || {
        tamper(&path).execute("UPDATE audit SET kvnr = 'kaputt' WHERE seq = 2", []).unwrap();
    })
    .await;
}

#[tokio::test]
async fn a_damaged_record_in_dynamodb_is_reported_by_its_number() {
    let store = crate::harness::dynamodb().await;
    let table = store.tables().audit.clone();
    a_damaged_record_reads_back_as_such(&store, async move || {
        use aws_sdk_dynamodb::types::AttributeValue;
        crate::harness::dynamodb_client()
            .update_item()
            .table_name(table)
            .key("ik", AttributeValue::S(format!("{}#{IK}", crate::harness::tenant_ik())))
            .key("seq", AttributeValue::N("2".into()))
            .update_expression("SET kvnr = :broken")
            .expression_attribute_values(":broken", AttributeValue::S("kaputt".into()))
            .send()
            .await
            .unwrap();
    })
    .await;
}

// --- Secrets of sent letters, and who may read the data folder ----------------------------

fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[tokio::test]
async fn once_the_letters_are_sent_their_secrets_are_nowhere_in_the_store_files() {
    let app = spawn_app().await;
    let credentials = app.registered().await;
    // Until the dispatcher has marked both sent (the outbox file comes first).
    for _ in 0..200 {
        if app.stores.letters.pending_letters(10).await.unwrap().is_empty() {
            break;
        }
        tokio::time::sleep(StdDuration::from_millis(25)).await;
    }
    assert!(app.stores.letters.pending_letters(10).await.unwrap().is_empty());
    let dir = &app.store_dir();
    for name in ["portal.db", "portal.db-wal", "portal.db-shm"] {
        let Ok(bytes) = std::fs::read(dir.join(name)) else { continue };
        for secret in [&credentials.initial_password, &credentials.pruefnummer] {
            let found = bytes.windows(secret.len()).any(|w| w == secret.as_bytes());
            assert!(!found, "{name} still holds a secret of a sent letter");
        }
        assert_eq!(mode(&dir.join(name)), 0o600, "{name}");
    }
    // And the password from the letter is the only way in: not one left in the file.
    assert_eq!(app.login(IK, &credentials.initial_password).await.status(), StatusCode::OK);
}

#[test]
fn the_data_folder_and_the_store_file_are_for_the_portals_user_only() {
    let parent = tempfile::tempdir().unwrap();
    let dir = parent.path().join("var");
    let providers = parent.path().join("providers.csv");
    std::fs::write(&providers, portal::demo::PROVIDERS).unwrap();
    let import = portal(&dir).args(["import", "providers"]).arg(&providers).output().unwrap();
    assert!(import.status.success(), "{}", String::from_utf8_lossy(&import.stderr));
    // The one tenant's folder, as each tenant's with a tenants file.
    let store = dir.join("portal/portal.db");
    assert_eq!(mode(&dir), 0o700);
    assert_eq!(mode(&dir.join("portal")), 0o700);
    assert_eq!(mode(&store), 0o600);

    // A folder made before, open to everyone, is closed on the next start.
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::set_permissions(&store, std::fs::Permissions::from_mode(0o644)).unwrap();
    portal(&dir).args(["import", "providers"]).arg(&providers).output().unwrap();
    assert_eq!((mode(&dir), mode(&store)), (0o700, 0o600));
}

// --- Login: the same work for every IK, and a ration per client ----------------------------

#[tokio::test]
async fn a_failed_login_takes_the_same_work_and_time_whether_or_not_the_ik_has_an_account() {
    let fixture = crate::harness::embedded();
    let store = Arc::new(crate::faults::Faulty::recording(fixture.store.clone()));
    let hasher = SecretHasher::new(2).unwrap();
    let accounts = Accounts {
        providers: store.clone(),
        accounts: store.clone(),
        sessions: store.clone(),
        challenges: store.clone(),
        limits: store.clone(),
        // Not recorded: a failed login writes its history entry for known and unknown IKs alike.
        history: Arc::new(fixture.store.clone()),
        devices: Arc::new(fixture.store.clone()),
        block_tokens: Arc::new(fixture.store.clone()),
        hasher: hasher.clone(),
        clock: Arc::new(portal_core::SystemClock),
        // No proof of work in between: every try below is a plain failed login.
        policy: Policy { max_failures: 1_000, failures_per_client: 1_000, ..Policy::default() },
        sender: Sender::default(),
        letters_queued: Arc::new(|| {}),
        secrets: Arc::new(portal_core::therapy::SecretCipher::without_key(
            &crate::harness::tenant_ik(),
        )),
        second_factor_required: false,
        issuer: "Serviceportal".into(),
        passkeys: None,
    };
    let now = OffsetDateTime::now_utc();
    let ik = Ik::parse(IK).unwrap();
    let mut active = Account::registered(
        ik,
        None,
        hasher.hash("initial").await.unwrap(),
        hasher.hash("pruefnummer").await.unwrap(),
        now,
        &Policy::default(),
    );
    active.set_own_password(hasher.hash(STRONG).await.unwrap(), now);
    fixture.store.save_account(&active, &[]).await.unwrap();
    let client = ClientAddress::parse("198.51.100.7").unwrap();

    // Tries alternate between the two IKs, so that whatever else the machine does slows both
    // alike; the medians of many tries are compared, not single times.
    const TRIES: usize = 25;
    let (mut known, mut unknown) = (Vec::new(), Vec::new());
    let mut first_calls = Vec::new();
    for round in 0..TRIES {
        for (ik, timings) in [(IK, &mut known), ("401612342", &mut unknown)] {
            let started = Instant::now();
            let refused = accounts
                .login(
                    ik,
                    "falsches Kennwort",
                    None,
                    client,
                    Browser::Other,
                    &Device::from_cookie(None),
                )
                .await;
            timings.push(started.elapsed().as_secs_f64());
            assert!(matches!(refused, Err(portal_core::accounts::LoginError::InvalidCredentials)));
            let calls = store.take_calls();
            if round == 0 {
                // Per client and per IK: the credit read, the failure counted before the
                // check; then the account.
                assert_eq!(calls[..5], ["used", "try_count", "used", "try_count", "account"]);
                first_calls.push(calls);
            }
        }
    }
    assert_eq!(first_calls[1], first_calls[0], "an unknown IK costs what a known one does");
    let median = |times: &mut Vec<f64>| {
        times.sort_by(f64::total_cmp);
        times[times.len() / 2]
    };
    let (known, unknown) = (median(&mut known), median(&mut unknown));
    eprintln!("failed login, median of {TRIES}: known IK {known:.4} s, unknown IK {unknown:.4} s");
    // Both do one Argon2id check of the same cost (the unknown IK against a dummy hash); a
    // difference a caller could measure would be tens of per cent, not a few.
    let ratio = known / unknown;
    assert!((0.8..1.25).contains(&ratio), "known/unknown = {ratio:.3}");
}

/// Distinct IKs with valid check digits, none in the demo directory.
fn iks(count: usize) -> Vec<String> {
    (100_000_000u32..)
        .map(|n| n.to_string())
        .filter(|candidate| Ik::parse(candidate).is_ok() && candidate != IK)
        .take(count)
        .collect()
}

/// The secret the proxy in front adds to every request it passes on.
const PROXY_SECRET: &str = "s3cret-from-the-proxy";

/// A portal that believes `x-test-client` for the client's address on requests that carry the
/// proxy's secret, as one behind CloudFront does.
async fn behind_a_proxy() -> TestApp {
    spawn(AppOptions {
        configure: Box::new(move |config| {
            config.settings.client_address_header = Some("x-test-client".into());
            config.settings.origin_secret = Some(PROXY_SECRET.into());
        }),
        ..AppOptions::default()
    })
    .await
}

async fn login_from(app: &TestApp, client: &str, ik: &str) -> reqwest::Response {
    app.http
        .post(app.url("/api/session"))
        .header("x-test-client", client)
        .header(portal_http::ORIGIN_VERIFY, PROXY_SECRET)
        .json(&json!({"ik": ik, "password": "falsch"}))
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_client_with_many_failed_logins_waits_and_no_other_client_does() {
    let app = behind_a_proxy().await;
    // Five tries each at six IKs: 30 failures, the hour's ration of one client.
    for ik in iks(6) {
        for _ in 0..5 {
            assert_eq!(
                login_from(&app, "198.51.100.7", &ik).await.status(),
                StatusCode::UNAUTHORIZED
            );
        }
    }
    let waits = login_from(&app, "198.51.100.7", &iks(7)[6]).await;
    assert!(waits.headers().contains_key("retry-after"));
    let (status, body) = problem(waits).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::TOO_MANY_REQUESTS, Some("too_many_attempts"))
    );
    let (_, body) = problem(login_from(&app, "203.0.113.9", &iks(7)[6]).await).await;
    assert_eq!(body["code"], "invalid_credentials", "another client is not affected");
    // Guessing Prüfnummern from the same client waits too.
    let reset = app
        .http
        .post(app.url("/api/password-reset"))
        .header("x-test-client", "198.51.100.7")
        .header(portal_http::ORIGIN_VERIFY, PROXY_SECRET)
        .json(&json!({"ik": IK, "pruefnummer": "AAAA-AAAA-AAAA", "new_password": STRONG}))
        .send()
        .await
        .unwrap();
    assert_eq!(problem(reset).await.1["code"], "too_many_attempts");
    app.clock.advance(Duration::HOUR);
    let (_, body) = problem(login_from(&app, "198.51.100.7", &iks(7)[6]).await).await;
    assert_eq!(body["code"], "invalid_credentials", "the next hour starts afresh");
}

async fn challenge_from(app: &TestApp, client: &str, verify: Option<&str>) -> StatusCode {
    let mut request = app.http.get(app.url("/api/challenge")).header("x-test-client", client);
    if let Some(secret) = verify {
        request = request.header(portal_http::ORIGIN_VERIFY, secret);
    }
    request.send().await.unwrap().status()
}

#[tokio::test]
async fn one_client_cannot_use_up_everyones_security_checks() {
    let app = behind_a_proxy().await;
    let proxied = Some(PROXY_SECRET);
    for _ in 0..Policy::default().challenges_per_client {
        assert_eq!(challenge_from(&app, "198.51.100.7", proxied).await, StatusCode::OK);
    }
    let used_up = challenge_from(&app, "198.51.100.7", proxied).await;
    assert_eq!(used_up, StatusCode::TOO_MANY_REQUESTS);
    // Another address, or another in the same IPv6 /64 network counted as one.
    assert_eq!(challenge_from(&app, "203.0.113.9:51234", proxied).await, StatusCode::OK);
    for _ in 0..Policy::default().challenges_per_client {
        challenge_from(&app, "2001:db8:1:2::1", proxied).await;
    }
    let same_network = challenge_from(&app, "2001:db8:1:2::ffff", proxied).await;
    assert_eq!(same_network, StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn the_client_address_header_is_believed_only_from_the_proxy() {
    let app = behind_a_proxy().await;
    // Without the proxy's secret every request counts as the connection's own address...
    for n in 0..Policy::default().challenges_per_client {
        let forged = format!("198.51.100.{n}");
        assert_eq!(challenge_from(&app, &forged, None).await, StatusCode::OK);
    }
    assert_eq!(challenge_from(&app, "198.51.100.250", None).await, StatusCode::TOO_MANY_REQUESTS);
    // ...with it, the address the proxy names.
    let proxied = challenge_from(&app, "198.51.100.250", Some(PROXY_SECRET)).await;
    assert_eq!(proxied, StatusCode::OK);
    let forged = challenge_from(&app, "198.51.100.251", Some("a guess")).await;
    assert_eq!(forged, StatusCode::TOO_MANY_REQUESTS, "a wrong secret is no secret");
}

// --- Requests: bodies must be objects, slow clients are cut off, long paths are no error ---

#[tokio::test]
async fn a_json_array_is_no_body_and_problems_name_no_internal_types() {
    let app = spawn_app().await;
    let session = app.provider_session().await;
    let positional = app
        .http
        .post(app.url("/api/exemption-queries"))
        .header("cookie", &session)
        .json(&json!(["C345678908", "insured_present"]))
        .send()
        .await
        .unwrap();
    let (status, body) = problem(positional).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_body"))
    );

    let nested = app.post("/api/registrations", json!({"ik": IK, "challenge": 5})).await;
    let (status, body) = problem(nested).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let detail = body["detail"].as_str().unwrap();
    assert!(!detail.contains("struct") && !detail.contains("Answer"), "{detail}");
    assert!(detail.contains("a JSON object"), "{detail}");
}

/// A built app's files, as trunk names them.
fn app_files() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for name in [
        "index.html",
        "portal-app-0123456789abcdef.js",
        "portal-app-0123456789abcdef_bg.wasm",
        "style.css",
    ] {
        std::fs::write(dir.path().join(name), "x").unwrap();
    }
    dir
}

#[tokio::test]
async fn a_path_segment_longer_than_a_file_name_is_simply_not_there() {
    let files = app_files();
    let app = spawn_app_serving(files.path()).await;
    let long = "a".repeat(256);
    let page = app.http.get(app.url(&format!("/{long}"))).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::NOT_FOUND);
    let api = app.http.get(app.url(&format!("/api/{long}"))).send().await.unwrap();
    assert_eq!(problem(api).await.0, StatusCode::NOT_FOUND);
    assert_eq!(
        app.http.get(app.url("/oha")).send().await.unwrap().status(),
        StatusCode::OK,
        "the app's own routes still get its page"
    );
}

#[tokio::test]
async fn the_apps_hashed_files_are_kept_by_browsers_and_its_page_is_checked_on_every_load() {
    let files = app_files();
    let app = spawn_app_serving(files.path()).await;
    let cache = |path: &'static str| {
        let app = &app;
        async move {
            let response = app.http.get(app.url(path)).send().await.unwrap();
            assert_eq!(response.status(), StatusCode::OK, "{path}");
            response.headers()["cache-control"].to_str().unwrap().to_string()
        }
    };
    let immutable = "public, max-age=31536000, immutable";
    assert_eq!(cache("/portal-app-0123456789abcdef.js").await, immutable);
    assert_eq!(cache("/portal-app-0123456789abcdef_bg.wasm").await, immutable);
    assert_eq!(cache("/").await, "no-cache");
    assert_eq!(cache("/style.css").await, "no-cache");
    assert_eq!(cache("/oha").await, "no-cache");
    assert_eq!(cache("/api/health").await, "no-store");
}

/// A server with short limits, as `portal serve` runs with longer ones.
async fn server_with(limits: portal::serve::ServerLimits) -> (TestApp, std::net::SocketAddr) {
    let app = spawn_app().await;
    let state = portal::wiring::portal(
        &TestApp::config(app.data_dir.path()),
        &app.tenant_list,
        &app.tenants,
        Arc::new(app.clock.clone()),
    )
    .unwrap()
    .state;
    let router = portal::serve::app(state, &app.data_dir.path().join("no-app"));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(portal::serve::run_with(listener, router, limits, std::future::pending()));
    (app, addr)
}

/// Whether the server ends the connection within `within` (reading what it may say first).
fn closed_within(stream: &mut TcpStream, within: StdDuration) -> bool {
    stream.set_read_timeout(Some(within)).unwrap();
    let mut buffer = [0u8; 4096];
    loop {
        match stream.read(&mut buffer) {
            Ok(0) => return true,
            Ok(_) => continue,
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => return true,
            Err(_) => return false,
        }
    }
}

#[tokio::test]
async fn a_client_that_stalls_in_its_request_head_is_cut_off() {
    let limits = portal::serve::ServerLimits {
        header_timeout: StdDuration::from_millis(500),
        ..portal::serve::ServerLimits::default()
    };
    let (_app, addr) = server_with(limits).await;
    let outcome = tokio::task::spawn_blocking(move || {
        let mut stream = TcpStream::connect(addr).unwrap();
        stream.write_all(b"GET /api/health HTTP/1.1\r\nHost: portal\r\n").unwrap();
        let started = Instant::now();
        (closed_within(&mut stream, StdDuration::from_secs(5)), started.elapsed())
    })
    .await
    .unwrap();
    assert!(outcome.0, "the half-sent request still holds its connection");
    assert!(outcome.1 < StdDuration::from_secs(3), "{:?}", outcome.1);
}

#[tokio::test]
async fn a_client_that_stalls_in_its_body_gets_408() {
    let (_app, addr) = server_with(portal::serve::ServerLimits::default()).await;
    let answer = tokio::task::spawn_blocking(move || {
        let mut stream = TcpStream::connect(addr).unwrap();
        stream
            .write_all(b"POST /api/session HTTP/1.1\r\nHost: portal\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"ik\":")
            .unwrap();
        stream.set_read_timeout(Some(portal_http::BODY_TIMEOUT * 2)).unwrap();
        let mut answer = vec![0u8; 1024];
        let read = stream.read(&mut answer).unwrap_or(0);
        String::from_utf8_lossy(&answer[..read]).into_owned()
    })
    .await
    .unwrap();
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("request_timeout"), "{answer}");
}

#[tokio::test]
async fn open_connections_are_bounded_and_the_next_waits_its_turn() {
    let limits = portal::serve::ServerLimits {
        max_connections: 2,
        ..portal::serve::ServerLimits::default()
    };
    let (_app, addr) = server_with(limits).await;
    let answered = tokio::task::spawn_blocking(move || {
        let holders: Vec<TcpStream> = (0..2).map(|_| TcpStream::connect(addr).unwrap()).collect();
        std::thread::sleep(StdDuration::from_millis(200));
        let ask = || {
            let mut third = TcpStream::connect(addr).unwrap();
            third
                .write_all(b"GET /api/health HTTP/1.1\r\nHost: portal\r\nConnection: close\r\n\r\n")
                .unwrap();
            third
        };
        let mut third = ask();
        third.set_read_timeout(Some(StdDuration::from_millis(500))).unwrap();
        let mut buffer = [0u8; 64];
        let while_full = third.read(&mut buffer).is_ok();
        drop(holders);
        third.set_read_timeout(Some(StdDuration::from_secs(5))).unwrap();
        let read = third.read(&mut buffer).unwrap_or(0);
        (while_full, String::from_utf8_lossy(&buffer[..read]).into_owned())
    })
    .await
    .unwrap();
    assert!(!answered.0, "a third connection was served while two were open");
    assert!(answered.1.starts_with("HTTP/1.1 200"), "{}", answered.1);
}

#[tokio::test]
async fn one_client_cannot_take_every_connection() {
    let limits = portal::serve::ServerLimits {
        max_connections_per_client: 2,
        ..portal::serve::ServerLimits::default()
    };
    let (_app, addr) = server_with(limits).await;
    let outcome = tokio::task::spawn_blocking(move || {
        let holders: Vec<TcpStream> = (0..2).map(|_| TcpStream::connect(addr).unwrap()).collect();
        std::thread::sleep(StdDuration::from_millis(200));
        let mut third = TcpStream::connect(addr).unwrap();
        let _ = third.write_all(b"GET /api/health HTTP/1.1\r\nHost: portal\r\n\r\n");
        let turned_away = closed_within(&mut third, StdDuration::from_secs(2));
        drop(holders);
        std::thread::sleep(StdDuration::from_millis(200));
        let mut later = TcpStream::connect(addr).unwrap();
        later
            .write_all(b"GET /api/health HTTP/1.1\r\nHost: portal\r\nConnection: close\r\n\r\n")
            .unwrap();
        let mut answer = String::new();
        later.set_read_timeout(Some(StdDuration::from_secs(5))).unwrap();
        let _ = later.read_to_string(&mut answer);
        (turned_away, answer)
    })
    .await
    .unwrap();
    assert!(outcome.0, "a third connection of the same client was kept");
    assert!(outcome.1.starts_with("HTTP/1.1 200"), "{}", outcome.1);
}

// --- Imports: control characters are no names ---------------------------------------------

#[tokio::test]
async fn an_escape_sequence_in_a_name_is_refused_with_a_reason_not_made_an_initial() {
    let fixture = crate::harness::embedded();
    let csv = "kvnr;vorname;nachname;jahr;gueltig_ab;gueltig_bis\n\
               A123456780;\u{1b}[31mMax;Mustermann;2026;2026-01-01;2026-12-31\n";
    let mut rejected = Vec::new();
    portal_core::import::import_exemptions(&fixture.store, csv.as_bytes(), None, &mut rejected)
        .await
        .unwrap();
    assert_eq!(rejected.len(), 1);
    let described = rejected[0].describe(portal_domain::Lang::De);
    assert!(described.contains("vorname") && described.contains("Steuerzeichen"), "{described}");
    assert_eq!(fixture.store.exemptions_of(&Kvnr::parse("A123456780").unwrap()).await.unwrap(), []);

    let providers = "ik;name;email;strasse;plz;ort;berufsfeld\n\
                     301412340;Apotheke\u{7};post@apotheke.example;Markt 1;01067;Dresden;apotheke\n";
    let mut rejected = Vec::new();
    portal_core::import::import_providers(&fixture.store, providers.as_bytes(), &mut rejected)
        .await
        .unwrap();
    let described = rejected[0].describe(portal_domain::Lang::De);
    assert!(described.contains("Der Name enthält Steuerzeichen"), "{described}");
}

#[tokio::test]
async fn the_apps_files_travel_precompressed_when_the_browser_takes_it() {
    let files = app_files();
    std::fs::write(files.path().join("portal-app-0123456789abcdef_bg.wasm.br"), "brotli").unwrap();
    std::fs::write(files.path().join("index.html.gz"), "gzip").unwrap();
    let app = spawn_app_serving(files.path()).await;
    let get = |path: &'static str, encodings: &'static str| {
        let app = &app;
        async move {
            let response = app
                .http
                .get(app.url(path))
                .header("accept-encoding", encodings)
                .send()
                .await
                .unwrap();
            let encoding =
                response.headers().get("content-encoding").map(|v| v.to_str().unwrap().to_string());
            (encoding, response.text().await.unwrap())
        }
    };
    let wasm = "/portal-app-0123456789abcdef_bg.wasm";
    assert_eq!(get(wasm, "gzip, deflate, br").await, (Some("br".into()), "brotli".into()));
    assert_eq!(get(wasm, "identity").await, (None, "x".into()));
    assert_eq!(
        get("/oha", "gzip").await,
        (Some("gzip".into()), "gzip".into()),
        "the app's routes too"
    );
}

#[tokio::test]
async fn a_newest_record_rewritten_with_a_fresh_hash_is_found_by_its_head() {
    let fixture = crate::harness::embedded();
    let counter = Counter::burst(Ik::parse(IK).unwrap(), OffsetDateTime::now_utc());
    for n in 1..=2 {
        fixture
            .store
            .record_query(&entry(n), &[Limit { counter: counter.clone(), limit: 10 }])
            .await
            .unwrap();
    }
    let rows = fixture.store.audit_of_ik(&Ik::parse(IK).unwrap()).await.unwrap();
    let mut newest = rows[1].intact().unwrap().clone();
    newest.outcome = Outcome::parse("not_found").unwrap();
    newest.hash = newest.computed_hash();
    tamper(fixture.dir.path())
        .execute(
            "UPDATE audit SET outcome = ?1, hash = ?2 WHERE seq = 2",
            [newest.outcome.to_text(), newest.hash.clone()],
        )
        .unwrap();
    let verified =
        verify_audit(&fixture.store, OffsetDateTime::now_utc(), Duration::days(730)).await.unwrap();
    let ik = Ik::parse(IK).unwrap();
    assert_eq!(verified.problems, [AuditProblem::Changed { ik, seq: 2 }]);
}

#[tokio::test]
async fn two_anchor_writers_at_once_leave_a_log_that_still_verifies() {
    let app = spawn_app().await;
    three_queries(&app).await;
    let config = TestApp::config(app.data_dir.path());
    let anchoring = || {
        let key = portal::wiring::AnchorKey::MakeIfMissing;
        portal::wiring::anchoring(&config, &app.tenants[0], Arc::new(app.clock.clone()), key)
            .unwrap()
    };
    let (first, second) = (anchoring(), anchoring());
    let (a, b) = tokio::join!(first.anchor(), second.anchor());
    assert!(a.is_ok() && b.is_ok(), "{a:?} {b:?}");
    let problems = first.check(Duration::days(730)).await.unwrap();
    assert_eq!(problems, [], "no line forged, none unlinked");
    let lines = std::fs::read_to_string(app.store_dir().join("audit-anchors.log")).unwrap();
    assert_eq!(
        lines.lines().count(),
        1,
        "the second saw the first's anchor and had nothing to add"
    );
}
