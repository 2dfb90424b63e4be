//! The local portal's mailer: every letter becomes one complete RFC 5322 file,
//! `{outbox}/{letter id}-{kind}.eml`, that any mail program opens and a print service takes.
//!
//! Writing is atomic (a temporary file renamed into place) and idempotent (the name is the
//! letter's id), so a retried dispatch never leaves half a letter or a second copy.

use std::path::{Path, PathBuf};

use async_trait::async_trait;
use portal_core::model::Letter;
use portal_core::{MailError, Mailer};

pub struct OutboxMailer {
    folder: PathBuf,
}

impl OutboxMailer {
    pub fn new(folder: impl Into<PathBuf>) -> OutboxMailer {
        OutboxMailer { folder: folder.into() }
    }

    pub fn folder(&self) -> &Path {
        &self.folder
    }
}

#[async_trait]
impl Mailer for OutboxMailer {
    #[tracing::instrument(level = "debug", name = "outbox.send", skip_all)]
    async fn send(&self, letter: &Letter) -> Result<(), MailError> {
        let name = format!("{}-{}.eml", letter.id, letter.kind.as_str());
        let path = self.folder.join(&name);
        let partial = self.folder.join(format!(".{name}.partial"));
        let write = async {
            private_folder(&self.folder).await?;
            let mut options = tokio::fs::OpenOptions::new();
            options.write(true).create(true).truncate(true);
            // A letter holds a secret until the provider reads it: for the portal's user only.
            #[cfg(unix)]
            options.mode(0o600);
            let mut file = options.open(&partial).await?;
            tokio::io::AsyncWriteExt::write_all(&mut file, letter.message.as_bytes()).await?;
            file.sync_all().await?;
            tokio::fs::rename(&partial, &path).await
        };
        write.await.map_err(|e| MailError(Box::new(e)))
    }
}

async fn private_folder(folder: &Path) -> std::io::Result<()> {
    let mut builder = tokio::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    builder.mode(0o700);
    builder.create(folder).await
}

#[cfg(test)]
mod tests {
    use portal_core::model::{LetterId, LetterKind};
    use portal_domain::Ik;
    use time::OffsetDateTime;

    use super::*;

    fn letter() -> Letter {
        Letter {
            id: LetterId::parse("01JD0000000000000000000000").unwrap(),
            ik: Ik::parse("301412340").unwrap(),
            kind: LetterKind::Pruefnummer,
            generation: 1,
            recipient: "post@muster.example".into(),
            message: "Subject: Test\r\n\r\nPrüfnummer: ABCD-EFGH-JK12\r\n".into(),
            created_at: OffsetDateTime::UNIX_EPOCH,
        }
    }

    #[tokio::test]
    async fn a_letter_becomes_one_file_even_when_sent_twice() {
        let dir = tempfile::tempdir().unwrap();
        let mailer = OutboxMailer::new(dir.path().join("outbox"));
        mailer.send(&letter()).await.unwrap();
        mailer.send(&letter()).await.unwrap();
        let files: Vec<_> =
            std::fs::read_dir(mailer.folder()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(files, ["01JD0000000000000000000000-pruefnummer.eml"]);
        let text = std::fs::read_to_string(mailer.folder().join(&files[0])).unwrap();
        assert!(text.contains("\r\nPrüfnummer: ABCD-EFGH-JK12\r\n"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode(mailer.folder()), 0o700);
            assert_eq!(mode(&mailer.folder().join(&files[0])), 0o600);
        }
    }
}
