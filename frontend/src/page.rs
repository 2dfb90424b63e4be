//! Every page of the app and its address: the one place a path is written. Links say
//! `Page::Login.path()`, the app picks the page with [`Page::at`].

use crate::tenant::{Service, TenantState};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Page {
    Start,
    Login,
    Register,
    SetPassword,
    ResetPassword,
    Search,
    /// The practice's therapy reports.
    Reports,
    /// One therapy report's form: a new one, or with `?id=` a saved one.
    Report,
    /// The account's security: second factor, sessions, machine API clients.
    Security,
    /// The link of a change notice (`?token=`): "Das war ich nicht", block the account.
    Block,
    CareCalculator,
    CopayCalculator,
    SessionEnded,
    LoggedOut,
    Terms,
    Imprint,
    Privacy,
    Accessibility,
    /// The information pages per Berufsfeld: the list.
    Info,
    /// One information page, `/info/{slug}`.
    InfoPage,
    /// The portal's public figures ("Servicezahlen").
    Figures,
    /// The back office's figures, behind its own login (in the figures' module).
    Backoffice,
}

impl Page {
    /// The page a logged-in provider starts on: the OHA, where the insurer offers it.
    pub fn home(tenant: TenantState) -> Page {
        if tenant.offers(Service::Oha) { Page::Search } else { Page::Start }
    }

    pub const ALL: [Page; 22] = [
        Page::Start,
        Page::Login,
        Page::Register,
        Page::SetPassword,
        Page::ResetPassword,
        Page::Search,
        Page::Reports,
        Page::Report,
        Page::Security,
        Page::Block,
        Page::CareCalculator,
        Page::CopayCalculator,
        Page::SessionEnded,
        Page::LoggedOut,
        Page::Terms,
        Page::Imprint,
        Page::Privacy,
        Page::Accessibility,
        Page::Info,
        Page::InfoPage,
        Page::Figures,
        Page::Backoffice,
    ];

    pub fn path(self) -> &'static str {
        match self {
            Page::Start => "/",
            Page::Login => "/anmelden",
            Page::Register => "/registrieren",
            Page::SetPassword => "/kennwort",
            Page::ResetPassword => "/kennwort-zuruecksetzen",
            Page::Search => "/oha",
            Page::Reports => "/therapieberichte",
            Page::Report => "/therapiebericht",
            Page::Security => "/konto/sicherheit",
            Page::Block => "/sperren",
            Page::CareCalculator => "/rechner/pflege",
            Page::CopayCalculator => "/rechner/zuzahlung",
            Page::SessionEnded => "/sitzung-abgelaufen",
            Page::LoggedOut => "/abgemeldet",
            Page::Terms => "/nutzungsbedingungen",
            Page::Imprint => "/impressum",
            Page::Privacy => "/datenschutz",
            Page::Accessibility => "/barrierefreiheit",
            Page::Info => "/info",
            // A page's address is this with `/{slug}` after it (`Page::at` finds it).
            Page::InfoPage => "/info/",
            Page::Figures => "/servicezahlen",
            Page::Backoffice => "/backoffice",
        }
    }

    /// The service a page belongs to, which an insurer may not offer.
    pub fn service(self) -> Option<Service> {
        match self {
            Page::Search => Some(Service::Oha),
            Page::Reports | Page::Report => Some(Service::Etherapiebericht),
            Page::CareCalculator | Page::CopayCalculator => Some(Service::Calculators),
            _ => None,
        }
    }

    /// The page at an address (a trailing slash does not matter); `None`: there is none.
    pub fn at(path: &str) -> Option<Page> {
        let path = path.trim_end_matches('/');
        let path = if path.is_empty() { "/" } else { path };
        // `/info/{slug}`: the one page family with a name in its address.
        if path.strip_prefix("/info/").is_some_and(|slug| !slug.is_empty() && !slug.contains('/')) {
            return Some(Page::InfoPage);
        }
        Page::ALL.into_iter().find(|page| page.path() == path)
    }
}
