//! Demo data for `portal serve --demo`: a few providers and exemptions with valid check digits,
//! dated relative to today so that the demo shows the same cases in any year. The README lists them.

use anyhow::ensure;
use portal_core::Clock;
use portal_core::import::{RejectedRow, import_exemptions, import_providers};

use crate::stores::Stores;

pub const PROVIDERS: &str = include_str!("../demo/providers.csv");
const EXEMPTIONS: &str = include_str!("../demo/exemptions.csv");

/// The demo exemptions for the year of `today` and the one before.
pub fn exemptions(year: i32) -> String {
    EXEMPTIONS
        .replace("{previous_year}", &(year - 1).to_string())
        .replace("{year}", &year.to_string())
}

/// Loads the demo data when the provider directory is empty; says whether it did.
pub async fn load_if_empty(stores: &Stores, clock: &dyn Clock) -> anyhow::Result<bool> {
    if !stores.providers.is_empty().await? {
        return Ok(false);
    }
    let mut rejected: Vec<RejectedRow> = Vec::new();
    import_providers(stores.providers.as_ref(), PROVIDERS.as_bytes(), &mut rejected).await?;
    let exemptions = exemptions(clock.today().year());
    import_exemptions(stores.exemptions.as_ref(), exemptions.as_bytes(), None, &mut rejected)
        .await?;
    ensure!(rejected.is_empty(), "the demo data has invalid rows: {rejected:?}");
    Ok(true)
}
