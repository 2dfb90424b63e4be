//! `portal calc care|copay-limit|copay-item`: the benefits calculators for the back office, one
//! JSON object on stdin, one on stdout. Amounts are euros as numbers.

use clap::Subcommand;
use portal_domain::benefits::{
    CareQuestion, CopayKind, Euro, Household, Pflegegrad, belastungsgrenze, care_benefits,
    zuzahlung,
};
use portal_domain::{Lang, UserFacing, parse_date};
use serde::Deserialize;
use serde_json::json;

#[derive(Debug, Clone, Copy, Subcommand)]
pub enum Calc {
    /// Care benefits: {"date", "pflegegrad", "beihilfe"?, "sachleistung_used"?, "home_months"?}
    Care,
    /// Belastungsgrenze: {"year", "gross_income", "partner"?, "other_members"?, "children"?,
    /// "chronically_ill"?, "buergergeld"?, "copayments_paid"?: [..]}
    CopayLimit,
    /// One co-payment: {"kind": arznei|hilfsmittel|heilmittel|haeusliche_krankenpflege|krankenhaus,
    /// "price"? | "days"?, "days_paid_this_year"?}
    CopayItem,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CareInput {
    date: String,
    pflegegrad: i64,
    #[serde(default)]
    beihilfe: bool,
    sachleistung_used: Option<f64>,
    home_months: Option<u32>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LimitInput {
    year: i32,
    #[serde(default)]
    gross_income: f64,
    #[serde(default)]
    partner: bool,
    #[serde(default)]
    other_members: u32,
    #[serde(default)]
    children: u32,
    #[serde(default)]
    chronically_ill: bool,
    #[serde(default)]
    buergergeld: bool,
    #[serde(default)]
    copayments_paid: Vec<f64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ItemInput {
    kind: CopayKind,
    price: Option<f64>,
    days: Option<u32>,
    #[serde(default)]
    days_paid_this_year: u32,
}

/// The answer as one line of JSON, or what is wrong with the question.
pub fn run(calc: Calc, input: &str, lang: Lang) -> Result<String, String> {
    let explain = |e: &dyn UserFacing| format!("{} ({})", e.message(lang), e.code());
    let parse_error = |e: serde_json::Error| match lang {
        Lang::De => format!("Die Eingabe ist kein passendes JSON-Objekt: {e}"),
        Lang::En => format!("The input is not a fitting JSON object: {e}"),
    };
    let money = |amount: f64| Euro::parse(amount).map_err(|e| explain(&e));
    let answer = match calc {
        Calc::Care => {
            let i: CareInput = serde_json::from_str(input).map_err(parse_error)?;
            let question = CareQuestion {
                date: parse_date(&i.date).map_err(|e| explain(&e))?,
                pflegegrad: Pflegegrad::new(i.pflegegrad).map_err(|e| explain(&e))?,
                beihilfe: i.beihilfe,
                sachleistung_used: i.sachleistung_used.map(money).transpose()?,
                home_months: i.home_months,
            };
            serde_json::to_value(care_benefits(&question).map_err(|e| explain(&e))?)
        }
        Calc::CopayLimit => {
            let i: LimitInput = serde_json::from_str(input).map_err(parse_error)?;
            let household = Household {
                year: i.year,
                gross_income: money(i.gross_income)?,
                partner: i.partner,
                other_members: i.other_members,
                children: i.children,
                chronically_ill: i.chronically_ill,
                buergergeld: i.buergergeld,
                paid: i.copayments_paid.into_iter().map(money).collect::<Result<_, _>>()?,
            };
            serde_json::to_value(belastungsgrenze(&household).map_err(|e| explain(&e))?)
        }
        Calc::CopayItem => {
            let i: ItemInput = serde_json::from_str(input).map_err(parse_error)?;
            let price = i.price.map(money).transpose()?;
            let amount =
                zuzahlung(i.kind, price, i.days, i.days_paid_this_year).map_err(|e| explain(&e))?;
            Ok(json!({ "zuzahlung": amount }))
        }
    };
    answer.map(|value| value.to_string()).map_err(|e| e.to_string())
}
