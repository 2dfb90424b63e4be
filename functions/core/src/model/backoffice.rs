//! The back office's own users (not providers): a name per person, an Argon2id hash, and their
//! sessions, all kept under the tenant like everything else.

use time::OffsetDateTime;

/// A back-office user's name: 2 to 40 of `a-z 0-9 . _ -`, starting with a letter (it appears in
/// keys and logs, so it stays plain).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct BackofficeName(String);

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a back-office name is 2 to 40 of a-z, 0-9, '.', '_', '-', starting with a letter")]
pub struct BackofficeNameError;

impl BackofficeName {
    pub fn parse(text: &str) -> Result<BackofficeName, BackofficeNameError> {
        let ok = (2..=40).contains(&text.len())
            && text.starts_with(|c: char| c.is_ascii_lowercase())
            && text.chars().all(|c| {
                c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-')
            });
        if ok { Ok(BackofficeName(text.to_string())) } else { Err(BackofficeNameError) }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for BackofficeName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackofficeUser {
    pub name: BackofficeName,
    /// Argon2id (PHC string), as providers' passwords.
    pub password_hash: String,
    pub created_at: OffsetDateTime,
}

/// A logged-in back-office browser, by the hash of its cookie (the store never sees the value).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackofficeSession {
    pub id_hash: String,
    pub name: BackofficeName,
    pub created_at: OffsetDateTime,
    /// Moves with each request, as providers' sessions do.
    pub idle_expires_at: OffsetDateTime,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_plain_lowercase_words() {
        assert!(BackofficeName::parse("m.mueller").is_ok());
        assert!(BackofficeName::parse("M.Mueller").is_err());
        assert!(BackofficeName::parse("1abc").is_err());
        assert!(BackofficeName::parse("a b").is_err());
        assert!(BackofficeName::parse("a").is_err());
    }
}
