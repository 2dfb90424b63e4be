//! Passkeys as the second factor, over HTTP on both stores: registration, the login's second
//! step, re-authentication for changes, and the answers the portal must refuse. The
//! authenticator is a software one written here from the WebAuthn specification (P-256,
//! "none" attestation, user verified), not from the library the portal uses, so the two meet
//! only in the wire format a browser sends.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use reqwest::{Method, Response, StatusCode};
use ring::digest::{SHA256, digest};
use ring::rand::{SecureRandom as _, SystemRandom};
use ring::signature::{ECDSA_P256_SHA256_ASN1_SIGNING, EcdsaKeyPair, KeyPair as _};
use serde_json::{Value, json};
use time::Duration;

use crate::api::{IK, STRONG, cookie, problem};
use crate::harness::TestApp;
use crate::second_factor::active_with_codes;

on_both_apps! {
    a_passkey_is_registered_and_then_asked_for_at_every_login,
    a_passkey_answer_counts_once_only_for_the_session_that_asked_and_only_for_five_minutes,
    removing_the_passkey_or_changing_the_password_needs_the_passkey,
}

/// The portal's address in the test configuration: the passkeys' origin and scope.
const ORIGIN: &str = "https://portal.example";

/// A software authenticator with one P-256 credential.
struct SoftPasskey {
    key: EcdsaKeyPair,
    id: Vec<u8>,
    counter: u32,
}

impl SoftPasskey {
    fn new() -> SoftPasskey {
        let rng = SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, &rng).unwrap();
        let key = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, pkcs8.as_ref(), &rng)
            .unwrap();
        let mut id = vec![0; 16];
        rng.fill(&mut id).unwrap();
        SoftPasskey { key, id, counter: 0 }
    }

    /// `navigator.credentials.create` for `options`, as `credential.toJSON()` gives it.
    fn create(&mut self, options: &Value) -> Value {
        assert_eq!(options["rp"]["id"], "portal.example");
        assert_eq!(options["authenticatorSelection"]["userVerification"], "required");
        let client_data = client_data("webauthn.create", options);
        // The public key as COSE: kty EC2, alg ES256, crv P-256, x, y.
        let point = self.key.public_key().as_ref();
        let mut cose = cbor_head(5, 5);
        cose.extend([0x01, 0x02, 0x03, 0x26, 0x20, 0x01]);
        cose.push(0x21);
        cose.extend(cbor_bytes(&point[1..33]));
        cose.push(0x22);
        cose.extend(cbor_bytes(&point[33..65]));
        // Flags: user present, user verified, attested credential data.
        let mut auth_data = self.auth_data(0x45);
        auth_data.extend([0; 16]);
        auth_data.extend(u16::try_from(self.id.len()).unwrap().to_be_bytes());
        auth_data.extend(&self.id);
        auth_data.extend(cose);
        let mut attestation = cbor_head(5, 3);
        attestation.extend(cbor_text("fmt"));
        attestation.extend(cbor_text("none"));
        attestation.extend(cbor_text("attStmt"));
        attestation.extend(cbor_head(5, 0));
        attestation.extend(cbor_text("authData"));
        attestation.extend(cbor_bytes(&auth_data));
        json!({
            "id": B64.encode(&self.id),
            "rawId": B64.encode(&self.id),
            "type": "public-key",
            "response": {
                "clientDataJSON": B64.encode(&client_data),
                "attestationObject": B64.encode(&attestation),
                "transports": ["internal"],
            },
            "clientExtensionResults": {},
        })
    }

    /// `navigator.credentials.get` for `options`, as `credential.toJSON()` gives it.
    fn get(&mut self, options: &Value) -> Value {
        assert_eq!(options["rpId"], "portal.example");
        let allowed = options["allowCredentials"][0]["id"].as_str().unwrap();
        assert_eq!(allowed, B64.encode(&self.id), "the portal asks for this passkey");
        let client_data = client_data("webauthn.get", options);
        self.counter += 1;
        // Flags: user present, user verified.
        let auth_data = self.auth_data(0x05);
        let signed = [auth_data.as_slice(), digest(&SHA256, &client_data).as_ref()].concat();
        let signature = self.key.sign(&SystemRandom::new(), &signed).unwrap();
        json!({
            "id": B64.encode(&self.id),
            "rawId": B64.encode(&self.id),
            "type": "public-key",
            "response": {
                "clientDataJSON": B64.encode(&client_data),
                "authenticatorData": B64.encode(&auth_data),
                "signature": B64.encode(signature.as_ref()),
            },
            "clientExtensionResults": {},
        })
    }

    fn auth_data(&self, flags: u8) -> Vec<u8> {
        let mut data = digest(&SHA256, b"portal.example").as_ref().to_vec();
        data.push(flags);
        data.extend(self.counter.to_be_bytes());
        data
    }
}

fn client_data(kind: &str, options: &Value) -> Vec<u8> {
    let challenge = options["challenge"].as_str().unwrap();
    json!({"type": kind, "challenge": challenge, "origin": ORIGIN, "crossOrigin": false})
        .to_string()
        .into_bytes()
}

fn cbor_head(major: u8, len: usize) -> Vec<u8> {
    match len {
        0..24 => vec![major << 5 | len as u8],
        24..256 => vec![major << 5 | 24, len as u8],
        _ => [vec![major << 5 | 25], u16::try_from(len).unwrap().to_be_bytes().to_vec()].concat(),
    }
}

fn cbor_bytes(bytes: &[u8]) -> Vec<u8> {
    [cbor_head(2, bytes.len()), bytes.to_vec()].concat()
}

fn cbor_text(text: &str) -> Vec<u8> {
    [cbor_head(3, text.len()), text.as_bytes().to_vec()].concat()
}

async fn json_of(response: Response) -> Value {
    response.json().await.unwrap()
}

/// The options and state of a ceremony begun at `path`.
async fn ceremony(app: &TestApp, path: &str, session: &str) -> (Value, String) {
    let begun = app.with_cookie(Method::POST, path, session, None).await;
    assert_eq!(begun.status(), StatusCode::OK, "{path}");
    let body = json_of(begun).await;
    (body["options"].clone(), body["state"].as_str().unwrap().to_string())
}

/// An active provider with a passkey: the passkey, the recovery codes and the new session.
async fn registered(app: &TestApp) -> (SoftPasskey, Vec<String>, String) {
    let (_, session) = app.active().await;
    let mut passkey = SoftPasskey::new();
    let (options, state) = ceremony(app, "/api/second-factor/passkey", &session).await;
    let body = json!({"state": state, "credential": passkey.create(&options), "password": STRONG});
    let confirmed = app
        .with_cookie(Method::POST, "/api/second-factor/passkey/confirm", &session, Some(body))
        .await;
    let (session, codes) = active_with_codes(confirmed).await;
    (passkey, codes, session)
}

async fn half_logged_in(app: &TestApp) -> String {
    let response = app.login(IK, STRONG).await;
    assert_eq!(response.status(), StatusCode::OK);
    let half = cookie(&response);
    let body = json_of(response).await;
    assert_eq!(
        (&body["second_factor_required"], &body["second_factor"]),
        (&json!(true), &json!("passkey"))
    );
    half
}

async fn second_step(app: &TestApp, half: &str, state: &str, credential: Value) -> Response {
    let body = json!({"state": state, "credential": credential});
    app.with_cookie(Method::POST, "/api/session/second-factor/passkey", half, Some(body)).await
}

async fn a_passkey_is_registered_and_then_asked_for_at_every_login(app: TestApp) {
    let (_, session) = app.active().await;
    let status = json_of(app.with_cookie(Method::GET, "/api/session", &session, None).await).await;
    assert_eq!(
        (&status["passkeys_offered"], &status["second_factor"]),
        (&json!(true), &Value::Null)
    );
    let mut passkey = SoftPasskey::new();
    let (options, state) = ceremony(&app, "/api/second-factor/passkey", &session).await;
    // A registration is confirmed with the password, as for an authenticator app.
    let no_password = json!({"state": state, "credential": passkey.create(&options)});
    let (status, body) = problem(
        app.with_cookie(
            Method::POST,
            "/api/second-factor/passkey/confirm",
            &session,
            Some(no_password),
        )
        .await,
    )
    .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("field_required"))
    );
    // Nothing is stored until then: a login asks for no second step yet.
    let login = json_of(app.login(IK, STRONG).await).await;
    assert_eq!(login["second_factor_required"], false);
    let body = json!({"state": state, "credential": passkey.create(&options), "password": STRONG});
    let confirmed = app
        .with_cookie(Method::POST, "/api/second-factor/passkey/confirm", &session, Some(body))
        .await;
    assert_eq!(confirmed.status(), StatusCode::OK);
    let session = cookie(&confirmed);
    let status = json_of(app.with_cookie(Method::GET, "/api/session", &session, None).await).await;
    assert_eq!(status["second_factor"], "passkey");
    // A second factor while one is active: no.
    let again = app.with_cookie(Method::POST, "/api/second-factor/totp", &session, None).await;
    assert_eq!(again.status(), StatusCode::CONFLICT);

    let half = half_logged_in(&app).await;
    // The half-logged-in session may ask nothing else.
    let query = app.with_cookie(Method::GET, "/api/sessions", &half, None).await;
    assert_eq!(query.status(), StatusCode::UNAUTHORIZED);
    // An authenticator app's code is no answer for a passkey.
    let code = json!({"code": "123456"});
    let (status, body) = problem(
        app.with_cookie(Method::POST, "/api/session/second-factor", &half, Some(code)).await,
    )
    .await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::UNAUTHORIZED, Some("invalid_code")));
    let (options, state) = ceremony(&app, "/api/session/passkey", &half).await;
    let response = second_step(&app, &half, &state, passkey.get(&options)).await;
    assert_eq!(response.status(), StatusCode::OK);
    let full = cookie(&response);
    assert_ne!(full, half, "a new session after the second step");
    let body = json_of(response).await;
    assert_eq!((&body["ik"], &body["second_factor_required"]), (&json!(IK), &json!(false)));
    let sessions = app.with_cookie(Method::GET, "/api/sessions", &full, None).await;
    assert_eq!(sessions.status(), StatusCode::OK);
    let history =
        json_of(app.with_cookie(Method::GET, "/api/account/history", &full, None).await).await;
    let events: Vec<&str> =
        history.as_array().unwrap().iter().filter_map(|e| e["event"].as_str()).collect();
    assert!(events.contains(&"factor_enrolled") && events.contains(&"login"), "{events:?}");
}

async fn a_passkey_answer_counts_once_only_for_the_session_that_asked_and_only_for_five_minutes(
    app: TestApp,
) {
    let (mut passkey, _, _) = registered(&app).await;
    let half = half_logged_in(&app).await;
    let other = half_logged_in(&app).await;
    let (options, state) = ceremony(&app, "/api/session/passkey", &half).await;
    let answer = passkey.get(&options);
    // Another session cannot use this session's ceremony.
    let (status, body) = problem(second_step(&app, &other, &state, answer.clone()).await).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("invalid_passkey"))
    );
    // Another key's signature for this passkey's id is refused.
    let mut impostor = SoftPasskey::new();
    impostor.id.clone_from(&passkey.id);
    let (status, body) =
        problem(second_step(&app, &half, &state, impostor.get(&options)).await).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("invalid_passkey"))
    );
    // A state that is not the portal's: refused, and nothing without a credential.
    let (status, _) =
        problem(second_step(&app, &half, "bm90LWEtc3RhdGU", answer.clone()).await).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, body) = problem(second_step(&app, &half, &state, Value::Null).await).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("field_required"))
    );
    // The right answer logs in once; the same answer again (in the other session) does not.
    let response = second_step(&app, &half, &state, answer.clone()).await;
    assert_eq!(response.status(), StatusCode::OK);
    let (status, _) = problem(second_step(&app, &other, &state, answer).await).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    // A ceremony answered after five minutes is refused.
    let late = half_logged_in(&app).await;
    let (options, state) = ceremony(&app, "/api/session/passkey", &late).await;
    let answer = passkey.get(&options);
    app.clock.advance(Duration::minutes(5) + Duration::seconds(2));
    let (status, body) = problem(second_step(&app, &late, &state, answer).await).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("invalid_passkey"))
    );
}

async fn removing_the_passkey_or_changing_the_password_needs_the_passkey(app: TestApp) {
    let (mut passkey, codes, session) = registered(&app).await;
    // A password change asks for the passkey's answer.
    let change =
        json!({"current_password": STRONG, "new_password": "Ein neues, langes Kennwort 2026!"});
    let (status, body) = problem(
        app.with_cookie(Method::POST, "/api/password", &session, Some(change.clone())).await,
    )
    .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("field_required"))
    );
    let (options, state) = ceremony(&app, "/api/session/passkey", &session).await;
    let mut with_passkey = change;
    with_passkey["passkey"] = json!({"state": state, "credential": passkey.get(&options)});
    let changed =
        app.with_cookie(Method::POST, "/api/password", &session, Some(with_passkey)).await;
    assert_eq!(changed.status(), StatusCode::NO_CONTENT);
    let session = cookie(&changed);
    let password = "Ein neues, langes Kennwort 2026!";

    // The authenticator app's route does not remove a passkey.
    let totp = json!({"password": password, "recovery_code": codes[0]});
    let (status, body) = problem(
        app.with_cookie(Method::DELETE, "/api/second-factor/totp", &session, Some(totp)).await,
    )
    .await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::CONFLICT, Some("no_second_factor")));
    // A wrong password with a right answer: refused, the passkey stays.
    let (options, state) = ceremony(&app, "/api/session/passkey", &session).await;
    let wrong = json!({"password": STRONG, "passkey": {"state": state, "credential": passkey.get(&options)}});
    let (status, body) = problem(
        app.with_cookie(Method::DELETE, "/api/second-factor/passkey", &session, Some(wrong)).await,
    )
    .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("invalid_password"))
    );
    let (options, state) = ceremony(&app, "/api/session/passkey", &session).await;
    let right = json!({"password": password, "passkey": {"state": state, "credential": passkey.get(&options)}});
    let removed =
        app.with_cookie(Method::DELETE, "/api/second-factor/passkey", &session, Some(right)).await;
    assert_eq!(removed.status(), StatusCode::NO_CONTENT);
    let login = json_of(app.login(IK, password).await).await;
    assert_eq!(
        (&login["second_factor_required"], &login["second_factor"]),
        (&json!(false), &Value::Null)
    );
}
