//! Pieces every page uses: the layout with the insurer's header, session notice and footer, the
//! insurer's terms of use, and form fields whose hints and errors are tied to the input for
//! screen readers.

use leptos::prelude::*;
use leptos_router::components::A;

use crate::api::Problem;
use crate::i18n::{T, use_i18n};
use crate::page::Page;
use crate::session::use_session;
use crate::tenant::use_tenant;

#[component]
pub fn Layout(children: Children) -> impl IntoView {
    let i18n = use_i18n();
    let tenant = use_tenant().info;
    // The logo's text is the insurer's name, written beside it: the image itself says nothing.
    let brand = move || match tenant.get() {
        Some(t) => {
            view! { <img class="logo" src=t.logo_url alt="" height="32" />" "{t.name} }.into_any()
        }
        None => i18n.tr(T::PortalTitle).into_any(),
    };
    view! {
        <a class="skip" href="#inhalt">{i18n.tr(T::SkipToContent)}</a>
        <header class="top">
            <A href=Page::Start.path() attr:class="brand">{brand}</A>
            // A `String` like the app's other changing attributes: each type of value compiles
            // its own copy of the attribute code.
            <button type="button" class="link" on:click=move |_| i18n.toggle() aria-label=move || i18n.t(T::SwitchLanguageLabel).to_string()>
                {i18n.tr(T::SwitchLanguage)}
            </button>
        </header>
        <SessionNotice />
        <main id="inhalt" tabindex="-1">{children()}</main>
        <footer class="bottom">
            <nav aria-label="Rechtliches">
                <A href=Page::Terms.path()>{i18n.tr(T::Terms)}</A>
                <A href=Page::Imprint.path()>{i18n.tr(T::Imprint)}</A>
                <A href=Page::Privacy.path()>{i18n.tr(T::Privacy)}</A>
                <A href=Page::Accessibility.path()>{i18n.tr(T::Accessibility)}</A>
                <A href=Page::Figures.path()>{i18n.tr(T::Figures)}</A>
            </nav>
            {move || tenant.get().map(|t| view! { <p class="contact" lang="de">{t.contact}</p> })}
        </footer>
    }
}

/// The insurer's terms of use, as it wrote them (German), or the portal's general ones.
#[component]
pub fn TermsOfUse() -> impl IntoView {
    let i18n = use_i18n();
    let tenant = use_tenant().info;
    move || match tenant.get() {
        Some(t) => view! { <p class="terms" lang="de">{t.terms.trim().to_string()}</p> }.into_any(),
        None => view! { <p>{i18n.tr(T::TermsText)}</p> }.into_any(),
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
    let text = move || {
        if last_minute() {
            i18n.t(T::SessionEndsSoon).to_string()
        } else {
            i18n.t(T::SessionEndsIn).replace("{n}", &minutes().to_string())
        }
    };
    view! {
        <When when=move || session.info.get().is_some()>
            <div class="session" class:warning=last_minute role="status">
                <span>{text}</span>
                " "
                <button type="button" on:click=move |_| {
                    leptos::task::spawn_local(async move {
                        let _ = session.refresh().await;
                    });
                }>{i18n.tr(T::ExtendSession)}</button>
                " "
                <A href=Page::LoggedOut.path()>{i18n.tr(T::Logout)}</A>
            </div>
            <When when=last_minute>
                <p class="visually-hidden" role="alert">{i18n.tr(T::SessionEndsSoon)}</p>
            </When>
        </When>
    }
}

/// `<Show>` without its type parameters: one copy of this code serves every use, where `<Show>`
/// is compiled anew for each (the wasm stays smaller). The children are built anew only when the
/// condition changes.
#[component]
pub fn When(
    #[prop(into)] when: Signal<bool>,
    children: ChildrenFn,
    #[prop(optional, into)] fallback: ViewFn,
) -> impl IntoView {
    let when = Memo::new(move |_| when.get());
    move || if when.get() { children() } else { fallback.run() }
}

/// A labelled text input with a hint and an error, both announced with the field.
#[component]
pub fn Field(
    id: &'static str,
    label: T,
    value: RwSignal<String>,
    #[prop(optional)] hint: Option<T>,
    #[prop(into)] error: Signal<Option<String>>,
    #[prop(optional)] ok: Option<Signal<Option<String>>>,
    #[prop(default = "text")] kind: &'static str,
    #[prop(optional)] autocomplete: Option<&'static str>,
    #[prop(optional)] inputmode: Option<&'static str>,
) -> impl IntoView {
    let i18n = use_i18n();
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
            <label for=id>{i18n.tr(label)}" *"</label>
            {hint.map(|hint| view! { <p class="hint" id=hint_id.clone()>{i18n.tr(hint)}</p> })}
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

/// The form's problem as a whole, announced when it appears.
#[component]
pub fn FormProblem(problem: RwSignal<Option<Problem>>) -> impl IntoView {
    view! {
        <div role="alert" class="problem-slot">
            {move || problem.get().map(|p| view! { <p class="problem">{p.title}</p> })}
        </div>
    }
}
