//! The Online-Hintergrund-Abfrage: the search with the consent declaration, and the result.

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::A;
use leptos_router::hooks::use_navigate;
use portal_domain::{Consent, Kvnr, Lang, UserFacing};

use crate::api::{self, Answer, Problem, ProblemCode};
use crate::components::{Field, When};
use crate::i18n::{T, use_i18n};
use crate::pages::account::FormProblem;
use crate::session::use_session;

#[component]
pub fn Search() -> impl IntoView {
    let i18n = use_i18n();
    let session = use_session();
    view! {
        <When when=move || session.info.get().is_some() fallback=move || view! {
            <h1>{i18n.tr(T::OhaTitle)}</h1>
            <p><A href="/anmelden">{i18n.tr(T::Login)}</A></p>
        }>
            <SearchForm />
        </When>
    }
}

#[component]
fn SearchForm() -> impl IntoView {
    let i18n = use_i18n();
    let session = use_session();
    let navigate = use_navigate();
    let kvnr = RwSignal::new(String::new());
    let consent = RwSignal::new(None::<Consent>);
    let dispensing = RwSignal::new(String::new());
    let problem = RwSignal::new(None::<Problem>);
    let submitted = RwSignal::new(false);
    let kvnr_check = Signal::derive(move || {
        let value = kvnr.get();
        (value.trim().len() >= 10 || submitted.get())
            .then(|| Kvnr::parse(&value).map_err(|e| e.message(i18n.lang()).to_string()))
    });
    let kvnr_error = Signal::derive(move || match kvnr_check.get() {
        Some(Err(message)) => Some(message),
        _ => problem.get().and_then(|p| p.field("kvnr")),
    });
    let kvnr_ok = Signal::derive(move || {
        matches!(kvnr_check.get(), Some(Ok(_))).then(|| i18n.t(T::KvnrValid).to_string())
    });
    let consent_error = Signal::derive(move || {
        let missing = submitted.get() && consent.get().is_none();
        let message = Consent::parse("").err().map(|e| e.message(i18n.lang()).to_string());
        if missing { message } else { problem.get().and_then(|p| p.field("consent")) }
    });
    let answer = RwSignal::new(None::<(Answer, String)>);
    let pending = RwSignal::new(false);
    let ask = move |kvnr: String, consent: Consent, day: String| {
        let lang = i18n.0.get_untracked();
        let navigate = navigate.clone();
        pending.set(true);
        spawn_local(async move {
            let result = api::ask(&kvnr, Some(consent.as_str()), Some(&day), lang).await;
            if result.is_ok() {
                let _ = session.refresh().await;
            }
            pending.set(false);
            match result {
                Ok(a) => {
                    problem.set(None);
                    let when = js_sys::Date::new_0().to_locale_string(
                        if i18n.0.get_untracked() == Lang::De { "de-DE" } else { "en-GB" },
                        &wasm_bindgen::JsValue::UNDEFINED,
                    );
                    answer.set(Some((a, String::from(when))));
                }
                Err(p) if p.session_ended() => navigate("/sitzung-abgelaufen", Default::default()),
                Err(p) if p.code == Some(ProblemCode::PasswordChangeRequired) => {
                    navigate("/kennwort", Default::default())
                }
                Err(p) => problem.set(Some(p)),
            }
        });
    };
    let search_again = move |_| {
        answer.set(None);
        kvnr.set(String::new());
        consent.set(None);
        dispensing.set(String::new());
        submitted.set(false);
    };
    view! {
        <h1>{i18n.tr(T::OhaTitle)}</h1>
        <When when=move || answer.get().is_none() fallback=move || view! {
            <QueryResult answer=Signal::derive(move || answer.get()) />
            <p class="actions no-print">
                <button type="button" on:click=search_again>{i18n.tr(T::SearchAgain)}</button>
                " "
                <button type="button" class="secondary" on:click=move |_| { if let Some(w) = web_sys::window() { let _ = w.print(); } }>{i18n.tr(T::Print)}</button>
            </p>
        }>
            <h2>{i18n.tr(T::SearchTitle)}</h2>
            <p>{i18n.tr(T::SearchIntro)}</p>
            <FormProblem problem />
            <form on:submit={
                let ask = ask.clone();
                move |ev| {
                    ev.prevent_default();
                    submitted.set(true);
                    problem.set(None);
                    if let (Some(Ok(_)), Some(c)) = (kvnr_check.get_untracked(), consent.get_untracked()) {
                        ask(kvnr.get_untracked(), c, dispensing.get_untracked());
                    }
                }
            }>
                <Field id="kvnr" label=T::Kvnr hint=T::KvnrHint value=kvnr error=kvnr_error ok=kvnr_ok autocomplete="off" />
                <fieldset aria-describedby="consent-error" aria-invalid=move || consent_error.get().is_some().to_string()>
                    <legend>{i18n.tr(T::ConsentQuestion)}" *"</legend>
                    {Consent::ALL.into_iter().map(|option| {
                        let id = option.as_str();
                        view! {
                            <div class="choice">
                                <input type="radio" name="consent" id=id required
                                    prop:checked=move || consent.get() == Some(option)
                                    on:change=move |_| consent.set(Some(option)) />
                                <label for=id>
                                    <strong>{move || option.label(i18n.lang())}</strong>
                                    <span class="declaration">{move || option.declaration(i18n.lang())}</span>
                                </label>
                            </div>
                        }
                    }).collect_view()}
                    <p class="error" id="consent-error">{move || consent_error.get()}</p>
                </fieldset>
                <div class="field">
                    <label for="dispensing-date">{i18n.tr(T::DispensingDate)}</label>
                    <input type="date" id="dispensing-date" prop:value=move || dispensing.get() on:input=move |ev| dispensing.set(event_target_value(&ev))
                        aria-invalid=move || problem.get().and_then(|p| p.field("dispensing_date")).is_some().to_string() aria-describedby="dispensing-date-error" />
                    <p class="error" id="dispensing-date-error">{move || problem.get().and_then(|p| p.field("dispensing_date"))}</p>
                </div>
                <button type="submit" disabled=move || pending.get()>{move || if pending.get() { i18n.t(T::Working) } else { i18n.t(T::Search) }}</button>
            </form>
        </When>
    }
}

/// The answer as the seed's result screen shows it, plus what the printout needs.
#[component]
fn QueryResult(answer: Signal<Option<(Answer, String)>>) -> impl IntoView {
    let i18n = use_i18n();
    let yes_no = move |b: bool| if b { i18n.t(T::Yes) } else { i18n.t(T::No) };
    move || {
        answer.get().map(|(a, when)| {
            let header = match &a.initials {
                Some(initials) => format!("{} - {}", a.kvnr, initials),
                None => a.kvnr.clone(),
            };
            let print_info = view! {
                <p class="print-only">{i18n.tr(T::QueryId)}": "{a.query_id.clone()}" · "{i18n.tr(T::QueriedAt)}" "{when.clone()}</p>
            };
            if !a.found {
                return view! {
                    <section aria-labelledby="result-title" role="status">
                        <h2 id="result-title">{i18n.tr(T::SearchTitle)}</h2>
                        <p><strong>{a.kvnr.clone()}</strong></p>
                        <p>{i18n.tr(T::NoHit)}</p>
                        <p>{i18n.tr(T::NoExemption)}</p>
                        {print_info}
                    </section>
                }.into_any();
            }
            let on_day = a.exempt_on_dispensing_date;
            let rows = a.years.clone().unwrap_or_default().into_iter().map(|y| {
                let validity = match (y.valid_from, y.valid_to) {
                    (Some(from), Some(to)) => format!("{} – {}", german(from), german(to)),
                    _ => "–".into(),
                };
                view! { <tr><th scope="row">{y.year}</th><td>{move || yes_no(y.exempt)}</td><td>{validity}</td></tr> }
            }).collect_view();
            view! {
                <section aria-labelledby="result-title" role="status">
                    <h2 id="result-title">{i18n.tr(T::ResultTitle)}</h2>
                    <table>
                        <caption>{header}</caption>
                        <thead><tr><th scope="col">{i18n.tr(T::Year)}</th><th scope="col">{i18n.tr(T::Exempt)}</th><th scope="col">{i18n.tr(T::ValidFromTo)}</th></tr></thead>
                        <tbody>{rows}</tbody>
                    </table>
                    {on_day.map(|b| view! { <p>{i18n.tr(T::OnDispensingDate)}" "<strong>{move || yes_no(b)}</strong></p> })}
                    <p class="note">{i18n.tr(T::PreviousYearNote)}</p>
                    {print_info}
                </section>
            }.into_any()
        })
    }
}

/// "14.03.2026"
fn german(day: time::Date) -> String {
    format!("{:02}.{:02}.{}", day.day(), u8::from(day.month()), day.year())
}
