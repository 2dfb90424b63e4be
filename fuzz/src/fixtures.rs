//! A fixed P-256 key for the JWT targets, made for the fuzzer alone (it signs nothing of the
//! portal's): fixed so that the signed seeds in the corpus stay valid from run to run.

use std::sync::OnceLock;

use async_trait::async_trait;
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use jsonwebtoken::jwk::JwkSet;
use portal_core::model::ClientId;
use portal_core::ports::{StoreError, TokenSigner};
use portal_core::proofs::{ProofClaims, ProofYear, salted_kvnr};
use portal_domain::Kvnr;
use ring::rand::SystemRandom;
use ring::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair as _};
use time::OffsetDateTime;
use time::macros::datetime;

/// The fuzz targets' clock: the seeds' assertions are valid at this moment.
pub const NOW: OffsetDateTime = datetime!(2026-05-04 08:00 UTC);

const KID: &str = "fuzz-key";
const PKCS8: &str = "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgpPzS43tcqnqcitamd7CdT8NfzyIS1zdX+sZzeGe8FZ+hRANCAAQ0Sx5zplC4hkazYzkgPxaVLEpjfTsddeKMtPumskckSd4cf9qILBQQeGjPps8bWyUxmrue1riTNhAATmEq4hRo";
/// The registered client the assertions speak for.
const CLIENT_ID: &str = "01JD0000000000000000000F2Z";

fn pair() -> &'static EcdsaKeyPair {
    static PAIR: OnceLock<EcdsaKeyPair> = OnceLock::new();
    PAIR.get_or_init(|| {
        let pkcs8 = STANDARD.decode(PKCS8).expect("base64");
        EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &pkcs8, &SystemRandom::new())
            .expect("a P-256 key")
    })
}

pub fn client_id() -> ClientId {
    ClientId::parse(CLIENT_ID).expect("a ULID")
}

pub fn public_keys_text() -> String {
    let point = pair().public_key().as_ref();
    serde_json::json!({"keys": [{
        "kty": "EC", "crv": "P-256", "alg": "ES256", "use": "sig", "kid": KID,
        "x": URL_SAFE_NO_PAD.encode(&point[1..33]), "y": URL_SAFE_NO_PAD.encode(&point[33..65]),
    }]})
    .to_string()
}

pub fn public_keys() -> &'static JwkSet {
    static KEYS: OnceLock<JwkSet> = OnceLock::new();
    KEYS.get_or_init(|| serde_json::from_str(&public_keys_text()).expect("a JWKS"))
}

pub struct Key;

#[async_trait]
impl TokenSigner for Key {
    fn key_id(&self) -> &str {
        KID
    }
    async fn sign(&self, message: &[u8]) -> Result<Vec<u8>, StoreError> {
        let signature = pair().sign(&SystemRandom::new(), message).expect("a signature");
        Ok(signature.as_ref().to_vec())
    }
    fn public_keys(&self) -> JwkSet {
        public_keys().clone()
    }
}

fn signed(header: serde_json::Value, claims: serde_json::Value) -> String {
    let part = |value: &serde_json::Value| URL_SAFE_NO_PAD.encode(value.to_string());
    let message = format!("{}.{}", part(&header), part(&claims));
    let signature = pair().sign(&SystemRandom::new(), message.as_bytes()).expect("a signature");
    format!("{message}.{}", URL_SAFE_NO_PAD.encode(signature.as_ref()))
}

/// A client assertion the token endpoint accepts at [`NOW`] (a seed of `client_assertion`).
pub fn seed_assertion() -> String {
    let now = NOW.unix_timestamp();
    signed(
        serde_json::json!({"alg": "ES256", "typ": "JWT", "kid": KID}),
        serde_json::json!({
            "iss": CLIENT_ID, "sub": CLIENT_ID, "aud": "https://portal.example/oauth/token",
            "exp": now + 240, "iat": now, "jti": "01JD0000000000000000000J7T",
        }),
    )
}

/// A genuine proof about `kvnr` (a seed of `proof`).
pub fn seed_proof(kvnr: &str) -> String {
    let (kvnr_salt, kvnr_sha256) = salted_kvnr(&Kvnr::parse(kvnr).expect("a KVNR"));
    let claims = ProofClaims {
        iss: "https://portal.example".into(),
        iat: NOW.unix_timestamp(),
        query_id: "01JD0000000000000000000001".into(),
        insurer_ik: "109999994".into(),
        provider_ik: "301412340".into(),
        audit_seq: 1,
        channel: "web".into(),
        kvnr_salt,
        kvnr_sha256,
        found: true,
        years: vec![ProofYear {
            year: 2026,
            exempt: true,
            valid_from: Some("2026-03-14".into()),
            valid_to: Some("2026-12-31".into()),
        }],
        dispensing_date: None,
        exempt_on_dispensing_date: None,
    };
    let runtime = tokio::runtime::Builder::new_current_thread().build().expect("a runtime");
    runtime.block_on(portal_core::proofs::sign(&Key, &claims)).expect("a signed proof")
}
