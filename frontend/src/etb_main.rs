//! The eTherapiebericht's two pages (the practice's reports and the report form), a wasm module
//! of their own: only Heilmittel practices write reports, and the app's wasm stays within its
//! size budget without them. The app (`main.rs`) imports this module's JS on those two pages
//! and calls [`mount`] with `<main>`'s element, the language and its own navigation and session;
//! the header, footer, countdown and router stay the app's.

use leptos::prelude::*;
use portal_ui::host::{self, Host};
use portal_ui::page::Page;
use portal_ui::pages::{Report, Reports};
use wasm_bindgen::prelude::*;

fn main() {}

/// Shows the page of `address` (the list, or the form with `?id=` a saved one) in `element`.
#[wasm_bindgen]
pub fn mount(
    element: web_sys::HtmlElement,
    lang: String,
    address: String,
    navigate: js_sys::Function,
    logged_in: js_sys::Function,
    refresh_session: js_sys::Function,
) {
    let report = Page::at(address.split('?').next().unwrap_or_default()) == Some(Page::Report);
    let host = Host { address, navigate, logged_in, refresh_session };
    host::mount_module(element, &lang, host, move || {
        if report { Report().into_any() } else { Reports().into_any() }
    });
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
