//! One team's world: its organisations, hosts, accounts and services, resolved from the
//! scenario, and the state that the adversary and the team's actions change.

use std::collections::{BTreeSet, HashMap};

use atoll_scenario::Scenario;
use atoll_scenario::model::{
    Account, AccountKind, AccountSelector, Host, Organisation, Selector, Service, ServiceSelector, Source, Zone,
};

use crate::clock::Millis;

#[derive(Debug)]
pub struct Org<'s> {
    pub def: &'s Organisation,
    /// Short Windows domain name, e.g. `PACTEL`.
    pub netbios: String,
    /// DNS domain, e.g. `pactel.local`.
    pub domain: String,
    /// IANA time zone of its working hours.
    pub tz: String,
    /// Domain SID prefix, `S-1-5-21-a-b-c`.
    pub sid: String,
}

#[derive(Debug, Default, Clone)]
pub struct HostState {
    /// Cut off from the network by the team.
    pub isolated: bool,
    /// Powered off / its services stopped by the team.
    pub off: bool,
    /// Being rebuilt (re-image or restore) until this time.
    pub rebuilding_until: Millis,
    /// Last time it was rebuilt: whatever the adversary planted before is gone.
    pub rebuilt_at: Option<Millis>,
    pub patched: bool,
}

#[derive(Debug)]
pub struct HostW<'s> {
    pub def: &'s Host,
    pub org: usize,
    pub zone: Zone,
    pub fqdn: String,
    /// `stable_u32(fqdn)`, computed once: events derive ids from it.
    pub fqdn_hash: u32,
    /// Bit `i` set when the host collects `Source::ALL[i]`.
    sources: u32,
    /// Accounts whose `hosts` list names this host.
    pub users: Vec<usize>,
    /// Next `EventRecordID` per Windows channel.
    pub records: [u64; 6],
    pub state: HostState,
}

#[derive(Debug)]
pub struct AccountW<'s> {
    pub def: &'s Account,
    pub org: usize,
    /// Without the domain: `svc_prtg`.
    pub user: String,
    /// The domain part as logs write it: `PACTEL`.
    pub domain: String,
    pub sid: String,
    pub disabled: bool,
    /// Last password reset.
    pub reset_at: Option<Millis>,
}

#[derive(Debug)]
pub struct ServiceW<'s> {
    pub def: &'s Service,
    pub org: usize,
    pub hosts: Vec<usize>,
    pub depends_on: Vec<usize>,
    /// Stopped by the team.
    pub stopped: bool,
    /// Degraded by the adversary until this time (`Millis::MAX`: until restored).
    pub degraded_until: Millis,
}

/// One player team's copy of the world.
#[derive(Debug)]
pub struct World<'s> {
    pub team: &'s str,
    pub orgs: Vec<Org<'s>>,
    pub hosts: Vec<HostW<'s>>,
    pub accounts: Vec<AccountW<'s>>,
    pub services: Vec<ServiceW<'s>>,
    /// Per organisation, its Windows hosts (ascending), the pool logon sources come from.
    pub windows_by_org: Vec<Vec<usize>>,
    host_ids: HashMap<&'s str, usize>,
    account_ids: HashMap<&'s str, usize>,
    service_ids: HashMap<&'s str, usize>,
    /// Addresses and domains (lowercase) the team blocks at its perimeter.
    pub blocked_addresses: BTreeSet<String>,
    pub blocked_domains: BTreeSet<String>,
}

fn source_bit(s: Source) -> u32 {
    1 << Source::ALL.iter().position(|x| *x == s).unwrap_or(31)
}

/// The Windows channel index of a log (`None` for non-Windows logs).
pub fn channel_index(s: Source) -> Option<usize> {
    Some(match s {
        Source::Sysmon => 0,
        Source::Security => 1,
        Source::System => 2,
        Source::Application => 3,
        Source::Powershell => 4,
        Source::Defender => 5,
        _ => return None,
    })
}

/// A stable 32-bit number from text (FNV-1a), for SIDs and other identifiers that must look
/// random but stay the same for the same name.
pub fn stable_u32(text: &str) -> u32 {
    let mut h: u32 = 0x811c_9dc5;
    for b in text.bytes() {
        h ^= u32::from(b);
        h = h.wrapping_mul(0x0100_0193);
    }
    h
}

fn netbios_of(org: &Organisation, accounts: &[&Account]) -> String {
    // The domain part that the organisation's own account names use, else the first label of
    // its domain, else its name; upper case, at most 15 characters as Windows allows.
    let from_accounts = accounts
        .iter()
        .filter(|a| a.organisation.name == org.id.name)
        .find_map(|a| a.username.split_once('\\').map(|(d, _)| d.to_string()));
    let base = from_accounts
        .or_else(|| {
            org.domain
                .as_ref()
                .and_then(|d| d.split('.').next())
                .map(str::to_string)
        })
        .unwrap_or_else(|| org.name.clone());
    base.chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .take(15)
        .collect::<String>()
        .to_ascii_uppercase()
}

impl<'s> World<'s> {
    /// The world of `team`: the organisations it defends and everything in them.
    pub fn build(scenario: &'s Scenario, team: &'s str) -> World<'s> {
        let w = &scenario.world;
        let all_accounts: Vec<&Account> = w.accounts.iter().collect();
        let mut orgs = Vec::new();
        let mut org_index = HashMap::new();
        for org in &w.organisations {
            if org.team.as_ref().is_some_and(|t| t.name == team) {
                org_index.insert(org.id.name.as_str(), orgs.len());
                let h = stable_u32(&org.id.name);
                orgs.push(Org {
                    def: org,
                    netbios: netbios_of(org, &all_accounts),
                    domain: org.domain.clone().unwrap_or_else(|| format!("{}.local", org.id.name)),
                    tz: org
                        .time_zone
                        .as_ref()
                        .map_or_else(|| scenario.time_zone.0.clone(), |t| t.0.clone()),
                    sid: format!(
                        "S-1-5-21-{}-{}-{}",
                        1_000_000_000 + h % 1_000_000_000,
                        1_000_000_000 + stable_u32(&format!("{team}/{}", org.id.name)) % 1_000_000_000,
                        1_000_000_000 + (h.rotate_left(13)) % 1_000_000_000
                    ),
                });
            }
        }
        let networks: HashMap<&str, (usize, Zone)> = w
            .networks
            .iter()
            .filter_map(|n| {
                org_index
                    .get(n.organisation.name.as_str())
                    .map(|&o| (n.id.name.as_str(), (o, n.zone)))
            })
            .collect();
        let mut hosts = Vec::new();
        let mut host_ids = HashMap::new();
        for h in &w.hosts {
            let Some(&(org, zone)) = networks.get(h.network.name.as_str()) else {
                continue;
            };
            host_ids.insert(h.id.name.as_str(), hosts.len());
            let fqdn = format!("{}.{}", h.hostname, orgs[org].domain);
            hosts.push(HostW {
                def: h,
                org,
                zone,
                fqdn_hash: stable_u32(&fqdn),
                fqdn,
                sources: h.telemetry.iter().fold(0, |m, s| m | source_bit(*s)),
                users: Vec::new(),
                records: [0; 6],
                state: HostState::default(),
            });
        }
        let mut accounts = Vec::new();
        let mut account_ids = HashMap::new();
        for a in &w.accounts {
            let Some(&org) = org_index.get(a.organisation.name.as_str()) else {
                continue;
            };
            let (domain, user) = match a.username.split_once('\\') {
                Some((d, u)) => (d.to_string(), u.to_string()),
                None => (orgs[org].netbios.clone(), a.username.clone()),
            };
            let index = accounts.len();
            for r in &a.hosts {
                if let Some(&hi) = host_ids.get(r.name.as_str()) {
                    hosts[hi].users.push(index);
                }
            }
            account_ids.insert(a.id.name.as_str(), index);
            accounts.push(AccountW {
                def: a,
                org,
                sid: format!("{}-{}", orgs[org].sid, 1100 + stable_u32(&a.username) % 8000),
                user,
                domain,
                disabled: false,
                reset_at: None,
            });
        }
        let mut services = Vec::new();
        let mut service_ids = HashMap::new();
        for s in &w.services {
            let Some(&org) = org_index.get(s.organisation.name.as_str()) else {
                continue;
            };
            service_ids.insert(s.id.name.as_str(), services.len());
            services.push(ServiceW {
                def: s,
                org,
                hosts: s
                    .hosts
                    .iter()
                    .filter_map(|r| host_ids.get(r.name.as_str()).copied())
                    .collect(),
                depends_on: Vec::new(),
                stopped: false,
                degraded_until: 0,
            });
        }
        for service in &mut services {
            let deps = service
                .def
                .depends_on
                .iter()
                .filter_map(|r| service_ids.get(r.name.as_str()).copied())
                .collect();
            service.depends_on = deps;
        }
        let windows_by_org = (0..orgs.len())
            .map(|o| {
                (0..hosts.len())
                    .filter(|&h| hosts[h].org == o && hosts[h].def.os.is_windows())
                    .collect()
            })
            .collect();
        World {
            team,
            orgs,
            windows_by_org,
            hosts,
            accounts,
            services,
            host_ids,
            account_ids,
            service_ids,
            blocked_addresses: BTreeSet::new(),
            blocked_domains: BTreeSet::new(),
        }
    }

    pub fn host(&self, id: &str) -> Option<usize> {
        self.host_ids.get(id).copied()
    }

    pub fn account(&self, id: &str) -> Option<usize> {
        self.account_ids.get(id).copied()
    }

    pub fn service(&self, id: &str) -> Option<usize> {
        self.service_ids.get(id).copied()
    }

    pub fn collects(&self, host: usize, log: Source) -> bool {
        self.hosts[host].sources & source_bit(log) != 0
    }

    /// The hosts a selector picks, in file order.
    pub fn select(&self, s: &Selector) -> Vec<usize> {
        (0..self.hosts.len())
            .filter(|&i| {
                let h = &self.hosts[i];
                s.matches(h.def, self.orgs[h.org].def, h.zone)
            })
            .collect()
    }

    pub fn select_accounts(&self, s: &AccountSelector) -> Vec<usize> {
        (0..self.accounts.len())
            .filter(|&i| s.matches(self.accounts[i].def, self.orgs[self.accounts[i].org].def))
            .collect()
    }

    pub fn select_services(&self, s: &ServiceSelector) -> Vec<usize> {
        (0..self.services.len())
            .filter(|&i| s.matches(self.services[i].def, self.orgs[self.services[i].org].def))
            .collect()
    }

    /// Whether the host is on the network and running at `t`.
    pub fn host_up(&self, host: usize, t: Millis) -> bool {
        let s = &self.hosts[host].state;
        !s.isolated && !s.off && t >= s.rebuilding_until
    }

    /// Whether a service works at `t`: not stopped or degraded, its hosts up, and every
    /// service it depends on working.
    pub fn service_up(&self, service: usize, t: Millis) -> bool {
        let mut seen = vec![false; self.services.len()];
        self.service_up_inner(service, t, &mut seen)
    }

    fn service_up_inner(&self, service: usize, t: Millis, seen: &mut [bool]) -> bool {
        if seen[service] {
            return true; // a dependency cycle adds nothing
        }
        seen[service] = true;
        let s = &self.services[service];
        !s.stopped
            && t >= s.degraded_until
            && s.hosts.iter().all(|&h| self.host_up(h, t))
            && s.depends_on.iter().all(|&d| self.service_up_inner(d, t, seen))
    }

    /// Whether an address or domain is blocked at the team's perimeter.
    pub fn is_blocked(&self, address_or_domain: &str) -> bool {
        let lower = address_or_domain.to_ascii_lowercase();
        self.blocked_addresses.contains(&lower)
            || self
                .blocked_domains
                .iter()
                .any(|d| lower == *d || lower.ends_with(&format!(".{d}")))
    }

    /// The account that signs in on a host: its first user, else none.
    pub fn first_user(&self, host: usize) -> Option<usize> {
        self.hosts[host].users.first().copied()
    }

    pub fn is_admin(&self, account: usize) -> bool {
        let a = self.accounts[account].def;
        a.kind == AccountKind::Admin || a.groups.iter().any(|g| g.contains("Admins"))
    }
}
