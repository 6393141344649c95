//! Finding what a team names as the target of a response action the way its pages and logs
//! show it: an account as `DOMAIN\user`, `user@domain`, `user` or its id, and, when nothing
//! matches, the closest name to suggest.

use atoll_scenario::model::Account;

/// Why an account was not found.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum NotOne {
    None,
    /// Several accounts answer to it (a bare user name in two domains): their user names.
    Several(Vec<String>),
}

/// The account of `accounts` that `name` means: its id; its user name as logs write it (any
/// case); `DOMAIN\user` or `user@domain` (the domain as the user name writes it, or the
/// organisation's DNS domain, `domain_of`, or that domain's first label); or the bare user.
pub(crate) fn account<'a>(
    name: &str,
    accounts: &[&'a Account],
    domain_of: impl Fn(&Account) -> Option<&'a str>,
) -> Result<&'a Account, NotOne> {
    if let Some(a) = accounts.iter().find(|a| a.id.name == name) {
        return Ok(a);
    }
    if let Some(a) = accounts.iter().find(|a| a.username.eq_ignore_ascii_case(name)) {
        return Ok(a);
    }
    let (domain, user) = match (name.split_once('\\'), name.split_once('@')) {
        (Some((d, u)), _) => (Some(d), u),
        (None, Some((u, d))) => (Some(d), u),
        (None, None) => (None, name),
    };
    let matching: Vec<&'a Account> = accounts
        .iter()
        .copied()
        .filter(|a| {
            let (their_domain, their_user) = match a.username.split_once('\\') {
                Some((d, u)) => (Some(d), u),
                None => (None, a.username.as_str()),
            };
            if !their_user.eq_ignore_ascii_case(user) {
                return false;
            }
            let Some(domain) = domain else {
                return true;
            };
            let dns = domain_of(a);
            their_domain.is_some_and(|d| d.eq_ignore_ascii_case(domain))
                || dns.is_some_and(|d| {
                    d.eq_ignore_ascii_case(domain)
                        || d.split('.').next().is_some_and(|l| l.eq_ignore_ascii_case(domain))
                })
        })
        .collect();
    match matching.as_slice() {
        [one] => Ok(one),
        [] => Err(NotOne::None),
        several => Err(NotOne::Several(several.iter().map(|a| a.username.clone()).collect())),
    }
}

/// The candidate closest to `word` (ignoring case), if one is close enough to suggest.
pub(crate) fn closest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    atoll_scenario::diag::did_you_mean(word, candidates)
}
