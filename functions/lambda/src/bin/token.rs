//! The token function of the machine API: signs access tokens with the KMS key and publishes
//! its public half. See `Capability::Token` for its routes.
#[tokio::main]
async fn main() -> Result<(), portal_lambda::Error> {
    portal_lambda::serve(portal_http::Capability::Token).await
}
