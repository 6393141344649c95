//! The Sigma engine end to end, in one test binary: conformance with SigmaHQ's regression
//! data, differential testing against an independent engine, the JSON fast path, and Sigma's
//! semantics on hand-written rules.

mod conformance;
mod differential;
mod json;
mod semantics;
