//! The Online-Hintergrund-Abfrage: the search with the consent declaration, and the result.

use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_navigate;
use portal_domain::{Consent, Kvnr, Lang, UserFacing};

use crate::api::{self, Answer, Problem};
use crate::components::Field;
use crate::i18n::{T, use_i18n};
use crate::pages::account::FormProblem;
use crate::session::use_session;

#[component]
pub fn Search() -> impl IntoView {
    let i18n = use_i18n();
    let session = use_session();
    view! {
        <Show when=move || session.info.get().is_some() fallback=move || view! {
            <h1>{move || i18n.t(T::OhaTitle)}</h1>
            <p><A href="/anmelden">{move || i18n.t(T::Login)}</A></p>
        }>
            <SearchForm />
        </Show>
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
    let ask = Action::new_local(move |(kvnr, consent, day): &(String, Consent, String)| {
        let (kvnr, consent, day, lang) =
            (kvnr.clone(), *consent, day.clone(), i18n.0.get_untracked());
        async move {
            let answer = api::ask(&kvnr, Some(consent.as_str()), Some(&day), lang).await?;
            let _ = session.refresh().await;
            Ok::<Answer, Problem>(answer)
        }
    });
    let answer = RwSignal::new(None::<(Answer, String)>);
    Effect::new(move |_| match ask.value().get() {
        Some(Ok(a)) => {
            problem.set(None);
            let when = js_sys::Date::new_0().to_locale_string(
                if i18n.lang() == Lang::De { "de-DE" } else { "en-GB" },
                &wasm_bindgen::JsValue::UNDEFINED,
            );
            answer.set(Some((a, String::from(when))));
        }
        Some(Err(p)) if p.session_ended() => navigate("/sitzung-abgelaufen", Default::default()),
        Some(Err(p)) if p.code == "password_change_required" => {
            navigate("/kennwort", Default::default())
        }
        Some(Err(p)) => problem.set(Some(p)),
        None => {}
    });
    let search_again = move |_| {
        answer.set(None);
        kvnr.set(String::new());
        consent.set(None);
        dispensing.set(String::new());
        submitted.set(false);
    };
    view! {
        <h1>{move || i18n.t(T::OhaTitle)}</h1>
        <Show when=move || answer.get().is_none() fallback=move || view! {
            <Result answer=Signal::derive(move || answer.get()) />
            <p class="actions no-print">
                <button type="button" on:click=search_again>{move || i18n.t(T::SearchAgain)}</button>
                " "
                <button type="button" class="secondary" on:click=move |_| { if let Some(w) = web_sys::window() { let _ = w.print(); } }>{move || i18n.t(T::Print)}</button>
            </p>
        }>
            <h2>{move || i18n.t(T::SearchTitle)}</h2>
            <p>{move || i18n.t(T::SearchIntro)}</p>
            <FormProblem problem />
            <form on:submit=move |ev| {
                ev.prevent_default();
                submitted.set(true);
                problem.set(None);
                if let (Some(Ok(_)), Some(c)) = (kvnr_check.get_untracked(), consent.get_untracked()) {
                    ask.dispatch((kvnr.get_untracked(), c, dispensing.get_untracked()));
                }
            }>
                <Field id="kvnr" label=Signal::derive(move || i18n.t(T::Kvnr).to_string()) hint=Signal::derive(move || i18n.t(T::KvnrHint).to_string()) value=kvnr error=kvnr_error ok=kvnr_ok autocomplete="off" />
                <fieldset aria-describedby="consent-error" aria-invalid=move || consent_error.get().is_some().to_string()>
                    <legend>{move || i18n.t(T::ConsentQuestion)}" *"</legend>
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
                    <label for="dispensing-date">{move || i18n.t(T::DispensingDate)}</label>
                    <input type="date" id="dispensing-date" prop:value=move || dispensing.get() on:input=move |ev| dispensing.set(event_target_value(&ev))
                        aria-invalid=move || problem.get().and_then(|p| p.field("dispensing_date")).is_some().to_string() aria-describedby="dispensing-date-error" />
                    <p class="error" id="dispensing-date-error">{move || problem.get().and_then(|p| p.field("dispensing_date"))}</p>
                </div>
                <button type="submit" disabled=move || ask.pending().get()>{move || if ask.pending().get() { i18n.t(T::Working) } else { i18n.t(T::Search) }}</button>
            </form>
        </Show>
    }
}

/// The answer as the seed's result screen shows it, plus what the printout needs.
#[component]
fn Result(answer: Signal<Option<(Answer, String)>>) -> impl IntoView {
    let i18n = use_i18n();
    let yes_no = move |b: bool| if b { i18n.t(T::Yes) } else { i18n.t(T::No) };
    move || {
        answer.get().map(|(a, when)| {
            let header = match &a.initials {
                Some(initials) => format!("{} - {}", a.kvnr, initials),
                None => a.kvnr.clone(),
            };
            let print_info = view! {
                <p class="print-only">{move || i18n.t(T::QueryId)}": "{a.query_id.clone()}" · "{move || i18n.t(T::QueriedAt)}" "{when.clone()}</p>
            };
            if !a.found {
                return view! {
                    <section aria-labelledby="result-title" role="status">
                        <h2 id="result-title">{move || i18n.t(T::SearchTitle)}</h2>
                        <p><strong>{a.kvnr.clone()}</strong></p>
                        <p>{move || i18n.t(T::NoHit)}</p>
                        <p>{move || i18n.t(T::NoExemption)}</p>
                        {print_info}
                    </section>
                }.into_any();
            }
            let on_day = a.exempt_on_dispensing_date;
            let rows = a.years.clone().into_iter().map(|y| {
                let validity = match (y.valid_from, y.valid_to) {
                    (Some(from), Some(to)) => format!("{} – {}", german(&from), german(&to)),
                    _ => "–".into(),
                };
                view! { <tr><th scope="row">{y.year}</th><td>{move || yes_no(y.exempt)}</td><td>{validity}</td></tr> }
            }).collect_view();
            view! {
                <section aria-labelledby="result-title" role="status">
                    <h2 id="result-title">{move || i18n.t(T::ResultTitle)}</h2>
                    <table>
                        <caption>{header}</caption>
                        <thead><tr><th scope="col">{move || i18n.t(T::Year)}</th><th scope="col">{move || i18n.t(T::Exempt)}</th><th scope="col">{move || i18n.t(T::ValidFromTo)}</th></tr></thead>
                        <tbody>{rows}</tbody>
                    </table>
                    {on_day.map(|b| view! { <p>{move || i18n.t(T::OnDispensingDate)}" "<strong>{move || yes_no(b)}</strong></p> })}
                    <p class="note">{move || i18n.t(T::PreviousYearNote)}</p>
                    {print_info}
                </section>
            }.into_any()
        })
    }
}

/// "2026-03-14" → "14.03.2026"
fn german(iso: &str) -> String {
    let parts: Vec<&str> = iso.split('-').collect();
    match parts.as_slice() {
        [y, m, d] => format!("{d}.{m}.{y}"),
        _ => iso.to_string(),
    }
}
