//! "Servicezahlen", the portal's public figures, a wasm module of its own: the app's wasm stays
//! within its size budget without its charts and tables. The app (`main.rs`) imports this
//! module's JS on that page and calls [`mount`] with `<main>`'s element, the language and its
//! own navigation and session, as for the other modules; the header, footer and router stay the
//! app's.

use portal_ui::host::{self, Host};
use portal_ui::pages::{BackofficeFigures, ServiceFigures};
use wasm_bindgen::prelude::*;

fn main() {}

/// Shows the figures page in `element`.
#[wasm_bindgen]
pub fn mount(
    element: web_sys::HtmlElement,
    lang: String,
    address: String,
    navigate: js_sys::Function,
    logged_in: js_sys::Function,
    refresh_session: js_sys::Function,
) {
    let host = Host { address, navigate, logged_in, refresh_session };
    // One module, two pages: the public figures, and the back office's behind its own login.
    let path = web_sys::window().and_then(|w| w.location().pathname().ok()).unwrap_or_default();
    if path.trim_end_matches('/') == "/backoffice" {
        host::mount_module(element, &lang, host, BackofficeFigures);
    } else {
        host::mount_module(element, &lang, host, ServiceFigures);
    }
}

/// Takes the page away (the app shows another).
#[wasm_bindgen]
pub fn unmount() {
    host::unmount_module();
}

/// The language switched in the app's header.
#[wasm_bindgen]
pub fn set_lang(lang: String) {
    host::set_module_lang(&lang);
}
