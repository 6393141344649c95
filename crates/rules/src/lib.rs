//! atoll's detection content: the **default rule pack** carried inside the binary, and the
//! **selection** that decides which of its rules raise alerts in an exercise.
//!
//! The pack holds the SigmaHQ rules that atoll's telemetry can reach (copied unchanged into
//! `sigmahq/` by `sigmahq/vendor.py`, under the Detection Rule License 1.1: [`NOTICE`],
//! [`LICENSE`], [`sigmahq_version`]) and atoll's own rules (`rules/`). More folders can be
//! added ([`Catalog::load`]). A [`Selection`] (minimum level, statuses, products, rules named
//! on or off) gives every rule of a [`Catalog`] a [`Decision`]: on or off, and why, in words
//! the white cell reads on the rules page and in `atoll rules list`.
//!
//! Nothing here reads the clock; the same pack, folders and selection give the same rules in
//! the same order.

use std::path::PathBuf;

use atoll_sigma::{Config, Correlation, Level, LoadError, Rule, RuleSet};

mod pack {
    include!(concat!(env!("OUT_DIR"), "/pack.rs"));
}

/// The notice that goes with SigmaHQ's rules (what they are, their licence, how atoll shows
/// each rule's author).
pub const NOTICE: &str = include_str!("../../../sigmahq/NOTICE.md");
/// The Detection Rule License 1.1, under which SigmaHQ's rules are shared.
pub const LICENSE: &str = include_str!("../../../sigmahq/LICENSE");
const VERSION: &str = include_str!("../../../sigmahq/VERSION");

/// The SigmaHQ release of the pack: `SigmaHQ <commit> (<date>)`.
pub fn sigmahq_version() -> &'static str {
    VERSION.trim()
}

/// Every rule file inside the binary: (path from the repository root, text), SigmaHQ's
/// (`sigmahq/…`) then atoll's own (`rules/…`), each in path order.
pub fn pack_files() -> &'static [(&'static str, &'static str)] {
    pack::FILES
}

/// Where a rule comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Origin {
    /// SigmaHQ's rules in the default pack.
    SigmaHq,
    /// atoll's own rules in the default pack.
    Atoll,
    /// A folder added with `--rules`.
    Folder,
}

impl Origin {
    pub fn as_str(self) -> &'static str {
        match self {
            Origin::SigmaHq => "SigmaHQ",
            Origin::Atoll => "atoll",
            Origin::Folder => "added folder",
        }
    }
}

/// A rule file: its name, where it comes from, and its text (kept to be shown on an alert's
/// page, with the rule's author).
#[derive(Debug, Clone)]
pub struct Source {
    pub file: String,
    pub origin: Origin,
    pub text: std::sync::Arc<str>,
}

/// Every rule atoll could run: the default pack and any added folders, loaded once.
#[derive(Debug, Default)]
pub struct Catalog {
    rules: Vec<Rule>,
    /// For each rule, its file in `sources`.
    rule_source: Vec<usize>,
    correlations: Vec<Correlation>,
    correlation_source: Vec<usize>,
    sources: Vec<Source>,
    /// Files that did not load, with their line and column. The pack's own files all load
    /// (tested); added folders may hold rules this engine refuses.
    pub errors: Vec<LoadError>,
}

impl Catalog {
    /// The default pack, then every `.yml` / `.yaml` file under `extra`.
    pub fn load(extra: &[PathBuf]) -> Catalog {
        let config = Config::default();
        let mut catalog = Catalog::default();
        for (name, text) in pack::FILES {
            let origin = if name.starts_with("sigmahq/") {
                Origin::SigmaHq
            } else {
                Origin::Atoll
            };
            catalog.add(name, origin, text, &config);
        }
        let mut errors = Vec::new();
        for file in atoll_sigma::rule_files(extra, &mut errors) {
            let too_large = std::fs::metadata(&file).is_ok_and(|m| m.len() > atoll_sigma::MAX_RULE_FILE_BYTES);
            match std::fs::read_to_string(&file) {
                Ok(_) if too_large => errors.push(LoadError {
                    file,
                    line: 0,
                    column: 0,
                    message: format!(
                        "the file is larger than {} bytes; a rule file holds one rule or a few related ones",
                        atoll_sigma::MAX_RULE_FILE_BYTES
                    ),
                }),
                Ok(text) => catalog.add(&file.display().to_string(), Origin::Folder, &text, &config),
                Err(e) => errors.push(LoadError {
                    file,
                    line: 0,
                    column: 0,
                    message: format!("cannot read the file: {e}"),
                }),
            }
        }
        catalog.errors.extend(errors);
        catalog
    }

    fn add(&mut self, name: &str, origin: Origin, text: &str, config: &Config) {
        match atoll_sigma::load_str(text, config) {
            Ok((rules, correlations)) => {
                let source = self.sources.len();
                self.sources.push(Source {
                    file: name.to_owned(),
                    origin,
                    text: text.into(),
                });
                self.rule_source.extend(std::iter::repeat_n(source, rules.len()));
                self.rules.extend(rules);
                self.correlation_source
                    .extend(std::iter::repeat_n(source, correlations.len()));
                self.correlations.extend(correlations);
            }
            Err(errors) => {
                self.errors.extend(errors.into_iter().map(|e| LoadError {
                    file: PathBuf::from(name),
                    line: e.span.line,
                    column: e.span.col,
                    message: e.message,
                }));
            }
        }
    }

    /// Every rule, in load order.
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// Every correlation rule, in load order.
    pub fn correlations(&self) -> &[Correlation] {
        &self.correlations
    }

    /// The file rule `index` was read from.
    pub fn source_of(&self, index: usize) -> &Source {
        &self.sources[self.rule_source[index]]
    }

    /// The file correlation `index` was read from.
    pub fn correlation_source_of(&self, index: usize) -> &Source {
        &self.sources[self.correlation_source[index]]
    }

    /// The rule with this id, if there is one (the first loaded, should two share it).
    pub fn find(&self, id: &str) -> Option<usize> {
        self.rules.iter().position(|r| r.id.as_deref() == Some(id))
    }

    /// The correlation with this id, if there is one.
    pub fn find_correlation(&self, id: &str) -> Option<usize> {
        self.correlations.iter().position(|c| c.id.as_deref() == Some(id))
    }

    /// Applies a selection: which rules and correlations are on, and why each is on or off.
    pub fn select(&self, selection: &Selection) -> Selected {
        let mut decisions: Vec<Decision> = Vec::with_capacity(self.rules.len());
        for rule in &self.rules {
            decisions.push(selection.decide(
                rule.id.as_deref(),
                &rule.title,
                rule.level,
                rule.status.as_deref(),
                rule.logsource.product.as_deref(),
                rule.logsource.is_known(),
            ));
        }
        let correlation_decisions: Vec<Decision> = self
            .correlations
            .iter()
            .map(|c| selection.decide(c.id.as_deref(), &c.title, c.level, None, None, true))
            .collect();
        // A correlation that is on needs the rules it counts, whatever their own decision.
        for (c, d) in self.correlations.iter().zip(&correlation_decisions) {
            if !d.on {
                continue;
            }
            for name in &c.rules {
                for (r, decision) in self.rules.iter().zip(decisions.iter_mut()) {
                    if !decision.on && (r.id.as_deref() == Some(name) || r.name.as_deref() == Some(name)) {
                        decision.on = true;
                        decision.why = format!("counted by the correlation «{}», which is on", c.title);
                    }
                }
            }
        }
        // Every rule runs, so that the white cell can turn one on while the exercise runs; those
        // off raise nothing (`Selected::on`).
        let rules: Vec<Rule> = self.rules.clone();
        let correlations: Vec<Correlation> = self
            .correlations
            .iter()
            .zip(&correlation_decisions)
            .filter(|(_, d)| d.on)
            .map(|(c, _)| c.clone())
            .collect();
        Selected {
            set: RuleSet::new(rules),
            on: decisions.iter().map(|d| d.on).collect(),
            correlations,
            decisions,
            correlation_decisions,
        }
    }
}

/// One line of the catalog as people read it (`atoll rules list`, the Detection rules page): a
/// rule or a correlation, with its decision.
#[derive(Debug)]
pub struct Entry<'c> {
    /// The rule's index in [`Catalog::rules`] (and in [`Selected::set`]); `None` for a
    /// correlation.
    pub rule: Option<usize>,
    pub id: Option<&'c str>,
    pub title: &'c str,
    pub level: Option<Level>,
    pub status: Option<&'c str>,
    pub author: Option<&'c str>,
    pub tags: &'c [String],
    pub origin: Origin,
    pub decision: &'c Decision,
}

impl Catalog {
    /// Every rule, then every correlation, with the decision `selected` gave it.
    pub fn entries<'c>(&'c self, selected: &'c Selected) -> Vec<Entry<'c>> {
        let rules = self
            .rules
            .iter()
            .zip(&selected.decisions)
            .enumerate()
            .map(|(i, (r, d))| Entry {
                rule: Some(i),
                id: r.id.as_deref(),
                title: &r.title,
                level: r.level,
                status: r.status.as_deref(),
                author: r.author.as_deref(),
                tags: &r.tags,
                origin: self.source_of(i).origin,
                decision: d,
            });
        let correlations = self
            .correlations
            .iter()
            .zip(&selected.correlation_decisions)
            .enumerate()
            .map(|(i, (c, d))| Entry {
                rule: None,
                id: c.id.as_deref(),
                title: &c.title,
                level: c.level,
                status: None,
                author: c.author.as_deref(),
                tags: &[],
                origin: self.correlation_source_of(i).origin,
                decision: d,
            });
        rules.chain(correlations).collect()
    }
}

/// A rule on or off in an exercise, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    pub on: bool,
    pub why: String,
}

/// The outcome of [`Catalog::select`]: every rule of the catalog in one set (same indexes), which
/// of them raise alerts, and a decision with its reason for each.
#[derive(Debug)]
pub struct Selected {
    pub set: RuleSet,
    /// Whether rule `i` of `set` raises alerts (the correlations' base rules count too).
    pub on: Vec<bool>,
    pub correlations: Vec<Correlation>,
    pub decisions: Vec<Decision>,
    pub correlation_decisions: Vec<Decision>,
}

/// Statuses a rule may have and still be chosen by default; `deprecated` and `unsupported`
/// rules are left out.
pub const DEFAULT_STATUSES: [&str; 3] = ["stable", "test", "experimental"];

/// Which rules raise alerts in an exercise.
///
/// In order: a rule named in `on` is on; one named in `off` is off; then its status must be one
/// of `statuses`, its level at least `min_level`, its product one of `products` (any when
/// empty), and its log source one atoll's telemetry feeds. A rule is named by its id or its
/// exact title (any case).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selection {
    pub min_level: Level,
    pub statuses: Vec<String>,
    pub products: Vec<String>,
    pub on: Vec<String>,
    pub off: Vec<String>,
}

impl Default for Selection {
    /// Medium and above, any status but deprecated and unsupported, every product. On the
    /// bundled scenario this keeps a team's queue at 15–30 alerts an hour on the first day,
    /// with every step that ran seen (see the table in `docs/detection.md`).
    fn default() -> Selection {
        Selection {
            min_level: Level::Medium,
            statuses: DEFAULT_STATUSES.iter().map(|s| (*s).to_owned()).collect(),
            products: Vec::new(),
            on: Vec::new(),
            off: Vec::new(),
        }
    }
}

impl Selection {
    fn names(list: &[String], id: Option<&str>, title: &str) -> bool {
        list.iter()
            .any(|n| id.is_some_and(|id| id.eq_ignore_ascii_case(n)) || title.eq_ignore_ascii_case(n))
    }

    fn decide(
        &self,
        id: Option<&str>,
        title: &str,
        level: Option<Level>,
        status: Option<&str>,
        product: Option<&str>,
        routed: bool,
    ) -> Decision {
        let off = |why: String| Decision { on: false, why };
        if Self::names(&self.on, id, title) {
            return Decision {
                on: true,
                why: "turned on by name".to_owned(),
            };
        }
        if Self::names(&self.off, id, title) {
            return off("turned off by name".to_owned());
        }
        if !routed {
            return off("its log source is not one atoll's telemetry writes (docs/logsources.md)".to_owned());
        }
        if let Some(status) = status
            && !self.statuses.iter().any(|s| s.eq_ignore_ascii_case(status))
        {
            return off(format!(
                "status {status} is not among those chosen ({})",
                self.statuses.join(", ")
            ));
        }
        let level_text = level.map_or("none", Level::as_str);
        if level.is_none_or(|l| l < self.min_level) {
            return off(format!("level {level_text} is below {}", self.min_level.as_str()));
        }
        if !self.products.is_empty() {
            let p = product.unwrap_or("any");
            if !self.products.iter().any(|x| x.eq_ignore_ascii_case(p)) {
                return off(format!(
                    "product {p} is not among those chosen ({})",
                    self.products.join(", ")
                ));
            }
        }
        Decision {
            on: true,
            why: format!(
                "level {level_text}{}: chosen ({} or above)",
                status.map(|s| format!(", status {s}")).unwrap_or_default(),
                self.min_level.as_str(),
            ),
        }
    }

    /// The selection in one line, for logs and the rules page: `level medium or above; status
    /// stable, test, experimental; every product; 2 rules on and 1 off by name`.
    pub fn describe(&self) -> String {
        let mut parts = vec![
            format!("level {} or above", self.min_level.as_str()),
            format!("status {}", self.statuses.join(", ")),
        ];
        parts.push(if self.products.is_empty() {
            "every product".to_owned()
        } else {
            format!("products {}", self.products.join(", "))
        });
        if !self.on.is_empty() || !self.off.is_empty() {
            parts.push(format!("{} on and {} off by name", self.on.len(), self.off.len()));
        }
        parts.join("; ")
    }
}

#[cfg(test)]
mod tests {
    use super::{Catalog, Origin, Selection};
    use atoll_sigma::Level;

    fn decide(selection: &Selection, level: Level, status: &str, product: Option<&str>) -> (bool, String) {
        let d = selection.decide(Some("id-1"), "A Rule", Some(level), Some(status), product, true);
        (d.on, d.why)
    }

    #[test]
    fn a_selection_says_why_each_rule_is_on_or_off() {
        let default = Selection::default();
        assert_eq!(
            decide(&default, Level::High, "test", None),
            (true, "level high, status test: chosen (medium or above)".to_owned())
        );
        assert_eq!(
            decide(&default, Level::Low, "stable", None),
            (false, "level low is below medium".to_owned())
        );
        assert_eq!(
            decide(&default, Level::Critical, "deprecated", None),
            (
                false,
                "status deprecated is not among those chosen (stable, test, experimental)".to_owned()
            )
        );
        let named = Selection {
            on: vec!["a rule".into()],
            off: vec!["id-1".into()],
            ..Selection::default()
        };
        // `on` wins over `off`, by title in any case.
        assert_eq!(
            decide(&named, Level::Low, "test", None),
            (true, "turned on by name".to_owned())
        );
        let off = Selection {
            off: vec!["ID-1".into()],
            ..Selection::default()
        };
        assert_eq!(
            decide(&off, Level::High, "test", None),
            (false, "turned off by name".to_owned())
        );
        let windows = Selection {
            products: vec!["windows".into()],
            ..Selection::default()
        };
        assert!(decide(&windows, Level::High, "test", Some("windows")).0);
        assert_eq!(
            decide(&windows, Level::High, "test", Some("cisco")),
            (false, "product cisco is not among those chosen (windows)".to_owned())
        );
        let unrouted = default.decide(Some("x"), "X", Some(Level::High), Some("test"), Some("macos"), false);
        assert!(!unrouted.on && unrouted.why.contains("not one atoll's telemetry writes"));
    }

    #[test]
    fn the_pack_loads_whole_and_keeps_what_correlations_count() {
        let catalog = Catalog::load(&[]);
        assert!(catalog.errors.is_empty(), "{:?}", catalog.errors);
        assert!(catalog.rules().len() > 3000, "{}", catalog.rules().len());
        let atoll = (0..catalog.rules().len())
            .filter(|&i| catalog.source_of(i).origin == Origin::Atoll)
            .count();
        assert!(atoll >= 10, "atoll's own rules are in the pack: {atoll}");
        assert!(crate::sigmahq_version().starts_with("SigmaHQ 8eaafff"));
        assert!(crate::NOTICE.contains("Detection Rule License"));
        let selected = catalog.select(&Selection::default());
        assert_eq!(selected.decisions.len(), catalog.rules().len());
        // The beaconing correlations are on (medium), and so are their informational base rules.
        let base = catalog
            .rules()
            .iter()
            .position(|r| r.title == "Small TLS Flow From An Internal Host To An External Address")
            .expect("a base rule of atoll's beaconing correlations");
        assert!(selected.decisions[base].on, "{:?}", selected.decisions[base]);
        assert!(selected.decisions[base].why.starts_with("counted by the correlation"));
        assert_eq!(
            selected.correlations.len(),
            catalog.correlations().len(),
            "every correlation of the pack is medium or above"
        );
        // Every rule is in the set, in the catalog's order; `on` follows the decisions.
        assert_eq!(selected.set.len(), catalog.rules().len());
        assert!(selected.on.iter().zip(&selected.decisions).all(|(on, d)| *on == d.on));
        assert_eq!(selected.set.rules()[base].title, catalog.rules()[base].title);
    }
}
