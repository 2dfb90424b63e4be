//! Demo data for `portal serve --demo`: two insurers (AOK PLUS-like and AOK Bayern-like), each
//! with a few providers and exemptions with valid check digits, dated relative to today so that
//! the demo shows the same cases in any year. The README lists them.

use anyhow::{Context, ensure};
use portal_core::Clock;
use portal_core::import::{RejectedRow, import_exemptions, import_physicians, import_providers};

use crate::config::Config;
use crate::stores::TenantStores;

/// The AOK PLUS-like tenant's providers (and the one tenant's, without a tenants file).
pub const PROVIDERS: &str = include_str!("../demo/providers.csv");
const EXEMPTIONS: &str = include_str!("../demo/exemptions.csv");
/// Physicians for the eTherapiebericht (one practice without eArztbrief).
pub const PHYSICIANS: &str = include_str!("../demo/physicians.csv");
/// The AOK Bayern-like tenant's.
pub const BAYERN_PROVIDERS: &str = include_str!("../demo/bayern/providers.csv");
const BAYERN_EXEMPTIONS: &str = include_str!("../demo/bayern/exemptions.csv");

/// The demo's tenants file and the logos it names.
pub const TENANTS: &str = include_str!("../demo/tenants.toml");
const LOGOS: [(&str, &str); 2] = [
    ("logos/plus.svg", include_str!("../demo/logos/plus.svg")),
    ("logos/bayern.svg", include_str!("../demo/logos/bayern.svg")),
];

/// A tenant's demo exemptions for the year of `today` and the one before.
pub fn exemptions(slug: &str, year: i32) -> String {
    let template = if slug == "bayern" { BAYERN_EXEMPTIONS } else { EXEMPTIONS };
    template
        .replace("{previous_year}", &(year - 1).to_string())
        .replace("{year}", &year.to_string())
}

fn providers(slug: &str) -> &'static str {
    if slug == "bayern" { BAYERN_PROVIDERS } else { PROVIDERS }
}

/// Writes the demo's two tenants beside the store, unless a tenants file is there already (or
/// a store from before tenants, which stays a one-insurer portal).
pub fn write_tenants_file_if_missing(config: &Config) -> anyhow::Result<()> {
    let path = &config.tenants_file;
    if path.exists() || config.data_dir.join("portal.db").exists() {
        return Ok(());
    }
    let folder = path.parent().context("the tenants file's folder")?;
    std::fs::create_dir_all(folder.join("logos"))
        .with_context(|| format!("cannot create {}", folder.display()))?;
    for (name, svg) in LOGOS {
        std::fs::write(folder.join(name), svg)
            .with_context(|| format!("cannot write {}", folder.join(name).display()))?;
    }
    std::fs::write(path, TENANTS).with_context(|| format!("cannot write {}", path.display()))
}

/// Loads a tenant's demo data when its provider directory is empty; says whether it did.
pub async fn load_if_empty(tenant: &TenantStores, clock: &dyn Clock) -> anyhow::Result<bool> {
    let stores = &tenant.stores;
    if !stores.providers.is_empty().await? {
        return Ok(false);
    }
    let slug = tenant.tenant.slug.as_str();
    let mut rejected: Vec<RejectedRow> = Vec::new();
    import_providers(stores.providers.as_ref(), providers(slug).as_bytes(), &mut rejected).await?;
    let exemptions = exemptions(slug, clock.today().year());
    import_exemptions(stores.exemptions.as_ref(), exemptions.as_bytes(), None, &mut rejected)
        .await?;
    import_physicians(stores.physicians.as_ref(), PHYSICIANS.as_bytes(), &mut rejected).await?;
    ensure!(rejected.is_empty(), "the demo data has invalid rows: {rejected:?}");
    Ok(true)
}
