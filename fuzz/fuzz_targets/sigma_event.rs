//! Feeds arbitrary bytes to the event readers (JSON lines, nested EVTX-dump JSON) and matches
//! what they read against a small rule set. Events come from the network and from files
//! teams upload: no input may panic. The fast path for flat JSON lines must read exactly what
//! serde_json reads.
#![no_main]

use std::sync::OnceLock;

use atoll_sigma::{Config, Event, RuleSet};
use libfuzzer_sys::fuzz_target;

const RULES: &str = r#"
title: encoded powershell
logsource: {category: process_creation, product: windows}
detection:
  selection:
    Image|endswith: '\powershell.exe'
    CommandLine|contains|windash: ' -enc'
  filter:
    ParentImage|startswith: 'C:\Program Files\'
  condition: selection and not filter
---
title: keywords and numbers
logsource: {product: windows}
detection:
  words: ['mimikatz', 'sekurlsa::*']
  big:
    EventID|gte: 4000
    TargetUserName|re: '(?i)^adm'
  condition: words or big
---
title: address ranges
logsource: {category: firewall}
detection:
  selection:
    dst_ip|cidr: '10.0.0.0/8'
    dst_port: [445, 3389]
    Hashes|contains|all: ['MD5=', 'SHA256=']
  condition: selection or selection | near
"#;

fn set() -> &'static RuleSet {
    static SET: OnceLock<RuleSet> = OnceLock::new();
    SET.get_or_init(|| {
        let docs: Vec<&str> = RULES.split("\n---\n").collect();
        let rules = docs
            .iter()
            .filter_map(|d| atoll_sigma::load_str(d, &Config::default()).ok())
            .flat_map(|(rules, _)| rules)
            .collect();
        RuleSet::new(rules)
    })
}

fuzz_target!(|data: &[u8]| {
    let set = set();
    let mut scanner = set.scanner();
    let mut check = |e: &Event<'_>| {
        let fast = scanner.matches(e).to_vec();
        assert_eq!(fast, set.matches_unfiltered(e));
    };
    if let Ok(text) = std::str::from_utf8(data) {
        // The fast path for flat lines reads what serde_json reads, or both refuse.
        let fast = Event::from_json(text);
        let slow = Event::from_json_slow(text);
        match (&fast, &slow) {
            (Ok(a), Ok(b)) => assert_eq!(a, b, "{text:?}"),
            (Err(_), Err(_)) => {}
            _ => panic!("{text:?}: fast path {fast:?}, serde_json {slow:?}"),
        }
        if let Ok(e) = fast {
            check(&e);
        }
    }
    let _ = atoll_sigma::input::read_json_lines(data, &mut |_, e| check(e), &mut |_| {});
    atoll_sigma::input::read_json_objects(data, &mut |_, e| check(e), &mut |_| {});
});
