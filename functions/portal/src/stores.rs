use std::sync::Arc;

use anyhow::Context;
use portal_core::{ExemptionStore, ProviderDirectory};
use portal_store_dynamodb::{DynamoStore, Tables};
use portal_store_embedded::EmbeddedStore;

use crate::config::{Config, StoreKind};

/// The store adapters behind their ports, one value per port.
#[derive(Clone)]
pub struct Stores {
    pub providers: Arc<dyn ProviderDirectory>,
    pub exemptions: Arc<dyn ExemptionStore>,
}

impl Stores {
    fn of<S: ProviderDirectory + ExemptionStore + 'static>(store: S) -> Stores {
        let store = Arc::new(store);
        Stores { providers: store.clone(), exemptions: store }
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
                Ok(Stores::of(store))
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
