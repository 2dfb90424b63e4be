//! The machine API: a provider's software registered with its key gets a token with a signed
//! assertion (RFC 7523) and asks the co-payment status over FHIR; every refusal of a token, the
//! errors as OperationOutcomes, the shared audit chain and quota with the web query, and the
//! answers checked by a FHIR library no one here wrote (PyPI `fhir.resources`).

use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use portal_core::clients::Clients;
use portal_core::import::import_exemptions;
use portal_core::model::{Channel, ClientId, Jwks};
use portal_core::oha::verify_audit;
use portal_domain::Ik;
use reqwest::{Method, Response, StatusCode};
use ring::rand::SystemRandom;
use ring::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair as _};
use serde_json::{Value, json};
use time::Duration;

use crate::api::{EXEMPTIONS, IK};
use crate::harness::{AppOptions, TestApp, intact, portal_command};

on_both_apps! {
    a_client_gets_a_token_and_asks_for_an_exempt_a_not_exempt_and_an_unknown_person,
    every_bad_assertion_is_refused_as_invalid_client_without_saying_why,
    searches_without_a_valid_token_scope_or_parameters_answer_operation_outcomes,
    a_provider_sees_its_clients_and_revokes_one_and_no_other_providers,
}

mod shared_with_the_web {
    on_both_apps! {
        @with crate::fhir::quota_of_three;
        web_and_api_queries_share_one_audit_chain_and_one_quota,
    }
    use super::*;
}

fn quota_of_three() -> AppOptions {
    AppOptions {
        configure: Box::new(|config| config.settings.oha.quota_per_day = 3),
        ..AppOptions::default()
    }
}

pub(crate) const KVID: &str = "http://fhir.de/sid/gkv/kvid-10";
pub(crate) const SCOPE: &str = "system/Coverage.rs";

/// A provider's software: its P-256 key (made here) and the client id the portal gave it.
pub(crate) struct Software {
    pkcs8: Vec<u8>,
    kid: String,
    client_id: ClientId,
}

/// A new P-256 key and its public JWK.
fn new_key(kid: &str) -> (Vec<u8>, Value) {
    let random = SystemRandom::new();
    let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &random).unwrap();
    let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref(), &random)
        .unwrap();
    let point = pair.public_key().as_ref();
    let jwk = json!({
        "kty": "EC", "crv": "P-256", "kid": kid, "use": "sig", "alg": "ES256",
        "x": URL_SAFE_NO_PAD.encode(&point[1..33]), "y": URL_SAFE_NO_PAD.encode(&point[33..65]),
    });
    (pkcs8.as_ref().to_vec(), jwk)
}

impl TestApp {
    /// The machine API's use case on this portal's stores (registering needs no signing key).
    pub(crate) fn clients(&self) -> Clients {
        Clients {
            tenant: self.tenant.clone(),
            registry: self.stores.clients.clone(),
            seen: self.stores.seen_token_ids.clone(),
            clock: Arc::new(self.clock.clone()),
            signer: None,
        }
    }

    /// The back office registers software for the demo pharmacy with a freshly made key.
    pub(crate) async fn software(&self) -> Software {
        let (pkcs8, jwk) = new_key("key-1");
        let jwks = Jwks::parse(&json!({"keys": [jwk]}).to_string()).unwrap();
        let client = self.clients().register(Ik::parse(IK).unwrap(), jwks).await.unwrap();
        Software { pkcs8, kid: "key-1".into(), client_id: client.id }
    }

    fn token_url(&self) -> String {
        format!("{}/oauth/token", self.tenant.letterhead.portal_url.trim_end_matches('/'))
    }

    /// The claims of a good assertion, now.
    fn claims(&self, software: &Software) -> Value {
        let now = self.clock_now().unix_timestamp();
        json!({
            "iss": software.client_id.to_string(),
            "sub": software.client_id.to_string(),
            "aud": self.token_url(),
            "exp": now + 240,
            "iat": now,
            "jti": ulid::Ulid::new().to_string(),
        })
    }

    pub(crate) async fn token_response(&self, assertion: &str, scope: &str) -> Response {
        let form = [
            ("grant_type", "client_credentials"),
            ("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"),
            ("client_assertion", assertion),
            ("scope", scope),
        ];
        self.http.post(self.url("/oauth/token")).form(&form).send().await.unwrap()
    }

    /// A good assertion, signed now.
    pub(crate) fn signed_assertion(&self, software: &Software) -> String {
        signed(software, &self.claims(software))
    }

    /// A token for a good assertion.
    pub(crate) async fn access_token(&self, software: &Software, scope: &str) -> String {
        let assertion = signed(software, &self.claims(software));
        let response = self.token_response(&assertion, scope).await;
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.headers()["cache-control"], "no-store");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["token_type"], "bearer");
        assert_eq!(body["expires_in"], 300);
        body["access_token"].as_str().unwrap().to_string()
    }

    pub(crate) async fn search(&self, token: &str, form: &[(&str, &str)]) -> Response {
        self.http
            .post(self.url("/fhir/Coverage/_search"))
            .bearer_auth(token)
            .header("accept", "application/fhir+json")
            .form(form)
            .send()
            .await
            .unwrap()
    }

    /// A search for `kvnr` with the consent declared, answered 200.
    pub(crate) async fn bundle(&self, token: &str, kvnr: &str) -> Value {
        let beneficiary = format!("{KVID}|{kvnr}");
        let form =
            [("beneficiary:identifier", beneficiary.as_str()), ("einwilligung", "insured_present")];
        let response = self.search(token, &form).await;
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.headers()["content-type"], "application/fhir+json");
        response.json().await.unwrap()
    }

    pub(crate) async fn with_exemptions(&self) {
        let mut rejected = Vec::new();
        import_exemptions(
            self.stores.exemptions.as_ref(),
            EXEMPTIONS.as_bytes(),
            None,
            &mut rejected,
        )
        .await
        .unwrap();
    }

    pub(crate) async fn fhir_get(&self, path: &str) -> Value {
        let response = self.http.get(self.url(path)).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        response.json().await.unwrap()
    }
}

fn signed(software: &Software, claims: &Value) -> String {
    let mut header = Header::new(Algorithm::ES256);
    header.kid = Some(software.kid.clone());
    encode(&header, claims, &EncodingKey::from_ec_der(&software.pkcs8)).unwrap()
}

/// An OperationOutcome's status, first issue code and first own code.
async fn outcome(response: Response) -> (StatusCode, String, String) {
    let status = response.status();
    assert_eq!(response.headers()["content-type"], "application/fhir+json", "{status}");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["resourceType"], "OperationOutcome");
    let issue = &body["issue"][0];
    let own = issue["details"]["coding"][0]["code"].as_str().unwrap_or_default().to_string();
    (status, issue["code"].as_str().unwrap().to_string(), own)
}

/// The project's own checks of the profile rules on every Coverage of a Bundle.
fn check_profile_rules(bundle: &Value, kvnr: &str, payor: &str) {
    assert_eq!(bundle["resourceType"], "Bundle");
    assert_eq!(bundle["type"], "searchset");
    let (provenance, entries) = bundle["entry"].as_array().unwrap().split_last().unwrap();
    assert_eq!(bundle["total"], entries.len());
    check_provenance(provenance, entries, payor);
    for entry in entries {
        assert!(entry["fullUrl"].as_str().unwrap().starts_with("urn:uuid:"));
        assert_eq!(entry["search"]["mode"], "match");
        let c = &entry["resource"];
        assert_eq!(c["resourceType"], "Coverage");
        assert_eq!(c["status"], "active");
        assert_eq!(
            c["type"]["coding"],
            json!([{"system": "http://fhir.de/CodeSystem/versicherungsart-de-basis", "code": "GKV"}])
        );
        assert_eq!(c["beneficiary"], json!({"identifier": {"system": KVID, "value": kvnr}}));
        let kvnr_rule = regex_like_kvnr(c["beneficiary"]["identifier"]["value"].as_str().unwrap());
        assert!(kvnr_rule, "kvid-1: ^[A-Z][0-9]{{9}}$");
        assert_eq!(
            c["payor"],
            json!([{"identifier": {"system": "http://fhir.de/sid/arge-ik/iknr", "value": payor}}])
        );
        assert!(payor.len() == 9 && payor.bytes().all(|b| b.is_ascii_digit()), "ik-1");
        let extensions = c["extension"].as_array().unwrap();
        assert_eq!(extensions.len(), 1);
        let status = &extensions[0];
        assert_eq!(status["url"], "http://fhir.de/StructureDefinition/gkv/zuzahlungsstatus");
        let parts = status["extension"].as_array().unwrap();
        let exempt = parts[0]["valueBoolean"].as_bool().unwrap();
        assert_eq!(parts[0]["url"], "status");
        if exempt {
            // VSDM: an exempt status carries gueltigBis; it ends the period.
            assert_eq!(parts[1]["url"], "gueltigBis");
            assert_eq!(parts[1]["valueDate"], c["period"]["end"]);
            assert_eq!(parts.len(), 2);
        } else {
            assert_eq!(parts.len(), 1, "no gueltigBis when not exempt");
        }
        assert!(c["period"]["start"].as_str().unwrap() <= c["period"]["end"].as_str().unwrap());
    }
}

/// The last entry: the Provenance whose signature is the answer's signed proof, of every
/// Coverage and of the query.
fn check_provenance(entry: &Value, coverages: &[Value], payor: &str) {
    assert_eq!(entry["search"]["mode"], "include");
    let p = &entry["resource"];
    assert_eq!(p["resourceType"], "Provenance");
    let targets = p["target"].as_array().unwrap();
    for (coverage, target) in coverages.iter().zip(targets) {
        assert_eq!(target["reference"], coverage["fullUrl"]);
    }
    let query = &targets[coverages.len()]["identifier"];
    assert_eq!(query["system"], "https://portal.example/fhir/sid/query-id");
    assert_eq!(targets.len(), coverages.len() + 1);
    let insurer = json!({"system": "http://fhir.de/sid/arge-ik/iknr", "value": payor});
    assert_eq!(p["agent"][0]["who"]["identifier"], insurer);
    let signature = &p["signature"][0];
    assert_eq!(signature["who"]["identifier"], insurer);
    assert_eq!(
        signature["type"][0],
        json!({"system": "urn:iso-astm:E1762-95:2013", "code": "1.2.840.10065.1.12.1.5", "display": "Verification Signature"})
    );
    assert_eq!(signature["sigFormat"], "application/jose");
    let proof = proof_in(entry);
    let header = jsonwebtoken::decode_header(&proof).unwrap();
    assert_eq!(header.typ.as_deref(), Some("zuzahlungsnachweis+jwt"));
    let claims: Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(proof.split('.').nth(1).unwrap()).unwrap())
            .unwrap();
    assert_eq!(claims["query_id"], query["value"]);
}

/// The signed proof a Bundle's Provenance entry carries (standard base64 of the JWS).
pub(crate) fn proof_in(provenance: &Value) -> String {
    let data = provenance["resource"]["signature"][0]["data"].as_str().unwrap();
    String::from_utf8(base64::engine::general_purpose::STANDARD.decode(data).unwrap()).unwrap()
}

fn regex_like_kvnr(value: &str) -> bool {
    let bytes = value.as_bytes();
    bytes.len() == 10 && bytes[0].is_ascii_uppercase() && bytes[1..].iter().all(u8::is_ascii_digit)
}

/// (exempt, period start, period end) of each Coverage, in order.
fn years(bundle: &Value) -> Vec<(bool, String, String)> {
    bundle["entry"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["resource"]["resourceType"] == "Coverage")
        .map(|e| {
            let c = &e["resource"];
            (
                c["extension"][0]["extension"][0]["valueBoolean"].as_bool().unwrap(),
                c["period"]["start"].as_str().unwrap().to_string(),
                c["period"]["end"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// Parses each `(model, file)` with `fhir.resources` (R4B models) in the tools' Python; fails
/// when the library is missing (`tools/setup --test` installs it).
fn validated_by_fhir_resources(files: &[(&str, &str, &Value)]) {
    let dir = tempfile::tempdir().unwrap();
    let mut script = String::from("import sys\n");
    for (index, (module, class, document)) in files.iter().enumerate() {
        let path = dir.path().join(format!("{index}.json"));
        std::fs::write(&path, serde_json::to_vec(document).unwrap()).unwrap();
        script += &format!(
            "from fhir.resources.R4B.{module} import {class}\n\
             r = {class}.model_validate_json(open({path:?}).read())\n\
             print('{class}', r.get_resource_type())\n",
            path = path.display().to_string(),
            class = class,
        );
    }
    let python = crate::harness::repo_root().join(".tools/venv/bin/python3");
    let run =
        std::process::Command::new(&python).args(["-c", &script]).output().unwrap_or_else(|e| {
            panic!("{} runs (tools/setup --test installs it): {e}", python.display())
        });
    assert!(
        run.status.success(),
        "fhir.resources refused an answer (or is missing: tools/setup --test):\n{}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&run.stdout).lines().count(), files.len());
}

async fn a_client_gets_a_token_and_asks_for_an_exempt_a_not_exempt_and_an_unknown_person(
    app: TestApp,
) {
    app.with_exemptions().await;
    let software = app.software().await;
    let token = app.access_token(&software, SCOPE).await;
    let payor = app.tenant.ik.to_string();

    let both = app.bundle(&token, "A121212122").await;
    check_profile_rules(&both, "A121212122", &payor);
    assert_eq!(
        years(&both),
        [
            (true, "2026-01-01".into(), "2026-12-31".into()),
            (true, "2025-01-01".into(), "2025-12-31".into())
        ]
    );
    let last_year_only = app.bundle(&token, "B234567895").await;
    check_profile_rules(&last_year_only, "B234567895", &payor);
    assert_eq!(
        years(&last_year_only),
        [
            (false, "2026-01-01".into(), "2026-12-31".into()),
            (true, "2025-09-02".into(), "2025-12-31".into())
        ]
    );
    let unknown = app.bundle(&token, "C345678908").await;
    check_profile_rules(&unknown, "C345678908", &payor);
    assert_eq!(unknown["total"], 0);

    // What says how to use it.
    let metadata = app.fhir_get("/fhir/metadata").await;
    assert_eq!(metadata["fhirVersion"], "4.0.1");
    assert_eq!(metadata["kind"], "instance");
    let rest = &metadata["rest"][0];
    assert_eq!(rest["security"]["service"][0]["coding"][0]["code"], "SMART-on-FHIR");
    assert_eq!(rest["security"]["extension"][0]["extension"][0]["valueUri"], app.token_url());
    let params = rest["resource"][0]["searchParam"].as_array().unwrap();
    for param in params.iter().filter(|p| p["name"] != "beneficiary:identifier") {
        let canonical = param["definition"].as_str().unwrap();
        let path = canonical.strip_prefix("https://portal.example").unwrap();
        let definition = app.fhir_get(path).await;
        assert_eq!(definition["url"], canonical);
        assert_eq!(definition["type"], param["type"]);
        validated_by_fhir_resources(&[("searchparameter", "SearchParameter", &definition)]);
    }
    let smart = app.fhir_get("/fhir/.well-known/smart-configuration").await;
    assert_eq!(smart["token_endpoint"], app.token_url());
    assert_eq!(smart["token_endpoint_auth_methods_supported"], json!(["private_key_jwt"]));
    assert_eq!(smart["capabilities"], json!(["client-confidential-asymmetric"]));
    let jwks = app.fhir_get("/oauth/jwks.json").await;
    let kid = jsonwebtoken::decode_header(&token).unwrap().kid.unwrap();
    assert_eq!(jwks["keys"][0]["kid"], kid);

    let invalid = app
        .search(
            &token,
            &[
                ("beneficiary:identifier", &format!("{KVID}|A123456789")),
                ("einwilligung", "insured_present"),
            ],
        )
        .await;
    let invalid: Value = invalid.json().await.unwrap();
    validated_by_fhir_resources(&[
        ("bundle", "Bundle", &both),
        ("bundle", "Bundle", &last_year_only),
        ("bundle", "Bundle", &unknown),
        ("capabilitystatement", "CapabilityStatement", &metadata),
        ("operationoutcome", "OperationOutcome", &invalid),
    ]);
}

async fn every_bad_assertion_is_refused_as_invalid_client_without_saying_why(app: TestApp) {
    let software = app.software().await;
    let refused = |response: Response| async move {
        let status = response.status();
        let body: Value = response.json().await.unwrap();
        assert_eq!(body, json!({"error": "invalid_client"}));
        status
    };
    let now = app.clock_now().unix_timestamp();

    // A replayed jti: the first use works, the second does not.
    let once = signed(&software, &app.claims(&software));
    assert_eq!(app.token_response(&once, SCOPE).await.status(), StatusCode::OK);
    assert_eq!(refused(app.token_response(&once, SCOPE).await).await, StatusCode::UNAUTHORIZED);

    let with = |change: &dyn Fn(&mut Value)| {
        let mut claims = app.claims(&software);
        change(&mut claims);
        signed(&software, &claims)
    };
    let cases: Vec<(&str, String)> = vec![
        ("expired", with(&|c| c["exp"] = json!(now - 1))),
        ("far future", with(&|c| c["exp"] = json!(now + 301))),
        ("wrong aud", with(&|c| c["aud"] = json!("https://portal.example/fhir"))),
        ("sub not iss", with(&|c| c["sub"] = json!(ClientId::new().to_string()))),
        ("no jti", with(&|c| c.as_object_mut().unwrap().retain(|k, _| k != "jti"))),
        ("unknown client", {
            let other = ClientId::new().to_string();
            with(&|c| {
                c["iss"] = json!(other);
                c["sub"] = json!(other);
            })
        }),
        ("a key not in the JWKS", {
            let (pkcs8, _) = new_key("key-1");
            signed(&Software { pkcs8, ..software_like(&software) }, &app.claims(&software))
        }),
        (
            "another kid",
            signed(
                &Software { kid: "key-2".into(), ..software_like(&software) },
                &app.claims(&software),
            ),
        ),
        ("alg none", {
            let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT","kid":"key-1"}"#);
            let claims = URL_SAFE_NO_PAD.encode(app.claims(&software).to_string());
            format!("{header}.{claims}.")
        }),
        ("HS256 with the public key as secret", {
            let registered =
                app.clients().registry.client(&software.client_id).await.unwrap().unwrap();
            let public = registered.jwks.as_str().to_string();
            let mut header = Header::new(Algorithm::HS256);
            header.kid = Some("key-1".into());
            let secret = EncodingKey::from_secret(public.as_bytes()).unwrap();
            encode(&header, &app.claims(&software), &secret).unwrap()
        }),
        ("not a JWT", "a.b.c".into()),
    ];
    for (what, assertion) in cases {
        let status = refused(app.token_response(&assertion, SCOPE).await).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{what}");
    }
    // A wrong grant type is a malformed request.
    let form = [("grant_type", "password"), ("client_assertion", once.as_str())];
    let response = app.http.post(app.url("/oauth/token")).form(&form).send().await.unwrap();
    assert_eq!(refused(response).await, StatusCode::BAD_REQUEST);

    // A revoked client gets no token, and the token it has stops working.
    let token = app.access_token(&software, SCOPE).await;
    assert!(app.clients().revoke(&software.client_id).await.unwrap());
    let fresh = signed(&software, &app.claims(&software));
    assert_eq!(refused(app.token_response(&fresh, SCOPE).await).await, StatusCode::UNAUTHORIZED);
    let search = app.search(&token, &[("einwilligung", "insured_present")]).await;
    assert_eq!(
        outcome(search).await,
        (StatusCode::UNAUTHORIZED, "login".into(), "invalid_token".into())
    );
}

/// The same software's key and id, to change one part.
fn software_like(software: &Software) -> Software {
    Software {
        pkcs8: software.pkcs8.clone(),
        kid: software.kid.clone(),
        client_id: software.client_id,
    }
}

async fn searches_without_a_valid_token_scope_or_parameters_answer_operation_outcomes(
    app: TestApp,
) {
    app.with_exemptions().await;
    let software = app.software().await;
    let good = [
        ("beneficiary:identifier", "http://fhir.de/sid/gkv/kvid-10|A123456780"),
        ("einwilligung", "insured_present"),
    ];

    let none = app.http.post(app.url("/fhir/Coverage/_search")).form(&good).send().await.unwrap();
    assert_eq!(none.headers()["www-authenticate"], "Bearer");
    assert_eq!(
        outcome(none).await,
        (StatusCode::UNAUTHORIZED, "login".into(), "invalid_token".into())
    );
    let forged = app.search("eyJhbGciOiJFUzI1NiJ9.e30.AAAA", &good).await;
    assert_eq!(outcome(forged).await.0, StatusCode::UNAUTHORIZED);

    // A token for another scope only: valid, but not for this.
    let narrow = app.access_token(&software, "system/Patient.rs").await;
    let forbidden = app.search(&narrow, &good).await;
    assert_eq!(
        outcome(forbidden).await,
        (StatusCode::FORBIDDEN, "forbidden".into(), "insufficient_scope".into())
    );

    let token = app.access_token(&software, SCOPE).await;
    let bad_kvnr = [
        ("beneficiary:identifier", "http://fhir.de/sid/gkv/kvid-10|A123456789"),
        ("einwilligung", "insured_present"),
    ];
    assert_eq!(
        outcome(app.search(&token, &bad_kvnr).await).await,
        (StatusCode::BAD_REQUEST, "invalid".into(), "invalid_kvnr".into())
    );
    let no_consent = [("beneficiary:identifier", "http://fhir.de/sid/gkv/kvid-10|A123456780")];
    assert_eq!(
        outcome(app.search(&token, &no_consent).await).await,
        (StatusCode::BAD_REQUEST, "required".into(), "consent_required".into())
    );
    let future = [good[0], good[1], ("dispensing-date", "2026-05-05")];
    assert_eq!(outcome(app.search(&token, &future).await).await.2, "invalid_dispensing_date");
    let on_day = [good[0], good[1], ("dispensing-date", "2026-03-14")];
    assert_eq!(app.search(&token, &on_day).await.status(), StatusCode::OK);

    // Only JSON, and only a form: the KVNR never in a URL.
    let xml = app
        .http
        .post(app.url("/fhir/Coverage/_search"))
        .bearer_auth(&token)
        .header("accept", "application/fhir+xml")
        .form(&good)
        .send()
        .await
        .unwrap();
    assert_eq!(outcome(xml).await.0, StatusCode::NOT_ACCEPTABLE);
    for accept in ["application/json", "*/*"] {
        let response = app
            .http
            .post(app.url("/fhir/Coverage/_search"))
            .bearer_auth(&token)
            .header("accept", accept)
            .form(&good)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{accept}");
    }
    let json_body = app
        .http
        .post(app.url("/fhir/Coverage/_search"))
        .bearer_auth(&token)
        .json(&json!({"beneficiary:identifier": good[0].1}))
        .send()
        .await
        .unwrap();
    assert_eq!(outcome(json_body).await.0, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let unknown_path = app.http.get(app.url("/fhir/Patient")).send().await.unwrap();
    assert_eq!(outcome(unknown_path).await.0, StatusCode::NOT_FOUND);

    // Tokens expire after five minutes.
    app.clock.advance(Duration::seconds(301));
    assert_eq!(outcome(app.search(&token, &good).await).await.0, StatusCode::UNAUTHORIZED);
}

async fn web_and_api_queries_share_one_audit_chain_and_one_quota(app: TestApp) {
    let session = app.provider_session().await;
    let software = app.software().await;
    let token = app.access_token(&software, SCOPE).await;
    app.answer(&session, json!({"kvnr": "A121212122", "consent": "insured_present"})).await;
    app.bundle(&token, "A121212122").await;
    app.bundle(&token, "C345678908").await;
    // The fourth query of the day, over either channel, is one too many.
    let over = app
        .search(
            &token,
            &[
                ("beneficiary:identifier", &format!("{KVID}|A121212122")),
                ("einwilligung", "insured_present"),
            ],
        )
        .await;
    assert!(over.headers().contains_key("retry-after"));
    assert_eq!(
        outcome(over).await,
        (StatusCode::TOO_MANY_REQUESTS, "throttled".into(), "rate_limited".into())
    );
    let web = app.ask(&session, json!({"kvnr": "A121212122", "consent": "insured_present"})).await;
    assert_eq!(web.status(), StatusCode::TOO_MANY_REQUESTS);

    let ik = Ik::parse(IK).unwrap();
    let chain = intact(app.stores.audit.audit_of_ik(&ik).await.unwrap());
    let channels: Vec<Channel> = chain.iter().map(|r| r.channel).collect();
    assert_eq!(channels, [Channel::Web, Channel::Api, Channel::Api]);
    assert!(chain.iter().all(|r| r.ik == ik));
    let verified = verify_audit(app.stores.audit.as_ref(), app.clock_now(), Duration::days(730))
        .await
        .unwrap();
    assert_eq!((verified.records, verified.problems), (3, vec![]));

    // The back office's tools on the same store (the local one): the listing names the
    // channel, and `portal audit verify` passes once anchored.
    if app.tenants[0].embedded.is_some() {
        let dir = app.data_dir.path();
        let listed = portal_command(dir).args(["audit", "--ik", IK, "--json"]).output().unwrap();
        let rows: Vec<Value> = serde_json::from_slice(&listed.stdout).unwrap();
        let listed: Vec<&str> = rows.iter().map(|r| r["channel"].as_str().unwrap()).collect();
        assert_eq!(listed, ["web", "api", "api"]);
        let table = portal_command(dir).args(["audit", "--ik", IK]).output().unwrap();
        assert!(String::from_utf8_lossy(&table.stdout).contains("Kanal"));
        assert!(portal_command(dir).args(["audit", "anchor"]).output().unwrap().status.success());
        let verify = portal_command(dir).args(["audit", "verify"]).output().unwrap();
        assert_eq!(
            String::from_utf8_lossy(&verify.stdout).trim(),
            "1 Protokollkette mit 3 Einträgen geprüft.\nKeine Auffälligkeiten.",
            "{}",
            String::from_utf8_lossy(&verify.stderr)
        );
    }
}

#[test]
fn the_back_office_adds_lists_and_revokes_clients() {
    let dir = tempfile::tempdir().unwrap();
    let (_, jwk) = new_key("key-1");
    let jwks = dir.path().join("jwks.json");
    std::fs::write(&jwks, json!({"keys": [jwk]}).to_string()).unwrap();
    let portal = |args: &[&str]| portal_command(dir.path()).args(args).output().unwrap();
    let jwks = jwks.to_str().unwrap();

    let added = portal(&["clients", "add", IK, "--jwks", jwks, "--json"]);
    assert!(added.status.success(), "{}", String::from_utf8_lossy(&added.stderr));
    let id: Value = serde_json::from_slice(&added.stdout).unwrap();
    let id = id["client_id"].as_str().unwrap().to_string();
    let plain = portal(&["clients", "add", IK, "--jwks", jwks]);
    let second = String::from_utf8_lossy(&plain.stdout).trim().to_string();
    assert!(ClientId::parse(&second).is_some(), "{second}");

    let listed = String::from_utf8_lossy(&portal(&["clients", "list", IK]).stdout).into_owned();
    assert!(
        listed.contains(&id) && listed.contains(&second) && listed.contains("key-1"),
        "{listed}"
    );
    assert!(portal(&["clients", "revoke", &id]).status.success());
    let listed = String::from_utf8_lossy(&portal(&["clients", "list"]).stdout).into_owned();
    let revoked = listed.lines().find(|l| l.starts_with(&id)).unwrap();
    assert!(!revoked.ends_with('–'), "{revoked}");
    assert!(!portal(&["clients", "revoke", &ClientId::new().to_string()]).status.success());

    // A private key, or no JWKS at all, is refused.
    std::fs::write(
        dir.path().join("bad.json"),
        r#"{"keys":[{"kty":"oct","kid":"s","k":"c2VjcmV0"}]}"#,
    )
    .unwrap();
    let bad =
        portal(&["clients", "add", IK, "--jwks", dir.path().join("bad.json").to_str().unwrap()]);
    assert!(!bad.status.success());
}

async fn a_provider_sees_its_clients_and_revokes_one_and_no_other_providers(app: TestApp) {
    let session = app.provider_session().await;
    let software = app.software().await;
    let token = app.access_token(&software, SCOPE).await;
    let listed: Vec<Value> =
        app.with_cookie(Method::GET, "/api/clients", &session, None).await.json().await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["client_id"], software.client_id.to_string());
    assert_eq!(listed[0]["keys"], json!(["key-1"]));
    assert!(listed[0].get("revoked_at").is_none());
    // Another provider's client does not exist for this one.
    let other =
        app.clients().register(Ik::parse("401612342").unwrap(), software_jwks()).await.unwrap();
    let path = format!("/api/clients/{}", other.id);
    let refused = app.with_cookie(Method::DELETE, &path, &session, None).await;
    assert_eq!(refused.status(), StatusCode::NOT_FOUND);
    assert!(app.clients().list(None).await.unwrap().iter().all(|c| c.revoked_at.is_none()));
    // Its own: revoked at once, and its token stops working.
    let path = format!("/api/clients/{}", software.client_id);
    let revoked = app.with_cookie(Method::DELETE, &path, &session, None).await;
    assert_eq!(revoked.status(), StatusCode::NO_CONTENT);
    let listed: Vec<Value> =
        app.with_cookie(Method::GET, "/api/clients", &session, None).await.json().await.unwrap();
    assert!(listed[0]["revoked_at"].is_string());
    let search = app
        .search(
            &token,
            &[
                ("beneficiary:identifier", &format!("{KVID}|A123456780")),
                ("einwilligung", "insured_present"),
            ],
        )
        .await;
    assert_eq!(search.status(), StatusCode::UNAUTHORIZED);
}

fn software_jwks() -> Jwks {
    Jwks::parse(&json!({"keys": [new_key("other-1").1]}).to_string()).unwrap()
}
