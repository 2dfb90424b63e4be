//! The public check of the proofs of answered queries, with the proof key's public halves from
//! KMS. See `Capability::Proofs` for its routes.
#[tokio::main]
async fn main() -> Result<(), portal_lambda::Error> {
    portal_lambda::serve(portal_http::Capability::Proofs).await
}
