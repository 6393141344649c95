//! Scenario format v1: the types a scenario file is read into.
//!
//! These are the *file format*: field names are the YAML keys, doc comments become the JSON
//! Schema's descriptions, and changing them changes the format. Code that runs exercises should
//! convert from these rather than grow them. `docs/scenario-format.md` is the reference.

use std::collections::BTreeMap;

use crate::decode::{
    AccountK, CampaignK, Cx, DecisionK, Decode, ExpectationK, FieldValue, HintK, HintTargetK, HostK, Id, InjectK,
    LinkK, List1, LocalId, NetworkK, ObjectiveK, OrganisationK, ProfileK, QuestionK, Ref, ServiceK, Spanned, StepK,
    TeamK, Text, TrackK, keywords, record,
};
use crate::time::{After, At, ClockTime, DailyWindow, Duration, Rate};
use crate::yaml::Node;

/// The value of `format:` this version of atoll reads.
pub const FORMAT: &str = "atoll/v1";

record! {
    "scenario"
    /// An atoll exercise scenario.
    pub struct Scenario {
        /// Format version; `atoll/v1`.
        pub format: Spanned<String>,
        /// A stable id for the scenario, e.g. `pacific-cable-shield`.
        pub id: LocalId,
        pub title: Text,
        /// Version of this scenario's content, e.g. `"2026.1"`.
        pub version: String,
        pub summary: Option<Text>,
        #[serde(default)]
        pub authors: Vec<String>,
        /// Licence of the scenario content, e.g. `CC-BY-4.0`.
        pub license: Option<String>,
        /// Languages every text is given in; the first is the default (`[en, ja]`).
        pub languages: List1<Spanned<Language>>,
        /// IANA time zone the exercise clock reads in, e.g. `Pacific/Guam`.
        pub time_zone: TimeZone,
        /// When play starts, as a day time: `D1 09:00`.
        pub start: Spanned<ClockTime>,
        /// Planned length of play from the start, e.g. `3d 8h`.
        pub duration: Spanned<Duration>,
        /// Who the exercise is for.
        pub audience: Option<Text>,
        #[serde(default)]
        pub tracks: Vec<Track>,
        #[serde(default)]
        pub objectives: Vec<Objective>,
        #[serde(default)]
        pub teams: Vec<Team>,
        pub world: World,
        #[serde(default)]
        pub profiles: Vec<Profile>,
        #[serde(default)]
        pub campaigns: Vec<Campaign>,
        #[serde(default)]
        pub injects: Vec<Inject>,
        #[serde(default)]
        pub questions: Vec<Question>,
        #[serde(default)]
        pub decisions: Vec<Decision>,
        #[serde(default)]
        pub expectations: Vec<Expectation>,
        #[serde(default)]
        pub hints: Vec<Hint>,
        /// Notes for the white cell only; never shown to players.
        pub facilitator_notes: Option<Text>,
        /// Which rules of atoll's rule pack raise alerts. Without it: level medium or above,
        /// any status but deprecated and unsupported, every product.
        pub detection: Option<Detection>,
    }
}

record! {
    "detection"
    /// Which detection rules raise alerts in the exercise. A rule named in `on` is on; one
    /// named in `off` is off; any other must have a chosen status, a level at least
    /// `min_level` and a chosen product.
    pub struct Detection {
        /// Lowest level that raises alerts (default `medium`).
        pub min_level: Option<RuleLevel>,
        /// Rule statuses chosen (default `stable`, `test`, `experimental`).
        #[serde(default)]
        pub status: Vec<RuleStatus>,
        /// Log source products chosen, e.g. `windows`, `linux`, `cisco`, `atoll` (default:
        /// every product, and rules that name none).
        #[serde(default)]
        pub products: Vec<String>,
        /// Rules turned on whatever their level or status, by id or exact title.
        #[serde(default)]
        pub on: Vec<String>,
        /// Rules turned off, by id or exact title.
        #[serde(default)]
        pub off: Vec<String>,
    }
}

keywords! {
    "rule level"
    /// A Sigma rule's level.
    pub enum RuleLevel {
        Informational = "informational",
        Low = "low",
        Medium = "medium",
        High = "high",
        Critical = "critical",
    }
}

keywords! {
    "rule status"
    /// A Sigma rule's status.
    pub enum RuleStatus {
        Stable = "stable",
        Test = "test",
        Experimental = "experimental",
        Deprecated = "deprecated",
        Unsupported = "unsupported",
    }
}

record! {
    "track"
    /// A track of play, such as `technical` or `policy`.
    pub struct Track {
        pub id: Id<TrackK>,
        pub name: Text,
        pub description: Option<Text>,
    }
}

record! {
    "objective"
    /// A learning objective, tagged with the competencies it exercises.
    pub struct Objective {
        pub id: Id<ObjectiveK>,
        pub text: Text,
        /// Competency tags, e.g. `incident-detection`, `crisis-communication`.
        #[serde(default)]
        pub competencies: Vec<LocalId>,
        /// Tracks this objective belongs to; empty means all.
        #[serde(default)]
        pub tracks: Vec<Ref<TrackK>>,
    }
}

record! {
    "team"
    /// A national team. Player teams defend their own world; observer teams watch.
    pub struct Team {
        pub id: Id<TeamK>,
        pub name: Text,
        /// ISO 3166-1 alpha-2 code, e.g. `PW`.
        pub nation: Nation,
        /// Observers read everything they are allowed to and act on nothing.
        #[serde(default)]
        pub observer: Option<bool>,
    }
}

record! {
    "world"
    /// The simulated infrastructure. Each player team's world is the organisations it defends.
    pub struct World {
        #[serde(default)]
        pub organisations: Vec<Organisation>,
        #[serde(default)]
        pub networks: Vec<Network>,
        #[serde(default)]
        pub hosts: Vec<Host>,
        #[serde(default)]
        pub accounts: Vec<Account>,
        #[serde(default)]
        pub services: Vec<Service>,
        #[serde(default)]
        pub links: Vec<Link>,
    }
}

keywords! {
    "sector"
    /// What an organisation does.
    pub enum Sector {
        Government = "government",
        Telecom = "telecom",
        CableLanding = "cable_landing",
        Utility = "utility",
        Finance = "finance",
        Health = "health",
        Transport = "transport",
        Regional = "regional",
    }
}

record! {
    "organisation"
    pub struct Organisation {
        pub id: Id<OrganisationK>,
        /// Proper name, as written in every language, e.g. `PACTEL`.
        pub name: String,
        /// ISO 3166-1 alpha-2 code.
        pub nation: Nation,
        pub sector: Sector,
        /// The team that defends it; none for organisations outside play (a partner hub).
        pub team: Option<Ref<TeamK>>,
        /// Windows / DNS domain, e.g. `pactel.local`.
        pub domain: Option<String>,
        /// IANA time zone of its working day, when not the scenario's.
        pub time_zone: Option<TimeZone>,
    }
}

keywords! {
    "network zone"
    pub enum Zone {
        Internal = "internal",
        Servers = "servers",
        Dmz = "dmz",
        Management = "management",
        Branch = "branch",
        Ot = "ot",
        Backbone = "backbone",
        External = "external",
    }
}

record! {
    "network"
    pub struct Network {
        pub id: Id<NetworkK>,
        pub name: Option<String>,
        pub organisation: Ref<OrganisationK>,
        /// Address range, e.g. `10.20.1.0/24`.
        pub cidr: Cidr,
        pub zone: Zone,
        /// Where it is, e.g. `Kosrae branch office`.
        pub site: Option<String>,
    }
}

keywords! {
    "operating system"
    pub enum Os {
        WindowsServer2016 = "windows_server_2016",
        WindowsServer2019 = "windows_server_2019",
        WindowsServer2022 = "windows_server_2022",
        WindowsServer2025 = "windows_server_2025",
        Windows10 = "windows_10",
        Windows11 = "windows_11",
        Ubuntu2204 = "ubuntu_22_04",
        Ubuntu2404 = "ubuntu_24_04",
        Debian12 = "debian_12",
        Rhel9 = "rhel_9",
        CiscoIos = "cisco_ios",
        CiscoIosXe = "cisco_ios_xe",
        Fortios = "fortios",
        Junos = "junos",
        Routeros = "routeros",
        Esxi = "esxi",
        Embedded = "embedded",
    }
}

impl Os {
    pub fn is_windows(self) -> bool {
        self.as_str().starts_with("windows")
    }

    /// A Linux server system (as opposed to a network device's or an appliance's).
    pub fn is_linux(self) -> bool {
        matches!(self, Os::Ubuntu2204 | Os::Ubuntu2404 | Os::Debian12 | Os::Rhel9)
    }
}

keywords! {
    "host role"
    pub enum HostRole {
        Workstation = "workstation",
        DomainController = "domain_controller",
        FileServer = "file_server",
        MailServer = "mail_server",
        WebServer = "web_server",
        DatabaseServer = "database_server",
        ApplicationServer = "application_server",
        BillingServer = "billing_server",
        Monitoring = "monitoring",
        NocWorkstation = "noc_workstation",
        JumpHost = "jump_host",
        VpnEdge = "vpn_edge",
        Firewall = "firewall",
        Router = "router",
        DnsResolver = "dns_resolver",
        MailGateway = "mail_gateway",
        BackupServer = "backup_server",
        Hypervisor = "hypervisor",
        CableLandingEquipment = "cable_landing_equipment",
    }
}

keywords! {
    "criticality"
    pub enum Criticality {
        Low = "low",
        Medium = "medium",
        High = "high",
        Critical = "critical",
    }
}

keywords! {
    "telemetry source"
    /// A log source a host can emit. The name is the event's `log` field.
    pub enum Source {
        /// Microsoft-Windows-Sysmon/Operational
        Sysmon = "sysmon",
        /// Windows Security auditing (4624, 4688, …)
        Security = "security",
        /// Windows System log (7045, 104, …)
        System = "system",
        /// Windows Application log (ESENT, …)
        Application = "application",
        /// PowerShell script block logging (4104)
        Powershell = "powershell",
        /// Microsoft Defender Antivirus
        Defender = "defender",
        /// Linux process creation (auditd EXECVE)
        Auditd = "auditd",
        /// Linux authentication log
        Auth = "auth",
        /// Generic syslog
        Syslog = "syslog",
        /// Cisco IOS syslog and AAA command accounting
        CiscoAaa = "cisco_aaa",
        /// DNS query log
        Dns = "dns",
        /// Firewall connection log
        Firewall = "firewall",
        /// NetFlow records
        Netflow = "netflow",
        /// Mail gateway log
        Email = "email",
        /// IIS / W3C web server log
        Webserver = "webserver",
        /// Web proxy log
        Proxy = "proxy",
        /// Edge appliance (VPN / firewall) event log
        Edge = "edge",
    }
}

impl Source {
    pub fn windows_only(self) -> bool {
        matches!(
            self,
            Source::Sysmon
                | Source::Security
                | Source::System
                | Source::Application
                | Source::Powershell
                | Source::Defender
        )
    }
}

record! {
    "host"
    pub struct Host {
        pub id: Id<HostK>,
        /// Host name as it appears in logs, e.g. `PT-DC01`.
        pub hostname: String,
        pub network: Ref<NetworkK>,
        pub address: IpAddr,
        pub os: Os,
        pub role: HostRole,
        pub criticality: Criticality,
        /// Log sources enabled on this host — a maturity lever: without `sysmon` a team sees only
        /// what `security` auditing records.
        #[serde(default)]
        pub telemetry: Vec<Source>,
        /// Benign activity of the machine itself.
        pub profile: Option<Ref<ProfileK>>,
        /// Free tags that campaign selectors can match, e.g. `internet-facing`.
        #[serde(default)]
        pub tags: Vec<LocalId>,
        pub notes: Option<Text>,
    }
}

keywords! {
    "account kind"
    pub enum AccountKind {
        Person = "person",
        Admin = "admin",
        Service = "service",
    }
}

record! {
    "account"
    pub struct Account {
        pub id: Id<AccountK>,
        /// As logs show it, e.g. `PACTEL\admin.tkabua` or `netops`.
        pub username: String,
        pub organisation: Ref<OrganisationK>,
        pub kind: AccountKind,
        pub display_name: Option<String>,
        /// Job title, e.g. `NOC engineer`.
        pub title: Option<Text>,
        #[serde(default)]
        pub groups: Vec<String>,
        /// Hosts this account normally logs on to.
        #[serde(default)]
        pub hosts: Vec<Ref<HostK>>,
        /// Benign behaviour of the person or service behind the account.
        pub profile: Option<Ref<ProfileK>>,
        #[serde(default)]
        pub tags: Vec<LocalId>,
    }
}

record! {
    "service"
    /// Something people rely on, provided by hosts and depending on other services.
    pub struct Service {
        pub id: Id<ServiceK>,
        pub name: Text,
        pub organisation: Ref<OrganisationK>,
        #[serde(default)]
        pub hosts: Vec<Ref<HostK>>,
        #[serde(default)]
        pub depends_on: Vec<Ref<ServiceK>>,
        /// Links the service needs, e.g. the submarine cable for international traffic.
        #[serde(default)]
        pub links: Vec<Ref<LinkK>>,
        pub criticality: Criticality,
        #[serde(default)]
        pub tags: Vec<LocalId>,
    }
}

keywords! {
    "link kind"
    pub enum LinkKind {
        SubmarineCable = "submarine_cable",
        TerrestrialFibre = "terrestrial_fibre",
        Microwave = "microwave",
        Satellite = "satellite",
        Vpn = "vpn",
    }
}

record! {
    "landing station"
    pub struct LandingStation {
        pub id: LocalId,
        pub name: String,
        pub nation: Nation,
        /// The organisation operating it, when in play.
        pub operator: Option<Ref<OrganisationK>>,
        /// Equipment on site that the world models.
        #[serde(default)]
        pub hosts: Vec<Ref<HostK>>,
    }
}

record! {
    "link"
    /// A link between sites: a submarine cable with its landing stations, a satellite hop, ….
    pub struct Link {
        pub id: Id<LinkK>,
        /// Proper name, e.g. `East Micronesia Cable`.
        pub name: String,
        pub kind: LinkKind,
        /// Capacity in Gbit/s.
        pub capacity_gbps: Option<f64>,
        #[serde(default)]
        pub landing_stations: Vec<LandingStation>,
        /// Organisations at either end, for links without landing stations.
        #[serde(default)]
        pub endpoints: Vec<Ref<OrganisationK>>,
        /// Another link that takes over when this one fails.
        pub backup: Option<Ref<LinkK>>,
    }
}

keywords! {
    "profile kind"
    pub enum ProfileKind {
        OfficeWorker = "office_worker",
        Administrator = "administrator",
        HelpDesk = "help_desk",
        NocEngineer = "noc_engineer",
        DomainController = "domain_controller",
        FileServer = "file_server",
        MailServer = "mail_server",
        WebServer = "web_server",
        DatabaseServer = "database_server",
        VpnEdge = "vpn_edge",
        Router = "router",
        DnsResolver = "dns_resolver",
        MailGateway = "mail_gateway",
        BackupServer = "backup_server",
        MonitoringServer = "monitoring_server",
    }
}

impl ProfileKind {
    /// A person's kind of work (office worker, administrator, help desk, NOC engineer), as
    /// opposed to a machine's: on a host, it runs as the host's user.
    pub fn is_person(self) -> bool {
        matches!(
            self,
            ProfileKind::OfficeWorker | ProfileKind::Administrator | ProfileKind::HelpDesk | ProfileKind::NocEngineer
        )
    }
}

keywords! {
    "weekday"
    pub enum Weekday {
        Mon = "mon",
        Tue = "tue",
        Wed = "wed",
        Thu = "thu",
        Fri = "fri",
        Sat = "sat",
        Sun = "sun",
    }
}

keywords! {
    "look-alike"
    /// Benign activity that real detection rules fire on (the false positives a team triages).
    pub enum Lookalike {
        /// Help desk runs `net group "Domain Admins" /domain`.
        HelpdeskNetGroup = "helpdesk_net_group",
        /// Backup agent creates volume shadow copies.
        BackupShadowCopy = "backup_shadow_copy",
        /// IT runs PsExec for software deployment.
        ItPsexec = "it_psexec",
        /// Administrators use RDP between servers.
        AdminRdp = "admin_rdp",
        /// Monitoring polls with WMI.
        MonitoringWmi = "monitoring_wmi",
        /// Software updates download with certutil / bitsadmin.
        UpdaterDownload = "updater_download",
        /// Internet password spraying against the edge, blocked.
        InternetScanning = "internet_scanning",
        /// Scheduled maintenance scripts in PowerShell.
        MaintenanceScripts = "maintenance_scripts",
        /// Network engineers run `show running-config` and copy configs over TFTP.
        NetopsConfigBackup = "netops_config_backup",
        /// Administrators query the domain with nltest / dsquery.
        AdminDomainQueries = "admin_domain_queries",
    }
}

record! {
    "rates"
    /// Average rates of benign activity during working hours (off hours scale down).
    pub struct Rates {
        pub processes: Option<Rate>,
        pub logons: Option<Rate>,
        pub failed_logons: Option<Rate>,
        pub network_connections: Option<Rate>,
        pub dns_queries: Option<Rate>,
        pub web_requests: Option<Rate>,
        pub emails: Option<Rate>,
        pub file_writes: Option<Rate>,
        pub admin_commands: Option<Rate>,
        pub scheduled_jobs: Option<Rate>,
        pub flows: Option<Rate>,
    }
}

record! {
    "activity profile"
    /// Benign behaviour of a kind of host or user.
    pub struct Profile {
        pub id: Id<ProfileK>,
        pub kind: ProfileKind,
        pub name: Option<Text>,
        /// Local working hours, e.g. `08:00-17:00`; servers work around the clock without it.
        pub working_hours: Option<DailyWindow>,
        #[serde(default)]
        pub working_days: Vec<Weekday>,
        pub rates: Rates,
        /// Off-hours activity as a fraction of working-hours activity, from 0 to 1.
        pub off_hours_factor: Option<f64>,
        #[serde(default)]
        pub lookalikes: Vec<Lookalike>,
    }
}

record! {
    "selector"
    /// Picks hosts in each team's world. All given fields must match.
    pub struct Selector {
        /// Specific hosts (in worlds that have them).
        #[serde(default)]
        pub hosts: Vec<Ref<HostK>>,
        pub role: Option<HostRole>,
        pub sector: Option<Sector>,
        pub zone: Option<Zone>,
        pub tag: Option<LocalId>,
        /// `windows`, or an exact operating system.
        pub os: Option<String>,
    }
}

record! {
    "account selector"
    /// Picks accounts in each team's world. All given fields must match.
    pub struct AccountSelector {
        #[serde(default)]
        pub accounts: Vec<Ref<AccountK>>,
        pub kind: Option<AccountKind>,
        pub sector: Option<Sector>,
        pub tag: Option<LocalId>,
    }
}

record! {
    "service selector"
    pub struct ServiceSelector {
        #[serde(default)]
        pub services: Vec<Ref<ServiceK>>,
        pub sector: Option<Sector>,
        pub tag: Option<LocalId>,
    }
}

impl Team {
    /// Observers watch and act on nothing.
    pub fn is_observer(&self) -> bool {
        self.observer == Some(true)
    }
}

impl Scenario {
    /// The teams that play (defend a world), in file order.
    pub fn player_teams(&self) -> impl Iterator<Item = &Team> {
        self.teams.iter().filter(|t| !t.is_observer())
    }

    /// The ids of the organisations team `team` defends.
    pub fn team_organisations(&self, team: &str) -> Vec<&str> {
        self.world
            .organisations
            .iter()
            .filter(|o| o.team.as_ref().is_some_and(|t| t.name == team))
            .map(|o| o.id.name.as_str())
            .collect()
    }

    /// The ids of the observer teams.
    pub fn observer_ids(&self) -> std::collections::BTreeSet<&str> {
        self.teams
            .iter()
            .filter(|t| t.is_observer())
            .map(|t| t.id.as_str())
            .collect()
    }
}

/// Whether `tags` holds `wanted` (true when nothing is wanted).
fn tagged(tags: &[LocalId], wanted: Option<&LocalId>) -> bool {
    wanted.is_none_or(|w| tags.iter().any(|t| t.name == w.name))
}

impl Selector {
    /// Whether the selector picks `host`, which sits in `org` on a network of `zone`.
    pub fn matches(&self, host: &Host, org: &Organisation, zone: Zone) -> bool {
        (self.hosts.is_empty() || self.hosts.iter().any(|r| r.name == host.id.name))
            && self.role.is_none_or(|r| r == host.role)
            && self.sector.is_none_or(|s| s == org.sector)
            && self.zone.is_none_or(|z| z == zone)
            && tagged(&host.tags, self.tag.as_ref())
            && self.os.as_deref().is_none_or(|os| match os {
                "windows" => host.os.is_windows(),
                exact => host.os.as_str() == exact,
            })
    }
}

impl AccountSelector {
    /// Whether the selector picks `account`, which belongs to `org`.
    pub fn matches(&self, account: &Account, org: &Organisation) -> bool {
        (self.accounts.is_empty() || self.accounts.iter().any(|r| r.name == account.id.name))
            && self.kind.is_none_or(|k| k == account.kind)
            && self.sector.is_none_or(|s| s == org.sector)
            && tagged(&account.tags, self.tag.as_ref())
    }
}

impl ServiceSelector {
    /// Whether the selector picks `service`, which belongs to `org`.
    pub fn matches(&self, service: &Service, org: &Organisation) -> bool {
        (self.services.is_empty() || self.services.iter().any(|r| r.name == service.id.name))
            && self.sector.is_none_or(|s| s == org.sector)
            && tagged(&service.tags, self.tag.as_ref())
    }
}

record! {
    "campaign"
    /// An adversary's campaign: steps run in every player team's world where their targets exist.
    pub struct Campaign {
        pub id: Id<CampaignK>,
        pub name: Text,
        /// Who the adversary is modelled on, e.g. `Volt Typhoon (G1017)`.
        pub actor: Option<String>,
        pub description: Option<Text>,
        /// Teams it runs against; empty means every player team.
        #[serde(default)]
        pub teams: Vec<Ref<TeamK>>,
        pub steps: List1<Step>,
        pub notes: Option<Text>,
    }
}

keywords! {
    "tactic"
    /// ATT&CK tactic.
    pub enum Tactic {
        Reconnaissance = "reconnaissance",
        ResourceDevelopment = "resource_development",
        InitialAccess = "initial_access",
        Execution = "execution",
        Persistence = "persistence",
        PrivilegeEscalation = "privilege_escalation",
        DefenseEvasion = "defense_evasion",
        CredentialAccess = "credential_access",
        Discovery = "discovery",
        LateralMovement = "lateral_movement",
        Collection = "collection",
        CommandAndControl = "command_and_control",
        Exfiltration = "exfiltration",
        Impact = "impact",
    }
}

record! {
    "campaign step"
    /// One adversary action.
    pub struct Step {
        pub id: Id<StepK>,
        pub name: Text,
        /// ATT&CK technique, e.g. `T1003.003`.
        pub technique: TechniqueId,
        pub tactic: Option<Tactic>,
        /// The hosts it acts on.
        pub target: Selector,
        /// Runs at this time …
        pub at: Option<Spanned<At>>,
        /// … or this long after another step (a step with neither runs only as a fallback).
        pub after: Option<Spanned<After>>,
        /// Conditions that must hold when it is due; otherwise it is blocked and its fallback runs.
        #[serde(default)]
        pub requires: Vec<Condition>,
        /// How the world changes when it succeeds.
        #[serde(default)]
        pub effects: Vec<Effect>,
        /// Telemetry it leaves behind.
        #[serde(default)]
        pub emits: Vec<Emit>,
        /// The step taken instead when this one is blocked.
        pub fallback: Option<Ref<StepK>>,
        pub description: Option<Text>,
        pub notes: Option<Text>,
    }
}

/// An ATT&CK technique id: `T1234` or `T1234.001`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TechniqueId(String);

impl TechniqueId {
    pub fn parse(text: &str) -> Result<Self, crate::diag::ParseError> {
        let b = text.as_bytes();
        let digits = |s: &[u8]| s.iter().all(u8::is_ascii_digit);
        let ok = match b.len() {
            5 => b[0] == b'T' && digits(&b[1..]),
            9 => b[0] == b'T' && digits(&b[1..5]) && b[5] == b'.' && digits(&b[6..]),
            _ => false,
        };
        if ok {
            Ok(TechniqueId(text.to_owned()))
        } else {
            Err(crate::diag::ParseError {
                message: format!("`{text}` is not an ATT&CK technique id"),
                hint: "technique ids look like `T1190` or `T1003.003`",
            })
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

crate::decode::parsed_scalar!(
    TechniqueId,
    "a technique id",
    "TechniqueId",
    "ATT&CK technique id, `T1190` or `T1003.003`."
);

/// A language tag such as `en`, `ja` or `en-GB`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Language(pub String);

impl Language {
    pub fn parse(text: &str) -> Result<Self, crate::diag::ParseError> {
        if crate::decode::check_language_tag(text) {
            Ok(Language(text.to_owned()))
        } else {
            Err(crate::diag::ParseError {
                message: format!("`{text}` is not a language code"),
                hint: "use a lowercase language code such as `en` or `ja`",
            })
        }
    }
}

crate::decode::parsed_scalar!(
    Language,
    "a language code",
    "Language",
    "A language code such as `en` or `ja`."
);

/// An ISO 3166-1 alpha-2 country or territory code, e.g. `PW`, `FM`, `GU`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Nation(pub String);

impl Nation {
    pub fn parse(text: &str) -> Result<Self, crate::diag::ParseError> {
        if text.len() == 2 && text.bytes().all(|b| b.is_ascii_uppercase()) {
            Ok(Nation(text.to_owned()))
        } else {
            Err(crate::diag::ParseError {
                message: format!("`{text}` is not a two-letter country code"),
                hint: "use the ISO 3166-1 alpha-2 code in capitals, e.g. `PW` for Palau",
            })
        }
    }
}

crate::decode::parsed_scalar!(
    Nation,
    "a country code",
    "Nation",
    "ISO 3166-1 alpha-2 code in capitals, e.g. `PW`."
);

/// An IANA time zone name, checked against the time zone database built into atoll.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TimeZone(pub String);

impl TimeZone {
    pub fn parse(text: &str) -> Result<Self, crate::diag::ParseError> {
        match jiff::tz::TimeZone::get(text) {
            Ok(_) => Ok(TimeZone(text.to_owned())),
            Err(_) => Err(crate::diag::ParseError {
                message: format!("`{text}` is not a known time zone"),
                hint: "use an IANA time zone name such as `Pacific/Guam` or `Pacific/Tarawa`",
            }),
        }
    }
}

crate::decode::parsed_scalar!(
    TimeZone,
    "a time zone",
    "TimeZone",
    "IANA time zone name, e.g. `Pacific/Guam`."
);

/// An IP address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct IpAddr(pub std::net::IpAddr);

impl IpAddr {
    pub fn parse(text: &str) -> Result<Self, crate::diag::ParseError> {
        text.trim().parse().map(IpAddr).map_err(|_| crate::diag::ParseError {
            message: format!("`{text}` is not an IP address"),
            hint: "write an address such as `10.20.1.10` or `2001:db8::10`",
        })
    }
}

crate::decode::parsed_scalar!(IpAddr, "an IP address", "IpAddr", "An IPv4 or IPv6 address.");

/// A network range in CIDR notation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Cidr(pub ipnet::IpNet);

impl Cidr {
    pub fn parse(text: &str) -> Result<Self, crate::diag::ParseError> {
        let net: ipnet::IpNet = text.trim().parse().map_err(|_| crate::diag::ParseError {
            message: format!("`{text}` is not a network in CIDR notation"),
            hint: "write a network such as `10.20.1.0/24`",
        })?;
        if net.trunc() != net {
            return Err(crate::diag::ParseError {
                message: format!("`{text}` has host bits set; the network is `{}`", net.trunc()),
                hint: "write the network address, with all host bits zero",
            });
        }
        Ok(Cidr(net))
    }
}

crate::decode::parsed_scalar!(
    Cidr,
    "a network range",
    "Cidr",
    "A network in CIDR notation, e.g. `10.20.1.0/24`."
);

/// Something that holds or not at a moment of the exercise, in one team's world.
#[derive(Debug, Clone, PartialEq, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Condition {
    /// The step has run and succeeded.
    Step(Ref<StepK>),
    /// The step was due but blocked.
    Blocked(Ref<StepK>),
    /// The team detected the step (an alert on its events or a report naming it).
    Detected(Ref<StepK>),
    /// The team contained what the step achieved (isolated, disabled, removed).
    Contained(Ref<StepK>),
    /// The inject has been delivered.
    Delivered(Ref<InjectK>),
    /// The team answered the question.
    Answered(Ref<QuestionK>),
    /// The team chose this option of a decision.
    Chose(Choice),
    /// The exercise clock has reached this time.
    Time(Spanned<ClockTime>),
    Not(Box<Condition>),
    All(Vec<Condition>),
    Any(Vec<Condition>),
}

impl Condition {
    const KEYS: &'static [&'static str] = &[
        "step",
        "blocked",
        "detected",
        "contained",
        "delivered",
        "answered",
        "chose",
        "time",
        "not",
        "all",
        "any",
    ];

    /// Calls `f` on this condition and every condition inside it.
    pub fn walk<'a>(&'a self, f: &mut impl FnMut(&'a Condition)) {
        f(self);
        match self {
            Condition::Not(c) => c.walk(f),
            Condition::All(cs) | Condition::Any(cs) => cs.iter().for_each(|c| c.walk(f)),
            _ => {}
        }
    }
}

impl Decode for Condition {
    fn decode(node: &Node, cx: &mut Cx) -> Option<Self> {
        let (key, value) = cx.one_key(node, "condition", Self::KEYS)?;
        Some(match key {
            "step" => Condition::Step(Decode::decode(value, cx)?),
            "blocked" => Condition::Blocked(Decode::decode(value, cx)?),
            "detected" => Condition::Detected(Decode::decode(value, cx)?),
            "contained" => Condition::Contained(Decode::decode(value, cx)?),
            "delivered" => Condition::Delivered(Decode::decode(value, cx)?),
            "answered" => Condition::Answered(Decode::decode(value, cx)?),
            "chose" => Condition::Chose(Decode::decode(value, cx)?),
            "time" => Condition::Time(Decode::decode(value, cx)?),
            "not" => Condition::Not(Box::new(Decode::decode(value, cx)?)),
            "all" => Condition::All(Decode::decode(value, cx)?),
            _ => Condition::Any(Decode::decode(value, cx)?),
        })
    }
}

record! {
    "choice"
    pub struct Choice {
        pub decision: Ref<DecisionK>,
        pub option: LocalId,
    }
}

keywords! {
    "persistence mechanism"
    pub enum Mechanism {
        WebShell = "web_shell",
        ScheduledTask = "scheduled_task",
        Service = "service",
        RunKey = "run_key",
        StartupFolder = "startup_folder",
        PortProxy = "port_proxy",
        LocalAccount = "local_account",
        Firmware = "firmware",
        RemoteAccessTool = "remote_access_tool",
    }
}

record! {
    "persistence"
    pub struct Persist {
        pub on: Selector,
        pub mechanism: Mechanism,
    }
}

record! {
    "command-and-control channel"
    pub struct C2 {
        /// Domain the implant calls.
        pub domain: Option<String>,
        /// Address the implant calls.
        pub address: Option<IpAddr>,
        pub port: Option<u32>,
        /// Hosts the channel runs through, e.g. a compromised SOHO router.
        pub via: Option<Selector>,
    }
}

record! {
    "exfiltration"
    pub struct Exfiltrate {
        pub from: Selector,
        /// Amount, in megabytes.
        pub megabytes: u32,
        pub to: Option<String>,
    }
}

record! {
    "service outage"
    pub struct Outage {
        pub service: ServiceSelector,
        /// How long; without it, until the team restores the service.
        pub duration: Option<Duration>,
    }
}

/// How a successful step changes the world.
#[derive(Debug, Clone, PartialEq, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Effect {
    /// The adversary controls these hosts.
    Compromise(Selector),
    /// The adversary holds these accounts' credentials.
    StealCredentials(AccountSelector),
    Persist(Persist),
    C2(C2),
    /// Data collected and staged on these hosts.
    StageData(Selector),
    Exfiltrate(Exfiltrate),
    DegradeService(Outage),
}

impl Decode for Effect {
    fn decode(node: &Node, cx: &mut Cx) -> Option<Self> {
        const KEYS: &[&str] = &[
            "compromise",
            "steal_credentials",
            "persist",
            "c2",
            "stage_data",
            "exfiltrate",
            "degrade_service",
        ];
        let (key, value) = cx.one_key(node, "effect", KEYS)?;
        Some(match key {
            "compromise" => Effect::Compromise(Decode::decode(value, cx)?),
            "steal_credentials" => Effect::StealCredentials(Decode::decode(value, cx)?),
            "persist" => Effect::Persist(Decode::decode(value, cx)?),
            "c2" => Effect::C2(Decode::decode(value, cx)?),
            "stage_data" => Effect::StageData(Decode::decode(value, cx)?),
            "exfiltrate" => Effect::Exfiltrate(Decode::decode(value, cx)?),
            _ => Effect::DegradeService(Decode::decode(value, cx)?),
        })
    }
}

record! {
    "telemetry template"
    /// One event a step emits. Field values may use placeholders such as `{{host.hostname}}`.
    pub struct Emit {
        pub log: Source,
        /// Hosts the event is logged on; the step's target when absent.
        pub on: Option<Selector>,
        /// The event's own fields, named exactly as the real product writes them.
        pub fields: BTreeMap<String, FieldValue>,
    }
}

keywords! {
    "channel"
    pub enum Channel {
        Inbox = "inbox",
        Email = "email",
        News = "news",
        PhoneCall = "phone_call",
        Ticket = "ticket",
    }
}

keywords! {
    "role"
    /// Who, inside an exercise, sees something.
    pub enum Role {
        Player = "player",
        Observer = "observer",
        Instructor = "instructor",
    }
}

record! {
    "audience"
    /// Who receives an inject, question or decision. Empty fields mean everyone: all player
    /// teams, all tracks, players.
    pub struct Audience {
        #[serde(default)]
        pub teams: Vec<Ref<TeamK>>,
        #[serde(default)]
        pub tracks: Vec<Ref<TrackK>>,
        #[serde(default)]
        pub roles: Vec<Role>,
    }
}

record! {
    "attachment"
    /// A document delivered with an inject: inline `content`, or a `file` beside the scenario.
    pub struct Attachment {
        /// File name shown to players, e.g. `advisory-2026-014.txt`.
        pub name: String,
        /// MIME type, e.g. `text/plain`.
        pub media_type: String,
        pub content: Option<Text>,
        /// Path relative to the scenario file.
        pub file: Option<String>,
    }
}

record! {
    "inject"
    /// A message delivered during play.
    pub struct Inject {
        pub id: Id<InjectK>,
        pub channel: Channel,
        /// Who it appears to come from, e.g. `Ministry of Communications`.
        pub from: Text,
        #[serde(default)]
        pub to: Option<Audience>,
        pub subject: Text,
        pub body: Text,
        pub at: Option<Spanned<At>>,
        pub after: Option<Spanned<After>>,
        /// Delivered when this becomes true …
        pub when: Option<Condition>,
        /// … this long afterwards.
        pub delay: Option<Spanned<Duration>>,
        #[serde(default)]
        pub attachments: Vec<Attachment>,
        #[serde(default)]
        pub objectives: Vec<Ref<ObjectiveK>>,
        pub notes: Option<Text>,
    }
}

record! {
    "choice option"
    pub struct ChoiceOption {
        pub id: LocalId,
        pub text: Text,
        #[serde(default)]
        pub correct: Option<bool>,
    }
}

record! {
    "multiple-choice answer"
    pub struct ChoiceAnswer {
        pub options: List1<ChoiceOption>,
        /// Several options may be chosen.
        #[serde(default)]
        pub multiple: Option<bool>,
    }
}

record! {
    "rubric criterion"
    pub struct Criterion {
        pub id: LocalId,
        pub text: Text,
        pub points: u32,
    }
}

record! {
    "free-text answer"
    pub struct FreeTextAnswer {
        /// What graders look for, criterion by criterion.
        pub rubric: List1<Criterion>,
    }
}

keywords! {
    "indicator kind"
    pub enum IndicatorKind {
        Ipv4 = "ipv4",
        Ipv6 = "ipv6",
        Domain = "domain",
        Url = "url",
        Sha256 = "sha256",
        Md5 = "md5",
        Account = "account",
        FilePath = "file_path",
        Hostname = "hostname",
        RegistryKey = "registry_key",
    }
}

record! {
    "indicator answer"
    pub struct IndicatorAnswer {
        pub kind: IndicatorKind,
        /// Accepted values; `{{…}}` placeholders resolve in each team's world.
        pub accept: List1<String>,
        /// How many of them earn full points.
        pub required: Option<u32>,
    }
}

record! {
    "question"
    /// A question teams answer: multiple choice, free text graded on a rubric, or indicators.
    pub struct Question {
        pub id: Id<QuestionK>,
        pub prompt: Text,
        #[serde(default)]
        pub to: Option<Audience>,
        /// Shown with this inject …
        pub inject: Option<Ref<InjectK>>,
        /// … or at its own time.
        pub at: Option<Spanned<At>>,
        pub after: Option<Spanned<After>>,
        pub when: Option<Condition>,
        pub choice: Option<ChoiceAnswer>,
        pub free_text: Option<FreeTextAnswer>,
        pub indicator: Option<IndicatorAnswer>,
        #[serde(default)]
        pub objectives: Vec<Ref<ObjectiveK>>,
        pub notes: Option<Text>,
    }
}

/// What a decision option sets in motion.
#[derive(Debug, Clone, PartialEq, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Consequence {
    /// Deliver this inject (which has no time of its own).
    Inject(Ref<InjectK>),
    /// Services go down.
    Outage(Outage),
    /// Hosts are isolated from the network.
    Isolate(Selector),
    /// The step will not happen.
    Prevent(Ref<StepK>),
}

impl Decode for Consequence {
    fn decode(node: &Node, cx: &mut Cx) -> Option<Self> {
        let (key, value) = cx.one_key(node, "consequence", &["inject", "outage", "isolate", "prevent"])?;
        Some(match key {
            "inject" => Consequence::Inject(Decode::decode(value, cx)?),
            "outage" => Consequence::Outage(Decode::decode(value, cx)?),
            "isolate" => Consequence::Isolate(Decode::decode(value, cx)?),
            _ => Consequence::Prevent(Decode::decode(value, cx)?),
        })
    }
}

record! {
    "decision option"
    pub struct DecisionOption {
        pub id: LocalId,
        pub text: Text,
        #[serde(default)]
        pub consequences: Vec<Consequence>,
    }
}

record! {
    "decision"
    /// A choice put to a team, usually its policy track, with consequences in the simulation.
    pub struct Decision {
        pub id: Id<DecisionK>,
        pub prompt: Text,
        #[serde(default)]
        pub to: Option<Audience>,
        pub inject: Option<Ref<InjectK>>,
        pub at: Option<Spanned<At>>,
        pub after: Option<Spanned<After>>,
        pub when: Option<Condition>,
        /// Time to decide; then `default` applies.
        pub deadline: Option<Spanned<Duration>>,
        pub options: List1<DecisionOption>,
        /// The option taken when the team does not decide in time.
        pub default: Option<LocalId>,
        #[serde(default)]
        pub objectives: Vec<Ref<ObjectiveK>>,
        pub notes: Option<Text>,
    }
}

record! {
    "report expectation"
    pub struct ReportExpectation {
        /// The step whose incident is reported.
        pub step: Ref<StepK>,
        /// Deadline after the step runs.
        pub within: Duration,
    }
}

record! {
    "rule expectation"
    /// A detection rule the team writes itself: on, it matches the step's events, and no more
    /// than `max_false_positives` events of no campaign step.
    pub struct RuleExpectation {
        /// The step the rule must catch.
        pub step: Ref<StepK>,
        /// At most this many matches on events no campaign step wrote, over the team's world
        /// from the start of play.
        pub max_false_positives: u32,
    }
}

record! {
    "availability expectation"
    pub struct KeepUp {
        pub service: ServiceSelector,
        /// Minimum availability over the exercise, in percent.
        pub min_percent: f64,
    }
}

keywords! {
    "grader"
    pub enum Grader {
        Auto = "auto",
        Instructor = "instructor",
    }
}

record! {
    "expectation"
    /// Something a team should achieve, worth points. Exactly one of `detect`,
    /// `contain_before`, `report`, `answer`, `decide`, `keep_up`, `rule`.
    pub struct Expectation {
        pub id: Id<ExpectationK>,
        pub text: Text,
        pub points: u32,
        /// Detect this step …
        pub detect: Option<Ref<StepK>>,
        /// … contain the intrusion before this step runs …
        pub contain_before: Option<Ref<StepK>>,
        /// … report an incident in time …
        pub report: Option<ReportExpectation>,
        /// … answer this question (points scale with the answer's grade) …
        pub answer: Option<Ref<QuestionK>>,
        /// … take a decision in time …
        pub decide: Option<Ref<DecisionK>>,
        /// … keep a service up …
        pub keep_up: Option<KeepUp>,
        /// … or write a rule that catches a step with few false positives.
        pub rule: Option<RuleExpectation>,
        /// Deadline after the referenced item happens (for `detect`, `answer`, `decide`, `rule`).
        pub within: Option<Duration>,
        /// Absolute deadline on the exercise clock.
        pub deadline: Option<Spanned<ClockTime>>,
        pub graded_by: Option<Grader>,
        #[serde(default)]
        pub teams: Vec<Ref<TeamK>>,
        #[serde(default)]
        pub objectives: Vec<Ref<ObjectiveK>>,
    }
}

record! {
    "hint"
    /// Help a team may open, at a cost in points.
    pub struct Hint {
        pub id: Id<HintK>,
        /// What it helps with.
        pub r#for: Ref<HintTargetK>,
        pub text: Text,
        /// Points deducted when a team opens it.
        pub penalty: u32,
        /// Available this long after the item it helps with becomes active.
        pub available_after: Option<Duration>,
    }
}
