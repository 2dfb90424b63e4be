//! What the Lambda mains share: reading the settings, building the AWS clients once per cold
//! start (and the token and proof keys from KMS), and the three event handlers (letters to
//! send, reports to send, files to import). The HTTP functions run the very router the local
//! server runs, restricted to their own routes.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use aws_config::SdkConfig;
use lambda_runtime::{LambdaEvent, service_fn};
use portal_core::import::{
    ImportReport, RejectedRow, import_exemptions, import_physicians, import_providers,
};
use portal_core::model::Service;
use portal_core::therapy::{ReportKeys, Reporting, Reports, dispatch_reports};
use portal_core::{ReportDelivery, ReportQueue, Settings, Stores, SystemClock, Tenants};
use portal_document::PdfRenderer;
use portal_domain::Lang;
use portal_http::{AppState, Capability};
use portal_kim::{SmtpConfig, SmtpDelivery, Tls};
use portal_sign_kms::KmsSigningKey;
use portal_store_dynamodb::{DynamoStore, Tables};

pub use aws_lambda_events::s3::S3Event;
pub use lambda_runtime::Error;

/// JSON logs with the invocation's request id (`LoggingConfig` in the template sets
/// `AWS_LAMBDA_LOG_FORMAT=JSON`), then the shared AWS configuration.
pub async fn start() -> SdkConfig {
    lambda_http::tracing::init_default_subscriber();
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .http_client(https_client())
        .load()
        .await
}

/// The SDK's default HTTPS client (hyper 1, rustls with aws-lc, the proxy from the environment,
/// the timeouts each client sets), except that it trusts Mozilla's root certificates compiled in
/// (`webpki-root-certs`) instead of the platform's: loading those read all 147 files under
/// /etc/ssl/certs at each cold start (BENCHMARKS.md, "Cold start"). Every AWS endpoint's
/// certificate chains to one of Amazon's roots, which are in Mozilla's list.
pub fn https_client() -> aws_sdk_dynamodb::config::SharedHttpClient {
    use aws_smithy_http_client::tls::{self, TlsContext, TrustStore};
    use aws_smithy_http_client::{Builder, ConnectorBuilder, proxy::ProxyConfig};
    let roots = TrustStore::empty().with_native_roots(false).with_pem_certificate(root_pems());
    let context = TlsContext::builder()
        .with_trust_store(roots)
        .build()
        .unwrap_or_else(|_| unreachable!("a trust store alone is a valid TLS context"));
    Builder::new().build_with_connector_fn(move |settings, components| {
        let mut connector = ConnectorBuilder::default()
            .tls_provider(tls::Provider::Rustls(tls::rustls_provider::CryptoMode::AwsLc))
            .tls_context(context.clone());
        connector.set_connector_settings(settings.cloned());
        if let Some(components) = components {
            connector.set_sleep_impl(components.sleep_impl());
        }
        connector.set_proxy_config(Some(ProxyConfig::from_env()));
        connector.build()
    })
}

/// The compiled-in roots as PEM, the only form the SDK's trust store takes.
pub fn root_pems() -> Vec<u8> {
    use base64::Engine as _;
    let mut pems = String::new();
    for root in webpki_root_certs::TLS_SERVER_ROOT_CERTS {
        let text = base64::engine::general_purpose::STANDARD.encode(root.as_ref());
        pems += "-----BEGIN CERTIFICATE-----\n";
        for line in text.as_bytes().chunks(64) {
            pems += std::str::from_utf8(line).unwrap_or_default();
            pems.push('\n');
        }
        pems += "-----END CERTIFICATE-----\n";
    }
    pems.into_bytes()
}

/// The insurers this deployment serves: `infra/tenants.toml`, built into every function, so that
/// a change is reviewed, tested by the pipeline and rolled out (and back) like code, and nothing
/// is fetched at a cold start. Logos are given inline there.
pub const TENANTS: &str = include_str!("../../../infra/tenants.toml");

pub fn tenants(settings: &Settings) -> anyhow::Result<Tenants> {
    let no_files = |name: &str| Err(format!("{name}: in infra/tenants.toml a logo is inline SVG"));
    Tenants::parse(TENANTS, settings, no_files).context("infra/tenants.toml is not usable")
}

/// Each tenant's view of the tables named by `PORTAL_TABLE_*`, in the order of `tenants`; the
/// role decides what may be read.
pub fn stores(aws: &SdkConfig, tenants: &Tenants) -> Vec<Stores> {
    let client = aws_sdk_dynamodb::Client::new(aws);
    let tables = Tables::from_env();
    // The practices' own PDFs (reports and report-dispatch only; the others have no bucket,
    // nor the rights to one).
    let attachments = std::env::var("PORTAL_ATTACHMENTS_BUCKET")
        .ok()
        .filter(|bucket| !bucket.is_empty())
        .map(|bucket| (aws_sdk_s3::Client::new(aws), bucket));
    tenants
        .iter()
        .map(|tenant| {
            let store = DynamoStore::new(client.clone(), tables.clone(), &tenant.ik);
            Stores::of(match &attachments {
                Some((s3, bucket)) => store.with_attachments(s3.clone(), bucket.clone()),
                None => store,
            })
        })
        .collect()
}

pub fn settings() -> anyhow::Result<Settings> {
    // The template sets PORTAL_PUBLIC_URL; without it the letters name no address.
    Settings::from_vars(|name| std::env::var(name).ok(), "")
        .context("invalid function configuration")
}

/// What a function of `infra/template.yaml` does: serve the routes of one capability, or handle
/// one kind of event. Every function runs the same binary (`src/main.rs`); the template names the
/// function in its `PORTAL_FUNCTION`. One binary, because the functions differed only in this
/// constant and each linked the whole wiring: one optimised build instead of fifteen. What a
/// function may read or write is its role's, not its code's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Function {
    Http(Capability),
    /// Sends the queued credential letters through SES when the letters table's stream or the
    /// retry schedule wakes it.
    Dispatch,
    /// Hands the queued therapy reports to KIM when the reports table's stream or the one-minute
    /// schedule wakes it.
    ReportDispatch,
    /// Loads providers, exemptions or physicians from a file uploaded to the import bucket.
    Import,
    /// Rolls up the service figures of every tenant's days when EventBridge Scheduler wakes it.
    FiguresRollup,
}

impl Function {
    pub fn all() -> impl Iterator<Item = Function> {
        let events = [Self::Dispatch, Self::ReportDispatch, Self::Import, Self::FiguresRollup];
        Capability::ALL.into_iter().map(Self::Http).chain(events)
    }

    /// The name in the template's `PORTAL_FUNCTION` (and in the function's name).
    pub fn name(self) -> &'static str {
        match self {
            Self::Http(capability) => capability.name(),
            Self::Dispatch => "dispatch",
            Self::ReportDispatch => "report-dispatch",
            Self::Import => "import",
            Self::FiguresRollup => "figures-rollup",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        Self::all().find(|function| function.name() == name)
    }

    /// The function named by `PORTAL_FUNCTION`, or an error that lists the names there are.
    pub fn from_env() -> anyhow::Result<Self> {
        let name = std::env::var("PORTAL_FUNCTION").unwrap_or_default();
        Self::parse(&name).with_context(|| {
            let names: Vec<_> = Self::all().map(Self::name).collect();
            format!("PORTAL_FUNCTION={name:?} names no function; one of {}", names.join(", "))
        })
    }

    /// Runs until the Lambda runtime stops the process.
    pub async fn run(self) -> Result<(), Error> {
        match self {
            Self::Http(capability) => serve(capability).await,
            Self::Dispatch => run_dispatch().await,
            Self::ReportDispatch => run_report_dispatch().await,
            Self::Import => run_import().await,
            Self::FiguresRollup => run_figures_rollup().await,
        }
    }
}

/// Serves the routes of `capability` until the runtime stops the process.
pub async fn serve(capability: Capability) -> Result<(), Error> {
    let aws = start().await;
    let settings = settings()?;
    let tenants = tenants(&settings)?;
    // Letters are sent by the dispatch function, which the letters table's stream wakes; reports
    // by the report-dispatch function, which the reports table's stream wakes.
    let stores = stores(&aws, &tenants);
    // What the function holds is read once, at the cold start, side by side: the reports' key
    // material (only the functions that seal: their roles alone may read the secret), the token
    // key (the machine API's functions) and the proof key (whatever signs, checks or publishes
    // proofs). Each role may read exactly these (tests/integration/deploy.rs).
    let kms = aws_sdk_kms::Client::new(&aws);
    let secrets = aws_sdk_secretsmanager::Client::new(&aws);
    let (keys, token, proof) = tokio::try_join!(
        async {
            match reads_report_key(capability) {
                true => report_keys(&secrets).await.map(Some),
                false => Ok(None),
            }
        },
        async {
            match token_key_use(capability) {
                Some(_) => token_key(&kms).await.map(Some),
                None => Ok(None),
            }
        },
        async {
            match proof_key_use(capability) {
                Some(_) => proof_key(&kms).await.map(Some),
                None => Ok(None),
            }
        },
    )?;
    let reporting = match (&keys, seals_reports(capability)) {
        (Some(keys), true) => {
            Reporting { keys: Some(keys.clone()), renderer: Arc::new(PdfRenderer::new()) }
        }
        _ => Reporting::none(),
    };
    let mut state = AppState::wire(
        &tenants,
        &stores,
        &settings,
        &reporting,
        Arc::new(SystemClock),
        Arc::new(|| {}),
    )?;
    // The second factor's TOTP secrets, sealed with keys derived from the same material as the
    // reports' (another HKDF info), as the local portal wires them.
    if let (Some(keys), true) = (&keys, seals_account_secrets(capability)) {
        state = state.with_account_keys(keys);
    }
    // The token function signs with the token key, the FHIR function checks tokens against its
    // public half (its role may not sign).
    if let Some(key) = token {
        state = state.with_token_signer(Arc::new(key));
    }
    // The query and FHIR functions sign the proofs of their answers; the proofs function checks
    // proofs and the token function publishes the keys in its JWKS (their roles may not sign).
    if let Some(key) = proof {
        state = state.with_proof_signer(Arc::new(key));
    }
    // The information pages, built in and rendered once here.
    if capability == Capability::Content {
        state = state.with_content(&content_libraries(&tenants)?);
    }
    let router = portal_http::api_for(&[capability], state)
        .layer(axum::middleware::map_request(with_source_address));
    lambda_http::run(router).await
}

mod content_files {
    include!(concat!(env!("OUT_DIR"), "/content_files.rs"));
}

/// The content folder as built in (`content/`, see build.rs): `pages/*.md` for every insurer,
/// `tenants/<slug>/*.md` for one.
pub fn content_set() -> portal_core::content::ContentSet {
    let mut set = portal_core::content::ContentSet::default();
    for (path, text) in content_files::CONTENT_FILES {
        let file =
            portal_core::content::ContentFile { path: path.to_string(), text: text.to_string() };
        match path.split('/').collect::<Vec<_>>().as_slice() {
            ["pages", _] => set.pages.push(file),
            ["tenants", tenant, _] => set.tenants.entry(tenant.to_string()).or_default().push(file),
            // Anything else (a README beside the folders) is not a page.
            _ => {}
        }
    }
    set
}

/// Every insurer's information pages from what is built in; a problem fails the cold start
/// (tools/test checks them first, so a deploy never meets one).
pub fn content_libraries(
    tenants: &Tenants,
) -> anyhow::Result<std::collections::BTreeMap<String, portal_core::content::ContentLibrary>> {
    portal_core::content::ContentLibrary::for_tenants(
        &content_set(),
        tenants.iter().map(|t| t.slug.as_str()),
    )
    .map_err(|problems| {
        let list: Vec<String> = problems.iter().map(ToString::to_string).collect();
        anyhow::anyhow!("the built-in information pages are not usable: {}", list.join("; "))
    })
}

/// The address API Gateway saw the request come from, where the router looks for a peer's
/// (behind CloudFront that is an edge's; the template then names the viewer-address header).
async fn with_source_address(mut request: axum::extract::Request) -> axum::extract::Request {
    use lambda_http::RequestExt as _;
    use lambda_http::request::RequestContext;
    let source = match request.request_context_ref() {
        Some(RequestContext::ApiGatewayV2(context)) => context.http.source_ip.clone(),
        _ => None,
    };
    if let Some(ip) = source.and_then(|ip| ip.parse::<std::net::IpAddr>().ok()) {
        let peer = std::net::SocketAddr::new(ip, 0);
        request.extensions_mut().insert(axum::extract::ConnectInfo(peer));
    }
    request
}

/// Sends what waits in every tenant's letter queue. The event (a stream batch or the schedule)
/// only wakes the function: the queues themselves say what to send, so a lost event loses no
/// letter.
pub async fn dispatch(stores: &[Stores], mailer: &dyn portal_core::Mailer) -> Result<(), Error> {
    // Every tenant's queue each time: one tenant's failure must not hold back the others'.
    let (mut failed, mut broken) = (0, 0);
    for stores in stores {
        let (letters, accounts) = (stores.letters.as_ref(), stores.accounts.as_ref());
        let figures = Some(stores.limits.as_ref());
        match portal_core::accounts::dispatch_letters_counting(
            letters,
            accounts,
            mailer,
            &SystemClock,
            figures,
        )
        .await
        {
            Ok(done) => {
                tracing::info!(
                    sent = done.sent,
                    voided = done.voided,
                    failed = done.failed,
                    "dispatch round"
                );
                failed += done.failed;
            }
            Err(error) => {
                tracing::error!(error = %portal_core::error_chain(&error), "a tenant's queue could not be read");
                broken += 1;
            }
        }
    }
    // Either counts as an error (alarm); the letters stay queued for the next round.
    if broken > 0 {
        return Err(
            format!("{broken} queues could not be read; {failed} letters stay queued").into()
        );
    }
    if failed > 0 {
        return Err(format!("{failed} letters could not be sent and stay queued").into());
    }
    Ok(())
}

/// Runs the dispatch function: SES for mail, the letters and accounts tables for the queue.
pub async fn run_dispatch() -> Result<(), Error> {
    let aws = start().await;
    let stores = stores(&aws, &tenants(&settings()?)?);
    let mailer = portal_mail_ses::SesMailer::new(aws_sdk_ses::Client::new(&aws));
    let (stores, mailer) = (&stores, &mailer);
    lambda_runtime::run(service_fn(move |_wake: LambdaEvent<serde_json::Value>| {
        dispatch(stores, mailer)
    }))
    .await
}

/// Rolls up every tenant's figures (today so far, and the days missed); one tenant failing
/// does not stop the others, and fails the invocation so that its alarm shows it.
pub async fn roll_up_figures(tenants: &Tenants, stores: &[Stores]) -> Result<(), Error> {
    let mut failed = 0;
    for (tenant, stores) in tenants.iter().zip(stores) {
        let figures = portal_core::figures::Figures {
            tenant: tenant.clone(),
            timeline: stores.timeline.clone(),
            store: stores.figures.clone(),
            limits: stores.limits.clone(),
            clock: Arc::new(SystemClock),
        };
        if let Err(error) = figures.roll_up_due().await {
            failed += 1;
            tracing::error!(tenant = %tenant.slug, error = %portal_core::error_chain(&error), "rolling up the figures failed");
        }
        // No audit verification here: it reads every record of every chain (at a million
        // queries a day, hundreds of millions), more than one invocation can; the back office
        // shows the check `portal serve` recorded, or none.
    }
    match failed {
        0 => Ok(()),
        n => Err(format!("the figures of {n} tenants could not be rolled up").into()),
    }
}

/// Runs the roll-up function: woken by its schedule, it reads the audit table (the heads index
/// and the partitions written to since) and writes the figures into the counters table.
pub async fn run_figures_rollup() -> Result<(), Error> {
    let aws = start().await;
    let tenants = tenants(&settings()?)?;
    let stores = stores(&aws, &tenants);
    let (tenants, stores) = (&tenants, &stores);
    lambda_runtime::run(service_fn(move |_wake: LambdaEvent<serde_json::Value>| {
        roll_up_figures(tenants, stores)
    }))
    .await
}

// ------------------------------------------------------------------ the signing keys in KMS

/// The KMS key (its ARN) that signs the machine API's access tokens: set for the functions with
/// a [`token_key_use`] only.
pub const TOKEN_KEY_ID: &str = "PORTAL_TOKEN_KEY_ID";
/// Optional: further KMS keys (ARNs, comma-separated) whose public halves are published and
/// accepted besides it, for a rotation (infra/README.md, "Machine API").
pub const TOKEN_KEYS_PUBLISHED: &str = "PORTAL_TOKEN_KEYS_PUBLISHED";
/// The KMS key (its ARN) that signs the proofs of answered queries: set for the functions with
/// a [`proof_key_use`] only.
pub const PROOF_KEY_ID: &str = "PORTAL_PROOF_KEY_ID";
/// Optional: the proof keys signed with before (ARNs, comma-separated), whose public halves stay
/// published and accepted for as long as proofs are kept (years): a rotated proof key is never
/// retired (infra/RUNBOOK.md, "Rotating keys").
pub const PROOF_KEYS_PUBLISHED: &str = "PORTAL_PROOF_KEYS_PUBLISHED";

/// What a function does with a signing key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyUse {
    /// Signs (`kms:Sign`), and reads the public keys.
    Signs,
    /// Reads the public keys only (`kms:GetPublicKey`): to check signatures, or to publish them.
    ReadsPublicKeys,
}

/// Whether the function of `capability` reads the token key, and what for (the template gives
/// exactly these the key's ARN and the rights to match; `tests/integration/deploy.rs` checks).
pub fn token_key_use(capability: Capability) -> Option<KeyUse> {
    match capability {
        Capability::Token => Some(KeyUse::Signs),
        Capability::Fhir => Some(KeyUse::ReadsPublicKeys),
        _ => None,
    }
}

/// Whether the function of `capability` reads the proof key, and what for: the query and FHIR
/// functions sign the proof of every answer (without a signer they answer no query: 503), the
/// proofs function checks proofs, the token function publishes the keys in its JWKS.
pub fn proof_key_use(capability: Capability) -> Option<KeyUse> {
    match capability {
        Capability::Query | Capability::Fhir => Some(KeyUse::Signs),
        Capability::Proofs | Capability::Token => Some(KeyUse::ReadsPublicKeys),
        _ => None,
    }
}

/// The token key in KMS, its public keys read once (at the cold start).
pub async fn token_key(kms: &aws_sdk_kms::Client) -> anyhow::Result<KmsSigningKey> {
    signing_key(kms, portal_sign_kms::TOKEN_KEY_PREFIX, TOKEN_KEY_ID, TOKEN_KEYS_PUBLISHED).await
}

/// The proof key in KMS, with the public keys of the proof keys before it (read once).
pub async fn proof_key(kms: &aws_sdk_kms::Client) -> anyhow::Result<KmsSigningKey> {
    signing_key(kms, portal_sign_kms::PROOF_KEY_PREFIX, PROOF_KEY_ID, PROOF_KEYS_PUBLISHED).await
}

/// The key whose ARN the variable `key_variable` holds, with those `published_variable` lists.
async fn signing_key(
    kms: &aws_sdk_kms::Client,
    prefix: &str,
    key_variable: &str,
    published_variable: &str,
) -> anyhow::Result<KmsSigningKey> {
    let key = std::env::var(key_variable).with_context(|| format!("{key_variable} is not set"))?;
    let published = key_list(&std::env::var(published_variable).unwrap_or_default());
    KmsSigningKey::load(kms.clone(), prefix, &key, &published)
        .await
        .with_context(|| format!("cannot read the signing key {key} ({key_variable})"))
}

/// The ARNs of a comma-separated list, blanks left out.
pub fn key_list(text: &str) -> Vec<String> {
    text.split(',').map(str::trim).filter(|k| !k.is_empty()).map(str::to_string).collect()
}

// ------------------------------------------------------------------ the eTherapiebericht

/// The ARN of the Secrets Manager secret whose text is the reports' key
/// ([`ReportKeys::from_secret`]): set for the functions that [`reads_report_key`] and the
/// report-dispatch function only.
pub const REPORT_KEY_SECRET: &str = "PORTAL_REPORT_KEY_SECRET";
/// The KIM client module's host name (also the name its TLS certificate must carry).
pub const KIM_SMTP_HOST: &str = "PORTAL_KIM_SMTP_HOST";
pub const KIM_SMTP_PORT: &str = "PORTAL_KIM_SMTP_PORT";
/// `starttls` or `wrapper` (TLS from the first byte); never plain SMTP in AWS.
pub const KIM_SMTP_TLS: &str = "PORTAL_KIM_SMTP_TLS";
/// `X-KIM-Sendersystem` of the messages.
pub const KIM_SENDER_SYSTEM: &str = "PORTAL_KIM_SENDER_SYSTEM";
/// The ARN of the secret with the KIM account: JSON `{"user": …, "password": …}`, optionally
/// `"root_certificate"` (the client module's CA, PEM), see [`kim_smtp_config`].
pub const KIM_SMTP_SECRET: &str = "PORTAL_KIM_SMTP_SECRET";
/// What the report-dispatch function reads besides the settings every function has
/// (`tests/integration/deploy.rs` checks that the template sets each).
pub const REPORT_DISPATCH_VARIABLES: [&str; 6] = [
    REPORT_KEY_SECRET,
    KIM_SMTP_HOST,
    KIM_SMTP_PORT,
    KIM_SMTP_TLS,
    KIM_SENDER_SYSTEM,
    KIM_SMTP_SECRET,
];
/// The template's placeholder in the KIM secret's `user` until the operators set the account.
pub const KIM_PLACEHOLDER: &str = "SET-ME";
/// For connecting to the client module and for each of its replies.
pub const KIM_SMTP_TIMEOUT: Duration = Duration::from_secs(30);

/// Whether the function of `capability` seals and opens reports' contents, and so gets the key
/// and the renderer.
pub fn seals_reports(capability: Capability) -> bool {
    capability == Capability::Reports
}

/// Whether the function of `capability` seals and opens account secrets (the second factor's
/// TOTP secrets), with keys derived from the reports' key material.
pub fn seals_account_secrets(capability: Capability) -> bool {
    capability == Capability::Session
}

/// Whether the function of `capability` reads the secret `PORTAL_REPORT_KEY_SECRET` names (the
/// template lets only these roles, and the report-dispatch function's, read it).
pub fn reads_report_key(capability: Capability) -> bool {
    seals_reports(capability) || seals_account_secrets(capability)
}

/// The text of the secret whose ARN the variable `variable` holds.
async fn secret_text(
    secrets: &aws_sdk_secretsmanager::Client,
    variable: &str,
) -> anyhow::Result<String> {
    let id = std::env::var(variable).with_context(|| format!("{variable} is not set"))?;
    let value = secrets
        .get_secret_value()
        .secret_id(&id)
        .send()
        .await
        .with_context(|| format!("cannot read the secret {id} ({variable})"))?;
    let text = value.secret_string().with_context(|| format!("the secret {id} holds no text"))?;
    Ok(text.to_string())
}

/// The reports' key material, from the secret `PORTAL_REPORT_KEY_SECRET` names (read once, at
/// the cold start).
pub async fn report_keys(secrets: &aws_sdk_secretsmanager::Client) -> anyhow::Result<ReportKeys> {
    let text = secret_text(secrets, REPORT_KEY_SECRET).await?;
    ReportKeys::from_secret(&text).with_context(|| {
        format!(
            "the secret of {REPORT_KEY_SECRET} is shorter than {} characters",
            ReportKeys::SECRET_MIN_CHARS
        )
    })
}

/// The reports' key and the PDF renderer.
pub async fn reporting(secrets: &aws_sdk_secretsmanager::Client) -> anyhow::Result<Reporting> {
    let keys = report_keys(secrets).await?;
    Ok(Reporting { keys: Some(keys), renderer: Arc::new(PdfRenderer::new()) })
}

/// The KIM account as the secret `PORTAL_KIM_SMTP_SECRET` holds it.
#[derive(serde::Deserialize)]
struct KimAccount {
    /// KIM 1.5: `kimaddr#fachdienst:port#mandant#clientsystem#workplace`
    /// ([`portal_kim::kim_user_name`]).
    user: String,
    password: String,
    #[serde(default)]
    root_certificate: Option<String>,
}

/// The client module's SMTP settings: host, port, TLS and sender system from the variables
/// (`var`), user and password from the KIM secret's text `secret`. Refuses the template's
/// placeholder, so a stack whose KIM account was never set says so at its first cold start.
pub fn kim_smtp_config(
    var: impl Fn(&str) -> Option<String>,
    secret: &str,
) -> anyhow::Result<SmtpConfig> {
    let required = |name: &str| {
        var(name).filter(|v| !v.trim().is_empty()).with_context(|| format!("{name} is not set"))
    };
    let host = required(KIM_SMTP_HOST)?;
    let port = required(KIM_SMTP_PORT)?;
    let port: u16 =
        port.trim().parse().with_context(|| format!("{KIM_SMTP_PORT} `{port}` is no port"))?;
    let tls = match required(KIM_SMTP_TLS)?.trim() {
        "starttls" => Tls::StartTls,
        "wrapper" => Tls::Wrapper,
        other => anyhow::bail!("{KIM_SMTP_TLS} must be `starttls` or `wrapper`, not `{other}`"),
    };
    let sender_system = required(KIM_SENDER_SYSTEM)?;
    // The error quotes nothing of the text: it holds the password.
    let account: KimAccount = serde_json::from_str(secret).map_err(|_| {
        anyhow::anyhow!("the KIM secret is not JSON {{\"user\": …, \"password\": …}}")
    })?;
    if account.user.contains(KIM_PLACEHOLDER) || account.user.trim().is_empty() {
        anyhow::bail!(
            "the KIM secret still holds the template's placeholder: set the KIM account's user and password (infra/README.md, \"eTherapiebericht\")"
        );
    }
    if account.user.split('#').count() != 5 {
        tracing::warn!(
            "the KIM user is not of the form kimaddr#fachdienst:port#mandant#clientsystem#workplace"
        );
    }
    Ok(SmtpConfig {
        host,
        port,
        tls,
        user: Some(account.user),
        password: Some(account.password),
        sender_system,
        timeout: KIM_SMTP_TIMEOUT,
        root_certificate: account.root_certificate.map(String::into_bytes),
    })
}

/// One tenant's reports and queue, for the dispatcher.
pub struct ReportWork {
    /// The tenant's slug, for the logs.
    pub tenant: String,
    pub reports: Reports,
    pub queue: Arc<dyn ReportQueue>,
}

/// The reports of every tenant that offers the eTherapiebericht, on its stores (`stores` in the
/// order of `tenants`).
pub fn report_work(tenants: &Tenants, stores: &[Stores], reporting: &Reporting) -> Vec<ReportWork> {
    tenants
        .iter()
        .zip(stores)
        .filter(|(tenant, _)| tenant.offers(Service::Etherapiebericht))
        .map(|(tenant, stores)| ReportWork {
            tenant: tenant.slug.as_str().to_string(),
            reports: Reports {
                tenant: Arc::clone(tenant),
                providers: stores.providers.clone(),
                physicians: stores.physicians.clone(),
                reports: stores.reports.clone(),
                attachments: stores.attachments.clone(),
                limits: stores.limits.clone(),
                cipher: Arc::new(reporting.cipher(&tenant.ik)),
                renderer: reporting.renderer.clone(),
                clock: Arc::new(SystemClock),
                // The dispatcher queues nothing.
                reports_queued: Arc::new(|| {}),
            },
            queue: stores.report_queue.clone(),
        })
        .collect()
}

/// Sends what is due in every tenant's report queue. The event (a stream batch or the schedule)
/// only wakes the function: the queues say what to send, so a lost event loses no report. A
/// report KIM refused, or gave up on after its last try, is marked failed (logged as
/// `report failed`, which an alarm counts) without failing the invocation: retrying the event
/// would not change it. Only a queue that cannot be read fails it.
pub async fn dispatch_all_reports(
    work: &[ReportWork],
    delivery: &dyn ReportDelivery,
) -> Result<(), Error> {
    let mut broken = 0;
    for work in work {
        let tenant = work.tenant.as_str();
        match dispatch_reports(&work.reports, work.queue.as_ref(), delivery).await {
            Ok(done) if done.sent + done.failed + done.retrying + done.receipts > 0 => {
                tracing::info!(
                    tenant,
                    sent = done.sent,
                    failed = done.failed,
                    retrying = done.retrying,
                    receipts = done.receipts,
                    "report dispatch round"
                );
            }
            Ok(_) => {}
            Err(error) => {
                tracing::error!(tenant, error = %portal_core::error_chain(&error), "a tenant's report queue could not be read");
                broken += 1;
            }
        }
    }
    if broken > 0 {
        return Err(
            format!("{broken} report queues could not be read; their reports stay queued").into()
        );
    }
    Ok(())
}

/// Runs the report-dispatch function: the reports' key and the KIM account from Secrets Manager
/// (once per cold start), SMTP to the KIM client module, the reports table as the queue.
pub async fn run_report_dispatch() -> Result<(), Error> {
    let aws = start().await;
    let tenants = tenants(&settings()?)?;
    let stores = stores(&aws, &tenants);
    let secrets = aws_sdk_secretsmanager::Client::new(&aws);
    let (reporting, kim) =
        tokio::try_join!(reporting(&secrets), secret_text(&secrets, KIM_SMTP_SECRET))?;
    let config = kim_smtp_config(|name| std::env::var(name).ok(), &kim)?;
    let delivery = SmtpDelivery::new(config).context("the KIM SMTP settings are not usable")?;
    let work = report_work(&tenants, &stores, &reporting);
    let (work, delivery) = (&work, &delivery);
    lambda_runtime::run(service_fn(move |_wake: LambdaEvent<serde_json::Value>| {
        dispatch_all_reports(work, delivery)
    }))
    .await
}

// ------------------------------------------------------------------ imports

/// What an uploaded object holds, by its folder in the import bucket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Upload {
    /// `providers/…csv`
    Providers,
    /// `exemptions/…csv`; with the object metadata `replace-year: YYYY`, like
    /// `portal import exemptions --replace-year`.
    Exemptions,
    /// `physicians/…csv`: the physician directory of the eTherapiebericht.
    Physicians,
}

impl Upload {
    pub fn of_key(key: &str) -> Option<Upload> {
        if key.starts_with("providers/") {
            Some(Upload::Providers)
        } else if key.starts_with("exemptions/") {
            Some(Upload::Exemptions)
        } else if key.starts_with("physicians/") {
            Some(Upload::Physicians)
        } else {
            None
        }
    }
}

/// Where the report of an import goes: next to the file, under `reports/`, so the back office
/// finds every rejected row with its line number (logs never carry row contents: they hold KVNRs).
pub fn report_key(key: &str) -> String {
    format!("reports/{key}.txt")
}

/// The tenant an uploaded object is for: the first folder of its key names it (`plus/providers/…`);
/// with one tenant, keys without it (`providers/…`) are that tenant's too. Returns the rest of
/// the key.
pub fn tenant_of_key<'k>(tenants: &Tenants, key: &'k str) -> Option<(usize, &'k str)> {
    let named = key.split_once('/').and_then(|(slug, rest)| {
        tenants.iter().position(|t| t.slug.as_str() == slug).map(|i| (i, rest))
    });
    named.or_else(|| (tenants.len() == 1).then_some((0, key)))
}

/// Imports each uploaded object of an S3 event into its tenant's tables and writes its report.
/// Importing the same file twice changes nothing, so S3's retries are safe.
pub async fn import(
    tenants: &Tenants,
    stores: &[Stores],
    s3: &aws_sdk_s3::Client,
    event: S3Event,
) -> Result<(), Error> {
    for record in event.records {
        let (Some(bucket), Some(raw_key)) = (record.s3.bucket.name, record.s3.object.key) else {
            continue;
        };
        // Keys in S3 events are URL-encoded, with `+` for spaces.
        let key = percent_encoding::percent_decode_str(&raw_key.replace('+', " "))
            .decode_utf8()
            .context("object key is not UTF-8")?
            .into_owned();
        let Some((tenant, path)) = tenant_of_key(tenants, &key) else {
            // Said where the back office looks, not only in the log.
            let slugs: Vec<&str> = tenants.iter().map(|t| t.slug.as_str()).collect();
            let text = format!(
                "{key}: Der Pfad nennt keine Krankenkasse; nichts wurde importiert. Bitte unter <Kasse>/providers/, <Kasse>/exemptions/ oder <Kasse>/physicians/ hochladen (Kassen: {}).\n",
                slugs.join(", ")
            );
            write_report(s3, &bucket, &key, text).await?;
            tracing::warn!(key, "ignored: the key names no tenant");
            continue;
        };
        let Some(upload) = Upload::of_key(path) else {
            tracing::warn!(key, "ignored: not under providers/, exemptions/ or physicians/");
            continue;
        };
        let stores = &stores[tenant];
        let object = s3.get_object().bucket(&bucket).key(&key).send().await?;
        let replace_year = match object.metadata().and_then(|m| m.get("replace-year")) {
            None => Ok(None),
            Some(year) => year.trim().parse::<i32>().map(Some).map_err(|_| year.clone()),
        };
        let mut rejected: Vec<RejectedRow> = Vec::new();
        let report = match replace_year {
            Err(year) => Err(ImportFailure::ReplaceYear(year)),
            Ok(replace_year) => {
                // Whole files in memory: the CSV reader is synchronous; 1 GB of memory takes
                // files of several million rows.
                let bytes =
                    object.body.collect().await.context("cannot read the object")?.into_bytes();
                match upload {
                    Upload::Providers => {
                        import_providers(stores.providers.as_ref(), &bytes[..], &mut rejected).await
                    }
                    Upload::Exemptions => {
                        let exemptions = stores.exemptions.as_ref();
                        import_exemptions(exemptions, &bytes[..], replace_year, &mut rejected).await
                    }
                    Upload::Physicians => {
                        let physicians = stores.physicians.as_ref();
                        import_physicians(physicians, &bytes[..], &mut rejected).await
                    }
                }
                .map_err(ImportFailure::Import)
            }
        };
        let text = match &report {
            Ok(report) => report_text(&key, report, &rejected),
            Err(failure) => format!("{key}: {}\n", failure.describe(Lang::De)),
        };
        write_report(s3, &bucket, &key, text).await?;
        let report = report.map_err(|failure| {
            anyhow::anyhow!("{key}: {}; see {}", failure.for_logs(), report_key(&key))
        })?;
        tracing::info!(key, imported = report.imported, rejected = report.rejected, "import done");
    }
    Ok(())
}

/// The report of the upload `key`, where the back office finds it (`report_key`).
async fn write_report(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    key: &str,
    text: String,
) -> Result<(), Error> {
    s3.put_object()
        .bucket(bucket)
        .key(report_key(key))
        .content_type("text/plain; charset=utf-8")
        .body(text.into_bytes().into())
        .send()
        .await?;
    Ok(())
}

/// Why an uploaded file was not imported, for its report.
enum ImportFailure {
    /// The object's `replace-year` metadata is not a year: nothing is imported, as a typo there
    /// would otherwise import the file without removing the year's outdated exemptions.
    ReplaceYear(String),
    Import(portal_core::import::ImportError),
}

impl ImportFailure {
    fn describe(&self, lang: Lang) -> String {
        match (self, lang) {
            (ImportFailure::ReplaceYear(year), Lang::De) => format!(
                "Die Metadaten-Angabe replace-year `{year}` ist keine Jahreszahl. Es wurde nichts importiert."
            ),
            (ImportFailure::ReplaceYear(year), Lang::En) => {
                format!("The metadata replace-year `{year}` is not a year. Nothing was imported.")
            }
            (ImportFailure::Import(error), lang) => error.describe(lang),
        }
    }

    /// For the function's error, which Lambda logs: without what the file or its metadata hold
    /// (a missing header line makes the first row, a KVNR and a name, "the header").
    fn for_logs(&self) -> String {
        use portal_core::import::ImportError;
        match self {
            ImportFailure::ReplaceYear(_) => "the metadata replace-year is not a year".into(),
            ImportFailure::Import(ImportError::Header { .. }) => {
                "the header line is not the expected one; nothing was imported".into()
            }
            ImportFailure::Import(ImportError::Read { line, .. }) => {
                format!("the file could not be read after line {line}")
            }
            ImportFailure::Import(error @ ImportError::Store(_)) => error.to_string(),
        }
    }
}

/// The import report in German: the summary, then one rejected row per line, as the command
/// line prints them.
pub fn report_text(key: &str, report: &ImportReport, rejected: &[RejectedRow]) -> String {
    let mut text = format!("{key}: {}\n", report.summary(Lang::De));
    for row in rejected {
        text += &format!("{}\n", row.describe(Lang::De));
    }
    text
}

/// Runs the import function: the bucket's uploads into the providers and exemptions tables.
pub async fn run_import() -> Result<(), Error> {
    let aws = start().await;
    let tenants = tenants(&settings()?)?;
    let stores = stores(&aws, &tenants);
    let s3 = aws_sdk_s3::Client::new(&aws);
    let (tenants, stores, s3) = (&tenants, &stores, &s3);
    lambda_runtime::run(service_fn(move |event: LambdaEvent<S3Event>| {
        import(tenants, stores, s3, event.payload)
    }))
    .await
}
