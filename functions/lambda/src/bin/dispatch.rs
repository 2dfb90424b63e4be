//! The dispatch function: sends the queued credential letters through SES when the letters
//! table's stream or the retry schedule wakes it.

#[tokio::main]
async fn main() -> Result<(), portal_lambda::Error> {
    portal_lambda::run_dispatch().await
}
