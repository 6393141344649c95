//! Wildcard patterns over a whole value: `*` any run of characters, `?` one character. A
//! backslash is always itself, so Windows paths such as `C:\Windows\*` read as typed; a literal
//! `*` or `?` is found with `?`. Letters match whatever their case (ASCII).

/// One piece of a pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    /// Bytes to match, ASCII-lowercased.
    Lit(Vec<u8>),
    /// One character.
    One,
    /// Any run of characters.
    Many,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pattern {
    parts: Vec<Part>,
}

impl Pattern {
    /// Reads `*` and `?`; every other character is itself.
    pub fn parse(text: &str) -> Pattern {
        let mut parts = Vec::new();
        let mut lit = Vec::new();
        let flush = |lit: &mut Vec<u8>, parts: &mut Vec<Part>| {
            if !lit.is_empty() {
                parts.push(Part::Lit(std::mem::take(lit)));
            }
        };
        for c in text.chars() {
            match c {
                '*' => {
                    flush(&mut lit, &mut parts);
                    if parts.last() != Some(&Part::Many) {
                        parts.push(Part::Many);
                    }
                }
                '?' => {
                    flush(&mut lit, &mut parts);
                    parts.push(Part::One);
                }
                c => push_lower(&mut lit, c),
            }
        }
        flush(&mut lit, &mut parts);
        Pattern { parts }
    }

    /// The pattern that finds `text` anywhere in a value (free-text search).
    pub fn anywhere(text: &str) -> Pattern {
        let mut pattern = Pattern::parse(text);
        if pattern.parts.first() != Some(&Part::Many) {
            pattern.parts.insert(0, Part::Many);
        }
        if pattern.parts.last() != Some(&Part::Many) {
            pattern.parts.push(Part::Many);
        }
        pattern
    }

    /// Whether every value matches (`*`).
    pub fn is_everything(&self) -> bool {
        self.parts.iter().all(|p| *p == Part::Many) && !self.parts.is_empty()
    }

    /// The longest run of plain characters, lowercased: every match contains it.
    pub fn longest_literal(&self) -> Option<&[u8]> {
        self.parts
            .iter()
            .filter_map(|p| match p {
                Part::Lit(l) => Some(l.as_slice()),
                _ => None,
            })
            .fold(None, |best: Option<&[u8]>, l| {
                if best.is_some_and(|b| b.len() >= l.len()) {
                    best
                } else {
                    Some(l)
                }
            })
    }

    pub fn is_match(&self, value: &[u8]) -> bool {
        let parts = &self.parts;
        let (mut p, mut i) = (0, 0);
        // After the last `*` seen: the part that follows it, and where its match was tried.
        let mut star: Option<(usize, usize)> = None;
        loop {
            if let Some(part) = parts.get(p) {
                match part {
                    Part::Many => {
                        star = Some((p + 1, i));
                        p += 1;
                        continue;
                    }
                    Part::One if i < value.len() => {
                        i += char_len(value[i]);
                        p += 1;
                        continue;
                    }
                    Part::Lit(lit)
                        if value.len() - i >= lit.len() && value[i..i + lit.len()].eq_ignore_ascii_case(lit) =>
                    {
                        i += lit.len();
                        p += 1;
                        continue;
                    }
                    _ => {}
                }
            } else if i == value.len() {
                return true;
            }
            match star {
                Some((after, tried)) if tried < value.len() => {
                    let next = tried + char_len(value[tried]);
                    star = Some((after, next));
                    p = after;
                    i = next;
                }
                _ => return false,
            }
        }
    }
}

fn push_lower(lit: &mut Vec<u8>, c: char) {
    let mut buf = [0; 4];
    lit.extend(c.encode_utf8(&mut buf).bytes().map(|b| b.to_ascii_lowercase()));
}

/// Bytes in the UTF-8 character that starts with `first` (1 for a stray continuation byte).
fn char_len(first: u8) -> usize {
    match first {
        0xf0.. => 4,
        0xe0.. => 3,
        0xc0.. => 2,
        _ => 1,
    }
}

#[cfg(test)]
mod tests {
    use super::Pattern;

    fn m(pattern: &str, value: &str) -> bool {
        Pattern::parse(pattern).is_match(value.as_bytes())
    }

    #[test]
    fn whole_values_with_wildcards() {
        assert!(m("*ntdsutil*", r#"ntdsutil "ac i ntds" ifm"#));
        assert!(m("*NTDSUTIL*", "C:\\Windows\\System32\\ntdsutil.exe"));
        assert!(m(
            r"*\powershell.exe",
            r"C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe"
        ));
        assert!(!m(r"*\powershell.exe", r"C:\x\powershell.exe.bak"));
        assert!(m("pt-dc0?", "PT-DC01"));
        assert!(!m("pt-dc0?", "PT-DC011"));
        assert!(m("a*b*c", "aXXbYYbZc"));
        assert!(!m("a*b*c", "aXXbYYbZ"));
        assert!(m("*", ""));
        assert!(!m("?", ""));
        assert!(m("?", "é"), "? is one character, not one byte");
        assert!(m("4624", "4624"));
        assert!(!m("4624", "46240"));
        assert!(m("", ""));
    }

    #[test]
    fn backslashes_are_themselves() {
        assert!(m(r"C:\Windows\*", r"C:\Windows\System32"));
        assert!(!m(r"C:\Windows\*", r"C:\Windowsx"));
        assert!(m(r"\\srv\share", r"\\srv\share"));
        assert!(m("what?", "what?"), "? finds a literal ?");
    }

    #[test]
    fn literals_for_the_prefilter() {
        assert_eq!(Pattern::parse("*NTDS*.dit").longest_literal(), Some(&b"ntds"[..]));
        assert_eq!(Pattern::parse("*").longest_literal(), None);
        assert!(Pattern::parse("**").is_everything());
        assert!(!Pattern::parse("").is_everything());
        assert!(Pattern::anywhere("ifm").is_match(b"create full c:\\temp IFM now"));
    }
}
