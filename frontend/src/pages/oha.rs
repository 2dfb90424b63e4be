//! The Online-Hintergrund-Abfrage: the search with the consent declaration, and the result.

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::A;
use leptos_router::hooks::use_navigate;
use portal_domain::{Consent, Kvnr, Lang, UserFacing, YearsShown, german_day};

use crate::api::{self, Answer, Problem, ProblemCode};
use crate::components::{Field, FormProblem, When};
use crate::i18n::{T, use_i18n};
use crate::page::Page;
use crate::session::{SessionState, use_session};
use crate::tenant::use_tenant;

#[component]
pub fn Search() -> impl IntoView {
    let i18n = use_i18n();
    let session = use_session();
    view! {
        <When when=move || session.info.get().is_some() fallback=move || view! {
            <h1>{i18n.tr(T::OhaTitle)}</h1>
            <p><A href=Page::Login.path()>{i18n.tr(T::Login)}</A></p>
        }>
            <SearchForm />
        </When>
    }
}

/// What the search form holds: its fields, whether it was sent, its problem, its answer.
#[derive(Clone, Copy)]
struct SearchState {
    kvnr: RwSignal<String>,
    consent: RwSignal<Option<Consent>>,
    dispensing: RwSignal<String>,
    submitted: RwSignal<bool>,
    pending: RwSignal<bool>,
    problem: RwSignal<Option<Problem>>,
    /// The answer and when it came, in the person's words (for the printout).
    answer: RwSignal<Option<(Answer, String)>>,
}

impl SearchState {
    fn new() -> SearchState {
        SearchState {
            kvnr: RwSignal::new(String::new()),
            consent: RwSignal::new(None),
            dispensing: RwSignal::new(String::new()),
            submitted: RwSignal::new(false),
            pending: RwSignal::new(false),
            problem: RwSignal::new(None),
            answer: RwSignal::new(None),
        }
    }

    /// The KVNR checked as it is typed, with the server's rule; quiet until ten characters or a
    /// submit.
    fn kvnr_check(self, lang: Lang) -> Option<Result<(), String>> {
        let value = self.kvnr.get();
        (value.trim().len() >= 10 || self.submitted.get())
            .then(|| Kvnr::parse(&value).map(drop).map_err(|e| e.message(lang).to_string()))
    }

    fn field_problem(self, field: &str) -> Option<String> {
        self.problem.get().and_then(|p| p.field(field))
    }

    fn consent_error(self, lang: Lang) -> Option<String> {
        let missing = self.submitted.get() && self.consent.get().is_none();
        let message = Consent::parse("").err().map(|e| e.message(lang).to_string());
        if missing { message } else { self.field_problem("consent") }
    }

    /// A fresh form for the next patient.
    fn clear(self) {
        self.answer.set(None);
        self.kvnr.set(String::new());
        self.consent.set(None);
        self.dispensing.set(String::new());
        self.submitted.set(false);
    }
}

/// Sends the question if the form holds one. A session that ended, or an own password still to
/// set, lead to their pages; every other problem stays at the form.
fn ask(state: SearchState, lang: Lang, session: SessionState, navigate: impl Fn(&str) + 'static) {
    state.submitted.set(true);
    state.problem.set(None);
    let (Some(Ok(())), Some(consent)) = (state.kvnr_check(lang), state.consent.get_untracked())
    else {
        return;
    };
    let (kvnr, day) = (state.kvnr.get_untracked(), state.dispensing.get_untracked());
    state.pending.set(true);
    spawn_local(async move {
        let result = api::ask(&kvnr, Some(consent.as_str()), Some(&day), lang).await;
        if result.is_ok() {
            let _ = session.refresh().await;
        }
        state.pending.set(false);
        match result {
            Ok(answer) => {
                let locale = if lang == Lang::De { "de-DE" } else { "en-GB" };
                let when = js_sys::Date::new_0()
                    .to_locale_string(locale, &wasm_bindgen::JsValue::UNDEFINED);
                state.answer.set(Some((answer, String::from(when))));
            }
            Err(p) if p.session_ended() => navigate(Page::SessionEnded.path()),
            Err(p) if p.code == Some(ProblemCode::PasswordChangeRequired) => {
                navigate(Page::SetPassword.path())
            }
            Err(p) => state.problem.set(Some(p)),
        }
    });
}

#[component]
fn SearchForm() -> impl IntoView {
    let i18n = use_i18n();
    let session = use_session();
    let navigate = use_navigate();
    let state = SearchState::new();
    let SearchState { kvnr, consent, dispensing, pending, problem, answer, .. } = state;
    let kvnr_error = Signal::derive(move || match state.kvnr_check(i18n.lang()) {
        Some(Err(message)) => Some(message),
        _ => state.field_problem("kvnr"),
    });
    let kvnr_ok = Signal::derive(move || {
        matches!(state.kvnr_check(i18n.lang()), Some(Ok(_)))
            .then(|| i18n.t(T::KvnrValid).to_string())
    });
    let consent_error = Signal::derive(move || state.consent_error(i18n.lang()));
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let navigate = navigate.clone();
        let go = move |path: &str| navigate(path, Default::default());
        ask(state, i18n.0.get_untracked(), session, go);
    };
    view! {
        <h1>{i18n.tr(T::OhaTitle)}</h1>
        <When when=move || answer.get().is_none() fallback=move || view! {
            <QueryResult answer=Signal::derive(move || answer.get()) />
            <p class="actions no-print">
                <button type="button" on:click=move |_| state.clear()>{i18n.tr(T::SearchAgain)}</button>
                " "
                <button type="button" class="secondary" on:click=move |_| { if let Some(w) = web_sys::window() { let _ = w.print(); } }>{i18n.tr(T::Print)}</button>
            </p>
        }>
            <h2>{i18n.tr(T::SearchTitle)}</h2>
            <p>{i18n.tr(T::SearchIntro)}</p>
            <YearsNote list_years=true />
            <FormProblem problem />
            <form on:submit=submit.clone()>
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
                    <p class="error" id="consent-error">{move || consent_error.get().unwrap_or_default()}</p>
                </fieldset>
                <div class="field">
                    <label for="dispensing-date">{i18n.tr(T::DispensingDate)}</label>
                    <input type="date" id="dispensing-date" prop:value=move || dispensing.get() on:input=move |ev| dispensing.set(event_target_value(&ev))
                        aria-invalid=move || problem.get().and_then(|p| p.field("dispensing_date")).is_some().to_string() aria-describedby="dispensing-date-error" />
                    <p class="error" id="dispensing-date-error">{move || problem.get().and_then(|p| p.field("dispensing_date")).unwrap_or_default()}</p>
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
                <Proof proof=a.proof.clone() />
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
                    (Some(from), Some(to)) => format!("{} – {}", german_day(from), german_day(to)),
                    _ => "–".into(),
                };
                view! { <tr><th scope="row">{y.year.to_string()}</th><td>{move || yes_no(y.exempt)}</td><td>{validity}</td></tr> }
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
                    <YearsNote list_years=false />
                    {print_info}
                </section>
            }.into_any()
        })
    }
}

/// The answer's signed proof on the printout: as text to copy and as a QR code, and where it is
/// checked.
#[component]
fn Proof(proof: String) -> impl IntoView {
    let i18n = use_i18n();
    let qr = RwSignal::new(String::new());
    let (text, lang) = (proof.clone(), i18n.0.get_untracked());
    spawn_local(async move {
        if let Ok(url) = api::proof_qr(&text, lang).await {
            qr.set(url);
        }
    });
    let origin = web_sys::window().and_then(|w| w.location().origin().ok()).unwrap_or_default();
    view! {
        <section class="print-only proof" aria-labelledby="proof-title">
            <h3 id="proof-title">{i18n.tr(T::ProofTitle)}</h3>
            <p class="proof-text">{proof}</p>
            <When when=move || !qr.get().is_empty()>
                <img src=move || qr.get() alt=move || i18n.t(T::ProofQr).to_string() width="160" height="160" />
            </When>
            <p>{i18n.tr(T::ProofCheck)}" "{origin}"/nachweis"</p>
        </section>
    }
}

/// Which years a result shows, by the insurer's rule: on the search page with the years themselves
/// ("2026 und 2025"), under a result the rule alone. Nothing when the rule is not known.
#[component]
fn YearsNote(list_years: bool) -> impl IntoView {
    let i18n = use_i18n();
    let tenant = use_tenant();
    move || {
        let rule = tenant.years_shown()?;
        let text = if list_years {
            // The day in the browser, which for a German provider is the German day.
            let now = js_sys::Date::new_0();
            let month = time::Month::try_from(now.get_month() as u8 + 1).ok()?;
            let day = time::Date::from_calendar_date(
                now.get_full_year() as i32,
                month,
                now.get_date() as u8,
            )
            .ok()?;
            let years = rule.years(day);
            let mut listed = String::new();
            for (i, year) in years.iter().enumerate() {
                if i > 0 {
                    listed.push_str(if i + 1 == years.len() { i18n.t(T::And) } else { ", " });
                }
                listed.push_str(&year.to_string());
            }
            i18n.t(T::YearsShownNow).replace("{years}", &listed)
        } else {
            let key = match rule {
                YearsShown::CurrentAndPreviousUntilJune30 => T::PreviousYearNote,
                YearsShown::PreviousCurrentNext => T::ThreeYearsNote,
                YearsShown::Current => T::CurrentYearNote,
            };
            i18n.t(key).to_string()
        };
        Some(view! { <p class="note">{text}</p> })
    }
}
