//! Login, registration, the first own password, and the reset with the Prüfnummer.

use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_navigate;
use portal_domain::{Ik, MAX_PASSWORD_CHARS, MIN_PASSWORD_CHARS, UserFacing, solve_proof_of_work};

use crate::api::{self, Problem};
use crate::components::Field;
use crate::i18n::{T, use_i18n};
use crate::session::use_session;

/// The form's problem as a whole, announced when it appears.
#[component]
pub fn FormProblem(problem: RwSignal<Option<Problem>>) -> impl IntoView {
    view! {
        <div role="alert" class="problem-slot">
            {move || problem.get().map(|p| view! { <p class="problem">{p.title}</p> })}
        </div>
    }
}

fn field_error(problem: RwSignal<Option<Problem>>, field: &'static str) -> Signal<Option<String>> {
    Signal::derive(move || problem.get().and_then(|p| p.field(field)))
}

#[component]
pub fn Login() -> impl IntoView {
    let i18n = use_i18n();
    let session = use_session();
    let navigate = use_navigate();
    let (ik, password) = (RwSignal::new(String::new()), RwSignal::new(String::new()));
    let problem = RwSignal::new(None::<Problem>);
    let login = Action::new_local(move |(ik, password): &(String, String)| {
        let (ik, password, lang) = (ik.clone(), password.clone(), i18n.0.get_untracked());
        async move { api::login(&ik, &password, lang).await }
    });
    Effect::new(move |_| match login.value().get() {
        Some(Ok(info)) => {
            let next = if info.must_change_password { "/kennwort" } else { "/oha" };
            session.set(info);
            problem.set(None);
            navigate(next, Default::default());
        }
        Some(Err(p)) => problem.set(Some(p)),
        None => {}
    });
    view! {
        <h1>{move || i18n.t(T::Login)}</h1>
        <FormProblem problem />
        <form on:submit=move |ev| {
            ev.prevent_default();
            login.dispatch((ik.get_untracked(), password.get_untracked()));
        }>
            <Field id="ik" label=Signal::derive(move || i18n.t(T::UserName).to_string()) value=ik error=field_error(problem, "ik") autocomplete="username" inputmode="numeric" />
            <Field id="password" kind="password" label=Signal::derive(move || i18n.t(T::Password).to_string()) value=password error=field_error(problem, "password") autocomplete="current-password" />
            <button type="submit" disabled=move || login.pending().get()>
                {move || if login.pending().get() { i18n.t(T::Working) } else { i18n.t(T::Login) }}
            </button>
        </form>
        <h2>{move || i18n.t(T::LoginProblems)}</h2>
        <ul class="links">
            <li><A href="/registrieren">{move || i18n.t(T::Register)}</A></li>
            <li><A href="/kennwort-zuruecksetzen">{move || i18n.t(T::ResetPassword)}</A></li>
        </ul>
    }
}

#[component]
pub fn Register() -> impl IntoView {
    let i18n = use_i18n();
    let ik = RwSignal::new(String::new());
    let terms = RwSignal::new(false);
    let problem = RwSignal::new(None::<Problem>);
    // Percent, whole numbers: formatting floats would cost the app kilobytes of code.
    let progress = RwSignal::new(None::<u32>);
    let submitted = RwSignal::new(false);
    // Live check with the same rules as the server; quiet until nine characters or a submit.
    let ik_check = Signal::derive(move || {
        let value = ik.get();
        let complete = value.trim().len() >= 9 || submitted.get();
        complete
            .then(|| Ik::parse(&value))
            .map(|r| r.map_err(|e| e.message(i18n.lang()).to_string()))
    });
    let ik_error = Signal::derive(move || match ik_check.get() {
        Some(Err(message)) => Some(message),
        _ => problem.get().and_then(|p| p.field("ik")),
    });
    let ik_ok = Signal::derive(move || {
        matches!(ik_check.get(), Some(Ok(_))).then(|| i18n.t(T::IkValid).to_string())
    });
    let register = Action::new_local(move |(ik, terms): &(String, bool)| {
        let (ik, terms, lang) = (ik.clone(), *terms, i18n.0.get_untracked());
        async move {
            let challenge = api::challenge(lang).await?;
            let expected = 1u64 << challenge.difficulty.min(40);
            let mut start = 0u64;
            // Small slices keep the page responsive and the progress bar moving.
            let nonce = loop {
                progress.set(Some((start.saturating_mul(100) / expected).min(95) as u32));
                if let Some(nonce) =
                    solve_proof_of_work(&challenge.salt, challenge.difficulty, start, 4_000)
                {
                    break nonce;
                }
                start += 4_000;
                gloo_timers::future::TimeoutFuture::new(0).await;
            };
            progress.set(Some(100));
            api::register(&ik, terms, &challenge.id, nonce, lang).await
        }
    });
    Effect::new(move |_| {
        if let Some(Err(p)) = register.value().get() {
            progress.set(None);
            problem.set(Some(p));
        }
    });
    let done = move || register.value().get().and_then(Result::ok);
    view! {
        <Show when=move || done().is_none() fallback=move || view! {
            <h1>{move || i18n.t(T::RegisteredTitle)}</h1>
            <p>{move || i18n.t(T::RegisteredText)}</p>
            <p>{move || i18n.t(T::LettersGoTo)}" "<strong>{move || done().map(|r| r.recipient)}</strong></p>
            <p>{move || i18n.t(T::FirstLoginHint)}</p>
            <p><A href="/anmelden">{move || i18n.t(T::ToLogin)}</A></p>
        }>
            <h1>{move || i18n.t(T::Register)}</h1>
            <FormProblem problem />
            <form on:submit=move |ev| {
                ev.prevent_default();
                submitted.set(true);
                problem.set(None);
                if matches!(ik_check.get_untracked(), Some(Ok(_))) {
                    register.dispatch((ik.get_untracked(), terms.get_untracked()));
                }
            }>
                <Field id="ik" label=Signal::derive(move || i18n.t(T::Ik).to_string()) hint=Signal::derive(move || i18n.t(T::IkHint).to_string()) value=ik error=ik_error ok=ik_ok inputmode="numeric" />
                <h2>{move || i18n.t(T::TermsTitle)}</h2>
                <p>{move || i18n.t(T::TermsText)}</p>
                <div class="check">
                    <input type="checkbox" id="terms" prop:checked=move || terms.get() on:change=move |ev| terms.set(event_target_checked(&ev))
                        aria-invalid=move || problem.get().and_then(|p| p.field("terms_accepted")).is_some().to_string()
                        aria-describedby="terms-error" />
                    <label for="terms">{move || i18n.t(T::AcceptTerms)}</label>
                </div>
                <p class="error" id="terms-error">{move || problem.get().and_then(|p| p.field("terms_accepted"))}</p>
                <button type="submit" disabled=move || register.pending().get()>{move || i18n.t(T::Register)}</button>
                <Show when=move || progress.get().is_some()>
                    <div class="progress">
                        <label for="security-check">{move || i18n.t(T::SecurityCheck)}</label>
                        <progress id="security-check" max="100" value=move || progress.get().unwrap_or(0)></progress>
                        <p aria-live="polite">{move || if progress.get() == Some(100) { i18n.t(T::SecurityCheckDone) } else { i18n.t(T::SecurityCheckRunning) }}</p>
                    </div>
                </Show>
            </form>
        </Show>
    }
}

/// The password rules, checked as the person types (the server checks the guessable part).
#[component]
fn PasswordRules(password: RwSignal<String>, ik: Signal<String>) -> impl IntoView {
    let i18n = use_i18n();
    let length_ok =
        move || (MIN_PASSWORD_CHARS..=MAX_PASSWORD_CHARS).contains(&password.get().chars().count());
    let no_ik = move || {
        let ik = ik.get();
        ik.is_empty() || !password.get().contains(ik.trim())
    };
    let mark = move |ok: bool| if ok { "✓ " } else { "✗ " };
    view! {
        <ul class="rules" id="new-password-rules" aria-live="polite">
            <li class:met=length_ok>{move || mark(length_ok())}{move || i18n.t(T::RuleLength)}</li>
            <li class:met=no_ik>{move || mark(no_ik())}{move || i18n.t(T::RuleNoIk)}</li>
            <li>{move || i18n.t(T::RuleGuessable)}</li>
        </ul>
    }
}

#[component]
pub fn SetPassword() -> impl IntoView {
    let i18n = use_i18n();
    let session = use_session();
    let navigate = use_navigate();
    let (pruefnummer, password) = (RwSignal::new(String::new()), RwSignal::new(String::new()));
    let problem = RwSignal::new(None::<Problem>);
    let save = Action::new_local(move |(pruefnummer, password): &(String, String)| {
        let (pruefnummer, password, lang) =
            (pruefnummer.clone(), password.clone(), i18n.0.get_untracked());
        async move {
            api::set_password(&pruefnummer, &password, lang).await?;
            session.refresh().await
        }
    });
    let nav = navigate.clone();
    Effect::new(move |_| match save.value().get() {
        Some(Ok(())) => nav("/oha", Default::default()),
        Some(Err(p)) if p.session_ended() => nav("/sitzung-abgelaufen", Default::default()),
        Some(Err(p)) => problem.set(Some(p)),
        None => {}
    });
    let ik = Signal::derive(move || session.info.get().map(|i| i.ik).unwrap_or_default());
    view! {
        <h1>{move || i18n.t(T::SetPasswordTitle)}</h1>
        <p>{move || i18n.t(T::SetPasswordIntro)}</p>
        <FormProblem problem />
        <form on:submit=move |ev| {
            ev.prevent_default();
            save.dispatch((pruefnummer.get_untracked(), password.get_untracked()));
        }>
            <input type="text" name="username" autocomplete="username" hidden prop:value=move || ik.get() />
            <Field id="pruefnummer" label=Signal::derive(move || i18n.t(T::Pruefnummer).to_string()) hint=Signal::derive(move || i18n.t(T::PruefnummerHint).to_string()) value=pruefnummer error=field_error(problem, "pruefnummer") autocomplete="off" />
            <Field id="new-password" kind="password" label=Signal::derive(move || i18n.t(T::NewPassword).to_string()) value=password error=field_error(problem, "new_password") autocomplete="new-password" />
            <PasswordRules password ik />
            <button type="submit" disabled=move || save.pending().get()>{move || i18n.t(T::SavePassword)}</button>
        </form>
    }
}

#[component]
pub fn ResetPassword() -> impl IntoView {
    let i18n = use_i18n();
    let (ik, pruefnummer, password) =
        (RwSignal::new(String::new()), RwSignal::new(String::new()), RwSignal::new(String::new()));
    let problem = RwSignal::new(None::<Problem>);
    let reset = Action::new_local(move |(ik, pruefnummer, password): &(String, String, String)| {
        let (ik, pruefnummer, password, lang) =
            (ik.clone(), pruefnummer.clone(), password.clone(), i18n.0.get_untracked());
        async move { api::reset_password(&ik, &pruefnummer, &password, lang).await }
    });
    Effect::new(move |_| {
        if let Some(Err(p)) = reset.value().get() {
            problem.set(Some(p));
        }
    });
    let done = move || matches!(reset.value().get(), Some(Ok(())));
    view! {
        <h1>{move || i18n.t(T::ResetPassword)}</h1>
        <Show when=move || !done() fallback=move || view! {
            <p role="status">{move || i18n.t(T::PasswordSaved)}</p>
            <p><A href="/anmelden">{move || i18n.t(T::ToLogin)}</A></p>
        }>
            <p>{move || i18n.t(T::ResetIntro)}</p>
            <FormProblem problem />
            <form on:submit=move |ev| {
                ev.prevent_default();
                reset.dispatch((ik.get_untracked(), pruefnummer.get_untracked(), password.get_untracked()));
            }>
                <Field id="ik" label=Signal::derive(move || i18n.t(T::UserName).to_string()) value=ik error=field_error(problem, "ik") autocomplete="username" inputmode="numeric" />
                <Field id="pruefnummer" label=Signal::derive(move || i18n.t(T::Pruefnummer).to_string()) hint=Signal::derive(move || i18n.t(T::PruefnummerHint).to_string()) value=pruefnummer error=field_error(problem, "pruefnummer") autocomplete="off" />
                <Field id="new-password" kind="password" label=Signal::derive(move || i18n.t(T::NewPassword).to_string()) value=password error=field_error(problem, "new_password") autocomplete="new-password" />
                <PasswordRules password ik=Signal::derive(move || ik.get()) />
                <button type="submit" disabled=move || reset.pending().get()>{move || i18n.t(T::ResetPassword)}</button>
            </form>
        </Show>
    }
}
