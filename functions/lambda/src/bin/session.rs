//! The session function: see `Capability::Session` for its routes.

#[tokio::main]
async fn main() -> Result<(), portal_lambda::Error> {
    portal_lambda::serve(portal_http::Capability::Session).await
}
