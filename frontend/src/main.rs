//! The provider portal's single-page app: pages in `pages/`, shared pieces in `components/`, the
//! API client in `api.rs`, every text in `i18n.rs`, the insurer of the address in `tenant.rs`.

mod api;
mod components;
mod i18n;
mod js;
mod page;
mod pages;
mod session;
mod tenant;

use leptos::prelude::*;
use leptos_router::components::Router;
use leptos_router::hooks::use_location;
use leptos_router::location::{BrowserUrl, LocationProvider};

use crate::components::{Layout, When};
use crate::i18n::I18n;
use crate::page::Page;
use crate::pages::*;
use crate::session::SessionState;
use crate::tenant::{TenantState, use_tenant};

fn main() {
    leptos::mount::mount_to_body(App);
}

#[component]
fn App() -> impl IntoView {
    let i18n = I18n::remembered();
    provide_context(i18n);
    let tenant = TenantState::start(i18n);
    provide_context(tenant);
    view! {
        <Router>
            {
                // The session needs the router (it navigates when a session ends).
                provide_context(SessionState::start());
            }
            // Nothing until the insurer is known: no other insurer's look flashes by.
            <When when=move || tenant.settled.get()>
                <Layout>
                    <CurrentPage />
                </Layout>
            </When>
        </Router>
    }
}

/// The page for the address. A plain match instead of `<Routes>`: the app has only flat,
/// static paths, and the router's route tables cost the wasm tens of kilobytes. The page is
/// built anew only when the path changes (not when the query of a calculator does). A service
/// the insurer does not offer here has no page.
#[component]
fn CurrentPage() -> impl IntoView {
    let pathname = use_location().pathname;
    let tenant = use_tenant();
    // A link's navigation puts its address into the address bar only once the router hears the
    // new page is ready (`<Routes>` tells it; this plain match must do so itself), so a reload
    // stays on the page shown.
    let browser = use_context::<BrowserUrl>();
    Effect::new(move |_| {
        pathname.track();
        if let Some(browser) = &browser {
            browser.ready_to_complete();
        }
    });
    let page = move || {
        Page::at(&pathname.get()).filter(|page| page.service().is_none_or(|s| tenant.offers(s)))
    };
    move || match page() {
        Some(Page::Start) => Start().into_any(),
        Some(Page::Login) => Login().into_any(),
        Some(Page::Register) => Register().into_any(),
        Some(Page::SetPassword) => SetPassword().into_any(),
        Some(Page::ResetPassword) => ResetPassword().into_any(),
        Some(Page::Search) => Search().into_any(),
        Some(Page::Reports) => Reports().into_any(),
        Some(Page::Report) => Report().into_any(),
        Some(Page::CareCalculator) => CareCalculator().into_any(),
        Some(Page::CopayCalculator) => CopayCalculator().into_any(),
        Some(Page::SessionEnded) => SessionEnded().into_any(),
        Some(Page::LoggedOut) => LoggedOut().into_any(),
        Some(Page::Terms) => TermsPage().into_any(),
        Some(Page::Imprint) => ImprintPage().into_any(),
        Some(Page::Privacy) => PrivacyPage().into_any(),
        Some(Page::Accessibility) => AccessibilityPage().into_any(),
        None => NotFound().into_any(),
    }
}
