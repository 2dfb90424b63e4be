//! Every text of the app in German and English. The `texts!` table needs both languages for each
//! key, so a missing translation does not compile.

use leptos::prelude::*;
pub use portal_domain::Lang;

/// A table of texts: the enum of its keys, the table, and the function that reads it. The
/// account's module has a table of its own (`pages/security.rs`), so its texts stay out of the
/// app's wasm.
macro_rules! texts {
    ($t:ident, $text:ident; $($key:ident => $de:expr, $en:expr;)*) => {
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum $t { $($key),* }

        /// German and English of each key, in the order of the enum (a table, not a `match`:
        /// the wasm keeps it as data instead of code).
        const TEXTS: &[[&str; 2]] = &[$([$de, $en]),*];

        pub fn $text(lang: Lang, key: $t) -> &'static str {
            TEXTS[key as usize][match lang { Lang::De => 0, Lang::En => 1 }]
        }
    };
}
pub(crate) use texts;

texts! { T, text;
    PortalTitle => "Serviceportal für Leistungserbringer", "Service portal for providers";
    SkipToContent => "Zum Inhalt springen", "Skip to content";
    SwitchLanguage => "English", "Deutsch";
    SwitchLanguageLabel => "Sprache wechseln: English", "Switch language: Deutsch";
    ChooseService => "Wählen Sie Ihren gewünschten Service:", "Choose the service you need:";
    OhaTitle => "Online-Hintergrund-Abfrage", "Online background query (OHA)";
    OhaIntro => "Die Online-Hintergrundabfrage bietet die Möglichkeit, den Befreiungsstatus der Zuzahlung im Rahmen einer Leistung digital und sicher abzufragen.", "The online background query lets you check a patient's co-payment exemption digitally and securely.";
    EtbTitle => "elektronischer Therapiebericht", "electronic therapy report";
    EtbIntro => "Der eTB bietet die Möglichkeit, den ärztlich angeforderten Therapiebericht auf sicherem Weg von der Therapeutischen Praxis an die Arztpraxis in digitaler Form zu übermitteln.", "The eTB sends the therapy report a physician asked for securely and digitally from the therapy practice to the physician.";
    EtbShort => "eTherapiebericht", "eTherapiebericht (therapy reports)";
    InfoTitle => "Informationen für Leistungserbringer", "Information for providers";
    InfoIntro => "Zuzahlungen, Befreiungen, Therapieberichte und die Services des Portals, nach Berufsfeld geordnet.", "Co-payments, exemptions, therapy reports and the portal's services, by field.";
    InfoLink => "Zu den Informationen", "To the information pages";
    Login => "Anmelden", "Log in";
    Logout => "Abmelden", "Log out";
    Register => "Registrieren", "Register";
    ResetPassword => "Passwort zurücksetzen", "Reset password";
    LoginProblems => "Probleme mit der Anmeldung?", "Trouble logging in?";
    UserName => "Benutzername (9-stellige IK-Nummer)", "User name (9-digit IK)";
    Password => "Passwort", "Password";
    Ik => "Institutionskennzeichen (IK)", "Institution code (IK)";
    IkHint => "9 Ziffern, z. B. 301412340", "9 digits, e.g. 301412340";
    IkValid => "Das IK ist gültig.", "The IK is valid.";
    TermsTitle => "Nutzungsbedingungen", "Terms of use";
    TermsText => "Der Zugang darf nur für Abfragen zu Versicherten genutzt werden, die sich bei Ihnen in Behandlung oder Versorgung befinden und eingewilligt haben. Jede Abfrage wird mit der Einwilligungserklärung protokolliert.", "Access may only be used for insured persons you treat or supply and who consented. Every query is recorded with the consent declaration.";
    AcceptTerms => "Einverstanden mit den Nutzungsbedingungen \"Online Hintergrundabfrage\"", "I accept the terms of use of the online background query";
    SecurityCheck => "Sicherheitsprüfung", "Security check";
    SecurityCheckRunning => "Ihr Browser löst die Sicherheitsprüfung …", "Your browser is solving the security check …";
    SecurityCheckDone => "Sicherheitsprüfung abgeschlossen.", "Security check complete.";
    RegisteredTitle => "Registrierung abgeschlossen", "Registration complete";
    RegisteredText => "In den darauffolgenden Tagen erhalten Sie in getrennten Schreiben Ihr Initialkennwort, eine Prüfnummer sowie Hinweise zur weiteren Vorgehensweise.", "In the following days you will receive your initial password, a Prüfnummer and how to continue, in separate letters.";
    LettersGoTo => "Die Schreiben gehen an die bei uns hinterlegte Adresse:", "The letters go to the address we have on file:";
    FirstLoginHint => "Haben Sie beide Schreiben erhalten, melden Sie sich mit Ihrem Benutzernamen und dem Initialkennwort an.", "Once you have both letters, log in with your user name and the initial password.";
    SetPasswordTitle => "Eigenes Kennwort vergeben", "Set your own password";
    SetPasswordIntro => "Mithilfe Ihrer Prüfnummer vergeben Sie ein individuelles Kennwort, welches Sie zukünftig für die Anmeldung im Portal verwenden.", "With your Prüfnummer you set your own password for future logins.";
    Pruefnummer => "Prüfnummer", "Prüfnummer (check number)";
    PruefnummerHint => "12 Zeichen aus Ihrem Schreiben, z. B. ABCD-EFGH-JK12", "12 characters from your letter, e.g. ABCD-EFGH-JK12";
    NewPassword => "Neues Kennwort", "New password";
    RuleLength => "mindestens 12 und höchstens 128 Zeichen", "at least 12 and at most 128 characters";
    RuleNoIk => "enthält nicht Ihr IK", "does not contain your IK";
    RuleGuessable => "nicht leicht zu erraten: ein Satz aus mehreren Wörtern ist sicher und gut zu merken", "not easy to guess: a sentence of several words is safe and easy to remember";
    SavePassword => "Kennwort speichern", "Save password";
    PasswordSaved => "Ihr Kennwort ist gespeichert. Sie erhalten eine Bestätigung per Post an die hinterlegte Adresse.", "Your password is saved. A confirmation goes to the address on file.";
    ResetIntro => "Mit Ihrer Prüfnummer vergeben Sie ein neues Kennwort, auch wenn Ihr Zugang länger nicht genutzt wurde.", "With your Prüfnummer you set a new password, also when your account was not used for a long time.";
    ToLogin => "Zur Anmeldung", "To the login";
    TotpCode => "Bestätigungscode aus Ihrer Authenticator-App", "Confirmation code from your authenticator app";
    RecoveryCode => "Wiederherstellungscode", "Recovery code";
    UseRecoveryCode => "Wiederherstellungscode verwenden", "Use a recovery code";
    UseTotpCode => "Code aus der Authenticator-App verwenden", "Use the code from the authenticator app";
    UsePasskey => "Passkey verwenden", "Use the passkey";
    PasskeyStep => "Bestätigen Sie die Anmeldung mit Ihrem Passkey. Ihr Browser fragt danach, sobald Sie auf „Anmelden“ klicken.", "Confirm the login with your passkey. Your browser asks for it once you click “Log in”.";
    PasskeyNotUsed => "Der Passkey wurde nicht verwendet: abgebrochen, oder auf diesem Gerät ist keiner für Ihren Zugang.", "The passkey was not used: cancelled, or this device has none for your account.";
    ChangePasswordTitle => "Kennwort ändern", "Change your password";
    ChangePasswordIntro => "Geben Sie Ihr aktuelles Kennwort und ein neues ein. Ihre anderen Sitzungen werden dabei beendet.", "Enter your current password and a new one. Your other sessions end.";
    CurrentPassword => "Aktuelles Kennwort", "Current password";
    SecurityTitle => "Sicherheit", "Security";
    SecurityLink => "Sicherheit Ihres Zugangs: Zwei-Faktor-Anmeldung, Sitzungen, Kennwort", "Security of your account: two-factor login, sessions, password";
    SearchTitle => "Suche", "Search";
    SearchIntro => "Geben Sie bitte eine KV-Nummer ein und bestätigen Sie eine der folgenden Erklärungen!", "Please enter an insurance number and confirm one of the following declarations.";
    Kvnr => "Versicherungsnummer", "Insurance number (KVNR)";
    KvnrHint => "1 Buchstabe und 9 Ziffern, z. B. A123456780", "1 letter and 9 digits, e.g. A123456780";
    KvnrValid => "Die Versicherungsnummer ist gültig.", "The insurance number is valid.";
    ConsentQuestion => "Welche Einwilligungserklärung trifft zu?", "Which consent declaration applies?";
    DispensingDate => "Tag der Abgabe (falls zu dokumentieren)", "Day of dispensing (where it must be documented)";
    Search => "Suche", "Search";
    ResultTitle => "Ergebnis", "Result";
    Year => "Jahr", "Year";
    Exempt => "Befreit", "Exempt";
    Yes => "Ja", "Yes";
    No => "Nein", "No";
    ValidFromTo => "Gültigkeit", "Valid";
    OnDispensingDate => "Am Tag der Abgabe befreit:", "Exempt on the day of dispensing:";
    PreviousYearNote => "Anzeige des Vorjahres bis 30.06. des laufenden Jahres.", "The previous year is shown until 30 June of the current year.";
    ThreeYearsNote => "Angezeigt werden das Vorjahr, das laufende und das kommende Jahr.", "The previous, the current and the next year are shown.";
    CurrentYearNote => "Angezeigt wird nur das laufende Jahr.", "Only the current year is shown.";
    YearsShownNow => "Das Ergebnis zeigt die Zuzahlungsbefreiung für {years}.", "The result shows the co-payment exemption for {years}.";
    And => " und ", " and ";
    NoHit => "Die Suche ergab keinen Treffer.", "The search found no record.";
    NoExemption => "Es liegt keine Zuzahlungsbefreiung vor.", "There is no co-payment exemption.";
    SearchAgain => "Erneute Suche", "Search again";
    Print => "Drucken", "Print";
    QueryId => "Abfrage-ID", "Query id";
    QueriedAt => "Abgefragt am", "Queried on";
    ProofTitle => "Nachweis (signiert)", "Proof (signed)";
    ProofQr => "QR-Code des Nachweises", "QR code of the proof";
    ProofCheck => "Prüfbar unter", "Can be checked at";
    SessionEndsIn => "Ihre Sitzung läuft in {n} Minuten ab.", "Your session ends in {n} minutes.";
    SessionEndsSoon => "Ihre Sitzung läuft in weniger als einer Minute ab.", "Your session ends in less than a minute.";
    ExtendSession => "Sitzung verlängern", "Extend session";
    SessionEndedTitle => "Ihre Sitzung ist abgelaufen", "Your session has ended";
    SessionEndedText => "Zu Ihrer Sicherheit wurden Sie abgemeldet: nach einer Zeit ohne Aktivität, nach spätestens 8 Stunden oder weil das Kennwort geändert wurde. Ihre Eingaben wurden nicht gespeichert.", "For your security you were logged out: after a while without activity, after 8 hours at most, or because the password was changed. Nothing you typed was stored.";
    LoggedOutTitle => "Sie sind abgemeldet", "You are logged out";
    Working => "Bitte warten …", "Please wait …";
    NotFoundTitle => "Diese Seite gibt es nicht", "This page does not exist";
    BackToStart => "Zur Startseite", "To the start page";
    Imprint => "Impressum", "Imprint";
    Privacy => "Datenschutz", "Privacy";
    Accessibility => "Barrierefreiheit", "Accessibility";
    Figures => "Servicezahlen", "Service figures";
    Terms => "Nutzungsbedingungen", "Terms of use";
    ImprintText => "Anbieter dieses Portals ist die gesetzliche Krankenkasse, Körperschaft des öffentlichen Rechts. Anschrift, Vertretung und Aufsichtsbehörde werden bei der Inbetriebnahme eingetragen.", "This portal is provided by the statutory health insurer, a public-law corporation. Address, representation and supervisory authority are filled in when the portal goes live.";
    PrivacyText => "Das Portal verarbeitet Ihr Institutionskennzeichen, Ihre Zugangsdaten (nur als Hashwerte) und jede Abfrage mit Einwilligungserklärung. Von Versicherten speichert es nur die Versicherungsnummer und die Initialen. Abfrageprotokolle werden zwei Jahre aufbewahrt.", "The portal processes your institution code, your credentials (only as hashes) and every query with its consent declaration. Of insured persons it keeps only the insurance number and the initials. Query records are kept for two years.";
    AccessibilityText => "Dieses Portal soll die WCAG 2.1 auf Stufe AA (BITV 2.0) erfüllen: alle Funktionen sind mit der Tastatur bedienbar, Fehler werden am Feld und für Screenreader angesagt, Texte haben ausreichenden Kontrast. Barrieren melden Sie bitte unserem Leistungserbringer-Service.", "This portal aims to meet WCAG 2.1 level AA (BITV 2.0): everything works with the keyboard, errors are shown at the field and announced to screen readers, and text has sufficient contrast. Please report barriers to our provider service.";
    CalcTitle => "Leistungsrechner", "Benefits calculator";
    CalcIntro => "Öffentliche Rechner zu Pflegeleistungen und Zuzahlungen. Die Beträge folgen der Rechtslage des gewählten Datums; jede Zeile nennt ihre Rechtsgrundlage.", "Public calculators for long-term-care benefits and co-payments. The amounts follow the law of the chosen date; each line names its legal basis.";
    CareCalcTitle => "Pflegeleistungen berechnen", "Calculate long-term-care benefits";
    CopayCalcTitle => "Zuzahlungen und Belastungsgrenze berechnen", "Calculate co-payments and the limit";
    Date => "Stichtag", "Date";
    Pflegegrad => "Pflegegrad", "Care grade (Pflegegrad)";
    Beihilfe => "Anspruch auf Beihilfe oder Heilfürsorge (Leistungen zur Hälfte)", "Entitled to Beihilfe or Heilfürsorge (benefits at half)";
    SachleistungUsed => "Im Monat genutzte Pflegesachleistung in Euro (für die Kombinationsleistung)", "Care in kind used in the month, in euros (for the combination)";
    HomeMonths => "Monate im Pflegeheim (für den Leistungszuschlag)", "Months in a care home (for the supplement)";
    Benefit => "Leistung", "Benefit";
    Amount => "Betrag", "Amount";
    LegalBasis => "Rechtsgrundlage", "Legal basis";
    PerMonth => "monatlich", "per month";
    PerYear => "jährlich", "per year";
    PerMeasure => "je Maßnahme", "per measure";
    LPflegegeld => "Pflegegeld", "Care allowance (Pflegegeld)";
    LSachleistung => "Pflegesachleistung", "Care in kind (Pflegesachleistung)";
    LKombination => "Pflegegeld bei Kombinationsleistung", "Care allowance in combination";
    LTagespflege => "Tages- und Nachtpflege", "Day and night care";
    LEntlastung => "Entlastungsbetrag", "Relief amount (Entlastungsbetrag)";
    LStationaer => "Vollstationäre Pflege", "Residential care";
    LZuschlag => "Leistungszuschlag auf den pflegebedingten Eigenanteil", "Supplement on the care-related own share";
    LKurzzeit => "Kurzzeitpflege (bis zu, mit Übertrag)", "Short-term care (up to, with transfer)";
    LVerhinderung => "Verhinderungspflege (bis zu, mit Übertrag)", "Respite care (up to, with transfer)";
    LGemeinsam => "Gemeinsamer Jahresbetrag für Kurzzeit- und Verhinderungspflege", "Joint annual budget for short-term and respite care";
    LHilfsmittel => "Pflegehilfsmittel zum Verbrauch", "Consumable care aids";
    LWohnumfeld => "Wohnumfeldverbessernde Maßnahmen", "Home adaptation";
    LWohngruppe => "Wohngruppenzuschlag", "Shared-housing supplement";
    LDipa => "Digitale Pflegeanwendungen und Unterstützung", "Digital care applications and support";
    HalfNote => "Mit Beihilfe oder Heilfürsorge werden alle Beträge zur Hälfte gezahlt (§ 28 Abs. 2 SGB XI).", "With Beihilfe or Heilfürsorge all amounts are paid at half (§ 28 (2) SGB XI).";
    LimitTitle => "Belastungsgrenze", "Co-payment limit";
    Year2 => "Kalenderjahr", "Calendar year";
    GrossIncome => "Bruttoeinnahmen des Haushalts im Jahr in Euro", "Household gross income in the year, in euros";
    Partner => "Ehe- oder Lebenspartner im Haushalt", "Spouse or partner in the household";
    OtherMembers => "Weitere Angehörige im Haushalt (ohne Kinder)", "Further relatives in the household (not children)";
    Children => "Kinder im Haushalt", "Children in the household";
    ChronicallyIll => "Chronisch krank (1 % statt 2 %)", "Chronically ill (1 % instead of 2 %)";
    Buergergeld => "Bürgergeld oder Sozialhilfe", "Bürgergeld or social assistance";
    Deductions => "Freibeträge", "Deductions";
    IncomeBasis => "Maßgebliche Einnahmen", "Relevant income";
    Percent => "Prozentsatz", "Percentage";
    LimitResult => "Belastungsgrenze im Jahr", "Limit for the year";
    ItemTitle => "Zuzahlung für eine Leistung", "Co-payment for one item";
    Kind => "Art der Leistung", "Kind of item";
    KArznei => "Arzneimittel", "Medicine";
    KHilfsmittel => "Hilfsmittel", "Medical aid";
    KHeilmittel => "Heilmittel (je Verordnung)", "Therapy (per prescription)";
    KHkp => "Häusliche Krankenpflege (je Verordnung)", "Home nursing (per prescription)";
    KKrankenhaus => "Krankenhaus", "Hospital";
    Price => "Preis bzw. Kosten in Euro", "Price or cost in euros";
    Days => "Tage im Krankenhaus", "Days in hospital";
    DaysPaid => "In diesem Jahr schon bezahlte Krankenhaustage", "Hospital days already paid this year";
    Zuzahlung => "Zuzahlung", "Co-payment";
    ShareLink => "Die Eingaben stehen in der Adresse dieser Seite: so lässt sich die Berechnung teilen.", "The inputs are part of this page's address, so the calculation can be shared.";
    ReportsTitle => "Therapieberichte", "Therapy reports";
    ReportsIntro => "Ihre Entwürfe und die im letzten Monat gesendeten Berichte, zuletzt geänderte zuerst.", "Your drafts and the reports sent in the last month, last changed first.";
    NewReport => "Neuer Therapiebericht", "New therapy report";
    Drafts => "Entwürfe", "Drafts";
    SentReports => "Gesendet", "Sent";
    NoReports => "Noch keine Therapieberichte.", "No therapy reports yet.";
    LastChange => "Letzte Änderung", "Last change";
    StDraft => "Entwurf", "Draft";
    StQueued => "in Warteschlange", "queued";
    StSent => "versandt", "sent";
    StDelivered => "zugestellt", "delivered";
    StRead => "gelesen", "read";
    StFailed => "fehlgeschlagen", "failed";
    SendAgain => "Erneut senden", "Send again";
    ContentsExpired => "Der Inhalt wird nicht mehr aufbewahrt.", "The contents are no longer kept.";
    Edit => "Bearbeiten", "Edit";
    Document => "PDF ansehen", "View PDF";
    ToList => "Zur Übersicht", "Back to the list";
    EditReport => "Therapiebericht bearbeiten", "Edit therapy report";
    Required => "Pflichtfelder sind mit * markiert.", "Required fields are marked with *.";
    ReportKindTitle => "Art des Berichts", "Kind of report";
    ReportTextTitle => "Bericht", "Report";
    SpecialTitle => "Angaben zum Bericht auf besondere Anforderung", "For the report on special request";
    ReportKindLabel => "Berichtsart", "Kind of report";
    KTherapiebericht => "Therapiebericht", "Therapy report";
    KVerordnungsbericht => "Verordnungsbericht", "Prescription report (speech therapy)";
    KBesondere => "Bericht auf besondere Anforderung", "Report on special request";
    KindHint => "Verordnungsbericht und Bericht auf besondere Anforderung gibt es nur in der Stimm-, Sprech-, Sprach- und Schlucktherapie.", "The prescription report and the report on special request exist in speech therapy only.";
    AreaLabel => "Heilmittelbereich", "Therapy area";
    APhysio => "Physiotherapie", "Physiotherapy";
    AErgo => "Ergotherapie", "Occupational therapy";
    ALogo => "Stimm-, Sprech-, Sprach- und Schlucktherapie", "Speech therapy";
    APodo => "Podologische Therapie", "Podiatry";
    AErnaehrung => "Ernährungstherapie", "Nutritional therapy";
    Choose => "Bitte wählen", "Please choose";
    PracticeTitle => "Absender: Ihre Praxis", "Sender: your practice";
    PracticeHint => "Aus dem Verzeichnis der Krankenkasse; Änderungen melden Sie bitte dort.", "From the insurer's directory; please report changes there.";
    PhysicianTitle => "Empfänger: Ärztin oder Arzt", "Recipient: physician";
    PhysicianSearch => "Ärztin oder Arzt suchen", "Search a physician";
    PhysicianHint => "Name, LANR, BSNR oder Postleitzahl; mit den Pfeiltasten auswählen und mit Enter übernehmen.", "Name, LANR, BSNR or postcode; choose with the arrow keys and Enter.";
    PhysicianResults => "Gefundene Ärztinnen und Ärzte", "Physicians found";
    NoPhysicianFound => "Keine Ärztin und kein Arzt gefunden.", "No physician found.";
    PhysicianChosen => "Ausgewählt:", "Chosen:";
    PhysicianMissing => "Bitte wählen Sie die Ärztin oder den Arzt, an die der Bericht geht.", "Please choose the physician the report goes to.";
    NoEarztbrief => "empfängt keine eArztbriefe", "receives no eArztbriefe";
    PrintInstead => "Diese Praxis empfängt keine eArztbriefe: Öffnen Sie den Bericht mit „Vorschau“, drucken Sie ihn und geben Sie ihn der Patientin oder dem Patienten mit.", "This practice receives no eArztbriefe: open the report with \"Preview\", print it and hand it to the patient.";
    PatientTitle => "Patientin oder Patient", "Patient";
    FirstName => "Vorname", "First name";
    LastName => "Nachname", "Last name";
    BirthDate => "Geburtsdatum", "Date of birth";
    InsurerIk => "IK der Krankenkasse", "Insurer's IK";
    InsurerIkHint => "9 Ziffern, wie auf der Verordnung", "9 digits, as on the prescription";
    PrescriptionTitle => "Verordnung", "Prescription";
    PrescriptionDate => "Verordnungsdatum", "Date of prescription";
    Lanr => "LANR der verordnenden Ärztin oder des verordnenden Arztes", "Prescriber's LANR";
    LanrHint => "Lebenslange Arztnummer, 9 Ziffern", "Lifelong physician number, 9 digits";
    Bsnr => "BSNR der verordnenden Praxis", "Prescribing practice's BSNR";
    BsnrHint => "Betriebsstättennummer, 9 Ziffern", "Practice site number, 9 digits";
    DiagnosisGroup => "Diagnosegruppe", "Diagnosis group";
    DiagnosisGroupHint => "wie auf der Verordnung, z. B. WS oder SP1", "as on the prescription, e.g. WS or SP1";
    Icd1 => "ICD-10-Code", "ICD-10 code";
    Icd2 => "Zweiter ICD-10-Code (optional)", "Second ICD-10 code (optional)";
    IcdHint => "ICD-10-GM, z. B. F80.1 oder M54.4 G", "ICD-10-GM, e.g. F80.1 or M54.4 G";
    Remedy => "Heilmittel", "Remedy";
    RemedyHint => "bis zu vier Heilmittel mit ihren Behandlungseinheiten; leere Zeilen bleiben unbeachtet", "up to four remedies with their units; empty rows are ignored";
    Units => "Behandlungseinheiten", "Treatment units";
    TreatmentTitle => "Behandlung", "Treatment";
    FirstTreatment => "Erste Behandlung", "First treatment";
    LastTreatment => "Letzte Behandlung", "Last treatment";
    UnitsDone => "Durchgeführte Behandlungseinheiten", "Treatment units done";
    Findings => "Befund", "Findings";
    Goals => "Therapieziele", "Therapy goals";
    Measures => "Durchgeführte Maßnahmen", "Measures taken";
    Course => "Verlauf und Ergebnis", "Course and result";
    RecommendationTitle => "Empfehlung", "Recommendation";
    RContinue => "Weiterbehandlung", "Continue the treatment";
    RPause => "Therapiepause", "Pause the therapy";
    REnd => "Therapieende", "End the therapy";
    RReExamine => "erneute ärztliche Untersuchung", "Examine the patient again";
    ROther => "andere Therapie", "Another therapy";
    RecommendationText => "Begründung und Hinweise", "Reasons and notes";
    RecommendationTextHint => "bei „andere Therapie“ erforderlich", "required for \"another therapy\"";
    SpeechTitle => "Angaben zum Verordnungsbericht", "For the prescription report";
    Setting => "Therapieform", "Setting";
    SSingle => "Einzeltherapie", "Single therapy";
    SGroup => "Gruppentherapie", "Group therapy";
    SessionsPerWeek => "Therapiefrequenz (Behandlungen je Woche)", "Sessions per week";
    HomeVisit => "Hausbesuch", "Home visit";
    Compliance => "Mitarbeit (Compliance)", "Compliance";
    Prognosis => "Prognose", "Prognosis";
    SaveDraft => "Als Entwurf speichern", "Save as draft";
    Preview => "Vorschau", "Preview";
    OpenPreview => "Vorschau öffnen (PDF)", "Open the preview (PDF)";
    SendReport => "Senden", "Send";
    Delete => "Löschen", "Delete";
    ConfirmDelete => "Diesen Entwurf endgültig löschen?", "Delete this draft for good?";
    DraftSaved => "Der Entwurf ist gespeichert.", "The draft is saved.";
    CheckFields => "Bitte prüfen Sie die markierten Felder.", "Please check the marked fields.";
    OwnPdfTitle => "Eigenes PDF hochladen", "Upload own PDF";
    OwnPdfHint => "Statt der Berichtstexte können Sie Ihren eigenen Bericht als PDF senden (höchstens 10 MB, ohne Kennwortschutz). Er geht hinter einem Deckblatt mit den Patienten- und Verordnungsdaten an die Arztpraxis.", "Instead of the report texts you may send your own report as a PDF (at most 10 MB, not password-protected). It goes to the physician behind a cover with the patient and prescription data.";
    OwnPdfLabel => "PDF-Datei wählen", "Choose a PDF file";
    OwnPdfUploading => "wird hochgeladen …", "uploading …";
    OwnPdfUploaded => "Hochgeladen:", "Uploaded:";
    OwnPdfPages => "Seiten", "pages";
    OwnPdfReplace => "PDF ersetzen", "Replace PDF";
    OwnPdfRemove => "PDF entfernen", "Remove PDF";
    NotADraft => "Dieser Bericht ist gesendet und kann nicht mehr geändert werden.", "This report was sent and can no longer be changed.";
    NetworkError => "Der Dienst ist gerade nicht erreichbar. Bitte prüfen Sie Ihre Verbindung und versuchen Sie es erneut.", "The service cannot be reached right now. Please check your connection and try again.";
    ModuleFailed => "Dieser Teil des Portals konnte nicht geladen werden. Bitte prüfen Sie Ihre Verbindung und laden Sie die Seite neu.", "This part of the portal could not be loaded. Please check your connection and reload the page.";
}

/// The app's language, remembered in the browser.
#[derive(Clone, Copy)]
pub struct I18n(pub RwSignal<Lang>);

const STORAGE_KEY: &str = "portal-lang";

impl I18n {
    pub fn remembered() -> I18n {
        let stored = storage().and_then(|s| s.get_item(STORAGE_KEY).ok().flatten());
        let lang = match stored.as_deref() {
            Some("en") => Lang::En,
            _ => Lang::De,
        };
        set_document_lang(lang);
        I18n(RwSignal::new(lang))
    }

    pub fn lang(self) -> Lang {
        self.0.get()
    }

    pub fn t(self, key: T) -> &'static str {
        text(self.0.get(), key)
    }

    /// The text as a view that follows the language. One closure type for every text keeps the
    /// wasm small: each distinct closure would be compiled into its own copy of the view code.
    pub fn tr(self, key: T) -> impl Fn() -> &'static str + Copy + Send + Sync + 'static {
        move || self.t(key)
    }

    pub fn toggle(self) {
        let previous = self.0.get_untracked();
        let next = if previous == Lang::De { Lang::En } else { Lang::De };
        if let Some(storage) = storage() {
            let _ = storage.set_item(STORAGE_KEY, next.tag());
        }
        set_document_lang(next);
        // The title in the other language; what follows the portal's title (the insurer) stays.
        if let Some(document) = document() {
            let title = document.title();
            let rest = title.strip_prefix(text(previous, T::PortalTitle)).unwrap_or_default();
            document.set_title(&format!("{}{rest}", text(next, T::PortalTitle)));
        }
        self.0.set(next);
    }
}

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

/// Screen readers pronounce the page in the language it is in.
fn set_document_lang(lang: Lang) {
    if let Some(root) = document().and_then(|d| d.document_element()) {
        let _ = root.set_attribute("lang", lang.tag());
    }
}

fn document() -> Option<web_sys::Document> {
    web_sys::window()?.document()
}

/// The page's title (tabs, bookmarks, screen readers): the portal's, and the insurer's name.
pub fn set_document_title(lang: Lang, insurer: &str) {
    if let Some(document) = document() {
        document.set_title(&format!("{} – {insurer}", text(lang, T::PortalTitle)));
    }
}

pub fn use_i18n() -> I18n {
    use_context::<I18n>().expect("the app provides its language")
}
