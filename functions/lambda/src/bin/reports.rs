//! The eTherapiebericht's routes: the physician directory and the practice's reports, sealed
//! with the reports' key from Secrets Manager. See `Capability::Reports`.

#[tokio::main]
async fn main() -> Result<(), portal_lambda::Error> {
    portal_lambda::serve(portal_http::Capability::Reports).await
}
