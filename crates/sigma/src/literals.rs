//! Finding which of many literals occur anywhere in a text.
//!
//! An Aho-Corasick automaton over the thousands of literals SigmaHQ's process rules look for in
//! a command line takes a table step per byte of text, each step waiting for the one before
//! it, in a table far larger than the processor's caches. Here, instead:
//! - each literal of 4 bytes or more is stood for by one of its 4-byte substrings, its
//!   *anchor*: the one fewest other literals of the set share;
//! - at every position of the text, a bitmap indexed by a hash of the 4 bytes there tells
//!   whether some anchor may start there. Positions do not depend on each other, so the
//!   processor works on several at once, and the bitmap (at most 32 KiB) stays in its
//!   caches;
//! - where it says so, the literals of that anchor are compared with the text (their last
//!   4 bytes first);
//! - literals of 1 to 3 bytes are found the same way by their first two bytes, in a second
//!   bitmap (8 KiB, only when the set has such literals), except those that start with
//!   [`START`] or end with [`END`], the marks a caller writes around each value: those are
//!   compared only where the text has the mark.
//!
//! Most positions of real text hit no bitmap, so the cost is a few instructions per byte. The work where they do hit is bounded: literals that would make it large (more than
//! [`MAX_PER_ANCHOR`] sharing an anchor, or longer than [`MAX_COMPARED_LEN`]) are left to an
//! Aho-Corasick automaton walked over the text instead, whose time is linear whatever the
//! text. Real rule sets put few literals there, or none.

use aho_corasick::nfa::contiguous;
use aho_corasick::{Anchored, MatchKind, StartKind, dfa};

/// Bytes that a caller writes only around the values it searches (never in UTF-8 text): a
/// 2- or 3-byte literal that starts with `START` is compared only where the text has one,
/// and one that ends with `END` only where the text has that, instead of at every position.
pub(crate) const START: u8 = 0xFF;
pub(crate) const END: u8 = 0xFE;

/// Literals that share an anchor at most, and the longest literal compared at a hit; the
/// others go to the automaton. Together they bound the work at one position of the text to
/// 4 × 128 bytes compared, whatever the text (a 4 MB value of `a` against literals made of
/// `a` with one `b` costs tens of milliseconds; with 8 × 256 it cost seconds).
const MAX_PER_ANCHOR: usize = 4;
const MAX_COMPARED_LEN: usize = 128;
/// Automata over more literals than this are compact NFAs rather than DFAs, whose tables
/// grow with literals × byte classes.
const DFA_MAX_LITERALS: usize = 200;
/// Hash of 4 bytes (Fibonacci hashing: the top bits depend on every input bit).
const HASH: u32 = 0x9E37_79B1;
const NONE: u32 = u32::MAX;

/// Literals found anywhere in a text; see the module documentation.
#[derive(Debug)]
pub(crate) struct Literals {
    /// Literals of 4 bytes or more: bitmap of their anchors' hashes (indexed by the hash's top
    /// bits), and an open-addressing table of anchors by the same hash.
    long_bits: Vec<u64>,
    long_shift: u32,
    table: Vec<Anchor>,
    table_shift: u32,
    /// Every literal's bytes, one after another: anchors point into it.
    bytes: Vec<u8>,
    /// Literals of 1 to 3 bytes: bitmap by their first two bytes (empty when there are none).
    short_bits: Vec<u64>,
    /// One-byte literals by their byte, or [`NONE`].
    single: Vec<u32>,
    /// Two- and three-byte literals sorted by first byte; those of byte `b` are
    /// `short[short_from[b]..short_from[b + 1]]`.
    short: Vec<Short>,
    short_from: Vec<u32>,
    /// Two- and three-byte literals that start with [`START`], sorted by their second byte,
    /// and those that end with [`END`] (and do not start with `START`), sorted by the byte
    /// before it.
    after_start: Vec<Marked>,
    before_end: Vec<Marked>,
    /// Literals left to an automaton, with its pattern index → literal index.
    fallback: Option<Fallback>,
}

/// A literal of 4 bytes or more, by its anchor. `len == 0` marks an empty table slot.
#[derive(Debug, Clone, Copy, Default)]
struct Anchor {
    gram: u32,
    /// The literal's last 4 bytes, compared before the rest.
    tail: u32,
    /// Where the anchor starts in the literal.
    offset: u16,
    len: u16,
    /// Where the literal's bytes start in `bytes`.
    at: u32,
    literal: u32,
}

#[derive(Debug, Clone, Copy)]
struct Short {
    second: u8,
    /// The third byte of a three-byte literal.
    third: Option<u8>,
    literal: u32,
}

/// A 2- or 3-byte literal next to a mark: its bytes, and its key (the byte after `START` or
/// the byte before `END`).
#[derive(Debug, Clone, Copy)]
struct Marked {
    key: u8,
    bytes: [u8; 3],
    len: u8,
    literal: u32,
}

#[derive(Debug)]
struct Fallback {
    automaton: Automaton,
    literals: Vec<u32>,
    /// The bytes its literals start with: until one is seen, the walk stays at its start.
    first: StartBytes,
}

#[derive(Debug)]
enum Automaton {
    Dfa(dfa::DFA),
    Nfa(contiguous::NFA),
}

#[derive(Debug)]
enum StartBytes {
    One(u8),
    Two(u8, u8),
    Three(u8, u8, u8),
    Any(Box<[bool; 256]>),
}

impl StartBytes {
    fn find(&self, text: &[u8]) -> Option<usize> {
        match self {
            StartBytes::One(a) => memchr::memchr(*a, text),
            StartBytes::Two(a, b) => memchr::memchr2(*a, *b, text),
            StartBytes::Three(a, b, c) => memchr::memchr3(*a, *b, *c, text),
            StartBytes::Any(table) => text.iter().position(|&b| table[b as usize]),
        }
    }
}

impl Literals {
    /// The finder for `literals` (none empty); [`Literals::find`] reports their indexes.
    pub(crate) fn new<L: AsRef<[u8]>>(literals: &[L]) -> Literals {
        let gram = |l: &[u8], at: usize| u32::from_le_bytes([l[at], l[at + 1], l[at + 2], l[at + 3]]);
        let mut bytes = Vec::new();
        let mut at = Vec::with_capacity(literals.len());
        for l in literals {
            at.push(bytes.len() as u32);
            bytes.extend_from_slice(l.as_ref());
        }

        // How many literals hold each 4-byte gram, and how often each byte is used: rare
        // grams make selective anchors.
        let mut holders: HashMap<u32, u32> = HashMap::default();
        let mut byte_uses = [0u64; 256];
        let mut seen: Vec<u32> = Vec::new();
        for l in literals {
            let l = l.as_ref();
            for &b in l {
                byte_uses[b as usize] += 1;
            }
            if l.len() >= 4 {
                seen.clear();
                seen.extend((0..=l.len() - 4).map(|at| gram(l, at)));
                seen.sort_unstable();
                seen.dedup();
                for &g in &seen {
                    *holders.entry(g).or_default() += 1;
                }
            }
        }

        let mut anchors: Vec<Anchor> = Vec::new();
        let mut taken: HashMap<u32, usize> = HashMap::default();
        let mut single = Vec::new();
        let mut short: Vec<(u8, Short)> = Vec::new();
        let (mut after_start, mut before_end) = (Vec::new(), Vec::new());
        let mut left = Vec::new();
        for (i, l) in literals.iter().enumerate() {
            let l = l.as_ref();
            match l.len() {
                0 => {}
                1 => {
                    if single.is_empty() {
                        single = vec![NONE; 256];
                    }
                    // A literal given twice: the automaton finds the second.
                    if single[l[0] as usize] == NONE {
                        single[l[0] as usize] = i as u32;
                    } else {
                        left.push(i as u32);
                    }
                }
                2..=3 if l[0] == START || l[l.len() - 1] == END => {
                    let mut bytes = [0; 3];
                    bytes[..l.len()].copy_from_slice(l);
                    let (list, key) = if l[0] == START {
                        (&mut after_start, l[1])
                    } else {
                        (&mut before_end, l[l.len() - 2])
                    };
                    list.push(Marked {
                        key,
                        bytes,
                        len: l.len() as u8,
                        literal: i as u32,
                    });
                }
                2..=3 => short.push((
                    l[0],
                    Short {
                        second: l[1],
                        third: l.get(2).copied(),
                        literal: i as u32,
                    },
                )),
                n if n > MAX_COMPARED_LEN => left.push(i as u32),
                n => {
                    // The anchor fewest literals share so far, then fewest in the whole set,
                    // then made of the rarest bytes.
                    let best = (0..=n - 4)
                        .min_by_key(|&at| {
                            let g = gram(l, at);
                            let rarity: u64 = l[at..at + 4].iter().map(|&b| byte_uses[b as usize]).sum();
                            (taken.get(&g).copied().unwrap_or(0), holders[&g], rarity)
                        })
                        .unwrap_or(0);
                    let g = gram(l, best);
                    let count = taken.entry(g).or_default();
                    if *count >= MAX_PER_ANCHOR {
                        left.push(i as u32);
                    } else {
                        *count += 1;
                        anchors.push(Anchor {
                            gram: g,
                            tail: gram(l, n - 4),
                            offset: best as u16,
                            len: n as u16,
                            at: at[i],
                            literal: i as u32,
                        });
                    }
                }
            }
        }

        // Long literals: about 16 bitmap bits per anchor, so that a text position whose 4
        // bytes are no anchor hits the bitmap one time in 16 or fewer; a table at most half
        // full.
        let (mut long_bits, mut long_shift, mut table, mut table_shift) = (Vec::new(), 32, Vec::new(), 32);
        if !anchors.is_empty() {
            let bits = (anchors.len() * 16).next_power_of_two().clamp(256, 1 << 18);
            let slots = (anchors.len() * 2).next_power_of_two().max(16);
            long_shift = 32 - bits.trailing_zeros();
            table_shift = 32 - slots.trailing_zeros();
            long_bits = vec![0u64; bits / 64];
            table = vec![Anchor::default(); slots];
            for a in &anchors {
                let h = a.gram.wrapping_mul(HASH);
                let bit = (h >> long_shift) as usize;
                long_bits[bit / 64] |= 1 << (bit % 64);
                let mut slot = (h >> table_shift) as usize;
                while table[slot].len != 0 {
                    slot = (slot + 1) % slots;
                }
                table[slot] = *a;
            }
        }

        // Short literals, by first byte; past the bound on one first two bytes, the rest go
        // to the automaton.
        short.sort_by_key(|(first, s)| (*first, s.second, s.literal));
        let mut kept: Vec<(u8, Short)> = Vec::with_capacity(short.len());
        for run in short.chunk_by(|a, b| (a.0, a.1.second) == (b.0, b.1.second)) {
            let (keep, rest) = run.split_at(run.len().min(MAX_PER_ANCHOR));
            kept.extend_from_slice(keep);
            left.extend(rest.iter().map(|(_, s)| s.literal));
        }
        let (mut short_bits, mut short_from) = (Vec::new(), Vec::new());
        if !single.is_empty() || !kept.is_empty() {
            short_bits = vec![0u64; 65536 / 64];
            let mut set = |first: u8, second: u8| {
                let key = usize::from(u16::from_le_bytes([first, second]));
                short_bits[key / 64] |= 1 << (key % 64);
            };
            for (b, &lit) in single.iter().enumerate() {
                if lit != NONE {
                    // Whatever follows the byte, or nothing (the last position reads 0).
                    for next in 0..=255 {
                        set(b as u8, next);
                    }
                }
            }
            for (first, s) in &kept {
                set(*first, s.second);
            }
            short_from = vec![0u32; 257];
            for (first, _) in &kept {
                short_from[usize::from(*first) + 1] += 1;
            }
            for b in 1..short_from.len() {
                short_from[b] += short_from[b - 1];
            }
        }
        let short = kept.into_iter().map(|(_, s)| s).collect();
        after_start.sort_by_key(|m: &Marked| (m.key, m.literal));
        before_end.sort_by_key(|m: &Marked| (m.key, m.literal));

        left.sort_unstable();
        let fallback = (!left.is_empty()).then(|| {
            let patterns: Vec<&[u8]> = left.iter().map(|&i| literals[i as usize].as_ref()).collect();
            let mut firsts: Vec<u8> = patterns.iter().map(|p| p[0]).collect();
            firsts.sort_unstable();
            firsts.dedup();
            let first = match firsts[..] {
                [a] => StartBytes::One(a),
                [a, b] => StartBytes::Two(a, b),
                [a, b, c] => StartBytes::Three(a, b, c),
                _ => {
                    let mut table = Box::new([false; 256]);
                    for b in firsts {
                        table[b as usize] = true;
                    }
                    StartBytes::Any(table)
                }
            };
            Fallback {
                automaton: automaton(&patterns),
                literals: left,
                first,
            }
        });
        Literals {
            long_bits,
            long_shift,
            table,
            table_shift,
            bytes,
            short_bits,
            single,
            short,
            short_from,
            after_start,
            before_end,
            fallback,
        }
    }

    /// Reports the index of every literal that occurs in `text`, at least once each (a
    /// literal found at several places may be reported at each).
    pub(crate) fn find(&self, text: &[u8], mut report: impl FnMut(usize)) {
        if !self.long_bits.is_empty() && text.len() >= 4 {
            self.find_long(text, &mut report);
        }
        if !self.short_bits.is_empty() {
            self.find_short(text, &mut report);
        }
        if !self.after_start.is_empty() {
            for at in memchr::memchr_iter(START, text) {
                let Some(&key) = text.get(at + 1) else { continue };
                let from = self.after_start.partition_point(|m| m.key < key);
                for m in self.after_start[from..].iter().take_while(|m| m.key == key) {
                    if text.get(at..at + usize::from(m.len)) == Some(&m.bytes[..usize::from(m.len)]) {
                        report(m.literal as usize);
                    }
                }
            }
        }
        if !self.before_end.is_empty() {
            for at in memchr::memchr_iter(END, text) {
                let Some(&key) = at.checked_sub(1).and_then(|k| text.get(k)) else {
                    continue;
                };
                let from = self.before_end.partition_point(|m| m.key < key);
                for m in self.before_end[from..].iter().take_while(|m| m.key == key) {
                    let len = usize::from(m.len);
                    if let Some(start) = (at + 1).checked_sub(len)
                        && text[start..=at] == m.bytes[..len]
                    {
                        report(m.literal as usize);
                    }
                }
            }
        }
        if let Some(fallback) = &self.fallback {
            fallback.find(text, &mut report);
        }
    }

    fn find_long(&self, text: &[u8], report: &mut impl FnMut(usize)) {
        let bits = &self.long_bits[..];
        let (shift, table_shift, mask) = (self.long_shift, self.table_shift, self.table.len() - 1);
        // The 4 bytes ending at each position, rolled in a byte at a time.
        let mut g = u32::from_le_bytes([0, text[0], text[1], text[2]]);
        for (start, &byte) in text[3..].iter().enumerate() {
            g = (g >> 8) | u32::from(byte) << 24;
            let h = g.wrapping_mul(HASH);
            let bit = (h >> shift) as usize;
            if bits[bit / 64] & (1 << (bit % 64)) == 0 {
                continue;
            }
            let mut slot = (h >> table_shift) as usize;
            loop {
                let a = &self.table[slot];
                if a.len == 0 {
                    break;
                }
                if a.gram == g
                    && let Some(from) = start.checked_sub(usize::from(a.offset))
                    && let Some(found) = text.get(from..from + usize::from(a.len))
                    && found[found.len() - 4..] == a.tail.to_le_bytes()
                    && Some(found) == self.bytes.get(a.at as usize..a.at as usize + usize::from(a.len))
                {
                    report(a.literal as usize);
                }
                slot = (slot + 1) & mask;
            }
        }
    }

    fn find_short(&self, text: &[u8], report: &mut impl FnMut(usize)) {
        let bits = &self.short_bits[..];
        let Some(&first) = text.first() else { return };
        // The two bytes starting at each position (the last one followed by 0).
        let mut current = first;
        for (at, &next) in text[1..].iter().chain([&0]).enumerate() {
            let byte = current;
            current = next;
            let key = usize::from(u16::from_le_bytes([byte, next]));
            if bits[key / 64] & (1 << (key % 64)) == 0 {
                continue;
            }
            if let Some(&lit) = self.single.get(usize::from(byte))
                && lit != NONE
            {
                report(lit as usize);
            }
            let (from, to) = (
                self.short_from[usize::from(byte)],
                self.short_from[usize::from(byte) + 1],
            );
            for s in &self.short[from as usize..to as usize] {
                if s.second == next
                    && at + 1 < text.len()
                    && s.third.is_none_or(|third| text.get(at + 2) == Some(&third))
                {
                    report(s.literal as usize);
                }
            }
        }
    }
}

impl Fallback {
    /// Walks the automaton over `text`, one table step per byte, reporting overlapping
    /// matches too; back at its start state, it skips to the next byte a literal starts with.
    fn find(&self, text: &[u8], report: &mut impl FnMut(usize)) {
        match &self.automaton {
            Automaton::Dfa(dfa) => self.walk(dfa, text, report),
            Automaton::Nfa(nfa) => self.walk(nfa, text, report),
        }
    }

    fn walk<A: aho_corasick::automaton::Automaton>(&self, automaton: &A, text: &[u8], report: &mut impl FnMut(usize)) {
        let Ok(start) = automaton.start_state(Anchored::No) else {
            return;
        };
        let mut sid = start;
        let mut at = 0;
        while at < text.len() {
            if sid == start {
                match self.first.find(&text[at..]) {
                    Some(skip) => at += skip,
                    None => return,
                }
            }
            sid = automaton.next_state(Anchored::No, sid, text[at]);
            if automaton.is_special(sid) && automaton.is_match(sid) {
                for i in 0..automaton.match_len(sid) {
                    report(self.literals[automaton.match_pattern(sid, i).as_usize()] as usize);
                }
            }
            at += 1;
        }
    }
}

type HashMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::FixedState>;

fn automaton(patterns: &[&[u8]]) -> Automaton {
    let nfa = || {
        contiguous::NFA::builder()
            .match_kind(MatchKind::Standard)
            .prefilter(false)
            .build(patterns)
            .expect("literal patterns always build")
    };
    if patterns.len() <= DFA_MAX_LITERALS {
        dfa::DFA::builder()
            .match_kind(MatchKind::Standard)
            .prefilter(false)
            .start_kind(StartKind::Unanchored)
            .build(patterns)
            .map_or_else(|_| Automaton::Nfa(nfa()), Automaton::Dfa)
    } else {
        Automaton::Nfa(nfa())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The literals `find` reports, each once, sorted.
    fn found(literals: &[&[u8]], text: &[u8]) -> Vec<usize> {
        let set = Literals::new(literals);
        let mut out = Vec::new();
        set.find(text, |i| out.push(i));
        out.sort_unstable();
        out.dedup();
        out
    }

    /// What a plain search of each literal finds.
    fn naive(literals: &[&[u8]], text: &[u8]) -> Vec<usize> {
        (0..literals.len())
            .filter(|&i| memchr::memmem::find(text, literals[i]).is_some())
            .collect()
    }

    #[test]
    fn finds_literals_of_every_length_at_every_place() {
        let literals: [&[u8]; 7] = [b"c", b"md", b"cmd", b"cmd.exe", b"/c whoami", b"whoami", b"exe /"];
        let text = b"c:\\windows\\cmd.exe /c whoami";
        assert_eq!(found(&literals, text), vec![0, 1, 2, 3, 4, 5, 6]);
        // At the very start and the very end, and nothing that is not there.
        assert_eq!(
            found(&[b"ab", b"yz", b"abcd", b"wxyz", b"q"], b"abcdwxyz"),
            vec![0, 1, 2, 3]
        );
        assert_eq!(found(&[b"abcde", b"zz"], b"abcd"), Vec::<usize>::new());
    }

    #[test]
    fn many_literals_with_one_anchor_are_all_found() {
        // `aaaa`, `aaaaa`, … up to 40 bytes: their only 4-byte substring is `aaaa`, so all
        // share one anchor and most go to the automaton; all must still be found.
        let owned: Vec<Vec<u8>> = (4..=40).map(|n| vec![b'a'; n]).collect();
        let literals: Vec<&[u8]> = owned.iter().map(Vec::as_slice).collect();
        let set = Literals::new(&literals);
        assert!(
            set.fallback.is_some(),
            "past {MAX_PER_ANCHOR} on one anchor, the automaton takes over"
        );
        let text = b"xx aaaaaaaaaa yy aaaaa";
        assert_eq!(found(&literals, text), naive(&literals, text));
        // `aaaa` to `aaaaaaaaaa`: the first 7 literals.
        assert_eq!(found(&literals, text), (0..7).collect::<Vec<_>>());
    }

    #[test]
    fn short_literals_next_to_a_mark_are_found_only_there() {
        let (s, e) = (START, END);
        let owned: Vec<Vec<u8>> = vec![
            vec![s, b'a'],
            vec![s, b'a', e],
            vec![b'a', e],
            vec![b'b', b'c', e],
            vec![s, b'b', b'c'],
            b"bc".to_vec(),
        ];
        let literals: Vec<&[u8]> = owned.iter().map(Vec::as_slice).collect();
        // Two framed values: `a` and `xbc`.
        let text = [s, b'a', e, s, b'x', b'b', b'c', e];
        assert_eq!(found(&literals, &text), naive(&literals, &text));
        assert_eq!(found(&literals, &text), vec![0, 1, 2, 3, 5]);
        assert_eq!(found(&literals, &[s, b'b', b'c', b'd', e]), vec![4, 5]);
    }

    #[test]
    fn long_and_repeated_literals() {
        let long = vec![b'x'; MAX_COMPARED_LEN + 1];
        let literals: [&[u8]; 4] = [&long, b"x", b"x", b"xxxx"];
        assert_eq!(found(&literals, &[b'x'; 2 * MAX_COMPARED_LEN]), vec![0, 1, 2, 3]);
        assert_eq!(found(&literals, &[b'x'; MAX_COMPARED_LEN]), vec![1, 2, 3]);
    }

    proptest! {
        /// On random literals over a small alphabet, so that they often overlap and share
        /// anchors, and random texts: exactly the literals a plain search finds.
        #[test]
        fn finds_what_a_plain_search_finds(
            literals in proptest::collection::vec(proptest::collection::vec(
                proptest::sample::select(vec![b'a', b'b', b'c', b'd', b'e', START, END]), 1..12), 1..80),
            text in proptest::collection::vec(
                proptest::sample::select(vec![b'a', b'b', b'c', b'd', b'e', b'f', START, END]), 0..200),
        ) {
            let literals: Vec<&[u8]> = literals.iter().map(Vec::as_slice).collect();
            prop_assert_eq!(found(&literals, &text), naive(&literals, &text));
        }
    }
}
