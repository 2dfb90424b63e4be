//! The letters through Amazon SES, as the emulator received them.

use std::sync::Arc;
use std::time::Duration;

use portal_core::accounts::secret_in;
use portal_mail_ses::SesMailer;
use serde_json::{Value, json};

use crate::harness::{AppOptions, ses_client, ses_sent_to, spawn};

#[tokio::test]
async fn a_registration_sends_both_letters_through_ses_to_the_address_on_file_once() {
    let app = spawn(AppOptions {
        mailer: Some(Arc::new(SesMailer::new(ses_client()))),
        ..AppOptions::default()
    })
    .await;
    let provider = "ik;name;email;strasse;plz;ort;berufsfeld\n\
        401612342;Logopädie Sprachraum Erfurt;ses-test@sprachraum.example;Anger 12;99084;Erfurt;heilmittel\n";
    let mut rejected = Vec::new();
    portal_core::import::import_providers(
        app.stores.providers.as_ref(),
        provider.as_bytes(),
        &mut rejected,
    )
    .await
    .unwrap();

    let c: Value =
        app.http.get(app.url("/api/challenge")).send().await.unwrap().json().await.unwrap();
    let nonce = portal_domain::solve_proof_of_work(
        c["salt"].as_str().unwrap(),
        c["difficulty"].as_u64().unwrap() as u8,
        0,
        1 << 24,
    )
    .unwrap();
    let body = json!({"ik": "401612342", "terms_accepted": true, "challenge": {"id": c["id"], "nonce": nonce.to_string()}});
    let response = app.http.post(app.url("/api/registrations")).json(&body).send().await.unwrap();
    assert_eq!(response.status(), reqwest::StatusCode::ACCEPTED);

    let mut emails = Vec::new();
    for _ in 0..200 {
        emails = ses_sent_to("ses-test@sprachraum.example").await;
        if emails.len() >= 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let subjects: Vec<&str> = emails.iter().filter_map(|e| e["subject"].as_str()).collect();
    assert_eq!(subjects.len(), 2, "{emails:?}");
    assert!(subjects.contains(&"Ihr Initialkennwort für das Serviceportal"), "{subjects:?}");
    assert!(subjects.contains(&"Ihre Prüfnummer für das Serviceportal"), "{subjects:?}");
    let texts: Vec<String> =
        emails.iter().map(|e| e["body"]["text"].as_str().unwrap_or_default().to_string()).collect();
    let password = texts
        .iter()
        .find_map(|t| secret_in(t, "Initialkennwort"))
        .expect("the initial password on a line of its own");
    assert!(texts.iter().any(|t| secret_in(t, "Prüfnummer").is_some()));

    // The letter works: the provider logs in with what SES delivered.
    let login = app
        .http
        .post(app.url("/api/session"))
        .json(&json!({"ik": "401612342", "password": password}))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), reqwest::StatusCode::OK);

    // Another dispatch round sends nothing again.
    let round = portal_core::accounts::dispatch_letters(
        app.stores.letters.as_ref(),
        app.stores.accounts.as_ref(),
        &SesMailer::new(ses_client()),
        &app.clock,
    )
    .await
    .unwrap();
    assert_eq!(round.sent, 0);
    assert_eq!(ses_sent_to("ses-test@sprachraum.example").await.len(), 2);
}
