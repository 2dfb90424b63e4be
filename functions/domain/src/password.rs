//! The rules for a provider's own password that the app can show while the person types. The
//! server adds what needs a dictionary (common and guessable passwords, see `portal-core`).
//! After NIST SP 800-63B: length over composition rules.

use crate::{Ik, Lang, UserFacing};

pub const MIN_PASSWORD_CHARS: usize = 12;
pub const MAX_PASSWORD_CHARS: usize = 128;

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PasswordError {
    #[error("the password has fewer than 12 characters")]
    TooShort,
    #[error("the password has more than 128 characters")]
    TooLong,
    #[error("the password contains the IK")]
    ContainsIk,
    #[error("the password is the initial password")]
    SameAsInitial,
    #[error("the password is too common or too easy to guess")]
    TooGuessable,
}

/// Checks what needs no dictionary: length and the IK.
pub fn check_password_shape(candidate: &str, ik: &Ik) -> Result<(), PasswordError> {
    let chars = candidate.chars().count();
    if chars < MIN_PASSWORD_CHARS {
        return Err(PasswordError::TooShort);
    }
    if chars > MAX_PASSWORD_CHARS {
        return Err(PasswordError::TooLong);
    }
    if candidate.contains(ik.as_str()) {
        return Err(PasswordError::ContainsIk);
    }
    Ok(())
}

impl UserFacing for PasswordError {
    fn code(&self) -> &'static str {
        "weak_password"
    }

    fn message(&self, lang: Lang) -> &'static str {
        match (self, lang) {
            (PasswordError::TooShort, Lang::De) => "Das Kennwort braucht mindestens 12 Zeichen.",
            (PasswordError::TooShort, Lang::En) => "The password needs at least 12 characters.",
            (PasswordError::TooLong, Lang::De) => "Das Kennwort darf höchstens 128 Zeichen haben.",
            (PasswordError::TooLong, Lang::En) => "The password may have at most 128 characters.",
            (PasswordError::ContainsIk, Lang::De) => "Das Kennwort darf Ihr IK nicht enthalten.",
            (PasswordError::ContainsIk, Lang::En) => "The password must not contain your IK.",
            (PasswordError::SameAsInitial, Lang::De) => {
                "Bitte wählen Sie ein anderes Kennwort als das Initialkennwort."
            }
            (PasswordError::SameAsInitial, Lang::En) => {
                "Please choose a password other than the initial password."
            }
            (PasswordError::TooGuessable, Lang::De) => {
                "Dieses Kennwort ist zu verbreitet oder zu leicht zu erraten. Ein Satz aus mehreren Wörtern ist sicher und gut zu merken."
            }
            (PasswordError::TooGuessable, Lang::En) => {
                "This password is too common or too easy to guess. A sentence of several words is safe and easy to remember."
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn length_counts_characters_not_bytes() {
        let ik = Ik::parse("301412340").unwrap();
        assert_eq!(check_password_shape("ÄÖÜäöüßÄÖÜä", &ik), Err(PasswordError::TooShort));
        assert_eq!(check_password_shape("ÄÖÜäöüßÄÖÜäö", &ik), Ok(()));
        assert_eq!(check_password_shape(&"x".repeat(129), &ik), Err(PasswordError::TooLong));
    }

    #[test]
    fn the_ik_must_not_be_part_of_the_password() {
        let ik = Ik::parse("301412340").unwrap();
        assert_eq!(check_password_shape("apotheke301412340", &ik), Err(PasswordError::ContainsIk));
    }
}
