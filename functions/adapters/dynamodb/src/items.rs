//! Items ↔ model: every attribute name, and how each value is written and read, in one place.
//! Values that need checking on the way back (IKs, KVNRs, dates, ids) go through
//! `portal_core::model::stored`, which the embedded store uses too.

use std::collections::HashMap;
use std::fmt::Display;
use std::str::FromStr;

use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::AttributeValue;
use portal_core::StoreError;
use portal_core::model::stored::{
    self, StoredAuditRecord, StoredClient, StoredExemption, StoredPhysician, StoredProvider,
    corrupt,
};
use portal_core::model::{
    Account, AuditHead, AuditRecord, AuditRow, BackofficeName, BackofficeSession, BackofficeUser,
    Browser, Challenge, ChallengeId, Client, ClientId, FactorKind, Letter, LetterId, LetterKind,
    LetterStatus, ReportId, ReportStatus, Sealed, SecondFactor, Session, SessionIdHash,
    SessionStage, StoredReport,
};
use portal_domain::therapy::Physician;
use portal_domain::{Exemption, Ik, Kvnr, Provider, UserFacing as _};
use time::OffsetDateTime;

pub(crate) type Item = HashMap<String, AttributeValue>;

/// One tenant's part of the shared tables: every partition key value (and every index key a
/// query reads) starts with the tenant's IK and `#`, so no key of one tenant can name an item
/// of another, and an item read back that is not the tenant's is refused as corrupt.
#[derive(Debug, Clone)]
pub(crate) struct Scope {
    prefix: String,
}

impl Scope {
    pub(crate) fn of(tenant: &Ik) -> Scope {
        Scope { prefix: format!("{tenant}#") }
    }

    /// The tenant, as the value of the letters' sparse index.
    pub(crate) fn tenant(&self) -> &str {
        &self.prefix[..self.prefix.len() - 1]
    }

    pub(crate) fn prefix(&self) -> &str {
        &self.prefix
    }

    /// `value` as this tenant's key.
    pub(crate) fn key(&self, value: impl Display) -> AttributeValue {
        AttributeValue::S(format!("{}{value}", self.prefix))
    }

    /// The value of key attribute `name`, without the tenant.
    pub(crate) fn unscoped<'a>(&self, item: &'a Item, name: &str) -> Result<&'a str, StoreError> {
        let value = item.text(name)?;
        value
            .strip_prefix(self.prefix.as_str())
            .ok_or_else(|| StoreError::Corrupt(format!("attribute {name} is not this tenant's")))
    }

    pub(crate) fn ik(&self, item: &Item) -> Result<Ik, StoreError> {
        stored::ik(self.unscoped(item, "ik")?)
    }
}

/// Whether a key value predates tenants: scoped values start with nine digits and `#`; none
/// of the unscoped ones (IKs, KVNRs, ULIDs, hashes, counter names) does.
pub(crate) fn is_unscoped(value: &str) -> bool {
    let bytes = value.as_bytes();
    !(bytes.len() > 9 && bytes[..9].iter().all(u8::is_ascii_digit) && bytes[9] == b'#')
}

/// A string attribute from anything written as text (ids, IKs, dates).
pub(crate) fn string(value: impl Display) -> AttributeValue {
    AttributeValue::S(value.to_string())
}

pub(crate) fn number(value: impl Display) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

/// A time as nanoseconds since 1970 (UTC).
pub(crate) fn nanos(at: OffsetDateTime) -> AttributeValue {
    number(stored::nanos(at))
}

/// When DynamoDB may delete the item (TTL: seconds since 1970).
pub(crate) fn expiry(at: OffsetDateTime) -> AttributeValue {
    number(at.unix_timestamp())
}

/// Reading attributes back, each failure named by its attribute.
pub(crate) trait ItemExt {
    fn text(&self, name: &str) -> Result<&str, StoreError>;
    /// `None` when the attribute is absent; a value of another type is corrupt.
    fn optional_text(&self, name: &str) -> Result<Option<&str>, StoreError>;
    fn parsed<T: FromStr>(&self, name: &str) -> Result<T, StoreError>
    where
        T::Err: Display;
    fn time(&self, name: &str) -> Result<OffsetDateTime, StoreError>;
    fn optional_time(&self, name: &str) -> Result<Option<OffsetDateTime>, StoreError>;
    fn flag(&self, name: &str) -> bool;
    /// The plain `ik` attribute of letters and sessions (not a key there).
    fn ik(&self) -> Result<Ik, StoreError>;
}

impl ItemExt for Item {
    fn text(&self, name: &str) -> Result<&str, StoreError> {
        match self.get(name) {
            Some(AttributeValue::S(value) | AttributeValue::N(value)) => Ok(value),
            _ => Err(StoreError::Corrupt(format!("attribute {name} is missing"))),
        }
    }

    fn optional_text(&self, name: &str) -> Result<Option<&str>, StoreError> {
        self.contains_key(name).then(|| self.text(name)).transpose()
    }

    fn parsed<T: FromStr>(&self, name: &str) -> Result<T, StoreError>
    where
        T::Err: Display,
    {
        self.text(name)?.parse().map_err(|e| corrupt(name, e))
    }

    fn time(&self, name: &str) -> Result<OffsetDateTime, StoreError> {
        stored::time(self.parsed(name)?)
    }

    fn optional_time(&self, name: &str) -> Result<Option<OffsetDateTime>, StoreError> {
        self.contains_key(name).then(|| self.time(name)).transpose()
    }

    fn flag(&self, name: &str) -> bool {
        matches!(self.get(name), Some(AttributeValue::Bool(true)))
    }

    fn ik(&self) -> Result<Ik, StoreError> {
        stored::ik(self.text("ik")?)
    }
}

/// Writes to one year's index entries spread over this many keys: a single `year` key would put a
/// whole year's import on one partition of the index and throttle it.
pub(crate) const YEAR_SHARDS: u32 = 16;

pub(crate) fn year_shard(kvnr: &Kvnr, year: i32) -> String {
    let shard = kvnr.as_str().bytes().map(u32::from).sum::<u32>() % YEAR_SHARDS;
    format!("{year}#{shard}")
}

pub(crate) fn provider_item(scope: &Scope, p: &Provider) -> Item {
    HashMap::from([
        ("ik".into(), scope.key(p.ik)),
        ("name".into(), string(&p.name)),
        ("email".into(), string(p.email.as_str())),
        ("strasse".into(), string(&p.address.strasse)),
        ("plz".into(), string(&p.address.plz)),
        ("ort".into(), string(&p.address.ort)),
        ("berufsfeld".into(), string(p.berufsfeld.as_str())),
    ])
}

pub(crate) fn provider_from(scope: &Scope, item: &Item) -> Result<Provider, StoreError> {
    StoredProvider {
        ik: scope.unscoped(item, "ik")?,
        name: item.text("name")?,
        email: item.text("email")?,
        strasse: item.text("strasse")?,
        plz: item.text("plz")?,
        ort: item.text("ort")?,
        berufsfeld: item.text("berufsfeld")?,
    }
    .read()
}

/// A physician directory entry under `{tenant}#p#{lanr}` / `{bsnr}` (see `physicians.rs`).
pub(crate) fn physician_item(scope: &Scope, p: &Physician) -> Item {
    let mut item = HashMap::from([
        ("pk".to_string(), scope.key(format!("p#{}", p.lanr))),
        ("sk".into(), string(p.bsnr)),
        ("lanr".into(), string(p.lanr)),
        ("bsnr".into(), string(p.bsnr)),
        ("name".into(), string(&p.name)),
        ("strasse".into(), string(&p.address.strasse)),
        ("plz".into(), string(&p.address.plz)),
        ("ort".into(), string(&p.address.ort)),
        ("earztbrief".into(), AttributeValue::Bool(p.earztbrief)),
    ]);
    if let Some(kim) = &p.kim {
        item.insert("kim".into(), string(kim));
    }
    item
}

pub(crate) fn physician_from(item: &Item) -> Result<Physician, StoreError> {
    StoredPhysician {
        lanr: item.text("lanr")?,
        bsnr: item.text("bsnr")?,
        name: item.text("name")?,
        strasse: item.text("strasse")?,
        plz: item.text("plz")?,
        ort: item.text("ort")?,
        kim: item.text("kim").ok(),
        earztbrief: item.flag("earztbrief"),
    }
    .read()
}

pub(crate) fn exemption_item(scope: &Scope, e: &Exemption) -> Item {
    HashMap::from([
        ("kvnr".into(), scope.key(e.kvnr())),
        ("year".into(), number(e.year())),
        ("year_shard".into(), scope.key(year_shard(e.kvnr(), e.year()))),
        ("initials".into(), string(e.initials())),
        ("valid_from".into(), string(e.valid_from())),
        ("valid_to".into(), string(e.valid_to())),
    ])
}

pub(crate) fn exemption_from(scope: &Scope, item: &Item) -> Result<Exemption, StoreError> {
    StoredExemption {
        kvnr: scope.unscoped(item, "kvnr")?,
        year: item.parsed("year")?,
        initials: item.text("initials")?,
        valid_from: item.text("valid_from")?,
        valid_to: item.text("valid_to")?,
    }
    .read()
}

/// The item written with the expected version's successor (the condition checks the old one).
pub(crate) fn account_item(scope: &Scope, a: &Account) -> Item {
    let mut item = HashMap::from([
        ("ik".to_string(), scope.key(a.ik)),
        ("password_hash".into(), string(&a.password_hash)),
        ("pruefnummer_hash".into(), string(&a.pruefnummer_hash)),
        ("must_change_password".into(), AttributeValue::Bool(a.must_change_password)),
        ("blocked".into(), AttributeValue::Bool(a.blocked)),
        ("last_used_at".into(), nanos(a.last_used_at)),
        ("letters_generation".into(), number(a.letters_generation)),
        ("sessions_valid_from".into(), nanos(a.sessions_valid_from)),
        ("version".into(), number(a.version + 1)),
    ]);
    if let Some(at) = a.initial_password_expires_at {
        item.insert("initial_password_expires_at".into(), nanos(at));
    }
    if let Some(factor) = &a.second_factor {
        item.insert(
            "totp_secret".into(),
            AttributeValue::B(Blob::new(factor.sealed_secret.clone())),
        );
        item.insert("factor_kind".into(), AttributeValue::S(factor.kind.as_str().into()));
        item.insert("totp_active".into(), AttributeValue::Bool(factor.active));
        item.insert("totp_last_step".into(), number(factor.last_step));
        if !factor.recovery_codes.is_empty() {
            item.insert("recovery_codes".into(), AttributeValue::Ss(factor.recovery_codes.clone()));
        }
    }
    item
}

fn second_factor_from(item: &Item) -> Result<Option<SecondFactor>, StoreError> {
    let Some(secret) = item.get("totp_secret") else { return Ok(None) };
    let AttributeValue::B(secret) = secret else {
        return Err(corrupt("totp_secret", "not bytes"));
    };
    let recovery_codes = match item.get("recovery_codes") {
        None => Vec::new(),
        Some(AttributeValue::Ss(codes)) => codes.clone(),
        Some(_) => return Err(corrupt("recovery_codes", "not a string set")),
    };
    // Factors saved before passkeys existed are authenticator apps.
    let kind = match item.get("factor_kind") {
        None => FactorKind::Totp,
        Some(_) => {
            let kind = item.text("factor_kind")?;
            FactorKind::parse(kind).ok_or_else(|| corrupt("factor_kind", kind))?
        }
    };
    Ok(Some(SecondFactor {
        kind,
        sealed_secret: secret.clone().into_inner(),
        active: item.flag("totp_active"),
        last_step: item.parsed("totp_last_step")?,
        recovery_codes,
    }))
}

pub(crate) fn account_from(scope: &Scope, item: &Item) -> Result<Account, StoreError> {
    Ok(Account {
        ik: scope.ik(item)?,
        password_hash: item.text("password_hash")?.to_string(),
        pruefnummer_hash: item.text("pruefnummer_hash")?.to_string(),
        must_change_password: item.flag("must_change_password"),
        initial_password_expires_at: item.optional_time("initial_password_expires_at")?,
        blocked: item.flag("blocked"),
        last_used_at: item.time("last_used_at")?,
        letters_generation: item.parsed("letters_generation")?,
        sessions_valid_from: sessions_valid_from(item)?,
        second_factor: second_factor_from(item)?,
        version: item.parsed("version")?,
    })
}

/// Accounts saved before the attribute existed void no sessions.
pub(crate) fn sessions_valid_from(item: &Item) -> Result<OffsetDateTime, StoreError> {
    Ok(item.optional_time("sessions_valid_from")?.unwrap_or(OffsetDateTime::UNIX_EPOCH))
}

pub(crate) fn letter_item(scope: &Scope, l: &Letter) -> Item {
    HashMap::from([
        ("letter_id".to_string(), scope.key(l.id)),
        ("ik".into(), string(l.ik)),
        ("kind".into(), string(l.kind.as_str())),
        ("generation".into(), number(l.generation)),
        ("recipient".into(), string(&l.recipient)),
        ("message".into(), string(&l.message)),
        ("status".into(), string(LetterStatus::Pending.as_str())),
        // The sparse index of pending letters, one partition per tenant.
        ("pending".into(), string(scope.tenant())),
        ("created_at".into(), nanos(l.created_at)),
        // Sent or void letters' records go after a month, like the local store's purge.
        ("ttl".into(), expiry(l.created_at + time::Duration::days(30))),
    ])
}

pub(crate) fn letter_from(scope: &Scope, item: &Item) -> Result<Letter, StoreError> {
    let kind = item.text("kind")?;
    let id = scope.unscoped(item, "letter_id")?;
    Ok(Letter {
        id: LetterId::parse(id).ok_or_else(|| corrupt("letter id", id))?,
        ik: item.ik()?,
        kind: LetterKind::parse(kind).ok_or_else(|| corrupt("letter kind", kind))?,
        generation: item.parsed("generation")?,
        recipient: item.text("recipient")?.to_string(),
        message: item.text("message")?.to_string(),
        created_at: item.time("created_at")?,
    })
}

pub(crate) fn session_item(scope: &Scope, session: &Session) -> Item {
    HashMap::from([
        ("id_hash".to_string(), scope.key(&session.id_hash)),
        ("ik".into(), string(session.ik)),
        // The `by_ik` index's key: the provider's sessions, under the tenant.
        ("owner".into(), scope.key(session.ik)),
        ("created_at".into(), nanos(session.created_at)),
        ("idle_expires_at".into(), nanos(session.idle_expires_at)),
        ("last_active_at".into(), nanos(session.last_active_at)),
        ("stage".into(), string(session.stage.as_str())),
        ("browser".into(), string(session.browser.as_str())),
        ("ttl".into(), expiry(session.idle_expires_at)),
    ])
}

/// Sessions stored before these attributes existed: full, last active when they began, of an
/// unknown browser.
pub(crate) fn session_from(id_hash: &SessionIdHash, item: &Item) -> Result<Session, StoreError> {
    let created_at = item.time("created_at")?;
    let stage = match item.optional_text("stage")? {
        None => SessionStage::Full,
        Some(text) => SessionStage::parse(text).ok_or_else(|| corrupt("stage", text))?,
    };
    Ok(Session {
        id_hash: id_hash.clone(),
        ik: item.ik()?,
        created_at,
        idle_expires_at: item.time("idle_expires_at")?,
        last_active_at: item.optional_time("last_active_at")?.unwrap_or(created_at),
        stage,
        browser: item.optional_text("browser")?.map_or(Browser::Other, Browser::parse),
    })
}

/// The back office's users and sessions live in the `account_events` table, under
/// `{tenant}#backoffice-user#{name}` and `{tenant}#backoffice-session#{hash}`, each the one item
/// of its partition.
pub(crate) fn backoffice_user_key(scope: &Scope, name: &BackofficeName) -> Item {
    only_item_key(scope, format!("backoffice-user#{name}"))
}

pub(crate) fn backoffice_user_item(scope: &Scope, user: &BackofficeUser) -> Item {
    let mut item = backoffice_user_key(scope, &user.name);
    item.extend([
        ("name".to_string(), string(&user.name)),
        ("password_hash".into(), string(&user.password_hash)),
        ("created_at".into(), nanos(user.created_at)),
    ]);
    item
}

pub(crate) fn backoffice_user_from(item: &Item) -> Result<BackofficeUser, StoreError> {
    Ok(BackofficeUser {
        name: backoffice_name(item)?,
        password_hash: item.text("password_hash")?.to_string(),
        created_at: item.time("created_at")?,
    })
}

pub(crate) fn backoffice_session_key(scope: &Scope, id_hash: &str) -> Item {
    only_item_key(scope, format!("backoffice-session#{id_hash}"))
}

/// With `ttl` at the idle expiry, so that DynamoDB removes sessions left behind.
pub(crate) fn backoffice_session_item(scope: &Scope, session: &BackofficeSession) -> Item {
    let mut item = backoffice_session_key(scope, &session.id_hash);
    item.extend([
        ("name".to_string(), string(&session.name)),
        ("created_at".into(), nanos(session.created_at)),
        ("idle_expires_at".into(), nanos(session.idle_expires_at)),
        ("ttl".into(), expiry(session.idle_expires_at)),
    ]);
    item
}

pub(crate) fn backoffice_session_from(
    id_hash: &str,
    item: &Item,
) -> Result<BackofficeSession, StoreError> {
    Ok(BackofficeSession {
        id_hash: id_hash.to_string(),
        name: backoffice_name(item)?,
        created_at: item.time("created_at")?,
        idle_expires_at: item.time("idle_expires_at")?,
    })
}

/// The key of the one item of partition `pk` (the sort key `-`).
fn only_item_key(scope: &Scope, pk: String) -> Item {
    HashMap::from([("pk".to_string(), scope.key(pk)), ("sk".into(), string("-"))])
}

fn backoffice_name(item: &Item) -> Result<BackofficeName, StoreError> {
    let text = item.text("name")?;
    BackofficeName::parse(text).map_err(|e| corrupt("back-office name", e))
}

/// Challenges live in the counters table, under `{tenant}#challenge#{id}`.
pub(crate) fn challenge_key(scope: &Scope, id: &ChallengeId) -> AttributeValue {
    scope.key(format!("challenge#{id}"))
}

pub(crate) fn challenge_item(scope: &Scope, c: &Challenge) -> Item {
    HashMap::from([
        ("key".to_string(), challenge_key(scope, &c.id)),
        ("salt".into(), string(&c.salt)),
        ("difficulty".into(), number(c.difficulty)),
        ("expires_at".into(), nanos(c.expires_at)),
        ("ttl".into(), expiry(c.expires_at)),
    ])
}

pub(crate) fn challenge_from(id: &ChallengeId, item: &Item) -> Result<Challenge, StoreError> {
    Ok(Challenge {
        id: *id,
        salt: item.text("salt")?.to_string(),
        difficulty: item.parsed("difficulty")?,
        expires_at: item.time("expires_at")?,
    })
}

pub(crate) fn record_item(scope: &Scope, r: &AuditRecord) -> Item {
    let mut item = HashMap::from([
        ("ik".to_string(), scope.key(r.ik)),
        ("seq".into(), number(r.seq)),
        ("query_id".into(), string(r.query_id)),
        ("at".into(), nanos(r.at)),
        ("kvnr".into(), scope.key(&r.kvnr)),
        ("consent".into(), string(r.consent.as_str())),
        ("outcome".into(), string(r.outcome.to_text())),
        ("channel".into(), string(r.channel.as_str())),
        ("prev_hash".into(), string(&r.prev_hash)),
        ("hash".into(), string(&r.hash)),
        ("expires_at".into(), nanos(r.expires_at)),
        ("ttl".into(), expiry(r.expires_at)),
    ]);
    if let Some(day) = r.dispensing_date {
        item.insert("dispensing_date".into(), string(day));
    }
    if let Some(at) = r.prev_at {
        item.insert("prev_at".into(), nanos(at));
    }
    item
}

fn record_from(scope: &Scope, item: &Item) -> Result<AuditRecord, StoreError> {
    StoredAuditRecord {
        ik: scope.unscoped(item, "ik")?,
        seq: item.parsed("seq")?,
        query_id: item.text("query_id")?,
        at: item.parsed("at")?,
        kvnr: scope.unscoped(item, "kvnr")?,
        consent: item.text("consent")?,
        dispensing_date: item.text("dispensing_date").ok(),
        outcome: item.text("outcome")?,
        // Records written before channels existed have none: they are `web`.
        channel: item.optional_text("channel")?,
        prev_hash: item.text("prev_hash")?,
        prev_at: item.contains_key("prev_at").then(|| item.parsed("prev_at")).transpose()?,
        hash: item.text("hash")?,
        expires_at: item.parsed("expires_at")?,
    }
    .read()
}

/// A row as the audit log reports it: a record, or what is known of a damaged one.
pub(crate) fn row_from(scope: &Scope, item: &Item) -> AuditRow {
    match record_from(scope, item) {
        Ok(record) => AuditRow::Intact(record),
        Err(error) => AuditRow::Damaged {
            ik: scope.ik(item).ok(),
            seq: item.parsed("seq").unwrap_or(0),
            reason: error.to_string(),
        },
    }
}

/// A client under `{tenant}#{client_id}`, with `{tenant}#{ik}` for the index of a provider's.
pub(crate) fn client_item(scope: &Scope, c: &Client) -> Item {
    let mut item = HashMap::from([
        ("client_id".to_string(), scope.key(c.id)),
        ("ik".into(), scope.key(c.ik)),
        ("jwks".into(), string(c.jwks.as_str())),
        ("created_at".into(), nanos(c.created_at)),
    ]);
    if let Some(at) = c.revoked_at {
        item.insert("revoked_at".into(), nanos(at));
    }
    item
}

pub(crate) fn client_key(scope: &Scope, id: &ClientId) -> Item {
    HashMap::from([("client_id".to_string(), scope.key(id))])
}

pub(crate) fn client_from(scope: &Scope, item: &Item) -> Result<Client, StoreError> {
    StoredClient {
        id: scope.unscoped(item, "client_id")?,
        ik: scope.unscoped(item, "ik")?,
        jwks: item.text("jwks")?,
        created_at: item.parsed("created_at")?,
        revoked_at: item
            .contains_key("revoked_at")
            .then(|| item.parsed("revoked_at"))
            .transpose()?,
    }
    .read()
}

/// A client assertion's used id lives in the counters table under `{tenant}#jti#{jti}`, until
/// its TTL (the assertion's expiry) removes it.
pub(crate) fn seen_jti_item(scope: &Scope, jti: &str, expires_at: OffsetDateTime) -> Item {
    HashMap::from([
        ("key".to_string(), scope.key(format!("jti#{jti}"))),
        ("expires_at".into(), nanos(expires_at)),
        ("ttl".into(), expiry(expires_at)),
    ])
}

/// The head of a provider's chain: the item under `seq = 0`.
pub(crate) fn head_item(scope: &Scope, record: &AuditRecord) -> Item {
    HashMap::from([
        ("ik".to_string(), scope.key(record.ik)),
        ("seq".into(), number(0)),
        ("head_seq".into(), number(record.seq)),
        // The sparse index `heads_by_day` (the figures' roll-up) holds the heads only, keyed by
        // the German day of their newest record: it changes once a day per provider, so most
        // head updates cost the index nothing.
        ("head_tenant".into(), string(scope.tenant())),
        ("head_day".into(), string(portal_domain::german_date(record.at))),
        ("hash".into(), string(&record.hash)),
        ("at".into(), nanos(record.at)),
    ])
}

pub(crate) fn head_from(scope: &Scope, item: &Item) -> Result<AuditHead, StoreError> {
    Ok(AuditHead {
        ik: scope.ik(item)?,
        seq: item.parsed("head_seq")?,
        hash: item.text("hash")?.to_string(),
        at: item.time("at")?,
    })
}

/// A report's two items, both under the practice's partition `{tenant}#{practice}`: the metadata
/// under `report#{id}`, the sealed contents under `report#{id}#contents`, each with its own TTL.
pub(crate) fn report_pk(scope: &Scope, practice: &Ik) -> AttributeValue {
    scope.key(practice)
}

/// The sort key of a report's metadata, and the start of both its items' sort keys (ULIDs have
/// one length, so no other report's key starts with it).
pub(crate) fn report_sk(id: &ReportId) -> String {
    format!("{REPORT_SK_PREFIX}{id}")
}

pub(crate) const REPORT_SK_PREFIX: &str = "report#";
pub(crate) const CONTENTS_SK_SUFFIX: &str = "#contents";

pub(crate) fn contents_key(scope: &Scope, r: &StoredReport) -> Item {
    HashMap::from([
        ("pk".to_string(), report_pk(scope, &r.practice)),
        ("sk".into(), string(format!("{}{CONTENTS_SK_SUFFIX}", report_sk(&r.id)))),
    ])
}

/// The metadata item, written with the expected version's successor (the condition checks the
/// old one). A queued report with a next try carries `queued` (the tenant) and so sits in the
/// sparse index of due reports, sorted by `next_attempt_at`.
pub(crate) fn report_item(scope: &Scope, r: &StoredReport) -> Item {
    let mut item = HashMap::from([
        ("pk".to_string(), report_pk(scope, &r.practice)),
        ("sk".into(), string(report_sk(&r.id))),
        ("status".into(), string(r.status.as_str())),
        ("created_at".into(), nanos(r.created_at)),
        ("updated_at".into(), nanos(r.updated_at)),
        ("attempts".into(), number(r.attempts)),
        ("contents_expire_at".into(), nanos(r.contents_expire_at)),
        ("expires_at".into(), nanos(r.expires_at)),
        ("ttl".into(), expiry(r.expires_at)),
        ("version".into(), number(r.version + 1)),
    ]);
    let optional_texts = [
        ("kind", r.kind.map(stored::report::name_of)),
        ("area", r.area.map(stored::report::name_of)),
        ("corrects", r.corrects.map(|id| id.to_string())),
        ("failure", r.failure.map(|f| f.code().to_string())),
        ("idempotency_key", r.idempotency_key.clone()),
    ];
    for (name, value) in optional_texts {
        if let Some(value) = value {
            item.insert(name.into(), string(value));
        }
    }
    let optional_times = [
        ("queued_at", r.queued_at),
        ("sent_at", r.sent_at),
        ("delivered_at", r.delivered_at),
        ("read_at", r.read_at),
        ("next_attempt_at", r.next_attempt_at),
    ];
    for (name, at) in optional_times {
        if let Some(at) = at {
            item.insert(name.into(), nanos(at));
        }
    }
    if r.status == ReportStatus::Queued {
        item.insert(QUEUED.into(), string(scope.tenant()));
    }
    item
}

/// The attribute of the sparse index of queued reports (its value: the tenant).
pub(crate) const QUEUED: &str = "queued";

/// The contents item: the sealed bytes, gone by TTL when the contents expire.
pub(crate) fn contents_item(scope: &Scope, r: &StoredReport, sealed: &Sealed) -> Item {
    let mut item = contents_key(scope, r);
    item.insert("contents".into(), AttributeValue::B(Blob::new(sealed.0.clone())));
    item.insert("ttl".into(), expiry(r.contents_expire_at));
    item
}

/// A report from its metadata item and, if it still exists, its contents item (returned even
/// when its TTL has passed and DynamoDB has not removed it yet: the use case checks
/// `contents_expire_at` itself).
pub(crate) fn report_from(
    scope: &Scope,
    item: &Item,
    contents: Option<&Item>,
) -> Result<StoredReport, StoreError> {
    use stored::report;
    let sk = item.text("sk")?;
    let id = sk.strip_prefix(REPORT_SK_PREFIX).ok_or_else(|| corrupt("report key", sk))?;
    let contents = match contents.map(|c| c.get("contents")) {
        None => None,
        Some(Some(AttributeValue::B(bytes))) => Some(Sealed(bytes.clone().into_inner())),
        Some(_) => return Err(StoreError::Corrupt("attribute contents is not binary".into())),
    };
    let optional = |name| item.optional_text(name);
    Ok(StoredReport {
        id: report::id(id)?,
        practice: stored::ik(scope.unscoped(item, "pk")?)?,
        status: report::status(item.text("status")?)?,
        kind: optional("kind")?.map(report::kind).transpose()?,
        area: optional("area")?.map(report::area).transpose()?,
        contents,
        corrects: optional("corrects")?.map(report::id).transpose()?,
        created_at: item.time("created_at")?,
        updated_at: item.time("updated_at")?,
        queued_at: item.optional_time("queued_at")?,
        sent_at: item.optional_time("sent_at")?,
        delivered_at: item.optional_time("delivered_at")?,
        read_at: item.optional_time("read_at")?,
        failure: optional("failure")?.map(report::failure).transpose()?,
        idempotency_key: optional("idempotency_key")?.map(str::to_string),
        attempts: item.parsed("attempts")?,
        next_attempt_at: item.optional_time("next_attempt_at")?,
        contents_expire_at: item.time("contents_expire_at")?,
        expires_at: item.time("expires_at")?,
        version: item.parsed("version")?,
    })
}
