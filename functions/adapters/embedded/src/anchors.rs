//! The local anchor log and its key: an append-only file of signed anchors, and an Ed25519 key
//! in a file of its own. Both live outside the store file; the key may live outside the data
//! folder (`PORTAL_ANCHOR_KEY`), and on Linux `chattr +a` makes the log truly append-only.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use async_trait::async_trait;
use portal_core::{AnchorLog, AnchorSigner, StoreError};
use ring::rand::SystemRandom;
use ring::signature::{ED25519, Ed25519KeyPair, KeyPair as _, UnparsedPublicKey};
use sha2::{Digest as _, Sha256};

/// `audit-anchors.log`: one line per anchor, only ever appended to (and synced to disk).
pub struct FileAnchorLog {
    path: PathBuf,
}

impl FileAnchorLog {
    pub fn new(path: impl Into<PathBuf>) -> FileAnchorLog {
        FileAnchorLog { path: path.into() }
    }
}

#[async_trait]
impl AnchorLog for FileAnchorLog {
    async fn append(&self, line: &str, after: Option<&str>) -> Result<bool, StoreError> {
        let (path, line, after) =
            (self.path.clone(), format!("{line}\n"), after.map(str::to_string));
        tokio::task::spawn_blocking(move || -> std::io::Result<bool> {
            let mut options = std::fs::OpenOptions::new();
            options.read(true).append(true).create(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
            let mut file = options.open(&path)?;
            // Held until the file is closed: another process's anchor waits, then sees ours.
            file.lock()?;
            let mut text = String::new();
            std::io::Read::read_to_string(&mut file, &mut text)?;
            if text.lines().last() != after.as_deref() {
                return Ok(false);
            }
            file.write_all(line.as_bytes())?;
            file.sync_all()?;
            Ok(true)
        })
        .await
        .map_err(StoreError::unavailable)?
        .map_err(StoreError::unavailable)
    }

    async fn lines(&self) -> Result<Vec<String>, StoreError> {
        let path = self.path.clone();
        let read = tokio::task::spawn_blocking(move || std::fs::read_to_string(path))
            .await
            .map_err(StoreError::unavailable)?;
        match read {
            Ok(text) => Ok(text.lines().map(str::to_string).collect()),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
            Err(error) => Err(StoreError::unavailable(error)),
        }
    }
}

/// The anchors' signing key, Ed25519 in a PKCS#8 file (made on first use, mode 0600). Its id is
/// the start of the public key's SHA-256, so anchors say which key signed them.
pub struct FileAnchorKey {
    pair: Ed25519KeyPair,
    id: String,
}

impl FileAnchorKey {
    /// Reads the key at `path`; a missing key is an error (it is what anchors are checked with).
    pub fn open(path: &Path) -> Result<FileAnchorKey, StoreError> {
        let pkcs8 = std::fs::read(path).map_err(StoreError::unavailable)?;
        FileAnchorKey::from_pkcs8(path, &pkcs8)
    }

    /// Reads the key at `path`, or makes one there if there is none yet.
    pub fn open_or_create(path: &Path) -> Result<FileAnchorKey, StoreError> {
        let pkcs8 = read_or_make(path, "anchor key", || {
            Ed25519KeyPair::generate_pkcs8(&SystemRandom::new()).ok().map(|d| d.as_ref().to_vec())
        })?;
        FileAnchorKey::from_pkcs8(path, &pkcs8)
    }

    fn from_pkcs8(path: &Path, pkcs8: &[u8]) -> Result<FileAnchorKey, StoreError> {
        let pair = Ed25519KeyPair::from_pkcs8(pkcs8)
            .map_err(|e| StoreError::Corrupt(format!("the anchor key {}: {e}", path.display())))?;
        let fingerprint = Sha256::digest(pair.public_key().as_ref());
        let id = format!("ed25519:{}", hex::encode(&fingerprint[..8]));
        Ok(FileAnchorKey { pair, id })
    }
}

/// The bytes of the key file at `path`; where there is none, the bytes `make` makes are written
/// there first (a `what` is named when there is no randomness to make one). Another process may
/// make one at the same moment: whichever file won is the key.
pub(crate) fn read_or_make(
    path: &Path,
    what: &str,
    make: impl FnOnce() -> Option<Vec<u8>>,
) -> Result<Vec<u8>, StoreError> {
    match std::fs::read(path) {
        Ok(bytes) => Ok(bytes),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            let made = make().ok_or_else(|| {
                StoreError::unavailable(format!("no randomness for a new {what}"))
            })?;
            write_new_private(path, &made).map_err(StoreError::unavailable)?;
            std::fs::read(path).map_err(StoreError::unavailable)
        }
        Err(error) => Err(StoreError::unavailable(error)),
    }
}

/// Creates `path` with `bytes`, never overwriting a file that exists.
pub(crate) fn write_new_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    if let Some(folder) = path.parent() {
        std::fs::create_dir_all(folder)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Ok(mut file) => {
            file.write_all(bytes)?;
            file.sync_all()
        }
        Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(error) => Err(error),
    }
}

#[async_trait]
impl AnchorSigner for FileAnchorKey {
    fn key_id(&self) -> &str {
        &self.id
    }

    async fn sign(&self, message: &[u8]) -> Result<Vec<u8>, StoreError> {
        Ok(self.pair.sign(message).as_ref().to_vec())
    }

    fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        UnparsedPublicKey::new(&ED25519, self.pair.public_key().as_ref())
            .verify(message, signature)
            .is_ok()
    }
}

/// Stands in for the key where none was ever made (nothing was anchored yet): it signs nothing
/// and vouches for nothing, so chains are still checked and a missing anchor is still reported.
pub struct NoAnchorKey;

#[async_trait]
impl AnchorSigner for NoAnchorKey {
    fn key_id(&self) -> &str {
        "none"
    }

    async fn sign(&self, _: &[u8]) -> Result<Vec<u8>, StoreError> {
        Err(StoreError::unavailable("there is no anchor key to sign with"))
    }

    fn verify(&self, _: &[u8], _: &[u8]) -> bool {
        false
    }
}

/// The key that seals the therapy reports' contents: 32 random bytes in a file of its own
/// (never in the store), made on first use. Losing it makes the stored contents unreadable.
pub fn open_or_create_report_keys(
    path: &Path,
) -> Result<portal_core::therapy::ReportKeys, StoreError> {
    use portal_core::therapy::ReportKeys;
    let bytes = read_or_make(path, "report key", || ReportKeys::generate().ok().map(Vec::from))?;
    ReportKeys::from_bytes(&bytes).ok_or_else(|| {
        StoreError::Corrupt(format!("the report key {} is not 32 bytes", path.display()))
    })
}
