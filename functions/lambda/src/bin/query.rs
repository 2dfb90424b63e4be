//! The query function: see `Capability::Query` for its routes.

#[tokio::main]
async fn main() -> Result<(), portal_lambda::Error> {
    portal_lambda::serve(portal_http::Capability::Query).await
}
