//! The provider portal's single-page app: pages in `pages/`, shared pieces in `components/`, the
//! API client in `api.rs`, every text in `i18n.rs`.

mod api;
mod components;
mod i18n;
mod pages;
mod session;

use leptos::prelude::*;
use leptos_router::components::Router;
use leptos_router::hooks::use_location;

use crate::components::Layout;
use crate::i18n::I18n;
use crate::pages::*;
use crate::session::SessionState;

fn main() {
    leptos::mount::mount_to_body(App);
}

#[component]
fn App() -> impl IntoView {
    provide_context(I18n::remembered());
    view! {
        <Router>
            {
                // The session needs the router (it navigates when a session ends).
                provide_context(SessionState::start());
            }
            <Layout>
                <Page />
            </Layout>
        </Router>
    }
}

/// The page for the address. A plain match instead of `<Routes>`: the app has only flat,
/// static paths, and the router's route tables cost the wasm tens of kilobytes. The page is
/// built anew only when the path changes (not when the query of a calculator does).
#[component]
fn Page() -> impl IntoView {
    let pathname = use_location().pathname;
    move || {
        let path = pathname.get();
        match path.trim_end_matches('/') {
            "" => Start().into_any(),
            "/anmelden" => Login().into_any(),
            "/registrieren" => Register().into_any(),
            "/kennwort" => SetPassword().into_any(),
            "/kennwort-zuruecksetzen" => ResetPassword().into_any(),
            "/oha" => Search().into_any(),
            "/rechner/pflege" => CareCalculator().into_any(),
            "/rechner/zuzahlung" => CopayCalculator().into_any(),
            "/sitzung-abgelaufen" => SessionEnded().into_any(),
            "/abgemeldet" => LoggedOut().into_any(),
            "/nutzungsbedingungen" => TermsPage().into_any(),
            "/impressum" => ImprintPage().into_any(),
            "/datenschutz" => PrivacyPage().into_any(),
            "/barrierefreiheit" => AccessibilityPage().into_any(),
            _ => NotFound().into_any(),
        }
    }
}
