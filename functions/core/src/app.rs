//! The use cases wired onto the stores: what every entry point (each Lambda, `portal serve`, the
//! back office) starts from, so that they all compose the portal alike.

use std::sync::Arc;

use crate::accounts::{Accounts, HashError, SecretHasher};
use crate::oha::Oha;
use crate::ports::Clock;
use crate::settings::Settings;
use crate::stores::Stores;

#[derive(Clone)]
pub struct UseCases {
    pub accounts: Accounts,
    pub oha: Oha,
}

impl UseCases {
    /// The use cases on `stores`; `letters_queued` is called whenever letters wait to be sent
    /// (locally it wakes the dispatcher; in AWS the table's stream does that).
    pub fn wire(
        stores: &Stores,
        settings: &Settings,
        clock: Arc<dyn Clock>,
        letters_queued: Arc<dyn Fn() + Send + Sync>,
    ) -> Result<UseCases, HashError> {
        let accounts = Accounts {
            providers: stores.providers.clone(),
            accounts: stores.accounts.clone(),
            sessions: stores.sessions.clone(),
            challenges: stores.challenges.clone(),
            limits: stores.limits.clone(),
            hasher: SecretHasher::for_this_machine()?,
            clock: clock.clone(),
            policy: settings.policy(),
            sender: settings.sender(),
            letters_queued,
        };
        let oha = Oha {
            exemptions: stores.exemptions.clone(),
            audit: stores.audit.clone(),
            clock,
            settings: settings.oha,
        };
        Ok(UseCases { accounts, oha })
    }
}
