//! The information pages' rules that the server and the app share: a page's address ([`Slug`])
//! and how a search matches ([`fold_for_search`], [`matches_search`]).

use std::fmt;

use serde::{Deserialize, Serialize};

/// The last part of a page's address (`/info/{slug}`): lowercase ASCII letters and digits in
/// words joined by single hyphens, at most 80 characters. Taken from the page's file name, so
/// an address never needs escaping.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Slug(String);

pub const MAX_SLUG_CHARS: usize = 80;

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SlugError {
    #[error("a page's name is empty")]
    Empty,
    #[error("a page's name has at most 80 characters")]
    TooLong,
    #[error("a page's name has only lowercase letters a-z, digits and single hyphens between them")]
    Characters,
}

impl Slug {
    pub fn parse(input: &str) -> Result<Slug, SlugError> {
        if input.is_empty() {
            return Err(SlugError::Empty);
        }
        if input.len() > MAX_SLUG_CHARS {
            return Err(SlugError::TooLong);
        }
        let words_ok = input.split('-').all(|word| {
            !word.is_empty() && word.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        });
        if !words_ok {
            return Err(SlugError::Characters);
        }
        Ok(Slug(input.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Slug {
    type Error = SlugError;
    fn try_from(value: String) -> Result<Slug, SlugError> {
        Slug::parse(&value)
    }
}

impl From<Slug> for String {
    fn from(slug: Slug) -> String {
        slug.0
    }
}

impl fmt::Display for Slug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Text as the search compares it: lowercase, German umlauts and ß written out (ä → ae,
/// ß → ss), other accented Latin letters without their accent, every run of anything but a
/// letter or digit one space. So "Zuzahlungsbefreiung", "ZUZAHLUNGS-befreiung" and "Gebühr" /
/// "Gebuehr" meet.
pub fn fold_for_search(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut space = true;
    for c in text.chars().flat_map(char::to_lowercase) {
        let folded: &str = match c {
            'ä' => "ae",
            'ö' => "oe",
            'ü' => "ue",
            'ß' => "ss",
            'à' | 'á' | 'â' | 'ã' | 'å' => "a",
            'ç' => "c",
            'è' | 'é' | 'ê' | 'ë' => "e",
            'ì' | 'í' | 'î' | 'ï' => "i",
            'ñ' => "n",
            'ò' | 'ó' | 'ô' | 'õ' => "o",
            'ù' | 'ú' | 'û' => "u",
            _ if c.is_alphanumeric() => {
                out.push(c);
                space = false;
                continue;
            }
            _ => {
                if !space {
                    out.push(' ');
                    space = true;
                }
                continue;
            }
        };
        out.push_str(folded);
        space = false;
    }
    out.truncate(out.trim_end().len());
    out
}

/// Whether every word of `query` occurs in `folded` (a text already passed through
/// [`fold_for_search`]), in any order, also inside a longer word ("befreiung" finds
/// "Zuzahlungsbefreiung"). An empty query matches everything.
pub fn matches_search(folded: &str, query: &str) -> bool {
    fold_for_search(query).split(' ').filter(|w| !w.is_empty()).all(|word| folded.contains(word))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_slug_is_lowercase_words_joined_by_single_hyphens() {
        for good in ["oha", "zuzahlung-61-62-sgb-v", "a1"] {
            assert_eq!(Slug::parse(good).unwrap().as_str(), good);
        }
        assert_eq!(Slug::parse(""), Err(SlugError::Empty));
        for bad in ["OHA", "-oha", "oha-", "o--ha", "über", "oha.md", "a/b", "a b"] {
            assert_eq!(Slug::parse(bad), Err(SlugError::Characters), "{bad}");
        }
        assert_eq!(Slug::parse(&"a".repeat(81)), Err(SlugError::TooLong));
    }

    #[test]
    fn search_ignores_case_umlauts_and_punctuation() {
        let text = fold_for_search("Zuzahlungs-Befreiung nach § 62 SGB V: Gebühren für Ärzte");
        assert_eq!(text, "zuzahlungs befreiung nach 62 sgb v gebuehren fuer aerzte");
        assert!(matches_search(&text, "GEBÜHREN"));
        assert!(matches_search(&text, "gebuehren"));
        assert!(matches_search(&text, "ärzte befreiung"));
        assert!(matches_search(&text, "  "));
        assert!(!matches_search(&text, "gebühr apotheke"));
    }
}
