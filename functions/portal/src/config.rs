use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use portal_core::model::Tenant;
use portal_core::{Settings, Tenants};
use portal_domain::Lang;
use portal_kim::{DEFAULT_SENDER_SYSTEM, SmtpConfig, Tls};

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
    /// `PORTAL_DATA_DIR`, default `./var`: the tenants file, a folder per tenant (its store
    /// file and audit anchors) and the mail outbox.
    pub data_dir: PathBuf,
    /// `PORTAL_TENANTS`, default `<data dir>/tenants.toml`: the insurers this portal serves.
    /// Without the file it serves one, under every host name.
    pub tenants_file: PathBuf,
    /// `PORTAL_STATIC_DIR`, default `frontend/dist`: the built single-page app.
    pub static_dir: PathBuf,
    /// `PORTAL_STORE`: `embedded` (default) or `dynamodb`.
    pub store: StoreKind,
    /// `PORTAL_CONTENT_DIR`, default `content`: the information pages (`pages/*.md`, and an
    /// insurer's own in `tenants/<slug>/*.md`), rendered once at start.
    pub content_dir: PathBuf,
    /// `PORTAL_ANCHOR_KEY`, default `<data dir>/anchor-key.pk8`: the anchors' signing key (made
    /// on first use). Best kept outside the data folder, so that a copy of it holds no key.
    pub anchor_key: PathBuf,
    /// `PORTAL_REPORT_KEY`, default `<data dir>/report-key`: the key that seals the therapy
    /// reports' contents (made on first use). Keep it outside the data folder, so that a copy of
    /// the stores holds no readable report.
    pub report_key: PathBuf,
    /// `PORTAL_TOKEN_KEY`, default `<data dir>/token-key.pk8`: the ECDSA P-256 key that signs
    /// the machine API's access tokens (made on first use). Keep it outside the data folder.
    pub token_key: PathBuf,
    /// `PORTAL_PROOF_KEY`, default `<data dir>/proof-key.pk8`: the ECDSA P-256 key that signs
    /// the proofs of answered queries (made on first use, published at `/oauth/jwks.json`). A
    /// key apart from the tokens': it must stay published as long as proofs are kept (years).
    /// Keep it outside the data folder, and keep it after rotating.
    pub proof_key: PathBuf,
    /// `PORTAL_KIM_SMTP` (`host:port` of a KIM client module), with `PORTAL_KIM_SMTP_TLS`
    /// (`starttls`, the default; `wrapper`; `none` for a module on the same host),
    /// `PORTAL_KIM_SMTP_USER` (KIM 1.5: `kimaddr#fachdienst:port#mandant#clientsystem#workplace`)
    /// and `PORTAL_KIM_SMTP_PASSWORD`: where therapy reports are sent. Without it they go to
    /// `<data dir>/outbox/etb/` (receipts are read from `outbox/etb/in/`).
    pub kim_smtp: Option<SmtpConfig>,
    /// `PORTAL_ANCHOR_LOG`: where each tenant's audit anchors are appended, `{tenant}` standing
    /// for its short name; default `<data dir>/{tenant}/audit-anchors.log`.
    pub anchor_log: Option<String>,
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
            tenants_file: var("PORTAL_TENANTS")
                .map_or_else(|| data_dir.join("tenants.toml"), PathBuf::from),
            anchor_log: var("PORTAL_ANCHOR_LOG"),
            anchor_key: var("PORTAL_ANCHOR_KEY")
                .map_or_else(|| data_dir.join("anchor-key.pk8"), PathBuf::from),
            report_key: var("PORTAL_REPORT_KEY")
                .map_or_else(|| data_dir.join("report-key"), PathBuf::from),
            token_key: var("PORTAL_TOKEN_KEY")
                .map_or_else(|| data_dir.join("token-key.pk8"), PathBuf::from),
            proof_key: var("PORTAL_PROOF_KEY")
                .map_or_else(|| data_dir.join("proof-key.pk8"), PathBuf::from),
            kim_smtp: kim_smtp(&var)?,
            data_dir,
            static_dir: var("PORTAL_STATIC_DIR").unwrap_or_else(|| "frontend/dist".into()).into(),
            store,
            content_dir: var("PORTAL_CONTENT_DIR").unwrap_or_else(|| "content".into()).into(),
            settings: Settings::from_vars(
                |name| std::env::var(name).ok(),
                &format!("http://{addr}"),
            )?,
        })
    }
}

/// The KIM client module's SMTP settings, if `PORTAL_KIM_SMTP` names one.
fn kim_smtp(var: &dyn Fn(&str) -> Option<String>) -> anyhow::Result<Option<SmtpConfig>> {
    let Some(address) = var("PORTAL_KIM_SMTP") else { return Ok(None) };
    let (host, port) = address
        .rsplit_once(':')
        .and_then(|(host, port)| Some((host.to_string(), port.parse().ok()?)))
        .with_context(|| format!("PORTAL_KIM_SMTP `{address}` is not host:port"))?;
    let tls = match var("PORTAL_KIM_SMTP_TLS").as_deref() {
        None | Some("starttls") => Tls::StartTls,
        Some("wrapper") => Tls::Wrapper,
        Some("none") => Tls::None,
        Some(other) => {
            bail!("PORTAL_KIM_SMTP_TLS must be `starttls`, `wrapper` or `none`, not `{other}`")
        }
    };
    Ok(Some(SmtpConfig {
        host,
        port,
        tls,
        user: var("PORTAL_KIM_SMTP_USER"),
        password: var("PORTAL_KIM_SMTP_PASSWORD"),
        sender_system: DEFAULT_SENDER_SYSTEM.into(),
        timeout: std::time::Duration::from_secs(30),
        root_certificate: None,
    }))
}

impl Config {
    /// The tenants of the tenants file, or the one tenant of a deployment without one.
    pub fn tenants(&self) -> anyhow::Result<Tenants> {
        let path = &self.tenants_file;
        if !path.exists() {
            // The tables of a deployment hold its tenants' data under their IKs: only its own
            // tenants file says which, a default would read and write under another key.
            if self.store == StoreKind::DynamoDb {
                bail!(
                    "with PORTAL_STORE=dynamodb name the deployment's tenants file: PORTAL_TENANTS=infra/tenants.toml (not found: {})",
                    path.display()
                );
            }
            return Ok(Tenants::single(&self.settings));
        }
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read the tenants file {}", path.display()))?;
        let folder = path.parent().unwrap_or(Path::new("."));
        let read_logo = |name: &str| {
            std::fs::read_to_string(folder.join(name)).map_err(|e| format!("{name}: {e}"))
        };
        let tenants = Tenants::parse(&text, &self.settings, read_logo)
            .with_context(|| format!("the tenants file {} is not usable", path.display()))?;
        if tenants.len() > 1 && self.anchor_log.as_ref().is_some_and(|t| !t.contains("{tenant}")) {
            bail!(
                "PORTAL_ANCHOR_LOG must contain {{tenant}}: each tenant's anchors go to a log of its own"
            );
        }
        Ok(tenants)
    }

    /// The folder of one tenant's data: its store file and its audit anchors.
    pub fn tenant_dir(&self, tenant: &Tenant) -> PathBuf {
        self.data_dir.join(tenant.slug.as_str())
    }

    /// Where a tenant's audit anchors are appended.
    pub fn anchor_log(&self, tenant: &Tenant) -> PathBuf {
        match &self.anchor_log {
            Some(template) => template.replace("{tenant}", tenant.slug.as_str()).into(),
            None => self.tenant_dir(tenant).join("audit-anchors.log"),
        }
    }
}

/// The language of the back office's terminal: English when the locale says so, else German.
pub fn terminal_lang() -> Lang {
    ["LC_ALL", "LC_MESSAGES", "LANG"]
        .iter()
        .find_map(|name| std::env::var(name).ok().filter(|v| !v.is_empty()))
        .map_or(Lang::De, |locale| if locale.starts_with("en") { Lang::En } else { Lang::De })
}
