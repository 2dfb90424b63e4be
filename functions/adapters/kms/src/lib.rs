//! The key that signs the machine API's access tokens in AWS: an asymmetric KMS key
//! (`ECC_NIST_P256`, `SIGN_VERIFY`) behind the [`TokenSigner`] port, in place of the local key
//! file (`portal_store_embedded::FileTokenKey`). The private half never leaves KMS: each token's
//! JWS signing input is signed by `Sign` (`ECDSA_SHA_256`, `MessageType: RAW`), whose DER
//! signature becomes JOSE's r ‖ s; the public half is read once per cold start by
//! `GetPublicKey` and published as the JWK the key file would give (the same `kid` rule, so a
//! token's `kid` names the key whichever store holds it).
//!
//! The KMS calls themselves are not tested here (there is no KMS emulator); the conversions
//! they rely on are, below, against known vectors and ring's P-256.

use async_trait::async_trait;
use aws_sdk_kms::Client;
use aws_sdk_kms::primitives::Blob;
use aws_sdk_kms::types::{KeySpec, KeyUsageType, MessageType, SigningAlgorithmSpec};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::jwk::{Jwk, JwkSet};
use portal_core::{StoreError, TokenSigner};
use sha2::{Digest as _, Sha256};

/// What a key's `kid` starts with, as `FileTokenKey` names its keys (the fingerprint follows):
/// the tokens' key, and the proofs' key (both in KMS in AWS).
pub const TOKEN_KEY_PREFIX: &str = "es256";
pub const PROOF_KEY_PREFIX: &str = "proof-es256";

/// The most `Sign` takes as a `RAW` message; a token's signing input is well below.
pub const MAX_RAW_MESSAGE: usize = 4096;

/// A P-256 public key's SubjectPublicKeyInfo (RFC 5480) up to the point: SEQUENCE, the
/// algorithm (id-ecPublicKey, prime256v1), then the BIT STRING of 66 bytes (no unused bits).
const P256_SPKI_PREFIX: [u8; 26] = [
    0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a,
    0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00,
];

/// The signing key in KMS, and the public keys its tokens (and those of the keys named to be
/// published with it, during a rotation) are checked with.
pub struct KmsSigningKey {
    client: Client,
    /// The KMS key (id or ARN) that signs.
    key: String,
    /// The JWS `kid` of its public key.
    kid: String,
    public: JwkSet,
}

impl KmsSigningKey {
    /// Reads the public keys once: of `signing`, the KMS key that signs, and of `published`,
    /// keys whose signatures are still accepted (the previous key, for the five minutes its
    /// last tokens live, or the next one, before it signs); each `kid` starts with `prefix`
    /// ([`TOKEN_KEY_PREFIX`]). Refuses a key that is not an `ECC_NIST_P256` signing key.
    pub async fn load(
        client: Client,
        prefix: &str,
        signing: &str,
        published: &[String],
    ) -> Result<KmsSigningKey, StoreError> {
        let (kid, first) = public_key(&client, prefix, signing).await?;
        let mut keys = vec![first];
        for other in published.iter().filter(|k| k.as_str() != signing) {
            let (other_kid, jwk) = public_key(&client, prefix, other).await?;
            if other_kid != kid {
                keys.push(jwk);
            }
        }
        Ok(KmsSigningKey { client, key: signing.to_string(), kid, public: JwkSet { keys } })
    }
}

/// The `kid` and JWK of one KMS key, by `GetPublicKey`.
async fn public_key(client: &Client, prefix: &str, key: &str) -> Result<(String, Jwk), StoreError> {
    let answer = client.get_public_key().key_id(key).send().await.map_err(|e| {
        StoreError::unavailable(format!("GetPublicKey of the signing key {key}: {e}"))
    })?;
    if answer.key_spec() != Some(&KeySpec::EccNistP256)
        || answer.key_usage() != Some(&KeyUsageType::SignVerify)
    {
        return Err(StoreError::Corrupt(format!(
            "the signing key {key} is {:?} for {:?}, not ECC_NIST_P256 for SIGN_VERIFY",
            answer.key_spec(),
            answer.key_usage()
        )));
    }
    let spki = answer
        .public_key()
        .ok_or_else(|| StoreError::Corrupt(format!("the signing key {key}: no public key")))?;
    jwk_of_spki(prefix, spki.as_ref())
        .map_err(|e| StoreError::Corrupt(format!("the signing key {key}'s public key: {e}")))
}

#[async_trait]
impl TokenSigner for KmsSigningKey {
    fn key_id(&self) -> &str {
        &self.kid
    }

    async fn sign(&self, message: &[u8]) -> Result<Vec<u8>, StoreError> {
        if message.len() > MAX_RAW_MESSAGE {
            return Err(StoreError::unavailable("the token is too long for KMS to sign"));
        }
        let answer = self
            .client
            .sign()
            .key_id(&self.key)
            .message(Blob::new(message))
            .message_type(MessageType::Raw)
            .signing_algorithm(SigningAlgorithmSpec::EcdsaSha256)
            .send()
            .await
            .map_err(StoreError::unavailable)?;
        let der =
            answer.signature().ok_or_else(|| StoreError::unavailable("KMS sent no signature"))?;
        let signature =
            jose_signature(der.as_ref()).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        Ok(signature.to_vec())
    }

    fn public_keys(&self) -> JwkSet {
        self.public.clone()
    }
}

/// Why bytes are not what they should be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Malformed(pub &'static str);

impl std::fmt::Display for Malformed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0)
    }
}

impl std::error::Error for Malformed {}

/// An ECDSA P-256 signature as KMS gives it (DER, `SEQUENCE { INTEGER r, INTEGER s }`, RFC 3279)
/// in JOSE's form (RFC 7518 §3.4): r and s as 32 big-endian bytes each. Strict DER: minimal
/// lengths and integers, positive, nothing after the sequence.
pub fn jose_signature(der: &[u8]) -> Result<[u8; 64], Malformed> {
    // At most 2 + 2 × (2 + 33) = 72 bytes: every length fits one byte (short form).
    let body = match der {
        [0x30, len, body @ ..] if *len < 0x80 && body.len() == usize::from(*len) => body,
        [0x30, ..] => return Err(Malformed("the sequence's length is not its contents'")),
        _ => return Err(Malformed("not a DER sequence")),
    };
    let (r, rest) = der_integer(body)?;
    let (s, rest) = der_integer(rest)?;
    if !rest.is_empty() {
        return Err(Malformed("bytes after s"));
    }
    let mut jose = [0u8; 64];
    jose[32 - r.len()..32].copy_from_slice(r);
    jose[64 - s.len()..].copy_from_slice(s);
    Ok(jose)
}

/// One positive DER INTEGER of at most 32 significant bytes, without its sign byte; and what
/// follows it.
fn der_integer(input: &[u8]) -> Result<(&[u8], &[u8]), Malformed> {
    let [0x02, len, rest @ ..] = input else {
        return Err(Malformed("not a DER integer"));
    };
    let len = usize::from(*len);
    if len >= 0x80 || rest.len() < len {
        return Err(Malformed("an integer's length is wrong"));
    }
    let (value, rest) = rest.split_at(len);
    match value {
        [] => Err(Malformed("an empty integer")),
        [first, ..] if first & 0x80 != 0 => Err(Malformed("a negative integer")),
        [0, second, ..] if second & 0x80 == 0 => Err(Malformed("an integer not minimally encoded")),
        [0] => Err(Malformed("a zero integer")),
        [0, significant @ ..] | significant => {
            if significant.len() > 32 {
                Err(Malformed("an integer longer than 32 bytes"))
            } else {
                Ok((significant, rest))
            }
        }
    }
}

/// The `kid` of a P-256 public key (the uncompressed point, 65 bytes): `prefix`, `-` and the
/// first 8 bytes of its SHA-256 in hex, as `FileTokenKey` names its keys.
pub fn key_id(prefix: &str, point: &[u8]) -> String {
    let fingerprint = Sha256::digest(point);
    let hex: String = hex::encode(&fingerprint[..8]);
    format!("{prefix}-{hex}")
}

/// The `kid` and the JWK (`kty` EC, `crv` P-256, `use` sig, `alg` ES256, `x`, `y`) of a P-256
/// public key given as a DER SubjectPublicKeyInfo, which `GetPublicKey` returns; the `kid` by
/// [`key_id`].
pub fn jwk_of_spki(prefix: &str, spki: &[u8]) -> Result<(String, Jwk), Malformed> {
    let point = spki
        .strip_prefix(&P256_SPKI_PREFIX[..])
        .ok_or(Malformed("not a P-256 SubjectPublicKeyInfo"))?;
    let (x, y) = match point {
        [0x04, coordinates @ ..] if coordinates.len() == 64 => coordinates.split_at(32),
        _ => return Err(Malformed("not an uncompressed P-256 point")),
    };
    let kid = key_id(prefix, point);
    let jwk = serde_json::json!({
        "kty": "EC", "crv": "P-256", "use": "sig", "alg": "ES256", "kid": kid,
        "x": URL_SAFE_NO_PAD.encode(x), "y": URL_SAFE_NO_PAD.encode(y),
    });
    let jwk = serde_json::from_value(jwk).map_err(|_| Malformed("no JWK of the point"))?;
    Ok((kid, jwk))
}

#[cfg(test)]
mod tests;
