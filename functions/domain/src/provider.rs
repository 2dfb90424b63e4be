use std::fmt;

use serde::{Deserialize, Serialize};

use crate::{Ik, Lang, UserFacing};

/// An entry of the provider directory the insurer imports: who may register with an IK, and the
/// address the credential letters go to. The address never comes from the registrant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Provider {
    pub ik: Ik,
    pub name: String,
    pub email: EmailAddress,
    pub address: Address,
    pub berufsfeld: Berufsfeld,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Address {
    pub strasse: String,
    pub plz: String,
    pub ort: String,
}

/// The provider's field, as the directory names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Berufsfeld {
    Apotheke,
    Heilmittel,
    Hilfsmittel,
    Sonstige,
}

impl Berufsfeld {
    pub const ALL: [Berufsfeld; 4] = [
        Berufsfeld::Apotheke,
        Berufsfeld::Heilmittel,
        Berufsfeld::Hilfsmittel,
        Berufsfeld::Sonstige,
    ];

    pub fn parse(input: &str) -> Option<Berufsfeld> {
        let input = input.trim().to_lowercase();
        Berufsfeld::ALL.into_iter().find(|b| b.as_str() == input)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Berufsfeld::Apotheke => "apotheke",
            Berufsfeld::Heilmittel => "heilmittel",
            Berufsfeld::Hilfsmittel => "hilfsmittel",
            Berufsfeld::Sonstige => "sonstige",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ProviderError {
    #[error("the name is empty or longer than 200 characters")]
    Name,
    #[error("the street is empty or longer than 200 characters")]
    Strasse,
    #[error("a postcode has 5 digits")]
    Plz,
    #[error("the town is empty or longer than 200 characters")]
    Ort,
    #[error("the field is not one of apotheke, heilmittel, hilfsmittel, sonstige")]
    Berufsfeld,
    /// A free-text field holds control characters (an escape sequence, a line break).
    #[error("the {0} contains control characters")]
    Control(TextField),
}

/// The directory's free-text fields, to say which one holds what it must not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextField {
    Name,
    Strasse,
    Ort,
}

impl TextField {
    /// The column of the import file.
    pub fn column(self) -> &'static str {
        match self {
            TextField::Name => "name",
            TextField::Strasse => "strasse",
            TextField::Ort => "ort",
        }
    }
}

impl fmt::Display for TextField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.column())
    }
}

impl Provider {
    /// Checks the directory's free-text fields; `ik` and `email` arrive parsed.
    pub fn new(
        ik: Ik,
        name: &str,
        email: EmailAddress,
        strasse: &str,
        plz: &str,
        ort: &str,
        berufsfeld: &str,
    ) -> Result<Provider, ProviderError> {
        Ok(Provider {
            ik,
            name: directory_text(name, TextField::Name, ProviderError::Name)?,
            email,
            address: Address::parse(strasse, plz, ort)?,
            berufsfeld: Berufsfeld::parse(berufsfeld).ok_or(ProviderError::Berufsfeld)?,
        })
    }
}

impl Address {
    /// A directory's postal address: street and town of 1 to 200 characters without control
    /// characters, a postcode of 5 digits.
    pub fn parse(strasse: &str, plz: &str, ort: &str) -> Result<Address, ProviderError> {
        let plz = plz.trim();
        if plz.len() != 5 || !plz.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ProviderError::Plz);
        }
        Ok(Address {
            strasse: directory_text(strasse, TextField::Strasse, ProviderError::Strasse)?,
            plz: plz.to_string(),
            ort: directory_text(ort, TextField::Ort, ProviderError::Ort)?,
        })
    }
}

/// A free-text field of a directory the insurer imports: trimmed, 1 to 200 characters, no
/// control characters (an escape sequence or a line break would reach letters and pages).
pub(crate) fn directory_text(
    value: &str,
    field: TextField,
    error: ProviderError,
) -> Result<String, ProviderError> {
    let value = value.trim();
    if value.chars().any(char::is_control) {
        return Err(ProviderError::Control(field));
    }
    let fits = !value.is_empty() && value.chars().count() <= 200;
    if fits { Ok(value.to_string()) } else { Err(error) }
}

/// A mail address good enough to send a letter to: one `@`, a local part, a dotted domain, no
/// spaces or control characters. Deliverability is the mail system's business.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct EmailAddress(String);

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("not a valid e-mail address")]
pub struct EmailError;

impl EmailAddress {
    pub fn parse(input: &str) -> Result<EmailAddress, EmailError> {
        let s = input.trim();
        let (local, domain) = s.split_once('@').ok_or(EmailError)?;
        let valid = s.len() <= 254
            && !local.is_empty()
            && local.len() <= 64
            && !domain.contains('@')
            && domain.contains('.')
            && domain.split('.').all(|label| !label.is_empty())
            && !s
                .chars()
                .any(|c| c.is_whitespace() || c.is_control() || "<>,;\"()[]\\".contains(c));
        if valid { Ok(EmailAddress(s.to_string())) } else { Err(EmailError) }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The address as a registration confirms it, without revealing it: `m***@example.de`.
    pub fn masked(&self) -> String {
        let (local, domain) = self.0.split_once('@').unwrap_or(("", &self.0));
        let first: String = local.chars().take(1).collect();
        format!("{first}***@{domain}")
    }
}

impl TryFrom<String> for EmailAddress {
    type Error = EmailError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        EmailAddress::parse(&value)
    }
}

impl From<EmailAddress> for String {
    fn from(value: EmailAddress) -> Self {
        value.0
    }
}

impl fmt::Debug for EmailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "EmailAddress({})", self.masked())
    }
}

impl UserFacing for ProviderError {
    fn code(&self) -> &'static str {
        "invalid_provider"
    }

    fn message(&self, lang: Lang) -> &'static str {
        match (self, lang) {
            (ProviderError::Name, Lang::De) => "Der Name fehlt oder ist länger als 200 Zeichen.",
            (ProviderError::Name, Lang::En) => "The name is missing or longer than 200 characters.",
            (ProviderError::Strasse, Lang::De) => {
                "Die Straße fehlt oder ist länger als 200 Zeichen."
            }
            (ProviderError::Strasse, Lang::En) => {
                "The street is missing or longer than 200 characters."
            }
            (ProviderError::Plz, Lang::De) => "Die Postleitzahl hat 5 Ziffern.",
            (ProviderError::Plz, Lang::En) => "The postcode has 5 digits.",
            (ProviderError::Ort, Lang::De) => "Der Ort fehlt oder ist länger als 200 Zeichen.",
            (ProviderError::Ort, Lang::En) => "The town is missing or longer than 200 characters.",
            (ProviderError::Berufsfeld, Lang::De) => {
                "Das Berufsfeld ist eines von: apotheke, heilmittel, hilfsmittel, sonstige."
            }
            (ProviderError::Berufsfeld, Lang::En) => {
                "The field is one of: apotheke, heilmittel, hilfsmittel, sonstige."
            }
            (ProviderError::Control(TextField::Name), Lang::De) => {
                "Der Name enthält Steuerzeichen (etwa eine Escape-Sequenz oder einen Zeilenumbruch)."
            }
            (ProviderError::Control(TextField::Name), Lang::En) => {
                "The name contains control characters (such as an escape sequence or a line break)."
            }
            (ProviderError::Control(TextField::Strasse), Lang::De) => {
                "Die Straße enthält Steuerzeichen (etwa eine Escape-Sequenz oder einen Zeilenumbruch)."
            }
            (ProviderError::Control(TextField::Strasse), Lang::En) => {
                "The street contains control characters (such as an escape sequence or a line break)."
            }
            (ProviderError::Control(TextField::Ort), Lang::De) => {
                "Der Ort enthält Steuerzeichen (etwa eine Escape-Sequenz oder einen Zeilenumbruch)."
            }
            (ProviderError::Control(TextField::Ort), Lang::En) => {
                "The town contains control characters (such as an escape sequence or a line break)."
            }
        }
    }
}

impl UserFacing for EmailError {
    fn code(&self) -> &'static str {
        "invalid_email"
    }

    fn message(&self, lang: Lang) -> &'static str {
        match lang {
            Lang::De => "Die E-Mail-Adresse ist ungültig.",
            Lang::En => "The e-mail address is not valid.",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ik() -> Ik {
        Ik::parse("260326822").unwrap()
    }

    fn email() -> EmailAddress {
        EmailAddress::parse("post@muster-apotheke.example").unwrap()
    }

    #[test]
    fn a_directory_entry_is_trimmed_and_checked() {
        let p = Provider::new(
            ik(),
            " Muster-Apotheke ",
            email(),
            "Hauptstr. 1",
            "01067",
            "Dresden",
            "Apotheke",
        )
        .unwrap();
        assert_eq!(p.name, "Muster-Apotheke");
        assert_eq!(p.address.plz, "01067");
        assert_eq!(p.berufsfeld, Berufsfeld::Apotheke);
    }

    #[test]
    fn bad_directory_fields_name_what_is_wrong() {
        let new = |name, plz, berufsfeld| {
            Provider::new(ik(), name, email(), "Hauptstr. 1", plz, "Dresden", berufsfeld)
        };
        assert_eq!(new("", "01067", "apotheke"), Err(ProviderError::Name));
        assert_eq!(
            new("A\u{7}B", "01067", "apotheke"),
            Err(ProviderError::Control(TextField::Name))
        );
        assert_eq!(new("A", "1067", "apotheke"), Err(ProviderError::Plz));
        assert_eq!(new("A", "01067", "bäckerei"), Err(ProviderError::Berufsfeld));
    }

    #[test]
    fn mail_addresses_are_checked_and_masked() {
        assert_eq!(email().masked(), "p***@muster-apotheke.example");
        for bad in [
            "",
            "post",
            "post@",
            "@example.de",
            "a@b",
            "a b@example.de",
            "a@@example.de",
            "a@example..de",
        ] {
            assert_eq!(EmailAddress::parse(bad), Err(EmailError), "{bad}");
        }
    }
}
