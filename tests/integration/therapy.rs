//! The eTherapiebericht over HTTP and the command line: the physician directory, its import and
//! the search of the report form.

use portal_core::import::import_physicians;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::api::problem;
use crate::harness::TestApp;

/// The demo's speech therapy practice.
const PRACTICE: &str = "401612342";

on_both_apps! {
    a_heilmittel_practice_finds_physicians_by_name_number_and_postcode,
    a_pharmacy_may_not_search_the_physicians,
    a_search_too_short_names_the_field,
    a_practice_writes_a_report_previews_it_and_sends_it_once,
    a_report_goes_out_as_an_earztbrief_and_its_receipts_move_it_on,
    another_practice_cannot_see_change_or_send_the_report,
    a_report_to_a_practice_without_earztbrief_is_not_sent,
    a_practice_sends_its_own_pdf_behind_a_cover_with_the_patient_and_prescription,
    an_upload_that_is_not_a_plain_pdf_of_at_most_10_mb_is_refused_and_nothing_is_kept,
    an_own_pdf_is_replaced_or_removed_on_a_draft_and_never_reaches_another_practice,
}

/// Dr. Schulz's KIM address, where the reports go.
const RECIPIENT: &str = "praxis.schulz@hno-erfurt.kim.telematik";

/// The demo's physiotherapy practice: another Heilmittel practice.
const OTHER_PRACTICE: &str = "401612353";

/// The practice registered, its own password set: its session.
async fn practice_session(app: &TestApp, ik: &str) -> String {
    app.with_directory().await;
    let mut rejected = Vec::new();
    import_physicians(
        app.stores.physicians.as_ref(),
        portal::demo::PHYSICIANS.as_bytes(),
        &mut rejected,
    )
    .await
    .unwrap();
    assert!(rejected.is_empty(), "{rejected:?}");
    app.activated(ik, 1).await
}

async fn search(app: &TestApp, session: &str, q: &str) -> reqwest::Response {
    let url = format!("/api/physicians?q={}", urlencode(q));
    app.with_cookie(Method::GET, &url, session, None).await
}

fn urlencode(q: &str) -> String {
    q.bytes()
        .map(
            |b| {
                if b.is_ascii_alphanumeric() {
                    (b as char).to_string()
                } else {
                    format!("%{b:02X}")
                }
            },
        )
        .collect()
}

async fn a_heilmittel_practice_finds_physicians_by_name_number_and_postcode(app: TestApp) {
    let session = practice_session(&app, PRACTICE).await;
    let found = |q: &'static str| {
        let (app, session) = (app.clone(), session.clone());
        async move {
            let response = search(&app, &session, q).await;
            assert_eq!(response.status(), StatusCode::OK, "{q}");
            response.json::<Vec<Value>>().await.unwrap()
        }
    };
    assert_eq!(
        found("schul").await,
        [
            json!({"lanr": "123456601", "bsnr": "781234500", "name": "Dr. med. Anna Schulz", "plz": "99084", "ort": "Erfurt", "earztbrief": true})
        ]
    );
    let names = |list: Vec<Value>| {
        list.iter().map(|p| p["name"].as_str().unwrap().to_string()).collect::<Vec<_>>()
    };
    assert_eq!(names(found("781234500").await), ["Dr. med. Anna Schulz", "Jan Meier"]);
    assert_eq!(names(found("99084").await), ["Dr. med. Anna Schulz", "Jan Meier"]);
    // Without an eArztbrief address the app offers a letter to print instead.
    assert_eq!(found("300512103").await[0]["earztbrief"], false);
    assert_eq!(found("Zahnarzt").await, Vec::<Value>::new());
}

async fn a_pharmacy_may_not_search_the_physicians(app: TestApp) {
    let session = practice_session(&app, crate::api::IK).await;
    let (status, body) = problem(search(&app, &session, "schulz").await).await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::FORBIDDEN, Some("heilmittel_only")));
    let anonymous = app.http.get(app.url("/api/physicians?q=schulz")).send().await.unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
}

async fn a_search_too_short_names_the_field(app: TestApp) {
    let session = practice_session(&app, PRACTICE).await;
    for q in ["s", "1234", ""] {
        let (status, body) = problem(search(&app, &session, q).await).await;
        assert_eq!(
            (status, body["code"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("query_too_short")),
            "{q}"
        );
        assert_eq!(body["errors"][0]["field"], "q");
    }
}

#[test]
fn the_physician_directory_is_imported_with_every_bad_row_named_by_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("aerzte.csv");
    let rows = format!(
        "{}123456701;781234500;Falsche Prüfziffer;Markt 1;01067;Dresden;;nein\n\
         987654450;781234500;Ohne KIM;Markt 1;01067;Dresden;;ja\n\
         987654450;781234501;Falsche Adresse;Markt 1;01067;Dresden;praxis@arzt.example;nein\n",
        portal::demo::PHYSICIANS
    );
    std::fs::write(&file, rows).unwrap();
    let out = crate::harness::portal_command(dir.path())
        .args(["import", "physicians"])
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3), "imported, but not all");
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "3 Zeilen importiert, 3 abgelehnt.");
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(said.contains("Zeile 5, Spalte lanr: Die Prüfziffer der LANR stimmt nicht."), "{said}");
    assert!(said.contains("Zeile 6, Spalte earztbrief:"), "{said}");
    assert!(said.contains("Zeile 7, Spalte kim_address:"), "{said}");
}

/// A speech therapy report as the practice fills it in, to Dr. Schulz (eArztbrief).
fn complete_report() -> Value {
    json!({
        "kind": "therapiebericht",
        "area": "logo",
        "patient": {"first_name": "Mia", "last_name": "Sonnenschein", "birth_date": "2019-02-11", "kvnr": "A123456780", "insurer_ik": "107299005"},
        "prescription": {"date": "2026-02-02", "lanr": "123456601", "bsnr": "781234500", "diagnosis_group": "SP1", "icd10": ["F80.1 G"], "remedies": [{"name": "Sprachtherapie 45 Minuten", "units": 10}]},
        "treatment": {"first_date": "2026-02-09", "last_date": "2026-04-27", "units_done": 10},
        "findings": "Phonologische Störung mit Vorverlagerung /k/ → /t/.",
        "goals": "Korrekte Bildung von /k/ und /g/ in der Spontansprache.",
        "measures": "Minimalpaartherapie, Hörtraining.",
        "course": "Deutliche Fortschritte; /k/ auf Wortebene sicher.",
        "recommendation": {"kind": "continue", "text": ""},
        "physician": {"lanr": "123456601", "bsnr": "781234500"}
    })
}

async fn create(app: &TestApp, session: &str, body: Value) -> Value {
    let created = app.with_cookie(Method::POST, "/api/therapy-reports", session, Some(body)).await;
    assert_eq!(created.status(), StatusCode::CREATED);
    created.json().await.unwrap()
}

async fn send(app: &TestApp, session: &str, id: &str, key: &str) -> reqwest::Response {
    app.http
        .post(app.url(&format!("/api/therapy-reports/{id}/send")))
        .header("cookie", session)
        .header("idempotency-key", key)
        .send()
        .await
        .unwrap()
}

async fn report(app: &TestApp, session: &str, id: &str) -> Value {
    let path = format!("/api/therapy-reports/{id}");
    let read = app.with_cookie(Method::GET, &path, session, None).await;
    assert_eq!(read.status(), StatusCode::OK);
    read.json().await.unwrap()
}

/// The report's status once the dispatcher has had its turn (it runs every two seconds).
async fn status_becomes(app: &TestApp, session: &str, id: &str, wanted: &str) -> Value {
    for _ in 0..100 {
        let body = report(app, session, id).await;
        if body["status"] == wanted {
            return body;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("the report never became {wanted}: {}", report(app, session, id).await);
}

fn etb_messages(app: &TestApp) -> Vec<std::path::PathBuf> {
    let Ok(entries) = std::fs::read_dir(app.outbox.join("etb")) else { return Vec::new() };
    let mut files: Vec<_> = entries
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "eml"))
        .collect();
    files.sort();
    files
}

async fn a_practice_writes_a_report_previews_it_and_sends_it_once(app: TestApp) {
    let session = practice_session(&app, PRACTICE).await;
    // A draft may be empty; sending it names every field that is missing.
    let draft = create(&app, &session, json!({"kind": "therapiebericht"})).await;
    assert_eq!(draft["status"], "draft");
    let id = draft["id"].as_str().unwrap().to_string();
    let (status, body) = problem(send(&app, &session, &id, "k1").await).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let fields: Vec<&str> =
        body["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    for path in ["area", "patient.kvnr", "prescription.icd10", "recommendation.kind", "physician"] {
        assert!(fields.contains(&path), "{path} missing from {fields:?}");
    }
    // Completed and saved, it reads back as written, and its preview is a PDF.
    let path = format!("/api/therapy-reports/{id}");
    let saved = app.with_cookie(Method::PUT, &path, &session, Some(complete_report())).await;
    assert_eq!(saved.status(), StatusCode::OK);
    let read = report(&app, &session, &id).await;
    assert_eq!(read["patient"]["kvnr"], "A123456780");
    assert_eq!(read["physician"]["name"], "Dr. med. Anna Schulz");
    let pdf = app.with_cookie(Method::GET, &format!("{path}/pdf"), &session, None).await;
    assert_eq!(pdf.status(), StatusCode::OK);
    assert_eq!(pdf.headers()["content-type"], "application/pdf");
    assert!(pdf.bytes().await.unwrap().starts_with(b"%PDF-"));
    // Without a key nothing is sent; with one, once; the same key again answers the same.
    let (status, body) =
        problem(app.with_cookie(Method::POST, &format!("{path}/send"), &session, None).await).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("idempotency_key_required"))
    );
    let sent = send(&app, &session, &id, "k1").await;
    assert_eq!(sent.status(), StatusCode::ACCEPTED);
    let again = send(&app, &session, &id, "k1").await;
    assert_eq!(again.status(), StatusCode::ACCEPTED);
    let (status, body) = problem(send(&app, &session, &id, "k2").await).await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::CONFLICT, Some("report_sent")));
    // A sent report cannot change or go.
    let changed = app.with_cookie(Method::PUT, &path, &session, Some(complete_report())).await;
    assert_eq!(changed.status(), StatusCode::CONFLICT);
    let deleted = app.with_cookie(Method::DELETE, &path, &session, None).await;
    assert_eq!(deleted.status(), StatusCode::CONFLICT);
    status_becomes(&app, &session, &id, "sent").await;
    assert_eq!(etb_messages(&app).len(), 1, "sent once");
    // A draft can be deleted.
    let other = create(&app, &session, json!({})).await;
    let other_path = format!("/api/therapy-reports/{}", other["id"].as_str().unwrap());
    let deleted = app.with_cookie(Method::DELETE, &other_path, &session, None).await;
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    let gone = app.with_cookie(Method::GET, &other_path, &session, None).await;
    assert_eq!(gone.status(), StatusCode::NOT_FOUND);
    let list: Vec<Value> = app
        .with_cookie(Method::GET, "/api/therapy-reports", &session, None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list.iter().map(|r| r["id"].as_str().unwrap()).collect::<Vec<_>>(), [id.as_str()]);
}

async fn a_report_goes_out_as_an_earztbrief_and_its_receipts_move_it_on(app: TestApp) {
    let session = practice_session(&app, PRACTICE).await;
    let id = create(&app, &session, complete_report()).await["id"].as_str().unwrap().to_string();
    assert_eq!(send(&app, &session, &id, "once").await.status(), StatusCode::ACCEPTED);
    let sent = status_becomes(&app, &session, &id, "sent").await;
    assert!(sent["sent_at"].is_string());
    // What the physician's system receives: no medical content outside the attachments.
    let message = std::fs::read_to_string(&etb_messages(&app)[0]).unwrap();
    for header in [
        "X-KIM-Dienstkennung: Arztbrief;VHitG-Versand;V1.2",
        "Content-Description: eAB-PDF",
        "Content-Description: eAB-XML",
        "Disposition-Notification-To:",
        "praxis.schulz@hno-erfurt.kim.telematik",
    ] {
        assert!(message.contains(header), "{header} missing");
    }
    let head = message.split("\r\n\r\n").next().unwrap();
    assert!(!head.contains("Sonnenschein") && !head.contains("A123456780"), "{head}");
    let message_id = head
        .lines()
        .find_map(|l| l.strip_prefix("Message-ID: ").or_else(|| l.strip_prefix("Message-Id: ")))
        .unwrap()
        .trim()
        .to_string();
    assert!(message_id.ends_with("@etherapiebericht>"), "{message_id}");
    // The receipts come back as files: delivered, then read.
    let inbox = app.outbox.join("etb/in");
    std::fs::create_dir_all(&inbox).unwrap();
    let at = time::OffsetDateTime::now_utc();
    // A receipt for this message but from another address does not count: it stays unmatched
    // in the inbox, the report stays sent.
    let stranger = "praxis.fremd@andere-praxis.kim.telematik";
    std::fs::write(
        inbox.join("0-mdn-stranger.eml"),
        portal_kim::receipt_mdn(&message_id, stranger, portal_kim::Disposition::Displayed, at),
    )
    .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    assert_eq!(report(&app, &session, &id).await["status"], "sent");
    assert!(inbox.join("0-mdn-stranger.eml").exists(), "left in the inbox");
    std::fs::write(
        inbox.join("dsn.eml"),
        portal_kim::receipt_dsn(
            &message_id,
            RECIPIENT,
            portal_kim::DsnAction::Delivered,
            "2.0.0",
            at,
        ),
    )
    .unwrap();
    let delivered = status_becomes(&app, &session, &id, "delivered").await;
    assert!(delivered["delivered_at"].is_string());
    std::fs::write(
        inbox.join("mdn.eml"),
        portal_kim::receipt_mdn(&message_id, RECIPIENT, portal_kim::Disposition::Displayed, at),
    )
    .unwrap();
    status_becomes(&app, &session, &id, "read").await;
    assert!(inbox.join("0-mdn-stranger.eml").exists(), "still unmatched");
}

async fn another_practice_cannot_see_change_or_send_the_report(app: TestApp) {
    let session = practice_session(&app, PRACTICE).await;
    let id = create(&app, &session, complete_report()).await["id"].as_str().unwrap().to_string();
    let other = app.activated(OTHER_PRACTICE, 2).await;
    let path = format!("/api/therapy-reports/{id}");
    for (method, path, body) in [
        (Method::GET, path.clone(), None),
        (Method::PUT, path.clone(), Some(json!({}))),
        (Method::DELETE, path.clone(), None),
        (Method::GET, format!("{path}/pdf"), None),
    ] {
        let (status, body) =
            problem(app.with_cookie(method.clone(), &path, &other, body).await).await;
        assert_eq!(
            (status, body["code"].as_str()),
            (StatusCode::NOT_FOUND, Some("not_found")),
            "{method} {path}"
        );
    }
    let (status, _) = problem(send(&app, &other, &id, "k").await).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let theirs: Vec<Value> = app
        .with_cookie(Method::GET, "/api/therapy-reports", &other, None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(theirs, Vec::<Value>::new());
    // Untouched for its own practice; a pharmacy may not write reports at all.
    assert_eq!(report(&app, &session, &id).await["status"], "draft");
    let pharmacy = app.activated(crate::api::IK, 3).await;
    let (status, body) = problem(
        app.with_cookie(Method::POST, "/api/therapy-reports", &pharmacy, Some(json!({}))).await,
    )
    .await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::FORBIDDEN, Some("heilmittel_only")));
}

async fn a_report_to_a_practice_without_earztbrief_is_not_sent(app: TestApp) {
    let session = practice_session(&app, PRACTICE).await;
    let mut body = complete_report();
    body["physician"] = json!({"lanr": "300512103", "bsnr": "031234500"});
    let id = create(&app, &session, body).await["id"].as_str().unwrap().to_string();
    let (status, problem_body) = problem(send(&app, &session, &id, "k").await).await;
    assert_eq!(
        (status, problem_body["code"].as_str(), problem_body["errors"][0]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("no_earztbrief"), Some("physician"))
    );
    // The practice prints it instead: the preview still renders.
    let pdf = app
        .with_cookie(Method::GET, &format!("/api/therapy-reports/{id}/pdf"), &session, None)
        .await;
    assert_eq!(pdf.status(), StatusCode::OK);
    assert_eq!(report(&app, &session, &id).await["status"], "draft");
}

#[tokio::test]
async fn the_store_file_holds_no_clinical_text_of_a_report() {
    let app = crate::harness::spawn(crate::harness::AppOptions::default()).await;
    let session = practice_session(&app, PRACTICE).await;
    let id = create(&app, &session, complete_report()).await["id"].as_str().unwrap().to_string();
    assert_eq!(send(&app, &session, &id, "k").await.status(), StatusCode::ACCEPTED);
    status_becomes(&app, &session, &id, "sent").await;
    let folder = app.store_dir();
    let mut seen = Vec::new();
    for entry in std::fs::read_dir(&folder).unwrap() {
        let path = entry.unwrap().path();
        if path.file_name().unwrap().to_string_lossy().starts_with("portal.db") {
            seen.extend(std::fs::read(&path).unwrap());
        }
    }
    let dump = String::from_utf8_lossy(&seen);
    for secret in ["Sonnenschein", "A123456780", "Phonologische", "Minimalpaar"] {
        assert!(!dump.contains(secret), "{secret} readable in the store");
    }
    assert!(dump.contains(&id), "the record is there, by its id");
}

/// The reports store of a dispatcher killed right after KIM took a message: the write that
/// would mark the report sent never happens.
struct KilledBeforeMarkingSent(portal_store_embedded::EmbeddedStore);

#[async_trait::async_trait]
impl portal_core::ReportStore for KilledBeforeMarkingSent {
    async fn report(
        &self,
        practice: &portal_domain::Ik,
        id: &portal_core::model::ReportId,
    ) -> Result<Option<portal_core::model::StoredReport>, portal_core::StoreError> {
        self.0.report(practice, id).await
    }
    async fn reports_of(
        &self,
        practice: &portal_domain::Ik,
    ) -> Result<Vec<portal_core::model::StoredReport>, portal_core::StoreError> {
        self.0.reports_of(practice).await
    }
    async fn save_report(
        &self,
        report: &portal_core::model::StoredReport,
    ) -> Result<portal_core::Saved, portal_core::StoreError> {
        if report.status == portal_core::model::ReportStatus::Sent {
            return Err(portal_core::StoreError::unavailable("the process was killed"));
        }
        self.0.save_report(report).await
    }
    async fn delete_report(
        &self,
        report: &portal_core::model::StoredReport,
    ) -> Result<portal_core::Saved, portal_core::StoreError> {
        self.0.delete_report(report).await
    }
}

/// Counts what reaches KIM.
struct Counting(portal_kim::OutboxDelivery, std::sync::atomic::AtomicUsize);

#[async_trait::async_trait]
impl portal_core::ReportDelivery for Counting {
    async fn deliver(
        &self,
        message: &portal_core::model::ReportMessage,
    ) -> Result<(), portal_core::DeliveryError> {
        self.1.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        self.0.deliver(message).await
    }
    async fn receipts(
        &self,
    ) -> Result<Vec<portal_core::model::Receipt>, portal_core::DeliveryError> {
        self.0.receipts().await
    }
    async fn acknowledge(
        &self,
        receipt: &portal_core::model::Receipt,
    ) -> Result<(), portal_core::DeliveryError> {
        self.0.acknowledge(receipt).await
    }
}

/// The reports use cases on an embedded store with the demo directories, at a clock the test
/// moves, without a server or a background dispatcher: one sent report of the Logopädie.
struct Dispatching {
    dir: tempfile::TempDir,
    store: portal_store_embedded::EmbeddedStore,
    stores: portal_core::Stores,
    reports: portal_core::therapy::Reports,
    clock: crate::harness::TestClock,
    practice: portal_domain::Ik,
    id: portal_core::model::ReportId,
}

async fn one_report_sent() -> Dispatching {
    use portal_core::model::ReportContents;
    use portal_core::therapy::{ReportKeys, Reporting};

    let dir = tempfile::tempdir().unwrap();
    let ik = crate::harness::tenant_ik();
    let store =
        portal_store_embedded::EmbeddedStore::open(&dir.path().join("portal.db"), &ik).unwrap();
    let stores = portal_core::Stores::of(store.clone());
    let mut rejected = Vec::new();
    let providers = portal::demo::PROVIDERS.as_bytes();
    portal_core::import::import_providers(stores.providers.as_ref(), providers, &mut rejected)
        .await
        .unwrap();
    let physicians = portal::demo::PHYSICIANS.as_bytes();
    import_physicians(stores.physicians.as_ref(), physicians, &mut rejected).await.unwrap();
    let (tenants, _) = crate::harness::single_tenant(stores.clone(), Some(store.clone()));
    let clock = crate::harness::TestClock::at(time::macros::datetime!(2026-05-04 08:00 UTC));
    let reporting = Reporting {
        keys: ReportKeys::from_bytes(&[3; 32]),
        renderer: std::sync::Arc::new(portal_document::PdfRenderer::new()),
    };
    let settings = crate::harness::TestApp::config(dir.path()).settings;
    let hasher = portal_core::accounts::SecretHasher::for_this_machine().unwrap();
    let app = portal_core::UseCases::wire(
        &stores,
        &settings,
        tenants.first(),
        &hasher,
        &reporting,
        std::sync::Arc::new(clock.clone()),
        std::sync::Arc::new(|| {}),
    );
    let practice = portal_domain::Ik::parse(PRACTICE).unwrap();
    let body: portal_wire::ReportDraftBody = serde_json::from_value(complete_report()).unwrap();
    let contents = ReportContents {
        form: body.form,
        physician: portal_core::model::PhysicianRef {
            lanr: body.physician.lanr,
            bsnr: body.physician.bsnr,
        },
        frozen: None,
        attachment: None,
    };
    let id = app.reports.create(&practice, contents, None).await.unwrap().record.id;
    app.reports.send(&practice, &id, Some("k")).await.unwrap();
    Dispatching { dir, store, stores, reports: app.reports, clock, practice, id }
}

#[tokio::test]
async fn a_dispatcher_killed_after_kim_took_a_report_sends_it_once_more_and_never_loses_it() {
    use portal_core::therapy::dispatch_reports;
    use std::sync::atomic::Ordering::SeqCst;

    let Dispatching { dir, store, stores, reports, clock, practice, id } = one_report_sent().await;
    let delivery =
        Counting(portal_kim::OutboxDelivery::new(dir.path().join("outbox")), Default::default());
    let killed = portal_core::therapy::Reports {
        reports: std::sync::Arc::new(KilledBeforeMarkingSent(store.clone())),
        ..reports.clone()
    };
    let killed_round = dispatch_reports(&killed, stores.report_queue.as_ref(), &delivery).await;
    assert_eq!((killed_round.unwrap().skipped, delivery.1.load(SeqCst)), (1, 1), "KIM took it");
    // Restarted at once: the claim still holds, nothing goes twice at the same moment.
    dispatch_reports(&reports, stores.report_queue.as_ref(), &delivery).await.unwrap();
    assert_eq!(delivery.1.load(SeqCst), 1);
    // Once the claim ran out, it goes once more, and is marked sent.
    clock.advance(time::Duration::minutes(5));
    let done = dispatch_reports(&reports, stores.report_queue.as_ref(), &delivery).await.unwrap();
    assert_eq!((done.sent, delivery.1.load(SeqCst)), (1, 2));
    clock.advance(time::Duration::hours(1));
    dispatch_reports(&reports, stores.report_queue.as_ref(), &delivery).await.unwrap();
    assert_eq!(delivery.1.load(SeqCst), 2, "never a third time");
    let record = reports.report(&practice, &id).await.unwrap().record;
    assert_eq!(record.status, portal_core::model::ReportStatus::Sent);
    // The same Message-ID both times, in one outbox file.
    assert_eq!(
        std::fs::read_dir(dir.path().join("outbox/etb"))
            .unwrap()
            .filter(|e| e.as_ref().unwrap().path().extension().is_some_and(|x| x == "eml"))
            .count(),
        1
    );
}

#[tokio::test]
async fn a_report_reaches_a_kim_client_module_over_smtp_as_an_earztbrief() {
    let (address, maildir) = crate::harness::smtp_server();
    let app = crate::harness::spawn(crate::harness::AppOptions {
        configure: Box::new(move |config| {
            let (host, port) = address.rsplit_once(':').unwrap();
            config.kim_smtp = Some(portal_kim::SmtpConfig {
                host: host.into(),
                port: port.parse().unwrap(),
                tls: portal_kim::Tls::None,
                user: None,
                password: None,
                sender_system: "Serviceportal (Test)".into(),
                timeout: std::time::Duration::from_secs(10),
                root_certificate: None,
            });
        }),
        ..Default::default()
    })
    .await;
    let session = practice_session(&app, PRACTICE).await;
    let id = create(&app, &session, complete_report()).await["id"].as_str().unwrap().to_string();
    assert_eq!(send(&app, &session, &id, "smtp").await.status(), StatusCode::ACCEPTED);
    status_becomes(&app, &session, &id, "sent").await;
    // The server has it, under the report's Message-ID, with both parts of the eArztbrief.
    let received: Vec<String> = std::fs::read_dir(&maildir)
        .unwrap()
        .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
        .filter(|m| m.contains(&format!("<{id}.{PRACTICE}@etherapiebericht>")))
        .collect();
    assert_eq!(received.len(), 1, "one message for the report");
    let message = &received[0];
    for part in [
        "X-KIM-Dienstkennung: Arztbrief;VHitG-Versand;V1.2",
        "X-KIM-Sendersystem: Serviceportal (Test)",
        "Content-Description: eAB-PDF",
        "Content-Description: eAB-XML",
        RECIPIENT,
    ] {
        assert!(message.contains(part), "{part} missing");
    }
    assert!(etb_messages(&app).is_empty(), "nothing in the local outbox");
}

/// KIM refuses every message for good.
struct Refusing;

#[async_trait::async_trait]
impl portal_core::ReportDelivery for Refusing {
    async fn deliver(
        &self,
        _: &portal_core::model::ReportMessage,
    ) -> Result<(), portal_core::DeliveryError> {
        Err(portal_core::DeliveryError::Refused(portal_core::model::DeliveryFailure::NoCertificate))
    }
    async fn receipts(
        &self,
    ) -> Result<Vec<portal_core::model::Receipt>, portal_core::DeliveryError> {
        Ok(Vec::new())
    }
    async fn acknowledge(
        &self,
        _: &portal_core::model::Receipt,
    ) -> Result<(), portal_core::DeliveryError> {
        Ok(())
    }
}

#[tokio::test]
async fn a_failed_report_is_sent_again_under_a_new_key_and_keeps_the_document_it_was_sent_with() {
    use portal_core::model::ReportStatus;
    use portal_core::therapy::{ReportsError, dispatch_reports};

    let Dispatching { dir, stores, reports, practice, id, .. } = one_report_sent().await;
    let queue = stores.report_queue.as_ref();
    let sent_pdf = reports.pdf(&practice, &id).await.unwrap();
    dispatch_reports(&reports, queue, &Refusing).await.unwrap();
    let failed = reports.report(&practice, &id).await.unwrap().record;
    assert_eq!(failed.status, ReportStatus::Failed);
    // The same key answers as before; another key sends it again.
    assert_eq!(
        reports.send(&practice, &id, Some("k")).await.unwrap().record.status,
        ReportStatus::Failed
    );
    // Meanwhile the physician's entry changed: the document sent stays the one shown.
    let mut physicians =
        portal::demo::PHYSICIANS.replace("Dr. med. Anna Schulz", "Dr. med. Anna Schulz-Berg");
    physicians.push('\n');
    import_physicians(stores.physicians.as_ref(), physicians.as_bytes(), &mut Vec::new())
        .await
        .unwrap();
    assert_eq!(reports.pdf(&practice, &id).await.unwrap(), sent_pdf, "the document as sent");
    let again = reports.send(&practice, &id, Some("k2")).await.unwrap().record;
    assert_eq!((again.status, again.failure, again.attempts), (ReportStatus::Queued, None, 0));
    let outbox = portal_kim::OutboxDelivery::new(dir.path().join("outbox"));
    dispatch_reports(&reports, queue, &outbox).await.unwrap();
    let record = reports.report(&practice, &id).await.unwrap().record;
    assert_eq!(record.status, ReportStatus::Sent);
    // A sent report is not sent again under a third key.
    assert!(matches!(
        reports.send(&practice, &id, Some("k3")).await,
        Err(ReportsError::AlreadySent)
    ));
}

#[tokio::test]
async fn a_receipt_never_moves_a_draft_nor_brings_back_expired_contents() {
    use portal_core::model::{ReportContents, ReportStatus};
    use portal_core::therapy::dispatch_reports;

    let Dispatching { dir, stores, reports, clock, practice, id, .. } = one_report_sent().await;
    let queue = stores.report_queue.as_ref();
    let outbox = portal_kim::OutboxDelivery::new(dir.path().join("outbox"));
    dispatch_reports(&reports, queue, &outbox).await.unwrap();
    let draft = reports.create(&practice, ReportContents::default(), None).await.unwrap().record.id;
    let inbox = outbox.inbox();
    std::fs::create_dir_all(&inbox).unwrap();
    let at = time::OffsetDateTime::now_utc();
    let mdn = |report| {
        let message_id = portal_core::model::ReportMessage::message_id_of(&report, &practice);
        portal_kim::receipt_mdn(&message_id, RECIPIENT, portal_kim::Disposition::Displayed, at)
    };
    std::fs::write(inbox.join("draft.eml"), mdn(draft)).unwrap();
    dispatch_reports(&reports, queue, &outbox).await.unwrap();
    assert_eq!(reports.report(&practice, &draft).await.unwrap().record.status, ReportStatus::Draft);
    // Thirty days after it was sent its contents are gone; a late receipt does not bring them back.
    clock.advance(time::Duration::days(31));
    dispatch_reports(&reports, queue, &outbox).await.unwrap();
    std::fs::write(inbox.join("late.eml"), mdn(id)).unwrap();
    dispatch_reports(&reports, queue, &outbox).await.unwrap();
    let view = reports.report(&practice, &id).await.unwrap();
    assert_eq!(view.record.status, ReportStatus::Read);
    assert_eq!((view.contents, view.record.contents), (None, None));
}

/// A small, plain PDF of `pages` pages with the text `mark` on each: objects written with their
/// offsets in the cross-reference table, as a practice's word processor would.
fn own_pdf(pages: usize, mark: &str) -> Vec<u8> {
    let mut objects = vec![
        "<< /Type /Catalog /Pages 2 0 R >>".to_string(),
        format!(
            "<< /Type /Pages /Count {pages} /Kids [{}] >>",
            (0..pages).map(|i| format!("{} 0 R", 4 + 2 * i)).collect::<Vec<_>>().join(" ")
        ),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_string(),
    ];
    for i in 0..pages {
        let content = format!("BT /F1 24 Tf 72 720 Td ({mark} {}) Tj ET", i + 1);
        objects.push(format!(
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 3 0 R >> >> /Contents {} 0 R >>",
            5 + 2 * i
        ));
        objects.push(format!("<< /Length {} >>\nstream\n{content}\nendstream", content.len()));
    }
    let mut pdf = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::new();
    for (i, object) in objects.iter().enumerate() {
        offsets.push(pdf.len());
        pdf.extend_from_slice(format!("{} 0 obj\n{object}\nendobj\n", i + 1).as_bytes());
    }
    let xref = pdf.len();
    pdf.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
    );
    for offset in offsets {
        pdf.extend_from_slice(format!("{offset:010} 00000 n \n").as_bytes());
    }
    pdf.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    pdf
}

/// The pages of a PDF, as qpdf counts them (and it must pass qpdf's check).
fn pages_of(pdf: &[u8]) -> usize {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("doc.pdf");
    std::fs::write(&file, pdf).unwrap();
    let run = |args: &[&str]| {
        let out = std::process::Command::new("qpdf")
            .args(args)
            .arg(&file)
            .output()
            .expect("qpdf runs (Debian package qpdf)");
        (out.status.code(), String::from_utf8_lossy(&out.stdout).to_string())
    };
    let (check, text) = run(&["--check"]);
    assert!(check == Some(0) || check == Some(3), "qpdf --check: {text}");
    run(&["--show-npages"]).1.trim().parse().unwrap()
}

/// `pdf` encrypted by qpdf with an empty user password (it opens without one, but is
/// encrypted).
fn encrypted(pdf: &[u8]) -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let (plain, locked) = (dir.path().join("plain.pdf"), dir.path().join("locked.pdf"));
    std::fs::write(&plain, pdf).unwrap();
    let status = std::process::Command::new("qpdf")
        .args(["--encrypt", "", "owner-secret", "256", "--"])
        .arg(&plain)
        .arg(&locked)
        .status()
        .unwrap();
    assert!(status.success());
    std::fs::read(locked).unwrap()
}

async fn upload(
    app: &TestApp,
    session: &str,
    id: &str,
    name: &str,
    content_type: &str,
    body: Vec<u8>,
) -> reqwest::Response {
    app.http
        .put(app.url(&format!("/api/therapy-reports/{id}/attachment?name={}", urlencode(name))))
        .header("cookie", session)
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .unwrap()
}

async fn preview(app: &TestApp, session: &str, id: &str) -> Vec<u8> {
    let path = format!("/api/therapy-reports/{id}/pdf");
    let pdf = app.with_cookie(Method::GET, &path, session, None).await;
    assert_eq!(pdf.status(), StatusCode::OK);
    pdf.bytes().await.unwrap().to_vec()
}

/// The report with the header data only: the practice's own PDF says the rest.
fn header_only_report() -> Value {
    let mut body = complete_report();
    for field in ["findings", "goals", "measures", "course"] {
        body[field] = json!("");
    }
    body
}

async fn a_practice_sends_its_own_pdf_behind_a_cover_with_the_patient_and_prescription(
    app: TestApp,
) {
    let session = practice_session(&app, PRACTICE).await;
    let id = create(&app, &session, header_only_report()).await["id"].as_str().unwrap().to_string();
    // Without its own PDF the report misses its text.
    let (status, _) = problem(send(&app, &session, &id, "before").await).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let own = own_pdf(3, "Eigener Bericht Seite");
    let uploaded =
        upload(&app, &session, &id, "Bericht Mia.pdf", "application/pdf", own.clone()).await;
    assert_eq!(uploaded.status(), StatusCode::OK);
    let body: Value = uploaded.json().await.unwrap();
    assert_eq!(
        body["attachment"],
        json!({"name": "Bericht Mia.pdf", "bytes": own.len(), "pages": 3})
    );
    // Saving the form keeps the PDF.
    let path = format!("/api/therapy-reports/{id}");
    let saved = app.with_cookie(Method::PUT, &path, &session, Some(header_only_report())).await;
    assert_eq!(saved.json::<Value>().await.unwrap()["attachment"]["pages"], 3);
    // The preview: the cover, then the practice's three pages, in one document.
    let shown = preview(&app, &session, &id).await;
    let cover_pages = pages_of(&shown) - 3;
    assert!(cover_pages >= 1, "a cover");
    assert_eq!(send(&app, &session, &id, "once").await.status(), StatusCode::ACCEPTED);
    status_becomes(&app, &session, &id, "sent").await;
    // The message: the PDF/A cover and the XML as ever, the practice's PDF as it came.
    let raw = std::fs::read(&etb_messages(&app)[0]).unwrap();
    let parsed = mail_parser::MessageParser::default().parse(&raw).unwrap();
    let parts: Vec<_> = parsed.attachments().collect();
    use mail_parser::MimeHeaders as _;
    let described: Vec<_> = parts.iter().map(|p| p.content_description().unwrap()).collect();
    assert_eq!(described, ["eAB-PDF", "eAB-XML", "Praxisbericht-PDF"]);
    assert_eq!(parts[2].contents(), own.as_slice());
    assert_eq!(pages_of(parts[0].contents()), cover_pages);
    assert!(!String::from_utf8_lossy(&raw).contains("Bericht Mia"), "the upload's name stays");
    // The sent report's PDF is the same cover and pages; nothing more may be uploaded.
    assert_eq!(pages_of(&preview(&app, &session, &id).await), cover_pages + 3);
    let (status, body) =
        problem(upload(&app, &session, &id, "x.pdf", "application/pdf", own.clone()).await).await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::CONFLICT, Some("report_sent")));
    let (status, _) = problem(
        app.with_cookie(Method::DELETE, &format!("{path}/attachment"), &session, None).await,
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
}

async fn an_upload_that_is_not_a_plain_pdf_of_at_most_10_mb_is_refused_and_nothing_is_kept(
    app: TestApp,
) {
    let session = practice_session(&app, PRACTICE).await;
    let id = create(&app, &session, complete_report()).await["id"].as_str().unwrap().to_string();
    let mut too_large = own_pdf(1, "x");
    too_large.resize(10 * 1024 * 1024 + 1, b' ');
    let cases = [
        (too_large, "application/pdf", StatusCode::PAYLOAD_TOO_LARGE, "pdf_too_large"),
        (
            b"GIF89a not a pdf".to_vec(),
            "application/pdf",
            StatusCode::UNPROCESSABLE_ENTITY,
            "pdf_invalid",
        ),
        (
            b"%PDF-1.7\n1 0 obj broken".to_vec(),
            "application/pdf",
            StatusCode::UNPROCESSABLE_ENTITY,
            "pdf_invalid",
        ),
        (
            encrypted(&own_pdf(1, "x")),
            "application/pdf",
            StatusCode::UNPROCESSABLE_ENTITY,
            "pdf_encrypted",
        ),
        (
            own_pdf(101, "x"),
            "application/pdf",
            StatusCode::UNPROCESSABLE_ENTITY,
            "pdf_too_many_pages",
        ),
        (
            own_pdf(1, "x"),
            "image/png",
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
        ),
    ];
    for (bytes, content_type, status, code) in cases {
        let (got, body) =
            problem(upload(&app, &session, &id, "a.pdf", content_type, bytes).await).await;
        assert_eq!((got, body["code"].as_str()), (status, Some(code)));
        assert!(body["detail"].is_string() || body["title"].is_string());
    }
    let read = report(&app, &session, &id).await;
    assert!(read.get("attachment").is_none_or(Value::is_null), "{read}");
    assert_eq!(
        app.stores.attachments.attachment(&practice_ik(), &report_id(&id)).await.unwrap(),
        None
    );
    // A PDF just under the limit is taken.
    let mut large = own_pdf(1, "x");
    large.resize(10 * 1024 * 1024, b' ');
    let taken = upload(&app, &session, &id, "groß.pdf", "application/pdf", large).await;
    assert_eq!(taken.status(), StatusCode::OK);
}

async fn an_own_pdf_is_replaced_or_removed_on_a_draft_and_never_reaches_another_practice(
    app: TestApp,
) {
    let session = practice_session(&app, PRACTICE).await;
    let id = create(&app, &session, complete_report()).await["id"].as_str().unwrap().to_string();
    let cover = pages_of(&preview(&app, &session, &id).await);
    let first = upload(&app, &session, &id, "a.pdf", "application/pdf", own_pdf(2, "A")).await;
    assert_eq!(first.status(), StatusCode::OK);
    let second = upload(&app, &session, &id, "b.pdf", "application/pdf", own_pdf(4, "B")).await;
    assert_eq!(second.json::<Value>().await.unwrap()["attachment"]["name"], "b.pdf");
    assert_eq!(pages_of(&preview(&app, &session, &id).await), cover + 4);
    // The stored bytes are sealed: no text of the PDF in them.
    let sealed = app.stores.attachments.attachment(&practice_ik(), &report_id(&id)).await.unwrap();
    assert!(!String::from_utf8_lossy(&sealed.unwrap()).contains("%PDF"));
    // Another practice: the report does not exist for it.
    let other = app.activated(OTHER_PRACTICE, 2).await;
    let (status, body) =
        problem(upload(&app, &other, &id, "c.pdf", "application/pdf", own_pdf(1, "C")).await).await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::NOT_FOUND, Some("not_found")));
    let path = format!("/api/therapy-reports/{id}/attachment");
    let (status, _) = problem(app.with_cookie(Method::DELETE, &path, &other, None).await).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // Removed, the preview is the report alone again, and the bytes are gone.
    let removed = app.with_cookie(Method::DELETE, &path, &session, None).await;
    assert_eq!(removed.status(), StatusCode::OK);
    assert!(removed.json::<Value>().await.unwrap().get("attachment").is_none_or(Value::is_null));
    assert_eq!(pages_of(&preview(&app, &session, &id).await), cover);
    assert_eq!(
        app.stores.attachments.attachment(&practice_ik(), &report_id(&id)).await.unwrap(),
        None
    );
    // Deleting a draft deletes its PDF.
    upload(&app, &session, &id, "a.pdf", "application/pdf", own_pdf(1, "A")).await;
    let deleted = app
        .with_cookie(Method::DELETE, &format!("/api/therapy-reports/{id}"), &session, None)
        .await;
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        app.stores.attachments.attachment(&practice_ik(), &report_id(&id)).await.unwrap(),
        None
    );
}

fn practice_ik() -> portal_domain::Ik {
    portal_domain::Ik::parse(PRACTICE).unwrap()
}

fn report_id(id: &str) -> portal_core::model::ReportId {
    portal_core::model::ReportId::parse(id).unwrap()
}

/// In AWS the app puts the PDF into S3 itself (a Lambda takes at most 6 MB): the portal
/// presigns a PUT, the browser (here a plain HTTP client) puts the file, `complete` checks and
/// seals it; a second `complete`, another practice, or more than 10 MB get nothing.
#[tokio::test]
async fn a_pdf_put_at_a_presigned_s3_address_is_checked_sealed_and_taken_once() {
    let options = crate::harness::AppOptions {
        backend: crate::harness::Backend::DynamoDb,
        ..crate::harness::AppOptions::default()
    };
    let app = crate::harness::spawn(options).await;
    let session = practice_session(&app, PRACTICE).await;
    let id = create(&app, &session, header_only_report()).await["id"].as_str().unwrap().to_string();
    let base = format!("/api/therapy-reports/{id}/attachment");
    let ticket = |app: TestApp, session: String, base: String| async move {
        let answer = app.with_cookie(Method::POST, &format!("{base}/upload"), &session, None).await;
        assert_eq!(answer.status(), StatusCode::OK);
        answer.json::<Value>().await.unwrap()
    };
    let put = |ticket: &Value, body: Vec<u8>| {
        let request = reqwest::Client::new()
            .put(ticket["url"].as_str().unwrap())
            .header("content-type", ticket["content_type"].as_str().unwrap())
            .body(body);
        async move { request.send().await.unwrap().status() }
    };
    let first = ticket(app.clone(), session.clone(), base.clone()).await;
    assert_eq!(
        (first["method"].as_str(), first["content_type"].as_str()),
        (Some("PUT"), Some("application/pdf"))
    );
    assert!(first["url"].as_str().unwrap().contains("/uploads/"), "{first}");
    let own = own_pdf(2, "Hochgeladen");
    assert!(put(&first, own.clone()).await.is_success());
    let complete = |upload: &Value, name: &str| json!({"upload": upload.clone(), "name": name});
    let done = app
        .with_cookie(
            Method::POST,
            &format!("{base}/complete"),
            &session,
            Some(complete(&first["upload"], "Bericht.pdf")),
        )
        .await;
    assert_eq!(done.status(), StatusCode::OK);
    let body: Value = done.json().await.unwrap();
    assert_eq!(body["attachment"], json!({"name": "Bericht.pdf", "bytes": own.len(), "pages": 2}));
    // Taken once.
    let again = app
        .with_cookie(
            Method::POST,
            &format!("{base}/complete"),
            &session,
            Some(complete(&first["upload"], "x.pdf")),
        )
        .await;
    let (status, body) = problem(again).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("upload_missing"))
    );
    assert_eq!(body["errors"][0]["field"], "attachment");
    // Another practice cannot take this practice's upload onto its own report.
    let second = ticket(app.clone(), session.clone(), base.clone()).await;
    assert!(put(&second, own.clone()).await.is_success());
    let other = app.activated(OTHER_PRACTICE, 2).await;
    let theirs =
        create(&app, &other, header_only_report()).await["id"].as_str().unwrap().to_string();
    let stolen = app
        .with_cookie(
            Method::POST,
            &format!("/api/therapy-reports/{theirs}/attachment/complete"),
            &other,
            Some(complete(&second["upload"], "x.pdf")),
        )
        .await;
    assert_eq!(problem(stolen).await.1["code"], "upload_missing");
    let (status, _) =
        problem(app.with_cookie(Method::POST, &format!("{base}/upload"), &other, None).await).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // More than 10 MB: refused by its size before a byte is read, and gone.
    let third = ticket(app.clone(), session.clone(), base.clone()).await;
    let mut too_large = own_pdf(1, "x");
    too_large.resize(10 * 1024 * 1024 + 1, b' ');
    assert!(put(&third, too_large).await.is_success());
    let refused = app
        .with_cookie(
            Method::POST,
            &format!("{base}/complete"),
            &session,
            Some(complete(&third["upload"], "x.pdf")),
        )
        .await;
    let (status, body) = problem(refused).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::PAYLOAD_TOO_LARGE, Some("pdf_too_large"))
    );
    let read: Value = app
        .with_cookie(Method::GET, &format!("/api/therapy-reports/{id}"), &session, None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(read["attachment"]["pages"], 2, "the PDF completed first stays");
    // A name the portal never handed out does not reach the store.
    let forged = app
        .with_cookie(
            Method::POST,
            &format!("{base}/complete"),
            &session,
            Some(complete(&json!("../sealed/x"), "x.pdf")),
        )
        .await;
    assert_eq!(problem(forged).await.1["code"], "upload_missing");
}

/// The local portal has no presigned upload: the app learns so and puts the PDF directly.
#[tokio::test]
async fn the_local_portal_has_no_presigned_upload_and_says_so() {
    let app = crate::harness::spawn(crate::harness::AppOptions::default()).await;
    let session = practice_session(&app, PRACTICE).await;
    let id = create(&app, &session, header_only_report()).await["id"].as_str().unwrap().to_string();
    let path = format!("/api/therapy-reports/{id}/attachment/upload");
    let (status, body) = problem(app.with_cookie(Method::POST, &path, &session, None).await).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("direct_upload_only"))
    );
}
