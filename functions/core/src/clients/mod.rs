//! The machine API's clients and tokens (OAuth2 client credentials with `private_key_jwt`, as
//! SMART Backend Services and RFC 7523 describe them): the back office registers a provider's
//! software with its public keys; the software proves itself with a signed assertion and gets
//! an access token of five minutes, signed by the portal, which opens the FHIR search.

mod tokens;

use std::sync::Arc;

use portal_domain::Ik;
use time::Duration;

pub use tokens::{AccessError, Authorized, IssuedToken, TokenError, TokenRequest};

use crate::model::{Client, ClientId, Jwks, Tenant};
use crate::ports::{ClientRegistry, Clock, SeenTokenIds, StoreError, TokenSigner};

/// The one scope there is: search Coverage resources (SMART v2: read and search).
pub const COVERAGE_SCOPE: &str = "system/Coverage.rs";
/// `client_assertion_type` of RFC 7523.
pub const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
/// How long an access token lives (SMART: at most five minutes).
pub const TOKEN_LIFETIME: Duration = Duration::minutes(5);
/// How far ahead a client assertion's `exp` may lie.
pub const MAX_ASSERTION_LIFETIME: Duration = Duration::minutes(5);

#[derive(Clone)]
pub struct Clients {
    /// The insurer whose clients these are; its portal URL makes the token URL.
    pub tenant: Arc<Tenant>,
    pub registry: Arc<dyn ClientRegistry>,
    pub seen: Arc<dyn SeenTokenIds>,
    pub clock: Arc<dyn Clock>,
    /// Signs access tokens; without one no token is issued (the Lambdas have none yet).
    pub signer: Option<Arc<dyn TokenSigner>>,
}

impl Clients {
    /// The tenant's public address, without a trailing slash.
    fn portal_url(&self) -> &str {
        self.tenant.letterhead.portal_url.trim_end_matches('/')
    }

    /// Where clients get tokens, and what their assertions' `aud` must say.
    pub fn token_url(&self) -> String {
        format!("{}/oauth/token", self.portal_url())
    }

    /// The FHIR endpoint's base: the audience of the access tokens.
    pub fn fhir_base(&self) -> String {
        format!("{}/fhir", self.portal_url())
    }

    /// Who issues the access tokens.
    pub fn issuer(&self) -> String {
        self.portal_url().to_string()
    }

    /// Registers a new client for provider `ik` with its public keys.
    pub async fn register(&self, ik: Ik, jwks: Jwks) -> Result<Client, StoreError> {
        let client = Client {
            id: ClientId::new(),
            ik,
            jwks,
            created_at: self.clock.now(),
            revoked_at: None,
        };
        self.registry.put_client(&client).await?;
        tracing::info!(client_id = %client.id, ik = %ik, "machine API client registered");
        Ok(client)
    }

    /// One provider's clients, or (`None`) every provider's.
    pub async fn list(&self, ik: Option<&Ik>) -> Result<Vec<Client>, StoreError> {
        self.registry.clients_of(ik).await
    }

    /// Revokes a client: no more tokens, and its tokens stop working. False if there is none.
    pub async fn revoke(&self, id: &ClientId) -> Result<bool, StoreError> {
        let revoked = self.registry.revoke(id, self.clock.now()).await?;
        if revoked {
            tracing::info!(client_id = %id, "machine API client revoked");
        }
        Ok(revoked)
    }

    /// Revokes a client of provider `ik` (as the provider does in the app); false if `ik` has
    /// no such client, which answers as if there were none at all.
    pub async fn revoke_own(&self, ik: &Ik, id: &ClientId) -> Result<bool, StoreError> {
        match self.registry.client(id).await? {
            Some(client) if client.ik == *ik => self.revoke(id).await,
            _ => Ok(false),
        }
    }

    /// The public keys the access tokens are checked with.
    pub fn public_keys(&self) -> jsonwebtoken::jwk::JwkSet {
        self.signer.as_ref().map(|s| s.public_keys()).unwrap_or_default()
    }
}
