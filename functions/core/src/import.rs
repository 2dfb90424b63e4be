//! Imports of the insurer's files: the provider directory and the exemptions.
//!
//! Files stream through in batches, so a file of millions of rows needs no more memory than a
//! batch. A bad row is reported with its line number (the header is line 1) and skipped; the good
//! rows go in. Writes are upserts, so running the same file twice changes nothing the second time,
//! and a file that failed half-way can simply be run again.

use std::collections::{HashSet, VecDeque};
use std::io::Read;
use std::sync::{Arc, Mutex};

use csv::ByteRecord;
use portal_domain::therapy::{
    Bsnr, BsnrError, KimAddress, KimAddressError, Lanr, LanrError, Physician,
};
use portal_domain::{
    Address, DateError, EmailAddress, EmailError, Exemption, ExemptionError, Ik, IkError, Initials,
    Kvnr, KvnrError, Lang, NameError, Provider, ProviderError, UserFacing, counted, parse_date,
};

use crate::{ExemptionStore, PhysicianDirectory, ProviderDirectory, StoreError};

pub const PROVIDER_COLUMNS: &[&str] =
    &["ik", "name", "email", "strasse", "plz", "ort", "berufsfeld"];
pub const PHYSICIAN_COLUMNS: &[&str] =
    &["lanr", "bsnr", "name", "strasse", "plz", "ort", "kim_address", "earztbrief"];
pub const EXEMPTION_COLUMNS: &[&str] =
    &["kvnr", "vorname", "nachname", "jahr", "gueltig_ab", "gueltig_bis"];

/// Rows written to the store in one call: large enough to amortise a transaction or a round trip,
/// small enough to keep memory flat.
const BATCH: usize = 2_000;

/// How far an import has come, for a progress bar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    pub bytes_read: u64,
    pub rows_imported: u64,
    pub rows_rejected: u64,
}

/// A row that was not imported, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RejectedRow {
    /// The line in the file where the row starts; the header is line 1.
    pub line: u64,
    /// The column at fault, when one is.
    pub column: Option<&'static str>,
    pub problem: RowProblem,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowProblem {
    Columns {
        expected: usize,
        found: usize,
    },
    Encoding,
    Kvnr(KvnrError),
    Ik(IkError),
    Date(DateError),
    Year,
    Name(NameError),
    Exemption(ExemptionError),
    Email(EmailError),
    Provider(ProviderError),
    Lanr(LanrError),
    Bsnr(BsnrError),
    Kim(KimAddressError),
    /// `earztbrief` is neither `ja` nor `nein`, or `ja` without a KIM address.
    Earztbrief,
}

impl RejectedRow {
    /// One line for the back office: "Zeile 3, Spalte kvnr: Die Prüfziffer … stimmt nicht."
    pub fn describe(&self, lang: Lang) -> String {
        let place = match (self.column, lang) {
            (Some(column), Lang::De) => format!("Zeile {}, Spalte {column}", self.line),
            (Some(column), Lang::En) => format!("line {}, column {column}", self.line),
            (None, Lang::De) => format!("Zeile {}", self.line),
            (None, Lang::En) => format!("line {}", self.line),
        };
        format!("{place}: {}", self.problem.message(lang))
    }
}

impl RowProblem {
    pub fn message(&self, lang: Lang) -> String {
        let domain: &dyn UserFacing = match self {
            RowProblem::Columns { expected, found } => {
                return match lang {
                    Lang::De => format!("{found} Spalten statt {expected}."),
                    Lang::En => format!("{found} columns instead of {expected}."),
                };
            }
            RowProblem::Encoding => {
                return match lang {
                    Lang::De => "Die Zeile ist kein gültiges UTF-8.".into(),
                    Lang::En => "The line is not valid UTF-8.".into(),
                };
            }
            RowProblem::Year => {
                return match lang {
                    Lang::De => "Das Jahr ist keine vierstellige Zahl.".into(),
                    Lang::En => "The year is not a four-digit number.".into(),
                };
            }
            RowProblem::Earztbrief => {
                return match lang {
                    Lang::De => "eArztbrief ist „ja“ (nur mit KIM-Adresse) oder „nein“.".into(),
                    Lang::En => "earztbrief is 'ja' (only with a KIM address) or 'nein'.".into(),
                };
            }
            RowProblem::Kvnr(e) => e,
            RowProblem::Ik(e) => e,
            RowProblem::Date(e) => e,
            RowProblem::Name(e) => e,
            RowProblem::Exemption(e) => e,
            RowProblem::Email(e) => e,
            RowProblem::Provider(e) => e,
            RowProblem::Lanr(e) => e,
            RowProblem::Bsnr(e) => e,
            RowProblem::Kim(e) => e,
        };
        domain.message(lang).to_string()
    }
}

/// Told about every rejected row as it is found, and about progress after every batch.
pub trait ImportObserver: Send {
    fn rejected(&mut self, row: &RejectedRow);
    fn progress(&mut self, _progress: Progress) {}
}

/// Collects the rejected rows (for tests and for callers that report at the end).
impl ImportObserver for Vec<RejectedRow> {
    fn rejected(&mut self, row: &RejectedRow) {
        self.push(row.clone());
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ImportReport {
    pub imported: u64,
    pub rejected: u64,
    /// With `--replace-year`: what happened to the exemptions of that year absent from the file.
    pub replaced: Option<Replaced>,
}

impl ImportReport {
    /// One line for the end of an import.
    pub fn summary(&self, lang: Lang) -> String {
        let rows = |n: u64| match lang {
            Lang::De => counted(n, "Zeile", "Zeilen"),
            Lang::En => counted(n, "row", "rows"),
        };
        let mut text = match lang {
            Lang::De => format!("{} importiert, {} abgelehnt.", rows(self.imported), self.rejected),
            Lang::En => format!("{} imported, {} rejected.", rows(self.imported), self.rejected),
        };
        match (self.replaced, lang) {
            (Some(Replaced::Removed(n)), Lang::De) => {
                let removed = counted(
                    n,
                    "Befreiung des Jahres, die nicht in der Datei steht,",
                    "Befreiungen des Jahres, die nicht in der Datei stehen,",
                );
                text += &format!(" {removed} entfernt.")
            }
            (Some(Replaced::Removed(n)), Lang::En) => {
                let removed = counted(n, "exemption", "exemptions");
                text += &format!(" {removed} of the year absent from the file removed.")
            }
            (Some(Replaced::SkippedBecauseRowsWereRejected), Lang::De) => {
                text += " Wegen abgelehnter Zeilen wurde nichts entfernt: bitte Datei korrigieren und erneut importieren."
            }
            (Some(Replaced::SkippedBecauseRowsWereRejected), Lang::En) => {
                text += " Because rows were rejected nothing was removed: correct the file and import it again."
            }
            (Some(Replaced::SkippedBecauseNoRowIsOfTheYear(year)), Lang::De) => {
                text += &format!(
                    " Keine Zeile der Datei gilt für {year}, daher wurde nichts entfernt: bitte Jahr und Datei prüfen."
                )
            }
            (Some(Replaced::SkippedBecauseNoRowIsOfTheYear(year)), Lang::En) => {
                text += &format!(
                    " No row of the file is for {year}, so nothing was removed: please check the year and the file."
                )
            }
            (None, _) => {}
        }
        text
    }

    /// Everything was done as asked: every row imported, and the year replaced if asked for.
    pub fn is_complete(&self) -> bool {
        self.rejected == 0 && matches!(self.replaced, None | Some(Replaced::Removed(_)))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Replaced {
    /// This many exemptions of the year were absent from the file and were removed.
    Removed(u64),
    /// Nothing was removed: with rejected rows the file is not a complete picture of the year, and a
    /// typo must not cost a patient their exemption.
    SkippedBecauseRowsWereRejected,
    /// Nothing was removed: not one row of the file is of that year, so it cannot be the year's
    /// complete list (a wrong year given, or the wrong file); removing would clear the whole year.
    SkippedBecauseNoRowIsOfTheYear(i32),
}

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("the header line must be `{expected}`, but it is `{found}`")]
    Header { expected: String, found: String },
    #[error("the file could not be read after line {line}")]
    Read {
        line: u64,
        #[source]
        source: csv::Error,
    },
    #[error("the store failed; the rows before the failure are imported, run the file again")]
    Store(#[from] StoreError),
}

impl ImportError {
    /// The message for the back office, which reads German by default.
    pub fn describe(&self, lang: Lang) -> String {
        match (self, lang) {
            (ImportError::Header { expected, found }, Lang::De) => {
                format!(
                    "Die Kopfzeile muss `{expected}` lauten, sie lautet `{found}`. Es wurde nichts importiert."
                )
            }
            (ImportError::Header { expected, found }, Lang::En) => {
                format!(
                    "The header line must be `{expected}`, but it is `{found}`. Nothing was imported."
                )
            }
            (ImportError::Read { line, source }, Lang::De) => format!(
                "Die Datei ist nach Zeile {line} nicht lesbar ({source}). Die Zeilen davor sind importiert; ein erneuter Import ist gefahrlos."
            ),
            (ImportError::Read { line, source }, Lang::En) => format!(
                "The file cannot be read after line {line} ({source}). The rows before it are imported; importing again is safe."
            ),
            (ImportError::Store(e), Lang::De) => format!(
                "Der Speicher ist nicht erreichbar ({e}). Die Zeilen davor sind importiert; ein erneuter Import ist gefahrlos."
            ),
            (ImportError::Store(e), Lang::En) => format!(
                "The store is unavailable ({e}). The rows before are imported; importing again is safe."
            ),
        }
    }
}

/// Imports `providers.csv`: `ik;name;email;strasse;plz;ort;berufsfeld`.
pub async fn import_providers(
    directory: &dyn ProviderDirectory,
    input: impl Read + Send,
    observer: &mut dyn ImportObserver,
) -> Result<ImportReport, ImportError> {
    let mut rows = Rows::open(input, PROVIDER_COLUMNS)?;
    loop {
        let batch = rows.next_batch(parse_provider, observer)?;
        if batch.is_empty() {
            return Ok(rows.report(None));
        }
        directory.put_providers(&batch).await?;
        rows.imported(batch.len(), observer);
    }
}

/// Imports `physicians.csv`: `lanr;bsnr;name;strasse;plz;ort;kim_address;earztbrief`, with
/// `earztbrief` `ja` or `nein` (whether the KIM address is registered for the eArztbrief).
pub async fn import_physicians(
    directory: &dyn PhysicianDirectory,
    input: impl Read + Send,
    observer: &mut dyn ImportObserver,
) -> Result<ImportReport, ImportError> {
    let mut rows = Rows::open(input, PHYSICIAN_COLUMNS)?;
    loop {
        let batch = rows.next_batch(parse_physician, observer)?;
        if batch.is_empty() {
            return Ok(rows.report(None));
        }
        directory.put_physicians(&batch).await?;
        rows.imported(batch.len(), observer);
    }
}

/// Imports `exemptions.csv`: `kvnr;vorname;nachname;jahr;gueltig_ab;gueltig_bis`. Names are reduced
/// to initials while parsing; the full name is never stored.
///
/// With `replace_year`, exemptions of that year that are absent from the file are removed
/// afterwards, but only when every row was accepted and some row is of that year (see
/// [`Replaced`]).
pub async fn import_exemptions(
    store: &dyn ExemptionStore,
    input: impl Read + Send,
    replace_year: Option<i32>,
    observer: &mut dyn ImportObserver,
) -> Result<ImportReport, ImportError> {
    let mut rows = Rows::open(input, EXEMPTION_COLUMNS)?;
    let mut in_file: HashSet<Kvnr> = HashSet::new();
    loop {
        let batch = rows.next_batch(parse_exemption, observer)?;
        if batch.is_empty() {
            break;
        }
        if let Some(year) = replace_year {
            in_file.extend(batch.iter().filter(|e| e.year() == year).map(|e| e.kvnr().clone()));
        }
        store.put_exemptions(&batch).await?;
        rows.imported(batch.len(), observer);
    }
    let Some(year) = replace_year else {
        return Ok(rows.report(None));
    };
    if rows.rejected > 0 {
        return Ok(rows.report(Some(Replaced::SkippedBecauseRowsWereRejected)));
    }
    if in_file.is_empty() {
        return Ok(rows.report(Some(Replaced::SkippedBecauseNoRowIsOfTheYear(year))));
    }
    let absent: Vec<Kvnr> =
        store.exempt_in(year).await?.into_iter().filter(|k| !in_file.contains(k)).collect();
    for chunk in absent.chunks(BATCH) {
        store.remove_exemptions(year, chunk).await?;
    }
    Ok(rows.report(Some(Replaced::Removed(absent.len() as u64))))
}

/// Why a row was rejected: the column at fault (when one is) and the problem.
type Rejection = (Option<&'static str>, RowProblem);

fn wrong_columns(expected: &[&str], fields: &[&str]) -> Rejection {
    (None, RowProblem::Columns { expected: expected.len(), found: fields.len() })
}

fn parse_provider(fields: &[&str]) -> Result<Provider, Rejection> {
    let [ik, name, email, strasse, plz, ort, berufsfeld] = fields else {
        return Err(wrong_columns(PROVIDER_COLUMNS, fields));
    };
    let ik = Ik::parse(ik).map_err(|e| (Some("ik"), RowProblem::Ik(e)))?;
    let email = EmailAddress::parse(email).map_err(|e| (Some("email"), RowProblem::Email(e)))?;
    Provider::new(ik, name, email, strasse, plz, ort, berufsfeld)
        .map_err(|e| (Some(directory_column(e)), RowProblem::Provider(e)))
}

/// The column a directory's name or address problem is in.
fn directory_column(error: ProviderError) -> &'static str {
    match error {
        ProviderError::Name => "name",
        ProviderError::Strasse => "strasse",
        ProviderError::Plz => "plz",
        ProviderError::Ort => "ort",
        ProviderError::Berufsfeld => "berufsfeld",
        ProviderError::Control(field) => field.column(),
    }
}

fn parse_physician(fields: &[&str]) -> Result<Physician, Rejection> {
    let [lanr, bsnr, name, strasse, plz, ort, kim, earztbrief] = fields else {
        return Err(wrong_columns(PHYSICIAN_COLUMNS, fields));
    };
    let lanr = Lanr::parse(lanr).map_err(|e| (Some("lanr"), RowProblem::Lanr(e)))?;
    let bsnr = Bsnr::parse(bsnr).map_err(|e| (Some("bsnr"), RowProblem::Bsnr(e)))?;
    let kim = match kim.trim() {
        "" => None,
        kim => Some(KimAddress::parse(kim).map_err(|e| (Some("kim_address"), RowProblem::Kim(e)))?),
    };
    let earztbrief = match earztbrief.trim().to_lowercase().as_str() {
        "ja" if kim.is_some() => true,
        "nein" | "" => false,
        _ => return Err((Some("earztbrief"), RowProblem::Earztbrief)),
    };
    let problem = |e| (Some(directory_column(e)), RowProblem::Provider(e));
    let address = Address::parse(strasse, plz, ort).map_err(problem)?;
    Physician::new(lanr, bsnr, name, address, kim, earztbrief).map_err(problem)
}

fn parse_exemption(fields: &[&str]) -> Result<Exemption, Rejection> {
    let [kvnr, vorname, nachname, jahr, gueltig_ab, gueltig_bis] = fields else {
        return Err(wrong_columns(EXEMPTION_COLUMNS, fields));
    };
    let kvnr = Kvnr::parse(kvnr).map_err(|e| (Some("kvnr"), RowProblem::Kvnr(e)))?;
    let initials = Initials::from_names(vorname, nachname).map_err(|e| {
        let column = match e {
            NameError::FirstName | NameError::FirstNameControl => "vorname",
            _ => "nachname",
        };
        (Some(column), RowProblem::Name(e))
    })?;
    let jahr = jahr.trim();
    let year = (jahr.len() == 4).then(|| jahr.parse::<i32>().ok()).flatten();
    let year = year.ok_or((Some("jahr"), RowProblem::Year))?;
    let from = parse_date(gueltig_ab).map_err(|e| (Some("gueltig_ab"), RowProblem::Date(e)))?;
    let to = parse_date(gueltig_bis).map_err(|e| (Some("gueltig_bis"), RowProblem::Date(e)))?;
    Exemption::new(kvnr, initials, year, from, to).map_err(|e| {
        let column = if e == ExemptionError::Year { "jahr" } else { "gueltig_bis" };
        (Some(column), RowProblem::Exemption(e))
    })
}

/// The rows of a `;`-separated UTF-8 file with a fixed header, read one batch at a time.
struct Rows<R> {
    reader: csv::Reader<LineCounter<R>>,
    lines: Arc<Mutex<Lines>>,
    record: ByteRecord,
    imported: u64,
    rejected: u64,
}

impl<R: Read> Rows<R> {
    fn open(input: R, columns: &[&str]) -> Result<Self, ImportError> {
        let lines = Arc::new(Mutex::new(Lines::default()));
        let reader = csv::ReaderBuilder::new()
            .delimiter(b';')
            .has_headers(false)
            .flexible(true)
            .from_reader(LineCounter { inner: input, read: 0, lines: Arc::clone(&lines) });
        let mut rows = Rows { reader, lines, record: ByteRecord::new(), imported: 0, rejected: 0 };
        let header_ok = rows.read_record()?
            && rows.record.iter().count() == columns.len()
            && rows.record.iter().zip(columns).enumerate().all(|(i, (field, expected))| {
                // Spreadsheet programs like to start a UTF-8 file with a byte-order mark.
                let field = if i == 0 {
                    field.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(field)
                } else {
                    field
                };
                field.trim_ascii().eq_ignore_ascii_case(expected.as_bytes())
            });
        if !header_ok {
            let found = rows
                .record
                .iter()
                .map(|f| String::from_utf8_lossy(f).into_owned())
                .collect::<Vec<_>>();
            return Err(ImportError::Header {
                expected: columns.join(";"),
                found: found.join(";"),
            });
        }
        Ok(rows)
    }

    fn read_record(&mut self) -> Result<bool, ImportError> {
        self.reader.read_byte_record(&mut self.record).map_err(|source| ImportError::Read {
            line: self.line_at(self.reader.position().byte()),
            source,
        })
    }

    /// The line the record just read starts on: that of its first byte. `csv` names the
    /// record's start before any blank lines that precede it, so take the first byte at or
    /// after that start that begins a line's text. (Counting back from the record's end by the
    /// line breaks inside it went wrong where a quote left open took the file's last break.)
    fn first_line_of_record(&self) -> u64 {
        let start = self.record.position().map_or(0, |position| position.byte());
        let first = {
            let mut lines = self.lines.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            while lines.text_starts.front().is_some_and(|&at| at < start) {
                lines.text_starts.pop_front();
            }
            lines.text_starts.front().copied().unwrap_or(start)
        };
        self.line_at(first)
    }

    /// The physical line (1-based) of a byte offset; offsets must not decrease between calls.
    fn line_at(&self, byte: u64) -> u64 {
        let mut lines = self.lines.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        while lines.newlines.front().is_some_and(|&at| at < byte) {
            lines.newlines.pop_front();
            lines.passed += 1;
        }
        lines.passed + 1
    }

    /// Up to `BATCH` good rows; bad rows on the way are reported and counted. Empty at the end.
    fn next_batch<T>(
        &mut self,
        parse: fn(&[&str]) -> Result<T, Rejection>,
        observer: &mut dyn ImportObserver,
    ) -> Result<Vec<T>, ImportError> {
        let mut batch = Vec::with_capacity(BATCH);
        while batch.len() < BATCH && self.read_record()? {
            let line = self.first_line_of_record();
            match self.parse_record(parse) {
                Ok(item) => batch.push(item),
                Err((column, problem)) => {
                    self.rejected += 1;
                    observer.rejected(&RejectedRow { line, column, problem });
                }
            }
        }
        Ok(batch)
    }

    fn parse_record<T>(&self, parse: fn(&[&str]) -> Result<T, Rejection>) -> Result<T, Rejection> {
        let fields: Vec<&str> = self
            .record
            .iter()
            .map(std::str::from_utf8)
            .collect::<Result<_, _>>()
            .map_err(|_| (None, RowProblem::Encoding))?;
        parse(&fields)
    }

    fn imported(&mut self, rows: usize, observer: &mut dyn ImportObserver) {
        self.imported += rows as u64;
        observer.progress(Progress {
            bytes_read: self.reader.position().byte(),
            rows_imported: self.imported,
            rows_rejected: self.rejected,
        });
    }

    fn report(&self, replaced: Option<Replaced>) -> ImportReport {
        ImportReport { imported: self.imported, rejected: self.rejected, replaced }
    }
}

/// Where the newlines are in the part of the input the CSV reader has buffered but not yet
/// passed. `csv`'s own line count skips blank lines, and the back office must find the line
/// we name in their editor.
struct Lines {
    newlines: VecDeque<u64>,
    /// Where text begins after line breaks (`\n` or `\r`): where a record can start.
    text_starts: VecDeque<u64>,
    after_break: bool,
    pending_cr: Option<u64>,
    passed: u64,
}

impl Default for Lines {
    fn default() -> Lines {
        Lines {
            newlines: VecDeque::new(),
            text_starts: VecDeque::new(),
            after_break: true,
            pending_cr: None,
            passed: 0,
        }
    }
}

struct LineCounter<R> {
    inner: R,
    read: u64,
    lines: Arc<Mutex<Lines>>,
}

impl<R: Read> Read for LineCounter<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        let mut lines = self.lines.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        for (at, byte) in (self.read..).zip(&buf[..n]) {
            // A `\r` alone ends a line too (as it ends a record); before `\n` it is one break.
            if let Some(cr) = lines.pending_cr.take()
                && *byte != b'\n'
            {
                lines.newlines.push_back(cr);
            }
            match byte {
                b'\n' => {
                    lines.newlines.push_back(at);
                    lines.after_break = true;
                }
                b'\r' => {
                    lines.pending_cr = Some(at);
                    lines.after_break = true;
                }
                _ if lines.after_break => {
                    lines.text_starts.push_back(at);
                    lines.after_break = false;
                }
                _ => {}
            }
        }
        self.read += n as u64;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use async_trait::async_trait;
    use proptest::prelude::*;

    use super::*;

    /// Records what the import writes; the real stores are tested in `tests/integration`.
    #[derive(Default)]
    struct Recorder(Mutex<Vec<Exemption>>);

    #[async_trait]
    impl ExemptionStore for Recorder {
        async fn put_exemptions(&self, exemptions: &[Exemption]) -> Result<(), StoreError> {
            self.0.lock().unwrap().extend_from_slice(exemptions);
            Ok(())
        }
        async fn exemptions_of(&self, kvnr: &Kvnr) -> Result<Vec<Exemption>, StoreError> {
            Ok(self.0.lock().unwrap().iter().filter(|e| e.kvnr() == kvnr).cloned().collect())
        }
        async fn exempt_in(&self, year: i32) -> Result<Vec<Kvnr>, StoreError> {
            Ok(self
                .0
                .lock()
                .unwrap()
                .iter()
                .filter(|e| e.year() == year)
                .map(|e| e.kvnr().clone())
                .collect())
        }
        async fn remove_exemptions(&self, year: i32, kvnrs: &[Kvnr]) -> Result<(), StoreError> {
            self.0.lock().unwrap().retain(|e| e.year() != year || !kvnrs.contains(e.kvnr()));
            Ok(())
        }
    }

    fn run(csv: &[u8]) -> (Result<ImportReport, ImportError>, Vec<RejectedRow>, usize) {
        let store = Recorder::default();
        let mut rejected = Vec::new();
        let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
        let report = runtime.block_on(import_exemptions(&store, csv, Some(2026), &mut rejected));
        let written = store.0.lock().unwrap().len();
        (report, rejected, written)
    }

    const HEADER: &str = "kvnr;vorname;nachname;jahr;gueltig_ab;gueltig_bis\n";

    #[derive(Debug, Clone)]
    enum Line {
        Valid,
        Garbage(String),
        Blank,
    }

    fn line() -> impl Strategy<Value = Line> {
        prop_oneof![
            3 => Just(Line::Valid),
            2 => "[^;\"\r\n]{1,40}".prop_map(Line::Garbage),
            1 => Just(Line::Blank),
        ]
    }

    /// Found by fuzzing (fuzz/regressions/import_*): the header's line was named instead.
    #[test]
    fn a_row_whose_quote_is_never_closed_is_reported_at_the_line_it_starts_on() {
        for (csv, line) in [
            (format!("{HEADER}\"A123456780;x\nMax;Mustermann\n"), 2),
            (format!("{HEADER}\n\"A1\n\n"), 3),
            (format!("{HEADER}\"A1\n\""), 2),
            (format!("{HEADER}A1\n"), 2),
            // Lines that end in a carriage return alone, as old Mac files do.
            (
                HEADER.replace('\n', "\r")
                    + "A1\rA123456780;Max;Mustermann;2026;2026-03-14;2026-12-31\r",
                2,
            ),
            (HEADER.replace('\n', "\r\n") + "\r\nA1\r\n", 3),
        ] {
            let (_, rejected, _) = run(csv.as_bytes());
            assert_eq!(rejected.iter().map(|r| r.line).collect::<Vec<_>>(), [line], "{csv:?}");
        }
    }

    proptest! {
        #[test]
        fn any_bytes_after_the_header_are_imported_or_rejected_without_panic(body in proptest::collection::vec(any::<u8>(), 0..600)) {
            let mut csv = HEADER.as_bytes().to_vec();
            csv.extend(body);
            let (report, rejected, written) = run(&csv);
            if let Ok(report) = report {
                prop_assert_eq!(report.rejected as usize, rejected.len());
                prop_assert_eq!(report.imported as usize, written);
            }
        }

        #[test]
        fn exactly_the_bad_lines_are_reported_by_their_line_number(lines in proptest::collection::vec(line(), 0..40)) {
            let mut csv = HEADER.to_string();
            let mut bad_lines = Vec::new();
            let mut valid = 0;
            for (i, line) in lines.iter().enumerate() {
                match line {
                    Line::Valid => {
                        valid += 1;
                        csv += "A123456780;Max;Mustermann;2026;2026-03-14;2026-12-31\n";
                    }
                    Line::Garbage(text) => {
                        bad_lines.push(i as u64 + 2);
                        csv += text;
                        csv += "\n";
                    }
                    Line::Blank => csv += "\n",
                }
            }
            let (report, rejected, written) = run(csv.as_bytes());
            let report = report.unwrap();
            prop_assert_eq!(rejected.iter().map(|r| r.line).collect::<Vec<_>>(), bad_lines);
            prop_assert_eq!(report.imported, valid);
            prop_assert_eq!(written as u64, valid);
        }
    }
}
