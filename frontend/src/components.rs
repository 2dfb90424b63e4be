//! Pieces every page uses: the layout with header, session notice and footer, and form fields
//! whose hints and errors are tied to the input for screen readers.

use leptos::prelude::*;
use leptos_router::components::A;

use crate::i18n::{T, use_i18n};
use crate::session::use_session;

#[component]
pub fn Layout(children: Children) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <a class="skip" href="#inhalt">{move || i18n.t(T::SkipToContent)}</a>
        <header class="top">
            <A href="/" attr:class="brand">{move || i18n.t(T::PortalTitle)}</A>
            <button type="button" class="link" on:click=move |_| i18n.toggle() aria-label=move || i18n.t(T::SwitchLanguageLabel)>
                {move || i18n.t(T::SwitchLanguage)}
            </button>
        </header>
        <SessionNotice />
        <main id="inhalt" tabindex="-1">{children()}</main>
        <footer class="bottom">
            <nav aria-label="Rechtliches">
                <A href="/nutzungsbedingungen">{move || i18n.t(T::Terms)}</A>
                <A href="/impressum">{move || i18n.t(T::Imprint)}</A>
                <A href="/datenschutz">{move || i18n.t(T::Privacy)}</A>
                <A href="/barrierefreiheit">{move || i18n.t(T::Accessibility)}</A>
            </nav>
        </footer>
    }
}

/// "Ihre Sitzung läuft in N Minuten ab", a warning in the last minute, and a way to extend it.
#[component]
fn SessionNotice() -> impl IntoView {
    let i18n = use_i18n();
    let session = use_session();
    let minutes = move || {
        session.now.get();
        (session.remaining_ms() / 60_000.0).ceil().max(0.0) as i64
    };
    let last_minute = move || {
        session.now.get();
        session.remaining_ms() < 60_000.0
    };
    let extend = Action::new_local(move |_: &()| async move { session.refresh().await });
    let text = move || {
        if last_minute() {
            i18n.t(T::SessionEndsSoon).to_string()
        } else {
            i18n.t(T::SessionEndsIn).replace("{n}", &minutes().to_string())
        }
    };
    view! {
        <Show when=move || session.info.get().is_some()>
            <div class="session" class:warning=last_minute role="status">
                <span>{text}</span>
                " "
                <button type="button" on:click=move |_| { extend.dispatch(()); }>{move || i18n.t(T::ExtendSession)}</button>
                " "
                <A href="/abgemeldet">{move || i18n.t(T::Logout)}</A>
            </div>
            <Show when=last_minute>
                <p class="visually-hidden" role="alert">{move || i18n.t(T::SessionEndsSoon)}</p>
            </Show>
        </Show>
    }
}

/// A labelled text input with a hint and an error, both announced with the field.
#[component]
pub fn Field(
    id: &'static str,
    label: Signal<String>,
    value: RwSignal<String>,
    #[prop(optional)] hint: Option<Signal<String>>,
    #[prop(into)] error: Signal<Option<String>>,
    #[prop(optional)] ok: Option<Signal<Option<String>>>,
    #[prop(default = "text")] kind: &'static str,
    #[prop(optional)] autocomplete: Option<&'static str>,
    #[prop(optional)] inputmode: Option<&'static str>,
) -> impl IntoView {
    let hint_id = format!("{id}-hint");
    let error_id = format!("{id}-error");
    let described = {
        let (hint_id, error_id) = (hint_id.clone(), error_id.clone());
        move || {
            let mut ids = Vec::new();
            if hint.is_some() {
                ids.push(hint_id.clone());
            }
            if error.get().is_some() {
                ids.push(error_id.clone());
            }
            ids.join(" ")
        }
    };
    view! {
        <div class="field">
            <label for=id>{move || label.get()}" *"</label>
            {hint.map(|hint| view! { <p class="hint" id=hint_id.clone()>{move || hint.get()}</p> })}
            <input
                id=id
                name=id
                type=kind
                required
                autocomplete=autocomplete
                inputmode=inputmode
                prop:value=move || value.get()
                on:input=move |ev| value.set(event_target_value(&ev))
                aria-invalid=move || error.get().is_some().to_string()
                aria-describedby=described
            />
            {move || error.get().map(|message| view! { <p class="error" id=error_id.clone()>{message}</p> })}
            {move || ok.and_then(|ok| ok.get()).map(|message| view! { <p class="ok">{message}</p> })}
        </div>
    }
}
