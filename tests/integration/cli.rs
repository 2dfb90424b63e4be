//! The `portal` binary as the back office and a newcomer use it.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use crate::harness::spawn_app;
use crate::store_contract::kvnr;

fn portal(data_dir: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_portal"));
    command
        .env("PORTAL_DATA_DIR", data_dir)
        .env("LANG", "de_DE.UTF-8")
        .env_remove("LC_ALL")
        .env_remove("LC_MESSAGES");
    command
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
async fn serve_with_demo_data_answers_health_and_knows_the_demo_providers() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = portal(dir.path())
        .args(["serve", "--demo"])
        .env("PORTAL_ADDR", "127.0.0.1:0")
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(server.stderr.take().unwrap()).lines();
    let address = lines
        .by_ref()
        .map_while(Result::ok)
        .find_map(|line| {
            line.strip_prefix("Portal: ")
                .map(|rest| rest.split_whitespace().next().unwrap_or("").to_string())
        })
        .expect("the server prints its address");
    std::thread::spawn(move || lines.for_each(drop));

    let health = reqwest::Client::new()
        .get(format!("{address}api/health"))
        .timeout(Duration::from_secs(10))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), reqwest::StatusCode::OK);

    // The CLI reads the same store while the server runs.
    let file =
        write(dir.path(), "p.csv", &portal::demo::PROVIDERS.replace("Altmarkt 1", "Altmarkt 2"));
    let output = portal(dir.path()).args(["import", "providers"]).arg(&file).output().unwrap();
    assert_eq!(String::from_utf8_lossy(&output.stdout).trim(), "3 Zeilen importiert, 0 abgelehnt.");
    server.kill().unwrap();
    server.wait().unwrap();
}
