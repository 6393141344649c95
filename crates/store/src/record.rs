//! An exercise and the whole record of its play as plain rows, out of a database and into
//! another: what a portable exercise package holds (`atoll export`, `atoll import`).
//!
//! [`TABLES`] names every table of the record and each of its columns with its kind; nothing
//! else is read or written. Ids are the package's own: a row's `id` is kept only so that other
//! rows can name it (a grade its answer, an entry its case), and is given anew on the way in.
//! Accounts are reduced to their names, roles and teams unless the caller keeps their password
//! hashes. `Store::restore` writes all of it in one transaction, or nothing.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sqlx::Row as _;

use crate::{Result, Sqlite, StoreError};

/// A password hash no password matches: the sign-in of an account imported without its
/// password fails until an instructor sets a new one.
pub const NO_PASSWORD: &str = "!imported without a password";

/// The exercise row: how it was set up and where its clock stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExerciseRow {
    pub name: String,
    /// Where the scenario came from when the exercise was made (a file path, `bundled:NAME`).
    pub scenario_path: String,
    /// The scenario's YAML text; `None` for a scenario bundled in the binary.
    pub scenario_text: Option<String>,
    pub seed: u64,
    /// Day 1, `YYYY-MM-DD`.
    pub date: String,
    /// The exercise clock as JSON.
    pub clock: String,
    pub created_at: i64,
    pub scoreboard: bool,
    pub report_released: bool,
}

/// An account named by the record (or every account of the database).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    /// The package's own id for the account, which the record's `user_id` columns name.
    pub id: i64,
    pub username: String,
    /// `instructor`, `player` or `observer`.
    pub role: String,
    pub team: Option<String>,
    /// The teams an observer follows.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub follows: Vec<String>,
    /// The argon2 hash, only when the accounts travel whole.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password_hash: Option<String>,
}

/// One table's rows: its columns by name and, per row, a value per column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rows {
    pub table: String,
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Value>>,
}

/// An exercise, its accounts and (unless only the scenario travels) the record of its play.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Dump {
    pub exercise: ExerciseRow,
    pub accounts: Vec<Account>,
    /// Empty when only the scenario and settings travel.
    pub record: Vec<Rows>,
}

/// What a column holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Int,
    OptInt,
    Text,
    OptText,
    /// An account's id.
    User,
    OptUser,
    /// The id of a row of another table of the record.
    Ref(&'static str),
}

/// A table of the record. `owner` is the column that ties a row to its exercise, or the
/// reference column that ties it to a row that is tied to it.
struct Table {
    name: &'static str,
    has_id: bool,
    owner: Owner,
    columns: &'static [(&'static str, Kind)],
}

enum Owner {
    Exercise,
    Parent { column: &'static str, table: &'static str },
}

use Kind::{Int, OptInt, OptText, OptUser, Ref, Text, User};

/// Every table of the record, parents before the rows that name them.
const TABLES: &[Table] = &[
    Table {
        name: "actions",
        has_id: true,
        owner: Owner::Exercise,
        columns: &[
            ("team", Text),
            ("at", Int),
            ("action", Text),
            ("target", Text),
            ("user_id", User),
            ("created_at", Int),
        ],
    },
    Table {
        name: "alert_triage",
        has_id: true,
        owner: Owner::Exercise,
        columns: &[
            ("team", Text),
            ("event_row", Int),
            ("rule", Text),
            ("state", Text),
            ("note", Text),
            ("user_id", User),
            ("created_at", Int),
            ("at", OptInt),
        ],
    },
    Table {
        name: "inject_reads",
        has_id: false,
        owner: Owner::Exercise,
        columns: &[("team", Text), ("inject", Text), ("user_id", User), ("read_at", Int)],
    },
    Table {
        name: "messages",
        has_id: true,
        owner: Owner::Exercise,
        columns: &[
            ("team", Text),
            ("direction", Text),
            ("subject", Text),
            ("body", Text),
            ("user_id", User),
            ("at", Int),
            ("created_at", Int),
            ("track", OptText),
            ("inject", OptText),
        ],
    },
    Table {
        name: "inject_sends",
        has_id: true,
        owner: Owner::Exercise,
        columns: &[
            ("team", Text),
            ("inject", Text),
            ("at", Int),
            ("user_id", User),
            ("created_at", Int),
        ],
    },
    Table {
        name: "submissions",
        has_id: true,
        owner: Owner::Exercise,
        columns: &[
            ("team", Text),
            ("kind", Text),
            ("subject", Text),
            ("body", Text),
            ("user_id", User),
            ("at", Int),
            ("created_at", Int),
        ],
    },
    Table {
        name: "grades",
        has_id: true,
        owner: Owner::Parent {
            column: "submission_id",
            table: "submissions",
        },
        columns: &[
            ("submission_id", Ref("submissions")),
            ("points", Text),
            ("comment", Text),
            ("user_id", User),
            ("created_at", Int),
        ],
    },
    Table {
        name: "hints_opened",
        has_id: true,
        owner: Owner::Exercise,
        columns: &[
            ("team", Text),
            ("hint", Text),
            ("user_id", User),
            ("at", Int),
            ("created_at", Int),
        ],
    },
    Table {
        name: "cases",
        has_id: true,
        owner: Owner::Exercise,
        columns: &[
            ("team", Text),
            ("title", Text),
            ("status", Text),
            ("user_id", User),
            ("at", Int),
            ("created_at", Int),
        ],
    },
    Table {
        name: "case_entries",
        has_id: true,
        owner: Owner::Parent {
            column: "case_id",
            table: "cases",
        },
        columns: &[
            ("case_id", Ref("cases")),
            ("kind", Text),
            ("body", Text),
            ("user_id", User),
            ("at", Int),
            ("created_at", Int),
        ],
    },
    Table {
        name: "saved_searches",
        has_id: true,
        owner: Owner::Exercise,
        columns: &[
            ("team", Text),
            ("name", Text),
            ("query", Text),
            ("user_id", User),
            ("created_at", Int),
        ],
    },
    Table {
        name: "team_rules",
        has_id: true,
        owner: Owner::Exercise,
        columns: &[
            ("team", Text),
            ("title", Text),
            ("yaml", Text),
            ("user_id", User),
            ("at", Int),
            ("off_at", OptInt),
            ("off_by", OptUser),
            ("created_at", Int),
        ],
    },
    Table {
        name: "suppressions",
        has_id: true,
        owner: Owner::Exercise,
        columns: &[
            ("team", Text),
            ("rule", Text),
            ("conditions", Text),
            ("reason", Text),
            ("user_id", User),
            ("at", Int),
            ("created_at", Int),
            ("ended_at", OptInt),
            ("ended_by", OptUser),
        ],
    },
    Table {
        name: "rule_switches",
        has_id: true,
        owner: Owner::Exercise,
        columns: &[
            ("rule", Text),
            ("turned_on", Int),
            ("at", Int),
            ("user_id", User),
            ("created_at", Int),
        ],
    },
    Table {
        name: "detections",
        has_id: true,
        owner: Owner::Exercise,
        columns: &[
            ("team", Text),
            ("step", Text),
            ("at", Int),
            ("source", Text),
            ("user_id", User),
            ("created_at", Int),
        ],
    },
    Table {
        name: "audit",
        has_id: true,
        owner: Owner::Exercise,
        columns: &[
            ("user_id", User),
            ("created_at", Int),
            ("at", Int),
            ("action", Text),
            ("team", OptText),
            ("detail", Text),
        ],
    },
    Table {
        name: "absent_teams",
        has_id: false,
        owner: Owner::Exercise,
        columns: &[("team", Text), ("user_id", User), ("marked_at", Int)],
    },
    Table {
        name: "results",
        has_id: false,
        owner: Owner::Exercise,
        columns: &[("team", Text), ("nation", Text), ("figures", Text)],
    },
    Table {
        name: "feedback",
        has_id: true,
        owner: Owner::Exercise,
        columns: &[
            ("role", Text),
            ("team", OptText),
            ("user_id", OptUser),
            ("answers", Text),
            ("created_at", Int),
        ],
    },
    Table {
        name: "feedback_given",
        has_id: false,
        owner: Owner::Exercise,
        columns: &[("user_id", User)],
    },
    Table {
        name: "lessons",
        has_id: true,
        owner: Owner::Exercise,
        columns: &[
            ("team", OptText),
            ("objective", Text),
            ("kind", Text),
            ("text", Text),
            ("owner", Text),
            ("due", Text),
            ("user_id", User),
            ("created_at", Int),
        ],
    },
];

fn bad(what: String) -> StoreError {
    StoreError::Record(what)
}

impl Sqlite {
    /// Exercise `exercise` as rows: with the record of its play unless `record` is false, and
    /// with every account of the database (their password hashes only if `passwords`).
    pub(crate) async fn dump_rows(&self, exercise: i64, record: bool, passwords: bool) -> Result<Dump> {
        let mut db = self.pool.acquire().await?;
        let row = sqlx::query(
            "SELECT name, scenario_path, scenario_text, seed, date, clock, created_at, scoreboard, report_released \
             FROM exercises WHERE id = ?",
        )
        .bind(exercise)
        .fetch_optional(&mut *db)
        .await?
        .ok_or_else(|| bad(format!("no exercise {exercise}")))?;
        let seed: i64 = row.try_get("seed")?;
        let exercise_row = ExerciseRow {
            name: row.try_get("name")?,
            scenario_path: row.try_get("scenario_path")?,
            scenario_text: row.try_get("scenario_text")?,
            seed: seed as u64,
            date: row.try_get("date")?,
            clock: row.try_get("clock")?,
            created_at: row.try_get("created_at")?,
            scoreboard: row.try_get::<i64, _>("scoreboard")? == 1,
            report_released: row.try_get::<i64, _>("report_released")? == 1,
        };
        let mut follows: BTreeMap<i64, Vec<String>> = BTreeMap::new();
        for row in sqlx::query("SELECT user_id, team FROM observer_teams ORDER BY user_id, team")
            .fetch_all(&mut *db)
            .await?
        {
            follows
                .entry(row.try_get("user_id")?)
                .or_default()
                .push(row.try_get("team")?);
        }
        let mut accounts = Vec::new();
        for row in sqlx::query("SELECT id, username, password_hash, role, team FROM users ORDER BY id")
            .fetch_all(&mut *db)
            .await?
        {
            let id: i64 = row.try_get("id")?;
            accounts.push(Account {
                id,
                username: row.try_get("username")?,
                role: row.try_get("role")?,
                team: row.try_get("team")?,
                follows: follows.remove(&id).unwrap_or_default(),
                password_hash: if passwords { row.try_get("password_hash")? } else { None },
            });
        }
        let mut tables = Vec::new();
        for table in TABLES.iter().filter(|_| record) {
            let mut columns: Vec<&str> = table.columns.iter().map(|(c, _)| *c).collect();
            if table.has_id {
                columns.insert(0, "id");
            }
            let order = if table.has_id { "id" } else { "rowid" };
            let filter = match table.owner {
                Owner::Exercise => "exercise = ?".to_owned(),
                Owner::Parent { column, table } => {
                    format!("{column} IN (SELECT id FROM {table} WHERE exercise = ?)")
                }
            };
            let sql = format!(
                "SELECT {} FROM {} WHERE {filter} ORDER BY {order}",
                columns.join(", "),
                table.name
            );
            let mut rows = Vec::new();
            for row in sqlx::query(&sql).bind(exercise).fetch_all(&mut *db).await? {
                let mut values = Vec::with_capacity(columns.len());
                for (i, column) in columns.iter().enumerate() {
                    let kind = table.columns.iter().find(|(c, _)| c == column).map_or(Int, |(_, k)| *k);
                    values.push(match kind {
                        Text | OptText => row.try_get::<Option<String>, _>(i)?.map_or(Value::Null, Value::from),
                        _ => row.try_get::<Option<i64>, _>(i)?.map_or(Value::Null, Value::from),
                    });
                }
                rows.push(values);
            }
            tables.push(Rows {
                table: table.name.to_owned(),
                columns: columns.iter().map(|c| (*c).to_owned()).collect(),
                rows,
            });
        }
        Ok(Dump {
            exercise: exercise_row,
            accounts,
            record: tables,
        })
    }

    /// Writes `dump` as a new exercise at Unix milliseconds `now`, all of it or (with the
    /// first problem found: the table, row and column) nothing, and answers with its id.
    ///
    /// An account of the dump whose username is here already is that account, if its role and
    /// team agree (otherwise the dump is refused); others are made, with their password hashes
    /// or with [`NO_PASSWORD`].
    pub(crate) async fn restore_rows(&self, dump: &Dump, now: i64) -> Result<i64> {
        let mut tx = self.pool.begin().await?;
        // Accounts: the dump's ids to ours.
        let mut users: HashMap<i64, i64> = HashMap::new();
        for account in &dump.accounts {
            let place = || format!("account `{}`", account.username);
            if !matches!(account.role.as_str(), "instructor" | "player" | "observer")
                || (account.role == "player") != account.team.is_some()
            {
                return Err(bad(format!(
                    "{}: role `{}` with team {:?} is not an atoll account",
                    place(),
                    account.role,
                    account.team
                )));
            }
            let here = sqlx::query("SELECT id, role, team FROM users WHERE username = ?")
                .bind(&account.username)
                .fetch_optional(&mut *tx)
                .await?;
            let id = match here {
                Some(row) => {
                    let (role, team): (String, Option<String>) = (row.try_get("role")?, row.try_get("team")?);
                    if role != account.role || team != account.team {
                        return Err(bad(format!(
                            "{}: here it is {}, in the package {}; rename one of them first",
                            place(),
                            described(&role, team.as_deref()),
                            described(&account.role, account.team.as_deref())
                        )));
                    }
                    row.try_get("id")?
                }
                None => {
                    let made = sqlx::query(
                        "INSERT INTO users (username, password_hash, role, team, created_at) VALUES (?, ?, ?, ?, ?)",
                    )
                    .bind(&account.username)
                    .bind(account.password_hash.as_deref().unwrap_or(NO_PASSWORD))
                    .bind(&account.role)
                    .bind(&account.team)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                    let id = made.last_insert_rowid();
                    for team in &account.follows {
                        sqlx::query("INSERT OR IGNORE INTO observer_teams (user_id, team) VALUES (?, ?)")
                            .bind(id)
                            .bind(team)
                            .execute(&mut *tx)
                            .await?;
                    }
                    id
                }
            };
            if users.insert(account.id, id).is_some() {
                return Err(bad(format!("{}: its id {} is given twice", place(), account.id)));
            }
        }
        let e = &dump.exercise;
        let made = sqlx::query(
            "INSERT INTO exercises (name, scenario_path, scenario_text, seed, date, clock, created_at, scoreboard, \
             report_released) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(&e.name)
        .bind(&e.scenario_path)
        .bind(&e.scenario_text)
        .bind(e.seed as i64)
        .bind(&e.date)
        .bind(&e.clock)
        .bind(e.created_at)
        .bind(i64::from(e.scoreboard))
        .bind(i64::from(e.report_released))
        .execute(&mut *tx)
        .await?;
        let exercise = made.last_insert_rowid();
        // Each table's ids in the dump to ours, for the rows that name them.
        let mut ids: HashMap<&str, HashMap<i64, i64>> = HashMap::new();
        let mut seen = Vec::new();
        for rows in &dump.record {
            let Some(table) = TABLES.iter().find(|t| t.name == rows.table) else {
                let known: Vec<&str> = TABLES.iter().map(|t| t.name).collect();
                return Err(bad(format!(
                    "table `{}`: not a table of the record (those are {})",
                    rows.table,
                    known.join(", ")
                )));
            };
            if seen.contains(&table.name) {
                return Err(bad(format!("table `{}`: given twice", table.name)));
            }
            seen.push(table.name);
            let ids_here = restore_table(&mut tx, table, rows, exercise, &users, &ids).await?;
            ids.insert(table.name, ids_here);
        }
        tx.commit().await?;
        Ok(exercise)
    }
}

fn described(role: &str, team: Option<&str>) -> String {
    match team {
        Some(team) => format!("a {role} of team `{team}`"),
        None if role == "player" => "a player".to_owned(),
        None => format!("an {role}"),
    }
}

async fn restore_table(
    tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>,
    table: &Table,
    rows: &Rows,
    exercise: i64,
    users: &HashMap<i64, i64>,
    ids: &HashMap<&str, HashMap<i64, i64>>,
) -> Result<HashMap<i64, i64>> {
    // Which of the table's columns the dump gives, and where.
    let mut given: Vec<(usize, &str, Kind)> = Vec::new();
    let mut id_at = None;
    for (i, name) in rows.columns.iter().enumerate() {
        if name == "id" && table.has_id {
            id_at = Some(i);
            continue;
        }
        let Some((column, kind)) = table.columns.iter().find(|(c, _)| c == name) else {
            return Err(bad(format!("table `{}`: no column `{name}` in the record", table.name)));
        };
        if given.iter().any(|(_, c, _)| c == column) {
            return Err(bad(format!("table `{}`: column `{name}` is given twice", table.name)));
        }
        given.push((i, column, *kind));
    }
    for (column, kind) in table.columns {
        let optional = matches!(kind, OptInt | OptText | OptUser);
        if !optional && !given.iter().any(|(_, c, _)| c == column) {
            return Err(bad(format!("table `{}`: column `{column}` is missing", table.name)));
        }
    }
    if table.has_id && id_at.is_none() {
        return Err(bad(format!("table `{}`: column `id` is missing", table.name)));
    }
    let mut names: Vec<&str> = given.iter().map(|(_, c, _)| *c).collect();
    if let Owner::Exercise = table.owner {
        names.push("exercise");
    }
    let sql = format!(
        "INSERT INTO {} ({}) VALUES ({})",
        table.name,
        names.join(", "),
        vec!["?"; names.len()].join(", ")
    );
    let mut mine = HashMap::new();
    for (n, row) in rows.rows.iter().enumerate() {
        let place = |column: &str| format!("table `{}`, row {}, column `{column}`", table.name, n + 1);
        if row.len() != rows.columns.len() {
            return Err(bad(format!(
                "table `{}`, row {}: {} values for {} columns",
                table.name,
                n + 1,
                row.len(),
                rows.columns.len()
            )));
        }
        let mut query = sqlx::query(&sql);
        for &(i, column, kind) in &given {
            let value = &row[i];
            let int = |value: &Value| {
                value
                    .as_i64()
                    .ok_or_else(|| bad(format!("{}: not a whole number", place(column))))
            };
            query = match (kind, value) {
                (OptInt | OptText | OptUser, Value::Null) => query.bind(None::<i64>),
                (Int | OptInt, v) => query.bind(int(v)?),
                (Text | OptText, Value::String(s)) => query.bind(s.clone()),
                (Text | OptText, _) => return Err(bad(format!("{}: not text", place(column)))),
                (User | OptUser, v) => {
                    let id = int(v)?;
                    let Some(ours) = users.get(&id) else {
                        return Err(bad(format!(
                            "{}: account {id}, which the package does not hold",
                            place(column)
                        )));
                    };
                    query.bind(*ours)
                }
                (Ref(other), v) => {
                    let id = int(v)?;
                    let Some(ours) = ids.get(other).and_then(|m| m.get(&id)) else {
                        return Err(bad(format!(
                            "{}: row {id} of `{other}`, which the package does not hold",
                            place(column)
                        )));
                    };
                    query.bind(*ours)
                }
            };
        }
        if let Owner::Exercise = table.owner {
            query = query.bind(exercise);
        }
        let done = query.execute(&mut **tx).await.map_err(|e| match e {
            sqlx::Error::Database(e) => bad(format!("table `{}`, row {}: {}", table.name, n + 1, e.message())),
            e => StoreError::from(e),
        })?;
        if let Some(i) = id_at {
            let theirs = row[i]
                .as_i64()
                .ok_or_else(|| bad(format!("{}: not a whole number", place("id"))))?;
            if mine.insert(theirs, done.last_insert_rowid()).is_some() {
                return Err(bad(format!("{}: id {theirs} is given twice", place("id"))));
            }
        }
    }
    Ok(mine)
}
