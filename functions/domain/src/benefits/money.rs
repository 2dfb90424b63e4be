use std::fmt;

use serde::{Serialize, Serializer};

use crate::{Lang, UserFacing};

/// An amount of money in cents. Serialises as a JSON number of euros (`320.82`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Euro(i64);

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("an amount must not be negative")]
    Negative,
    #[error("not a usable amount")]
    Invalid,
}

/// Amounts above this are typos, not incomes or prices (and keep every product within i64).
const MAX_CENTS: i64 = 100_000_000_000;

impl Euro {
    pub const ZERO: Euro = Euro(0);

    pub const fn whole(euros: i64) -> Euro {
        Euro(euros * 100)
    }

    pub const fn cents(cents: i64) -> Euro {
        Euro(cents)
    }

    /// From an amount a person typed or a JSON number: rounded to cents, never negative.
    pub fn parse(amount: f64) -> Result<Euro, MoneyError> {
        if !amount.is_finite() {
            return Err(MoneyError::Invalid);
        }
        if amount < 0.0 {
            return Err(MoneyError::Negative);
        }
        let cents = (amount * 100.0).round();
        if cents > MAX_CENTS as f64 {
            return Err(MoneyError::Invalid);
        }
        Ok(Euro(cents as i64))
    }

    /// From what a person types: "695,21", "695.21", "1000" — at most two decimals, no grouping.
    /// Parsed as whole cents, without floating point.
    pub fn parse_decimal(input: &str) -> Result<Euro, MoneyError> {
        let s = input.trim();
        if s.starts_with('-') {
            return Err(MoneyError::Negative);
        }
        let (whole, fraction) = s.split_once([',', '.']).unwrap_or((s, ""));
        let digits = |part: &str| part.bytes().all(|b| b.is_ascii_digit());
        if whole.is_empty()
            || whole.len() > 9
            || fraction.len() > 2
            || !digits(whole)
            || !digits(fraction)
        {
            return Err(MoneyError::Invalid);
        }
        let parse = |part: &str| part.bytes().fold(0i64, |n, d| n * 10 + i64::from(d - b'0'));
        let cents = if fraction.len() == 1 { parse(fraction) * 10 } else { parse(fraction) };
        Ok(Euro(parse(whole) * 100 + cents))
    }

    pub fn as_cents(self) -> i64 {
        self.0
    }

    pub fn as_euros(self) -> f64 {
        self.0 as f64 / 100.0
    }

    /// `basis_points` hundredths of a percent of this amount, rounded commercially to cents.
    pub fn share(self, basis_points: i64) -> Euro {
        Euro(divide_rounded(self.0 * basis_points, 10_000))
    }

    /// Half, rounded commercially (Beihilfe: § 28 Abs. 2 SGB XI).
    pub fn half(self) -> Euro {
        Euro(divide_rounded(self.0, 2))
    }

    pub fn min(self, other: Euro) -> Euro {
        Euro(self.0.min(other.0))
    }

    pub fn max(self, other: Euro) -> Euro {
        Euro(self.0.max(other.0))
    }

    pub fn saturating_sub(self, other: Euro) -> Euro {
        Euro((self.0 - other.0).max(0))
    }
}

/// `numerator / denominator` rounded half away from zero ("kaufmännisch").
pub(crate) fn divide_rounded(numerator: i64, denominator: i64) -> i64 {
    let half = denominator / 2;
    if numerator >= 0 {
        (numerator + half) / denominator
    } else {
        -((-numerator + half) / denominator)
    }
}

impl std::ops::Add for Euro {
    type Output = Euro;
    fn add(self, other: Euro) -> Euro {
        Euro(self.0 + other.0)
    }
}

impl std::ops::Mul<i64> for Euro {
    type Output = Euro;
    fn mul(self, factor: i64) -> Euro {
        Euro(self.0 * factor)
    }
}

impl std::iter::Sum for Euro {
    fn sum<I: Iterator<Item = Euro>>(iter: I) -> Euro {
        Euro(iter.map(|e| e.0).sum())
    }
}

impl fmt::Display for Euro {
    /// German notation: `1.497,00 €`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let euros = (self.0 / 100).to_string();
        let mut grouped = String::new();
        for (i, digit) in euros.chars().enumerate() {
            if i > 0 && (euros.len() - i).is_multiple_of(3) {
                grouped.push('.');
            }
            grouped.push(digit);
        }
        write!(f, "{grouped},{:02} €", self.0 % 100)
    }
}

impl Serialize for Euro {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_f64(self.as_euros())
    }
}

impl UserFacing for MoneyError {
    fn code(&self) -> &'static str {
        "invalid_amount"
    }

    fn message(&self, lang: Lang) -> &'static str {
        match (self, lang) {
            (MoneyError::Negative, Lang::De) => "Ein Betrag darf nicht negativ sein.",
            (MoneyError::Negative, Lang::En) => "An amount must not be negative.",
            (MoneyError::Invalid, Lang::De) => "Bitte geben Sie einen Betrag in Euro an.",
            (MoneyError::Invalid, Lang::En) => "Please give an amount in euros.",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_round_commercially_to_cents() {
        assert_eq!(Euro::parse(12.345), Ok(Euro::cents(1235)));
        assert_eq!(Euro::parse(0.004), Ok(Euro::ZERO));
        assert_eq!(Euro::cents(5).half(), Euro::cents(3), "2.5 cents round up");
        assert_eq!(
            Euro::whole(599).share(5356),
            Euro::cents(32082),
            "599 € × 53.56 % = 320.8244 €"
        );
    }

    #[test]
    fn negative_or_impossible_amounts_are_refused() {
        assert_eq!(Euro::parse(-0.01), Err(MoneyError::Negative));
        assert_eq!(Euro::parse(f64::NAN), Err(MoneyError::Invalid));
        assert_eq!(Euro::parse(1e12), Err(MoneyError::Invalid));
    }

    #[test]
    fn typed_amounts_are_read_to_the_cent() {
        assert_eq!(Euro::parse_decimal("695,21"), Ok(Euro::cents(69_521)));
        assert_eq!(Euro::parse_decimal(" 695.2 "), Ok(Euro::cents(69_520)));
        assert_eq!(Euro::parse_decimal("40000"), Ok(Euro::whole(40_000)));
        assert_eq!(Euro::parse_decimal("-1"), Err(MoneyError::Negative));
        for bad in ["", ",5", "1,234", "1.000,00", "12e3", "abc", "1234567890"] {
            assert_eq!(Euro::parse_decimal(bad), Err(MoneyError::Invalid), "{bad}");
        }
    }

    #[test]
    fn amounts_print_the_german_way() {
        assert_eq!(Euro::cents(149_700).to_string(), "1.497,00 €");
        assert_eq!(Euro::cents(13_512).to_string(), "135,12 €");
        assert_eq!(Euro::cents(1_672_000).to_string(), "16.720,00 €");
    }
}
