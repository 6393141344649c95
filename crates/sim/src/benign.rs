//! Benign activity: what hosts and people do all day, at the rates their profiles give.
//!
//! Each (host or account, activity) pair is a [`Generator`]: a Poisson process whose rate is
//! the profile's rate inside working hours (in the organisation's time zone) and that rate
//! times `off_hours_factor` outside, sampled exactly over the piecewise-constant rate. Every
//! generator draws from its own random stream, so adding a host leaves the others' events
//! alone, and generators read the world only at the moment they fire, so a team's action at
//! time t changes nothing before t.

use std::net::Ipv4Addr;
use std::sync::Arc;

use atoll_scenario::model::{HostRole, Lookalike, ProfileKind, Source};

use crate::catalog::{self, Proc};
use crate::clock::{HOUR, Millis};
use crate::fill::{Actor, internet_address, ip_text, ipv4_text};
use crate::rng::Rng;
use crate::sim::Out;
use crate::world::World;

/// What a generator produces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Activity {
    Processes,
    Logons,
    FailedLogons,
    Connections,
    DnsQueries,
    WebRequests,
    Emails,
    FileWrites,
    AdminCommands,
    ScheduledJobs,
    Flows,
    /// Routine messages of appliances (NTP, link and alarm notices).
    Syslog,
    /// A Windows machine's own System log: services starting and stopping, time sync, updates.
    SystemLog,
    /// Application log: crashes, installs, licensing, the search and usage databases.
    ApplicationLog,
    /// Microsoft Defender at work: health reports, signature updates, scheduled scans.
    Antivirus,
    /// PowerShell script blocks (4104) of routine scripts.
    ScriptBlocks,
    /// A Linux server's cron sessions in its authentication log.
    CronSessions,
    Lookalike(Lookalike),
}

impl Activity {
    /// Whether the activity needs the network (stops when the host is isolated).
    fn networked(self) -> bool {
        matches!(
            self,
            Activity::Connections
                | Activity::DnsQueries
                | Activity::WebRequests
                | Activity::Emails
                | Activity::Flows
                | Activity::Logons
                | Activity::FailedLogons
        )
    }
}

/// One Poisson stream of benign events.
#[derive(Debug)]
pub struct Generator {
    pub host: usize,
    pub actor: Actor,
    pub kind: Option<ProfileKind>,
    pub activity: Activity,
    /// Events per millisecond during working time.
    pub per_ms: f64,
    pub off_factor: f64,
    /// Working periods; `None`: the same rate around the clock.
    pub periods: Option<Arc<[(Millis, Millis)]>>,
    period: usize,
    pub rng: Rng,
}

impl Generator {
    #[expect(clippy::too_many_arguments, reason = "a plain constructor of a plain record")]
    pub fn new(
        host: usize,
        actor: Actor,
        kind: Option<ProfileKind>,
        activity: Activity,
        per_hour: f64,
        off_factor: f64,
        periods: Option<Arc<[(Millis, Millis)]>>,
        rng: Rng,
    ) -> Generator {
        Generator {
            host,
            actor,
            kind,
            activity,
            per_ms: per_hour / HOUR as f64,
            off_factor,
            periods,
            period: 0,
            rng,
        }
    }

    /// The next firing strictly after `from`, or `None` when the rate stays zero.
    pub fn next_after(&mut self, from: Millis) -> Option<Millis> {
        let mut target = self.rng.exp1();
        let mut t = from as f64;
        loop {
            let (factor, end) = match &self.periods {
                None => (1.0, f64::INFINITY),
                Some(p) => {
                    while self.period < p.len() && (p[self.period].1 as f64) <= t {
                        self.period += 1;
                    }
                    match p.get(self.period) {
                        Some(&(a, b)) if (a as f64) <= t => (1.0, b as f64),
                        Some(&(a, _)) => (self.off_factor, a as f64),
                        None => (self.off_factor, f64::INFINITY),
                    }
                }
            };
            let rate = self.per_ms * factor;
            if rate > 0.0 {
                let cap = rate * (end - t);
                if target < cap {
                    let next = (t + target / rate).floor() as Millis;
                    return Some(next.max(from + 1));
                }
                target -= cap;
            }
            if end.is_infinite() {
                return None;
            }
            t = end;
        }
    }

    /// Produces the generator's events at `t`.
    pub fn fire<'s>(&mut self, w: &mut World<'s>, t: Millis, out: &mut Out<'s>) {
        let host = self.host;
        let h = &w.hosts[host].state;
        if h.off || t < h.rebuilding_until || (h.isolated && self.activity.networked()) {
            return;
        }
        if let Actor::Account(a) = self.actor
            && w.accounts[a].disabled
        {
            // A disabled account's owner keeps trying to sign in: the cost of the action.
            if matches!(self.activity, Activity::Logons | Activity::Processes) && self.rng.chance(0.3) {
                failed_logon(self, w, t, out, None);
            }
            return;
        }
        let windows = w.hosts[host].def.os.is_windows();
        // Administrators of network devices type their commands on the devices: device
        // command accounting, not Windows processes.
        if self.activity == Activity::AdminCommands {
            let devices = self.devices(w);
            if !devices.is_empty() {
                let device = *self.rng.pick(&devices);
                device_command(self, w, t, out, device);
                return;
            }
        }
        match self.activity {
            Activity::Processes | Activity::ScheduledJobs | Activity::AdminCommands if windows => {
                let table = self.process_table();
                let p = *self.rng.pick(table);
                process(self, w, t, out, p);
            }
            Activity::Processes | Activity::ScheduledJobs if w.collects(host, Source::Auditd) => {
                let p = *self.rng.pick(catalog::LINUX);
                linux_process(self, w, t, out, p);
            }
            Activity::Logons => logon(self, w, t, out),
            Activity::FailedLogons => failed_logon(self, w, t, out, None),
            Activity::Connections => connection(self, w, t, out),
            Activity::DnsQueries => dns(self, w, t, out),
            Activity::WebRequests => web(self, w, t, out),
            Activity::Emails => email(self, w, t, out),
            Activity::FileWrites => file_write(self, w, t, out),
            Activity::Flows => flow(self, w, t, out),
            Activity::Syslog => appliance_syslog(self, w, t, out),
            Activity::SystemLog => system_log(self, w, t, out),
            Activity::ApplicationLog => application_log(self, w, t, out),
            Activity::Antivirus => antivirus(self, w, t, out),
            Activity::ScriptBlocks => script_block(self, w, t, out),
            Activity::CronSessions => cron_session(self, w, t, out),
            Activity::Lookalike(l) => lookalike(self, w, t, out, l),
            _ => {}
        }
    }

    /// The network devices whose commands this generator's admin commands are: the devices its
    /// account lists (a NOC engineer without any works on the organisation's routers), the
    /// host itself if it is one, and a non-Windows host's organisation routers.
    fn devices(&self, w: &World<'_>) -> Vec<usize> {
        if let Actor::Account(a) = self.actor {
            let listed: Vec<usize> = w.accounts[a]
                .def
                .hosts
                .iter()
                .filter_map(|h| w.host(&h.name))
                .filter(|&h| network_device(w, h))
                .collect();
            if !listed.is_empty() {
                return listed;
            }
            if self.kind == Some(ProfileKind::NocEngineer) {
                return routers_for(w, self.host);
            }
        }
        if network_device(w, self.host) {
            return vec![self.host];
        }
        if w.hosts[self.host].def.os.is_windows() {
            Vec::new()
        } else {
            routers_for(w, self.host)
        }
    }

    fn process_table(&self) -> &'static [Proc] {
        match (self.activity, self.kind) {
            (Activity::ScheduledJobs, _) => catalog::SCHEDULED,
            (_, Some(ProfileKind::OfficeWorker)) => catalog::OFFICE,
            (_, Some(ProfileKind::Administrator)) => catalog::ADMIN,
            (_, Some(ProfileKind::HelpDesk)) => catalog::HELPDESK,
            (_, Some(ProfileKind::NocEngineer)) => catalog::NOC,
            (_, Some(ProfileKind::DomainController)) => catalog::DC,
            (_, Some(ProfileKind::WebServer)) => catalog::WEB,
            (_, Some(ProfileKind::DatabaseServer)) => catalog::DATABASE,
            (_, Some(ProfileKind::BackupServer)) => catalog::BACKUP,
            (_, Some(ProfileKind::MonitoringServer)) => catalog::MONITORING,
            _ => catalog::SERVER,
        }
    }
}

/// Host of a role in the same organisation (the first), else any host of the world with it.
fn org_host(w: &World<'_>, host: usize, role: HostRole) -> Option<usize> {
    let org = w.hosts[host].org;
    (0..w.hosts.len())
        .find(|&i| w.hosts[i].org == org && w.hosts[i].def.role == role)
        .or_else(|| (0..w.hosts.len()).find(|&i| w.hosts[i].def.role == role))
}

fn hostname(w: &World<'_>, host: Option<usize>, fallback: &str) -> String {
    host.map_or_else(|| fallback.to_string(), |h| w.hosts[h].def.hostname.clone())
}

/// Fills a command template for this host and actor.
fn expand(template: &str, g: &mut Generator, w: &World<'_>) -> String {
    if !template.contains('{') {
        return template.to_string();
    }
    let host = g.host;
    let org = &w.orgs[w.hosts[host].org];
    let user = match g.actor {
        Actor::Account(a) => w.accounts[a].user.clone(),
        _ => "Administrator".into(),
    };
    let mut out = String::with_capacity(template.len() + 32);
    let mut rest = template;
    while let Some(i) = rest.find('{') {
        out.push_str(&rest[..i]);
        let Some(j) = rest[i..].find('}') else {
            out.push_str(&rest[i..]);
            return out;
        };
        match &rest[i + 1..i + j] {
            "user" => out.push_str(&user),
            "domain" => out.push_str(&org.domain),
            "netbios" => out.push_str(&org.netbios),
            "dc" => out.push_str(&hostname(w, org_host(w, host, HostRole::DomainController), "DC01")),
            "fs" => out.push_str(&hostname(w, org_host(w, host, HostRole::FileServer), "FS01")),
            "host" => out.push_str(&w.hosts[host].def.hostname),
            "doc" => {
                let d: &&str = g.rng.pick(catalog::DOCS);
                out.push_str(d);
            }
            "n" => out.push_str(itoa::Buffer::new().format(g.rng.range(2, 60))),
            // One of the organisation's routers, by address, and the account its engineers
            // sign in to it with (the actor's own without one).
            "router" | "router_user" => {
                let router = routers_for(w, host).first().copied();
                let text = match (router, &rest[i + 1..i + j]) {
                    (Some(r), "router") => address(w, r),
                    (Some(r), _) => router_login(w, r, &mut g.rng).unwrap_or_else(|| user.clone()),
                    (None, "router") => "192.0.2.1".to_owned(),
                    (None, _) => user.clone(),
                };
                out.push_str(&text);
            }
            other => {
                out.push('{');
                out.push_str(other);
                out.push('}');
            }
        }
        rest = &rest[i + j + 1..];
    }
    out.push_str(rest);
    out
}

/// A Windows process start from a catalog, as Sysmon 1 and Security 4688 (whichever the host
/// collects), by the generator's own actor.
pub fn process<'s>(g: &mut Generator, w: &mut World<'s>, t: Millis, out: &mut Out<'s>, p: Proc) {
    let actor = g.actor;
    fixed_process(g, w, t, out, p, None, actor);
}

fn linux_process<'s>(g: &mut Generator, w: &mut World<'s>, t: Millis, out: &mut Out<'s>, p: Proc) {
    if out.start(w, t, g.host, Source::Auditd) {
        out.ev
            .str("Image", p.1)
            .str("CommandLine", p.2)
            .str("ParentImage", p.0)
            .str("User", "root");
        out.finish(w, Actor::System, &mut g.rng);
    }
}

fn address(w: &World<'_>, host: usize) -> String {
    ip_text(w.hosts[host].def.address.0)
}

/// A workstation or server of the same organisation, other than `host` (for logon sources).
fn peer(g: &mut Generator, w: &World<'_>) -> usize {
    // The organisation's Windows hosts without this one, in ascending order, picked from
    // without building the list.
    let pool = &w.windows_by_org[w.hosts[g.host].org];
    let own = pool.iter().position(|&h| h == g.host);
    let n = pool.len() - usize::from(own.is_some());
    if n == 0 {
        return g.host;
    }
    let k = g.rng.below(n);
    match own {
        Some(at) if k >= at => pool[k + 1],
        _ => pool[k],
    }
}

/// An account of the host's organisation (for server-side logons), or the generator's own.
fn someone(g: &mut Generator, w: &World<'_>) -> Option<usize> {
    if let Actor::Account(a) = g.actor {
        return Some(a);
    }
    let org = w.hosts[g.host].org;
    let people: Vec<usize> = (0..w.accounts.len()).filter(|&a| w.accounts[a].org == org).collect();
    (!people.is_empty()).then(|| *g.rng.pick(&people))
}

fn logon<'s>(g: &mut Generator, w: &mut World<'s>, t: Millis, out: &mut Out<'s>) {
    let host = g.host;
    let role = w.hosts[host].def.role;
    if role == HostRole::VpnEdge {
        let who = someone(g, w);
        if out.start(w, t, host, Source::Edge) {
            let user = who.map_or("vpnuser".to_string(), |a| w.accounts[a].user.clone());
            let ip = ipv4_text(internet_address(&mut g.rng));
            out.ev
                .str("logid", "0101039947")
                .str("type", "event")
                .str("subtype", "vpn")
                .str("level", "information")
                .str("action", "tunnel-up")
                .str("user", &user)
                .str("srcip", &ip)
                .str("msg", "SSL tunnel established");
            out.finish(w, Actor::System, &mut g.rng);
        }
        return;
    }
    if !w.hosts[host].def.os.is_windows() {
        if out.start(w, t, host, Source::Auth) {
            let port = g.rng.range(40_000, 65_000);
            let from = address(w, peer(g, w));
            out.ev.str("program", "sshd").with("message", |m| {
                m.push_str("Accepted publickey for ");
                m.push_str("netadmin from ");
                m.push_str(&from);
                m.push_str(" port ");
                m.push_str(itoa::Buffer::new().format(port));
                m.push_str(" ssh2: ED25519 SHA256:q3V1xQe0n0KjQm0m1a6m0yY8E2yq3d2v9Yk3QkP1x1c");
            });
            out.finish(w, Actor::System, &mut g.rng);
        }
        return;
    }
    let Some(account) = someone(g, w) else { return };
    let interactive = matches!(g.actor, Actor::Account(_));
    let logon_type = if interactive { *g.rng.pick(&[2, 7, 11]) } else { 3 };
    let source = peer(g, w);
    let source_ip = if interactive {
        "127.0.0.1".to_string()
    } else {
        address(w, source)
    };
    if out.start(w, t, host, Source::Security) {
        out.ev.int("EventID", 4624).int("LogonType", logon_type);
        if !interactive {
            let name = w.hosts[source].def.hostname.clone();
            out.ev.str("IpAddress", &source_ip).str("WorkstationName", &name);
        }
        out.finish(w, Actor::Account(account), &mut g.rng);
    }
    if w.hosts[host].def.role == HostRole::DomainController && out.start(w, t, host, Source::Security) {
        let ip = format!("::ffff:{}", address(w, source));
        let service = format!("{}$", hostname(w, Some(peer(g, w)), "SRV01"));
        out.ev
            .int("EventID", 4769)
            .str("ServiceName", &service)
            .str("IpAddress", &ip);
        out.finish(w, Actor::Account(account), &mut g.rng);
    }
}

/// A failed logon; `from` is an internet address for scanners, else an internal mistype.
fn failed_logon<'s>(g: &mut Generator, w: &mut World<'s>, t: Millis, out: &mut Out<'s>, from: Option<Ipv4Addr>) {
    let host = g.host;
    match w.hosts[host].def.role {
        HostRole::VpnEdge | HostRole::Firewall => {
            if out.start(w, t, host, Source::Edge) {
                let ip = ipv4_text(from.unwrap_or_else(|| internet_address(&mut g.rng)));
                let user = *g.rng.pick(catalog::SPRAY_USERS);
                out.ev
                    .str("logid", "0101039426")
                    .str("type", "event")
                    .str("subtype", "vpn")
                    .str("level", "alert")
                    .str("action", "ssl-login-fail")
                    .str("user", user)
                    .str("srcip", &ip)
                    .str("msg", "SSL user failed to logged in");
                out.finish(w, Actor::System, &mut g.rng);
            }
        }
        _ if !w.hosts[host].def.os.is_windows() => {
            if out.start(w, t, host, Source::Auth) {
                let ip = ipv4_text(from.unwrap_or_else(|| internet_address(&mut g.rng)));
                let user = *g.rng.pick(catalog::SPRAY_USERS);
                let port = g.rng.range(30_000, 65_000);
                out.ev.str("program", "sshd").with("message", |m| {
                    m.push_str("Failed password for invalid user ");
                    m.push_str(user);
                    m.push_str(" from ");
                    m.push_str(&ip);
                    m.push_str(" port ");
                    m.push_str(itoa::Buffer::new().format(port));
                    m.push_str(" ssh2");
                });
                out.finish(w, Actor::System, &mut g.rng);
            }
        }
        _ => {
            let account = someone(g, w);
            if out.start(w, t, host, Source::Security) {
                out.ev.int("EventID", 4625).int("LogonType", 3);
                match from {
                    Some(ip) => {
                        let user = *g.rng.pick(catalog::SPRAY_USERS);
                        out.ev
                            .str("TargetUserName", user)
                            .str("TargetDomainName", "")
                            .str("IpAddress", &ip.to_string())
                            .str("WorkstationName", "-");
                    }
                    None => {
                        let src = peer(g, w);
                        let ip = address(w, src);
                        let name = w.hosts[src].def.hostname.clone();
                        out.ev.str("IpAddress", &ip).str("WorkstationName", &name);
                    }
                }
                let actor = account.map_or(Actor::System, Actor::Account);
                out.finish(w, actor, &mut g.rng);
            }
        }
    }
}

fn connection<'s>(g: &mut Generator, w: &mut World<'s>, t: Millis, out: &mut Out<'s>) {
    let host = g.host;
    let internal = g.rng.chance(0.45);
    let (dst, port, image) = if internal {
        let server = org_host(
            w,
            host,
            *g.rng
                .pick(&[HostRole::DomainController, HostRole::FileServer, HostRole::MailServer]),
        )
        .unwrap_or(host);
        let port = *g.rng.pick(&[445u16, 389, 88, 135, 443]);
        // Kerberos and LDAP come from the security subsystem, SMB from the kernel.
        let image = match port {
            88 | 389 => "C:\\Windows\\System32\\lsass.exe",
            135 | 443 => "C:\\Windows\\System32\\svchost.exe",
            _ => "System",
        };
        (address(w, server), port, image)
    } else {
        let image = match g.kind {
            Some(ProfileKind::OfficeWorker | ProfileKind::Administrator | ProfileKind::HelpDesk) => {
                "C:\\Program Files (x86)\\Microsoft\\Edge\\Application\\msedge.exe"
            }
            Some(ProfileKind::MonitoringServer) => "C:\\Program Files (x86)\\PRTG Network Monitor\\PRTG Probe.exe",
            Some(ProfileKind::MailServer) => {
                "C:\\Program Files\\Microsoft\\Exchange Server\\V15\\Bin\\EdgeTransport.exe"
            }
            _ => "C:\\Windows\\System32\\svchost.exe",
        };
        let remote = internet_address(&mut g.rng);
        if image.ends_with("msedge.exe") {
            proxied(g, w, t, out, remote);
        }
        (ipv4_text(remote), 443, image)
    };
    let (image, port) = if g.kind == Some(ProfileKind::MonitoringServer) && internal {
        ("C:\\Program Files (x86)\\PRTG Network Monitor\\PRTG Probe.exe", 161)
    } else {
        (image, port)
    };
    if out.start(w, t, host, Source::Sysmon) {
        out.ev
            .int("EventID", 3)
            .str("Image", if image == "System" { "System" } else { image })
            .str("Protocol", if port == 161 { "udp" } else { "tcp" })
            .str("DestinationIp", &dst)
            .int("DestinationPort", i64::from(port));
        let actor = if image == "System" || image.ends_with("lsass.exe") || image.ends_with("svchost.exe") {
            Actor::System
        } else {
            g.actor
        };
        out.finish(w, actor, &mut g.rng);
    }
}

/// A person's browsing as the organisation's web proxy logs it (when it has one): the HTTPS
/// tunnel, or now and then a plain HTTP fetch, to a public site.
fn proxied<'s>(g: &mut Generator, w: &mut World<'s>, t: Millis, out: &mut Out<'s>, remote: Ipv4Addr) {
    let org = w.hosts[g.host].org;
    let Some(proxy) = (0..w.hosts.len()).find(|&h| w.hosts[h].org == org && w.collects(h, Source::Proxy)) else {
        return;
    };
    if !out.start(w, t, proxy, Source::Proxy) {
        return;
    }
    let site = *g.rng.pick(catalog::DOMAINS);
    let client = address(w, g.host);
    let ua = catalog::BROWSER_AGENT;
    let bytes = g.rng.range(800, 250_000) as i64;
    if g.rng.chance(0.85) {
        out.ev
            .str("c-ip", &client)
            .str("cs-method", "CONNECT")
            .str("cs-host", site)
            .fmt("c-uri", format_args!("{site}:443"))
            .int("sc-status", 200)
            .str("c-useragent", ua)
            .int("cs-bytes", bytes)
            .str("dst_ip", &ipv4_text(remote))
            .str("s-action", "TCP_TUNNEL");
    } else {
        let path = *g.rng.pick(catalog::BROWSE_PATHS);
        let status = if path == "/favicon.ico" && g.rng.chance(0.3) {
            404
        } else {
            200
        };
        out.ev
            .str("c-ip", &client)
            .str("cs-method", "GET")
            .str("cs-host", site)
            .fmt("c-uri", format_args!("http://{site}{path}"))
            .int("sc-status", status)
            .str("c-useragent", ua)
            .int("cs-bytes", bytes)
            .str("dst_ip", &ipv4_text(remote))
            .str("s-action", "TCP_MISS");
    }
    out.finish(w, Actor::System, &mut g.rng);
}

fn dns<'s>(g: &mut Generator, w: &mut World<'s>, t: Millis, out: &mut Out<'s>) {
    let host = g.host;
    let org = w.hosts[host].org;
    // An internal name is one of the organisation's own hosts, answered with its address; an
    // external one is a public domain, answered from the internet: an IPv4 address for an A
    // query, an IPv6 one (documentation range) for AAAA.
    let (name, record, answer) = if g.rng.chance(0.3) {
        let own: Vec<usize> = (0..w.hosts.len()).filter(|&h| w.hosts[h].org == org).collect();
        let target = *g.rng.pick(&own);
        (w.hosts[target].fqdn.to_ascii_lowercase(), "A", address(w, target))
    } else {
        let name = (*g.rng.pick(catalog::DOMAINS)).to_string();
        if g.rng.chance(0.85) {
            (name, "A", ipv4_text(internet_address(&mut g.rng)))
        } else {
            let v6 = format!(
                "2001:db8:{:x}:{:x}::{:x}",
                g.rng.range(1, 0xffff),
                g.rng.range(1, 0xffff),
                g.rng.range(1, 0xffff)
            );
            (name, "AAAA", v6)
        }
    };
    if w.collects(host, Source::Dns) {
        // A resolver (or a DC serving DNS) logs queries from its clients.
        let client = peer(g, w);
        if out.start(w, t, host, Source::Dns) {
            let src = address(w, client);
            out.ev
                .str("src_ip", &src)
                .str("query", &name)
                .str("record_type", record)
                .str("rcode", "NOERROR")
                .str("answer", &answer);
            out.finish(w, Actor::System, &mut g.rng);
        }
    } else if out.start(w, t, host, Source::Sysmon) {
        let image = match g.kind {
            Some(ProfileKind::OfficeWorker | ProfileKind::Administrator | ProfileKind::HelpDesk) => {
                "C:\\Program Files (x86)\\Microsoft\\Edge\\Application\\msedge.exe"
            }
            _ => "C:\\Windows\\System32\\svchost.exe",
        };
        // Sysmon writes an IPv4 answer as an IPv4-mapped IPv6 address.
        let results = if record == "A" {
            format!("::ffff:{answer};")
        } else {
            format!("{answer};")
        };
        out.ev
            .int("EventID", 22)
            .str("QueryName", &name)
            .str("Image", image)
            .str("QueryResults", &results);
        out.finish(w, g.actor, &mut g.rng);
    }
}

fn web<'s>(g: &mut Generator, w: &mut World<'s>, t: Millis, out: &mut Out<'s>) {
    let host = g.host;
    if w.collects(host, Source::Webserver) {
        if out.start(w, t, host, Source::Webserver) {
            let (method, page) = *g.rng.pick(catalog::PAGES);
            let status = if page == "/robots.txt" && g.rng.chance(0.5) {
                404
            } else {
                200
            };
            let ip = ipv4_text(internet_address(&mut g.rng));
            let ua = *g.rng.pick(catalog::USER_AGENTS);
            out.ev
                .str("cs-method", method)
                .str("cs-uri-stem", page)
                .str("c-ip", &ip)
                .str("cs(User-Agent)", ua)
                .int("sc-status", status);
            out.finish(w, Actor::System, &mut g.rng);
        }
    } else {
        connection(g, w, t, out);
    }
}

fn email<'s>(g: &mut Generator, w: &mut World<'s>, t: Millis, out: &mut Out<'s>) {
    let host = g.host;
    if !w.collects(host, Source::Email) {
        return;
    }
    let org = w.hosts[host].org;
    let people: Vec<usize> = (0..w.accounts.len())
        .filter(|&a| w.accounts[a].org == org && w.accounts[a].def.kind != atoll_scenario::model::AccountKind::Service)
        .collect();
    if people.is_empty() || !out.start(w, t, host, Source::Email) {
        return;
    }
    let who = *g.rng.pick(&people);
    let local = format!(
        "{}@{}",
        w.accounts[who].user.replace(['\\', ' '], "."),
        w.orgs[org].domain
    );
    let inbound = g.rng.chance(0.6);
    let other = (*g.rng.pick(catalog::MAIL_SENDERS)).to_string();
    let subject = *g.rng.pick(catalog::MAIL_SUBJECTS);
    let (sender, recipient) = if inbound { (other, local) } else { (local, other) };
    let client = if inbound {
        ipv4_text(internet_address(&mut g.rng))
    } else {
        address(w, host)
    };
    out.ev
        .str("sender", &sender)
        .str("recipient", &recipient)
        .str("subject", subject)
        .str("attachment", if g.rng.chance(0.2) { "report.pdf" } else { "" })
        .str("client_ip", &client);
    out.finish(w, Actor::System, &mut g.rng);
}

fn file_write<'s>(g: &mut Generator, w: &mut World<'s>, t: Millis, out: &mut Out<'s>) {
    let host = g.host;
    let doc = *g.rng.pick(catalog::DOCS);
    let file_server = w.hosts[host].def.role == HostRole::FileServer;
    let account = someone(g, w);
    if out.start(w, t, host, Source::Sysmon) {
        let (image, path) = match (file_server, account) {
            (true, _) => ("System".to_string(), format!("D:\\Shares\\Shared\\{doc}.docx")),
            (false, Some(a)) if matches!(g.actor, Actor::Account(_)) => (
                "C:\\Program Files\\Microsoft Office\\root\\Office16\\WINWORD.EXE".to_string(),
                format!("C:\\Users\\{}\\Documents\\{doc}.docx", w.accounts[a].user),
            ),
            _ => (
                "C:\\Windows\\System32\\svchost.exe".to_string(),
                // As GetTempFileName names them: a prefix and four hex digits.
                format!("C:\\Windows\\Temp\\TMP{:04X}.tmp", g.rng.next_u64() as u16),
            ),
        };
        out.ev
            .int("EventID", 11)
            .str("Image", &image)
            .str("TargetFilename", &path);
        let actor = if image == "System" { Actor::System } else { g.actor };
        out.finish(w, actor, &mut g.rng);
    }
    if file_server && out.start(w, t, host, Source::Security) {
        let src = peer(g, w);
        let ip = address(w, src);
        out.ev
            .int("EventID", 5145)
            .str("ShareName", "\\\\*\\Shared")
            .str("ShareLocalPath", "\\??\\D:\\Shares\\Shared")
            .fmt("RelativeTargetName", format_args!("{doc}.docx"))
            .str("IpAddress", &ip)
            .str("AccessMask", "0x2");
        let actor = account.map_or(Actor::System, Actor::Account);
        out.finish(w, actor, &mut g.rng);
    }
}

/// The routers a host's people work on: the host itself if it is one, else its organisation's.
fn routers_for(w: &World<'_>, host: usize) -> Vec<usize> {
    if w.hosts[host].def.role == HostRole::Router {
        return vec![host];
    }
    let org = w.hosts[host].org;
    (0..w.hosts.len())
        .filter(|&i| w.hosts[i].org == org && w.hosts[i].def.role == HostRole::Router)
        .collect()
}

/// The account a network engineer of the router's organisation signs in to it with: one that
/// normally logs on to the router, else one of the organisation's administrators; `None` when
/// the organisation has neither (no one to write the line).
fn router_login(w: &World<'_>, router: usize, rng: &mut Rng) -> Option<String> {
    let org = w.hosts[router].org;
    let id = w.hosts[router].def.id.name.as_str();
    let of_org = || (0..w.accounts.len()).filter(move |&a| w.accounts[a].org == org);
    let on_router: Vec<usize> = of_org()
        .filter(|&a| w.accounts[a].def.hosts.iter().any(|h| h.name == id))
        .collect();
    let pool = if on_router.is_empty() {
        of_org().filter(|&a| w.is_admin(a)).collect()
    } else {
        on_router
    };
    (!pool.is_empty()).then(|| w.accounts[*rng.pick(&pool)].user.clone())
}

/// Whether a host is a network device administrators type commands on.
fn network_device(w: &World<'_>, host: usize) -> bool {
    use atoll_scenario::model::Os;
    let def = w.hosts[host].def;
    matches!(def.role, HostRole::Router | HostRole::Firewall | HostRole::VpnEdge)
        || matches!(
            def.os,
            Os::CiscoIos | Os::CiscoIosXe | Os::Fortios | Os::Junos | Os::Routeros
        )
}

/// An administrator's command on a network device, as the device logs it: Cisco AAA command
/// accounting, a FortiOS configuration event, Junos `mgd` command lines, RouterOS change notes.
fn device_command<'s>(g: &mut Generator, w: &mut World<'s>, t: Millis, out: &mut Out<'s>, device: usize) {
    use atoll_scenario::model::Os;
    let user = match g.actor {
        Actor::Account(a) => w.accounts[a].user.clone(),
        _ => match router_login(w, device, &mut g.rng) {
            Some(user) => user,
            None => return,
        },
    };
    match w.hosts[device].def.os {
        Os::Fortios => {
            if out.start(w, t, device, Source::Edge) {
                let path = *g.rng.pick(catalog::FORTIOS_PATHS);
                out.ev
                    .str("logid", "0100044546")
                    .str("type", "event")
                    .str("subtype", "system")
                    .str("level", "information")
                    .str("user", &user)
                    .str("action", "Edit")
                    .str("cfgpath", path)
                    .fmt("msg", format_args!("Edit {path}"));
                out.finish(w, Actor::System, &mut g.rng);
            }
        }
        Os::Junos => {
            if out.start(w, t, device, Source::Syslog) {
                let cmd = *g.rng.pick(catalog::JUNOS_COMMANDS);
                out.ev.str("program", "mgd").fmt(
                    "message",
                    format_args!("UI_CMDLINE_READ_LINE: User '{user}', command '{cmd} '"),
                );
                out.finish(w, Actor::System, &mut g.rng);
            }
        }
        Os::Routeros => {
            if out.start(w, t, device, Source::Syslog) {
                let what = *g.rng.pick(catalog::ROUTEROS_CHANGES);
                out.ev
                    .str("program", "system,info")
                    .fmt("message", format_args!("{what} changed by {user}"));
                out.finish(w, Actor::System, &mut g.rng);
            }
        }
        _ => {
            if out.start(w, t, device, Source::CiscoAaa) {
                let cmd = *g.rng.pick(catalog::ROUTER_COMMANDS);
                out.ev.str("user", &user).str("command", cmd);
                out.finish(w, Actor::System, &mut g.rng);
            }
        }
    }
}

fn flow<'s>(g: &mut Generator, w: &mut World<'s>, t: Millis, out: &mut Out<'s>) {
    let host = g.host;
    let org = w.hosts[host].org;
    let inside: Vec<usize> = (0..w.hosts.len()).filter(|&i| w.hosts[i].org == org).collect();
    let client = address(w, *g.rng.pick(&inside));
    let remote = ipv4_text(internet_address(&mut g.rng));
    let inbound_web = g.rng.chance(0.2);
    let (src, dst, port) = if inbound_web {
        let web = org_host(w, host, HostRole::WebServer).map_or_else(|| client.clone(), |h| address(w, h));
        (remote, web, 443)
    } else {
        (client, remote, *g.rng.pick(&[443u16, 443, 443, 80, 53, 123, 993]))
    };
    let protocol = if port == 53 || port == 123 { "udp" } else { "tcp" };
    if out.start(w, t, host, Source::Netflow) {
        out.ev
            .str("src_ip", &src)
            .str("dst_ip", &dst)
            .int("dst_port", i64::from(port))
            .str("protocol", protocol);
        out.finish(w, Actor::System, &mut g.rng);
    }
    if out.start(w, t, host, Source::Firewall) {
        out.ev
            .str("action", "accept")
            .str("src_ip", &src)
            .str("dst_ip", &dst)
            .int("dst_port", i64::from(port))
            .str("protocol", protocol);
        out.finish(w, Actor::System, &mut g.rng);
    }
}

fn appliance_syslog<'s>(g: &mut Generator, w: &mut World<'s>, t: Millis, out: &mut Out<'s>) {
    let host = g.host;
    let server = w.hosts[host].def.os.is_linux();
    if server && out.start(w, t, host, Source::Syslog) {
        let (program, message) = *g.rng.pick(catalog::SERVER_SYSLOG);
        out.ev.str("program", program).str("message", message);
        out.finish(w, Actor::System, &mut g.rng);
        return;
    }
    if out.start(w, t, host, Source::Syslog) {
        let (program, message) = *g.rng.pick(&[
            ("ntpd", "synchronized to 10.0.0.123, stratum 2"),
            ("alarmd", "OSC channel 1 optical power within threshold"),
            ("snmpd", "Connection from UDP: [10.20.2.15]:161"),
            ("lldpd", "neighbor updated on port 1"),
            ("systemd", "Started Daily apt download activities."),
        ]);
        out.ev.str("program", program).str("message", message);
        out.finish(w, Actor::System, &mut g.rng);
    }
}

/// A Linux server's cron sessions, as the authentication log records them.
fn cron_session<'s>(g: &mut Generator, w: &mut World<'s>, t: Millis, out: &mut Out<'s>) {
    if out.start(w, t, g.host, Source::Auth) {
        let opened = g.rng.chance(0.5);
        out.ev.str("program", "CRON").str(
            "message",
            if opened {
                "pam_unix(cron:session): session opened for user root(uid=0) by (uid=0)"
            } else {
                "pam_unix(cron:session): session closed for user root"
            },
        );
        out.finish(w, Actor::System, &mut g.rng);
    }
}

/// The System log's routine: services changing state, the time service, installed updates.
fn system_log<'s>(g: &mut Generator, w: &mut World<'s>, t: Millis, out: &mut Out<'s>) {
    let host = g.host;
    if !out.start(w, t, host, Source::System) {
        return;
    }
    match g.rng.below(10) {
        0..=6 => {
            let service = *g.rng.pick(catalog::ROUTINE_SERVICES);
            let state = if g.rng.chance(0.5) { "running" } else { "stopped" };
            out.ev
                .int("EventID", 7036)
                .str("Provider_Name", "Service Control Manager")
                .str("param1", service)
                .str("param2", state);
        }
        7 | 8 => {
            let dc = hostname(w, org_host(w, host, HostRole::DomainController), "DC01");
            let domain = w.orgs[w.hosts[host].org].domain.clone();
            out.ev
                .int("EventID", 37)
                .str("Provider_Name", "Microsoft-Windows-Time-Service")
                .fmt(
                    "TimeSource",
                    format_args!("{dc}.{domain} (ntp.d|0.0.0.0:123->{dc}:123)"),
                );
        }
        _ => {
            let kb = g.rng.range(5_030_000, 5_060_000);
            out.ev
                .int("EventID", 19)
                .str("Provider_Name", "Microsoft-Windows-WindowsUpdateClient")
                .fmt(
                    "updateTitle",
                    format_args!("Security Intelligence Update for Microsoft Defender Antivirus - KB{kb}"),
                );
        }
    }
    out.finish(w, Actor::System, &mut g.rng);
}

/// The Application log's routine: a program crashing, licensing, the usage database, installs.
fn application_log<'s>(g: &mut Generator, w: &mut World<'s>, t: Millis, out: &mut Out<'s>) {
    let host = g.host;
    if !out.start(w, t, host, Source::Application) {
        return;
    }
    match g.rng.below(10) {
        0..=2 => {
            let (app, module) = *g.rng.pick(catalog::CRASHING_APPS);
            out.ev
                .int("EventID", 1000)
                .str("Provider_Name", "Application Error")
                .str("AppName", app)
                .str("ModuleName", module)
                .str("ExceptionCode", "c0000005");
        }
        3..=5 => {
            let at = out.utc_text(t + 2 * HOUR);
            out.ev
                .int("EventID", 16384)
                .str("Provider_Name", "Microsoft-Windows-Security-SPP")
                .fmt(
                    "Data",
                    format_args!("Successfully scheduled Software Protection service for re-start at {at}."),
                );
        }
        6..=8 => {
            let pid = g.rng.range(600, 9_000);
            let id = if g.rng.chance(0.5) { 326 } else { 327 };
            let verb = if id == 326 { "attached" } else { "detached" };
            out.ev.int("EventID", id).str("Provider_Name", "ESENT").fmt(
                "Data",
                format_args!(
                    "svchost ({pid},D,50) SRUJet: The database engine {verb} a database (1, C:\\Windows\\system32\\SRU\\SRUDB.dat). (Time=0 seconds)"
                ),
            );
        }
        _ => {
            out.ev
                .int("EventID", 1033)
                .str("Provider_Name", "MsiInstaller")
                .str(
                    "Data",
                    "Windows Installer installed the product. Product Name: Microsoft Edge Update Health Tools. Product Version: 3.0.1.0. Installation success or error status: 0.",
                );
        }
    }
    out.finish(w, Actor::System, &mut g.rng);
}

/// Microsoft Defender's routine: health reports, signature updates, the scheduled quick scan.
fn antivirus<'s>(g: &mut Generator, w: &mut World<'s>, t: Millis, out: &mut Out<'s>) {
    let host = g.host;
    if !out.start(w, t, host, Source::Defender) {
        return;
    }
    match g.rng.below(10) {
        0..=4 => {
            out.ev
                .int("EventID", 1150)
                .str("Product Name", "Microsoft Defender Antivirus")
                .str("Platform version", "4.18.25070.5")
                .str("Engine version", "1.1.25070.4");
        }
        5..=7 => {
            let build = g.rng.range(100, 999);
            out.ev
                .int("EventID", 2000)
                .str("Product Name", "Microsoft Defender Antivirus")
                .str("Signature Type", "AntiVirus")
                .str("Update Type", "Delta")
                .fmt("Current Signature Version", format_args!("1.431.{build}.0"))
                .fmt("Previous Signature Version", format_args!("1.431.{}.0", build - 1));
        }
        _ => {
            let id = if g.rng.chance(0.5) { 1000 } else { 1001 };
            out.ev
                .int("EventID", id)
                .str("Product Name", "Microsoft Defender Antivirus")
                .str("Scan Type", "Antimalware")
                .str("Scan Parameters", "Quick Scan")
                .str("User", "NT AUTHORITY\\SYSTEM");
        }
    }
    out.finish(w, Actor::System, &mut g.rng);
}

/// A script block of routine PowerShell: a server's health checks, an administrator's
/// directory work, an office computer's logon script.
fn script_block<'s>(g: &mut Generator, w: &mut World<'s>, t: Millis, out: &mut Out<'s>) {
    let table = match g.kind {
        Some(ProfileKind::Administrator | ProfileKind::HelpDesk) => catalog::ADMIN_SCRIPTS,
        Some(ProfileKind::OfficeWorker | ProfileKind::NocEngineer) => catalog::LOGON_SCRIPTS,
        _ => catalog::SERVER_SCRIPTS,
    };
    let template: &&str = g.rng.pick(table);
    let text = expand(template, g, w);
    let host = g.host;
    if out.start(w, t, host, Source::Powershell) {
        out.ev
            .int("EventID", 4104)
            .int("MessageNumber", 1)
            .int("MessageTotal", 1)
            .str("ScriptBlockText", &text)
            .str("Path", "");
        out.finish(w, g.actor, &mut g.rng);
    }
}

/// A process start as Sysmon 1 and Security 4688, with the Sysmon `OriginalFileName` when the
/// case gives one (the `FP-*` look-alikes do).
fn fixed_process<'s>(
    g: &mut Generator,
    w: &mut World<'s>,
    t: Millis,
    out: &mut Out<'s>,
    p: (&str, &str, &str),
    original: Option<&str>,
    actor: Actor,
) {
    let image = expand(p.1, g, w);
    let parent = expand(p.0, g, w);
    let cmd = expand(p.2, g, w);
    let pid = (g.rng.range(250, 16_000) * 4) as i64;
    if out.start(w, t, g.host, Source::Sysmon) {
        out.ev.int("EventID", 1).int("ProcessId", pid).str("Image", &image);
        if let Some(o) = original {
            out.ev.str("OriginalFileName", o);
        }
        out.ev.str("CommandLine", &cmd).str("ParentImage", &parent);
        out.finish(w, actor, &mut g.rng);
    }
    if out.start(w, t, g.host, Source::Security) {
        out.ev
            .int("EventID", 4688)
            .fmt("NewProcessId", format_args!("0x{pid:x}"))
            .str("NewProcessName", &image)
            .str("CommandLine", &cmd)
            .str("ParentProcessName", &parent);
        out.finish(w, actor, &mut g.rng);
    }
}

fn lookalike<'s>(g: &mut Generator, w: &mut World<'s>, t: Millis, out: &mut Out<'s>, l: Lookalike) {
    let me = g.actor;
    const CMD: &str = "C:\\Windows\\System32\\cmd.exe";
    match l {
        Lookalike::HelpdeskNetGroup => {
            fixed_process(
                g,
                w,
                t,
                out,
                (
                    CMD,
                    "C:\\Windows\\System32\\net.exe",
                    "net group \"Domain Admins\" /domain",
                ),
                Some("net.exe"),
                me,
            );
        }
        Lookalike::AdminDomainQueries => {
            if g.rng.chance(0.6) {
                fixed_process(
                    g,
                    w,
                    t,
                    out,
                    (CMD, "C:\\Windows\\System32\\nltest.exe", "nltest /dsgetdc:{domain}"),
                    Some("nltestrk.exe"),
                    me,
                );
            } else {
                fixed_process(
                    g,
                    w,
                    t,
                    out,
                    (
                        CMD,
                        "C:\\Windows\\System32\\ldifde.exe",
                        "ldifde -f C:\\Migration\\users.ldf -r \"(objectClass=user)\"",
                    ),
                    Some("ldifde.exe"),
                    me,
                );
            }
        }
        Lookalike::ItPsexec => {
            let target = hostname(w, Some(peer(g, w)), "WS01");
            let cmd = format!("PsExec64.exe -accepteula \\\\{target} -s cmd /c gpupdate /force");
            fixed_process(
                g,
                w,
                t,
                out,
                (CMD, "C:\\Tools\\SysinternalsSuite\\PsExec64.exe", &cmd),
                None,
                me,
            );
        }
        Lookalike::BackupShadowCopy => {
            fixed_process(
                g,
                w,
                t,
                out,
                (
                    "C:\\Program Files\\Veeam\\Endpoint Backup\\Veeam.EndPoint.Service.exe",
                    "C:\\Windows\\System32\\vssadmin.exe",
                    "vssadmin create shadow /for=D:",
                ),
                Some("VSSADMIN.EXE"),
                Actor::System,
            );
        }
        Lookalike::MonitoringWmi => {
            fixed_process(
                g,
                w,
                t,
                out,
                (
                    "C:\\Program Files\\Zabbix Agent\\zabbix_agentd.exe",
                    "C:\\Windows\\System32\\wbem\\WMIC.exe",
                    "wmic logicaldisk get caption,size,freespace",
                ),
                Some("wmic.exe"),
                Actor::System,
            );
        }
        Lookalike::UpdaterDownload => {
            fixed_process(
                g,
                w,
                t,
                out,
                (
                    CMD,
                    "C:\\Windows\\System32\\certutil.exe",
                    "certutil -urlcache -f http://pki.{domain}/crl/{netbios}-ROOT-CA.crl C:\\PKI\\root.crl",
                ),
                Some("CertUtil.exe"),
                me,
            );
        }
        Lookalike::MaintenanceScripts => {
            if g.rng.chance(0.5) {
                fixed_process(
                    g,
                    w,
                    t,
                    out,
                    (CMD, "C:\\Windows\\System32\\net.exe", "net stop spooler"),
                    Some("net.exe"),
                    me,
                );
            } else {
                fixed_process(
                    g,
                    w,
                    t,
                    out,
                    (
                        CMD,
                        "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe",
                        "powershell.exe -c \"Get-WinEvent -LogName Security -MaxEvents 50 | ? Id -eq 4740\"",
                    ),
                    Some("PowerShell.EXE"),
                    me,
                );
            }
        }
        Lookalike::AdminRdp => {
            let src = peer(g, w);
            let ip = address(w, src);
            let name = w.hosts[src].def.hostname.clone();
            if out.start(w, t, g.host, Source::Security) {
                out.ev
                    .int("EventID", 4624)
                    .int("LogonType", 10)
                    .str("IpAddress", &ip)
                    .str("WorkstationName", &name);
                out.finish(w, me, &mut g.rng);
            }
        }
        Lookalike::InternetScanning => {
            let ip = internet_address(&mut g.rng);
            failed_logon(g, w, t, out, Some(ip));
        }
        Lookalike::NetopsConfigBackup => {
            let routers = routers_for(w, g.host);
            if routers.is_empty() {
                return;
            }
            let router = *g.rng.pick(&routers);
            let Some(user) = router_login(w, router, &mut g.rng) else {
                return;
            };
            let name = w.hosts[router].def.hostname.clone();
            let org = w.hosts[router].org;
            // The organisation's NOC workstation keeps the backups, and its LAN is the one
            // allowed to manage the router (the router's own LAN without one).
            let noc = (0..w.hosts.len())
                .find(|&i| w.hosts[i].org == org && w.hosts[i].def.role == HostRole::NocWorkstation)
                .unwrap_or(router);
            let tftp = address(w, noc);
            let lan = match w.hosts[noc].def.address.0 {
                std::net::IpAddr::V4(a) => {
                    let [x, y, z, _] = a.octets();
                    format!("{x}.{y}.{z}.0 0.0.0.255")
                }
                std::net::IpAddr::V6(a) => format!("host {a}"),
            };
            let cmd = match g.rng.below(3) {
                0 => format!("copy running-config tftp://{tftp}/{name}.cfg"),
                1 => format!("access-list 10 permit {lan}"),
                _ => format!(
                    "username {}-noc privilege 15 secret 9 $9$...",
                    w.orgs[org].netbios.to_ascii_lowercase()
                ),
            };
            if out.start(w, t, router, Source::CiscoAaa) {
                out.ev.str("user", &user).str("command", &cmd);
                out.finish(w, Actor::System, &mut g.rng);
            }
        }
    }
}
