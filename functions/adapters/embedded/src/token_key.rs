//! The keys that sign locally: ECDSA P-256 (ES256), each in a PKCS#8 file of its own, made on
//! first use like the anchors' key: the machine API's access tokens (`PORTAL_TOKEN_KEY`) and the
//! proofs of answered queries (`PORTAL_PROOF_KEY`). In AWS KMS keys are to take their place
//! behind the same port.

use std::path::Path;

use async_trait::async_trait;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::jwk::JwkSet;
use portal_core::{StoreError, TokenSigner};
use ring::rand::SystemRandom;
use ring::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair as _};
use sha2::{Digest as _, Sha256};

use crate::anchors::read_or_make;

pub struct FileTokenKey {
    pair: EcdsaKeyPair,
    id: String,
    public: JwkSet,
}

/// What a key's `kid` starts with: the tokens' key `es256-…`, the proofs' key `proof-es256-…`
/// (the fingerprint follows), so that the published JWKS says which is which.
pub const TOKEN_KEY_PREFIX: &str = "es256";
pub const PROOF_KEY_PREFIX: &str = "proof-es256";

impl FileTokenKey {
    /// Reads the tokens' key at `path`, or makes one there if there is none yet.
    pub fn open_or_create(path: &Path) -> Result<FileTokenKey, StoreError> {
        FileTokenKey::open_or_create_as(path, TOKEN_KEY_PREFIX)
    }

    /// Reads the key at `path`, or makes one there, its `kid` starting with `prefix`.
    pub fn open_or_create_as(path: &Path, prefix: &str) -> Result<FileTokenKey, StoreError> {
        FileTokenKey::read(path, prefix, true)
    }

    /// Reads the key at `path`, which must exist (to check with its public key, say).
    pub fn open_as(path: &Path, prefix: &str) -> Result<FileTokenKey, StoreError> {
        FileTokenKey::read(path, prefix, false)
    }

    fn read(path: &Path, prefix: &str, create: bool) -> Result<FileTokenKey, StoreError> {
        let random = SystemRandom::new();
        let pkcs8 = match create {
            true => read_or_make(path, "token key", || {
                let made = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &random);
                made.ok().map(|d| d.as_ref().to_vec())
            })?,
            false => std::fs::read(path).map_err(StoreError::unavailable)?,
        };
        let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &pkcs8, &random)
            .map_err(|e| StoreError::Corrupt(format!("the token key {}: {e}", path.display())))?;
        // The public key is the uncompressed point: 0x04, then x and y of 32 bytes each.
        let point = pair.public_key().as_ref();
        let (x, y) = (&point[1..33], &point[33..65]);
        let fingerprint = Sha256::digest(point);
        let id = format!("{prefix}-{}", hex::encode(&fingerprint[..8]));
        let jwk = serde_json::json!({
            "kty": "EC", "crv": "P-256", "use": "sig", "alg": "ES256", "kid": id,
            "x": URL_SAFE_NO_PAD.encode(x), "y": URL_SAFE_NO_PAD.encode(y),
        });
        let public = serde_json::from_value(serde_json::json!({ "keys": [jwk] }))
            .map_err(|e| StoreError::Corrupt(format!("the token key's JWK: {e}")))?;
        Ok(FileTokenKey { pair, id, public })
    }
}

#[async_trait]
impl TokenSigner for FileTokenKey {
    fn key_id(&self) -> &str {
        &self.id
    }

    async fn sign(&self, message: &[u8]) -> Result<Vec<u8>, StoreError> {
        let signature = self
            .pair
            .sign(&SystemRandom::new(), message)
            .map_err(|_| StoreError::unavailable("the token could not be signed"))?;
        Ok(signature.as_ref().to_vec())
    }

    fn public_keys(&self) -> JwkSet {
        self.public.clone()
    }
}
