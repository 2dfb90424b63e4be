//! The reports' contents sealed with AES-256-GCM under a key the store never holds (a key file
//! beside the local store, in AWS a Secrets Manager secret encrypted with the stage's KMS key,
//! see [`ReportKeys::from_secret`]). Each tenant has a key of its own, derived
//! from the deployment's with HKDF, and each sealed value is bound to its report and practice,
//! so contents copied onto another record do not open.

use portal_domain::Ik;
use ring::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use ring::hkdf::{HKDF_SHA256, Salt};
use ring::rand::{SecureRandom, SystemRandom};

use crate::model::{ReportContents, ReportId, Sealed};

/// The first byte of every sealed value: which format (and key) sealed it.
const FORMAT: u8 = 1;

/// The deployment's key, from which each tenant's is derived.
#[derive(Clone)]
pub struct ReportKeys([u8; 32]);

impl ReportKeys {
    pub const LEN: usize = 32;

    /// 32 random bytes, kept outside the store. `None` for any other length.
    pub fn from_bytes(bytes: &[u8]) -> Option<ReportKeys> {
        Some(ReportKeys(bytes.try_into().ok()?))
    }

    /// The fewest characters [`from_secret`](ReportKeys::from_secret) takes.
    pub const SECRET_MIN_CHARS: usize = 32;

    /// The deployment's key from a secret's text (in AWS the 64 letters and digits Secrets
    /// Manager generated): HKDF-SHA256 extracts and expands the text, under a salt and info of
    /// its own, into the 32 bytes. The same text always gives the same key (the text is the key,
    /// kept; nothing else is stored); surrounding whitespace, such as a newline pasted with it,
    /// does not count. `None` for fewer than [`SECRET_MIN_CHARS`](ReportKeys::SECRET_MIN_CHARS)
    /// characters.
    pub fn from_secret(text: &str) -> Option<ReportKeys> {
        let text = text.trim();
        if text.chars().count() < Self::SECRET_MIN_CHARS {
            return None;
        }
        let salt = Salt::new(HKDF_SHA256, b"portal report keys from a secret v1");
        let info = [b"portal report contents deployment key".as_slice()];
        let mut key = [0; 32];
        // HKDF_SHA256 as the output type: its length is SHA-256's, 32 bytes.
        salt.extract(text.as_bytes()).expand(&info, HKDF_SHA256).ok()?.fill(&mut key).ok()?;
        Some(ReportKeys(key))
    }

    /// A new random key (for the first start of a local portal).
    pub fn generate() -> Result<[u8; 32], ring::error::Unspecified> {
        let mut key = [0; 32];
        SystemRandom::new().fill(&mut key)?;
        Ok(key)
    }

    pub fn for_tenant(&self, tenant: &Ik) -> ReportCipher {
        let salt = Salt::new(HKDF_SHA256, b"portal report contents v1");
        let info = [tenant.as_str().as_bytes()];
        let mut key = [0; 32];
        // HKDF's expand fails only for outputs longer than 255 hash lengths, which 32 bytes
        // never are; were it to fail, the cipher has no key (rather than an all-zero one).
        let prk = salt.extract(&self.0);
        let derived = prk.expand(&info, &AES_256_GCM).and_then(|okm| okm.fill(&mut key));
        let key = derived.and_then(|()| UnboundKey::new(&AES_256_GCM, &key)).map(LessSafeKey::new);
        ReportCipher { key: key.ok(), tenant: *tenant }
    }
}

impl ReportKeys {
    /// The tenant's key for account secrets (the TOTP secrets of the second factor): derived
    /// from the same deployment key as the reports' one, under a salt and info of its own, so
    /// neither key tells anything of the other and no sealed value opens under the other.
    pub fn for_account_secrets(&self, tenant: &Ik) -> SecretCipher {
        let salt = Salt::new(HKDF_SHA256, b"portal account secrets v1");
        let info = [b"account secrets|".as_slice(), tenant.as_str().as_bytes()];
        let mut key = [0; 32];
        let prk = salt.extract(&self.0);
        let derived = prk.expand(&info, &AES_256_GCM).and_then(|okm| okm.fill(&mut key));
        let key = derived.and_then(|()| UnboundKey::new(&AES_256_GCM, &key)).map(LessSafeKey::new);
        SecretCipher { key: key.ok(), tenant: *tenant }
    }
}

/// One tenant's key for the secrets of its accounts (AES-256-GCM, each value bound to the
/// tenant, the account and what it is).
pub struct SecretCipher {
    key: Option<LessSafeKey>,
    tenant: Ik,
}

impl SecretCipher {
    /// A cipher that seals and opens nothing (a process without the key).
    pub fn without_key(tenant: &Ik) -> SecretCipher {
        SecretCipher { key: None, tenant: *tenant }
    }

    /// Whether this process can seal and open at all.
    pub fn has_key(&self) -> bool {
        self.key.is_some()
    }

    /// `secret` sealed for `ik`'s `purpose` (`totp`).
    pub fn seal(&self, secret: &[u8], ik: &Ik, purpose: &str) -> Result<Vec<u8>, CipherError> {
        let key = self.key.as_ref().ok_or(CipherError::Seal)?;
        let mut nonce = [0; NONCE_LEN];
        SystemRandom::new().fill(&mut nonce).map_err(|_| CipherError::Seal)?;
        let mut data = secret.to_vec();
        let aad = format!("{}|{ik}|{purpose}", self.tenant);
        key.seal_in_place_append_tag(
            Nonce::assume_unique_for_key(nonce),
            Aad::from(aad),
            &mut data,
        )
        .map_err(|_| CipherError::Seal)?;
        let mut sealed = Vec::with_capacity(1 + NONCE_LEN + data.len());
        sealed.push(FORMAT);
        sealed.extend_from_slice(&nonce);
        sealed.extend_from_slice(&data);
        Ok(sealed)
    }

    pub fn open(&self, sealed: &[u8], ik: &Ik, purpose: &str) -> Result<Vec<u8>, CipherError> {
        let key = self.key.as_ref().ok_or(CipherError::Open)?;
        let (format, rest) = sealed.split_first().ok_or(CipherError::Open)?;
        if *format != FORMAT || rest.len() < NONCE_LEN {
            return Err(CipherError::Open);
        }
        let (nonce, data) = rest.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| CipherError::Open)?;
        let mut data = data.to_vec();
        let aad = format!("{}|{ik}|{purpose}", self.tenant);
        let plain =
            key.open_in_place(nonce, Aad::from(aad), &mut data).map_err(|_| CipherError::Open)?;
        Ok(plain.to_vec())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum CipherError {
    #[error("the report's contents could not be sealed")]
    Seal,
    /// Wrong key, or the bytes were changed or belong to another report.
    #[error("the report's contents do not open with this key")]
    Open,
}

/// One tenant's key.
pub struct ReportCipher {
    /// `None` in a process without the key (and, in theory, if a 32-byte key did not make an
    /// AES-256 key): every seal and open then fails.
    key: Option<LessSafeKey>,
    tenant: Ik,
}

impl ReportCipher {
    /// A cipher that seals and opens nothing (a process without the key).
    pub fn without_key(tenant: &Ik) -> ReportCipher {
        ReportCipher { key: None, tenant: *tenant }
    }

    pub fn seal(
        &self,
        contents: &ReportContents,
        practice: &Ik,
        report: &ReportId,
    ) -> Result<Sealed, CipherError> {
        let key = self.key.as_ref().ok_or(CipherError::Seal)?;
        let mut nonce = [0; NONCE_LEN];
        SystemRandom::new().fill(&mut nonce).map_err(|_| CipherError::Seal)?;
        let mut data = serde_json::to_vec(contents).map_err(|_| CipherError::Seal)?;
        key.seal_in_place_append_tag(
            Nonce::assume_unique_for_key(nonce),
            Aad::from(self.bound_to(practice, report)),
            &mut data,
        )
        .map_err(|_| CipherError::Seal)?;
        let mut sealed = Vec::with_capacity(1 + NONCE_LEN + data.len());
        sealed.push(FORMAT);
        sealed.extend_from_slice(&nonce);
        sealed.extend_from_slice(&data);
        Ok(Sealed(sealed))
    }

    pub fn open(
        &self,
        sealed: &Sealed,
        practice: &Ik,
        report: &ReportId,
    ) -> Result<ReportContents, CipherError> {
        let key = self.key.as_ref().ok_or(CipherError::Open)?;
        let (format, rest) = sealed.0.split_first().ok_or(CipherError::Open)?;
        if *format != FORMAT || rest.len() < NONCE_LEN {
            return Err(CipherError::Open);
        }
        let (nonce, data) = rest.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| CipherError::Open)?;
        let mut data = data.to_vec();
        let plain = key
            .open_in_place(nonce, Aad::from(self.bound_to(practice, report)), &mut data)
            .map_err(|_| CipherError::Open)?;
        serde_json::from_slice(plain).map_err(|_| CipherError::Open)
    }

    /// A practice's own PDF sealed like the contents, bound to its report and marked as an
    /// attachment (so it never opens as contents, nor contents as it).
    pub fn seal_attachment(
        &self,
        pdf: &[u8],
        practice: &Ik,
        report: &ReportId,
    ) -> Result<Vec<u8>, CipherError> {
        let key = self.key.as_ref().ok_or(CipherError::Seal)?;
        let mut nonce = [0; NONCE_LEN];
        SystemRandom::new().fill(&mut nonce).map_err(|_| CipherError::Seal)?;
        let mut sealed = Vec::with_capacity(1 + NONCE_LEN + pdf.len() + 16);
        sealed.push(FORMAT);
        sealed.extend_from_slice(&nonce);
        sealed.extend_from_slice(pdf);
        let mut aad = self.bound_to(practice, report);
        aad.extend_from_slice(b"|attachment");
        let tag = key
            .seal_in_place_separate_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(aad),
                &mut sealed[1 + NONCE_LEN..],
            )
            .map_err(|_| CipherError::Seal)?;
        sealed.extend_from_slice(tag.as_ref());
        Ok(sealed)
    }

    pub fn open_attachment(
        &self,
        sealed: &[u8],
        practice: &Ik,
        report: &ReportId,
    ) -> Result<Vec<u8>, CipherError> {
        let key = self.key.as_ref().ok_or(CipherError::Open)?;
        let (format, rest) = sealed.split_first().ok_or(CipherError::Open)?;
        if *format != FORMAT || rest.len() < NONCE_LEN {
            return Err(CipherError::Open);
        }
        let (nonce, data) = rest.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| CipherError::Open)?;
        let mut data = data.to_vec();
        let mut aad = self.bound_to(practice, report);
        aad.extend_from_slice(b"|attachment");
        let plain =
            key.open_in_place(nonce, Aad::from(aad), &mut data).map_err(|_| CipherError::Open)?;
        let len = plain.len();
        data.truncate(len);
        Ok(data)
    }

    /// What a sealed value belongs to: the tenant, the practice, the report.
    fn bound_to(&self, practice: &Ik, report: &ReportId) -> Vec<u8> {
        format!("{}|{practice}|{report}", self.tenant).into_bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ik(s: &str) -> Ik {
        Ik::parse(s).unwrap()
    }

    fn contents() -> ReportContents {
        let mut contents = ReportContents::default();
        contents.form.findings = "Schulterschmerz rechts, Abduktion bis 90°".into();
        contents
    }

    #[test]
    fn sealed_contents_show_no_clinical_text_and_open_again_with_the_key() {
        let keys = ReportKeys::from_bytes(&[7; 32]).unwrap();
        let cipher = keys.for_tenant(&ik("107299005"));
        let (practice, report) = (ik("107299005"), ReportId::new());
        let sealed = cipher.seal(&contents(), &practice, &report).unwrap();
        assert!(!String::from_utf8_lossy(&sealed.0).contains("Schulter"));
        assert_eq!(cipher.open(&sealed, &practice, &report).unwrap(), contents());
        // Sealing twice gives different bytes (a fresh nonce each time).
        assert_ne!(cipher.seal(&contents(), &practice, &report).unwrap(), sealed);
    }

    #[test]
    fn contents_do_not_open_on_another_report_practice_tenant_or_key() {
        let keys = ReportKeys::from_bytes(&[7; 32]).unwrap();
        let (practice, report) = (ik("107299005"), ReportId::new());
        let sealed =
            keys.for_tenant(&ik("107299005")).seal(&contents(), &practice, &report).unwrap();
        let cipher = keys.for_tenant(&ik("107299005"));
        assert!(cipher.open(&sealed, &practice, &ReportId::new()).is_err());
        assert!(cipher.open(&sealed, &ik("108310400"), &report).is_err());
        assert!(keys.for_tenant(&ik("108310400")).open(&sealed, &practice, &report).is_err());
        let other = ReportKeys::from_bytes(&[8; 32]).unwrap().for_tenant(&ik("107299005"));
        assert!(other.open(&sealed, &practice, &report).is_err());
        let mut changed = sealed.clone();
        if let Some(last) = changed.0.last_mut() {
            *last ^= 1;
        }
        assert!(cipher.open(&changed, &practice, &report).is_err());
        assert!(cipher.open(&Sealed(vec![]), &practice, &report).is_err());
        assert!(ReportKeys::from_bytes(&[1; 31]).is_none());
    }

    #[test]
    fn an_attachment_opens_for_its_report_only_and_never_as_contents() {
        let keys = ReportKeys::from_bytes(&[7; 32]).unwrap();
        let cipher = keys.for_tenant(&ik("107299005"));
        let (practice, report) = (ik("401612342"), ReportId::new());
        let pdf = b"%PDF-1.7 Schulterschmerz".to_vec();
        let sealed = cipher.seal_attachment(&pdf, &practice, &report).unwrap();
        assert!(!String::from_utf8_lossy(&sealed).contains("Schulter"));
        assert_eq!(cipher.open_attachment(&sealed, &practice, &report).unwrap(), pdf);
        assert!(cipher.open_attachment(&sealed, &practice, &ReportId::new()).is_err());
        assert!(cipher.open_attachment(&sealed, &ik("401612353"), &report).is_err());
        assert!(cipher.open(&Sealed(sealed.clone()), &practice, &report).is_err());
        let as_contents = cipher.seal(&contents(), &practice, &report).unwrap();
        assert!(cipher.open_attachment(&as_contents.0, &practice, &report).is_err());
    }

    #[test]
    fn a_secrets_text_gives_the_same_key_every_time_and_another_text_another_key() {
        let text = "q7Vd2mXc9LrT4bNw8HsK1pZy6GfJ3aEuWo5iQxRt0YvCn2MlBk8sDh4jPe7gUz9a";
        let key = ReportKeys::from_secret(text).unwrap();
        assert_eq!(ReportKeys::from_secret(text).unwrap().0, key.0);
        // A newline pasted with the secret does not change it.
        assert_eq!(ReportKeys::from_secret(&format!("{text}\n")).unwrap().0, key.0);
        let other = ReportKeys::from_secret(&text.replace('q', "r")).unwrap();
        assert_ne!(other.0, key.0);
        // Not the text's bytes themselves.
        assert_ne!(&key.0[..], &text.as_bytes()[..32]);
        // Contents sealed under the key open with the key of the same text only.
        let (practice, report) = (ik("107299005"), ReportId::new());
        let sealed = key.for_tenant(&practice).seal(&contents(), &practice, &report).unwrap();
        let again = ReportKeys::from_secret(text).unwrap().for_tenant(&practice);
        assert_eq!(again.open(&sealed, &practice, &report).unwrap(), contents());
        assert!(other.for_tenant(&practice).open(&sealed, &practice, &report).is_err());
    }

    #[test]
    fn account_secrets_have_a_key_of_their_own_per_tenant_and_open_for_their_account_only() {
        let keys = ReportKeys::from_bytes(&[7; 32]).unwrap();
        let (tenant, ik1, ik2) = (ik("107299005"), ik("301412340"), ik("401612342"));
        let cipher = keys.for_account_secrets(&tenant);
        let sealed = cipher.seal(b"totp secret bytes", &ik1, "totp").unwrap();
        assert_eq!(cipher.open(&sealed, &ik1, "totp").unwrap(), b"totp secret bytes");
        assert!(cipher.open(&sealed, &ik2, "totp").is_err());
        assert!(cipher.open(&sealed, &ik1, "other").is_err());
        assert!(keys.for_account_secrets(&ik("108310400")).open(&sealed, &ik1, "totp").is_err());
        assert!(SecretCipher::without_key(&tenant).open(&sealed, &ik1, "totp").is_err());
        // Not the reports' key: the same bytes sealed there do not open here.
        let report = ReportId::new();
        let as_report = keys.for_tenant(&tenant).seal(&contents(), &ik1, &report).unwrap();
        assert!(cipher.open(&as_report.0, &ik1, "totp").is_err());
    }

    #[test]
    fn a_secret_shorter_than_32_characters_gives_no_key() {
        assert!(ReportKeys::from_secret("").is_none());
        assert!(ReportKeys::from_secret(&"a".repeat(31)).is_none());
        assert!(ReportKeys::from_secret(&format!("  {}  \n", "a".repeat(31))).is_none());
        assert!(ReportKeys::from_secret(&"a".repeat(32)).is_some());
    }
}
