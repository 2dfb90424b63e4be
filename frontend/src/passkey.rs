//! The browser's passkeys: `navigator.credentials.create` and `.get` with the portal's options
//! (WebAuthn's JSON form, read by `PublicKeyCredential.parseCreationOptionsFromJSON` and
//! `parseRequestOptionsFromJSON`), the answer as `credential.toJSON()` gives it. Through
//! `Reflect`: web-sys's typed WebAuthn bindings would compile their conversions into the wasm.

use js_sys::futures::JsFuture;
use js_sys::{Function, Object, Promise, Reflect};
use wasm_bindgen::{JsCast, JsValue};

fn member(target: &JsValue, name: &str) -> Option<JsValue> {
    Reflect::get(target, &JsValue::from_str(name)).ok().filter(|v| !v.is_undefined())
}

fn method(target: &JsValue, name: &str) -> Option<Function> {
    member(target, name)?.dyn_into().ok()
}

/// Whether this browser takes the portal's passkey options as they come (WebAuthn Level 3).
pub fn supported() -> bool {
    member(&js_sys::global(), "PublicKeyCredential")
        .is_some_and(|class| method(&class, "parseCreationOptionsFromJSON").is_some())
}

/// Which ceremony the browser runs.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Ceremony {
    /// A new passkey: `navigator.credentials.create`.
    Register,
    /// A signature with the passkey: `navigator.credentials.get`.
    Authenticate,
}

/// The browser's answer to `options`, or `None` when the browser or the user declined (no
/// passkey, cancelled, timed out).
pub async fn answer(options: &JsValue, ceremony: Ceremony) -> Option<JsValue> {
    let global = js_sys::global();
    let class = member(&global, "PublicKeyCredential")?;
    let (parse, call) = match ceremony {
        Ceremony::Register => ("parseCreationOptionsFromJSON", "create"),
        Ceremony::Authenticate => ("parseRequestOptionsFromJSON", "get"),
    };
    let public_key = method(&class, parse)?.call1(&class, options).ok()?;
    let credentials = member(&member(&global, "navigator")?, "credentials")?;
    let init = Object::new();
    Reflect::set(&init, &JsValue::from_str("publicKey"), &public_key).ok()?;
    let promise: Promise =
        method(&credentials, call)?.call1(&credentials, &init).ok()?.dyn_into().ok()?;
    let credential = JsFuture::from(promise).await.ok()?;
    method(&credential, "toJSON")?.call0(&credential).ok()
}
