//! The practices' own PDFs of the eTherapiebericht in S3: a sealed PDF is up to 10 MB, far
//! beyond a DynamoDB item's 400 KB. One object per report, `sealed/{tenant}/{practice}/{report}`,
//! in a bucket encrypted with the stage's KMS key (`infra/template.yaml`); the bytes are sealed
//! by the use case before they come here, so the bucket sees no clinical text either.

use async_trait::async_trait;
use aws_sdk_s3::primitives::ByteStream;
use portal_core::model::ReportId;
use portal_core::{PresignedUpload, ReportAttachments, StoreError, Uploaded};
use portal_domain::Ik;

use crate::DynamoStore;

/// The bucket and a client for it.
#[derive(Clone)]
pub(crate) struct Bucket {
    pub(crate) client: aws_sdk_s3::Client,
    pub(crate) name: String,
}

impl DynamoStore {
    fn bucket(&self) -> Result<&Bucket, StoreError> {
        self.attachments
            .as_ref()
            .ok_or_else(|| StoreError::unavailable("no bucket for the reports' own PDFs"))
    }

    fn attachment_key(&self, practice: &Ik, report: &ReportId) -> String {
        format!("sealed/{}/{practice}/{report}", self.scope.tenant())
    }

    /// Where the browser puts a PDF: apart from the sealed objects, and expired by the bucket's
    /// lifecycle rule if never completed (`infra/template.yaml`).
    fn upload_key(&self, practice: &Ik, report: &ReportId, upload: &str) -> String {
        format!("uploads/{}/{practice}/{report}/{upload}", self.scope.tenant())
    }
}

#[async_trait]
impl ReportAttachments for DynamoStore {
    #[tracing::instrument(level = "debug", name = "s3.put_attachment", skip_all)]
    async fn put_attachment(
        &self,
        practice: &Ik,
        report: &ReportId,
        sealed: &[u8],
    ) -> Result<(), StoreError> {
        let bucket = self.bucket()?;
        bucket
            .client
            .put_object()
            .bucket(&bucket.name)
            .key(self.attachment_key(practice, report))
            .content_type("application/octet-stream")
            .body(ByteStream::from(sealed.to_vec()))
            .send()
            .await
            .map_err(StoreError::unavailable)?;
        Ok(())
    }

    #[tracing::instrument(level = "debug", name = "s3.attachment", skip_all)]
    async fn attachment(
        &self,
        practice: &Ik,
        report: &ReportId,
    ) -> Result<Option<Vec<u8>>, StoreError> {
        let bucket = self.bucket()?;
        let got = bucket
            .client
            .get_object()
            .bucket(&bucket.name)
            .key(self.attachment_key(practice, report))
            .send()
            .await;
        match got {
            Ok(object) => {
                let bytes = object.body.collect().await.map_err(StoreError::unavailable)?;
                Ok(Some(bytes.into_bytes().to_vec()))
            }
            Err(error) if error.as_service_error().is_some_and(|e| e.is_no_such_key()) => Ok(None),
            Err(error) => Err(StoreError::unavailable(error)),
        }
    }

    #[tracing::instrument(level = "debug", name = "s3.delete_attachment", skip_all)]
    async fn delete_attachment(&self, practice: &Ik, report: &ReportId) -> Result<(), StoreError> {
        let bucket = self.bucket()?;
        bucket
            .client
            .delete_object()
            .bucket(&bucket.name)
            .key(self.attachment_key(practice, report))
            .send()
            .await
            .map_err(StoreError::unavailable)?;
        Ok(())
    }

    /// A presigned PUT rather than a POST policy: the SDK signs it (no hand-built SigV4), and
    /// the PUT is as simple for the browser as the local upload. A PUT cannot bound its size, so
    /// [`Self::take_upload`] asks the object's size (HeadObject) before it reads a byte.
    #[tracing::instrument(level = "debug", name = "s3.presign_upload", skip_all)]
    async fn presign_upload(
        &self,
        practice: &Ik,
        report: &ReportId,
        upload: &str,
        valid: std::time::Duration,
    ) -> Result<Option<PresignedUpload>, StoreError> {
        let bucket = self.bucket()?;
        let config = aws_sdk_s3::presigning::PresigningConfig::expires_in(valid)
            .map_err(StoreError::unavailable)?;
        let presigned = bucket
            .client
            .put_object()
            .bucket(&bucket.name)
            .key(self.upload_key(practice, report, upload))
            .content_type("application/pdf")
            .presigned(config)
            .await
            .map_err(StoreError::unavailable)?;
        Ok(Some(PresignedUpload {
            url: presigned.uri().to_string(),
            method: "PUT",
            content_type: "application/pdf",
        }))
    }

    #[tracing::instrument(level = "debug", name = "s3.take_upload", skip_all)]
    async fn take_upload(
        &self,
        practice: &Ik,
        report: &ReportId,
        upload: &str,
        max: usize,
    ) -> Result<Uploaded, StoreError> {
        let bucket = self.bucket()?;
        let key = self.upload_key(practice, report, upload);
        let head = bucket.client.head_object().bucket(&bucket.name).key(&key).send().await;
        let size = match head {
            Ok(head) => head.content_length().unwrap_or_default(),
            Err(error) if error.as_service_error().is_some_and(|e| e.is_not_found()) => {
                return Ok(Uploaded::Missing);
            }
            Err(error) => return Err(StoreError::unavailable(error)),
        };
        let taken = if usize::try_from(size).map_or(true, |size| size > max) {
            Uploaded::TooLarge
        } else {
            let object = bucket.client.get_object().bucket(&bucket.name).key(&key).send().await;
            match object {
                Ok(object) => {
                    let bytes = object.body.collect().await.map_err(StoreError::unavailable)?;
                    Uploaded::Pdf(bytes.into_bytes().to_vec())
                }
                Err(error) if error.as_service_error().is_some_and(|e| e.is_no_such_key()) => {
                    return Ok(Uploaded::Missing);
                }
                Err(error) => return Err(StoreError::unavailable(error)),
            }
        };
        // Taken once: a second `complete` finds nothing.
        bucket
            .client
            .delete_object()
            .bucket(&bucket.name)
            .key(&key)
            .send()
            .await
            .map_err(StoreError::unavailable)?;
        Ok(taken)
    }
}
