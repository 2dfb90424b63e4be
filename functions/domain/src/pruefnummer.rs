use std::fmt;

use crate::{Lang, UserFacing};

/// The Prüfnummer mailed to a provider in its own letter: it proves that the person setting a
/// password holds the letters. Twelve characters of Crockford's base32 (no I, L, O, U; typing O
/// for 0 or I/L for 1 is forgiven), printed in groups of four (`ABCD-EFGH-JK12`): 60 bits, and
/// wrong tries lock the account.
#[derive(Clone, PartialEq, Eq)]
pub struct Pruefnummer(String);

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PruefnummerError {
    #[error("no Prüfnummer given")]
    Empty,
    #[error("a Prüfnummer has 12 characters from the letter's alphabet")]
    Format,
}

const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const LEN: usize = 12;

impl Pruefnummer {
    /// Accepts what a person copies from the letter: any case, with or without the dashes or spaces
    /// between the groups.
    pub fn parse(input: &str) -> Result<Pruefnummer, PruefnummerError> {
        let compact: String = input
            .chars()
            .filter(|c| !matches!(c, '-' | ' ' | '\t'))
            .map(|c| match c.to_ascii_uppercase() {
                'O' => '0',
                'I' | 'L' => '1',
                other => other,
            })
            .collect();
        if compact.is_empty() {
            return Err(PruefnummerError::Empty);
        }
        let valid = compact.len() == LEN && compact.bytes().all(|b| ALPHABET.contains(&b));
        if !valid {
            return Err(PruefnummerError::Format);
        }
        Ok(Pruefnummer(compact))
    }

    /// Builds a Prüfnummer from random bytes (the caller owns the randomness, so this stays pure).
    /// 256 is a multiple of 32, so every symbol is equally likely.
    pub fn from_random(bytes: [u8; LEN]) -> Pruefnummer {
        let symbols = bytes.iter().map(|b| char::from(ALPHABET[usize::from(b % 32)]));
        Pruefnummer(symbols.collect())
    }

    /// The form printed in the letter: `ABCD-EFGH-JKMN`.
    pub fn formatted(&self) -> String {
        let s = &self.0;
        format!("{}-{}-{}", &s[0..4], &s[4..8], &s[8..12])
    }

    /// The compact form to hash and compare. Named so that every use is deliberate.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Pruefnummer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Pruefnummer(<redacted>)")
    }
}

impl UserFacing for PruefnummerError {
    fn code(&self) -> &'static str {
        "invalid_pruefnummer"
    }

    fn message(&self, lang: Lang) -> &'static str {
        match (self, lang) {
            (PruefnummerError::Empty, Lang::De) => {
                "Bitte geben Sie die Prüfnummer aus Ihrem Schreiben ein."
            }
            (PruefnummerError::Empty, Lang::En) => "Please enter the Prüfnummer from your letter.",
            (PruefnummerError::Format, Lang::De) => {
                "Die Prüfnummer hat 12 Zeichen, wie in Ihrem Schreiben gedruckt (z. B. ABCD-EFGH-JK12)."
            }
            (PruefnummerError::Format, Lang::En) => {
                "The Prüfnummer has 12 characters as printed in your letter (e.g. ABCD-EFGH-JK12)."
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn the_printed_form_parses_back_in_any_case_and_grouping() {
        let p = Pruefnummer::from_random([10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 1, 32 + 2]);
        assert_eq!(p.formatted(), "ABCD-EFGH-JK12");
        assert_eq!(Pruefnummer::parse("abcd efgh jk12"), Ok(p.clone()));
        assert_eq!(Pruefnummer::parse(" ABCD-EFGH-JK12 "), Ok(p));
    }

    #[test]
    fn look_alike_letters_are_read_as_the_digits_they_resemble() {
        assert_eq!(Pruefnummer::parse("ABCD-EFGH-JKl2"), Pruefnummer::parse("ABCD-EFGH-JK12"));
        assert_eq!(Pruefnummer::parse("0000-IIII-0000"), Pruefnummer::parse("OOOO-1111-oooo"));
    }

    #[test]
    fn foreign_characters_and_wrong_lengths_are_rejected() {
        assert_eq!(Pruefnummer::parse(" - "), Err(PruefnummerError::Empty));
        assert_eq!(Pruefnummer::parse("ABCD-EFGH-JKU2"), Err(PruefnummerError::Format));
        assert_eq!(Pruefnummer::parse("ABCD-EFGH-JKÄ2"), Err(PruefnummerError::Format));
        assert_eq!(Pruefnummer::parse("ABCD-EFGH-JK1"), Err(PruefnummerError::Format));
        assert_eq!(Pruefnummer::parse("ABCD-EFGH-JK123"), Err(PruefnummerError::Format));
    }

    #[test]
    fn debug_output_never_shows_the_secret() {
        let p = Pruefnummer::from_random([7; 12]);
        assert!(!format!("{p:?}").contains(p.expose()));
    }

    proptest! {
        #[test]
        fn every_generated_pruefnummer_parses_back(bytes in proptest::array::uniform12(any::<u8>())) {
            let p = Pruefnummer::from_random(bytes);
            prop_assert_eq!(Pruefnummer::parse(&p.formatted()), Ok(p));
        }

        #[test]
        fn parsing_never_panics(input in "\\PC{0,20}") {
            let _ = Pruefnummer::parse(&input);
        }
    }
}
