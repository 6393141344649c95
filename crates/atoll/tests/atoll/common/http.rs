//! Plain HTTP/1.1 requests to a server a test started, one connection each.

/// Sends `request` and reads the whole response. A server that stops answering fails the
/// test rather than hanging the run.
pub(crate) fn http(address: &str, request: &str) -> String {
    try_http(address, request).unwrap_or_else(|| panic!("{address} did not answer {request}"))
}

/// Sends `request`; `None` if the server is not there (or went away before answering).
pub(crate) fn try_http(address: &str, request: &str) -> Option<String> {
    use std::io::{Read as _, Write as _};
    let mut stream = std::net::TcpStream::connect(address).ok()?;
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(120)))
        .ok()?;
    stream.write_all(request.as_bytes()).ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    (!response.is_empty()).then_some(response)
}

/// Signs in and returns the session cookie (`name=value`).
pub(crate) fn sign_in(address: &str, username: &str, password: &str) -> String {
    let body = format!("username={username}&password={password}");
    let response = http(
        address,
        &format!(
            "POST /login HTTP/1.1\r\nHost: {address}\r\nOrigin: http://{address}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        ),
    );
    assert!(response.starts_with("HTTP/1.1 303"), "{response}");
    response
        .lines()
        .find_map(|l| l.strip_prefix("set-cookie: "))
        .and_then(|c| c.split(';').next())
        .unwrap()
        .to_owned()
}
