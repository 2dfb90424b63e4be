//! The machine API's clients and the client assertions' used ids in the SQLite file.

use async_trait::async_trait;
use portal_core::model::{Client, ClientId};
use portal_core::{ClientRegistry, SeenTokenIds, StoreError};
use portal_domain::Ik;
use rusqlite::{OptionalExtension, params};
use time::OffsetDateTime;

use crate::rows::{CLIENT_COLUMNS, client_from, nanos};
use crate::{EmbeddedStore, sql};

#[async_trait]
impl ClientRegistry for EmbeddedStore {
    #[tracing::instrument(level = "debug", name = "sqlite.put_client", skip_all)]
    async fn put_client(&self, client: &Client) -> Result<(), StoreError> {
        let client = client.clone();
        self.write(move |connection| {
            connection
                .execute(
                    &format!(
                        "INSERT OR REPLACE INTO clients ({CLIENT_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5)"
                    ),
                    params![
                        client.id.to_string(),
                        client.ik.as_str(),
                        client.jwks.as_str(),
                        nanos(client.created_at),
                        client.revoked_at.map(nanos),
                    ],
                )
                .map(drop)
                .map_err(sql)
        })
        .await
    }

    #[tracing::instrument(level = "debug", name = "sqlite.client", skip_all)]
    async fn client(&self, id: &ClientId) -> Result<Option<Client>, StoreError> {
        let id = id.to_string();
        self.lookup(move |connection| {
            let query = format!("SELECT {CLIENT_COLUMNS} FROM clients WHERE id = ?1");
            connection
                .prepare_cached(&query)
                .and_then(|mut select| {
                    select.query_row([id], |row| Ok(client_from(row))).optional()
                })
                .map_err(sql)?
                .transpose()
        })
        .await
    }

    #[tracing::instrument(level = "debug", name = "sqlite.clients_of", skip_all)]
    async fn clients_of(&self, ik: Option<&Ik>) -> Result<Vec<Client>, StoreError> {
        let ik = ik.map(|ik| ik.to_string());
        self.run(move |connection| {
            // Ids are ULIDs: by id is oldest first.
            let query = format!(
                "SELECT {CLIENT_COLUMNS} FROM clients WHERE ?1 IS NULL OR ik = ?1 ORDER BY id"
            );
            let mut select = connection.prepare_cached(&query).map_err(sql)?;
            let rows = select.query_map([ik], |row| Ok(client_from(row))).map_err(sql)?;
            rows.map(|row| row.map_err(sql)?).collect()
        })
        .await
    }

    #[tracing::instrument(level = "debug", name = "sqlite.revoke_client", skip_all)]
    async fn revoke(&self, id: &ClientId, at: OffsetDateTime) -> Result<bool, StoreError> {
        let (id, at) = (id.to_string(), nanos(at));
        self.write(move |connection| {
            connection
                .execute(
                    "UPDATE clients SET revoked_at = coalesce(revoked_at, ?2) WHERE id = ?1",
                    params![id, at],
                )
                .map(|changed| changed == 1)
                .map_err(sql)
        })
        .await
    }
}

#[async_trait]
impl SeenTokenIds for EmbeddedStore {
    #[tracing::instrument(level = "debug", name = "sqlite.remember_jti", skip_all)]
    async fn remember(&self, jti: &str, expires_at: OffsetDateTime) -> Result<bool, StoreError> {
        let (jti, expires_at) = (jti.to_string(), nanos(expires_at));
        // One statement in the writer's transaction: of two at once, one inserts.
        self.write(move |connection| {
            connection
                .execute(
                    "INSERT INTO seen_token_ids (jti, expires_at) VALUES (?1, ?2) \
                     ON CONFLICT (jti) DO NOTHING",
                    params![jti, expires_at],
                )
                .map(|inserted| inserted == 1)
                .map_err(sql)
        })
        .await
    }
}
