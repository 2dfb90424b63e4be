//! A tenant: one insurer served by the deployment, with its rules, its letterhead and its look.

use portal_domain::therapy::KimAddress;
use portal_domain::{Color, Ik, TenantSlug, YearsShown};
use time::Duration;

use super::Sender;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tenant {
    /// The insurer's IK: the tenant's key in every store.
    pub ik: Ik,
    pub slug: TenantSlug,
    /// As providers know it: "AOK PLUS".
    pub name: String,
    /// The host names it is served under, lowercase, without port. Empty: every host (only
    /// when it is the one tenant).
    pub hosts: Vec<String>,
    pub years_shown: YearsShown,
    /// Queries per provider and German calendar day.
    pub quota_per_day: u32,
    /// Queries per provider and minute.
    pub burst_per_minute: u32,
    pub session_idle: Duration,
    /// A session ends this long after its login, however active (BSI TR-03161 O.Auth_10).
    pub session_absolute: Duration,
    /// Whether providers must use a second factor: one without is led through enrolment right
    /// after the password step, and can do nothing else before.
    pub second_factor_required: bool,
    pub letterhead: Letterhead,
    /// The terms of use a provider accepts when registering.
    pub terms: String,
    pub services: Vec<Service>,
    pub look: Look,
    /// The KIM address the eTherapiebericht sends from (required when it is offered).
    pub kim_address: Option<KimAddress>,
}

/// Who the letters come from and what their head and foot say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Letterhead {
    /// "AOK PLUS – Die Gesundheitskasse für Sachsen und Thüringen."
    pub sender: String,
    pub mail_from: String,
    /// The postal address, one line each.
    pub address: Vec<String>,
    /// "Servicetelefon: 0800 1059000 (deutschlandweit kostenfrei)".
    pub service_line: String,
    /// Where providers reach this tenant's portal.
    pub portal_url: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Service {
    Oha,
    Etherapiebericht,
    Calculators,
}

impl Service {
    pub const ALL: [Service; 3] = [Service::Oha, Service::Etherapiebericht, Service::Calculators];

    pub fn as_str(self) -> &'static str {
        match self {
            Service::Oha => "oha",
            Service::Etherapiebericht => "etherapiebericht",
            Service::Calculators => "calculators",
        }
    }

    pub fn parse(s: &str) -> Option<Service> {
        Service::ALL.into_iter().find(|service| service.as_str() == s)
    }
}

/// How the app looks for this tenant. Both colours carry white text and are used as text on
/// white, so each keeps a contrast of at least 4.5:1 (WCAG AA) with white.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Look {
    /// The logo as SVG text.
    pub logo_svg: String,
    pub primary: Color,
    pub secondary: Color,
}

impl Tenant {
    pub fn offers(&self, service: Service) -> bool {
        self.services.contains(&service)
    }

    /// Whether this tenant answers requests for `host` (lowercase, without port).
    pub fn serves(&self, host: &str) -> bool {
        self.hosts.iter().any(|h| h == host)
    }

    /// The sender of this tenant's letters.
    pub fn sender(&self) -> Sender {
        Sender {
            name: self.letterhead.sender.clone(),
            address: self.letterhead.mail_from.clone(),
            portal_url: self.letterhead.portal_url.clone(),
            postal_address: self.letterhead.address.clone(),
            service_line: self.letterhead.service_line.clone(),
        }
    }
}
