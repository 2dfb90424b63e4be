//! What the tests stand on: real stores (a SQLite file in a temp folder; DynamoDB Local with fresh
//! tables per test) and `spawn_app()`, the portal on a free port.

use std::io::{BufRead, BufReader};
use std::net::{SocketAddr, TcpListener as StdListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use aws_sdk_dynamodb::config::{BehaviorVersion, Credentials, Region};
use portal::stores::Stores;
use portal_core::SystemClock;
use portal_http::AppState;
use portal_store_dynamodb::{DynamoStore, Tables};
use portal_store_embedded::EmbeddedStore;
use tempfile::TempDir;

pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A SQLite store in a folder of its own that lives as long as the value.
pub struct Embedded {
    pub store: EmbeddedStore,
    pub dir: TempDir,
}

pub fn embedded() -> Embedded {
    let dir = tempfile::tempdir().expect("a temp folder");
    let store = EmbeddedStore::open(&dir.path().join("portal.db")).expect("the store opens");
    Embedded { store, dir }
}

/// DynamoDB Local, started once per test binary. A watchdog shell stops the JVM as soon as this
/// process ends, however it ends: it waits for end-of-file on its stdin, which is our pipe.
struct DynamoDbLocal {
    endpoint: String,
    _watchdog: Child,
}

fn dynamodb_local() -> &'static DynamoDbLocal {
    static LOCAL: OnceLock<DynamoDbLocal> = OnceLock::new();
    LOCAL.get_or_init(|| {
        if let Ok(endpoint) = std::env::var("PORTAL_TEST_DYNAMODB_ENDPOINT") {
            let watchdog = Command::new("true").spawn().expect("`true` runs");
            return DynamoDbLocal { endpoint, _watchdog: watchdog };
        }
        let dir = std::env::var_os("DYNAMODB_LOCAL_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| repo_root().join(".tools/dynamodb-local"));
        assert!(
            dir.join("DynamoDBLocal.jar").is_file(),
            "DynamoDB Local is not installed in {}: run tools/setup",
            dir.display()
        );
        let port = free_port();
        let script = format!(
            "java -Djava.library.path=./DynamoDBLocal_lib -jar DynamoDBLocal.jar -inMemory \
             -disableTelemetry -port {port} >/dev/null 2>&1 & jvm=$!; \
             trap 'kill $jvm 2>/dev/null' EXIT; echo started; read -r _"
        );
        let mut watchdog = Command::new("bash")
            .args(["-c", &script])
            .current_dir(&dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("bash starts DynamoDB Local");
        let mut line = String::new();
        let stdout = watchdog.stdout.take().expect("piped stdout");
        BufReader::new(stdout).read_line(&mut line).expect("the watchdog reports");
        wait_for_port(port, Duration::from_secs(60));
        DynamoDbLocal { endpoint: format!("http://127.0.0.1:{port}"), _watchdog: watchdog }
    })
}

fn free_port() -> u16 {
    let listener = StdListener::bind("127.0.0.1:0").expect("a free port");
    listener.local_addr().expect("an address").port()
}

fn wait_for_port(port: u16, limit: Duration) {
    let start = Instant::now();
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    while TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err() {
        assert!(start.elapsed() < limit, "DynamoDB Local did not start within {limit:?}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// A client for DynamoDB Local. Built per test: a client belongs to the runtime it was made in.
pub fn dynamodb_client() -> aws_sdk_dynamodb::Client {
    let config = aws_sdk_dynamodb::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("eu-central-1"))
        .endpoint_url(&dynamodb_local().endpoint)
        // DynamoDB Local keeps tables per access key and region (keep both fixed) and accepts only
        // letters and digits in the key.
        .credentials_provider(Credentials::new("portaltests", "portaltests", None, None, "tests"))
        .build();
    aws_sdk_dynamodb::Client::from_conf(config)
}

/// A DynamoDB store on tables of its own, so tests never see each other's data.
pub async fn dynamodb() -> DynamoStore {
    static RUN: OnceLock<String> = OnceLock::new();
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let run = RUN.get_or_init(|| ulid::Ulid::new().to_string().to_lowercase());
    let prefix = format!("t{run}-{}-", NEXT.fetch_add(1, Ordering::Relaxed));
    let store = DynamoStore::new(dynamodb_client(), Tables::with_prefix(&prefix));
    store.create_tables().await.expect("tables in DynamoDB Local");
    store
}

/// The portal on a free port with an embedded store in a temp folder.
pub struct TestApp {
    pub address: String,
    pub http: reqwest::Client,
    pub stores: Stores,
    pub data_dir: TempDir,
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }
}

pub async fn spawn_app() -> TestApp {
    spawn_app_serving(None).await
}

/// Like [`spawn_app`], serving the app's files from `static_dir`.
pub async fn spawn_app_serving(static_dir: Option<&std::path::Path>) -> TestApp {
    let data_dir = tempfile::tempdir().expect("a temp folder");
    let store = EmbeddedStore::open(&data_dir.path().join("portal.db")).expect("the store opens");
    let store = std::sync::Arc::new(store);
    let stores = Stores { providers: store.clone(), exemptions: store };
    let state = AppState {
        providers: stores.providers.clone(),
        exemptions: stores.exemptions.clone(),
        clock: std::sync::Arc::new(SystemClock),
    };
    let no_app = data_dir.path().join("no-app");
    let app = portal::serve::app(state, static_dir.unwrap_or(&no_app));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("a free port");
    let address = format!("http://{}", listener.local_addr().expect("an address"));
    tokio::spawn(portal::serve::run(listener, app, std::future::pending()));
    TestApp { address, http: reqwest::Client::new(), stores, data_dir }
}
