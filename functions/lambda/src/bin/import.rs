//! The import function: loads the provider directory or the exemptions from a file uploaded to
//! the import bucket.

#[tokio::main]
async fn main() -> Result<(), portal_lambda::Error> {
    portal_lambda::run_import().await
}
