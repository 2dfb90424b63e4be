//! The tenants one deployment serves, read from `tenants.toml` (locally beside the store; in AWS
//! packaged with the functions), and how a request's host name finds its tenant.

use std::collections::HashSet;
use std::sync::Arc;

use portal_domain::therapy::KimAddress;
use portal_domain::{AA_CONTRAST, Color, Ik, TenantSlug, YearsShown};
use serde::Deserialize;
use time::Duration;

use crate::model::{Letterhead, Look, Service, Tenant};
use crate::settings::Settings;

/// A session's absolute limit where the tenant names none (BSI TR-03161 O.Auth_10).
const DEFAULT_SESSION_HOURS: i64 = 8;

/// The tenants, in the file's order. Never empty.
#[derive(Debug, Clone)]
// Shared: the router's state is cloned for every request.
pub struct Tenants(Arc<[Arc<Tenant>]>);

/// What is wrong with a tenants file, naming the tenant and the field.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct TenantsError(String);

/// The logo of the one tenant of a deployment without a tenants file.
pub const DEFAULT_LOGO: &str = r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64" role="img" aria-label="Serviceportal"><rect width="64" height="64" rx="12" fill="#005e3a"/><path d="M18 32h28M32 18v28" stroke="#fff" stroke-width="8" stroke-linecap="round"/></svg>"##;

impl Tenants {
    /// The one tenant of a deployment without a tenants file: served under every host, with
    /// the limits and the sender of `settings`, as before tenants existed.
    pub fn single(settings: &Settings) -> Tenants {
        let tenant = Tenant {
            ik: Ik::parse("109999994").expect("a valid IK"),
            slug: TenantSlug::parse("portal").expect("a valid slug"),
            name: "Serviceportal für Leistungserbringer".into(),
            hosts: Vec::new(),
            years_shown: YearsShown::CurrentAndPreviousUntilJune30,
            quota_per_day: settings.oha.quota_per_day,
            burst_per_minute: settings.oha.burst_per_minute,
            session_idle: Duration::seconds(settings.session_idle_seconds),
            session_absolute: Duration::hours(DEFAULT_SESSION_HOURS),
            second_factor_required: false,
            letterhead: Letterhead {
                sender: "Serviceportal für Leistungserbringer".into(),
                mail_from: settings.mail_from.clone(),
                address: Vec::new(),
                service_line: String::new(),
                portal_url: settings.public_url.clone(),
            },
            terms: DEFAULT_TERMS.into(),
            services: Service::ALL.to_vec(),
            look: Look {
                logo_svg: DEFAULT_LOGO.into(),
                primary: Color::parse("#005e3a").expect("a colour"),
                secondary: Color::parse("#00442a").expect("a colour"),
            },
            kim_address: KimAddress::parse("etherapiebericht@serviceportal.kim.telematik").ok(),
        };
        Tenants(Arc::new([Arc::new(tenant)]))
    }

    /// Reads a tenants file. Limits and timeouts a tenant leaves out come from `settings`;
    /// `read_logo` reads a logo file named in it (relative to the file); a logo may also be
    /// given inline, as `<svg …>`.
    pub fn parse(
        text: &str,
        settings: &Settings,
        read_logo: impl Fn(&str) -> Result<String, String>,
    ) -> Result<Tenants, TenantsError> {
        let file: File = toml::from_str(text).map_err(|e| TenantsError(e.to_string()))?;
        if file.tenant.is_empty() {
            return Err(TenantsError("the tenants file names no tenant ([[tenant]])".into()));
        }
        let several = file.tenant.len() > 1;
        let mut tenants = Vec::new();
        let (mut slugs, mut iks, mut hosts) = (HashSet::new(), HashSet::new(), HashSet::new());
        for entry in file.tenant {
            let slug = entry.slug.clone();
            let fail = |what: String| TenantsError(format!("tenant `{slug}`: {what}"));
            if RESERVED_SLUGS.contains(&slug.as_str()) {
                return Err(fail(format!(
                    "the short name is taken by a folder of the portal ({})",
                    RESERVED_SLUGS.join(", ")
                )));
            }
            if several && entry.letterhead.portal_url.is_none() {
                return Err(fail(
                    "with several tenants each names its letterhead.portal_url (letters must lead to the right portal)".into(),
                ));
            }
            let tenant = entry.into_tenant(settings, &read_logo).map_err(&fail)?;
            if !slugs.insert(tenant.slug.clone()) {
                return Err(fail("a second tenant has this short name".into()));
            }
            if !iks.insert(tenant.ik) {
                return Err(fail(format!("a second tenant has the IK {}", tenant.ik)));
            }
            if several && tenant.hosts.is_empty() {
                return Err(fail("with several tenants each names its hosts".into()));
            }
            for host in &tenant.hosts {
                if !hosts.insert(host.clone()) {
                    return Err(fail(format!("the host {host} is named twice")));
                }
            }
            tenants.push(Arc::new(tenant));
        }
        Ok(Tenants(tenants.into()))
    }

    /// The tenant serving `host` (a `Host` header: any port and case). The one tenant of a
    /// single-tenant deployment serves every host; with several, an unknown host has none.
    pub fn for_host(&self, host: &str) -> Option<&Arc<Tenant>> {
        if let [only] = &*self.0 {
            return Some(only);
        }
        let host = host_name(host);
        self.0.iter().find(|tenant| tenant.serves(&host))
    }

    pub fn by_slug(&self, slug: &str) -> Option<&Arc<Tenant>> {
        self.0.iter().find(|tenant| tenant.slug.as_str() == slug)
    }

    pub fn first(&self) -> &Arc<Tenant> {
        &self.0[0]
    }

    pub fn iter(&self) -> impl Iterator<Item = &Arc<Tenant>> {
        self.0.iter()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// A DNS name as a tenant's host: lowercase letters, digits, hyphens, dots between labels.
fn valid_host(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 253
        && name.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        })
}

/// The host of an `http(s)://host[:port]/…` address.
fn url_host(url: &str) -> Option<&str> {
    let rest = url.split_once("://")?.1;
    let authority = rest.split('/').next()?;
    Some(authority.rsplit_once(':').map_or(authority, |(host, _)| host))
}

/// A `Host` header's name: lowercase, without the port and a trailing dot.
pub fn host_name(host: &str) -> String {
    let host = host.trim();
    let name = if host.starts_with('[') {
        host.split_inclusive(']').next().unwrap_or(host)
    } else {
        host.rsplit_once(':').map_or(host, |(name, _)| name)
    };
    name.trim_end_matches('.').to_ascii_lowercase()
}

/// Folders beside the tenants' own (locally) and in the import bucket.
const RESERVED_SLUGS: [&str; 6] =
    ["outbox", "logos", "providers", "exemptions", "physicians", "reports"];

const DEFAULT_TERMS: &str = "Der Zugang ist nur für Leistungserbringer mit einem gültigen \
Institutionskennzeichen bestimmt. Abfragen sind nur mit Einwilligung der versicherten Person \
zulässig; jede Abfrage wird mit der erklärten Einwilligung protokolliert.";

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    tenant: Vec<Entry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    slug: String,
    ik: String,
    name: String,
    #[serde(default)]
    hosts: Vec<String>,
    years_shown: YearsShown,
    quota_per_day: Option<u32>,
    burst_per_minute: Option<u32>,
    session_idle_minutes: Option<u32>,
    /// The absolute limit of a session, 1 to 24 hours; default 8.
    session_absolute_hours: Option<u32>,
    #[serde(default)]
    second_factor_required: bool,
    terms: Option<String>,
    services: Vec<String>,
    letterhead: LetterheadEntry,
    look: LookEntry,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LetterheadEntry {
    sender: String,
    /// Default: `PORTAL_MAIL_FROM`.
    mail_from: Option<String>,
    #[serde(default)]
    address: Vec<String>,
    #[serde(default)]
    service_line: String,
    /// Default: `PORTAL_PUBLIC_URL`.
    portal_url: Option<String>,
    /// The KIM address the eTherapiebericht sends from: required when it is offered.
    kim_address: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LookEntry {
    logo: String,
    primary: Color,
    secondary: Color,
}

impl Entry {
    fn into_tenant(
        self,
        settings: &Settings,
        read_logo: impl Fn(&str) -> Result<String, String>,
    ) -> Result<Tenant, String> {
        let slug = TenantSlug::parse(&self.slug).map_err(|e| e.to_string())?;
        let ik = Ik::parse(&self.ik).map_err(|e| format!("ik `{}`: {e}", self.ik))?;
        let services = self
            .services
            .iter()
            .map(|s| Service::parse(s).ok_or_else(|| format!("services: unknown service `{s}`")))
            .collect::<Result<Vec<_>, _>>()?;
        for (field, colour) in [("primary", self.look.primary), ("secondary", self.look.secondary)]
        {
            let contrast = colour.contrast(Color::WHITE);
            if contrast < AA_CONTRAST {
                return Err(format!(
                    "look.{field} {colour} has a contrast of {contrast:.1}:1 with white; \
                     text needs at least {AA_CONTRAST}:1"
                ));
            }
        }
        // The logo as a file name, or inline (as the Lambdas, which have no files, take it).
        let logo_svg = if self.look.logo.trim_start().starts_with("<svg") {
            self.look.logo
        } else {
            let svg = read_logo(&self.look.logo).map_err(|e| format!("look.logo: {e}"))?;
            if !svg.contains("<svg") {
                return Err(format!("look.logo {} is not an SVG file", self.look.logo));
            }
            svg
        };
        let limit = |value: Option<u32>, default: u32, name: &str| match value {
            Some(n) if !(1..=100_000_000).contains(&n) => {
                Err(format!("{name} must lie from 1 to 100000000"))
            }
            Some(n) => Ok(n),
            None => Ok(default),
        };
        let absolute_hours = match self.session_absolute_hours {
            Some(h) if !(1..=24).contains(&h) => {
                return Err("session_absolute_hours must lie from 1 to 24".into());
            }
            Some(h) => i64::from(h),
            None => DEFAULT_SESSION_HOURS,
        };
        let hosts = self
            .hosts
            .iter()
            .map(|h| {
                // A name as it is, not a `Host` header: no port, no scheme.
                let name = h.trim().trim_end_matches('.').to_ascii_lowercase();
                valid_host(&name)
                    .then_some(name)
                    .ok_or_else(|| format!("hosts: `{h}` is not a host name"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let portal_url = self.letterhead.portal_url.unwrap_or_else(|| settings.public_url.clone());
        if !hosts.is_empty() && !hosts.iter().any(|h| url_host(&portal_url) == Some(h.as_str())) {
            return Err(format!(
                "letterhead.portal_url `{portal_url}` is not under one of the tenant's hosts"
            ));
        }
        let kim_address = match self.letterhead.kim_address.as_deref().map(KimAddress::parse) {
            Some(Ok(address)) => Some(address),
            Some(Err(e)) => return Err(format!("letterhead.kim_address: {e}")),
            None if services.contains(&Service::Etherapiebericht) => {
                return Err("letterhead.kim_address: the eTherapiebericht sends from a KIM address; name it, or leave the service out".into());
            }
            None => None,
        };
        let idle_minutes = match self.session_idle_minutes {
            Some(m) if !(1..=60).contains(&m) => {
                return Err("session_idle_minutes must lie from 1 to 60".into());
            }
            Some(m) => i64::from(m) * 60,
            None => settings.session_idle_seconds,
        };
        Ok(Tenant {
            ik,
            slug,
            name: self.name,
            hosts,
            years_shown: self.years_shown,
            quota_per_day: limit(self.quota_per_day, settings.oha.quota_per_day, "quota_per_day")?,
            burst_per_minute: limit(
                self.burst_per_minute,
                settings.oha.burst_per_minute,
                "burst_per_minute",
            )?,
            session_idle: Duration::seconds(idle_minutes),
            session_absolute: Duration::hours(absolute_hours),
            second_factor_required: self.second_factor_required,
            letterhead: Letterhead {
                sender: self.letterhead.sender,
                mail_from: self.letterhead.mail_from.unwrap_or_else(|| settings.mail_from.clone()),
                address: self.letterhead.address,
                service_line: self.letterhead.service_line,
                portal_url,
            },
            terms: self.terms.map_or_else(|| DEFAULT_TERMS.into(), |t| t.trim().to_string()),
            services,
            look: Look { logo_svg, primary: self.look.primary, secondary: self.look.secondary },
            kim_address,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> Settings {
        Settings::from_vars(|_| None, "http://127.0.0.1:8080").unwrap()
    }

    const TWO: &str = r##"
[[tenant]]
slug = "plus"
ik = "107299005"
name = "AOK PLUS"
hosts = ["plus.localhost", "Serviceportal.Plus.Example"]
years_shown = "current_and_previous_until_june_30"
services = ["oha", "etherapiebericht", "calculators"]
letterhead = { sender = "Serviceportal der AOK PLUS", mail_from = "portal@plus.example", portal_url = "http://plus.localhost:8080", kim_address = "etb@plus.aok.kim.telematik" }
look = { logo = "plus.svg", primary = "#005e3f", secondary = "#00442a" }

[[tenant]]
slug = "bayern"
ik = "108310400"
name = "AOK Bayern"
hosts = ["bayern.localhost"]
years_shown = "current"
quota_per_day = 100
session_idle_minutes = 15
services = ["oha"]
letterhead = { sender = "Serviceportal der AOK Bayern", mail_from = "portal@bayern.example", portal_url = "http://bayern.localhost:8080" }
look = { logo = "bayern.svg", primary = "#005e3f", secondary = "#1f4e79" }
"##;

    fn logo(_: &str) -> Result<String, String> {
        Ok("<svg xmlns=\"http://www.w3.org/2000/svg\"/>".into())
    }

    #[test]
    fn a_host_finds_its_tenant_whatever_its_port_and_case() {
        let tenants = Tenants::parse(TWO, &settings(), logo).unwrap();
        assert_eq!(tenants.for_host("plus.localhost:8080").unwrap().slug.as_str(), "plus");
        assert_eq!(tenants.for_host("BAYERN.localhost").unwrap().slug.as_str(), "bayern");
        assert_eq!(tenants.for_host("serviceportal.plus.example.").unwrap().name, "AOK PLUS");
        assert!(tenants.for_host("127.0.0.1:8080").is_none());
        assert!(tenants.for_host("evil.example").is_none());
    }

    #[test]
    fn what_a_tenant_leaves_out_comes_from_the_settings() {
        let tenants = Tenants::parse(TWO, &settings(), logo).unwrap();
        let (plus, bayern) = (tenants.by_slug("plus").unwrap(), tenants.by_slug("bayern").unwrap());
        assert_eq!(plus.quota_per_day, 100);
        assert_eq!(plus.session_idle, Duration::minutes(10));
        assert_eq!(bayern.session_idle, Duration::minutes(15));
        assert_eq!(plus.session_absolute, Duration::hours(8));
        assert!(!plus.second_factor_required);
        let required = TWO.replace(
            "quota_per_day = 100",
            "second_factor_required = true\nsession_absolute_hours = 4",
        );
        let tenants = Tenants::parse(&required, &settings(), logo).unwrap();
        let bayern = tenants.by_slug("bayern").unwrap();
        assert!(bayern.second_factor_required);
        assert_eq!(bayern.session_absolute, Duration::hours(4));
        assert!(bayern.offers(Service::Oha) && !bayern.offers(Service::Calculators));
    }

    #[test]
    fn the_single_tenant_serves_every_host() {
        let tenants = Tenants::single(&settings());
        assert_eq!(tenants.for_host("127.0.0.1:8080").unwrap().slug.as_str(), "portal");
        assert_eq!(tenants.for_host("anything.example").unwrap().slug.as_str(), "portal");
    }

    #[test]
    fn a_file_with_a_mistake_is_refused_naming_tenant_and_field() {
        let refused = |text: &str| Tenants::parse(text, &settings(), logo).unwrap_err().to_string();
        assert!(refused(&TWO.replace("107299005", "107299006")).contains("tenant `plus`: ik"));
        assert!(refused(&TWO.replace("#00442a", "#5ab031")).contains("look.secondary #5ab031"));
        let both = r#"hosts = ["bayern.localhost", "plus.localhost"]"#;
        assert!(
            refused(&TWO.replace(r#"hosts = ["bayern.localhost"]"#, both)).contains("named twice")
        );
        let url = r#"hosts = ["https://x"]"#;
        assert!(
            refused(&TWO.replace(r#"hosts = ["bayern.localhost"]"#, url))
                .contains("not a host name")
        );
        assert!(
            refused(&TWO.replace("slug = \"bayern\"", "slug = \"outbox\""))
                .contains("taken by a folder")
        );
        let elsewhere = TWO.replace("http://bayern.localhost:8080", "http://plus.localhost:8080");
        assert!(refused(&elsewhere).contains("not under one of the tenant's hosts"));
        let no_url = TWO.replace(", portal_url = \"http://bayern.localhost:8080\"", "");
        assert!(refused(&no_url).contains("portal_url"));
        let hours = TWO.replace("quota_per_day = 100", "session_absolute_hours = 25");
        assert!(refused(&hours).contains("session_absolute_hours must lie"));
        let zero = TWO.replace("quota_per_day = 100", "quota_per_day = 0");
        assert!(refused(&zero).contains("quota_per_day must lie"));
        assert!(
            refused(&TWO.replace("\"108310400\"", "\"107299005\""))
                .contains("second tenant has the IK")
        );
        assert!(
            refused(&TWO.replace("services = [\"oha\"]", "services = [\"fax\"]"))
                .contains("unknown service `fax`")
        );
        assert!(
            refused(&TWO.replace("hosts = [\"bayern.localhost\"]\n", ""))
                .contains("names its hosts")
        );
        assert!(refused("").contains("no tenant"));
        assert!(
            refused("[[tenant]]\nslug = \"x\"").contains("slug")
                || refused("[[tenant]]\nslug = \"x\"").contains("missing")
        );
    }

    #[test]
    fn host_names_lose_port_case_and_trailing_dot() {
        assert_eq!(host_name("Plus.Localhost:8080"), "plus.localhost");
        assert_eq!(host_name("[::1]:8080"), "[::1]");
        assert_eq!(host_name("portal.example."), "portal.example");
    }
}
