//! The fast path for the lines atoll writes and most tools emit: one flat JSON object whose
//! values are strings, integers, booleans or null.
//!
//! It reads the line in one pass, borrowing every string without escapes, and gives up
//! (returns `None`) on anything else — nested objects and lists, non-integer numbers, invalid
//! JSON — so that [`crate::Event::from_json`] reads those through serde_json, which also
//! produces the error messages. Whatever it accepts, it reads exactly as that slower path
//! does; a property test holds the two to the same result.

use std::borrow::Cow;

use crate::event::Value;

type Fields<'a> = Vec<(Cow<'a, str>, Value<'a>)>;

/// The fields of a flat JSON object, or `None` if the text is not one this path reads.
pub(crate) fn parse(text: &str) -> Option<Fields<'_>> {
    let mut p = Parser {
        text,
        bytes: text.as_bytes(),
        at: 0,
    };
    // Room for a typical Windows event's fields, grown once at most.
    let mut fields = Vec::with_capacity(32);
    p.skip_ws();
    p.expect(b'{')?;
    p.skip_ws();
    if p.peek() == Some(b'}') {
        p.at += 1;
    } else {
        loop {
            p.expect(b'"')?;
            let name = p.string()?;
            p.skip_ws();
            p.expect(b':')?;
            p.skip_ws();
            let value = p.value()?;
            fields.push((name, value));
            p.skip_ws();
            match p.next()? {
                b',' => p.skip_ws(),
                b'}' => break,
                _ => return None,
            }
        }
    }
    p.skip_ws();
    (p.at == p.bytes.len()).then_some(fields)
}

struct Parser<'a> {
    text: &'a str,
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Parser<'a> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.at).copied()
    }

    fn next(&mut self) -> Option<u8> {
        let b = self.peek()?;
        self.at += 1;
        Some(b)
    }

    fn expect(&mut self, want: u8) -> Option<()> {
        (self.next()? == want).then_some(())
    }

    fn skip_ws(&mut self) {
        while let Some(b' ' | b'\n' | b'\r' | b'\t') = self.peek() {
            self.at += 1;
        }
    }

    fn value(&mut self) -> Option<Value<'a>> {
        match self.peek()? {
            b'"' => {
                self.at += 1;
                self.string().map(Value::Str)
            }
            b't' => self.word("true", Value::Bool(true)),
            b'f' => self.word("false", Value::Bool(false)),
            b'n' => self.word("null", Value::Null),
            b'-' | b'0'..=b'9' => self.integer(),
            _ => None,
        }
    }

    fn word(&mut self, word: &str, value: Value<'a>) -> Option<Value<'a>> {
        let end = self.at + word.len();
        (self.bytes.get(self.at..end)? == word.as_bytes()).then(|| {
            self.at = end;
            value
        })
    }

    /// An integer that fits an `i64`; fractions, exponents and larger numbers are left to
    /// serde_json, whose float parsing this path does not repeat.
    fn integer(&mut self) -> Option<Value<'a>> {
        let start = self.at;
        let negative = self.peek() == Some(b'-');
        if negative {
            self.at += 1;
        }
        let digits = self.at;
        let mut n: i64 = 0;
        while let Some(b @ b'0'..=b'9') = self.peek() {
            let d = i64::from(b - b'0');
            n = n.checked_mul(10)?;
            n = if negative { n.checked_sub(d)? } else { n.checked_add(d)? };
            self.at += 1;
        }
        let len = self.at - digits;
        // JSON has no leading zeros, and a number has digits.
        if len == 0 || (len > 1 && self.bytes[digits] == b'0') {
            return None;
        }
        if let Some(b'.' | b'e' | b'E') = self.peek() {
            return None;
        }
        // `-0` is a float to serde_json.
        if negative && n == 0 {
            self.at = start;
            return None;
        }
        Some(Value::Int(n))
    }

    /// The rest of a string whose opening quote has been read.
    fn string(&mut self) -> Option<Cow<'a, str>> {
        let start = self.at;
        let stop = self.to_special(start);
        if self.bytes.get(stop)? == &b'"' {
            self.at = stop + 1;
            return Some(Cow::Borrowed(&self.text[start..stop]));
        }
        // Decoding only shortens the text, so its raw length is room enough.
        let mut owned = String::with_capacity(self.raw_end(stop) - start);
        let mut from = start;
        let mut at = stop;
        loop {
            owned.push_str(&self.text[from..at]);
            match self.bytes.get(at)? {
                b'"' => {
                    self.at = at + 1;
                    return Some(Cow::Owned(owned));
                }
                b'\\' => {
                    at = self.escape(at + 1, &mut owned)?;
                    from = at;
                    at = self.to_special(at);
                }
                // A control character: invalid JSON.
                _ => return None,
            }
        }
    }

    /// Where the string that goes on at `from` ends: its first quote after an even number of
    /// backslashes, or the end of the text.
    fn raw_end(&self, from: usize) -> usize {
        let mut at = from;
        while let Some(found) = memchr::memchr(b'"', &self.bytes[at..]) {
            let quote = at + found;
            let slashes = self.bytes[from..quote]
                .iter()
                .rev()
                .take_while(|&&b| b == b'\\')
                .count();
            if slashes % 2 == 0 {
                return quote;
            }
            at = quote + 1;
        }
        self.bytes.len()
    }

    /// Decodes the escape after a backslash at `at`, returning where the text goes on.
    fn escape(&self, at: usize, out: &mut String) -> Option<usize> {
        let c = match self.bytes.get(at)? {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => {
                let high = self.hex4(at + 1)?;
                let (c, next) = match high {
                    0xD800..=0xDBFF => {
                        // A surrogate pair; a lone half is an error serde_json reports.
                        if self.bytes.get(at + 5..at + 7)? != b"\\u" {
                            return None;
                        }
                        let low = self.hex4(at + 7)?;
                        if !(0xDC00..=0xDFFF).contains(&low) {
                            return None;
                        }
                        let code = 0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00);
                        (char::from_u32(code)?, at + 11)
                    }
                    0xDC00..=0xDFFF => return None,
                    _ => (char::from_u32(high)?, at + 5),
                };
                out.push(c);
                return Some(next);
            }
            _ => return None,
        };
        out.push(c);
        Some(at + 1)
    }

    fn hex4(&self, at: usize) -> Option<u32> {
        let digits = self.bytes.get(at..at + 4)?;
        digits
            .iter()
            .try_fold(0u32, |n, &b| Some(n * 16 + char::from(b).to_digit(16)?))
    }

    /// The first quote, backslash or control character at or after `from` (or the end),
    /// eight bytes at a time.
    fn to_special(&self, from: usize) -> usize {
        const ONES: u64 = 0x0101_0101_0101_0101;
        const HIGHS: u64 = 0x8080_8080_8080_8080;
        // The high bit of each byte of `v` that is zero. A byte can also be flagged wrongly,
        // but only above one rightly flagged, so the lowest flag is exact.
        let zero = |v: u64| v.wrapping_sub(ONES) & !v & HIGHS;
        let bytes = self.bytes;
        let mut at = from;
        while let Some(chunk) = bytes.get(at..at + 8) {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            let x = u64::from_le_bytes(word);
            let quote = zero(x ^ (ONES * u64::from(b'"')));
            let slash = zero(x ^ (ONES * u64::from(b'\\')));
            // Bytes below 0x20 (the same borrow trick, against 0x20 instead of 1).
            let control = x.wrapping_sub(ONES * 0x20) & !x & HIGHS;
            let found = quote | slash | control;
            if found != 0 {
                return at + (found.trailing_zeros() / 8) as usize;
            }
            at += 8;
        }
        while let Some(&b) = bytes.get(at) {
            if b == b'"' || b == b'\\' || b < 0x20 {
                return at;
            }
            at += 1;
        }
        at
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_flat_lines_take_the_fast_path_and_borrow_their_strings() {
        let line = r#" {"EventID": 4688, "Channel":"Security", "CommandLine":"a \"b\"", "Ok": true, "Gone": null} "#;
        let fields = parse(line).expect("a flat line is read here, not by serde_json");
        let names: Vec<&str> = fields.iter().map(|(n, _)| n.as_ref()).collect();
        assert_eq!(names, ["EventID", "Channel", "CommandLine", "Ok", "Gone"]);
        assert!(matches!(fields[0].1, Value::Int(4688)));
        assert!(
            matches!(&fields[1].1, Value::Str(Cow::Borrowed("Security"))),
            "no escape, no copy"
        );
        assert!(
            matches!(&fields[2].1, Value::Str(Cow::Owned(s)) if s == "a \"b\""),
            "escapes are decoded"
        );
        assert!(matches!(fields[3].1, Value::Bool(true)));
        assert!(matches!(fields[4].1, Value::Null));
        assert_eq!(parse("{}").map(|f| f.len()), Some(0));
    }

    #[test]
    fn anything_else_is_left_to_serde_json() {
        for line in [
            r#"{"a": {"b": 1}}"#,
            r#"{"a": [1]}"#,
            r#"{"a": 1.5}"#,
            r#"{"a": 1e3}"#,
            r#"{"a": -0}"#,
            r#"{"a": 99999999999999999999}"#,
            r#"{"a": "\ud800"}"#,
            r#"{"a": 1} x"#,
            r#"{"a" 1}"#,
            "[1]",
        ] {
            assert!(parse(line).is_none(), "{line}");
        }
    }
}
