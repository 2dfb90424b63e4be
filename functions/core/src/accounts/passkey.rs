//! Passkeys (WebAuthn, user verification required) as the second kind of second factor.
//! webauthn-rs runs the ceremonies. A ceremony's state (its challenge, the credential it
//! expects) goes to the browser sealed and comes back with the browser's answer: bound to the
//! session that began it and valid for five minutes, so no store keeps half-done ceremonies and
//! no session can finish another's.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use portal_domain::Ik;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::value::{RawValue, to_raw_value};
use sha2::{Digest, Sha256};
use time::{Duration, OffsetDateTime};
use webauthn_rs::prelude::{
    Passkey, PasskeyAuthentication, PasskeyRegistration, PublicKeyCredential,
    RegisterPublicKeyCredential, Url, Uuid, Webauthn, WebauthnBuilder,
};

use crate::model::SessionIdHash;
use crate::therapy::SecretCipher;

/// How long a ceremony may take, from the options to the browser's answer.
const CEREMONY_VALID_FOR: Duration = Duration::minutes(5);
/// What a sealed passkey credential is bound to, besides tenant and account.
pub const PURPOSE: &str = "passkey";

/// The insurer's portal as relying party: its address's host name is the passkeys' scope.
pub struct Passkeys {
    webauthn: Webauthn,
}

/// A ceremony begun: the options for `navigator.credentials` (WebAuthn's JSON) and the
/// sealed state the browser sends back with its answer.
#[derive(Debug, Clone)]
pub struct Ceremony {
    pub options: Box<RawValue>,
    pub state: String,
}

/// Why a passkey's answer was not taken.
#[derive(Debug, thiserror::Error)]
pub enum PasskeyRefusal {
    #[error("the ceremony's state is not one this session began, or it is too old")]
    State,
    #[error("the browser's answer is not a WebAuthn credential")]
    Answer,
    #[error("the passkey's answer does not verify: {0}")]
    Verification(String),
    #[error("the ceremony could not begin: {0}")]
    Start(String),
    /// Its state could not be sealed: a fault of the server (no key for account secrets).
    #[error("the ceremony's state could not be sealed")]
    Seal,
}

/// What is sealed into a ceremony's state.
#[derive(Serialize, Deserialize)]
struct Sealed<S> {
    until: i64,
    /// The authentication's number: an answer is taken only if it is higher than the last one
    /// taken (so each answer counts once, and ceremonies begun before it are void).
    #[serde(default)]
    number: u64,
    state: S,
}

/// A passkey's answer that verified: the passkey with its signature counter taken over, and the
/// number of the ceremony it answered.
pub struct Answered {
    pub passkey: Passkey,
    pub number: u64,
}

/// Whose a ceremony is: the account and the session that began it, the key that seals its state,
/// and the time (the state is valid for five minutes).
pub struct Owner<'a> {
    pub cipher: &'a SecretCipher,
    pub ik: &'a Ik,
    pub session: &'a SessionIdHash,
    pub now: OffsetDateTime,
}

impl Passkeys {
    /// Passkeys for the portal at `portal_url`, named `name` in the browser's dialogue. `None`
    /// when the address has no host name (an IP address, like the local default
    /// `http://127.0.0.1:8080`): browsers offer no passkeys there. On `localhost` and its
    /// subdomains (the local portal) any port is taken, as the port is chosen at start.
    pub fn for_portal(portal_url: &str, name: &str) -> Option<Passkeys> {
        let origin = Url::parse(portal_url).ok()?;
        let host = origin.domain()?.to_string();
        let local = host == "localhost" || host.ends_with(".localhost");
        let webauthn = WebauthnBuilder::new(&host, &origin)
            .ok()?
            .rp_name(name)
            .allow_any_port(local)
            .build()
            .ok()?;
        Some(Passkeys { webauthn })
    }

    /// Begins the registration of a passkey for the owner's account, shown to the provider as
    /// `display_name`.
    pub fn start_registration(
        &self,
        owner: &Owner<'_>,
        display_name: &str,
    ) -> Result<Ceremony, PasskeyRefusal> {
        let ik = owner.ik;
        let (options, state) = self
            .webauthn
            .start_passkey_registration(user_handle(ik), ik.as_str(), display_name, None)
            .map_err(|e| PasskeyRefusal::Start(e.to_string()))?;
        let options = to_raw_value(&options.public_key).map_err(|_| PasskeyRefusal::Seal)?;
        Ok(Ceremony { options, state: seal(owner, REGISTRATION, state, 0)? })
    }

    /// The passkey the browser's answer registers, if it answers the owner's ceremony `state`.
    pub fn finish_registration(
        &self,
        owner: &Owner<'_>,
        state: &str,
        credential: &str,
    ) -> Result<Passkey, PasskeyRefusal> {
        let state: PasskeyRegistration = open(owner, REGISTRATION, state)?.state;
        let credential: RegisterPublicKeyCredential =
            serde_json::from_str(credential).map_err(|_| PasskeyRefusal::Answer)?;
        self.webauthn
            .finish_passkey_registration(&credential, &state)
            .map_err(|e| PasskeyRefusal::Verification(e.to_string()))
    }

    /// Begins the authentication number `number` with `passkey`.
    pub fn start_authentication(
        &self,
        owner: &Owner<'_>,
        passkey: &Passkey,
        number: u64,
    ) -> Result<Ceremony, PasskeyRefusal> {
        let (options, state) = self
            .webauthn
            .start_passkey_authentication(std::slice::from_ref(passkey))
            .map_err(|e| PasskeyRefusal::Start(e.to_string()))?;
        let options = to_raw_value(&options.public_key).map_err(|_| PasskeyRefusal::Seal)?;
        Ok(Ceremony { options, state: seal(owner, AUTHENTICATION, state, number)? })
    }

    /// `passkey` after the browser's answer to the owner's ceremony `state` verified (its
    /// signature counter taken over), or why not. An answer of another passkey is refused.
    pub fn finish_authentication(
        &self,
        owner: &Owner<'_>,
        mut passkey: Passkey,
        state: &str,
        credential: &str,
    ) -> Result<Answered, PasskeyRefusal> {
        let sealed: Sealed<PasskeyAuthentication> = open(owner, AUTHENTICATION, state)?;
        let (state, number) = (sealed.state, sealed.number);
        let credential: PublicKeyCredential =
            serde_json::from_str(credential).map_err(|_| PasskeyRefusal::Answer)?;
        let result = self
            .webauthn
            .finish_passkey_authentication(&credential, &state)
            .map_err(|e| PasskeyRefusal::Verification(e.to_string()))?;
        match passkey.update_credential(&result) {
            Some(_) => Ok(Answered { passkey, number }),
            None => Err(PasskeyRefusal::Verification("another passkey answered".into())),
        }
    }
}

/// The account's WebAuthn user handle: stable (a new passkey replaces the old one on the same
/// authenticator) and without anything personal in it.
fn user_handle(ik: &Ik) -> Uuid {
    let digest = Sha256::digest(format!("portal-passkey-user|{ik}"));
    let mut bytes = [0; 16];
    bytes.copy_from_slice(&digest[..16]);
    Uuid::from_bytes(bytes)
}

const REGISTRATION: &str = "registration";
const AUTHENTICATION: &str = "authentication";

/// What a ceremony's sealed state is bound to besides tenant and account: its kind and session.
fn purpose(owner: &Owner<'_>, ceremony: &str) -> String {
    format!("passkey-{ceremony}|{}", owner.session.as_str())
}

fn seal<S: Serialize>(
    owner: &Owner<'_>,
    ceremony: &str,
    state: S,
    number: u64,
) -> Result<String, PasskeyRefusal> {
    let until = (owner.now + CEREMONY_VALID_FOR).unix_timestamp();
    let sealed = Sealed { until, number, state };
    let plain = serde_json::to_vec(&sealed).map_err(|_| PasskeyRefusal::Seal)?;
    let sealed = owner
        .cipher
        .seal(&plain, owner.ik, &purpose(owner, ceremony))
        .map_err(|_| PasskeyRefusal::Seal)?;
    Ok(URL_SAFE_NO_PAD.encode(sealed))
}

fn open<S: DeserializeOwned>(
    owner: &Owner<'_>,
    ceremony: &str,
    state: &str,
) -> Result<Sealed<S>, PasskeyRefusal> {
    let sealed = URL_SAFE_NO_PAD.decode(state.trim()).map_err(|_| PasskeyRefusal::State)?;
    let plain = owner
        .cipher
        .open(&sealed, owner.ik, &purpose(owner, ceremony))
        .map_err(|_| PasskeyRefusal::State)?;
    let sealed: Sealed<S> = serde_json::from_slice(&plain).map_err(|_| PasskeyRefusal::State)?;
    if owner.now.unix_timestamp() > sealed.until {
        return Err(PasskeyRefusal::State);
    }
    Ok(sealed)
}

/// A passkey as stored (sealed): webauthn-rs's own JSON form.
pub fn passkey_bytes(passkey: &Passkey) -> Vec<u8> {
    serde_json::to_vec(passkey).unwrap_or_default()
}

pub fn passkey_from(bytes: &[u8]) -> Option<Passkey> {
    serde_json::from_slice(bytes).ok()
}
