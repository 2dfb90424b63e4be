//! The crash test: `portal serve` is killed with SIGKILL at a random moment while queries,
//! registrations and an import run at once, twenty times over; after each restart nothing the
//! portal promised is lost. What "promised" means here:
//! - the audit chains verify (`portal audit verify`);
//! - every query answered with 200 is in the audit log (the client keeps the query ids);
//! - every registration answered with 202 gets its two letters, each exactly once;
//! - the import, run again to its end, leaves exactly the file's rows.
//!
//! The moments come from a seed printed at the start (`PORTAL_CRASH_SEED` repeats a run).

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use portal_core::accounts::secret_in;
use portal_domain::{Ik, Kvnr};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::api::{STRONG, cookie};
use crate::harness::portal_command;

const ROUNDS: u64 = 20;
/// Providers in the directory: one asks, the others register one by one over the rounds.
const PROVIDERS: usize = 400;
const EXEMPTIONS: usize = 3_000;
const QUERY_WORKERS: usize = 3;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_portal_killed_mid_write_twenty_times_loses_no_answer_no_letter_and_no_row() {
    let seed = std::env::var("PORTAL_CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| time::OffsetDateTime::now_utc().unix_timestamp_nanos() as u64 | 1);
    eprintln!("crash test seed: {seed} (PORTAL_CRASH_SEED={seed} repeats it)");
    let mut random = XorShift(seed);
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    let (providers, exemptions) = (generated_providers(), generated_exemptions());
    let exemptions_file = write(data, "exemptions.csv", &exemptions_csv(&exemptions));
    let providers_file = write(data, "p.csv", &providers_csv(&providers));
    assert!(run(data, &["import", "providers", providers_file.to_str().unwrap()]));

    let mut server = Server::start(data);
    let asker = providers[0];
    let session = Arc::new(Mutex::new(activated(&server, data, asker).await));
    let answered: Shared<String> = Shared::default();
    let registered: Shared<Ik> = Shared::default();
    let mut unregistered = providers[1..].iter().copied();

    for round in 1..=ROUNDS {
        // The load: queries from several workers, registrations one after another, and in
        // every other round the exemption import as a process of its own.
        let workers: Vec<_> = (0..QUERY_WORKERS)
            .map(|worker| {
                let (server, session, answered) =
                    (server.client(), session.clone(), answered.clone());
                let kvnrs: Vec<Kvnr> = exemptions.iter().skip(worker).step_by(7).cloned().collect();
                tokio::spawn(
                    async move { ask_until_gone(&server, &session, &kvnrs, &answered).await },
                )
            })
            .collect();
        let next: Vec<Ik> = unregistered.by_ref().take(12).collect();
        let registering = {
            let (server, registered) = (server.client(), registered.clone());
            tokio::spawn(async move { register_until_gone(&server, &next, &registered).await })
        };
        let mut import = (round % 2 == 0).then(|| {
            portal_command(data)
                .args(["import", "exemptions"])
                .arg(&exemptions_file)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap()
        });

        tokio::time::sleep(Duration::from_millis(150 + random.below(1_500))).await;
        let died = server.child.try_wait().unwrap();
        assert!(died.is_none(), "round {round}: the server ended by itself: {died:?}");
        server.kill();
        if let Some(import) = import.as_mut() {
            if random.below(2) == 0 {
                import.kill().ok();
            }
            import.wait().unwrap();
        }
        for worker in workers {
            worker.await.unwrap();
        }
        registering.await.unwrap();

        server = Server::start(data);
        assert!(run(data, &["audit", "verify"]), "round {round}: the audit chains verify");
        let logged = audited_query_ids(data, asker);
        let lost: Vec<_> = answered.all().into_iter().filter(|id| !logged.contains(id)).collect();
        assert!(lost.is_empty(), "round {round}: answered but not in the audit log: {lost:?}");
        every_registration_has_its_two_letters_once(data, &registered.all(), round).await;
    }
    assert!(answered.all().len() > 100, "the load asked: {}", answered.all().len());
    assert!(registered.all().len() >= 10, "the load registered: {}", registered.all().len());

    // The import, run again to its end, leaves exactly the file's rows.
    let import =
        portal_command(data).args(["import", "exemptions"]).arg(&exemptions_file).output().unwrap();
    assert_eq!(
        String::from_utf8_lossy(&import.stdout).trim(),
        format!("{EXEMPTIONS} Zeilen importiert, 0 abgelehnt."),
        "{}",
        String::from_utf8_lossy(&import.stderr)
    );
    let session = session.lock().unwrap().clone();
    for kvnr in exemptions.iter().step_by(97) {
        let answer = server.client().ask(&session, kvnr).await;
        let answer =
            answer.unwrap_or_else(|| panic!("the portal answers: {:?}", server.child.try_wait()));
        assert_eq!(answer.0, StatusCode::OK, "{kvnr}");
        assert_eq!(answer.1["found"], true, "{kvnr} is in the store after the import");
    }
    server.kill();
}

/// The running `portal serve`, and how to reach it.
struct Server {
    child: Child,
    address: String,
}

impl Server {
    fn start(data: &Path) -> Server {
        let mut child = portal_command(data)
            .arg("serve")
            .env("PORTAL_ADDR", "127.0.0.1:0")
            // The load is the test's own: no quota, burst or check should refuse it.
            .env("PORTAL_QUERY_QUOTA_PER_DAY", "100000000")
            .env("PORTAL_QUERY_BURST_PER_MINUTE", "100000000")
            .env("PORTAL_QUERIES_PER_CLIENT_PER_MINUTE", "100000000")
            .env("PORTAL_CHALLENGES_PER_MINUTE", "1000000")
            .env("PORTAL_CHALLENGE_DIFFICULTY", "4")
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
        let address = lines
            .by_ref()
            .map_while(Result::ok)
            .find_map(|line| {
                line.strip_prefix("Portal ")
                    .and_then(|l| l.split_once(": "))
                    .map(|(_, url)| url.trim().trim_end_matches('/').to_string())
            })
            .expect("the portal says where it listens");
        std::thread::spawn(move || lines.for_each(drop));
        Server { child, address }
    }

    fn client(&self) -> Client {
        let http = reqwest::Client::builder().timeout(Duration::from_secs(30)).build().unwrap();
        Client { http, address: self.address.clone() }
    }

    /// SIGKILL: no shutdown, no flush, whatever was in flight is cut off.
    fn kill(&mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

#[derive(Clone)]
struct Client {
    http: reqwest::Client,
    address: String,
}

impl Client {
    async fn post(
        &self,
        path: &str,
        cookie: Option<&str>,
        body: Value,
    ) -> Option<reqwest::Response> {
        let mut request = self.http.post(format!("{}{path}", self.address)).json(&body);
        if let Some(cookie) = cookie {
            request = request.header("cookie", cookie);
        }
        request.send().await.ok()
    }

    async fn ask(&self, session: &str, kvnr: &Kvnr) -> Option<(StatusCode, Value)> {
        let body = json!({"kvnr": kvnr.as_str(), "consent": "insured_present"});
        let response = self.post("/api/exemption-queries", Some(session), body).await?;
        let status = response.status();
        let text = response.text().await.ok()?;
        Some((status, serde_json::from_str(&text).unwrap_or(Value::String(text))))
    }

    /// A solved security check and the registration; `None` when the portal is gone.
    async fn register(&self, ik: Ik) -> Option<StatusCode> {
        let url = format!("{}/api/challenge", self.address);
        let challenge: Value = self.http.get(url).send().await.ok()?.json().await.ok()?;
        let salt = challenge["salt"].as_str()?;
        let difficulty = challenge["difficulty"].as_u64()? as u8;
        let nonce = portal_domain::solve_proof_of_work(salt, difficulty, 0, 1 << 24)?;
        let body = json!({"ik": ik.as_str(), "terms_accepted": true,
            "challenge": {"id": challenge["id"], "nonce": nonce.to_string()}});
        Some(self.post("/api/registrations", None, body).await?.status())
    }
}

/// What the client side saw answered, across the rounds.
#[derive(Clone)]
struct Shared<T>(Arc<Mutex<Vec<T>>>);

impl<T> Default for Shared<T> {
    fn default() -> Self {
        Shared(Arc::default())
    }
}

impl<T: Clone> Shared<T> {
    fn push(&self, item: T) {
        self.0.lock().unwrap().push(item);
    }
    fn all(&self) -> Vec<T> {
        self.0.lock().unwrap().clone()
    }
}

async fn ask_until_gone(
    server: &Client,
    session: &Mutex<String>,
    kvnrs: &[Kvnr],
    answered: &Shared<String>,
) {
    for kvnr in kvnrs.iter().cycle() {
        let cookie = session.lock().unwrap().clone();
        let Some((status, answer)) = server.ask(&cookie, kvnr).await else { return };
        if status == StatusCode::OK {
            answered.push(answer["query_id"].as_str().unwrap().to_string());
        }
    }
}

async fn register_until_gone(server: &Client, iks: &[Ik], registered: &Shared<Ik>) {
    for &ik in iks {
        match server.register(ik).await {
            None => return,
            Some(StatusCode::ACCEPTED) => registered.push(ik),
            Some(_) => {}
        }
    }
}

/// `ik` registered, its letters read from the outbox, its own password set: the session.
async fn activated(server: &Server, data: &Path, ik: Ik) -> String {
    let client = server.client();
    assert_eq!(client.register(ik).await, Some(StatusCode::ACCEPTED));
    let letters = letters_until(data, &[ik], Duration::from_secs(30)).await;
    let letter = |kind: &str| letters[&(ik, kind.to_string())][0].clone();
    let password = secret_in(&letter("initial_password"), "Initialkennwort").unwrap();
    let pruefnummer = secret_in(&letter("pruefnummer"), "Prüfnummer").unwrap();
    let login = client
        .post("/api/session", None, json!({"ik": ik.as_str(), "password": password}))
        .await
        .unwrap();
    assert_eq!(login.status(), StatusCode::OK);
    let body = json!({"pruefnummer": pruefnummer, "new_password": STRONG});
    let set = client.post("/api/password", Some(&cookie(&login)), body).await.unwrap();
    assert_eq!(set.status(), StatusCode::NO_CONTENT);
    cookie(&set)
}

/// Each registered IK's letters of both kinds are in the outbox, each once, or still pending in
/// the store: a letter the killed process had reserved waits out its lease (two minutes) before
/// the new process sends it.
async fn every_registration_has_its_two_letters_once(data: &Path, registered: &[Ik], round: u64) {
    let letters = letters_until(data, registered, Duration::from_secs(3)).await;
    let doubled: Vec<_> =
        letters.iter().filter(|(_, texts)| texts.len() > 1).map(|(k, _)| k).collect();
    assert!(doubled.is_empty(), "round {round}: letters sent twice: {doubled:?}");
    let pending = pending_letters(data).await;
    for &ik in registered {
        for kind in ["initial_password", "pruefnummer"] {
            let key = (ik, kind.to_string());
            // Both at once is allowed: written to the outbox, killed before it was marked sent;
            // the next send writes the same file (named by the letter's id) again.
            let (sent, waiting) = (letters.contains_key(&key), pending.contains(&key));
            assert!(sent || waiting, "round {round}: the {kind} letter of {ik} is lost");
        }
    }
}

/// The letters the store holds as pending, by provider and kind (read beside the running server,
/// as the `portal` commands do).
async fn pending_letters(data: &Path) -> BTreeSet<(Ik, String)> {
    let config = crate::harness::TestApp::config(data);
    let tenants = config.tenants().unwrap();
    let stores = portal::stores::open(&config, &tenants).await.unwrap();
    let pending = stores[0].stores.letters.pending_letters(10_000).await.unwrap();
    pending.into_iter().map(|letter| (letter.ik, letter.kind.as_str().to_string())).collect()
}

/// The outbox's letters by provider and kind, once every one of `iks` has both kinds (or the
/// time is up: then the caller's assertion names what is missing).
async fn letters_until(
    data: &Path,
    iks: &[Ik],
    patience: Duration,
) -> BTreeMap<(Ik, String), Vec<String>> {
    let deadline = std::time::Instant::now() + patience;
    loop {
        let letters = outbox_letters(&data.join("outbox"));
        let complete = iks.iter().all(|&ik| {
            ["initial_password", "pruefnummer"]
                .iter()
                .all(|kind| letters.contains_key(&(ik, kind.to_string())))
        });
        if complete || std::time::Instant::now() > deadline {
            return letters;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn outbox_letters(outbox: &Path) -> BTreeMap<(Ik, String), Vec<String>> {
    let mut letters: BTreeMap<(Ik, String), Vec<String>> = BTreeMap::new();
    let Ok(entries) = std::fs::read_dir(outbox) else { return letters };
    for entry in entries {
        let name = entry.unwrap().file_name().into_string().unwrap();
        let Some(kind) = name.strip_suffix(".eml").and_then(|n| n.split_once('-')).map(|(_, k)| k)
        else {
            continue; // a file being written (the outbox renames it into place when whole)
        };
        let text = std::fs::read_to_string(outbox.join(&name)).unwrap();
        // Each generated provider's address is p<IK>@crash.example.
        let ik = text
            .find("@crash.example")
            .and_then(|at| text.get(at.saturating_sub(9)..at))
            .and_then(|digits| Ik::parse(digits).ok());
        let Some(ik) = ik else { continue };
        letters.entry((ik, kind.to_string())).or_default().push(text);
    }
    letters
}

fn audited_query_ids(data: &Path, ik: Ik) -> BTreeSet<String> {
    let output =
        portal_command(data).args(["audit", "--json", "--ik", ik.as_str()]).output().unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let rows: Vec<Value> = serde_json::from_slice(&output.stdout).unwrap();
    rows.iter().filter_map(|row| row["query_id"].as_str().map(str::to_string)).collect()
}

fn run(data: &Path, args: &[&str]) -> bool {
    let output = portal_command(data).args(args).output().unwrap();
    if !output.status.success() {
        eprintln!(
            "portal {args:?}:\n{}\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    output.status.success()
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

/// Valid IKs of pharmacies (class 30), in order.
fn generated_providers() -> Vec<Ik> {
    (0..)
        .filter_map(|n: u32| Ik::parse(&format!("30{:06}{}", 100_000 + n / 10, n % 10)).ok())
        .take(PROVIDERS)
        .collect()
}

fn generated_exemptions() -> Vec<Kvnr> {
    (0..)
        .filter_map(|n: u64| Kvnr::parse(&format!("K{:08}{}", 10_000_000 + n / 10, n % 10)).ok())
        .take(EXEMPTIONS)
        .collect()
}

fn providers_csv(iks: &[Ik]) -> String {
    let mut csv = String::from("ik;name;email;strasse;plz;ort;berufsfeld\n");
    for ik in iks {
        csv +=
            &format!("{ik};Apotheke {ik};p{ik}@crash.example;Altmarkt 1;01067;Dresden;apotheke\n");
    }
    csv
}

fn exemptions_csv(kvnrs: &[Kvnr]) -> String {
    let year = time::OffsetDateTime::now_utc().year();
    let mut csv = String::from("kvnr;vorname;nachname;jahr;gueltig_ab;gueltig_bis\n");
    for kvnr in kvnrs {
        csv += &format!("{kvnr};Erika;Muster;{year};{year}-01-01;{year}-12-31\n");
    }
    csv
}

/// Enough randomness for the moments of the kills, repeatable from its seed.
struct XorShift(u64);

impl XorShift {
    fn below(&mut self, bound: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % bound
    }
}
