//! The use cases wired onto the stores: what every entry point (each Lambda, `portal serve`, the
//! back office) starts from, so that they all compose the portal alike.

use std::sync::Arc;

use crate::accounts::{Accounts, Passkeys, SecretHasher};
use crate::clients::Clients;
use crate::content::{Content, ContentLibrary};
use crate::model::{Policy, Tenant};
use crate::oha::{Oha, OhaSettings};
use crate::ports::{Clock, TokenSigner};
use crate::proofs::Proofs;
use crate::settings::Settings;
use crate::stores::Stores;
use crate::therapy::{ReportKeys, Reporting, Reports, SecretCipher};

#[derive(Clone)]
pub struct UseCases {
    /// Whom these use cases serve: every store below is this tenant's.
    pub tenant: Arc<Tenant>,
    pub accounts: Accounts,
    pub oha: Oha,
    pub reports: Reports,
    /// The machine API's clients and tokens.
    pub clients: Clients,
    /// Checking the proofs of answered queries.
    pub proofs: Proofs,
    /// The information pages (none until `with_content` gives them).
    pub content: Content,
    /// The daily roll-up and the figures read from it.
    pub figures: crate::figures::Figures,
    /// The back office's own login and its figures.
    pub backoffice: crate::backoffice::Backoffice,
}

impl UseCases {
    /// The use cases of `tenant` on its `stores`, hashing with `hasher` (one per process: it
    /// holds the machine's share of hashing memory, whatever the number of tenants), sealing
    /// and rendering reports with `reporting`; `work_queued` is called whenever letters or
    /// reports wait to be sent (locally it wakes the dispatcher; in AWS the table's stream
    /// does that).
    pub fn wire(
        stores: &Stores,
        settings: &Settings,
        tenant: &Arc<Tenant>,
        hasher: &SecretHasher,
        reporting: &Reporting,
        clock: Arc<dyn Clock>,
        work_queued: Arc<dyn Fn() + Send + Sync>,
    ) -> UseCases {
        let accounts = Accounts {
            providers: stores.providers.clone(),
            accounts: stores.accounts.clone(),
            sessions: stores.sessions.clone(),
            challenges: stores.challenges.clone(),
            limits: stores.limits.clone(),
            history: stores.history.clone(),
            devices: stores.devices.clone(),
            block_tokens: stores.block_tokens.clone(),
            hasher: hasher.clone(),
            clock: clock.clone(),
            policy: Policy {
                session_idle: tenant.session_idle,
                session_absolute: tenant.session_absolute,
                ..settings.policy()
            },
            sender: tenant.sender(),
            letters_queued: work_queued.clone(),
            // With a key only once `with_account_keys` gives one.
            secrets: Arc::new(SecretCipher::without_key(&tenant.ik)),
            second_factor_required: tenant.second_factor_required,
            issuer: tenant.name.clone(),
            passkeys: Passkeys::for_portal(&tenant.letterhead.portal_url, &tenant.name)
                .map(Arc::new),
        };
        let oha = Oha {
            tenant: Arc::clone(tenant),
            exemptions: stores.exemptions.clone(),
            audit: stores.audit.clone(),
            clock: clock.clone(),
            settings: OhaSettings {
                quota_per_day: tenant.quota_per_day,
                burst_per_minute: tenant.burst_per_minute,
                years_shown: tenant.years_shown,
                ..settings.oha
            },
            proofs: None,
        };
        let proofs = Proofs {
            tenant: Arc::clone(tenant),
            audit: stores.audit.clone(),
            limits: stores.limits.clone(),
            clock: clock.clone(),
            signer: None,
        };
        let clients = Clients {
            tenant: Arc::clone(tenant),
            registry: stores.clients.clone(),
            seen: stores.seen_token_ids.clone(),
            clock: clock.clone(),
            signer: None,
        };
        let figures = crate::figures::Figures {
            tenant: Arc::clone(tenant),
            timeline: stores.timeline.clone(),
            store: stores.figures.clone(),
            limits: stores.limits.clone(),
            clock: clock.clone(),
        };
        let backoffice = crate::backoffice::Backoffice {
            store: stores.backoffice.clone(),
            limits: stores.limits.clone(),
            letters: stores.letters.clone(),
            figures: figures.clone(),
            hasher: hasher.clone(),
            clock: clock.clone(),
            policy: accounts.policy,
            quota_per_day: tenant.quota_per_day,
        };
        let content =
            Content { library: Arc::new(ContentLibrary::default()), clock: clock.clone() };
        let reports = Reports {
            tenant: Arc::clone(tenant),
            providers: stores.providers.clone(),
            physicians: stores.physicians.clone(),
            reports: stores.reports.clone(),
            attachments: stores.attachments.clone(),
            limits: stores.limits.clone(),
            cipher: Arc::new(reporting.cipher(&tenant.ik)),
            renderer: reporting.renderer.clone(),
            clock,
            reports_queued: work_queued,
        };
        UseCases {
            tenant: Arc::clone(tenant),
            accounts,
            oha,
            reports,
            clients,
            proofs,
            figures,
            backoffice,
            content,
        }
    }

    /// These use cases with the insurer's information pages.
    pub fn with_content(mut self, library: Arc<ContentLibrary>) -> UseCases {
        self.content.library = library;
        self
    }

    /// These use cases with the tenant's key for account secrets (the TOTP secrets of the second
    /// factor), derived from the deployment's report key material (see
    /// [`ReportKeys::for_account_secrets`]); without it no factor can be enrolled or checked.
    pub fn with_account_keys(mut self, keys: &ReportKeys) -> UseCases {
        self.accounts.secrets = Arc::new(keys.for_account_secrets(&self.tenant.ik));
        self
    }

    /// These use cases with `signer` for the machine API's access tokens (without one, no token
    /// is issued).
    pub fn with_token_signer(mut self, signer: Arc<dyn TokenSigner>) -> UseCases {
        self.clients.signer = Some(signer);
        self
    }

    /// These use cases with `signer` for the proofs of answered queries (without one, no query
    /// is answered). A key of its own, not the tokens' one: proofs must stay checkable for as
    /// long as they are kept (years), tokens live five minutes; and whatever answers queries
    /// can sign proofs without being able to mint access tokens.
    pub fn with_proof_signer(mut self, signer: Arc<dyn TokenSigner>) -> UseCases {
        self.oha.proofs = Some(signer.clone());
        self.proofs.signer = Some(signer);
        self
    }
}
