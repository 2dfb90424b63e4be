//! The practices' own PDFs of the eTherapiebericht in S3: a sealed PDF is up to 10 MB, far
//! beyond a DynamoDB item's 400 KB. One object per report, `sealed/{tenant}/{practice}/{report}`,
//! in a bucket encrypted with the stage's KMS key (`infra/template.yaml`); the bytes are sealed
//! by the use case before they come here, so the bucket sees no clinical text either.

use async_trait::async_trait;
use aws_sdk_s3::primitives::ByteStream;
use portal_core::model::ReportId;
use portal_core::{ReportAttachments, StoreError};
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
}
