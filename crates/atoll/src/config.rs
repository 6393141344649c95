//! Settings of `atoll serve` and `atoll admin`: command-line flags first, then environment
//! variables (clap reads both), then an optional TOML file, then defaults.
//!
//! ```toml
//! database = "sqlite:///var/lib/atoll/atoll.db"
//! bind = "0.0.0.0:8080"
//! rules = ["/srv/sigma/rules/windows", "/srv/our-rules"]
//! ```

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// Flags every server command takes.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct Common {
    /// TOML settings file (keys: database, bind, rules).
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
}
