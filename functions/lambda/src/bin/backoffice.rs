//! The back office's own login and its figures. See `Capability::Backoffice` for its routes.
#[tokio::main]
async fn main() -> Result<(), portal_lambda::Error> {
    portal_lambda::serve(portal_http::Capability::Backoffice).await
}
