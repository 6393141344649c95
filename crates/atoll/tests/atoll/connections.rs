//! Connection hygiene: a client that trickles its request headers is cut off, and one address
//! cannot hold more than its share of connections open (the server's own limits:
//! `crates/atoll/src/conn.rs`).

use std::io::{Read as _, Write as _};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use crate::common::Server;
use crate::common::http::http;

/// Whether the server closed `stream` (end of file or reset) within `wait`.
fn closed_within(stream: &mut TcpStream, wait: Duration) -> bool {
    stream.set_read_timeout(Some(wait)).unwrap();
    let mut buf = [0u8; 256];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => return true,
            Ok(_) => continue,
            Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => {
                return false;
            }
            Err(_) => return true,
        }
    }
}

#[test]
fn slow_headers_are_cut_off_and_one_address_gets_its_share() {
    let _group = crate::group("cli");
    let data = std::env::temp_dir().join(format!("atoll-conn-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&data);
    let (_server, _, address, _lines) = Server::start(&[
        "demo".as_ref(),
        "--paused".as_ref(),
        "--data".as_ref(),
        data.as_os_str(),
    ]);

    // Headers begun and never finished: the server hangs up after its 10-second limit (60 s
    // is only how long this test waits for that).
    let started = Instant::now();
    let mut slow = TcpStream::connect(&address).unwrap();
    slow.write_all(b"GET /login HTTP/1.1\r\nHost: x\r\nX-Slow: ").unwrap();
    assert!(
        closed_within(&mut slow, Duration::from_secs(60)),
        "a trickling client is cut off"
    );
    assert!(
        started.elapsed() >= Duration::from_secs(9),
        "not before the limit: {:?}",
        started.elapsed()
    );

    // 256 connections held open from this address: the next is closed at once, and a
    // request over it gets nothing.
    let held: Vec<TcpStream> = (0..256).map(|_| TcpStream::connect(&address).unwrap()).collect();
    let mut one_more = TcpStream::connect(&address).unwrap();
    let _ = one_more.write_all(b"GET /login HTTP/1.1\r\nHost: x\r\n\r\n");
    assert!(
        closed_within(&mut one_more, Duration::from_secs(5)),
        "the 257th connection is refused"
    );
    // Closing them gives the places back.
    drop(held);
    std::thread::sleep(Duration::from_millis(300));
    let page = http(
        &address,
        &format!("GET /login HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n"),
    );
    assert!(page.starts_with("HTTP/1.1 200"), "{page}");
    drop(_server);
    let _ = std::fs::remove_dir_all(&data);
}
