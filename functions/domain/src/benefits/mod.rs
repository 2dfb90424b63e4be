//! The public benefits calculators: long-term-care benefits (SGB XI) and co-payments (SGB V).
//! Every amount table carries the date it is valid from, so a question about a date gets that
//! date's law. Money is counted in cents and rounded commercially (half away from zero).

mod care;
mod copay;
mod money;

pub use care::{CareBenefits, CareError, CareQuestion, Pflegegrad, care_benefits};
pub use copay::{Belastungsgrenze, CopayError, CopayKind, Household, belastungsgrenze, zuzahlung};
pub use money::{Euro, MoneyError};
