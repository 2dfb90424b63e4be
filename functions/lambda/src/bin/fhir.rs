//! The FHIR function of the machine API, with the token key's public half from KMS to check the
//! access tokens. See `Capability::Fhir` for its routes.
#[tokio::main]
async fn main() -> Result<(), portal_lambda::Error> {
    portal_lambda::serve(portal_http::Capability::Fhir).await
}
