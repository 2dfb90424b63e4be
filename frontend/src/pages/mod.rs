mod account;
mod calc;
mod etb;
mod info;
mod oha;
mod security;

pub use account::{Login, Register, ResetPassword, SetPassword};
pub use calc::{CareCalculator, CopayCalculator};
pub use etb::{Report, Reports};
pub use info::{
    AccessibilityPage, ImprintPage, LoggedOut, NotFound, PrivacyPage, SessionEnded, Start,
    TermsPage,
};
pub use oha::Search;
pub use security::Security;
