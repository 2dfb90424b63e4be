//! What the tests stand on: real stores (a SQLite file in a temp folder; DynamoDB Local with fresh
//! tables per test), a clock the tests move, and `spawn_app()`: the portal on a free port with
//! its letters written to an outbox folder.

use std::io::{BufRead, BufReader};
use std::net::{SocketAddr, TcpListener as StdListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use aws_sdk_dynamodb::config::{BehaviorVersion, Credentials, Region};
use portal::config::{Config, StoreKind};
use portal::stores::TenantStores;
use portal_core::{Clock, Mailer, Settings, Stores, Tenants};
use portal_domain::Ik;
use portal_mail_outbox::OutboxMailer;
use portal_store_dynamodb::{DynamoStore, Tables};
use portal_store_embedded::EmbeddedStore;
use tempfile::TempDir;
use time::OffsetDateTime;

pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The `portal` binary on the store in `data_dir`, speaking German whatever the machine's locale.
pub fn portal_command(data_dir: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_portal"));
    command
        .env("PORTAL_DATA_DIR", data_dir)
        .env("LANG", "de_DE.UTF-8")
        .env_remove("LC_ALL")
        .env_remove("LC_MESSAGES");
    command
}

/// A SQLite store in a folder of its own that lives as long as the value.
pub struct Embedded {
    pub store: EmbeddedStore,
    pub dir: TempDir,
}

/// The insurer the store tests work for (any tenant would do).
pub fn tenant_ik() -> Ik {
    Ik::parse("107299005").unwrap()
}

pub fn embedded() -> Embedded {
    let dir = tempfile::tempdir().expect("a temp folder");
    let store =
        EmbeddedStore::open(&dir.path().join("portal.db"), &tenant_ik()).expect("the store opens");
    Embedded { store, dir }
}

/// A local emulator (DynamoDB Local, the SES and the S3 emulator), started once per test binary.
/// A watchdog shell stops it as soon as this process ends, however it ends: it waits for
/// end-of-file on its stdin, which is our pipe. It also gives the emulator a scratch folder,
/// `$scratch`, and removes it afterwards.
struct Emulator {
    endpoint: String,
    _watchdog: Option<Child>,
}

impl Emulator {
    /// Runs `command` (which gets the port as `{port}`) in `dir` and waits until the port answers.
    fn start(name: &str, dir: &Path, command: &str) -> Emulator {
        let port = free_port();
        let command = command.replace("{port}", &port.to_string());
        let script = format!(
            "scratch=$(mktemp -d); {command} >/dev/null 2>&1 & child=$!; \
             trap 'kill $child 2>/dev/null; wait $child; rm -rf \"$scratch\"' EXIT; echo started; read -r _"
        );
        let mut watchdog = Command::new("bash")
            .args(["-c", &script])
            .current_dir(dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("bash starts {name}: {e}"));
        let mut line = String::new();
        let stdout = watchdog.stdout.take().expect("piped stdout");
        BufReader::new(stdout).read_line(&mut line).expect("the watchdog reports");
        wait_for_port(name, port, Duration::from_secs(60));
        Emulator { endpoint: format!("http://127.0.0.1:{port}"), _watchdog: Some(watchdog) }
    }
}

/// Where `tools/setup --test` installed a tool, checked so a missing install says what to do.
fn installed(tool: &str, marker: &str) -> PathBuf {
    let dir = repo_root().join(".tools").join(tool);
    assert!(
        dir.join(marker).is_file(),
        "{tool} is not installed in {}: run tools/setup --test",
        dir.display()
    );
    dir
}

fn dynamodb_local() -> &'static Emulator {
    static LOCAL: OnceLock<Emulator> = OnceLock::new();
    LOCAL.get_or_init(|| {
        if let Ok(endpoint) = std::env::var("PORTAL_TEST_DYNAMODB_ENDPOINT") {
            return Emulator { endpoint, _watchdog: None };
        }
        let dir = installed("dynamodb-local", "DynamoDBLocal.jar");
        Emulator::start(
            "DynamoDB Local",
            &dir,
            "java -Djava.library.path=./DynamoDBLocal_lib -jar DynamoDBLocal.jar -inMemory -disableTelemetry -port {port}",
        )
    })
}

pub fn ses_emulator() -> &'static str {
    static SES: OnceLock<Emulator> = OnceLock::new();
    let emulator = SES.get_or_init(|| {
        let dir = installed("ses-emulator", "node_modules/aws-ses-v2-local/dist/cli.js");
        Emulator::start(
            "the SES emulator",
            &dir,
            "node node_modules/aws-ses-v2-local/dist/cli.js --host 127.0.0.1 --port {port}",
        )
    });
    &emulator.endpoint
}

/// A real SMTP server (aiosmtpd, from `tools/setup --test`), standing in for a KIM client module:
/// it keeps every message it accepts in a maildir. Its `host:port` and the maildir's `new/`.
pub fn smtp_server() -> (String, PathBuf) {
    static SMTP: OnceLock<(Emulator, PathBuf)> = OnceLock::new();
    let (emulator, maildir) = SMTP.get_or_init(|| {
        let venv = installed("venv", "bin/python3");
        // The maildir outlives every test of this binary; the system removes it with /tmp.
        let maildir = tempfile::tempdir().expect("a folder").keep().join("maildir");
        let command = format!(
            "bin/python3 -m aiosmtpd -n -l 127.0.0.1:{{port}} -c aiosmtpd.handlers.Mailbox '{}'",
            maildir.display()
        );
        (Emulator::start("the SMTP server (aiosmtpd)", &venv, &command), maildir.join("new"))
    });
    (emulator.endpoint.trim_start_matches("http://").to_string(), maildir.clone())
}

/// The S3 emulator (s3rver), keeping its buckets in the watchdog's scratch folder.
fn s3_emulator() -> &'static str {
    static S3: OnceLock<Emulator> = OnceLock::new();
    let emulator = S3.get_or_init(|| {
        let dir = installed("s3-emulator", "node_modules/s3rver/bin/s3rver.js");
        Emulator::start(
            "the S3 emulator",
            &dir,
            "node node_modules/s3rver/bin/s3rver.js --silent --address 127.0.0.1 --port {port} --directory \"$scratch\"",
        )
    });
    &emulator.endpoint
}

/// A client for the S3 emulator, on a bucket of its own (so tests never see each other's files).
pub async fn s3_bucket() -> (aws_sdk_s3::Client, String) {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let config = aws_sdk_s3::Config::builder()
        .behavior_version(aws_sdk_s3::config::BehaviorVersion::latest())
        .region(aws_sdk_s3::config::Region::new("eu-central-1"))
        .endpoint_url(s3_emulator())
        .force_path_style(true)
        // s3rver checks signatures against its one built-in key.
        .credentials_provider(aws_sdk_s3::config::Credentials::new(
            "S3RVER", "S3RVER", None, None, "tests",
        ))
        .build();
    let client = aws_sdk_s3::Client::from_conf(config);
    let bucket = format!("imports-{}-{}", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed));
    client.create_bucket().bucket(&bucket).send().await.expect("a bucket in the S3 emulator");
    (client, bucket)
}

/// A client for the SES emulator.
pub fn ses_client() -> aws_sdk_ses::Client {
    let config = aws_sdk_ses::Config::builder()
        .behavior_version(aws_sdk_ses::config::BehaviorVersion::latest())
        .region(aws_sdk_ses::config::Region::new("eu-central-1"))
        .endpoint_url(ses_emulator())
        .credentials_provider(aws_sdk_ses::config::Credentials::new(
            "portaltests",
            "portaltests",
            None,
            None,
            "tests",
        ))
        .build();
    aws_sdk_ses::Client::from_conf(config)
}

/// The mails the SES emulator received for `recipient`, as its `/store` lists them.
pub async fn ses_sent_to(recipient: &str) -> Vec<serde_json::Value> {
    let store: serde_json::Value =
        reqwest::get(format!("{}/store", ses_emulator())).await.unwrap().json().await.unwrap();
    let emails = store["emails"].as_array().cloned().unwrap_or_default();
    emails.into_iter().filter(|e| e["destination"]["to"].to_string().contains(recipient)).collect()
}

fn free_port() -> u16 {
    let listener = StdListener::bind("127.0.0.1:0").expect("a free port");
    listener.local_addr().expect("an address").port()
}

fn wait_for_port(name: &str, port: u16, limit: Duration) {
    let start = Instant::now();
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    while TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err() {
        assert!(start.elapsed() < limit, "{name} did not start within {limit:?}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// A client for DynamoDB Local. Built per test: a client belongs to the runtime it was made in.
pub fn dynamodb_client() -> aws_sdk_dynamodb::Client {
    let config = aws_sdk_dynamodb::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("eu-central-1"))
        .endpoint_url(&dynamodb_local().endpoint)
        // DynamoDB Local keeps tables per access key and region (keep both fixed) and accepts
        // only letters and digits in the key.
        .credentials_provider(Credentials::new("portaltests", "portaltests", None, None, "tests"))
        .build();
    aws_sdk_dynamodb::Client::from_conf(config)
}

/// A DynamoDB store on tables of its own, so tests never see each other's data.
pub async fn dynamodb() -> DynamoStore {
    DynamoStore::new(dynamodb_client(), dynamodb_tables().await, &tenant_ik())
}

/// Fresh tables in DynamoDB Local, for the stores of one test.
pub async fn dynamodb_tables() -> Tables {
    static RUN: OnceLock<String> = OnceLock::new();
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let run = RUN.get_or_init(|| ulid::Ulid::new().to_string().to_lowercase());
    let prefix = format!("t{run}-{}-", NEXT.fetch_add(1, Ordering::Relaxed));
    let tables = Tables::with_prefix(&prefix);
    DynamoStore::new(dynamodb_client(), tables.clone(), &tenant_ik())
        .create_tables()
        .await
        .expect("tables in DynamoDB Local");
    tables
}

/// The one tenant of a deployment without a tenants file, on `store`: what a test of a single
/// entry point wires.
pub fn single_tenant(
    store: Stores,
    embedded: Option<EmbeddedStore>,
) -> (Tenants, Vec<TenantStores>) {
    let tenants = Tenants::single(&TestApp::config(Path::new(".")).settings);
    let stores = vec![TenantStores { tenant: tenants.first().clone(), stores: store, embedded }];
    (tenants, stores)
}

/// Time as the tests say: starts at a fixed instant and moves only when told.
#[derive(Clone)]
pub struct TestClock(Arc<Mutex<OffsetDateTime>>);

impl TestClock {
    pub fn at(start: OffsetDateTime) -> TestClock {
        TestClock(Arc::new(Mutex::new(start)))
    }

    pub fn advance(&self, by: time::Duration) {
        *self.0.lock().unwrap() += by;
    }
}

impl Clock for TestClock {
    fn now(&self) -> OffsetDateTime {
        *self.0.lock().unwrap()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Embedded,
    DynamoDb,
}

/// The portal on a free port: the same router `portal serve` runs, its dispatcher writing letters
/// to `outbox`, its clock in the test's hand. With several tenants, [`TestApp::tenant`] gives
/// the portal as one tenant's host name sees it; the app itself is the first tenant's.
#[derive(Clone)]
pub struct TestApp {
    pub address: String,
    pub http: reqwest::Client,
    /// This view's tenant and its stores.
    pub tenant: Arc<portal_core::model::Tenant>,
    pub stores: Stores,
    pub tenants: Vec<TenantStores>,
    pub tenant_list: Tenants,
    pub clock: TestClock,
    pub data_dir: Arc<TempDir>,
    pub outbox: PathBuf,
    pub port: u16,
}

impl TestApp {
    /// The folder of this view's tenant: its store file and audit anchors.
    pub fn store_dir(&self) -> PathBuf {
        self.data_dir.path().join(self.tenant.slug.as_str())
    }

    /// The portal at the host name of tenant `slug` (`http://bayern.localhost:port`).
    pub fn tenant(&self, slug: &str) -> TestApp {
        let tenant =
            self.tenants.iter().find(|t| t.tenant.slug.as_str() == slug).expect("a tenant");
        let host = tenant.tenant.hosts.first().expect("a host name");
        TestApp {
            address: format!("http://{host}:{}", self.port),
            tenant: tenant.tenant.clone(),
            stores: tenant.stores.clone(),
            ..self.clone()
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    pub fn clock_now(&self) -> OffsetDateTime {
        self.clock.now()
    }

    pub fn config(data_dir: &Path) -> Config {
        Config {
            addr: "127.0.0.1:0".parse().unwrap(),
            data_dir: data_dir.to_path_buf(),
            tenants_file: data_dir.join("tenants.toml"),
            anchor_log: None,
            anchor_key: data_dir.join("anchor-key.pk8"),
            report_key: data_dir.join("report-key"),
            token_key: data_dir.join("token-key.pk8"),
            proof_key: data_dir.join("proof-key.pk8"),
            kim_smtp: None,
            static_dir: data_dir.join("no-app"),
            store: StoreKind::Embedded,
            content_dir: repo_root().join("content"),
            settings: Settings {
                public_url: "https://portal.example".into(),
                mail_from: "serviceportal@portal.example".into(),
                session_idle_seconds: 600,
                // Solving takes ~256 hashes instead of ~65,000: the check is the same, only cheaper.
                challenge_difficulty: 8,
                challenges_per_minute: 600,
                client_address_header: None,
                tenant_host_header: None,
                origin_secret: None,
                oha: portal_core::oha::OhaSettings::default(),
            },
        }
    }
}

pub async fn spawn_app() -> TestApp {
    spawn(AppOptions::default()).await
}

/// Like [`spawn_app`], serving the app's files from `static_dir`.
pub async fn spawn_app_serving(static_dir: &Path) -> TestApp {
    spawn(AppOptions { static_dir: Some(static_dir.to_path_buf()), ..AppOptions::default() }).await
}

/// How a test wants its portal: which store, which app files, which mailer, which settings, and
/// optionally a store wrapped to inject faults.
pub struct AppOptions {
    pub backend: Backend,
    pub static_dir: Option<PathBuf>,
    pub mailer: Option<Arc<dyn Mailer>>,
    pub configure: Box<dyn FnOnce(&mut Config) + Send>,
    pub wrap_stores: Box<dyn FnOnce(Stores) -> Stores + Send>,
    /// A tenants file (logos inline); none: the one tenant of a deployment without a file.
    pub tenants: Option<&'static str>,
}

impl Default for AppOptions {
    fn default() -> AppOptions {
        AppOptions {
            backend: Backend::Embedded,
            static_dir: None,
            mailer: None,
            configure: Box::new(|_| {}),
            wrap_stores: Box::new(|stores| stores),
            tenants: None,
        }
    }
}

pub async fn spawn(options: AppOptions) -> TestApp {
    // Logs show with a failing test's output (`PORTAL_LOG=debug` for more).
    let filter = std::env::var("PORTAL_LOG").unwrap_or_else(|_| "warn".into());
    let _ = tracing_subscriber::fmt().with_env_filter(filter).with_test_writer().try_init();
    let data_dir = tempfile::tempdir().expect("a temp folder");
    let clock = TestClock::at(time::macros::datetime!(2026-05-04 08:00 UTC));
    let mut config = TestApp::config(data_dir.path());
    (options.configure)(&mut config);
    let tenants = match options.tenants {
        None => Tenants::single(&config.settings),
        Some(text) => Tenants::parse(text, &config.settings, |name| Err(name.to_string()))
            .expect("a usable tenants file"),
    };
    let tables = match options.backend {
        Backend::DynamoDb => Some(dynamodb_tables().await),
        Backend::Embedded => None,
    };
    // The practices' own PDFs: on DynamoDB in a bucket of the S3 emulator, as in AWS.
    let attachments = match options.backend {
        Backend::DynamoDb => Some(s3_bucket().await),
        Backend::Embedded => None,
    };
    let stores: Vec<TenantStores> = tenants
        .iter()
        .map(|tenant| match &tables {
            None => {
                let folder = config.tenant_dir(tenant);
                std::fs::create_dir_all(&folder).unwrap();
                let store = EmbeddedStore::open(&folder.join("portal.db"), &tenant.ik)
                    .expect("the store opens");
                TenantStores {
                    tenant: tenant.clone(),
                    stores: Stores::of(store.clone()),
                    embedded: Some(store),
                }
            }
            Some(tables) => TenantStores {
                tenant: tenant.clone(),
                stores: Stores::of({
                    let store = DynamoStore::new(dynamodb_client(), tables.clone(), &tenant.ik);
                    match &attachments {
                        Some((s3, bucket)) => store.with_attachments(s3.clone(), bucket.clone()),
                        None => store,
                    }
                }),
                embedded: None,
            },
        })
        .collect();
    // The wrapped stores (faults) are the first tenant's, as the tests see it.
    let mut served = stores.clone();
    served[0].stores = (options.wrap_stores)(stores[0].stores.clone());
    let portal = portal::wiring::portal(&config, &tenants, &served, Arc::new(clock.clone()))
        .expect("the portal wires up");
    let outbox = data_dir.path().join("outbox");
    let mailer = options.mailer.unwrap_or_else(|| Arc::new(OutboxMailer::new(&outbox)));
    let work = stores
        .iter()
        .map(|tenant| portal::wiring::Background {
            tenant: tenant.clone(),
            reports: portal.state.app(tenant.tenant.slug.as_str()).unwrap().reports.clone(),
            anchoring: None,
        })
        .collect();
    let delivery = portal::wiring::report_delivery(&config).expect("a report delivery");
    portal::wiring::spawn_background(
        work,
        mailer,
        delivery,
        portal.work_queued,
        Arc::new(clock.clone()),
    );
    let app = portal::serve::app(
        portal.state,
        options.static_dir.as_deref().unwrap_or(&config.static_dir),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("a free port");
    let local = listener.local_addr().expect("an address");
    let address = format!("http://{local}");
    tokio::spawn(portal::serve::run(listener, app, std::future::pending()));
    // Every tenant's host name leads to this server, as `*.localhost` does in a browser.
    let http = tenants
        .iter()
        .flat_map(|tenant| tenant.hosts.clone())
        .fold(reqwest::Client::builder(), |builder, host| builder.resolve(&host, local))
        .build()
        .unwrap();
    TestApp {
        address,
        http,
        tenant: stores[0].tenant.clone(),
        stores: stores[0].stores.clone(),
        tenants: stores,
        tenant_list: tenants,
        clock,
        data_dir: Arc::new(data_dir),
        outbox,
        port: local.port(),
    }
}

/// The records of an audit listing, each one required to be intact.
pub fn intact(rows: Vec<portal_core::model::AuditRow>) -> Vec<portal_core::model::AuditRecord> {
    rows.into_iter()
        .map(|row| match row {
            portal_core::model::AuditRow::Intact(record) => record,
            damaged => panic!("a damaged record: {damaged:?}"),
        })
        .collect()
}
