//! The local server as a browser and the app see it: routing, problem documents, request ids,
//! security headers, request bodies.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::harness::{spawn_app, spawn_app_serving};

#[tokio::test]
async fn health_answers_ok_with_the_version() {
    let app = spawn_app().await;
    let response = app.http.get(app.url("/api/health")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body, json!({"status": "ok", "version": env!("CARGO_PKG_VERSION")}));
}

#[tokio::test]
async fn the_apps_own_routes_get_its_index_page_and_unknown_api_paths_a_problem() {
    let site = tempfile::tempdir().unwrap();
    std::fs::write(site.path().join("index.html"), "<!doctype html><title>Portal-App</title>")
        .unwrap();
    std::fs::write(site.path().join("app.js"), "export {}").unwrap();
    let app = spawn_app_serving(site.path()).await;

    for path in ["/", "/oha/suche", "/registrieren"] {
        let response = app.http.get(app.url(path)).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        assert!(response.text().await.unwrap().contains("Portal-App"), "{path}");
    }
    let script = app.http.get(app.url("/app.js")).send().await.unwrap();
    assert_eq!(script.text().await.unwrap(), "export {}");

    let response = app.http.get(app.url("/api/nicht-da")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert_eq!(response.headers()["content-type"], "application/problem+json");
    let problem: Value = response.json().await.unwrap();
    assert_eq!(problem["code"], "not_found");
    assert_eq!(problem["title"], "Diese Adresse gibt es nicht.");
}

#[tokio::test]
async fn api_answers_are_never_cached_and_a_wrong_method_gets_a_problem_naming_the_allowed_ones() {
    let app = spawn_app().await;
    for path in ["/api/health", "/api/session", "/api/nicht-da"] {
        let response = app.http.get(app.url(path)).send().await.unwrap();
        assert_eq!(response.headers()["cache-control"], "no-store", "{path}");
    }

    let response = app.http.put(app.url("/api/session")).send().await.unwrap();

    assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(response.headers()["content-type"], "application/problem+json");
    let allowed = response.headers()["allow"].to_str().unwrap().to_string();
    for method in ["GET", "POST", "DELETE"] {
        assert!(allowed.contains(method), "{allowed}");
    }
    let problem: Value = response.json().await.unwrap();
    assert_eq!(problem["code"], "method_not_allowed");
}

#[tokio::test]
async fn without_a_built_app_the_start_page_says_so() {
    let app = spawn_app().await;
    let page = app.http.get(app.url("/")).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("Die Web-Anwendung ist noch nicht gebaut"));
}

#[tokio::test]
async fn problems_speak_english_when_asked() {
    let app = spawn_app().await;
    let response = app
        .http
        .get(app.url("/api/nope"))
        .header("accept-language", "en-GB,en;q=0.9")
        .send()
        .await
        .unwrap();
    let problem: Value = response.json().await.unwrap();
    assert_eq!(problem["title"], "There is nothing at this address.");
}

#[tokio::test]
async fn a_request_id_from_the_gateway_is_kept_and_a_missing_one_is_made() {
    let app = spawn_app().await;
    let kept = app
        .http
        .get(app.url("/api/health"))
        .header("x-request-id", "abc-123")
        .send()
        .await
        .unwrap();
    assert_eq!(kept.headers()["x-request-id"], "abc-123");
    let made = app
        .http
        .get(app.url("/api/health"))
        .header("x-request-id", "<script>")
        .send()
        .await
        .unwrap();
    let id = made.headers()["x-request-id"].to_str().unwrap();
    assert_eq!(id.len(), 26, "a ULID, not the header sent: {id}");
}

#[tokio::test]
async fn every_response_carries_the_security_headers() {
    let app = spawn_app().await;
    for path in ["/api/health", "/api/nope", "/"] {
        let response = app.http.get(app.url(path)).send().await.unwrap();
        for (name, value) in portal_http::SECURITY_HEADERS {
            assert_eq!(response.headers()[*name], *value, "{name} on {path}");
        }
    }
}

#[tokio::test]
async fn request_bodies_must_be_json_small_and_without_unknown_fields() {
    let app = spawn_app().await;
    let url = app.url("/api/session");
    let form = app
        .http
        .post(&url)
        .body("ik=1")
        .header("content-type", "application/x-www-form-urlencoded")
        .send()
        .await
        .unwrap();
    assert_eq!(form.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(form.json::<Value>().await.unwrap()["code"], "unsupported_media_type");

    let huge = json!({"ik": "301412340", "password": "x".repeat(portal_http::MAX_BODY_BYTES)});
    let too_large = app.http.post(&url).json(&huge).send().await.unwrap();
    assert_eq!(too_large.status(), StatusCode::PAYLOAD_TOO_LARGE);

    let unknown = app
        .http
        .post(&url)
        .json(&json!({"ik": "301412340", "password": "x", "admin": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(unknown.json::<Value>().await.unwrap()["code"], "unknown_field");

    let broken = app
        .http
        .post(&url)
        .body("{\"ik\":")
        .header("content-type", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(broken.status(), StatusCode::BAD_REQUEST);
    assert_eq!(broken.json::<Value>().await.unwrap()["code"], "invalid_json");
}

#[tokio::test]
async fn the_openapi_document_lists_exactly_the_routes_of_the_router() {
    let app = spawn_app().await;
    let response = app.http.get(app.url("/api/openapi.json")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let document: Value = response.json().await.unwrap();
    assert_eq!(document["openapi"], "3.1.0");
    let documented: std::collections::BTreeSet<(String, String)> = document["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(path, item)| {
            item.as_object()
                .unwrap()
                .keys()
                .map(move |method| (method.to_uppercase(), path.clone()))
        })
        .collect();
    let routed: std::collections::BTreeSet<(String, String)> = portal_http::routes()
        .into_iter()
        .map(|route| (route.method.to_string(), route.path.to_string()))
        .collect();
    assert_eq!(documented, routed);
    // Every problem code the API can answer with is in the document, for programs to branch on.
    let codes = &document["components"]["schemas"]["ProblemCode"]["enum"];
    for code in portal_wire::ProblemCode::ALL {
        assert!(codes.as_array().unwrap().contains(&json!(code.as_str())), "{code:?}");
    }
    // The session cookie is the security scheme of the operations that need a login.
    let scheme = &document["components"]["securitySchemes"]["session"];
    assert_eq!(
        (scheme["in"].as_str(), scheme["name"].as_str()),
        (Some("cookie"), Some("__Host-session"))
    );
    assert_eq!(
        document["paths"]["/api/exemption-queries"]["post"]["security"],
        json!([{"session": []}])
    );
}
