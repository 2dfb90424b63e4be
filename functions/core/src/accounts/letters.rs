//! The credential letters and notices as complete RFC 5322 messages (UTF-8 text, 8bit), in the
//! words of the insurer's flyer. The secret stands on a line of its own, so that a print service
//! or a person finds it at once.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use portal_domain::{Provider, Pruefnummer, german_date, german_day};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc2822;

use crate::model::{FactorKind, Letter, LetterId, LetterKind, Sender};

/// Without the provider's name: it stands in the address, and "der {name}" would be wrong German
/// for a "Sanitätshaus".
const GREETING: &str = "Sehr geehrte Damen und Herren,\n\n";

/// RFC 2047 for header words outside ASCII ("Prüfnummer").
fn header_text(text: &str) -> String {
    if text.is_ascii() { text.to_string() } else { encoded_word(text) }
}

fn encoded_word(text: &str) -> String {
    format!("=?UTF-8?B?{}?=", STANDARD.encode(text))
}

/// A display name in an address: as it is when it is plain words, quoted when it has
/// punctuation ("Praxis A. Muster, Inh."), encoded when it is not ASCII.
fn display_name(name: &str) -> String {
    let plain =
        name.chars().all(|c| c.is_ascii_alphanumeric() || " !#$%&'*+-/=?^_`{|}~".contains(c));
    if plain {
        name.to_string()
    } else if name.is_ascii() && !name.chars().any(|c| c.is_ascii_control()) {
        format!("\"{}\"", name.replace('\\', "\\\\").replace('"', "\\\""))
    } else {
        encoded_word(name)
    }
}

pub(crate) struct Compose<'a> {
    pub sender: &'a Sender,
    pub provider: &'a Provider,
    pub generation: u32,
    pub now: OffsetDateTime,
}

impl Compose<'_> {
    fn letter(&self, kind: LetterKind, subject: &str, body: &str) -> Letter {
        let id = LetterId::new();
        let domain = self.sender.address.rsplit_once('@').map_or("portal.example", |(_, d)| d);
        let date = self.now.format(&Rfc2822).unwrap_or_default();
        let message = format!(
            "From: {from_name} <{from}>\r\n\
             To: {to_name} <{to}>\r\n\
             Subject: {subject}\r\n\
             Date: {date}\r\n\
             Message-ID: <{id}@{domain}>\r\n\
             MIME-Version: 1.0\r\n\
             Content-Type: text/plain; charset=utf-8\r\n\
             Content-Transfer-Encoding: 8bit\r\n\
             X-Portal-Letter: {kind}\r\n\
             \r\n\
             {body}",
            from_name = display_name(&self.sender.name),
            from = self.sender.address,
            to_name = display_name(&self.provider.name),
            to = self.provider.email.as_str(),
            subject = header_text(subject),
            kind = kind.as_str(),
            body = self.with_letterhead(body).replace('\n', "\r\n"),
        );
        Letter {
            id,
            ik: self.provider.ik,
            kind,
            generation: self.generation,
            recipient: self.provider.email.as_str().to_string(),
            message,
            created_at: self.now,
        }
    }

    /// The tenant's letterhead above the text, its service line below.
    fn with_letterhead(&self, body: &str) -> String {
        let mut letter = String::new();
        for line in &self.sender.postal_address {
            letter.push_str(line);
            letter.push('\n');
        }
        if !letter.is_empty() {
            letter.push('\n');
        }
        letter.push_str(body);
        if !self.sender.service_line.is_empty() {
            letter.push_str("\n-- \n");
            letter.push_str(&self.sender.service_line);
            letter.push('\n');
        }
        letter
    }

    fn closing(&self) -> String {
        format!("\nMit freundlichen Grüßen\nIhr {}\n", self.sender.name)
    }

    /// The closing of both credential letters.
    fn footer(&self) -> String {
        self.closing()
            + "\nHaben Sie diese Registrierung nicht veranlasst? Dann wenden Sie sich bitte an unseren \
               Leistungserbringer-Service; ohne beide Schreiben kann niemand Ihren Zugang nutzen.\n"
    }

    pub fn initial_password(&self, password: &str, valid_until: OffsetDateTime) -> Letter {
        let today = german_day(german_date(self.now));
        let body = format!(
            "{greeting}für Ihr Institutionskennzeichen (IK) {ik} wurde am {today} ein Zugang zum \
             Serviceportal für Leistungserbringer registriert. Ihr Initialkennwort lautet:\n\n\
             Initialkennwort: {password}\n\n\
             Die Prüfnummer erhalten Sie in einem getrennten Schreiben.\n\n\
             So geht es weiter, wenn Sie beide Schreiben haben:\n\
             1. Rufen Sie {url} auf.\n\
             2. Melden Sie sich mit Ihrem Benutzernamen (9-stellige IK-Nummer: {ik}) und dem \
             Initialkennwort an.\n\
             3. Vergeben Sie mithilfe Ihrer Prüfnummer ein individuelles Kennwort, das Sie künftig \
             für die Anmeldung verwenden.\n\n\
             Das Initialkennwort gilt bis zum {until}.\n{footer}",
            greeting = GREETING,
            ik = self.provider.ik,
            url = self.sender.portal_url,
            until = german_day(german_date(valid_until)),
            footer = self.footer(),
        );
        self.letter(LetterKind::InitialPassword, "Ihr Initialkennwort für das Serviceportal", &body)
    }

    pub fn pruefnummer(&self, pruefnummer: &Pruefnummer) -> Letter {
        let today = german_day(german_date(self.now));
        let body = format!(
            "{greeting}für Ihr Institutionskennzeichen (IK) {ik} wurde am {today} ein Zugang zum \
             Serviceportal für Leistungserbringer registriert. Ihre Prüfnummer lautet:\n\n\
             Prüfnummer: {pruefnummer}\n\n\
             Das Initialkennwort erhalten Sie in einem getrennten Schreiben. Mit der Prüfnummer \
             vergeben Sie bei der ersten Anmeldung unter {url} ein individuelles Kennwort.\n\n\
             Hinweis: Bewahren Sie die Prüfnummer sicher auf. Sie können damit Ihren Zugang nach \
             längerer Nicht-Nutzung des Serviceportals bzw. beim Verlust des Passwortes wieder \
             aktivieren.\n{footer}",
            greeting = GREETING,
            ik = self.provider.ik,
            pruefnummer = pruefnummer.formatted(),
            url = self.sender.portal_url,
            footer = self.footer(),
        );
        self.letter(LetterKind::Pruefnummer, "Ihre Prüfnummer für das Serviceportal", &body)
    }

    /// The password was changed or reset; `block` is the link that blocks the account.
    pub fn password_changed(&self, block: &BlockLink) -> Letter {
        let when = german_date_and_time(self.now);
        let body = format!(
            "{greeting}das Kennwort Ihres Zugangs zum Serviceportal für Leistungserbringer \
             (IK {ik}) wurde am {when} Uhr geändert.\n\n{not_you}{footer}",
            greeting = GREETING,
            ik = self.provider.ik,
            not_you = not_you(block),
            footer = self.closing(),
        );
        self.letter(
            LetterKind::PasswordChanged,
            "Ihr Kennwort im Serviceportal wurde geändert",
            &body,
        )
    }

    /// The second factor was enrolled, removed, or reset by the back office (`block`: the link
    /// that blocks the account, for a change the provider made, or someone in their name).
    pub fn factor_changed(&self, change: FactorChange, block: Option<&BlockLink>) -> Letter {
        let when = german_date_and_time(self.now);
        let what = match change {
            FactorChange::Enrolled(FactorKind::Totp) => {
                "wurde eine Authenticator-App als zweiter Faktor eingerichtet"
            }
            FactorChange::Enrolled(FactorKind::Passkey) => {
                "wurde ein Passkey als zweiter Faktor eingerichtet"
            }
            FactorChange::Removed(FactorKind::Totp) => {
                "wurde der zweite Faktor (Authenticator-App) entfernt"
            }
            FactorChange::Removed(FactorKind::Passkey) => {
                "wurde der zweite Faktor (Passkey) entfernt"
            }
            FactorChange::Reset => {
                "hat unser Leistungserbringer-Service den zweiten Faktor entfernt; alle \
                 Sitzungen wurden beendet. Sie melden sich jetzt mit Ihrem Kennwort allein an \
                 und können in der Anwendung unter \"Sicherheit\" eine neue Authenticator-App \
                 oder einen Passkey einrichten"
            }
        };
        let not_you = match block {
            Some(block) => not_you(block),
            None => "Haben Sie das nicht veranlasst? Dann wenden Sie sich bitte sofort an unseren \
                     Leistungserbringer-Service.\n"
                .to_string(),
        };
        let body = format!(
            "{greeting}für Ihren Zugang zum Serviceportal für Leistungserbringer (IK {ik}) \
             {what} (am {when} Uhr).\n\n{not_you}{footer}",
            greeting = GREETING,
            ik = self.provider.ik,
            footer = self.closing(),
        );
        self.letter(
            LetterKind::FactorChanged,
            "Der zweite Faktor Ihres Zugangs zum Serviceportal wurde geändert",
            &body,
        )
    }

    /// A login from a browser not seen before for the account: when, which browser family, and
    /// the coarse network (never the address).
    pub fn new_browser(&self, browser: &str, network: &str) -> Letter {
        let body = format!(
            "{greeting}am {when} Uhr hat sich jemand mit Ihrem Zugang zum Serviceportal für \
             Leistungserbringer (IK {ik}) in einem Browser angemeldet, in dem Ihr Zugang bisher \
             nicht genutzt wurde.\n\n\
             Browser: {browser}\n\
             Netz: {network}\n\n\
             Waren Sie das, brauchen Sie nichts zu tun. Waren Sie es nicht, dann ändern Sie bitte \
             sofort Ihr Kennwort (\"Sicherheit\" in der Anwendung, oder \"Passwort \
             zurücksetzen\" mit Ihrer Prüfnummer unter {url}) und informieren Sie unseren \
             Leistungserbringer-Service.\n{footer}",
            greeting = GREETING,
            when = german_date_and_time(self.now),
            ik = self.provider.ik,
            url = self.sender.portal_url,
            footer = self.closing(),
        );
        self.letter(
            LetterKind::NewBrowser,
            "Anmeldung in einem neuen Browser im Serviceportal",
            &body,
        )
    }

    /// Someone asked for new letters while the earlier ones may still be in the post: they stay
    /// valid, and the provider learns of the attempt.
    pub fn registration_repeated(&self, sent_at: OffsetDateTime, until: OffsetDateTime) -> Letter {
        let body = format!(
            "{greeting}am {when} Uhr wurden für Ihr Institutionskennzeichen (IK) {ik} erneut \
             Zugangsdaten zum Serviceportal für Leistungserbringer angefordert.\n\n\
             Ihre Schreiben vom {sent} (Initialkennwort und Prüfnummer) bleiben gültig; es wurden \
             keine neuen Zugangsdaten erstellt. Bitte vergeben Sie damit unter {url} Ihr eigenes \
             Kennwort.\n\n\
             Haben Sie die Schreiben nicht erhalten? Ab dem {until} Uhr können Sie neue anfordern, \
             oder unser Leistungserbringer-Service sendet sie Ihnen. Haben Sie die neue \
             Anforderung nicht selbst gestellt, brauchen Sie nichts zu tun.\n{footer}",
            greeting = GREETING,
            when = german_date_and_time(self.now),
            ik = self.provider.ik,
            sent = german_day(german_date(sent_at)),
            url = self.sender.portal_url,
            until = german_date_and_time(until),
            footer = self.closing(),
        );
        self.letter(
            LetterKind::RegistrationRepeated,
            "Erneute Anforderung von Zugangsdaten für das Serviceportal",
            &body,
        )
    }
}

/// What a change notice was about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FactorChange {
    Enrolled(FactorKind),
    Removed(FactorKind),
    /// By the back office.
    Reset,
}

/// The link of a change notice that blocks the account, and until when it works.
#[derive(Debug, Clone)]
pub struct BlockLink {
    pub url: String,
    pub valid_until: OffsetDateTime,
}

/// The label of the block link's line (the tests read the link after it).
pub const BLOCK_LINK_LABEL: &str = "Zugang sperren";

/// "Was it not you?" with the link on a line of its own.
fn not_you(block: &BlockLink) -> String {
    format!(
        "Waren Sie das nicht? Dann sperren Sie Ihren Zugang bitte sofort über diesen Link \
         (gültig bis {until} Uhr):\n\n\
         {label}: {url}\n\n\
         Damit enden alle Sitzungen, das Kennwort wird ungültig, und Sie erhalten neue \
         Zugangsdaten (Initialkennwort und Prüfnummer) in zwei Schreiben. Bitte informieren Sie \
         außerdem unseren Leistungserbringer-Service.\n",
        until = german_date_and_time(block.valid_until),
        label = BLOCK_LINK_LABEL,
        url = block.url,
    )
}

/// "04.05.2026 um 10:00" in German local time.
fn german_date_and_time(at: OffsetDateTime) -> String {
    let (day, clock) = portal_domain::german_day_and_clock(at);
    format!("{day} um {clock}")
}

/// Reads the secret back out of a letter's text: what a person does with the paper, and what
/// the tests do with the outbox.
pub fn secret_in(message: &str, label: &str) -> Option<String> {
    message
        .lines()
        .find_map(|line| line.strip_prefix(label).and_then(|rest| rest.strip_prefix(": ")))
        .map(|secret| secret.trim().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_are_plain_quoted_or_encoded_as_rfc_5322_requires() {
        assert_eq!(display_name("Muster-Apotheke am Altmarkt"), "Muster-Apotheke am Altmarkt");
        assert_eq!(display_name("Praxis A. Muster, Inh."), "\"Praxis A. Muster, Inh.\"");
        assert_eq!(
            display_name("Apotheke \"Zum Löwen\""),
            "=?UTF-8?B?QXBvdGhla2UgIlp1bSBMw7Z3ZW4i?="
        );
        assert_eq!(display_name("Say \"hi\""), "\"Say \\\"hi\\\"\"");
    }
}
