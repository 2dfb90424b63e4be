//! The app around its modules (the eTherapiebericht's, the account's security page): it
//! navigates, knows the session and keeps its countdown, so a module's pages ask it through the
//! functions it handed over at `mount`.

use std::cell::RefCell;

use wasm_bindgen::JsValue;

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

/// The address's `?id=` (a report's ULID: nothing to decode).
pub fn query_id() -> Option<String> {
    let search =
        HOST.with(|h| Some(h.borrow().as_ref()?.address.split_once('?')?.1.to_string()))?;
    search.split('&').find_map(|kv| kv.strip_prefix("id=")).map(str::to_string)
}
