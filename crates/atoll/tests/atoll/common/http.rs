//! Plain HTTP/1.1 requests to a server a test started, one connection each.

use serde_json::Value;

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

/// Sends a request; its status code and body, or `None` if the server was gone.
pub(crate) fn send(address: &str, method: &str, path: &str, headers: &str, body: &str) -> Option<(u16, String)> {
    let response = try_http(
        address,
        &format!(
            "{method} {path} HTTP/1.1\r\nHost: {address}\r\n{headers}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        ),
    )?;
    let status = response.split(' ').nth(1)?.parse().ok()?;
    let (_, body) = response.split_once("\r\n\r\n")?;
    Some((status, body.to_owned()))
}

/// Calls the JSON API with `token`; the status and the JSON answer, or `None` if the server
/// was gone.
pub(crate) fn api(address: &str, token: &str, method: &str, path: &str, body: Option<&str>) -> Option<(u16, Value)> {
    let mut headers = format!("Authorization: Bearer {token}\r\n");
    if body.is_some() {
        headers.push_str("Content-Type: application/json\r\n");
    }
    let (status, text) = send(address, method, path, &headers, body.unwrap_or_default())?;
    let value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{method} {path}: {e}: {text}"));
    Some((status, value))
}

/// Makes an API token on the account page of the user signed in with `cookie`.
pub(crate) fn make_token(address: &str, cookie: &str) -> String {
    let headers =
        format!("Origin: http://{address}\r\nCookie: {cookie}\r\nContent-Type: application/x-www-form-urlencoded\r\n");
    let (status, page) = send(address, "POST", "/account", &headers, "name=test+script&days=1").unwrap();
    assert_eq!(status, 200, "{page}");
    let from = page.find("value=\"atoll_").expect("the new token is shown") + "value=\"".len();
    page[from..from + page[from..].find('"').unwrap()].to_owned()
}
