//! What teams hand in — answers to the scenario's questions and incident reports — and how
//! answers are graded.
//!
//! Multiple-choice and indicator answers are graded here, at once and the same way every time;
//! free-text answers and reports wait for an instructor, who gives points per rubric criterion
//! (answers) or per report expectation (reports) with a comment the team reads.

use std::collections::BTreeMap;
use std::net::IpAddr;

use atoll_scenario::Scenario;
use atoll_scenario::model::{Effect, IndicatorKind, Question};
use atoll_sim::world::World;
use serde::{Deserialize, Serialize};

/// The most indicators one answer may hold beyond the number the question accepts: enough for
/// a team to hedge a little, not to list every address it saw.
pub const EXTRA_INDICATORS: usize = 3;

/// An answer as stored: exactly one of its three forms.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Answer {
    /// The ids of the options chosen.
    Choices(Vec<String>),
    Text(String),
    /// One value per indicator, as the team wrote it.
    Indicators(Vec<String>),
}

/// An incident report to the national CERT or a partner agency, on the fields of NIST
/// SP 800-61r3's reporting and analysis categories. Its title is stored beside it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Report {
    /// Who it is for: `national_cert`, `partner_agency`, `regulator` or `management`.
    pub to: String,
    /// `TLP:CLEAR`, `TLP:GREEN`, `TLP:AMBER`, `TLP:AMBER+STRICT` or `TLP:RED`.
    pub tlp: String,
    /// What happened.
    pub what: String,
    /// When it started and when it was found.
    pub when: String,
    /// Systems, services and data affected, and the effect on users.
    pub impact: String,
    /// What the team has done so far.
    pub actions: String,
    /// Addresses, domains, hashes, accounts: one per line.
    pub indicators: String,
    /// What comes next, and any help needed.
    pub next_steps: String,
}

/// Who a report may be addressed to, with labels.
pub const REPORT_RECIPIENTS: &[(&str, &str)] = &[
    ("national_cert", "National CERT"),
    ("partner_agency", "Partner agency"),
    ("regulator", "Telecommunications regulator"),
    ("management", "Own management"),
];

/// Traffic Light Protocol 2.0 markings.
pub const TLP: &[&str] = &["TLP:CLEAR", "TLP:GREEN", "TLP:AMBER", "TLP:AMBER+STRICT", "TLP:RED"];

/// An instructor's points for a submission: per rubric criterion (answers) or per report
/// expectation (reports).
pub type Points = BTreeMap<String, u32>;

/// A grade: points earned out of a maximum, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grade {
    pub earned: u32,
    pub max: u32,
    pub why: String,
}

impl Grade {
    /// `points` scaled by the grade, rounded to the nearest point.
    pub fn scale(&self, points: u32) -> u32 {
        if self.max == 0 {
            return 0;
        }
        ((u64::from(points) * u64::from(self.earned.min(self.max)) * 2 + u64::from(self.max))
            / (2 * u64::from(self.max))) as u32
    }
}

/// The kind of answer a question takes, as its form field says.
pub fn form_of(question: &Question) -> &'static str {
    if question.choice.is_some() {
        "choice"
    } else if question.indicator.is_some() {
        "indicator"
    } else {
        "free_text"
    }
}

/// Checks an answer against the question's form before it is stored: the right kind, known
/// options, a single option where only one may be chosen, not too many indicators, nothing
/// empty. The error names the form field.
pub fn check(question: &Question, answer: &Answer) -> Result<(), String> {
    match (answer, &question.choice, &question.free_text, &question.indicator) {
        (Answer::Choices(chosen), Some(choice), _, _) => {
            if chosen.is_empty() {
                return Err("choice: choose an option".into());
            }
            if chosen.len() > 1 && choice.multiple != Some(true) {
                return Err("choice: this question takes one option".into());
            }
            if let Some(bad) = chosen.iter().find(|c| !choice.options.iter().any(|o| o.id.name == **c)) {
                return Err(format!("choice: `{bad}` is not an option of this question"));
            }
            Ok(())
        }
        (Answer::Text(text), _, Some(_), _) => {
            if text.trim().is_empty() {
                Err("text: write your answer".into())
            } else if text.chars().count() > 20_000 {
                Err("text: keep the answer under 20,000 characters".into())
            } else {
                Ok(())
            }
        }
        (Answer::Indicators(values), _, _, Some(ind)) => {
            let limit = ind.accept.len() + EXTRA_INDICATORS;
            if values.is_empty() {
                Err("indicators: give at least one, one per line".into())
            } else if values.len() > limit {
                Err(format!("indicators: give at most {limit}, one per line"))
            } else if let Some(v) = values.iter().find(|v| v.chars().count() > 2_000) {
                Err(format!(
                    "indicators: `{}…` is too long",
                    v.chars().take(40).collect::<String>()
                ))
            } else {
                Ok(())
            }
        }
        _ => Err(format!(
            "{}: this question takes another kind of answer",
            form_of(question)
        )),
    }
}

/// Grades a multiple-choice or indicator answer; `None` for free text (an instructor grades
/// it) and for a choice question with no option marked correct (it has no right answer).
/// `candidates` gives the values a `{{placeholder}}` of an accepted indicator takes in the
/// team's world.
pub fn auto_grade(question: &Question, answer: &Answer, candidates: &dyn Fn(&str) -> Vec<String>) -> Option<Grade> {
    match (answer, &question.choice, &question.indicator) {
        (Answer::Choices(chosen), Some(choice), _) => {
            let right: Vec<&str> = choice
                .options
                .iter()
                .filter(|o| o.correct == Some(true))
                .map(|o| o.id.name.as_str())
                .collect();
            if right.is_empty() {
                return None;
            }
            let text = |id: &str| {
                choice
                    .options
                    .iter()
                    .find(|o| o.id.name == id)
                    .map_or_else(|| id.to_owned(), |o| o.text.get("en").to_owned())
            };
            let ok = chosen.len() == right.len() && right.iter().all(|r| chosen.iter().any(|c| c == r));
            let right_text = right.iter().map(|r| text(r)).collect::<Vec<_>>().join("; ");
            Some(if ok {
                Grade {
                    earned: 1,
                    max: 1,
                    why: format!("Right: {right_text}."),
                }
            } else {
                Grade {
                    earned: 0,
                    max: 1,
                    why: format!(
                        "Chosen: {}. The right {}: {right_text}.",
                        chosen.iter().map(|c| text(c)).collect::<Vec<_>>().join("; "),
                        if right.len() == 1 { "answer" } else { "answers" }
                    ),
                }
            })
        }
        (Answer::Indicators(values), _, Some(ind)) => {
            let given: Vec<String> = values.iter().map(|v| normalise(ind.kind, v)).collect();
            let mut found = Vec::new();
            for accepted in ind.accept.iter() {
                let hit = expand(accepted, candidates)
                    .iter()
                    .any(|a| given.iter().any(|g| same(ind.kind, g, &normalise(ind.kind, a))));
                if hit {
                    found.push(accepted.as_str());
                }
            }
            let required = ind.required.map_or(ind.accept.len(), |n| n as usize).max(1);
            let earned = found.len().min(required) as u32;
            let why = if found.is_empty() {
                format!(
                    "None of the {} given is one the white cell was looking for.",
                    values.len()
                )
            } else {
                format!(
                    "{} of the {} needed found: {}.",
                    earned,
                    required,
                    found.iter().map(|f| format!("`{f}`")).collect::<Vec<_>>().join(", ")
                )
            };
            Some(Grade {
                earned,
                max: required as u32,
                why,
            })
        }
        _ => None,
    }
}

/// A stored answer's grade: automatic for choices and indicators, the instructor's `points`
/// and `comment` for free text (`None` until graded, and for choices with no right answer).
pub fn grade(
    question: &Question,
    answer: &Answer,
    graded: Option<(&Points, &str)>,
    candidates: &dyn Fn(&str) -> Vec<String>,
) -> Option<Grade> {
    if question.free_text.is_some() {
        let (points, comment) = graded?;
        return rubric_grade(question, points, comment);
    }
    auto_grade(question, answer, candidates)
}

/// Grades a free-text answer from an instructor's points per rubric criterion (criteria
/// without points count nothing; points above a criterion's maximum count its maximum).
pub fn rubric_grade(question: &Question, points: &Points, comment: &str) -> Option<Grade> {
    let rubric = &question.free_text.as_ref()?.rubric;
    let mut earned = 0;
    let mut max = 0;
    let mut parts = Vec::new();
    for c in rubric.iter() {
        let p = points.get(&c.id.name).copied().unwrap_or(0).min(c.points);
        earned += p;
        max += c.points;
        parts.push(format!("{} {p}/{}", c.text.get("en"), c.points));
    }
    let mut why = format!("Graded: {}.", parts.join("; "));
    if !comment.trim().is_empty() {
        why.push_str(&format!(" Comment: {}", comment.trim()));
    }
    Some(Grade { earned, max, why })
}

/// The values a placeholder of an accepted indicator takes in one team's world: every host's
/// name or address for `host.*` (and `peer.*`, `target.*`), every organisation's domain, every account,
/// and the command-and-control channels of the campaigns run against the team.
pub fn world_values(scenario: &Scenario, world: &World<'_>, name: &str) -> Vec<String> {
    let hosts = world.hosts.iter();
    match name {
        "host.hostname" | "peer.hostname" | "target.hostname" => hosts.map(|h| h.def.hostname.clone()).collect(),
        "host.address" | "peer.address" | "target.address" => hosts.map(|h| h.def.address.0.to_string()).collect(),
        "host.fqdn" | "target.fqdn" => hosts.map(|h| h.fqdn.clone()).collect(),
        "org.domain" => world.orgs.iter().map(|o| o.domain.clone()).collect(),
        "org.netbios" => world.orgs.iter().map(|o| o.netbios.clone()).collect(),
        "account.username" => world
            .accounts
            .iter()
            .map(|a| format!("{}\\{}", a.domain, a.user))
            .collect(),
        "account.user" => world.accounts.iter().map(|a| a.user.clone()).collect(),
        "c2.domain" | "c2.address" => scenario
            .campaigns
            .iter()
            .filter(|c| c.teams.is_empty() || c.teams.iter().any(|t| t.name == world.team))
            .flat_map(|c| c.steps.iter())
            .flat_map(|s| s.effects.iter())
            .filter_map(|e| match e {
                Effect::C2(c2) if name == "c2.domain" => c2.domain.clone(),
                Effect::C2(c2) => c2.address.as_ref().map(|a| a.0.to_string()),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// An accepted value with its `{{placeholders}}` replaced by every value they take (at most a
/// few hundred combinations).
fn expand(template: &str, candidates: &dyn Fn(&str) -> Vec<String>) -> Vec<String> {
    let Some(open) = template.find("{{") else {
        return vec![template.to_owned()];
    };
    let Some(close) = template[open..].find("}}").map(|c| open + c) else {
        return vec![template.to_owned()];
    };
    let name = template[open + 2..close].trim();
    let mut out = Vec::new();
    for value in candidates(name) {
        let head = format!("{}{value}", &template[..open]);
        for rest in expand(&template[close + 2..], candidates) {
            if out.len() >= 512 {
                return out;
            }
            out.push(format!("{head}{rest}"));
        }
    }
    out
}

/// An indicator as it is compared: trimmed, re-fanged (`203.0.113[.]45`, `hxxp://`), and
/// folded as the kind allows (addresses parsed, names and hashes lowercased, registry hives
/// spelt out, paths with backslashes).
pub fn normalise(kind: IndicatorKind, value: &str) -> String {
    let v = value
        .trim()
        .trim_matches(|c| c == '"' || c == '\'' || c == '`')
        .replace("[.]", ".")
        .replace("(.)", ".")
        .replace("[:]", ":");
    match kind {
        IndicatorKind::Ipv4 | IndicatorKind::Ipv6 => match v.parse::<IpAddr>() {
            Ok(ip) => ip.to_string(),
            Err(_) => v.to_ascii_lowercase(),
        },
        IndicatorKind::Domain | IndicatorKind::Hostname => v.trim_end_matches('.').to_ascii_lowercase(),
        IndicatorKind::Url => {
            let lower = v.to_ascii_lowercase();
            for (defanged, scheme) in [("hxxps://", "https://"), ("hxxp://", "http://")] {
                if let Some(rest) = lower.strip_prefix(defanged) {
                    return format!("{scheme}{rest}");
                }
            }
            lower
        }
        IndicatorKind::Sha256 | IndicatorKind::Md5 => v.to_ascii_lowercase(),
        IndicatorKind::Account => v.to_lowercase(),
        IndicatorKind::FilePath => v.replace('/', "\\").to_lowercase(),
        IndicatorKind::RegistryKey => {
            let v = v.replace('/', "\\").to_uppercase();
            for (short, long) in [
                ("HKLM\\", "HKEY_LOCAL_MACHINE\\"),
                ("HKCU\\", "HKEY_CURRENT_USER\\"),
                ("HKU\\", "HKEY_USERS\\"),
                ("HKCR\\", "HKEY_CLASSES_ROOT\\"),
            ] {
                if let Some(rest) = v.strip_prefix(short) {
                    return format!("{long}{rest}");
                }
            }
            v
        }
    }
}

/// Whether two normalised indicators name the same thing: equal, or for accounts and
/// hostnames a bare name and the same name with a domain (`svc_prtg` matches `PT\svc_prtg`
/// and `svc_prtg@pt.local`; `pt-dc01` matches `pt-dc01.pt.local`). Two names that both carry
/// a domain must be written alike.
fn same(kind: IndicatorKind, a: &str, b: &str) -> bool {
    if a == b {
        return true;
    }
    match kind {
        IndicatorKind::Account => {
            let user = |s: &str| -> (String, bool) {
                if let Some((_, u)) = s.rsplit_once('\\') {
                    (u.to_owned(), true)
                } else if let Some((u, _)) = s.split_once('@') {
                    (u.to_owned(), true)
                } else {
                    (s.to_owned(), false)
                }
            };
            let ((ua, qa), (ub, qb)) = (user(a), user(b));
            // A bare name matches a qualified one; two qualified names must be equal.
            ua == ub && !(qa && qb)
        }
        IndicatorKind::Hostname => {
            let first = |s: &str| s.split('.').next().unwrap_or(s).to_owned();
            (!a.contains('.') || !b.contains('.')) && first(a) == first(b)
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indicators_compare_as_analysts_write_them() {
        use IndicatorKind::*;
        let eq = |kind, a: &str, b: &str| same(kind, &normalise(kind, a), &normalise(kind, b));
        assert!(eq(Ipv4, " 203.0.113[.]45 ", "203.0.113.45"));
        assert!(!eq(Ipv4, "203.0.113.4", "203.0.113.45"));
        assert!(eq(Ipv6, "2001:DB8::1", "2001:db8:0:0::1"));
        assert!(eq(Domain, "Update.Example.NET.", "update.example.net"));
        assert!(eq(Url, "hxxp://Example.net/a", "http://example.net/a"));
        assert!(eq(Sha256, "ABCDEF", "abcdef"));
        assert!(eq(Account, "PT\\svc_prtg", "svc_prtg"));
        assert!(eq(Account, "svc_prtg@pt.local", "SVC_PRTG"));
        assert!(
            !eq(Account, "PT\\svc_prtg", "OTHER\\svc_prtg"),
            "two domains are two accounts"
        );
        assert!(eq(Hostname, "PT-DC01.pt.local", "pt-dc01"));
        assert!(!eq(Hostname, "pt-dc01.a.local", "pt-dc01.b.local"));
        assert!(eq(
            FilePath,
            "C:/inetpub/wwwroot/X.aspx",
            "c:\\inetpub\\wwwroot\\x.aspx"
        ));
        assert!(eq(
            RegistryKey,
            "HKLM\\SYSTEM\\CurrentControlSet\\Services\\PortProxy",
            "hkey_local_machine\\system\\currentcontrolset\\services\\portproxy"
        ));
    }

    #[test]
    fn placeholders_expand_to_every_value_they_take() {
        let candidates = |name: &str| match name {
            "c2.address" => vec!["198.51.100.7".to_owned(), "198.51.100.8".to_owned()],
            _ => vec![],
        };
        assert_eq!(
            expand("{{ c2.address }}", &candidates),
            ["198.51.100.7", "198.51.100.8"]
        );
        assert_eq!(expand("x", &candidates), ["x"]);
        assert!(expand("{{host.hostname}}", &candidates).is_empty());
    }

    #[test]
    fn grades_scale_points_to_the_nearest_point() {
        let g = |earned, max| Grade {
            earned,
            max,
            why: String::new(),
        };
        assert_eq!(g(7, 10).scale(50), 35);
        assert_eq!(g(1, 3).scale(50), 17);
        assert_eq!(g(12, 10).scale(50), 50, "more than the maximum counts as the maximum");
        assert_eq!(g(0, 0).scale(50), 0);
    }
}
