//! The object store seam: the few S3 operations the sink uses (Java `S3Storage`,
//! `S3OutputStream`), an implementation on `aws-sdk-s3`, and the credentials chain.

use std::time::Duration;

use aws_sdk_s3::config::{
    BehaviorVersion, Credentials, Region, RequestChecksumCalculation, ResponseChecksumValidation,
};
use aws_sdk_s3::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart, Tag, Tagging};
use aws_smithy_http_client::tls;
use rconnect_sdk::async_trait;

use crate::config::{CredentialsSource, S3SinkConfig, Sse};

/// A failed store operation, classified as Java's `S3ErrorUtils` does.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum StoreError {
    /// Throttling, 5xx, network trouble: the same writes may succeed later.
    #[error("{0}")]
    Retriable(String),
    /// Anything else (missing bucket, refused credentials, bad request).
    #[error("{0}")]
    Fatal(String),
}

/// The operations the sink needs from an S3-compatible store.
///
/// ```
/// use rconnect_s3::storage::{ObjectStore, StoreError};
/// fn is_object_store<T: ObjectStore>() {}
/// ```
#[async_trait]
pub trait ObjectStore: Send + Sync {
    /// Fails when the bucket is missing or not accessible.
    async fn check_bucket(&self) -> Result<(), StoreError>;
    /// Starts a multipart upload; the answer is its upload id.
    async fn create_upload(&self, key: &str) -> Result<String, StoreError>;
    /// Uploads part `part` (from 1); the answer is its ETag.
    async fn upload_part(
        &self,
        key: &str,
        upload_id: &str,
        part: i32,
        body: Vec<u8>,
    ) -> Result<String, StoreError>;
    /// Makes the object visible with the given parts `(number, etag)`.
    async fn complete_upload(
        &self,
        key: &str,
        upload_id: &str,
        parts: Vec<(i32, String)>,
    ) -> Result<(), StoreError>;
    /// Abandons an upload; errors are only logged, as in Java.
    async fn abort_upload(&self, key: &str, upload_id: &str);
    /// The keys under `prefix`, in order, after `start_after`.
    async fn list_keys(
        &self,
        prefix: &str,
        start_after: Option<&str>,
    ) -> Result<Vec<String>, StoreError>;
    /// Replaces the tags of an object.
    async fn put_tags(&self, key: &str, tags: &[(String, String)]) -> Result<(), StoreError>;
}

/// [`ObjectStore`] on `aws-sdk-s3`.
#[derive(Debug, Clone)]
pub struct S3Store {
    client: aws_sdk_s3::Client,
    bucket: String,
    sse: Sse,
    acl: Option<String>,
}

/// S3 error codes the AWS SDKs retry (besides any 5xx and 429).
const RETRYABLE_CODES: &[&str] = &[
    "SlowDown",
    "Throttling",
    "ThrottlingException",
    "RequestTimeout",
    "RequestTimeTooSkewed",
    "InternalError",
    "ServiceUnavailable",
    "RequestLimitExceeded",
];

fn classify<E>(what: &str, e: SdkError<E, aws_sdk_s3::config::http::HttpResponse>) -> StoreError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    classify_as(what, e, "NoSuchKey")
}

/// [`classify`], naming a 404 without an error code (HEAD answers have no body) `missing`.
fn classify_as<E>(
    what: &str,
    e: SdkError<E, aws_sdk_s3::config::http::HttpResponse>,
    missing: &str,
) -> StoreError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    match &e {
        SdkError::ServiceError(se) => {
            let status = se.raw().status().as_u16();
            let code = se
                .err()
                .code()
                .filter(|c| !(status == 404 && *c == "NotFound"))
                .map(str::to_string)
                .unwrap_or_else(|| match status {
                    404 => missing.into(),
                    403 => "AccessDenied".into(),
                    s => format!("HTTP {s}"),
                });
            let message = se.err().message().unwrap_or("").to_string();
            let text = format!(
                "{what}: S3 error code {code} (HTTP status {status}){}",
                if message.is_empty() {
                    String::new()
                } else {
                    format!(": {message}")
                }
            );
            if status >= 500 || status == 429 || RETRYABLE_CODES.contains(&code.as_str()) {
                StoreError::Retriable(text)
            } else {
                StoreError::Fatal(text)
            }
        }
        SdkError::DispatchFailure(_) | SdkError::TimeoutError(_) | SdkError::ResponseError(_) => {
            StoreError::Retriable(format!("{what}: {}", DisplayErrorContext(&e)))
        }
        _ => StoreError::Fatal(format!("{what}: {}", DisplayErrorContext(&e))),
    }
}

impl S3Store {
    /// A client for `config`'s bucket, endpoint, region, credentials and retry policy.
    pub fn new(config: &S3SinkConfig) -> Result<S3Store, StoreError> {
        let http = aws_smithy_http_client::Builder::new()
            .tls_provider(tls::Provider::Rustls(
                tls::rustls_provider::CryptoMode::Ring,
            ))
            .build_https();
        let mut b = aws_sdk_s3::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(config.region.clone()))
            .http_client(http)
            .force_path_style(config.path_style)
            .accelerate(config.wan_mode)
            // Newer SDK defaults send checksums some S3-compatible stores reject; Java's
            // connector sends none unless `s3.send.digest`.
            .request_checksum_calculation(RequestChecksumCalculation::WhenRequired)
            .response_checksum_validation(ResponseChecksumValidation::WhenRequired)
            // Java: standard retry policy, `s3.part.retries` attempts, exponential full
            // jitter from `s3.retry.backoff.ms`.
            .retry_config(
                aws_sdk_s3::config::retry::RetryConfig::standard()
                    .with_max_attempts(config.part_retries.max(1))
                    .with_initial_backoff(Duration::from_millis(config.s3_retry_backoff_ms.max(1)))
                    .with_max_backoff(Duration::from_secs(20)),
            )
            .timeout_config(
                aws_sdk_s3::config::timeout::TimeoutConfig::builder()
                    .connect_timeout(Duration::from_secs(10))
                    .read_timeout(Duration::from_secs(60))
                    .build(),
            );
        if let Some(url) = &config.endpoint {
            b = b.endpoint_url(url);
        }
        b = match credentials(&config.credentials)? {
            Some(c) => b.credentials_provider(c),
            None => b.allow_no_auth(),
        };
        Ok(S3Store {
            client: aws_sdk_s3::Client::from_conf(b.build()),
            bucket: config.bucket.clone(),
            sse: config.sse.clone(),
            acl: config.acl.clone(),
        })
    }

    fn url(&self, key: &str) -> String {
        format!("s3://{}/{key}", self.bucket)
    }
}

#[async_trait]
impl ObjectStore for S3Store {
    async fn check_bucket(&self) -> Result<(), StoreError> {
        self.client
            .head_bucket()
            .bucket(&self.bucket)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| {
                classify_as(
                    &format!("S3 bucket '{}' is not accessible", self.bucket),
                    e,
                    "NoSuchBucket",
                )
            })
    }

    async fn create_upload(&self, key: &str) -> Result<String, StoreError> {
        let mut req = self
            .client
            .create_multipart_upload()
            .bucket(&self.bucket)
            .key(key);
        if let Some(acl) = &self.acl {
            req = req.acl(acl.as_str().into());
        }
        match &self.sse {
            Sse::None => {}
            Sse::Managed {
                algorithm,
                kms_key_id,
            } => {
                req = req.server_side_encryption(algorithm.as_str().into());
                if let Some(k) = kms_key_id {
                    req = req.ssekms_key_id(k);
                }
            }
            Sse::Customer { key_base64 } => {
                req = req
                    .sse_customer_algorithm("AES256")
                    .sse_customer_key(key_base64)
                    .sse_customer_key_md5(key_md5(key_base64));
            }
        }
        let out = req.send().await.map_err(|e| {
            classify(
                &format!("Starting the multipart upload of {}", self.url(key)),
                e,
            )
        })?;
        out.upload_id.ok_or_else(|| {
            StoreError::Fatal(format!(
                "Starting the multipart upload of {}: no upload id in the answer",
                self.url(key)
            ))
        })
    }

    async fn upload_part(
        &self,
        key: &str,
        upload_id: &str,
        part: i32,
        body: Vec<u8>,
    ) -> Result<String, StoreError> {
        let mut req = self
            .client
            .upload_part()
            .bucket(&self.bucket)
            .key(key)
            .upload_id(upload_id)
            .part_number(part)
            .content_length(body.len() as i64)
            .body(ByteStream::from(body));
        if let Sse::Customer { key_base64 } = &self.sse {
            req = req
                .sse_customer_algorithm("AES256")
                .sse_customer_key(key_base64)
                .sse_customer_key_md5(key_md5(key_base64));
        }
        let out = req
            .send()
            .await
            .map_err(|e| classify(&format!("Uploading part {part} of {}", self.url(key)), e))?;
        Ok(out.e_tag.unwrap_or_default())
    }

    async fn complete_upload(
        &self,
        key: &str,
        upload_id: &str,
        parts: Vec<(i32, String)>,
    ) -> Result<(), StoreError> {
        let parts = parts
            .into_iter()
            .map(|(n, etag)| CompletedPart::builder().part_number(n).e_tag(etag).build())
            .collect();
        self.client
            .complete_multipart_upload()
            .bucket(&self.bucket)
            .key(key)
            .upload_id(upload_id)
            .multipart_upload(
                CompletedMultipartUpload::builder()
                    .set_parts(Some(parts))
                    .build(),
            )
            .send()
            .await
            .map(|_| ())
            .map_err(|e| {
                classify(
                    &format!("Completing the multipart upload of {}", self.url(key)),
                    e,
                )
            })
    }

    async fn abort_upload(&self, key: &str, upload_id: &str) {
        if let Err(e) = self
            .client
            .abort_multipart_upload()
            .bucket(&self.bucket)
            .key(key)
            .upload_id(upload_id)
            .send()
            .await
        {
            tracing::warn!(
                "Unable to abort the multipart upload of {}: {}",
                self.url(key),
                DisplayErrorContext(&e)
            );
        }
    }

    async fn list_keys(
        &self,
        prefix: &str,
        start_after: Option<&str>,
    ) -> Result<Vec<String>, StoreError> {
        let mut keys = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let mut req = self
                .client
                .list_objects_v2()
                .bucket(&self.bucket)
                .prefix(prefix);
            if let Some(t) = &token {
                req = req.continuation_token(t);
            } else if let Some(s) = start_after {
                req = req.start_after(s);
            }
            let out = req
                .send()
                .await
                .map_err(|e| classify(&format!("Listing s3://{}/{prefix}", self.bucket), e))?;
            keys.extend(
                out.contents()
                    .iter()
                    .filter_map(|o| o.key().map(str::to_string)),
            );
            match out.next_continuation_token {
                Some(t) if out.is_truncated == Some(true) => token = Some(t),
                _ => break,
            }
        }
        Ok(keys)
    }

    async fn put_tags(&self, key: &str, tags: &[(String, String)]) -> Result<(), StoreError> {
        let tags: Result<Vec<Tag>, _> = tags
            .iter()
            .map(|(k, v)| Tag::builder().key(k).value(v).build())
            .collect();
        let tags =
            tags.map_err(|e| StoreError::Fatal(format!("Tagging {}: {e}", self.url(key))))?;
        let tagging = Tagging::builder()
            .set_tag_set(Some(tags))
            .build()
            .map_err(|e| StoreError::Fatal(format!("Tagging {}: {e}", self.url(key))))?;
        self.client
            .put_object_tagging()
            .bucket(&self.bucket)
            .key(key)
            .tagging(tagging)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| classify(&format!("Tagging {}", self.url(key)), e))
    }
}

/// SSE-C needs the key's MD5; S3 refuses requests whose key and digest disagree.
fn key_md5(key_base64: &str) -> String {
    use base64::Engine as _;
    let raw = base64::engine::general_purpose::STANDARD
        .decode(key_base64.trim())
        .unwrap_or_default();
    use md5::Digest as _;
    base64::engine::general_purpose::STANDARD.encode(&md5::Md5::digest(&raw)[..])
}

/// Credentials as the AWS SDK's default chain finds them, minus the sources that need
/// other AWS services (STS web identity, SSO, instance and container metadata): the
/// environment, then the shared files. `None` = unsigned requests.
fn credentials(source: &CredentialsSource) -> Result<Option<Credentials>, StoreError> {
    let env = || {
        let id = std::env::var("AWS_ACCESS_KEY_ID")
            .ok()
            .filter(|s| !s.is_empty())?;
        let secret = std::env::var("AWS_SECRET_ACCESS_KEY")
            .or_else(|_| std::env::var("AWS_SECRET_KEY"))
            .ok()
            .filter(|s| !s.is_empty())?;
        let token = std::env::var("AWS_SESSION_TOKEN")
            .ok()
            .filter(|s| !s.is_empty());
        Some(Credentials::new(id, secret, token, None, "environment"))
    };
    let none = |what: &str| {
        StoreError::Fatal(format!(
            "No AWS credentials found ({what}). Set {} and {}, the AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY environment variables, or a profile in ~/.aws/credentials",
            crate::config::ACCESS_KEY_ID,
            crate::config::SECRET_ACCESS_KEY
        ))
    };
    match source {
        CredentialsSource::Static { access_key, secret } => Ok(Some(Credentials::new(
            access_key,
            secret,
            None,
            None,
            "connector config",
        ))),
        CredentialsSource::Anonymous => Ok(None),
        CredentialsSource::Environment => env().map(Some).ok_or_else(|| none("environment")),
        CredentialsSource::Profile => profile()
            .map(Some)
            .ok_or_else(|| none("shared credentials files")),
        CredentialsSource::DefaultChain => env()
            .or_else(profile)
            .map(Some)
            .ok_or_else(|| none("default chain")),
    }
}

/// The profile named by `AWS_PROFILE` (else `default`) in `AWS_SHARED_CREDENTIALS_FILE`
/// (else `~/.aws/credentials`), then in `AWS_CONFIG_FILE` (else `~/.aws/config`, where
/// sections are `[profile NAME]`).
fn profile() -> Option<Credentials> {
    let name = std::env::var("AWS_PROFILE")
        .ok()
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "default".into());
    let home = std::env::var("HOME").ok();
    let file = |var: &str, rel: &str| {
        std::env::var(var)
            .ok()
            .filter(|s| !s.is_empty())
            .or_else(|| home.as_ref().map(|h| format!("{h}/.aws/{rel}")))
    };
    if let Some(path) = file("AWS_SHARED_CREDENTIALS_FILE", "credentials") {
        if let Some(c) = std::fs::read_to_string(&path)
            .ok()
            .and_then(|t| parse_profile(&t, &name))
        {
            return Some(c);
        }
    }
    let section = if name == "default" {
        name.clone()
    } else {
        format!("profile {name}")
    };
    let path = file("AWS_CONFIG_FILE", "config")?;
    std::fs::read_to_string(path)
        .ok()
        .and_then(|t| parse_profile(&t, &section))
}

/// The static keys of `[section]` in an AWS ini file.
pub(crate) fn parse_profile(text: &str, section: &str) -> Option<Credentials> {
    let mut in_section = false;
    let (mut id, mut secret, mut token) = (None, None, None);
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('#') || line.starts_with(';') || line.is_empty() {
            continue;
        }
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            in_section = name.trim() == section;
            continue;
        }
        if !in_section {
            continue;
        }
        if let Some((k, v)) = line.split_once('=') {
            let v = v.trim().to_string();
            match k.trim() {
                "aws_access_key_id" => id = Some(v),
                "aws_secret_access_key" => secret = Some(v),
                "aws_session_token" => token = Some(v),
                _ => {}
            }
        }
    }
    Some(Credentials::new(id?, secret?, token, None, "profile"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_s3::config::ProvideCredentials as _;

    #[tokio::test]
    async fn profiles_are_read_from_aws_ini_files() {
        let text = "[default]\naws_access_key_id = AK1\naws_secret_access_key=SK1\n\n[profile other]\n# comment\naws_access_key_id=AK2\naws_secret_access_key=SK2\naws_session_token=T2\n";
        let c = parse_profile(text, "default")
            .unwrap()
            .provide_credentials()
            .await
            .unwrap();
        assert_eq!((c.access_key_id(), c.secret_access_key()), ("AK1", "SK1"));
        let c = parse_profile(text, "profile other")
            .unwrap()
            .provide_credentials()
            .await
            .unwrap();
        assert_eq!(c.session_token(), Some("T2"));
        assert!(parse_profile(text, "missing").is_none());
    }
}
