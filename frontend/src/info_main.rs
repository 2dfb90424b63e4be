//! The information pages per Berufsfeld (`/info`, `/info/{slug}`), a wasm module of their own:
//! the app's wasm stays within its size budget without them. The app (`main.rs`) imports this
//! module's JS on those pages and calls [`mount`] with `<main>`'s element, the language and its
//! own navigation and session, as for the eTherapiebericht's module (`etb_main.rs`).

use leptos::prelude::*;
use portal_ui::host::{self, Host};
use portal_ui::page::Page;
use portal_ui::pages::{InfoArticle, InfoIndex};
use wasm_bindgen::prelude::*;

fn main() {}

/// Shows the page of `address` (the list, or one page) in `element`.
#[wasm_bindgen]
pub fn mount(
    element: web_sys::HtmlElement,
    lang: String,
    address: String,
    navigate: js_sys::Function,
    logged_in: js_sys::Function,
    refresh_session: js_sys::Function,
) {
    let one = Page::at(address.split('?').next().unwrap_or_default()) == Some(Page::InfoPage);
    let host = Host { address, navigate, logged_in, refresh_session };
    host::mount_module(element, &lang, host, move || {
        if one { InfoArticle().into_any() } else { InfoIndex().into_any() }
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
