//! The app around its modules (the eTherapiebericht's, the account's security page): it
//! navigates, knows the session and keeps its countdown, so a module's pages ask it through the
//! functions it handed over at `mount`.

use std::any::Any;
use std::cell::{Cell, RefCell};

use leptos::prelude::*;
use wasm_bindgen::JsValue;

use crate::i18n::{I18n, Lang};

/// The app's functions: navigate to a path, whether a provider is logged in, and "the session
/// was extended, ask for its new end".
pub struct Host {
    /// The page's path and query as the app's router has them (the address bar may follow later).
    pub address: String,
    pub navigate: js_sys::Function,
    pub logged_in: js_sys::Function,
    pub refresh_session: js_sys::Function,
}

thread_local! {
    static HOST: RefCell<Option<Host>> = const { RefCell::new(None) };
    /// The module's page shown (dropping it unmounts it and ends its reactive owner).
    static SHOWN: RefCell<Option<Box<dyn Any>>> = const { RefCell::new(None) };
    /// Its language, which the app's header switches.
    static LANG: Cell<Option<I18n>> = const { Cell::new(None) };
}

fn lang_of(tag: &str) -> Lang {
    if tag == "en" { Lang::En } else { Lang::De }
}

/// What a module's `mount` does: takes the app's functions and shows `page` in `element`, in
/// the language tagged `lang`, replacing what it showed before.
pub fn mount_module<V: IntoView + 'static>(
    element: web_sys::HtmlElement,
    lang: &str,
    host: Host,
    page: impl FnOnce() -> V + 'static,
) {
    unmount_module();
    set(host);
    let lang = lang_of(lang);
    let shown = leptos::mount::mount_to(element, move || {
        let i18n = I18n(RwSignal::new(lang));
        provide_context(i18n);
        LANG.set(Some(i18n));
        page()
    });
    SHOWN.with(|s| *s.borrow_mut() = Some(Box::new(shown)));
}

/// What a module's `unmount` does: takes its page away (the app shows another).
pub fn unmount_module() {
    LANG.set(None);
    let shown = SHOWN.with(|s| s.borrow_mut().take());
    drop(shown);
}

/// What a module's `set_lang` does: the language switched in the app's header.
pub fn set_module_lang(lang: &str) {
    if let Some(i18n) = LANG.get() {
        i18n.0.set(lang_of(lang));
    }
}

pub fn set(host: Host) {
    HOST.with(|h| *h.borrow_mut() = Some(host));
}

/// To another page of the app (its router: history entry, scroll, the page built).
pub fn navigate(path: &str) {
    HOST.with(|h| {
        if let Some(h) = &*h.borrow() {
            let _ = h.navigate.call1(&JsValue::NULL, &JsValue::from_str(path));
        }
    });
}

/// Whether the app knows a logged-in session.
pub fn logged_in() -> bool {
    HOST.with(|h| {
        h.borrow().as_ref().is_some_and(|h| {
            h.logged_in.call0(&JsValue::NULL).ok().and_then(|v| v.as_bool()).unwrap_or(false)
        })
    })
}

/// The session was extended by a request: the app asks for its new end (the countdown).
pub fn refresh_session() {
    HOST.with(|h| {
        if let Some(h) = &*h.borrow() {
            let _ = h.refresh_session.call0(&JsValue::NULL);
        }
    });
}

/// The page's path and query as the app's router had them when the module was mounted.
pub fn address() -> String {
    HOST.with(|h| h.borrow().as_ref().map(|h| h.address.clone()).unwrap_or_default())
}

/// The address's `?id=` (a report's ULID: nothing to decode).
pub fn query_id() -> Option<String> {
    query_value("id=")
}

/// The address's `?token=` (a block link's: URL-safe base64, nothing to decode).
pub fn query_token() -> Option<String> {
    query_value("token=")
}

fn query_value(key: &str) -> Option<String> {
    let search =
        HOST.with(|h| Some(h.borrow().as_ref()?.address.split_once('?')?.1.to_string()))?;
    search.split('&').find_map(|kv| kv.strip_prefix(key)).map(str::to_string)
}
