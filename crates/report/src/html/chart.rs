//! Inline SVG charts: a team's story over exercise time, its services' hourly availability, and
//! the teams' scores side by side.
//!
//! Black on white, told by position, shape, hatching and printed numbers rather than by colour.
//! Every element is written with a closing tag, because an HTML parser reads `<rect …>` inside
//! `<svg>` as an open element. Coordinates are printed to a tenth of a unit, so the same report
//! gives the same bytes.

use maud::{Markup, html};

use super::{availability, whole_percent};
use crate::model::{EntryKind, ExerciseReport, Moment, StepStatus, TeamReport};

/// The box a chart is drawn in, in SVG units; the page scales it to its width, so a narrower
/// box prints its text larger.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Frame {
    /// Width of every chart.
    width: f64,
    /// Where the plot starts: left of it are the row labels.
    left: f64,
    /// Where the plot ends.
    right: f64,
    /// Where the service chart's bars start: services have long names and several hosts.
    service_left: f64,
    /// Length of a full (100 %) bar of the score chart.
    score_bar: f64,
}

/// For a screen: wide, scaled down to the page's width.
pub(crate) const SCREEN: Frame = Frame {
    width: 960.0,
    left: 180.0,
    right: 920.0,
    service_left: 300.0,
    score_bar: 520.0,
};

/// For an A4 page: narrower, so that labels print at 7 to 8 points rather than 5 to 6.
pub(crate) const A4: Frame = Frame {
    width: 660.0,
    left: 150.0,
    right: 640.0,
    service_left: 190.0,
    score_bar: 300.0,
};
/// At most this many labels along a time axis.
const MOST_LABELS: usize = 12;
const INK: &str = "#111";
const PAPER: &str = "#fff";

fn num(v: f64) -> String {
    format!("{v:.1}")
}

/// Every `n`th item, `n` chosen so that at most `most` are kept; the first is always kept.
fn thin<T>(items: &[T], most: usize) -> impl Iterator<Item = &T> {
    items.iter().step_by(items.len().div_ceil(most).max(1))
}

/// Exercise time from 0 to `end` mapped onto the plot, from `left` to `right`.
struct Axis {
    end: u64,
    left: f64,
    right: f64,
}

impl Axis {
    fn x(&self, ms: u64) -> f64 {
        self.left + (self.right - self.left) * ms.min(self.end) as f64 / self.end as f64
    }
}

#[derive(Clone, Copy)]
enum Shape {
    Dot,
    Crossed,
    Ring,
    DashedRing,
    Triangle,
    Square,
    Diamond,
    OpenSquare,
    OpenDiamond,
    OpenTriangle,
}

fn triangle(x: f64, y: f64) -> String {
    format!(
        "{},{} {},{} {},{}",
        num(x),
        num(y - 6.0),
        num(x + 6.0),
        num(y + 5.0),
        num(x - 6.0),
        num(y + 5.0)
    )
}

fn diamond(x: f64, y: f64) -> String {
    format!(
        "{},{} {},{} {},{} {},{}",
        num(x),
        num(y - 6.5),
        num(x + 6.5),
        num(y),
        num(x),
        num(y + 6.5),
        num(x - 6.5),
        num(y)
    )
}

/// A marker with a tooltip saying what it stands for.
fn marker(shape: Shape, x: f64, y: f64, what: &str) -> Markup {
    let (cx, cy) = (num(x), num(y));
    let open = |fill: bool| if fill { INK } else { PAPER };
    html! {
        g {
            title { (what) }
            @match shape {
                Shape::Dot => { circle cx=(cx) cy=(cy) r="5.5" fill=(INK) {} }
                Shape::Ring => { circle cx=(cx) cy=(cy) r="5.5" fill=(PAPER) stroke=(INK) stroke-width="1.5" {} }
                Shape::DashedRing => {
                    circle cx=(cx) cy=(cy) r="5.5" fill=(PAPER) stroke=(INK) stroke-width="1.5" stroke-dasharray="2 2" {}
                }
                Shape::Crossed => {
                    circle cx=(cx) cy=(cy) r="6" fill=(PAPER) stroke=(INK) stroke-width="1.5" {}
                    path stroke=(INK) stroke-width="1.5" d=(format!(
                        "M{} {}L{} {}M{} {}L{} {}",
                        num(x - 4.0), num(y - 4.0), num(x + 4.0), num(y + 4.0),
                        num(x - 4.0), num(y + 4.0), num(x + 4.0), num(y - 4.0)
                    )) {}
                }
                Shape::Triangle | Shape::OpenTriangle => {
                    polygon points=(triangle(x, y)) fill=(open(matches!(shape, Shape::Triangle)))
                        stroke=(INK) stroke-width="1.5" {}
                }
                Shape::Square | Shape::OpenSquare => {
                    rect x=(num(x - 5.0)) y=(num(y - 5.0)) width="10" height="10"
                        fill=(open(matches!(shape, Shape::Square))) stroke=(INK) stroke-width="1.5" {}
                }
                Shape::Diamond | Shape::OpenDiamond => {
                    polygon points=(diamond(x, y)) fill=(open(matches!(shape, Shape::Diamond)))
                        stroke=(INK) stroke-width="1.5" {}
                }
            }
        }
    }
}

const LANES: [&str; 5] = [
    "Campaign steps",
    "Detections",
    "Response actions",
    "Injects",
    "Reports, answers, hints",
];

/// A team's story: one lane per kind of event along exercise time.
pub(crate) fn story(frame: Frame, report: &ExerciseReport, team: &TeamReport) -> Markup {
    let Frame { width, left, right, .. } = frame;
    const TOP: f64 = 34.0;
    const LANE: f64 = 32.0;
    let lane_y = |lane: usize| TOP + LANE * (lane as f64 + 0.5);
    let axis_y = TOP + LANE * LANES.len() as f64;
    let height = axis_y + 30.0;

    let latest = team
        .timeline
        .iter()
        .map(|e| e.at.ms)
        .chain(
            team.steps
                .iter()
                .flat_map(|s| [&s.at, &s.detected, &s.contained])
                .flatten()
                .map(|m| m.ms),
        )
        .max()
        .unwrap_or(0);
    let axis = Axis {
        end: report.duration_ms.max(report.as_of.ms).max(latest).max(1),
        left,
        right,
    };
    let ticks: Vec<&Moment> = report.ticks.iter().filter(|t| t.ms <= axis.end).collect();

    let steps = team.steps.iter().filter_map(|step| {
        let at = step.at.as_ref()?;
        let (shape, words) = match step.status {
            StepStatus::Ran => (Shape::Dot, "ran"),
            StepStatus::Prevented => (Shape::Crossed, "prevented"),
            StepStatus::Skipped => (Shape::Ring, "skipped"),
            StepStatus::NotRun => (Shape::Ring, "not run"),
            StepStatus::ToCome => (Shape::DashedRing, "to come"),
        };
        let what = format!("{}: step {} ({}, {words})", at.label, step.name, step.technique);
        Some((shape, 0, at.ms, what))
    });
    let events = team.timeline.iter().filter_map(|entry| {
        let (shape, lane) = match entry.kind {
            EntryKind::Detection => (Shape::Triangle, 1),
            EntryKind::Action => (Shape::Square, 2),
            EntryKind::Inject => (Shape::Diamond, 3),
            EntryKind::Report => (Shape::OpenSquare, 4),
            EntryKind::Answer => (Shape::OpenDiamond, 4),
            EntryKind::Hint => (Shape::OpenTriangle, 4),
            // Steps are drawn from the steps themselves, which know their status; messages are
            // left to the table.
            EntryKind::Step | EntryKind::Message => return None,
        };
        Some((shape, lane, entry.at.ms, format!("{}: {}", entry.at.label, entry.text)))
    });
    let markers: Vec<(Shape, usize, u64, String)> = steps.chain(events).collect();

    html! {
        svg viewBox=(format!("0 0 {width} {}", num(height))) role="img"
            aria-label=(format!("Timeline of team {}: campaign steps, detections, response actions, injects and reports over exercise time", team.name)) {
            @for tick in thin(&ticks, MOST_LABELS) {
                @let x = num(axis.x(tick.ms));
                line x1=(x) x2=(x) y1=(num(TOP)) y2=(num(axis_y + 4.0)) stroke="#bbb" stroke-width="1" {}
                text x=(x) y=(num(axis_y + 18.0)) font-size="11" text-anchor="middle" { (tick.label) }
            }
            @if ticks.is_empty() {
                text x=(num(left)) y=(num(axis_y + 18.0)) font-size="11" { "start of play" }
                text x=(num(right)) y=(num(axis_y + 18.0)) font-size="11" text-anchor="end" {
                    (crate::span(axis.end)) " into play"
                }
            }
            @for (lane, name) in LANES.iter().enumerate() {
                @let y = num(lane_y(lane));
                text x=(num(left - 10.0)) y=(num(lane_y(lane) + 4.0)) font-size="12" text-anchor="end" { (name) }
                line x1=(num(left)) x2=(num(right)) y1=(y) y2=(y) stroke="#999" stroke-width="0.5" stroke-dasharray="2 3" {}
            }
            line x1=(num(left)) x2=(num(right)) y1=(num(axis_y)) y2=(num(axis_y)) stroke=(INK) stroke-width="1" {}
            @if !report.play_ended {
                @let x = num(axis.x(report.as_of.ms));
                line x1=(x) x2=(x) y1=(num(TOP - 14.0)) y2=(num(axis_y)) stroke=(INK) stroke-width="1.5" stroke-dasharray="6 4" {}
                text x=(x) y=(num(TOP - 18.0)) font-size="11" text-anchor="middle" { "as of " (report.as_of.label) }
            }
            @for (shape, lane, ms, what) in &markers {
                (marker(*shape, axis.x(*ms), lane_y(*lane), what))
            }
        }
    }
}

/// Each service's availability hour by hour: a bar per hour, filled for the share available and
/// hatched for the rest, with the percentage printed where there is room.
pub(crate) fn services(frame: Frame, team: &TeamReport, index: usize) -> Markup {
    const ROW: f64 = 100.0;
    let Frame {
        width,
        right,
        service_left: left,
        ..
    } = frame;
    const BAR: f64 = 50.0;
    let pattern = format!("hatch-{}", index + 1);
    let height = 10.0 + ROW * team.availability.len() as f64;
    html! {
        svg viewBox=(format!("0 0 {width} {}", num(height))) role="img"
            aria-label=(format!("Hourly availability of the services of team {}", team.name)) {
            defs {
                pattern id=(pattern) patternUnits="userSpaceOnUse" width="6" height="6" {
                    path d="M0 6L6 0M-1 1L1 -1M5 7L7 5" stroke=(INK) stroke-width="1" {}
                }
            }
            @for (row, service) in team.availability.iter().enumerate() {
                @let top = 10.0 + ROW * row as f64;
                @let base = top + 16.0 + BAR;
                @let slot = (right - left) / service.hourly.len().max(1) as f64;
                text x=(num(left - 10.0)) y=(num(top + 28.0)) font-size="12" font-weight="600" text-anchor="end" {
                    (service.name)
                }
                text x=(num(left - 10.0)) y=(num(top + 44.0)) font-size="11" text-anchor="end" { (service.host) }
                text x=(num(left - 10.0)) y=(num(top + 60.0)) font-size="11" text-anchor="end" {
                    (availability(service.percent)) " overall"
                }
                @for (hour, bar) in service.hourly.iter().enumerate() {
                    @let x = left + slot * hour as f64 + slot * 0.1;
                    @let width = slot * 0.8;
                    @let filled = BAR * bar.percent.clamp(0.0, 100.0) / 100.0;
                    g {
                        title { (bar.label) ": " (availability(bar.percent)) " available" }
                        rect x=(num(x)) y=(num(top + 16.0)) width=(num(width)) height=(num(BAR))
                            fill=(format!("url(#{pattern})")) stroke=(INK) stroke-width="0.5" {}
                        rect x=(num(x)) y=(num(base - filled)) width=(num(width)) height=(num(filled)) fill="#555" {}
                    }
                    @if slot >= 30.0 {
                        text x=(num(x + width / 2.0)) y=(num(top + 12.0)) font-size="9" text-anchor="middle" {
                            @if bar.percent >= 100.0 { "100" } @else { (format!("{:.1}", (bar.percent * 10.0).floor() / 10.0)) }
                        }
                    }
                }
                @for (hour, bar) in service.hourly.iter().enumerate().step_by(service.hourly.len().div_ceil(MOST_LABELS).max(1)) {
                    text x=(num(left + slot * (hour as f64 + 0.5))) y=(num(base + 14.0)) font-size="10" text-anchor="middle" {
                        (bar.label)
                    }
                }
            }
        }
    }
}

/// Each team's total as a share of its own possible points, as horizontal bars on one scale.
pub(crate) fn scores(frame: Frame, report: &ExerciseReport) -> Markup {
    let Frame {
        width,
        left,
        score_bar: full,
        ..
    } = frame;
    const TOP: f64 = 26.0;
    const ROW: f64 = 30.0;
    let height = TOP + ROW * report.teams.len() as f64 + 8.0;
    html! {
        svg viewBox=(format!("0 0 {width} {}", num(height))) role="img"
            aria-label="Each team's total as a share of the points it could have earned" {
            @for step in 0..=4 {
                @let x = num(left + full * f64::from(step) / 4.0);
                line x1=(x) x2=(x) y1=(num(TOP - 6.0)) y2=(num(height - 8.0)) stroke="#bbb" stroke-width="1" {}
                text x=(x) y=(num(TOP - 10.0)) font-size="11" text-anchor="middle" { (step * 25) " %" }
            }
            @for (row, team) in report.teams.iter().enumerate() {
                @let y = TOP + ROW * row as f64;
                @let percent = team.score.percent();
                text x=(num(left - 10.0)) y=(num(y + 18.0)) font-size="12" text-anchor="end" { (team.name) }
                rect x=(num(left)) y=(num(y + 6.0)) width=(num(full)) height="16" fill="none" stroke=(INK) stroke-width="0.5" {}
                rect x=(num(left)) y=(num(y + 6.0)) height="16" fill="#555"
                    width=(num(full * percent.unwrap_or(0.0).clamp(0.0, 100.0) / 100.0)) {}
                text x=(num(left + full + 10.0)) y=(num(y + 18.0)) font-size="12" {
                    @match percent {
                        Some(p) => { (whole_percent(p)) " (" (team.score.total) " of " (team.score.possible) ")" }
                        None => { "nothing to score yet" }
                    }
                }
            }
        }
    }
}

/// A chart as an SVG file of its own (for the PDF): the HTML page's inline `<svg>` needs no
/// namespace, a file does.
pub(crate) fn standalone(chart: &Markup) -> String {
    let svg = chart.0.as_str();
    match svg.strip_prefix("<svg ") {
        Some(rest) => format!(r#"<svg xmlns="http://www.w3.org/2000/svg" {rest}"#),
        None => svg.to_owned(),
    }
}
