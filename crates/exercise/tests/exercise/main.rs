//! The exercise runtime end to end, in one test binary: a team's world driven by the clock
//! (and every kind of condition, live and replayed), and scoring on the bundled scenario.

mod runtime;
mod score;
