//! Connection hygiene: idle and header-read timeouts, the connection cap, and graceful
//! shutdown, over raw sockets with tiny limits.

mod support;

use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use rconnect_rest::ConnectionLimits;
use support::TestServer;

fn limits(idle_ms: u64, header_ms: u64, max_connections: usize) -> ConnectionLimits {
    ConnectionLimits {
        idle_timeout: Duration::from_millis(idle_ms),
        header_read_timeout: Duration::from_millis(header_ms),
        max_connections,
    }
}

fn server(limits: ConnectionLimits) -> TestServer {
    TestServer::start_with(move |s| s.with_connection_limits(limits))
}

fn connect(s: &TestServer, read_timeout: Duration) -> TcpStream {
    let stream = TcpStream::connect(("127.0.0.1", s.port)).expect("connect");
    stream.set_nodelay(true).expect("TCP_NODELAY");
    stream
        .set_read_timeout(Some(read_timeout))
        .expect("a read timeout");
    stream
}

/// What the next read on `stream` gives.
#[derive(Debug, PartialEq)]
enum Read1 {
    Data(String),
    /// The server closed the connection (EOF or reset).
    Closed,
    /// Nothing arrived within the read timeout.
    Nothing,
}

fn read_some(stream: &mut TcpStream) -> Read1 {
    let mut buf = [0u8; 4096];
    match stream.read(&mut buf) {
        Ok(0) => Read1::Closed,
        Ok(n) => Read1::Data(String::from_utf8_lossy(&buf[..n]).into_owned()),
        Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => Read1::Nothing,
        Err(e) if e.kind() == ErrorKind::ConnectionReset => Read1::Closed,
        Err(e) => panic!("reading failed: {e}"),
    }
}

/// Sends a GET and reads its whole response (the bodies here fit one read).
fn get(stream: &mut TcpStream, path: &str) -> String {
    write!(stream, "GET {path} HTTP/1.1\r\nHost: x\r\n\r\n").expect("send a request");
    match read_some(stream) {
        Read1::Data(text) => text,
        other => panic!("GET {path}: no response ({other:?})"),
    }
}

#[test]
fn idle_connections_are_closed() {
    let s = server(limits(300, 5_000, 16));
    // Never sent anything.
    let mut silent = connect(&s, Duration::from_secs(10));
    // Answered one request, then went quiet.
    let mut kept = connect(&s, Duration::from_secs(10));
    let resp = get(&mut kept, "/");
    assert!(resp.starts_with("HTTP/1.1 200"), "{resp}");
    assert_eq!(read_some(&mut silent), Read1::Closed);
    assert_eq!(read_some(&mut kept), Read1::Closed);
}

#[test]
fn keep_alive_connection_waits_the_idle_timeout_not_the_header_timeout() {
    let s = server(limits(5_000, 200, 16));
    let mut conn = connect(&s, Duration::from_secs(10));
    assert!(get(&mut conn, "/").starts_with("HTTP/1.1 200"));
    // Longer than the header-read timeout, with no request started: still open.
    std::thread::sleep(Duration::from_millis(800));
    assert!(get(&mut conn, "/").starts_with("HTTP/1.1 200"));
}

#[test]
fn slow_headers_are_cut() {
    let s = server(limits(10_000, 300, 16));
    let mut conn = connect(&s, Duration::from_millis(50));
    conn.write_all(b"GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        .expect("start a request");
    // One byte every 50 ms keeps the connection busy (never idle), but the headers never
    // end: only the header-read timeout can close it, long before the idle timeout.
    let started = Instant::now();
    let closed = loop {
        if started.elapsed() > Duration::from_secs(8) {
            break false;
        }
        if conn.write_all(b"a").is_err() {
            break true;
        }
        match read_some(&mut conn) {
            Read1::Closed => break true,
            Read1::Data(text) => panic!("a response to headers that never ended: {text}"),
            Read1::Nothing => {}
        }
    };
    assert!(
        closed,
        "the connection was still open after 8 s of trickled headers"
    );
}

#[test]
fn long_request_is_not_cut_by_the_idle_timeout() {
    let s = server(limits(300, 300, 16));
    let mut conn = connect(&s, Duration::from_secs(10));
    // The test herder takes 2 s for connectors named `slow*`: far longer than the idle
    // timeout, with no I/O meanwhile.
    let resp = get(&mut conn, "/connectors/slow-one");
    assert!(resp.starts_with("HTTP/1.1 404"), "{resp}");
    assert!(resp.contains("Connector slow-one not found"), "{resp}");
}

#[test]
fn connections_past_the_cap_wait_in_the_backlog() {
    let s = server(limits(30_000, 10_000, 2));
    let mut first = connect(&s, Duration::from_secs(10));
    let mut second = connect(&s, Duration::from_secs(10));
    assert!(get(&mut first, "/").starts_with("HTTP/1.1 200"));
    assert!(get(&mut second, "/").starts_with("HTTP/1.1 200"));
    // The kernel completes the handshake, but the server does not accept a third one.
    let mut third = connect(&s, Duration::from_millis(700));
    third
        .write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        .expect("send a request");
    assert_eq!(read_some(&mut third), Read1::Nothing);
    // A slot frees up: the waiting connection is accepted and answered.
    drop(first);
    third
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("a read timeout");
    match read_some(&mut third) {
        Read1::Data(text) => assert!(text.starts_with("HTTP/1.1 200"), "{text}"),
        other => panic!("the third connection was not served after a slot freed: {other:?}"),
    }
    assert!(get(&mut second, "/").starts_with("HTTP/1.1 200"));
}

#[test]
fn graceful_shutdown_drains_requests_and_closes_idle_connections() {
    let s = server(limits(30_000, 10_000, 16));
    let port = s.port;
    let mut idle = connect(&s, Duration::from_secs(10));
    assert!(get(&mut idle, "/").starts_with("HTTP/1.1 200"));
    let slow = std::thread::spawn(move || {
        let mut conn = TcpStream::connect(("127.0.0.1", port)).expect("connect");
        conn.set_read_timeout(Some(Duration::from_secs(10)))
            .expect("a read timeout");
        get(&mut conn, "/connectors/slow-two")
    });
    // Let the slow request reach the herder, then stop the server.
    std::thread::sleep(Duration::from_millis(500));
    let stopped = Instant::now();
    s.shutdown().expect("serve ends cleanly");
    let resp = slow.join().expect("the slow client");
    assert!(resp.starts_with("HTTP/1.1 404"), "{resp}");
    // The idle keep-alive connection was closed, not held until the stop timeout.
    assert_eq!(read_some(&mut idle), Read1::Closed);
    assert!(
        stopped.elapsed() < rconnect_rest::GRACEFUL_STOP_TIMEOUT,
        "shutdown waited for the stop timeout"
    );
    assert!(TcpStream::connect(("127.0.0.1", port)).is_err());
}
