//! Die Texte der API auf Deutsch, in den Worten der Faltblätter und Schulungsunterlagen.

use portal_domain::counted;

use super::{Catalogue, Desk, Text};

pub struct German;

impl Catalogue for German {
    fn text(&self, text: &Text) -> String {
        match text {
            Text::NotJson => "Die Anfrage ist kein gültiges JSON.".into(),
            Text::NotAnObject => "Die Anfrage muss ein JSON-Objekt mit benannten Feldern sein.".into(),
            Text::UnknownField => "Die Anfrage enthält ein unbekanntes Feld.".into(),
            Text::UnexpectedShape => "Die Anfrage hat nicht die erwartete Form.".into(),
            Text::UnsupportedMediaType => {
                "Bitte senden Sie JSON (Content-Type: application/json).".into()
            }
            Text::TooLarge => "Die Anfrage ist zu groß (höchstens 16 KiB, ein Therapiebericht 128 KiB).".into(),
            Text::TooSlow => "Die Anfrage kam nicht rechtzeitig vollständig an.".into(),
            Text::NotFound => "Diese Adresse gibt es nicht.".into(),
            Text::HeilmittelOnly => "Therapieberichte schreiben Heilmittelpraxen; Ihr IK ist im Verzeichnis einem anderen Berufsfeld zugeordnet.".into(),
            Text::QueryTooShort => "Bitte geben Sie mindestens zwei Buchstaben des Namens, eine LANR, eine BSNR oder eine Postleitzahl ein.".into(),
            Text::ReportNotFound => "Diesen Bericht gibt es nicht (oder nicht für Ihre Praxis).".into(),
            Text::ReportSent => "Der Bericht wurde versandt und kann nicht mehr geändert werden. Für eine Korrektur schreiben Sie bitte einen neuen Bericht, der den alten korrigiert.".into(),
            Text::InvalidProof => "Das ist kein Nachweis dieses Portals.".into(),
            Text::ReportChanged => "Der Bericht wurde in der Zwischenzeit geändert. Bitte laden Sie ihn neu.".into(),
            Text::ContentsExpired => "Der Inhalt dieses Berichts wird nicht mehr aufbewahrt (Entwürfe 90 Tage, versandte Berichte 30 Tage nach dem letzten Status).".into(),
            Text::IdempotencyKeyRequired => "Zum Senden fehlt der Kopf „Idempotency-Key“ (1 bis 100 sichtbare Zeichen).".into(),
            Text::NoEarztbrief => "Diese Arztpraxis empfängt keine eArztbriefe. Bitte drucken Sie den Bericht (Vorschau) und übergeben Sie ihn auf anderem Weg.".into(),
            Text::UnknownReport => "Der zu korrigierende Bericht ist kein versandter Bericht Ihrer Praxis.".into(),
            Text::ReportIncomplete => "Der Bericht ist noch nicht vollständig.".into(),
            Text::PdfTooLarge => "Die PDF-Datei ist größer als 10 MB. Bitte verkleinern Sie sie (zum Beispiel ohne eingebettete Bilder in hoher Auflösung).".into(),
            Text::PdfInvalid => "Die Datei ist keine lesbare PDF-Datei. Bitte speichern Sie den Bericht erneut als PDF.".into(),
            Text::PdfEncrypted => "Die PDF-Datei ist verschlüsselt oder kennwortgeschützt. Bitte laden Sie sie ohne Kennwortschutz hoch.".into(),
            Text::PdfTooManyPages => "Die PDF-Datei hat mehr als 100 Seiten.".into(),
            Text::DirectUploadOnly => "Dieses Portal nimmt das PDF direkt an (PUT …/attachment).".into(),
            Text::UploadMissing => "Das hochgeladene PDF ist nicht angekommen oder nicht mehr da. Bitte laden Sie es erneut hoch.".into(),
            Text::AttachmentMissing => "Das hochgeladene PDF wird nicht mehr aufbewahrt. Bitte laden Sie es erneut hoch.".into(),
            Text::ServiceNotOffered => "Diesen Dienst bietet Ihre Krankenkasse in diesem Portal nicht an.".into(),
            Text::CrossSite => "Diese Anfrage kam von einer anderen Website und wurde deshalb abgelehnt. Bitte nutzen Sie das Serviceportal direkt.".into(),
            Text::UnknownTenant => "Unter dieser Adresse ist kein Serviceportal einer Krankenkasse eingerichtet.".into(),
            Text::MethodNotAllowed => "Diese Adresse kann so nicht aufgerufen werden.".into(),
            Text::InvalidInput => "Die Eingabe ist unvollständig oder fehlerhaft.".into(),
            Text::Internal => {
                "Ein technischer Fehler ist aufgetreten. Bitte versuchen Sie es später erneut.".into()
            }
            Text::Unavailable => "Der Dienst ist vorübergehend nicht erreichbar. Bitte versuchen Sie es in einigen Minuten erneut.".into(),
            Text::ChallengesUsedUp => "Gerade werden sehr viele Registrierungen begonnen. Bitte versuchen Sie es in einer Minute erneut.".into(),
            Text::TermsRequired => "Bitte akzeptieren Sie die Nutzungsbedingungen.".into(),
            Text::ChallengeInvalid => "Die Sicherheitsprüfung ist abgelaufen oder ungültig. Bitte starten Sie die Registrierung erneut.".into(),
            Text::UnknownIk { desk } => format!(
                "Dieses IK ist in unserem Verzeichnis der Leistungserbringer nicht hinterlegt. Bitte wenden Sie sich an {}.",
                service(desk, Case::Accusative)
            ),
            Text::AlreadyActive => "Für dieses IK besteht bereits ein Zugang. Kennwort vergessen? Nutzen Sie „Passwort zurücksetzen“ mit Ihrer Prüfnummer.".into(),
            Text::LettersOnTheWay { until, desk } => format!(
                "Für dieses IK sind bereits Schreiben mit Initialkennwort und Prüfnummer unterwegs; sie bleiben gültig. Neue Schreiben können Sie ab dem {until} Uhr anfordern, oder {} sendet sie Ihnen. Wir haben die Anschrift des IK über diese Anfrage informiert.",
                service(desk, Case::Nominative)
            ),
            Text::RegistrationInProgress => "Für dieses IK läuft gerade eine andere Registrierung. Bitte versuchen Sie es gleich noch einmal.".into(),
            Text::WrongPassword => "Benutzername (IK) oder Kennwort ist falsch.".into(),
            Text::BackofficeWrongPassword => "Name oder Kennwort ist falsch.".into(),
            Text::WrongPruefnummer => "IK oder Prüfnummer ist falsch.".into(),
            Text::ChallengeRequired => "Für dieses IK gab es heute mehrere Fehlversuche. Zum Schutz Ihres Zugangs löst Ihr Browser vor der Anmeldung eine Sicherheitsprüfung; bitte melden Sie sich erneut an.".into(),
            Text::TooManyAttempts { minutes } => format!(
                "Zu viele Fehlversuche von diesem Anschluss. Bitte versuchen Sie es in {} erneut.",
                counted(*minutes, "Minute", "Minuten")
            ),
            Text::Blocked { desk } => format!(
                "Ihr Zugang ist gesperrt. Bitte wenden Sie sich an {}.",
                service(desk, Case::Accusative)
            ),
            Text::Inactive => "Ihr Zugang wurde länger als 180 Tage nicht genutzt. Bitte aktivieren Sie ihn mit Ihrer Prüfnummer wieder („Passwort zurücksetzen“).".into(),
            Text::InitialPasswordExpired => "Ihr Initialkennwort ist abgelaufen. Bitte registrieren Sie sich erneut; Sie erhalten dann neue Schreiben.".into(),
            Text::UseBothLetters => "Für diesen Zugang wurde noch kein eigenes Kennwort vergeben. Melden Sie sich bitte mit dem Initialkennwort aus dem ersten Schreiben an und vergeben Sie Ihr Kennwort mit der Prüfnummer aus dem zweiten Schreiben. Fehlt Ihnen ein Schreiben, registrieren Sie sich bitte erneut.".into(),
            Text::LogIn => "Bitte melden Sie sich an.".into(),
            Text::SessionExpired => "Ihre Sitzung ist abgelaufen. Bitte melden Sie sich erneut an.".into(),
            Text::PasswordChangeRequired => {
                "Bitte vergeben Sie zuerst mit Ihrer Prüfnummer ein eigenes Kennwort.".into()
            }
            Text::SecondFactorRequired => "Bitte geben Sie den Code aus Ihrer Authenticator-App ein, um die Anmeldung abzuschließen.".into(),
            Text::SecondFactorEnrolmentRequired => "Ihre Krankenkasse verlangt für das Serviceportal einen zweiten Faktor. Bitte richten Sie zuerst eine Authenticator-App ein.".into(),
            Text::WrongCode => "Der Code ist falsch oder wurde schon verwendet. Bitte geben Sie den aktuellen Code aus Ihrer App ein.".into(),
            Text::PasskeyRefused => "Der Passkey wurde nicht angenommen. Bitte versuchen Sie es noch einmal.".into(),
            Text::PasskeyRequired => "Bitte bestätigen Sie zusätzlich mit Ihrem Passkey.".into(),
            Text::PasskeysUnavailable => "Unter dieser Adresse des Portals können keine Passkeys verwendet werden.".into(),
            Text::WrongCurrentPassword => "Das Kennwort ist falsch.".into(),
            Text::CodeRequired => "Bitte geben Sie zusätzlich den aktuellen Code aus Ihrer Authenticator-App ein.".into(),
            Text::PasswordRequired => "Bitte bestätigen Sie die Änderung mit Ihrem Kennwort.".into(),
            Text::CurrentPasswordRequired => "Ihr Zugang hat bereits ein eigenes Kennwort. Zum Ändern geben Sie bitte Ihr aktuelles Kennwort ein.".into(),
            Text::SecondFactorActive => "Für Ihren Zugang ist bereits eine Authenticator-App eingerichtet. Entfernen Sie sie zuerst, um eine neue einzurichten.".into(),
            Text::NoSecondFactor => "Für Ihren Zugang ist dieser zweite Faktor weder eingerichtet noch in Einrichtung.".into(),
            Text::BlockLinkInvalid => "Dieser Link gilt nicht (mehr): Er ist unbekannt, älter als sieben Tage oder wurde schon verwendet. Bitte wenden Sie sich an unseren Leistungserbringer-Service.".into(),
            Text::SessionEndedAfterFailures => "Zu viele Fehlversuche: Ihre Sitzung wurde beendet. Bitte melden Sie sich erneut an.".into(),
            Text::SessionNotFound => "Diese Sitzung gibt es nicht (mehr).".into(),
            Text::QuotaUsedUp { quota } => format!(
                "Das Tageskontingent von {quota} Abfragen ist erreicht. Ab Mitternacht sind wieder Abfragen möglich."
            ),
            Text::TooFast => "Zu viele Abfragen in kurzer Zeit. Bitte warten Sie einen Moment.".into(),
            Text::AuditUnavailable => "Die Abfrage konnte nicht protokolliert werden. Ohne Protokoll zeigen wir kein Ergebnis; bitte versuchen Sie es in einigen Minuten erneut.".into(),
            Text::ProofChecksUsedUp => "Zu viele Nachweise in kurzer Zeit geprüft. Bitte versuchen Sie es in einer Minute erneut.".into(),
            Text::PageNotFound => "Diese Informationsseite gibt es nicht (oder noch nicht).".into(),
            Text::UnknownBerufsfeld => "Dieses Berufsfeld gibt es nicht. Möglich sind apotheke, heilmittel, hilfsmittel und sonstige.".into(),
        }
    }
}

enum Case {
    Nominative,
    Accusative,
}

/// "den Leistungserbringer-Service der AOK PLUS (Servicetelefon: …)", or "unseren …".
fn service(desk: &Desk, case: Case) -> String {
    match (&desk.insurer, case) {
        (Some((name, contact)), Case::Nominative) => {
            format!("der Leistungserbringer-Service der {name} ({contact})")
        }
        (Some((name, contact)), Case::Accusative) => {
            format!("den Leistungserbringer-Service der {name} ({contact})")
        }
        (None, Case::Nominative) => "unser Leistungserbringer-Service".into(),
        (None, Case::Accusative) => "unseren Leistungserbringer-Service".into(),
    }
}
