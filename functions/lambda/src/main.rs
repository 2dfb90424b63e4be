//! Every function of `infra/template.yaml`: its `PORTAL_FUNCTION` says which (`Function`).

#[tokio::main]
async fn main() -> Result<(), portal_lambda::Error> {
    portal_lambda::Function::from_env()?.run().await
}
