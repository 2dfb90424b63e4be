//! The `portal` binary as the back office and a newcomer use it.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use crate::harness::spawn_app;
use crate::store_contract::kvnr;

fn portal(data_dir: &Path) -> Command {
    crate::harness::portal_command(data_dir)
}

fn write(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[tokio::test]
async fn the_import_command_imports_while_the_server_runs() {
    let app = spawn_app().await;
    let file = write(
        app.data_dir.path(),
        "exemptions.csv",
        "kvnr;vorname;nachname;jahr;gueltig_ab;gueltig_bis\nA123456780;Max;Mustermann;2026;2026-03-14;2026-12-31\n",
    );
    let output =
        portal(app.data_dir.path()).args(["import", "exemptions"]).arg(&file).output().unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(String::from_utf8_lossy(&output.stdout).trim(), "1 Zeile importiert, 0 abgelehnt.");
    let seen_by_server = app.stores.exemptions.exemptions_of(&kvnr("A123456780")).await.unwrap();
    assert_eq!(seen_by_server.len(), 1);
}

#[test]
fn rejected_rows_are_named_by_line_and_column_and_the_exit_code_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        dir.path(),
        "providers.csv",
        "ik;name;email;strasse;plz;ort;berufsfeld\n\
         301412340;Muster-Apotheke;post@muster.example;Altmarkt 1;01067;Dresden;apotheke\n\
         301412341;Falsche Prüfziffer;post@falsch.example;Altmarkt 2;01067;Dresden;apotheke\n",
    );
    let output = portal(dir.path()).args(["import", "providers"]).arg(&file).output().unwrap();
    assert_eq!(output.status.code(), Some(3));
    assert_eq!(
        stderr(&output).trim(),
        "Zeile 3, Spalte ik: Die Prüfziffer des Institutionskennzeichens stimmt nicht. Bitte prüfen Sie die Eingabe."
    );
    let english = portal(dir.path())
        .env("LANG", "en_GB.UTF-8")
        .args(["import", "providers"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        stderr(&english).starts_with("line 3, column ik: The check digit"),
        "{}",
        stderr(&english)
    );
}

#[test]
fn a_file_with_the_wrong_header_fails_and_says_what_was_expected() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "exemptions.csv", "kvnr,name\nA123456780,Max\n");
    let output = portal(dir.path()).args(["import", "exemptions"]).arg(&file).output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains(
            "Die Kopfzeile muss `kvnr;vorname;nachname;jahr;gueltig_ab;gueltig_bis` lauten"
        )
    );
}

#[test]
fn a_missing_file_or_an_impossible_year_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let missing =
        portal(dir.path()).args(["import", "providers", "gibt-es-nicht.csv"]).output().unwrap();
    assert_eq!(missing.status.code(), Some(1));
    assert!(stderr(&missing).contains("gibt-es-nicht.csv"));
    let file = write(dir.path(), "e.csv", "kvnr;vorname;nachname;jahr;gueltig_ab;gueltig_bis\n");
    let year = portal(dir.path())
        .args(["import", "exemptions", "--replace-year", "26"])
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(year.status.code(), Some(2));
}

#[tokio::test]
async fn serve_with_demo_data_serves_both_demo_insurers_and_knows_their_providers() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = portal(dir.path())
        .args(["serve", "--demo"])
        .env("PORTAL_ADDR", "127.0.0.1:0")
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // One line per insurer: "Portal AOK PLUS (Demo): http://plus.localhost:PORT/".
    let mut lines = BufReader::new(server.stderr.take().unwrap()).lines();
    let addresses: Vec<String> = lines
        .by_ref()
        .map_while(Result::ok)
        .take_while(|line| !line.starts_with("(Strg+C"))
        .filter(|line| line.starts_with("Portal "))
        .filter_map(|line| line.split_once(": ").map(|(_, url)| url.trim().to_string()))
        .collect();
    std::thread::spawn(move || lines.for_each(drop));
    assert_eq!(addresses.len(), 2, "{addresses:?}");
    assert!(addresses[0].starts_with("http://plus.localhost:"), "{addresses:?}");
    assert!(addresses[1].starts_with("http://bayern.localhost:"), "{addresses:?}");
    let port: u16 = addresses[0].rsplit(':').next().unwrap().trim_end_matches('/').parse().unwrap();
    let loopback = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    let http = reqwest::Client::builder()
        .resolve("plus.localhost", loopback)
        .resolve("bayern.localhost", loopback)
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    for address in &addresses {
        let health = http.get(format!("{address}api/health")).send().await.unwrap();
        assert_eq!(health.status(), reqwest::StatusCode::OK);
    }
    let bayern: serde_json::Value =
        http.get(format!("{}api/tenant", addresses[1])).send().await.unwrap().json().await.unwrap();
    assert_eq!(bayern["name"], "AOK Bayern (Demo)");
    // The demo tenants file lies beside the stores, for the back office to read and edit.
    assert!(
        dir.path().join("tenants.toml").exists() && dir.path().join("bayern/portal.db").exists()
    );

    // The CLI reads the same store while the server runs, naming the insurer.
    let file =
        write(dir.path(), "p.csv", &portal::demo::PROVIDERS.replace("Altmarkt 1", "Altmarkt 2"));
    let output = portal(dir.path())
        .args(["import", "providers", "--tenant", "plus"])
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&output.stdout).trim(),
        "4 Zeilen importiert, 0 abgelehnt.",
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    server.kill().unwrap();
    server.wait().unwrap();
}

#[tokio::test]
async fn the_audit_tells_who_asked_about_a_person_and_verify_finds_tampering() {
    let app = spawn_app().await;
    let session = app.provider_session().await;
    let ask = |consent: &'static str| serde_json::json!({"kvnr": "A123456780", "consent": consent, "dispensing_date": "2026-03-14"});
    app.answer(&session, ask("insured_present")).await;
    app.answer(&session, ask("representative_present")).await;
    app.answer(&session, serde_json::json!({"kvnr": "C345678908", "consent": "insured_present"}))
        .await;
    let dir = app.data_dir.path();

    let table = portal(dir).args(["audit", "--kvnr", "a123456780"]).output().unwrap();
    assert!(table.status.success(), "{}", stderr(&table));
    let text = String::from_utf8_lossy(&table.stdout).into_owned();
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].starts_with("Zeitpunkt") && lines[0].contains("Einwilligung"), "{text}");
    assert!(lines[1].starts_with("04.05.2026 10:00:00  301412340  A123456780  Versicherte(r) anwesend  2026-03-14  befreit 2026; am Abgabetag befreit"), "{text}");
    assert!(lines[2].contains("Vertreter(in) anwesend"), "{text}");
    assert_eq!(lines.last(), Some(&"2 Abfragen"));

    let json = portal(dir)
        .args([
            "audit",
            "--ik",
            "301412340",
            "--json",
            "--from",
            "2026-05-04",
            "--to",
            "2026-05-04",
        ])
        .output()
        .unwrap();
    let rows: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(rows.as_array().unwrap().len(), 3);
    assert_eq!(rows[2]["found"], false);
    let none = portal(dir)
        .args(["audit", "--ik", "301412340", "--json", "--from", "2026-05-05"])
        .output()
        .unwrap();
    assert_eq!(
        serde_json::from_slice::<serde_json::Value>(&none.stdout).unwrap(),
        serde_json::json!([])
    );

    // The hourly anchor, as `portal serve` writes it.
    let anchored = portal(dir).args(["audit", "anchor"]).output().unwrap();
    assert_eq!(String::from_utf8_lossy(&anchored.stdout).trim(), "1 Protokollkette verankert.");
    let verify = |dir: &Path| portal(dir).args(["audit", "verify"]).output().unwrap();
    let intact = verify(dir);
    assert_eq!(intact.status.code(), Some(0));
    assert_eq!(
        String::from_utf8_lossy(&intact.stdout).trim(),
        "1 Protokollkette mit 3 Einträgen geprüft.\nKeine Auffälligkeiten."
    );

    // The portal itself cannot change or remove a record...
    let db = rusqlite::Connection::open(dir.join("portal/portal.db")).unwrap();
    let refused =
        db.execute("UPDATE audit SET outcome = 'not_found' WHERE seq = 1", []).unwrap_err();
    assert!(refused.to_string().contains("audit records are never changed"));
    assert!(db.execute("DELETE FROM audit WHERE seq = 2", []).is_err());
    // ...someone editing the file can, and verify names what they did.
    db.execute_batch("DROP TRIGGER audit_is_append_only; DROP TRIGGER audit_kept_for_retention;")
        .unwrap();
    db.execute("UPDATE audit SET outcome = 'not_found' WHERE seq = 1", []).unwrap();
    db.execute("DELETE FROM audit WHERE seq = 2", []).unwrap();
    let tampered = verify(dir);
    assert_eq!(tampered.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&tampered.stdout).trim(),
        "1 Protokollkette mit 2 Einträgen geprüft.\n\
         IK 301412340, Eintrag 1: Inhalt wurde verändert.\n\
         IK 301412340, Einträge 2 bis 2: fehlen vor Ablauf der Aufbewahrungsfrist."
    );
}

fn calc(which: &str, input: &str) -> Output {
    let dir = tempfile::tempdir().unwrap();
    let mut child = portal(dir.path())
        .args(["calc", which])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), input.as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

fn answer(output: &Output) -> serde_json::Value {
    assert!(output.status.success(), "{}", stderr(output));
    serde_json::from_slice(&output.stdout).unwrap()
}

#[test]
fn the_calculators_answer_one_json_object_per_question() {
    let care = answer(&calc(
        "care",
        r#"{"date": "2025-06-30", "pflegegrad": 3, "sachleistung_used": 695.21, "home_months": 25}"#,
    ));
    assert_eq!(care["pflegegeld"], 599.0);
    assert_eq!(care["kombination_pflegegeld"], 320.82);
    assert_eq!(care["kurzzeitpflege"], 1854.0);
    assert_eq!(care["verhinderungspflege_hoechstens"], 2528.0);
    assert_eq!(care["gemeinsamer_jahresbetrag"], serde_json::Value::Null);
    assert_eq!(care["leistungszuschlag_prozent"], 50);
    let beihilfe =
        answer(&calc("care", r#"{"date": "2025-07-01", "pflegegrad": 2, "beihilfe": true}"#));
    assert_eq!(
        (beihilfe["pflegegeld"].as_f64(), beihilfe["gemeinsamer_jahresbetrag"].as_f64()),
        (Some(173.5), Some(1769.5))
    );

    let limit = answer(&calc(
        "copay-limit",
        r#"{"year": 2026, "gross_income": 40000, "partner": true, "children": 1, "copayments_paid": [100, 62.5]}"#,
    ));
    assert_eq!(limit["belastungsgrenze"], 462.5);
    assert_eq!(limit["remaining"], 300.0);
    let buergergeld = answer(&calc(
        "copay-limit",
        r#"{"year": 2025, "buergergeld": true, "chronically_ill": true}"#,
    ));
    assert_eq!(buergergeld["belastungsgrenze"], 67.56);

    assert_eq!(
        answer(&calc("copay-item", r#"{"kind": "hilfsmittel", "price": 29.99}"#))["zuzahlung"],
        5.0
    );
    assert_eq!(
        answer(&calc(
            "copay-item",
            r#"{"kind": "krankenhaus", "days": 10, "days_paid_this_year": 22}"#
        ))["zuzahlung"],
        60.0
    );
}

#[test]
fn impossible_calculator_input_is_refused_with_a_reason() {
    for (which, input, reason) in [
        (
            "care",
            r#"{"date": "2026-05-04", "pflegegrad": 7}"#,
            "Der Pflegegrad ist eine Zahl von 1 bis 5.",
        ),
        (
            "care",
            r#"{"date": "2023-12-31", "pflegegrad": 2}"#,
            "Der Rechner kennt die Beträge ab dem 1. Januar 2024.",
        ),
        ("copay-item", r#"{"kind": "arznei", "price": -3}"#, "Ein Betrag darf nicht negativ sein."),
        ("copay-item", r#"{"kind": "brille", "price": 3}"#, "unknown variant `brille`"),
        ("copay-item", r#"{"kind": "krankenhaus"}"#, "Bitte geben Sie die Zahl der Tage an."),
        (
            "copay-limit",
            r#"{"year": 2023, "gross_income": 1}"#,
            "Der Rechner kennt die Jahre 2024 bis 2026.",
        ),
        ("copay-limit", "kein JSON", "Die Eingabe ist kein passendes JSON-Objekt"),
    ] {
        let output = calc(which, input);
        assert_eq!(output.status.code(), Some(1), "{input}");
        assert!(output.stdout.is_empty(), "{input}");
        assert!(stderr(&output).contains(reason), "{input}: {}", stderr(&output));
    }
}
