use std::sync::Arc;

use anyhow::Context;
use portal_core::{
    AccountStore, AuditLog, ChallengeStore, ExemptionStore, LetterQueue, Limits, ProviderDirectory,
    SessionStore,
};
use portal_store_dynamodb::{DynamoStore, Tables};
use portal_store_embedded::EmbeddedStore;

use crate::config::{Config, StoreKind};

/// The store adapters behind their ports, one value per port.
#[derive(Clone)]
pub struct Stores {
    pub providers: Arc<dyn ProviderDirectory>,
    pub exemptions: Arc<dyn ExemptionStore>,
    pub accounts: Arc<dyn AccountStore>,
    pub letters: Arc<dyn LetterQueue>,
    pub sessions: Arc<dyn SessionStore>,
    pub limits: Arc<dyn Limits>,
    pub challenges: Arc<dyn ChallengeStore>,
    pub audit: Arc<dyn AuditLog>,
    /// The embedded store itself, for housekeeping that DynamoDB does with TTL.
    pub embedded: Option<EmbeddedStore>,
}

/// Everything one store adapter implements.
pub trait Store:
    ProviderDirectory
    + ExemptionStore
    + AccountStore
    + LetterQueue
    + SessionStore
    + Limits
    + ChallengeStore
    + AuditLog
{
}
impl<S> Store for S where
    S: ProviderDirectory
        + ExemptionStore
        + AccountStore
        + LetterQueue
        + SessionStore
        + Limits
        + ChallengeStore
        + AuditLog
{
}

impl Stores {
    pub fn of<S: Store + 'static>(store: S) -> Stores {
        let store = Arc::new(store);
        Stores {
            providers: store.clone(),
            exemptions: store.clone(),
            accounts: store.clone(),
            letters: store.clone(),
            sessions: store.clone(),
            limits: store.clone(),
            challenges: store.clone(),
            audit: store,
            embedded: None,
        }
    }

    pub fn embedded(store: EmbeddedStore) -> Stores {
        Stores { embedded: Some(store.clone()), ..Stores::of(store) }
    }

    pub async fn open(config: &Config) -> anyhow::Result<Stores> {
        match config.store {
            StoreKind::Embedded => {
                std::fs::create_dir_all(&config.data_dir).with_context(|| {
                    format!("cannot create the data folder {}", config.data_dir.display())
                })?;
                let path = config.data_dir.join("portal.db");
                let store = EmbeddedStore::open(&path)
                    .with_context(|| format!("cannot open the store {}", path.display()))?;
                Ok(Stores::embedded(store))
            }
            StoreKind::DynamoDb => {
                let aws = aws_config::load_from_env().await;
                let store =
                    DynamoStore::new(aws_sdk_dynamodb::Client::new(&aws), Tables::from_env());
                // Against DynamoDB Local nobody deployed the tables; in AWS the template did.
                if std::env::var_os("AWS_ENDPOINT_URL_DYNAMODB").is_some() {
                    store
                        .create_tables()
                        .await
                        .context("cannot create the tables in DynamoDB Local")?;
                }
                Ok(Stores::of(store))
            }
        }
    }
}
