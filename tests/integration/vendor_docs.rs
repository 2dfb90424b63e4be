//! The vendors' page, `docs/machine-api.md`, shows what the portal really answers: each JSON
//! example there (marked `<!-- example: NAME -->`) is compared with the same document from the
//! running portal, with what differs from run to run (ids, times, keys, signatures) left out.
//! Run with `--nocapture` to see the documents to copy after a change.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use reqwest::StatusCode;
use serde_json::{Map, Value, json};

use crate::fhir::{KVID, SCOPE, proof_in};
use crate::harness::{repo_root, spawn_app};

/// The JSON blocks of the page, by the name in the comment before each.
fn examples() -> Vec<(String, Value)> {
    let page = std::fs::read_to_string(repo_root().join("docs/machine-api.md")).unwrap();
    let mut found = Vec::new();
    let mut lines = page.lines();
    while let Some(line) = lines.next() {
        let Some(name) = line.trim().strip_prefix("<!-- example: ") else { continue };
        let name = name.trim_end_matches("-->").trim().to_string();
        assert_eq!(lines.next().map(str::trim), Some("```json"), "{name}: a json block follows");
        let block: Vec<&str> = lines.by_ref().take_while(|l| l.trim() != "```").collect();
        let value = serde_json::from_str(&block.join("\n"))
            .unwrap_or_else(|e| panic!("example {name} is not JSON: {e}"));
        found.push((name, value));
    }
    found
}

/// A ULID, a UUID URN, a time, a key id, or a long run of base64: differs from run to run.
fn varies(text: &str) -> bool {
    let ulid =
        text.len() == 26 && text.bytes().all(|b| b.is_ascii_digit() || b.is_ascii_uppercase());
    let time = text.len() > 11 && text.as_bytes()[4] == b'-' && text.as_bytes()[10] == b'T';
    ulid || time
        || text.starts_with("urn:uuid:")
        || text.starts_with("es256-")
        || text.starts_with("proof-es256-")
        || (text.len() > 40 && !text.contains(' ') && !text.contains('/'))
}

/// `value` with what varies replaced by "…".
fn masked(value: &Value, key: &str) -> Value {
    match value {
        Value::String(text) if varies(text) || key == "kvnr_salt" => json!("…"),
        Value::Number(_) if ["iat", "exp"].contains(&key) => json!("…"),
        Value::Array(items) => Value::Array(items.iter().map(|v| masked(v, key)).collect()),
        Value::Object(fields) => Value::Object(
            fields.iter().map(|(k, v)| (k.clone(), masked(v, k))).collect::<Map<_, _>>(),
        ),
        other => other.clone(),
    }
}

#[tokio::test]
async fn every_example_of_the_vendor_page_is_what_the_portal_answers() {
    let app = spawn_app().await;
    app.with_exemptions().await;
    let software = app.software().await;
    let mut real: Vec<(&str, Value)> = Vec::new();

    let smart = app.fhir_get("/fhir/.well-known/smart-configuration").await;
    real.push(("smart-configuration", smart));
    let assertion = app.signed_assertion(&software);
    let token: Value = app.token_response(&assertion, SCOPE).await.json().await.unwrap();
    let access_token = token["access_token"].as_str().unwrap().to_string();
    real.push(("token", token));
    let replay: Value = app.token_response(&assertion, SCOPE).await.json().await.unwrap();
    real.push(("token-refused", replay));

    let beneficiary = format!("{KVID}|A123456780");
    let form = [
        ("beneficiary:identifier", beneficiary.as_str()),
        ("einwilligung", "insured_present"),
        ("dispensing-date", "2026-03-14"),
    ];
    let response = app.search(&access_token, &form).await;
    assert_eq!(response.status(), StatusCode::OK);
    let bundle: Value = response.json().await.unwrap();
    let proof = proof_in(bundle["entry"].as_array().unwrap().last().unwrap());
    real.push(("bundle", bundle));
    let part = |n: usize| -> Value {
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(proof.split('.').nth(n).unwrap()).unwrap())
            .unwrap()
    };
    real.push(("proof-header", part(0)));
    real.push(("proof-payload", part(1)));
    let verdict = app.verdict(&proof, "A123456780").await;
    real.push(("verified", verdict));
    let other = app.verdict(&proof, "A121212122").await;
    real.push(("verified-other-kvnr", other));

    let bad = [("beneficiary:identifier", "http://fhir.de/sid/gkv/kvid-10|A123456789")];
    let outcome: Value = app.search(&access_token, &bad).await.json().await.unwrap();
    real.push(("operation-outcome", outcome));

    for (name, value) in &real {
        println!(
            "<!-- example: {name} -->\n```json\n{}\n```\n",
            serde_json::to_string_pretty(value).unwrap()
        );
    }
    let shown = examples();
    let names: Vec<&str> = shown.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        real.iter().map(|(n, _)| *n).collect::<Vec<_>>(),
        "the page's examples, in order"
    );
    for ((name, shown), (_, real)) in shown.iter().zip(&real) {
        assert_eq!(masked(shown, ""), masked(real, ""), "example {name}");
    }
}
