//! The account's security page (second factor, sessions, machine API clients), a wasm module of
//! its own: few visit it, and the app's wasm stays within its size budget without it. The app
//! (`main.rs`) imports this module's JS on that page and calls [`mount`] with `<main>`'s
//! element, the language and its own navigation and session, as for the eTherapiebericht's
//! module (`etb_main.rs`); the header, footer, countdown and router stay the app's.

use std::any::Any;
use std::cell::{Cell, RefCell};

use leptos::prelude::*;
use portal_ui::host::{self, Host};
use portal_ui::i18n::{I18n, Lang};
use portal_ui::pages::Security;
use wasm_bindgen::prelude::*;

thread_local! {
    /// The page shown (dropping it unmounts it and ends its reactive owner).
    static SHOWN: RefCell<Option<Box<dyn Any>>> = const { RefCell::new(None) };
    static LANG: Cell<Option<I18n>> = const { Cell::new(None) };
}

fn main() {}

fn lang_of(tag: &str) -> Lang {
    if tag == "en" { Lang::En } else { Lang::De }
}

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
    unmount();
    host::set(Host { address, navigate, logged_in, refresh_session });
    let lang = lang_of(&lang);
    let shown = leptos::mount::mount_to(element, move || {
        let i18n = I18n(RwSignal::new(lang));
        provide_context(i18n);
        LANG.set(Some(i18n));
        Security()
    });
    SHOWN.with(|s| *s.borrow_mut() = Some(Box::new(shown)));
}

/// Takes the page away (the app shows another).
#[wasm_bindgen]
pub fn unmount() {
    LANG.set(None);
    let shown = SHOWN.with(|s| s.borrow_mut().take());
    drop(shown);
}

/// The language switched in the app's header.
#[wasm_bindgen]
pub fn set_lang(lang: String) {
    if let Some(i18n) = LANG.get() {
        i18n.0.set(lang_of(&lang));
    }
}
