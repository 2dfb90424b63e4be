//! The public service figures, read from the daily roll-ups. See `Capability::Figures` for its
//! routes.
#[tokio::main]
async fn main() -> Result<(), portal_lambda::Error> {
    portal_lambda::serve(portal_http::Capability::Figures).await
}
