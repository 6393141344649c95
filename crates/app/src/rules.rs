//! A team's own detection rules: what a rule written in the browser must be to be turned on.

use atoll_sigma::RuleSet;

/// The longest rule a team may write.
pub const MAX_RULE_BYTES: usize = 20_000;
/// A rule the team wrote, compiled alone: exactly one Sigma rule and no correlation. The
/// errors say where (`line 3, column 5: …`).
pub fn compile(yaml: &str) -> Result<RuleSet, Vec<String>> {
    if yaml.len() > MAX_RULE_BYTES {
        return Err(vec![format!("yaml: a rule is at most {MAX_RULE_BYTES} bytes")]);
    }
    let (rules, correlations) = atoll_sigma::load_str(yaml, &atoll_sigma::Config::default()).map_err(|errors| {
        errors
            .iter()
            .map(|e| format!("line {}, column {}: {}", e.span.line, e.span.col, e.message))
            .collect::<Vec<_>>()
    })?;
    if !correlations.is_empty() {
        return Err(vec![
            "yaml: correlation rules cannot be turned on from the workspace; write a single detection rule".to_owned(),
        ]);
    }
    if rules.len() != 1 {
        return Err(vec![format!(
            "yaml: write exactly one rule (this text has {})",
            rules.len()
        )]);
    }
    Ok(RuleSet::new(rules))
}
