use anyhow::Context;
pub use portal_core::{Store, Stores};
use portal_store_dynamodb::{DynamoStore, Tables};
use portal_store_embedded::EmbeddedStore;

use crate::config::{Config, StoreKind};

/// The configured store behind every port, and the embedded store itself if that is the one,
/// for the housekeeping that DynamoDB does with TTL.
pub async fn open(config: &Config) -> anyhow::Result<(Stores, Option<EmbeddedStore>)> {
    match config.store {
        StoreKind::Embedded => {
            private_folder(&config.data_dir).with_context(|| {
                format!("cannot create the data folder {}", config.data_dir.display())
            })?;
            let path = config.data_dir.join("portal.db");
            let store = EmbeddedStore::open(&path)
                .with_context(|| format!("cannot open the store {}", path.display()))?;
            Ok((Stores::of(store.clone()), Some(store)))
        }
        StoreKind::DynamoDb => {
            let aws = aws_config::load_from_env().await;
            let store = DynamoStore::new(aws_sdk_dynamodb::Client::new(&aws), Tables::from_env());
            // Against DynamoDB Local nobody deployed the tables; in AWS the template did.
            if std::env::var_os("AWS_ENDPOINT_URL_DYNAMODB").is_some() {
                store
                    .create_tables()
                    .await
                    .context("cannot create the tables in DynamoDB Local")?;
            }
            Ok((Stores::of(store), None))
        }
    }
}

/// The data folder (store, letters, anchors) for the portal's user only; an existing one is made
/// so too.
fn private_folder(folder: &std::path::Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::{DirBuilderExt as _, PermissionsExt as _};
        builder.mode(0o700).create(folder)?;
        std::fs::set_permissions(folder, std::fs::Permissions::from_mode(0o700))
    }
    #[cfg(not(unix))]
    builder.create(folder)
}
