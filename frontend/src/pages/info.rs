//! The start page, the pages around a session's end, and the legal pages.

use leptos::prelude::*;
use leptos_router::components::A;

use crate::api;
use crate::components::{TermsOfUse, When};
use crate::i18n::{T, use_i18n};
use crate::page::Page;
use crate::session::use_session;
use crate::tenant::{Service, use_tenant};

/// The services the insurer offers here, and only those.
#[component]
pub fn Start() -> impl IntoView {
    let i18n = use_i18n();
    let session = use_session();
    let tenant = use_tenant();
    view! {
        <h1>{i18n.tr(T::PortalTitle)}</h1>
        <When when=move || session.info.get().is_some()>
            <p><A href=Page::Security.path()>{i18n.tr(T::SecurityLink)}</A></p>
        </When>
        <p>{i18n.tr(T::ChooseService)}</p>
        <div class="services">
            <When when=move || tenant.offers(Service::Oha)>
                <section class="service" aria-labelledby="oha-title">
                    <h2 id="oha-title">{i18n.tr(T::OhaTitle)}</h2>
                    <p>{i18n.tr(T::OhaIntro)}</p>
                    <When when=move || session.info.get().is_some() fallback=move || view! {
                        <p><A href=Page::Login.path() attr:class="button">{i18n.tr(T::Login)}</A>" "<A href=Page::Register.path()>{i18n.tr(T::Register)}</A></p>
                    }>
                        <p><A href=Page::Search.path() attr:class="button">{i18n.tr(T::SearchTitle)}</A></p>
                    </When>
                </section>
            </When>
            <When when=move || tenant.offers(Service::Calculators)>
                <section class="service" aria-labelledby="calc-title">
                    <h2 id="calc-title">{i18n.tr(T::CalcTitle)}</h2>
                    <p>{i18n.tr(T::CalcIntro)}</p>
                    <ul class="links">
                        <li><A href=Page::CareCalculator.path()>{i18n.tr(T::CareCalcTitle)}</A></li>
                        <li><A href=Page::CopayCalculator.path()>{i18n.tr(T::CopayCalcTitle)}</A></li>
                    </ul>
                </section>
            </When>
            <When when=move || tenant.offers(Service::Etherapiebericht)>
                <section class="service" aria-labelledby="etb-title">
                    <h2 id="etb-title">{i18n.tr(T::EtbTitle)}</h2>
                    <p>{i18n.tr(T::EtbIntro)}</p>
                    <When when=move || session.info.get().is_some() fallback=move || view! {
                        <p><A href=Page::Login.path()>{i18n.tr(T::ToLogin)}</A></p>
                    }>
                        <p><A href=Page::Reports.path() attr:class="button">{i18n.tr(T::EtbShort)}</A></p>
                    </When>
                </section>
            </When>
            <section class="service" aria-labelledby="info-title">
                <h2 id="info-title">{i18n.tr(T::InfoTitle)}</h2>
                <p>{i18n.tr(T::InfoIntro)}</p>
                <p><A href=Page::Info.path()>{i18n.tr(T::InfoLink)}</A></p>
            </section>
        </div>
    }
}

#[component]
pub fn SessionEnded() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <h1>{i18n.tr(T::SessionEndedTitle)}</h1>
        <p>{i18n.tr(T::SessionEndedText)}</p>
        <p><A href=Page::Login.path() attr:class="button">{i18n.tr(T::Login)}</A></p>
    }
}

#[component]
pub fn LoggedOut() -> impl IntoView {
    let i18n = use_i18n();
    let session = use_session();
    let lang = i18n.0.get_untracked();
    leptos::task::spawn_local(async move {
        let _ = api::logout(lang).await;
        session.info.set(None);
    });
    view! {
        <h1>{i18n.tr(T::LoggedOutTitle)}</h1>
        <p><A href=Page::Login.path() attr:class="button">{i18n.tr(T::Login)}</A></p>
    }
}

#[component]
pub fn NotFound() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <h1>{i18n.tr(T::NotFoundTitle)}</h1>
        <p><A href=Page::Start.path()>{i18n.tr(T::BackToStart)}</A></p>
    }
}

#[component]
fn InfoPage(title: T, body: T) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <h1>{i18n.tr(title)}</h1>
        <p>{i18n.tr(body)}</p>
        <p><A href=Page::Start.path()>{i18n.tr(T::BackToStart)}</A></p>
    }
}

#[component]
pub fn TermsPage() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <h1>{i18n.tr(T::TermsTitle)}</h1>
        <TermsOfUse />
        <p><A href=Page::Start.path()>{i18n.tr(T::BackToStart)}</A></p>
    }
}

#[component]
pub fn ImprintPage() -> impl IntoView {
    view! { <InfoPage title=T::Imprint body=T::ImprintText /> }
}

#[component]
pub fn PrivacyPage() -> impl IntoView {
    view! { <InfoPage title=T::Privacy body=T::PrivacyText /> }
}

#[component]
pub fn AccessibilityPage() -> impl IntoView {
    view! { <InfoPage title=T::Accessibility body=T::AccessibilityText /> }
}
