//! `portal accounts block|unlock|resend|reset-factor|history IK`: what the provider service does for a caller; and
//! `portal reports IK`: a practice's therapy reports, metadata only.

use anyhow::{Context, bail};
use clap::Subcommand;
use portal_core::accounts::{Accounts, RegisterError};
use portal_domain::{Ik, Lang, UserFacing};

#[derive(Debug, Clone, Subcommand)]
pub enum Action {
    /// Block the account at once (a stolen password, say): no login, no reset, every session ends.
    Block { ik: String },
    /// Lift a block.
    Unlock { ik: String },
    /// New credential letters for a pending account; the earlier letters become void.
    Resend { ik: String },
    /// Remove the second factor and its recovery codes (phone and codes lost): every session
    /// ends, the provider logs in with the password alone, and a letter tells the address on file.
    ResetFactor { ik: String },
    /// The account's history of the last 90 days, the newest first: logins, failed logins,
    /// changes of password and second factor, blocks.
    History { ik: String },
}

/// Runs the action and says what happened, in the back office's language.
pub async fn run(accounts: &Accounts, action: Action, lang: Lang) -> anyhow::Result<String> {
    let (Action::Block { ik }
    | Action::Unlock { ik }
    | Action::Resend { ik }
    | Action::ResetFactor { ik }
    | Action::History { ik }) = &action;
    let ik = Ik::parse(ik).map_err(|e| anyhow::anyhow!("{}", e.message(lang)))?;
    let no_account = || match lang {
        Lang::De => format!("Für IK {ik} gibt es keinen Zugang."),
        Lang::En => format!("There is no account for IK {ik}."),
    };
    match action {
        Action::Block { .. } => {
            if !accounts.block(&ik).await.context("the store failed")? {
                bail!(no_account());
            }
            Ok(match lang {
                Lang::De => format!(
                    "Der Zugang für IK {ik} ist gesperrt; alle Sitzungen sind beendet. `portal accounts unlock {ik}` hebt die Sperre auf."
                ),
                Lang::En => format!(
                    "The account of IK {ik} is blocked; every session has ended. `portal accounts unlock {ik}` lifts the block."
                ),
            })
        }
        Action::Unlock { .. } => {
            if !accounts.unblock(&ik).await.context("the store failed")? {
                bail!(no_account());
            }
            Ok(match lang {
                Lang::De => format!("Der Zugang für IK {ik} ist entsperrt."),
                Lang::En => format!("The account of IK {ik} is unlocked."),
            })
        }
        Action::ResetFactor { .. } => {
            if !accounts.reset_factor(&ik).await.context("the store failed")? {
                bail!(no_account());
            }
            Ok(match lang {
                Lang::De => format!(
                    "Der zweite Faktor des Zugangs für IK {ik} ist entfernt, alle Sitzungen sind beendet; ein Schreiben an die hinterlegte Adresse ist unterwegs. Die Anmeldung geht jetzt mit dem Kennwort allein."
                ),
                Lang::En => format!(
                    "The second factor of the account of IK {ik} is removed and every session has ended; a letter to the address on file is on its way. Logging in now takes the password alone."
                ),
            })
        }
        Action::History { .. } => {
            let entries = accounts.history(&ik).await.context("the store failed")?;
            Ok(history_table(&entries, lang))
        }
        Action::Resend { .. } => match accounts.resend(&ik).await {
            Ok(registered) => Ok(match lang {
                Lang::De => format!(
                    "{} neue Schreiben an {} sind unterwegs; die früheren sind ungültig.",
                    registered.letters, registered.recipient
                ),
                Lang::En => format!(
                    "{} new letters to {} are on their way; the earlier ones are void.",
                    registered.letters, registered.recipient
                ),
            }),
            Err(RegisterError::UnknownIk) => bail!(match lang {
                Lang::De => format!("IK {ik} steht nicht im Verzeichnis der Leistungserbringer."),
                Lang::En => format!("IK {ik} is not in the provider directory."),
            }),
            Err(RegisterError::AlreadyActive) => bail!(match lang {
                Lang::De => format!(
                    "Der Zugang für IK {ik} ist aktiv; der Leistungserbringer setzt sein Kennwort mit der Prüfnummer zurück."
                ),
                Lang::En => format!(
                    "The account of IK {ik} is active; the provider resets the password with the Prüfnummer."
                ),
            }),
            Err(error) => Err(anyhow::Error::new(error).context("resending failed")),
        },
    }
}

/// `portal accounts history IK`: when (German time), what, which browser family.
pub fn history_table(entries: &[portal_core::accounts::HistoryLine], lang: Lang) -> String {
    let mut lines = vec![match lang {
        Lang::De => "Zeit;Ereignis;Browser".to_string(),
        Lang::En => "time;event;browser".to_string(),
    }];
    for entry in entries {
        let (day, clock) = portal_domain::german_day_and_clock(entry.at);
        let browser = entry.browser.map_or("–", |b| b.name());
        lines.push(format!("{day} {clock};{};{browser}", entry.event.as_str()));
    }
    if entries.is_empty() {
        lines.push(match lang {
            Lang::De => "Keine Einträge in den letzten 90 Tagen.".into(),
            Lang::En => "No entries in the last 90 days.".into(),
        });
    }
    lines.join("\n")
}

/// `portal reports IK`: a practice's reports as the back office may see them (metadata only; the
/// contents are sealed and this has no way to open them).
pub fn reports_table(reports: &[portal_core::model::StoredReport], lang: Lang) -> String {
    use portal_core::model::stored::report::name_of;
    let when = |at: Option<time::OffsetDateTime>| {
        at.map(|at| portal_domain::german_date(at).to_string()).unwrap_or_else(|| "–".into())
    };
    let mut lines = vec![match lang {
        Lang::De => "Bericht;Status;Art;Bereich;angelegt;versandt;zugestellt;Fehler".to_string(),
        Lang::En => "report;status;kind;area;created;sent;delivered;failure".to_string(),
    }];
    for r in reports {
        lines.push(format!(
            "{};{};{};{};{};{};{};{}",
            r.id,
            r.status.as_str(),
            r.kind.map(name_of).unwrap_or_default(),
            r.area.map(name_of).unwrap_or_default(),
            when(Some(r.created_at)),
            when(r.queued_at),
            when(r.delivered_at),
            r.failure.map(|f| f.code()).unwrap_or_default(),
        ));
    }
    if reports.is_empty() {
        lines.push(match lang {
            Lang::De => "Keine Berichte.".into(),
            Lang::En => "No reports.".into(),
        });
    }
    lines.join("\n")
}
