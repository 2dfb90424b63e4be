//! Co-payments (Zuzahlungen, § 61 SGB V) and the yearly limit on them (Belastungsgrenze, § 62).

use serde::{Deserialize, Serialize};

use super::money::{Euro, MoneyError};
use crate::{Lang, UserFacing};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CopayKind {
    Arznei,
    Hilfsmittel,
    Heilmittel,
    HaeuslicheKrankenpflege,
    Krankenhaus,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CopayError {
    #[error("this kind of co-payment needs the price")]
    MissingPrice,
    #[error("a hospital stay needs the number of days")]
    MissingDays,
    #[error("the year is not in the table (2024 to 2026)")]
    UnknownYear,
    #[error(transparent)]
    Amount(#[from] MoneyError),
}

/// The co-payment for one item.
/// - Medicines and aids: 10 % of the price, at least 5 €, at most 10 €, never more than the price.
/// - Heilmittel and häusliche Krankenpflege: 10 % of the cost plus 10 € per prescription (the cost
///   is that of the prescription; for häusliche Krankenpflege the law counts at most the first
///   28 days of a year, which the caller's cost must already reflect).
/// - Hospital: 10 € per day, at most 28 days per calendar year, counting days already paid.
pub fn zuzahlung(
    kind: CopayKind,
    price: Option<Euro>,
    days: Option<u32>,
    days_paid_this_year: u32,
) -> Result<Euro, CopayError> {
    match kind {
        CopayKind::Arznei | CopayKind::Hilfsmittel => {
            let price = price.ok_or(CopayError::MissingPrice)?;
            Ok(price.share(1_000).max(Euro::whole(5)).min(Euro::whole(10)).min(price))
        }
        CopayKind::Heilmittel | CopayKind::HaeuslicheKrankenpflege => {
            let price = price.ok_or(CopayError::MissingPrice)?;
            Ok(price.share(1_000) + Euro::whole(10))
        }
        CopayKind::Krankenhaus => {
            let days = days.ok_or(CopayError::MissingDays)?;
            let payable = days.min(28u32.saturating_sub(days_paid_this_year));
            Ok(Euro::whole(10) * i64::from(payable))
        }
    }
}

/// One year's figures (§ 18 SGB IV Bezugsgröße; § 32 Abs. 6 EStG child allowance), whole euros.
struct Year {
    year: i32,
    first_member: i64,
    further_member: i64,
    child: i64,
}

/// 15 % and 10 % of the annual Bezugsgröße (42,420 € / 44,940 € / 47,460 €).
const YEARS: [Year; 3] = [
    Year { year: 2024, first_member: 6_363, further_member: 4_242, child: 9_312 },
    Year { year: 2025, first_member: 6_741, further_member: 4_494, child: 9_600 },
    Year { year: 2026, first_member: 7_119, further_member: 4_746, child: 9_756 },
];

/// Regelbedarfsstufe 1 (563 €/month in 2024–2026): with Bürgergeld or Sozialhilfe the household
/// income is this standard rate, twelve times, without deductions.
const REGELSATZ_JAHR: i64 = 563 * 12;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Household {
    pub year: i32,
    pub gross_income: Euro,
    pub partner: bool,
    /// Further household members who are neither the partner nor children.
    pub other_members: u32,
    pub children: u32,
    pub chronically_ill: bool,
    pub buergergeld: bool,
    /// Co-payments made so far this year.
    pub paid: Vec<Euro>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Belastungsgrenze {
    pub belastungsgrenze: Euro,
    pub income_basis: Euro,
    pub deductions: Euro,
    pub percent: u8,
    pub paid: Euro,
    pub remaining: Euro,
    /// From the day the limit is reached, the insurer certifies the exemption for the rest of
    /// the year.
    pub reached: bool,
}

/// § 62 SGB V: 2 % of the household's gross income (1 % with a chronic illness), after deducting
/// 15 % of the Bezugsgröße for the first further member, 10 % for each other, and the child
/// allowance for each child.
pub fn belastungsgrenze(h: &Household) -> Result<Belastungsgrenze, CopayError> {
    let year = YEARS.iter().find(|y| y.year == h.year).ok_or(CopayError::UnknownYear)?;
    let percent: u8 = if h.chronically_ill { 1 } else { 2 };
    let (income_basis, deductions) = if h.buergergeld {
        (Euro::whole(REGELSATZ_JAHR), Euro::ZERO)
    } else {
        let adults = u32::from(h.partner).saturating_add(h.other_members);
        let deductions = Euro::whole(year.first_member) * i64::from(adults.min(1))
            + Euro::whole(year.further_member) * i64::from(adults.saturating_sub(1))
            + Euro::whole(year.child) * i64::from(h.children);
        (h.gross_income.saturating_sub(deductions), deductions)
    };
    let limit = income_basis.share(i64::from(percent) * 100);
    let paid: Euro = h.paid.iter().copied().sum();
    Ok(Belastungsgrenze {
        belastungsgrenze: limit,
        income_basis,
        deductions,
        percent,
        paid,
        remaining: limit.saturating_sub(paid),
        reached: paid >= limit,
    })
}

impl UserFacing for CopayError {
    fn code(&self) -> &'static str {
        match self {
            CopayError::MissingPrice => "price_required",
            CopayError::MissingDays => "days_required",
            CopayError::UnknownYear => "year_not_covered",
            CopayError::Amount(e) => e.code(),
        }
    }

    fn message(&self, lang: Lang) -> &'static str {
        match (self, lang) {
            (CopayError::MissingPrice, Lang::De) => "Bitte geben Sie den Preis an.",
            (CopayError::MissingPrice, Lang::En) => "Please give the price.",
            (CopayError::MissingDays, Lang::De) => "Bitte geben Sie die Zahl der Tage an.",
            (CopayError::MissingDays, Lang::En) => "Please give the number of days.",
            (CopayError::UnknownYear, Lang::De) => "Der Rechner kennt die Jahre 2024 bis 2026.",
            (CopayError::UnknownYear, Lang::En) => "The calculator knows the years 2024 to 2026.",
            (CopayError::Amount(e), lang) => e.message(lang),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn household(gross: i64) -> Household {
        Household {
            year: 2026,
            gross_income: Euro::whole(gross),
            partner: false,
            other_members: 0,
            children: 0,
            chronically_ill: false,
            buergergeld: false,
            paid: Vec::new(),
        }
    }

    #[test]
    fn medicines_cost_ten_percent_between_five_and_ten_euros_never_above_the_price() {
        // § 61 Satz 1 SGB V
        let item =
            |price: i64| zuzahlung(CopayKind::Arznei, Some(Euro::cents(price)), None, 0).unwrap();
        assert_eq!(item(2_999), Euro::whole(5), "29.99 €: 3.00 € is below the minimum");
        assert_eq!(item(7_345), Euro::cents(735), "73.45 €: 7.345 € rounds to 7.35 €");
        assert_eq!(item(25_000), Euro::whole(10), "250 €: capped at 10 €");
        assert_eq!(item(389), Euro::cents(389), "3.89 €: never more than the price");
    }

    #[test]
    fn heilmittel_cost_ten_percent_plus_ten_euros_per_prescription() {
        // § 61 Satz 3: a prescription of 6 × 28.50 € = 171.00 € → 17.10 € + 10 € = 27.10 €.
        let z = zuzahlung(CopayKind::Heilmittel, Some(Euro::whole(171)), None, 0).unwrap();
        assert_eq!(z, Euro::cents(2_710));
    }

    #[test]
    fn hospital_days_cost_ten_euros_up_to_28_days_a_year() {
        // § 61 Satz 2, § 39 Abs. 4: 10 days with 22 already paid → only 6 more are payable.
        assert_eq!(zuzahlung(CopayKind::Krankenhaus, None, Some(10), 22), Ok(Euro::whole(60)));
        assert_eq!(zuzahlung(CopayKind::Krankenhaus, None, Some(5), 30), Ok(Euro::ZERO));
        assert_eq!(zuzahlung(CopayKind::Krankenhaus, None, None, 0), Err(CopayError::MissingDays));
        assert_eq!(zuzahlung(CopayKind::Arznei, None, Some(3), 0), Err(CopayError::MissingPrice));
    }

    #[test]
    fn the_limit_is_two_percent_of_the_income_after_household_deductions() {
        // § 62 Abs. 2, 2026: 40,000 € − 7,119 € (partner) − 9,756 € (one child) = 23,125 €;
        // 2 % = 462.50 €; chronically ill 1 % = 231.25 €.
        let h = Household { partner: true, children: 1, ..household(40_000) };
        let limit = belastungsgrenze(&h).unwrap();
        assert_eq!(
            (limit.deductions, limit.income_basis, limit.belastungsgrenze),
            (Euro::whole(16_875), Euro::whole(23_125), Euro::cents(46_250))
        );
        let chronic = belastungsgrenze(&Household { chronically_ill: true, ..h }).unwrap();
        assert_eq!((chronic.percent, chronic.belastungsgrenze), (1, Euro::cents(23_125)));
    }

    #[test]
    fn an_absurdly_large_household_deducts_the_whole_income_instead_of_failing() {
        let h = Household {
            partner: true,
            other_members: u32::MAX,
            children: u32::MAX,
            ..household(40_000)
        };
        let limit = belastungsgrenze(&h).unwrap();
        assert_eq!((limit.income_basis, limit.belastungsgrenze), (Euro::ZERO, Euro::ZERO));
    }

    #[test]
    fn the_first_further_member_counts_15_percent_each_other_10() {
        // 2025: no partner, two other members (e.g. parents): 6,741 € + 4,494 € = 11,235 €.
        let h = Household { year: 2025, other_members: 2, ..household(30_000) };
        assert_eq!(belastungsgrenze(&h).unwrap().deductions, Euro::whole(11_235));
    }

    #[test]
    fn an_income_below_the_deductions_leaves_no_limit() {
        let h = Household { partner: true, children: 2, ..household(20_000) };
        let limit = belastungsgrenze(&h).unwrap();
        assert_eq!((limit.income_basis, limit.belastungsgrenze), (Euro::ZERO, Euro::ZERO));
    }

    #[test]
    fn with_buergergeld_the_standard_rate_counts_without_deductions() {
        // 563 € × 12 = 6,756 €; 2 % = 135.12 €, 1 % = 67.56 €.
        let h = Household { buergergeld: true, partner: true, children: 3, ..household(0) };
        assert_eq!(belastungsgrenze(&h).unwrap().belastungsgrenze, Euro::cents(13_512));
        let chronic = Household { chronically_ill: true, ..h };
        assert_eq!(belastungsgrenze(&chronic).unwrap().belastungsgrenze, Euro::cents(6_756));
    }

    #[test]
    fn co_payments_made_count_towards_the_limit() {
        let h = Household {
            buergergeld: true,
            paid: vec![Euro::whole(100), Euro::cents(3_512)],
            ..household(0)
        };
        let limit = belastungsgrenze(&h).unwrap();
        assert_eq!(
            (limit.paid, limit.remaining, limit.reached),
            (Euro::cents(13_512), Euro::ZERO, true)
        );
        assert_eq!(
            belastungsgrenze(&Household { year: 2023, ..household(1) }),
            Err(CopayError::UnknownYear)
        );
    }
}
