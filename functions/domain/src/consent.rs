use serde::{Deserialize, Serialize};

use crate::{Lang, UserFacing};

/// How the patient consented to the query: the provider declares who is present in person.
/// Every exemption query is recorded with one of these.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Consent {
    InsuredPresent,
    RepresentativePresent,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a consent declaration (insured_present or representative_present) is required")]
pub struct ConsentError;

impl Consent {
    pub const ALL: [Consent; 2] = [Consent::InsuredPresent, Consent::RepresentativePresent];

    pub fn parse(input: &str) -> Result<Consent, ConsentError> {
        Consent::ALL.into_iter().find(|c| c.as_str() == input.trim()).ok_or(ConsentError)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Consent::InsuredPresent => "insured_present",
            Consent::RepresentativePresent => "representative_present",
        }
    }

    /// The heading of the declaration, in the words of the insurer's form.
    pub fn label(self, lang: Lang) -> &'static str {
        match (self, lang) {
            (Consent::InsuredPresent, Lang::De) => {
                "Der / Die Versicherte ist persönlich beim Leistungserbringer"
            }
            (Consent::InsuredPresent, Lang::En) => "The insured person is present in person",
            (Consent::RepresentativePresent, Lang::De) => {
                "Ein legitimer Vertreter der / des Versicherten ist persönlich beim Leistungserbringer"
            }
            (Consent::RepresentativePresent, Lang::En) => {
                "A legitimate representative of the insured person is present in person"
            }
        }
    }

    /// The full declaration the provider makes by choosing this option.
    pub fn declaration(self, lang: Lang) -> &'static str {
        match (self, lang) {
            (Consent::InsuredPresent, Lang::De) => {
                "Hiermit erkläre ich, dass ich versucht habe den Zuzahlungsbefreiungsstatus bei der/bei dem Versicherten selbst zu erheben, diese(r) konnte die Bescheinigung jedoch nicht vorlegen."
            }
            (Consent::InsuredPresent, Lang::En) => {
                "I declare that I tried to obtain the co-payment exemption status from the insured person, who could not present the certificate."
            }
            (Consent::RepresentativePresent, Lang::De) => {
                "Hiermit erkläre ich, dass ich versucht habe den Zuzahlungsbefreiungsstatus beim legitimierten Vertreter der/des Versicherten selbst zu erheben, diese(r) konnte die Bescheinigung jedoch nicht vorlegen."
            }
            (Consent::RepresentativePresent, Lang::En) => {
                "I declare that I tried to obtain the co-payment exemption status from the legitimate representative of the insured person, who could not present the certificate."
            }
        }
    }
}

impl UserFacing for ConsentError {
    fn code(&self) -> &'static str {
        "consent_required"
    }

    fn message(&self, lang: Lang) -> &'static str {
        match lang {
            Lang::De => "Bitte bestätigen Sie eine der Einwilligungserklärungen.",
            Lang::En => "Please confirm one of the consent declarations.",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_declarations_parse_from_their_wire_names() {
        for consent in Consent::ALL {
            assert_eq!(Consent::parse(consent.as_str()), Ok(consent));
            let json = serde_json::to_string(&consent).unwrap();
            assert_eq!(json, format!("\"{}\"", consent.as_str()));
        }
    }

    #[test]
    fn anything_else_means_no_consent_was_given() {
        for input in ["", "yes", "Insured_Present", "both"] {
            assert_eq!(Consent::parse(input), Err(ConsentError));
        }
    }
}
