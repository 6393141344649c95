//! Tests of atoll-report: every format written from one realistic sample report.

mod big;
mod html;
mod json;
mod model;
mod navigator;
mod pdf;
mod sample;
mod stix;
