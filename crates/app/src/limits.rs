//! **The one place** that says how much a user may store, and how much a page shows at once.
//! Every command checks its limits with these constants; forms and pages read them to say how
//! many are left. A count is checked in the same store transaction as the insert it guards, so
//! two requests at once cannot both pass the last free place.
//!
//! Counts are for the whole exercise (nothing a team stores is ever deleted, except saved
//! searches, suppressions ended and tokens revoked, which free their place). Each is set well
//! above what a week-long exercise needs, reckoned as the "Why" column says (five days of
//! eight hours' play), and low enough that one team's script cannot fill the disk or slow the
//! pages of the others: at these numbers a team's stored text stays under about 30 MB.
//!
//! | What                          | Count                             | Size of one                      | Why this count |
//! |-------------------------------|-----------------------------------|----------------------------------|----------------|
//! | Message to the white cell     | [`TEAM_MESSAGES`] 300 a team, [`PLAYER_MESSAGES`] 150 a player | [`SUBJECT_CHARS`] 200, [`BODY_CHARS`] 5,000 | 60 a day, one every 8 minutes |
//! | White-cell message to a team  | [`WHITE_CELL_MESSAGES`] 1,000 a team (a message to every team counts for each) | as above | 200 a day; the white cell is trusted, a runaway script is not |
//! | Incident report               | [`TEAM_REPORTS`] 100 a team       | title [`REPORT_TITLE_CHARS`] 200, each field [`REPORT_FIELD_CHARS`] 20,000 | 20 a day: a report per incident and updates |
//! | Grade comment                 | newest of each submission counts  | [`GRADE_COMMENT_CHARS`] 5,000    | |
//! | Case                          | [`TEAM_CASES`] 200 a team         | title [`CASE_TITLE_CHARS`] 200   | 40 a day: a case per incident, not per alert |
//! | Case entry (note, indicator, alert, event, status) | [`CASE_ENTRIES`] 1,000 a case | note [`CASE_NOTE_CHARS`] 10,000, indicator [`INDICATOR_CHARS`] 500 | alerts are linked in bulk (up to 200 at once), so many go into one case |
//! | Saved search                  | [`TEAM_SEARCHES`] 50 a team, [`USER_SEARCHES`] 25 a user | name [`SEARCH_NAME_CHARS`] 80, query 10,000 (`atoll_hunt::query::MAX_QUERY_CHARS`) | saving a name again replaces it; deleting frees a place |
//! | Team Sigma rule               | [`TEAM_RULES_STORED`] 100 a team (on or off), [`TEAM_RULES_ON`] 25 on at once | [`RULE_BYTES`] 20,000 bytes, [`RULE_COMPILED_BYTES`] 2 MiB once compiled (measured) | a rule turned off stays, for the record; what is on is what the server holds in memory |
//! | Suppression                   | [`SUPPRESSIONS_IN_FORCE`] 50 in force a team, [`SUPPRESSIONS_STORED`] 500 made a team (ended ones stay, for the record) | reason [`SUPPRESSION_REASON_CHARS`] 500, value [`SUPPRESSION_VALUE_CHARS`] 500 | ending one frees a place |
//! | Invitation                    | [`OPEN_INVITATIONS_MAX`] 200 open; [`TEAM_INVITATIONS_MAX`] 12 a team at once | | revoking or using one frees a place |
//! | API token                     | [`API_TOKENS_MAX`] 20 a user      | name [`API_TOKEN_NAME_CHARS`] 100 | revoking one frees a place |
//! | Session                       | [`SESSIONS_PER_USER`] 5 a user (the oldest ends) | | |
//! | Lesson or improvement action  | [`LESSONS`] 200 about a team, 200 about the exercise | text [`LESSON_CHARS`] 5,000, owner [`LESSON_OWNER_CHARS`] 200 | a debrief writes a few dozen; removing one frees a place |
//! | Live-update stream            | [`STREAMS_PER_SESSION`] 6 open at once a session (a new one ends the oldest) | | a tab each: a player keeps two or three pages open |
//!
//! Pages and API lists show a page at a time, newest first, and the next page starts below the
//! last id shown (`?before=ID`), so page 40 costs what page 1 does. Suppressions and team rules
//! are read whole (their counts are bounded, and the queue and the scoring need them all) and
//! shown a page at a time ([`newest_page`]). The alert queue pages by
//! its own rule (`queue::PAGE`); the audit log by [`AUDIT_PAGE`].

/// Longest subject of a message, in characters.
pub const SUBJECT_CHARS: usize = 200;
/// Longest message, in characters.
pub const BODY_CHARS: usize = 5_000;
/// Messages one team may write to the white cell over an exercise: far more than a week of
/// play needs, few enough that no team can bury the white cell or slow the others.
pub const TEAM_MESSAGES: u32 = 300;
/// Of those, how many one player may write.
pub const PLAYER_MESSAGES: u32 = 150;
/// Messages the white cell may write to one team over an exercise (each team's copy of a
/// message to every team counts for that team).
pub const WHITE_CELL_MESSAGES: u32 = 1_000;

/// Reports one team may hand in over an exercise.
pub const TEAM_REPORTS: u32 = 100;
/// Longest title of a report, in characters.
pub const REPORT_TITLE_CHARS: usize = 200;
/// Longest text of one report field, in characters.
pub const REPORT_FIELD_CHARS: usize = 20_000;
/// Longest comment with a grade, in characters.
pub const GRADE_COMMENT_CHARS: usize = 5_000;

/// Cases one team may open over an exercise.
pub const TEAM_CASES: u32 = 200;
/// Entries one case may hold: notes, indicators, linked alerts and events, status changes.
pub const CASE_ENTRIES: u32 = 1_000;
/// Longest case title, in characters.
pub const CASE_TITLE_CHARS: usize = 200;
/// Longest case note, in characters.
pub const CASE_NOTE_CHARS: usize = 10_000;
/// Longest indicator value, in characters.
pub const INDICATOR_CHARS: usize = 500;

/// Saved searches one team may keep at once.
pub const TEAM_SEARCHES: u32 = 50;
/// Of those, how many one user may have saved.
pub const USER_SEARCHES: u32 = 25;
/// Longest name of a saved search, in characters.
pub const SEARCH_NAME_CHARS: usize = 80;

/// Rules one team may store (turned on, whether on still or off since).
pub const TEAM_RULES_STORED: u32 = 100;
/// Longest rule a team may write, in bytes.
pub const RULE_BYTES: usize = 20_000;
/// Rules one team may have on at once: with [`RULE_COMPILED_BYTES`], what one team's rules
/// may hold in memory.
pub const TEAM_RULES_ON: usize = 25;
/// The most memory one team rule may keep once compiled and run once, as measured by
/// [`atoll_meter`] where the server installs it: a rule of a few hundred plain values takes
/// tens of KiB; one with a thousand `?` patterns, each compiled to an automaton of its own,
/// about 10 MiB.
pub const RULE_COMPILED_BYTES: usize = 2 * 1024 * 1024;

/// Suppressions one team may have in force at once.
pub const SUPPRESSIONS_IN_FORCE: usize = 50;
/// Suppressions one team may make over an exercise, ended ones included (they stay, for the
/// record): 100 a day, far more than tuning a queue takes.
pub const SUPPRESSIONS_STORED: usize = 500;
/// Longest reason for a suppression, in characters.
pub const SUPPRESSION_REASON_CHARS: usize = 500;
/// Longest value a suppression matches, in characters.
pub const SUPPRESSION_VALUE_CHARS: usize = 500;

/// Most invitations one request makes for a team.
pub const TEAM_INVITATIONS_MAX: u32 = 12;
/// Most invitations open at once (unused, unrevoked, unexpired): a leaked instructor session
/// cannot mint links without end.
pub const OPEN_INVITATIONS_MAX: u32 = 200;

/// API tokens one user may hold, expired ones not yet forgotten included.
pub const API_TOKENS_MAX: usize = 20;
/// Longest name of an API token, in characters.
pub const API_TOKEN_NAME_CHARS: usize = 100;

/// Lessons (observations, strengths, areas for improvement, improvement actions) about one
/// team, or about the whole exercise.
pub const LESSONS: u32 = 200;
/// Longest lesson, in characters.
pub const LESSON_CHARS: usize = 5_000;
/// Longest owner of an improvement action, in characters.
pub const LESSON_OWNER_CHARS: usize = 200;

/// Sessions one user keeps: signing in again ends the oldest beyond these.
pub const SESSIONS_PER_USER: u32 = 5;
/// Live-update streams one session may hold open at once (one per open tab).
pub const STREAMS_PER_SESSION: usize = 6;

/// Messages a page shows at once (each up to [`BODY_CHARS`]).
pub const MESSAGES_PAGE: u32 = 25;
/// Reports and answers a page shows at once (a report is up to six fields of
/// [`REPORT_FIELD_CHARS`]).
pub const REPORTS_PAGE: u32 = 10;
/// Cases a list shows at once (titles and status only).
pub const CASES_PAGE: u32 = 50;
/// Entries of one case a page shows at once.
pub const CASE_ENTRIES_PAGE: u32 = 100;
/// Audit entries a page shows at once.
pub const AUDIT_PAGE: u32 = 100;
/// Items an API list answers with when not asked for fewer, and the most it answers with.
pub const API_PAGE: u32 = 100;
/// Ended suppressions a page shows at once (those in force, at most
/// [`SUPPRESSIONS_IN_FORCE`], are all shown).
pub const ENDED_SUPPRESSIONS_PAGE: u32 = 25;
/// Team rules turned off a page shows at once, each with its text (those on, at most
/// [`TEAM_RULES_ON`], are all shown).
pub const RULES_OFF_PAGE: u32 = 10;

/// One page, newest first, of a list read whole because its count is bounded (suppressions,
/// team rules): the items with an id below `before` (all without it), at most `limit`.
/// `items` come oldest first.
pub fn newest_page<T>(
    items: impl DoubleEndedIterator<Item = T>,
    id: impl Fn(&T) -> i64,
    before: Option<i64>,
    limit: u32,
) -> Vec<T> {
    items
        .rev()
        .filter(|item| before.is_none_or(|b| id(item) < b))
        .take(limit as usize)
        .collect()
}

/// Whether `used` of `limit` is near it (80 % or more): forms then say how many are left.
pub fn near(used: u32, limit: u32) -> bool {
    u64::from(used) * 5 >= u64::from(limit) * 4
}

/// How many of `limit` are left after `used`.
pub fn left(used: u32, limit: u32) -> u32 {
    limit.saturating_sub(used)
}

/// Earlier exercises a team's report sets beside its own (year to year), the newest kept.
pub const EARLIER_RESULTS: u32 = 5;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_of_a_bounded_list_is_newest_first_below_its_start() {
        let ids = [1_i64, 2, 3, 5, 8, 13];
        assert_eq!(newest_page(ids.iter(), |i| **i, None, 4), [&13, &8, &5, &3]);
        assert_eq!(newest_page(ids.iter(), |i| **i, Some(3), 4), [&2, &1]);
        assert!(newest_page(ids.iter(), |i| **i, Some(1), 4).is_empty());
    }

    #[test]
    fn near_is_four_fifths_and_left_never_goes_below_zero() {
        assert!(!near(79, 100));
        assert!(near(80, 100));
        assert!(near(101, 100));
        assert_eq!(left(98, 100), 2);
        assert_eq!(left(120, 100), 0);
    }
}
