//! The eTherapiebericht's routes: the physician directory (and, to come, the practice's reports).

#[tokio::main]
async fn main() -> Result<(), portal_lambda::Error> {
    portal_lambda::serve(portal_http::Capability::Reports).await
}
