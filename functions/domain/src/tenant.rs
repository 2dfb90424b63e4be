//! What differs between the insurers one deployment serves: the years a result shows, how a
//! tenant is named in addresses, and colours that must stay readable.

use std::fmt;

use serde::{Deserialize, Serialize};
use time::{Date, Month};

/// Which years a query result shows, by the insurer's rule. Each variant is one of the rules
/// the AOKs' portals follow today.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum YearsShown {
    /// The current year, and until 30 June inclusive the previous one (AOK PLUS: "Anzeige des
    /// Vorjahres bis 30.06. des laufenden Jahres").
    #[serde(rename = "current_and_previous_until_june_30")]
    CurrentAndPreviousUntilJune30,
    /// The previous, the current and the next year (AOK Baden-Württemberg).
    PreviousCurrentNext,
    /// The current year only (AOK Bayern).
    Current,
}

impl YearsShown {
    pub const ALL: [YearsShown; 3] = [
        YearsShown::CurrentAndPreviousUntilJune30,
        YearsShown::PreviousCurrentNext,
        YearsShown::Current,
    ];

    /// The years shown on `today` (a German calendar day), newest first.
    pub fn years(self, today: Date) -> Vec<i32> {
        let year = today.year();
        match self {
            YearsShown::CurrentAndPreviousUntilJune30 => {
                let first_half = (today.month(), today.day()) <= (Month::June, 30);
                if first_half { vec![year, year - 1] } else { vec![year] }
            }
            YearsShown::PreviousCurrentNext => vec![year + 1, year, year - 1],
            YearsShown::Current => vec![year],
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            YearsShown::CurrentAndPreviousUntilJune30 => "current_and_previous_until_june_30",
            YearsShown::PreviousCurrentNext => "previous_current_next",
            YearsShown::Current => "current",
        }
    }
}

/// A tenant's short name in host names, paths and the command line (`plus`, `bayern`):
/// lowercase letters, digits and inner hyphens, 2 to 32 characters.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct TenantSlug(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a tenant's short name has 2 to 32 lowercase letters, digits or inner hyphens, not `{0}`")]
pub struct TenantSlugError(pub String);

impl TenantSlug {
    pub fn parse(input: &str) -> Result<TenantSlug, TenantSlugError> {
        let ok = (2..=32).contains(&input.len())
            && input.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !input.starts_with('-')
            && !input.ends_with('-');
        if ok { Ok(TenantSlug(input.to_string())) } else { Err(TenantSlugError(input.into())) }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for TenantSlug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for TenantSlug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TenantSlug({})", self.0)
    }
}

impl<'de> Deserialize<'de> for TenantSlug {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<TenantSlug, D::Error> {
        TenantSlug::parse(&String::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}

/// A colour as `#rrggbb`.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Color([u8; 3]);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a colour is written #rrggbb, not `{0}`")]
pub struct ColorError(pub String);

/// WCAG 2 level AA for normal text.
pub const AA_CONTRAST: f64 = 4.5;

impl Color {
    pub const WHITE: Color = Color([255, 255, 255]);

    pub fn parse(input: &str) -> Result<Color, ColorError> {
        let error = || ColorError(input.to_string());
        let hex = input.strip_prefix('#').filter(|h| h.len() == 6).ok_or_else(error)?;
        let mut rgb = [0u8; 3];
        for (i, channel) in rgb.iter_mut().enumerate() {
            let pair = hex.get(2 * i..2 * i + 2).ok_or_else(error)?;
            *channel = u8::from_str_radix(pair, 16).map_err(|_| error())?;
        }
        Ok(Color(rgb))
    }

    /// WCAG 2's relative luminance.
    fn luminance(self) -> f64 {
        let linear = |c: u8| {
            let c = f64::from(c) / 255.0;
            if c <= 0.040_45 { c / 12.92 } else { ((c + 0.055) / 1.055).powf(2.4) }
        };
        let [r, g, b] = self.0.map(linear);
        0.2126 * r + 0.7152 * g + 0.0722 * b
    }

    /// WCAG 2's contrast ratio of two colours, from 1 (none) to 21 (black on white).
    pub fn contrast(self, other: Color) -> f64 {
        let (a, b) = (self.luminance(), other.luminance());
        let (light, dark) = if a > b { (a, b) } else { (b, a) };
        (light + 0.05) / (dark + 0.05)
    }
}

impl fmt::Display for Color {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let [r, g, b] = self.0;
        write!(f, "#{r:02x}{g:02x}{b:02x}")
    }
}

impl fmt::Debug for Color {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl Serialize for Color {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Color {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Color, D::Error> {
        Color::parse(&String::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use time::macros::date;

    use super::*;

    #[test]
    fn plus_shows_the_previous_year_until_the_30th_of_june_inclusive() {
        let rule = YearsShown::CurrentAndPreviousUntilJune30;
        assert_eq!(rule.years(date!(2026 - 06 - 30)), [2026, 2025]);
        assert_eq!(rule.years(date!(2026 - 07 - 01)), [2026]);
        assert_eq!(rule.years(date!(2026 - 12 - 31)), [2026]);
        assert_eq!(rule.years(date!(2027 - 01 - 01)), [2027, 2026]);
    }

    #[test]
    fn baden_wuerttemberg_shows_the_previous_current_and_next_year_all_year() {
        let rule = YearsShown::PreviousCurrentNext;
        assert_eq!(rule.years(date!(2026 - 06 - 30)), [2027, 2026, 2025]);
        assert_eq!(rule.years(date!(2026 - 07 - 01)), [2027, 2026, 2025]);
        assert_eq!(rule.years(date!(2026 - 12 - 31)), [2027, 2026, 2025]);
        assert_eq!(rule.years(date!(2027 - 01 - 01)), [2028, 2027, 2026]);
    }

    #[test]
    fn bayern_shows_the_current_year_only() {
        let rule = YearsShown::Current;
        assert_eq!(rule.years(date!(2026 - 06 - 30)), [2026]);
        assert_eq!(rule.years(date!(2026 - 12 - 31)), [2026]);
        assert_eq!(rule.years(date!(2027 - 01 - 01)), [2027]);
    }

    #[test]
    fn a_rule_reads_and_writes_as_its_name() {
        for rule in YearsShown::ALL {
            let json = serde_json::to_string(&rule).unwrap();
            assert_eq!(json, format!("\"{}\"", rule.as_str()));
            assert_eq!(serde_json::from_str::<YearsShown>(&json).unwrap(), rule);
        }
    }

    #[test]
    fn a_slug_is_short_lowercase_and_without_outer_hyphens() {
        assert!(TenantSlug::parse("plus").is_ok());
        assert!(TenantSlug::parse("baden-wuerttemberg").is_ok());
        for bad in ["", "p", "Plus", "-plus", "plus-", "pl us", "plüs", &"a".repeat(33)] {
            assert!(TenantSlug::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn colours_read_as_hex_and_their_contrast_follows_wcag() {
        let green = Color::parse("#005e3f").unwrap();
        assert_eq!(green.to_string(), "#005e3f");
        assert!((Color::parse("#000000").unwrap().contrast(Color::WHITE) - 21.0).abs() < 1e-9);
        assert!((Color::WHITE.contrast(Color::WHITE) - 1.0).abs() < 1e-9);
        assert!(green.contrast(Color::WHITE) >= AA_CONTRAST);
        // AOK's light green on white is not readable as text.
        assert!(Color::parse("#5ab031").unwrap().contrast(Color::WHITE) < AA_CONTRAST);
        for bad in ["005e3f", "#05e3f", "#00zz3f", "#005e3f0", "#ééé"] {
            assert!(Color::parse(bad).is_err(), "{bad}");
        }
    }
}
