//! The provider portal's single-page app: pages in `pages/`, shared pieces in `components/`, the
//! API client in `api.rs`, every text in `i18n.rs`, the insurer of the address in `tenant.rs`
//! (all in the library both wasm modules use). The eTherapiebericht's two pages are a module of
//! their own (`etb_main.rs`), loaded by [`ModulePage`] only when one of them is shown; so is the
//! account's security page (`account_main.rs`).

use leptos::prelude::*;
use leptos_router::components::Router;
use leptos_router::hooks::{use_location, use_navigate};
use leptos_router::location::{BrowserUrl, LocationProvider};
use portal_ui::components::{Layout, When};
use portal_ui::i18n::{I18n, T, use_i18n};
use portal_ui::page::Page;
use portal_ui::pages::*;
use portal_ui::session::{SessionState, use_session};
use portal_ui::tenant::{TenantState, use_tenant};
use wasm_bindgen::JsValue;
use wasm_bindgen::prelude::*;

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
        Some(Page::Reports | Page::Report) => {
            ModulePage(ModulePageProps { name: "portal-etb" }).into_any()
        }
        Some(Page::Security | Page::Block) => {
            ModulePage(ModulePageProps { name: "portal-account" }).into_any()
        }
        Some(Page::Figures | Page::Backoffice) => {
            ModulePage(ModulePageProps { name: "portal-figures" }).into_any()
        }
        Some(Page::Info | Page::InfoPage) => {
            ModulePage(ModulePageProps { name: "portal-info" }).into_any()
        }
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

// A module of pages (the eTherapiebericht's, the account's): imported once (the browser keeps
// it), its wasm started, then mounted into the page's element with the language and the app's
// navigation and session. A ticket per page shown, so a module that arrives after its page was
// left mounts nowhere.
#[wasm_bindgen(inline_js = "const m = {}; let shown, live = 0;
export function module_open(url, el, lang, address, navigate, loggedIn, refresh, done) {
  const ticket = ++live;
  // trunk renames the files after wasm-bindgen: the glue's own default name for its wasm is wrong.
  (m[url] ??= import(url).then(async (x) => { await x.default({ module_or_path: url.replace(/\\.js$/, \"_bg.wasm\") }); return x; }))
    .then((x) => { if (ticket === live) { shown = x; x.mount(el, lang, address, navigate, loggedIn, refresh); done(true); } },
          (e) => { console.error(e); delete m[url]; if (ticket === live) done(false); });
}
export function module_close() { live++; if (shown) shown.unmount(); shown = undefined; }
export function module_lang(lang) { if (shown) shown.set_lang(lang); }")]
extern "C" {
    #[allow(clippy::too_many_arguments)]
    fn module_open(
        url: &str,
        el: &JsValue,
        lang: &str,
        address: &str,
        navigate: &JsValue,
        logged_in: &JsValue,
        refresh: &JsValue,
        done: &JsValue,
    );
    fn module_close();
    fn module_lang(lang: &str);
}

/// Where a module is: `tools/build-app` writes its hashed address into `index.html`
/// (`<meta name="portal-etb">`, `<meta name="portal-account">`).
fn module_url(name: &str) -> Option<String> {
    web_sys::window()?
        .document()?
        .query_selector(&format!("meta[name={name}]"))
        .ok()??
        .get_attribute("content")
}

/// A page of a module (`name`: its binary): "please wait" while the module comes, a problem if
/// it does not, then the module's page inside `<main>`.
#[component]
fn ModulePage(name: &'static str) -> impl IntoView {
    let i18n = use_i18n();
    let session = use_session();
    let navigate = use_navigate();
    // The page's address as the router has it: the browser's address bar follows only once the
    // page is ready.
    let location = use_location();
    // None: loading; then whether the module came.
    let loaded = RwSignal::new(None::<bool>);
    let host = NodeRef::<leptos::html::Div>::new();
    Effect::new(move |_| {
        let Some(el) = host.get() else { return };
        let Some(url) = module_url(name) else { return loaded.set(Some(false)) };
        let navigate = navigate.clone();
        let go =
            Closure::<dyn Fn(String)>::new(move |path: String| navigate(&path, Default::default()));
        let logged_in =
            Closure::<dyn Fn() -> bool>::new(move || session.info.get_untracked().is_some());
        let refresh = Closure::<dyn Fn()>::new(move || {
            leptos::task::spawn_local(async move {
                let _ = session.refresh().await;
            })
        });
        let done = Closure::<dyn Fn(bool)>::new(move |ok| loaded.set(Some(ok)));
        module_open(
            &url,
            &el,
            i18n.0.get_untracked().tag(),
            &format!("{}?{}", location.pathname.get_untracked(), location.search.get_untracked()),
            &go.into_js_value(),
            &logged_in.into_js_value(),
            &refresh.into_js_value(),
            &done.into_js_value(),
        );
    });
    // The module's texts follow the language switch in the header.
    Effect::new(move |_| module_lang(i18n.0.get().tag()));
    on_cleanup(module_close);
    view! {
        <p role="status">{move || if loaded.get().is_none() { i18n.t(T::Working) } else { "" }}</p>
        <div role="alert" class="problem-slot">
            {move || (loaded.get() == Some(false)).then(|| view! { <p class="problem">{i18n.tr(T::ModuleFailed)}</p> })}
        </div>
        <div node_ref=host></div>
    }
}
