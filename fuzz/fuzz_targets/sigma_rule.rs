//! Feeds arbitrary bytes through the Sigma rule loader and, when rules load, through the
//! engine: compiling a rule set, correlations and matching a few events. Any panic, overflow
//! or runaway allocation is a bug.
#![no_main]

use atoll_sigma::{Config, Event, RuleSet, Stream};
use libfuzzer_sys::fuzz_target;

const EVENTS: &[&str] = &[
    r#"{"Channel":"Microsoft-Windows-Sysmon/Operational","EventID":1,"Image":"C:\\Windows\\System32\\cmd.exe","CommandLine":"cmd /c whoami /all","ParentImage":"C:\\Windows\\explorer.exe","User":"CORP\\ana","@timestamp":"2026-06-01T10:00:00Z"}"#,
    r#"{"Channel":"Security","EventID":"4688","NewProcessName":"C:\\Tools\\PsExec.exe","CommandLine":"psexec \\\\dc01 -s cmd","SubjectUserName":"it","SubjectDomainName":"CORP"}"#,
    r#"{"log":"dns","query":"update.example.org","src_ip":"10.1.2.3","EventID":22,"n":[1,2.5,true,null]}"#,
    r#"{"Event":{"System":{"Channel":"System","EventID":7045,"Computer":"ws1"},"EventData":{"ServiceName":"x","ImagePath":"%COMSPEC% /c echo"}}}"#,
];

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let mut config = Config::default();
    config.placeholders.insert("hosts".into(), vec!["dc01".into(), "ws*".into()]);
    let (rules, correlations) = match atoll_sigma::load_str(text, &config) {
        Ok(loaded) => loaded,
        Err(errors) => {
            assert!(!errors.is_empty());
            return;
        }
    };
    let set = RuleSet::new(rules);
    let events: Vec<Event<'_>> = EVENTS.iter().map(|e| Event::from_json(e).expect("valid event")).collect();
    for e in &events {
        let fast = set.matches(e);
        // The prefilter only drops rules that cannot match.
        assert_eq!(fast, set.matches_unfiltered(e));
        let _ = set.matches_ignoring_logsource(e);
    }
    if let Ok(mut stream) = Stream::new(&set, correlations) {
        for e in events.iter().cycle().take(16) {
            let _ = stream.push(e);
        }
    }
});
