//! Who is written to and about what: the physician's LANR and BSNR, the KIM address, and the
//! ICD-10-GM codes and diagnosis group of the prescription.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::{Lang, UserFacing};

/// Nine ASCII digits, or why not.
fn nine_digits(input: &str) -> Option<[u8; 9]> {
    input.trim().as_bytes().try_into().ok().filter(|d: &[u8; 9]| d.iter().all(u8::is_ascii_digit))
}

/// Serde as the plain string, parsed on the way in.
macro_rules! text_serde {
    ($type:ty) => {
        impl Serialize for $type {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }
        impl<'de> Deserialize<'de> for $type {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<$type, D::Error> {
                <$type>::parse(&String::deserialize(d)?).map_err(serde::de::Error::custom)
            }
        }
        impl fmt::Display for $type {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

/// The lebenslange Arztnummer: digits 1–6 the physician, 7 the check digit, 8–9 the specialty
/// group (Fachgruppe, not checked: new groups must not lock anyone out).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct Lanr([u8; 9]);

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum LanrError {
    #[error("a LANR has exactly 9 digits")]
    Format,
    #[error("the check digit of the LANR does not match")]
    CheckDigit,
}

impl Lanr {
    /// KBV (Richtlinie nach § 75 Abs. 7 SGB V): digits 1–6 weighted 4, 9, 4, 9, 4, 9; the
    /// check digit is (10 − sum mod 10) mod 10.
    pub fn parse(input: &str) -> Result<Lanr, LanrError> {
        let digits = nine_digits(input).ok_or(LanrError::Format)?;
        let sum: u32 = digits[..6]
            .iter()
            .zip([4, 9].into_iter().cycle())
            .map(|(d, w)| u32::from(d - b'0') * w)
            .sum();
        if (10 - sum % 10) % 10 != u32::from(digits[6] - b'0') {
            return Err(LanrError::CheckDigit);
        }
        Ok(Lanr(digits))
    }

    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).unwrap_or_default()
    }

    /// The specialty group: the last two digits.
    pub fn fachgruppe(&self) -> &str {
        &self.as_str()[7..]
    }
}

/// The Betriebsstättennummer: nine digits, the first two the KV region; no check digit.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct Bsnr([u8; 9]);

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a BSNR has exactly 9 digits")]
pub struct BsnrError;

impl Bsnr {
    pub fn parse(input: &str) -> Result<Bsnr, BsnrError> {
        nine_digits(input).map(Bsnr).ok_or(BsnrError)
    }

    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).unwrap_or_default()
    }
}

/// An address in KIM, the telematics infrastructure's mail: its domain ends in `.kim.telematik`.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct KimAddress(String);

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a KIM address is an e-mail address under .kim.telematik")]
pub struct KimAddressError;

impl KimAddress {
    pub fn parse(input: &str) -> Result<KimAddress, KimAddressError> {
        let address = input.trim().to_ascii_lowercase();
        let (local, domain) = address.split_once('@').ok_or(KimAddressError)?;
        let host = domain.strip_suffix(".kim.telematik").ok_or(KimAddressError)?;
        let label_ok = |label: &str| {
            !label.is_empty()
                && label.len() <= 63
                && label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        };
        let local_ok = !local.is_empty()
            && local.len() <= 64
            && local.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-+".contains(&b))
            && !local.starts_with('.')
            && !local.ends_with('.')
            && !local.contains("..");
        if local_ok && host.split('.').all(label_ok) && address.len() <= 254 {
            Ok(KimAddress(address))
        } else {
            Err(KimAddressError)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// How certain a diagnosis is (Diagnosesicherheit), as ICD-10-GM codes carry it in Germany.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Certainty {
    /// G: gesichert.
    Confirmed,
    /// V: Verdacht auf.
    Suspected,
    /// Z: Zustand nach.
    StatusAfter,
    /// A: ausgeschlossen.
    Excluded,
}

/// Which side (Seitenlokalisation).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Side {
    Right,
    Left,
    Both,
}

/// An ICD-10-GM code as a prescription carries it: a letter, two digits, optionally a dot and
/// one or two more digits and a marker (`!`, `*`, `†`), then optionally the certainty and the
/// side (`M17.1 G R`). Only the format is checked, not the catalogue of the year.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct Icd10Code {
    text: String,
    certainty: Option<Certainty>,
    side: Option<Side>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("an ICD-10-GM code looks like M54.5, optionally with certainty and side: M17.1 G R")]
pub struct Icd10Error;

impl Icd10Code {
    pub fn parse(input: &str) -> Result<Icd10Code, Icd10Error> {
        let upper = input.trim().to_uppercase();
        let mut chars = upper.chars().peekable();
        let mut text = String::new();
        let mut take = |chars: &mut std::iter::Peekable<std::str::Chars>, ok: fn(char) -> bool| {
            let c = chars.next_if(|c| ok(*c))?;
            text.push(c);
            Some(c)
        };
        take(&mut chars, |c| c.is_ascii_uppercase()).ok_or(Icd10Error)?;
        for _ in 0..2 {
            take(&mut chars, |c| c.is_ascii_digit()).ok_or(Icd10Error)?;
        }
        if take(&mut chars, |c| c == '.').is_some() {
            take(&mut chars, |c| c.is_ascii_digit()).ok_or(Icd10Error)?;
            take(&mut chars, |c| c.is_ascii_digit());
        }
        take(&mut chars, |c| matches!(c, '!' | '*' | '†'));
        let (mut certainty, mut side) = (None, None);
        for c in chars.filter(|c| !c.is_whitespace()) {
            let (slot_free, certain, sided) = match c {
                'G' => (certainty.is_none(), Some(Certainty::Confirmed), None),
                'V' => (certainty.is_none(), Some(Certainty::Suspected), None),
                'Z' => (certainty.is_none(), Some(Certainty::StatusAfter), None),
                'A' => (certainty.is_none(), Some(Certainty::Excluded), None),
                'R' => (side.is_none(), None, Some(Side::Right)),
                'L' => (side.is_none(), None, Some(Side::Left)),
                'B' => (side.is_none(), None, Some(Side::Both)),
                _ => (false, None, None),
            };
            if !slot_free {
                return Err(Icd10Error);
            }
            certainty = certainty.or(certain);
            side = side.or(sided);
        }
        Ok(Icd10Code { text, certainty, side })
    }

    /// The code itself: `M17.1`.
    pub fn code(&self) -> &str {
        &self.text
    }

    pub fn certainty(&self) -> Option<Certainty> {
        self.certainty
    }

    pub fn side(&self) -> Option<Side> {
        self.side
    }

    /// As written: `M17.1 G R`.
    pub fn to_text(&self) -> String {
        let mut text = self.text.clone();
        if let Some(c) = self.certainty {
            text.push(' ');
            text.push(match c {
                Certainty::Confirmed => 'G',
                Certainty::Suspected => 'V',
                Certainty::StatusAfter => 'Z',
                Certainty::Excluded => 'A',
            });
        }
        if let Some(s) = self.side {
            text.push(' ');
            text.push(match s {
                Side::Right => 'R',
                Side::Left => 'L',
                Side::Both => 'B',
            });
        }
        text
    }
}

impl Serialize for Icd10Code {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_text())
    }
}

impl<'de> Deserialize<'de> for Icd10Code {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Icd10Code, D::Error> {
        Icd10Code::parse(&String::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}

/// The diagnosis group of the Heilmittel-Richtlinie's catalogue (`WS`, `EX`, `SP1`, `SB1`,
/// `DF`): two or three capital letters and at most one digit.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct DiagnosisGroup(String);

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a diagnosis group is two or three capital letters and at most one digit, like WS or SP1")]
pub struct DiagnosisGroupError;

impl DiagnosisGroup {
    pub fn parse(input: &str) -> Result<DiagnosisGroup, DiagnosisGroupError> {
        let group = input.trim().to_ascii_uppercase();
        let letters = group.bytes().take_while(u8::is_ascii_uppercase).count();
        let digits = &group[letters..];
        let ok = (2..=3).contains(&letters)
            && digits.len() <= 1
            && digits.bytes().all(|b| b.is_ascii_digit());
        if ok { Ok(DiagnosisGroup(group)) } else { Err(DiagnosisGroupError) }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

text_serde!(Lanr);
text_serde!(Bsnr);
text_serde!(KimAddress);
text_serde!(DiagnosisGroup);

impl UserFacing for LanrError {
    fn code(&self) -> &'static str {
        "invalid_lanr"
    }
    fn message(&self, lang: Lang) -> &'static str {
        match (self, lang) {
            (LanrError::Format, Lang::De) => "Die LANR hat genau 9 Ziffern.",
            (LanrError::Format, Lang::En) => "A LANR has exactly 9 digits.",
            (LanrError::CheckDigit, Lang::De) => "Die Prüfziffer der LANR stimmt nicht.",
            (LanrError::CheckDigit, Lang::En) => "The check digit of the LANR does not match.",
        }
    }
}

impl UserFacing for BsnrError {
    fn code(&self) -> &'static str {
        "invalid_bsnr"
    }
    fn message(&self, lang: Lang) -> &'static str {
        match lang {
            Lang::De => "Die BSNR hat genau 9 Ziffern.",
            Lang::En => "A BSNR has exactly 9 digits.",
        }
    }
}

impl UserFacing for KimAddressError {
    fn code(&self) -> &'static str {
        "invalid_kim_address"
    }
    fn message(&self, lang: Lang) -> &'static str {
        match lang {
            Lang::De => {
                "Eine KIM-Adresse endet auf .kim.telematik, etwa praxis.muster@arzt.kim.telematik."
            }
            Lang::En => {
                "A KIM address ends in .kim.telematik, like praxis.muster@arzt.kim.telematik."
            }
        }
    }
}

impl UserFacing for Icd10Error {
    fn code(&self) -> &'static str {
        "invalid_icd10"
    }
    fn message(&self, lang: Lang) -> &'static str {
        match lang {
            Lang::De => {
                "Bitte geben Sie einen ICD-10-GM-Kode wie M54.5 an, gegebenenfalls mit Sicherheit und Seite (M17.1 G R)."
            }
            Lang::En => {
                "Please give an ICD-10-GM code like M54.5, optionally with certainty and side (M17.1 G R)."
            }
        }
    }
}

impl UserFacing for DiagnosisGroupError {
    fn code(&self) -> &'static str {
        "invalid_diagnosis_group"
    }
    fn message(&self, lang: Lang) -> &'static str {
        match lang {
            Lang::De => {
                "Die Diagnosegruppe besteht aus zwei oder drei Großbuchstaben und höchstens einer Ziffer, etwa WS oder SP1."
            }
            Lang::En => {
                "A diagnosis group is two or three capital letters and at most one digit, like WS or SP1."
            }
        }
    }
}
