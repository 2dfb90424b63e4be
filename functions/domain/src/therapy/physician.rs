//! The physician directory the insurer imports, for the eTherapiebericht: who a report goes to,
//! and whether that practice receives eArztbriefe over KIM.

use serde::{Deserialize, Serialize};

use super::{Bsnr, KimAddress, Lanr};
use crate::provider::{TextField, directory_text};
use crate::{Address, ProviderError};

/// A physician at a practice site: one entry per LANR and BSNR (a physician may work at several).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Physician {
    pub lanr: Lanr,
    pub bsnr: Bsnr,
    pub name: String,
    pub address: Address,
    /// The practice's KIM address, if it has one.
    pub kim: Option<KimAddress>,
    /// Registered for the eArztbrief application in the KIM directory: only then may a report
    /// go there (from KIM 1.5.3 a message of an application must not go to an address without
    /// its tag). Never true without a KIM address.
    pub earztbrief: bool,
}

impl Physician {
    /// Checks the directory's free-text fields; the identifiers arrive parsed.
    pub fn new(
        lanr: Lanr,
        bsnr: Bsnr,
        name: &str,
        address: Address,
        kim: Option<KimAddress>,
        earztbrief: bool,
    ) -> Result<Physician, ProviderError> {
        let name = directory_text(name, TextField::Name, ProviderError::Name)?;
        Ok(Physician { lanr, bsnr, name, address, earztbrief: earztbrief && kim.is_some(), kim })
    }

    /// Whether a report can be sent to this practice as an eArztbrief.
    pub fn receives_earztbrief(&self) -> Option<&KimAddress> {
        self.kim.as_ref().filter(|_| self.earztbrief)
    }

    /// Whether this entry answers `query` (what a store's search must hold to).
    pub fn matches(&self, query: &PhysicianQuery) -> bool {
        match query {
            PhysicianQuery::Number(number) => {
                self.lanr.as_str() == number || self.bsnr.as_str() == number
            }
            PhysicianQuery::Plz(plz) => self.address.plz == *plz,
            PhysicianQuery::Name(prefix) => {
                name_words(&self.name).any(|w| w.starts_with(prefix.as_str()))
            }
        }
    }
}

/// What the form's search field asks for: a LANR or BSNR (nine digits), a postcode (five), or
/// the beginning of a word of the name (at least two letters).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PhysicianQuery {
    Number(String),
    Plz(String),
    /// Lowercase, as [`name_words`] gives the words.
    Name(String),
}

impl PhysicianQuery {
    /// `None` for a query too short to search with.
    pub fn parse(input: &str) -> Option<PhysicianQuery> {
        let q = input.trim();
        let digits = !q.is_empty() && q.bytes().all(|b| b.is_ascii_digit());
        match q.len() {
            9 if digits => Some(PhysicianQuery::Number(q.into())),
            5 if digits => Some(PhysicianQuery::Plz(q.into())),
            _ if digits => None,
            _ => {
                let word = name_words(q).next()?;
                (word.chars().count() >= 2).then_some(PhysicianQuery::Name(word))
            }
        }
    }
}

/// The words of a name, lowercase, without punctuation: `Dr. med. Anna Schulz-Meier` →
/// `dr`, `med`, `anna`, `schulz`, `meier`. Umlauts stay (`müller` is found by `mü`).
pub fn name_words(name: &str) -> impl Iterator<Item = String> + '_ {
    name.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).map(str::to_lowercase)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn physician(name: &str, kim: Option<&str>, earztbrief: bool) -> Physician {
        let address = Address::parse("Markt 1", "01067", "Dresden").unwrap();
        let kim = kim.map(|k| KimAddress::parse(k).unwrap());
        let lanr = Lanr::parse("123456601").unwrap();
        Physician::new(lanr, Bsnr::parse("781234500").unwrap(), name, address, kim, earztbrief)
            .unwrap()
    }

    #[test]
    fn a_query_is_a_number_a_postcode_or_a_name() {
        assert_eq!(
            PhysicianQuery::parse(" 123456601 "),
            Some(PhysicianQuery::Number("123456601".into()))
        );
        assert_eq!(PhysicianQuery::parse("01067"), Some(PhysicianQuery::Plz("01067".into())));
        assert_eq!(PhysicianQuery::parse("Schulz"), Some(PhysicianQuery::Name("schulz".into())));
        for too_little in ["", "s", "1234", "12345678", "1234567890", "  .  "] {
            assert_eq!(PhysicianQuery::parse(too_little), None, "{too_little}");
        }
    }

    #[test]
    fn a_name_is_found_by_the_beginning_of_any_of_its_words() {
        let p = physician("Dr. med. Anna Schulz-Müller", None, false);
        for q in ["schul", "MÜ", "anna", "Dr"] {
            assert!(p.matches(&PhysicianQuery::parse(q).unwrap()), "{q}");
        }
        assert!(!p.matches(&PhysicianQuery::parse("ulz").unwrap()));
        assert!(p.matches(&PhysicianQuery::parse("781234500").unwrap()));
        assert!(p.matches(&PhysicianQuery::parse("01067").unwrap()));
    }

    #[test]
    fn only_a_practice_with_a_kim_address_receives_earztbriefe() {
        assert_eq!(physician("A", None, true).receives_earztbrief(), None);
        assert!(!physician("A", None, true).earztbrief);
        let with = physician("A", Some("praxis@arzt.kim.telematik"), true);
        assert_eq!(with.receives_earztbrief().unwrap().as_str(), "praxis@arzt.kim.telematik");
        assert_eq!(
            physician("A", Some("praxis@arzt.kim.telematik"), false).receives_earztbrief(),
            None
        );
    }
}
