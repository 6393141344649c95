//! Tests of atoll-report: every format written from one realistic sample report.

mod html;
mod json;
mod model;
mod navigator;
mod sample;
mod stix;
