//! Which events a rule sees: the log sources (`product`, `category`, `service`) an event
//! belongs to, decided from its `Channel` and `EventID` (Windows) or atoll's `log` field.
//! `docs/logsources.md` is the reference for users; keep the two in step.

use crate::event::{Event, Value};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Dim {
    Product,
    Category,
    Service,
}

/// The log sources of one event.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Sources {
    pub products: Vec<&'static str>,
    pub categories: Vec<&'static str>,
    pub services: Vec<&'static str>,
}

impl Sources {
    pub fn terms(&self) -> impl Iterator<Item = (Dim, &'static str)> + '_ {
        self.products
            .iter()
            .map(|p| (Dim::Product, *p))
            .chain(self.categories.iter().map(|c| (Dim::Category, *c)))
            .chain(self.services.iter().map(|s| (Dim::Service, *s)))
    }
}

const SYSMON: &str = "Microsoft-Windows-Sysmon/Operational";
const KERNEL_FILE: &str = "Microsoft-Windows-Kernel-File";

/// Windows services: the `service` name and the event log channels it means.
pub const WINDOWS_SERVICES: &[(&str, &[&str])] = &[
    ("security", &["Security"]),
    ("system", &["System"]),
    ("application", &["Application"]),
    ("sysmon", &[SYSMON]),
    (
        "powershell",
        &["Microsoft-Windows-PowerShell/Operational", "PowerShellCore/Operational"],
    ),
    ("powershell-classic", &["Windows PowerShell"]),
    ("windefend", &["Microsoft-Windows-Windows Defender/Operational"]),
    ("taskscheduler", &["Microsoft-Windows-TaskScheduler/Operational"]),
    ("wmi", &["Microsoft-Windows-WMI-Activity/Operational"]),
    (
        "appxdeployment-server",
        &["Microsoft-Windows-AppXDeploymentServer/Operational"],
    ),
    ("appxpackaging-om", &["Microsoft-Windows-AppxPackaging/Operational"]),
    ("appmodel-runtime", &["Microsoft-Windows-AppModel-Runtime/Admin"]),
    (
        "codeintegrity-operational",
        &["Microsoft-Windows-CodeIntegrity/Operational"],
    ),
    (
        "firewall-as",
        &["Microsoft-Windows-Windows Firewall With Advanced Security/Firewall"],
    ),
    ("msexchange-management", &["MSExchange Management"]),
    ("bits-client", &["Microsoft-Windows-Bits-Client/Operational"]),
    ("dns-client", &["Microsoft-Windows-DNS Client Events/Operational"]),
    ("dns-server", &["DNS Server"]),
    ("dns-server-analytic", &["Microsoft-Windows-DNS-Server/Analytical"]),
    ("dns-server-audit", &["Microsoft-Windows-DNS-Server/Audit"]),
    ("dhcp", &["Microsoft-Windows-DHCP-Server/Operational"]),
    ("iis-configuration", &["Microsoft-IIS-Configuration/Operational"]),
    ("ntlm", &["Microsoft-Windows-NTLM/Operational"]),
    (
        "security-mitigations",
        &[
            "Microsoft-Windows-Security-Mitigations/Kernel Mode",
            "Microsoft-Windows-Security-Mitigations/User Mode",
        ],
    ),
    (
        "applocker",
        &[
            "Microsoft-Windows-AppLocker/EXE and DLL",
            "Microsoft-Windows-AppLocker/MSI and Script",
            "Microsoft-Windows-AppLocker/Packaged app-Deployment",
            "Microsoft-Windows-AppLocker/Packaged app-Execution",
        ],
    ),
    (
        "microsoft-servicebus-client",
        &[
            "Microsoft-ServiceBus-Client/Operational",
            "Microsoft-ServiceBus-Client/Admin",
        ],
    ),
    (
        "terminalservices-localsessionmanager",
        &["Microsoft-Windows-TerminalServices-LocalSessionManager/Operational"],
    ),
    ("shell-core", &["Microsoft-Windows-Shell-Core/Operational"]),
    (
        "certificateservicesclient-lifecycle-system",
        &["Microsoft-Windows-CertificateServicesClient-Lifecycle-System/Operational"],
    ),
    (
        "driver-framework",
        &["Microsoft-Windows-DriverFrameworks-UserMode/Operational"],
    ),
    ("ldap", &["Microsoft-Windows-LDAP-Client/Debug"]),
    ("smbclient-security", &["Microsoft-Windows-SmbClient/Security"]),
    ("smbclient-connectivity", &["Microsoft-Windows-SmbClient/Connectivity"]),
    ("smbserver-connectivity", &["Microsoft-Windows-SMBServer/Connectivity"]),
    (
        "diagnosis-scripted",
        &["Microsoft-Windows-Diagnosis-Scripted/Operational"],
    ),
    ("lsa-server", &["Microsoft-Windows-LSA/Operational"]),
    ("openssh", &["OpenSSH/Operational"]),
    ("capi2", &["Microsoft-Windows-CAPI2/Operational"]),
    ("printservice-admin", &["Microsoft-Windows-PrintService/Admin"]),
    (
        "printservice-operational",
        &["Microsoft-Windows-PrintService/Operational"],
    ),
];

/// Windows categories: the channel and event ids that produce them.
pub const WINDOWS_CATEGORIES: &[(&str, &str, &[i64])] = &[
    ("process_creation", SYSMON, &[1]),
    ("process_creation", "Security", &[4688]),
    ("file_change", SYSMON, &[2]),
    ("network_connection", SYSMON, &[3]),
    ("sysmon_status", SYSMON, &[4, 16]),
    ("process_termination", SYSMON, &[5]),
    ("driver_load", SYSMON, &[6]),
    ("image_load", SYSMON, &[7]),
    ("create_remote_thread", SYSMON, &[8]),
    ("raw_access_thread", SYSMON, &[9]),
    ("process_access", SYSMON, &[10]),
    ("file_event", SYSMON, &[11]),
    ("registry_add", SYSMON, &[12]),
    ("registry_delete", SYSMON, &[12]),
    ("registry_set", SYSMON, &[13]),
    ("registry_rename", SYSMON, &[14]),
    ("registry_event", SYSMON, &[12, 13, 14]),
    ("create_stream_hash", SYSMON, &[15]),
    ("pipe_created", SYSMON, &[17, 18]),
    ("wmi_event", SYSMON, &[19, 20, 21]),
    ("dns_query", SYSMON, &[22]),
    ("file_delete", SYSMON, &[23]),
    ("clipboard_capture", SYSMON, &[24]),
    ("process_tampering", SYSMON, &[25]),
    ("file_delete_detected", SYSMON, &[26]),
    ("file_block_executable", SYSMON, &[27]),
    ("file_block_shredding", SYSMON, &[28]),
    ("file_executable_detected", SYSMON, &[29]),
    ("sysmon_error", SYSMON, &[255]),
    ("ps_module", "Microsoft-Windows-PowerShell/Operational", &[4103]),
    ("ps_module", "PowerShellCore/Operational", &[4103]),
    ("ps_script", "Microsoft-Windows-PowerShell/Operational", &[4104]),
    ("ps_script", "PowerShellCore/Operational", &[4104]),
    ("ps_classic_start", "Windows PowerShell", &[400]),
    ("ps_classic_provider_start", "Windows PowerShell", &[600]),
    ("ps_classic_script", "Windows PowerShell", &[800]),
    (
        "antivirus",
        "Microsoft-Windows-Windows Defender/Operational",
        &[1006, 1007, 1008, 1009, 1010, 1011, 1012, 1017, 1018, 1019, 1115, 1116],
    ),
];

/// (log, product, category, services) of one atoll `log` value.
pub type AtollLog = (
    &'static str,
    Option<&'static str>,
    Option<&'static str>,
    &'static [&'static str],
);

/// atoll's `log` values for sources without a Windows channel.
pub const ATOLL_LOGS: &[AtollLog] = &[
    ("syslog", Some("linux"), None, &["syslog", "cron"]),
    ("auth", Some("linux"), None, &["auth", "sshd", "sudo"]),
    ("auditd", Some("linux"), None, &["auditd"]),
    ("cisco_aaa", Some("cisco"), None, &["aaa"]),
    ("edge", Some("fortigate"), None, &["event"]),
    ("dns", None, Some("dns"), &[]),
    ("firewall", None, Some("firewall"), &[]),
    ("proxy", None, Some("proxy"), &[]),
    ("webserver", None, Some("webserver"), &[]),
    // atoll's own log sources that no SigmaHQ log source covers; atoll's rules in `rules/`.
    ("netflow", Some("atoll"), None, &["netflow"]),
    ("email", Some("atoll"), None, &["email"]),
];

/// atoll's `log` values for Windows logs and the channel each stands for.
const ATOLL_WINDOWS_LOGS: &[(&str, &str)] = &[
    ("sysmon", SYSMON),
    ("security", "Security"),
    ("system", "System"),
    ("application", "Application"),
    ("powershell", "Microsoft-Windows-PowerShell/Operational"),
    ("defender", "Microsoft-Windows-Windows Defender/Operational"),
];

/// Event ids that Windows PowerShell (the classic engine) writes to its own channel.
const CLASSIC_POWERSHELL_IDS: &[i64] = &[400, 403, 500, 501, 600, 800];

/// Whether any event can carry this log source term.
pub fn is_known(dim: Dim, value: &str) -> bool {
    match dim {
        Dim::Product => ["windows", "linux", "cisco", "fortigate", "atoll"].contains(&value),
        Dim::Category => {
            WINDOWS_CATEGORIES.iter().any(|(c, _, _)| *c == value)
                || ATOLL_LOGS.iter().any(|(_, _, c, _)| *c == Some(value))
                || ["process_creation", "file_access", "file_rename"].contains(&value)
        }
        Dim::Service => {
            WINDOWS_SERVICES.iter().any(|(s, _)| *s == value)
                || ATOLL_LOGS.iter().any(|(_, _, _, s)| s.contains(&value))
        }
    }
}

fn event_id_of(value: &Value<'_>) -> Option<i64> {
    match value {
        Value::Int(i) => Some(*i),
        Value::Str(s) => s.trim().parse().ok(),
        Value::Float(f) if f.fract() == 0.0 => Some(*f as i64),
        _ => None,
    }
}

/// What routing reads from an event: two events with the same key have the same log sources.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Key<'a> {
    pub log: Option<&'a str>,
    pub channel: Option<&'a str>,
    pub id: Option<i64>,
    /// The provider is Kernel-File ETW.
    pub kernel_file: bool,
    /// The event has an `Image` field.
    pub image: bool,
}

impl<'a> Key<'a> {
    /// Reads the key in one pass over the fields; the first value of each field counts.
    pub fn of(event: &'a Event<'_>) -> Key<'a> {
        let mut key = Key {
            log: None,
            channel: None,
            id: None,
            kernel_file: false,
            image: false,
        };
        let (mut log, mut channel, mut id, mut provider) = (false, false, false, false);
        let first = |seen: &mut bool| !std::mem::replace(seen, true);
        for (name, value) in &event.fields {
            let text = match value {
                Value::Str(s) => Some(s.as_ref()),
                _ => None,
            };
            match name.as_ref() {
                "log" if first(&mut log) => key.log = text,
                "Channel" if first(&mut channel) => key.channel = text,
                "EventID" if first(&mut id) => key.id = event_id_of(value),
                "Provider_Name" if first(&mut provider) => key.kernel_file = text == Some(KERNEL_FILE),
                "Image" => key.image = true,
                _ => {}
            }
        }
        key
    }
}

/// The log sources of an event.
pub fn classify(event: &Event<'_>) -> Sources {
    classify_key(&Key::of(event))
}

/// The log sources of events with this key. atoll's `log` field decides when present (a
/// `Channel` field may then be data, as in System 104 where it names the cleared log);
/// otherwise `Channel`.
pub fn classify_key(key: &Key<'_>) -> Sources {
    let mut out = Sources::default();
    let log = key.log;
    let id = key.id;
    let channel = match log {
        Some("powershell") if id.is_some_and(|i| CLASSIC_POWERSHELL_IDS.contains(&i)) => Some("Windows PowerShell"),
        Some(log) => ATOLL_WINDOWS_LOGS.iter().find(|(l, _)| *l == log).map(|(_, c)| *c),
        None => key.channel,
    };
    // Kernel-File ETW (what `file_access` and `file_rename` rules are written for) has no
    // event log channel; its records are known by their provider.
    if channel.is_none() && key.kernel_file {
        out.products.push("windows");
        out.categories.extend(["file_access", "file_rename"]);
        return out;
    }
    if let Some(channel) = channel {
        out.products.push("windows");
        for (service, channels) in WINDOWS_SERVICES {
            if channels.iter().any(|c| c.eq_ignore_ascii_case(channel)) {
                out.services.push(service);
            }
        }
        if let Some(id) = id {
            for (category, ch, ids) in WINDOWS_CATEGORIES {
                if ch.eq_ignore_ascii_case(channel) && ids.contains(&id) && !out.categories.contains(category) {
                    out.categories.push(category);
                }
            }
        }
        return out;
    }
    if let Some(log) = log {
        for (l, product, category, services) in ATOLL_LOGS {
            if *l == log {
                out.products.extend(*product);
                out.categories.extend(*category);
                out.services.extend(services.iter().copied());
            }
        }
        // Linux process events (auditd EXECVE, Sysmon for Linux) carry an Image.
        if log == "auditd" && key.image {
            out.categories.push("process_creation");
        }
    }
    out
}

/// Whether the event is a Security 4688 process creation, whose fields rules read under
/// their Sysmon names.
pub fn is_security_4688(sources: &Sources) -> bool {
    sources.services.contains(&"security") && sources.categories.contains(&"process_creation")
}

/// 4688's field names, as the process_creation rules (written for Sysmon 1) read them.
pub const FIELDS_4688: &[(&str, &str)] = &[
    ("Image", "NewProcessName"),
    ("ParentImage", "ParentProcessName"),
    ("LogonId", "SubjectLogonId"),
];
