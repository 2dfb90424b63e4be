//! The information pages per Berufsfeld, built into the function (`content/`, rendered and
//! sanitised once per cold start); reads no table. See `Capability::Content` for its routes.
#[tokio::main]
async fn main() -> Result<(), portal_lambda::Error> {
    portal_lambda::serve(portal_http::Capability::Content).await
}
