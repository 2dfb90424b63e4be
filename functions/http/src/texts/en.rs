//! The API's texts in English.

use portal_domain::counted;

use super::{Catalogue, Desk, Text};

pub struct English;

impl Catalogue for English {
    fn text(&self, text: &Text) -> String {
        match text {
            Text::NotJson => "The request is not valid JSON.".into(),
            Text::NotAnObject => "The request must be a JSON object with named fields.".into(),
            Text::UnknownField => "The request contains an unknown field.".into(),
            Text::UnexpectedShape => "The request does not have the expected shape.".into(),
            Text::UnsupportedMediaType => "Please send JSON (Content-Type: application/json).".into(),
            Text::TooLarge => "The request is too large (16 KiB at most, a therapy report 128 KiB).".into(),
            Text::TooSlow => "The request did not arrive completely in time.".into(),
            Text::NotFound => "There is nothing at this address.".into(),
            Text::HeilmittelOnly => "Therapy reports are written by Heilmittel practices; the directory lists your IK in another field.".into(),
            Text::QueryTooShort => "Please enter at least two letters of the name, a LANR, a BSNR or a postcode.".into(),
            Text::ReportNotFound => "There is no such report (or not for your practice).".into(),
            Text::ReportSent => "The report was sent and can no longer change. To correct it, write a new report that corrects the old one.".into(),
            Text::InvalidProof => "This is not a proof of this portal.".into(),
            Text::ReportChanged => "The report was changed meanwhile. Please load it again.".into(),
            Text::ContentsExpired => "The contents of this report are no longer kept (drafts 90 days, sent reports 30 days after their last status).".into(),
            Text::IdempotencyKeyRequired => "Sending needs an \"Idempotency-Key\" header (1 to 100 visible characters).".into(),
            Text::NoEarztbrief => "This physician's practice receives no eArztbrief. Please print the report (preview) and hand it over another way.".into(),
            Text::UnknownReport => "The report to correct is not a sent report of your practice.".into(),
            Text::PdfTooLarge => "The PDF is larger than 10 MB. Please make it smaller (for example without high-resolution images).".into(),
            Text::PdfInvalid => "The file is not a readable PDF. Please save the report as a PDF again.".into(),
            Text::PdfEncrypted => "The PDF is encrypted or password-protected. Please upload it without a password.".into(),
            Text::PdfTooManyPages => "The PDF has more than 100 pages.".into(),
            Text::DirectUploadOnly => "This portal takes the PDF directly (PUT …/attachment).".into(),
            Text::UploadMissing => "The uploaded PDF did not arrive or is no longer there. Please upload it again.".into(),
            Text::AttachmentMissing => "The uploaded PDF is no longer kept. Please upload it again.".into(),
            Text::ReportIncomplete => "The report is not complete yet.".into(),
            Text::ServiceNotOffered => "Your insurer does not offer this service in this portal.".into(),
            Text::CrossSite => "This request came from another website and was therefore refused. Please use the service portal directly.".into(),
            Text::UnknownTenant => "No insurer's service portal is set up at this address.".into(),
            Text::MethodNotAllowed => "This address cannot be called this way.".into(),
            Text::InvalidInput => "The input is incomplete or invalid.".into(),
            Text::Internal => "A technical error occurred. Please try again later.".into(),
            Text::Unavailable => {
                "The service is temporarily unavailable. Please try again in a few minutes.".into()
            }
            Text::ChallengesUsedUp => "Very many registrations are being started right now. Please try again in a minute.".into(),
            Text::TermsRequired => "Please accept the terms of use.".into(),
            Text::ChallengeInvalid => "The security check has expired or is invalid. Please start the registration again.".into(),
            Text::UnknownIk { desk } => format!(
                "This IK is not in our directory of providers. Please contact {}.",
                service(desk)
            ),
            Text::AlreadyActive => "There already is an account for this IK. Forgot the password? Use 'Reset password' with your Prüfnummer.".into(),
            Text::LettersOnTheWay { until, desk } => format!(
                "Letters with the initial password and the Prüfnummer are already on their way for this IK; they stay valid. You can ask for new letters from {until}, or {} sends them to you. We have told the address on file of this request.",
                service(desk)
            ),
            Text::RegistrationInProgress => "Another registration for this IK is under way. Please try again in a moment.".into(),
            Text::WrongPassword => "User name (IK) or password is wrong.".into(),
            Text::BackofficeWrongPassword => "Name or password is wrong.".into(),
            Text::WrongPruefnummer => "IK or Prüfnummer is wrong.".into(),
            Text::ChallengeRequired => "There were several failed attempts for this IK today. To protect your account, your browser solves a security check before logging in; please log in again.".into(),
            Text::TooManyAttempts { minutes } => format!(
                "Too many failed attempts from this connection. Please try again in {}.",
                counted(*minutes, "minute", "minutes")
            ),
            Text::Blocked { desk } => {
                format!("Your account is blocked. Please contact {}.", service(desk))
            }
            Text::Inactive => "Your account has not been used for more than 180 days. Please reactivate it with your Prüfnummer ('Reset password').".into(),
            Text::InitialPasswordExpired => "Your initial password has expired. Please register again to receive new letters.".into(),
            Text::UseBothLetters => "No own password has been set for this account yet. Please log in with the initial password from the first letter and set your password with the Prüfnummer from the second letter. If a letter is missing, please register again.".into(),
            Text::LogIn => "Please log in.".into(),
            Text::SessionExpired => "Your session has expired. Please log in again.".into(),
            Text::PasswordChangeRequired => "Please first set your own password with your Prüfnummer.".into(),
            Text::SecondFactorRequired => "Please enter the code from your authenticator app to complete the login.".into(),
            Text::SecondFactorEnrolmentRequired => "Your insurer requires a second factor for the portal. Please set up an authenticator app first.".into(),
            Text::WrongCode => "The code is wrong or was used before. Please enter the current code from your app.".into(),
            Text::PasskeyRefused => "The passkey was not accepted. Please try again.".into(),
            Text::PasskeyRequired => "Please also confirm with your passkey.".into(),
            Text::PasskeysUnavailable => "Passkeys cannot be used under this address of the portal.".into(),
            Text::WrongCurrentPassword => "The password is wrong.".into(),
            Text::CodeRequired => "Please also enter the current code from your authenticator app.".into(),
            Text::PasswordRequired => "Please confirm the change with your password.".into(),
            Text::CurrentPasswordRequired => "Your account already has its own password. To change it, please enter your current password.".into(),
            Text::SecondFactorActive => "An authenticator app is already set up for your account. Remove it first to set up a new one.".into(),
            Text::NoSecondFactor => "This second factor is neither set up nor being set up for your account.".into(),
            Text::BlockLinkInvalid => "This link does not work (any more): it is unknown, older than seven days, or was used before. Please contact our provider service.".into(),
            Text::SessionEndedAfterFailures => "Too many failed attempts: your session has ended. Please log in again.".into(),
            Text::SessionNotFound => "This session does not exist (any more).".into(),
            Text::QuotaUsedUp { quota } => format!(
                "The daily quota of {quota} queries is used up. Queries are possible again from midnight."
            ),
            Text::TooFast => "Too many queries in a short time. Please wait a moment.".into(),
            Text::AuditUnavailable => "The query could not be recorded. Without a record we show no result; please try again in a few minutes.".into(),
            Text::ProofChecksUsedUp => "Too many proofs checked in a short time. Please try again in a minute.".into(),
            Text::PageNotFound => "There is no such information page (or not yet).".into(),
            Text::UnknownBerufsfeld => "There is no such Berufsfeld. It is one of apotheke, heilmittel, hilfsmittel and sonstige.".into(),
        }
    }
}

/// "the provider service of AOK PLUS (Servicetelefon: …)", or "our provider service".
fn service(desk: &Desk) -> String {
    match &desk.insurer {
        Some((name, contact)) => format!("the provider service of {name} ({contact})"),
        None => "our provider service".into(),
    }
}
