//! The local KIM stand-in: each report's message becomes `{dir}/etb/{report id}.eml`, and
//! receipts are files dropped into `{dir}/etb/in/`.
//!
//! ```text
//! etb/01JV….eml         the message as it would go to the KIM client module
//! etb/in/…              receipts (MDN, DSN) waiting to be read
//! etb/in/done/…         receipts recorded (acknowledged)
//! etb/in/unreadable/…   files that are no receipt we understand
//! ```
//!
//! A DSN that only says the delivery is delayed goes to `done/` at once: the final one follows.
//! Files whose names begin with a dot are skipped (whoever drops a receipt may write it as
//! `.name` and rename it).

use std::io;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use async_trait::async_trait;
use portal_core::model::{Receipt, ReportMessage};
use portal_core::{DeliveryError, ReportDelivery};
use time::OffsetDateTime;
use tokio::io::AsyncWriteExt as _;

use crate::message::{DEFAULT_SENDER_SYSTEM, kim_message};
use crate::receipts::{Reading, read_receipt};

pub struct OutboxDelivery {
    folder: PathBuf,
    sender_system: String,
}

impl OutboxDelivery {
    /// Messages go to `{dir}/etb/`.
    pub fn new(dir: impl AsRef<Path>) -> OutboxDelivery {
        OutboxDelivery {
            folder: dir.as_ref().join("etb"),
            sender_system: DEFAULT_SENDER_SYSTEM.into(),
        }
    }

    /// `X-KIM-Sendersystem` of the messages written.
    pub fn with_sender_system(mut self, sender_system: impl Into<String>) -> OutboxDelivery {
        self.sender_system = sender_system.into();
        self
    }

    /// `{dir}/etb/`: the messages.
    pub fn folder(&self) -> &Path {
        &self.folder
    }

    /// `{dir}/etb/in/`: where receipts are dropped.
    pub fn inbox(&self) -> PathBuf {
        self.folder.join("in")
    }
}

fn unavailable(e: io::Error) -> DeliveryError {
    DeliveryError::Unavailable(Box::new(e))
}

#[async_trait]
impl ReportDelivery for OutboxDelivery {
    #[tracing::instrument(level = "debug", name = "kim_outbox.deliver", skip_all)]
    async fn deliver(&self, message: &ReportMessage) -> Result<(), DeliveryError> {
        let bytes = kim_message(message, &self.sender_system)?;
        private_folder(&self.folder).await.map_err(unavailable)?;
        let name = format!("{}.eml", message.report);
        write_atomically(&self.folder, &name, &bytes).await.map_err(unavailable)
    }

    #[tracing::instrument(level = "debug", name = "kim_outbox.receipts", skip_all)]
    async fn receipts(&self) -> Result<Vec<Receipt>, DeliveryError> {
        let inbox = self.inbox();
        for folder in [&inbox, &inbox.join("done"), &inbox.join("unreadable")] {
            private_folder(folder).await.map_err(unavailable)?;
        }
        let mut names = Vec::new();
        let mut entries = tokio::fs::read_dir(&inbox).await.map_err(unavailable)?;
        while let Some(entry) = entries.next_entry().await.map_err(unavailable)? {
            let name = entry.file_name().to_string_lossy().into_owned();
            // Hidden files are still being written by whoever drops them.
            if !name.starts_with('.') && entry.file_type().await.map_err(unavailable)?.is_file() {
                names.push(name);
            }
        }
        names.sort();

        let mut receipts = Vec::new();
        for name in names {
            let path = inbox.join(&name);
            let raw = tokio::fs::read(&path).await.map_err(unavailable)?;
            match read_receipt(&raw) {
                Ok(Reading::Receipt { message_id, from, kind, at }) => {
                    let at = match at {
                        Some(at) => at,
                        None => modified(&path).await.map_err(unavailable)?,
                    };
                    receipts.push(Receipt { message_id, from, kind, at, handle: name });
                }
                Ok(Reading::Delayed) => {
                    tracing::info!(file = %name, "a delivery is delayed; the final receipt follows");
                    move_into(&inbox, "done", &name).await.map_err(unavailable)?;
                }
                Err(why) => {
                    tracing::warn!(file = %name, %why, "not a receipt: moved to in/unreadable");
                    move_into(&inbox, "unreadable", &name).await.map_err(unavailable)?;
                }
            }
        }
        Ok(receipts)
    }

    #[tracing::instrument(level = "debug", name = "kim_outbox.acknowledge", skip_all)]
    async fn acknowledge(&self, receipt: &Receipt) -> Result<(), DeliveryError> {
        let name = &receipt.handle;
        if name.is_empty() || name.starts_with('.') || name.contains(['/', '\\']) {
            let e = io::Error::new(io::ErrorKind::InvalidInput, "not a receipt's file name");
            return Err(unavailable(e));
        }
        let inbox = self.inbox();
        match move_into(&inbox, "done", name).await {
            // Acknowledged before (a retried acknowledgement).
            Err(e)
                if e.kind() == io::ErrorKind::NotFound
                    && tokio::fs::try_exists(inbox.join("done").join(name))
                        .await
                        .unwrap_or(false) =>
            {
                Ok(())
            }
            done => done.map_err(unavailable),
        }
    }
}

/// The folder and its parents, for the portal's user only: the messages hold medical data.
async fn private_folder(folder: &Path) -> io::Result<()> {
    let mut builder = tokio::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    builder.mode(0o700);
    builder.create(folder).await
}

/// Writes `{folder}/{name}` whole or not at all: a temporary file, synced, renamed into place,
/// and the folder synced so the rename survives a crash. A second write replaces the first.
async fn write_atomically(folder: &Path, name: &str, bytes: &[u8]) -> io::Result<()> {
    let partial = folder.join(format!(".{name}.partial"));
    let mut options = tokio::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    options.mode(0o600);
    let mut file = options.open(&partial).await?;
    file.write_all(bytes).await?;
    file.sync_all().await?;
    drop(file);
    tokio::fs::rename(&partial, folder.join(name)).await?;
    sync_folder(folder).await
}

async fn sync_folder(folder: &Path) -> io::Result<()> {
    tokio::fs::File::open(folder).await?.sync_all().await
}

async fn move_into(inbox: &Path, sub: &str, name: &str) -> io::Result<()> {
    let target = inbox.join(sub);
    tokio::fs::rename(inbox.join(name), target.join(name)).await?;
    sync_folder(&target).await?;
    sync_folder(inbox).await
}

async fn modified(path: &Path) -> io::Result<OffsetDateTime> {
    let modified = tokio::fs::metadata(path).await?.modified()?;
    Ok(OffsetDateTime::from(modified.max(SystemTime::UNIX_EPOCH)))
}

#[cfg(test)]
mod tests {
    use portal_core::model::{DeliveryFailure, ReceiptKind, ReportId};
    use time::macros::datetime;

    use super::*;
    use crate::message::tests::{assert_is_the_kim_message, sample};
    use crate::receipts::{Disposition, DsnAction, receipt_dsn, receipt_mdn};

    fn files(folder: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(folder)
            .unwrap()
            .map(|e| e.unwrap())
            .filter(|e| e.file_type().unwrap().is_file())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[tokio::test]
    async fn a_report_becomes_one_file_even_when_delivered_twice() {
        let dir = tempfile::tempdir().unwrap();
        let outbox = OutboxDelivery::new(dir.path());
        let report = ReportId::new();
        let mut message = sample(&report);
        outbox.deliver(&message).await.unwrap();
        message.subject.push_str(" (zweiter Versuch)");
        outbox.deliver(&message).await.unwrap();

        assert_eq!(files(outbox.folder()), [format!("{report}.eml")]);
        let raw = std::fs::read(outbox.folder().join(format!("{report}.eml"))).unwrap();
        assert_is_the_kim_message(&raw, &message, DEFAULT_SENDER_SYSTEM);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode(outbox.folder()), 0o700);
            assert_eq!(mode(&outbox.folder().join(format!("{report}.eml"))), 0o600);
        }
    }

    #[tokio::test]
    async fn receipts_dropped_into_the_inbox_come_back_until_acknowledged() {
        let dir = tempfile::tempdir().unwrap();
        let outbox = OutboxDelivery::new(dir.path());
        // Read before the folders exist: none, and now they do.
        assert_eq!(outbox.receipts().await.unwrap(), []);
        let inbox = outbox.inbox();
        assert!(inbox.join("done").is_dir() && inbox.join("unreadable").is_dir());

        let (read, refused, delayed) = (ReportId::new(), ReportId::new(), ReportId::new());
        let id = |r: &ReportId| sample(r).message_id;
        let to = "praxis.schulz@hno-erfurt.kim.telematik";
        let at = datetime!(2026-05-04 10:15:00 UTC);
        let drop = |name: &str, contents: &str| std::fs::write(inbox.join(name), contents).unwrap();
        drop("1-mdn.eml", &receipt_mdn(&id(&read), to, Disposition::Displayed, at));
        drop("2-dsn.eml", &receipt_dsn(&id(&refused), to, DsnAction::Failed, "5.7.1", at));
        drop("3-delayed.eml", &receipt_dsn(&id(&delayed), to, DsnAction::Delayed, "4.4.1", at));
        drop("4-garbage.eml", "Hallo, das ist keine Quittung.\r\n");
        drop(".5-partial", "still being written");

        let receipts = outbox.receipts().await.unwrap();
        assert_eq!(
            receipts,
            [
                Receipt {
                    message_id: id(&read),
                    from: Some(to.into()),
                    kind: ReceiptKind::Read,
                    at,
                    handle: "1-mdn.eml".into()
                },
                Receipt {
                    message_id: id(&refused),
                    from: Some(to.into()),
                    kind: ReceiptKind::Failed(DeliveryFailure::NoCertificate),
                    at,
                    handle: "2-dsn.eml".into()
                },
            ]
        );
        assert_eq!(files(&inbox.join("unreadable")), ["4-garbage.eml"]);
        assert_eq!(files(&inbox.join("done")), ["3-delayed.eml"]);

        // Not acknowledged: read again.
        assert_eq!(outbox.receipts().await.unwrap(), receipts);
        for receipt in &receipts {
            outbox.acknowledge(receipt).await.unwrap();
        }
        outbox.acknowledge(&receipts[0]).await.unwrap();
        assert_eq!(outbox.receipts().await.unwrap(), []);
        assert_eq!(files(&inbox), [".5-partial"]);
        assert_eq!(files(&inbox.join("done")), ["1-mdn.eml", "2-dsn.eml", "3-delayed.eml"]);

        let escape = Receipt { handle: "../etb.eml".into(), ..receipts[0].clone() };
        assert!(outbox.acknowledge(&escape).await.is_err());
    }

    #[tokio::test]
    async fn a_receipt_without_a_date_is_dated_by_its_file() {
        let dir = tempfile::tempdir().unwrap();
        let outbox = OutboxDelivery::new(dir.path());
        outbox.receipts().await.unwrap();
        let id = sample(&ReportId::new()).message_id;
        let at = datetime!(2026-05-04 10:15:00 UTC);
        let mdn = receipt_mdn(&id, "a@b.kim.telematik", Disposition::Processed, at);
        let undated: String =
            mdn.split_inclusive("\r\n").filter(|l| !l.starts_with("Date:")).collect();
        std::fs::write(outbox.inbox().join("mdn.eml"), undated).unwrap();
        let before = OffsetDateTime::now_utc() - time::Duration::minutes(1);
        let receipts = outbox.receipts().await.unwrap();
        assert_eq!(receipts[0].kind, ReceiptKind::Delivered);
        assert!(receipts[0].at > before, "{}", receipts[0].at);
    }
}
