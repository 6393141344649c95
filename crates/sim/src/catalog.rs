//! What benign activity looks like: process trees, commands, domains and documents of the
//! kinds of hosts and people in a scenario, and the benign look-alikes that real detection
//! rules fire on (the `FP-*` cases of the project's threat research).
//!
//! Command templates may use `{user}` (the acting account without its domain), `{domain}`
//! (the organisation's DNS domain), `{netbios}`, `{dc}` and `{fs}` (host names of the
//! organisation's domain controller and file server), `{host}` (this host's name), `{doc}`
//! (a document name) and `{n}` (a small number).

/// A process start: parent image, image, command line.
pub type Proc = (&'static str, &'static str, &'static str);

pub const OFFICE: &[Proc] = &[
    (
        "C:\\Windows\\explorer.exe",
        "C:\\Program Files\\Microsoft Office\\root\\Office16\\OUTLOOK.EXE",
        "\"C:\\Program Files\\Microsoft Office\\root\\Office16\\OUTLOOK.EXE\"",
    ),
    (
        "C:\\Windows\\explorer.exe",
        "C:\\Program Files\\Microsoft Office\\root\\Office16\\WINWORD.EXE",
        "\"C:\\Program Files\\Microsoft Office\\root\\Office16\\WINWORD.EXE\" /n \"\\\\{fs}\\Shared\\{doc}.docx\"",
    ),
    (
        "C:\\Windows\\explorer.exe",
        "C:\\Program Files\\Microsoft Office\\root\\Office16\\EXCEL.EXE",
        "\"C:\\Program Files\\Microsoft Office\\root\\Office16\\EXCEL.EXE\" \"C:\\Users\\{user}\\Documents\\{doc}.xlsx\"",
    ),
    (
        "C:\\Windows\\explorer.exe",
        "C:\\Program Files (x86)\\Microsoft\\Edge\\Application\\msedge.exe",
        "\"C:\\Program Files (x86)\\Microsoft\\Edge\\Application\\msedge.exe\" --single-argument https://intranet.{domain}/",
    ),
    (
        "C:\\Program Files (x86)\\Microsoft\\Edge\\Application\\msedge.exe",
        "C:\\Program Files (x86)\\Microsoft\\Edge\\Application\\msedge.exe",
        "\"C:\\Program Files (x86)\\Microsoft\\Edge\\Application\\msedge.exe\" --type=renderer --lang=en-US --renderer-client-id={n} --mojo-platform-channel-handle=4{n}",
    ),
    (
        "C:\\Windows\\explorer.exe",
        "C:\\Users\\{user}\\AppData\\Local\\Microsoft\\Teams\\current\\Teams.exe",
        "\"C:\\Users\\{user}\\AppData\\Local\\Microsoft\\Teams\\current\\Teams.exe\"",
    ),
    (
        "C:\\Windows\\explorer.exe",
        "C:\\Windows\\System32\\notepad.exe",
        "\"C:\\Windows\\system32\\NOTEPAD.EXE\" C:\\Users\\{user}\\Documents\\notes.txt",
    ),
    (
        "C:\\Program Files\\Microsoft Office\\root\\Office16\\OUTLOOK.EXE",
        "C:\\Program Files\\Microsoft Office\\root\\Office16\\EXCEL.EXE",
        "\"C:\\Program Files\\Microsoft Office\\root\\Office16\\EXCEL.EXE\" \"C:\\Users\\{user}\\AppData\\Local\\Microsoft\\Windows\\INetCache\\Content.Outlook\\{doc}.xlsx\"",
    ),
    (
        "C:\\Windows\\System32\\svchost.exe",
        "C:\\Windows\\System32\\taskhostw.exe",
        "taskhostw.exe -RegisterDevice -ProtectionStateChanged -FreeNetworkOnly",
    ),
    (
        "C:\\Windows\\System32\\svchost.exe",
        "C:\\Windows\\System32\\backgroundTaskHost.exe",
        "\"C:\\Windows\\system32\\backgroundTaskHost.exe\" -ServerName:App.AppXmtcan0h2tfbfy7k9kn8hbxb6dmzz1zh0.mca",
    ),
    (
        "C:\\Windows\\explorer.exe",
        "C:\\Windows\\System32\\cmd.exe",
        "\"C:\\Windows\\system32\\cmd.exe\"",
    ),
    (
        "C:\\Windows\\System32\\cmd.exe",
        "C:\\Windows\\System32\\ipconfig.exe",
        "ipconfig",
    ),
];

pub const ADMIN: &[Proc] = &[
    (
        "C:\\Windows\\explorer.exe",
        "C:\\Windows\\System32\\mmc.exe",
        "\"C:\\Windows\\system32\\mmc.exe\" \"C:\\Windows\\system32\\dsa.msc\"",
    ),
    (
        "C:\\Windows\\explorer.exe",
        "C:\\Windows\\System32\\mmc.exe",
        "\"C:\\Windows\\system32\\mmc.exe\" \"C:\\Windows\\system32\\gpmc.msc\"",
    ),
    (
        "C:\\Windows\\System32\\cmd.exe",
        "C:\\Windows\\System32\\gpupdate.exe",
        "gpupdate /force",
    ),
    (
        "C:\\Windows\\System32\\cmd.exe",
        "C:\\Windows\\System32\\ipconfig.exe",
        "ipconfig /flushdns",
    ),
    (
        "C:\\Windows\\System32\\cmd.exe",
        "C:\\Windows\\System32\\PING.EXE",
        "ping -n 4 {dc}",
    ),
    (
        "C:\\Windows\\System32\\cmd.exe",
        "C:\\Windows\\System32\\nslookup.exe",
        "nslookup {fs}.{domain}",
    ),
    (
        "C:\\Windows\\explorer.exe",
        "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe",
        "\"C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe\"",
    ),
    (
        "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe",
        "C:\\Windows\\System32\\dsac.exe",
        "\"C:\\Windows\\system32\\dsac.exe\"",
    ),
    (
        "C:\\Windows\\explorer.exe",
        "C:\\Windows\\System32\\cmd.exe",
        "\"C:\\Windows\\system32\\cmd.exe\"",
    ),
    (
        "C:\\Windows\\System32\\cmd.exe",
        "C:\\Windows\\System32\\repadmin.exe",
        "repadmin /replsummary",
    ),
    (
        "C:\\Windows\\System32\\cmd.exe",
        "C:\\Windows\\System32\\dcdiag.exe",
        "dcdiag /s:{dc} /q",
    ),
];

pub const HELPDESK: &[Proc] = &[
    (
        "C:\\Windows\\explorer.exe",
        "C:\\Windows\\System32\\mmc.exe",
        "\"C:\\Windows\\system32\\mmc.exe\" \"C:\\Windows\\system32\\dsa.msc\"",
    ),
    (
        "C:\\Windows\\System32\\cmd.exe",
        "C:\\Windows\\System32\\net.exe",
        "net user {user} /domain",
    ),
    (
        "C:\\Windows\\System32\\cmd.exe",
        "C:\\Windows\\System32\\gpresult.exe",
        "gpresult /r",
    ),
    (
        "C:\\Windows\\System32\\cmd.exe",
        "C:\\Windows\\System32\\PING.EXE",
        "ping -n 2 {fs}",
    ),
    (
        "C:\\Windows\\explorer.exe",
        "C:\\Program Files (x86)\\Microsoft\\Edge\\Application\\msedge.exe",
        "\"C:\\Program Files (x86)\\Microsoft\\Edge\\Application\\msedge.exe\" https://helpdesk.{domain}/tickets",
    ),
    (
        "C:\\Windows\\explorer.exe",
        "C:\\Windows\\System32\\cmd.exe",
        "\"C:\\Windows\\system32\\cmd.exe\"",
    ),
];

pub const NOC: &[Proc] = &[
    (
        "C:\\Windows\\explorer.exe",
        "C:\\Program Files\\PuTTY\\putty.exe",
        "\"C:\\Program Files\\PuTTY\\putty.exe\" -ssh {router_user}@{router}",
    ),
    (
        "C:\\Windows\\explorer.exe",
        "C:\\Program Files (x86)\\Microsoft\\Edge\\Application\\msedge.exe",
        "\"C:\\Program Files (x86)\\Microsoft\\Edge\\Application\\msedge.exe\" https://prtg.{domain}/",
    ),
    (
        "C:\\Windows\\System32\\cmd.exe",
        "C:\\Windows\\System32\\PING.EXE",
        "ping -t 10.{n}.7.1",
    ),
    (
        "C:\\Windows\\System32\\cmd.exe",
        "C:\\Windows\\System32\\TRACERT.EXE",
        "tracert 8.8.8.8",
    ),
    (
        "C:\\Windows\\explorer.exe",
        "C:\\Program Files\\Wireshark\\Wireshark.exe",
        "\"C:\\Program Files\\Wireshark\\Wireshark.exe\"",
    ),
];

/// Server processes, started by the system.
pub const SERVER: &[Proc] = &[
    (
        "C:\\Windows\\System32\\services.exe",
        "C:\\Windows\\System32\\svchost.exe",
        "C:\\Windows\\system32\\svchost.exe -k netsvcs -p -s BITS",
    ),
    (
        "C:\\Windows\\System32\\services.exe",
        "C:\\Windows\\servicing\\TrustedInstaller.exe",
        "C:\\Windows\\servicing\\TrustedInstaller.exe",
    ),
    (
        "C:\\Windows\\System32\\svchost.exe",
        "C:\\ProgramData\\Microsoft\\Windows Defender\\Platform\\4.18.24090.11-0\\MpCmdRun.exe",
        "\"C:\\ProgramData\\Microsoft\\Windows Defender\\Platform\\4.18.24090.11-0\\MpCmdRun.exe\" SignaturesUpdateService -ScheduleJob -UnmanagedUpdate",
    ),
    (
        "C:\\Windows\\System32\\svchost.exe",
        "C:\\Windows\\System32\\wermgr.exe",
        "C:\\Windows\\system32\\wermgr.exe -upload",
    ),
    (
        "C:\\Windows\\System32\\services.exe",
        "C:\\Windows\\System32\\msiexec.exe",
        "C:\\Windows\\system32\\msiexec.exe /V",
    ),
    (
        "C:\\Windows\\System32\\svchost.exe",
        "C:\\Windows\\System32\\sppsvc.exe",
        "C:\\Windows\\system32\\sppsvc.exe",
    ),
    (
        "C:\\Windows\\System32\\svchost.exe",
        "C:\\Windows\\System32\\taskhostw.exe",
        "taskhostw.exe SYSTEM",
    ),
];

pub const DC: &[Proc] = &[
    (
        "C:\\Windows\\System32\\services.exe",
        "C:\\Windows\\System32\\dfsrs.exe",
        "C:\\Windows\\system32\\DFSRs.exe",
    ),
    (
        "C:\\Windows\\System32\\svchost.exe",
        "C:\\Windows\\System32\\gpupdate.exe",
        "gpupdate.exe /target:computer",
    ),
    (
        "C:\\Windows\\System32\\services.exe",
        "C:\\Windows\\System32\\dns.exe",
        "C:\\Windows\\system32\\dns.exe",
    ),
];

pub const WEB: &[Proc] = &[(
    "C:\\Windows\\System32\\svchost.exe",
    "C:\\Windows\\System32\\inetsrv\\w3wp.exe",
    "c:\\windows\\system32\\inetsrv\\w3wp.exe -ap \"DefaultAppPool\" -v \"v4.0\" -l \"webengine4.dll\" -h \"C:\\inetpub\\temp\\apppools\\DefaultAppPool\\DefaultAppPool.config\" -w \"\" -m 0",
)];

pub const DATABASE: &[Proc] = &[
    (
        "C:\\Windows\\System32\\services.exe",
        "C:\\Program Files\\Microsoft SQL Server\\MSSQL15.MSSQLSERVER\\MSSQL\\Binn\\sqlservr.exe",
        "\"C:\\Program Files\\Microsoft SQL Server\\MSSQL15.MSSQLSERVER\\MSSQL\\Binn\\sqlservr.exe\" -sMSSQLSERVER",
    ),
    (
        "C:\\Program Files\\Microsoft SQL Server\\MSSQL15.MSSQLSERVER\\MSSQL\\Binn\\sqlservr.exe",
        "C:\\Program Files\\Microsoft SQL Server\\150\\Shared\\SqlWriter.exe",
        "\"C:\\Program Files\\Microsoft SQL Server\\150\\Shared\\sqlwriter.exe\"",
    ),
    (
        "C:\\Windows\\System32\\services.exe",
        "C:\\Program Files\\Microsoft SQL Server\\MSSQL15.MSSQLSERVER\\MSSQL\\Binn\\SQLAGENT.EXE",
        "\"C:\\Program Files\\Microsoft SQL Server\\MSSQL15.MSSQLSERVER\\MSSQL\\Binn\\SQLAGENT.EXE\" -i MSSQLSERVER",
    ),
];

pub const BACKUP: &[Proc] = &[
    (
        "C:\\Windows\\System32\\services.exe",
        "C:\\Program Files\\Veeam\\Backup and Replication\\Backup\\Veeam.Backup.Service.exe",
        "\"C:\\Program Files\\Veeam\\Backup and Replication\\Backup\\Veeam.Backup.Service.exe\"",
    ),
    (
        "C:\\Program Files\\Veeam\\Backup and Replication\\Backup\\Veeam.Backup.Service.exe",
        "C:\\Program Files\\Veeam\\Backup and Replication\\Backup\\Veeam.Backup.Manager.exe",
        "\"C:\\Program Files\\Veeam\\Backup and Replication\\Backup\\Veeam.Backup.Manager.exe\" startbackupjob {n}",
    ),
];

pub const MONITORING: &[Proc] = &[
    (
        "C:\\Windows\\System32\\services.exe",
        "C:\\Program Files (x86)\\PRTG Network Monitor\\PRTG Probe.exe",
        "\"C:\\Program Files (x86)\\PRTG Network Monitor\\PRTG Probe.exe\"",
    ),
    (
        "C:\\Program Files (x86)\\PRTG Network Monitor\\PRTG Probe.exe",
        "C:\\Program Files (x86)\\PRTG Network Monitor\\Sensor System\\PRTG_SNMP_Traffic.exe",
        "\"C:\\Program Files (x86)\\PRTG Network Monitor\\Sensor System\\PRTG_SNMP_Traffic.exe\" -host=10.{n}.7.1",
    ),
];

pub const SCHEDULED: &[Proc] = &[
    (
        "C:\\Windows\\System32\\svchost.exe",
        "C:\\Windows\\System32\\cleanmgr.exe",
        "\"C:\\Windows\\system32\\cleanmgr.exe\" /autoclean /d C:",
    ),
    (
        "C:\\Windows\\System32\\svchost.exe",
        "C:\\Windows\\System32\\defrag.exe",
        "C:\\Windows\\system32\\defrag.exe -c -h -o -$",
    ),
    (
        "C:\\Windows\\System32\\svchost.exe",
        "C:\\Windows\\System32\\sc.exe",
        "sc.exe query wuauserv",
    ),
    (
        "C:\\Windows\\System32\\svchost.exe",
        "C:\\Windows\\System32\\rundll32.exe",
        "C:\\Windows\\system32\\rundll32.exe C:\\Windows\\system32\\Windows.Storage.ApplicationData.dll,CleanupTemporaryState",
    ),
];

/// Linux server processes (cron, systemd timers, services).
pub const LINUX: &[Proc] = &[
    (
        "/usr/sbin/cron",
        "/bin/sh",
        "/bin/sh -c test -x /usr/sbin/anacron || ( cd / && run-parts --report /etc/cron.daily )",
    ),
    (
        "/usr/lib/systemd/systemd",
        "/usr/bin/apt-get",
        "/usr/bin/apt-get -qq update",
    ),
    (
        "/usr/sbin/cron",
        "/usr/sbin/logrotate",
        "/usr/sbin/logrotate /etc/logrotate.conf",
    ),
    (
        "/usr/lib/systemd/systemd",
        "/usr/bin/unattended-upgrade",
        "/usr/bin/python3 /usr/bin/unattended-upgrade --download-only",
    ),
    ("/usr/sbin/sshd", "/bin/bash", "-bash"),
    ("/bin/bash", "/usr/bin/systemctl", "systemctl status nginx"),
    (
        "/usr/lib/systemd/systemd",
        "/usr/lib/systemd/systemd-tmpfiles",
        "/usr/lib/systemd/systemd-tmpfiles --clean",
    ),
];

/// Sites staff reach (DNS queries, connections).
pub const DOMAINS: &[&str] = &[
    "outlook.office365.com",
    "login.microsoftonline.com",
    "www.google.com",
    "teams.microsoft.com",
    "ctldl.windowsupdate.com",
    "settings-win.data.microsoft.com",
    "www.bbc.com",
    "www.rnz.co.nz",
    "www.abc.net.au",
    "www.pacificislandtimes.com",
    "en.wikipedia.org",
    "www.youtube.com",
    "update.googleapis.com",
    "edge.microsoft.com",
    "www.spc.int",
    "www.forumsec.org",
    "web.whatsapp.com",
    "www.facebook.com",
    "ocsp.digicert.com",
    "api.weather.gov",
];

pub const DOCS: &[&str] = &[
    "Budget_2026_Q3",
    "Cabinet_brief",
    "Roster_June",
    "Network_changes",
    "Procurement_plan",
    "Minutes_weekly",
    "Tariff_review",
    "Travel_request",
    "Outage_report",
    "Staff_list",
    "Annual_report_draft",
    "Grant_proposal",
];

/// Commands network engineers run on routers.
pub const ROUTER_COMMANDS: &[&str] = &[
    "show interfaces summary",
    "show ip bgp summary",
    "show ip route",
    "show logging",
    "show processes cpu sorted",
    "show environment all",
    "show ip interface brief",
    "show running-config | include ntp",
    "ping 10.0.0.1",
    "show controllers",
    "show inventory",
    "show clock",
];

/// Operational commands on Junos devices (as `mgd` logs each command line).
pub const JUNOS_COMMANDS: &[&str] = &[
    "show interfaces terse",
    "show route summary",
    "show bgp summary",
    "show system alarms",
    "show chassis environment",
    "show log messages | last 50",
    "show configuration | compare rollback 1",
];

/// Configuration paths FortiOS logs an administrator editing (`cfgpath`).
pub const FORTIOS_PATHS: &[&str] = &[
    "firewall.address",
    "firewall.policy",
    "system.interface",
    "router.static",
    "system.snmp.community",
    "vpn.ssl.settings",
];

/// What RouterOS logs an administrator changing (`… changed by USER`).
pub const ROUTEROS_CHANGES: &[&str] = &["route", "address", "firewall filter rule", "dns settings", "ntp client"];

/// Internet user names that scanners try.
pub const SPRAY_USERS: &[&str] = &[
    "ADMIN",
    "administrator",
    "admin",
    "test",
    "user",
    "guest",
    "vpn",
    "support",
    "scanner",
    "backup",
];

/// Web pages of a customer portal or ministry site.
pub const PAGES: &[(&str, &str)] = &[
    ("GET", "/"),
    ("GET", "/index.aspx"),
    ("GET", "/css/site.css"),
    ("GET", "/js/app.js"),
    ("GET", "/images/logo.png"),
    ("GET", "/account/login.aspx"),
    ("POST", "/account/login.aspx"),
    ("GET", "/billing/summary.aspx"),
    ("GET", "/topup/plans.aspx"),
    ("POST", "/topup/pay.aspx"),
    ("GET", "/news/outages.aspx"),
    ("GET", "/favicon.ico"),
    ("GET", "/contact.aspx"),
    ("GET", "/robots.txt"),
];

pub const USER_AGENTS: &[&str] = &[
    "Mozilla/5.0+(Windows+NT+10.0;+Win64;+x64)+AppleWebKit/537.36+(KHTML,+like+Gecko)+Chrome/130.0.0.0+Safari/537.36",
    "Mozilla/5.0+(iPhone;+CPU+iPhone+OS+17_6+like+Mac+OS+X)+AppleWebKit/605.1.15+(KHTML,+like+Gecko)+Version/17.6+Mobile/15E148+Safari/604.1",
    "Mozilla/5.0+(Linux;+Android+14;+SM-A546E)+AppleWebKit/537.36+(KHTML,+like+Gecko)+Chrome/129.0.0.0+Mobile+Safari/537.36",
    "Mozilla/5.0+(compatible;+Googlebot/2.1;++http://www.google.com/bot.html)",
];

pub const MAIL_SENDERS: &[&str] = &[
    "newsletter@spc.int",
    "noreply@microsoft.com",
    "secretariat@forumsec.org",
    "billing@digicel.example",
    "info@pina.com.fj",
    "alerts@apnic.net",
    "procurement@adb.org",
    "no-reply@zoom.us",
];

pub const MAIL_SUBJECTS: &[&str] = &[
    "Weekly situation report",
    "Invoice for May",
    "Meeting invitation: regional ICT working group",
    "RE: Network maintenance window",
    "Training nomination",
    "Your password will expire in 7 days",
    "Quarterly newsletter",
    "FW: Budget figures",
    "APNIC member update",
    "Cable repair ship schedule",
];

/// Windows services whose state changes the Service Control Manager logs every day (7036),
/// by display name.
pub const ROUTINE_SERVICES: &[&str] = &[
    "Windows Update",
    "Background Intelligent Transfer Service",
    "Windows Modules Installer",
    "Delivery Optimization",
    "WinHTTP Web Proxy Auto-Discovery Service",
    "Software Protection",
    "Windows Error Reporting Service",
    "Microsoft Edge Update Service (edgeupdate)",
    "Network Setup Service",
    "Device Setup Manager",
];

/// Programs that crash now and then (Application Error 1000), with their module.
pub const CRASHING_APPS: &[(&str, &str)] = &[
    ("SearchProtocolHost.exe", "ntdll.dll"),
    ("backgroundTaskHost.exe", "combase.dll"),
    ("explorer.exe", "twinui.pcshell.dll"),
    ("msedge.exe", "msedge.dll"),
    ("OUTLOOK.EXE", "mso20win32client.dll"),
    ("Teams.exe", "KERNELBASE.dll"),
];

/// Script blocks (4104) of a server's own routine: monitoring agents, log housekeeping,
/// health checks. `{dc}` and `{fs}` are the organisation's servers.
pub const SERVER_SCRIPTS: &[&str] = &[
    "Get-Service -Name W32Time, WinRM, Dnscache | Select-Object Name, Status",
    "Get-PSDrive -PSProvider FileSystem | Select-Object Name, Used, Free",
    "Get-Counter -Counter '\\Processor(_Total)\\% Processor Time' -SampleInterval 5 -MaxSamples 3",
    "Import-Module ServerManager; Get-WindowsFeature | Where-Object Installed | Select-Object -ExpandProperty Name",
    "Resolve-DnsName -Name {dc} -Type A | Select-Object Name, IPAddress",
    "Get-HotFix | Sort-Object InstalledOn -Descending | Select-Object -First 5",
    "Get-ScheduledTask -TaskPath '\\Microsoft\\Windows\\UpdateOrchestrator\\' | Select-Object TaskName, State",
];

/// Script blocks of administrators and help desk at work.
pub const ADMIN_SCRIPTS: &[&str] = &[
    "Get-ADUser -Identity {user} -Properties LastLogonDate, PasswordLastSet, LockedOut",
    "Unlock-ADAccount -Identity {user}",
    "Get-DnsServerZone -ComputerName {dc} | Select-Object ZoneName, ZoneType",
    "Get-ADReplicationFailure -Target {dc}",
    "Get-SmbShare -CimSession {fs} | Select-Object Name, Path",
    "Restart-Service -Name Spooler -Force",
    "Get-GPResultantSetOfPolicy -ReportType Html -Path \"$env:TEMP\\rsop.html\"",
    "Get-Printer -ComputerName {fs} | Select-Object Name, PrinterStatus",
];

/// Script blocks of an office computer: the logon script that maps drives and printers.
pub const LOGON_SCRIPTS: &[&str] = &[
    "New-PSDrive -Name S -PSProvider FileSystem -Root \\\\{fs}\\Shared -Persist -Scope Global",
    "Add-Printer -ConnectionName \\\\{fs}\\Office-MFP",
    "Set-ItemProperty -Path 'HKCU:\\Software\\{netbios}\\Logon' -Name LastLogon -Value (Get-Date -Format s)",
];

/// Paths browsers fetch from public sites (through the web proxy).
pub const BROWSE_PATHS: &[&str] = &[
    "/",
    "/index.html",
    "/news/latest",
    "/static/js/app.js",
    "/static/css/site.css",
    "/images/logo.png",
    "/api/v1/status",
    "/favicon.ico",
];

/// The user agent of the browser on the organisations' computers, as a proxy logs it.
pub const BROWSER_AGENT: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36 Edg/130.0.0.0";

/// A Linux server's routine syslog: timers, time sync, log rotation.
pub const SERVER_SYSLOG: &[(&str, &str)] = &[
    ("systemd", "Started Daily apt download activities."),
    ("systemd", "Starting Rotate log files..."),
    ("systemd", "logrotate.service: Deactivated successfully."),
    (
        "systemd-timesyncd",
        "Initial synchronization to time server 10.0.0.123:123.",
    ),
    ("systemd", "Started Session 4 of User root."),
    ("rsyslogd", "[origin software=\"rsyslogd\"] rsyslogd was HUPed"),
    ("chronyd", "Selected source 10.0.0.123"),
];
