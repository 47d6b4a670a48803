//! Keep-alive connections survive requests the server answers without needing their body.
//!
//! hyper closes a connection when a handler drops a request body whose end has not arrived
//! yet, without saying so in the response; a pooling client then reuses a dead connection.
//! These tests send the end of the body late, over one raw socket, on purpose.

mod support;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use support::TestServer;

/// Long enough for a server that does not wait for the body to have answered already.
const LATE: Duration = Duration::from_millis(150);

struct Conn {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
}

/// Status, lower-cased headers and body of one response.
struct RawResp {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Conn {
    fn open(s: &TestServer) -> Conn {
        let stream = TcpStream::connect(("127.0.0.1", s.port)).expect("connect");
        stream.set_nodelay(true).expect("TCP_NODELAY");
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .expect("a read timeout");
        Conn {
            reader: BufReader::new(stream.try_clone().expect("a second handle")),
            writer: stream,
        }
    }

    fn send(&mut self, bytes: &str) {
        let line = bytes.lines().next().unwrap_or(bytes);
        self.writer
            .write_all(bytes.as_bytes())
            .and_then(|()| self.writer.flush())
            .unwrap_or_else(|e| panic!("sending {line:?}: the server closed the connection: {e}"));
    }

    fn read_response(&mut self, what: &str) -> RawResp {
        let mut status_line = String::new();
        let n = self
            .reader
            .read_line(&mut status_line)
            .unwrap_or_else(|e| panic!("{what}: reading the status line failed: {e}"));
        assert!(n > 0, "{what}: the server closed the connection");
        let status = status_line
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("{what}: bad status line {status_line:?}"));
        let mut headers = Vec::new();
        loop {
            let mut line = String::new();
            self.reader.read_line(&mut line).expect("a header line");
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            let (k, v) = line.split_once(':').expect("a header");
            headers.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
        }
        let len = headers
            .iter()
            .find(|(k, _)| k == "content-length")
            .map_or(0, |(_, v)| v.parse().expect("a length"));
        let mut body = vec![0; len];
        self.reader.read_exact(&mut body).expect("the body");
        RawResp {
            status,
            headers,
            body: String::from_utf8(body).expect("UTF-8"),
        }
    }

    /// Sends `head`, then `rest` after [`LATE`], and reads the response.
    fn late_body(&mut self, head: &str, rest: &str) -> RawResp {
        self.send(head);
        std::thread::sleep(LATE);
        self.send(rest);
        self.read_response(head.lines().next().unwrap_or(head))
    }

    /// A plain GET on the same connection must still be answered.
    fn assert_still_open(&mut self) {
        self.send("GET /connectors HTTP/1.1\r\nhost: t\r\n\r\n");
        let r = self.read_response("GET after the late body");
        assert_eq!((r.status, r.body.as_str()), (200, "[]"));
    }
}

fn assert_keep_alive(r: &RawResp, status: u16) {
    assert_eq!(r.status, status, "body: {}", r.body);
    assert!(
        !r.headers
            .iter()
            .any(|(k, v)| k == "connection" && v.eq_ignore_ascii_case("close")),
        "the server asked to close: {:?}",
        r.headers
    );
}

/// What ureq 3 sends for a POST without a body: chunked, the last chunk in its own write.
#[test]
fn bodiless_post_with_a_late_last_chunk() {
    let s = TestServer::start();
    let mut c = Conn::open(&s);
    for path in [
        "/connectors/x/tasks/0/restart",
        "/connectors/x/restart",
        "/connectors/c/tasks/zero/restart",
    ] {
        let head = format!("POST {path} HTTP/1.1\r\nhost: t\r\ntransfer-encoding: chunked\r\n\r\n");
        let r = c.late_body(&head, "0\r\n\r\n");
        assert_keep_alive(&r, 404);
        c.assert_still_open();
    }
}

/// A body sent after its headers (as many clients write them) to requests refused by
/// routing or content negotiation, which never look at the body.
#[test]
fn refused_requests_with_a_late_body() {
    let s = TestServer::start();
    let mut c = Conn::open(&s);
    let cases = [
        ("POST /nope", "application/json", 404),
        ("POST /connectors/c", "application/json", 405),
        ("PATCH /connectors/c/config", "text/plain", 415),
        ("PUT /connectors/c/pause", "application/json", 404),
    ];
    for (request, content_type, status) in cases {
        let head = format!(
            "{request} HTTP/1.1\r\nhost: t\r\ncontent-type: {content_type}\r\n\
             content-length: 2\r\n\r\n"
        );
        let r = c.late_body(&head, "{}");
        assert_keep_alive(&r, status);
        c.assert_still_open();
    }
}

/// A body that is read still works when it arrives in pieces.
#[test]
fn json_body_in_late_chunks() {
    let s = TestServer::start();
    let mut c = Conn::open(&s);
    let config = r#"{"connector.class":"FileStreamSource","file":"/tmp/in"}"#;
    let head = "PUT /connectors/late/config HTTP/1.1\r\nhost: t\r\n\
                content-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n";
    let (a, b) = config.split_at(10);
    c.send(head);
    c.send(&format!("{:x}\r\n{a}\r\n", a.len()));
    std::thread::sleep(LATE);
    let r = c.late_body(&format!("{:x}\r\n{b}\r\n", b.len()), "0\r\n\r\n");
    assert_keep_alive(&r, 201);
    assert_eq!(
        s.herder.connectors.lock().unwrap()["late"].config["file"],
        "/tmp/in"
    );
    c.send("GET /connectors HTTP/1.1\r\nhost: t\r\n\r\n");
    assert_eq!(c.read_response("GET").body, r#"["late"]"#);
}
