//! The portal's mailer in AWS: each letter goes to SES as the complete RFC 5322 message the
//! use case composed (`SendRawEmail`), to the directory's address only. The dispatch function's
//! IAM policy allows sending from the configured identity and nothing else.

use async_trait::async_trait;
use aws_sdk_ses::Client;
use aws_sdk_ses::primitives::Blob;
use aws_sdk_ses::types::RawMessage;
use portal_core::model::Letter;
use portal_core::{MailError, Mailer};

pub struct SesMailer {
    client: Client,
}

impl SesMailer {
    pub fn new(client: Client) -> SesMailer {
        SesMailer { client }
    }
}

#[async_trait]
impl Mailer for SesMailer {
    #[tracing::instrument(level = "debug", name = "ses.send", skip_all)]
    async fn send(&self, letter: &Letter) -> Result<(), MailError> {
        let raw = RawMessage::builder()
            .data(Blob::new(letter.message.as_bytes()))
            .build()
            .map_err(|e| MailError(Box::new(e)))?;
        self.client
            .send_raw_email()
            .raw_message(raw)
            .destinations(&letter.recipient)
            .send()
            .await
            .map(drop)
            .map_err(|e| MailError(Box::new(e)))
    }
}
