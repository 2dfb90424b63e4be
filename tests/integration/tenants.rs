//! Several insurers in one deployment: each sees only its own providers, exemptions, accounts,
//! sessions, counters and audit chains; each has its own rules, letterhead and look. And a store
//! from before tenants becomes the first tenant's without losing a record.

use std::collections::HashMap;
use std::path::Path;
use std::process::Command;

use aws_sdk_dynamodb::types::AttributeValue;
use portal_core::import::import_exemptions;
use portal_core::oha::verify_audit;
use portal_core::{AccountStore, AuditLog, ExemptionStore, LetterQueue, ProviderDirectory};
use portal_domain::{Ik, Kvnr};
use portal_store_dynamodb::DynamoStore;
use portal_store_embedded::EmbeddedStore;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use time::{Duration, OffsetDateTime};

use crate::api::{IK, problem};
use crate::harness::{AppOptions, TestApp, dynamodb_client, dynamodb_tables, repo_root};

/// Two insurers as the demo has them (logos inline); AOK Bayern-like with a quota of 3.
pub(crate) const TWO_TENANTS: &str = r##"
[[tenant]]
slug = "plus"
ik = "107299005"
name = "AOK PLUS (Test)"
hosts = ["plus.localhost"]
years_shown = "current_and_previous_until_june_30"
services = ["oha", "etherapiebericht", "calculators"]
[tenant.letterhead]
sender = "Serviceportal der AOK PLUS"
mail_from = "serviceportal@plus.aok.example"
address = ["AOK PLUS", "Sternplatz 7", "01067 Dresden"]
service_line = "Servicetelefon: 0800 1059000"
portal_url = "http://plus.localhost:8080"
kim_address = "etherapiebericht@plus.aok.kim.telematik"
[tenant.look]
logo = '<svg xmlns="http://www.w3.org/2000/svg"><title>PLUS</title></svg>'
primary = "#005e3a"
secondary = "#00442a"

[[tenant]]
slug = "bayern"
ik = "108310400"
name = "AOK Bayern (Test)"
hosts = ["bayern.localhost"]
years_shown = "current"
quota_per_day = 3
services = ["oha", "calculators"]
[tenant.letterhead]
sender = "Serviceportal der AOK Bayern"
mail_from = "serviceportal@bayern.aok.example"
address = ["AOK Bayern", "Carl-Wery-Straße 28", "81739 München"]
service_line = "Servicetelefon: 0800 0000000"
portal_url = "http://bayern.localhost:8080"
[tenant.look]
logo = '<svg xmlns="http://www.w3.org/2000/svg"><title>BAYERN</title></svg>'
primary = "#1f4e79"
secondary = "#16365a"
"##;

pub(crate) fn two_tenants() -> AppOptions {
    AppOptions { tenants: Some(TWO_TENANTS), ..AppOptions::default() }
}

on_both_apps! {
    @with super::two_tenants;
    the_same_ik_registers_with_both_insurers_and_logs_in_to_each_with_its_own_password,
    a_query_on_one_insurer_never_sees_the_other_insurers_exemptions,
    one_insurers_quota_does_not_count_the_other_insurers_queries,
    every_authenticated_route_refuses_a_session_of_the_other_insurer,
    each_insurer_is_served_under_its_host_names_and_no_other,
}

/// An active provider of the demo pharmacy's IK at `app`'s insurer, with `exemptions` on file.
async fn active_at(app: &TestApp, exemptions: &str, letters_before: usize) -> String {
    let mut rejected = Vec::new();
    import_exemptions(app.stores.exemptions.as_ref(), exemptions.as_bytes(), None, &mut rejected)
        .await
        .unwrap();
    app.with_directory().await;
    app.activated(IK, letters_before + 1).await
}

const PLUS_EXEMPTIONS: &str = "kvnr;vorname;nachname;jahr;gueltig_ab;gueltig_bis
A121212122;Özlem;Çelik;2025;2025-01-01;2025-12-31
A121212122;Özlem;Çelik;2026;2026-01-01;2026-12-31
";

async fn the_same_ik_registers_with_both_insurers_and_logs_in_to_each_with_its_own_password(
    app: TestApp,
) {
    let (plus, bayern) = (app.tenant("plus"), app.tenant("bayern"));
    plus.with_directory().await;
    bayern.with_directory().await;
    assert_eq!(plus.register(IK).await.status(), StatusCode::ACCEPTED);
    let plus_letters = plus.read_letters(1).await;
    assert_eq!(bayern.register(IK).await.status(), StatusCode::ACCEPTED);
    let bayern_letters = bayern.read_letters(2).await;

    // Two pairs, each on its insurer's letterhead and from its sender.
    for kind in ["initial_password", "pruefnummer"] {
        let letters = app.letters_of_kind(kind);
        assert_eq!(letters.len(), 2, "{kind}");
        assert!(letters[0].contains("serviceportal@plus.aok.example"), "{}", letters[0]);
        assert!(letters[0].contains("Sternplatz 7") && !letters[0].contains("München"));
        assert!(letters[0].contains("Servicetelefon: 0800 1059000"));
        assert!(letters[1].contains("serviceportal@bayern.aok.example"), "{}", letters[1]);
        assert!(
            letters[1].contains("Carl-Wery-Straße 28") && !letters[1].contains("Dresden\r\n\r\n")
        );
        assert!(letters[1].contains("Ihr Serviceportal der AOK Bayern"));
    }
    assert_ne!(plus_letters.initial_password, bayern_letters.initial_password);

    // Each insurer's password opens that insurer's account only.
    assert_eq!(
        plus.login(IK, &bayern_letters.initial_password).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        bayern.login(IK, &plus_letters.initial_password).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(plus.login(IK, &plus_letters.initial_password).await.status(), StatusCode::OK);
    assert_eq!(bayern.login(IK, &bayern_letters.initial_password).await.status(), StatusCode::OK);
}

async fn a_query_on_one_insurer_never_sees_the_other_insurers_exemptions(app: TestApp) {
    let (plus, bayern) = (app.tenant("plus"), app.tenant("bayern"));
    let at_plus = active_at(&plus, PLUS_EXEMPTIONS, 0).await;
    let at_bayern = active_at(&bayern, &portal::demo::exemptions("bayern", 2026), 1).await;
    let ask = |kvnr: &str| json!({"kvnr": kvnr, "consent": "insured_present"});

    // AOK PLUS shows last year until 30 June (the clock says 4 May), AOK Bayern this year only.
    let plus_answer = plus.answer(&at_plus, ask("A121212122")).await;
    assert_eq!(plus_answer["found"], true);
    assert_eq!(plus_answer["years"].as_array().unwrap().len(), 2, "{plus_answer}");
    let bayern_answer = bayern.answer(&at_bayern, ask("D456789013")).await;
    assert_eq!(bayern_answer["initials"], "J. H.");
    assert_eq!(
        bayern_answer["years"],
        json!([{"year": 2026, "exempt": true, "valid_from": "2026-02-01", "valid_to": "2026-12-31"}])
    );
    // Exempt last year at AOK Bayern: found, but the one year shown is not exempt.
    let last_year_only = bayern.answer(&at_bayern, ask("F567890129")).await;
    assert_eq!(last_year_only["years"], json!([{"year": 2026, "exempt": false}]));

    // Neither sees the other's people.
    assert_eq!(
        plus.answer(&at_plus, ask("D456789013")).await,
        json!({"kvnr": "D456789013", "found": false})
    );
    assert_eq!(
        bayern.answer(&at_bayern, ask("A121212122")).await,
        json!({"kvnr": "A121212122", "found": false})
    );
}

async fn one_insurers_quota_does_not_count_the_other_insurers_queries(app: TestApp) {
    let (plus, bayern) = (app.tenant("plus"), app.tenant("bayern"));
    let at_plus = active_at(&plus, PLUS_EXEMPTIONS, 0).await;
    let at_bayern =
        active_at(&bayern, "kvnr;vorname;nachname;jahr;gueltig_ab;gueltig_bis\n", 1).await;
    let ask = json!({"kvnr": "A121212122", "consent": "insured_present"});
    for _ in 0..3 {
        assert_eq!(plus.ask(&at_plus, ask.clone()).await.status(), StatusCode::OK);
    }
    // AOK Bayern's quota of 3 is still whole after three queries at AOK PLUS...
    for _ in 0..3 {
        assert_eq!(bayern.ask(&at_bayern, ask.clone()).await.status(), StatusCode::OK);
    }
    // ...and used up now, while AOK PLUS's 100 are not.
    let (status, body) = problem(bayern.ask(&at_bayern, ask.clone()).await).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::TOO_MANY_REQUESTS, Some("rate_limited"))
    );
    assert!(body.to_string().contains("von 3 Abfragen"), "{body}");
    assert_eq!(plus.ask(&at_plus, ask).await.status(), StatusCode::OK);
    // Each insurer's audit chain holds its own queries only.
    let ik = Ik::parse(IK).unwrap();
    assert_eq!(plus.stores.audit.audit_of_ik(&ik).await.unwrap().len(), 4);
    assert_eq!(bayern.stores.audit.audit_of_ik(&ik).await.unwrap().len(), 3);
}

async fn every_authenticated_route_refuses_a_session_of_the_other_insurer(app: TestApp) {
    let (plus, bayern) = (app.tenant("plus"), app.tenant("bayern"));
    let at_plus = active_at(&plus, PLUS_EXEMPTIONS, 0).await;
    bayern.with_directory().await;
    let mut tried = Vec::new();
    // The sessions' routes (the machine API's take a token, which names its tenant).
    for route in portal_http::routes().into_iter().filter(|r| r.path.starts_with("/api/")) {
        let body = (route.method == Method::POST).then(|| json!({}));
        // A route that wants a session refuses a request without one.
        let anonymous = plus.http.request(route.method.clone(), plus.url(route.path));
        let anonymous = match &body {
            Some(body) => anonymous.json(body),
            None => anonymous,
        };
        if anonymous.send().await.unwrap().status() != StatusCode::UNAUTHORIZED {
            continue;
        }
        let what = format!("{} {}", route.method, route.path);
        tried.push(what.clone());
        let other = bayern.with_cookie(route.method.clone(), route.path, &at_plus, body).await;
        let (status, problem) = problem(other).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{what}: {problem}");
    }
    // At least these need a session (login and reset answer 401 to an empty body too, and are
    // tried as well; logout answers 204 to anyone, ending nothing).
    for needed in [
        "GET /api/session",
        "POST /api/password",
        "POST /api/exemption-queries",
        "GET /api/physicians",
        "GET /api/account/history",
    ] {
        assert!(tried.iter().any(|t| t == needed), "{needed} in {tried:?}");
    }
    // The session itself still works at its own insurer.
    let own = plus.with_cookie(Method::GET, "/api/session", &at_plus, None).await;
    assert_eq!(own.status(), StatusCode::OK);
}

async fn each_insurer_is_served_under_its_host_names_and_no_other(app: TestApp) {
    let (plus, bayern) = (app.tenant("plus"), app.tenant("bayern"));
    let info = |app: TestApp| async move {
        let response = app.http.get(app.url("/api/tenant")).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        response.json::<Value>().await.unwrap()
    };
    let plus_info = info(plus.clone()).await;
    assert_eq!(plus_info["slug"], "plus");
    assert_eq!(plus_info["ik"], "107299005");
    assert_eq!(plus_info["name"], "AOK PLUS (Test)");
    assert_eq!(plus_info["colors"], json!({"primary": "#005e3a", "secondary": "#00442a"}));
    assert_eq!(plus_info["services"], json!(["oha", "etherapiebericht", "calculators"]));
    assert_eq!(plus_info["years_shown"], "current_and_previous_until_june_30");
    assert_eq!(plus_info["contact"], "Servicetelefon: 0800 1059000");
    let bayern_info = info(bayern.clone()).await;
    assert_eq!(bayern_info["name"], "AOK Bayern (Test)");
    assert_eq!(bayern_info["services"], json!(["oha", "calculators"]));
    assert_eq!(bayern_info["years_shown"], "current");

    let logo = bayern
        .http
        .get(bayern.url(bayern_info["logo_url"].as_str().unwrap()))
        .send()
        .await
        .unwrap();
    assert_eq!(logo.headers()["content-type"], "image/svg+xml");
    assert!(logo.text().await.unwrap().contains("<title>BAYERN</title>"));

    // An unknown host gets no insurer: 404, as problem+json under /api and as a page elsewhere.
    let stranger = reqwest::Client::builder()
        .resolve("fremd.localhost", format!("127.0.0.1:{}", app.port).parse().unwrap())
        .build()
        .unwrap();
    let url = |path: &str| format!("http://fremd.localhost:{}{path}", app.port);
    let (status, body) = problem(stranger.get(url("/api/tenant")).send().await.unwrap()).await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::NOT_FOUND, Some("unknown_tenant")));
    let register = stranger.post(url("/api/registrations")).json(&json!({})).send().await.unwrap();
    assert_eq!(register.status(), StatusCode::NOT_FOUND);
    // Whether the portal answers is the same for every host: probes ask by address.
    assert_eq!(stranger.get(url("/api/health")).send().await.unwrap().status(), StatusCode::OK);
    let page = stranger.get(url("/")).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::NOT_FOUND);
    assert!(page.text().await.unwrap().contains("Kein Portal unter dieser Adresse"));

    // The loopback address leads to the list of insurers.
    let no_redirects =
        reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let root = no_redirects.get(app.url("/")).send().await.unwrap();
    assert!(root.status().is_redirection());
    assert_eq!(root.headers()["location"], "/mandanten");
    let list = no_redirects.get(app.url("/mandanten")).send().await.unwrap().text().await.unwrap();
    let port = app.port;
    assert!(
        list.contains(&format!("href=\"http://plus.localhost:{port}/\">AOK PLUS (Test)")),
        "{list}"
    );
    assert!(list.contains(&format!("href=\"http://bayern.localhost:{port}/\">AOK Bayern (Test)")));
}

// --- The back office per insurer ---------------------------------------------------------------

fn portal(data_dir: &Path) -> Command {
    crate::harness::portal_command(data_dir)
}

#[tokio::test]
async fn the_audit_of_one_insurer_shows_only_its_own_records() {
    let app = crate::harness::spawn(two_tenants()).await;
    let (plus, bayern) = (app.tenant("plus"), app.tenant("bayern"));
    let at_plus = active_at(&plus, PLUS_EXEMPTIONS, 0).await;
    let at_bayern = active_at(&bayern, &portal::demo::exemptions("bayern", 2026), 1).await;
    plus.answer(&at_plus, json!({"kvnr": "A121212122", "consent": "insured_present"})).await;
    for kvnr in ["D456789013", "F567890129"] {
        bayern.answer(&at_bayern, json!({"kvnr": kvnr, "consent": "insured_present"})).await;
    }
    let dir = app.data_dir.path();
    std::fs::write(dir.join("tenants.toml"), TWO_TENANTS).unwrap();

    let list = |tenant: &str| {
        let out =
            portal(dir).args(["audit", "--tenant", tenant, "--ik", IK, "--json"]).output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        serde_json::from_slice::<Vec<Value>>(&out.stdout).unwrap()
    };
    let at_plus = list("plus");
    assert_eq!(at_plus.len(), 1);
    assert_eq!(at_plus[0]["kvnr"], "A121212122");
    let at_bayern = list("bayern");
    let kvnrs: Vec<&str> = at_bayern.iter().map(|r| r["kvnr"].as_str().unwrap()).collect();
    assert_eq!(kvnrs, ["D456789013", "F567890129"]);

    // With several insurers, the back office must say which.
    let unnamed = portal(dir).args(["audit", "--ik", IK]).output().unwrap();
    assert!(!unnamed.status.success());
    let said = String::from_utf8_lossy(&unnamed.stderr);
    assert!(said.contains("--tenant (plus, bayern)"), "{said}");
    // Each insurer's chains are anchored and verified on their own.
    let anchor = portal(dir).args(["audit", "anchor", "--tenant", "bayern"]).output().unwrap();
    assert!(anchor.status.success(), "{}", String::from_utf8_lossy(&anchor.stderr));
    let verify = portal(dir).args(["audit", "verify", "--tenant", "bayern"]).output().unwrap();
    assert_eq!(
        String::from_utf8_lossy(&verify.stdout).trim(),
        "1 Protokollkette mit 2 Einträgen geprüft.\nKeine Auffälligkeiten."
    );
    assert!(
        dir.join("bayern/audit-anchors.log").exists()
            && !dir.join("plus/audit-anchors.log").exists()
    );
}

// --- The upgrade from a store written before tenants -------------------------------------------

fn release_4() -> std::path::PathBuf {
    repo_root().join("tests/fixtures/release-4")
}

#[test]
fn a_store_file_of_the_previous_release_becomes_the_first_insurers_with_every_record() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    std::fs::copy(release_4().join("portal.db"), dir.join("portal.db")).unwrap();
    std::fs::write(dir.join("tenants.toml"), TWO_TENANTS).unwrap();

    // The release wrote no anchors in this store: the chain is intact, only unanchored.
    let verify = portal(dir).args(["audit", "verify", "--tenant", "plus"]).output().unwrap();
    let said = String::from_utf8_lossy(&verify.stdout).into_owned();
    assert!(said.starts_with("1 Protokollkette mit 3 Einträgen geprüft."), "{said}");
    assert!(
        said.contains("ohne dass seitdem ein Anker geschrieben wurde") && said.lines().count() == 2,
        "{said}"
    );
    assert!(!dir.join("portal.db").exists(), "moved, not copied");
    let anchor = portal(dir).args(["audit", "anchor", "--tenant", "plus"]).output().unwrap();
    assert!(anchor.status.success(), "{}", String::from_utf8_lossy(&anchor.stderr));
    let verify = portal(dir).args(["audit", "verify", "--tenant", "plus"]).output().unwrap();
    assert_eq!(
        String::from_utf8_lossy(&verify.stdout).trim(),
        "1 Protokollkette mit 3 Einträgen geprüft.\nKeine Auffälligkeiten."
    );
    assert!(dir.join("plus/portal.db").exists());
    let listed =
        portal(dir).args(["audit", "--tenant", "plus", "--ik", IK, "--json"]).output().unwrap();
    assert_eq!(serde_json::from_slice::<Vec<Value>>(&listed.stdout).unwrap().len(), 3);
    let other =
        portal(dir).args(["audit", "--tenant", "bayern", "--ik", IK, "--json"]).output().unwrap();
    assert_eq!(serde_json::from_slice::<Vec<Value>>(&other.stdout).unwrap(), Vec::<Value>::new());
}

#[test]
fn a_store_file_is_never_opened_as_another_insurers() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("portal.db");
    let plus = Ik::parse("107299005").unwrap();
    drop(EmbeddedStore::open(&path, &plus).unwrap());
    let refused = EmbeddedStore::open(&path, &Ik::parse("108310400").unwrap()).err().unwrap();
    let said = portal_core::error_chain(&refused);
    assert!(said.contains("holds the data of the insurer with IK 107299005"), "{said}");
    assert!(EmbeddedStore::open(&path, &plus).is_ok());
}

/// The previous release's items, as it wrote them, into fresh tables.
async fn release_4_tables() -> portal_store_dynamodb::Tables {
    let tables = dynamodb_tables().await;
    let client = dynamodb_client();
    let text = std::fs::read_to_string(release_4().join("dynamodb.json")).unwrap();
    let dump: HashMap<String, Vec<HashMap<String, Value>>> = serde_json::from_str(&text).unwrap();
    let table = |name: &str| match name {
        "providers" => tables.providers.clone(),
        "exemptions" => tables.exemptions.clone(),
        "accounts" => tables.accounts.clone(),
        "letters" => tables.letters.clone(),
        "sessions" => tables.sessions.clone(),
        "counters" => tables.counters.clone(),
        _ => tables.audit.clone(),
    };
    for (name, items) in dump {
        for item in items {
            let item = item
                .into_iter()
                .map(|(k, v)| {
                    let value = match (v.get("S"), v.get("N"), v.get("BOOL")) {
                        (Some(s), _, _) => AttributeValue::S(s.as_str().unwrap().into()),
                        (_, Some(n), _) => AttributeValue::N(n.as_str().unwrap().into()),
                        (_, _, Some(b)) => AttributeValue::Bool(b.as_bool().unwrap()),
                        _ => panic!("{v}"),
                    };
                    (k, value)
                })
                .collect();
            client.put_item().table_name(table(&name)).set_item(Some(item)).send().await.unwrap();
        }
    }
    tables
}

#[tokio::test]
async fn the_tables_of_the_previous_release_become_the_first_insurers_with_every_record() {
    let tables = release_4_tables().await;
    let plus =
        DynamoStore::new(dynamodb_client(), tables.clone(), &Ik::parse("107299005").unwrap());
    let bayern = DynamoStore::new(dynamodb_client(), tables, &Ik::parse("108310400").unwrap());
    let ik = Ik::parse(IK).unwrap();
    assert!(plus.account(&ik).await.unwrap().is_none(), "before the upgrade no tenant has them");
    // Traffic that reached the new release first: a directory entry written anew.
    let renamed =
        portal_domain::Provider { name: "Neue Apotheke am Altmarkt".into(), ..demo_pharmacy() };
    plus.put_providers(std::slice::from_ref(&renamed)).await.unwrap();

    let mut told = Vec::new();
    let adopted = plus
        .adopt_unscoped_items(|table, moved| told.push((table.to_string(), moved)))
        .await
        .unwrap();
    assert_eq!(adopted.total(), 2 + 4 + 1 + 3 + 1 + 8 + 4, "{adopted:?}");
    assert_eq!(adopted.superseded, 1, "the newer entry stays");
    assert_eq!(plus.provider(&ik).await.unwrap(), Some(renamed));
    assert!(
        told.iter().any(|(table, moved)| table.ends_with("exemptions") && *moved == 4),
        "{told:?}"
    );
    let again = plus.adopt_unscoped_items(|_, _| {}).await.unwrap();
    assert_eq!(again.total(), 0, "a second run finds none");

    let account = plus.account(&ik).await.unwrap().expect("the account");
    assert_eq!(account.version, 2);
    let kvnr = Kvnr::parse("A121212122").unwrap();
    assert_eq!(plus.exemptions_of(&kvnr).await.unwrap().len(), 2);
    assert_eq!(plus.exempt_in(2026).await.unwrap().len(), 2);
    assert!(plus.pending_letters(10).await.unwrap().is_empty());
    let verified =
        verify_audit(&plus, OffsetDateTime::now_utc(), Duration::days(730)).await.unwrap();
    assert_eq!((verified.chains, verified.records, verified.problems), (1, 3, vec![]));
    assert_eq!(plus.audit_of_kvnr(&kvnr).await.unwrap().len(), 1);

    // The other insurer sees none of it.
    assert!(bayern.account(&ik).await.unwrap().is_none());
    assert!(bayern.provider(&ik).await.unwrap().is_none());
    assert!(bayern.is_empty().await.unwrap());
    assert!(!plus.is_empty().await.unwrap());
    assert!(bayern.audit_heads().await.unwrap().is_empty());
    assert!(bayern.exemptions_of(&kvnr).await.unwrap().is_empty());
}

#[tokio::test]
async fn a_refusal_that_sends_the_provider_to_the_service_names_the_insurers_own() {
    let app = crate::harness::spawn(two_tenants()).await;
    let (plus, bayern) = (app.tenant("plus"), app.tenant("bayern"));
    plus.with_directory().await;
    // Known at AOK PLUS, not at AOK Bayern (whose directory is still empty).
    let (status, body) = problem(bayern.register(IK).await).await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::NOT_FOUND, Some("unknown_ik")));
    assert_eq!(
        body["title"],
        "Dieses IK ist in unserem Verzeichnis der Leistungserbringer nicht hinterlegt. Bitte wenden Sie sich an den Leistungserbringer-Service der AOK Bayern (Test) (Servicetelefon: 0800 0000000)."
    );
    // Blocked at AOK Bayern: in English, too, the insurer's own service.
    bayern.with_directory().await;
    assert_eq!(bayern.register(IK).await.status(), StatusCode::ACCEPTED);
    let letters = bayern.read_letters(1).await;
    bayern.back_office(portal::backoffice::Action::Block { ik: IK.into() }).await;
    let login = bayern
        .http
        .post(bayern.url("/api/session"))
        .header("accept-language", "en")
        .json(&json!({"ik": IK, "password": letters.initial_password}))
        .send()
        .await
        .unwrap();
    let (status, body) = problem(login).await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::LOCKED, Some("blocked")));
    assert_eq!(
        body["title"],
        "Your account is blocked. Please contact the provider service of AOK Bayern (Test) (Servicetelefon: 0800 0000000)."
    );
    assert_eq!(plus.register(IK).await.status(), StatusCode::ACCEPTED);
}

#[tokio::test]
async fn an_insurer_that_does_not_offer_the_query_refuses_it_even_to_its_own_providers() {
    let without_oha: &'static str = Box::leak(
        TWO_TENANTS
            .replace(r#"services = ["oha", "calculators"]"#, r#"services = ["calculators"]"#)
            .into_boxed_str(),
    );
    let app =
        crate::harness::spawn(AppOptions { tenants: Some(without_oha), ..AppOptions::default() })
            .await;
    let bayern = app.tenant("bayern");
    let session = active_at(&bayern, &portal::demo::exemptions("bayern", 2026), 0).await;
    let info: Value =
        bayern.http.get(bayern.url("/api/tenant")).send().await.unwrap().json().await.unwrap();
    assert_eq!(info["services"], json!(["calculators"]));
    let asked =
        bayern.ask(&session, json!({"kvnr": "D456789013", "consent": "insured_present"})).await;
    let (status, body) = problem(asked).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("service_not_offered"))
    );
    assert_eq!(
        bayern.stores.audit.audit_heads().await.unwrap(),
        [],
        "nothing answered, nothing recorded"
    );
}

#[test]
fn the_anchors_of_the_previous_release_stay_where_they_are_and_still_vouch_for_the_chains() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    // The previous release's layout: the store and its anchors in the data folder itself (the
    // anchors written by this release as one insurer, then put back where the old one kept them).
    std::fs::copy(release_4().join("portal.db"), dir.join("portal.db")).unwrap();
    assert!(portal(dir).args(["audit", "anchor"]).output().unwrap().status.success());
    // The whole store: its write-ahead log too, which may still hold the last writes.
    for file in ["portal.db", "portal.db-wal", "portal.db-shm"] {
        if dir.join("portal").join(file).exists() {
            std::fs::rename(dir.join("portal").join(file), dir.join(file)).unwrap();
        }
    }
    // The previous release knew no tenant, so its file names none.
    let db = rusqlite::Connection::open(dir.join("portal.db")).unwrap();
    db.execute("DELETE FROM tenant", []).unwrap();
    drop(db);
    std::fs::rename(dir.join("portal/audit-anchors.log"), dir.join("audit-anchors.log")).unwrap();
    std::fs::remove_dir_all(dir.join("portal")).unwrap();
    let anchored = std::fs::read_to_string(dir.join("audit-anchors.log")).unwrap();

    std::fs::write(dir.join("tenants.toml"), TWO_TENANTS).unwrap();
    let verify = portal(dir).args(["audit", "verify", "--tenant", "plus"]).output().unwrap();
    assert_eq!(
        String::from_utf8_lossy(&verify.stdout).trim(),
        "1 Protokollkette mit 3 Einträgen geprüft.\nKeine Auffälligkeiten.",
        "{}",
        String::from_utf8_lossy(&verify.stderr)
    );
    // The log was not moved (it may be append-only); the tenant's folder points to it.
    assert_eq!(std::fs::read_to_string(dir.join("audit-anchors.log")).unwrap(), anchored);
    let link = std::fs::read_link(dir.join("plus/audit-anchors.log")).unwrap();
    assert_eq!(link, std::path::Path::new("../audit-anchors.log"));
    for file in ["portal.db", "portal.db-wal", "portal.db-shm"] {
        assert!(!dir.join(file).exists(), "{file} moved with the store");
    }
}

/// The demo pharmacy's directory entry, as the demo file has it.
fn demo_pharmacy() -> portal_domain::Provider {
    let line = portal::demo::PROVIDERS.lines().find(|l| l.starts_with(IK)).unwrap();
    let [ik, name, email, strasse, plz, ort, berufsfeld] =
        line.split(';').collect::<Vec<_>>().try_into().unwrap();
    let email = portal_domain::EmailAddress::parse(email).unwrap();
    portal_domain::Provider::new(Ik::parse(ik).unwrap(), name, email, strasse, plz, ort, berufsfeld)
        .unwrap()
}

#[tokio::test]
async fn an_audit_chain_continued_before_the_upgrade_stops_it_with_a_clear_word() {
    let tables = release_4_tables().await;
    let plus = DynamoStore::new(dynamodb_client(), tables, &Ik::parse("107299005").unwrap());
    // A query answered by the new release before the upgrade: a second chain for the pharmacy.
    let entry = portal_core::model::AuditEntry {
        query_id: portal_core::model::QueryId::new(),
        ik: Ik::parse(IK).unwrap(),
        at: OffsetDateTime::now_utc(),
        kvnr: Kvnr::parse("A123456780").unwrap(),
        consent: portal_domain::Consent::InsuredPresent,
        dispensing_date: None,
        outcome: portal_core::model::Outcome::parse("not_found").unwrap(),
        channel: portal_core::model::Channel::Web,
        expires_at: OffsetDateTime::now_utc() + Duration::days(730),
    };
    plus.record_query(&entry, &[]).await.unwrap();
    let stopped = plus.adopt_unscoped_items(|_, _| {}).await.unwrap_err();
    let said = portal_core::error_chain(&stopped);
    assert!(said.contains("a chain was continued under the tenant's key"), "{said}");
}

#[tokio::test]
async fn the_proxys_word_on_the_host_counts_only_with_the_origin_secret() {
    let app = crate::harness::spawn(AppOptions {
        tenants: Some(TWO_TENANTS),
        configure: Box::new(|config| {
            config.settings.tenant_host_header = Some("x-forwarded-host".into());
            config.settings.origin_secret = Some("geheim-vom-cdn".into());
        }),
        ..AppOptions::default()
    })
    .await;
    // CloudFront asks the origin under the API's own name; the viewer's host comes as a header.
    let ask = |secret: Option<&'static str>| {
        let mut request =
            app.http.get(app.url("/api/tenant")).header("x-forwarded-host", "bayern.localhost");
        if let Some(secret) = secret {
            request = request.header("x-origin-verify", secret);
        }
        request.send()
    };
    let trusted = ask(Some("geheim-vom-cdn")).await.unwrap();
    assert_eq!(trusted.status(), StatusCode::OK);
    assert_eq!(trusted.json::<Value>().await.unwrap()["slug"], "bayern");
    for untrusted in [None, Some("geraten")] {
        let (status, body) = problem(ask(untrusted).await.unwrap()).await;
        assert_eq!(
            (status, body["code"].as_str()),
            (StatusCode::NOT_FOUND, Some("unknown_tenant"))
        );
    }
}
