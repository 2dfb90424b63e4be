//! The upgrade to tenants: the items written before tenants existed become the first tenant's.
//! Each item is moved in one transaction (the scoped copy is put unless it exists, the old item
//! deleted if it is still there), so the upgrade can stop at any point and run again.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::{AttributeValue, Delete, Put, TransactWriteItem};
use futures::{StreamExt as _, TryStreamExt as _};
use portal_core::StoreError;

use crate::items::{Item, is_unscoped, string};
use crate::{DynamoStore, failed_conditions};

/// How many items of each table became the tenant's.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Adopted {
    pub per_table: Vec<(String, usize)>,
    /// Old items whose key the tenant had already written anew (traffic reached the new release
    /// before the upgrade): the new item was kept, the old one removed.
    pub superseded: usize,
}

impl Adopted {
    pub fn total(&self) -> usize {
        self.per_table.iter().map(|(_, n)| n).sum()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Move {
    Moved,
    Superseded,
}

/// Moves in flight at once: each is one small transaction.
const PARALLEL_MOVES: usize = 16;

impl DynamoStore {
    /// Makes every item without a tenant this store's tenant's, keeping every attribute (the
    /// audit records' hashes do not cover keys, so each chain stays intact). Works a page of
    /// the scan at a time (a table of millions never sits in memory) and tells `progress`
    /// after each page how many items of the table have moved so far.
    pub async fn adopt_unscoped_items(
        &self,
        mut progress: impl FnMut(&str, usize),
    ) -> Result<Adopted, StoreError> {
        let t = &self.tables;
        // (table, its key attributes, the attributes to scope)
        let tables: [(&str, &[&str], &[&str]); 7] = [
            (&t.providers, &["ik"], &["ik"]),
            (&t.exemptions, &["kvnr", "year"], &["kvnr", "year_shard"]),
            (&t.accounts, &["ik"], &["ik"]),
            (&t.letters, &["letter_id"], &["letter_id"]),
            (&t.sessions, &["id_hash"], &["id_hash"]),
            (&t.counters, &["key"], &["key"]),
            (&t.audit, &["ik", "seq"], &["ik", "kvnr"]),
        ];
        let mut adopted = Adopted::default();
        for (table, keys, scoped) in tables {
            let mut pages =
                self.client.scan().table_name(table).consistent_read(true).into_paginator().send();
            let (mut moved, mut superseded) = (0, 0);
            while let Some(page) = pages.next().await {
                let page = page.map_err(StoreError::unavailable)?;
                let unscoped: Vec<Item> = page
                    .items
                    .unwrap_or_default()
                    .into_iter()
                    .filter(|item| {
                        matches!(item.get(keys[0]), Some(AttributeValue::S(k)) if is_unscoped(k))
                    })
                    .collect();
                let outcomes: Vec<Move> = futures::stream::iter(unscoped)
                    .map(|item| self.adopt(table, keys, scoped, item))
                    .buffer_unordered(PARALLEL_MOVES)
                    .try_collect()
                    .await?;
                moved += outcomes.iter().filter(|m| **m == Move::Moved).count();
                superseded += outcomes.iter().filter(|m| **m == Move::Superseded).count();
                progress(table, moved);
            }
            adopted.per_table.push((table.to_string(), moved));
            adopted.superseded += superseded;
        }
        Ok(adopted)
    }

    /// Moves one item; where the tenant's key holds an item already (written by the new release
    /// before the upgrade), that newer one stays and the old one goes, except in the audit log,
    /// where two chains would fork: there it stops and says so.
    async fn adopt(
        &self,
        table: &str,
        keys: &[&str],
        scoped: &[&str],
        item: Item,
    ) -> Result<Move, StoreError> {
        let old_key: Item =
            keys.iter().filter_map(|k| item.get(*k).map(|v| (k.to_string(), v.clone()))).collect();
        let mut new = item;
        for name in scoped {
            if let Some(AttributeValue::S(value)) = new.get(*name) {
                let value = self.scope.key(value);
                new.insert(name.to_string(), value);
            }
        }
        if new.contains_key("pending") {
            new.insert("pending".into(), string(self.scope.tenant()));
        }
        let names = HashMap::from([("#k".to_string(), keys[0].to_string())]);
        let put = Put::builder()
            .table_name(table)
            .set_item(Some(new))
            .condition_expression("attribute_not_exists(#k)")
            .set_expression_attribute_names(Some(names.clone()))
            .build()
            .map_err(StoreError::unavailable)?;
        let delete = Delete::builder()
            .table_name(table)
            .set_key(Some(old_key))
            .build()
            .map_err(StoreError::unavailable)?;
        let moved = self
            .client
            .transact_write_items()
            .transact_items(TransactWriteItem::builder().put(put).build())
            .transact_items(TransactWriteItem::builder().delete(delete.clone()).build())
            .send()
            .await;
        match moved {
            Ok(_) => Ok(Move::Moved),
            Err(error) if failed_conditions(&error).is_some_and(|f| f.contains(&0)) => {
                if table == self.tables.audit {
                    return Err(StoreError::unavailable(format!(
                        "{table}: a chain was continued under the tenant's key after the deploy; \
                         stop traffic and ask for help before going on (the two parts must be joined by hand)"
                    )));
                }
                self.client
                    .delete_item()
                    .table_name(table)
                    .set_key(Some(delete.key().clone()))
                    .send()
                    .await
                    .map_err(StoreError::unavailable)?;
                Ok(Move::Superseded)
            }
            Err(error) => Err(StoreError::unavailable(error)),
        }
    }
}
