//! Pure rules of the provider portal.
//!
//! No I/O and no clock: every function takes what it needs as arguments, so the same code runs in
//! the server, the command line and the single-page app (wasm32). Types here cannot hold an invalid
//! value: parse at the edge, then pass `Kvnr`, `Ik`, `Pruefnummer`, `Consent` around.

pub mod access;
pub mod benefits;
mod challenge;
mod client;
mod consent;
pub mod content;
mod date;
mod exemption;
mod german_time;
mod ik;
mod kvnr;
mod lang;
mod names;
mod password;
mod provider;
mod pruefnummer;
mod tenant;
pub mod therapy;

pub use challenge::{proof_of_work_holds, solve_proof_of_work};
pub use client::ClientAddress;
pub use consent::{Consent, ConsentError};
pub use date::{DateError, parse_date};
pub use exemption::{
    DispensingDateError, Exemption, ExemptionError, Validity, YearStatus, check_dispensing_date,
    exempt_on, year_statuses,
};
pub use german_time::{
    german_date, german_day, german_day_and_clock, german_local_time, german_midnight,
};
pub use ik::{Ik, IkError};
pub use kvnr::{Kvnr, KvnrError};
pub use lang::{Lang, UserFacing, counted};
pub use names::{Initials, NameError};
pub use password::{MAX_PASSWORD_CHARS, MIN_PASSWORD_CHARS, PasswordError, check_password_shape};
pub use provider::{
    Address, Berufsfeld, EmailAddress, EmailError, Provider, ProviderError, TextField,
};
pub use pruefnummer::{Pruefnummer, PruefnummerError};
pub use tenant::{AA_CONTRAST, Color, ColorError, TenantSlug, TenantSlugError, YearsShown};

/// Sums the digits of a number below 100 ("Quersumme"): 16 → 7. Both check-digit rules use it.
const fn cross_sum(n: u32) -> u32 {
    n / 10 + n % 10
}
