use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use portal_core::Tenants;
use portal_core::model::Tenant;
pub use portal_core::{Store, Stores};
use portal_store_dynamodb::{DynamoStore, Tables};
use portal_store_embedded::EmbeddedStore;

use crate::config::{Config, StoreKind};

/// One tenant's stores, and its embedded store itself if that is the kind, for the
/// housekeeping that DynamoDB does with TTL.
#[derive(Clone)]
pub struct TenantStores {
    pub tenant: Arc<Tenant>,
    pub stores: Stores,
    pub embedded: Option<EmbeddedStore>,
}

/// Every tenant's stores, in the order of `tenants`. Locally each tenant has a folder of its
/// own (`<data dir>/<slug>/portal.db`); in DynamoDB all share the tables, each under its key.
pub async fn open(config: &Config, tenants: &Tenants) -> anyhow::Result<Vec<TenantStores>> {
    match config.store {
        StoreKind::Embedded => {
            private_folder(&config.data_dir).with_context(|| {
                format!("cannot create the data folder {}", config.data_dir.display())
            })?;
            adopt_single_tenant_files(config, tenants.first())?;
            tenants
                .iter()
                .map(|tenant| {
                    let folder = config.tenant_dir(tenant);
                    private_folder(&folder).with_context(|| {
                        format!("cannot create the folder {}", folder.display())
                    })?;
                    let path = folder.join("portal.db");
                    let store = EmbeddedStore::open(&path, &tenant.ik)
                        .with_context(|| format!("cannot open the store {}", path.display()))?;
                    Ok(TenantStores {
                        tenant: Arc::clone(tenant),
                        stores: Stores::of(store.clone()),
                        embedded: Some(store),
                    })
                })
                .collect()
        }
        StoreKind::DynamoDb => {
            let aws = aws_config::load_from_env().await;
            let client = aws_sdk_dynamodb::Client::new(&aws);
            let tables = Tables::from_env();
            // Against DynamoDB Local nobody deployed the tables; in AWS the template did.
            if std::env::var_os("AWS_ENDPOINT_URL_DYNAMODB").is_some() {
                DynamoStore::new(client.clone(), tables.clone(), &tenants.first().ik)
                    .create_tables()
                    .await
                    .context("cannot create the tables in DynamoDB Local")?;
            }
            Ok(tenants
                .iter()
                .map(|tenant| TenantStores {
                    tenant: Arc::clone(tenant),
                    stores: Stores::of({
                        let store = DynamoStore::new(client.clone(), tables.clone(), &tenant.ik);
                        // The practices' own PDFs go to this bucket (an S3 emulator locally).
                        match std::env::var("PORTAL_ATTACHMENTS_BUCKET") {
                            Ok(bucket) if !bucket.is_empty() => {
                                store.with_attachments(aws_sdk_s3::Client::new(&aws), bucket)
                            }
                            _ => store,
                        }
                    }),
                    embedded: None,
                })
                .collect())
        }
    }
}

/// The upgrade to tenants: the store file of a portal from before tenants (in the data folder
/// itself) becomes the first tenant's, moved whole into its folder (see
/// [`EmbeddedStore::move_file`]); its anchor log stays where it is (it may be append-only) and
/// the tenant's folder links to it, so that every chain still verifies against its anchors.
fn adopt_single_tenant_files(config: &Config, first: &Tenant) -> anyhow::Result<()> {
    let old = config.data_dir.join("portal.db");
    let folder = config.tenant_dir(first);
    let new = folder.join("portal.db");
    if !old.exists() || new.exists() {
        return Ok(());
    }
    private_folder(&folder)
        .with_context(|| format!("cannot create the folder {}", folder.display()))?;
    let anchors = config.data_dir.join("audit-anchors.log");
    let linked = config.anchor_log(first);
    if config.anchor_log.is_none() && anchors.exists() && !linked.exists() {
        #[cfg(unix)]
        std::os::unix::fs::symlink("../audit-anchors.log", &linked)
            .with_context(|| format!("cannot link {} to the anchors", linked.display()))?;
    }
    EmbeddedStore::move_file(&old, &new)
        .with_context(|| format!("cannot move {} to {}", old.display(), new.display()))?;
    tracing::info!(tenant = %first.slug, "the store from before tenants is now the first tenant's");
    Ok(())
}

/// The data folder (store, letters, anchors) for the portal's user only; an existing one is made
/// so too.
fn private_folder(folder: &Path) -> std::io::Result<()> {
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
