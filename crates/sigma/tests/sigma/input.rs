//! Reading event files: a line or object longer than `MAX_EVENT_BYTES` is refused with its
//! place and the rest is still read, an endless line stops the reading instead of filling
//! memory, and objects that follow one another are each read once, in order.

use std::io::{BufReader, Cursor, Read as _};

use atoll_sigma::Event;
use atoll_sigma::input::{Line, Lines, MAX_EVENT_BYTES, read_json_lines, read_json_object_stream, read_json_objects};

/// The events read (index and field `n`) and the problems reported, as displayed.
type Outcome = (Vec<(u64, String)>, Vec<String>);

fn n_of(event: &Event<'_>) -> String {
    event
        .get("n")
        .and_then(|v| v.text())
        .map(|t| t.into_owned())
        .unwrap_or_default()
}

fn lines(text: impl std::io::BufRead) -> (Outcome, Result<(), String>) {
    let (mut events, mut problems) = (Vec::new(), Vec::new());
    let result = read_json_lines(text, &mut |i, e| events.push((i, n_of(e))), &mut |p| {
        problems.push(p.to_string());
    });
    ((events, problems), result)
}

fn objects(text: &[u8]) -> Outcome {
    let (mut events, mut problems) = (Vec::new(), Vec::new());
    let result = read_json_object_stream(text, &mut |i, e| events.push((i, n_of(e))), &mut |p| {
        problems.push(p.to_string());
    });
    assert_eq!(result, Ok(()));
    (events, problems)
}

/// A JSON object of exactly `size` bytes: `{"n":"…","pad":"xxx…"}`.
fn object_of(n: &str, size: usize) -> String {
    let head = format!(r#"{{"n":"{n}","pad":""#);
    format!("{head}{}\"}}", "x".repeat(size - head.len() - 2))
}

fn pairs(list: &[(u64, &str)]) -> Vec<(u64, String)> {
    list.iter().map(|&(i, n)| (i, n.to_owned())).collect()
}

#[test]
fn a_line_longer_than_the_bound_is_refused_with_its_place_and_the_next_line_is_read() {
    let text = format!(
        "{}\n{}\n{}\n{}\n",
        object_of("1", 40),
        object_of("2", MAX_EVENT_BYTES),
        object_of("3", MAX_EVENT_BYTES + 1),
        object_of("4", 40),
    );
    let ((events, problems), result) = lines(text.as_bytes());
    assert_eq!(result, Ok(()));
    // A line of exactly the bound is an event; one byte more is not.
    assert_eq!(events, pairs(&[(0, "1"), (1, "2"), (3, "4")]));
    assert_eq!(
        problems,
        ["3: a line longer than 1 MiB (1048576 bytes) is not an event; skipped"]
    );
}

#[test]
fn a_line_without_end_stops_the_reading_after_the_skip_bound() {
    // An endless run of NUL bytes after one good line, as `/dev/zero` would give.
    let endless = Cursor::new(b"{\"n\":\"1\"}\n".to_vec()).chain(std::io::repeat(0));
    let ((events, problems), result) = lines(BufReader::new(endless));
    assert_eq!(result, Ok(()));
    assert_eq!(events, pairs(&[(0, "1")]));
    assert_eq!(
        problems,
        [
            "2: a line longer than 1 MiB (1048576 bytes) is not an event; this one has no end within 64 MiB, \
          so the rest of the input is not read"
        ]
    );

    let mut lines = Lines::new(BufReader::new(std::io::repeat(0)));
    assert_eq!(lines.next_line().unwrap(), Some((1, Line::Endless)));
    assert_eq!(lines.next_line().unwrap(), None);
}

#[test]
fn a_file_of_nul_bytes_is_one_line_too_long() {
    let nul = vec![0u8; 3 * MAX_EVENT_BYTES];
    let mut lines = Lines::new(&nul[..]);
    assert_eq!(lines.next_line().unwrap(), Some((1, Line::TooLong)));
    assert_eq!(lines.next_line().unwrap(), None);
    // The last line needs no newline; a blank line is still a line.
    let mut lines = Lines::new(&b"a\r\n\nb"[..]);
    assert_eq!(lines.next_line().unwrap(), Some((1, Line::Text(b"a"))));
    assert_eq!(lines.next_line().unwrap(), Some((2, Line::Text(b""))));
    assert_eq!(lines.next_line().unwrap(), Some((3, Line::Text(b"b"))));
    assert_eq!(lines.next_line().unwrap(), None);
}

#[test]
fn an_object_longer_than_the_bound_is_refused_with_its_place_and_the_next_object_is_read() {
    let text = format!(
        "{}\n  {}{}\n{}",
        object_of("1", 40),
        object_of("2", MAX_EVENT_BYTES + 1),
        object_of("3", MAX_EVENT_BYTES),
        object_of("4", 40),
    );
    let (events, problems) = objects(text.as_bytes());
    assert_eq!(events, pairs(&[(0, "1"), (2, "3"), (3, "4")]));
    assert_eq!(
        problems,
        ["2:3: a JSON object longer than 1 MiB (1048576 bytes) is not an event; skipped"]
    );
}

#[test]
fn objects_are_found_by_their_brackets_outside_strings() {
    // Brackets and escaped quotes inside strings, nested objects and arrays, pretty-printed.
    let text = br#"{"n": "1", "s": "}{\"[", "a": [{"b": "]"}]}{"n":"2"}
{
  "n": "3",
  "e": {"x": "\\"}
}
{"n": "4", "bad": tru}
  {"n": "5",
   "bad": [1 2]}
{"n": "6"}
"#;
    let (events, problems) = objects(text);
    // An object that does not parse is reported where it goes wrong, and the next one is read.
    assert_eq!(events, pairs(&[(0, "1"), (1, "2"), (2, "3"), (5, "6")]));
    assert_eq!(
        problems,
        [
            "6:22: not a JSON object: expected ident",
            "8:14: not a JSON object: expected `,` or `]`"
        ]
    );
}

#[test]
fn something_other_than_an_object_between_objects_ends_the_reading() {
    let (events, problems) = objects(b"{\"n\":\"1\"}\n x {\"n\":\"2\"}");
    assert_eq!(events, pairs(&[(0, "1")]));
    assert_eq!(
        problems,
        ["2:2: not a JSON object (expected `{`); the rest of the file is not read"]
    );
    let (events, problems) = objects(b"{\"n\":\"1\"}\n{\"n\":\"2\", \"s\": \"}");
    assert_eq!(events, pairs(&[(0, "1")]));
    assert_eq!(problems, ["2:1: not a JSON object: the file ends inside it"]);
    // Invalid UTF-8 is the object's problem alone.
    let (events, problems) = objects(b"{\"n\":\"1\",\n \"s\":\"\xff\"}{\"n\":\"2\"}");
    assert_eq!(events, pairs(&[(1, "2")]));
    assert_eq!(problems, ["2:7: the object is not valid UTF-8"]);
}

#[test]
fn many_objects_on_one_line_are_each_read_once() {
    // 100,000 small objects on one line (3 MB): each is parsed on its own, so reading them is
    // linear (reading them as one text and finding each object's end from the start was
    // quadratic: 14 s for 16 MB).
    let count = 100_000u64;
    let mut text = Vec::new();
    for i in 0..count {
        text.extend_from_slice(format!(r#"{{"n":"{i}","s":"}}{{\""}}"#).as_bytes());
    }
    let mut next = 0u64;
    read_json_objects(
        &text,
        &mut |i, e| {
            assert_eq!((i, n_of(e)), (next, next.to_string()));
            assert_eq!(e.get("s").and_then(|v| v.text()).as_deref(), Some("}{\""));
            next += 1;
        },
        &mut |p| panic!("{p}"),
    );
    assert_eq!(next, count);
}
