//! Letters to the address on file: the credential letters and the notices, and who sends them.

use portal_domain::Ik;
use time::OffsetDateTime;

use super::LetterId;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LetterKind {
    InitialPassword,
    Pruefnummer,
    /// Tells the provider that the password was changed or reset.
    PasswordChanged,
    /// Tells the provider that someone asked for new letters while the earlier ones are valid.
    RegistrationRepeated,
    /// Tells the provider that the second factor was enrolled, removed, or reset.
    FactorChanged,
    /// Tells the provider of a login from a browser not seen before for the account.
    NewBrowser,
}

impl LetterKind {
    pub fn as_str(self) -> &'static str {
        match self {
            LetterKind::InitialPassword => "initial_password",
            LetterKind::Pruefnummer => "pruefnummer",
            LetterKind::PasswordChanged => "password_changed",
            LetterKind::RegistrationRepeated => "registration_repeated",
            LetterKind::FactorChanged => "factor_changed",
            LetterKind::NewBrowser => "new_browser",
        }
    }

    pub fn parse(s: &str) -> Option<LetterKind> {
        [
            LetterKind::InitialPassword,
            LetterKind::Pruefnummer,
            LetterKind::PasswordChanged,
            LetterKind::RegistrationRepeated,
            LetterKind::FactorChanged,
            LetterKind::NewBrowser,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }

    /// Credential letters become void when newer ones are issued; notices never do.
    pub fn is_credential(self) -> bool {
        matches!(self, LetterKind::InitialPassword | LetterKind::Pruefnummer)
    }
}

/// A message waiting to be sent: complete RFC 5322 text, addressed to the directory's address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Letter {
    /// A ULID: sorts by creation, names the outbox file, and is the message's idempotency key.
    pub id: LetterId,
    pub ik: Ik,
    pub kind: LetterKind,
    pub generation: u32,
    pub recipient: String,
    pub message: String,
    pub created_at: OffsetDateTime,
}

/// Where a letter stands in the queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LetterStatus {
    /// Waiting for the dispatcher; only now does the letter hold its text.
    Pending,
    Sent,
    /// Superseded by newer letters before it was sent: never to be sent.
    Void,
}

impl LetterStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            LetterStatus::Pending => "pending",
            LetterStatus::Sent => "sent",
            LetterStatus::Void => "void",
        }
    }
}

/// Who the letters come from and where the portal is.
#[derive(Debug, Clone)]
pub struct Sender {
    pub name: String,
    pub address: String,
    pub portal_url: String,
    /// The letterhead's postal address, one line each.
    pub postal_address: Vec<String>,
    /// The foot's contact line.
    pub service_line: String,
}

impl Default for Sender {
    fn default() -> Sender {
        Sender {
            name: "Serviceportal für Leistungserbringer".into(),
            address: "serviceportal@portal.example".into(),
            portal_url: "http://127.0.0.1:8080".into(),
            postal_address: Vec::new(),
            service_line: String::new(),
        }
    }
}
