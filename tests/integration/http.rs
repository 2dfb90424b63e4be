//! The local server as a browser and the app see it.

use reqwest::StatusCode;

use crate::harness::{spawn_app, spawn_app_serving};

#[tokio::test]
async fn health_answers_ok_with_the_version() {
    let app = spawn_app().await;
    let response = app.http.get(app.url("/api/health")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.headers().contains_key("x-request-id"));
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body, serde_json::json!({"status": "ok", "version": env!("CARGO_PKG_VERSION")}));
}

#[tokio::test]
async fn the_apps_own_routes_get_its_index_page_and_unknown_api_paths_a_problem() {
    let site = tempfile::tempdir().unwrap();
    std::fs::write(site.path().join("index.html"), "<!doctype html><title>Portal-App</title>")
        .unwrap();
    std::fs::write(site.path().join("app.js"), "export {}").unwrap();
    let app = spawn_app_serving(Some(site.path())).await;

    for path in ["/", "/oha/suche", "/registrieren"] {
        let response = app.http.get(app.url(path)).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        assert!(
            response.headers()["content-security-policy"]
                .to_str()
                .unwrap()
                .contains("frame-ancestors 'none'")
        );
        assert!(response.text().await.unwrap().contains("Portal-App"), "{path}");
    }
    let script = app.http.get(app.url("/app.js")).send().await.unwrap();
    assert_eq!(script.text().await.unwrap(), "export {}");

    let response = app.http.get(app.url("/api/nicht-da")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert_eq!(response.headers()["content-type"], "application/problem+json");
    let problem: serde_json::Value = response.json().await.unwrap();
    assert_eq!(problem["code"], "not_found");
    assert_eq!(problem["title"], "Diese Adresse gibt es nicht.");
}

#[tokio::test]
async fn without_a_built_app_the_start_page_says_so() {
    let app = spawn_app().await;
    let response = app.http.get(app.url("/")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let page = response.text().await.unwrap();
    assert!(page.contains("Die Web-Anwendung ist noch nicht gebaut"));
}
