//! The signed proof of an answered exemption query (*Zuzahlungsnachweis*): a compact JWS (ES256)
//! the portal signs once the query is recorded, which the provider keeps for billing and anyone
//! can check later, with the portal's published keys and the patient's KVNR.
//!
//! It states who asked (the provider's IK), whom (a salted SHA-256 of the KVNR, never the KVNR),
//! of which insurer, when, for which day of dispensing, and the years and statuses shown; and
//! where the query sits in the provider's audit chain, so that the insurer can find the record
//! it stands for.

use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation, decode, decode_header};
use portal_domain::{ClientAddress, Ik, Kvnr};
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};
use time::Duration;

use crate::model::{AuditRow, Counter, Tenant};
use crate::ports::{AuditLog, Clock, Limits, StoreError, TokenSigner};

/// The proof's `typ` (RFC 8725 §3.11: an explicit type, so that no other JWT of the portal, such
/// as an access token, passes for a proof, nor a proof for one).
pub const PROOF_TYPE: &str = "zuzahlungsnachweis+jwt";
/// Checks of proofs per client address and minute (`POST /api/proofs/verify` is public).
pub const CHECKS_PER_CLIENT_PER_MINUTE: u32 = 30;
/// Bytes of the random salt of the KVNR's hash, one per proof.
const SALT_BYTES: usize = 16;

/// What a proof states: its payload, as signed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProofClaims {
    /// The insurer's portal (its public address).
    pub iss: String,
    /// When the answer was given (seconds since 1970).
    pub iat: i64,
    /// The query's id, as the audit log records it.
    pub query_id: String,
    /// The insurer's IK (the payor).
    pub insurer_ik: String,
    /// The IK of the provider who asked.
    pub provider_ik: String,
    /// The record's place in the provider's audit chain.
    pub audit_seq: u64,
    /// `web` or `api`.
    pub channel: String,
    /// base64url of the random salt.
    pub kvnr_salt: String,
    /// base64url of SHA-256(salt ‖ KVNR as its 10 ASCII characters).
    pub kvnr_sha256: String,
    /// False: the insurer had no exemption on record for this person.
    pub found: bool,
    /// The years shown, each exempt or not (empty when not found).
    pub years: Vec<ProofYear>,
    /// The day of dispensing asked about (`YYYY-MM-DD`), if one was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dispensing_date: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exempt_on_dispensing_date: Option<bool>,
}

/// One shown year, as stated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProofYear {
    pub year: i32,
    pub exempt: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_from: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_to: Option<String>,
}

/// A new salt and the KVNR's hash with it, both base64url.
pub fn salted_kvnr(kvnr: &Kvnr) -> (String, String) {
    let salt: [u8; SALT_BYTES] = rand::random();
    (URL_SAFE_NO_PAD.encode(salt), kvnr_hash(&salt, kvnr.as_str()))
}

fn kvnr_hash(salt: &[u8], kvnr: &str) -> String {
    let mut hasher = Sha256::new();
    hasher.update(salt);
    hasher.update(kvnr.as_bytes());
    URL_SAFE_NO_PAD.encode(hasher.finalize())
}

/// Signs `claims` as a compact JWS with `signer`'s key.
pub async fn sign(signer: &dyn TokenSigner, claims: &ProofClaims) -> Result<String, StoreError> {
    let header = serde_json::json!({"alg": "ES256", "typ": PROOF_TYPE, "kid": signer.key_id()});
    let part = |value: &serde_json::Value| {
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(value).unwrap_or_default())
    };
    let payload = serde_json::to_value(claims).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let message = format!("{}.{}", part(&header), part(&payload));
    let signature = signer.sign(message.as_bytes()).await?;
    Ok(format!("{message}.{}", URL_SAFE_NO_PAD.encode(signature)))
}

/// What checking a proof found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Signed with a published key, and about the KVNR given.
    Genuine,
    /// Not a proof at all: not a JWS, another type or algorithm, no key id.
    NotAProof,
    /// Signed with a key that is not published (not the portal's).
    UnknownKey,
    /// The signature does not hold: changed, or forged.
    BadSignature,
    /// Genuine, but about another person than the KVNR given.
    OtherKvnr,
}

/// A proof checked against keys and a KVNR: the verdict, and what it states wherever the
/// signature holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checked {
    pub verdict: Verdict,
    pub claims: Option<ProofClaims>,
}

/// Checks `proof` with `keys` (the published JWKS) and `kvnr` (as typed: spaces and case do not
/// matter). Needs nothing else, so it works offline.
pub fn check(proof: &str, kvnr: &str, keys: &JwkSet) -> Checked {
    let fail = |verdict| Checked { verdict, claims: None };
    let proof = proof.trim();
    let Ok(header) = decode_header(proof) else { return fail(Verdict::NotAProof) };
    if header.alg != Algorithm::ES256 || header.typ.as_deref() != Some(PROOF_TYPE) {
        return fail(Verdict::NotAProof);
    }
    let Some(kid) = header.kid else { return fail(Verdict::NotAProof) };
    let Some(key) = keys.find(&kid) else { return fail(Verdict::UnknownKey) };
    let Ok(key) = DecodingKey::from_jwk(key) else { return fail(Verdict::UnknownKey) };
    let mut validation = Validation::new(Algorithm::ES256);
    validation.required_spec_claims.clear();
    validation.validate_exp = false;
    validation.validate_nbf = false;
    validation.validate_aud = false;
    let Ok(claims) = decode::<ProofClaims>(proof, &key, &validation).map(|d| d.claims) else {
        return fail(Verdict::BadSignature);
    };
    let typed: String = kvnr.chars().filter(|c| !c.is_whitespace()).collect();
    let salt = URL_SAFE_NO_PAD.decode(&claims.kvnr_salt).unwrap_or_default();
    let matches = Kvnr::parse(&typed).is_ok_and(|kvnr| {
        !salt.is_empty() && kvnr_hash(&salt, kvnr.as_str()) == claims.kvnr_sha256
    });
    let verdict = if matches { Verdict::Genuine } else { Verdict::OtherKvnr };
    Checked { verdict, claims: Some(claims) }
}

/// A proof checked at one insurer's portal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verification {
    pub checked: Checked,
    /// The insurer's audit log holds the query: the record at the proof's place in the
    /// provider's chain is intact and is that query, about that KVNR.
    pub in_audit_log: bool,
}

impl Verification {
    pub fn genuine(&self) -> bool {
        self.checked.verdict == Verdict::Genuine
    }
}

#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    /// This client's checks of the minute are used up.
    #[error("too many proof checks from this client")]
    TooMany { retry_after: Duration },
    /// Not a proof signed with this deployment's keys (a QR code is made only of those).
    #[error("not a proof of this portal")]
    NotAProof,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Checking proofs at one insurer's portal (`POST /api/proofs/verify`), and the keys they are
/// checked with.
#[derive(Clone)]
pub struct Proofs {
    pub tenant: Arc<Tenant>,
    pub audit: Arc<dyn AuditLog>,
    pub limits: Arc<dyn Limits>,
    pub clock: Arc<dyn Clock>,
    /// Signs the proofs; without one no query is answered (the Lambdas have none yet).
    pub signer: Option<Arc<dyn TokenSigner>>,
}

impl Proofs {
    /// The public keys proofs are checked with (the signing one first).
    pub fn public_keys(&self) -> JwkSet {
        self.signer.as_ref().map(|s| s.public_keys()).unwrap_or_default()
    }

    /// Checks `proof` for `kvnr` and looks the query up in this insurer's audit log.
    pub async fn verify(
        &self,
        client: ClientAddress,
        proof: &str,
        kvnr: &str,
    ) -> Result<Verification, VerifyError> {
        self.count(client).await?;
        let checked = check(proof, kvnr, &self.public_keys());
        let in_audit_log = match (&checked.verdict, &checked.claims) {
            (Verdict::Genuine, Some(claims)) => self.recorded(claims, kvnr).await?,
            _ => false,
        };
        tracing::info!(
            verdict = ?checked.verdict,
            in_audit_log,
            tenant = %self.tenant.slug,
            "proof checked"
        );
        Ok(Verification { checked, in_audit_log })
    }

    /// The proof as a QR code (SVG) for the print view, so it can be read back from paper.
    /// Only a proof signed with one of this portal's keys: the portal is no QR service. Counted
    /// per client like the checks.
    pub async fn qr_svg(&self, client: ClientAddress, proof: &str) -> Result<String, VerifyError> {
        self.count(client).await?;
        // The KVNR is not given here: a proof of another KVNR is still signed by us.
        let checked = check(proof, "", &self.public_keys());
        if !matches!(checked.verdict, Verdict::Genuine | Verdict::OtherKvnr) {
            return Err(VerifyError::NotAProof);
        }
        let code =
            qrcode::QrCode::new(proof.trim().as_bytes()).map_err(|_| VerifyError::NotAProof)?;
        Ok(code
            .render::<qrcode::render::svg::Color<'_>>()
            .min_dimensions(240, 240)
            .dark_color(qrcode::render::svg::Color("#000000"))
            .light_color(qrcode::render::svg::Color("#ffffff"))
            .build())
    }

    /// Counts one check of `client`, or says when it may check again.
    async fn count(&self, client: ClientAddress) -> Result<(), VerifyError> {
        let now = self.clock.now();
        let counter = Counter::proof_checks_of(client, now);
        let counted = self
            .limits
            .try_count(&counter.key(), CHECKS_PER_CLIENT_PER_MINUTE, counter.window_ends())
            .await?;
        match counted {
            true => Ok(()),
            false => Err(VerifyError::TooMany { retry_after: counter.window_ends() - now }),
        }
    }

    /// Whether this insurer's log holds the query the proof names.
    async fn recorded(&self, claims: &ProofClaims, kvnr: &str) -> Result<bool, StoreError> {
        if claims.insurer_ik != self.tenant.ik.as_str() {
            return Ok(false);
        }
        let typed: String = kvnr.chars().filter(|c| !c.is_whitespace()).collect();
        let (Ok(provider), Ok(kvnr)) = (Ik::parse(&claims.provider_ik), Kvnr::parse(&typed)) else {
            return Ok(false);
        };
        Ok(match self.audit.audit_record(&provider, claims.audit_seq).await? {
            Some(AuditRow::Intact(record)) => {
                record.query_id.to_string() == claims.query_id
                    && record.kvnr == kvnr
                    && record.computed_hash() == record.hash
            }
            _ => false,
        })
    }
}

#[cfg(test)]
mod tests {
    use async_trait::async_trait;
    use ring::rand::SystemRandom;
    use ring::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair as _};

    use super::*;

    struct Key(EcdsaKeyPair, &'static str);

    impl Key {
        fn new(kid: &'static str) -> Key {
            let random = SystemRandom::new();
            let pkcs8 =
                EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &random).unwrap();
            let pair =
                EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref(), &random)
                    .unwrap();
            Key(pair, kid)
        }
    }

    #[async_trait]
    impl TokenSigner for Key {
        fn key_id(&self) -> &str {
            self.1
        }
        async fn sign(&self, message: &[u8]) -> Result<Vec<u8>, StoreError> {
            Ok(self.0.sign(&SystemRandom::new(), message).unwrap().as_ref().to_vec())
        }
        fn public_keys(&self) -> JwkSet {
            let point = self.0.public_key().as_ref();
            serde_json::from_value(serde_json::json!({"keys": [{
                "kty": "EC", "crv": "P-256", "alg": "ES256", "kid": self.1,
                "x": URL_SAFE_NO_PAD.encode(&point[1..33]), "y": URL_SAFE_NO_PAD.encode(&point[33..65]),
            }]}))
            .unwrap()
        }
    }

    fn claims(kvnr: &str) -> ProofClaims {
        let (kvnr_salt, kvnr_sha256) = salted_kvnr(&Kvnr::parse(kvnr).unwrap());
        ProofClaims {
            iss: "https://portal.example".into(),
            iat: 1_777_881_600,
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
        }
    }

    #[tokio::test]
    async fn a_proof_holds_for_its_kvnr_only_and_with_the_signing_key_only() {
        let key = Key::new("proof-1");
        let proof = sign(&key, &claims("A123456780")).await.unwrap();
        let keys = key.public_keys();

        let genuine = check(&proof, " a123456780 ", &keys);
        assert_eq!(genuine.verdict, Verdict::Genuine);
        assert_eq!(genuine.claims.unwrap().years[0].valid_to.as_deref(), Some("2026-12-31"));
        assert_eq!(check(&proof, "A121212122", &keys).verdict, Verdict::OtherKvnr);
        assert_eq!(check(&proof, "", &keys).verdict, Verdict::OtherKvnr);
        assert_eq!(
            check(&proof, "A123456780", &Key::new("other").public_keys()).verdict,
            Verdict::UnknownKey
        );
        // Another key under the same kid: the signature does not hold.
        assert_eq!(
            check(&proof, "A123456780", &Key::new("proof-1").public_keys()).verdict,
            Verdict::BadSignature
        );
        assert_eq!(check("garbage", "A123456780", &keys).verdict, Verdict::NotAProof);
        // The KVNR itself is nowhere in the proof.
        assert!(
            !String::from_utf8_lossy(
                &URL_SAFE_NO_PAD.decode(proof.split('.').nth(1).unwrap()).unwrap()
            )
            .contains("A123456780")
        );
    }

    #[tokio::test]
    async fn every_changed_character_of_a_proof_breaks_it() {
        let key = Key::new("proof-1");
        let proof = sign(&key, &claims("A123456780")).await.unwrap();
        let keys = key.public_keys();
        for at in 0..proof.len() {
            let mut bytes = proof.clone().into_bytes();
            if bytes[at] == b'.' {
                continue;
            }
            bytes[at] = if bytes[at] == b'A' { b'B' } else { b'A' };
            let changed = String::from_utf8(bytes).unwrap();
            // base64url's last character may carry unused bits: a change there can leave the
            // bytes as they were.
            let same_bytes = changed
                .split('.')
                .zip(proof.split('.'))
                .all(|(a, b)| URL_SAFE_NO_PAD.decode(a).ok() == URL_SAFE_NO_PAD.decode(b).ok());
            if !same_bytes {
                assert_ne!(check(&changed, "A123456780", &keys).verdict, Verdict::Genuine, "{at}");
            }
        }
    }

    #[tokio::test]
    async fn an_access_token_signed_with_the_same_kind_of_key_is_no_proof() {
        let key = Key::new("proof-1");
        let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"ES256","typ":"JWT","kid":"proof-1"}"#);
        let payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims("A123456780")).unwrap());
        let message = format!("{header}.{payload}");
        let signature = key.sign(message.as_bytes()).await.unwrap();
        let token = format!("{message}.{}", URL_SAFE_NO_PAD.encode(signature));
        assert_eq!(check(&token, "A123456780", &key.public_keys()).verdict, Verdict::NotAProof);
    }
}
