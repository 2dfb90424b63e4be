//! "Servicezahlen": the portal's public figures per month, a page of its own wasm module
//! (`figures_main.rs`). Each figure as a bar chart the app draws as SVG itself (no chart library
//! in the wasm), with `role="img"`, a title and a description, and the same numbers in a table
//! beside it for screen readers; the months as CSV from the server. Counts below 10 come as
//! "< 10" and are drawn as no bar, labelled so. Its texts are a table of their own.

use leptos::prelude::*;
use leptos::task::spawn_local;
use portal_wire::{
    BackofficeFiguresBody, Masked, MaskedShare, MonthFiguresBody, ProviderShareBody,
};

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
    MedianHours => "Median Stunden bis zum Versand der Zugangsbriefe", "Median hours until the credential letters were sent";
    BoTitle => "Back-Office: Kennzahlen", "Back office: figures";
    BoIntro => "Anmeldung nur für Beschäftigte der Krankenkasse mit einem Back-Office-Zugang, nicht für Leistungserbringer.", "Login for the insurer's staff with a back-office account only, not for providers.";
    BoName => "Name", "Name";
    BoPassword => "Kennwort", "Password";
    BoLogin => "Anmelden", "Log in";
    BoLogout => "Abmelden", "Log out";
    BoWorking => "Bitte warten …", "Please wait …";
    BoLoggedInAs => "Angemeldet als", "Logged in as";
    BoDays => "Je Tag", "Per day";
    BoDay => "Tag", "Day";
    BoExempt => "befreit", "exempt";
    BoNotFound => "ohne Treffer", "not found";
    BoNight => "nachts", "at night";
    BoActive => "aktive LE", "active providers";
    BoRegistered => "registriert", "registered";
    BoHours => "Median Std. bis Briefe", "median hours to letters";
    BoReports => "Berichte gesendet / zugestellt", "reports sent / delivered";
    BoRefused => "abgelehnt (503)", "refused (503)";
    BoFailures => "Fehlanmeldungen LE", "failed provider logins";
    BoBlocks => "Sperren", "blocks";
    BoBoFailures => "Fehlanmeldungen Back-Office", "failed back-office logins";
    BoTop => "Die 20 Leistungserbringer mit den meisten Abfragen (letzter Tag)", "The 20 providers with the most queries (last day)";
    BoIk => "IK", "IK";
    BoQueries => "Abfragen", "Queries";
    BoShare => "Anteil am Tageskontingent", "Share of the daily quota";
    BoClose => "Leistungserbringer nahe am Tageskontingent (ab 80 %)", "Providers close to their daily quota (80 % or more)";
    BoNone => "keine", "none";
    BoLetters => "Briefe in der Warteschlange", "Letters waiting to be sent";
    BoAudit => "Prüfung der Audit-Ketten", "Audit chain verification";
    BoAuditOk => "intakt", "intact";
    BoAuditProblems => "Probleme gefunden", "problems found";
    BoAuditNone => "In den letzten zwei Tagen nicht geprüft.", "Not verified in the last two days.";
    BoChecked => "geprüft am", "checked on";
    BoChains => "Ketten", "chains";
    BoRecords => "Einträge", "records";
    BoAnomalies => "Auffälligkeiten", "Anomalies";
    BoRule => "Regel", "Rule";
    BoDetail => "Einzelheiten", "Detail";
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

fn hours(value: Option<f64>, lang: Lang) -> String {
    match value {
        Some(hours) => format!("≤ {hours:.0}"),
        None => ftext(lang, F::NotRecorded).to_string(),
    }
}

fn count(value: Option<u64>, lang: Lang) -> String {
    value.map_or_else(|| ftext(lang, F::NotRecorded).to_string(), |n| n.to_string())
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
) -> impl IntoView + use<> {
    // `use<>`: the drawing owns what it shows and borrows nothing of `months`.
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
                                <th scope="col">{t(F::MedianHours)}</th>
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
                                        <td>{hours(m.median_hours_to_letters, lang)}</td>
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

/// The back office's page: its own login form (a back-office user's name and password, never a
/// provider's), then the figures per day, the top providers, those close to their quota, the
/// letters waiting, the audit check and the anomalies.
#[component]
pub fn BackofficeFigures() -> impl IntoView {
    let i18n = use_i18n();
    let user: RwSignal<Option<String>> = RwSignal::new(None);
    let figures: RwSignal<Option<BackofficeFiguresBody>> = RwSignal::new(None);
    let problem: RwSignal<Option<Problem>> = RwSignal::new(None);
    let (name, password, pending) =
        (RwSignal::new(String::new()), RwSignal::new(String::new()), RwSignal::new(false));
    let load = move || {
        spawn_local(async move {
            match api::backoffice_figures(i18n.lang()).await {
                Ok(body) => figures.set(Some(body)),
                Err(p) if p.status == 401 => user.set(None),
                Err(p) => problem.set(Some(p)),
            }
        });
    };
    // Logged in already (the cookie outlives a reload)?
    spawn_local(async move {
        if let Ok(session) = api::backoffice_session(i18n.lang()).await {
            user.set(Some(session.name));
            load();
        }
    });
    let login = move || {
        pending.set(true);
        problem.set(None);
        spawn_local(async move {
            let lang = i18n.lang();
            match api::backoffice_login(&name.get_untracked(), &password.get_untracked(), lang)
                .await
            {
                Ok(session) => {
                    password.set(String::new());
                    user.set(Some(session.name));
                    load();
                }
                Err(p) => problem.set(Some(p)),
            }
            pending.set(false);
        });
    };
    let logout = move || {
        spawn_local(async move {
            let _ = api::delete("/api/backoffice/session", i18n.lang()).await;
            user.set(None);
            figures.set(None);
        });
    };
    let t = move |key: F| move || ftext(i18n.lang(), key);
    view! {
        <h1>{t(F::BoTitle)}</h1>
        <FormProblem problem=problem/>
        {move || match user.get() {
            None => view! {
                <p>{t(F::BoIntro)}</p>
                <form on:submit=move |ev| {
                    ev.prevent_default();
                    login();
                }>
                    <div class="field">
                        <label for="bo-name">{t(F::BoName)}" *"</label>
                        <input id="bo-name" name="bo-name" type="text" required autocomplete="username"
                            prop:value=move || name.get()
                            on:input=move |ev| name.set(event_target_value(&ev)) />
                    </div>
                    <div class="field">
                        <label for="bo-password">{t(F::BoPassword)}" *"</label>
                        <input id="bo-password" name="bo-password" type="password" required autocomplete="current-password"
                            prop:value=move || password.get()
                            on:input=move |ev| password.set(event_target_value(&ev)) />
                    </div>
                    <button type="submit" disabled=move || pending.get()>
                        {move || if pending.get() { ftext(i18n.lang(), F::BoWorking) } else { ftext(i18n.lang(), F::BoLogin) }}
                    </button>
                </form>
            }.into_any(),
            Some(name) => view! {
                <p>{t(F::BoLoggedInAs)}" "<strong>{name}</strong>" "
                    <button type="button" class="link" on:click=move |_| logout()>{t(F::BoLogout)}</button>
                </p>
                {move || figures.get().map(|body| backoffice_tables(body, i18n))}
            }.into_any(),
        }}
    }
}

fn share_rows(shares: &[ProviderShareBody], lang: Lang) -> Vec<AnyView> {
    shares
        .iter()
        .map(|s| {
            view! { <tr><th scope="row">{s.ik.clone()}</th><td>{s.queries}</td><td>{percent(Some(s.share_of_quota), lang)}</td></tr> }
                .into_any()
        })
        .collect()
}

fn backoffice_tables(body: BackofficeFiguresBody, i18n: I18n) -> impl IntoView {
    let lang = i18n.lang();
    let t = |key: F| ftext(lang, key);
    let days: Vec<_> = body
        .days
        .iter()
        .map(|d| {
            view! { <tr>
                <th scope="row">{d.day.clone()}</th>
                <td>{d.queries_answered}</td>
                <td>{d.queries_exempt}</td>
                <td>{d.queries_not_found}</td>
                <td>{d.queries_night}</td>
                <td>{d.providers_active}</td>
                <td>{count(d.providers_registered, lang)}</td>
                <td>{hours(d.median_hours_to_letters, lang)}</td>
                <td>{format!("{} / {}", count(d.reports_sent, lang), count(d.reports_delivered, lang))}</td>
                <td>{count(d.refused_unavailable, lang)}</td>
                <td>{count(d.login_failures, lang)}</td>
                <td>{count(d.blocks, lang)}</td>
                <td>{count(d.backoffice_login_failures, lang)}</td>
            </tr> }
        })
        .collect();
    let last = body.days.last();
    let top = last.map(|d| share_rows(&d.top_providers, lang)).unwrap_or_default();
    let close: Vec<_> = body
        .days
        .iter()
        .flat_map(|d| d.close_to_quota.iter().map(move |s| (d.day.clone(), s.clone())))
        .map(|(day, s)| {
            view! { <li>{format!("{day}: IK {} – {} ({})", s.ik, s.queries, percent(Some(s.share_of_quota), lang))}</li> }
        })
        .collect();
    let audit = match &body.audit_check {
        None => t(F::BoAuditNone).to_string(),
        Some(c) => format!(
            "{} ({} {}; {} {}, {} {})",
            if c.problems == 0 {
                t(F::BoAuditOk).to_string()
            } else {
                format!("{}: {}", t(F::BoAuditProblems), c.problems)
            },
            t(F::BoChecked),
            c.checked_at.date(),
            c.chains,
            t(F::BoChains),
            c.records,
            t(F::BoRecords),
        ),
    };
    let anomalies: Vec<_> = body
        .anomalies
        .iter()
        .map(|a| view! { <tr><th scope="row">{a.day.clone()}</th><td>{a.ik.clone()}</td><td>{a.rule.clone()}</td><td>{a.detail.clone()}</td></tr> })
        .collect();
    let no_anomalies = anomalies.is_empty();
    let no_close = close.is_empty();
    view! {
        <section class="figure" aria-labelledby="bo-days">
            <h2 id="bo-days">{t(F::BoDays)}</h2>
            <div class="table-scroll" tabindex="0" role="region" aria-labelledby="bo-days">
                <table class="figures">
                    <thead><tr>
                        <th scope="col">{t(F::BoDay)}</th>
                        <th scope="col">{t(F::BoQueries)}</th>
                        <th scope="col">{t(F::BoExempt)}</th>
                        <th scope="col">{t(F::BoNotFound)}</th>
                        <th scope="col">{t(F::BoNight)}</th>
                        <th scope="col">{t(F::BoActive)}</th>
                        <th scope="col">{t(F::BoRegistered)}</th>
                        <th scope="col">{t(F::BoHours)}</th>
                        <th scope="col">{t(F::BoReports)}</th>
                        <th scope="col">{t(F::BoRefused)}</th>
                        <th scope="col">{t(F::BoFailures)}</th>
                        <th scope="col">{t(F::BoBlocks)}</th>
                        <th scope="col">{t(F::BoBoFailures)}</th>
                    </tr></thead>
                    <tbody>{days}</tbody>
                </table>
            </div>
        </section>
        <section class="figure" aria-labelledby="bo-top">
            <h2 id="bo-top">{t(F::BoTop)}</h2>
            <table class="figures" aria-labelledby="bo-top">
                <thead><tr><th scope="col">{t(F::BoIk)}</th><th scope="col">{t(F::BoQueries)}</th><th scope="col">{t(F::BoShare)}</th></tr></thead>
                <tbody>{top}</tbody>
            </table>
        </section>
        <section class="figure" aria-labelledby="bo-close">
            <h2 id="bo-close">{t(F::BoClose)}</h2>
            {if no_close { view! { <p>{t(F::BoNone)}</p> }.into_any() } else { view! { <ul>{close}</ul> }.into_any() }}
        </section>
        <section class="figure" aria-labelledby="bo-state">
            <h2 id="bo-state">{t(F::BoLetters)}</h2>
            <p id="bo-letters">{body.letters_pending}</p>
            <h2>{t(F::BoAudit)}</h2>
            <p id="bo-audit">{audit}</p>
        </section>
        <section class="figure" aria-labelledby="bo-anomalies">
            <h2 id="bo-anomalies">{t(F::BoAnomalies)}</h2>
            {if no_anomalies {
                view! { <p>{t(F::BoNone)}</p> }.into_any()
            } else {
                view! {
                    <table class="figures" aria-labelledby="bo-anomalies">
                        <thead><tr><th scope="col">{t(F::BoDay)}</th><th scope="col">{t(F::BoIk)}</th><th scope="col">{t(F::BoRule)}</th><th scope="col">{t(F::BoDetail)}</th></tr></thead>
                        <tbody>{anomalies}</tbody>
                    </table>
                }.into_any()
            }}
        </section>
    }
}
