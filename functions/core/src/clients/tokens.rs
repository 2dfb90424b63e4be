//! Issuing access tokens for client assertions, and checking them on every FHIR request.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, DecodingKey, Validation, decode, decode_header};
use portal_domain::Ik;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::{COVERAGE_SCOPE, Clients, JWT_BEARER, MAX_ASSERTION_LIFETIME, TOKEN_LIFETIME};
use crate::model::{ClientId, SigningAlgorithm};
use crate::ports::StoreError;

/// `POST /oauth/token`'s form, as sent.
#[derive(Debug, Clone, Default)]
pub struct TokenRequest {
    pub grant_type: Option<String>,
    pub client_assertion_type: Option<String>,
    pub client_assertion: Option<String>,
    pub scope: Option<String>,
}

/// A token issued: what the answer carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedToken {
    pub access_token: String,
    pub expires_in: i64,
    /// The scope granted: of those asked for, the ones there are (possibly none).
    pub scope: String,
}

/// Why no token was issued. The client is told `invalid_client` whatever the reason (which is
/// logged, without personal data, at debug): an attacker learns nothing about which check
/// failed.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    /// The request is not a client-credentials request with a JWT assertion (400).
    #[error("malformed token request: {0}")]
    Malformed(&'static str),
    /// The assertion does not prove the client (401).
    #[error("client assertion refused: {0}")]
    Refused(&'static str),
    /// This deployment has no key to sign tokens with.
    #[error("no token signing key is configured")]
    NoSigner,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Why an access token does not open the API.
#[derive(Debug, thiserror::Error)]
pub enum AccessError {
    /// Missing, malformed, forged, expired, another tenant's or a revoked client's (401).
    #[error("access token refused: {0}")]
    Unauthenticated(&'static str),
    /// Valid, but without the scope the request needs (403).
    #[error("the token lacks the scope {0}")]
    Forbidden(&'static str),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Whom a valid access token speaks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authorized {
    pub client: ClientId,
    /// The provider the client acts for: the one whose quota and audit chain a query uses.
    pub ik: Ik,
}

/// `aud` may be one string or a list (RFC 7519 §4.1.3).
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Audience {
    One(String),
    Many(Vec<String>),
}

impl Audience {
    fn is_only(&self, expected: &str) -> bool {
        match self {
            Audience::One(aud) => aud == expected,
            Audience::Many(auds) => auds.len() == 1 && auds[0] == expected,
        }
    }
}

#[derive(Debug, Deserialize)]
struct AssertionClaims {
    iss: String,
    sub: String,
    aud: Audience,
    exp: i64,
    jti: Option<String>,
}

/// What the portal's access tokens say.
#[derive(Debug, Serialize, Deserialize)]
struct AccessClaims {
    iss: String,
    sub: String,
    aud: String,
    exp: i64,
    iat: i64,
    jti: String,
    scope: String,
    /// The provider's IK.
    ik: String,
    /// The insurer's IK.
    tenant: String,
}

/// The claims of a JWT read without checking its signature: only to find whose keys check it.
fn unverified_issuer(token: &str) -> Option<String> {
    let payload = token.split('.').nth(1)?;
    let bytes = URL_SAFE_NO_PAD.decode(payload).ok()?;
    let claims: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    claims.get("iss")?.as_str().map(str::to_string)
}

/// Checks the signature only (every claim is checked by the caller, against our clock).
fn signature_only(algorithm: Algorithm) -> Validation {
    let mut validation = Validation::new(algorithm);
    validation.required_spec_claims.clear();
    validation.validate_exp = false;
    validation.validate_nbf = false;
    validation.validate_aud = false;
    validation
}

/// A `jti` of reasonable size (it becomes a store key).
const MAX_JTI_CHARS: usize = 200;

impl Clients {
    /// Issues an access token for a client assertion (RFC 7523 §2.2), after every check.
    pub async fn issue(&self, request: &TokenRequest) -> Result<IssuedToken, TokenError> {
        let result = self.try_issue(request).await;
        if let Err(error @ (TokenError::Malformed(_) | TokenError::Refused(_))) = &result {
            tracing::debug!(reason = %error, "token refused");
        }
        result
    }

    async fn try_issue(&self, request: &TokenRequest) -> Result<IssuedToken, TokenError> {
        use TokenError::{Malformed, Refused};
        if request.grant_type.as_deref() != Some("client_credentials") {
            return Err(Malformed("grant_type is not client_credentials"));
        }
        if request.client_assertion_type.as_deref() != Some(JWT_BEARER) {
            return Err(Malformed("client_assertion_type is not jwt-bearer"));
        }
        let assertion =
            request.client_assertion.as_deref().ok_or(Malformed("no client_assertion"))?;
        let asked = request.scope.as_deref().ok_or(Malformed("no scope"))?;
        let signer = self.signer.as_ref().ok_or(TokenError::NoSigner)?;

        // `alg: none` and HS* do not even parse as one of ours.
        let header = decode_header(assertion).map_err(|_| Refused("the header does not read"))?;
        let algorithm = SigningAlgorithm::of(header.alg).ok_or(Refused("algorithm not allowed"))?;
        let kid = header.kid.ok_or(Refused("no kid"))?;
        let issuer = unverified_issuer(assertion).ok_or(Refused("no iss"))?;
        let client_id = ClientId::parse(&issuer).ok_or(Refused("iss is not a client id"))?;
        let client = self.registry.client(&client_id).await?.ok_or(Refused("unknown client"))?;
        if client.is_revoked() {
            return Err(Refused("client revoked"));
        }
        let key = client.jwks.key(&kid).ok_or(Refused("kid not in the client's JWKS"))?;
        if !algorithm.fits(key) {
            return Err(Refused("algorithm does not fit the key"));
        }
        let decoding = DecodingKey::from_jwk(key).map_err(|_| Refused("key unusable"))?;
        let claims =
            decode::<AssertionClaims>(assertion, &decoding, &signature_only(algorithm.algorithm()))
                .map_err(|_| Refused("signature or claims do not hold"))?
                .claims;
        if claims.iss != claims.sub || claims.sub != client_id.to_string() {
            return Err(Refused("iss and sub are not the client id"));
        }
        if !claims.aud.is_only(&self.token_url()) {
            return Err(Refused("aud is not the token URL"));
        }
        let now = self.clock.now();
        let expires_at = OffsetDateTime::from_unix_timestamp(claims.exp)
            .map_err(|_| Refused("exp out of range"))?;
        if expires_at <= now {
            return Err(Refused("expired"));
        }
        if expires_at > now + MAX_ASSERTION_LIFETIME {
            return Err(Refused("exp more than five minutes ahead"));
        }
        let jti = claims.jti.filter(|j| !j.is_empty()).ok_or(Refused("no jti"))?;
        if jti.chars().count() > MAX_JTI_CHARS {
            return Err(Refused("jti too long"));
        }
        // Last: a refused assertion uses up no id.
        if !self.seen.remember(&format!("{client_id}#{jti}"), expires_at).await? {
            return Err(Refused("jti seen before"));
        }

        let scope =
            if asked.split_whitespace().any(|s| s == COVERAGE_SCOPE) { COVERAGE_SCOPE } else { "" };
        let claims = AccessClaims {
            iss: self.issuer(),
            sub: client_id.to_string(),
            aud: self.fhir_base(),
            exp: (now + TOKEN_LIFETIME).unix_timestamp(),
            iat: now.unix_timestamp(),
            jti: ulid::Ulid::new().to_string(),
            scope: scope.to_string(),
            ik: client.ik.to_string(),
            tenant: self.tenant.ik.to_string(),
        };
        let header = serde_json::json!({"alg": "ES256", "typ": "JWT", "kid": signer.key_id()});
        let message = format!("{}.{}", encoded(&header), encoded(&claims));
        let signature = signer.sign(message.as_bytes()).await?;
        tracing::info!(client_id = %client_id, ik = %client.ik, "access token issued");
        Ok(IssuedToken {
            access_token: format!("{message}.{}", URL_SAFE_NO_PAD.encode(signature)),
            expires_in: TOKEN_LIFETIME.whole_seconds(),
            scope: scope.to_string(),
        })
    }

    /// Checks an access token (the `Authorization: Bearer` value) and that it carries `scope`.
    pub async fn authorize(
        &self,
        token: &str,
        scope: &'static str,
    ) -> Result<Authorized, AccessError> {
        let result = self.try_authorize(token, scope).await;
        if let Err(error @ (AccessError::Unauthenticated(_) | AccessError::Forbidden(_))) = &result
        {
            tracing::debug!(reason = %error, "access token refused");
        }
        result
    }

    async fn try_authorize(
        &self,
        token: &str,
        scope: &'static str,
    ) -> Result<Authorized, AccessError> {
        use AccessError::Unauthenticated;
        let header =
            decode_header(token).map_err(|_| Unauthenticated("the header does not read"))?;
        if header.alg != Algorithm::ES256 {
            return Err(Unauthenticated("not ES256"));
        }
        let kid = header.kid.ok_or(Unauthenticated("no kid"))?;
        let keys = self.public_keys();
        let key = keys.find(&kid).ok_or(Unauthenticated("not our key"))?;
        let decoding = DecodingKey::from_jwk(key).map_err(|_| Unauthenticated("key unusable"))?;
        let claims = decode::<AccessClaims>(token, &decoding, &signature_only(Algorithm::ES256))
            .map_err(|_| Unauthenticated("signature or claims do not hold"))?
            .claims;
        if claims.iss != self.issuer()
            || claims.aud != self.fhir_base()
            || claims.tenant != self.tenant.ik.to_string()
        {
            return Err(Unauthenticated("another issuer, audience or tenant"));
        }
        if claims.exp <= self.clock.now().unix_timestamp() {
            return Err(Unauthenticated("expired"));
        }
        let client = ClientId::parse(&claims.sub).ok_or(Unauthenticated("sub"))?;
        let ik = Ik::parse(&claims.ik).map_err(|_| Unauthenticated("ik"))?;
        // A revoked client's tokens stop at once, not when they expire.
        let registered = self.registry.client(&client).await?;
        if registered.is_none_or(|c| c.is_revoked() || c.ik != ik) {
            return Err(Unauthenticated("client unknown or revoked"));
        }
        if !claims.scope.split_whitespace().any(|s| s == scope) {
            return Err(AccessError::Forbidden(scope));
        }
        Ok(Authorized { client, ik })
    }
}

/// A header or claims as a JWS part: base64url of the JSON.
fn encoded(value: &impl Serialize) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(value).unwrap_or_default())
}
