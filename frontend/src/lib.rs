//! What the app's three wasm modules share: the API client (`api.rs`), every text (`i18n.rs`),
//! the session, the insurer of the address (`tenant.rs`), the pieces every page uses
//! (`components.rs`) and the pages. The app (`main.rs`) shows every page but the
//! eTherapiebericht's two and the account's security page; those are modules of their own
//! (`etb_main.rs`, `account_main.rs`), which the app loads only on them, so the app's wasm stays
//! within its size budget. Each binary compiles in only the pages it shows.

pub mod api;
pub mod components;
pub mod host;
pub mod i18n;
pub mod js;
pub mod page;
pub mod pages;
pub mod passkey;
pub mod session;
pub mod tenant;
