//! The local portal: the API and the app on the embedded store (or DynamoDB), and the back-office
//! command line. Everything here is wiring; the rules live in `portal-domain` and `portal-core`.

pub mod audit;
pub mod backoffice;
pub mod backoffice_users;
pub mod calc;
pub mod clients;
pub mod config;
pub mod content;
pub mod demo;
pub mod import;
pub mod proof;
pub mod serve;
pub mod stats;
pub mod stores;
pub mod wiring;
