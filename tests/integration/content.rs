//! The information pages per Berufsfeld: listed, filtered, searched, shown sanitised, and the
//! content folder checked by `portal content check`.

use std::path::{Path, PathBuf};

use reqwest::{Method, StatusCode};
use serde_json::Value;

use crate::api::{IK, problem};
use crate::harness::{AppOptions, TestApp, portal_command, repo_root, spawn, spawn_app};

impl TestApp {
    /// `GET /api/content/pages?…` (`query` as it stands after the `?`, maybe empty).
    pub(crate) async fn content_pages(&self, query: &str) -> reqwest::Response {
        let path = match query {
            "" => "/api/content/pages".to_string(),
            query => format!("/api/content/pages?{query}"),
        };
        self.http.get(self.url(&path)).send().await.unwrap()
    }

    /// The slugs `GET /api/content/pages?…` lists, in its order.
    pub(crate) async fn content_slugs(&self, query: &str) -> Vec<String> {
        let response = self.content_pages(query).await;
        assert_eq!(response.status(), StatusCode::OK, "{query}");
        let pages: Vec<Value> = response.json().await.unwrap();
        pages.iter().map(|p| p["slug"].as_str().unwrap().to_string()).collect()
    }

    /// `GET /api/content/pages/{slug}`.
    pub(crate) async fn content_page(&self, slug: &str) -> reqwest::Response {
        self.http.get(self.url(&format!("/api/content/pages/{slug}"))).send().await.unwrap()
    }
}

/// A portal serving the pages of the content folder `dir`.
async fn serving(dir: PathBuf) -> TestApp {
    spawn(AppOptions {
        configure: Box::new(move |config| config.content_dir = dir),
        ..AppOptions::default()
    })
    .await
}

fn page(dir: &Path, name: &str, front: &str, body: &str) {
    let pages = dir.join("pages");
    std::fs::create_dir_all(&pages).unwrap();
    let text = format!(
        "+++\n{front}\nvalid_from = 2026-01-01\nsummary = \"Kurz gesagt.\"\n[[sources]]\ntitle = \"§ 61 SGB V\"\nurl = \"https://www.gesetze-im-internet.de/sgb_5/__61.html\"\n+++\n{body}"
    );
    std::fs::write(pages.join(name), text).unwrap();
}

#[tokio::test]
async fn a_berufsfeld_lists_its_own_pages_first_then_those_for_everyone_and_no_others() {
    let app = spawn_app().await;
    let all = app.content_slugs("").await;
    for slug in ["oha", "einwilligungserklaerungen", "zuzahlung-apotheke", "therapiebericht"] {
        assert!(all.contains(&slug.to_string()), "{slug} in {all:?}");
    }
    let pharmacy = app.content_slugs("berufsfeld=apotheke").await;
    assert_eq!(pharmacy[..2], ["apotheken", "zuzahlung-apotheke"], "{pharmacy:?}");
    assert!(pharmacy.contains(&"oha".to_string()), "pages for everyone follow: {pharmacy:?}");
    assert!(!pharmacy.contains(&"therapiebericht".to_string()), "{pharmacy:?}");
    let therapists = app.content_slugs("berufsfeld=heilmittel").await;
    assert_eq!(therapists[0], "heilmittel", "the landing page leads: {therapists:?}");
    assert!(therapists.contains(&"therapiebericht".to_string()));
    assert!(!therapists.contains(&"zuzahlung-apotheke".to_string()));
    // Each entry carries what the navigation shows.
    let listed: Vec<Value> = app.content_pages("berufsfeld=heilmittel").await.json().await.unwrap();
    let speech =
        listed.iter().find(|p| p["slug"] == "stimm-sprech-sprach-schlucktherapie").unwrap();
    assert_eq!(speech["berufsfeld"], "heilmittel");
    assert_eq!(speech["area"], "logo");
    assert!(speech["summary"].as_str().unwrap().len() > 10);
    let oha = listed.iter().find(|p| p["slug"] == "oha").unwrap();
    assert_eq!(oha["berufsfeld"], Value::Null, "a page for every Berufsfeld");
}

#[tokio::test]
async fn a_search_finds_words_in_title_and_text_whatever_their_case_and_umlauts() {
    let app = spawn_app().await;
    // "Prüfnummer" is in the OHA page's text only, "Belastungsgrenze" in the co-payment page's.
    for query in ["q=pruefnummer", "q=PR%C3%9CFNUMMER", "q=Pr%C3%BCfnummer%20kennwort"] {
        let found = app.content_slugs(query).await;
        assert!(found.contains(&"oha".to_string()), "{query}: {found:?}");
    }
    let found = app.content_slugs("q=belastungsgrenze&berufsfeld=apotheke").await;
    assert!(found.contains(&"zuzahlung-apotheke".to_string()), "{found:?}");
    let found = app.content_slugs("q=belastungsgrenze&berufsfeld=heilmittel").await;
    assert!(!found.contains(&"zuzahlung-apotheke".to_string()), "{found:?}");
    assert!(app.content_slugs("q=quantenphysik").await.is_empty());
}

#[tokio::test]
async fn a_page_is_shown_with_its_html_and_sources_and_an_unknown_one_is_a_404_problem() {
    let app = spawn_app().await;
    let response = app.content_page("zuzahlung-apotheke").await;
    assert_eq!(response.status(), StatusCode::OK);
    let page: Value = response.json().await.unwrap();
    assert_eq!(page["berufsfeld"], "apotheke");
    assert!(page["title"].as_str().unwrap().starts_with("Zuzahlungen"));
    let html = page["html"].as_str().unwrap();
    assert!(html.contains("<table>") && html.contains("<h2>"), "{html}");
    assert!(html.contains(r#"href="/info/oha""#), "internal links stay: {html}");
    let sources = page["sources"].as_array().unwrap();
    assert!(sources.iter().any(|s| s["title"].as_str().unwrap().contains("§ 62 SGB V")));
    let (status, body) = problem(app.content_page("gibt-es-nicht").await).await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::NOT_FOUND, Some("not_found")));
    let (status, body) = problem(app.content_page("..%2Ftenants.toml").await).await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::NOT_FOUND, Some("not_found")));
}

#[tokio::test]
async fn an_unknown_berufsfeld_is_a_400_problem_naming_the_field() {
    let app = spawn_app().await;
    let (status, body) = problem(app.content_pages("berufsfeld=zahnarzt").await).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["code"], "unknown_berufsfeld");
    assert_eq!(body["errors"][0]["field"], "berufsfeld");
}

#[tokio::test]
async fn a_script_or_event_handler_in_the_markdown_never_reaches_the_page() {
    let dir = tempfile::tempdir().unwrap();
    page(
        dir.path(),
        "boese.md",
        "title = \"Böse\"\nberufsfeld = \"alle\"",
        "## Hallo\n\n<script>alert('x')</script>\n\n<img src=\"x\" onerror=\"alert(1)\">\n\n[klick](javascript:alert(2)) <a href=\"/info/boese\" onclick=\"alert(3)\">hier</a>\n\n<iframe src=\"https://example.org\"></iframe><style>body{display:none}</style>\n",
    );
    let app = serving(dir.path().to_path_buf()).await;
    let page: Value = app.content_page("boese").await.json().await.unwrap();
    let html = page["html"].as_str().unwrap();
    assert!(html.contains("<h2>Hallo</h2>"), "{html}");
    for gone in ["<script", "alert", "onerror", "onclick", "javascript:", "<iframe", "<style"] {
        assert!(!html.contains(gone), "{gone} in {html}");
    }
    // What stays harmless stays: the image without its handler, the link without its.
    assert!(html.contains(r#"<img src="x">"#) && html.contains(r#"href="/info/boese""#), "{html}");
}

#[tokio::test]
async fn a_page_valid_only_from_a_later_day_is_neither_listed_nor_shown() {
    let dir = tempfile::tempdir().unwrap();
    page(dir.path(), "jetzt.md", "title = \"Jetzt\"\nberufsfeld = \"alle\"", "Gilt.\n");
    let later = "+++\ntitle = \"Später\"\nberufsfeld = \"alle\"\nvalid_from = 2026-07-01\nsummary = \"s\"\n[[sources]]\ntitle = \"t\"\n+++\nGilt ab Juli.\n";
    std::fs::write(dir.path().join("pages/spaeter.md"), later).unwrap();
    // The test clock stands at 4 May 2026.
    let app = serving(dir.path().to_path_buf()).await;
    assert_eq!(app.content_slugs("").await, ["jetzt"]);
    assert_eq!(app.content_page("spaeter").await.status(), StatusCode::NOT_FOUND);
}

async fn the_session_names_the_providers_berufsfeld(app: TestApp) {
    app.with_directory().await;
    let session = app.active().await.1;
    let response = app.with_cookie(Method::GET, "/api/session", &session, None).await;
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["ik"], IK);
    assert_eq!(body["berufsfeld"], "apotheke");
}

on_both_apps!(the_session_names_the_providers_berufsfeld);

fn check(dir: &Path) -> std::process::Output {
    let scratch = tempfile::tempdir().unwrap();
    portal_command(scratch.path()).args(["content", "check"]).arg(dir).output().unwrap()
}

#[test]
fn portal_content_check_passes_on_the_shipped_pages() {
    let output = check(&repo_root().join("content"));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}{}", String::from_utf8_lossy(&output.stderr));
    assert!(stdout.ends_with("Seiten geprüft: alles in Ordnung.\n"), "{stdout}");
}

#[test]
fn portal_content_check_fails_naming_each_broken_link_and_bad_front_matter() {
    let dir = tempfile::tempdir().unwrap();
    page(dir.path(), "a.md", "title = \"A\"\nberufsfeld = \"alle\"", "Siehe [B](/info/b).\n");
    page(dir.path(), "c.md", "title = \"C\"\nberufsfeld = \"zahnarzt\"", "C\n");
    std::fs::write(dir.path().join("pages/d.md"), "+++\ntitle = 1\n+++\nD\n").unwrap();
    // An insurer's own page replacing a default one is checked with the others.
    let own = dir.path().join("tenants/plus");
    std::fs::create_dir_all(&own).unwrap();
    std::fs::copy(dir.path().join("pages/a.md"), own.join("a.md")).unwrap();
    let output = check(dir.path());
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    let lines: Vec<&str> = stderr.lines().collect();
    assert!(
        lines.contains(&"pages/a.md: verweist auf /info/b, diese Seite gibt es nicht"),
        "{stderr}"
    );
    assert!(
        lines.contains(&"tenants/plus/a.md: verweist auf /info/b, diese Seite gibt es nicht"),
        "{stderr}"
    );
    assert!(
        lines.contains(
            &"pages/c.md: berufsfeld `zahnarzt` gibt es nicht: alle, apotheke, heilmittel, hilfsmittel oder sonstige"
        ),
        "{stderr}"
    );
    let d = lines.iter().find(|l| l.starts_with("pages/d.md: der Vorspann ist kein gültiges TOML"));
    assert!(d.is_some_and(|l| l.contains("title")), "{stderr}");
    assert_eq!(lines.last(), Some(&"4 Fehler in 4 Seiten."), "{stderr}");
}
