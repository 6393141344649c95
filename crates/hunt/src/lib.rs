//! atoll's event store and hunting language.
//!
//! - [`Store`] keeps one team's events as columns over per-field dictionaries, appended as the
//!   exercise clock runs (or read from JSON lines), and writes any event back as it came;
//! - [`Query`] reads the hunting language (`CommandLine:*ntdsutil* | stats count by host`),
//!   reporting mistakes with their column;
//! - [`Store::run`] answers a query within [`Limits`], a page at a time, optionally keeping only
//!   the events a set of Sigma rules matches.
//!
//! Nothing here reads a random source; the same events and query give the same answer. The
//! only clock read is the wall-time limit of a query.

mod glob;
pub mod query;
mod run;
mod store;
pub mod time;

pub use glob::Pattern;
pub use query::{Query, QueryError};
pub use run::{Answer, Calendar, Context, Limits, Output, Page, Table};
pub use store::{FieldId, IngestError, Kind, NO_TIME, Row, Store, TIMESTAMP};
