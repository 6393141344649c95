//! Settings of `atoll serve` and `atoll admin`: command-line flags first, then environment
//! variables (clap reads both), then an optional TOML file, then defaults. `atoll demo` takes
//! the flags and variables of [`Reach`] too.
//!
//! ```toml
//! database = "sqlite:///var/lib/atoll/atoll.db"
//! bind = "0.0.0.0:8080"
//! rules = ["/srv/sigma/rules/windows", "/srv/our-rules"]
//! public_url = "https://cyber.example.org"
//! allowed_hosts = ["cyber.example.org", "atoll.internal"]
//! trust_proxy = ["127.0.0.1"]
//! ```

use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::str::FromStr;

use atoll_web::Site;
use atoll_web::site::{HostName, Proxy, PublicUrl};

/// Flags every server command takes.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct Common {
    /// TOML settings file (keys: database, bind, rules, public_url, allowed_hosts,
    /// trust_proxy).
    #[arg(long, env = "ATOLL_CONFIG", value_name = "FILE", global = true)]
    pub(crate) config: Option<PathBuf>,
    /// Where the exercise state lives: `sqlite://PATH` (created if missing).
    #[arg(long, env = "ATOLL_DATABASE", value_name = "URL", global = true)]
    pub(crate) database: Option<String>,
}

/// The settings file.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct File {
    pub(crate) database: Option<String>,
    pub(crate) bind: Option<SocketAddr>,
    #[serde(default)]
    pub(crate) rules: Vec<PathBuf>,
    pub(crate) public_url: Option<Parsed<PublicUrl>>,
    #[serde(default)]
    pub(crate) allowed_hosts: Vec<Parsed<HostName>>,
    #[serde(default)]
    pub(crate) trust_proxy: Vec<Parsed<Proxy>>,
}

/// A setting read from the file's text by the type's own parser, so that a bad value is
/// reported at its place (`FILE:LINE:COL`) with the parser's reason.
#[derive(Debug, Clone)]
pub(crate) struct Parsed<T>(pub(crate) T);

impl<'de, T: FromStr<Err = String>> serde::Deserialize<'de> for Parsed<T> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        // Parsed while the value is read, so that the error gets the value's own place (an
        // array's element, not the array).
        struct Text<T>(std::marker::PhantomData<T>);
        impl<T: FromStr<Err = String>> serde::de::Visitor<'_> for Text<T> {
            type Value = Parsed<T>;

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a string")
            }

            fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<Parsed<T>, E> {
                text.parse().map(Parsed).map_err(E::custom)
            }
        }
        d.deserialize_str(Text(std::marker::PhantomData))
    }
}

/// How people and proxies reach the server (`demo` and `serve`).
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct Reach {
    /// The address people open, as `https://cyber.example.org`: invitation links start with
    /// it, and session cookies are `Secure` when it is https [default: `public_url` in the
    /// settings file; without one, links use the address the browser asked for].
    #[arg(long, env = "ATOLL_PUBLIC_URL", value_name = "URL")]
    public_url: Option<PublicUrl>,
    /// Host names the server answers to; a request for any other is refused (421)
    /// [default: `allowed_hosts` in the settings file, else the public URL's host, else the
    /// address served on (any IP address on 0.0.0.0 or ::), with localhost, 127.0.0.1 and
    /// [::1] in both cases]. ATOLL_ALLOWED_HOSTS takes a comma-separated list.
    #[arg(long, env = "ATOLL_ALLOWED_HOSTS", value_name = "NAME", value_delimiter = ',')]
    allowed_hosts: Vec<HostName>,
    /// A proxy in front of the server (IP address or network, as 10.0.0.0/8): only
    /// connections from one have their X-Forwarded-Proto, X-Forwarded-Host and
    /// X-Forwarded-For believed [default: `trust_proxy` in the settings file, else none].
    /// ATOLL_TRUST_PROXY takes a comma-separated list.
    #[arg(long, env = "ATOLL_TRUST_PROXY", value_name = "ADDR", value_delimiter = ',')]
    trust_proxy: Vec<Proxy>,
}

impl Reach {
    /// The site as the flags, else the settings file, say it, for a server on `bind`.
    pub(crate) fn site(&self, file: &File, bind: IpAddr) -> Site {
        let public = self.public_url.clone().or_else(|| file.public_url.clone().map(|p| p.0));
        Site::new(
            public,
            flags_or_file(&self.allowed_hosts, &file.allowed_hosts),
            flags_or_file(&self.trust_proxy, &file.trust_proxy),
            bind,
        )
    }
}

/// A list from the flags (or variables) if any, else from the settings file.
fn flags_or_file<T: Clone>(flags: &[T], file: &[Parsed<T>]) -> Vec<T> {
    if flags.is_empty() {
        file.iter().map(|p| p.0.clone()).collect()
    } else {
        flags.to_vec()
    }
}

/// A database the server can open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Database {
    Sqlite(PathBuf),
}

impl Common {
    /// The settings file, if one was named; relative paths in it are relative to its folder.
    pub(crate) fn file(&self) -> Result<File, String> {
        let Some(path) = &self.config else {
            return Ok(File::default());
        };
        read_file(path)
    }

    /// The database: the flag or `ATOLL_DATABASE`, else the file's `database`.
    pub(crate) fn database(&self, file: &File) -> Result<Database, String> {
        let url = self.database.as_deref().or(file.database.as_deref()).ok_or(
            "no database: pass --database sqlite://PATH, set ATOLL_DATABASE, or set `database` in the --config file",
        )?;
        parse_database(url)
    }
}

/// Reads and checks a settings file; errors say `FILE:LINE:COL: …`.
pub(crate) fn read_file(path: &Path) -> Result<File, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut file: File = toml::from_str(&text).map_err(|e| {
        let (line, col) = e.span().map_or((1, 1), |span| line_col(&text, span.start));
        format!("{}:{line}:{col}: {}", path.display(), e.message())
    })?;
    let base = path.parent().unwrap_or(Path::new("."));
    for rule in &mut file.rules {
        if rule.is_relative() {
            *rule = base.join(&*rule);
        }
    }
    if let Some(url) = &file.database {
        // Check it here, to report the file; a relative SQLite path is relative to the file.
        let Database::Sqlite(db) = parse_database(url).map_err(|e| format!("{}: database: {e}", path.display()))?;
        if db.is_relative() {
            file.database = Some(format!("sqlite://{}", base.join(db).display()));
        }
    }
    Ok(file)
}

/// 1-based line and column (in characters) of a byte offset.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

/// `sqlite://PATH` (`sqlite:///abs/path` or `sqlite://relative/path`) or `sqlite:PATH`.
pub(crate) fn parse_database(url: &str) -> Result<Database, String> {
    if let Some(rest) = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:")) {
        let path = rest.split('?').next().unwrap_or_default();
        if path.is_empty() {
            return Err(format!("`{url}` names no file: write sqlite://PATH"));
        }
        return Ok(Database::Sqlite(PathBuf::from(path)));
    }
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        return Err("PostgreSQL is not supported by this build yet; use sqlite://PATH".into());
    }
    Err(format!(
        "`{url}` is not a database URL atoll knows: write sqlite://PATH"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_urls() {
        assert_eq!(
            parse_database("sqlite:///var/lib/atoll/a.db"),
            Ok(Database::Sqlite("/var/lib/atoll/a.db".into()))
        );
        assert_eq!(parse_database("sqlite://a.db"), Ok(Database::Sqlite("a.db".into())));
        assert_eq!(
            parse_database("sqlite:a.db?mode=rwc"),
            Ok(Database::Sqlite("a.db".into()))
        );
        assert!(parse_database("sqlite://").unwrap_err().contains("names no file"));
        assert!(
            parse_database("postgres://localhost/x")
                .unwrap_err()
                .contains("PostgreSQL")
        );
        assert!(parse_database("mysql://x").unwrap_err().contains("sqlite://PATH"));
    }

    #[test]
    fn settings_file_errors_say_where() {
        let dir = std::env::temp_dir().join(format!("atoll-config-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("atoll.toml");
        std::fs::write(&path, "database = \"sqlite://x.db\"\nbind = \"nowhere\"\n").unwrap();
        let e = read_file(&path).unwrap_err();
        assert!(e.starts_with(&format!("{}:2:8: ", path.display())), "{e}");
        std::fs::write(&path, "databse = \"sqlite://x.db\"\n").unwrap();
        let e = read_file(&path).unwrap_err();
        assert!(
            e.starts_with(&format!("{}:1:1: ", path.display())) && e.contains("databse"),
            "{e}"
        );
        // Relative paths are relative to the file's folder.
        std::fs::write(&path, "database = \"sqlite://x.db\"\nrules = [\"r\", \"/abs\"]\n").unwrap();
        let f = read_file(&path).unwrap();
        assert_eq!(f.rules, [dir.join("r"), PathBuf::from("/abs")]);
        assert_eq!(
            parse_database(f.database.as_deref().unwrap()),
            Ok(Database::Sqlite(dir.join("x.db")))
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// `Reach` as the command line gives it.
    #[derive(Debug, clap::Parser)]
    struct Flags {
        #[command(flatten)]
        reach: Reach,
    }

    #[test]
    fn how_the_server_is_reached_from_flags_or_the_file_and_bad_values_said_where() {
        use clap::Parser as _;
        let dir = std::env::temp_dir().join(format!("atoll-reach-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("atoll.toml");
        let error = |text: &str| {
            std::fs::write(&path, text).unwrap();
            read_file(&path).unwrap_err()
        };
        let e = error("bind = \"0.0.0.0:8080\"\npublic_url = \"cyber.example.org\"\n");
        assert!(
            e.starts_with(&format!("{}:2:14: ", path.display())) && e.contains("https://NAME"),
            "{e}"
        );
        let e = error("trust_proxy = [\"10.0.0.1\", \"proxy.example\"]\n");
        assert!(
            e.starts_with(&format!("{}:1:28: ", path.display())) && e.contains("not an IP address"),
            "{e}"
        );
        let e = error("allowed_hosts = [\"cyber.example.org:8443\"]\n");
        assert!(
            e.starts_with(&format!("{}:1:18: ", path.display())) && e.contains("without a port"),
            "{e}"
        );

        std::fs::write(
            &path,
            "public_url = \"https://cyber.example.org\"\nallowed_hosts = [\"atoll.internal\"]\ntrust_proxy = [\"10.0.0.0/8\"]\n",
        )
        .unwrap();
        let file = read_file(&path).unwrap();
        let none = Flags::try_parse_from(["atoll"]).unwrap().reach;
        let site = none.site(&file, [0, 0, 0, 0].into());
        assert_eq!(site.public().unwrap().origin(), "https://cyber.example.org");
        assert_eq!(site.hosts_text(), "cyber.example.org and atoll.internal");
        assert!(site.is_proxy([10, 2, 3, 4].into()) && !site.is_proxy([192, 0, 2, 1].into()));
        // Flags win over the file, list for list.
        let flags = Flags::try_parse_from([
            "atoll",
            "--public-url",
            "http://10.0.0.5:8080",
            "--allowed-hosts",
            "a.example,b.example",
            "--trust-proxy",
            "127.0.0.1",
        ])
        .unwrap()
        .reach;
        let site = flags.site(&file, [0, 0, 0, 0].into());
        assert_eq!(site.public().unwrap().origin(), "http://10.0.0.5:8080");
        assert_eq!(site.hosts_text(), "10.0.0.5, a.example and b.example");
        assert!(site.is_proxy([127, 0, 0, 1].into()) && !site.is_proxy([10, 2, 3, 4].into()));
        // Without settings, the address served on.
        let site = none.site(&File::default(), [127, 0, 0, 1].into());
        assert!(site.public().is_none());
        assert_eq!(site.hosts_text(), "localhost, 127.0.0.1 and [::1]");
        // A bad flag is refused naming the flag and saying why.
        for (flag, value, why) in [
            ("--public-url", "https://cyber.example.org/atoll", "no path"),
            ("--allowed-hosts", "a b", "not a host name"),
            ("--trust-proxy", "proxy.example", "not an IP address"),
        ] {
            let e = Flags::try_parse_from(["atoll", flag, value]).unwrap_err().to_string();
            assert!(e.contains(flag) && e.contains(why), "{e}");
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
