//! The second factor's mechanics: TOTP (RFC 6238: HMAC-SHA-1, 6 digits, 30-second steps, one
//! step of clock drift either way), its enrolment URI and QR code, and the recovery codes.

use qrcode::QrCode;
use qrcode::render::svg;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq as _;
use totp_rs::{Algorithm, Builder, Totp};

use super::secrets::random_bytes;

/// RFC 4226 recommends 160 bits.
pub const SECRET_BYTES: usize = 20;
const STEP_SECONDS: u64 = 30;
const DIGITS: u8 = 6;
/// How many recovery codes an enrolment gives.
pub const RECOVERY_CODES: usize = 10;

/// A fresh TOTP secret.
pub fn new_secret() -> [u8; SECRET_BYTES] {
    random_bytes()
}

/// The TOTP of `secret`, named in authenticator apps as `issuer` and `account`.
fn totp(secret: &[u8], issuer: &str, account: &str) -> Option<Totp> {
    // The otpauth label separates issuer and account with a colon: neither may hold one.
    let clean = |text: &str| text.replace(':', " ");
    Builder::new()
        .with_algorithm(Algorithm::SHA1)
        .with_digits(DIGITS)
        .with_skew(1)
        .with_step_duration(STEP_SECONDS)
        .with_secret(secret.to_vec())
        .with_issuer(Some(clean(issuer)))
        .with_account_name(clean(account))
        .build()
        .ok()
}

/// The time step `code` is right for at Unix time `now` (the step before, now's, or the one
/// after); `None` for a wrong or malformed code.
pub fn check(secret: &[u8], code: &str, now: i64) -> Option<u64> {
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    if code.len() != usize::from(DIGITS) || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let now = u64::try_from(now).ok()?;
    totp(secret, "-", "-")?.check(&code, now)
}

/// The code for Unix time `at` (for tests and the demo).
pub fn code_at(secret: &[u8], at: i64) -> Option<String> {
    Some(totp(secret, "-", "-")?.generate(u64::try_from(at).ok()?).to_string())
}

/// The secret as authenticator apps take it typed in: base32 without padding.
pub fn secret_text(secret: &[u8]) -> String {
    base32_encode(secret)
}

/// Reads [`secret_text`] back (tests use it to compute codes like an app).
pub fn secret_from_text(text: &str) -> Option<Vec<u8>> {
    base32_decode(text)
}

/// The `otpauth://totp/…` URI an authenticator app reads from the QR code.
pub fn otpauth_uri(secret: &[u8], issuer: &str, account: &str) -> Option<String> {
    totp(secret, issuer, account)?.to_url().ok()
}

/// The URI as a QR code, an SVG document.
pub fn qr_svg(uri: &str) -> Option<String> {
    let code = QrCode::new(uri.as_bytes()).ok()?;
    Some(
        code.render::<svg::Color<'_>>()
            .min_dimensions(200, 200)
            .dark_color(svg::Color("#000000"))
            .light_color(svg::Color("#ffffff"))
            .build(),
    )
}

/// Ten recovery codes: 16 characters of Crockford's base32 each (80 bits), in groups of four.
pub fn new_recovery_codes() -> Vec<String> {
    (0..RECOVERY_CODES).map(|_| super::secrets::new_initial_password()).collect()
}

/// A recovery code as typed: without dashes and blanks, lowercase, the letters people confuse
/// with digits read as those digits (Crockford).
fn normalised(code: &str) -> String {
    code.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| match c.to_ascii_lowercase() {
            'o' => '0',
            'i' | 'l' => '1',
            other => other,
        })
        .collect()
}

/// A recovery code as stored: `salt$sha256(salt ‖ code)`, hex. A fast hash is enough here: each
/// code carries 80 random bits, so trying codes offline against a stolen hash is as hopeless
/// with SHA-256 as with Argon2id, and the check of all ten stays cheap enough to run inside
/// the account's optimistic update (which a slow hash would hold up by a second).
pub fn hash_recovery_code(code: &str) -> String {
    let salt: [u8; 16] = random_bytes();
    let salt = hex::encode(salt);
    format!("{salt}${}", salted(&salt, &normalised(code)))
}

fn salted(salt: &str, code: &str) -> String {
    hex::encode(
        Sha256::new().chain_update(salt.as_bytes()).chain_update(code.as_bytes()).finalize(),
    )
}

/// The index of the stored hash `code` matches; every hash is compared, in constant time.
pub fn matching_recovery_code(hashes: &[String], code: &str) -> Option<usize> {
    let code = normalised(code);
    if code.len() != 16 {
        return None;
    }
    let mut found = None;
    for (index, stored) in hashes.iter().enumerate() {
        let Some((salt, hash)) = stored.split_once('$') else { continue };
        let same: bool = salted(salt, &code).as_bytes().ct_eq(hash.as_bytes()).into();
        if same && found.is_none() {
            found = Some(index);
        }
    }
    found
}

const BASE32: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

fn base32_encode(bytes: &[u8]) -> String {
    let mut out = String::new();
    let (mut buffer, mut bits) = (0u32, 0u32);
    for byte in bytes {
        buffer = (buffer << 8) | u32::from(*byte);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(char::from(BASE32[((buffer >> bits) & 31) as usize]));
        }
    }
    if bits > 0 {
        out.push(char::from(BASE32[((buffer << (5 - bits)) & 31) as usize]));
    }
    out
}

fn base32_decode(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let (mut buffer, mut bits) = (0u32, 0u32);
    for c in text.chars().filter(|c| !c.is_whitespace() && *c != '=') {
        let value = BASE32.iter().position(|b| char::from(*b) == c.to_ascii_uppercase())?;
        buffer = (buffer << 5) | u32::try_from(value).ok()?;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push(u8::try_from((buffer >> bits) & 0xff).ok()?);
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 appendix B, SHA-1 (8 digits there; the last 6 of them here).
    #[test]
    fn codes_are_those_of_rfc_6238() {
        let secret = b"12345678901234567890";
        assert_eq!(code_at(secret, 59).unwrap(), "287082");
        assert_eq!(code_at(secret, 1_111_111_109).unwrap(), "081804");
        assert_eq!(code_at(secret, 2_000_000_000).unwrap(), "279037");
    }

    #[test]
    fn a_code_is_right_one_step_either_way_and_says_its_step() {
        let secret = new_secret();
        let now = 1_800_000_015;
        let code = code_at(&secret, now).unwrap();
        assert_eq!(check(&secret, &code, now), Some(60_000_000));
        assert_eq!(check(&secret, &code, now + 30), Some(60_000_000));
        assert_eq!(check(&secret, &code, now - 30), Some(60_000_000));
        assert_eq!(check(&secret, &code, now + 60), None);
        assert_eq!(check(&secret, "12345", now), None);
        assert_eq!(check(&secret, "abcdef", now), None);
        let spaced = format!("{} {}", &code[..3], &code[3..]);
        assert_eq!(check(&secret, &spaced, now), Some(60_000_000));
    }

    #[test]
    fn the_secret_text_uri_and_qr_code_carry_the_secret_for_an_app() {
        let secret = new_secret();
        let text = secret_text(&secret);
        assert_eq!(text.len(), 32);
        assert_eq!(secret_from_text(&text).unwrap(), secret);
        let uri = otpauth_uri(&secret, "AOK PLUS: Demo", "301412340").unwrap();
        assert!(uri.starts_with("otpauth://totp/"), "{uri}");
        assert!(uri.contains(&format!("secret={text}")), "{uri}");
        assert!(uri.contains("301412340"));
        let svg = qr_svg(&uri).unwrap();
        assert!(svg.contains("<svg") && svg.contains("</svg>"));
    }

    #[test]
    fn a_recovery_code_matches_its_hash_only_however_it_is_typed() {
        let codes = new_recovery_codes();
        assert_eq!(codes.len(), 10);
        let hashes: Vec<String> = codes.iter().map(|c| hash_recovery_code(c)).collect();
        assert!(!hashes[0].contains(&normalised(&codes[0])));
        assert_eq!(matching_recovery_code(&hashes, &codes[3]), Some(3));
        let typed = codes[7].to_uppercase().replace('-', " ");
        assert_eq!(matching_recovery_code(&hashes, &typed), Some(7));
        assert_eq!(matching_recovery_code(&hashes, "0000-0000-0000-0000"), None);
        assert_eq!(matching_recovery_code(&hashes, ""), None);
    }
}
