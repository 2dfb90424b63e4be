//! The integration tests of the portal: one binary, so the workspace links one test executable.
//! DynamoDB cases run against Amazon's DynamoDB Local, which the harness starts on first use
//! (`tools/setup` installs it).

mod api;
mod attacks;
mod harness;

/// Runs each named case, an `async fn(&impl Store)` of the invoking module, as
/// `embedded::case` (SQLite in a temp folder) and `dynamodb::case` (DynamoDB Local).
macro_rules! on_both_stores {
    ($($case:ident),* $(,)?) => {
        mod embedded {
            $(
                #[tokio::test]
                async fn $case() {
                    let fixture = crate::harness::embedded();
                    super::$case(&fixture.store).await;
                }
            )*
        }
        mod dynamodb {
            $(
                #[tokio::test]
                async fn $case() {
                    let store = crate::harness::dynamodb().await;
                    super::$case(&store).await;
                }
            )*
        }
    };
}

/// Runs each named case, an `async fn(TestApp)` of the invoking module, against a portal on the
/// embedded store (`embedded::case`) and on DynamoDB Local (`dynamodb::case`).
macro_rules! on_both_apps {
    ($($case:ident),* $(,)?) => {
        on_both_apps!(@with crate::harness::AppOptions::default; $($case),*);
    };
    (@with $options:path; $($case:ident),* $(,)?) => {
        mod embedded {
            $(
                #[tokio::test]
                async fn $case() {
                    let options = crate::harness::AppOptions { backend: crate::harness::Backend::Embedded, ..$options() };
                    super::$case(crate::harness::spawn(options).await).await;
                }
            )*
        }
        mod dynamodb {
            $(
                #[tokio::test]
                async fn $case() {
                    let options = crate::harness::AppOptions { backend: crate::harness::Backend::DynamoDb, ..$options() };
                    super::$case(crate::harness::spawn(options).await).await;
                }
            )*
        }
    };
}

mod account_notices;
mod accounts;
mod backoffice;
mod cli;
mod content;
mod crash;
mod deploy;
mod example_client;
mod faults;
mod fhir;
mod figures;
mod http;
mod import;
mod lambda;
mod mail;
mod oha;
mod passkeys;
mod probe;
mod proofs;
mod reports_store;
mod second_factor;
mod store_contract;
mod tenants;
mod therapy;
mod vendor_docs;
