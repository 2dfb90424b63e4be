//! The back office's users and sessions in the SQLite file (one file per tenant).

use async_trait::async_trait;
use portal_core::model::stored::corrupt;
use portal_core::model::{BackofficeName, BackofficeSession, BackofficeUser};
use portal_core::{BackofficeStore, Saved, StoreError};
use rusqlite::{OptionalExtension, params};

use crate::rows::{nanos, time_of};
use crate::{EmbeddedStore, sql};

fn name_of(text: &str) -> Result<BackofficeName, StoreError> {
    BackofficeName::parse(text).map_err(|e| corrupt("back-office name", e))
}

#[async_trait]
impl BackofficeStore for EmbeddedStore {
    #[tracing::instrument(level = "debug", name = "sqlite.add_backoffice_user", skip_all)]
    async fn add_backoffice_user(&self, user: &BackofficeUser) -> Result<Saved, StoreError> {
        let user = user.clone();
        self.write(move |connection| {
            let added = connection
                .execute(
                    "INSERT INTO backoffice_users (name, password_hash, created_at) \
                     VALUES (?1, ?2, ?3) ON CONFLICT (name) DO NOTHING",
                    params![user.name.as_str(), user.password_hash, nanos(user.created_at)],
                )
                .map_err(sql)?;
            Ok(if added == 1 { Saved::Done } else { Saved::Conflict })
        })
        .await
    }

    #[tracing::instrument(level = "debug", name = "sqlite.backoffice_user", skip_all)]
    async fn backoffice_user(
        &self,
        name: &BackofficeName,
    ) -> Result<Option<BackofficeUser>, StoreError> {
        let name = name.clone();
        self.run(move |connection| {
            let row = connection
                .query_row(
                    "SELECT password_hash, created_at FROM backoffice_users WHERE name = ?1",
                    [name.as_str()],
                    |row| Ok((row.get::<_, String>(0)?, row.get::<_, i64>(1)?)),
                )
                .optional()
                .map_err(sql)?;
            row.map(|(password_hash, created_at)| {
                Ok(BackofficeUser {
                    name: name.clone(),
                    password_hash,
                    created_at: time_of(created_at)?,
                })
            })
            .transpose()
        })
        .await
    }

    #[tracing::instrument(level = "debug", name = "sqlite.remove_backoffice_user", skip_all)]
    async fn remove_backoffice_user(&self, name: &BackofficeName) -> Result<bool, StoreError> {
        let name = name.clone();
        self.write(move |connection| {
            connection
                .execute("DELETE FROM backoffice_sessions WHERE name = ?1", [name.as_str()])
                .map_err(sql)?;
            let removed = connection
                .execute("DELETE FROM backoffice_users WHERE name = ?1", [name.as_str()])
                .map_err(sql)?;
            Ok(removed == 1)
        })
        .await
    }

    #[tracing::instrument(level = "debug", name = "sqlite.put_backoffice_session", skip_all)]
    async fn put_backoffice_session(&self, session: &BackofficeSession) -> Result<(), StoreError> {
        let session = session.clone();
        self.write(move |connection| {
            connection
                .execute(
                    "INSERT OR REPLACE INTO backoffice_sessions \
                     (id_hash, name, created_at, idle_expires_at) VALUES (?1, ?2, ?3, ?4)",
                    params![
                        session.id_hash,
                        session.name.as_str(),
                        nanos(session.created_at),
                        nanos(session.idle_expires_at)
                    ],
                )
                .map(drop)
                .map_err(sql)
        })
        .await
    }

    #[tracing::instrument(level = "debug", name = "sqlite.backoffice_session", skip_all)]
    async fn backoffice_session(
        &self,
        id_hash: &str,
    ) -> Result<Option<BackofficeSession>, StoreError> {
        let id_hash = id_hash.to_string();
        self.run(move |connection| {
            let row = connection
                .query_row(
                    "SELECT name, created_at, idle_expires_at FROM backoffice_sessions \
                     WHERE id_hash = ?1",
                    [&id_hash],
                    |row| {
                        Ok((row.get::<_, String>(0)?, row.get::<_, i64>(1)?, row.get::<_, i64>(2)?))
                    },
                )
                .optional()
                .map_err(sql)?;
            row.map(|(name, created_at, idle_expires_at)| {
                Ok(BackofficeSession {
                    id_hash: id_hash.clone(),
                    name: name_of(&name)?,
                    created_at: time_of(created_at)?,
                    idle_expires_at: time_of(idle_expires_at)?,
                })
            })
            .transpose()
        })
        .await
    }

    #[tracing::instrument(level = "debug", name = "sqlite.delete_backoffice_session", skip_all)]
    async fn delete_backoffice_session(&self, id_hash: &str) -> Result<(), StoreError> {
        let id_hash = id_hash.to_string();
        self.write(move |connection| {
            connection
                .execute("DELETE FROM backoffice_sessions WHERE id_hash = ?1", [&id_hash])
                .map(drop)
                .map_err(sql)
        })
        .await
    }
}
