//! The account's security page (second factor, sessions, history, machine API clients) and the
//! block link's page (`/sperren`), a wasm module of its own: few visit it, and the app's wasm stays within its size budget without it. The app
//! (`main.rs`) imports this module's JS on that page and calls [`mount`] with `<main>`'s
//! element, the language and its own navigation and session, as for the eTherapiebericht's
//! module (`etb_main.rs`); the header, footer, countdown and router stay the app's.

use portal_ui::host::{self, Host};
use portal_ui::page::Page;
use portal_ui::pages::{BlockAccount, Security};
use wasm_bindgen::prelude::*;

fn main() {}

/// Shows the security page in `element`.
#[wasm_bindgen]
pub fn mount(
    element: web_sys::HtmlElement,
    lang: String,
    address: String,
    navigate: js_sys::Function,
    logged_in: js_sys::Function,
    refresh_session: js_sys::Function,
) {
    // The module's two pages: the security page, and the block link's page.
    let block = Page::at(address.split('?').next().unwrap_or_default()) == Some(Page::Block);
    let host = Host { address, navigate, logged_in, refresh_session };
    if block {
        host::mount_module(element, &lang, host, BlockAccount);
    } else {
        host::mount_module(element, &lang, host, Security);
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
