//! The fields real products write that a template or generator did not give.
//!
//! Benign activity and campaign steps name only the fields that tell their story (`Image`,
//! `CommandLine`, `ParentImage`, …). Real Sysmon, Security, W3C and syslog records carry many
//! more, and an analyst must not be able to tell the attack from the noise by its shape, so
//! every event goes through [`Filler::complete`]: it adds each missing field of its kind with
//! a value consistent with the host, the acting account and the time, puts the fields in the
//! product's order, and adds the Windows System fields (`Channel`, `Provider_Name`,
//! `Computer`, `EventRecordID`) or the raw line (`_raw`) where the source has one.

use std::collections::HashMap;

use atoll_scenario::model::Source;
use sha2::{Digest, Sha256};

use crate::clock::Calendar;
use crate::event::Event;
use crate::rng::Rng;
use crate::world::{World, channel_index, stable_u32};

/// Who acts in an event: an account of the world, or the machine itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Actor {
    Account(usize),
    System,
    /// A local service identity, e.g. `IIS APPPOOL\DefaultAppPool`; names come from the event.
    Service,
}

/// Everything the filler needs to know about an event's circumstances.
#[derive(Debug, Clone, Copy)]
pub struct Ctx<'w, 's> {
    pub world: &'w World<'s>,
    pub host: usize,
    pub actor: Actor,
    pub unix_ms: i64,
}

const SYSMON_1: &[&str] = &[
    "RuleName",
    "UtcTime",
    "ProcessGuid",
    "ProcessId",
    "Image",
    "FileVersion",
    "Description",
    "Product",
    "Company",
    "OriginalFileName",
    "CommandLine",
    "CurrentDirectory",
    "User",
    "LogonGuid",
    "LogonId",
    "TerminalSessionId",
    "IntegrityLevel",
    "Hashes",
    "ParentProcessGuid",
    "ParentProcessId",
    "ParentImage",
    "ParentCommandLine",
    "ParentUser",
];
const SYSMON_3: &[&str] = &[
    "RuleName",
    "UtcTime",
    "ProcessGuid",
    "ProcessId",
    "Image",
    "User",
    "Protocol",
    "Initiated",
    "SourceIsIpv6",
    "SourceIp",
    "SourceHostname",
    "SourcePort",
    "SourcePortName",
    "DestinationIsIpv6",
    "DestinationIp",
    "DestinationHostname",
    "DestinationPort",
    "DestinationPortName",
];
const SYSMON_7: &[&str] = &[
    "RuleName",
    "UtcTime",
    "ProcessGuid",
    "ProcessId",
    "Image",
    "ImageLoaded",
    "FileVersion",
    "Description",
    "Product",
    "Company",
    "OriginalFileName",
    "Hashes",
    "Signed",
    "Signature",
    "SignatureStatus",
    "User",
];
const SYSMON_10: &[&str] = &[
    "RuleName",
    "UtcTime",
    "SourceProcessGUID",
    "SourceProcessId",
    "SourceThreadId",
    "SourceImage",
    "TargetProcessGUID",
    "TargetProcessId",
    "TargetImage",
    "GrantedAccess",
    "CallTrace",
    "SourceUser",
    "TargetUser",
];
const SYSMON_11: &[&str] = &[
    "RuleName",
    "UtcTime",
    "ProcessGuid",
    "ProcessId",
    "Image",
    "TargetFilename",
    "CreationUtcTime",
    "User",
];
const SYSMON_13: &[&str] = &[
    "RuleName",
    "EventType",
    "UtcTime",
    "ProcessGuid",
    "ProcessId",
    "Image",
    "TargetObject",
    "Details",
    "User",
];
const SYSMON_17: &[&str] = &[
    "RuleName",
    "EventType",
    "UtcTime",
    "ProcessGuid",
    "ProcessId",
    "PipeName",
    "Image",
    "User",
];
const SYSMON_22: &[&str] = &[
    "RuleName",
    "UtcTime",
    "ProcessGuid",
    "ProcessId",
    "QueryName",
    "QueryStatus",
    "QueryResults",
    "Image",
    "User",
];
const SEC_4624: &[&str] = &[
    "SubjectUserSid",
    "SubjectUserName",
    "SubjectDomainName",
    "SubjectLogonId",
    "TargetUserSid",
    "TargetUserName",
    "TargetDomainName",
    "TargetLogonId",
    "LogonType",
    "LogonProcessName",
    "AuthenticationPackageName",
    "WorkstationName",
    "LogonGuid",
    "TransmittedServices",
    "LmPackageName",
    "KeyLength",
    "ProcessId",
    "ProcessName",
    "IpAddress",
    "IpPort",
    "ImpersonationLevel",
    "RestrictedAdminMode",
    "VirtualAccount",
    "ElevatedToken",
];
const SEC_4625: &[&str] = &[
    "SubjectUserSid",
    "SubjectUserName",
    "SubjectDomainName",
    "SubjectLogonId",
    "TargetUserSid",
    "TargetUserName",
    "TargetDomainName",
    "Status",
    "FailureReason",
    "SubStatus",
    "LogonType",
    "LogonProcessName",
    "AuthenticationPackageName",
    "WorkstationName",
    "TransmittedServices",
    "LmPackageName",
    "KeyLength",
    "ProcessId",
    "ProcessName",
    "IpAddress",
    "IpPort",
];
const SEC_4634: &[&str] = &[
    "TargetUserSid",
    "TargetUserName",
    "TargetDomainName",
    "TargetLogonId",
    "LogonType",
];
const SEC_4688: &[&str] = &[
    "SubjectUserSid",
    "SubjectUserName",
    "SubjectDomainName",
    "SubjectLogonId",
    "NewProcessId",
    "NewProcessName",
    "TokenElevationType",
    "ProcessId",
    "CommandLine",
    "TargetUserSid",
    "TargetUserName",
    "TargetDomainName",
    "TargetLogonId",
    "ParentProcessName",
    "MandatoryLabel",
];
const SEC_4720: &[&str] = &[
    "TargetUserName",
    "TargetDomainName",
    "TargetSid",
    "SubjectUserSid",
    "SubjectUserName",
    "SubjectDomainName",
    "SubjectLogonId",
    "PrivilegeList",
    "SamAccountName",
    "DisplayName",
    "UserPrincipalName",
    "UserAccountControl",
];
const SEC_GROUP: &[&str] = &[
    "MemberName",
    "MemberSid",
    "TargetUserName",
    "TargetDomainName",
    "TargetSid",
    "SubjectUserSid",
    "SubjectUserName",
    "SubjectDomainName",
    "SubjectLogonId",
    "PrivilegeList",
];
const SEC_4768: &[&str] = &[
    "TargetUserName",
    "TargetDomainName",
    "TargetSid",
    "ServiceName",
    "ServiceSid",
    "TicketOptions",
    "Status",
    "TicketEncryptionType",
    "PreAuthType",
    "IpAddress",
    "IpPort",
];
const SEC_4769: &[&str] = &[
    "TargetUserName",
    "TargetDomainName",
    "ServiceName",
    "ServiceSid",
    "TicketOptions",
    "TicketEncryptionType",
    "IpAddress",
    "IpPort",
    "Status",
    "LogonGuid",
    "TransmittedServices",
];
const SEC_SHARE: &[&str] = &[
    "SubjectUserSid",
    "SubjectUserName",
    "SubjectDomainName",
    "SubjectLogonId",
    "ObjectType",
    "IpAddress",
    "IpPort",
    "ShareName",
    "ShareLocalPath",
    "RelativeTargetName",
    "AccessMask",
    "AccessList",
];
const SEC_1102: &[&str] = &[
    "SubjectUserSid",
    "SubjectUserName",
    "SubjectDomainName",
    "SubjectLogonId",
];
const SYS_7045: &[&str] = &["ServiceName", "ImagePath", "ServiceType", "StartType", "AccountName"];
const SYS_7036: &[&str] = &["param1", "param2"];
const SYS_104: &[&str] = &["SubjectUserName", "SubjectDomainName", "Channel", "BackupPath"];
const PS_4104: &[&str] = &[
    "MessageNumber",
    "MessageTotal",
    "ScriptBlockText",
    "ScriptBlockId",
    "Path",
];
const WEB: &[&str] = &[
    "date",
    "time",
    "s-ip",
    "cs-method",
    "cs-uri-stem",
    "cs-uri-query",
    "s-port",
    "cs-username",
    "c-ip",
    "cs(User-Agent)",
    "cs(Referer)",
    "sc-status",
    "sc-substatus",
    "sc-win32-status",
    "time-taken",
];
const DNS: &[&str] = &["src_ip", "query", "record_type", "rcode", "answer"];
const FIREWALL: &[&str] = &[
    "action", "src_ip", "src_port", "dst_ip", "dst_port", "protocol", "service", "policy",
];
const NETFLOW: &[&str] = &[
    "src_ip",
    "src_port",
    "dst_ip",
    "dst_port",
    "protocol",
    "bytes",
    "packets",
    "duration_ms",
    "exporter",
];
const EMAIL: &[&str] = &[
    "message_id",
    "sender",
    "recipient",
    "subject",
    "attachment",
    "client_ip",
    "spf",
    "dmarc",
    "action",
    "size",
];
const LINUX_PROC: &[&str] = &[
    "ProcessId",
    "Image",
    "CommandLine",
    "CurrentDirectory",
    "User",
    "LogonId",
    "ParentProcessId",
    "ParentImage",
    "ParentCommandLine",
];
const LINE: &[&str] = &["program", "pid", "message"];
const CISCO: &[&str] = &["user", "command"];
const EDGE: &[&str] = &[
    "devname", "logid", "type", "subtype", "level", "action", "user", "srcip", "cfgpath", "cfgobj", "msg",
];

/// The product's field order for an event kind (after the System fields).
fn canonical(log: Source, event_id: Option<i64>) -> &'static [&'static str] {
    match (log, event_id) {
        (Source::Sysmon, Some(1)) => SYSMON_1,
        (Source::Sysmon, Some(3)) => SYSMON_3,
        (Source::Sysmon, Some(7)) => SYSMON_7,
        (Source::Sysmon, Some(10)) => SYSMON_10,
        (Source::Sysmon, Some(11)) => SYSMON_11,
        (Source::Sysmon, Some(12..=14)) => SYSMON_13,
        (Source::Sysmon, Some(17 | 18)) => SYSMON_17,
        (Source::Sysmon, Some(22)) => SYSMON_22,
        (Source::Security, Some(4624)) => SEC_4624,
        (Source::Security, Some(4625)) => SEC_4625,
        (Source::Security, Some(4634)) => SEC_4634,
        (Source::Security, Some(4688)) => SEC_4688,
        (Source::Security, Some(4720)) => SEC_4720,
        (Source::Security, Some(4728 | 4732 | 4756)) => SEC_GROUP,
        (Source::Security, Some(4768)) => SEC_4768,
        (Source::Security, Some(4769)) => SEC_4769,
        (Source::Security, Some(5140 | 5145)) => SEC_SHARE,
        (Source::Security, Some(1102)) => SEC_1102,
        (Source::System, Some(7045)) => SYS_7045,
        (Source::System, Some(7036)) => SYS_7036,
        (Source::System, Some(104)) => SYS_104,
        (Source::Powershell, Some(4104)) => PS_4104,
        (Source::Webserver, _) => WEB,
        (Source::Dns, _) => DNS,
        (Source::Firewall, _) => FIREWALL,
        (Source::Netflow, _) => NETFLOW,
        (Source::Email, _) => EMAIL,
        (Source::Auditd, _) => LINUX_PROC,
        (Source::Syslog | Source::Auth, _) => LINE,
        (Source::CiscoAaa, _) => CISCO,
        (Source::Edge, _) => EDGE,
        _ => &[],
    }
}

const SYSTEM_FIELDS: &[&str] = &["EventID", "Provider_Name", "Channel", "Computer", "EventRecordID"];

fn channel(log: Source) -> &'static str {
    match log {
        Source::Sysmon => "Microsoft-Windows-Sysmon/Operational",
        Source::Security => "Security",
        Source::System => "System",
        Source::Application => "Application",
        Source::Powershell => "Microsoft-Windows-PowerShell/Operational",
        Source::Defender => "Microsoft-Windows-Windows Defender/Operational",
        _ => "",
    }
}

fn provider(log: Source, event_id: Option<i64>) -> &'static str {
    match (log, event_id) {
        (Source::Sysmon, _) => "Microsoft-Windows-Sysmon",
        (Source::Security, Some(1102)) | (Source::System, Some(104)) => "Microsoft-Windows-Eventlog",
        (Source::Security, _) => "Microsoft-Windows-Security-Auditing",
        (Source::System, Some(7045 | 7036 | 7040)) => "Service Control Manager",
        (Source::System, _) => "Microsoft-Windows-Kernel-General",
        (Source::Application, _) => "Application",
        (Source::Powershell, _) => "Microsoft-Windows-PowerShell",
        (Source::Defender, _) => "Microsoft-Windows-Windows Defender",
        _ => "",
    }
}

/// What is known about common Windows binaries: original file name, description, product,
/// company. Unknown images get their own file name and `-`, as Sysmon writes for files
/// without version information.
fn pe_info(basename_lower: &str) -> Option<(&'static str, &'static str)> {
    Some(match basename_lower {
        "cmd.exe" => ("Cmd.Exe", "Windows Command Processor"),
        "powershell.exe" => ("PowerShell.EXE", "Windows PowerShell"),
        "net.exe" => ("net.exe", "Net Command"),
        "net1.exe" => ("net1.exe", "Net Command"),
        "whoami.exe" => ("whoami.exe", "whoami - displays logged on user information"),
        "ipconfig.exe" => ("ipconfig.exe", "IP Configuration Utility"),
        "netsh.exe" => ("netsh.exe", "Network Command Shell"),
        "nltest.exe" => ("nltestrk.exe", "Microsoft® Logon Server Test Utility"),
        "ntdsutil.exe" => ("ntdsutil.exe", "NT5DS"),
        "wmic.exe" => ("wmic.exe", "WMI Commandline Utility"),
        "wmiprvse.exe" => ("Wmiprvse.exe", "WMI Provider Host"),
        "reg.exe" => ("reg.exe", "Registry Console Tool"),
        "rundll32.exe" => ("RUNDLL32.EXE", "Windows host process (Rundll32)"),
        "vssadmin.exe" => (
            "VSSADMIN.EXE",
            "Command Line Interface for Microsoft® Volume Shadow Copy Service",
        ),
        "certutil.exe" => ("CertUtil.exe", "CertUtil.exe"),
        "schtasks.exe" => ("schtasks.exe", "Task Scheduler Configuration Tool"),
        "tasklist.exe" => ("tasklist.exe", "Lists the current running tasks"),
        "systeminfo.exe" => ("sysinfo.exe", "Displays system information"),
        "wevtutil.exe" => ("wevtutil.exe", "Eventing Command Line Utility"),
        "gpupdate.exe" => ("GPUpdate.exe", "Microsoft® Windows Group Policy Update Utility"),
        "msiexec.exe" => ("msiexec.exe", "Windows® installer"),
        "ldifde.exe" => ("ldifde.exe", "LDAP directory import and export utility"),
        "dnscmd.exe" => ("dnscmd.exe", "DNS Server Configuration Tool"),
        "svchost.exe" => ("svchost.exe", "Host Process for Windows Services"),
        "taskhostw.exe" => ("taskhostw.exe", "Host Process for Windows Tasks"),
        "explorer.exe" => ("EXPLORER.EXE", "Windows Explorer"),
        "notepad.exe" => ("NOTEPAD.EXE", "Notepad"),
        "mmc.exe" => ("mmc.exe", "Microsoft Management Console"),
        "mstsc.exe" => ("mstsc.exe", "Remote Desktop Connection"),
        "conhost.exe" => ("CONHOST.EXE", "Console Window Host"),
        "ping.exe" => ("ping.exe", "TCP/IP Ping Command"),
        "nslookup.exe" => ("nslookup.exe", "nslookup"),
        "mpcmdrun.exe" => ("MpCmdRun.exe", "Microsoft Malware Protection Command Line Utility"),
        "winword.exe" => ("WinWord.exe", "Microsoft Word"),
        "excel.exe" => ("Excel.exe", "Microsoft Excel"),
        "outlook.exe" => ("Outlook.exe", "Microsoft Outlook"),
        "msedge.exe" => ("msedge.exe", "Microsoft Edge"),
        "chrome.exe" => ("chrome.exe", "Google Chrome"),
        "teams.exe" => ("Teams.exe", "Microsoft Teams"),
        "7z.exe" => ("7z.exe", "7-Zip Console"),
        "psexec.exe" | "psexec64.exe" => ("psexec.c", "Execute processes remotely"),
        "psexesvc.exe" => ("psexesvc.exe", "PsExec Service"),
        "mshta.exe" => ("MSHTA.EXE", "Microsoft (R) HTML Application host"),
        "sc.exe" => ("sc.exe", "Service Control Manager Configuration Tool"),
        "bcdedit.exe" => ("bcdedit.exe", "Boot Configuration Data Editor"),
        "robocopy.exe" => ("robocopy.exe", "Microsoft® Robocopy"),
        "sqlservr.exe" => ("sqlservr.exe", "SQL Server Windows NT - 64 Bit"),
        "w3wp.exe" => ("w3wp.exe", "IIS Worker Process"),
        _ => return None,
    })
}

fn company(original: &str) -> (&'static str, &'static str) {
    match original {
        "7z.exe" => ("Igor Pavlov", "7-Zip"),
        "psexec.c" | "psexesvc.exe" => ("Sysinternals - www.sysinternals.com", "Sysinternals PsExec"),
        "WinWord.exe" | "Excel.exe" | "Outlook.exe" | "Teams.exe" => ("Microsoft Corporation", "Microsoft Office"),
        "chrome.exe" => ("Google LLC", "Google Chrome"),
        "msedge.exe" => ("Microsoft Corporation", "Microsoft Edge"),
        "sqlservr.exe" => ("Microsoft Corporation", "Microsoft SQL Server"),
        _ => ("Microsoft Corporation", "Microsoft® Windows® Operating System"),
    }
}

pub fn basename(path: &str) -> &str {
    path.rsplit(['\\', '/']).next().unwrap_or(path)
}

/// The command line Windows shows for a well-known parent image.
fn parent_command_line(image: &str) -> String {
    match basename(image).to_ascii_lowercase().as_str() {
        "cmd.exe" => "C:\\Windows\\system32\\cmd.exe".into(),
        "explorer.exe" => "C:\\Windows\\Explorer.EXE".into(),
        "services.exe" => "C:\\Windows\\system32\\services.exe".into(),
        "svchost.exe" => "C:\\Windows\\system32\\svchost.exe -k netsvcs -p -s Schedule".into(),
        "wmiprvse.exe" => "C:\\Windows\\system32\\wbem\\wmiprvse.exe -secured -Embedding".into(),
        "w3wp.exe" => "c:\\windows\\system32\\inetsrv\\w3wp.exe -ap \"DefaultAppPool\" -v \"v4.0\" -l \"webengine4.dll\" -a \\\\.\\pipe\\iisipm6a3d2c4e-1b2f-4c8e-9d51-27a7f0c2e6b1 -h \"C:\\inetpub\\temp\\apppools\\DefaultAppPool\\DefaultAppPool.config\" -w \"\" -m 0".into(),
        "powershell.exe" => "\"C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe\"".into(),
        _ => format!("\"{image}\""),
    }
}

fn hex(out: &mut String, bytes: &[u8]) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for b in bytes {
        out.push(HEX[(b >> 4) as usize] as char);
        out.push(HEX[(b & 15) as usize] as char);
    }
}

fn guid(out: &mut String, host_part: u32, rng: &mut Rng) {
    let a = rng.next_u64();
    let b = rng.next_u64();
    use std::fmt::Write as _;
    let _ = write!(
        out,
        "{{{:08x}-{:04x}-{:04x}-{:04x}-{:012x}}}",
        host_part,
        (a >> 48) as u16,
        (a >> 32) as u16,
        (b >> 48) as u16,
        b & 0xffff_ffff_ffff
    );
}

/// Fills events; keeps caches that depend only on their keys (never on randomness).
#[derive(Debug, Default)]
pub struct Filler {
    pub cal: Calendar,
    hashes: HashMap<String, String>,
    scratch: Vec<u8>,
}

impl Filler {
    fn hashes(&mut self, image: &str) -> &str {
        let key = image.to_ascii_lowercase();
        self.hashes.entry(key).or_insert_with_key(|k| {
            let digest = Sha256::digest(k.as_bytes());
            let md5 = Sha256::digest(digest);
            let mut s = String::with_capacity(180);
            s.push_str("SHA1=");
            hex(&mut s, &md5[..20]);
            s.push_str(",MD5=");
            hex(&mut s, &md5[20..32]);
            hex(&mut s, &digest[..4]);
            s.push_str(",SHA256=");
            hex(&mut s, &digest);
            s.push_str(",IMPHASH=");
            hex(&mut s, &md5[4..20]);
            s
        })
    }

    /// Completes `ev` as the product would have written it. Fields already present win.
    /// `record` is the event's `EventRecordID` in its Windows channel (see [`next_record`]).
    pub fn complete<'a>(&mut self, ev: &mut Event<'a>, cx: Ctx<'_, '_>, rng: &mut Rng, record: u64) {
        let event_id = ev.number("EventID");
        let order = canonical(ev.log, event_id);
        for &key in order {
            if !ev.has(key) {
                self.fill(ev, key, cx, rng);
            }
        }
        let host = &cx.world.hosts[cx.host];
        if channel_index(ev.log).is_some() {
            if !ev.has("Provider_Name") {
                ev.str("Provider_Name", provider(ev.log, event_id));
            }
            // System 104 names the cleared log in its own `Channel` field.
            if !ev.has("Channel") {
                ev.str("Channel", channel(ev.log));
            }
            if !ev.has("Computer") {
                ev.str("Computer", &host.fqdn);
            }
            if !ev.has("EventRecordID") {
                ev.int("EventRecordID", record as i64);
            }
            let mut full = Vec::with_capacity(SYSTEM_FIELDS.len() + order.len());
            full.extend_from_slice(SYSTEM_FIELDS);
            full.extend_from_slice(order);
            ev.order_by(&full);
        } else {
            ev.order_by(order);
            self.raw_line(ev, cx);
        }
    }

    fn raw_line(&mut self, ev: &mut Event<'_>, cx: Ctx<'_, '_>) {
        if ev.has("_raw") {
            return;
        }
        let host = &cx.world.hosts[cx.host];
        let mut raw = std::mem::take(&mut self.scratch);
        raw.clear();
        match ev.log {
            Source::Webserver => {
                for (i, key) in WEB.iter().enumerate() {
                    if i > 0 {
                        raw.push(b' ');
                    }
                    let v = ev.get(key).unwrap_or("-");
                    raw.extend_from_slice(if v.is_empty() { b"-" } else { v.as_bytes() });
                }
            }
            Source::CiscoAaa => {
                raw.extend_from_slice(b"<190>");
                self.cal.syslog(cx.unix_ms, &mut raw);
                raw.push(b' ');
                raw.extend_from_slice(host.def.hostname.as_bytes());
                raw.extend_from_slice(b": %PARSER-5-CFGLOG_LOGGEDCMD: User:");
                raw.extend_from_slice(ev.get("user").unwrap_or("-").as_bytes());
                raw.extend_from_slice(b"  logged command:");
                raw.extend_from_slice(ev.get("command").unwrap_or("").as_bytes());
            }
            Source::Syslog | Source::Auth => {
                self.cal.syslog(cx.unix_ms, &mut raw);
                raw.push(b' ');
                raw.extend_from_slice(host.def.hostname.as_bytes());
                raw.push(b' ');
                let program = ev.get("program").unwrap_or("kernel");
                raw.extend_from_slice(program.as_bytes());
                if let Some(pid) = ev.get("pid").filter(|p| !p.is_empty() && *p != "-") {
                    raw.push(b'[');
                    raw.extend_from_slice(pid.as_bytes());
                    raw.push(b']');
                }
                raw.extend_from_slice(b": ");
                raw.extend_from_slice(ev.get("message").unwrap_or("").as_bytes());
            }
            _ => {
                self.scratch = raw;
                return;
            }
        }
        ev.str("_raw", std::str::from_utf8(&raw).unwrap_or(""));
        self.scratch = raw;
    }

    fn fill<'a>(&mut self, ev: &mut Event<'a>, key: &'a str, cx: Ctx<'_, '_>, rng: &mut Rng) {
        let w = cx.world;
        let host = &w.hosts[cx.host];
        let org = &w.orgs[host.org];
        let account = match cx.actor {
            Actor::Account(a) => Some(&w.accounts[a]),
            _ => None,
        };
        let system = cx.actor == Actor::System;
        // A step acting as no account runs as a service identity (SYSTEM, or NETWORK SERVICE
        // where the event says so), with the system's token: never a user's medium integrity.
        let service = cx.actor == Actor::Service;
        let admin = match cx.actor {
            Actor::Account(a) => w.is_admin(a),
            _ => false,
        };
        let user_full = || -> String {
            match (account, cx.actor) {
                (Some(a), _) => format!("{}\\{}", a.domain, a.user),
                (None, Actor::Service) => "NT AUTHORITY\\NETWORK SERVICE".into(),
                _ => "NT AUTHORITY\\SYSTEM".into(),
            }
        };
        let host_part = host.fqdn_hash;
        let pid = |rng: &mut Rng| (rng.range(250, 16_000) * 4) as i64;
        let logon_id = |rng: &mut Rng| {
            if system {
                "0x3e7".to_string()
            } else {
                format!("0x{:x}", rng.range(0x20_0000, 0x9f_ffff))
            }
        };
        let image = ev
            .get("Image")
            .or_else(|| ev.get("NewProcessName"))
            .unwrap_or("")
            .to_string();
        let base_lower = basename(&image).to_ascii_lowercase();
        let info = pe_info(&base_lower);
        let event_id = ev.number("EventID");
        let log = ev.log;
        match key {
            "RuleName" => {
                ev.str(key, "-");
            }
            "UtcTime" | "CreationUtcTime" => {
                let mut b = std::mem::take(&mut self.scratch);
                b.clear();
                self.cal.sysmon(cx.unix_ms, &mut b);
                ev.str(key, std::str::from_utf8(&b).unwrap_or(""));
                self.scratch = b;
            }
            "ProcessGuid" | "ParentProcessGuid" | "LogonGuid" | "SourceProcessGUID" | "TargetProcessGUID"
            | "ScriptBlockId" => {
                ev.with(key, |s| guid(s, host_part, rng));
            }
            "ProcessId" if log == Source::Security => {
                ev.fmt(
                    key,
                    format_args!("0x{:x}", if event_id == Some(4688) { pid(rng) } else { 0 }),
                );
            }
            "ProcessId" | "ParentProcessId" | "SourceProcessId" | "TargetProcessId" | "SourceThreadId" | "pid" => {
                ev.int(key, pid(rng));
            }
            "NewProcessId" => {
                ev.fmt(key, format_args!("0x{:x}", pid(rng)));
            }
            "FileVersion" => {
                ev.str(
                    key,
                    if info.is_some() {
                        "10.0.17763.1 (WinBuild.160101.0800)"
                    } else {
                        "-"
                    },
                );
            }
            "Description" => {
                ev.str(key, info.map_or("-", |i| i.1));
            }
            "Product" | "Company" => {
                let (c, p) = info.map_or(("-", "-"), |i| company(i.0));
                ev.str(key, if key == "Company" { c } else { p });
            }
            "OriginalFileName" => {
                let v = info.map_or_else(|| basename(&image).to_string(), |i| i.0.to_string());
                ev.str(key, if v.is_empty() { "-" } else { &v });
            }
            "CurrentDirectory" => {
                if log == Source::Auditd {
                    ev.str(key, "/");
                } else if let Some(a) = account.filter(|_| !system) {
                    ev.fmt(key, format_args!("C:\\Users\\{}\\", a.user));
                } else {
                    ev.str(key, "C:\\Windows\\system32\\");
                }
            }
            "User" | "SourceUser" | "ParentUser" => {
                if log == Source::Auditd {
                    ev.str(key, account.map_or("root", |a| a.user.as_str()));
                } else {
                    let u = if key == "User" {
                        user_full()
                    } else {
                        ev.get("User").map(str::to_string).unwrap_or_else(user_full)
                    };
                    ev.str(key, &u);
                }
            }
            "TargetUser" => {
                ev.str(key, "NT AUTHORITY\\SYSTEM");
            }
            "LogonId" | "SubjectLogonId" => {
                if log == Source::Security
                    && event_id != Some(4688)
                    && key == "SubjectLogonId"
                    && !matches!(event_id, Some(1102 | 4720 | 4728 | 4732 | 4756 | 5140 | 5145))
                {
                    ev.str(key, "0x3e7");
                } else if service {
                    let network = ev.get("User").is_some_and(|u| u.ends_with("NETWORK SERVICE"));
                    ev.str(key, if network { "0x3e4" } else { "0x3e7" });
                } else {
                    let id = logon_id(rng);
                    ev.str(key, &id);
                }
            }
            "TargetLogonId" => {
                if event_id == Some(4688) {
                    ev.str(key, "0x0");
                } else {
                    let id = format!("0x{:x}", rng.range(0x20_0000, 0x9f_ffff));
                    ev.str(key, &id);
                }
            }
            "TerminalSessionId" => {
                ev.int(
                    key,
                    if system || cx.actor == Actor::Service {
                        0
                    } else {
                        rng.range(1, 3) as i64
                    },
                );
            }
            "IntegrityLevel" => {
                ev.str(
                    key,
                    if system || service {
                        "System"
                    } else if admin {
                        "High"
                    } else {
                        "Medium"
                    },
                );
            }
            "Hashes" => {
                let target = ev
                    .get("ImageLoaded")
                    .map(str::to_string)
                    .unwrap_or_else(|| image.clone());
                let h = self.hashes(&target).to_string();
                ev.str(key, &h);
            }
            "ParentImage" => {
                ev.str(
                    key,
                    if system {
                        "C:\\Windows\\System32\\services.exe"
                    } else {
                        "C:\\Windows\\explorer.exe"
                    },
                );
            }
            "ParentProcessName" => {
                let p = ev
                    .get("ParentImage")
                    .unwrap_or(if system {
                        "C:\\Windows\\System32\\services.exe"
                    } else {
                        "C:\\Windows\\explorer.exe"
                    })
                    .to_string();
                ev.str(key, &p);
            }
            "ParentCommandLine" => {
                if log == Source::Auditd {
                    let p = ev.get("ParentImage").unwrap_or("/bin/bash").to_string();
                    ev.str(key, &p);
                } else {
                    let p = ev.get("ParentImage").unwrap_or("C:\\Windows\\explorer.exe").to_string();
                    ev.str(key, &parent_command_line(&p));
                }
            }
            "CommandLine" => {
                if image.contains(' ') {
                    ev.fmt(key, format_args!("\"{image}\""));
                } else {
                    ev.str(key, &image);
                }
            }
            "SubjectUserSid" => {
                let sid = match (account, event_id) {
                    (_, Some(4624 | 4634)) => "S-1-5-18".to_string(),
                    (_, Some(4625)) => "S-1-0-0".to_string(),
                    (Some(a), _) => a.sid.clone(),
                    (None, _) => "S-1-5-18".to_string(),
                };
                ev.str(key, &sid);
            }
            "SubjectUserName" => {
                let v = match (account, event_id) {
                    (_, Some(4625)) => "-".to_string(),
                    (Some(a), e) if e != Some(4624) => a.user.clone(),
                    _ => format!("{}$", host.def.hostname),
                };
                ev.str(key, &v);
            }
            "SubjectDomainName" => {
                let v = match (account, event_id) {
                    (_, Some(4625)) => "-".to_string(),
                    (Some(a), e) if e != Some(4624) => a.domain.clone(),
                    _ => org.netbios.clone(),
                };
                ev.str(key, &v);
            }
            "TargetUserSid" => {
                // A user the step names itself is that user, not the actor: an account of the
                // world by that name (the host's organisation first), else a local account of
                // the host (the built-in administrator's RID is 500).
                let named = ev
                    .get("TargetUserName")
                    .filter(|n| !n.is_empty() && *n != "-" && !n.ends_with('$') && !n.eq_ignore_ascii_case("SYSTEM"))
                    .map(|n| {
                        let by_name = |a: &&crate::world::AccountW<'_>| a.user.eq_ignore_ascii_case(n);
                        w.accounts
                            .iter()
                            .filter(|a| a.org == host.org)
                            .find(by_name)
                            .or_else(|| w.accounts.iter().find(by_name))
                            .map_or_else(
                                || {
                                    let rid = if n.eq_ignore_ascii_case("administrator") {
                                        500
                                    } else {
                                        1000 + stable_u32(&n.to_ascii_lowercase()) % 9000
                                    };
                                    format!(
                                        "S-1-5-21-{}-{}-{}-{rid}",
                                        1_000_000_000 + host_part % 1_000_000_000,
                                        1_000_000_000 + stable_u32(&host.fqdn) % 1_000_000_000,
                                        1_000_000_000 + host_part.rotate_left(7) % 1_000_000_000
                                    )
                                },
                                |a| a.sid.clone(),
                            )
                    });
                let v = match (account, event_id, named) {
                    (_, Some(4688), _) => "S-1-0-0".to_string(),
                    (_, Some(4625), _) => "S-1-0-0".to_string(),
                    (_, _, Some(sid)) => sid,
                    (Some(a), _, None) => a.sid.clone(),
                    _ => "S-1-5-18".to_string(),
                };
                ev.str(key, &v);
            }
            "TargetUserName" => {
                let v = match (account, event_id) {
                    (_, Some(4688)) => "-".to_string(),
                    (Some(a), Some(4769)) => format!("{}@{}", a.user, org.domain.to_ascii_uppercase()),
                    (Some(a), _) => a.user.clone(),
                    _ => format!("{}$", host.def.hostname),
                };
                ev.str(key, &v);
            }
            "TargetDomainName" => {
                let v = match (account, event_id) {
                    (_, Some(4688)) => "-".to_string(),
                    (_, Some(4769)) => org.domain.to_ascii_uppercase(),
                    (Some(a), _) => a.domain.clone(),
                    _ => org.netbios.clone(),
                };
                ev.str(key, &v);
            }
            "TargetSid" => {
                let v = account.map_or_else(|| format!("{}-{}", org.sid, rng.range(1100, 9000)), |a| a.sid.clone());
                ev.str(key, &v);
            }
            "LogonType" => {
                ev.int(key, 3);
            }
            "LogonProcessName" => {
                let v = match ev.number("LogonType") {
                    Some(2 | 10 | 11) => "User32 ",
                    Some(5) => "Advapi  ",
                    _ if event_id == Some(4625) => "NtLmSsp ",
                    _ => "Kerberos",
                };
                ev.str(key, v);
            }
            "AuthenticationPackageName" => {
                let v = match ev.number("LogonType") {
                    Some(2 | 10 | 11 | 5) => "Negotiate",
                    _ if event_id == Some(4625) => "NTLM",
                    _ => "Kerberos",
                };
                ev.str(key, v);
            }
            "WorkstationName" => {
                ev.str(key, "-");
            }
            "TransmittedServices"
            | "LmPackageName"
            | "ProcessName"
            | "RestrictedAdminMode"
            | "PrivilegeList"
            | "UserPrincipalName"
            | "cfgpath"
            | "cfgobj" => {
                ev.str(key, "-");
            }
            "KeyLength" => {
                ev.int(key, 0);
            }
            "IpAddress" => {
                let v = if event_id == Some(4769) || event_id == Some(4768) {
                    format!("::ffff:{}", host.def.address.0)
                } else if ev.number("LogonType").is_some_and(|t| t == 2 || t == 5) {
                    "127.0.0.1".to_string()
                } else {
                    "-".to_string()
                };
                ev.str(key, &v);
            }
            "IpPort" => {
                if ev.get("IpAddress").is_some_and(|a| a != "-" && a != "127.0.0.1") {
                    ev.fmt(key, format_args!("{}", rng.range(49_152, 65_535)));
                } else {
                    ev.str(
                        key,
                        if ev.get("IpAddress") == Some("127.0.0.1") {
                            "0"
                        } else {
                            "-"
                        },
                    );
                }
            }
            "ImpersonationLevel" => {
                ev.str(key, "%%1833");
            }
            "VirtualAccount" => {
                ev.str(key, "%%1843");
            }
            "ElevatedToken" => {
                ev.str(key, if admin || system { "%%1842" } else { "%%1843" });
            }
            "Status" => {
                ev.str(key, if event_id == Some(4625) { "0xc000006d" } else { "0x0" });
            }
            "FailureReason" => {
                ev.str(key, "%%2313");
            }
            "SubStatus" => {
                ev.str(key, "0xc000006a");
            }
            "TokenElevationType" => {
                ev.str(key, if admin || system || service { "%%1936" } else { "%%1938" });
            }
            "MandatoryLabel" => {
                ev.str(
                    key,
                    if system || service {
                        "S-1-16-16384"
                    } else if admin {
                        "S-1-16-12288"
                    } else {
                        "S-1-16-8192"
                    },
                );
            }
            "SamAccountName" => {
                let v = ev.get("TargetUserName").unwrap_or("-").to_string();
                ev.str(key, &v);
            }
            "DisplayName" => {
                ev.str(key, "%%1793");
            }
            "UserAccountControl" => {
                ev.str(key, "%%2080 %%2082 %%2084");
            }
            "MemberName" => {
                let v = account.map_or_else(
                    || "-".to_string(),
                    |a| format!("CN={},CN=Users,DC={}", a.user, org.domain.replace('.', ",DC=")),
                );
                ev.str(key, &v);
            }
            "MemberSid" => {
                let v = account.map_or_else(|| "-".to_string(), |a| a.sid.clone());
                ev.str(key, &v);
            }
            "ServiceName" if log == Source::Security => {
                ev.str(key, if event_id == Some(4768) { "krbtgt" } else { "cifs" });
            }
            "ServiceSid" => {
                ev.fmt(key, format_args!("{}-502", org.sid));
            }
            "TicketOptions" => {
                ev.str(
                    key,
                    if event_id == Some(4768) {
                        "0x40810010"
                    } else {
                        "0x40810000"
                    },
                );
            }
            "TicketEncryptionType" => {
                ev.str(key, "0x12");
            }
            "PreAuthType" => {
                ev.str(key, "2");
            }
            "ObjectType" => {
                ev.str(key, "File");
            }
            "ShareName" => {
                ev.str(key, "\\\\*\\IPC$");
            }
            "ShareLocalPath" => {
                ev.str(key, "");
            }
            "RelativeTargetName" if event_id == Some(5145) => {
                ev.str(key, "srvsvc");
            }
            "AccessMask" => {
                ev.str(key, "0x1");
            }
            "AccessList" => {
                ev.str(key, "%%4416");
            }
            "ServiceType" => {
                ev.str(key, "user mode service");
            }
            "StartType" => {
                ev.str(key, "demand start");
            }
            "AccountName" => {
                ev.str(key, "LocalSystem");
            }
            "BackupPath" | "Path" => {
                ev.str(key, "");
            }
            "MessageNumber" | "MessageTotal" => {
                ev.int(key, 1);
            }
            "Protocol" => {
                ev.str(key, "tcp");
            }
            "Initiated" => {
                ev.str(key, "true");
            }
            "SourceIsIpv6" | "DestinationIsIpv6" => {
                ev.str(key, "false");
            }
            "SourceIp" => {
                ev.fmt(key, format_args!("{}", host.def.address.0));
            }
            "SourceHostname" => {
                ev.str(key, &host.fqdn);
            }
            "SourcePort" => {
                ev.int(key, rng.range(49_152, 65_535) as i64);
            }
            "SourcePortName" | "DestinationPortName" | "DestinationHostname" => {
                ev.str(key, "-");
            }
            "QueryStatus" => {
                ev.str(key, "0");
            }
            "QueryResults" => {
                ev.fmt(
                    key,
                    format_args!(
                        "::ffff:{}.{}.{}.{};",
                        rng.range(13, 200),
                        rng.range(0, 255),
                        rng.range(0, 255),
                        rng.range(1, 254)
                    ),
                );
            }
            "GrantedAccess" => {
                ev.str(key, "0x1010");
            }
            "CallTrace" => {
                ev.str(key, "C:\\Windows\\SYSTEM32\\ntdll.dll+9d4c4|C:\\Windows\\System32\\KERNELBASE.dll+2c13e|UNKNOWN(00007FF8A1B2C3D4)");
            }
            "EventType" => {
                ev.str(
                    key,
                    if event_id == Some(17) {
                        "CreatePipe"
                    } else if event_id == Some(18) {
                        "ConnectPipe"
                    } else {
                        "SetValue"
                    },
                );
            }
            "Signed" => {
                ev.str(key, "true");
            }
            "Signature" => {
                ev.str(key, "Microsoft Windows");
            }
            "SignatureStatus" => {
                ev.str(key, "Valid");
            }
            // W3C web server
            "date" | "time" => {
                let mut b = std::mem::take(&mut self.scratch);
                b.clear();
                self.cal.w3c(cx.unix_ms, &mut b);
                let s = std::str::from_utf8(&b).unwrap_or("");
                let (d, t) = s.split_once(' ').unwrap_or((s, ""));
                ev.str(key, if key == "date" { d } else { t });
                self.scratch = b;
            }
            "s-ip" => {
                ev.fmt(key, format_args!("{}", host.def.address.0));
            }
            "s-port" => {
                ev.int(key, 443);
            }
            "cs-username" | "cs(Referer)" | "cs-uri-query" => {
                ev.str(key, "-");
            }
            "c-ip" => {
                ev.fmt(key, format_args!("{}", internet_address(rng)));
            }
            "cs(User-Agent)" => {
                ev.str(key, "Mozilla/5.0+(Windows+NT+10.0;+Win64;+x64)+AppleWebKit/537.36+(KHTML,+like+Gecko)+Chrome/130.0.0.0+Safari/537.36");
            }
            "sc-substatus" | "sc-win32-status" => {
                ev.int(key, 0);
            }
            "time-taken" => {
                ev.int(key, rng.range(3, 400) as i64);
            }
            // DNS, firewall, NetFlow
            "src_ip" | "srcip" => {
                ev.fmt(key, format_args!("{}", host.def.address.0));
            }
            "record_type" => {
                ev.str(key, "A");
            }
            "rcode" => {
                ev.str(key, "NOERROR");
            }
            "answer" => {
                ev.fmt(key, format_args!("{}", internet_address(rng)));
            }
            "src_port" => {
                ev.int(key, rng.range(49_152, 65_535) as i64);
            }
            "protocol" => {
                ev.str(key, "tcp");
            }
            "action" if log == Source::Firewall => {
                ev.str(key, "accept");
            }
            "action" if log == Source::Email => {
                ev.str(key, "delivered");
            }
            "service" => {
                let v = match ev.number("dst_port") {
                    Some(443) => "HTTPS",
                    Some(80) => "HTTP",
                    Some(53) => "DNS",
                    Some(22) => "SSH",
                    Some(3389) => "RDP",
                    Some(445) => "SMB",
                    Some(25) => "SMTP",
                    Some(123) => "NTP",
                    _ => "tcp",
                };
                ev.str(key, v);
            }
            "policy" => {
                ev.int(key, 1 + rng.below(12) as i64);
            }
            "bytes" => {
                ev.int(key, rng.range(400, 90_000) as i64);
            }
            "packets" => {
                let b = ev.number("bytes").unwrap_or(1_000);
                ev.int(key, (b / 700).max(1) + rng.range(0, 3) as i64);
            }
            "duration_ms" => {
                ev.int(key, rng.range(20, 30_000) as i64);
            }
            "exporter" => {
                ev.fmt(key, format_args!("{}", host.def.address.0));
            }
            // Mail gateway
            "message_id" => {
                ev.fmt(key, format_args!("<{:016x}@{}>", rng.next_u64(), org.domain));
            }
            "client_ip" => {
                ev.fmt(key, format_args!("{}", internet_address(rng)));
            }
            "spf" | "dmarc" => {
                ev.str(key, "pass");
            }
            "size" => {
                ev.int(key, rng.range(2_000, 900_000) as i64);
            }
            // FortiGate event log
            "devname" => {
                ev.str(key, &host.def.hostname);
            }
            "logid" => {
                ev.str(key, "0100032001");
            }
            "type" => {
                ev.str(key, "event");
            }
            "subtype" => {
                ev.str(key, "system");
            }
            "level" => {
                ev.str(key, "information");
            }
            _ => {}
        }
    }
}

/// The next `EventRecordID` of a host's Windows channel. Numbers count per channel and
/// start where a log that has run for a while would be.
pub fn next_record(next: &mut u64, host_fqdn: &str, log: Source) -> u64 {
    if *next == 0 {
        let ch = channel_index(log).unwrap_or(0) as u64;
        *next = 20_000 + u64::from(stable_u32(host_fqdn) % 400_000) * (ch + 1);
    }
    *next += 1;
    *next
}

/// An address as text, written without the formatting machinery: most events carry one.
pub fn ip_text(ip: std::net::IpAddr) -> String {
    match ip {
        std::net::IpAddr::V4(v4) => ipv4_text(v4),
        std::net::IpAddr::V6(v6) => v6.to_string(),
    }
}

/// `a.b.c.d`, as `Ipv4Addr`'s `Display` writes it.
pub fn ipv4_text(ip: std::net::Ipv4Addr) -> String {
    let mut out = String::with_capacity(15);
    for (i, &octet) in ip.octets().iter().enumerate() {
        if i > 0 {
            out.push('.');
        }
        if octet >= 100 {
            out.push(char::from(b'0' + octet / 100));
        }
        if octet >= 10 {
            out.push(char::from(b'0' + octet / 10 % 10));
        }
        out.push(char::from(b'0' + octet % 10));
    }
    out
}

/// A public-looking address outside the documentation ranges the scenario uses for the actor.
pub fn internet_address(rng: &mut Rng) -> std::net::Ipv4Addr {
    // Ranges of large access networks and clouds, so the noise looks like the internet.
    const FIRST: [u8; 12] = [20, 23, 34, 40, 49, 52, 61, 101, 110, 118, 124, 175];
    std::net::Ipv4Addr::new(
        *rng.pick(&FIRST),
        rng.range(0, 255) as u8,
        rng.range(0, 255) as u8,
        rng.range(1, 254) as u8,
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn addresses_are_written_as_display_writes_them() {
        for a in [0u8, 1, 9, 10, 99, 100, 109, 199, 200, 255] {
            for b in [0u8, 7, 42, 250] {
                let ip = std::net::Ipv4Addr::new(a, b, 255 - b, a / 2);
                assert_eq!(super::ipv4_text(ip), ip.to_string());
            }
        }
        let v6: std::net::IpAddr = "2001:db8::1".parse().unwrap();
        assert_eq!(super::ip_text(v6), "2001:db8::1");
    }
}
