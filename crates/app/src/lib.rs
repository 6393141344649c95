//! atoll's application layer: the running exercise ([`Live`]) and every command and query a
//! user can make of it, below both the web pages and the JSON API (and used by the command
//! line). Nothing here knows about HTTP or HTML: a command takes typed input, checks it,
//! stores it, applies it to the team's world, and answers with what it stored or an
//! [`Error`] that names the field at fault.
//!
//! The one rule every write follows: **stored first, then applied** ([`facts::record`], under
//! actions, step changes and facts alike), so what a world did is never more than the
//! database knows, and a restart replays it to the same bytes.

pub mod accounts;
pub mod actions;
pub mod alerts;
pub mod audit;
pub mod cases;
pub mod clock;
pub mod documents;
mod error;
pub mod facts;
pub mod feedback;
pub mod inbox;
pub mod lessons;
pub mod limits;
mod live;
pub mod messages;
pub mod package;
pub mod people;
pub mod questions;
pub mod queue;
pub mod report;
pub mod reports;
pub mod rules;
pub mod score;
pub mod searches;
pub mod sessions;
pub mod steps;
pub mod suppress;

// Unit tests measure what team rules cost, as the server does.
#[cfg(test)]
#[global_allocator]
static ALLOCATOR: atoll_meter::Meter = atoll_meter::Meter;

use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use atoll_store::Store;

pub use error::{Error, Kind, Result};
pub use live::Live;

/// What every handler shares.
#[derive(Debug)]
pub struct App<S> {
    pub db: S,
    pub live: Live,
    /// Password checks running at once (each takes ~19 MiB and a core for a moment).
    pub logins: tokio::sync::Semaphore,
    /// Held while a sign-in is counted and recorded, before its password is checked: the
    /// count and the record are one step, so parallel guesses cannot slip past the limit.
    pub login_gate: tokio::sync::Mutex<()>,
    /// Hunts and rule tests running at once, in all ([`App::hunt_slot`]).
    pub hunts: tokio::sync::Semaphore,
    /// Per team: its hunt or rule test running (one at a time), so that one team's flood of
    /// heavy hunts holds one of the shared slots at most.
    team_hunts: Vec<tokio::sync::Semaphore>,
    /// Clock changes one at a time, each stored before the next.
    pub clock_writes: tokio::sync::Mutex<()>,
    /// Each team's verdicts as last read; the alert pages read only those added since (the
    /// table is append-only), so a queue with ten thousand verdicts is not decoded again on
    /// every page.
    verdicts: std::sync::Mutex<std::collections::HashMap<String, Arc<Vec<atoll_store::Triage>>>>,
    /// How many items of each kind ([`Seen`]) a user's team had when the user last opened the
    /// page that lists them, by (user, team, kind): the navigation's badges count those that
    /// came since. Kept in memory only: after a restart everything counts as new until the
    /// page is opened again.
    seen: std::sync::Mutex<std::collections::HashMap<(i64, usize, Seen), usize>>,
    /// The users who have opened the briefing since the server started: the others are shown
    /// it first after signing in.
    briefed: std::sync::Mutex<std::collections::HashSet<i64>>,
    /// Live-update streams open, by the session (or account) that opened them, oldest first
    /// ([`App::open_stream`]).
    streams: Streams,
}

/// Each session's open streams, oldest first: the flag that ends each.
type Streams = Arc<std::sync::Mutex<std::collections::HashMap<Vec<u8>, std::collections::VecDeque<Arc<AtomicBool>>>>>;

/// One live-update stream counted against its session ([`App::open_stream`]); it leaves the
/// count when the stream ends and this is dropped.
#[derive(Debug)]
pub struct StreamTicket {
    key: Vec<u8>,
    ended: Arc<AtomicBool>,
    streams: Streams,
}

impl StreamTicket {
    /// Whether a newer stream of the same session took this one's place: the stream ends.
    pub fn is_ended(&self) -> bool {
        self.ended.load(std::sync::atomic::Ordering::Relaxed)
    }
}

impl Drop for StreamTicket {
    fn drop(&mut self) {
        let mut streams = self.streams.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(open) = streams.get_mut(&self.key) {
            open.retain(|e| !Arc::ptr_eq(e, &self.ended));
            if open.is_empty() {
                streams.remove(&self.key);
            }
        }
    }
}

impl<S> App<S> {
    /// A turn to hunt or test a rule for team `team`: first the team's own (one at a time per
    /// team), then one of the shared slots. `None` while the server shuts down.
    pub async fn hunt_slot(
        &self,
        team: usize,
    ) -> Option<(tokio::sync::SemaphorePermit<'_>, tokio::sync::SemaphorePermit<'_>)> {
        let own = self.team_hunts.get(team)?.acquire().await.ok()?;
        let shared = self.hunts.acquire().await.ok()?;
        Some((own, shared))
    }

    /// Counts a live-update stream opened by the session `key` (its token's digest): at most
    /// [`limits::STREAMS_PER_SESSION`] at once, so that one person's tabs, or a script
    /// holding streams open, cannot take the server's connections from the others. Beyond,
    /// the session's oldest stream is ended (a tab closed long ago, over a link that never
    /// said so, or the oldest of too many), as the oldest session ends at sign-in.
    pub fn open_stream(&self, key: Vec<u8>) -> StreamTicket {
        let mut streams = self.streams.lock().unwrap_or_else(|e| e.into_inner());
        let open = streams.entry(key.clone()).or_default();
        while open.len() >= limits::STREAMS_PER_SESSION {
            if let Some(oldest) = open.pop_front() {
                oldest.store(true, std::sync::atomic::Ordering::Relaxed);
            }
        }
        let ended = Arc::new(AtomicBool::new(false));
        open.push_back(ended.clone());
        StreamTicket {
            key,
            ended,
            streams: self.streams.clone(),
        }
    }

    pub fn new(db: S, live: Live) -> App<S> {
        let teams = live.scenario.player_teams().count();
        App {
            db,
            live,
            logins: tokio::sync::Semaphore::new(2),
            login_gate: tokio::sync::Mutex::new(()),
            hunts: tokio::sync::Semaphore::new(2),
            team_hunts: (0..teams).map(|_| tokio::sync::Semaphore::new(1)).collect(),
            clock_writes: tokio::sync::Mutex::new(()),
            verdicts: std::sync::Mutex::new(std::collections::HashMap::new()),
            seen: std::sync::Mutex::new(std::collections::HashMap::new()),
            briefed: std::sync::Mutex::new(std::collections::HashSet::new()),
            streams: Arc::default(),
        }
    }

    /// Notes that `user` has seen the first `count` items of kind `what` of team `team` (the
    /// page listing them was opened).
    pub fn saw(&self, user: i64, team: usize, what: Seen, count: usize) {
        let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        let entry = seen.entry((user, team, what)).or_insert(0);
        *entry = (*entry).max(count);
    }

    /// Notes that `user` opened the briefing.
    pub fn briefed(&self, user: i64) {
        self.briefed.lock().unwrap_or_else(|e| e.into_inner()).insert(user);
    }

    /// Whether `user` has opened the briefing since the server started.
    pub fn was_briefed(&self, user: i64) -> bool {
        self.briefed.lock().unwrap_or_else(|e| e.into_inner()).contains(&user)
    }

    /// How many items of kind `what` of team `team` `user` has seen.
    pub fn seen(&self, user: i64, team: usize, what: Seen) -> usize {
        let seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        seen.get(&(user, team, what)).copied().unwrap_or(0)
    }
}

/// What the navigation's badges count, each since the user last opened its page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Seen {
    /// Rows of the alert queue (one per detection: a second sighting is not counted).
    Alerts,
    /// Injects and messages in the inbox.
    Inbox,
    /// Questions asked.
    Questions,
}

/// What the navigation's badges show for one player: how many of each kind ([`Seen`]) came
/// since the player last opened the page that lists them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Badges {
    /// Rows of the alert queue (a second sighting of one process is not counted).
    pub alerts: usize,
    /// Injects, and messages from the white cell.
    pub inbox: usize,
    pub questions: usize,
}

impl Badges {
    /// These badges, with the one of kind `what` cleared (on the page that lists them).
    pub fn without(mut self, what: Seen) -> Badges {
        match what {
            Seen::Alerts => self.alerts = 0,
            Seen::Inbox => self.inbox = 0,
            Seen::Questions => self.questions = 0,
        }
        self
    }
}

impl<S> App<S> {
    /// `user`'s badges for team `index`, given how many messages the white cell has sent the
    /// team. Takes the team's lock: call it off the async workers.
    pub fn badges_with(&self, user: i64, index: usize, messages_to_team: usize) -> Badges {
        let live = &self.live;
        let now = live.now();
        let team_id = live.team_id(index);
        let runtime = live.team(index);
        let alerts = runtime.alerts().len();
        let from = self.seen(user, index, Seen::Alerts).min(alerts);
        let unseen_alerts = (from..alerts).filter(|&i| !runtime.is_second_sighting(i)).count();
        let delivered = inbox::delivered(live, &team_id, &runtime.arrivals(), now);
        drop(runtime);
        let since = |count: usize, what: Seen| count.saturating_sub(self.seen(user, index, what));
        Badges {
            alerts: unseen_alerts,
            inbox: since(delivered.injects.len() + messages_to_team, Seen::Inbox),
            questions: since(delivered.questions.len(), Seen::Questions),
        }
    }
}

impl<S: Store + 'static> App<S> {
    /// `user`'s badges for team `index` ([`App::badges_with`]); none when the messages
    /// cannot be read.
    pub async fn badges(self: &Arc<Self>, user: i64, index: usize) -> Option<Badges> {
        let team_id = self.live.team_id(index);
        let counts = self.db.message_counts(self.live.exercise, &team_id, user).await.ok()?;
        let to_team = counts.to_team as usize;
        let app = self.clone();
        tokio::task::spawn_blocking(move || app.badges_with(user, index, to_team))
            .await
            .ok()
    }
}

impl<S: Store> App<S> {
    /// Team `team`'s verdicts, oldest first, from the database: those read before are kept,
    /// and only the ones added since are read.
    pub async fn verdicts(&self, team: &str) -> atoll_store::Result<Arc<Vec<atoll_store::Triage>>> {
        let known = {
            let cache = self.verdicts.lock().unwrap_or_else(|e| e.into_inner());
            cache.get(team).cloned()
        };
        let after = known.as_ref().and_then(|k| k.last()).map_or(0, |t| t.id);
        let added = self.db.triages_after(self.live.exercise, team, after).await?;
        if added.is_empty()
            && let Some(known) = known
        {
            return Ok(known);
        }
        let mut all = known.map(|k| k.as_ref().clone()).unwrap_or_default();
        all.extend(added);
        let all = Arc::new(all);
        let mut cache = self.verdicts.lock().unwrap_or_else(|e| e.into_inner());
        // Another request may have read further meanwhile: keep the longer list.
        let keep = cache
            .get(team)
            .is_none_or(|c| c.last().map(|t| t.id) < all.last().map(|t| t.id));
        if keep {
            cache.insert(team.to_owned(), all.clone());
        }
        Ok(all)
    }
}

/// Wall-clock milliseconds since the Unix epoch, from the system: what records are stamped
/// with (`created_at`), sessions and tokens expire by. The running exercise reads its own
/// [`Wall`] ([`Live::wall_now`]), which a test can move.
pub fn clock_now() -> i64 {
    jiff::Timestamp::now().as_millisecond()
}

/// The wall clock a running exercise reads: the system's, or a fixed one that a test sets and
/// moves, so that hours of play pass without waiting for them.
#[derive(Debug, Default)]
pub struct Wall(Option<std::sync::atomic::AtomicI64>);

impl Wall {
    /// The system's clock.
    pub fn system() -> Wall {
        Wall(None)
    }

    /// A clock standing at `ms` (Unix milliseconds) until moved.
    pub fn fixed(ms: i64) -> Wall {
        Wall(Some(std::sync::atomic::AtomicI64::new(ms)))
    }

    /// Unix milliseconds now.
    pub fn now(&self) -> i64 {
        match &self.0 {
            Some(at) => at.load(std::sync::atomic::Ordering::SeqCst),
            None => clock_now(),
        }
    }

    /// Moves a fixed clock on by `ms` (the system's cannot be moved: nothing happens).
    pub fn advance(&self, ms: i64) {
        if let Some(at) = &self.0 {
            at.fetch_add(ms, std::sync::atomic::Ordering::SeqCst);
        }
    }
}

/// How long expired API tokens stay listed (marked expired) for their owners.
const EXPIRED_TOKENS_SHOWN_MS: i64 = 7 * 86_400_000;

/// Advances the exercise once a second, storing the clock when play reaches its end; once an
/// hour (and at start) forgets expired sessions, long-expired tokens and old sign-in failures.
pub async fn run_clock<S: Store>(app: Arc<App<S>>) {
    let mut interval = tokio::time::interval(std::time::Duration::from_secs(1));
    let mut ticks: u64 = 0;
    loop {
        interval.tick().await;
        if ticks.is_multiple_of(3600) {
            let now = clock_now();
            let _ = app
                .db
                .forget_expired(now, now - EXPIRED_TOKENS_SHOWN_MS, now - 86_400_000)
                .await;
        }
        ticks += 1;
        // Clock changes by instructors and the end of play are stored one at a time.
        let _writing = app.clock_writes.lock().await;
        let worker = app.clone();
        let settled = tokio::task::spawn_blocking(move || worker.live.tick(worker.live.wall_now())).await;
        if let Ok(Some(clock)) = settled
            && let Ok(text) = serde_json::to_string(&clock)
        {
            // The end of play follows from the stored clock anyway (it settles at its end);
            // storing it only saves the next start the work of finding out.
            let _ = app.db.save_clock(app.live.exercise, &text).await;
        }
    }
}
