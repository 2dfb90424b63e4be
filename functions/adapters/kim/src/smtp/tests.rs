//! Delivery against a real SMTP server: aiosmtpd (PyPI), from the virtual environment
//! `tools/setup --test` makes in `.tools/venv` (or the Python in `PORTAL_TEST_PYTHON`). A missing
//! Python or aiosmtpd fails the test with what to do; it never skips.

use std::fs::File;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use portal_core::model::{DeliveryFailure, ReportId};
use portal_core::{DeliveryError, ReportDelivery};
use portal_domain::therapy::KimAddress;

use super::*;
use crate::message::tests::{assert_is_the_kim_message, sample};

fn python() -> PathBuf {
    let python = match std::env::var_os("PORTAL_TEST_PYTHON") {
        Some(python) => PathBuf::from(python),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../.tools/venv/bin/python3"),
    };
    let has_aiosmtpd = Command::new(&python)
        .args(["-c", "import aiosmtpd"])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        has_aiosmtpd,
        "{} with aiosmtpd is missing: run tools/setup --test (it installs aiosmtpd into \
         .tools/venv), or point PORTAL_TEST_PYTHON at a Python that has it",
        python.display()
    );
    python
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// An aiosmtpd process, stopped when dropped.
struct Server {
    child: Child,
    port: u16,
}

impl Server {
    /// `python -m aiosmtpd` with the handler `class` and its arguments, modules from `dir`.
    fn start(dir: &Path, class: &str, args: &[&str]) -> Server {
        let port = free_port();
        let log = dir.join(format!("aiosmtpd-{port}.log"));
        let child = Command::new(python())
            .args(["-m", "aiosmtpd", "-n", "-l", &format!("127.0.0.1:{port}"), "-c", class])
            .args(args)
            .env("PYTHONPATH", dir)
            .current_dir(dir)
            .stdin(Stdio::null())
            .stdout(File::create(&log).unwrap())
            .stderr(File::create(dir.join(format!("aiosmtpd-{port}.err"))).unwrap())
            .spawn()
            .expect("python starts");
        let mut server = Server { child, port };
        let start = Instant::now();
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            if let Ok(Some(status)) = server.child.try_wait() {
                let err = std::fs::read_to_string(dir.join(format!("aiosmtpd-{port}.err")));
                panic!("aiosmtpd ended ({status}): {}", err.unwrap_or_default());
            }
            assert!(start.elapsed() < Duration::from_secs(30), "aiosmtpd listens within 30 s");
            std::thread::sleep(Duration::from_millis(50));
        }
        server
    }

    fn delivery(&self) -> SmtpDelivery {
        SmtpDelivery::new(local(self.port)).unwrap()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Plain SMTP to a port on this machine.
fn local(port: u16) -> SmtpConfig {
    SmtpConfig {
        host: "127.0.0.1".into(),
        port,
        tls: Tls::None,
        user: None,
        password: None,
        sender_system: "Serviceportal eTherapiebericht 1.0".into(),
        timeout: Duration::from_secs(10),
        root_certificate: None,
    }
}

/// Answers RCPT by the recipient's local part, as a KIM client module would.
const REFUSING_HANDLER: &str = r#"
class Refusing:
    replies = {
        "unknown": "550 5.1.1 unknown recipient",
        "plain": "553 mailbox name not allowed",
        "nocert": "550 5.7.1 no encryption certificate for recipient",
        "big": "552 5.3.4 message too big for system",
        "busy": "452 4.3.1 insufficient system storage",
        "nocert451": "451 4.7.0 Kein Verschluesselungszertifikat fuer den Empfaenger gefunden",
        "hiccup": "451 4.3.0 local error in processing",
        "login": "535 5.7.8 authentication credentials invalid",
    }

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        reply = self.replies.get(address.split("@")[0])
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        return "250 OK"
"#;

#[tokio::test]
async fn a_report_reaches_the_smtp_server_whole() {
    let dir = tempfile::tempdir().unwrap();
    let maildir = dir.path().join("maildir");
    let server =
        Server::start(dir.path(), "aiosmtpd.handlers.Mailbox", &[maildir.to_str().unwrap()]);
    let sent = sample(&ReportId::new());
    server.delivery().deliver(&sent).await.unwrap();

    let new: Vec<PathBuf> =
        std::fs::read_dir(maildir.join("new")).unwrap().map(|e| e.unwrap().path()).collect();
    assert_eq!(new.len(), 1, "one message in {new:?}");
    let raw = std::fs::read(&new[0]).unwrap();
    assert_is_the_kim_message(&raw, &sent, "Serviceportal eTherapiebericht 1.0");
    // The envelope aiosmtpd saw.
    let text = String::from_utf8_lossy(&raw);
    assert!(text.contains(&format!("X-MailFrom: {}", sent.from)), "{text}");
    assert!(text.contains(&format!("X-RcptTo: {}", sent.to)), "{text}");
    drop(server);
}

#[tokio::test]
async fn refusals_are_for_good_and_busy_servers_for_now() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("refusing.py"), REFUSING_HANDLER).unwrap();
    let server = Server::start(dir.path(), "refusing.Refusing", &[]);
    let delivery = server.delivery();
    let to = |local: &str| {
        let mut message = sample(&ReportId::new());
        message.to = KimAddress::parse(&format!("{local}@hno-erfurt.kim.telematik")).unwrap();
        message
    };

    for (local, failure) in [
        ("unknown", DeliveryFailure::AddressRefused),
        ("plain", DeliveryFailure::AddressRefused),
        ("nocert", DeliveryFailure::NoCertificate),
        // How a KIM client module says it found no certificate: a transient code, for good.
        ("nocert451", DeliveryFailure::NoCertificate),
        ("big", DeliveryFailure::TooLarge),
    ] {
        match delivery.deliver(&to(local)).await {
            Err(DeliveryError::Refused(refused)) => assert_eq!(refused, failure, "{local}"),
            other => panic!("{local}: refused with {failure:?}, not {other:?}"),
        }
    }
    for local in ["busy", "login", "hiccup"] {
        let outcome = delivery.deliver(&to(local)).await;
        assert!(matches!(outcome, Err(DeliveryError::Unavailable(_))), "{local}: {outcome:?}");
    }
    delivery.deliver(&to("praxis")).await.unwrap();
    assert_eq!(delivery.receipts().await.unwrap(), []);

    // Nobody listening: for now, too.
    let port = server.port;
    drop(server);
    let gone =
        SmtpDelivery::new(SmtpConfig { timeout: Duration::from_secs(2), ..local(port) }).unwrap();
    let outcome = gone.deliver(&to("praxis")).await;
    assert!(matches!(outcome, Err(DeliveryError::Unavailable(_))), "{outcome:?}");
}

#[test]
fn the_kim_user_name_joins_account_and_konnektor_context() {
    assert_eq!(
        kim_user_name(
            "etherapiebericht@aok-plus.kim.telematik",
            "kim-fd.example.telematik:465",
            "Mandant1",
            "CS1",
            "AP1"
        ),
        "etherapiebericht@aok-plus.kim.telematik#kim-fd.example.telematik:465#Mandant1#CS1#AP1"
    );
}

#[test]
fn a_certificate_that_is_no_pem_is_a_configuration_error() {
    let config = SmtpConfig {
        host: "kim-cm.praxis.example".into(),
        tls: Tls::Wrapper,
        user: Some("u".into()),
        password: Some("p".into()),
        root_certificate: Some(b"not a certificate".to_vec()),
        ..local(465)
    };
    assert!(SmtpDelivery::new(config.clone()).is_err());
    assert!(SmtpDelivery::new(SmtpConfig { root_certificate: None, ..config }).is_ok());
}
