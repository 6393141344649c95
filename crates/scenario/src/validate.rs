//! Semantic checks: everything a well-formed scenario must also get right — ids unique,
//! references resolved, times inside the planned duration, addresses inside their networks,
//! translations complete. Every check runs; every problem is reported.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;

use crate::decode::{Cx, IdDef, ItemKind, Ref, RefKind, Spanned, TimedK};
use crate::diag::{Diagnostic, Span, did_you_mean};
use crate::model::{
    AccountSelector, Campaign, Condition, Consequence, Effect, Emit, Expectation, FORMAT, Host, Organisation, Question,
    Scenario, Selector, ServiceSelector,
};
use crate::time::{After, At, ClockTime, Duration};

/// Placeholders a telemetry template or an indicator answer may use.
pub const PLACEHOLDERS: &[&str] = &[
    "host.hostname",
    "host.address",
    "host.fqdn",
    "target.hostname",
    "target.address",
    "target.fqdn",
    "org.domain",
    "org.netbios",
    "account.username",
    "account.user",
    "peer.hostname",
    "peer.address",
    "c2.domain",
    "c2.address",
];

struct Checker<'a> {
    s: &'a Scenario,
    r: Refs<'a>,
    /// Whether every id was unique and every reference resolved.
    references_ok: bool,
    /// Host selectors already checked, by their content and the teams they run against.
    selector_memo: HashMap<String, bool>,
}

/// The id table and the diagnostics found so far: all that resolving references needs, so that
/// references are checked even in a file whose model could not be built.
struct Refs<'a> {
    ids: HashMap<&'a str, &'a IdDef>,
    diags: Vec<Diagnostic>,
}

impl Checker<'_> {
    fn error(&mut self, span: Span, message: impl Into<String>, hint: impl Into<String>) {
        self.r.error(span, message, hint);
    }
}

/// Runs every semantic check. `base_dir` is the scenario file's folder, for attachment files.
pub fn check(s: &Scenario, cx: &Cx, base_dir: Option<&Path>) -> Vec<Diagnostic> {
    let r = Refs::new(cx);
    // Checks that follow references would only repeat a broken reference in other words.
    let references_ok = r.diags.is_empty();
    let mut c = Checker {
        s,
        r,
        references_ok,
        selector_memo: HashMap::new(),
    };
    check_metadata(&mut c);
    check_texts(&mut c, cx);
    check_world(&mut c);
    check_profiles(&mut c);
    check_campaigns(&mut c);
    check_timing(&mut c);
    check_questions_and_decisions(&mut c);
    check_conditions(&mut c);
    check_expectations(&mut c);
    check_attachments(&mut c, base_dir);
    c.r.diags
}

/// What loads and runs but is probably not what the author meant: a fallback that does not
/// require the steps its step needs (atoll runs a fallback only when its step's own chain ran,
/// but the white cell may run a step by hand, and a reader expects the fallback to say what it
/// builds on).
pub fn warnings(s: &Scenario) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for campaign in &s.campaigns {
        let is_step = |id: &str| campaign.steps.iter().any(|st| st.id.name == id);
        for step in &campaign.steps {
            let Some(fb) = &step.fallback else { continue };
            let Some(fallback) = campaign.steps.iter().find(|st| st.id.name == fb.name) else {
                continue;
            };
            let has = crate::timing::chain(fallback, is_step);
            let missing: Vec<&str> = crate::timing::chain(step, is_step)
                .into_iter()
                .filter(|x| *x != fallback.id.name && !has.contains(x))
                .collect();
            if missing.is_empty() {
                continue;
            }
            let list = missing.iter().map(|m| format!("`{m}`")).collect::<Vec<_>>().join(", ");
            let yaml = missing
                .iter()
                .map(|m| format!("{{step: {m}}}"))
                .collect::<Vec<_>>()
                .join(", ");
            out.push(
                Diagnostic::new(
                    fb.span,
                    format!(
                        "the fallback `{fb}` of step `{}` does not require {list}, which `{}` needs",
                        step.id, step.id
                    ),
                )
                .hint(format!(
                    "a fallback runs only when its step's chain ran; add `requires: [{yaml}]` to `{fb}` so that it says so, and so that running it by hand keeps to the chain"
                )),
            );
        }
    }
    out
}

/// Only the id and reference checks, for a file whose model could not be built.
pub fn check_references(cx: &Cx) -> Vec<Diagnostic> {
    Refs::new(cx).diags
}

impl<'a> Refs<'a> {
    /// Indexes the ids, reporting every one defined twice, and resolves every reference.
    fn new(cx: &'a Cx) -> Self {
        let mut r = Refs {
            ids: HashMap::new(),
            diags: Vec::new(),
        };
        for def in &cx.ids {
            if let Some(first) = r.ids.get(def.name.as_str()) {
                let (kind, line) = (first.kind.name(), first.span.line);
                r.error(
                    def.span,
                    format!("the id `{}` is already used by the {kind} on line {line}", def.name),
                    "ids must be unique across the whole scenario; rename one of them",
                );
            } else {
                r.ids.insert(&def.name, def);
            }
        }
        for u in &cx.refs {
            r.resolve(&u.name, u.span, u.kinds, u.what);
        }
        r
    }

    fn error(&mut self, span: Span, message: impl Into<String>, hint: impl Into<String>) {
        self.diags.push(Diagnostic::new(span, message).hint(hint));
    }

    /// Checks that `name` is the id of one of `kinds`; reports what is wrong otherwise.
    fn resolve(&mut self, name: &str, span: Span, kinds: &[ItemKind], what: &str) -> bool {
        match self.ids.get(name) {
            Some(def) if kinds.contains(&def.kind) => true,
            Some(def) => {
                let kind = def.kind.name();
                let article = if kind.starts_with(['a', 'e', 'i', 'o', 'u']) {
                    "an"
                } else {
                    "a"
                };
                self.error(
                    span,
                    format!("`{name}` is {article} {kind}, but {what} is expected here"),
                    format!("name {what}"),
                );
                false
            }
            None if self.diags.len() >= crate::MAX_REPORTED => {
                // Past the reporting cap, skip the (quadratic) search for a suggestion.
                self.error(span, format!("no {} has the id `{name}`", bare(what)), "define it");
                false
            }
            None => {
                let candidates: Vec<&str> = self
                    .ids
                    .values()
                    .filter(|d| kinds.contains(&d.kind))
                    .map(|d| d.name.as_str())
                    .collect();
                let hint = match did_you_mean(name, candidates.iter().copied()) {
                    Some(near) => format!("did you mean `{near}`?"),
                    None if candidates.is_empty() => format!("the scenario defines no {}", plural(what)),
                    None => format!(
                        "define it, or use one of the ids that exist ({})",
                        list_some(&candidates)
                    ),
                };
                self.error(
                    span,
                    format!(
                        "no {} has the id `{name}`",
                        what.trim_start_matches("a ").trim_start_matches("an ")
                    ),
                    hint,
                );
                false
            }
        }
    }
}

/// "a host" → "host".
fn bare(what: &str) -> &str {
    what.trim_start_matches("a ").trim_start_matches("an ")
}

fn plural(what: &str) -> String {
    let bare = bare(what);
    if bare.contains(',') || bare.contains(" or ") {
        format!("such items ({bare})")
    } else {
        format!("{bare}s")
    }
}

fn list_some(names: &[&str]) -> String {
    let mut sorted: Vec<&str> = names.to_vec();
    sorted.sort_unstable();
    if sorted.len() > 6 {
        format!("{}, …", sorted[..6].join(", "))
    } else {
        sorted.join(", ")
    }
}

fn check_metadata(c: &mut Checker<'_>) {
    let s = c.s;
    if s.format.value != FORMAT {
        c.error(
            s.format.span,
            format!("this atoll reads scenario format `{FORMAT}`, not `{}`", s.format.value),
            format!("write `format: {FORMAT}`"),
        );
    }
    let mut seen = BTreeSet::new();
    for lang in &s.languages {
        if !seen.insert(&lang.value.0) {
            c.error(
                lang.span,
                format!("the language `{}` is listed twice in `languages`", lang.value.0),
                "list each language once",
            );
        }
    }
    if let ClockTime::AfterStart(_) = s.start.value {
        c.error(
            s.start.span,
            "`start` must be a day and time, such as `D1 09:00`",
            "write `start: D1 09:00`",
        );
    }
    if s.duration.value == Duration::ZERO {
        c.error(
            s.duration.span,
            "the planned `duration` is zero",
            "give the length of play, e.g. `duration: 3d 8h`",
        );
    }
    if s.player_teams().next().is_none() {
        c.error(
            s.span,
            "the scenario has no player team",
            "add a team under `teams:` (observers alone cannot play)",
        );
    }
}

fn check_texts(c: &mut Checker<'_>, cx: &Cx) {
    let declared: Vec<&str> = c.s.languages.iter().map(|l| l.value.0.as_str()).collect();
    let Some(first) = declared.first().copied() else { return };
    for t in &cx.texts {
        match &t.languages {
            None if declared.len() > 1 => c.error(
                t.span,
                format!(
                    "this text is only in `{first}`, but the scenario is in {}",
                    declared.join(", ")
                ),
                format!(
                    "give every language: {}",
                    declared
                        .iter()
                        .map(|l| format!("`{l}: …`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ),
            None => {}
            Some(given) => {
                for lang in &declared {
                    if !given.iter().any(|g| g == lang) {
                        c.error(
                            t.span,
                            format!("the `{lang}` translation is missing"),
                            format!(
                                "add `{lang}: …`; the scenario declares languages {}",
                                declared.join(", ")
                            ),
                        );
                    }
                }
                for lang in given {
                    if !declared.contains(&lang.as_str()) {
                        c.error(
                            t.span,
                            format!(
                                "`{lang}` is not one of the scenario's languages ({})",
                                declared.join(", ")
                            ),
                            "add it to `languages:` or remove this translation",
                        );
                    }
                }
            }
        }
    }
}

/// The organisations, networks and hosts of the world, indexed.
struct WorldIndex<'a> {
    orgs: HashMap<&'a str, &'a Organisation>,
    network_org: HashMap<&'a str, &'a str>,
    network_zone: HashMap<&'a str, crate::model::Zone>,
}

impl<'a> WorldIndex<'a> {
    fn new(s: &'a Scenario) -> Self {
        WorldIndex {
            orgs: s.world.organisations.iter().map(|o| (o.id.as_str(), o)).collect(),
            network_org: s
                .world
                .networks
                .iter()
                .map(|n| (n.id.as_str(), n.organisation.as_str()))
                .collect(),
            network_zone: s.world.networks.iter().map(|n| (n.id.as_str(), n.zone)).collect(),
        }
    }

    fn host_org(&self, h: &Host) -> Option<&'a Organisation> {
        self.network_org
            .get(h.network.as_str())
            .and_then(|o| self.orgs.get(o))
            .copied()
    }

    /// The team whose world holds the host.
    fn host_team(&self, h: &Host) -> Option<&'a str> {
        self.host_org(h).and_then(|o| o.team.as_ref()).map(Ref::as_str)
    }

    fn matches(&self, sel: &Selector, h: &Host) -> bool {
        let zone = self.network_zone.get(h.network.as_str()).copied();
        match (self.host_org(h), zone) {
            (Some(org), Some(zone)) => sel.matches(h, org, zone),
            _ => false,
        }
    }

    /// The organisation `org_id` if it belongs to one of `teams` (any player team when empty).
    fn org_in(&self, org_id: &str, teams: &[&str]) -> Option<&'a Organisation> {
        let org = self.orgs.get(org_id).copied()?;
        let team = org.team.as_ref()?;
        (teams.is_empty() || teams.contains(&team.as_str())).then_some(org)
    }
}

fn check_world(c: &mut Checker<'_>) {
    let s = c.s;
    let w = &s.world;
    let observers = s.observer_ids();
    for org in &w.organisations {
        if let Some(team) = &org.team
            && observers.contains(team.as_str())
        {
            c.error(
                team.span,
                format!("`{team}` is an observer team; observers watch and defend no organisation"),
                "give the organisation to a player team, or make the team a player",
            );
        }
    }
    for team in s.player_teams() {
        if !w.organisations.is_empty()
            && !w
                .organisations
                .iter()
                .any(|o| o.team.as_ref().is_some_and(|r| r.name == team.id.name))
        {
            c.error(
                team.span,
                format!("the player team `{}` defends no organisation", team.id),
                "set `team:` on the organisations this team defends",
            );
        }
    }
    let networks: HashMap<&str, &crate::model::Network> = w.networks.iter().map(|n| (n.id.as_str(), n)).collect();
    let mut addresses: HashMap<(&str, std::net::IpAddr), &Host> = HashMap::new();
    let mut hostnames: HashMap<(Option<&str>, String), &Host> = HashMap::new();
    let network_org: HashMap<&str, &str> = w
        .networks
        .iter()
        .map(|n| (n.id.as_str(), n.organisation.as_str()))
        .collect();
    for h in &w.hosts {
        if let Some(net) = networks.get(h.network.as_str()) {
            if !net.cidr.0.contains(&h.address.0) {
                c.error(
                    h.span,
                    format!(
                        "the address {} of `{}` is outside its network `{}` ({})",
                        h.address.0, h.id, net.id, net.cidr.0
                    ),
                    format!(
                        "use an address inside {}, or put the host in another network",
                        net.cidr.0
                    ),
                );
            } else if h.address.0 == net.cidr.0.network() && net.cidr.0.prefix_len() < 31 {
                c.error(
                    h.span,
                    format!(
                        "{} is the network address of `{}`, not a host address",
                        h.address.0, net.id
                    ),
                    "use an address between the network and broadcast addresses",
                );
            } else if let ipnet::IpNet::V4(v4) = net.cidr.0
                && v4.prefix_len() < 31
                && h.address.0 == std::net::IpAddr::V4(v4.broadcast())
            {
                c.error(
                    h.span,
                    format!(
                        "{} is the broadcast address of `{}`, not a host address",
                        h.address.0, net.id
                    ),
                    "use an address between the network and broadcast addresses",
                );
            }
            if let Some(other) = addresses.insert((net.id.as_str(), h.address.0), h) {
                c.error(
                    h.span,
                    format!(
                        "`{}` has the address {}, already used by `{}` on line {}",
                        h.id, h.address.0, other.id, other.span.line
                    ),
                    "give each host in a network its own address",
                );
            }
        }
        let org = network_org.get(h.network.as_str()).copied();
        if let Some(other) = hostnames.insert((org, h.hostname.to_lowercase()), h) {
            c.error(
                h.span,
                format!(
                    "the hostname `{}` is already used by `{}` on line {} in the same organisation",
                    h.hostname, other.id, other.span.line
                ),
                "hostnames must be unique within an organisation, as in its domain",
            );
        }
        let mut seen = BTreeSet::new();
        for source in &h.telemetry {
            if !seen.insert(source) {
                c.error(
                    h.span,
                    format!("`{source}` is listed twice in the telemetry of `{}`", h.id),
                    "list each source once",
                );
            }
            if source.windows_only() && !h.os.is_windows() {
                c.error(
                    h.span,
                    format!("`{source}` is a Windows log source, but `{}` runs {}", h.id, h.os),
                    "use syslog, auditd, auth or a network source for this host",
                );
            }
        }
    }
    check_service_cycles(c);
    for link in &w.links {
        let mut seen = BTreeSet::new();
        for ls in &link.landing_stations {
            if !seen.insert(ls.id.name.as_str()) {
                c.error(
                    ls.id.span,
                    format!("the landing station `{}` is listed twice in `{}`", ls.id.name, link.id),
                    "give each landing station its own id",
                );
            }
        }
        let ends = link.landing_stations.len() + link.endpoints.len();
        if link.kind == crate::model::LinkKind::SubmarineCable && link.landing_stations.len() < 2 {
            c.error(
                link.span,
                format!("the submarine cable `{}` needs at least two landing stations", link.id),
                "list the stations at each end under `landing_stations:`",
            );
        } else if ends < 2 {
            c.error(
                link.span,
                format!("the link `{}` needs two ends", link.id),
                "list `endpoints:` (organisations) or `landing_stations:`",
            );
        }
        if link.backup.as_ref().is_some_and(|b| b.name == link.id.name) {
            c.error(
                link.span,
                format!("the link `{}` cannot be its own backup", link.id),
                "name another link under `backup:`",
            );
        }
        if link.capacity_gbps.is_some_and(|g| g <= 0.0) {
            c.error(
                link.span,
                format!("the capacity of `{}` must be more than zero", link.id),
                "give the capacity in Gbit/s",
            );
        }
    }
}

fn check_service_cycles(c: &mut Checker<'_>) {
    let deps: BTreeMap<&str, Vec<&str>> =
        c.s.world
            .services
            .iter()
            .map(|svc| (svc.id.as_str(), svc.depends_on.iter().map(Ref::as_str).collect()))
            .collect();
    let spans: HashMap<&str, Span> = c.s.world.services.iter().map(|s| (s.id.as_str(), s.span)).collect();
    for cycle in find_cycles(&deps) {
        let span = spans[cycle[0]];
        c.error(
            span,
            format!("services depend on each other in a circle: {}", show_cycle(&cycle)),
            "break the circle: one of these services must not depend on the next",
        );
    }
}

/// `a → b → a`, shortened to its first and last items when long.
fn show_cycle(cycle: &[&str]) -> String {
    const SHOWN: usize = 8;
    if cycle.len() <= 2 * SHOWN {
        return cycle.join(" → ");
    }
    let head = cycle[..SHOWN].join(" → ");
    let tail = cycle[cycle.len() - 2..].join(" → ");
    format!("{head} → … → {tail} ({} items)", cycle.len() - 1)
}

/// Cycles found by a depth-first search: every cycle closed by a back edge is reported once.
/// Iterative, so that a long chain in a large file cannot overflow the stack.
fn find_cycles<'a>(edges: &BTreeMap<&'a str, Vec<&'a str>>) -> Vec<Vec<&'a str>> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        Active,
        Done,
    }
    let no_edges: Vec<&'a str> = Vec::new();
    let mut marks: HashMap<&'a str, Mark> = HashMap::new();
    let mut out = Vec::new();
    for &root in edges.keys() {
        if marks.contains_key(root) {
            continue;
        }
        // The path from the root, each node with the index of its next edge to follow.
        let mut path: Vec<(&'a str, usize)> = vec![(root, 0)];
        marks.insert(root, Mark::Active);
        while let Some(&mut (node, ref mut next)) = path.last_mut() {
            let targets = edges.get(node).unwrap_or(&no_edges);
            if let Some(&m) = targets.get(*next) {
                *next += 1;
                match marks.get(m) {
                    None => {
                        marks.insert(m, Mark::Active);
                        path.push((m, 0));
                    }
                    Some(Mark::Active) => {
                        let from = path.iter().position(|&(p, _)| p == m).unwrap_or(0);
                        let mut cycle: Vec<&str> = path[from..].iter().map(|&(p, _)| p).collect();
                        cycle.push(m);
                        out.push(cycle);
                    }
                    Some(Mark::Done) => {}
                }
            } else {
                marks.insert(node, Mark::Done);
                path.pop();
            }
        }
    }
    out
}

fn check_profiles(c: &mut Checker<'_>) {
    for p in &c.s.profiles {
        if let Some(f) = p.off_hours_factor
            && !(0.0..=1.0).contains(&f)
        {
            c.error(
                p.span,
                format!("`off_hours_factor` of `{}` is {f}; it must be from 0 to 1", p.id),
                "0 means nothing happens off hours, 1 means no difference",
            );
        }
        if !p.working_days.is_empty() && p.working_hours.is_none() {
            c.error(
                p.span,
                format!("the profile `{}` has working days but no working hours", p.id),
                "add `working_hours: 08:00-17:00`",
            );
        }
    }
    // A person's profile on a host runs as the host's user: a host without one would have
    // Word and Outlook start as SYSTEM.
    let s = c.s;
    for h in &s.world.hosts {
        let Some(r) = &h.profile else { continue };
        let Some(p) = s.profiles.iter().find(|p| p.id.name == r.name) else {
            continue;
        };
        let person = p.kind.is_person();
        if person
            && !s
                .world
                .accounts
                .iter()
                .any(|a| a.hosts.iter().any(|x| x.name == h.id.name))
        {
            c.error(
                r.span,
                format!(
                    "host `{}` has the profile `{}`, a person's ({}), but no account logs on to it",
                    h.id,
                    p.id,
                    p.kind.as_str()
                ),
                "list the host under `hosts:` of the account who uses it, or give the profile to that account instead",
            );
        }
    }
}

fn check_campaigns(c: &mut Checker<'_>) {
    let s = c.s;
    let idx = WorldIndex::new(s);
    let observers = s.observer_ids();
    let fallback_targets: BTreeSet<&str> = s
        .campaigns
        .iter()
        .flat_map(|k| &k.steps)
        .filter_map(|st| st.fallback.as_ref())
        .map(Ref::as_str)
        .collect();
    for campaign in &s.campaigns {
        for team in &campaign.teams {
            if observers.contains(team.as_str()) {
                c.error(
                    team.span,
                    format!("`{team}` is an observer team; campaigns run against player teams"),
                    "remove it from `teams:`",
                );
            }
        }
        let teams: Vec<&str> = if campaign.teams.is_empty() {
            s.player_teams().map(|t| t.id.as_str()).collect()
        } else {
            campaign.teams.iter().map(Ref::as_str).collect()
        };
        let in_campaign: BTreeSet<&str> = campaign.steps.iter().map(|st| st.id.as_str()).collect();
        for step in &campaign.steps {
            check_selector_matches(
                c,
                &idx,
                &step.target,
                &teams,
                &format!("the target of step `{}`", step.id),
                step.target.span,
            );
            for effect in &step.effects {
                let sel = match effect {
                    Effect::Compromise(sel) | Effect::StageData(sel) => Some(sel),
                    Effect::Persist(p) => Some(&p.on),
                    Effect::Exfiltrate(e) => Some(&e.from),
                    Effect::C2(c2) => c2.via.as_ref(),
                    Effect::StealCredentials(_) | Effect::DegradeService(_) => None,
                };
                if let Some(sel) = sel {
                    check_selector_matches(
                        c,
                        &idx,
                        sel,
                        &teams,
                        &format!("an effect of step `{}`", step.id),
                        sel.span,
                    );
                }
                match effect {
                    Effect::StealCredentials(sel) => check_account_selector(c, &idx, sel, &teams, &step.id.name),
                    Effect::DegradeService(outage) => check_service_selector(c, &idx, &outage.service, &teams),
                    _ => {}
                }
                if let Effect::C2(c2) = effect
                    && c2.domain.is_none()
                    && c2.address.is_none()
                {
                    c.error(
                        c2.span,
                        format!(
                            "the C2 channel of step `{}` has neither `domain` nor `address`",
                            step.id
                        ),
                        "give the domain or address the implant calls",
                    );
                }
                if let Effect::C2(c2) = effect
                    && let Some(port) = c2.port
                    && !(1..=65535).contains(&port)
                {
                    c.error(
                        c2.span,
                        format!("{port} is not a port number"),
                        "ports run from 1 to 65535",
                    );
                }
            }
            for emit in &step.emits {
                check_emit(c, emit);
                if let Some(sel) = &emit.on {
                    check_selector_matches(
                        c,
                        &idx,
                        sel,
                        &teams,
                        &format!("a template of step `{}`", step.id),
                        sel.span,
                    );
                }
            }
            if let Some(fb) = &step.fallback {
                if fb.name == step.id.name {
                    c.error(
                        fb.span,
                        format!("the step `{}` cannot be its own fallback", step.id),
                        "name another step of the campaign",
                    );
                } else if !in_campaign.contains(fb.as_str())
                    && c.r.ids.get(fb.as_str()).is_some_and(|d| d.kind == ItemKind::Step)
                {
                    c.error(
                        fb.span,
                        format!("the fallback `{fb}` belongs to another campaign"),
                        "a fallback must be a step of the same campaign",
                    );
                }
            }
            let is_fallback = fallback_targets.contains(step.id.as_str());
            match (&step.at, &step.after) {
                (Some(_), Some(_)) => c.error(
                    step.span,
                    format!("the step `{}` has both `at` and `after`", step.id),
                    "keep one of them",
                ),
                (None, None) if !is_fallback => c.error(
                    step.span,
                    format!(
                        "the step `{}` has no time: it has neither `at` nor `after` and is no step's fallback",
                        step.id
                    ),
                    "add `at: D1 10:00` or `after: other-step + 30m`",
                ),
                (Some(_), _) | (_, Some(_)) if is_fallback => c.error(
                    step.span,
                    format!(
                        "the step `{}` is a fallback, so it runs when the step it replaces is blocked",
                        step.id
                    ),
                    "remove its `at` / `after`",
                ),
                _ => {}
            }
        }
    }
}

fn check_selector_matches(
    c: &mut Checker<'_>,
    idx: &WorldIndex<'_>,
    sel: &Selector,
    teams: &[&str],
    what: &str,
    span: Span,
) {
    if !c.references_ok {
        return;
    }
    if let Some(os) = sel.os.as_deref()
        && os != "windows"
        && !crate::model::Os::WORDS.contains(&os)
    {
        c.error(
            span,
            format!("`{os}` is not an operating system"),
            "use `windows` or one of the operating systems of the format",
        );
        return;
    }
    // Many steps share a selector; remember answers so that checking stays linear in practice.
    let hosts: Vec<&str> = sel.hosts.iter().map(Ref::as_str).collect();
    let tag = sel.tag.as_ref().map(|t| t.name.as_str());
    let key = format!(
        "{teams:?}|{hosts:?}|{:?}|{:?}|{:?}|{tag:?}|{:?}",
        sel.role, sel.sector, sel.zone, sel.os
    );
    let any = match c.selector_memo.get(&key) {
        Some(&known) => known,
        None => {
            let found =
                c.s.world
                    .hosts
                    .iter()
                    .any(|h| idx.host_team(h).is_some_and(|t| teams.contains(&t)) && idx.matches(sel, h));
            c.selector_memo.insert(key, found);
            found
        }
    };
    if !any {
        c.error(
            span,
            format!("{what} selects no host in any world it runs in"),
            "check the role, sector, zone, tag and hosts of the selector against the world",
        );
    }
}

/// Whether any of `items`, in the world of one of `teams` (any player team when empty), is
/// picked by `matches`. Shared by the account and service selector checks.
fn selects_any<T>(
    idx: &WorldIndex<'_>,
    items: &[T],
    teams: &[&str],
    organisation: impl Fn(&T) -> &str,
    matches: impl Fn(&T, &Organisation) -> bool,
) -> bool {
    items.iter().any(|item| {
        idx.org_in(organisation(item), teams)
            .is_some_and(|org| matches(item, org))
    })
}

fn check_account_selector(
    c: &mut Checker<'_>,
    idx: &WorldIndex<'_>,
    sel: &AccountSelector,
    teams: &[&str],
    step: &str,
) {
    if c.references_ok
        && !selects_any(
            idx,
            &c.s.world.accounts,
            teams,
            |a| a.organisation.as_str(),
            |a, org| sel.matches(a, org),
        )
    {
        c.error(
            sel.span,
            format!("the accounts selected in step `{step}` match no account in any world it runs in"),
            "check the kind, sector, tag and accounts of the selector against the world",
        );
    }
}

/// Checks that a service selector matches a service in one of `teams`' worlds (any team if empty).
fn check_service_selector(c: &mut Checker<'_>, idx: &WorldIndex<'_>, sel: &ServiceSelector, teams: &[&str]) {
    if c.references_ok
        && !selects_any(
            idx,
            &c.s.world.services,
            teams,
            |svc| svc.organisation.as_str(),
            |svc, org| sel.matches(svc, org),
        )
    {
        c.error(
            sel.span,
            "this service selector matches no service in any team's world",
            "check the sector, tag and services of the selector against the world",
        );
    }
}

fn check_emit(c: &mut Checker<'_>, emit: &Emit) {
    if emit.fields.is_empty() {
        c.error(
            emit.span,
            "the telemetry template has no fields",
            "give the event's fields, e.g. `EventID`, `Image`, `CommandLine`",
        );
    }
    for value in emit.fields.values() {
        if let crate::decode::FieldValue::Text(text) = value {
            check_placeholders(c, text, emit.span);
        }
    }
}

/// Checks `{{name}}` placeholders in a template value.
fn check_placeholders(c: &mut Checker<'_>, value: &str, span: Span) {
    let mut rest = value;
    while let Some(open) = rest.find("{{") {
        let after = &rest[open + 2..];
        let Some(close) = after.find("}}") else {
            c.error(
                span,
                format!("unclosed placeholder in `{value}`"),
                "placeholders are written `{{host.hostname}}`",
            );
            return;
        };
        let name = after[..close].trim();
        if !PLACEHOLDERS.contains(&name) {
            let hint = match did_you_mean(name, PLACEHOLDERS.iter().copied()) {
                Some(near) => format!("did you mean `{{{{{near}}}}}`?"),
                None => format!("placeholders: {}", PLACEHOLDERS.join(", ")),
            };
            c.error(span, format!("unknown placeholder `{{{{{name}}}}}`"), hint);
        }
        rest = &after[close + 2..];
    }
}

/// A timed item: what it is, and how its time is given.
struct Timed<'a> {
    id: &'a str,
    span: Span,
    at: Option<&'a Spanned<At>>,
    after: Option<&'a Spanned<After>>,
    /// The inject a question or decision is shown with.
    inject: Option<&'a str>,
}

impl<'a> Timed<'a> {
    /// What this item's time follows, with the delay after it.
    fn anchor(&self) -> Option<(&'a str, u64)> {
        match (self.after, self.inject) {
            (Some(after), _) => Some((after.value.anchor.as_str(), after.value.delay.as_secs())),
            (None, Some(inject)) => Some((inject, 0)),
            (None, None) => None,
        }
    }
}

/// Counts how many of `given` are true.
fn how_many(given: &[bool]) -> usize {
    given.iter().filter(|&&b| b).count()
}

fn check_timing(c: &mut Checker<'_>) {
    let s = c.s;
    let triggered_by_consequence: BTreeSet<&str> = s
        .decisions
        .iter()
        .flat_map(|d| &d.options)
        .flat_map(|o| &o.consequences)
        .filter_map(|q| match q {
            Consequence::Inject(r) => Some(r.as_str()),
            _ => None,
        })
        .collect();
    let mut timed: Vec<Timed<'_>> = Vec::new();
    for st in s.campaigns.iter().flat_map(|k| &k.steps) {
        timed.push(Timed {
            id: st.id.as_str(),
            span: st.span,
            at: st.at.as_ref(),
            after: st.after.as_ref(),
            inject: None,
        });
    }
    for inj in &s.injects {
        let given = how_many(&[inj.at.is_some(), inj.after.is_some(), inj.when.is_some()]);
        let by_consequence = triggered_by_consequence.contains(inj.id.as_str());
        if given > 1 {
            c.error(
                inj.span,
                format!("the inject `{}` has more than one of `at`, `after` and `when`", inj.id),
                "keep one of them",
            );
        } else if given == 0 && !by_consequence {
            c.error(
                inj.span,
                format!(
                    "the inject `{}` is never delivered: it has no `at`, `after` or `when` and no decision sends it",
                    inj.id
                ),
                "add `at: D1 09:30`, `after: step + 15m` or `when: {…}`",
            );
        } else if given == 1 && by_consequence {
            c.error(
                inj.span,
                format!(
                    "the inject `{}` is sent by a decision, so it takes no time of its own",
                    inj.id
                ),
                "remove its `at` / `after` / `when`",
            );
        }
        if let Some(delay) = &inj.delay {
            if inj.when.is_none() {
                c.error(
                    delay.span,
                    format!("`delay` of inject `{}` only applies with `when`", inj.id),
                    "use `after: … + delay` instead, or add `when:`",
                );
            }
            check_within_exercise(c, delay.value, delay.span, "this delay");
        }
        timed.push(Timed {
            id: inj.id.as_str(),
            span: inj.span,
            at: inj.at.as_ref(),
            after: inj.after.as_ref(),
            inject: None,
        });
    }
    for q in &s.questions {
        let given = how_many(&[q.inject.is_some(), q.at.is_some(), q.after.is_some(), q.when.is_some()]);
        if given != 1 {
            c.error(
                q.span,
                format!(
                    "the question `{}` needs exactly one of `inject`, `at`, `after` and `when` (it has {given})",
                    q.id
                ),
                "e.g. `inject: the-inject-it-follows`",
            );
        }
        let inject = q.inject.as_ref().map(Ref::as_str);
        timed.push(Timed {
            id: q.id.as_str(),
            span: q.span,
            at: q.at.as_ref(),
            after: q.after.as_ref(),
            inject,
        });
    }
    for d in &s.decisions {
        let given = how_many(&[d.inject.is_some(), d.at.is_some(), d.after.is_some(), d.when.is_some()]);
        if given != 1 {
            c.error(
                d.span,
                format!(
                    "the decision `{}` needs exactly one of `inject`, `at`, `after` and `when` (it has {given})",
                    d.id
                ),
                "e.g. `at: D2 14:00`",
            );
        }
        if let Some(deadline) = &d.deadline {
            check_within_exercise(c, deadline.value, deadline.span, "this deadline");
        }
        let inject = d.inject.as_ref().map(Ref::as_str);
        timed.push(Timed {
            id: d.id.as_str(),
            span: d.span,
            at: d.at.as_ref(),
            after: d.after.as_ref(),
            inject,
        });
    }

    // Anchors must be timed items; the graph they form must have no cycle.
    let mut edges: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for t in &timed {
        if let Some(after) = t.after
            && c.r
                .resolve(&after.value.anchor, after.span, TimedK::KINDS, TimedK::WHAT)
        {
            edges.entry(t.id).or_default().push(after.value.anchor.as_str());
        } else if let Some(inject) = t.inject {
            edges.entry(t.id).or_default().push(inject);
        }
    }
    let spans: HashMap<&str, Span> = timed
        .iter()
        .map(|t| (t.id, t.after.map_or(t.span, |a| a.span)))
        .collect();
    for cycle in find_cycles(&edges) {
        c.error(
            spans[cycle[0]],
            format!("these wait for each other in a circle: {}", show_cycle(&cycle)),
            "one of them needs a time of its own (`at:`) or another item to follow",
        );
    }
    let fallbacks: BTreeMap<&str, Vec<&str>> = s
        .campaigns
        .iter()
        .flat_map(|k| &k.steps)
        .filter_map(|st| st.fallback.as_ref().map(|f| (st.id.as_str(), vec![f.as_str()])))
        .collect();
    let step_spans: HashMap<&str, Span> = s
        .campaigns
        .iter()
        .flat_map(|k| &k.steps)
        .map(|st| (st.id.as_str(), st.span))
        .collect();
    for cycle in find_cycles(&fallbacks) {
        c.error(
            step_spans[cycle[0]],
            format!(
                "these steps fall back on each other in a circle: {}",
                show_cycle(&cycle)
            ),
            "the last fallback of a chain must have no `fallback` of its own",
        );
    }

    // Planned times (without jitter) and their jitter, checked against start and end.
    let start = s.start.value;
    let end = s.duration.value.as_secs() as i64;
    let planned = planned_offsets(&timed, start);
    for t in &timed {
        let (value, span, jitter) = match (t.at, t.after) {
            (Some(at), _) => (Some(at.value.time.offset_from(start)), at.span, at.value.jitter),
            (None, Some(after)) => (planned.get(t.id).copied().flatten(), after.span, after.value.jitter),
            (None, None) => continue,
        };
        let Some(off) = value else { continue };
        let jitter = jitter.map_or(0, |j| j.as_secs() as i64);
        let when = match t.after {
            Some(after) => format!("{} (it follows `{}`)", describe_offset(off, start), after.value.anchor),
            None => describe_offset(off, start),
        };
        if off < 0 {
            c.error(
                span,
                format!("`{}` is due at {when}, before the exercise starts at {start}", t.id),
                "move it to the start or later",
            );
        } else if off > end {
            c.error(
                span,
                format!(
                    "`{}` is due at {when}, after the planned end ({} after the start at {start})",
                    t.id, s.duration.value
                ),
                "move it earlier, or make `duration` longer",
            );
        } else if off - jitter < 0 || off + jitter > end {
            let j = Duration::from_secs(jitter as u64);
            c.error(
                span,
                format!(
                    "with its jitter of ± {j}, `{}` (due at {when}) may fall outside the exercise",
                    t.id
                ),
                "reduce the jitter or move the time away from the start and end",
            );
        }
    }
    for e in &s.expectations {
        if let Some(deadline) = &e.deadline {
            let off = deadline.value.offset_from(start);
            if off < 0 || off > end {
                c.error(
                    deadline.span,
                    format!("the deadline {} of `{}` is outside the exercise", deadline.value, e.id),
                    "give a deadline between the start and the planned end",
                );
            }
        }
    }
}

/// Reports a duration longer than the whole exercise, which can never run out during play.
fn check_within_exercise(c: &mut Checker<'_>, d: Duration, span: Span, what: &str) {
    if d > c.s.duration.value {
        c.error(
            span,
            format!(
                "{what} ({d}) is longer than the whole exercise ({})",
                c.s.duration.value
            ),
            "shorten it, or make `duration` longer",
        );
    }
}

/// `D2 09:30` for an offset from `start` (a day time), `+2h` if that is not possible.
fn describe_offset(off: i64, start: ClockTime) -> String {
    match start {
        ClockTime::Day { day, second_of_day } => {
            let abs = i64::from(day - 1) * 86_400 + i64::from(second_of_day) + off;
            match u32::try_from(abs) {
                Ok(abs) => ClockTime::Day {
                    day: abs / 86_400 + 1,
                    second_of_day: abs % 86_400,
                }
                .to_string(),
                Err(_) => format!("{off} seconds from the start"),
            }
        }
        ClockTime::AfterStart(_) => format!("+{}", Duration::from_secs(off.unsigned_abs())),
    }
}

/// The planned offset from the start of every item whose time is known in advance: `at` items,
/// and items following them through `after` or `inject` ([`crate::timing::follow`]). Items in
/// a cycle, or following a condition-triggered item, have `None`.
fn planned_offsets<'a>(timed: &[Timed<'a>], start: ClockTime) -> HashMap<&'a str, Option<i64>> {
    let known: HashMap<&'a str, i64> = timed
        .iter()
        .filter_map(|t| Some((t.id, t.at?.value.time.offset_from(start))))
        .collect();
    let by_id: HashMap<&str, &Timed<'a>> = timed.iter().map(|t| (t.id, t)).collect();
    let ids: Vec<&'a str> = timed.iter().map(|t| t.id).collect();
    crate::timing::follow(&ids, &known, |id| {
        let (anchor, delay) = by_id.get(id)?.anchor()?;
        Some((anchor, delay as i64))
    })
}

fn check_questions_and_decisions(c: &mut Checker<'_>) {
    let s = c.s;
    let idx = WorldIndex::new(s);
    let players: Vec<&str> = s.player_teams().map(|t| t.id.as_str()).collect();
    for d in &s.decisions {
        for option in &d.options {
            for q in &option.consequences {
                match q {
                    Consequence::Outage(outage) => check_service_selector(c, &idx, &outage.service, &[]),
                    Consequence::Isolate(sel) => {
                        check_selector_matches(
                            c,
                            &idx,
                            sel,
                            &players,
                            &format!("an option of decision `{}`", d.id),
                            sel.span,
                        );
                    }
                    Consequence::Inject(_) | Consequence::Prevent(_) => {}
                }
            }
        }
    }
    for e in &s.expectations {
        if let Some(k) = &e.keep_up {
            check_service_selector(c, &idx, &k.service, &[]);
        }
    }
    for q in &s.questions {
        check_question(c, q);
    }
    for d in &s.decisions {
        if d.options.len() < 2 {
            c.error(
                d.span,
                format!("the decision `{}` needs at least two options", d.id),
                "a decision is a choice between options",
            );
        }
        let mut seen = BTreeSet::new();
        for o in &d.options {
            if !seen.insert(o.id.name.as_str()) {
                c.error(
                    o.id.span,
                    format!("the option `{}` appears twice in decision `{}`", o.id.name, d.id),
                    "give each option its own id",
                );
            }
        }
        if let Some(default) = &d.default {
            if !seen.contains(default.name.as_str()) {
                c.error(
                    default.span,
                    format!("`{}` is not an option of decision `{}`", default.name, d.id),
                    format!("options: {}", seen.iter().copied().collect::<Vec<_>>().join(", ")),
                );
            }
            if d.deadline.is_none() {
                c.error(
                    default.span,
                    format!("the decision `{}` has a default but no deadline", d.id),
                    "add `deadline: 1h`: the default applies when it passes",
                );
            }
        }
    }
}

fn check_question(c: &mut Checker<'_>, q: &Question) {
    let kinds = [q.choice.is_some(), q.free_text.is_some(), q.indicator.is_some()]
        .iter()
        .filter(|&&b| b)
        .count();
    if kinds != 1 {
        c.error(
            q.span,
            format!("the question `{}` needs exactly one kind of answer: `choice`, `free_text` or `indicator` (it has {kinds})", q.id),
            "e.g. `free_text: {rubric: [...]}`",
        );
    }
    if let Some(choice) = &q.choice {
        if choice.options.len() < 2 {
            c.error(
                choice.span,
                format!("the question `{}` needs at least two options", q.id),
                "add options",
            );
        }
        let mut seen = BTreeSet::new();
        for o in &choice.options {
            if !seen.insert(o.id.name.as_str()) {
                c.error(
                    o.id.span,
                    format!("the option `{}` appears twice in question `{}`", o.id.name, q.id),
                    "give each option its own id",
                );
            }
        }
        let correct = choice.options.iter().filter(|o| o.correct == Some(true)).count();
        if correct > 1 && choice.multiple != Some(true) {
            c.error(
                choice.span,
                format!(
                    "the question `{}` marks {correct} options correct but allows one answer",
                    q.id
                ),
                "add `multiple: true`, or mark one option correct",
            );
        }
    }
    if let Some(ft) = &q.free_text {
        let mut seen = BTreeSet::new();
        for cr in &ft.rubric {
            if !seen.insert(cr.id.name.as_str()) {
                c.error(
                    cr.id.span,
                    format!("the criterion `{}` appears twice in question `{}`", cr.id.name, q.id),
                    "give each criterion its own id",
                );
            }
        }
    }
    if let Some(ind) = &q.indicator {
        for value in ind.accept.iter() {
            check_placeholders(c, value, ind.span);
        }
        if let Some(n) = ind.required
            && (n == 0 || n as usize > ind.accept.len())
        {
            c.error(
                ind.span,
                format!(
                    "`required: {n}` in question `{}` must be from 1 to the number of accepted values ({})",
                    q.id,
                    ind.accept.len()
                ),
                "lower `required`",
            );
        }
    }
}

fn check_conditions(c: &mut Checker<'_>) {
    let s = c.s;
    let decisions: HashMap<&str, BTreeSet<&str>> = s
        .decisions
        .iter()
        .map(|d| (d.id.as_str(), d.options.iter().map(|o| o.id.name.as_str()).collect()))
        .collect();
    let mut all: Vec<&Condition> = Vec::new();
    let steps = s.campaigns.iter().flat_map(|k: &Campaign| &k.steps);
    for st in steps {
        all.extend(st.requires.iter());
    }
    all.extend(s.injects.iter().filter_map(|i| i.when.as_ref()));
    all.extend(s.questions.iter().filter_map(|q| q.when.as_ref()));
    all.extend(s.decisions.iter().filter_map(|d| d.when.as_ref()));
    let (start, end) = (s.start.value, s.duration.value.as_secs() as i64);
    let mut found = Vec::new();
    for cond in all {
        cond.walk(&mut |inner| {
            if let Condition::Time(t) = inner {
                let off = t.value.offset_from(start);
                if off < 0 || off > end {
                    let shown = t.value;
                    found.push(
                        Diagnostic::new(
                            t.span,
                            format!(
                                "the condition time {shown} is outside the exercise ({start} + {})",
                                s.duration.value
                            ),
                        )
                        .hint("give a time between the start and the planned end"),
                    );
                }
            }
            if let Condition::Chose(choice) = inner
                && let Some(options) = decisions.get(choice.decision.as_str())
                && !options.contains(choice.option.name.as_str())
            {
                let listed = options.iter().copied().collect::<Vec<_>>().join(", ");
                found.push(
                    Diagnostic::new(
                        choice.option.span,
                        format!(
                            "`{}` is not an option of decision `{}`",
                            choice.option.name, choice.decision
                        ),
                    )
                    .hint(format!("options: {listed}")),
                );
            }
        });
    }
    c.r.diags.extend(found);
}

fn check_expectations(c: &mut Checker<'_>) {
    for e in &c.s.expectations {
        check_expectation(c, e);
    }
    for h in &c.s.hints {
        if let Some(target) = c.r.ids.get(h.r#for.as_str())
            && target.kind == ItemKind::Expectation
            && let Some(e) = c.s.expectations.iter().find(|e| e.id.name == h.r#for.name)
            && h.penalty > e.points
        {
            c.error(
                h.span,
                format!(
                    "the hint `{}` costs {} points, more than the {} its expectation is worth",
                    h.id, h.penalty, e.points
                ),
                "a hint should cost less than what it helps earn",
            );
        }
    }
}

fn check_expectation(c: &mut Checker<'_>, e: &Expectation) {
    let kinds = [
        e.detect.is_some(),
        e.contain_before.is_some(),
        e.report.is_some(),
        e.answer.is_some(),
        e.decide.is_some(),
        e.keep_up.is_some(),
        e.rule.is_some(),
    ]
    .iter()
    .filter(|&&b| b)
    .count();
    if kinds != 1 {
        c.error(
            e.span,
            format!("the expectation `{}` needs exactly one of `detect`, `contain_before`, `report`, `answer`, `decide`, `keep_up` and `rule` (it has {kinds})", e.id),
            "split it into several expectations",
        );
    }
    if e.within.is_some() && e.detect.is_none() && e.answer.is_none() && e.decide.is_none() && e.rule.is_none() {
        c.error(
            e.span,
            format!(
                "`within` of expectation `{}` only applies to `detect`, `rule`, `answer` and `decide`",
                e.id
            ),
            "use `deadline:` for an absolute time",
        );
    }
    if let Some(k) = &e.keep_up
        && !(0.0..=100.0).contains(&k.min_percent)
    {
        c.error(
            k.span,
            format!("`min_percent` is {}; it must be from 0 to 100", k.min_percent),
            "e.g. `min_percent: 95`",
        );
    }
    if e.points == 0 {
        c.error(
            e.span,
            format!("the expectation `{}` is worth no points", e.id),
            "give it points, or remove it",
        );
    }
}

fn check_attachments(c: &mut Checker<'_>, base_dir: Option<&Path>) {
    for inj in &c.s.injects {
        for a in &inj.attachments {
            match (&a.content, &a.file) {
                (Some(_), Some(_)) | (None, None) => c.error(
                    a.span,
                    format!("the attachment `{}` needs exactly one of `content` and `file`", a.name),
                    "write the text under `content:`, or name a file beside the scenario under `file:`",
                ),
                (None, Some(file)) => {
                    let path = Path::new(file);
                    if path.is_absolute() || path.components().any(|p| matches!(p, std::path::Component::ParentDir)) {
                        c.error(
                            a.span,
                            format!("the attachment file `{file}` must be inside the scenario's folder"),
                            "use a path relative to the scenario, without `..`",
                        );
                    } else if let Some(dir) = base_dir
                        && !dir.join(path).is_file()
                    {
                        c.error(
                            a.span,
                            format!("the attachment file `{file}` does not exist"),
                            format!("put it at {}", dir.join(path).display()),
                        );
                    }
                }
                (Some(_), None) => {}
            }
            if !a.media_type.contains('/') {
                c.error(
                    a.span,
                    format!("`{}` is not a media type", a.media_type),
                    "e.g. `text/plain` or `application/pdf`",
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cycles_are_found_once() {
        let edges: BTreeMap<&str, Vec<&str>> = [("a", vec!["b"]), ("b", vec!["c"]), ("c", vec!["a"]), ("d", vec!["a"])]
            .into_iter()
            .collect();
        assert_eq!(find_cycles(&edges), vec![vec!["a", "b", "c", "a"]]);
        let acyclic: BTreeMap<&str, Vec<&str>> = [("a", vec!["b"]), ("b", vec![])].into_iter().collect();
        assert!(find_cycles(&acyclic).is_empty());
    }
}
