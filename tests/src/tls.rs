//! Test certificates made with the `openssl` command line at test time: a CA, a server
//! certificate for `localhost`/`127.0.0.1`, a client certificate from the same CA, and a
//! client certificate from a CA nobody trusts; each as PEM files and as the PKCS12
//! keystores/truststores Java users configure.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The password of every keystore and truststore made here.
pub const STORE_PASSWORD: &str = "changeit";

/// The files of one test PKI.
pub struct Pki {
    pub dir: PathBuf,
    /// The CA certificate (PEM), which signed the server and client certificates.
    pub ca_pem: PathBuf,
    /// The CA as a Java PKCS12 truststore (a trusted-certificate entry).
    pub truststore_p12: PathBuf,
    /// The server's key and chain: PEM key, PEM certificate, a PEM keystore (key and chain
    /// in one file), and a PKCS12 keystore.
    pub server_key_pem: PathBuf,
    pub server_cert_pem: PathBuf,
    pub server_keystore_pem: PathBuf,
    pub server_p12: PathBuf,
    /// A client certificate the CA signed, as PKCS12 and as PEM key and certificate.
    pub client_p12: PathBuf,
    pub client_key_pem: PathBuf,
    pub client_cert_pem: PathBuf,
    /// The client's key and certificate in one PEM file (`ssl.keystore.type=PEM`).
    pub client_keystore_pem: PathBuf,
    /// A client certificate signed by another CA, as PKCS12 and PEM.
    pub rogue_p12: PathBuf,
    pub rogue_key_pem: PathBuf,
    pub rogue_cert_pem: PathBuf,
}

fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap_or_else(|e| panic!("cannot run openssl (install the openssl package): {e}"));
    assert!(
        out.status.success(),
        "openssl {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn ca(dir: &Path, name: &str) {
    openssl(
        dir,
        &[
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-keyout",
            &format!("{name}.key"),
            "-out",
            &format!("{name}.pem"),
            "-days",
            "2",
            "-subj",
            &format!("/CN={name}"),
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=critical,keyCertSign,cRLSign",
        ],
    );
}

fn leaf(dir: &Path, name: &str, ca: &str) {
    std::fs::write(
        dir.join(format!("{name}.ext")),
        "subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\n\
         basicConstraints=CA:FALSE\n",
    )
    .unwrap();
    openssl(
        dir,
        &[
            "req",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-keyout",
            &format!("{name}.key"),
            "-out",
            &format!("{name}.csr"),
            "-subj",
            &format!("/CN={name}"),
        ],
    );
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            &format!("{name}.csr"),
            "-CA",
            &format!("{ca}.pem"),
            "-CAkey",
            &format!("{ca}.key"),
            "-CAcreateserial",
            "-out",
            &format!("{name}.pem"),
            "-days",
            "2",
            "-extfile",
            &format!("{name}.ext"),
        ],
    );
    openssl(
        dir,
        &[
            "pkcs12",
            "-export",
            "-in",
            &format!("{name}.pem"),
            "-inkey",
            &format!("{name}.key"),
            "-certfile",
            &format!("{ca}.pem"),
            "-name",
            name,
            "-out",
            &format!("{name}.p12"),
            "-passout",
            &format!("pass:{STORE_PASSWORD}"),
        ],
    );
}

impl Pki {
    /// Makes every file in `dir`.
    pub fn generate(dir: &Path) -> Pki {
        ca(dir, "ca");
        ca(dir, "rogue-ca");
        leaf(dir, "server", "ca");
        leaf(dir, "client", "ca");
        leaf(dir, "rogue", "rogue-ca");
        openssl(
            dir,
            &[
                // keytool would mark the entry as trusted (`-jdktrust` from OpenSSL 3.2);
                // rconnect reads every certificate of a truststore either way.
                "pkcs12",
                "-export",
                "-nokeys",
                "-in",
                "ca.pem",
                "-out",
                "truststore.p12",
                "-passout",
                &format!("pass:{STORE_PASSWORD}"),
            ],
        );
        let keystore_pem = format!(
            "{}{}",
            std::fs::read_to_string(dir.join("server.key")).unwrap(),
            std::fs::read_to_string(dir.join("server.pem")).unwrap()
        );
        std::fs::write(dir.join("server-keystore.pem"), keystore_pem).unwrap();
        let client_keystore = format!(
            "{}{}",
            std::fs::read_to_string(dir.join("client.key")).unwrap(),
            std::fs::read_to_string(dir.join("client.pem")).unwrap()
        );
        std::fs::write(dir.join("client-keystore.pem"), client_keystore).unwrap();
        Pki {
            dir: dir.to_path_buf(),
            ca_pem: dir.join("ca.pem"),
            truststore_p12: dir.join("truststore.p12"),
            server_key_pem: dir.join("server.key"),
            server_cert_pem: dir.join("server.pem"),
            server_keystore_pem: dir.join("server-keystore.pem"),
            server_p12: dir.join("server.p12"),
            client_p12: dir.join("client.p12"),
            client_key_pem: dir.join("client.key"),
            client_cert_pem: dir.join("client.pem"),
            client_keystore_pem: dir.join("client-keystore.pem"),
            rogue_p12: dir.join("rogue.p12"),
            rogue_key_pem: dir.join("rogue.key"),
            rogue_cert_pem: dir.join("rogue.pem"),
        }
    }

    /// An HTTP client trusting this CA, presenting `client` (key PEM, certificate PEM) when
    /// given.
    pub fn https_agent(&self, client: Option<(&Path, &Path)>) -> ureq::Agent {
        let ca = std::fs::read(&self.ca_pem).unwrap();
        let mut tls =
            ureq::tls::TlsConfig::builder().root_certs(ureq::tls::RootCerts::new_with_certs(&[
                ureq::tls::Certificate::from_pem(&ca).expect("CA PEM"),
            ]));
        if let Some((key, cert)) = client {
            let key = ureq::tls::PrivateKey::from_pem(&std::fs::read(key).unwrap()).unwrap();
            let cert = ureq::tls::Certificate::from_pem(&std::fs::read(cert).unwrap()).unwrap();
            tls = tls.client_cert(Some(ureq::tls::ClientCert::new_with_certs(&[cert], key)));
        }
        ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(std::time::Duration::from_secs(30)))
            .tls_config(tls.build())
            .build()
            .into()
    }
}

/// Debian's stunnel4 terminating TLS on a free port in front of `127.0.0.1:connect_port`,
/// with `pki`'s server certificate; with `require_client_cert`, only clients with a
/// certificate from `pki`'s CA get through (mutual TLS). Killed on drop.
pub struct Stunnel {
    child: std::process::Child,
    port: u16,
    _dir: tempfile::TempDir,
}

impl Stunnel {
    /// Starts stunnel (installed by `scripts/install-stunnel`) and waits until it accepts.
    pub fn start(pki: &Pki, connect_port: u16, require_client_cert: bool) -> Stunnel {
        Stunnel::start_on(pki, crate::free_port(), connect_port, require_client_cert)
    }

    /// [`Stunnel::start`] on a given `port`.
    pub fn start_on(pki: &Pki, port: u16, connect_port: u16, require_client_cert: bool) -> Stunnel {
        let bin = ["stunnel4", "stunnel"]
            .into_iter()
            .find(|b| {
                Command::new("sh")
                    .args(["-c", &format!("command -v {b}")])
                    .output()
                    .is_ok_and(|o| o.status.success())
            })
            .unwrap_or_else(|| panic!("stunnel4 is not installed: run scripts/install-stunnel"));
        let dir = tempfile::tempdir().unwrap();
        let mut conf = format!(
            "foreground = yes\npid =\nsyslog = no\ndebug = 4\n[kafka]\naccept = 127.0.0.1:{port}\n\
             connect = 127.0.0.1:{connect_port}\ncert = {}\nkey = {}\n",
            pki.server_cert_pem.display(),
            pki.server_key_pem.display()
        );
        if require_client_cert {
            conf.push_str(&format!(
                "CAfile = {}\nverifyChain = yes\nrequireCert = yes\n",
                pki.ca_pem.display()
            ));
        }
        let conf_path = dir.path().join("stunnel.conf");
        std::fs::write(&conf_path, conf).unwrap();
        let log = std::fs::File::create(dir.path().join("stunnel.log")).unwrap();
        let child = Command::new(bin)
            .arg(&conf_path)
            .stdin(std::process::Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {bin}: {e}"));
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                std::time::Instant::now() < deadline,
                "stunnel did not listen on {port}: {}",
                std::fs::read_to_string(dir.path().join("stunnel.log")).unwrap_or_default()
            );
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        Stunnel {
            child,
            port,
            _dir: dir,
        }
    }

    /// The TLS port.
    pub fn port(&self) -> u16 {
        self.port
    }
}

impl Drop for Stunnel {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
