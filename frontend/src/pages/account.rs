//! Login, registration, the first own password, and the reset with the Prüfnummer.

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::A;
use leptos_router::hooks::use_navigate;
use portal_domain::{
    Ik, Lang, MAX_PASSWORD_CHARS, MIN_PASSWORD_CHARS, UserFacing, solve_proof_of_work,
};

use crate::api::{self, Problem, ProblemCode, Registered, SecondFactorKind};
use crate::components::{Field, FormProblem, TermsOfUse, When};
use crate::i18n::{T, use_i18n};
use crate::page::Page;
use crate::session::use_session;
use crate::tenant::use_tenant;

fn field_error(problem: RwSignal<Option<Problem>>, field: &'static str) -> Signal<Option<String>> {
    Signal::derive(move || problem.get().and_then(|p| p.field(field)))
}

/// The login's second step: what the provider answers with.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Second {
    Code,
    Passkey,
    Recovery,
}

/// One attempt of the login: the password step (`step: None`), or the second step, with a
/// solved security check when the server asked for one.
async fn attempt(
    ik: &str,
    password: &str,
    code: &str,
    step: Option<Second>,
    proof: Option<(String, u64)>,
    lang: Lang,
) -> Result<api::SessionInfo, Problem> {
    match step {
        None => api::login(ik, password, proof, lang).await,
        Some(Second::Passkey) => api::second_factor_passkey(proof, lang).await,
        Some(second) => api::second_factor(code, second == Second::Recovery, proof, lang).await,
    }
}

#[component]
pub fn Login() -> impl IntoView {
    let i18n = use_i18n();
    let session = use_session();
    let tenant = use_tenant();
    let navigate = use_navigate();
    let (ik, password) = (RwSignal::new(String::new()), RwSignal::new(String::new()));
    let code = RwSignal::new(String::new());
    // None: the password step; then the second step.
    let step = RwSignal::new(None::<Second>);
    // The account's factor is a passkey (else an authenticator app).
    let passkey = RwSignal::new(false);
    let problem = RwSignal::new(None::<Problem>);
    let pending = RwSignal::new(false);
    let progress = RwSignal::new(None::<u32>);
    let login = move || {
        let (ik, password, code, now, lang) = (
            ik.get_untracked(),
            password.get_untracked(),
            code.get_untracked(),
            step.get_untracked(),
            i18n.0.get_untracked(),
        );
        let navigate = navigate.clone();
        pending.set(true);
        spawn_local(async move {
            let mut result = attempt(&ik, &password, &code, now, None, lang).await;
            // After several failed attempts for this IK the server wants a solved check first.
            if result.as_ref().is_err_and(|p| p.code == Some(ProblemCode::ChallengeRequired)) {
                result = match solve_security_check(progress, lang).await {
                    Ok(proof) => attempt(&ik, &password, &code, now, Some(proof), lang).await,
                    Err(p) => Err(p),
                };
                progress.set(None);
            }
            pending.set(false);
            match result {
                // The password was right; the code from the app is still to come.
                Ok(info) if info.second_factor_required => {
                    problem.set(None);
                    passkey.set(info.second_factor == Some(SecondFactorKind::Passkey));
                    step.set(Some(if passkey.get_untracked() {
                        Second::Passkey
                    } else {
                        Second::Code
                    }));
                }
                Ok(info) => {
                    let next = if info.enrolment_required {
                        Page::Security.path()
                    } else if info.must_change_password {
                        Page::SetPassword.path()
                    } else {
                        Page::home(tenant).path()
                    };
                    session.set(info);
                    problem.set(None);
                    navigate(next, Default::default());
                }
                // Too many wrong codes end the half session: the password step again.
                Err(p) if now.is_some() && p.session_ended() => {
                    step.set(None);
                    problem.set(Some(p));
                }
                Err(p) => problem.set(Some(p)),
            }
        });
    };
    let password_step = move || step.get().is_none();
    view! {
        <h1>{i18n.tr(T::Login)}</h1>
        <FormProblem problem />
        <form on:submit=move |ev| {
            ev.prevent_default();
            login();
        }>
            <When when=password_step fallback=move || view! {
                {move || match step.get() {
                    Some(Second::Recovery) => view! {
                        <Field id="recovery-code" label=T::RecoveryCode value=code error=field_error(problem, "recovery_code") autocomplete="off" />
                    }.into_any(),
                    Some(Second::Passkey) => view! { <p>{i18n.tr(T::PasskeyStep)}</p> }.into_any(),
                    _ => view! {
                        <Field id="code" label=T::TotpCode value=code error=field_error(problem, "code") autocomplete="one-time-code" inputmode="numeric" />
                    }.into_any(),
                }}
                <p><button type="button" class="link" on:click=move |_| {
                    code.set(String::new());
                    let factor = if passkey.get_untracked() { Second::Passkey } else { Second::Code };
                    step.update(|s| *s = Some(if *s == Some(Second::Recovery) { factor } else { Second::Recovery }));
                }>{move || match (step.get(), passkey.get()) {
                    (Some(Second::Recovery), true) => i18n.t(T::UsePasskey),
                    (Some(Second::Recovery), false) => i18n.t(T::UseTotpCode),
                    _ => i18n.t(T::UseRecoveryCode),
                }}</button></p>
            }>
                <Field id="ik" label=T::UserName value=ik error=field_error(problem, "ik") autocomplete="username" inputmode="numeric" />
                <Field id="password" kind="password" label=T::Password value=password error=field_error(problem, "password") autocomplete="current-password" />
            </When>
            <button type="submit" disabled=move || pending.get()>
                {move || if pending.get() { i18n.t(T::Working) } else { i18n.t(T::Login) }}
            </button>
            <SecurityCheckProgress progress />
        </form>
        <When when=password_step>
            <h2>{i18n.tr(T::LoginProblems)}</h2>
            <ul class="links">
                <li><A href=Page::Register.path()>{i18n.tr(T::Register)}</A></li>
                <li><A href=Page::ResetPassword.path()>{i18n.tr(T::ResetPassword)}</A></li>
            </ul>
        </When>
    }
}

/// What the registration form holds: the IK, the terms, the security check's progress, the
/// problem, and (once sent) where the letters go.
#[derive(Clone, Copy)]
struct RegisterState {
    ik: RwSignal<String>,
    terms: RwSignal<bool>,
    submitted: RwSignal<bool>,
    pending: RwSignal<bool>,
    /// Percent, whole numbers: formatting floats would cost the app kilobytes of code.
    progress: RwSignal<Option<u32>>,
    problem: RwSignal<Option<Problem>>,
    registered: RwSignal<Option<Registered>>,
}

impl RegisterState {
    fn new() -> RegisterState {
        RegisterState {
            ik: RwSignal::new(String::new()),
            terms: RwSignal::new(false),
            submitted: RwSignal::new(false),
            pending: RwSignal::new(false),
            progress: RwSignal::new(None),
            problem: RwSignal::new(None),
            registered: RwSignal::new(None),
        }
    }

    /// The IK checked as it is typed, with the server's rule; quiet until nine characters or a
    /// submit.
    fn ik_check(self, lang: Lang) -> Option<Result<(), String>> {
        let value = self.ik.get();
        let complete = value.trim().len() >= 9 || self.submitted.get();
        complete.then(|| Ik::parse(&value).map(drop).map_err(|e| e.message(lang).to_string()))
    }

    fn field_problem(self, field: &str) -> Option<String> {
        self.problem.get().and_then(|p| p.field(field))
    }
}

/// Solves the security check and registers, if the IK is one.
fn register(state: RegisterState, lang: Lang) {
    state.submitted.set(true);
    state.problem.set(None);
    if !matches!(state.ik_check(lang), Some(Ok(()))) {
        return;
    }
    let (ik, terms) = (state.ik.get_untracked(), state.terms.get_untracked());
    state.pending.set(true);
    spawn_local(async move {
        let result = match solve_security_check(state.progress, lang).await {
            Ok((id, nonce)) => api::register(&ik, terms, &id, nonce, lang).await,
            Err(p) => Err(p),
        };
        state.pending.set(false);
        match result {
            Ok(done) => state.registered.set(Some(done)),
            Err(p) => {
                state.progress.set(None);
                state.problem.set(Some(p));
            }
        }
    });
}

#[component]
pub fn Register() -> impl IntoView {
    let i18n = use_i18n();
    let state = RegisterState::new();
    let RegisterState { ik, terms, pending, progress, problem, registered, .. } = state;
    let ik_error = Signal::derive(move || match state.ik_check(i18n.lang()) {
        Some(Err(message)) => Some(message),
        _ => state.field_problem("ik"),
    });
    let ik_ok = Signal::derive(move || {
        matches!(state.ik_check(i18n.lang()), Some(Ok(_))).then(|| i18n.t(T::IkValid).to_string())
    });
    let done = move || registered.get();
    view! {
        <When when=move || done().is_none() fallback=move || view! {
            <h1>{i18n.tr(T::RegisteredTitle)}</h1>
            <p>{i18n.tr(T::RegisteredText)}</p>
            <p>{i18n.tr(T::LettersGoTo)}" "<strong>{move || done().map(|r| r.recipient).unwrap_or_default()}</strong></p>
            <p>{i18n.tr(T::FirstLoginHint)}</p>
            <p><A href=Page::Login.path()>{i18n.tr(T::ToLogin)}</A></p>
        }>
            <h1>{i18n.tr(T::Register)}</h1>
            <FormProblem problem />
            <form on:submit=move |ev| {
                ev.prevent_default();
                register(state, i18n.0.get_untracked());
            }>
                <Field id="ik" label=T::Ik hint=T::IkHint value=ik error=ik_error ok=ik_ok inputmode="numeric" />
                <h2>{i18n.tr(T::TermsTitle)}</h2>
                <TermsOfUse />
                <div class="check">
                    <input type="checkbox" id="terms" prop:checked=move || terms.get() on:change=move |ev| terms.set(event_target_checked(&ev))
                        aria-invalid=move || state.field_problem("terms_accepted").is_some().to_string()
                        aria-describedby="terms-error" />
                    <label for="terms">{i18n.tr(T::AcceptTerms)}</label>
                </div>
                <p class="error" id="terms-error">{move || state.field_problem("terms_accepted").unwrap_or_default()}</p>
                <button type="submit" disabled=move || pending.get()>{i18n.tr(T::Register)}</button>
                <SecurityCheckProgress progress />
            </form>
        </When>
    }
}

/// Fetches a security check and solves it in small slices, so the page stays responsive and
/// `progress` (percent) moves; returns the check's id and the nonce that solves it.
async fn solve_security_check(
    progress: RwSignal<Option<u32>>,
    lang: Lang,
) -> Result<(String, u64), Problem> {
    let challenge = api::challenge(lang).await?;
    let expected = 1u64 << challenge.difficulty.min(40);
    let mut start = 0u64;
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
    Ok((challenge.id, nonce))
}

/// The security check's progress bar. Its value is written as text: an attribute of its own type
/// (a number) would compile another copy of the attribute code.
#[component]
fn SecurityCheckProgress(progress: RwSignal<Option<u32>>) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <When when=move || progress.get().is_some()>
            <div class="progress">
                <label for="security-check">{i18n.tr(T::SecurityCheck)}</label>
                <progress id="security-check" max="100" value=move || progress.get().unwrap_or(0).to_string()></progress>
                <p aria-live="polite">{move || if progress.get() == Some(100) { i18n.t(T::SecurityCheckDone) } else { i18n.t(T::SecurityCheckRunning) }}</p>
            </div>
        </When>
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
            <li class:met=length_ok>{move || mark(length_ok())}{i18n.tr(T::RuleLength)}</li>
            <li class:met=no_ik>{move || mark(no_ik())}{i18n.tr(T::RuleNoIk)}</li>
            <li>{i18n.tr(T::RuleGuessable)}</li>
        </ul>
    }
}

/// The first own password with the Prüfnummer or, once an own password is set, a change with
/// the current one (and the app's code where a second factor is active: the field appears when
/// the server asks for it; a passkey the browser asks for).
#[component]
pub fn SetPassword() -> impl IntoView {
    let i18n = use_i18n();
    let session = use_session();
    let tenant = use_tenant();
    let navigate = use_navigate();
    let (secret, password) = (RwSignal::new(String::new()), RwSignal::new(String::new()));
    let code = RwSignal::new(String::new());
    let needs_code = RwSignal::new(false);
    let problem = RwSignal::new(None::<Problem>);
    let pending = RwSignal::new(false);
    let own = move || session.info.get().is_some_and(|i| !i.must_change_password);
    let save = move || {
        let (secret, password, lang) =
            (secret.get_untracked(), password.get_untracked(), i18n.0.get_untracked());
        let info = session.info.get_untracked();
        let own = info.as_ref().is_some_and(|i| !i.must_change_password);
        // With a passkey the browser asks for it when the change is sent.
        let proof = if info.is_some_and(|i| i.second_factor == Some(SecondFactorKind::Passkey)) {
            api::ChangeProof::Passkey
        } else if needs_code.get_untracked() {
            api::ChangeProof::Code(code.get_untracked())
        } else {
            api::ChangeProof::None
        };
        let nav = navigate.clone();
        pending.set(true);
        spawn_local(async move {
            let result = match api::set_password(own, &secret, &password, proof, lang).await {
                Ok(()) => session.refresh().await,
                Err(p) => Err(p),
            };
            pending.set(false);
            match result {
                Ok(()) => nav(Page::home(tenant).path(), Default::default()),
                Err(p) if p.session_ended() => nav(Page::SessionEnded.path(), Default::default()),
                Err(p) => {
                    if p.field("code").is_some() {
                        needs_code.set(true);
                    }
                    problem.set(Some(p));
                }
            }
        });
    };
    let ik = Signal::derive(move || session.info.get().map(|i| i.ik).unwrap_or_default());
    view! {
        <h1>{move || if own() { i18n.t(T::ChangePasswordTitle) } else { i18n.t(T::SetPasswordTitle) }}</h1>
        <p>{move || if own() { i18n.t(T::ChangePasswordIntro) } else { i18n.t(T::SetPasswordIntro) }}</p>
        <FormProblem problem />
        <form on:submit=move |ev| {
            ev.prevent_default();
            save();
        }>
            <input type="text" name="username" autocomplete="username" hidden prop:value=move || ik.get() />
            <When when=own fallback=move || view! {
                <Field id="pruefnummer" label=T::Pruefnummer hint=T::PruefnummerHint value=secret error=field_error(problem, "pruefnummer") autocomplete="off" />
            }>
                <Field id="current-password" kind="password" label=T::CurrentPassword value=secret error=field_error(problem, "current_password") autocomplete="current-password" />
            </When>
            <Field id="new-password" kind="password" label=T::NewPassword value=password error=field_error(problem, "new_password") autocomplete="new-password" />
            <PasswordRules password ik />
            <When when=move || needs_code.get()>
                <Field id="code" label=T::TotpCode value=code error=field_error(problem, "code") autocomplete="one-time-code" inputmode="numeric" />
            </When>
            <button type="submit" disabled=move || pending.get()>{i18n.tr(T::SavePassword)}</button>
        </form>
    }
}

#[component]
pub fn ResetPassword() -> impl IntoView {
    let i18n = use_i18n();
    let (ik, pruefnummer, password) =
        (RwSignal::new(String::new()), RwSignal::new(String::new()), RwSignal::new(String::new()));
    let problem = RwSignal::new(None::<Problem>);
    let pending = RwSignal::new(false);
    let saved = RwSignal::new(false);
    let reset = move || {
        let (ik, pruefnummer, password, lang) = (
            ik.get_untracked(),
            pruefnummer.get_untracked(),
            password.get_untracked(),
            i18n.0.get_untracked(),
        );
        pending.set(true);
        spawn_local(async move {
            let result = api::reset_password(&ik, &pruefnummer, &password, lang).await;
            pending.set(false);
            match result {
                Ok(()) => saved.set(true),
                Err(p) => problem.set(Some(p)),
            }
        });
    };
    let done = move || saved.get();
    view! {
        <h1>{i18n.tr(T::ResetPassword)}</h1>
        <When when=move || !done() fallback=move || view! {
            <p role="status">{i18n.tr(T::PasswordSaved)}</p>
            <p><A href=Page::Login.path()>{i18n.tr(T::ToLogin)}</A></p>
        }>
            <p>{i18n.tr(T::ResetIntro)}</p>
            <FormProblem problem />
            <form on:submit=move |ev| {
                ev.prevent_default();
                reset();
            }>
                <Field id="ik" label=T::UserName value=ik error=field_error(problem, "ik") autocomplete="username" inputmode="numeric" />
                <Field id="pruefnummer" label=T::Pruefnummer hint=T::PruefnummerHint value=pruefnummer error=field_error(problem, "pruefnummer") autocomplete="off" />
                <Field id="new-password" kind="password" label=T::NewPassword value=password error=field_error(problem, "new_password") autocomplete="new-password" />
                <PasswordRules password ik=Signal::derive(move || ik.get()) />
                <button type="submit" disabled=move || pending.get()>{i18n.tr(T::ResetPassword)}</button>
            </form>
        </When>
    }
}
