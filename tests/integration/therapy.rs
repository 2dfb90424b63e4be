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
}

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
