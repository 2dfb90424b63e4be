use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::{Lang, UserFacing};

/// A person's initials as the query shows them ("M. M."). The portal never stores full names:
/// imports reduce them to this before anything is written.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Initials(String);

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    #[error("the first name has no letter")]
    FirstName,
    #[error("the last name has no letter")]
    LastName,
    /// Control characters (an escape sequence, say) are never part of a name: a broken or
    /// tampered file, rejected rather than reduced to a harmless-looking initial.
    #[error("the first name contains control characters")]
    FirstNameControl,
    #[error("the last name contains control characters")]
    LastNameControl,
    #[error("not a stored form of initials")]
    Stored,
}

impl Initials {
    /// "Özlem Çelik" → "Ö. Ç."; double names count by their first part:
    /// "Hans-Peter Müller-Lüdenscheidt" → "H. M.". Letters of every script are kept as they are,
    /// with their combining accents.
    pub fn from_names(first_name: &str, last_name: &str) -> Result<Initials, NameError> {
        if first_name.chars().any(char::is_control) {
            return Err(NameError::FirstNameControl);
        }
        if last_name.chars().any(char::is_control) {
            return Err(NameError::LastNameControl);
        }
        let first = initial(first_name).ok_or(NameError::FirstName)?;
        let last = initial(last_name).ok_or(NameError::LastName)?;
        Ok(Initials(format!("{first}. {last}.")))
    }

    /// Reads initials back from storage, checking that they still have the shape we write.
    pub fn from_stored(stored: &str) -> Result<Initials, NameError> {
        let well_formed = stored.chars().count() <= 2 * (MAX_MARKS + 3)
            && stored.split(' ').count() == 2
            && stored.split(' ').all(|part| {
                part.strip_suffix('.')
                    .and_then(|letter| letter.chars().next())
                    .is_some_and(char::is_alphabetic)
            });
        if well_formed { Ok(Initials(stored.to_string())) } else { Err(NameError::Stored) }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The first letter of the first part of a name, upper-cased, with any combining marks after it
/// (a decomposed "O\u{308}zlem" keeps its umlaut).
fn initial(name: &str) -> Option<String> {
    let first_part = name.split(|c: char| c == '-' || c.is_whitespace()).find(|p| !p.is_empty())?;
    let mut chars = first_part.chars().skip_while(|c| !c.is_alphabetic());
    let letter = chars.next()?;
    let mut initial: String = match letter.to_uppercase().collect::<String>() {
        // "ß" upper-cases to "SS"; an initial is one letter.
        upper if upper.chars().count() == 1 => upper,
        _ => letter.to_string(),
    };
    initial.extend(chars.take_while(|c| is_combining_mark(*c)).take(MAX_MARKS));
    Some(initial)
}

/// Real letters carry at most a few accents; more would only be noise from a broken file.
const MAX_MARKS: usize = 3;

fn is_combining_mark(c: char) -> bool {
    matches!(c, '\u{0300}'..='\u{036F}' | '\u{1AB0}'..='\u{1AFF}' | '\u{1DC0}'..='\u{1DFF}' | '\u{20D0}'..='\u{20FF}')
}

impl fmt::Display for Initials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Initials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Initials(<redacted>)")
    }
}

impl Serialize for Initials {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Initials {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(deserializer)?;
        Initials::from_stored(&raw).map_err(serde::de::Error::custom)
    }
}

impl UserFacing for NameError {
    fn code(&self) -> &'static str {
        "invalid_name"
    }

    fn message(&self, lang: Lang) -> &'static str {
        match (self, lang) {
            (NameError::FirstName, Lang::De) => "Der Vorname enthält keinen Buchstaben.",
            (NameError::FirstName, Lang::En) => "The first name contains no letter.",
            (NameError::LastName, Lang::De) => "Der Nachname enthält keinen Buchstaben.",
            (NameError::LastName, Lang::En) => "The last name contains no letter.",
            (NameError::FirstNameControl, Lang::De) => {
                "Der Vorname enthält Steuerzeichen (etwa eine Escape-Sequenz)."
            }
            (NameError::FirstNameControl, Lang::En) => {
                "The first name contains control characters (such as an escape sequence)."
            }
            (NameError::LastNameControl, Lang::De) => {
                "Der Nachname enthält Steuerzeichen (etwa eine Escape-Sequenz)."
            }
            (NameError::LastNameControl, Lang::En) => {
                "The last name contains control characters (such as an escape sequence)."
            }
            (NameError::Stored, Lang::De) => "Gespeicherte Initialen sind beschädigt.",
            (NameError::Stored, Lang::En) => "Stored initials are damaged.",
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn initials(first: &str, last: &str) -> String {
        Initials::from_names(first, last).unwrap().to_string()
    }

    #[test]
    fn initials_keep_umlauts_and_other_letters() {
        assert_eq!(initials("Max", "Mustermann"), "M. M.");
        assert_eq!(initials("Özlem", "Çelik"), "Ö. Ç.");
        assert_eq!(initials("ñaki", "łukasz"), "Ñ. Ł.");
        assert_eq!(initials("Ελένη", "Παπαδοπούλου"), "Ε. Π.");
        assert_eq!(initials("O\u{308}zlem", "Celik"), "O\u{308}. C.");
    }

    #[test]
    fn double_names_count_by_their_first_part() {
        assert_eq!(initials("Hans-Peter", "Müller-Lüdenscheidt"), "H. M.");
        assert_eq!(initials("Anna Maria", "von der Heide"), "A. V.");
    }

    #[test]
    fn stray_punctuation_and_spaces_are_skipped() {
        assert_eq!(initials("  'Ulf", " -Öztürk"), "U. Ö.");
        assert_eq!(initials("ßigrid", "Lang"), "ß. L.");
    }

    #[test]
    fn names_without_letters_are_rejected() {
        assert_eq!(Initials::from_names("", "Muster"), Err(NameError::FirstName));
        assert_eq!(Initials::from_names("Max", " - "), Err(NameError::LastName));
        assert_eq!(Initials::from_names("123", "Muster"), Err(NameError::FirstName));
    }

    #[test]
    fn names_with_control_characters_are_rejected_not_reduced_to_an_initial() {
        assert_eq!(
            Initials::from_names("\u{1b}[31mMax", "Muster"),
            Err(NameError::FirstNameControl)
        );
        assert_eq!(Initials::from_names("Max", "Mus\u{7}ter"), Err(NameError::LastNameControl));
        assert_eq!(Initials::from_names("Max\t", "Muster"), Err(NameError::FirstNameControl));
    }

    #[test]
    fn stored_initials_are_read_back_only_in_their_written_shape() {
        assert_eq!(Initials::from_stored("Ö. Ç.").unwrap().as_str(), "Ö. Ç.");
        for damaged in ["", "M.", "M M", "Max Mustermann", "1. 2."] {
            assert_eq!(Initials::from_stored(damaged), Err(NameError::Stored), "{damaged}");
        }
    }

    proptest! {
        #[test]
        fn any_initials_made_from_names_can_be_stored_and_read_back(first in "\\PC{0,20}", last in "\\PC{0,20}") {
            if let Ok(initials) = Initials::from_names(&first, &last) {
                prop_assert_eq!(Initials::from_stored(initials.as_str()), Ok(initials));
            }
        }
    }
}
