//! `atoll serve`: runs a stored exercise for the white cell and the teams.

use std::io::Write as _;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use atoll_store::{Role, Store};

use crate::config::{Common, Database, Reach};
use crate::server;

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    #[command(flatten)]
    common: Common,
    #[command(flatten)]
    reach: Reach,
    /// Address to serve on [default: 127.0.0.1:8080, or `bind` in the settings file].
    #[arg(long, env = "ATOLL_BIND", value_name = "ADDR")]
    bind: Option<SocketAddr>,
    /// More Sigma rule files or folders, added to the rule pack inside the binary and chosen
    /// like it [default: `rules` in the settings file]. ATOLL_RULES takes a comma-separated list.
    #[arg(long = "rules", env = "ATOLL_RULES", value_name = "PATH", value_delimiter = ',')]
    rules: Vec<PathBuf>,
    /// The exercise to run [default: the newest].
    #[arg(long, value_name = "ID")]
    exercise: Option<i64>,
}

pub(crate) fn run(args: Args) -> ExitCode {
    server::run_async(serve(args))
}

async fn serve(args: Args) -> Result<(), String> {
    let file = args.common.file()?;
    let Database::Sqlite(path) = args.common.database(&file)?;
    let bind = args
        .bind
        .or(file.bind)
        .unwrap_or(SocketAddr::from(([127, 0, 0, 1], 8080)));
    let rules = if args.rules.is_empty() {
        file.rules.clone()
    } else {
        args.rules
    };

    let db = server::open_private(&path).await?;
    let exercise = server::pick_exercise(&db, &path, args.exercise).await?;
    let users = db.users().await.map_err(|e| e.to_string())?;
    let app = server::start(db, &exercise, &rules).await?;
    let (listener, address) = server::listen(bind).await?;
    let site = args.reach.site(&file, address.ip());

    let mut out = std::io::stdout().lock();
    let open = site
        .public()
        .map_or_else(|| format!("http://{address}"), |p| p.origin().to_owned());
    let _ = writeln!(
        out,
        "atoll: exercise {} «{}» — open {open}/",
        exercise.id, exercise.name
    );
    let _ = writeln!(out, "answering to host names {}", site.hosts_text());
    if !users.iter().any(|u| u.role == Role::Instructor) {
        let _ = writeln!(
            out,
            "no instructor account yet: `atoll admin create-user NAME --role instructor --database sqlite://{}`",
            path.display()
        );
    }
    if !address.ip().is_loopback() {
        let _ = writeln!(
            out,
            "serving plain HTTP on {address}: put a TLS proxy in front of it before anyone signs in over a network"
        );
    }
    let _ = writeln!(out, "Ctrl+C stops the server; the exercise clock keeps its time.");
    let _ = out.flush();
    drop(out);
    server::serve(listener, app, site).await
}
