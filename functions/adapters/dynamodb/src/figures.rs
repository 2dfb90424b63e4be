//! The figures' roll-up in DynamoDB.
//!
//! The audit log by time: the sparse index `heads_by_day` (the provider heads only, keyed by
//! tenant and the German day of the head's newest record) names the chains written to on or
//! after `from`'s day; each is then read newest first from its partition until a record is
//! older than `from`. A roll-up of a day reads that day's records and what came after, never the
//! whole table (`audit_heads` scans it). The index's key changes once a day per provider, so it
//! costs about two write units per active provider and day, not per query.
//!
//! The figures live in the counters table under `{tenant}#figures#{day}` and, apart,
//! `{tenant}#figures#{day}#providers`: one small item per day for the public figures, read by
//! key; no table of their own, since nothing needs more than reads by key, and the functions
//! that read or write them have the counters table already.

use std::collections::HashMap;

use async_trait::async_trait;
use futures::{StreamExt, TryStreamExt};
use portal_core::model::{AuditRecord, DayFigures};
use portal_core::{AuditTimeline, FigureStore, StoreError};
use portal_domain::Ik;
use time::{Date, OffsetDateTime};

use crate::DynamoStore;
use crate::items::{ItemExt, number, row_from, string};

pub(crate) const HEADS_BY_DAY_INDEX: &str = "heads_by_day";

/// Providers' partitions read at once.
const PARALLEL_READS: usize = 8;

impl DynamoStore {
    /// One provider's records with `from <= at < to`, read newest first until one is older.
    async fn records_of_since(
        &self,
        ik: Ik,
        from: OffsetDateTime,
        to: OffsetDateTime,
    ) -> Result<Vec<AuditRecord>, StoreError> {
        let mut items = self
            .client
            .query()
            .table_name(&self.tables.audit)
            .key_condition_expression("ik = :ik AND seq >= :first")
            .expression_attribute_values(":ik", self.scope.key(ik))
            .expression_attribute_values(":first", number(1))
            .scan_index_forward(false)
            .limit(100)
            .into_paginator()
            .items()
            .send();
        let mut records = Vec::new();
        while let Some(item) = items.next().await {
            let item = item.map_err(StoreError::unavailable)?;
            // A record that no longer tells its time is for `portal audit verify` to name.
            let Ok(at) = item.time("at") else { continue };
            if at < from {
                break;
            }
            if at < to
                && let Some(record) = row_from(&self.scope, &item).intact()
            {
                records.push(record.clone());
            }
        }
        Ok(records)
    }

    fn figures_key(
        &self,
        day: Date,
        part: &str,
    ) -> HashMap<String, aws_sdk_dynamodb::types::AttributeValue> {
        HashMap::from([("key".to_string(), self.scope.key(format!("figures#{day}{part}")))])
    }
}

#[async_trait]
impl AuditTimeline for DynamoStore {
    #[tracing::instrument(level = "debug", name = "dynamodb.audit_between", skip_all)]
    async fn audit_between(
        &self,
        from: OffsetDateTime,
        to: OffsetDateTime,
    ) -> Result<Vec<AuditRecord>, StoreError> {
        let query = self
            .client
            .query()
            .table_name(&self.tables.audit)
            .index_name(HEADS_BY_DAY_INDEX)
            .key_condition_expression("head_tenant = :tenant AND head_day >= :from")
            .expression_attribute_values(":tenant", string(self.scope.tenant()))
            .expression_attribute_values(":from", string(portal_domain::german_date(from)));
        let heads = crate::all_items(query).await?;
        let iks: Vec<Ik> =
            heads.iter().map(|item| self.scope.ik(item)).collect::<Result<_, _>>()?;
        let per_provider: Vec<Vec<AuditRecord>> = futures::stream::iter(iks)
            .map(|ik| self.records_of_since(ik, from, to))
            .buffer_unordered(PARALLEL_READS)
            .try_collect()
            .await?;
        Ok(per_provider.into_iter().flatten().collect())
    }
}

#[async_trait]
impl FigureStore for DynamoStore {
    async fn put_day_figures(&self, figures: &DayFigures) -> Result<(), StoreError> {
        for (part, attribute, text) in [
            ("#providers", "providers", figures.providers_text()),
            ("", "figures", figures.to_text()),
        ] {
            let mut item = self.figures_key(figures.day, part);
            item.insert(attribute.to_string(), string(text));
            self.client
                .put_item()
                .table_name(&self.tables.counters)
                .set_item(Some(item))
                .send()
                .await
                .map_err(StoreError::unavailable)?;
        }
        Ok(())
    }

    async fn day_figures(
        &self,
        from: Date,
        to: Date,
        with_providers: bool,
    ) -> Result<Vec<DayFigures>, StoreError> {
        let mut days = Vec::new();
        let mut day = from;
        while day <= to {
            days.push(day);
            let Some(next) = day.next_day() else { break };
            day = next;
        }
        let read = |day: Date| async move {
            let Some(item) = self.item(&self.tables.counters, self.figures_key(day, "")).await?
            else {
                return Ok::<_, StoreError>(None);
            };
            let providers = match with_providers {
                true => {
                    self.item(&self.tables.counters, self.figures_key(day, "#providers")).await?
                }
                false => None,
            };
            let providers = providers.as_ref().map(|p| p.text("providers")).transpose()?;
            DayFigures::parse(item.text("figures")?, providers).map(Some)
        };
        let found: Vec<Option<DayFigures>> = futures::stream::iter(days)
            .map(read)
            .buffered(PARALLEL_READS * 2)
            .try_collect()
            .await?;
        Ok(found.into_iter().flatten().collect())
    }
}
