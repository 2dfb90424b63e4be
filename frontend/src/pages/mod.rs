mod account;
mod calc;
mod content;
mod etb;
mod figures;
mod info;
mod oha;
mod security;

pub use account::{Login, Register, ResetPassword, SetPassword};
pub use calc::{CareCalculator, CopayCalculator};
pub use content::{InfoArticle, InfoIndex};
pub use etb::{Report, Reports};
pub use figures::{BackofficeFigures, ServiceFigures};
pub use info::{
    AccessibilityPage, ImprintPage, LoggedOut, NotFound, PrivacyPage, SessionEnded, Start,
    TermsPage,
};
pub use oha::Search;
pub use security::{BlockAccount, Security};
