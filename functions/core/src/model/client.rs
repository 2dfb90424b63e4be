//! A client of the machine API: a provider's software, registered by the back office with the
//! public keys it signs its client assertions with (a JWKS, RFC 7517).

use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk, JwkSet};
use portal_domain::Ik;
use time::OffsetDateTime;

use super::ClientId;

/// A registered client: it acts for one provider (`ik`) of the tenant whose store holds it.
#[derive(Debug, Clone, PartialEq)]
pub struct Client {
    pub id: ClientId,
    pub ik: Ik,
    pub jwks: Jwks,
    pub created_at: OffsetDateTime,
    /// Set once the back office revoked it: no token is issued to it any more, and its tokens
    /// no longer open the API.
    pub revoked_at: Option<OffsetDateTime>,
}

impl Client {
    pub fn is_revoked(&self) -> bool {
        self.revoked_at.is_some()
    }
}

/// The algorithms a client may sign its assertions with (SMART Backend Services asks for RS384
/// or ES384; ES256 and RS256 are common too). `none` and the HMAC family are not among them:
/// a public key must never serve as a shared secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SigningAlgorithm {
    Rs256,
    Rs384,
    Es256,
    Es384,
}

impl SigningAlgorithm {
    pub const ALL: [SigningAlgorithm; 4] = [
        SigningAlgorithm::Rs384,
        SigningAlgorithm::Es384,
        SigningAlgorithm::Es256,
        SigningAlgorithm::Rs256,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SigningAlgorithm::Rs256 => "RS256",
            SigningAlgorithm::Rs384 => "RS384",
            SigningAlgorithm::Es256 => "ES256",
            SigningAlgorithm::Es384 => "ES384",
        }
    }

    pub fn of(algorithm: jsonwebtoken::Algorithm) -> Option<SigningAlgorithm> {
        use jsonwebtoken::Algorithm;
        match algorithm {
            Algorithm::RS256 => Some(SigningAlgorithm::Rs256),
            Algorithm::RS384 => Some(SigningAlgorithm::Rs384),
            Algorithm::ES256 => Some(SigningAlgorithm::Es256),
            Algorithm::ES384 => Some(SigningAlgorithm::Es384),
            _ => None,
        }
    }

    pub fn algorithm(self) -> jsonwebtoken::Algorithm {
        use jsonwebtoken::Algorithm;
        match self {
            SigningAlgorithm::Rs256 => Algorithm::RS256,
            SigningAlgorithm::Rs384 => Algorithm::RS384,
            SigningAlgorithm::Es256 => Algorithm::ES256,
            SigningAlgorithm::Es384 => Algorithm::ES384,
        }
    }

    /// Whether `key` is of the kind this algorithm verifies with (an RSA key for RS*, a P-256
    /// key for ES256, a P-384 key for ES384).
    pub fn fits(self, key: &Jwk) -> bool {
        match (&key.algorithm, self) {
            (AlgorithmParameters::RSA(_), SigningAlgorithm::Rs256 | SigningAlgorithm::Rs384) => {
                true
            }
            (AlgorithmParameters::EllipticCurve(ec), SigningAlgorithm::Es256) => {
                ec.curve == EllipticCurve::P256
            }
            (AlgorithmParameters::EllipticCurve(ec), SigningAlgorithm::Es384) => {
                ec.curve == EllipticCurve::P384
            }
            _ => false,
        }
    }
}

/// A client's public keys, as registered: a JWKS whose every key has a `kid`, is an RSA or an
/// EC (P-256, P-384) public key and holds no private part. Kept as the text it was read from.
#[derive(Debug, Clone, PartialEq)]
pub struct Jwks {
    text: String,
    set: JwkSet,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JwksError {
    #[error("not a JWKS (a JSON object with `keys`): {0}")]
    NotAJwks(String),
    #[error("the JWKS holds no key")]
    Empty,
    #[error("key {0} has no `kid`")]
    NoKid(usize),
    #[error("key `{0}` holds a private part (`d`, `p`, `q`, …): register the public keys only")]
    Private(String),
    #[error("key `{0}` is neither RSA nor EC P-256/P-384")]
    UnsupportedKey(String),
    #[error("two keys are named `{0}`")]
    DuplicateKid(String),
}

/// The members of a JWK that only a private key has (RFC 7518 §6.2.2, §6.3.2).
const PRIVATE_MEMBERS: [&str; 6] = ["d", "p", "q", "dp", "dq", "qi"];

impl Jwks {
    pub fn parse(text: &str) -> Result<Jwks, JwksError> {
        let raw: serde_json::Value =
            serde_json::from_str(text).map_err(|e| JwksError::NotAJwks(e.to_string()))?;
        let set: JwkSet =
            serde_json::from_value(raw.clone()).map_err(|e| JwksError::NotAJwks(e.to_string()))?;
        if set.keys.is_empty() {
            return Err(JwksError::Empty);
        }
        let raw_keys = raw["keys"].as_array().cloned().unwrap_or_default();
        let mut seen = std::collections::HashSet::new();
        for (index, (key, raw)) in set.keys.iter().zip(&raw_keys).enumerate() {
            let kid = key.common.key_id.clone().ok_or(JwksError::NoKid(index))?;
            if PRIVATE_MEMBERS.iter().any(|member| raw.get(member).is_some()) {
                return Err(JwksError::Private(kid));
            }
            let supported = match &key.algorithm {
                AlgorithmParameters::RSA(_) => true,
                AlgorithmParameters::EllipticCurve(ec) => {
                    matches!(ec.curve, EllipticCurve::P256 | EllipticCurve::P384)
                }
                _ => false,
            };
            if !supported {
                return Err(JwksError::UnsupportedKey(kid));
            }
            if !seen.insert(kid.clone()) {
                return Err(JwksError::DuplicateKid(kid));
            }
        }
        Ok(Jwks { text: text.trim().to_string(), set })
    }

    /// The text as registered (what the stores keep).
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The key named `kid`.
    pub fn key(&self, kid: &str) -> Option<&Jwk> {
        self.set.find(kid)
    }

    pub fn kids(&self) -> impl Iterator<Item = &str> {
        self.set.keys.iter().filter_map(|k| k.common.key_id.as_deref())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EC: &str = r#"{"kty":"EC","crv":"P-256","kid":"k1","x":"MKBCTNIcKUSDii11ySs3526iDZ8AiTo7Tu6KPAqv7D4","y":"4Etl6SRW2YiLUrN5vfvVHuhp7x8PxltmWWlbbM4IFyM"}"#;

    #[test]
    fn a_jwks_of_public_keys_with_kids_is_taken_and_anything_else_refused() {
        let jwks = Jwks::parse(&format!(r#"{{"keys":[{EC}]}}"#)).unwrap();
        assert!(jwks.key("k1").is_some());
        assert!(SigningAlgorithm::Es256.fits(jwks.key("k1").unwrap()));
        assert!(!SigningAlgorithm::Es384.fits(jwks.key("k1").unwrap()));
        assert_eq!(Jwks::parse(r#"{"keys":[]}"#), Err(JwksError::Empty));
        assert!(matches!(Jwks::parse("[]"), Err(JwksError::NotAJwks(_))));
        let private = EC.replace(r#""kid":"k1""#, r#""kid":"k1","d":"secret""#);
        assert_eq!(
            Jwks::parse(&format!(r#"{{"keys":[{private}]}}"#)),
            Err(JwksError::Private("k1".into()))
        );
        let no_kid = EC.replace(r#""kid":"k1","#, "");
        assert_eq!(Jwks::parse(&format!(r#"{{"keys":[{no_kid}]}}"#)), Err(JwksError::NoKid(0)));
        let secret = r#"{"keys":[{"kty":"oct","kid":"s","k":"c2VjcmV0"}]}"#;
        assert_eq!(Jwks::parse(secret), Err(JwksError::UnsupportedKey("s".into())));
        assert_eq!(
            Jwks::parse(&format!(r#"{{"keys":[{EC},{EC}]}}"#)),
            Err(JwksError::DuplicateKid("k1".into()))
        );
    }
}
