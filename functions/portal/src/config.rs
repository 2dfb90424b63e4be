use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::{Context, bail};
use portal_core::Settings;
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
    /// `PORTAL_ANCHOR_LOG`, default `<data dir>/audit-anchors.log`: where the audit chains'
    /// anchors are appended.
    pub anchor_log: PathBuf,
    /// `PORTAL_ANCHOR_KEY`, default `<data dir>/anchor-key.pk8`: the anchors' signing key (made
    /// on first use). Best kept outside the data folder, so that a copy of it holds no key.
    pub anchor_key: PathBuf,
    /// What the Lambdas read too: limits, timeouts, the letters' sender.
    pub settings: Settings,
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
        let data_dir: PathBuf = var("PORTAL_DATA_DIR").unwrap_or_else(|| "var".into()).into();
        Ok(Config {
            addr: addr.parse().with_context(|| {
                format!("PORTAL_ADDR `{addr}` is not an address like 127.0.0.1:8080")
            })?,
            anchor_log: var("PORTAL_ANCHOR_LOG")
                .map_or_else(|| data_dir.join("audit-anchors.log"), PathBuf::from),
            anchor_key: var("PORTAL_ANCHOR_KEY")
                .map_or_else(|| data_dir.join("anchor-key.pk8"), PathBuf::from),
            data_dir,
            static_dir: var("PORTAL_STATIC_DIR").unwrap_or_else(|| "frontend/dist".into()).into(),
            store,
            settings: Settings::from_vars(
                |name| std::env::var(name).ok(),
                &format!("http://{addr}"),
            )?,
        })
    }
}

/// The language of the back office's terminal: English when the locale says so, else German.
pub fn terminal_lang() -> Lang {
    ["LC_ALL", "LC_MESSAGES", "LANG"]
        .iter()
        .find_map(|name| std::env::var(name).ok().filter(|v| !v.is_empty()))
        .map_or(Lang::De, |locale| if locale.starts_with("en") { Lang::En } else { Lang::De })
}
