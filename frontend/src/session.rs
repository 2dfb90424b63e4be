//! The logged-in session as the app sees it: who, until when, and the countdown to its end.

use leptos::prelude::*;
use leptos_router::hooks::use_navigate;

use crate::api::{self, SessionInfo};
use crate::i18n::{I18n, use_i18n};
use crate::page::Page;

#[derive(Clone, Copy)]
pub struct SessionState {
    pub info: RwSignal<Option<SessionInfo>>,
    /// When the session ends, in milliseconds since 1970 (the server's `expires_at`).
    pub ends_at: RwSignal<f64>,
    pub now: RwSignal<f64>,
    /// The language the server answers in; kept here, as `refresh` runs outside any component.
    i18n: I18n,
}

impl SessionState {
    /// Restores a session the browser still has (after a reload) and starts the clock.
    pub fn start() -> SessionState {
        let state = SessionState {
            info: RwSignal::new(None),
            ends_at: RwSignal::new(0.0),
            now: RwSignal::new(js_sys::Date::now()),
            i18n: use_i18n(),
        };
        let lang = state.i18n.0.get_untracked();
        leptos::task::spawn_local(async move {
            if let Ok(info) = api::session(lang).await {
                state.set(info);
            }
        });
        let navigate = use_navigate();
        let _ = set_interval_with_handle(
            move || {
                state.now.set(js_sys::Date::now());
                if state.info.get_untracked().is_some() && state.remaining_ms() <= 0.0 {
                    state.info.set(None);
                    navigate(Page::SessionEnded.path(), Default::default());
                }
            },
            std::time::Duration::from_secs(1),
        );
        state
    }

    pub fn set(self, info: SessionInfo) {
        // Whole milliseconds without 128-bit arithmetic (its division costs the wasm a kilobyte).
        let at = info.expires_at;
        self.ends_at.set(at.unix_timestamp() as f64 * 1000.0 + f64::from(at.millisecond()));
        self.info.set(Some(info));
    }

    pub fn remaining_ms(self) -> f64 {
        self.ends_at.get_untracked() - self.now.get_untracked()
    }

    /// Asks the server for the session again: extends it and learns the new end.
    pub async fn refresh(self) -> Result<(), api::Problem> {
        let lang = self.i18n.0.get_untracked();
        let info = api::session(lang).await?;
        self.set(info);
        Ok(())
    }
}

pub fn use_session() -> SessionState {
    use_context::<SessionState>().expect("the app provides its session")
}
