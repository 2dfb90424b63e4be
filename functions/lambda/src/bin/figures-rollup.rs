//! The figures' daily roll-up: EventBridge Scheduler wakes it; it rolls up every tenant's today
//! so far and any day of the last 35 not rolled up since it ended.

#[tokio::main]
async fn main() -> Result<(), portal_lambda::Error> {
    portal_lambda::run_figures_rollup().await
}
