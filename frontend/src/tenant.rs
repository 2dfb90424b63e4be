//! The insurer whose portal this address is (`GET /api/tenant`): its name, logo, colours, contact,
//! terms and services. Until the answer comes the app shows nothing, so no insurer's look
//! flashes by; without an answer it shows the neutral defaults of `style.css`.

use leptos::prelude::*;
use portal_domain::YearsShown;
use wasm_bindgen::JsCast;

use crate::api::{self, Tenant};
use crate::i18n::{self, I18n};

/// What an insurer offers in its portal (`TenantBody::services`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Service {
    Oha,
    Etherapiebericht,
    Calculators,
}

impl Service {
    pub fn as_str(self) -> &'static str {
        match self {
            Service::Oha => "oha",
            Service::Etherapiebericht => "etherapiebericht",
            Service::Calculators => "calculators",
        }
    }
}

#[derive(Clone, Copy)]
pub struct TenantState {
    /// The insurer; `None` while its answer is on the way, or when none came.
    pub info: RwSignal<Option<Tenant>>,
    /// The app may show itself: the answer came, failed, or is late.
    pub settled: RwSignal<bool>,
}

impl TenantState {
    /// Asks who the insurer is, and puts its colours and name (in the title) on the page once it
    /// knows.
    pub fn start(i18n: I18n) -> TenantState {
        let state = TenantState { info: RwSignal::new(None), settled: RwSignal::new(false) };
        let lang = move || i18n.0.get_untracked();
        leptos::task::spawn_local(async move {
            if let Ok(tenant) = api::tenant(lang()).await {
                use_colors(&tenant.colors.primary, &tenant.colors.secondary);
                i18n::set_document_title(lang(), &tenant.name);
                state.info.set(Some(tenant));
            }
            state.settled.set(true);
        });
        // A slow answer does not keep the app hidden for long; it shows the insurer when it comes.
        set_timeout(move || state.settled.set(true), std::time::Duration::from_secs(3));
        state
    }

    /// Whether the insurer offers `service` here. Without an answer every service shows, as
    /// before there were several insurers.
    pub fn offers(self, service: Service) -> bool {
        self.info
            .with(|t| t.as_ref().is_none_or(|t| t.services.iter().any(|s| s == service.as_str())))
    }

    /// Which years a query result shows, by the insurer's rule (`None`: not known).
    pub fn years_shown(self) -> Option<YearsShown> {
        self.info.with(|t| {
            let rule = t.as_ref()?.years_shown.as_str();
            YearsShown::ALL.into_iter().find(|y| y.as_str() == rule)
        })
    }
}

/// The insurer's colours as the variables `style.css` draws with (`--brand`, `--brand-dark`),
/// set through the CSSOM: the CSP forbids style attributes, not this.
fn use_colors(primary: &str, secondary: &str) {
    let root = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.document_element())
        .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok());
    if let Some(root) = root {
        let style = root.style();
        let _ = style.set_property("--brand", primary);
        let _ = style.set_property("--brand-dark", secondary);
    }
}

pub fn use_tenant() -> TenantState {
    use_context::<TenantState>().expect("the app provides its insurer")
}
