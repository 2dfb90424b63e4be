//! "Servicezahlen": the portal's public figures per month, a page of its own wasm module
//! (`figures_main.rs`). Each figure as a bar chart the app draws as SVG itself (no chart library
//! in the wasm), with `role="img"`, a title and a description, and the same numbers in a table
//! beside it for screen readers; the months as CSV from the server. Counts below 10 come as
//! "< 10" and are drawn as no bar, labelled so. Its texts are a table of their own.

use leptos::prelude::*;
use leptos::task::spawn_local;
use portal_wire::{Masked, MaskedShare, MonthFiguresBody};

use crate::api::{self, Problem};
use crate::components::FormProblem;
use crate::i18n::{I18n, Lang, texts, use_i18n};

texts! { F, ftext;
    Title => "Servicezahlen", "Service figures";
    Intro => "Die Zahlen des Portals aus seinen eigenen Aufzeichnungen, je Monat. Zahlen unter 10 werden als „< 10“ gezeigt, damit niemand Einzelnes erkennbar wird. Der laufende Monat zählt bis zur letzten täglichen Zusammenfassung.", "The portal's figures from its own records, per month. Figures below 10 are shown as \"< 10\" so that no single person can be singled out. The current month counts up to the last daily roll-up.";
    Month => "Monat", "Month";
    Queries => "Beantwortete Abfragen", "Queries answered";
    QueriesDesc => "Säulendiagramm: beantwortete Online-Hintergrund-Abfragen je Monat. Die Tabelle daneben nennt dieselben Zahlen.", "Bar chart: online background queries answered per month. The table beside it gives the same numbers.";
    Exempt => "Anteil mit Zuzahlungsbefreiung", "Share with an exemption";
    Active => "Aktive Leistungserbringer", "Active providers";
    ActiveDesc => "Säulendiagramm: Leistungserbringer mit mindestens einer Abfrage je Monat. Die Tabelle daneben nennt dieselben Zahlen.", "Bar chart: providers with at least one query per month. The table beside it gives the same numbers.";
    Registered => "Registrierte Leistungserbringer", "Providers registered";
    Reports => "eTherapieberichte gesendet / zugestellt", "eTherapieberichte sent / delivered";
    Availability => "Verfügbarkeit der Abfrage", "Availability of the query";
    NotRecorded => "nicht erfasst", "not recorded";
    Csv => "Alle Zahlen als CSV herunterladen", "Download all figures as CSV";
    Loading => "Die Zahlen werden geladen …", "Loading the figures …";
    Table => "Tabelle", "Table";
}

fn masked_text(value: Option<Masked>, lang: Lang) -> String {
    match value {
        Some(Masked::Count(n)) => n.to_string(),
        Some(Masked::Small(_)) => portal_wire::SMALL.to_string(),
        None => ftext(lang, F::NotRecorded).to_string(),
    }
}

fn percent(share: Option<f64>, lang: Lang) -> String {
    match share {
        Some(share) => {
            let text = format!("{:.1} %", share * 100.0);
            if lang == Lang::De { text.replace('.', ",") } else { text }
        }
        None => ftext(lang, F::NotRecorded).to_string(),
    }
}

/// A bar chart of one count per month, drawn as SVG: an image for assistive technology, named
/// by its title and described by its description (the table beside it carries the numbers).
fn chart(
    id: &'static str,
    months: &[MonthFiguresBody],
    value: fn(&MonthFiguresBody) -> Masked,
    i18n: I18n,
    title: F,
    desc: F,
) -> impl IntoView {
    let (width, height, bottom) = (640.0_f64, 220.0_f64, 30.0_f64);
    let max = months.iter().filter_map(|m| value(m).count()).max().unwrap_or(0).max(1) as f64;
    let slot = width / months.len().max(1) as f64;
    let bars: Vec<_> = months
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let x = i as f64 * slot;
            let label = m.month.get(2..).unwrap_or_default().to_string();
            let (bar, shown) = match value(m) {
                Masked::Count(n) => {
                    let h = (n as f64 / max) * (height - bottom - 20.0);
                    (Some((height - bottom - h, h)), n.to_string())
                }
                Masked::Small(_) => (None, portal_wire::SMALL.to_string()),
            };
            let top = bar.map_or(height - bottom, |(y, _)| y);
            view! {
                <g>
                    {bar.map(|(y, h)| view! { <rect x=x + slot * 0.15 y=y width=slot * 0.7 height=h class="bar"></rect> })}
                    <text x=x + slot / 2.0 y=top - 4.0 text-anchor="middle" class="value">{shown}</text>
                    <text x=x + slot / 2.0 y=height - 10.0 text-anchor="middle" class="axis">{label}</text>
                </g>
            }
        })
        .collect();
    let title_id = format!("{id}-title");
    let desc_id = format!("{id}-desc");
    view! {
        <svg role="img" class="chart" viewBox=format!("0 0 {width} {height}") aria-labelledby=format!("{title_id} {desc_id}")>
            <title id=title_id.clone()>{move || ftext(i18n.lang(), title)}</title>
            <desc id=desc_id.clone()>{move || ftext(i18n.lang(), desc)}</desc>
            <line x1="0" x2=width y1=height - bottom y2=height - bottom class="baseline"></line>
            {bars}
        </svg>
    }
}

/// The page: both charts with their tables, and every figure of each month in one table.
#[component]
pub fn ServiceFigures() -> impl IntoView {
    let i18n = use_i18n();
    let months: RwSignal<Option<Vec<MonthFiguresBody>>> = RwSignal::new(None);
    let problem: RwSignal<Option<Problem>> = RwSignal::new(None);
    spawn_local(async move {
        match api::service_figures(i18n.lang()).await {
            Ok(body) => months.set(Some(body.months)),
            Err(p) => problem.set(Some(p)),
        }
    });
    let t = move |key: F| move || ftext(i18n.lang(), key);
    let figure_table = move |id: &'static str, title: F, value: fn(&MonthFiguresBody) -> Masked| {
        move || {
            let lang = i18n.lang();
            let rows: Vec<_> = months
                .get()
                .unwrap_or_default()
                .iter()
                .map(|m| view! { <tr><th scope="row">{m.month.clone()}</th><td>{masked_text(Some(value(m)), lang)}</td></tr> })
                .collect();
            view! {
                <table class="figures" aria-labelledby=id>
                    <caption>{ftext(lang, F::Table)}</caption>
                    <thead><tr><th scope="col">{ftext(lang, F::Month)}</th><th scope="col">{ftext(lang, title)}</th></tr></thead>
                    <tbody>{rows}</tbody>
                </table>
            }
        }
    };
    let queries = |m: &MonthFiguresBody| m.queries_answered;
    let active = |m: &MonthFiguresBody| m.providers_active;
    view! {
        <h1>{t(F::Title)}</h1>
        <p>{t(F::Intro)}</p>
        <FormProblem problem=problem/>
        {move || match months.get() {
            None => view! { <p>{t(F::Loading)}</p> }.into_any(),
            Some(list) => view! {
                <section class="figure" aria-labelledby="queries-heading">
                    <h2 id="queries-heading">{t(F::Queries)}</h2>
                    <div class="chart-and-table">
                        {chart("queries", &list, queries, i18n, F::Queries, F::QueriesDesc)}
                        {figure_table("queries-heading", F::Queries, queries)}
                    </div>
                </section>
                <section class="figure" aria-labelledby="active-heading">
                    <h2 id="active-heading">{t(F::Active)}</h2>
                    <div class="chart-and-table">
                        {chart("active", &list, active, i18n, F::Active, F::ActiveDesc)}
                        {figure_table("active-heading", F::Active, active)}
                    </div>
                </section>
                <section class="figure" aria-labelledby="all-heading">
                    <h2 id="all-heading">{t(F::Title)}</h2>
                    <div class="table-scroll" tabindex="0" role="region" aria-labelledby="all-heading">
                        <table class="figures">
                            <thead><tr>
                                <th scope="col">{t(F::Month)}</th>
                                <th scope="col">{t(F::Queries)}</th>
                                <th scope="col">{t(F::Exempt)}</th>
                                <th scope="col">{t(F::Active)}</th>
                                <th scope="col">{t(F::Registered)}</th>
                                <th scope="col">{t(F::Reports)}</th>
                                <th scope="col">{t(F::Availability)}</th>
                            </tr></thead>
                            <tbody>{move || {
                                let lang = i18n.lang();
                                list.iter().map(|m| {
                                    let share = match m.share_exempt {
                                        MaskedShare::Share(s) => percent(Some(s), lang),
                                        MaskedShare::Small(_) => portal_wire::SMALL.to_string(),
                                    };
                                    view! { <tr>
                                        <th scope="row">{m.month.clone()}</th>
                                        <td>{masked_text(Some(m.queries_answered), lang)}</td>
                                        <td>{share}</td>
                                        <td>{masked_text(Some(m.providers_active), lang)}</td>
                                        <td>{masked_text(m.providers_registered, lang)}</td>
                                        <td>{format!("{} / {}", masked_text(m.reports_sent, lang), masked_text(m.reports_delivered, lang))}</td>
                                        <td>{percent(m.availability, lang)}</td>
                                    </tr> }
                                }).collect::<Vec<_>>()
                            }}</tbody>
                        </table>
                    </div>
                    <p><a href="/api/service-figures.csv" download="servicezahlen.csv">{t(F::Csv)}</a></p>
                </section>
            }.into_any(),
        }}
    }
}
