use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::{Context, bail};
use portal_core::accounts::{Policy, Sender};
use portal_core::oha::OhaSettings;
use portal_domain::Lang;

/// Which store the portal works on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreKind {
    /// The SQLite file `portal.db` in the data folder.
    Embedded,
    /// The DynamoDB tables named by `PORTAL_TABLE_*`; `AWS_ENDPOINT_URL_DYNAMODB` points the client at
    /// DynamoDB Local.
    DynamoDb,
}

/// Settings from the environment, so the same binary runs on a laptop and in a container.
#[derive(Debug, Clone)]
pub struct Config {
    /// `PORTAL_ADDR`, default `127.0.0.1:8080`.
    pub addr: SocketAddr,
    /// `PORTAL_DATA_DIR`, default `./var`: the store file and the mail outbox.
    pub data_dir: PathBuf,
    /// `PORTAL_STATIC_DIR`, default `frontend/dist`: the built single-page app.
    pub static_dir: PathBuf,
    /// `PORTAL_STORE`: `embedded` (default) or `dynamodb`.
    pub store: StoreKind,
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
    /// `PORTAL_QUERY_QUOTA_PER_DAY` (default 100), `PORTAL_QUERY_BURST_PER_MINUTE` (default 20),
    /// `PORTAL_AUDIT_RETENTION_DAYS` (default 730).
    pub oha: OhaSettings,
}

impl Config {
    pub fn from_env() -> anyhow::Result<Config> {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        let addr = var("PORTAL_ADDR").unwrap_or_else(|| "127.0.0.1:8080".into());
        let store = match var("PORTAL_STORE").as_deref() {
            None | Some("embedded") => StoreKind::Embedded,
            Some("dynamodb") => StoreKind::DynamoDb,
            Some(other) => bail!("PORTAL_STORE must be `embedded` or `dynamodb`, not `{other}`"),
        };
        Ok(Config {
            addr: addr.parse().with_context(|| {
                format!("PORTAL_ADDR `{addr}` is not an address like 127.0.0.1:8080")
            })?,
            data_dir: var("PORTAL_DATA_DIR").unwrap_or_else(|| "var".into()).into(),
            static_dir: var("PORTAL_STATIC_DIR").unwrap_or_else(|| "frontend/dist".into()).into(),
            store,
            public_url: var("PORTAL_PUBLIC_URL").unwrap_or_else(|| format!("http://{addr}")),
            mail_from: var("PORTAL_MAIL_FROM")
                .unwrap_or_else(|| "serviceportal@portal.example".into()),
            session_idle_seconds: number(
                var("PORTAL_SESSION_IDLE_SECONDS"),
                "PORTAL_SESSION_IDLE_SECONDS",
                600,
                10..=3600,
            )?,
            challenge_difficulty: number(
                var("PORTAL_CHALLENGE_DIFFICULTY"),
                "PORTAL_CHALLENGE_DIFFICULTY",
                16,
                0..=24,
            )?,
            challenges_per_minute: number(
                var("PORTAL_CHALLENGES_PER_MINUTE"),
                "PORTAL_CHALLENGES_PER_MINUTE",
                600,
                1..=1_000_000,
            )?,
            oha: OhaSettings {
                quota_per_day: number(
                    var("PORTAL_QUERY_QUOTA_PER_DAY"),
                    "PORTAL_QUERY_QUOTA_PER_DAY",
                    100,
                    1..=100_000_000,
                )?,
                burst_per_minute: number(
                    var("PORTAL_QUERY_BURST_PER_MINUTE"),
                    "PORTAL_QUERY_BURST_PER_MINUTE",
                    20,
                    1..=100_000_000,
                )?,
                retention: time::Duration::days(number(
                    var("PORTAL_AUDIT_RETENTION_DAYS"),
                    "PORTAL_AUDIT_RETENTION_DAYS",
                    730,
                    1..=3650,
                )?),
            },
        })
    }

    /// The access rules with this configuration's adjustments.
    pub fn policy(&self) -> Policy {
        Policy {
            session_idle: time::Duration::seconds(self.session_idle_seconds),
            challenge_difficulty: self.challenge_difficulty,
            challenges_per_minute: self.challenges_per_minute,
            ..Policy::default()
        }
    }

    pub fn sender(&self) -> Sender {
        Sender {
            address: self.mail_from.clone(),
            portal_url: self.public_url.clone(),
            ..Sender::default()
        }
    }
}

fn number<T: std::str::FromStr + PartialOrd + std::fmt::Display + Copy>(
    value: Option<String>,
    name: &str,
    default: T,
    range: std::ops::RangeInclusive<T>,
) -> anyhow::Result<T> {
    let Some(value) = value else { return Ok(default) };
    match value.trim().parse::<T>() {
        Ok(n) if range.contains(&n) => Ok(n),
        _ => bail!(
            "{name} must be a number from {} to {}, not `{value}`",
            range.start(),
            range.end()
        ),
    }
}

/// The language of the back office's terminal: English when the locale says so, else German.
pub fn terminal_lang() -> Lang {
    ["LC_ALL", "LC_MESSAGES", "LANG"]
        .iter()
        .find_map(|name| std::env::var(name).ok().filter(|v| !v.is_empty()))
        .map_or(Lang::De, |locale| if locale.starts_with("en") { Lang::En } else { Lang::De })
}
