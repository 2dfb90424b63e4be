//! The settings every entry point reads from `PORTAL_*` variables, the local server and each
//! Lambda alike, so that one name means one thing everywhere.

use std::fmt::Display;
use std::ops::RangeInclusive;
use std::str::FromStr;

use time::Duration;

use crate::model::Policy;
use crate::oha::OhaSettings;

#[derive(Debug, Clone)]
pub struct Settings {
    /// `PORTAL_PUBLIC_URL`: where providers reach the portal, for the letters.
    pub public_url: String,
    /// `PORTAL_MAIL_FROM`: the sender of the letters.
    pub mail_from: String,
    /// `PORTAL_SESSION_IDLE_SECONDS` (default 600): a shorter timeout for trying the session end.
    pub session_idle_seconds: i64,
    /// `PORTAL_CHALLENGE_DIFFICULTY` (default 16): leading zero bits of the registration check.
    pub challenge_difficulty: u8,
    /// `PORTAL_CHALLENGES_PER_MINUTE` (default 600): registration checks issued per minute in all.
    pub challenges_per_minute: u32,
    /// `PORTAL_CLIENT_ADDRESS_HEADER`: the header in which a proxy in front names the client's
    /// address (`cloudfront-viewer-address` behind CloudFront); unset, the connection's peer.
    pub client_address_header: Option<String>,
    /// `PORTAL_TENANT_HOST_HEADER`: the header in which a proxy in front names the host the
    /// browser asked for (CloudFront's viewer host, `x-forwarded-host`); unset, `Host`.
    pub tenant_host_header: Option<String>,
    /// `PORTAL_ORIGIN_SECRET`: when set, those headers are believed only on requests that carry
    /// `x-origin-verify` with this value, which only the proxy adds.
    pub origin_secret: Option<String>,
    /// `PORTAL_QUERY_QUOTA_PER_DAY` (default 100), `PORTAL_QUERY_BURST_PER_MINUTE` (default 20),
    /// `PORTAL_QUERIES_PER_CLIENT_PER_MINUTE` (default 300, all providers at one address),
    /// `PORTAL_AUDIT_RETENTION_DAYS` (default 730).
    pub oha: OhaSettings,
}

/// A variable that is set but unusable: the message names it and the allowed values.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct SettingsError(String);

impl Settings {
    /// Reads the settings through `var` (the environment, or a map in tests); unset or blank
    /// variables take their defaults. `default_public_url` depends on where the entry point runs.
    pub fn from_vars(
        var: impl Fn(&str) -> Option<String>,
        default_public_url: &str,
    ) -> Result<Settings, SettingsError> {
        let var = |name: &str| var(name).filter(|v| !v.trim().is_empty());
        let number = |name: &'static str| (name, var(name));
        if var("PORTAL_CLIENT_ADDRESS_HEADER").is_some() && var("PORTAL_ORIGIN_SECRET").is_none() {
            return Err(SettingsError(
                "PORTAL_CLIENT_ADDRESS_HEADER needs PORTAL_ORIGIN_SECRET: without it anyone could name their own address".into(),
            ));
        }
        if var("PORTAL_TENANT_HOST_HEADER").is_some() && var("PORTAL_ORIGIN_SECRET").is_none() {
            return Err(SettingsError(
                "PORTAL_TENANT_HOST_HEADER needs PORTAL_ORIGIN_SECRET: without it anyone could name their own insurer".into(),
            ));
        }
        Ok(Settings {
            public_url: var("PORTAL_PUBLIC_URL").unwrap_or_else(|| default_public_url.into()),
            mail_from: var("PORTAL_MAIL_FROM")
                .unwrap_or_else(|| "serviceportal@portal.example".into()),
            session_idle_seconds: within(number("PORTAL_SESSION_IDLE_SECONDS"), 600, 10..=3600)?,
            challenge_difficulty: within(number("PORTAL_CHALLENGE_DIFFICULTY"), 16, 0..=24)?,
            challenges_per_minute: within(
                number("PORTAL_CHALLENGES_PER_MINUTE"),
                600,
                1..=1_000_000,
            )?,
            client_address_header: var("PORTAL_CLIENT_ADDRESS_HEADER")
                .map(|name| name.trim().to_ascii_lowercase()),
            tenant_host_header: var("PORTAL_TENANT_HOST_HEADER")
                .map(|name| name.trim().to_ascii_lowercase()),
            origin_secret: var("PORTAL_ORIGIN_SECRET"),
            oha: OhaSettings {
                quota_per_day: within(number("PORTAL_QUERY_QUOTA_PER_DAY"), 100, 1..=100_000_000)?,
                burst_per_minute: within(
                    number("PORTAL_QUERY_BURST_PER_MINUTE"),
                    20,
                    1..=100_000_000,
                )?,
                queries_per_client_per_minute: within(
                    number("PORTAL_QUERIES_PER_CLIENT_PER_MINUTE"),
                    300,
                    1..=100_000_000,
                )?,
                retention: Duration::days(within(
                    number("PORTAL_AUDIT_RETENTION_DAYS"),
                    730,
                    1..=3650,
                )?),
                ..OhaSettings::default()
            },
        })
    }

    /// The access rules with these settings' adjustments.
    pub fn policy(&self) -> Policy {
        Policy {
            session_idle: Duration::seconds(self.session_idle_seconds),
            challenge_difficulty: self.challenge_difficulty,
            challenges_per_minute: self.challenges_per_minute,
            ..Policy::default()
        }
    }
}

/// The variable's value (`default` when unset) if it is a number in `range`.
fn within<T: FromStr + PartialOrd + Display + Copy>(
    (name, value): (&str, Option<String>),
    default: T,
    range: RangeInclusive<T>,
) -> Result<T, SettingsError> {
    let Some(value) = value else { return Ok(default) };
    match value.trim().parse::<T>() {
        Ok(n) if range.contains(&n) => Ok(n),
        _ => Err(SettingsError(format!(
            "{name} must be a number from {} to {}, not `{value}`",
            range.start(),
            range.end()
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(vars: &[(&str, &str)]) -> Result<Settings, SettingsError> {
        let vars: Vec<(String, String)> =
            vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        Settings::from_vars(
            |name| vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()),
            "http://127.0.0.1:8080",
        )
    }

    #[test]
    fn unset_and_blank_variables_take_the_defaults() {
        let defaults = settings(&[("PORTAL_QUERY_QUOTA_PER_DAY", "  ")]).unwrap();
        assert_eq!(defaults.oha.quota_per_day, 100);
        assert_eq!(defaults.session_idle_seconds, 600);
        assert_eq!(defaults.public_url, "http://127.0.0.1:8080");
    }

    #[test]
    fn a_value_out_of_range_is_refused_with_its_name_and_range() {
        let error = settings(&[("PORTAL_SESSION_IDLE_SECONDS", "5")]).unwrap_err();
        assert_eq!(
            error.to_string(),
            "PORTAL_SESSION_IDLE_SECONDS must be a number from 10 to 3600, not `5`"
        );
        assert!(settings(&[("PORTAL_QUERY_QUOTA_PER_DAY", "viele")]).is_err());
    }

    #[test]
    fn set_values_reach_the_policy_and_the_letters() {
        let s = settings(&[
            ("PORTAL_SESSION_IDLE_SECONDS", "60"),
            ("PORTAL_MAIL_FROM", "portal@kasse.example"),
        ])
        .unwrap();
        assert_eq!(s.policy().session_idle, Duration::seconds(60));
        assert_eq!(s.mail_from, "portal@kasse.example");
    }
}
