//! The signed proof of every answered query (*Zuzahlungsnachweis*): a web answer's and an API
//! answer's proof verify at `POST /api/proofs/verify` and in the audit log; a changed byte,
//! another KVNR or garbage do not; another insurer's portal knows the proof as genuine but not
//! its query; checks are rationed per client; and `portal proof verify` does the same offline.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use reqwest::{Response, StatusCode};
use serde_json::{Value, json};

use crate::api::{IK, problem};
use crate::fhir::{KVID, SCOPE, proof_in};
use crate::harness::{TestApp, portal_command};

on_both_apps! {
    a_proof_from_a_web_answer_is_genuine_and_in_the_audit_log,
    a_changed_byte_another_kvnr_or_garbage_is_not_genuine_and_still_answered_200,
    an_api_answers_proof_verifies_from_its_provenance_and_so_does_a_no_match,
    proof_checks_are_rationed_per_client,
    a_proof_of_this_portal_prints_as_a_qr_code_and_nothing_else_does,
}

mod two_insurers {
    on_both_apps! {
        @with crate::tenants::two_tenants;
        a_proof_of_one_insurer_is_genuine_at_another_but_not_in_its_audit_log,
    }
    use super::*;
}

impl TestApp {
    /// `POST /api/proofs/verify`.
    pub(crate) async fn verify_proof(&self, proof: &str, kvnr: &str) -> Response {
        self.post("/api/proofs/verify", json!({"proof": proof, "kvnr": kvnr})).await
    }

    /// A verdict answered 200.
    pub(crate) async fn verdict(&self, proof: &str, kvnr: &str) -> Value {
        let response = self.verify_proof(proof, kvnr).await;
        assert_eq!(response.status(), StatusCode::OK);
        response.json().await.unwrap()
    }

    /// A web answer with its proof.
    async fn web_answer(&self, session: &str, body: Value) -> Value {
        let response = self.ask(session, body).await;
        assert_eq!(response.status(), StatusCode::OK);
        response.json().await.unwrap()
    }
}

/// The proof's payload, unverified.
fn payload(proof: &str) -> Value {
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(proof.split('.').nth(1).unwrap()).unwrap())
        .unwrap()
}

async fn a_proof_from_a_web_answer_is_genuine_and_in_the_audit_log(app: TestApp) {
    let session = app.provider_session().await;
    let body = json!({"kvnr": "A123456780", "consent": "insured_present", "dispensing_date": "2026-03-14"});
    let answer = app.web_answer(&session, body).await;
    let proof = answer["proof"].as_str().unwrap();

    // Signed by the proofs' key, which the JWKS publishes next to the tokens' key.
    let header = jsonwebtoken::decode_header(proof).unwrap();
    assert_eq!(header.typ.as_deref(), Some("zuzahlungsnachweis+jwt"));
    let kid = header.kid.unwrap();
    assert!(kid.starts_with("proof-es256-"), "{kid}");
    let jwks: Value =
        app.http.get(app.url("/oauth/jwks.json")).send().await.unwrap().json().await.unwrap();
    let kids: Vec<&str> =
        jwks["keys"].as_array().unwrap().iter().map(|k| k["kid"].as_str().unwrap()).collect();
    assert!(kids.contains(&kid.as_str()) && kids.len() == 2, "{kids:?}");
    // The KVNR is in it only as a salted hash.
    let claims = payload(proof);
    assert!(!proof.contains("A123456780") && !claims.to_string().contains("A123456780"));
    assert_eq!(claims["kvnr_salt"].as_str().unwrap().len(), 22, "16 bytes");

    let verdict = app.verdict(proof, "A123456780").await;
    assert_eq!(
        (&verdict["genuine"], &verdict["verdict"], &verdict["in_audit_log"]),
        (&json!(true), &json!("genuine"), &json!(true))
    );
    assert_eq!(
        verdict["statement"],
        json!({
            "query_id": answer["query_id"],
            "insurer_ik": app.tenant.ik.to_string(),
            "insurer_name": app.tenant.name,
            "provider_ik": IK,
            "answered_at": "2026-05-04T08:00:00Z",
            "channel": "web",
            "found": true,
            "years": answer["years"],
            "dispensing_date": "2026-03-14",
            "exempt_on_dispensing_date": true,
        })
    );
    // As typed at a counter: lower case and spaces do not matter.
    assert_eq!(app.verdict(proof, " a123 456 780 ").await["genuine"], true);
}

async fn a_changed_byte_another_kvnr_or_garbage_is_not_genuine_and_still_answered_200(
    app: TestApp,
) {
    let session = app.provider_session().await;
    let answer =
        app.web_answer(&session, json!({"kvnr": "A121212122", "consent": "insured_present"})).await;
    let proof = answer["proof"].as_str().unwrap().to_string();

    // One character of the payload changed: the exempt year says `false`, say.
    let (header, rest) = proof.split_once('.').unwrap();
    let (body, signature) = rest.split_once('.').unwrap();
    let changed_payload =
        payload(&proof).to_string().replacen("\"exempt\":true", "\"exempt\":false", 1);
    let forged = format!("{header}.{}.{signature}", URL_SAFE_NO_PAD.encode(changed_payload));
    assert_ne!(body, forged.split('.').nth(1).unwrap());
    let mut flipped = proof.clone().into_bytes();
    let middle = header.len() + 1 + body.len() / 2;
    flipped[middle] = if flipped[middle] == b'A' { b'B' } else { b'A' };
    let flipped = String::from_utf8(flipped).unwrap();

    for (what, proof, kvnr, verdict) in [
        ("a changed statement", forged.as_str(), "A121212122", "bad_signature"),
        ("a changed byte", flipped.as_str(), "A121212122", "bad_signature"),
        ("another KVNR", proof.as_str(), "A123456780", "other_kvnr"),
        ("an invalid KVNR", proof.as_str(), "A12121212", "other_kvnr"),
        ("garbage", "not a proof", "A121212122", "not_a_proof"),
        ("nothing", "", "", "not_a_proof"),
    ] {
        let answer = app.verdict(proof, kvnr).await;
        assert_eq!(answer["genuine"], false, "{what}");
        assert_eq!(answer["in_audit_log"], false, "{what}");
        assert_eq!(answer["verdict"], verdict, "{what}");
    }
    // Another KVNR: the statement still says what the proof states (no one's KVNR).
    let other = app.verdict(&proof, "A123456780").await;
    assert_eq!(other["statement"]["query_id"], answer["query_id"]);

    // A request that is not the operation's gets the usual problem documents.
    let not_json = app
        .http
        .post(app.url("/api/proofs/verify"))
        .header("content-type", "application/json")
        .body("{\"proof\": ")
        .send()
        .await
        .unwrap();
    let (status, body) = problem(not_json).await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_json")));
    let unknown = app
        .post("/api/proofs/verify", json!({"proof": proof, "kvnr": "A121212122", "extra": 1}))
        .await;
    let (status, body) = problem(unknown).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("unknown_field"))
    );
}

async fn an_api_answers_proof_verifies_from_its_provenance_and_so_does_a_no_match(app: TestApp) {
    app.with_exemptions().await;
    let software = app.software().await;
    let token = app.access_token(&software, SCOPE).await;

    let bundle = app.bundle(&token, "A121212122").await;
    let provenance = bundle["entry"].as_array().unwrap().last().unwrap().clone();
    let proof = proof_in(&provenance);
    let verdict = app.verdict(&proof, "A121212122").await;
    assert_eq!((&verdict["genuine"], &verdict["in_audit_log"]), (&json!(true), &json!(true)));
    let statement = &verdict["statement"];
    assert_eq!(statement["query_id"], bundle["id"]);
    assert_eq!(statement["channel"], "api");
    assert_eq!(statement["provider_ik"], IK);
    // The FHIR search's day of dispensing defaults to today.
    assert_eq!(statement["dispensing_date"], "2026-05-04");
    let years: Vec<(i64, bool)> = statement["years"]
        .as_array()
        .unwrap()
        .iter()
        .map(|y| (y["year"].as_i64().unwrap(), y["exempt"].as_bool().unwrap()))
        .collect();
    assert_eq!(years, [(2026, true), (2025, true)]);

    // No record: the answer is an empty searchset, and its proof says so.
    let none = app.bundle(&token, "C345678908").await;
    assert_eq!(none["total"], 0);
    let proof = proof_in(&none["entry"][0]);
    let verdict = app.verdict(&proof, "C345678908").await;
    assert_eq!((&verdict["genuine"], &verdict["in_audit_log"]), (&json!(true), &json!(true)));
    assert_eq!(
        (&verdict["statement"]["found"], &verdict["statement"]["years"]),
        (&json!(false), &json!([]))
    );
    let _ = KVID;
}

async fn proof_checks_are_rationed_per_client(app: TestApp) {
    for _ in 0..30 {
        assert_eq!(app.verify_proof("x", "A123456780").await.status(), StatusCode::OK);
    }
    let over = app.verify_proof("x", "A123456780").await;
    assert_eq!(over.headers()["retry-after"], "60");
    let (status, body) = problem(over).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::TOO_MANY_REQUESTS, Some("too_many_requests"))
    );
    app.clock.advance(time::Duration::minutes(1));
    assert_eq!(app.verify_proof("x", "A123456780").await.status(), StatusCode::OK);
}

async fn a_proof_of_one_insurer_is_genuine_at_another_but_not_in_its_audit_log(app: TestApp) {
    let plus = app.tenant("plus");
    let session = plus.provider_session().await;
    let answer = plus
        .web_answer(&session, json!({"kvnr": "A121212122", "consent": "insured_present"}))
        .await;
    let proof = answer["proof"].as_str().unwrap();
    let at_plus = plus.verdict(proof, "A121212122").await;
    assert_eq!((&at_plus["genuine"], &at_plus["in_audit_log"]), (&json!(true), &json!(true)));

    // One deployment, one proof key: the other insurer's portal knows the signature, and says
    // whose the proof is, but its own audit log does not hold the query.
    let at_bayern = app.tenant("bayern").verdict(proof, "A121212122").await;
    assert_eq!((&at_bayern["genuine"], &at_bayern["in_audit_log"]), (&json!(true), &json!(false)));
    assert_eq!(at_bayern["statement"]["insurer_ik"], "107299005");
    assert_eq!(at_bayern["statement"]["insurer_name"], "AOK PLUS (Test)");
}

#[tokio::test]
async fn the_back_office_verifies_a_proof_offline_with_the_local_or_the_published_keys() {
    let app = crate::harness::spawn_app().await;
    let session = app.provider_session().await;
    let answer = app
        .web_answer(
            &session,
            json!({"kvnr": "A123456780", "consent": "insured_present", "dispensing_date": "2026-03-01"}),
        )
        .await;
    let proof = answer["proof"].as_str().unwrap();
    let dir = app.data_dir.path();
    let verify = |args: &[&str]| {
        let output = portal_command(dir).args(["proof", "verify"]).args(args).output().unwrap();
        (output.status.code(), String::from_utf8_lossy(&output.stdout).into_owned())
    };

    let (code, text) = verify(&[proof, "--kvnr", "A123456780"]);
    assert_eq!(code, Some(0), "{text}");
    let query_id = answer["query_id"].as_str().unwrap();
    assert_eq!(
        text.trim(),
        format!(
            "Echt: ja – mit einem veröffentlichten Schlüssel des Portals signiert und über diese KVNR.\n\
             Abfrage-ID: {query_id}\n\
             Krankenkasse: Serviceportal für Leistungserbringer (IK 109999994)\n\
             Leistungserbringer: IK 301412340\n\
             Beantwortet: 04.05.2026 10:00 (Kanal web)\n\
             Abgabedatum: 01.03.2026 – nicht befreit\n\
             2026: befreit vom 14.03.2026 bis 31.12.2026\n\
             2025: nicht befreit\n\
             Ob das Protokoll der Krankenkasse die Abfrage enthält: POST /api/proofs/verify beim Portal, oder portal audit --ik 301412340."
        )
    );
    let (code, text) = verify(&[proof, "--kvnr", "A121212122"]);
    assert_eq!(code, Some(1));
    assert!(text.starts_with("Echt: nein – echt signiert, aber über eine andere KVNR."), "{text}");

    // With the keys as published (what someone without the key file has).
    let jwks =
        app.http.get(app.url("/oauth/jwks.json")).send().await.unwrap().text().await.unwrap();
    let file = dir.join("published.json");
    std::fs::write(&file, jwks).unwrap();
    let file = file.to_str().unwrap();
    assert_eq!(verify(&[proof, "--kvnr", "A123456780", "--jwks", file]).0, Some(0));
    // A character of the signature changed (not its last, whose low bits may be unused).
    let at = proof.len() - 5;
    let mut changed = proof.to_string();
    changed.replace_range(at..=at, if &proof[at..=at] == "A" { "B" } else { "A" });
    let (code, text) = verify(&[&changed, "--kvnr", "A123456780", "--jwks", file]);
    assert_eq!(code, Some(1), "{text}");
    // Someone else's keys.
    std::fs::write(dir.join("other.json"), r#"{"keys": []}"#).unwrap();
    let (code, text) = verify(&[
        proof,
        "--kvnr",
        "A123456780",
        "--jwks",
        dir.join("other.json").to_str().unwrap(),
    ]);
    assert_eq!(code, Some(1));
    assert!(text.contains("nicht veröffentlicht"), "{text}");
}

async fn a_proof_of_this_portal_prints_as_a_qr_code_and_nothing_else_does(app: TestApp) {
    let session = app.provider_session().await;
    let body = json!({"kvnr": "A123456780", "consent": "insured_present"});
    let proof = app.web_answer(&session, body).await["proof"].as_str().unwrap().to_string();
    let qr = app.post("/api/proofs/qr", json!({"proof": proof})).await;
    assert_eq!(qr.status(), StatusCode::OK);
    assert_eq!(qr.headers()["content-type"], "image/svg+xml");
    let svg = qr.text().await.unwrap();
    assert!(svg.contains("<svg") && svg.contains("<path"), "an SVG drawing");
    // The portal is no QR service: only its own proofs, never arbitrary text.
    for text in ["hello", "a.b.c", &format!("{proof}x")] {
        let (status, body) =
            problem(app.post("/api/proofs/qr", json!({"proof": text})).await).await;
        assert_eq!(
            (status, body["code"].as_str(), body["errors"][0]["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_proof"), Some("proof")),
            "{text}"
        );
    }
}
