//! Feeds arbitrary text to the Sigma condition parser. It must answer with a tree or an error
//! whose column lies within the text, never panic or recurse without bound.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Err(e) = atoll_sigma::condition::parse(text) {
        assert!(!e.message.is_empty());
    }
});
