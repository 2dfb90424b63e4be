use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::{Lang, UserFacing, cross_sum};

/// The Institutionskennzeichen of a provider: nine digits, the last a check digit over digits
/// 3 to 8. Digits 1–2 (classification) and 3–4 (region) are not checked against a list: new
/// classification codes must not lock providers out.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Ik([u8; 9]);

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum IkError {
    #[error("no IK given")]
    Empty,
    #[error("an IK has exactly 9 digits")]
    Format,
    #[error("the check digit of the IK does not match")]
    CheckDigit,
}

impl Ik {
    pub fn parse(input: &str) -> Result<Ik, IkError> {
        let s = input.trim();
        if s.is_empty() {
            return Err(IkError::Empty);
        }
        let digits: [u8; 9] = s
            .as_bytes()
            .try_into()
            .ok()
            .filter(|d: &[u8; 9]| d.iter().all(u8::is_ascii_digit))
            .ok_or(IkError::Format)?;
        if Self::check_digit(&digits) != u32::from(digits[8] - b'0') {
            return Err(IkError::CheckDigit);
        }
        Ok(Ik(digits))
    }

    /// Digits 3 to 8 weighted 2, 1, 2, 1, 2, 1; the cross sums of the products added up; mod 10.
    fn check_digit(digits: &[u8; 9]) -> u32 {
        let sum: u32 = digits[2..8]
            .iter()
            .zip([2, 1].into_iter().cycle())
            .map(|(digit, weight)| cross_sum(u32::from(digit - b'0') * weight))
            .sum();
        sum % 10
    }

    pub fn as_str(&self) -> &str {
        // Only ASCII digits are ever stored.
        std::str::from_utf8(&self.0).unwrap_or_default()
    }

    /// The classification ("Klassifikation"): 30 pharmacies, 40 speech therapists, …
    pub fn classification(&self) -> &str {
        &self.as_str()[..2]
    }
}

impl fmt::Display for Ik {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for Ik {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Ik({})", self.as_str())
    }
}

impl Serialize for Ik {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Ik {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(deserializer)?;
        Ik::parse(&raw).map_err(serde::de::Error::custom)
    }
}

impl UserFacing for IkError {
    fn code(&self) -> &'static str {
        "invalid_ik"
    }

    fn message(&self, lang: Lang) -> &'static str {
        match (self, lang) {
            (IkError::Empty, Lang::De) => "Bitte geben Sie Ihr Institutionskennzeichen (IK) ein.",
            (IkError::Empty, Lang::En) => "Please enter your institution code (IK).",
            (IkError::Format, Lang::De) => "Das Institutionskennzeichen hat genau 9 Ziffern.",
            (IkError::Format, Lang::En) => "The institution code (IK) has exactly 9 digits.",
            (IkError::CheckDigit, Lang::De) => {
                "Die Prüfziffer des Institutionskennzeichens stimmt nicht. Bitte prüfen Sie die Eingabe."
            }
            (IkError::CheckDigit, Lang::En) => {
                "The check digit of the institution code (IK) does not match. Please check your entry."
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn the_documented_examples_are_valid() {
        for ik in ["260326822", "168140950", "100696012"] {
            assert_eq!(Ik::parse(ik).map(|i| i.to_string()), Ok(ik.to_string()));
        }
        assert_eq!(Ik::parse("260326822").unwrap().classification(), "26");
    }

    #[test]
    fn malformed_input_gets_a_specific_error() {
        assert_eq!(Ik::parse(""), Err(IkError::Empty));
        assert_eq!(Ik::parse("26032682"), Err(IkError::Format));
        assert_eq!(Ik::parse("2603268221"), Err(IkError::Format));
        assert_eq!(Ik::parse("26032682x"), Err(IkError::Format));
        assert_eq!(Ik::parse("２60326822"), Err(IkError::Format));
        assert_eq!(Ik::parse("260326823"), Err(IkError::CheckDigit));
    }

    fn valid_ik() -> impl Strategy<Value = String> {
        proptest::collection::vec(0u8..10, 8).prop_map(|digits| {
            let mut bytes: [u8; 9] = [b'0'; 9];
            for (slot, d) in bytes.iter_mut().zip(&digits) {
                *slot = b'0' + d;
            }
            bytes[8] = b'0' + Ik::check_digit(&bytes) as u8;
            String::from_utf8(bytes.to_vec()).unwrap()
        })
    }

    proptest! {
        #[test]
        fn parsing_never_panics(input in "\\PC{0,12}") {
            let _ = Ik::parse(&input);
        }

        /// Digits 1 and 2 (the classification) are outside the check digit by definition.
        #[test]
        fn every_one_digit_change_in_the_checked_part_is_detected(ik in valid_ik(), pos in 2usize..9, delta in 1u8..10) {
            let mut bytes = ik.into_bytes();
            bytes[pos] = b'0' + (bytes[pos] - b'0' + delta) % 10;
            prop_assert_eq!(Ik::parse(&String::from_utf8(bytes).unwrap()), Err(IkError::CheckDigit));
        }
    }
}
