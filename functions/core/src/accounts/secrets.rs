//! Secrets: how they are made (from the OS's random source) and how they are kept (Argon2id).

use std::sync::Arc;

use argon2::password_hash::{PasswordHash, PasswordHasher as _, PasswordVerifier as _, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use portal_domain::Pruefnummer;
use portal_domain::access::SessionIdHash;
use sha2::{Digest, Sha256};
use tokio::sync::Semaphore;

/// Argon2id at OWASP's recommended minimum: 19 MiB, two passes, one lane.
const MEMORY_KIB: u32 = 19 * 1024;
const PASSES: u32 = 2;
const LANES: u32 = 1;

#[derive(Debug, thiserror::Error)]
#[error("hashing failed: {0}")]
pub struct HashError(String);

/// Hashes and verifies secrets on tokio's blocking pool, at most `parallel` at a time: each hash
/// takes 19 MiB and tens of milliseconds of a core, and a burst of logins must neither starve the
/// async threads nor exhaust memory.
#[derive(Clone)]
pub struct SecretHasher {
    permits: Arc<Semaphore>,
}

/// Verified against for unknown IKs, so that they take as long as known ones: made with the
/// parameters above (a test holds it to them). Built in rather than made at start, where it
/// cost every cold start of every function one Argon2id run (BENCHMARKS.md, "Cold start"); that
/// it is public does not matter, as its answer is thrown away.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$ZVNqOWFYajdTYjRUaE5lNQ$Nv6RIhW0pXQu+BA1UPozqWpcQ+pTqEe/OPz0QxZIRu4";

impl SecretHasher {
    pub fn new(parallel: usize) -> Result<SecretHasher, HashError> {
        Ok(SecretHasher { permits: Arc::new(Semaphore::new(parallel.max(1))) })
    }

    /// One hashing job per core is what the machine can do at once anyway.
    pub fn for_this_machine() -> Result<SecretHasher, HashError> {
        SecretHasher::new(std::thread::available_parallelism().map_or(2, |n| n.get()))
    }

    pub async fn hash(&self, secret: &str) -> Result<String, HashError> {
        let secret = secret.to_string();
        self.blocking(move || hash_now(&secret)).await?
    }

    /// Whether `secret` matches `phc`; with `None` (unknown user) the dummy hash is verified and
    /// the answer is false, in about the same time.
    pub async fn verify(&self, secret: &str, phc: Option<&str>) -> bool {
        let secret = secret.to_string();
        let (phc, known) = match phc {
            Some(phc) => (phc.to_string(), true),
            None => (DUMMY_HASH.to_string(), false),
        };
        let matches = self.blocking(move || verify_now(&secret, &phc)).await.unwrap_or(false);
        matches && known
    }

    async fn blocking<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, HashError> {
        let _permit = self.permits.acquire().await.map_err(|e| HashError(e.to_string()))?;
        tokio::task::spawn_blocking(work).await.map_err(|e| HashError(e.to_string()))
    }
}

fn argon2() -> Result<Argon2<'static>, HashError> {
    let params =
        Params::new(MEMORY_KIB, PASSES, LANES, None).map_err(|e| HashError(e.to_string()))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

fn hash_now(secret: &str) -> Result<String, HashError> {
    let salt =
        SaltString::encode_b64(&random_bytes::<16>()).map_err(|e| HashError(e.to_string()))?;
    let hash =
        argon2()?.hash_password(secret.as_bytes(), &salt).map_err(|e| HashError(e.to_string()))?;
    Ok(hash.to_string())
}

/// The comparison inside is constant-time; parameters come from the stored hash, so hashes made
/// with older parameters still verify.
fn verify_now(secret: &str, phc: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(phc) else { return false };
    Argon2::default().verify_password(secret.as_bytes(), &parsed).is_ok()
}

pub fn random_bytes<const N: usize>() -> [u8; N] {
    rand::random()
}

/// The mailed initial password: 16 characters of Crockford's base32 (80 bits), in groups of four.
pub fn new_initial_password() -> String {
    const ALPHABET: &[u8; 32] = b"0123456789abcdefghjkmnpqrstvwxyz";
    let symbols: Vec<char> =
        random_bytes::<16>().iter().map(|b| char::from(ALPHABET[usize::from(b % 32)])).collect();
    symbols.chunks(4).map(|group| group.iter().collect::<String>()).collect::<Vec<_>>().join("-")
}

pub fn new_pruefnummer() -> Pruefnummer {
    Pruefnummer::from_random(random_bytes())
}

/// A session id for the cookie (128 bits) and the hash under which the store keeps it.
pub fn new_session_id() -> (String, SessionIdHash) {
    let id = URL_SAFE_NO_PAD.encode(random_bytes::<16>());
    let hash = session_id_hash(&id);
    (id, hash)
}

/// The store never sees the cookie's value: a stolen table does not yield live sessions.
pub fn session_id_hash(id: &str) -> SessionIdHash {
    let hex: String = hex::encode(Sha256::digest(id.as_bytes()));
    SessionIdHash::parse(&hex).unwrap_or_else(|| unreachable!("64 hex digits"))
}

pub fn new_challenge_salt() -> String {
    URL_SAFE_NO_PAD.encode(random_bytes::<16>())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_hash_verifies_its_secret_only() {
        let hasher = SecretHasher::new(2).unwrap();
        let hash = hasher.hash("Sommer im Elbtal 2026").await.unwrap();
        assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(hasher.verify("Sommer im Elbtal 2026", Some(&hash)).await);
        assert!(!hasher.verify("Sommer im Elbtal 2025", Some(&hash)).await);
        assert!(!hasher.verify("Sommer im Elbtal 2026", None).await);
        assert!(!hasher.verify("x", Some("not a hash")).await);
    }

    #[test]
    fn the_dummy_hash_costs_what_a_real_one_costs() {
        let dummy = PasswordHash::new(DUMMY_HASH).unwrap();
        let params = Params::try_from(&dummy).unwrap();
        assert_eq!(dummy.algorithm, Algorithm::Argon2id.ident());
        assert_eq!(dummy.version, Some(Version::V0x13.into()));
        assert_eq!(
            (params.m_cost(), params.t_cost(), params.p_cost(), params.output_len()),
            (MEMORY_KIB, PASSES, LANES, Some(argon2::Params::DEFAULT_OUTPUT_LEN))
        );
        assert!(verify_now("dummy", DUMMY_HASH), "a hash argon2 reads");
    }

    #[test]
    fn generated_secrets_have_their_documented_shape() {
        let password = new_initial_password();
        assert_eq!(password.len(), 19);
        assert_eq!(password.matches('-').count(), 3);
        assert_ne!(new_initial_password(), password);
        let (id, hash) = new_session_id();
        assert_eq!(id.len(), 22);
        assert_eq!(hash, session_id_hash(&id));
        assert_eq!(hash.as_str().len(), 64);
    }
}
