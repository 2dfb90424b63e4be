//! Rows ↔ model: how each entity is read from its row, by column name. Values that need checking
//! on the way back go through `portal_core::model::stored`, which the DynamoDB store uses too.
//! Times are stored as nanoseconds since 1970 (UTC), which sort and compare as integers.

use portal_core::StoreError;
use portal_core::model::stored::{
    self, StoredAuditRecord, StoredClient, StoredExemption, StoredPhysician, StoredProvider,
    corrupt,
};
use portal_core::model::{
    Account, AuditRow, Browser, Client, FactorKind, Letter, LetterId, LetterKind, Sealed,
    SecondFactor, Session, SessionIdHash, SessionStage, StoredReport,
};
use portal_domain::therapy::Physician;
use portal_domain::{Exemption, Ik, Provider};
use rusqlite::Row;
use time::OffsetDateTime;

pub(crate) fn nanos(at: OffsetDateTime) -> i64 {
    i64::try_from(stored::nanos(at)).unwrap_or(i64::MAX)
}

pub(crate) fn time_of(nanos: i64) -> Result<OffsetDateTime, StoreError> {
    stored::time(i128::from(nanos))
}

pub(crate) fn ik_of(text: &str) -> Result<Ik, StoreError> {
    stored::ik(text)
}

/// A column's value, or the reason it could not be read, as a store error.
fn column<T: rusqlite::types::FromSql>(row: &Row, name: &str) -> Result<T, StoreError> {
    row.get(name).map_err(|e| corrupt(name, e))
}

pub(crate) const PROVIDER_COLUMNS: &str = "ik, name, email, strasse, plz, ort, berufsfeld";

pub(crate) fn provider_from(row: &Row) -> Result<Provider, StoreError> {
    let text = |name| column::<String>(row, name);
    StoredProvider {
        ik: &text("ik")?,
        name: &text("name")?,
        email: &text("email")?,
        strasse: &text("strasse")?,
        plz: &text("plz")?,
        ort: &text("ort")?,
        berufsfeld: &text("berufsfeld")?,
    }
    .read()
}

pub(crate) const PHYSICIAN_COLUMNS: &str = "lanr, bsnr, name, strasse, plz, ort, kim, earztbrief";

pub(crate) fn physician_from(row: &Row) -> Result<Physician, StoreError> {
    let text = |name| column::<String>(row, name);
    StoredPhysician {
        lanr: &text("lanr")?,
        bsnr: &text("bsnr")?,
        name: &text("name")?,
        strasse: &text("strasse")?,
        plz: &text("plz")?,
        ort: &text("ort")?,
        kim: column::<Option<String>>(row, "kim")?.as_deref(),
        earztbrief: column::<bool>(row, "earztbrief")?,
    }
    .read()
}

pub(crate) const EXEMPTION_COLUMNS: &str = "kvnr, year, initials, valid_from, valid_to";

pub(crate) fn exemption_from(row: &Row) -> Result<Exemption, StoreError> {
    let text = |name| column::<String>(row, name);
    StoredExemption {
        kvnr: &text("kvnr")?,
        year: column(row, "year")?,
        initials: &text("initials")?,
        valid_from: &text("valid_from")?,
        valid_to: &text("valid_to")?,
    }
    .read()
}

pub(crate) const ACCOUNT_COLUMNS: &str = "ik, password_hash, pruefnummer_hash, must_change_password, \
    initial_password_expires_at, blocked, last_used_at, letters_generation, version, \
    sessions_valid_from, totp_secret, totp_active, totp_last_step, recovery_codes, factor_kind";

pub(crate) fn account_from(row: &Row) -> Result<Account, StoreError> {
    let version: i64 = column(row, "version")?;
    Ok(Account {
        ik: ik_of(&column::<String>(row, "ik")?)?,
        password_hash: column(row, "password_hash")?,
        pruefnummer_hash: column(row, "pruefnummer_hash")?,
        must_change_password: column(row, "must_change_password")?,
        initial_password_expires_at: column::<Option<i64>>(row, "initial_password_expires_at")?
            .map(time_of)
            .transpose()?,
        blocked: column(row, "blocked")?,
        last_used_at: time_of(column(row, "last_used_at")?)?,
        letters_generation: column(row, "letters_generation")?,
        sessions_valid_from: time_of(column(row, "sessions_valid_from")?)?,
        second_factor: second_factor_from(row)?,
        version: u64::try_from(version).map_err(|e| corrupt("version", e))?,
    })
}

fn second_factor_from(row: &Row) -> Result<Option<SecondFactor>, StoreError> {
    let Some(sealed_secret) = column::<Option<Vec<u8>>>(row, "totp_secret")? else {
        return Ok(None);
    };
    let last_step: i64 = column(row, "totp_last_step")?;
    let codes: String = column(row, "recovery_codes")?;
    let kind: String = column(row, "factor_kind")?;
    Ok(Some(SecondFactor {
        kind: FactorKind::parse(&kind).ok_or_else(|| corrupt("factor_kind", kind))?,
        sealed_secret,
        active: column(row, "totp_active")?,
        last_step: u64::try_from(last_step).map_err(|e| corrupt("totp_last_step", e))?,
        recovery_codes: recovery_codes_from(&codes),
    }))
}

/// The recovery codes' hashes, comma-separated (`salt$hash` holds no comma).
pub(crate) fn recovery_codes_text(factor: Option<&SecondFactor>) -> String {
    factor.map(|f| f.recovery_codes.join(",")).unwrap_or_default()
}

fn recovery_codes_from(text: &str) -> Vec<String> {
    text.split(',').filter(|c| !c.is_empty()).map(str::to_string).collect()
}

pub(crate) const SESSION_COLUMNS: &str =
    "id_hash, ik, created_at, idle_expires_at, stage, last_active_at, browser";

pub(crate) fn session_from(row: &Row) -> Result<Session, StoreError> {
    let id_hash: String = column(row, "id_hash")?;
    let stage: String = column(row, "stage")?;
    let created_at = time_of(column(row, "created_at")?)?;
    let last_active: i64 = column(row, "last_active_at")?;
    Ok(Session {
        id_hash: SessionIdHash::parse(&id_hash).ok_or_else(|| corrupt("id_hash", &id_hash))?,
        ik: ik_of(&column::<String>(row, "ik")?)?,
        created_at,
        idle_expires_at: time_of(column(row, "idle_expires_at")?)?,
        // Sessions stored before the column existed: last active when they began.
        last_active_at: if last_active == 0 { created_at } else { time_of(last_active)? },
        stage: SessionStage::parse(&stage).ok_or_else(|| corrupt("stage", &stage))?,
        browser: Browser::parse(&column::<String>(row, "browser")?),
    })
}

pub(crate) const LETTER_COLUMNS: &str = "id, ik, kind, generation, recipient, message, created_at";

pub(crate) fn pending_letter_from(row: &Row) -> Result<Letter, StoreError> {
    let (id, kind): (String, String) = (column(row, "id")?, column(row, "kind")?);
    Ok(Letter {
        id: LetterId::parse(&id).ok_or_else(|| corrupt("letter id", &id))?,
        ik: ik_of(&column::<String>(row, "ik")?)?,
        kind: LetterKind::parse(&kind).ok_or_else(|| corrupt("letter kind", &kind))?,
        generation: column(row, "generation")?,
        recipient: column(row, "recipient")?,
        message: column::<Option<String>>(row, "message")?
            .ok_or_else(|| corrupt("letter", "a pending letter without text"))?,
        created_at: time_of(column(row, "created_at")?)?,
    })
}

pub(crate) const AUDIT_COLUMNS: &str = "ik, seq, query_id, at, kvnr, consent, dispensing_date, outcome, prev_hash, prev_at, hash, expires_at, channel";

/// A row as the audit log reports it: a record, or what is known of a damaged one.
pub(crate) fn audit_row_from(row: &Row) -> AuditRow {
    let text = |name| column::<String>(row, name);
    let seq = column::<i64>(row, "seq").ok().and_then(|seq| u64::try_from(seq).ok());
    let read = || -> Result<_, StoreError> {
        StoredAuditRecord {
            ik: &text("ik")?,
            seq: seq.ok_or_else(|| corrupt("seq", "not a position"))?,
            query_id: &text("query_id")?,
            at: column::<i64>(row, "at")?.into(),
            kvnr: &text("kvnr")?,
            consent: &text("consent")?,
            dispensing_date: column::<Option<String>>(row, "dispensing_date")?.as_deref(),
            outcome: &text("outcome")?,
            channel: Some(&text("channel")?),
            prev_hash: &text("prev_hash")?,
            prev_at: column::<Option<i64>>(row, "prev_at")?.map(i128::from),
            hash: &text("hash")?,
            expires_at: column::<i64>(row, "expires_at")?.into(),
        }
        .read()
    };
    match read() {
        Ok(record) => AuditRow::Intact(record),
        Err(error) => AuditRow::Damaged {
            ik: text("ik").ok().and_then(|ik| ik_of(&ik).ok()),
            seq: seq.unwrap_or(0),
            reason: error.to_string(),
        },
    }
}

pub(crate) const CLIENT_COLUMNS: &str = "id, ik, jwks, created_at, revoked_at";

pub(crate) fn client_from(row: &Row) -> Result<Client, StoreError> {
    let text = |name| column::<String>(row, name);
    StoredClient {
        id: &text("id")?,
        ik: &text("ik")?,
        jwks: &text("jwks")?,
        created_at: column::<i64>(row, "created_at")?.into(),
        revoked_at: column::<Option<i64>>(row, "revoked_at")?.map(i128::from),
    }
    .read()
}

pub(crate) const REPORT_COLUMNS: &str = "practice, id, status, kind, area, contents, corrects, \
    created_at, updated_at, queued_at, sent_at, delivered_at, read_at, failure, idempotency_key, \
    attempts, next_attempt_at, contents_expire_at, expires_at, version";

pub(crate) fn report_from(row: &Row) -> Result<StoredReport, StoreError> {
    use portal_core::model::stored::report;
    let text = |name| column::<String>(row, name);
    let maybe = |name| column::<Option<String>>(row, name);
    let time = |name| time_of(column::<i64>(row, name)?);
    let maybe_time = |name| column::<Option<i64>>(row, name)?.map(time_of).transpose();
    Ok(StoredReport {
        id: report::id(&text("id")?)?,
        practice: ik_of(&text("practice")?)?,
        status: report::status(&text("status")?)?,
        kind: maybe("kind")?.as_deref().map(report::kind).transpose()?,
        area: maybe("area")?.as_deref().map(report::area).transpose()?,
        contents: column::<Option<Vec<u8>>>(row, "contents")?.map(Sealed),
        corrects: maybe("corrects")?.as_deref().map(report::id).transpose()?,
        created_at: time("created_at")?,
        updated_at: time("updated_at")?,
        queued_at: maybe_time("queued_at")?,
        sent_at: maybe_time("sent_at")?,
        delivered_at: maybe_time("delivered_at")?,
        read_at: maybe_time("read_at")?,
        failure: maybe("failure")?.as_deref().map(report::failure).transpose()?,
        idempotency_key: maybe("idempotency_key")?,
        attempts: column::<u32>(row, "attempts")?,
        next_attempt_at: maybe_time("next_attempt_at")?,
        contents_expire_at: time("contents_expire_at")?,
        expires_at: time("expires_at")?,
        version: u64::try_from(column::<i64>(row, "version")?)
            .map_err(|e| corrupt("version", e))?,
    })
}
