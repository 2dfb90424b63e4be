//! `portal audit`: the insurer's questions — who asked about this person, what did this provider
//! ask — and `portal audit verify`, which checks the hash chains.

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use portal_core::model::{AuditRecord, AuditRow};
use portal_core::oha::{Anchoring, AuditBy, AuditProblem, Oha, Verified};
use portal_domain::{Consent, Ik, Kvnr, Lang, UserFacing, counted, german_local_time, parse_date};
use serde_json::json;
use time::format_description::well_known::Rfc3339;
use time::macros::format_description;

#[derive(Debug, Clone, Args)]
// Not `args_conflicts_with_subcommands`: that would refuse the global `--tenant` too; the
// listing's own arguments are refused with a subcommand in `AuditArgs::check`.
#[command(subcommand_negates_reqs = true)]
pub struct AuditArgs {
    #[command(subcommand)]
    pub command: Option<AuditCommand>,
    /// Who asked about this person.
    #[arg(long, conflicts_with = "ik", required_unless_present = "ik")]
    pub kvnr: Option<String>,
    /// What this provider asked.
    #[arg(long)]
    pub ik: Option<String>,
    /// First day (YYYY-MM-DD, German calendar day), inclusive.
    #[arg(long)]
    pub from: Option<String>,
    /// Last day, inclusive.
    #[arg(long)]
    pub to: Option<String>,
    /// One JSON array instead of a table.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Clone, Subcommand)]
pub enum AuditCommand {
    /// Check every provider's hash chain (changed, removed, unlinked or damaged records) and the
    /// chains against the last anchor (a tail cut off with its head).
    Verify,
    /// Anchor the chains now (`portal serve` does so hourly): their heads, signed, appended to
    /// the anchor log.
    Anchor,
}

impl AuditArgs {
    /// `verify` and `anchor` take none of the listing's arguments.
    pub fn check(&self) -> anyhow::Result<()> {
        let listing = self.kvnr.is_some()
            || self.ik.is_some()
            || self.from.is_some()
            || self.to.is_some()
            || self.json;
        if self.command.is_some() && listing {
            bail!("`verify` and `anchor` take no --kvnr, --ik, --from, --to or --json");
        }
        Ok(())
    }
}

/// The listing, as text for stdout.
pub async fn list(oha: &Oha, args: &AuditArgs, lang: Lang) -> anyhow::Result<String> {
    let by = match (&args.kvnr, &args.ik) {
        (Some(kvnr), _) => AuditBy::Kvnr(
            Kvnr::parse(kvnr).map_err(|e| anyhow::anyhow!("--kvnr: {}", e.message(lang)))?,
        ),
        (None, Some(ik)) => {
            AuditBy::Ik(Ik::parse(ik).map_err(|e| anyhow::anyhow!("--ik: {}", e.message(lang)))?)
        }
        (None, None) => bail!("--kvnr or --ik"),
    };
    let day = |arg: &Option<String>, name: &str| {
        arg.as_deref()
            .map(|d| parse_date(d).map_err(|e| anyhow::anyhow!("--{name}: {}", e.message(lang))))
            .transpose()
    };
    let records = oha
        .audit(by, day(&args.from, "from")?, day(&args.to, "to")?)
        .await
        .context("the audit log is unavailable")?;
    if args.json {
        let rows: Vec<_> = records.iter().map(json_row).collect();
        return Ok(serde_json::to_string_pretty(&rows)?);
    }
    Ok(table(&records, lang))
}

fn json_row(row: &AuditRow) -> serde_json::Value {
    match row {
        AuditRow::Intact(record) => json_record(record),
        AuditRow::Damaged { ik, seq, reason } => {
            json!({ "ik": ik, "seq": seq, "damaged": reason })
        }
    }
}

fn json_record(r: &AuditRecord) -> serde_json::Value {
    json!({
        "query_id": r.query_id.to_string(),
        "at": r.at.format(&Rfc3339).unwrap_or_default(),
        "ik": r.ik,
        "kvnr": r.kvnr,
        "consent": r.consent,
        "dispensing_date": r.dispensing_date.map(|d| d.to_string()),
        "found": r.outcome.found,
        "exempt_years": r.outcome.exempt_years,
        "exempt_on_dispensing_date": r.outcome.exempt_on_dispensing_date,
        "channel": r.channel.as_str(),
        "seq": r.seq,
    })
}

fn table(rows: &[AuditRow], lang: Lang) -> String {
    let header = match lang {
        Lang::De => [
            "Zeitpunkt",
            "IK",
            "KVNR",
            "Einwilligung",
            "Abgabetag",
            "Ergebnis",
            "Kanal",
            "Abfrage-ID",
        ],
        Lang::En => ["Time", "IK", "KVNR", "Consent", "Dispensed", "Result", "Channel", "Query id"],
    };
    let records = rows;
    let rows: Vec<[String; 8]> = records
        .iter()
        .map(|row| {
            let r = match row {
                AuditRow::Intact(record) => record,
                AuditRow::Damaged { ik, seq, .. } => return damaged_row(*ik, *seq, lang),
            };
            let local = german_local_time(r.at);
            let when = local
                .format(format_description!("[day].[month].[year] [hour]:[minute]:[second]"))
                .unwrap_or_default();
            [
                when,
                r.ik.to_string(),
                r.kvnr.to_string(),
                consent(r.consent, lang).to_string(),
                r.dispensing_date.map(|d| d.to_string()).unwrap_or_else(|| "–".into()),
                result(r, lang),
                r.channel.as_str().to_string(),
                r.query_id.to_string(),
            ]
        })
        .collect();
    let widths: Vec<usize> = (0..8)
        .map(|i| {
            rows.iter()
                .map(|row| row[i].chars().count())
                .chain([header[i].chars().count()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let line = |cells: Vec<&str>| {
        cells
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect::<Vec<_>>()
            .join("  ")
            .trim_end()
            .to_string()
    };
    let mut out = vec![line(header.to_vec())];
    out.extend(rows.iter().map(|row| line(row.iter().map(String::as_str).collect())));
    out.push(match lang {
        Lang::De => counted(records.len() as u64, "Abfrage", "Abfragen"),
        Lang::En => counted(records.len() as u64, "query", "queries"),
    });
    out.join("\n")
}

/// A record that no longer reads: its place, and that it is damaged (what exactly is wrong is
/// for `verify` and the log, not for a listing).
fn damaged_row(ik: Option<Ik>, seq: u64, lang: Lang) -> [String; 8] {
    let ik = ik.map_or_else(|| "?".to_string(), |ik| ik.to_string());
    let text = match lang {
        Lang::De => format!("Eintrag {seq} beschädigt – nicht lesbar"),
        Lang::En => format!("record {seq} damaged – unreadable"),
    };
    ["–".into(), ik, "–".into(), "–".into(), "–".into(), text, "–".into(), "–".into()]
}

fn consent(consent: Consent, lang: Lang) -> &'static str {
    match (consent, lang) {
        (Consent::InsuredPresent, Lang::De) => "Versicherte(r) anwesend",
        (Consent::InsuredPresent, Lang::En) => "insured present",
        (Consent::RepresentativePresent, Lang::De) => "Vertreter(in) anwesend",
        (Consent::RepresentativePresent, Lang::En) => "representative present",
    }
}

fn result(r: &AuditRecord, lang: Lang) -> String {
    let o = &r.outcome;
    let years = o.exempt_years.iter().map(i32::to_string).collect::<Vec<_>>().join(", ");
    let mut text = match (o.found, o.exempt_years.is_empty(), lang) {
        (false, _, Lang::De) => "kein Treffer".to_string(),
        (false, _, Lang::En) => "no record".to_string(),
        (true, true, Lang::De) => "nicht befreit".to_string(),
        (true, true, Lang::En) => "not exempt".to_string(),
        (true, false, Lang::De) => format!("befreit {years}"),
        (true, false, Lang::En) => format!("exempt {years}"),
    };
    if let Some(on_day) = o.exempt_on_dispensing_date {
        text += match (on_day, lang) {
            (true, Lang::De) => "; am Abgabetag befreit",
            (false, Lang::De) => "; am Abgabetag nicht befreit",
            (true, Lang::En) => "; exempt on that day",
            (false, Lang::En) => "; not exempt on that day",
        };
    }
    text
}

/// Writes an anchor now, if the chains changed since the last one; says what it did.
pub async fn anchor(anchoring: &Anchoring, lang: Lang) -> anyhow::Result<String> {
    let anchor = anchoring.anchor().await.context("anchoring failed")?;
    Ok(match (anchor, lang) {
        (Some(a), Lang::De) => format!(
            "{} verankert.",
            counted(a.heads.len() as u64, "Protokollkette", "Protokollketten")
        ),
        (Some(a), Lang::En) => {
            format!("{} anchored.", counted(a.heads.len() as u64, "audit chain", "audit chains"))
        }
        (None, Lang::De) => "Seit dem letzten Anker unverändert; kein neuer nötig.".into(),
        (None, Lang::En) => "Unchanged since the last anchor; none needed.".into(),
    })
}

/// The verification report and whether the log is intact.
pub async fn verify(
    oha: &Oha,
    anchoring: &Anchoring,
    lang: Lang,
) -> anyhow::Result<(String, bool)> {
    let Verified { chains, records, mut problems } =
        oha.verify().await.context("the audit log is unavailable")?;
    let retention = oha.settings.retention;
    problems.extend(anchoring.check(retention).await.context("the anchor log is unavailable")?);
    let mut lines = vec![match lang {
        Lang::De => format!(
            "{} mit {} geprüft.",
            counted(chains as u64, "Protokollkette", "Protokollketten"),
            counted(records as u64, "Eintrag", "Einträgen")
        ),
        Lang::En => format!(
            "{} with {} checked.",
            counted(chains as u64, "audit chain", "audit chains"),
            counted(records as u64, "record", "records")
        ),
    }];
    for problem in &problems {
        lines.push(match (problem, lang) {
            (AuditProblem::Changed { ik, seq }, Lang::De) => {
                format!("IK {ik}, Eintrag {seq}: Inhalt wurde verändert.")
            }
            (AuditProblem::Changed { ik, seq }, Lang::En) => {
                format!("IK {ik}, record {seq}: content was changed.")
            }
            (AuditProblem::Unlinked { ik, seq }, Lang::De) => {
                format!("IK {ik}, Eintrag {seq}: Verkettung zum Vorgänger gebrochen.")
            }
            (AuditProblem::Unlinked { ik, seq }, Lang::En) => {
                format!("IK {ik}, record {seq}: link to its predecessor broken.")
            }
            (AuditProblem::Missing { ik, from, to }, Lang::De) => format!(
                "IK {ik}, Einträge {from} bis {to}: fehlen vor Ablauf der Aufbewahrungsfrist."
            ),
            (AuditProblem::Missing { ik, from, to }, Lang::En) => {
                format!("IK {ik}, records {from} to {to}: missing before their retention ended.")
            }
            (AuditProblem::Damaged { ik, seq }, Lang::De) => {
                format!("IK {ik}, Eintrag {seq}: beschädigt, nicht mehr lesbar.")
            }
            (AuditProblem::Damaged { ik, seq }, Lang::En) => {
                format!("IK {ik}, record {seq}: damaged, no longer readable.")
            }
            (AuditProblem::CutAfterAnchor { ik, anchored, last }, Lang::De) => format!(
                "IK {ik}: Die Kette endet bei Eintrag {last}, der letzte Anker sah sie bei Eintrag {anchored}; das Ende wurde abgeschnitten."
            ),
            (AuditProblem::CutAfterAnchor { ik, anchored, last }, Lang::En) => format!(
                "IK {ik}: the chain ends at record {last}, the last anchor saw it at record {anchored}; its tail was cut off."
            ),
            (AuditProblem::DiffersFromAnchor { ik, seq }, Lang::De) => {
                format!("IK {ik}, Eintrag {seq}: nicht der Eintrag, den der letzte Anker sah.")
            }
            (AuditProblem::DiffersFromAnchor { ik, seq }, Lang::En) => {
                format!("IK {ik}, record {seq}: not the record the last anchor saw.")
            }
            (AuditProblem::ChainGone { ik }, Lang::De) => {
                format!("IK {ik}: Die Kette, die der letzte Anker sah, fehlt ganz.")
            }
            (AuditProblem::ChainGone { ik }, Lang::En) => {
                format!("IK {ik}: the chain the last anchor saw is gone.")
            }
            (AuditProblem::AnchorForged { line }, Lang::De) => format!(
                "Ankerprotokoll, Zeile {line}: Signatur oder Verkettung stimmt nicht."
            ),
            (AuditProblem::AnchorForged { line }, Lang::En) => {
                format!("Anchor log, line {line}: signature or link does not hold.")
            }
            (AuditProblem::AnchorWentBack { ik, line }, Lang::De) => format!(
                "Ankerprotokoll, Zeile {line}: die Kette von IK {ik} steht hinter dem Anker davor."
            ),
            (AuditProblem::AnchorWentBack { ik, line }, Lang::En) => format!(
                "Anchor log, line {line}: the chain of IK {ik} stands behind the anchor before."
            ),
            (AuditProblem::AnchorMissing, Lang::De) => "Eine Kette wurde vor über zwei Stunden geändert, ohne dass seitdem ein Anker geschrieben wurde.".into(),
            (AuditProblem::AnchorMissing, Lang::En) => "A chain changed more than two hours ago, and no anchor has been written since.".into(),
        });
    }
    if problems.is_empty() {
        lines.push(match lang {
            Lang::De => "Keine Auffälligkeiten.".into(),
            Lang::En => "No irregularities.".into(),
        });
    }
    Ok((lines.join("\n"), problems.is_empty()))
}
