//! The public benefits calculators. They compute in the browser with the same rules as
//! `portal calc` (`portal-domain`), recompute as you type, name the legal basis of every line,
//! and keep their inputs in the page address so a calculation can be shared.

use leptos::prelude::*;
use leptos_router::NavigateOptions;
use leptos_router::hooks::{use_location, use_navigate};
use portal_domain::benefits::{
    Belastungsgrenze, CareBenefits, CareQuestion, CopayKind, Euro, Household, MoneyError,
    Pflegegrad, belastungsgrenze, care_benefits, zuzahlung,
};
use portal_domain::{Lang, UserFacing, parse_date};

use crate::components::When;
use crate::i18n::{T, use_i18n};

/// One input kept in the address: (value, setter).
type Param = (Memo<Option<String>>, SignalSetter<Option<String>>);

/// Typing replaces the address, it does not add a history entry per key. What the router's
/// `query_signal_with_options` does (which navigates one animation frame later), without its
/// `expect_context`, whose panic message alone would compile Debug formatting of strings into
/// the wasm.
fn param(key: &'static str) -> Param {
    let location = use_location();
    let navigate = use_navigate();
    let query = location.query;
    let value = Memo::new(move |_| query.with(|params| params.get_str(key).map(str::to_string)));
    let set = SignalSetter::map(move |value: Option<String>| {
        let mut params = query.get_untracked();
        match value {
            Some(value) => params.replace(key, value),
            None => drop(params.remove(key)),
        }
        let path = location.pathname.get_untracked();
        let hash = location.hash.get_untracked();
        let options = NavigateOptions { replace: true, scroll: false, ..Default::default() };
        navigate(&format!("{path}{}{hash}", params.to_query_string()), options);
    });
    (value, set)
}

fn set_text(setter: SignalSetter<Option<String>>) -> impl Fn(leptos::ev::Event) {
    move |ev| {
        let value = event_target_value(&ev);
        setter.set((!value.trim().is_empty()).then_some(value));
    }
}

fn set_flag(setter: SignalSetter<Option<String>>) -> impl Fn(leptos::ev::Event) {
    move |ev| setter.set(event_target_checked(&ev).then(|| "ja".to_string()))
}

fn today() -> String {
    let now = js_sys::Date::new_0();
    format!("{:04}-{:02}-{:02}", now.get_full_year(), now.get_month() + 1, now.get_date())
}

/// Euros the way each language writes them.
fn money(lang: Lang, amount: Euro) -> String {
    let german = amount.to_string();
    match lang {
        Lang::De => german,
        Lang::En => {
            let number = german
                .trim_end_matches(" €")
                .replace('.', "\u{0}")
                .replace(',', ".")
                .replace('\u{0}', ",");
            format!("€{number}")
        }
    }
}

fn amount(text: &Option<String>) -> Result<Option<Euro>, MoneyError> {
    text.as_deref().map(str::trim).filter(|t| !t.is_empty()).map(Euro::parse_decimal).transpose()
}

/// A text input whose value lives in the page address.
#[component]
fn AddressInput(
    id: &'static str,
    label: T,
    inputmode: &'static str,
    value: Memo<Option<String>>,
    set: SignalSetter<Option<String>>,
) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <div class="field">
            <label for=id>{i18n.tr(label)}</label>
            <input type="text" inputmode=inputmode id=id prop:value=move || value.get().unwrap_or_default() on:input=set_text(set) />
        </div>
    }
}

/// A checkbox whose state lives in the page address ("ja" when ticked).
#[component]
fn AddressFlag(
    id: &'static str,
    label: T,
    value: Memo<Option<String>>,
    set: SignalSetter<Option<String>>,
) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <div class="check">
            <input type="checkbox" id=id prop:checked=move || value.get().is_some() on:change=set_flag(set) />
            <label for=id>{i18n.tr(label)}</label>
        </div>
    }
}

#[component]
fn Print() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <p class="no-print">
            <button type="button" class="secondary" on:click=move |_| { if let Some(w) = web_sys::window() { let _ = w.print(); } }>{i18n.tr(T::Print)}</button>
        </p>
        <p class="note no-print">{i18n.tr(T::ShareLink)}</p>
    }
}

/// The care calculator's inputs, each kept in the page address.
#[derive(Clone, Copy)]
struct CareInputs {
    date: Param,
    grade: Param,
    beihilfe: Param,
    used: Param,
    months: Param,
}

impl CareInputs {
    fn from_address() -> CareInputs {
        CareInputs {
            date: param("datum"),
            grade: param("pflegegrad"),
            beihilfe: param("beihilfe"),
            used: param("sachleistung"),
            months: param("monate"),
        }
    }

    /// The benefits for what is typed, or what is wrong with it, in the person's language.
    fn benefits(self, lang: Lang, t: impl Fn(T) -> &'static str) -> Result<CareBenefits, String> {
        let date = parse_date(&self.date.0.get().unwrap_or_else(today))
            .map_err(|e| e.message(lang).to_string())?;
        let grade = self.grade.0.get().and_then(|g| g.parse::<i64>().ok()).unwrap_or(2);
        let question = CareQuestion {
            date,
            pflegegrad: Pflegegrad::new(grade).map_err(|e| e.message(lang).to_string())?,
            beihilfe: self.beihilfe.0.get().is_some(),
            sachleistung_used: amount(&self.used.0.get())
                .map_err(|_| t(T::SachleistungUsed).to_string())?,
            home_months: self.months.0.get().and_then(|m| m.trim().parse().ok()),
        };
        care_benefits(&question).map_err(|e| e.message(lang).to_string())
    }
}

/// One line of the result: the benefit, its amount, per what, and its legal basis.
type BenefitRow = (&'static str, String, &'static str, &'static str);

/// The result's lines, in the order of the insurer's overview.
fn care_rows(b: &CareBenefits, lang: Lang, t: impl Fn(T) -> &'static str) -> Vec<BenefitRow> {
    let m = |e: Euro| money(lang, e);
    let mut rows = vec![
        (t(T::LPflegegeld), m(b.pflegegeld), t(T::PerMonth), "§ 37 SGB XI"),
        (t(T::LSachleistung), m(b.pflegesachleistung), t(T::PerMonth), "§ 36 SGB XI"),
    ];
    if let (Some(combined), Some(share)) = (b.kombination_pflegegeld, b.sachleistung_anteil_prozent)
    {
        // The share of the Pflegegeld that remains, from basis points: "53,56 %" / "53.56 %".
        let remaining = 10_000 - (share * 100.0).round() as i64;
        let (separator, of) =
            if lang == Lang::De { (',', "des Pflegegeldes") } else { ('.', "of the allowance") };
        let share = format!(
            "{} ({}{separator}{:02} % {of})",
            m(combined),
            remaining / 100,
            remaining % 100
        );
        rows.push((t(T::LKombination), share, t(T::PerMonth), "§ 38 SGB XI"));
    }
    rows.push((t(T::LTagespflege), m(b.tages_nachtpflege), t(T::PerMonth), "§ 41 SGB XI"));
    rows.push((t(T::LEntlastung), m(b.entlastungsbetrag), t(T::PerMonth), "§ 45b SGB XI"));
    rows.push((t(T::LStationaer), m(b.vollstationaer), t(T::PerMonth), "§ 43 SGB XI"));
    if let Some(percent) = b.leistungszuschlag_prozent {
        rows.push((t(T::LZuschlag), format!("{percent} %"), "", "§ 43c SGB XI"));
    }
    match b.gemeinsamer_jahresbetrag {
        Some(joint) => rows.push((t(T::LGemeinsam), m(joint), t(T::PerYear), "§ 42a SGB XI")),
        None => {
            rows.push((
                t(T::LKurzzeit),
                m(b.kurzzeitpflege_hoechstens),
                t(T::PerYear),
                "§ 42 SGB XI",
            ));
            rows.push((
                t(T::LVerhinderung),
                m(b.verhinderungspflege_hoechstens),
                t(T::PerYear),
                "§ 39 SGB XI",
            ));
        }
    }
    rows.push((t(T::LHilfsmittel), m(b.pflegehilfsmittel), t(T::PerMonth), "§ 40 Abs. 2 SGB XI"));
    rows.push((
        t(T::LWohnumfeld),
        m(b.wohnumfeld_je_massnahme),
        t(T::PerMeasure),
        "§ 40 Abs. 4 SGB XI",
    ));
    rows.push((t(T::LWohngruppe), m(b.wohngruppenzuschlag), t(T::PerMonth), "§ 38a SGB XI"));
    rows.push((t(T::LDipa), m(b.dipa), t(T::PerMonth), "§ 40b SGB XI"));
    rows
}

#[component]
pub fn CareCalculator() -> impl IntoView {
    let i18n = use_i18n();
    let inputs = CareInputs::from_address();
    let CareInputs {
        date: (date, set_date),
        grade: (grade, set_grade),
        beihilfe: (beihilfe, set_beihilfe),
        used: (used, set_used),
        months: (months, set_months),
    } = inputs;
    let result = Memo::new(move |_| inputs.benefits(i18n.lang(), |key| i18n.t(key)));
    let rows = move || {
        let lang = i18n.lang();
        result.get().map(|b| care_rows(&b, lang, |key| i18n.t(key)))
    };
    view! {
        <h1>{i18n.tr(T::CareCalcTitle)}</h1>
        <form class="calc" on:submit=|ev| ev.prevent_default()>
            <div class="field">
                <label for="datum">{i18n.tr(T::Date)}</label>
                <input type="date" id="datum" prop:value=move || date.get().unwrap_or_else(today) on:input=set_text(set_date) />
            </div>
            <div class="field">
                <label for="pflegegrad">{i18n.tr(T::Pflegegrad)}</label>
                <select id="pflegegrad" on:change=set_text(set_grade) prop:value=move || grade.get().unwrap_or_else(|| "2".into())>
                    {(1..=5).map(|g| view! { <option value=g.to_string()>{g.to_string()}</option> }).collect_view()}
                </select>
            </div>
            <AddressFlag id="beihilfe" label=T::Beihilfe value=beihilfe set=set_beihilfe />
            <AddressInput id="sachleistung" label=T::SachleistungUsed inputmode="decimal" value=used set=set_used />
            <AddressInput id="monate" label=T::HomeMonths inputmode="numeric" value=months set=set_months />
        </form>
        <div aria-live="polite">
            {move || match result.get() {
                Err(message) => view! { <p class="problem" role="alert">{message}</p> }.into_any(),
                Ok(_) => view! {
                    <table class="calc-result">
                        <caption>{i18n.tr(T::CareCalcTitle)}</caption>
                        <thead><tr><th scope="col">{i18n.tr(T::Benefit)}</th><th scope="col">{i18n.tr(T::Amount)}</th><th scope="col">{i18n.tr(T::LegalBasis)}</th></tr></thead>
                        <tbody>
                            {rows().unwrap_or_default().into_iter().map(|(label, value, period, basis)| view! {
                                <tr><th scope="row">{label}</th><td>{value}" "<span class="period">{period}</span></td><td>{basis}</td></tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                    {move || beihilfe.get().map(|_| view! { <p class="note">{i18n.tr(T::HalfNote)}</p> })}
                }.into_any(),
            }}
        </div>
        <Print />
    }
}

/// The co-payment calculator's inputs, each kept in the page address.
#[derive(Clone, Copy)]
struct CopayInputs {
    year: Param,
    income: Param,
    partner: Param,
    others: Param,
    children: Param,
    chronic: Param,
    buergergeld: Param,
    kind: Param,
    price: Param,
    days: Param,
    days_paid: Param,
}

/// The kinds of co-payment, with their key in the address and their label.
const KINDS: [(CopayKind, &str, T); 5] = [
    (CopayKind::Arznei, "arznei", T::KArznei),
    (CopayKind::Hilfsmittel, "hilfsmittel", T::KHilfsmittel),
    (CopayKind::Heilmittel, "heilmittel", T::KHeilmittel),
    (CopayKind::HaeuslicheKrankenpflege, "haeusliche_krankenpflege", T::KHkp),
    (CopayKind::Krankenhaus, "krankenhaus", T::KKrankenhaus),
];

fn current_year() -> i32 {
    js_sys::Date::new_0().get_full_year() as i32
}

/// A whole number typed into a field; nothing or anything else counts as 0.
fn count(memo: Memo<Option<String>>) -> u32 {
    memo.get().and_then(|v| v.trim().parse::<u32>().ok()).unwrap_or(0)
}

impl CopayInputs {
    fn from_address() -> CopayInputs {
        CopayInputs {
            year: param("jahr"),
            income: param("einkommen"),
            partner: param("partner"),
            others: param("weitere"),
            children: param("kinder"),
            chronic: param("chronisch"),
            buergergeld: param("buergergeld"),
            kind: param("art"),
            price: param("preis"),
            days: param("tage"),
            days_paid: param("bezahlt"),
        }
    }

    /// The household's Belastungsgrenze, or what is wrong with the input.
    fn limit(self, lang: Lang, t: impl Fn(T) -> &'static str) -> Result<Belastungsgrenze, String> {
        let household = Household {
            year: self.year.0.get().and_then(|y| y.parse().ok()).unwrap_or_else(current_year),
            gross_income: amount(&self.income.0.get())
                .map_err(|_| t(T::GrossIncome).to_string())?
                .unwrap_or_default(),
            partner: self.partner.0.get().is_some(),
            other_members: count(self.others.0),
            children: count(self.children.0),
            chronically_ill: self.chronic.0.get().is_some(),
            buergergeld: self.buergergeld.0.get().is_some(),
            paid: Vec::new(),
        };
        belastungsgrenze(&household).map_err(|e| e.message(lang).to_string())
    }

    fn kind(self) -> CopayKind {
        let chosen = self.kind.0.get();
        KINDS
            .iter()
            .find(|(_, key, _)| Some(*key) == chosen.as_deref())
            .map_or(CopayKind::Arznei, |k| k.0)
    }

    /// One co-payment, or what is wrong with the input.
    fn item(self, lang: Lang, t: impl Fn(T) -> &'static str) -> Result<Euro, String> {
        let price = amount(&self.price.0.get())
            .map_err(|e| format!("{}: {}", t(T::Price), e.message(lang)))?;
        let days = self.days.0.get().and_then(|d| d.trim().parse().ok());
        zuzahlung(self.kind(), price, days, count(self.days_paid.0))
            .map_err(|e| e.message(lang).to_string())
    }
}

#[component]
pub fn CopayCalculator() -> impl IntoView {
    let i18n = use_i18n();
    let inputs = CopayInputs::from_address();
    let CopayInputs {
        year: (year, set_year),
        income: (income, set_income),
        partner: (partner, set_partner),
        others: (others, set_others),
        children: (children, set_children),
        chronic: (chronic, set_chronic),
        buergergeld: (buergergeld, set_buergergeld),
        kind: (kind, set_kind),
        price: (price, set_price),
        days: (days, set_days),
        days_paid: (days_paid, set_days_paid),
    } = inputs;
    let limit = Memo::new(move |_| inputs.limit(i18n.lang(), |key| i18n.t(key)));
    let item = Memo::new(move |_| inputs.item(i18n.lang(), |key| i18n.t(key)));
    let chosen = move || inputs.kind();
    let hospital = move || chosen() == CopayKind::Krankenhaus;
    view! {
        <h1>{i18n.tr(T::CopayCalcTitle)}</h1>
        <h2>{i18n.tr(T::LimitTitle)}</h2>
        <form class="calc" on:submit=|ev| ev.prevent_default()>
            <div class="field">
                <label for="jahr">{move || i18n.t(T::Year2)}</label>
                <select id="jahr" on:change=set_text(set_year) prop:value=move || year.get().unwrap_or_else(|| current_year().to_string())>
                    {(2024..=2026).map(|y| view! { <option value=y.to_string()>{y.to_string()}</option> }).collect_view()}
                </select>
            </div>
            <AddressInput id="einkommen" label=T::GrossIncome inputmode="decimal" value=income set=set_income />
            <AddressFlag id="partner" label=T::Partner value=partner set=set_partner />
            <AddressInput id="weitere" label=T::OtherMembers inputmode="numeric" value=others set=set_others />
            <AddressInput id="kinder" label=T::Children inputmode="numeric" value=children set=set_children />
            <AddressFlag id="chronisch" label=T::ChronicallyIll value=chronic set=set_chronic />
            <AddressFlag id="buergergeld" label=T::Buergergeld value=buergergeld set=set_buergergeld />
        </form>
        <div aria-live="polite">
            {move || {
                let lang = i18n.lang();
                match limit.get() {
                    Err(message) => view! { <p class="problem" role="alert">{message}</p> }.into_any(),
                    Ok(l) => view! {
                        <table class="calc-result">
                            <caption>{i18n.tr(T::LimitTitle)}</caption>
                            <tbody>
                                <tr><th scope="row">{i18n.tr(T::Deductions)}</th><td>{money(lang, l.deductions)}</td><td>"§ 62 Abs. 2 SGB V"</td></tr>
                                <tr><th scope="row">{i18n.tr(T::IncomeBasis)}</th><td>{money(lang, l.income_basis)}</td><td>"§ 62 Abs. 2 SGB V"</td></tr>
                                <tr><th scope="row">{i18n.tr(T::Percent)}</th><td>{format!("{} %", l.percent)}</td><td>"§ 62 Abs. 1 SGB V"</td></tr>
                                <tr><th scope="row">{i18n.tr(T::LimitResult)}</th><td><strong>{money(lang, l.belastungsgrenze)}</strong></td><td>"§ 62 Abs. 1 SGB V"</td></tr>
                            </tbody>
                        </table>
                    }.into_any(),
                }
            }}
        </div>
        <h2>{i18n.tr(T::ItemTitle)}</h2>
        <form class="calc" on:submit=|ev| ev.prevent_default()>
            <div class="field">
                <label for="art">{i18n.tr(T::Kind)}</label>
                <select id="art" on:change=set_text(set_kind) prop:value=move || kind.get().unwrap_or_else(|| "arznei".into())>
                    {KINDS.into_iter().map(|(_, key, label)| view! { <option value=key>{i18n.tr(label)}</option> }).collect_view()}
                </select>
            </div>
            <When when=move || !hospital() fallback=move || view! {
                <AddressInput id="tage" label=T::Days inputmode="numeric" value=days set=set_days />
                <AddressInput id="bezahlt" label=T::DaysPaid inputmode="numeric" value=days_paid set=set_days_paid />
            }>
                <AddressInput id="preis" label=T::Price inputmode="decimal" value=price set=set_price />
            </When>
        </form>
        <p aria-live="polite" id="zuzahlung">
            {move || match item.get() {
                Ok(z) => view! { {i18n.tr(T::Zuzahlung)}": "<strong>{money(i18n.lang(), z)}</strong>" (§ 61 SGB V)" }.into_any(),
                Err(message) => view! { <span>{message}</span> }.into_any(),
            }}
        </p>
        <Print />
    }
}
