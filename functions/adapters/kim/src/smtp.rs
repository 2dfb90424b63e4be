//! Delivery over SMTP to a KIM client module (Clientmodul), which signs and encrypts the
//! message for the recipient and hands it to the KIM mail service.

use std::time::Duration;

use async_trait::async_trait;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls as LettreTls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use portal_core::model::{DeliveryFailure, Receipt, ReportMessage};
use portal_core::{DeliveryError, ReportDelivery};

use crate::message;

/// How the connection to the client module is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tls {
    /// Plain SMTP: only where the client module runs on the same host or in a closed network.
    None,
    /// SMTP, then `STARTTLS` (required, never skipped).
    StartTls,
    /// TLS from the first byte (SMTPS, usually port 465).
    Wrapper,
}

#[derive(Debug, Clone)]
pub struct SmtpConfig {
    /// The client module's host name (also the name its certificate must carry).
    pub host: String,
    pub port: u16,
    pub tls: Tls,
    /// KIM 1.5: see [`kim_user_name`].
    pub user: Option<String>,
    /// The KIM account's password.
    pub password: Option<String>,
    /// `X-KIM-Sendersystem` of the messages.
    pub sender_system: String,
    /// For connecting and each reply.
    pub timeout: Duration,
    /// The client module's own CA (PEM), where it is not in the system's trust store (client
    /// modules usually come with a certificate of their vendor's CA).
    pub root_certificate: Option<Vec<u8>>,
}

/// The SMTP user name of KIM 1.5: `kimaddr#fachdienst:port#mandant#clientsystem#workplace`. The
/// client module logs in to the KIM account at the Fachdienst with it and picks the
/// Konnektor context (Mandant, client system, workplace) for signing and encrypting.
pub fn kim_user_name(
    kim_address: &str,
    fachdienst_host_port: &str,
    mandant: &str,
    client_system: &str,
    workplace: &str,
) -> String {
    format!("{kim_address}#{fachdienst_host_port}#{mandant}#{client_system}#{workplace}")
}

/// The settings could not make a transport (a certificate that does not parse).
#[derive(Debug, thiserror::Error)]
#[error("the KIM SMTP settings are not usable")]
pub struct SmtpConfigError(#[source] pub Box<dyn std::error::Error + Send + Sync>);

pub struct SmtpDelivery {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    sender_system: String,
}

impl SmtpDelivery {
    pub fn new(config: SmtpConfig) -> Result<SmtpDelivery, SmtpConfigError> {
        let tls = match config.tls {
            Tls::None => LettreTls::None,
            tls => {
                let mut parameters = TlsParameters::builder(config.host.clone());
                if let Some(pem) = &config.root_certificate {
                    if !String::from_utf8_lossy(pem).contains("-----BEGIN CERTIFICATE-----") {
                        let e = std::io::Error::other("the root certificate is not PEM");
                        return Err(SmtpConfigError(Box::new(e)));
                    }
                    let certificate =
                        Certificate::from_pem(pem).map_err(|e| SmtpConfigError(Box::new(e)))?;
                    parameters = parameters.add_root_certificate(certificate);
                }
                let parameters = parameters.build().map_err(|e| SmtpConfigError(Box::new(e)))?;
                if tls == Tls::Wrapper {
                    LettreTls::Wrapper(parameters)
                } else {
                    LettreTls::Required(parameters)
                }
            }
        };
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&config.host)
            .port(config.port)
            .tls(tls)
            .timeout(Some(config.timeout));
        if let Some(user) = config.user {
            builder =
                builder.credentials(Credentials::new(user, config.password.unwrap_or_default()));
        }
        Ok(SmtpDelivery { transport: builder.build(), sender_system: config.sender_system })
    }
}

#[async_trait]
impl ReportDelivery for SmtpDelivery {
    #[tracing::instrument(level = "debug", name = "kim_smtp.deliver", skip_all)]
    async fn deliver(&self, message: &ReportMessage) -> Result<(), DeliveryError> {
        let email = message::build(message, &self.sender_system)?;
        match self.transport.send(email).await {
            Ok(_) => Ok(()),
            Err(error) => {
                // The reply names no patient: the code and the server's words are safe to log.
                tracing::warn!(%error, "the KIM client module did not take the report");
                Err(classify(error))
            }
        }
    }

    /// Always empty: receipts come back from the client module by POP3 (MDNs and DSNs in the
    /// KIM mailbox), which this adapter does not read yet. Until then a report sent over SMTP
    /// stays `Sent`.
    #[tracing::instrument(level = "debug", name = "kim_smtp.receipts", skip_all)]
    async fn receipts(&self) -> Result<Vec<Receipt>, DeliveryError> {
        Ok(Vec::new())
    }

    /// Nothing to do while [`SmtpDelivery::receipts`] has none.
    #[tracing::instrument(level = "debug", name = "kim_smtp.acknowledge", skip_all)]
    async fn acknowledge(&self, _receipt: &Receipt) -> Result<(), DeliveryError> {
        Ok(())
    }
}

/// What an SMTP failure means: refused for good, or worth another try.
///
/// Permanent replies by their enhanced status code (RFC 3463) where there is one: `5.1.x`
/// address, `5.3.4`/`5.2.3` size, `5.7.x` security (the client module's answer when it has no
/// encryption certificate for the recipient); else by the basic code: 550/551/553 address, 552
/// size. Authentication failures (530, 534, 535, 538) are our configuration, not the
/// recipient: they and every other permanent reply count as unavailable, so the dispatcher
/// tries again and in the end gives up, while the log says why. One transient reply is for
/// good: a KIM client module answers `451` when it has no certificate for the recipient (gematik
/// KIM), which it says in the text or with `4.7.x`.
pub(crate) fn classify(error: lettre::transport::smtp::Error) -> DeliveryError {
    let code = error.status().map(|c| c.to_string()).unwrap_or_default();
    let text = error.to_string();
    let permanent = error.is_permanent();
    let lower = text.to_lowercase();
    let no_certificate = code == "451"
        && (lower.contains("zertifikat")
            || lower.contains("certificate")
            || text.split_whitespace().filter_map(enhanced_code).any(|(c, s, _)| (c, s) == (4, 7)));
    if no_certificate {
        return DeliveryError::Refused(DeliveryFailure::NoCertificate);
    }
    let unavailable = || DeliveryError::Unavailable(Box::new(error));
    if !permanent || ["530", "534", "535", "538"].contains(&code.as_str()) {
        return unavailable();
    }
    let enhanced =
        text.split(|c: char| c.is_whitespace() || c == ',' || c == ';').find_map(enhanced_code);
    let failure = match (enhanced, code.as_str()) {
        (Some((5, 1, _)), _) => DeliveryFailure::AddressRefused,
        (Some((5, 3, 4) | (5, 2, 3)), _) => DeliveryFailure::TooLarge,
        (Some((5, 7, _)), _) => DeliveryFailure::NoCertificate,
        (Some(_), _) => return unavailable(),
        (None, "550" | "551" | "553") => DeliveryFailure::AddressRefused,
        (None, "552") => DeliveryFailure::TooLarge,
        (None, _) => return unavailable(),
    };
    DeliveryError::Refused(failure)
}

/// `5.1.1` → (5, 1, 1).
fn enhanced_code(token: &str) -> Option<(u8, u16, u16)> {
    let mut parts = token.split('.');
    let class: u8 = parts.next()?.parse().ok()?;
    let subject: u16 = parts.next()?.parse().ok()?;
    let detail: u16 = parts.next()?.parse().ok()?;
    (parts.next().is_none() && matches!(class, 2 | 4 | 5) && subject < 1000 && detail < 1000)
        .then_some((class, subject, detail))
}

#[cfg(test)]
mod tests;
