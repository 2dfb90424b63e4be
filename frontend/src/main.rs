//! The provider portal's single-page app: pages in `pages/`, shared pieces in `components/`, the
//! API client in `api.rs`, every text in `i18n.rs`.

mod api;
mod components;
mod i18n;
mod pages;
mod session;

use leptos::prelude::*;
use leptos_router::components::{Route, Router, Routes};
use leptos_router::path;

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
                <Routes fallback=NotFound>
                    <Route path=path!("/") view=Start />
                    <Route path=path!("/anmelden") view=Login />
                    <Route path=path!("/registrieren") view=Register />
                    <Route path=path!("/kennwort") view=SetPassword />
                    <Route path=path!("/kennwort-zuruecksetzen") view=ResetPassword />
                    <Route path=path!("/oha") view=Search />
                    <Route path=path!("/rechner/pflege") view=CareCalculator />
                    <Route path=path!("/rechner/zuzahlung") view=CopayCalculator />
                    <Route path=path!("/sitzung-abgelaufen") view=SessionEnded />
                    <Route path=path!("/abgemeldet") view=LoggedOut />
                    <Route path=path!("/nutzungsbedingungen") view=TermsPage />
                    <Route path=path!("/impressum") view=ImprintPage />
                    <Route path=path!("/datenschutz") view=PrivacyPage />
                    <Route path=path!("/barrierefreiheit") view=AccessibilityPage />
                </Routes>
            </Layout>
        </Router>
    }
}
