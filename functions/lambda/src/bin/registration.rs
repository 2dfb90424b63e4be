//! The registration function: see `Capability::Registration` for its routes.

#[tokio::main]
async fn main() -> Result<(), portal_lambda::Error> {
    portal_lambda::serve(portal_http::Capability::Registration).await
}
