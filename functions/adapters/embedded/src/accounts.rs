//! Accounts, letters, sessions, counters and challenges in the SQLite file. Times are stored as
//! nanoseconds since 1970 (UTC), which sort and compare as integers.

use async_trait::async_trait;
use portal_core::model::{
    Account, Challenge, ChallengeId, FactorKind, Letter, LetterId, LetterStatus, Session,
    SessionIdHash, Standing,
};
use portal_core::{
    AccountStore, ChallengeStore, LetterQueue, Limits, Saved, SessionStore, StoreError,
};
use portal_domain::Ik;
use rusqlite::{OptionalExtension, params};
use time::OffsetDateTime;

use crate::rows::{
    ACCOUNT_COLUMNS, LETTER_COLUMNS, SESSION_COLUMNS, account_from, nanos, pending_letter_from,
    recovery_codes_text, session_from, time_of,
};
use crate::{EmbeddedStore, corrupt, sql};

#[async_trait]
impl AccountStore for EmbeddedStore {
    #[tracing::instrument(level = "debug", name = "sqlite.account", skip_all)]
    async fn account(&self, ik: &Ik) -> Result<Option<Account>, StoreError> {
        let ik = *ik;
        self.lookup(move |connection| {
            let query = format!("SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE ik = ?1");
            let row = connection
                .prepare_cached(&query)
                .and_then(|mut select| {
                    select.query_row([ik.as_str()], |row| Ok(account_from(row))).optional()
                })
                .map_err(sql)?;
            row.transpose()
        })
        .await
    }

    #[tracing::instrument(level = "debug", name = "sqlite.standing", skip_all)]
    async fn standing(&self, ik: &Ik) -> Result<Option<Standing>, StoreError> {
        let ik = *ik;
        self.lookup(move |connection| {
            connection
                .prepare_cached(
                    "SELECT must_change_password, letters_generation, sessions_valid_from \
                     FROM accounts WHERE ik = ?1",
                )
                .and_then(|mut select| {
                    select
                        .query_row([ik.as_str()], |row| {
                            let (must_change_password, letters_generation, sessions_from) =
                                (row.get(0)?, row.get(1)?, row.get(2)?);
                            Ok(time_of(sessions_from).map(|sessions_valid_from| Standing {
                                ik,
                                must_change_password,
                                letters_generation,
                                sessions_valid_from,
                            }))
                        })
                        .optional()
                })
                .map_err(sql)?
                .transpose()
        })
        .await
    }

    #[tracing::instrument(level = "debug", name = "sqlite.save_account", skip_all)]
    async fn save_account(
        &self,
        account: &Account,
        letters: &[Letter],
    ) -> Result<Saved, StoreError> {
        let (account, letters) = (account.clone(), letters.to_vec());
        self.write(move |connection| {
            // IMMEDIATE takes the write lock before reading the version: no other writer can slip
            // in between the check and the write.
            let stored: Option<i64> = connection
                .query_row("SELECT version FROM accounts WHERE ik = ?1", [account.ik.as_str()], |r| r.get(0))
                .optional()
                .map_err(sql)?;
            let expected = i64::try_from(account.version).map_err(|e| corrupt("version", e))?;
            if stored.unwrap_or(0) != expected {
                return Ok(Saved::Conflict);
            }
            connection.execute(
                &format!(
                    "INSERT OR REPLACE INTO accounts ({ACCOUNT_COLUMNS})
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)"
                ),
                params![
                    account.ik.as_str(),
                    account.password_hash,
                    account.pruefnummer_hash,
                    account.must_change_password,
                    account.initial_password_expires_at.map(nanos),
                    account.blocked,
                    nanos(account.last_used_at),
                    account.letters_generation,
                    expected + 1,
                    nanos(account.sessions_valid_from),
                    account.second_factor.as_ref().map(|f| f.sealed_secret.clone()),
                    account.second_factor.as_ref().is_some_and(|f| f.active),
                    account
                        .second_factor
                        .as_ref()
                        .map_or(0, |f| i64::try_from(f.last_step).unwrap_or(i64::MAX)),
                    recovery_codes_text(account.second_factor.as_ref()),
                    account.second_factor.as_ref().map_or(FactorKind::Totp, |f| f.kind).as_str(),
                ],
            )
            .map_err(sql)?;
            for letter in &letters {
                connection.execute(
                    "INSERT INTO letters (id, ik, kind, generation, recipient, message, status, created_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?8, ?7)",
                    params![
                        letter.id.to_string(),
                        letter.ik.as_str(),
                        letter.kind.as_str(),
                        letter.generation,
                        letter.recipient,
                        letter.message,
                        nanos(letter.created_at),
                        LetterStatus::Pending.as_str(),
                    ],
                )
                .map_err(sql)?;
            }
            Ok(Saved::Done)
        })
        .await
    }
}

#[async_trait]
impl LetterQueue for EmbeddedStore {
    #[tracing::instrument(level = "debug", name = "sqlite.pending_letters", skip_all)]
    async fn pending_letters(&self, limit: usize) -> Result<Vec<Letter>, StoreError> {
        self.run(move |connection| {
            let query = format!(
                "SELECT {LETTER_COLUMNS} FROM letters WHERE status = ?1 ORDER BY id LIMIT ?2"
            );
            let mut select = connection.prepare_cached(&query).map_err(sql)?;
            let limit = i64::try_from(limit).unwrap_or(i64::MAX);
            let rows = select
                .query_map(params![LetterStatus::Pending.as_str(), limit], |row| {
                    Ok(pending_letter_from(row))
                })
                .map_err(sql)?;
            rows.map(|row| row.map_err(sql)?).collect()
        })
        .await
    }

    #[tracing::instrument(level = "debug", name = "sqlite.claim_letter", skip_all)]
    async fn claim_letter(
        &self,
        id: &LetterId,
        now: OffsetDateTime,
        until: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        let (id, now, until) = (id.to_string(), nanos(now), nanos(until));
        self.write(move |connection| {
            connection
                .execute(
                    "UPDATE letters SET claimed_until = ?3 WHERE id = ?1 AND status = 'pending' \
                     AND (claimed_until IS NULL OR claimed_until <= ?2)",
                    params![id, now, until],
                )
                .map(|claimed| claimed == 1)
                .map_err(sql)
        })
        .await
    }

    #[tracing::instrument(level = "debug", name = "sqlite.release_letter", skip_all)]
    async fn release_letter(&self, id: &LetterId) -> Result<(), StoreError> {
        let id = id.to_string();
        self.write(move |connection| {
            connection
                .execute("UPDATE letters SET claimed_until = NULL WHERE id = ?1", [id])
                .map(drop)
                .map_err(sql)
        })
        .await
    }

    #[tracing::instrument(level = "debug", name = "sqlite.mark_sent", skip_all)]
    async fn mark_sent(&self, id: &LetterId) -> Result<(), StoreError> {
        self.set_letter_status(id, LetterStatus::Sent).await
    }

    #[tracing::instrument(level = "debug", name = "sqlite.mark_void", skip_all)]
    async fn mark_void(&self, id: &LetterId) -> Result<(), StoreError> {
        self.set_letter_status(id, LetterStatus::Void).await
    }
}

impl EmbeddedStore {
    async fn set_letter_status(
        &self,
        id: &LetterId,
        status: LetterStatus,
    ) -> Result<(), StoreError> {
        let id = id.to_string();
        let scrub = self.scrub_flag();
        self.write(move |connection| {
            scrub.store(true, std::sync::atomic::Ordering::SeqCst);
            connection
                .execute(
                    "UPDATE letters SET status = ?2, message = NULL WHERE id = ?1",
                    params![id, status.as_str()],
                )
                .map(drop)
                .map_err(sql)
        })
        .await
    }

    /// Removes what has expired: sessions, challenges, counters of past windows, the records of
    /// letters sent or void more than 30 days ago, and audit records past their retention.
    /// DynamoDB does this with TTL.
    pub async fn purge_expired(&self, now: OffsetDateTime) -> Result<(), StoreError> {
        let now = nanos(now);
        let month_ago = now.saturating_sub(30 * 24 * 3600 * 1_000_000_000);
        self.write(move |connection| {
            connection
                .execute("DELETE FROM sessions WHERE idle_expires_at <= ?1", [now])
                .map_err(sql)?;
            connection
                .execute("DELETE FROM backoffice_sessions WHERE idle_expires_at <= ?1", [now])
                .map_err(sql)?;
            connection
                .execute("DELETE FROM challenges WHERE expires_at <= ?1", [now])
                .map_err(sql)?;
            connection
                .execute("DELETE FROM seen_token_ids WHERE expires_at <= ?1", [now])
                .map_err(sql)?;
            for table in ["account_history", "known_devices", "block_tokens"] {
                let delete = format!("DELETE FROM {table} WHERE expires_at <= ?1");
                connection.execute(&delete, [now]).map_err(sql)?;
            }
            connection
                .execute("DELETE FROM counters WHERE window_ends <= ?1", [now])
                .map_err(sql)?;
            connection
                .execute(
                    "DELETE FROM letters WHERE status != 'pending' AND created_at <= ?1",
                    [month_ago],
                )
                .map_err(sql)?;
            // Audit records go when their retention ends (the privacy statement promises it).
            // Bounded by the machine's clock too, which the table's trigger checks.
            connection
                .execute(
                    "DELETE FROM audit WHERE expires_at <= \
                     min(?1, CAST(strftime('%s', 'now') AS INTEGER) * 1000000000)",
                    [now],
                )
                .map_err(sql)?;
            Ok(())
        })
        .await
    }
}

#[async_trait]
impl SessionStore for EmbeddedStore {
    #[tracing::instrument(level = "debug", name = "sqlite.put_session", skip_all)]
    async fn put_session(&self, session: &Session) -> Result<(), StoreError> {
        let session = session.clone();
        self.write(move |connection| {
            connection
                .execute(
                    &format!("INSERT OR REPLACE INTO sessions ({SESSION_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"),
                    params![
                        session.id_hash.as_str(),
                        session.ik.as_str(),
                        nanos(session.created_at),
                        nanos(session.idle_expires_at),
                        session.stage.as_str(),
                        nanos(session.last_active_at),
                        session.browser.as_str(),
                    ],
                )
                .map(drop)
                .map_err(sql)
        })
        .await
    }

    #[tracing::instrument(level = "debug", name = "sqlite.session", skip_all)]
    async fn session(&self, id_hash: &SessionIdHash) -> Result<Option<Session>, StoreError> {
        let id_hash = id_hash.clone();
        self.lookup(move |connection| {
            let query = format!("SELECT {SESSION_COLUMNS} FROM sessions WHERE id_hash = ?1");
            let row = connection
                .prepare_cached(&query)
                .and_then(|mut select| {
                    select.query_row([id_hash.as_str()], |row| Ok(session_from(row))).optional()
                })
                .map_err(sql)?;
            row.transpose()
        })
        .await
    }

    #[tracing::instrument(level = "debug", name = "sqlite.sessions_of", skip_all)]
    async fn sessions_of(&self, ik: &Ik) -> Result<Vec<Session>, StoreError> {
        let ik = *ik;
        self.run(move |connection| {
            let query = format!("SELECT {SESSION_COLUMNS} FROM sessions WHERE ik = ?1");
            let mut select = connection.prepare_cached(&query).map_err(sql)?;
            let rows = select.query_map([ik.as_str()], |row| Ok(session_from(row))).map_err(sql)?;
            rows.map(|row| row.map_err(sql)?).collect()
        })
        .await
    }

    #[tracing::instrument(level = "debug", name = "sqlite.delete_session", skip_all)]
    async fn delete_session(&self, id_hash: &SessionIdHash) -> Result<(), StoreError> {
        let id_hash = id_hash.to_string();
        self.write(move |connection| {
            connection
                .execute("DELETE FROM sessions WHERE id_hash = ?1", [id_hash])
                .map(drop)
                .map_err(sql)
        })
        .await
    }
}

#[async_trait]
impl Limits for EmbeddedStore {
    #[tracing::instrument(level = "debug", name = "sqlite.try_count", skip_all)]
    async fn try_count(
        &self,
        key: &str,
        limit: u32,
        window_ends: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        let key = key.to_string();
        self.write(move |connection| {
            // One statement: insert the first use, or count one more while under the limit.
            let changed = connection
                .execute(
                    "INSERT INTO counters (key, count, window_ends) VALUES (?1, 1, ?3)
                     ON CONFLICT (key) DO UPDATE SET count = count + 1 WHERE count < ?2",
                    params![key, limit, nanos(window_ends)],
                )
                .map_err(sql)?;
            Ok(changed == 1 && limit > 0)
        })
        .await
    }

    #[tracing::instrument(level = "debug", name = "sqlite.used", skip_all)]
    async fn used(&self, key: &str) -> Result<u32, StoreError> {
        let key = key.to_string();
        self.lookup(move |connection| {
            let count: Option<i64> = connection
                .prepare_cached("SELECT count FROM counters WHERE key = ?1")
                .and_then(|mut select| select.query_row([key], |row| row.get(0)).optional())
                .map_err(sql)?;
            Ok(u32::try_from(count.unwrap_or(0)).unwrap_or(u32::MAX))
        })
        .await
    }
}

#[async_trait]
impl ChallengeStore for EmbeddedStore {
    #[tracing::instrument(level = "debug", name = "sqlite.put_challenge", skip_all)]
    async fn put_challenge(&self, challenge: &Challenge) -> Result<(), StoreError> {
        let c = challenge.clone();
        self.write(move |connection| {
            connection
                .execute(
                    "INSERT INTO challenges (id, salt, difficulty, expires_at) VALUES (?1, ?2, ?3, ?4)",
                    params![c.id.to_string(), c.salt, c.difficulty, nanos(c.expires_at)],
                )
                .map(drop)
                .map_err(sql)
        })
        .await
    }

    #[tracing::instrument(level = "debug", name = "sqlite.take_challenge", skip_all)]
    async fn take_challenge(&self, id: &ChallengeId) -> Result<Option<Challenge>, StoreError> {
        let id = *id;
        self.write(move |connection| {
            let row = connection
                .query_row(
                    "DELETE FROM challenges WHERE id = ?1 RETURNING salt, difficulty, expires_at",
                    [id.to_string()],
                    |row| {
                        Ok((row.get::<_, String>(0)?, row.get::<_, u8>(1)?, row.get::<_, i64>(2)?))
                    },
                )
                .optional()
                .map_err(sql)?;
            row.map(|(salt, difficulty, expires_at)| {
                Ok(Challenge { id, salt, difficulty, expires_at: time_of(expires_at)? })
            })
            .transpose()
        })
        .await
    }
}
