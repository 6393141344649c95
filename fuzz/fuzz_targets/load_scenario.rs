//! Feeds arbitrary bytes through the whole loader: text decoding, YAML parsing, model decoding
//! and semantic checks. Any panic, overflow or runaway allocation is a bug.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = atoll_scenario::yaml::decode_text(data) else { return };
    if let Err(diagnostics) = atoll_scenario::load_str(&text, None) {
        assert!(!diagnostics.is_empty());
        for d in &diagnostics {
            let _ = d.render("fuzz.yaml", Some(&text));
        }
    }
});
