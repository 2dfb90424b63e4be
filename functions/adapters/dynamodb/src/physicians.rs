//! The physician directory in DynamoDB, one table with a partition key `pk` and a sort key `sk`:
//! the entry under `{tenant}#p#{lanr}` / `{bsnr}`, and pointers for the search, each naming an
//! entry by `{lanr}#{bsnr}` at the end of its sort key: `{tenant}#b#{bsnr}` / `{lanr}#{bsnr}`,
//! `{tenant}#z#{plz}` / `{lanr}#{bsnr}` and, per word of the name, `{tenant}#w#{two letters}` /
//! `{word}#{lanr}#{bsnr}`. A pointer left behind when a name or postcode changes is harmless:
//! every entry found is checked against the query again.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use async_trait::async_trait;
use aws_sdk_dynamodb::types::KeysAndAttributes;
use portal_core::{PhysicianDirectory, StoreError};
use portal_domain::therapy::{Bsnr, Lanr, Physician, PhysicianQuery, name_words};

use crate::items::{Item, ItemExt as _, physician_from, physician_item, string};
use crate::{DynamoStore, all_items, batch_put};

/// BatchGetItem takes at most 100 keys.
const BATCH_GET_LIMIT: usize = 100;

impl DynamoStore {
    /// The pointers that lead the search to `p`.
    fn pointers(&self, p: &Physician) -> Vec<Item> {
        let id = format!("{}#{}", p.lanr, p.bsnr);
        let pointer = |pk: String, sk: String| {
            HashMap::from([("pk".to_string(), self.scope.key(pk)), ("sk".into(), string(sk))])
        };
        let mut items = vec![
            pointer(format!("b#{}", p.bsnr), id.clone()),
            pointer(format!("z#{}", p.address.plz), id.clone()),
        ];
        let words: BTreeSet<String> = name_words(&p.name).collect();
        for word in words {
            let bucket: String = word.chars().take(2).collect();
            items.push(pointer(format!("w#{bucket}"), format!("{word}#{id}")));
        }
        items
    }

    /// The entries a set of pointers' sort keys (ending in `{lanr}#{bsnr}`) name.
    async fn entries(&self, ids: BTreeSet<(String, String)>) -> Result<Vec<Physician>, StoreError> {
        let keys: Vec<Item> = ids
            .into_iter()
            .map(|(lanr, bsnr)| {
                HashMap::from([
                    ("pk".to_string(), self.scope.key(format!("p#{lanr}"))),
                    ("sk".to_string(), string(bsnr)),
                ])
            })
            .collect();
        let mut found = Vec::new();
        for chunk in keys.chunks(BATCH_GET_LIMIT) {
            let mut request = Some(
                KeysAndAttributes::builder()
                    .set_keys(Some(chunk.to_vec()))
                    .build()
                    .map_err(StoreError::unavailable)?,
            );
            // Unprocessed keys (throttling) are asked for again.
            while let Some(keys) = request.take() {
                let output = self
                    .client
                    .batch_get_item()
                    .request_items(&self.tables.physicians, keys)
                    .send()
                    .await
                    .map_err(StoreError::unavailable)?;
                for item in output
                    .responses
                    .unwrap_or_default()
                    .remove(&self.tables.physicians)
                    .unwrap_or_default()
                {
                    found.push(physician_from(&item)?);
                }
                request = output
                    .unprocessed_keys
                    .and_then(|mut u| u.remove(&self.tables.physicians))
                    .filter(|k| !k.keys().is_empty());
            }
        }
        Ok(found)
    }

    async fn query_pointers(
        &self,
        pk: String,
        sk_prefix: Option<&str>,
    ) -> Result<Vec<Item>, StoreError> {
        let query = self
            .client
            .query()
            .table_name(&self.tables.physicians)
            .expression_attribute_values(":pk", self.scope.key(pk));
        let query = match sk_prefix {
            Some(prefix) => query
                .key_condition_expression("pk = :pk AND begins_with(sk, :prefix)")
                .expression_attribute_values(":prefix", string(prefix)),
            None => query.key_condition_expression("pk = :pk"),
        };
        all_items(query).await
    }
}

/// `{lanr}#{bsnr}` at the end of a pointer's sort key.
fn pointed_at(item: &Item) -> Option<(String, String)> {
    let sk = item.text("sk").ok()?;
    let mut parts = sk.rsplitn(3, '#');
    let bsnr = parts.next()?;
    let lanr = parts.next()?;
    Some((lanr.to_string(), bsnr.to_string()))
}

#[async_trait]
impl PhysicianDirectory for DynamoStore {
    #[tracing::instrument(level = "debug", name = "dynamodb.put_physicians", skip_all)]
    async fn put_physicians(&self, physicians: &[Physician]) -> Result<(), StoreError> {
        // The last of two entries for one LANR and BSNR wins, as in the file.
        let mut last: HashMap<(Lanr, Bsnr), &Physician> = HashMap::new();
        for p in physicians {
            last.insert((p.lanr, p.bsnr), p);
        }
        // Keyed by (pk, sk): a word two entries share is one key once, as a batch requires.
        let mut items: BTreeMap<(String, String), Item> = BTreeMap::new();
        for p in last.values() {
            for item in std::iter::once(physician_item(&self.scope, p)).chain(self.pointers(p)) {
                let key = (item.text("pk")?.to_string(), item.text("sk")?.to_string());
                items.insert(key, item);
            }
        }
        let requests = items.into_values().map(batch_put).collect::<Result<Vec<_>, _>>()?;
        self.batch_write(&self.tables.physicians, requests).await
    }

    #[tracing::instrument(level = "debug", name = "dynamodb.physician", skip_all)]
    async fn physician(&self, lanr: &Lanr, bsnr: &Bsnr) -> Result<Option<Physician>, StoreError> {
        let key = HashMap::from([
            ("pk".to_string(), self.scope.key(format!("p#{lanr}"))),
            ("sk".to_string(), string(bsnr)),
        ]);
        let item = self.item(&self.tables.physicians, key).await?;
        item.as_ref().map(physician_from).transpose()
    }

    #[tracing::instrument(level = "debug", name = "dynamodb.search_physicians", skip_all)]
    async fn search_physicians(
        &self,
        query: &PhysicianQuery,
        limit: usize,
    ) -> Result<Vec<Physician>, StoreError> {
        let mut ids = BTreeSet::new();
        let mut direct = Vec::new();
        match query {
            PhysicianQuery::Number(n) => {
                for item in self.query_pointers(format!("p#{n}"), None).await? {
                    direct.push(physician_from(&item)?);
                }
                let pointers = self.query_pointers(format!("b#{n}"), None).await?;
                ids.extend(pointers.iter().filter_map(pointed_at));
            }
            PhysicianQuery::Plz(plz) => {
                let pointers = self.query_pointers(format!("z#{plz}"), None).await?;
                ids.extend(pointers.iter().filter_map(pointed_at));
            }
            PhysicianQuery::Name(prefix) => {
                let bucket: String = prefix.chars().take(2).collect();
                let pointers = self.query_pointers(format!("w#{bucket}"), Some(prefix)).await?;
                ids.extend(pointers.iter().filter_map(pointed_at));
            }
        }
        let mut found = direct;
        found.extend(self.entries(ids).await?);
        found.retain(|p| p.matches(query));
        found.sort_by(|a, b| {
            (&a.name, a.lanr.as_str(), a.bsnr.as_str()).cmp(&(
                &b.name,
                b.lanr.as_str(),
                b.bsnr.as_str(),
            ))
        });
        found.dedup_by(|a, b| a.lanr == b.lanr && a.bsnr == b.bsnr);
        found.truncate(limit);
        Ok(found)
    }
}
