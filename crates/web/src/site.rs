//! Where this server is reached, from its settings rather than from what a request claims:
//! the public address ([`PublicUrl`]: invitation links and the `Secure` cookie), the host
//! names it answers to (any other is refused, so that a page of another site whose name was
//! made to point here, DNS rebinding, cannot talk to it), and the proxies in front of it whose
//! `X-Forwarded-Proto`, `X-Forwarded-Host` and `X-Forwarded-For` are believed ([`Proxy`]).
//!
//! [`reached`] checks every request and leaves a [`Reached`] in its extensions: the client's
//! address, whether it came over HTTPS, the origin it asked for and the one links are made
//! from. Handlers read these and never the headers themselves.

use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::str::FromStr;
use std::sync::Arc;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;

use crate::html;

/// A host name as this server compares it: lower case, without a port or a final dot, an
/// IPv6 address in brackets (`[::1]`), as in a `Host` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostName(String);

impl HostName {
    /// The name, or `None` if it is not one (a port, a path, characters no name has).
    fn parse(text: &str) -> Option<HostName> {
        let text = text.strip_suffix('.').unwrap_or(text).to_ascii_lowercase();
        if let Some(inner) = text.strip_prefix('[').and_then(|t| t.strip_suffix(']')) {
            return inner.parse::<Ipv6Addr>().ok().map(|ip| HostName(format!("[{ip}]")));
        }
        if let Ok(ip) = text.parse::<Ipv6Addr>() {
            return Some(HostName(format!("[{ip}]")));
        }
        let label = |l: &str| {
            !l.is_empty() && l.len() <= 63 && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        };
        (text.len() <= 253 && text.split('.').all(label)).then_some(HostName(text))
    }

    /// The host of a `Host` header or an origin's `host[:port]`, if it is one.
    fn of_authority(authority: &str) -> Option<HostName> {
        let (name, port) = split_port(authority)?;
        let port_ok = port.is_none_or(|p| !p.is_empty() && p.len() <= 5 && p.bytes().all(|b| b.is_ascii_digit()));
        if !port_ok {
            return None;
        }
        HostName::parse(name)
    }

    fn is_address(&self) -> bool {
        let text = self.0.trim_start_matches('[').trim_end_matches(']');
        text.parse::<IpAddr>().is_ok()
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for HostName {
    type Err = String;

    /// A name as a setting gives it: `cyber.example.org`, `10.0.0.5`, `::1` or `[::1]`.
    fn from_str(text: &str) -> Result<HostName, String> {
        let text = text.trim();
        if text.contains("://") || text.contains('/') {
            return Err(format!(
                "`{text}` is not a host name: give the name alone, as `cyber.example.org`"
            ));
        }
        if HostName::parse(text).is_none() && HostName::of_authority(text).is_some() {
            return Err(format!(
                "`{text}`: give the host name without a port (ports are not compared)"
            ));
        }
        HostName::parse(text).ok_or_else(|| format!("`{text}` is not a host name or an IP address"))
    }
}

impl std::fmt::Display for HostName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The address people reach the server at, `https://cyber.example.org` (the server's root:
/// no path). Invitation links start with it, and the session cookie is `Secure` when it is
/// `https`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicUrl {
    /// `scheme://host[:port]`, in lower case, without a default port: as a browser's
    /// `Origin` header says it.
    origin: String,
    host: HostName,
    https: bool,
}

impl PublicUrl {
    pub fn origin(&self) -> &str {
        &self.origin
    }

    pub fn host(&self) -> &HostName {
        &self.host
    }

    pub fn https(&self) -> bool {
        self.https
    }
}

impl FromStr for PublicUrl {
    type Err = String;

    fn from_str(text: &str) -> Result<PublicUrl, String> {
        let text = text.trim();
        let lower = text.to_ascii_lowercase();
        let (https, rest) = if let Some(rest) = lower.strip_prefix("https://") {
            (true, rest)
        } else if let Some(rest) = lower.strip_prefix("http://") {
            (false, rest)
        } else {
            return Err(format!(
                "`{text}` is not a web address: write https://NAME (or http://NAME)"
            ));
        };
        let authority = rest.strip_suffix('/').unwrap_or(rest);
        if authority.contains(['/', '?', '#']) {
            return Err(format!(
                "`{text}`: atoll is served at the root of its address; give no path"
            ));
        }
        if authority.contains('@') {
            return Err(format!("`{text}`: give no user name in the address"));
        }
        let host = HostName::of_authority(authority)
            .ok_or_else(|| format!("`{text}` does not name a host: write https://NAME[:PORT]"))?;
        let port = match split_port(authority).and_then(|(_, port)| port).map(str::parse::<u16>) {
            None => None,
            Some(Ok(0)) => return Err(format!("`{text}`: port 0 is not a port")),
            Some(Ok(p)) => Some(p),
            Some(Err(_)) => return Err(format!("`{text}`: the port is a number up to 65535")),
        };
        let scheme = if https { "https" } else { "http" };
        let origin = match port {
            Some(p) if p != if https { 443 } else { 80 } => format!("{scheme}://{host}:{p}"),
            _ => format!("{scheme}://{host}"),
        };
        Ok(PublicUrl { origin, host, https })
    }
}

/// A proxy in front of the server, by its address or network (`10.0.0.2`, `10.0.0.0/8`,
/// `fd00::/8`): only requests whose connection comes from one have their `X-Forwarded-*`
/// headers believed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proxy(ipnet::IpNet);

impl Proxy {
    pub fn contains(&self, ip: IpAddr) -> bool {
        self.0.contains(&ip.to_canonical())
    }
}

impl FromStr for Proxy {
    type Err = String;

    fn from_str(text: &str) -> Result<Proxy, String> {
        let text = text.trim();
        let net = match text.parse::<IpAddr>() {
            Ok(ip) => ipnet::IpNet::from(ip.to_canonical()),
            Err(_) => text
                .parse::<ipnet::IpNet>()
                .map_err(|_| format!("`{text}` is not an IP address or a network (10.0.0.2, 10.0.0.0/8, fd00::/8)"))?,
        };
        Ok(Proxy(net.trunc()))
    }
}

impl std::fmt::Display for Proxy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.0.prefix_len() == self.0.max_prefix_len() {
            write!(f, "{}", self.0.addr())
        } else {
            write!(f, "{}", self.0)
        }
    }
}

/// `host[:port]` split at its port (`[::1]:8080` into `[::1]` and `8080`), if it splits.
fn split_port(authority: &str) -> Option<(&str, Option<&str>)> {
    let end = if authority.starts_with('[') {
        authority.find(']')? + 1
    } else {
        authority.find(':').unwrap_or(authority.len())
    };
    let (name, rest) = authority.split_at(end);
    match rest.strip_prefix(':') {
        Some(port) => Some((name, Some(port))),
        None if rest.is_empty() => Some((name, None)),
        None => None,
    }
}

/// The names only this machine's own browsers send (no DNS answer of another site's can make
/// a browser send them), answered to whatever the settings.
const LOOPBACK: [&str; 3] = ["localhost", "127.0.0.1", "[::1]"];

/// How the server is reached: its public address, the host names it answers to, and the
/// proxies it believes.
#[derive(Debug, Clone)]
pub struct Site {
    public: Option<PublicUrl>,
    hosts: Vec<HostName>,
    /// Any IP address as a host too: served on every address (`0.0.0.0`, `::`) with no name
    /// set, the server cannot know its own. An address is never a rebound name.
    any_address: bool,
    proxies: Vec<Proxy>,
    /// Longest a request's body may take to arrive ([`BODY_TIMEOUT`] unless a test says).
    body_timeout: std::time::Duration,
}

/// Longest a request's body may take to arrive: a form is a few kilobytes at most (a report,
/// six fields of text), well inside a minute over the slowest satellite link, and a client that
/// trickles its body no longer holds its connection.
pub const BODY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);

impl Site {
    /// The host names answered to are `allowed` (and the public address's host) when given;
    /// else the public address's host and the loopback names when a public address is set;
    /// else the address served on (`bind`: any IP address when it is unspecified) and the
    /// loopback names (`localhost`, `127.0.0.1`, `[::1]`).
    pub fn new(public: Option<PublicUrl>, allowed: Vec<HostName>, proxies: Vec<Proxy>, bind: IpAddr) -> Site {
        let mut hosts = Vec::new();
        let mut any_address = false;
        hosts.extend(public.as_ref().map(|p| p.host.clone()));
        if allowed.is_empty() {
            let bind = bind.to_canonical();
            let served = (public.is_none() && !bind.is_unspecified()).then(|| HostName::parse(&bind.to_string()));
            any_address = public.is_none() && bind.is_unspecified();
            if !bind.is_loopback() {
                hosts.extend(served.clone().flatten());
            }
            hosts.extend(LOOPBACK.iter().filter_map(|n| HostName::parse(n)));
            hosts.extend(served.flatten());
        } else {
            hosts.extend(allowed);
        }
        let mut seen = Vec::new();
        hosts.retain(|h| {
            let new = !seen.contains(h);
            seen.push(h.clone());
            new
        });
        Site {
            public,
            hosts,
            any_address,
            proxies,
            body_timeout: BODY_TIMEOUT,
        }
    }

    /// The same, giving up on a request's body after `timeout` (a test's shorter one).
    pub fn with_body_timeout(mut self, timeout: std::time::Duration) -> Site {
        self.body_timeout = timeout;
        self
    }

    pub fn body_timeout(&self) -> std::time::Duration {
        self.body_timeout
    }

    /// A server on this machine only, as `atoll demo` runs by default and the tests reach it:
    /// no public address, no proxy, the loopback names.
    pub fn loopback() -> Site {
        Site::new(None, Vec::new(), Vec::new(), IpAddr::from([127, 0, 0, 1]))
    }

    pub fn public(&self) -> Option<&PublicUrl> {
        self.public.as_ref()
    }

    /// Whether the peer at `ip` is a proxy whose forwarded headers are believed.
    pub fn is_proxy(&self, ip: IpAddr) -> bool {
        self.proxies.iter().any(|p| p.contains(ip))
    }

    /// Whether a request for `host` is answered.
    fn answers_to(&self, host: &HostName) -> bool {
        self.hosts.contains(host) || (self.any_address && host.is_address())
    }

    /// The host names answered to, as people read them: `cyber.example.org, localhost,
    /// 127.0.0.1 and [::1]`.
    pub fn hosts_text(&self) -> String {
        let mut names: Vec<String> = self.hosts.iter().map(ToString::to_string).collect();
        if self.any_address {
            names.insert(0, "any IP address of this machine".to_owned());
        }
        match names.split_last() {
            None => String::new(),
            Some((last, [])) => last.clone(),
            Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
        }
    }

    /// The client behind a trusted proxy: the last address of `X-Forwarded-For` that is not
    /// a trusted proxy itself (each proxy appends the address it was reached from, so that
    /// one is the last hop no trusted proxy made up).
    fn forwarded_client(&self, headers: &HeaderMap) -> Option<IpAddr> {
        let hops: Vec<&str> = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .collect();
        for hop in hops.iter().rev() {
            let ip = hop
                .parse::<IpAddr>()
                .or_else(|_| hop.parse::<SocketAddr>().map(|s| s.ip()))
                .ok()?
                .to_canonical();
            if !self.is_proxy(ip) {
                return Some(ip);
            }
        }
        None
    }
}

/// How a request reached the server, as [`reached`] decided it from the settings (and from a
/// trusted proxy's headers).
#[derive(Debug, Clone)]
pub(crate) struct Reached {
    /// The client's address: the connection's peer, or the one a trusted proxy forwards.
    pub(crate) client: Option<IpAddr>,
    /// Whether the browser reached the server over HTTPS: the public address's scheme when
    /// set, else what a trusted proxy says; the session cookie is then `Secure`.
    pub(crate) https: bool,
    /// `host[:port]` the request was for (a name the server answers to).
    authority: String,
    /// `scheme://host[:port]` that links to this server start with.
    base: String,
    public: Option<String>,
}

impl Reached {
    /// The origin links start with: the public address when set, else the one this request
    /// was for (a name the server answers to).
    pub(crate) fn base(&self) -> &str {
        &self.base
    }

    /// Whether a browser's `Origin` header names this server: the public address, or the
    /// address this request was made to.
    pub(crate) fn is_own_origin(&self, origin: &str) -> bool {
        self.public.as_deref().is_some_and(|p| origin.eq_ignore_ascii_case(p))
            || origin
                .split_once("://")
                .is_some_and(|(_, authority)| authority.eq_ignore_ascii_case(&self.authority))
    }
}

/// An address for the log (empty when unknown).
fn shown(ip: Option<IpAddr>) -> String {
    ip.map(|ip| ip.to_string()).unwrap_or_default()
}

/// The last value of a header that proxies may append to (`a, b`).
fn last_value<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get_all(name)
        .iter()
        .next_back()
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.rsplit(',').next())
        .map(str::trim)
        .filter(|v| !v.is_empty())
}

/// Middleware: refuses a request for a host name the server does not answer to (421, saying
/// which it does), or one naming no host (400); otherwise leaves its [`Reached`] for the
/// handlers.
pub(crate) async fn reached(State(site): State<Arc<Site>>, mut request: Request, next: Next) -> Response {
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip().to_canonical());
    let proxied = peer.is_some_and(|ip| site.is_proxy(ip));
    let headers = request.headers();
    let forwarded_host = proxied.then(|| last_value(headers, "x-forwarded-host")).flatten();
    // An absolute URI's host overrides the `Host` header (RFC 9112, 3.2.2).
    let authority = match (forwarded_host, request.uri().authority()) {
        (Some(host), _) => Some(host.to_owned()),
        (None, Some(authority)) => Some(authority.as_str().to_owned()),
        (None, None) => {
            let mut hosts = headers.get_all(header::HOST).iter();
            match (hosts.next(), hosts.next()) {
                (Some(host), None) => host.to_str().ok().map(str::to_owned),
                _ => None,
            }
        }
    };
    let Some(authority) = authority else {
        tracing::warn!(address = %shown(peer), "request refused: it names no host (one Host header)");
        return html::problem(
            StatusCode::BAD_REQUEST,
            &format!(
                "This request names no host (one Host header). This server answers to {}.",
                site.hosts_text()
            ),
        );
    };
    let host = HostName::of_authority(&authority);
    if !host.as_ref().is_some_and(|h| site.answers_to(h)) {
        let host: String = authority.chars().take(100).collect();
        tracing::warn!(host = %host, address = %shown(peer), "request refused: not a host name this server answers to");
        return html::problem(
            StatusCode::MISDIRECTED_REQUEST,
            &format!(
                "This server answers to {} only. Open it at one of these addresses.",
                site.hosts_text()
            ),
        );
    }
    let https = match &site.public {
        Some(public) => public.https,
        None => proxied && last_value(headers, "x-forwarded-proto").is_some_and(|p| p.eq_ignore_ascii_case("https")),
    };
    let client = if proxied {
        site.forwarded_client(headers).or(peer)
    } else {
        peer
    };
    let base = match &site.public {
        Some(public) => public.origin.clone(),
        None => format!(
            "{}://{}",
            if https { "https" } else { "http" },
            authority.to_ascii_lowercase()
        ),
    };
    request.extensions_mut().insert(Reached {
        client,
        https,
        authority,
        base,
        public: site.public.as_ref().map(|p| p.origin.clone()),
    });
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_names_from_settings_and_headers() {
        let name = |s: &str| s.parse::<HostName>().map(|h| h.0);
        assert_eq!(name("Cyber.Example.org."), Ok("cyber.example.org".into()));
        assert_eq!(name("::1"), Ok("[::1]".into()));
        assert_eq!(name("[0:0::1]"), Ok("[::1]".into()));
        assert_eq!(name("10.0.0.5"), Ok("10.0.0.5".into()));
        assert!(name("cyber.example.org:8443").unwrap_err().contains("without a port"));
        assert!(name("https://cyber.example.org").unwrap_err().contains("name alone"));
        assert!(name("a b").unwrap_err().contains("not a host name"));
        assert!(name("").is_err());
        let of = |s: &str| HostName::of_authority(s).map(|h| h.0);
        assert_eq!(of("LocalHost:8080"), Some("localhost".into()));
        assert_eq!(of("[::1]:8080"), Some("[::1]".into()));
        assert_eq!(of("[::1]"), Some("[::1]".into()));
        assert_eq!(of("evil.example:80:80"), None);
        assert_eq!(of("evil.example:"), None);
        assert_eq!(of("x/y"), None);
    }

    #[test]
    fn public_urls() {
        let url = |s: &str| s.parse::<PublicUrl>();
        let p = url("HTTPS://Cyber.Example.org/").unwrap();
        assert_eq!(
            (p.origin(), p.host().as_str(), p.https()),
            ("https://cyber.example.org", "cyber.example.org", true)
        );
        assert_eq!(
            url("https://cyber.example.org:443").unwrap().origin(),
            "https://cyber.example.org"
        );
        assert_eq!(url("http://10.0.0.5:8080").unwrap().origin(), "http://10.0.0.5:8080");
        assert_eq!(url("https://[::1]:8443").unwrap().origin(), "https://[::1]:8443");
        assert!(url("cyber.example.org").unwrap_err().contains("https://NAME"));
        assert!(url("ftp://cyber.example.org").unwrap_err().contains("https://NAME"));
        assert!(url("https://cyber.example.org/atoll").unwrap_err().contains("no path"));
        assert!(url("https://me@cyber.example.org").unwrap_err().contains("user name"));
        assert!(url("https://cyber.example.org:99999").unwrap_err().contains("port"));
        assert!(url("https://").is_err());
    }

    #[test]
    fn proxies_and_the_names_answered_to() {
        let proxy: Proxy = "10.0.0.0/8".parse().unwrap();
        assert!(proxy.contains([10, 1, 2, 3].into()));
        assert!(
            proxy.contains("::ffff:10.1.2.3".parse().unwrap()),
            "IPv4 seen on an IPv6 socket"
        );
        assert!(!proxy.contains([11, 0, 0, 1].into()));
        assert_eq!("10.0.0.2".parse::<Proxy>().unwrap().to_string(), "10.0.0.2");
        assert!(
            "proxy.example"
                .parse::<Proxy>()
                .unwrap_err()
                .contains("not an IP address")
        );

        let host = |s: &str| HostName::parse(s).unwrap();
        let loopback = Site::loopback();
        assert!(loopback.answers_to(&host("localhost")) && loopback.answers_to(&host("127.0.0.1")));
        assert!(!loopback.answers_to(&host("10.0.0.5")) && !loopback.answers_to(&host("evil.example")));
        assert_eq!(loopback.hosts_text(), "localhost, 127.0.0.1 and [::1]");
        let everywhere = Site::new(None, Vec::new(), Vec::new(), IpAddr::from([0, 0, 0, 0]));
        assert!(everywhere.answers_to(&host("10.0.0.5")) && everywhere.answers_to(&host("[fd00::5]")));
        assert!(!everywhere.answers_to(&host("evil.example")));
        let one = Site::new(None, Vec::new(), Vec::new(), IpAddr::from([10, 0, 0, 5]));
        assert!(one.answers_to(&host("10.0.0.5")) && !one.answers_to(&host("10.0.0.6")));
        let public = Site::new(
            Some("https://cyber.example.org".parse().unwrap()),
            Vec::new(),
            Vec::new(),
            IpAddr::from([0, 0, 0, 0]),
        );
        assert_eq!(public.hosts_text(), "cyber.example.org, localhost, 127.0.0.1 and [::1]");
        assert!(!public.answers_to(&host("10.0.0.5")));
        let listed = Site::new(
            Some("https://cyber.example.org".parse().unwrap()),
            vec![host("atoll.internal")],
            Vec::new(),
            IpAddr::from([127, 0, 0, 1]),
        );
        assert_eq!(listed.hosts_text(), "cyber.example.org and atoll.internal");
    }

    #[test]
    fn the_client_is_the_last_hop_no_trusted_proxy_made() {
        let site = Site::new(
            None,
            Vec::new(),
            vec!["10.0.0.0/8".parse().unwrap()],
            IpAddr::from([127, 0, 0, 1]),
        );
        let client = |values: &[&str]| {
            let mut headers = HeaderMap::new();
            for v in values {
                headers.append("x-forwarded-for", v.parse().unwrap());
            }
            site.forwarded_client(&headers)
        };
        assert_eq!(client(&["198.51.100.7"]), Some([198, 51, 100, 7].into()));
        // Whatever the client wrote comes first; the proxies append after it.
        assert_eq!(
            client(&["1.1.1.1, 198.51.100.7, 10.0.0.9"]),
            Some([198, 51, 100, 7].into())
        );
        assert_eq!(
            client(&["1.1.1.1", "198.51.100.7:5000"]),
            Some([198, 51, 100, 7].into())
        );
        assert_eq!(client(&["garbage"]), None);
        assert_eq!(client(&[]), None);
    }
}
