use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use portal_core::SystemClock;
use portal_store_embedded::EmbeddedStore;
use tower::ServiceExt;

use super::*;

fn app() -> Router {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(EmbeddedStore::open(&dir.path().join("portal.db")).unwrap());
    api(AppState { providers: store.clone(), exemptions: store, clock: Arc::new(SystemClock) })
}

async fn body_json(response: axum::response::Response) -> serde_json::Value {
    let bytes = axum::body::to_bytes(response.into_body(), 64 * 1024).await.unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

#[tokio::test]
async fn unknown_api_paths_answer_a_problem_document_in_the_requested_language() {
    let request = Request::get("/api/nope").header(header::ACCEPT_LANGUAGE, "en-GB,en;q=0.9");
    let response = app().oneshot(request.body(Body::empty()).unwrap()).await.unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert_eq!(response.headers()[header::CONTENT_TYPE], "application/problem+json");
    let problem = body_json(response).await;
    assert_eq!(problem["code"], "not_found");
    assert_eq!(problem["status"], 404);
    assert_eq!(problem["title"], "There is nothing at this address.");
}

#[tokio::test]
async fn a_request_id_from_the_gateway_is_kept_and_a_missing_one_is_made() {
    let request = Request::get("/api/health").header("x-request-id", "abc-123");
    let response = app().oneshot(request.body(Body::empty()).unwrap()).await.unwrap();
    assert_eq!(response.headers()["x-request-id"], "abc-123");

    let request = Request::get("/api/health").header("x-request-id", "<script>");
    let response = app().oneshot(request.body(Body::empty()).unwrap()).await.unwrap();
    let made = response.headers()["x-request-id"].to_str().unwrap();
    assert_eq!(made.len(), 26, "a ULID, not the header sent: {made}");
}

#[tokio::test]
async fn every_response_carries_the_security_headers() {
    for path in ["/api/health", "/api/nope"] {
        let response =
            app().oneshot(Request::get(path).body(Body::empty()).unwrap()).await.unwrap();
        for (name, value) in headers::HEADERS {
            assert_eq!(response.headers()[*name], *value, "{name} on {path}");
        }
    }
}
