//! The embedded store of the local portal: one SQLite file in WAL mode.
//!
//! Why SQLite: it is durable and crash-safe (atomic commits with a write-ahead log, fsync on every
//! commit with `synchronous=FULL`), and several processes may use the same file at once, so
//! `portal import` and `portal audit` work while `portal serve` runs. Embedded key-value stores
//! such as redb lock their file to one process.

use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, mpsc};

use async_trait::async_trait;
use portal_core::{ExemptionStore, ProviderDirectory, StoreError};
use portal_domain::{Exemption, Ik, Kvnr, Provider};
use rusqlite::{Connection, OptionalExtension, params};

mod accounts;
mod anchors;
mod audit;
mod backoffice;
mod clients;
mod figures;
mod notices;
mod physicians;
mod reports;
mod rows;
mod token_key;

use portal_core::model::stored::corrupt;
use rows::{EXEMPTION_COLUMNS, PROVIDER_COLUMNS, exemption_from, provider_from};

pub use anchors::{FileAnchorKey, FileAnchorLog, NoAnchorKey, open_or_create_report_keys};
pub use token_key::{FileTokenKey, PROOF_KEY_PREFIX, TOKEN_KEY_PREFIX};

/// The schema, one entry per version; `PRAGMA user_version` records how far a file has come.
const MIGRATIONS: &[&str] = &[
    r#"
    CREATE TABLE providers (
        ik         TEXT PRIMARY KEY,
        name       TEXT NOT NULL,
        email      TEXT NOT NULL,
        strasse    TEXT NOT NULL,
        plz        TEXT NOT NULL,
        ort        TEXT NOT NULL,
        berufsfeld TEXT NOT NULL
    ) STRICT;
    CREATE TABLE exemptions (
        kvnr       TEXT NOT NULL,
        year       INTEGER NOT NULL,
        initials   TEXT NOT NULL,
        valid_from TEXT NOT NULL,
        valid_to   TEXT NOT NULL,
        PRIMARY KEY (kvnr, year)
    ) STRICT, WITHOUT ROWID;
    CREATE INDEX exemptions_by_year ON exemptions (year, kvnr);
"#,
    r#"
    CREATE TABLE accounts (
        ik                          TEXT PRIMARY KEY,
        password_hash               TEXT NOT NULL,
        pruefnummer_hash            TEXT NOT NULL,
        must_change_password        INTEGER NOT NULL,
        initial_password_expires_at INTEGER,
        failed_logins               INTEGER NOT NULL,
        locked_until                INTEGER,
        last_used_at                INTEGER NOT NULL,
        letters_generation          INTEGER NOT NULL,
        version                     INTEGER NOT NULL
    ) STRICT;
    CREATE TABLE letters (
        id         TEXT PRIMARY KEY,
        ik         TEXT NOT NULL,
        kind       TEXT NOT NULL,
        generation INTEGER NOT NULL,
        recipient  TEXT NOT NULL,
        message    TEXT,
        status     TEXT NOT NULL,
        created_at INTEGER NOT NULL
    ) STRICT;
    CREATE INDEX letters_pending ON letters (status, id);
    CREATE TABLE sessions (
        id_hash         TEXT PRIMARY KEY,
        ik              TEXT NOT NULL,
        created_at      INTEGER NOT NULL,
        idle_expires_at INTEGER NOT NULL
    ) STRICT;
    CREATE TABLE counters (
        key         TEXT PRIMARY KEY,
        count       INTEGER NOT NULL,
        window_ends INTEGER NOT NULL
    ) STRICT;
    CREATE TABLE challenges (
        id         TEXT PRIMARY KEY,
        salt       TEXT NOT NULL,
        difficulty INTEGER NOT NULL,
        expires_at INTEGER NOT NULL
    ) STRICT;
"#,
    r#"
    CREATE TABLE audit (
        ik              TEXT NOT NULL,
        seq             INTEGER NOT NULL,
        query_id        TEXT NOT NULL UNIQUE,
        at              INTEGER NOT NULL,
        kvnr            TEXT NOT NULL,
        consent         TEXT NOT NULL,
        dispensing_date TEXT,
        outcome         TEXT NOT NULL,
        prev_hash       TEXT NOT NULL,
        prev_at         INTEGER,
        hash            TEXT NOT NULL,
        expires_at      INTEGER NOT NULL,
        PRIMARY KEY (ik, seq)
    ) STRICT, WITHOUT ROWID;
    CREATE INDEX audit_by_kvnr ON audit (kvnr, at);
    CREATE TABLE audit_heads (
        ik   TEXT PRIMARY KEY,
        seq  INTEGER NOT NULL,
        hash TEXT NOT NULL,
        at   INTEGER NOT NULL
    ) STRICT;
    -- The application appends; it never changes a record, and removes one only after retention.
    CREATE TRIGGER audit_is_append_only BEFORE UPDATE ON audit
    BEGIN SELECT RAISE(ABORT, 'audit records are never changed'); END;
    CREATE TRIGGER audit_kept_for_retention BEFORE DELETE ON audit
    WHEN OLD.expires_at > CAST(strftime('%s', 'now') AS INTEGER) * 1000000000
    BEGIN SELECT RAISE(ABORT, 'audit records are kept until their retention ends'); END;
"#,
    // Sessions begun before the credentials last changed are void; 0 voids none.
    r#"
    ALTER TABLE accounts ADD COLUMN sessions_valid_from INTEGER NOT NULL DEFAULT 0;
"#,
    // A dispatcher's reservation of a pending letter.
    r#"
    ALTER TABLE letters ADD COLUMN claimed_until INTEGER;
"#,
    // Failures no longer lock an account (they call for a proof of work, counted per IK); the
    // back office may block one.
    r#"
    ALTER TABLE accounts ADD COLUMN blocked INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE accounts DROP COLUMN failed_logins;
    ALTER TABLE accounts DROP COLUMN locked_until;
"#,
    // Tenants: a store file holds one tenant's data (the insurer's IK), so no query of one
    // tenant can reach another's. A file written before tenants existed belongs to whichever
    // tenant opens it first: the first tenant, on upgrade.
    r#"
    CREATE TABLE tenant (
        one INTEGER PRIMARY KEY CHECK (one = 1),
        ik  TEXT NOT NULL
    ) STRICT;
"#,
    // The physician directory of the eTherapiebericht, with each word of a name for the search.
    r#"
    CREATE TABLE physicians (
        lanr       TEXT NOT NULL,
        bsnr       TEXT NOT NULL,
        name       TEXT NOT NULL,
        strasse    TEXT NOT NULL,
        plz        TEXT NOT NULL,
        ort        TEXT NOT NULL,
        kim        TEXT,
        earztbrief INTEGER NOT NULL,
        PRIMARY KEY (lanr, bsnr)
    ) STRICT, WITHOUT ROWID;
    CREATE INDEX physicians_by_bsnr ON physicians (bsnr);
    CREATE INDEX physicians_by_plz ON physicians (plz);
    CREATE TABLE physician_words (
        word TEXT NOT NULL,
        lanr TEXT NOT NULL,
        bsnr TEXT NOT NULL,
        PRIMARY KEY (word, lanr, bsnr),
        FOREIGN KEY (lanr, bsnr) REFERENCES physicians (lanr, bsnr) ON DELETE CASCADE
    ) STRICT, WITHOUT ROWID;
"#, // The eTherapiebericht's reports: metadata in the clear, the contents sealed (the store
    // never holds the key). A queued report waits in `reports_due` for the dispatcher.
    r#"
    CREATE TABLE reports (
        practice           TEXT NOT NULL,
        id                 TEXT NOT NULL,
        status             TEXT NOT NULL,
        kind               TEXT,
        area               TEXT,
        contents           BLOB,
        corrects           TEXT,
        created_at         INTEGER NOT NULL,
        updated_at         INTEGER NOT NULL,
        queued_at          INTEGER,
        sent_at            INTEGER,
        delivered_at       INTEGER,
        read_at            INTEGER,
        failure            TEXT,
        idempotency_key    TEXT,
        attempts           INTEGER NOT NULL,
        next_attempt_at    INTEGER,
        contents_expire_at INTEGER NOT NULL,
        expires_at         INTEGER NOT NULL,
        version            INTEGER NOT NULL,
        PRIMARY KEY (practice, id)
    ) STRICT, WITHOUT ROWID;
    CREATE INDEX reports_due ON reports (next_attempt_at) WHERE status = 'queued';
    CREATE INDEX reports_contents_expire ON reports (contents_expire_at) WHERE contents IS NOT NULL;
    CREATE INDEX reports_expire ON reports (expires_at);
"#,
    // The machine API: where a query came in (every record before it came from the web page),
    // its registered clients, and the client assertions' ids already used.
    r#"
    ALTER TABLE audit ADD COLUMN channel TEXT NOT NULL DEFAULT 'web';
    CREATE TABLE clients (
        id         TEXT PRIMARY KEY,
        ik         TEXT NOT NULL,
        jwks       TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        revoked_at INTEGER
    ) STRICT;
    CREATE INDEX clients_by_ik ON clients (ik, id);
    CREATE TABLE seen_token_ids (
        jti        TEXT PRIMARY KEY,
        expires_at INTEGER NOT NULL
    ) STRICT, WITHOUT ROWID;
"#,
    // The second factor (its TOTP secret sealed, the last time step used, the recovery codes'
    // salted hashes), and sessions a provider can list: how far each has come, when it was
    // last used, the browser family it began with.
    r#"
    ALTER TABLE accounts ADD COLUMN totp_secret BLOB;
    ALTER TABLE accounts ADD COLUMN totp_active INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE accounts ADD COLUMN totp_last_step INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE accounts ADD COLUMN recovery_codes TEXT NOT NULL DEFAULT '';
    ALTER TABLE sessions ADD COLUMN stage TEXT NOT NULL DEFAULT 'full';
    ALTER TABLE sessions ADD COLUMN last_active_at INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE sessions ADD COLUMN browser TEXT NOT NULL DEFAULT 'other';
    CREATE INDEX sessions_by_ik ON sessions (ik);
"#,
    // The figures' daily roll-up (issue #18): the audit log read by time across providers, and
    // one row of figures per German calendar day.
    r#"
    CREATE INDEX audit_by_time ON audit (at);
    CREATE TABLE day_figures (
        day       TEXT PRIMARY KEY,
        figures   TEXT NOT NULL,
        providers TEXT NOT NULL
    ) STRICT, WITHOUT ROWID;
"#,
    // The account's history (BSI TR-03161 O.Pass_4, kept 90 days), the browsers each account
    // is known in (by the hash of their device cookie), and the block links of change notices
    // (by the hash of their token).
    r#"
    CREATE TABLE account_history (
        ik         TEXT NOT NULL,
        at         INTEGER NOT NULL,
        id         TEXT NOT NULL,
        event      TEXT NOT NULL,
        browser    TEXT,
        expires_at INTEGER NOT NULL,
        PRIMARY KEY (ik, at, id)
    ) STRICT, WITHOUT ROWID;
    CREATE INDEX account_history_expiry ON account_history (expires_at);
    CREATE TABLE known_devices (
        ik          TEXT NOT NULL,
        device_hash TEXT NOT NULL,
        expires_at  INTEGER NOT NULL,
        PRIMARY KEY (ik, device_hash)
    ) STRICT, WITHOUT ROWID;
    CREATE TABLE block_tokens (
        token_hash   TEXT PRIMARY KEY,
        ik           TEXT NOT NULL,
        expires_at   INTEGER NOT NULL,
        drops_factor INTEGER NOT NULL
    ) STRICT, WITHOUT ROWID;
"#,
    // The eTherapiebericht's own PDFs of practices, sealed (up to 10 MB: a rowid table, which
    // keeps large rows out of the key's b-tree).
    r#"
    CREATE TABLE report_attachments (
        practice TEXT NOT NULL,
        report   TEXT NOT NULL,
        sealed   BLOB NOT NULL,
        PRIMARY KEY (practice, report)
    ) STRICT;
"#,
    // The back office's own users (issue 18) and their sessions, by the hash of the cookie.
    r#"
    CREATE TABLE backoffice_users (
        name          TEXT PRIMARY KEY,
        password_hash TEXT NOT NULL,
        created_at    INTEGER NOT NULL
    ) STRICT, WITHOUT ROWID;
    CREATE TABLE backoffice_sessions (
        id_hash         TEXT PRIMARY KEY,
        name            TEXT NOT NULL,
        created_at      INTEGER NOT NULL,
        idle_expires_at INTEGER NOT NULL
    ) STRICT, WITHOUT ROWID;
    CREATE INDEX backoffice_sessions_by_name ON backoffice_sessions (name);
"#,
    // Passkeys beside authenticator apps: `totp_secret` holds either kind's sealed material.
    r#"
    ALTER TABLE accounts ADD COLUMN factor_kind TEXT NOT NULL DEFAULT 'totp';
"#,
];

/// A handle to the store file; cheap to clone.
///
/// Reads run on a few read-only connections (WAL lets them read while a write is under way).
/// Writes go to one writer thread that commits them in groups: it takes every write waiting at
/// that moment, runs each in a savepoint of one transaction, commits once (one fsync for all)
/// and only then answers each caller. Durable like one commit per write, at a fraction of the
/// fsyncs under load.
#[derive(Clone)]
pub struct EmbeddedStore {
    readers: Arc<[Mutex<Connection>]>,
    next_reader: Arc<AtomicUsize>,
    writer: mpsc::Sender<Job>,
    /// Set by a write that removed a secret: the writer then folds the write-ahead log into the
    /// file and empties it before it answers, so that no old copy of a page keeps the secret.
    scrub: Arc<AtomicBool>,
}

/// A write waiting for the writer thread. Run with a connection inside the group's transaction
/// (or `None` when the transaction could not begin), it reports whether it succeeded and how to
/// deliver its result once the group's commit is known.
type Job = Box<dyn FnOnce(Option<&Connection>) -> (bool, Delivery) + Send>;
type Delivery = Box<dyn FnOnce(Result<(), String>) + Send>;

const READERS: usize = 4;
/// Writes committed together at most.
const MAX_GROUP: usize = 512;

impl EmbeddedStore {
    /// Opens (or creates) the store file of `tenant` and brings its schema up to date. A file
    /// of another tenant is refused.
    pub fn open(path: &Path, tenant: &Ik) -> Result<EmbeddedStore, StoreError> {
        private_file(path)?;
        let mut writer = connect(path)?;
        migrate(&mut writer).map_err(StoreError::unavailable)?;
        claim_for(&writer, tenant)?;
        for companion in ["-wal", "-shm"] {
            let mut name = path.as_os_str().to_owned();
            name.push(companion);
            if Path::new(&name).exists() {
                // Only chmod, never open: closing any descriptor of a file drops every POSIX
                // lock this process holds on it, and without its lock on the -shm file another
                // process's first connection truncates the mapped file under this one (the
                // crash test saw the server die of SIGBUS while an import opened the store).
                private_mode(Path::new(&name))?;
            }
        }
        let readers = (0..READERS)
            .map(|_| {
                let reader = connect(path)?;
                reader.pragma_update(None, "query_only", true).map_err(StoreError::unavailable)?;
                Ok(Mutex::new(reader))
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        let (jobs, queue) = mpsc::channel::<Job>();
        let scrub = Arc::new(AtomicBool::new(false));
        let scrub_wanted = Arc::clone(&scrub);
        std::thread::Builder::new()
            .name("portal-store-writer".into())
            .spawn(move || write_in_groups(writer, &queue, &scrub_wanted))
            .map_err(StoreError::unavailable)?;
        Ok(EmbeddedStore {
            readers: readers.into(),
            next_reader: Arc::new(AtomicUsize::new(0)),
            writer: jobs,
            scrub,
        })
    }

    /// Moves a store file that no process has open to `to` (a new folder's file), whole: its
    /// write-ahead log is folded in first and the file taken out of WAL mode, which needs the
    /// file to itself (a running `portal serve` makes this fail, and nothing moves). The rename
    /// is atomic, and both folders are synced, so a crash leaves the file at one place or the
    /// other, complete.
    pub fn move_file(from: &Path, to: &Path) -> Result<(), StoreError> {
        let connection = Connection::open(from).map_err(StoreError::unavailable)?;
        let mode: String = connection
            .query_row("PRAGMA journal_mode = DELETE", [], |row| row.get(0))
            .map_err(StoreError::unavailable)?;
        if !mode.eq_ignore_ascii_case("delete") {
            return Err(StoreError::unavailable(format!(
                "{} is in use by another process; stop it and start again",
                from.display()
            )));
        }
        drop(connection);
        std::fs::rename(from, to).map_err(StoreError::unavailable)?;
        for folder in [from.parent(), to.parent()].into_iter().flatten() {
            std::fs::File::open(folder)
                .and_then(|f| f.sync_all())
                .map_err(StoreError::unavailable)?;
        }
        Ok(())
    }

    /// Set from inside a write job, this asks the writer to empty the write-ahead log once the
    /// job's group is committed (see `scrub`).
    pub(crate) fn scrub_flag(&self) -> Arc<AtomicBool> {
        Arc::clone(&self.scrub)
    }

    /// Runs a read on one of the read connections, on tokio's blocking pool.
    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut Connection) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let readers = Arc::clone(&self.readers);
        let index = self.next_reader.fetch_add(1, Ordering::Relaxed) % readers.len();
        tokio::task::spawn_blocking(move || {
            // A panic while holding the lock leaves nothing half done on a read-only
            // connection, so a poisoned lock is safe to reuse.
            let mut connection =
                readers[index].lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            work(&mut connection)
        })
        .await
        .map_err(StoreError::unavailable)?
    }

    /// Runs a point read (rows by their key) on the calling thread when a read connection is
    /// free. It takes microseconds from the page cache: less than handing it to the blocking
    /// pool and back, which cost the query path more than its reads and its write together
    /// (two thread switches per read; see "Query path" in BENCHMARKS.md). Scans, whose rows may
    /// be many, go through [`EmbeddedStore::run`]. In WAL mode a read waits for no writer; only
    /// while another process recovers the log after a crash or moves the file does it wait (up
    /// to `busy_timeout`), and then it holds this thread as it held a pool thread before.
    async fn lookup<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut Connection) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let first = self.next_reader.fetch_add(1, Ordering::Relaxed);
        for offset in 0..self.readers.len() {
            let mut connection =
                match self.readers[(first + offset) % self.readers.len()].try_lock() {
                    Ok(connection) => connection,
                    // As in `run`: nothing is half done on a read-only connection.
                    Err(std::sync::TryLockError::Poisoned(poisoned)) => poisoned.into_inner(),
                    Err(std::sync::TryLockError::WouldBlock) => continue,
                };
            return work(&mut connection);
        }
        self.run(work).await
    }

    /// Runs a write in the next group commit; returns once it is durable (or failed).
    async fn write<T: Send + 'static>(
        &self,
        work: impl FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let (reply, answer) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move |connection| {
            let result = match connection {
                Some(connection) => work(connection),
                None => Err(StoreError::unavailable("the store could not begin a transaction")),
            };
            let succeeded = result.is_ok();
            let deliver: Delivery = Box::new(move |committed| {
                let result = match committed {
                    Ok(()) => result,
                    Err(error) => result.and(Err(StoreError::unavailable(error))),
                };
                let _ = reply.send(result);
            });
            (succeeded, deliver)
        });
        let stopped = || StoreError::unavailable("the store's writer has stopped");
        self.writer.send(job).map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }
}

fn connect(path: &Path) -> Result<Connection, StoreError> {
    let connection = Connection::open(path).map_err(StoreError::unavailable)?;
    // secure_delete: removed content (a sent letter's secret) is overwritten with zeros, not
    // left in free space where a copy of the file would keep it.
    connection
        .execute_batch(
            "PRAGMA journal_mode = WAL;
             PRAGMA synchronous = FULL;
             PRAGMA busy_timeout = 5000;
             PRAGMA foreign_keys = ON;
             PRAGMA secure_delete = ON;",
        )
        .map_err(StoreError::unavailable)?;
    // The same plan whatever the values bound: without this SQLite marks a statement whose plan
    // might depend on a bound value as expired each time the value changes, and prepares it
    // anew on every run (6 % of the query path's time went there; BENCHMARKS.md).
    connection
        .set_db_config(rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)
        .map_err(StoreError::unavailable)?;
    Ok(connection)
}

/// The store file (and its log) readable by the portal's user only: it holds password hashes
/// and, while a letter waits to be sent, its text. SQLite gives the log files the mode of the
/// store file.
#[cfg(unix)]
fn private_file(path: &Path) -> Result<(), StoreError> {
    use std::os::unix::fs::{OpenOptionsExt as _, PermissionsExt as _};
    if path.exists() {
        // Another connection of this process may hold its locks on it (see `private_mode`).
        return private_mode(path);
    }
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o600)
        .open(path)
        .and_then(|_| std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)))
        .map_err(StoreError::unavailable)
}

#[cfg(not(unix))]
fn private_file(_: &Path) -> Result<(), StoreError> {
    Ok(())
}

#[cfg(unix)]
fn private_mode(path: &Path) -> Result<(), StoreError> {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
        .map_err(StoreError::unavailable)
}

#[cfg(not(unix))]
fn private_mode(_: &Path) -> Result<(), StoreError> {
    Ok(())
}

/// The writer thread: until every handle is gone, commit whatever writes are waiting, together.
fn write_in_groups(mut connection: Connection, queue: &mpsc::Receiver<Job>, scrub: &AtomicBool) {
    while let Ok(first) = queue.recv() {
        let mut group = vec![first];
        while group.len() < MAX_GROUP {
            match queue.try_recv() {
                Ok(job) => group.push(job),
                Err(_) => break,
            }
        }
        commit_group(&mut connection, group, scrub);
    }
}

/// Folds the write-ahead log into the store file and truncates it: the log keeps every page
/// as it was written, so a secret removed from the file would otherwise live on in the log
/// until its frames are reused. Secrets are rare (two letters per registration); the cost
/// is a checkpoint per sent letter.
fn scrub_log(connection: &Connection, scrub: &AtomicBool) {
    let result = connection
        .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |row| row.get::<_, i64>(0))
        .map_err(|e| e.to_string());
    let failed = match result {
        Ok(0) => return,
        Ok(_) => "another process held the file".to_string(),
        Err(error) => error,
    };
    // Asked for again, so the next commit (at the latest the 30-second purge round) retries.
    tracing::warn!(reason = %failed, "the log could not be emptied now, will retry");
    scrub.store(true, Ordering::SeqCst);
}

fn commit_group(connection: &mut Connection, group: Vec<Job>, scrub: &AtomicBool) {
    // IMMEDIATE: the write lock is held from the start, so checks inside a job (versions, heads)
    // and the writes that follow them cannot be interleaved by another process.
    let mut tx =
        match connection.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate) {
            Ok(tx) => tx,
            Err(error) => {
                for job in group {
                    let (_, deliver) = job(None);
                    deliver(Err(error.to_string()));
                }
                return;
            }
        };
    let mut deliveries = Vec::with_capacity(group.len());
    for job in group {
        // Each job in a savepoint of its own: one that fails leaves no trace and does not
        // affect the others in the group.
        let Ok(savepoint) = tx.savepoint() else {
            let (_, deliver) = job(None);
            deliveries.push(deliver);
            continue;
        };
        let run = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| job(Some(&savepoint))));
        match run {
            Ok((true, deliver)) => {
                let released = savepoint.commit().map_err(|e| e.to_string());
                deliveries.push(Box::new(move |committed: Result<(), String>| {
                    deliver(released.and(committed))
                }));
            }
            // Dropping the savepoint rolls it back. A panicking job drops its reply, and its
            // caller gets an error.
            Ok((false, deliver)) => deliveries.push(deliver),
            Err(_) => {}
        }
    }
    let committed = tx.commit().map_err(|e| e.to_string());
    if committed.is_ok() && scrub.swap(false, Ordering::SeqCst) {
        scrub_log(connection, scrub);
    }
    for deliver in deliveries {
        deliver(committed.clone());
    }
}

fn migrate(connection: &mut Connection) -> rusqlite::Result<()> {
    let tx = connection.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let version: i64 = tx.query_row("PRAGMA user_version", [], |row| row.get(0))?;
    for (done, migration) in (1_i64..).zip(MIGRATIONS).skip(version.max(0) as usize) {
        tx.execute_batch(migration)?;
        tx.pragma_update(None, "user_version", done)?;
    }
    tx.commit()
}

/// Marks a new (or pre-tenant) file as `tenant`'s, or checks that it is.
fn claim_for(connection: &Connection, tenant: &Ik) -> Result<(), StoreError> {
    connection
        .execute(
            "INSERT INTO tenant (one, ik) VALUES (1, ?1) ON CONFLICT DO NOTHING",
            [tenant.as_str()],
        )
        .map_err(sql)?;
    let owner: String =
        connection.query_row("SELECT ik FROM tenant", [], |row| row.get(0)).map_err(sql)?;
    if owner != tenant.as_str() {
        return Err(StoreError::unavailable(format!(
            "this store file holds the data of the insurer with IK {owner}, not of {tenant}"
        )));
    }
    Ok(())
}

fn sql(error: rusqlite::Error) -> StoreError {
    StoreError::unavailable(error)
}

#[async_trait]
impl ProviderDirectory for EmbeddedStore {
    #[tracing::instrument(level = "debug", name = "sqlite.put_providers", skip_all)]
    async fn put_providers(&self, providers: &[Provider]) -> Result<(), StoreError> {
        let providers = providers.to_vec();
        self.write(move |connection| {
            let mut upsert = connection
                .prepare_cached(
                    "INSERT INTO providers (ik, name, email, strasse, plz, ort, berufsfeld)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                     ON CONFLICT (ik) DO UPDATE SET name = excluded.name, email = excluded.email,
                       strasse = excluded.strasse, plz = excluded.plz, ort = excluded.ort,
                       berufsfeld = excluded.berufsfeld",
                )
                .map_err(sql)?;
            for p in &providers {
                upsert
                    .execute(params![
                        p.ik.as_str(),
                        p.name,
                        p.email.as_str(),
                        p.address.strasse,
                        p.address.plz,
                        p.address.ort,
                        p.berufsfeld.as_str()
                    ])
                    .map_err(sql)?;
            }
            Ok(())
        })
        .await
    }

    #[tracing::instrument(level = "debug", name = "sqlite.provider", skip_all)]
    async fn provider(&self, ik: &Ik) -> Result<Option<Provider>, StoreError> {
        let ik = *ik;
        self.lookup(move |connection| {
            let query = format!("SELECT {PROVIDER_COLUMNS} FROM providers WHERE ik = ?1");
            connection
                .prepare_cached(&query)
                .and_then(|mut select| {
                    select.query_row([ik.as_str()], |row| Ok(provider_from(row))).optional()
                })
                .map_err(sql)?
                .transpose()
        })
        .await
    }

    #[tracing::instrument(level = "debug", name = "sqlite.is_empty", skip_all)]
    async fn is_empty(&self) -> Result<bool, StoreError> {
        self.run(|connection| {
            connection
                .query_row("SELECT NOT EXISTS (SELECT 1 FROM providers)", [], |row| row.get(0))
                .map_err(sql)
        })
        .await
    }
}

#[async_trait]
impl ExemptionStore for EmbeddedStore {
    #[tracing::instrument(level = "debug", name = "sqlite.put_exemptions", skip_all)]
    async fn put_exemptions(&self, exemptions: &[Exemption]) -> Result<(), StoreError> {
        let exemptions = exemptions.to_vec();
        self.write(move |connection| {
            let mut upsert = connection
                .prepare_cached(
                    "INSERT INTO exemptions (kvnr, year, initials, valid_from, valid_to)
                     VALUES (?1, ?2, ?3, ?4, ?5)
                     ON CONFLICT (kvnr, year) DO UPDATE SET initials = excluded.initials,
                       valid_from = excluded.valid_from, valid_to = excluded.valid_to",
                )
                .map_err(sql)?;
            for e in &exemptions {
                upsert
                    .execute(params![
                        e.kvnr().as_str(),
                        e.year(),
                        e.initials().as_str(),
                        e.valid_from().to_string(),
                        e.valid_to().to_string()
                    ])
                    .map_err(sql)?;
            }
            Ok(())
        })
        .await
    }

    #[tracing::instrument(level = "debug", name = "sqlite.exemptions_of", skip_all)]
    async fn exemptions_of(&self, kvnr: &Kvnr) -> Result<Vec<Exemption>, StoreError> {
        let kvnr = kvnr.clone();
        self.lookup(move |connection| {
            let query = format!(
                "SELECT {EXEMPTION_COLUMNS} FROM exemptions WHERE kvnr = ?1 ORDER BY year DESC"
            );
            let mut select = connection.prepare_cached(&query).map_err(sql)?;
            let rows =
                select.query_map([kvnr.as_str()], |row| Ok(exemption_from(row))).map_err(sql)?;
            rows.map(|row| row.map_err(sql)?).collect()
        })
        .await
    }

    #[tracing::instrument(level = "debug", name = "sqlite.exempt_in", skip_all)]
    async fn exempt_in(&self, year: i32) -> Result<Vec<Kvnr>, StoreError> {
        self.run(move |connection| {
            let mut select = connection
                .prepare_cached("SELECT kvnr FROM exemptions WHERE year = ?1")
                .map_err(sql)?;
            let rows = select.query_map([year], |row| row.get::<_, String>(0)).map_err(sql)?;
            rows.map(|kvnr| portal_core::model::stored::kvnr(&kvnr.map_err(sql)?)).collect()
        })
        .await
    }

    #[tracing::instrument(level = "debug", name = "sqlite.remove_exemptions", skip_all)]
    async fn remove_exemptions(&self, year: i32, kvnrs: &[Kvnr]) -> Result<(), StoreError> {
        let kvnrs = kvnrs.to_vec();
        self.write(move |connection| {
            let mut delete = connection
                .prepare_cached("DELETE FROM exemptions WHERE kvnr = ?1 AND year = ?2")
                .map_err(sql)?;
            for kvnr in &kvnrs {
                delete.execute(params![kvnr.as_str(), year]).map_err(sql)?;
            }
            Ok(())
        })
        .await
    }
}
