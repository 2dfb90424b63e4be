//! The example client of the machine API (`examples/coverage-client/client.py`, Python with
//! PyJWT and cryptography from `tools/setup --test`), run against the local portal the way a
//! vendor would: make a key pair, have the back office register its JWKS with `portal clients
//! add`, get a token, ask for a KVNR, check the proof. Fails when Python or a library is missing.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use portal_core::import::import_exemptions;
use portal_domain::Ik;
use serde_json::Value;
use time::OffsetDateTime;

use crate::api::IK;
use crate::harness::{TestApp, intact, portal_command, repo_root, spawn_app};

/// Runs the example client with `args`, off the test's runtime (the portal serves on it).
async fn client(args: Vec<String>) -> Output {
    let python = repo_root().join(".tools/venv/bin/python3");
    let script = repo_root().join("examples/coverage-client/client.py");
    tokio::task::spawn_blocking(move || {
        Command::new(&python)
            .arg(&script)
            .args(&args)
            // The portal is local: no proxy of the machine's in between.
            .env("no_proxy", "*")
            .env("NO_PROXY", "*")
            .output()
            .unwrap_or_else(|e| {
                panic!("{} runs (tools/setup --test installs it): {e}", python.display())
            })
    })
    .await
    .unwrap()
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

fn path(p: &Path) -> String {
    p.to_str().unwrap().to_string()
}

/// The back office registers a JWKS file for the demo pharmacy: the client id.
fn registered(app: &TestApp, jwks: &Path) -> String {
    let added = portal_command(app.data_dir.path())
        .args(["clients", "add", IK, "--jwks", &path(jwks), "--json"])
        .output()
        .unwrap();
    assert!(added.status.success(), "{}", String::from_utf8_lossy(&added.stderr));
    println!("portal clients add: {}", String::from_utf8_lossy(&added.stdout));
    let id: Value = serde_json::from_slice(&added.stdout).unwrap();
    id["client_id"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn the_example_client_gets_a_token_asks_for_a_kvnr_and_verifies_the_proof() {
    let app = spawn_app().await;
    // The client signs its assertions with the real time: the portal's clock goes along.
    app.clock.advance(OffsetDateTime::now_utc() - app.clock_now());
    let year = portal_core::Clock::today(&app.clock).year();
    let exemptions = format!(
        "kvnr;vorname;nachname;jahr;gueltig_ab;gueltig_bis\n\
         A123456780;Max;Mustermann;{year};{year}-01-01;{year}-12-31\n"
    );
    let mut rejected = Vec::new();
    import_exemptions(app.stores.exemptions.as_ref(), exemptions.as_bytes(), None, &mut rejected)
        .await
        .unwrap();

    // 1. The vendor's key pair, and its public JWKS for the registration.
    let work = tempfile::tempdir().unwrap();
    let key: PathBuf = work.path().join("key.pem");
    let kid = "vendor-key-1".to_string();
    let keys =
        client(vec!["jwks".into(), "--key".into(), path(&key), "--kid".into(), kid.clone()]).await;
    assert!(keys.status.success(), "{}", text(&keys));
    let jwks: Value = serde_json::from_slice(&keys.stdout).unwrap();
    assert_eq!(jwks["keys"][0]["kid"], "vendor-key-1");
    assert!(jwks["keys"][0].get("d").is_none(), "the public half only");
    let jwks_file = work.path().join("jwks.json");
    std::fs::write(&jwks_file, &keys.stdout).unwrap();

    // 2. The insurer's back office registers it.
    let client_id = registered(&app, &jwks_file);

    // 3. Token, search, status, proof.
    let ask = |kvnr: &str| {
        let args: Vec<String> = vec![
            "ask".into(),
            "--base".into(),
            app.address.clone(),
            "--key".into(),
            path(&key),
            "--kid".into(),
            kid.clone(),
            "--client-id".into(),
            client_id.clone(),
            "--kvnr".into(),
            kvnr.into(),
        ];
        client(args)
    };
    let exempt = ask("A123456780").await;
    let said = text(&exempt);
    println!("{said}");
    assert!(exempt.status.success(), "{said}");
    let lines: Vec<&str> = said.lines().collect();
    assert_eq!(lines[0], "token: ok, expires in 300 s, scope system/Coverage.rs");
    assert!(lines[1].starts_with("query ") && lines[1].ends_with(": 1 Coverage"), "{said}");
    assert_eq!(lines[2], format!("{year}: exempt (befreit) from {year}-01-01 until {year}-12-31"));
    assert_eq!(lines[3], "proof, checked offline with /oauth/jwks.json: genuine");
    assert_eq!(
        lines[4],
        "proof, checked by the portal: genuine=true in_audit_log=true verdict=genuine"
    );

    let unknown = ask("C345678908").await;
    let said = text(&unknown);
    assert!(unknown.status.success(), "{said}");
    assert!(said.contains("no record: no co-payment exemption on file (kein Treffer)"), "{said}");
    assert!(said.contains("genuine=true in_audit_log=true"), "{said}");

    let invalid = ask("A123456789").await;
    let said = text(&invalid);
    assert_eq!(invalid.status.code(), Some(1), "{said}");
    assert!(said.contains("refused: HTTP 400, invalid / invalid_kvnr"), "{said}");

    // Both answered queries are in the pharmacy's audit chain, over the API.
    let chain = intact(app.stores.audit.audit_of_ik(&Ik::parse(IK).unwrap()).await.unwrap());
    let channels: Vec<&str> = chain.iter().map(|r| r.channel.as_str()).collect();
    assert_eq!(channels, ["api", "api"]);
}
