//! The report-dispatch function: hands the queued therapy reports (eTherapiebericht) to the KIM
//! client module when the reports table's stream or the one-minute schedule wakes it.

#[tokio::main]
async fn main() -> Result<(), portal_lambda::Error> {
    portal_lambda::run_report_dispatch().await
}
