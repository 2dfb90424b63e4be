//! Long-term-care benefits (Pflegeversicherung, SGB XI) for a Pflegegrad on a date.

use serde::Serialize;
use time::Date;
use time::macros::date;

use super::money::{Euro, divide_rounded};
use crate::{Lang, UserFacing};

/// The degree of care need, 1 to 5 (§ 15 SGB XI).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pflegegrad(u8);

impl Pflegegrad {
    pub fn new(grad: i64) -> Result<Pflegegrad, CareError> {
        match grad {
            1..=5 => Ok(Pflegegrad(grad as u8)),
            _ => Err(CareError::Pflegegrad),
        }
    }

    fn index(self) -> usize {
        usize::from(self.0 - 1)
    }
}

/// The amounts of one period, in whole euros per month unless said. Index 0 is Pflegegrad 1.
struct Amounts {
    valid_from: Date,
    pflegegeld: [i64; 5],
    sachleistung: [i64; 5],
    tages_nachtpflege: [i64; 5],
    vollstationaer: [i64; 5],
    entlastungsbetrag: i64,
    pflegehilfsmittel: i64,
    /// Per measure (§ 40 Abs. 4); four times that when several entitled people live together.
    wohnumfeld: i64,
    wohngruppenzuschlag: i64,
    /// Digitale Pflegeanwendungen and the support with them (§ 40b).
    dipa: i64,
}

/// Newest last. 2024: Pflegeunterstützungs- und -entlastungsgesetz (PUEG) amounts from
/// 1 January 2024; 2025: raised by 4.5 % from 1 January 2025 (PUEG, § 30 SGB XI).
const AMOUNTS: [Amounts; 2] = [
    Amounts {
        valid_from: date!(2024 - 01 - 01),
        pflegegeld: [0, 332, 573, 765, 947],
        sachleistung: [0, 761, 1432, 1778, 2200],
        tages_nachtpflege: [0, 689, 1298, 1612, 1995],
        vollstationaer: [125, 770, 1262, 1775, 2005],
        entlastungsbetrag: 125,
        pflegehilfsmittel: 40,
        wohnumfeld: 4000,
        wohngruppenzuschlag: 214,
        dipa: 50,
    },
    Amounts {
        valid_from: date!(2025 - 01 - 01),
        pflegegeld: [0, 347, 599, 800, 990],
        sachleistung: [0, 796, 1497, 1859, 2299],
        tages_nachtpflege: [0, 721, 1357, 1685, 2085],
        vollstationaer: [131, 805, 1319, 1855, 2096],
        entlastungsbetrag: 131,
        pflegehilfsmittel: 42,
        wohnumfeld: 4180,
        wohngruppenzuschlag: 224,
        dipa: 53,
    },
];

/// Kurzzeitpflege (§ 42) and Verhinderungspflege (§ 39), Pflegegrad 2 to 5, per calendar year.
enum Respite {
    /// Until 30 June 2025: two amounts. Unused Verhinderungspflege raises the Kurzzeitpflege by its
    /// whole amount; unused Kurzzeitpflege raises the Verhinderungspflege by half the
    /// Verhinderungspflege amount (§ 39 Abs. 2 old version: 806 € in 2024, 843 € in 2025).
    Separate { kurzzeitpflege: i64, verhinderungspflege: i64 },
    /// From 1 July 2025: one joint annual budget for both (§ 42a).
    Joint { budget: i64 },
}

const RESPITE: [(Date, Respite); 3] = [
    (date!(2024 - 01 - 01), Respite::Separate { kurzzeitpflege: 1774, verhinderungspflege: 1612 }),
    (date!(2025 - 01 - 01), Respite::Separate { kurzzeitpflege: 1854, verhinderungspflege: 1685 }),
    (date!(2025 - 07 - 01), Respite::Joint { budget: 3539 }),
];

/// The next increase is due on 1 January 2028 (§ 30 SGB XI); its amounts are not known yet.
const KNOWN_UNTIL: Date = date!(2027 - 12 - 31);

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CareQuestion {
    pub date: Date,
    pub pflegegrad: Pflegegrad,
    /// Entitled to Beihilfe or Heilfürsorge: benefits at half the amount (§ 28 Abs. 2).
    pub beihilfe: bool,
    /// Pflegesachleistung used in the month, for the Kombinationsleistung (§ 38).
    pub sachleistung_used: Option<Euro>,
    /// Months in a care home so far, for the Leistungszuschlag (§ 43c).
    pub home_months: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CareBenefits {
    pub pflegegeld: Euro,
    pub pflegesachleistung: Euro,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sachleistung_anteil_prozent: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kombination_pflegegeld: Option<Euro>,
    pub tages_nachtpflege: Euro,
    pub entlastungsbetrag: Euro,
    pub vollstationaer: Euro,
    pub kurzzeitpflege: Euro,
    pub kurzzeitpflege_hoechstens: Euro,
    pub verhinderungspflege: Euro,
    pub verhinderungspflege_hoechstens: Euro,
    pub gemeinsamer_jahresbetrag: Option<Euro>,
    pub pflegehilfsmittel: Euro,
    pub wohnumfeld_je_massnahme: Euro,
    pub wohngruppenzuschlag: Euro,
    pub dipa: Euro,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub leistungszuschlag_prozent: Option<u8>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CareError {
    #[error("the Pflegegrad is 1 to 5")]
    Pflegegrad,
    #[error("the calculator covers dates from 1 January 2024")]
    BeforeCoverage,
    #[error("the amounts from 1 January 2028 are not known yet")]
    AfterCoverage,
}

pub fn care_benefits(q: &CareQuestion) -> Result<CareBenefits, CareError> {
    if q.date > KNOWN_UNTIL {
        return Err(CareError::AfterCoverage);
    }
    let amounts =
        AMOUNTS.iter().rev().find(|a| a.valid_from <= q.date).ok_or(CareError::BeforeCoverage)?;
    let respite = RESPITE
        .iter()
        .rev()
        .find(|(from, _)| *from <= q.date)
        .map(|(_, r)| r)
        .ok_or(CareError::BeforeCoverage)?;
    let pg = q.pflegegrad.index();
    let at_home_grade = q.pflegegrad.0 >= 2;
    let euro = |whole: i64| {
        let amount = Euro::whole(whole);
        if q.beihilfe { amount.half() } else { amount }
    };
    let pflegegeld = euro(amounts.pflegegeld[pg]);
    let sachleistung = euro(amounts.sachleistung[pg]);

    // § 38: the share of the Sachleistung used, rounded commercially to two decimals of a
    // percent, reduces the Pflegegeld by the same share.
    let share = q.sachleistung_used.filter(|_| sachleistung > Euro::ZERO).map(|used| {
        let basis_points = divide_rounded(used.as_cents() * 10_000, sachleistung.as_cents());
        basis_points.min(10_000)
    });
    let (kurzzeit, kurzzeit_max, verhinderung, verhinderung_max, joint) =
        match (respite, at_home_grade) {
            (_, false) => (0, 0, 0, 0, matches!(respite, Respite::Joint { .. }).then_some(0)),
            (Respite::Separate { kurzzeitpflege, verhinderungspflege }, true) => (
                *kurzzeitpflege,
                kurzzeitpflege + verhinderungspflege,
                *verhinderungspflege,
                verhinderungspflege + divide_rounded(*verhinderungspflege, 2),
                None,
            ),
            (Respite::Joint { budget }, true) => {
                (*budget, *budget, *budget, *budget, Some(*budget))
            }
        };
    Ok(CareBenefits {
        pflegegeld,
        pflegesachleistung: sachleistung,
        sachleistung_anteil_prozent: share.map(|bp| bp as f64 / 100.0),
        kombination_pflegegeld: share.map(|bp| pflegegeld.share(10_000 - bp)),
        tages_nachtpflege: euro(amounts.tages_nachtpflege[pg]),
        entlastungsbetrag: euro(amounts.entlastungsbetrag),
        vollstationaer: euro(amounts.vollstationaer[pg]),
        kurzzeitpflege: euro(kurzzeit),
        kurzzeitpflege_hoechstens: euro(kurzzeit_max),
        verhinderungspflege: euro(verhinderung),
        verhinderungspflege_hoechstens: euro(verhinderung_max),
        gemeinsamer_jahresbetrag: joint.map(euro),
        pflegehilfsmittel: euro(amounts.pflegehilfsmittel),
        wohnumfeld_je_massnahme: euro(amounts.wohnumfeld),
        wohngruppenzuschlag: euro(amounts.wohngruppenzuschlag),
        dipa: euro(amounts.dipa),
        leistungszuschlag_prozent: q
            .home_months
            .map(|months| if at_home_grade { leistungszuschlag(months) } else { 0 }),
    })
}

/// § 43c: the share of the care-related own contribution in a home that the Pflegekasse pays,
/// by months in the home: 15 % in the first 12, 30 % after 12, 50 % after 24, 75 % after 36.
fn leistungszuschlag(months: u32) -> u8 {
    match months {
        0..=12 => 15,
        13..=24 => 30,
        25..=36 => 50,
        _ => 75,
    }
}

impl UserFacing for CareError {
    fn code(&self) -> &'static str {
        match self {
            CareError::Pflegegrad => "invalid_pflegegrad",
            CareError::BeforeCoverage | CareError::AfterCoverage => "date_not_covered",
        }
    }

    fn message(&self, lang: Lang) -> &'static str {
        match (self, lang) {
            (CareError::Pflegegrad, Lang::De) => "Der Pflegegrad ist eine Zahl von 1 bis 5.",
            (CareError::Pflegegrad, Lang::En) => {
                "The Pflegegrad (care grade) is a number from 1 to 5."
            }
            (CareError::BeforeCoverage, Lang::De) => {
                "Der Rechner kennt die Beträge ab dem 1. Januar 2024."
            }
            (CareError::BeforeCoverage, Lang::En) => {
                "The calculator knows the amounts from 1 January 2024."
            }
            (CareError::AfterCoverage, Lang::De) => {
                "Die Beträge ab dem 1. Januar 2028 stehen noch nicht fest."
            }
            (CareError::AfterCoverage, Lang::En) => {
                "The amounts from 1 January 2028 are not fixed yet."
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ask(date: Date, grad: i64) -> CareQuestion {
        CareQuestion {
            date,
            pflegegrad: Pflegegrad::new(grad).unwrap(),
            beihilfe: false,
            sachleistung_used: None,
            home_months: None,
        }
    }

    fn euros(amount: Euro) -> f64 {
        amount.as_euros()
    }

    #[test]
    fn monthly_amounts_follow_the_table_of_the_date_asked_about() {
        // §§ 37, 36, 41, 43, 45b SGB XI; PG 3 on 31.12.2024 and on 1.1.2025.
        let old = care_benefits(&ask(date!(2024 - 12 - 31), 3)).unwrap();
        assert_eq!(
            [old.pflegegeld, old.pflegesachleistung, old.tages_nachtpflege, old.vollstationaer]
                .map(euros),
            [573.0, 1432.0, 1298.0, 1262.0]
        );
        assert_eq!(
            (
                euros(old.entlastungsbetrag),
                euros(old.pflegehilfsmittel),
                euros(old.wohnumfeld_je_massnahme)
            ),
            (125.0, 40.0, 4000.0)
        );
        let new = care_benefits(&ask(date!(2025 - 01 - 01), 3)).unwrap();
        assert_eq!(
            [new.pflegegeld, new.pflegesachleistung, new.tages_nachtpflege, new.vollstationaer]
                .map(euros),
            [599.0, 1497.0, 1357.0, 1319.0]
        );
        assert_eq!(
            (euros(new.entlastungsbetrag), euros(new.wohngruppenzuschlag), euros(new.dipa)),
            (131.0, 224.0, 53.0)
        );
    }

    #[test]
    fn pflegegrad_1_has_no_home_care_money_but_the_grants() {
        let pg1 = care_benefits(&ask(date!(2026 - 05 - 04), 1)).unwrap();
        assert_eq!(
            [pg1.pflegegeld, pg1.pflegesachleistung, pg1.tages_nachtpflege, pg1.kurzzeitpflege]
                .map(euros),
            [0.0; 4]
        );
        assert_eq!((euros(pg1.vollstationaer), euros(pg1.entlastungsbetrag)), (131.0, 131.0));
        assert_eq!(pg1.gemeinsamer_jahresbetrag, Some(Euro::ZERO));
    }

    #[test]
    fn respite_care_changes_on_1_july_2025_from_two_amounts_to_one_budget() {
        // Until 30.6.2025 (§§ 39, 42 old): Kurzzeitpflege 1,854 €, raised by the unused
        // Verhinderungspflege of 1,685 € to 3,539 €; Verhinderungspflege 1,685 € plus half of that
        // (842.50 → 843 €) from unused Kurzzeitpflege = 2,528 €.
        let june = care_benefits(&ask(date!(2025 - 06 - 30), 2)).unwrap();
        assert_eq!(
            [june.kurzzeitpflege, june.kurzzeitpflege_hoechstens].map(euros),
            [1854.0, 3539.0]
        );
        assert_eq!(
            [june.verhinderungspflege, june.verhinderungspflege_hoechstens].map(euros),
            [1685.0, 2528.0]
        );
        assert_eq!(june.gemeinsamer_jahresbetrag, None);
        // From 1.7.2025 (§ 42a): one joint budget of 3,539 € for both.
        let july = care_benefits(&ask(date!(2025 - 07 - 01), 2)).unwrap();
        assert_eq!(july.gemeinsamer_jahresbetrag, Some(Euro::whole(3539)));
        assert_eq!([july.kurzzeitpflege, july.verhinderungspflege].map(euros), [3539.0, 3539.0]);
        // 2024: 1,774 € and 1,612 €; Verhinderungspflege up to 1,612 + 806 = 2,418 €.
        let y2024 = care_benefits(&ask(date!(2024 - 03 - 01), 5)).unwrap();
        assert_eq!(
            [y2024.kurzzeitpflege_hoechstens, y2024.verhinderungspflege_hoechstens].map(euros),
            [3386.0, 2418.0]
        );
    }

    #[test]
    fn the_combination_reduces_the_pflegegeld_by_the_rounded_share_used() {
        // § 38: PG 3, 695.21 € of 1,497 € Sachleistung used = 46.4402 % → 46.44 %;
        // 53.56 % of 599 € Pflegegeld = 320.8244 € → 320.82 €.
        let q = CareQuestion {
            sachleistung_used: Some(Euro::cents(69_521)),
            ..ask(date!(2026 - 05 - 04), 3)
        };
        let b = care_benefits(&q).unwrap();
        assert_eq!(b.sachleistung_anteil_prozent, Some(46.44));
        assert_eq!(b.kombination_pflegegeld, Some(Euro::cents(32_082)));
        // More than the Sachleistung used: nothing left of the Pflegegeld.
        let q = CareQuestion {
            sachleistung_used: Some(Euro::whole(5000)),
            ..ask(date!(2026 - 05 - 04), 3)
        };
        assert_eq!(care_benefits(&q).unwrap().kombination_pflegegeld, Some(Euro::ZERO));
    }

    #[test]
    fn beihilfe_halves_every_amount() {
        // § 28 Abs. 2: PG 2 in 2026, Pflegegeld 347 € → 173.50 €; joint budget 3,539 € → 1,769.50 €.
        let q = CareQuestion { beihilfe: true, ..ask(date!(2026 - 05 - 04), 2) };
        let b = care_benefits(&q).unwrap();
        assert_eq!((euros(b.pflegegeld), euros(b.entlastungsbetrag)), (173.5, 65.5));
        assert_eq!(b.gemeinsamer_jahresbetrag, Some(Euro::cents(176_950)));
    }

    #[test]
    fn the_leistungszuschlag_grows_with_the_months_in_the_home() {
        let months = |m| {
            care_benefits(&CareQuestion { home_months: Some(m), ..ask(date!(2026 - 05 - 04), 4) })
                .unwrap()
                .leistungszuschlag_prozent
        };
        assert_eq!(
            [months(0), months(12), months(13), months(24), months(25), months(36), months(37)],
            [15, 15, 30, 30, 50, 50, 75].map(Some)
        );
    }

    #[test]
    fn dates_outside_the_known_tables_and_impossible_grades_are_refused() {
        assert_eq!(care_benefits(&ask(date!(2023 - 12 - 31), 2)), Err(CareError::BeforeCoverage));
        assert_eq!(care_benefits(&ask(date!(2028 - 01 - 01), 2)), Err(CareError::AfterCoverage));
        assert_eq!(Pflegegrad::new(7), Err(CareError::Pflegegrad));
        assert_eq!(Pflegegrad::new(0), Err(CareError::Pflegegrad));
    }
}
