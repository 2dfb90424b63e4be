//! The benchmark driver of `tools/bench` (not a test). Subcommands:
//! - `setup URL OUTBOX`: registers the demo pharmacy through the real flow (security check,
//!   letters from the outbox, own password) and prints a session cookie for the load tool.
//! - `login-burst URL`: 100 parallel logins while queries arrive at a fixed rate; latencies of both.
//! - `import embedded|dynamodb ROWS`: imports a generated exemptions file and reports rows/s.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use portal_core::accounts::secret_in;
use serde_json::{Value, json};

const IK: &str = "301412340";
const PASSWORD: &str = "Elbwiesen im Nebel 2026!";

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.iter().map(String::as_str).collect::<Vec<_>>().as_slice() {
        ["setup", url, outbox] => setup(url, outbox).await,
        ["login-burst", url] => login_burst(url).await,
        ["import", store, rows] => import(store, rows.parse()?).await,
        _ => {
            bail!("usage: bench setup URL OUTBOX | login-burst URL | import embedded|dynamodb ROWS")
        }
    }
}

/// A client that finds `*.localhost` on the loopback address, as browsers do (the demo serves
/// its insurers there).
fn client(url: &str) -> reqwest::Client {
    let host = url.split("://").nth(1).unwrap_or(url).split(['/', ':']).next().unwrap_or("");
    let port =
        url.rsplit(':').next().and_then(|p| p.trim_end_matches('/').parse().ok()).unwrap_or(80);
    let builder = reqwest::Client::builder();
    let builder = if host.ends_with(".localhost") {
        builder.resolve(host, std::net::SocketAddr::from(([127, 0, 0, 1], port)))
    } else {
        builder
    };
    builder.build().unwrap_or_default()
}

async fn setup(url: &str, outbox: &str) -> anyhow::Result<()> {
    let http = client(url);
    let c: Value = http.get(format!("{url}/api/challenge")).send().await?.json().await?;
    let salt = c["salt"].as_str().context("salt")?;
    let nonce = portal_domain::solve_proof_of_work(
        salt,
        c["difficulty"].as_u64().context("difficulty")? as u8,
        0,
        u64::MAX,
    )
    .context("no nonce")?;
    let body = json!({"ik": IK, "terms_accepted": true, "challenge": {"id": c["id"], "nonce": nonce.to_string()}});
    let registered = http.post(format!("{url}/api/registrations")).json(&body).send().await?;
    if registered.status() != 202 {
        bail!("registration: {}", registered.text().await?);
    }
    let letter = |kind: &str| -> Option<String> {
        let dir = std::fs::read_dir(outbox).ok()?;
        let mut names: Vec<_> = dir
            .filter_map(|e| e.ok())
            .map(|e| e.path())
            .filter(|p| p.to_string_lossy().ends_with(kind))
            .collect();
        names.sort();
        std::fs::read_to_string(names.last()?).ok()
    };
    let started = Instant::now();
    let (password, pruefnummer) = loop {
        if let (Some(p), Some(q)) = (letter("-initial_password.eml"), letter("-pruefnummer.eml")) {
            break (
                secret_in(&p, "Initialkennwort").context("password")?,
                secret_in(&q, "Prüfnummer").context("prüfnummer")?,
            );
        }
        if started.elapsed() > Duration::from_secs(10) {
            bail!("no letters in {outbox}");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let first = login(&http, url, &password).await?.1.context("first login")?;
    let set = http
        .post(format!("{url}/api/password"))
        .header("cookie", &first)
        .json(&json!({"pruefnummer": pruefnummer, "new_password": PASSWORD}))
        .send()
        .await?;
    if set.status() != 204 {
        bail!("password: {}", set.text().await?);
    }
    println!("{}", login(&http, url, PASSWORD).await?.1.context("login")?);
    Ok(())
}

/// One login: its latency and, when it worked, the cookie.
async fn login(
    http: &reqwest::Client,
    url: &str,
    password: &str,
) -> anyhow::Result<(Duration, Option<String>)> {
    let started = Instant::now();
    let response = http
        .post(format!("{url}/api/session"))
        .json(&json!({"ik": IK, "password": password}))
        .send()
        .await?;
    let elapsed = started.elapsed();
    let cookie = response
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(str::to_string);
    Ok((elapsed, cookie.filter(|_| response.status() == 200)))
}

fn percentiles(mut samples: Vec<Duration>) -> String {
    samples.sort();
    let at = |q: f64| {
        samples[((samples.len() as f64 - 1.0) * q).round() as usize].as_secs_f64() * 1000.0
    };
    format!(
        "n={} p50={:.1} ms p90={:.1} ms p99={:.1} ms max={:.1} ms",
        samples.len(),
        at(0.5),
        at(0.9),
        at(0.99),
        at(1.0)
    )
}

/// Queries at `rate` per second, open loop (a late answer does not delay the next question),
/// until `stop` is set; latencies measured from the planned start.
async fn query_stream(
    url: String,
    cookie: String,
    rate: u32,
    stop: Arc<std::sync::atomic::AtomicBool>,
) -> Vec<Duration> {
    let http = client(&url);
    let interval = Duration::from_secs(1) / rate;
    let start = Instant::now();
    let mut handles = Vec::new();
    let mut n = 0u32;
    while !stop.load(std::sync::atomic::Ordering::Relaxed) {
        let planned = start + interval * n;
        tokio::time::sleep_until(planned.into()).await;
        let (http, url, cookie) = (http.clone(), url.clone(), cookie.clone());
        handles.push(tokio::spawn(async move {
            let body = json!({"kvnr": "A123456780", "consent": "insured_present"});
            let response = http
                .post(format!("{url}/api/exemption-queries"))
                .header("cookie", cookie)
                .json(&body)
                .send()
                .await;
            match response {
                Ok(r) if r.status() == 200 => Some(planned.elapsed()),
                _ => None,
            }
        }));
        n += 1;
    }
    let mut latencies = Vec::new();
    for handle in handles {
        if let Ok(Some(latency)) = handle.await {
            latencies.push(latency);
        }
    }
    latencies
}

async fn login_burst(url: &str) -> anyhow::Result<()> {
    let http = client(url);
    let cookie = login(&http, url, PASSWORD).await?.1.context("login")?;
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));

    let quiet = tokio::spawn(query_stream(url.into(), cookie.clone(), 50, stop.clone()));
    tokio::time::sleep(Duration::from_secs(3)).await;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let quiet = quiet.await?;

    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let during = tokio::spawn(query_stream(url.into(), cookie, 50, stop.clone()));
    tokio::time::sleep(Duration::from_millis(200)).await;
    let started = Instant::now();
    let logins = futures::future::join_all((0..100).map(|_| {
        let http = http.clone();
        async move { login(&http, url, PASSWORD).await }
    }))
    .await;
    let burst = started.elapsed();
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let during = during.await?;
    let ok: Vec<Duration> = logins
        .iter()
        .filter_map(|r| r.as_ref().ok())
        .filter(|(_, c)| c.is_some())
        .map(|(d, _)| *d)
        .collect();
    println!(
        "| 100 parallel logins | {} of 100 ok, all done in {:.2} s; {} |",
        ok.len(),
        burst.as_secs_f64(),
        percentiles(ok.clone())
    );
    println!("| queries at 50/s, quiet | {} |", percentiles(quiet));
    println!("| queries at 50/s, during the login burst | {} |", percentiles(during));
    Ok(())
}

fn exemptions_csv(rows: usize) -> String {
    let mut csv = String::from("kvnr;vorname;nachname;jahr;gueltig_ab;gueltig_bis\n");
    let kvnrs = (0u64..)
        .flat_map(|i| (0..10).map(move |c| format!("A{i:08}{c}")))
        .filter(|s| portal_domain::Kvnr::parse(s).is_ok());
    for kvnr in kvnrs.take(rows) {
        csv += &format!("{kvnr};Özlem;Çelik;2026;2026-03-14;2026-12-31\n");
    }
    csv
}

async fn import(store: &str, rows: usize) -> anyhow::Result<()> {
    let csv = exemptions_csv(rows);
    let dir = tempfile::tempdir()?;
    let exemptions: Arc<dyn portal_core::ExemptionStore> = match store {
        "embedded" => {
            let tenant = portal_domain::Ik::parse("107299005")?;
            Arc::new(portal_store_embedded::EmbeddedStore::open(
                &dir.path().join("portal.db"),
                &tenant,
            )?)
        }
        "dynamodb" => {
            let aws = aws_config::load_from_env().await;
            let tables = portal_store_dynamodb::Tables::with_prefix(&format!(
                "bench-{}-",
                ulid::Ulid::new().to_string().to_lowercase()
            ));
            let store = portal_store_dynamodb::DynamoStore::new(
                aws_sdk_dynamodb::Client::new(&aws),
                tables,
                &portal_domain::Ik::parse("107299005")?,
            );
            store.create_tables().await?;
            Arc::new(store)
        }
        other => bail!("unknown store {other}"),
    };
    let mut rejected = Vec::new();
    let started = Instant::now();
    let report = portal_core::import::import_exemptions(
        exemptions.as_ref(),
        csv.as_bytes(),
        None,
        &mut rejected,
    )
    .await?;
    let elapsed = started.elapsed();
    println!(
        "| import into {store} | {} rows in {:.2} s = {:.0} rows/s ({} MB file) |",
        report.imported,
        elapsed.as_secs_f64(),
        report.imported as f64 / elapsed.as_secs_f64(),
        csv.len() / 1_000_000
    );
    Ok(())
}
