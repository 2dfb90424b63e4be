//! The account's security, a page of its own wasm module (`account_main.rs`): the second factor
//! (an authenticator app: enrol with its QR code or secret, confirm with a first code; or a
//! passkey the browser makes; keep the recovery codes; or remove it), the account's sessions, its history (the last 90 days), and
//! the provider's machine API clients; and the page of a change notice's link that blocks the
//! account ("Das war ich nicht"). Its texts are a table of their own, so they stay out of the
//! app's wasm.

use leptos::prelude::*;
use leptos::task::spawn_local;
use portal_domain::german_day_and_clock;
use time::OffsetDateTime;

use crate::api::{
    self, AccountEventKind, ClientBody, HistoryEntryBody, Problem, ProblemCode, SecondFactorKind,
    SessionEntryBody, TotpConfirmBody, TotpEnrolmentBody, TotpRemoveBody,
};
use crate::components::{Field, FormProblem, When};
use crate::host;
use crate::i18n::{I18n, Lang, T, texts, use_i18n};
use crate::page::Page;

texts! { S, stext;
    Title => "Sicherheit", "Security";
    Intro => "Hier schützen Sie Ihren Zugang mit einem zweiten Faktor, sehen, wo Sie angemeldet sind, was an Ihrem Zugang geschah, und welche Programme die Maschinen-Schnittstelle nutzen.", "Protect your account with a second factor, see where you are logged in, what happened to your account, and which software uses the machine API.";
    EnrolRequired => "Ihre Krankenkasse verlangt eine Anmeldung mit zweitem Faktor. Richten Sie bitte zuerst eine Authenticator-App oder einen Passkey ein.", "Your insurer requires a second factor. Please set up an authenticator app or a passkey first.";
    FactorTitle => "Zwei-Faktor-Anmeldung", "Two-factor login";
    FactorIntro => "Mit einer Authenticator-App, etwa auf Ihrem Smartphone, geben Sie bei jeder Anmeldung zusätzlich einen sechsstelligen Code ein.", "With an authenticator app, for example on your phone, you enter a six-digit code at every login as well.";
    PasskeyIntro => "Mit einem Passkey bestätigen Sie die Anmeldung stattdessen an Ihrem Gerät, mit Fingerabdruck, Gesicht oder PIN.", "With a passkey you confirm the login on your device instead, with your fingerprint, face or PIN.";
    EnrolPasskey => "Passkey einrichten", "Set up a passkey";
    RemovePasskey => "Passkey entfernen", "Remove the passkey";
    PasskeyCreate => "Ihr Browser legt den Passkey auf diesem Gerät oder in Ihrem Passwortmanager an, sobald Sie auf „Passkey einrichten“ klicken.", "Your browser makes the passkey on this device or in your password manager once you click “Set up a passkey”.";
    PasskeyConfirmPassword => "Bestätigen Sie das mit Ihrem Kennwort.", "Confirm this with your password.";
    PasskeyActive => "Der Passkey ist eingerichtet. Ab jetzt fragt die Anmeldung nach ihm.", "The passkey is set up. From now on the login asks for it.";
    PasskeyRemoved => "Der Passkey ist entfernt.", "The passkey is removed.";
    PasskeyRemoveIntro => "Bestätigen Sie das Entfernen mit Ihrem Kennwort; danach fragt Ihr Browser nach dem Passkey.", "Confirm the removal with your password; then your browser asks for the passkey.";
    PasskeyOn => "Ein Passkey ist eingerichtet: Die Anmeldung fragt nach ihm.", "A passkey is set up: the login asks for it.";
    Enrol => "Authenticator-App einrichten", "Set up an authenticator app";
    Remove => "Authenticator-App entfernen", "Remove the authenticator app";
    ScanQr => "Scannen Sie den QR-Code mit Ihrer Authenticator-App oder tippen Sie den Schlüssel ein. Bestätigen Sie dann mit dem ersten Code der App.", "Scan the QR code with your authenticator app or type in the key. Then confirm with the app's first code.";
    QrAlt => "QR-Code zum Einrichten der Authenticator-App", "QR code to set up the authenticator app";
    Secret => "Schlüssel zum Eintippen:", "Key to type in:";
    Confirm => "Bestätigen", "Confirm";
    Cancel => "Abbrechen", "Cancel";
    CodesTitle => "Ihre Wiederherstellungscodes", "Your recovery codes";
    CodesIntro => "Haben Sie Ihr Gerät nicht zur Hand, melden Sie sich mit einem dieser Codes an; jeder gilt einmal. Sie werden nur jetzt angezeigt: Drucken Sie sie aus oder bewahren Sie sie anders sicher auf.", "Without your device, log in with one of these codes; each works once. They are shown only now: print them or keep them safe another way.";
    Print => "Drucken", "Print";
    CodesKept => "Ich habe die Codes sicher aufbewahrt", "I have kept the codes safe";
    Done => "Fertig", "Done";
    Active => "Die Authenticator-App ist eingerichtet. Ab jetzt fragt die Anmeldung nach ihrem Code.", "The authenticator app is set up. From now on the login asks for its code.";
    Removed => "Die Authenticator-App ist entfernt.", "The authenticator app is removed.";
    RemoveIntro => "Bestätigen Sie das Entfernen mit Ihrem Kennwort und einem Code der App.", "Confirm the removal with your password and a code of the app.";
    SessionsTitle => "Sitzungen", "Sessions";
    Started => "angemeldet seit", "logged in since";
    LastActive => "zuletzt aktiv", "last active";
    ThisDevice => "dieses Gerät", "this device";
    EndSession => "Abmelden", "Log out";
    EndOthers => "Alle anderen abmelden", "Log out all others";
    ClientsTitle => "Programme an der Maschinen-Schnittstelle", "Software at the machine API";
    ClientsIntro => "Ihre Software, die die Krankenkasse für die Maschinen-Schnittstelle registriert hat. Widerrufen Sie einen Zugang, wenn ein Schlüssel verloren sein könnte oder die Software ersetzt wird.", "Your software the insurer registered for the machine API. Revoke its access when a key may be lost or the software is replaced.";
    NoClients => "Keine Programme registriert.", "No software registered.";
    ClientId => "Client-ID", "Client id";
    Registered => "registriert am", "registered on";
    Keys => "Schlüssel-IDs", "Key ids";
    Revoked => "widerrufen am", "revoked on";
    Revoke => "Widerrufen", "Revoke";
    ConfirmRevoke => "Diesen Zugang endgültig widerrufen? Die Software erhält danach keine Tokens mehr.", "Revoke this access for good? The software gets no more tokens.";
    ChangePassword => "Kennwort ändern", "Change your password";
    FactorOn => "Eine Authenticator-App ist eingerichtet: Die Anmeldung fragt nach ihrem Code.", "An authenticator app is set up: the login asks for its code.";
    FactorOff => "Es ist kein zweiter Faktor eingerichtet: Die Anmeldung fragt nur nach dem Kennwort.", "No second factor is set up: the login asks for the password only.";
    HistoryTitle => "Verlauf der letzten 90 Tage", "History of the last 90 days";
    HistoryIntro => "Anmeldungen, Fehlversuche und Änderungen an Ihrem Zugang. Ist Ihnen ein Eintrag fremd, ändern Sie bitte Ihr Kennwort und wenden Sie sich an den Leistungserbringer-Service.", "Logins, failed attempts and changes to your account. If you do not recognise an entry, please change your password and contact the provider service.";
    NoHistory => "Keine Einträge.", "No entries.";
    ByService => "durch den Leistungserbringer-Service", "by the provider service";
    EvLogin => "Anmeldung", "Login";
    EvLoginFailed => "Fehlgeschlagene Anmeldung", "Failed login";
    EvSecondFactorFailed => "Falscher Code oder Passkey bei der Anmeldung", "Wrong code or passkey at login";
    EvFactorEnrolled => "Zweiter Faktor eingerichtet", "Second factor set up";
    EvFactorRemoved => "Zweiter Faktor entfernt", "Second factor removed";
    EvFactorReset => "Zweiter Faktor vom Service entfernt", "Second factor removed by the service";
    EvRecoveryCodeUsed => "Wiederherstellungscode verwendet", "Recovery code used";
    EvPasswordChanged => "Kennwort geändert", "Password changed";
    EvPasswordReset => "Kennwort mit der Prüfnummer zurückgesetzt", "Password reset with the Prüfnummer";
    EvBlocked => "Zugang gesperrt", "Account blocked";
    EvBlockedByLink => "Zugang über den Link gesperrt, neue Zugangsdaten versandt", "Account blocked with the link, new credentials sent";
    EvOther => "Sonstiges", "Other";
    BlockTitle => "Zugang sperren", "Block the account";
    BlockIntro => "Sie haben eine Nachricht über eine Änderung an Ihrem Zugang erhalten, die Sie nicht veranlasst haben? Dann sperren Sie Ihren Zugang hier sofort.", "You were told of a change to your account that you did not make? Then block your account here at once.";
    BlockWhat => "Danach enden alle Sitzungen, Kennwort und Prüfnummer gelten nicht mehr, und Sie erhalten neue Zugangsdaten (Initialkennwort und Prüfnummer) in zwei Schreiben. Mit ihnen melden Sie sich wieder an.", "Then every session ends, the password and the Prüfnummer no longer work, and you receive new credentials (initial password and Prüfnummer) in two letters. With them you log in again.";
    BlockButton => "Zugang sperren", "Block the account";
    BlockDone => "Ihr Zugang ist gesperrt. Neue Zugangsdaten sind an die hinterlegte Adresse unterwegs. Bitte informieren Sie außerdem den Leistungserbringer-Service.", "Your account is blocked. New credentials are on their way to the address on file. Please also tell the provider service.";
    BlockNoToken => "Diesem Link fehlt sein Schlüssel. Bitte öffnen Sie den Link aus der Nachricht vollständig.", "This link lacks its key. Please open the whole link from the message.";
}

fn event_text(event: AccountEventKind) -> S {
    match event {
        AccountEventKind::Login => S::EvLogin,
        AccountEventKind::LoginFailed => S::EvLoginFailed,
        AccountEventKind::SecondFactorFailed => S::EvSecondFactorFailed,
        AccountEventKind::FactorEnrolled => S::EvFactorEnrolled,
        AccountEventKind::FactorRemoved => S::EvFactorRemoved,
        AccountEventKind::FactorReset => S::EvFactorReset,
        AccountEventKind::RecoveryCodeUsed => S::EvRecoveryCodeUsed,
        AccountEventKind::PasswordChanged => S::EvPasswordChanged,
        AccountEventKind::PasswordReset => S::EvPasswordReset,
        AccountEventKind::Blocked => S::EvBlocked,
        AccountEventKind::BlockedByLink => S::EvBlockedByLink,
        AccountEventKind::Other => S::EvOther,
    }
}

fn tr(i18n: I18n, key: S) -> impl Fn() -> &'static str + Copy + Send + Sync + 'static {
    move || stext(i18n.0.get(), key)
}

fn at(when: OffsetDateTime) -> String {
    let (day, clock) = german_day_and_clock(when);
    format!("{day}, {clock}")
}

/// Where the second factor's part of the page stands.
#[derive(Clone)]
enum Step {
    Idle,
    /// Begun: the secret and its QR code, until confirmed with a code.
    Enrolling(TotpEnrolmentBody),
    /// A passkey to make: the password first (unless the login led here).
    EnrollingPasskey,
    /// Confirmed: the recovery codes, shown this once.
    Codes(Vec<String>),
    Removing,
}

#[derive(Clone, Copy)]
struct State {
    step: RwSignal<Step>,
    problem: RwSignal<Option<Problem>>,
    notice: RwSignal<Option<S>>,
    pending: RwSignal<bool>,
    sessions: RwSignal<Vec<SessionEntryBody>>,
    clients: RwSignal<Vec<ClientBody>>,
    history: RwSignal<Vec<HistoryEntryBody>>,
    /// The account's active second factor: the page offers its removal, else enrolment.
    factor: RwSignal<Option<SecondFactorKind>>,
    /// Passkeys are offered here and this browser can make them.
    passkeys: RwSignal<bool>,
    /// The insurer requires a second factor and this session must enrol one first.
    enrolling: RwSignal<bool>,
    logged_out: RwSignal<bool>,
    code: RwSignal<String>,
    password: RwSignal<String>,
}

impl State {
    fn new() -> State {
        State {
            step: RwSignal::new(Step::Idle),
            problem: RwSignal::new(None),
            notice: RwSignal::new(None),
            pending: RwSignal::new(false),
            sessions: RwSignal::new(Vec::new()),
            clients: RwSignal::new(Vec::new()),
            history: RwSignal::new(Vec::new()),
            factor: RwSignal::new(None),
            passkeys: RwSignal::new(false),
            enrolling: RwSignal::new(false),
            logged_out: RwSignal::new(false),
            code: RwSignal::new(String::new()),
            password: RwSignal::new(String::new()),
        }
    }

    /// A problem of a request: the session's end leads to its page (or, never logged in, to
    /// the login), a required enrolment shows only the second factor, the rest shows above.
    fn refused(self, problem: Problem) {
        if problem.session_ended() {
            if host::logged_in() {
                host::navigate(Page::SessionEnded.path());
            } else {
                self.logged_out.set(true);
            }
        } else if problem.code == Some(ProblemCode::SecondFactorEnrolmentRequired) {
            self.enrolling.set(true);
        } else {
            self.problem.set(Some(problem));
        }
    }

    /// Whether a factor is active, the sessions, the history and the clients, anew.
    fn load(self, lang: Lang) {
        spawn_local(async move {
            let loaded = match api::session(lang).await {
                Ok(session) => {
                    self.factor.set(session.second_factor);
                    self.passkeys.set(session.passkeys_offered && crate::passkey::supported());
                    self.enrolling.set(session.enrolment_required);
                    if session.enrolment_required {
                        return;
                    }
                    self.load_lists(lang).await
                }
                Err(p) => Err(p),
            };
            match loaded {
                Ok(()) => host::refresh_session(),
                Err(p) => self.refused(p),
            }
        });
    }

    async fn load_lists(self, lang: Lang) -> Result<(), Problem> {
        self.sessions.set(api::sessions(lang).await?);
        self.history.set(api::history(lang).await?);
        self.clients.set(api::clients(lang).await?);
        Ok(())
    }

    /// Runs a request of a button or form; `then` with its answer once it succeeded.
    fn run<R: 'static>(
        self,
        request: impl std::future::Future<Output = Result<R, Problem>> + 'static,
        then: impl FnOnce(R) + 'static,
    ) {
        self.pending.set(true);
        self.problem.set(None);
        self.notice.set(None);
        spawn_local(async move {
            let result = request.await;
            self.pending.set(false);
            match result {
                Ok(answer) => then(answer),
                Err(p) => self.refused(p),
            }
        });
    }

    fn clear_inputs(self) {
        self.code.set(String::new());
        self.password.set(String::new());
    }
}

fn field_error(problem: RwSignal<Option<Problem>>, field: &'static str) -> Signal<Option<String>> {
    Signal::derive(move || problem.get().and_then(|p| p.field(field)))
}

#[component]
pub fn Security() -> impl IntoView {
    let i18n = use_i18n();
    let state = State::new();
    state.load(i18n.0.get_untracked());
    let State { notice, problem, logged_out, enrolling, .. } = state;
    view! {
        <h1>{tr(i18n, S::Title)}</h1>
        <When when=move || logged_out.get() fallback=move || view! {
            <p>{move || if enrolling.get() { stext(i18n.lang(), S::EnrolRequired) } else { stext(i18n.lang(), S::Intro) }}</p>
            <p role="status">{move || notice.get().map(|n| stext(i18n.lang(), n)).unwrap_or_default()}</p>
            <FormProblem problem />
            <Factor state />
            <When when=move || !enrolling.get()>
                <Sessions state />
                <History state />
                <Clients state />
                <p><a href=Page::SetPassword.path()>{tr(i18n, S::ChangePassword)}</a></p>
            </When>
        }>
            <p><a href=Page::Login.path() class="button">{i18n.tr(T::Login)}</a></p>
        </When>
    }
}

/// The second factor: enrol, confirm, the recovery codes; or remove.
#[component]
fn Factor(state: State) -> impl IntoView {
    let i18n = use_i18n();
    let State { step, pending, code, password, problem, enrolling, factor, passkeys, .. } = state;
    let factor_active = move || factor.get().is_some();
    let is_passkey = move || factor.get() == Some(SecondFactorKind::Passkey);
    let kept = RwSignal::new(false);
    // Which kind the recovery codes shown belong to.
    let made_passkey = RwSignal::new(false);
    let enrol = move |_| {
        let lang = i18n.0.get_untracked();
        state.run(api::enrol_totp(lang), move |e| {
            state.clear_inputs();
            step.set(Step::Enrolling(e));
        });
    };
    let confirm = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let lang = i18n.0.get_untracked();
        let body = TotpConfirmBody {
            code: code.get_untracked(),
            password: (!enrolling.get_untracked()).then(|| password.get_untracked()),
        };
        state.run(async move { api::confirm_totp(&body, lang).await }, move |answer| {
            state.clear_inputs();
            kept.set(false);
            made_passkey.set(false);
            step.set(Step::Codes(answer.recovery_codes));
            // A new session: the app learns its end.
            host::refresh_session();
        });
    };
    let enrol_passkey = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let lang = i18n.0.get_untracked();
        let password = (!enrolling.get_untracked()).then(|| password.get_untracked());
        state.run(api::enrol_passkey(password, lang), move |answer| {
            state.clear_inputs();
            kept.set(false);
            made_passkey.set(true);
            step.set(Step::Codes(answer.recovery_codes));
            host::refresh_session();
        });
    };
    let done = move |_| {
        step.set(Step::Idle);
        state.notice.set(Some(if made_passkey.get_untracked() {
            S::PasskeyActive
        } else {
            S::Active
        }));
        state.load(i18n.0.get_untracked());
    };
    let remove = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let lang = i18n.0.get_untracked();
        let removed = move |()| {
            state.clear_inputs();
            step.set(Step::Idle);
            state.notice.set(Some(if is_passkey() { S::PasskeyRemoved } else { S::Removed }));
            state.load(lang);
        };
        if is_passkey() {
            let password = password.get_untracked();
            state.run(async move { api::remove_passkey(&password, lang).await }, removed);
        } else {
            let body = TotpRemoveBody {
                password: password.get_untracked(),
                code: Some(code.get_untracked()),
                recovery_code: None,
            };
            state.run(async move { api::remove_totp(&body, lang).await }, removed);
        }
    };
    let cancel = move |_| {
        state.clear_inputs();
        problem.set(None);
        step.set(Step::Idle);
    };
    let password_field = move || {
        view! {
            <Field id="factor-password" kind="password" label=T::CurrentPassword value=password error=field_error(problem, "password") autocomplete="current-password" />
        }
    };
    let code_field = move || {
        view! {
            <Field id="factor-code" label=T::TotpCode value=code error=field_error(problem, "code") autocomplete="one-time-code" inputmode="numeric" />
        }
    };
    view! {
        <section aria-labelledby="factor-title">
            <h2 id="factor-title">{tr(i18n, S::FactorTitle)}</h2>
            {move || match step.get() {
                Step::Idle => view! {
                    <p>{tr(i18n, S::FactorIntro)}</p>
                    <p hidden=move || !passkeys.get()>{tr(i18n, S::PasskeyIntro)}</p>
                    <p>{move || stext(i18n.lang(), match factor.get() {
                        Some(SecondFactorKind::Passkey) => S::PasskeyOn,
                        Some(_) => S::FactorOn,
                        None => S::FactorOff,
                    })}</p>
                    <p class="actions">
                        <When when=move || !factor_active() || enrolling.get() fallback=move || view! {
                            <button type="button" class="secondary" on:click=move |_| { problem.set(None); step.set(Step::Removing) }>
                                {move || stext(i18n.lang(), if is_passkey() { S::RemovePasskey } else { S::Remove })}
                            </button>
                        }>
                            <button type="button" on:click=enrol disabled=move || pending.get()>{tr(i18n, S::Enrol)}</button>
                            <When when=move || passkeys.get()>
                                " "
                                <button type="button" on:click=move |_| { state.clear_inputs(); problem.set(None); step.set(Step::EnrollingPasskey) } disabled=move || pending.get()>{tr(i18n, S::EnrolPasskey)}</button>
                            </When>
                        </When>
                    </p>
                }.into_any(),
                Step::EnrollingPasskey => view! {
                    <p>{tr(i18n, S::PasskeyCreate)}</p>
                    <form on:submit=enrol_passkey>
                        <When when=move || !enrolling.get()>
                            <p>{tr(i18n, S::PasskeyConfirmPassword)}</p>
                            {password_field}
                        </When>
                        <p class="actions">
                            <button type="submit" disabled=move || pending.get()>{tr(i18n, S::EnrolPasskey)}</button>
                            " "
                            <button type="button" class="secondary" on:click=cancel>{tr(i18n, S::Cancel)}</button>
                        </p>
                    </form>
                }.into_any(),
                Step::Enrolling(e) => {
                    let qr = format!("data:image/svg+xml,{}", String::from(js_sys::encode_uri_component(&e.qr_svg)));
                    view! {
                        <p>{tr(i18n, S::ScanQr)}</p>
                        <img class="qr" src=qr alt=move || stext(i18n.lang(), S::QrAlt).to_string() width="200" height="200" />
                        <p>{tr(i18n, S::Secret)}" "<code class="secret">{e.secret}</code></p>
                        <form on:submit=confirm>
                            {code_field}
                            <When when=move || !enrolling.get()>{password_field}</When>
                            <p class="actions">
                                <button type="submit" disabled=move || pending.get()>{tr(i18n, S::Confirm)}</button>
                                " "
                                <button type="button" class="secondary" on:click=cancel>{tr(i18n, S::Cancel)}</button>
                            </p>
                        </form>
                    }.into_any()
                }
                Step::Codes(codes) => view! {
                    <h3>{tr(i18n, S::CodesTitle)}</h3>
                    <p>{tr(i18n, S::CodesIntro)}</p>
                    <ol class="codes">{codes.into_iter().map(|c| view! { <li><code>{c}</code></li> }).collect_view()}</ol>
                    <p class="no-print">
                        <button type="button" class="secondary" on:click=move |_| { if let Some(w) = web_sys::window() { let _ = w.print(); } }>{tr(i18n, S::Print)}</button>
                    </p>
                    <div class="check no-print">
                        <input type="checkbox" id="codes-kept" prop:checked=move || kept.get() on:change=move |ev| kept.set(event_target_checked(&ev)) />
                        <label for="codes-kept">{tr(i18n, S::CodesKept)}</label>
                    </div>
                    <p class="no-print"><button type="button" disabled=move || !kept.get() on:click=done>{tr(i18n, S::Done)}</button></p>
                }.into_any(),
                Step::Removing => view! {
                    <p>{move || stext(i18n.lang(), if is_passkey() { S::PasskeyRemoveIntro } else { S::RemoveIntro })}</p>
                    <form on:submit=remove>
                        {password_field}
                        <When when=move || !is_passkey()>{code_field}</When>
                        <p class="actions">
                            <button type="submit" disabled=move || pending.get()>
                                {move || stext(i18n.lang(), if is_passkey() { S::RemovePasskey } else { S::Remove })}
                            </button>
                            " "
                            <button type="button" class="secondary" on:click=cancel>{tr(i18n, S::Cancel)}</button>
                        </p>
                    </form>
                }.into_any(),
            }}
        </section>
    }
}

/// The account's sessions: where, since when; the others can be ended.
#[component]
fn Sessions(state: State) -> impl IntoView {
    let i18n = use_i18n();
    let State { sessions, pending, .. } = state;
    let end = move |path: String| {
        let lang = i18n.0.get_untracked();
        state.run(async move { api::delete(&path, lang).await }, move |()| state.load(lang));
    };
    let others = move || sessions.with(|list| list.iter().any(|s| !s.current));
    view! {
        <section aria-labelledby="sessions-title">
            <h2 id="sessions-title">{tr(i18n, S::SessionsTitle)}</h2>
            <ul class="entries">
                {move || sessions.get().into_iter().map(|s| {
                    let detail = format!("{}, {} {}", s.browser, stext(i18n.lang(), S::Started), at(s.started_at));
                    let path = format!("/api/sessions/{}", s.id);
                    view! {
                        <li>
                            <p>
                                <strong>{s.browser.clone()}</strong>
                                {s.current.then(|| view! { " – "<strong>{tr(i18n, S::ThisDevice)}</strong> })}
                            </p>
                            <p>{tr(i18n, S::Started)}" "{at(s.started_at)}" · "{tr(i18n, S::LastActive)}" "{at(s.last_active_at)}</p>
                            {(!s.current).then(|| view! {
                                <p><button type="button" class="secondary" disabled=move || pending.get() on:click=move |_| end(path.clone())>
                                    {tr(i18n, S::EndSession)}<span class="visually-hidden">" – "{detail}</span>
                                </button></p>
                            })}
                        </li>
                    }
                }).collect_view()}
            </ul>
            <When when=others>
                <p><button type="button" disabled=move || pending.get() on:click=move |_| end("/api/sessions?others=true".into())>{tr(i18n, S::EndOthers)}</button></p>
            </When>
        </section>
    }
}

/// The account's history of the last 90 days, the newest first.
#[component]
fn History(state: State) -> impl IntoView {
    let i18n = use_i18n();
    let State { history, .. } = state;
    view! {
        <section aria-labelledby="history-title">
            <h2 id="history-title">{tr(i18n, S::HistoryTitle)}</h2>
            <p>{tr(i18n, S::HistoryIntro)}</p>
            <p hidden=move || !history.with(Vec::is_empty)>{tr(i18n, S::NoHistory)}</p>
            <ul class="entries history">
                {move || history.get().into_iter().map(|e| {
                    let by = e.browser.clone();
                    view! {
                        <li>
                            <p><strong>{move || stext(i18n.lang(), event_text(e.event))}</strong></p>
                            <p>{at(e.at)}" · "{move || by.clone().unwrap_or_else(|| stext(i18n.lang(), S::ByService).to_string())}</p>
                        </li>
                    }
                }).collect_view()}
            </ul>
        </section>
    }
}

/// The page of a change notice's link: one button blocks the account.
#[component]
pub fn BlockAccount() -> impl IntoView {
    let i18n = use_i18n();
    let token = host::query_token().filter(|t| !t.is_empty());
    let problem = RwSignal::new(None::<Problem>);
    let pending = RwSignal::new(false);
    let done = RwSignal::new(false);
    let has_token = token.is_some();
    let block = move |_| {
        let Some(token) = token.clone() else { return };
        let lang = i18n.0.get_untracked();
        pending.set(true);
        problem.set(None);
        spawn_local(async move {
            let result = api::block_account(&token, lang).await;
            pending.set(false);
            match result {
                Ok(()) => done.set(true),
                Err(p) => problem.set(Some(p)),
            }
        });
    };
    view! {
        <h1>{tr(i18n, S::BlockTitle)}</h1>
        <p role="status">{move || done.get().then(|| stext(i18n.lang(), S::BlockDone))}</p>
        <When when=move || !done.get()>
            <p>{tr(i18n, S::BlockIntro)}</p>
            <p>{tr(i18n, S::BlockWhat)}</p>
            <FormProblem problem />
            <p hidden=has_token class="problem">{tr(i18n, S::BlockNoToken)}</p>
            <p hidden=!has_token>
                <button type="button" disabled=move || pending.get() on:click=block.clone()>{tr(i18n, S::BlockButton)}</button>
            </p>
        </When>
    }
}

/// The provider's machine API clients, each revocable.
#[component]
fn Clients(state: State) -> impl IntoView {
    let i18n = use_i18n();
    let State { clients, pending, .. } = state;
    let revoke = move |id: String| {
        let lang = i18n.0.get_untracked();
        let sure = web_sys::window()
            .and_then(|w| w.confirm_with_message(stext(lang, S::ConfirmRevoke)).ok());
        if sure == Some(true) {
            let path = format!("/api/clients/{id}");
            state.run(async move { api::delete(&path, lang).await }, move |()| state.load(lang));
        }
    };
    view! {
        <section aria-labelledby="clients-title">
            <h2 id="clients-title">{tr(i18n, S::ClientsTitle)}</h2>
            <p>{tr(i18n, S::ClientsIntro)}</p>
            <p hidden=move || !clients.with(Vec::is_empty)>{tr(i18n, S::NoClients)}</p>
            <ul class="entries">
                {move || clients.get().into_iter().map(|c| {
                    let id = c.client_id.clone();
                    view! {
                        <li>
                            <p>{tr(i18n, S::ClientId)}": "<code>{c.client_id.clone()}</code></p>
                            <p>{tr(i18n, S::Registered)}" "{at(c.created_at)}</p>
                            <p>{tr(i18n, S::Keys)}": "{c.keys.join(", ")}</p>
                            {match c.revoked_at {
                                Some(when) => view! { <p class="status failed">{tr(i18n, S::Revoked)}" "{at(when)}</p> }.into_any(),
                                None => view! {
                                    <p><button type="button" class="secondary" disabled=move || pending.get() on:click=move |_| revoke(id.clone())>
                                        {tr(i18n, S::Revoke)}<span class="visually-hidden">" – "{c.client_id.clone()}</span>
                                    </button></p>
                                }.into_any(),
                            }}
                        </li>
                    }
                }).collect_view()}
            </ul>
        </section>
    }
}
