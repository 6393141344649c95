//! A team's network: its services with their availability so far, its hosts with what the
//! team has done to them, and the links (submarine cables, satellite) its organisations use.

use std::sync::Arc;

use atoll_exercise::ExerciseMs;
use atoll_store::Store;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use maud::html;

use crate::auth::TeamView;
use crate::{App, html};

/// One service as the page shows it.
pub(crate) struct ServiceRow {
    pub name: String,
    pub org: String,
    pub criticality: &'static str,
    pub up: bool,
    pub available: f64,
    /// Availability hour by hour from the start of play: (when the hour began, percent up).
    pub hourly: Vec<(String, f64)>,
    pub hosts: String,
}

/// One account as the page shows it.
pub(crate) struct AccountRow {
    /// As logs write it and Respond takes it: `PACTEL\svc_prtg`.
    pub name: String,
    pub who: String,
    pub kind: &'static str,
    pub org: String,
    pub state: String,
}

/// The team's accounts as they stand now. Takes the team's lock: call it off the async
/// workers.
pub(crate) fn accounts<S>(app: &App<S>, index: usize) -> Vec<AccountRow> {
    let live = &app.live;
    let runtime = live.team(index);
    let Some(world) = runtime.world() else {
        return Vec::new();
    };
    world
        .accounts
        .iter()
        .map(|a| {
            let mut state = Vec::new();
            if a.disabled {
                state.push("disabled".to_owned());
            }
            if let Some(at) = a.reset_at {
                state.push(format!("password reset at {}", live.when(ExerciseMs(at))));
            }
            AccountRow {
                name: a.def.username.clone(),
                who: match (&a.def.display_name, &a.def.title) {
                    (Some(name), Some(title)) if name.as_str() == title.get("en") => name.clone(),
                    (Some(name), Some(title)) => format!("{name}, {}", title.get("en")),
                    (Some(name), None) => name.clone(),
                    (None, Some(title)) => title.get("en").to_owned(),
                    (None, None) => String::new(),
                },
                kind: a.def.kind.as_str(),
                org: world.orgs.get(a.org).map_or(String::new(), |o| o.def.name.clone()),
                state: state.join(", "),
            }
        })
        .collect()
}

/// Hours of availability the page draws at most (the latest ones).
const HOURS_SHOWN: usize = 120;

/// One host as the page shows it.
pub(crate) struct HostRow {
    pub hostname: String,
    /// What response actions name it by.
    pub id: String,
    pub address: String,
    pub role: &'static str,
    pub org: String,
    pub state: String,
}

pub(crate) async fn page<S: Store>(State(app): State<Arc<App<S>>>, view: TeamView) -> Response {
    let worker = app.clone();
    let index = view.team;
    let rows = tokio::task::spawn_blocking(move || (rows(&worker, index), accounts(&worker, index)))
        .await
        .unwrap_or_default();
    let ((services, hosts), accounts) = rows;
    let live = &app.live;
    let team_id = live.team_id(view.team);
    let team_name = live.team_name(view.team);
    // The links any of the team's organisations use: as an endpoint or operating a landing.
    let orgs = live.scenario.team_organisations(&team_id);
    let links: Vec<&atoll_scenario::model::Link> = live
        .scenario
        .world
        .links
        .iter()
        .filter(|l| {
            l.endpoints.iter().any(|e| orgs.contains(&e.name.as_str()))
                || l.landing_stations
                    .iter()
                    .any(|s| s.operator.as_ref().is_some_and(|o| orgs.contains(&o.name.as_str())))
        })
        .collect();
    let body = html! {
        h1 { "Network — " (team_name) }
        h2 { "Services" }
        p.muted { "Availability is the share of play so far that the service was up; the strip shows it hour by hour (green all up, amber partly down, red down all hour)." }
        table {
            thead { tr { th { "Service" } th { "Organisation" } th { "Criticality" } th { "Now" } th { "Available" } th { "Hour by hour" } th { "Runs on" } } }
            tbody {
                @for s in &services {
                    tr {
                        td { (s.name) }
                        td { (s.org) }
                        td { (s.criticality) }
                        td { @if s.up { "up" } @else { strong.level-high { "down" } } }
                        td.num { (format!("{:.1}%", s.available)) }
                        td {
                            div.strip role="img" aria-label=(strip_summary(&s.hourly)) {
                                @for (when, up) in &s.hourly {
                                    span class=(if *up >= 99.95 { "up" } else if *up > 0.05 { "part" } else { "down" })
                                        title=(format!("{when}: {up:.0}% up")) {}
                                }
                            }
                        }
                        td.mono { (s.hosts) }
                    }
                }
            }
        }
        h2 { "Hosts" }
        table {
            thead { tr { th { "Host" } th { "Id" } th { "Address" } th { "Role" } th { "Organisation" } th { "State" } } }
            tbody {
                @for h in &hosts {
                    tr {
                        td.mono { (h.hostname) }
                        td.mono { (h.id) }
                        td.mono { (h.address) }
                        td { (h.role) }
                        td { (h.org) }
                        td { @if h.state.is_empty() { span.muted { "normal" } } @else { (h.state) } }
                    }
                }
            }
        }
        h2 { "Accounts" }
        p.muted { "Named as the logs write them; the Respond page takes the same names (or the user name alone)." }
        table {
            thead { tr { th { "Account" } th { "Who" } th { "Kind" } th { "Organisation" } th { "State" } } }
            tbody {
                @for a in &accounts {
                    tr {
                        td.mono { (a.name) }
                        td { (a.who) }
                        td { (a.kind) }
                        td { (a.org) }
                        td { @if a.state.is_empty() { span.muted { "in use" } } @else { (a.state) } }
                    }
                }
            }
        }
        h2 { "Links" }
        @if links.is_empty() { p.muted { "No links in the scenario for this team." } }
        @else {
            table {
                thead { tr { th { "Link" } th { "Kind" } th { "Capacity" } th { "Landing stations" } th { "Backup" } } }
                tbody {
                    @for l in &links {
                        tr {
                            td { (l.name) }
                            td { (l.kind.as_str().replace('_', " ")) }
                            td.num { @if let Some(c) = l.capacity_gbps { (c) " Gbit/s" } }
                            td { (l.landing_stations.iter().map(|s| s.name.as_str()).collect::<Vec<_>>().join(", ")) }
                            td { @if let Some(b) = &l.backup { (b.name) } }
                        }
                    }
                }
            }
        }
    };
    html::page(
        html::heading(&app, &view.user).await,
        &format!("Network — {team_name}"),
        Some(&view.user),
        &body,
    )
    .into_response()
}

/// What the hour-by-hour strip says to a screen reader.
fn strip_summary(hourly: &[(String, f64)]) -> String {
    let short: Vec<String> = hourly
        .iter()
        .filter(|(_, up)| *up < 99.95)
        .map(|(when, up)| format!("{when} {up:.0}%"))
        .collect();
    match short.len() {
        0 => "Up every hour so far".to_owned(),
        n if n > 10 => format!(
            "Down for part or all of {n} hours; the latest: {}",
            short[n - 10..].join(", ")
        ),
        _ => format!("Down for part or all of: {}", short.join(", ")),
    }
}

/// The team's services and hosts as they stand now. Takes the team's lock: call it off the
/// async workers.
pub(crate) fn rows<S>(app: &App<S>, index: usize) -> (Vec<ServiceRow>, Vec<HostRow>) {
    let live = &app.live;
    let now = live.clock().now(live.wall_now());
    let runtime = live.team(index);
    let Some(world) = runtime.world() else {
        return (Vec::new(), Vec::new());
    };
    let org_name = |i: usize| world.orgs.get(i).map_or(String::new(), |o| o.def.name.clone());
    let downtime = runtime.downtime(now);
    // A service's state now as the world stands: an action takes effect at the next whole
    // second, which the world has reached even while the clock is paused.
    let current = runtime.downtime(runtime.reached().max(now));
    // Downtime so far at each hour of play, to tell each hour's share.
    let hour = 3_600_000;
    let first = (now / hour).saturating_sub(HOURS_SHOWN as u64 - 1);
    let marks: Vec<u64> = (first..=now.div_ceil(hour)).map(|h| (h * hour).min(now)).collect();
    let at_marks: Vec<Vec<atoll_sim::Downtime<'_>>> = marks.iter().map(|&t| runtime.downtime(t)).collect();
    let hourly = |service: &str| -> Vec<(String, f64)> {
        let down = |i: usize| {
            at_marks[i]
                .iter()
                .find(|d| d.service.id.name == service)
                .map_or(0, |d| d.down)
        };
        (1..marks.len())
            .filter(|&i| marks[i] > marks[i - 1])
            .map(|i| {
                let span = marks[i] - marks[i - 1];
                let when = live.when(ExerciseMs(marks[i - 1]));
                (when, atoll_sim::available_percent(down(i) - down(i - 1), span))
            })
            .collect()
    };
    let services = world
        .services
        .iter()
        .map(|s| {
            let d = downtime.iter().find(|d| d.service.id.name == s.def.id.name);
            let available = d.map_or(100.0, |d| atoll_sim::available_percent(d.down, now));
            ServiceRow {
                name: s.def.name.get("en").to_owned(),
                org: org_name(s.org),
                criticality: s.def.criticality.as_str(),
                up: current
                    .iter()
                    .find(|d| d.service.id.name == s.def.id.name)
                    .is_none_or(|d| d.up),
                available,
                hourly: hourly(&s.def.id.name),
                hosts: s
                    .hosts
                    .iter()
                    .filter_map(|&h| world.hosts.get(h).map(|h| h.def.hostname.as_str()))
                    .collect::<Vec<_>>()
                    .join(", "),
            }
        })
        .collect();
    let hosts = world
        .hosts
        .iter()
        .map(|h| {
            let st = &h.state;
            let mut state = Vec::new();
            if st.isolated {
                state.push("isolated".to_owned());
            }
            if st.off {
                state.push("shut down".to_owned());
            }
            if st.rebuilding_until > now {
                state.push(format!(
                    "being rebuilt until {}",
                    live.when(ExerciseMs(st.rebuilding_until))
                ));
            } else if let Some(at) = st.rebuilt_at {
                state.push(format!("rebuilt at {}", live.when(ExerciseMs(at))));
            }
            if st.patched {
                state.push("patched".to_owned());
            }
            HostRow {
                hostname: h.def.hostname.clone(),
                id: h.def.id.name.clone(),
                address: h.def.address.0.to_string(),
                role: h.def.role.as_str(),
                org: org_name(h.org),
                state: state.join(", "),
            }
        })
        .collect();
    (services, hosts)
}
