//! The DynamoDB store of the portal in AWS. Table design and access patterns: `infra/README.md`.

use std::collections::HashMap;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::config::http::HttpResponse;
use aws_sdk_dynamodb::error::BuildError;
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::create_table::builders::{
    CreateTableFluentBuilder, CreateTableInputBuilder,
};
use aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, DeleteRequest, GlobalSecondaryIndex,
    KeySchemaElement, KeyType, Projection, ProjectionType, PutRequest, ScalarAttributeType,
    WriteRequest,
};
use futures::{StreamExt, TryStreamExt};
use portal_core::{ExemptionStore, ProviderDirectory, StoreError};
use portal_domain::{Exemption, Ik, Kvnr, Provider};

mod accounts;
mod attachments;
pub use accounts::STANDING_ATTRIBUTES;
mod audit;
mod backoffice;
mod clients;
mod figures;
mod items;

mod migrate;
mod notices;
mod physicians;
mod reports;

use items::{
    Item, Scope, YEAR_SHARDS, exemption_from, exemption_item, provider_from, provider_item, string,
};
pub use migrate::Adopted;

/// The table names, set per stage by the SAM template (environment variables in each Lambda).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tables {
    pub providers: String,
    pub exemptions: String,
    pub accounts: String,
    pub letters: String,
    pub sessions: String,
    pub counters: String,
    pub audit: String,
    pub physicians: String,
    pub reports: String,
    /// The machine API's clients (not in infra/template.yaml yet).
    pub clients: String,
    /// The accounts' history, known browsers and notices' block links.
    pub account_events: String,
}

impl Tables {
    /// `{prefix}providers`, `{prefix}exemptions`, …: how tests give each run tables of its own.
    pub fn with_prefix(prefix: &str) -> Tables {
        Tables {
            providers: format!("{prefix}providers"),
            exemptions: format!("{prefix}exemptions"),
            accounts: format!("{prefix}accounts"),
            letters: format!("{prefix}letters"),
            sessions: format!("{prefix}sessions"),
            counters: format!("{prefix}counters"),
            audit: format!("{prefix}audit"),
            physicians: format!("{prefix}physicians"),
            reports: format!("{prefix}reports"),
            clients: format!("{prefix}clients"),
            account_events: format!("{prefix}account-events"),
        }
    }

    /// `PORTAL_TABLE_PROVIDERS`, `PORTAL_TABLE_EXEMPTIONS`, `PORTAL_TABLE_ACCOUNTS`, …, else
    /// `portal-providers`, ….
    pub fn from_env() -> Tables {
        let defaults = Tables::with_prefix("portal-");
        let var = |name: &str, default: String| std::env::var(name).unwrap_or(default);
        Tables {
            providers: var("PORTAL_TABLE_PROVIDERS", defaults.providers),
            exemptions: var("PORTAL_TABLE_EXEMPTIONS", defaults.exemptions),
            accounts: var("PORTAL_TABLE_ACCOUNTS", defaults.accounts),
            letters: var("PORTAL_TABLE_LETTERS", defaults.letters),
            sessions: var("PORTAL_TABLE_SESSIONS", defaults.sessions),
            counters: var("PORTAL_TABLE_COUNTERS", defaults.counters),
            audit: var("PORTAL_TABLE_AUDIT", defaults.audit),
            physicians: var("PORTAL_TABLE_PHYSICIANS", defaults.physicians),
            reports: var("PORTAL_TABLE_REPORTS", defaults.reports),
            clients: var("PORTAL_TABLE_CLIENTS", defaults.clients),
            account_events: var("PORTAL_TABLE_ACCOUNT_EVENTS", defaults.account_events),
        }
    }
}

const BY_YEAR_INDEX: &str = "by_year";
/// BatchWriteItem takes at most 25 requests.
const BATCH_WRITE_LIMIT: usize = 25;
/// Batch writes in flight at once per store call.
const PARALLEL_WRITES: usize = 8;
/// Attempts for the unprocessed part of a batch write before giving up.
const WRITE_ATTEMPTS: u32 = 8;

/// One tenant's view of the shared tables (the pool model, `infra/README.md`): there is no way
/// to make a store without naming the tenant, and every key it writes or reads is the tenant's.
#[derive(Clone)]
pub struct DynamoStore {
    client: Client,
    tables: Tables,
    scope: Scope,
    /// Where the practices' own PDFs go (`None`: a process that keeps none, and is refused).
    attachments: Option<attachments::Bucket>,
}

impl DynamoStore {
    pub fn new(client: Client, tables: Tables, tenant: &Ik) -> DynamoStore {
        DynamoStore { client, tables, scope: Scope::of(tenant), attachments: None }
    }

    /// This store with the bucket of the practices' own PDFs (sealed objects under
    /// `sealed/{tenant}/{practice}/{report}`).
    pub fn with_attachments(
        self,
        s3: aws_sdk_s3::Client,
        bucket: impl Into<String>,
    ) -> DynamoStore {
        DynamoStore {
            attachments: Some(attachments::Bucket { client: s3, name: bucket.into() }),
            ..self
        }
    }

    /// The tables this store works on (the tests reach past it to damage items).
    pub fn tables(&self) -> &Tables {
        &self.tables
    }

    /// Creates the tables as `infra/template.yaml` declares them, for DynamoDB Local and tests.
    /// Tables that exist already are left alone.
    pub async fn create_tables(&self) -> Result<(), StoreError> {
        for request in self.table_definitions().map_err(StoreError::unavailable)? {
            match request.send().await {
                Ok(_) => {}
                Err(e)
                    if e.as_service_error().is_some_and(|e| e.is_resource_in_use_exception()) => {}
                Err(e) => return Err(StoreError::unavailable(e)),
            }
        }
        Ok(())
    }

    /// The `CreateTable` requests of [`create_tables`](Self::create_tables), unsent: what
    /// `tests/integration/deploy.rs` holds `infra/template.yaml`'s tables to (keys, attributes,
    /// indexes).
    pub fn table_requests(&self) -> Result<Vec<CreateTableInputBuilder>, BuildError> {
        Ok(self.table_definitions()?.iter().map(|request| request.as_input().clone()).collect())
    }

    fn table_definitions(&self) -> Result<Vec<CreateTableFluentBuilder>, BuildError> {
        let key = |name: &str, key_type| {
            KeySchemaElement::builder().attribute_name(name).key_type(key_type).build()
        };
        let attribute = |name: &str, kind| {
            AttributeDefinition::builder().attribute_name(name).attribute_type(kind).build()
        };
        let providers = self
            .client
            .create_table()
            .table_name(&self.tables.providers)
            .billing_mode(BillingMode::PayPerRequest)
            .key_schema(key("ik", KeyType::Hash)?)
            .attribute_definitions(attribute("ik", ScalarAttributeType::S)?);
        let index = |name: &str, hash: &str, range: &str, projection| {
            GlobalSecondaryIndex::builder()
                .index_name(name)
                .key_schema(key(hash, KeyType::Hash)?)
                .key_schema(key(range, KeyType::Range)?)
                .projection(Projection::builder().projection_type(projection).build())
                .build()
        };
        let by_year = index(BY_YEAR_INDEX, "year_shard", "kvnr", ProjectionType::KeysOnly)?;
        let exemptions = self
            .client
            .create_table()
            .table_name(&self.tables.exemptions)
            .billing_mode(BillingMode::PayPerRequest)
            .key_schema(key("kvnr", KeyType::Hash)?)
            .key_schema(key("year", KeyType::Range)?)
            .attribute_definitions(attribute("kvnr", ScalarAttributeType::S)?)
            .attribute_definitions(attribute("year", ScalarAttributeType::N)?)
            .attribute_definitions(attribute("year_shard", ScalarAttributeType::S)?)
            .global_secondary_indexes(by_year);
        let simple =
            |table: &str, key_name: &str| -> Result<CreateTableFluentBuilder, BuildError> {
                Ok(self
                    .client
                    .create_table()
                    .table_name(table)
                    .billing_mode(BillingMode::PayPerRequest)
                    .key_schema(key(key_name, KeyType::Hash)?)
                    .attribute_definitions(attribute(key_name, ScalarAttributeType::S)?))
            };
        let pending = index(accounts::PENDING_INDEX, "pending", "letter_id", ProjectionType::All)?;
        let letters = simple(&self.tables.letters, "letter_id")?
            .attribute_definitions(attribute("pending", ScalarAttributeType::S)?)
            .global_secondary_indexes(pending);
        let by_kvnr = index(audit::BY_KVNR_INDEX, "kvnr", "at", ProjectionType::All)?;
        let heads_by_day = index(
            figures::HEADS_BY_DAY_INDEX,
            "head_tenant",
            "head_day",
            ProjectionType::KeysOnly,
        )?;
        let audit = self
            .client
            .create_table()
            .table_name(&self.tables.audit)
            .billing_mode(BillingMode::PayPerRequest)
            .key_schema(key("ik", KeyType::Hash)?)
            .key_schema(key("seq", KeyType::Range)?)
            .attribute_definitions(attribute("ik", ScalarAttributeType::S)?)
            .attribute_definitions(attribute("seq", ScalarAttributeType::N)?)
            .attribute_definitions(attribute("kvnr", ScalarAttributeType::S)?)
            .attribute_definitions(attribute("at", ScalarAttributeType::N)?)
            .attribute_definitions(attribute("head_tenant", ScalarAttributeType::S)?)
            .attribute_definitions(attribute("head_day", ScalarAttributeType::S)?)
            .global_secondary_indexes(by_kvnr)
            .global_secondary_indexes(heads_by_day);
        let physicians = self
            .client
            .create_table()
            .table_name(&self.tables.physicians)
            .billing_mode(BillingMode::PayPerRequest)
            .key_schema(key("pk", KeyType::Hash)?)
            .key_schema(key("sk", KeyType::Range)?)
            .attribute_definitions(attribute("pk", ScalarAttributeType::S)?)
            .attribute_definitions(attribute("sk", ScalarAttributeType::S)?);
        let queued =
            index(reports::QUEUED_INDEX, "queued", "next_attempt_at", ProjectionType::KeysOnly)?;
        let reports = self
            .client
            .create_table()
            .table_name(&self.tables.reports)
            .billing_mode(BillingMode::PayPerRequest)
            .key_schema(key("pk", KeyType::Hash)?)
            .key_schema(key("sk", KeyType::Range)?)
            .attribute_definitions(attribute("pk", ScalarAttributeType::S)?)
            .attribute_definitions(attribute("sk", ScalarAttributeType::S)?)
            .attribute_definitions(attribute("queued", ScalarAttributeType::S)?)
            .attribute_definitions(attribute("next_attempt_at", ScalarAttributeType::N)?)
            .global_secondary_indexes(queued);
        let sessions_by_ik =
            index(accounts::SESSIONS_BY_IK_INDEX, "owner", "created_at", ProjectionType::All)?;
        let sessions = simple(&self.tables.sessions, "id_hash")?
            .attribute_definitions(attribute("owner", ScalarAttributeType::S)?)
            .attribute_definitions(attribute("created_at", ScalarAttributeType::N)?)
            .global_secondary_indexes(sessions_by_ik);
        let by_ik = index(clients::BY_IK_INDEX, "ik", "client_id", ProjectionType::All)?;
        let clients = simple(&self.tables.clients, "client_id")?
            .attribute_definitions(attribute("ik", ScalarAttributeType::S)?)
            .global_secondary_indexes(by_ik);
        let account_events = self
            .client
            .create_table()
            .table_name(&self.tables.account_events)
            .billing_mode(BillingMode::PayPerRequest)
            .key_schema(key("pk", KeyType::Hash)?)
            .key_schema(key("sk", KeyType::Range)?)
            .attribute_definitions(attribute("pk", ScalarAttributeType::S)?)
            .attribute_definitions(attribute("sk", ScalarAttributeType::S)?);
        Ok(vec![
            account_events,
            audit,
            clients,
            physicians,
            reports,
            providers,
            exemptions,
            simple(&self.tables.accounts, "ik")?,
            letters,
            sessions,
            simple(&self.tables.counters, "key")?,
        ])
    }

    /// One item by its key, read consistently.
    pub(crate) async fn item(&self, table: &str, key: Item) -> Result<Option<Item>, StoreError> {
        let output = self
            .client
            .get_item()
            .table_name(table)
            .set_key(Some(key))
            .consistent_read(true)
            .send()
            .await
            .map_err(StoreError::unavailable)?;
        Ok(output.item)
    }

    /// Writes the requests in batches of 25, several batches at once, retrying what DynamoDB
    /// leaves unprocessed (throttling) with exponential backoff.
    async fn batch_write(
        &self,
        table: &str,
        requests: Vec<WriteRequest>,
    ) -> Result<(), StoreError> {
        let chunks: Vec<Vec<WriteRequest>> =
            requests.chunks(BATCH_WRITE_LIMIT).map(<[WriteRequest]>::to_vec).collect();
        futures::stream::iter(chunks)
            .map(|chunk| self.write_chunk(table, chunk))
            .buffer_unordered(PARALLEL_WRITES)
            .try_collect::<()>()
            .await
    }

    async fn write_chunk(
        &self,
        table: &str,
        mut chunk: Vec<WriteRequest>,
    ) -> Result<(), StoreError> {
        for attempt in 0..WRITE_ATTEMPTS {
            if attempt > 0 {
                tokio::time::sleep(Duration::from_millis(25 << attempt.min(6))).await;
            }
            let output = self
                .client
                .batch_write_item()
                .request_items(table, chunk)
                .send()
                .await
                .map_err(StoreError::unavailable)?;
            chunk = output
                .unprocessed_items
                .and_then(|mut unprocessed| unprocessed.remove(table))
                .unwrap_or_default();
            if chunk.is_empty() {
                return Ok(());
            }
        }
        Err(StoreError::unavailable(format!(
            "DynamoDB left {} writes to {table} unprocessed after {WRITE_ATTEMPTS} attempts",
            chunk.len()
        )))
    }
}

/// Every item a query finds, over all its pages.
pub(crate) async fn all_items(query: QueryFluentBuilder) -> Result<Vec<Item>, StoreError> {
    query.into_paginator().items().send().try_collect().await.map_err(StoreError::unavailable)
}

/// The positions of the items whose conditions failed in a cancelled transaction; `None` when the
/// error is something else.
pub(crate) fn failed_conditions(
    error: &SdkError<TransactWriteItemsError, HttpResponse>,
) -> Option<Vec<usize>> {
    match error.as_service_error()? {
        TransactWriteItemsError::TransactionCanceledException(cancelled) => Some(
            cancelled
                .cancellation_reasons()
                .iter()
                .enumerate()
                .filter(|(_, reason)| reason.code() == Some("ConditionalCheckFailed"))
                .map(|(index, _)| index)
                .collect(),
        ),
        _ => None,
    }
}

/// Whether item `index` of a cancelled transaction failed its condition or was being written by
/// another transaction at the same moment (`TransactionConflict`): for a write conditional on a
/// version both mean someone else changed the record first.
pub(crate) fn lost_race(
    error: &SdkError<TransactWriteItemsError, HttpResponse>,
    index: usize,
) -> bool {
    let Some(TransactWriteItemsError::TransactionCanceledException(cancelled)) =
        error.as_service_error()
    else {
        return false;
    };
    cancelled.cancellation_reasons().get(index).is_some_and(|reason| {
        matches!(reason.code(), Some("ConditionalCheckFailed" | "TransactionConflict"))
    })
}

/// A batch write may not name the same key twice; the last occurrence wins, as in the file.
fn last_per_key<T, K: std::hash::Hash + Eq>(items: &[T], key: impl Fn(&T) -> K) -> Vec<&T> {
    let mut last: HashMap<K, usize> = HashMap::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        last.insert(key(item), i);
    }
    items
        .iter()
        .enumerate()
        .filter(|(i, item)| last.get(&key(item)) == Some(i))
        .map(|(_, item)| item)
        .collect()
}

/// One put of a batch write.
pub(crate) fn batch_put(item: Item) -> Result<WriteRequest, StoreError> {
    let put =
        PutRequest::builder().set_item(Some(item)).build().map_err(StoreError::unavailable)?;
    Ok(WriteRequest::builder().put_request(put).build())
}

#[async_trait]
impl ProviderDirectory for DynamoStore {
    #[tracing::instrument(level = "debug", name = "dynamodb.put_providers", skip_all)]
    async fn put_providers(&self, providers: &[Provider]) -> Result<(), StoreError> {
        let requests = last_per_key(providers, |p| p.ik)
            .into_iter()
            .map(|p| batch_put(provider_item(&self.scope, p)))
            .collect::<Result<_, _>>()?;
        self.batch_write(&self.tables.providers, requests).await
    }

    #[tracing::instrument(level = "debug", name = "dynamodb.provider", skip_all)]
    async fn provider(&self, ik: &Ik) -> Result<Option<Provider>, StoreError> {
        let key = HashMap::from([("ik".to_string(), self.scope.key(ik))]);
        let item = self.item(&self.tables.providers, key).await?;
        item.map(|item| provider_from(&self.scope, &item)).transpose()
    }

    #[tracing::instrument(level = "debug", name = "dynamodb.is_empty", skip_all)]
    async fn is_empty(&self) -> Result<bool, StoreError> {
        // A scan filters after reading, so pages may come back empty before the tenant's
        // first item: stop at the first one found.
        let mut pages = self
            .client
            .scan()
            .table_name(&self.tables.providers)
            .filter_expression("begins_with(ik, :tenant)")
            .expression_attribute_values(":tenant", string(self.scope.prefix()))
            .projection_expression("ik")
            .consistent_read(true)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(StoreError::unavailable)?;
            if !page.items().is_empty() {
                return Ok(false);
            }
        }
        Ok(true)
    }
}

#[async_trait]
impl ExemptionStore for DynamoStore {
    #[tracing::instrument(level = "debug", name = "dynamodb.put_exemptions", skip_all)]
    async fn put_exemptions(&self, exemptions: &[Exemption]) -> Result<(), StoreError> {
        let requests = last_per_key(exemptions, |e| (e.kvnr().clone(), e.year()))
            .into_iter()
            .map(|e| batch_put(exemption_item(&self.scope, e)))
            .collect::<Result<_, _>>()?;
        self.batch_write(&self.tables.exemptions, requests).await
    }

    #[tracing::instrument(level = "debug", name = "dynamodb.exemptions_of", skip_all)]
    async fn exemptions_of(&self, kvnr: &Kvnr) -> Result<Vec<Exemption>, StoreError> {
        let query = self
            .client
            .query()
            .table_name(&self.tables.exemptions)
            .key_condition_expression("kvnr = :kvnr")
            .expression_attribute_values(":kvnr", self.scope.key(kvnr))
            .scan_index_forward(false)
            .consistent_read(true);
        let items = all_items(query).await?;
        items.iter().map(|item| exemption_from(&self.scope, item)).collect()
    }

    #[tracing::instrument(level = "debug", name = "dynamodb.exempt_in", skip_all)]
    async fn exempt_in(&self, year: i32) -> Result<Vec<Kvnr>, StoreError> {
        let shards = (0..YEAR_SHARDS).map(|shard| async move {
            let query = self
                .client
                .query()
                .table_name(&self.tables.exemptions)
                .index_name(BY_YEAR_INDEX)
                .key_condition_expression("year_shard = :shard")
                .expression_attribute_values(":shard", self.scope.key(format!("{year}#{shard}")));
            let items = all_items(query).await?;
            items
                .iter()
                .map(|item| portal_core::model::stored::kvnr(self.scope.unscoped(item, "kvnr")?))
                .collect::<Result<Vec<_>, _>>()
        });
        let per_shard = futures::future::try_join_all(shards).await?;
        Ok(per_shard.into_iter().flatten().collect())
    }

    #[tracing::instrument(level = "debug", name = "dynamodb.remove_exemptions", skip_all)]
    async fn remove_exemptions(&self, year: i32, kvnrs: &[Kvnr]) -> Result<(), StoreError> {
        let requests = last_per_key(kvnrs, Kvnr::clone)
            .into_iter()
            .map(|kvnr| {
                let key = HashMap::from([
                    ("kvnr".to_string(), self.scope.key(kvnr)),
                    ("year".to_string(), AttributeValue::N(year.to_string())),
                ]);
                let delete = DeleteRequest::builder().set_key(Some(key)).build();
                delete.map(|d| WriteRequest::builder().delete_request(d).build())
            })
            .collect::<Result<Vec<_>, _>>()
            .map_err(StoreError::unavailable)?;
        self.batch_write(&self.tables.exemptions, requests).await
    }
}
