//! A team's response: the actions of the simulation as a form, a confirmation that states what
//! the action costs, and the log of who did what when.

use std::sync::Arc;

use atoll_exercise::ExerciseMs;
use atoll_sim::actions::WHITE_CELL_ACTIONS;
use atoll_store::{Role, Store};
use axum::extract::{Form, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use maud::html;
use serde::Deserialize;

use crate::auth::{TeamActor, TeamView};
use atoll_app::actions::{ACTIONS, check_action, take_action};

use crate::{App, html};

/// What an action takes as its target (`host`, `account`, …), as the simulation reads it.
fn target_of(action: &str) -> &'static str {
    atoll_sim::actions::ACTIONS
        .iter()
        .find(|(word, _)| *word == action)
        .and_then(|(_, needs)| needs.first().copied())
        .unwrap_or("target")
}

fn label(action: &str) -> String {
    let mut text = action.replace('_', " ");
    if let Some(first) = text.get_mut(..1) {
        first.make_ascii_uppercase();
    }
    text
}

/// The team's hosts, accounts and services as its pages and logs name them, each with what it
/// is: the targets the form offers.
fn target_names<S>(app: &App<S>, index: usize) -> Vec<(String, String)> {
    let scenario = app.live.scenario;
    let team = app.live.team_id(index);
    let w = &scenario.world;
    let orgs = scenario.team_organisations(&team);
    let networks: Vec<&str> = w
        .networks
        .iter()
        .filter(|n| orgs.contains(&n.organisation.name.as_str()))
        .map(|n| n.id.name.as_str())
        .collect();
    let mut names: Vec<(String, String)> = Vec::new();
    for h in w.hosts.iter().filter(|h| networks.contains(&h.network.name.as_str())) {
        names.push((h.hostname.clone(), format!("host, {}", h.address.0)));
    }
    for a in w
        .accounts
        .iter()
        .filter(|a| orgs.contains(&a.organisation.name.as_str()))
    {
        names.push((a.username.clone(), "account".to_owned()));
    }
    for s in w
        .services
        .iter()
        .filter(|s| orgs.contains(&s.organisation.name.as_str()))
    {
        names.push((s.name.get("en").to_owned(), "service".to_owned()));
    }
    names
}

/// Event fields that hold an address, and those that hold a domain name, in the telemetry
/// atoll simulates (Sysmon, Windows Security, web, firewall, DNS and proxy logs).
const ADDRESS_FIELDS: &[&str] = &["DestinationIp", "SourceIp", "IpAddress", "c-ip", "src_ip", "dst_ip"];
const DOMAIN_FIELDS: &[&str] = &["QueryName", "DestinationHostname", "query", "domain"];
/// How many recent alerts the pick-list reads, and how many of each it offers.
const RECENT_ALERTS: usize = 300;
const RECENT_OFFERED: usize = 15;

/// Addresses and domain names in the team's most recent alerts, newest first, each with when
/// it was seen: what a player is likely to block. The team's own hosts' addresses are left
/// out (they are offered by name), and so are loopback and unspecified addresses.
fn recently_seen<S>(app: &App<S>, index: usize, own: &[(String, String)]) -> Vec<(String, String)> {
    let live = &app.live;
    let runtime = live.team(index);
    let store = runtime.store();
    let mut addresses: Vec<(String, String)> = Vec::new();
    let mut domains: Vec<(String, String)> = Vec::new();
    let own_address = |value: &str| own.iter().any(|(_, what)| what.strip_prefix("host, ") == Some(value));
    for alert in runtime.alerts().iter().rev().take(RECENT_ALERTS) {
        for (field, _, value) in store.event(alert.row) {
            let value = value.trim();
            let seen = || format!("in an alert at {}", live.when(atoll_exercise::ExerciseMs(alert.at)));
            if ADDRESS_FIELDS.contains(&field) {
                let Ok(ip) = value.parse::<std::net::IpAddr>() else {
                    continue;
                };
                if ip.is_loopback() || ip.is_unspecified() || own_address(value) {
                    continue;
                }
                if addresses.len() < RECENT_OFFERED && !addresses.iter().any(|(a, _)| a == value) {
                    addresses.push((value.to_owned(), format!("address {}", seen())));
                }
            } else if DOMAIN_FIELDS.contains(&field)
                && value.contains('.')
                && value.parse::<std::net::IpAddr>().is_err()
                && domains.len() < RECENT_OFFERED
                && !domains.iter().any(|(d, _)| d.eq_ignore_ascii_case(value))
            {
                domains.push((value.to_owned(), format!("domain {}", seen())));
            }
        }
    }
    addresses.extend(domains);
    addresses
}

/// The response page: the form (for those who may act) and the team's action log.
pub(crate) async fn page<S: Store>(State(app): State<Arc<App<S>>>, view: TeamView) -> Response {
    render(&app, &view, None, ("", "")).await
}

/// The page; `problem` says why a form was refused and `draft` (action, target) is what it
/// held, filled in again.
async fn render<S: Store>(app: &Arc<App<S>>, view: &TeamView, problem: Option<&str>, draft: (&str, &str)) -> Response {
    let (team_id, team_name) = (app.live.team_id(view.team), app.live.team_name(view.team));
    let log = match app.db.actions(app.live.exercise).await {
        // The white cell's changes to the campaign are not the team's to see.
        Ok(all) => all
            .into_iter()
            .filter(|a| a.team == team_id && !WHITE_CELL_ACTIONS.contains(&a.action.as_str()))
            .collect::<Vec<_>>(),
        Err(_) => {
            return html::problem(
                StatusCode::SERVICE_UNAVAILABLE,
                "The server cannot read its database right now.",
            );
        }
    };
    let mut names = target_names(app, view.team);
    let (worker, index, own) = (app.clone(), view.team, names.clone());
    let recent = tokio::task::spawn_blocking(move || recently_seen(&worker, index, &own))
        .await
        .unwrap_or_default();
    names.extend(recent);
    let body = html! {
        h1 { "Respond — " (team_name) }
        (crate::briefing::help(crate::briefing::Help::Respond))
        (html::refusal(problem))
        @if view.user.role != Role::Observer {
            form method="post" action={ "/teams/" (team_id) "/respond" } {
                label for="action" { "Action " }
                select #action name="action" {
                    @for (word, _) in ACTIONS { option value=(word) selected[*word == draft.0] { (label(word)) " (" (target_of(word)) ")" } }
                }
                " "
                label for="target" { "Target " }
                input #target name="target" list="targets" required value=(draft.1) placeholder="PT-WEB01, 203.0.113.45, PACTEL\\svc_prtg, …";
                // What the team can name, as its pages show it: the browser offers them as
                // the target is typed (no script needed).
                datalist #targets {
                    @for (value, what) in &names { option value=(value) { (what) } }
                }
                " "
                button type="submit" { "Review…" }
            }
            p.muted { "You will see what the action costs before it is taken. Actions take effect from the exercise time you confirm them." }
        }
        h2 { "Action log" }
        @if log.is_empty() { p.muted { "No action taken yet." } } @else {
            table {
                thead { tr { th { "Time" } th { "Action" } th { "Target" } th { "By" } } }
                tbody {
                    @for a in log.iter().rev() {
                        tr {
                            td { (app.live.when(ExerciseMs(a.at))) }
                            td { (label(&a.action)) }
                            td.mono { (a.target) }
                            td { (a.username) }
                        }
                    }
                }
            }
        }
    };
    html::form_page(
        html::heading(app, &view.user).await,
        "Respond",
        &view.user,
        problem,
        &body,
    )
}

#[derive(Debug, Deserialize)]
pub(crate) struct ActionForm {
    action: Option<String>,
    target: Option<String>,
    confirm: Option<String>,
}

/// Reviews an action (what it will cost), or takes it once confirmed: stored first, then
/// applied to the team's world from the current exercise time.
pub(crate) async fn act<S: Store>(
    State(app): State<Arc<App<S>>>,
    TeamActor(view): TeamActor,
    Form(form): Form<ActionForm>,
) -> Response {
    // `TeamView` has checked the team exists.
    let team_id = app.live.team_id(view.team);
    let action = form.action.unwrap_or_default();
    let target = form.target.unwrap_or_default().trim().to_owned();
    if form.confirm.as_deref() != Some("yes") {
        let checked = match check_action(&app, view.team, &action, &target).await {
            Ok(checked) => checked,
            Err(e) if e.is_refusal() => return render(&app, &view, Some(&e.to_string()), (&action, &target)).await,
            Err(e) => return html::failure(&e),
        };
        let (cost, affected) = (checked.cost, checked.affected);
        let body = html! {
            h1 { "Confirm: " (label(&action)) " " span.mono { (target) } }
            p { (cost.replace("{}", &target)) }
            @if !affected.is_empty() {
                p { strong { "Services that stop with it" } " (for everyone who uses them):" }
                ul { @for service in &affected { li { (service) } } }
            }
            form method="post" action={ "/teams/" (team_id) "/respond" } {
                input type="hidden" name="action" value=(action);
                input type="hidden" name="target" value=(target);
                button name="confirm" value="yes" { "Yes, " (label(&action).to_lowercase()) }
                " "
                a href={ "/teams/" (team_id) "/respond" } { "Cancel" }
            }
        };
        return html::page(
            html::heading(&app, &view.user).await,
            "Confirm",
            Some(&view.user),
            &body,
        )
        .into_response();
    }
    match take_action(&app, view.team, view.user.id, &action, &target).await {
        Ok(_) => Redirect::to(&format!("/teams/{team_id}/respond")).into_response(),
        Err(e) if e.is_refusal() => render(&app, &view, Some(&e.to_string()), (&action, &target)).await,
        Err(e) => html::failure(&e),
    }
}
