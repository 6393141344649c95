//! What the benchmarks share: the bundled demo started (and its clock set) as a user would.

use std::io::BufRead as _;
use std::path::Path;
use std::time::Instant;

use atoll_store::Store as _;

/// `atoll demo` (of `binary`) on data folder `data`, on a free port: the process, the address
/// it serves and when it was started.
pub(crate) fn start(binary: &str, data: &Path, paused: bool) -> (std::process::Child, String, Instant) {
    let started = Instant::now();
    let mut command = std::process::Command::new(binary);
    command.args(["demo", "--bind", "127.0.0.1:0", "--data"]).arg(data);
    if paused {
        command.arg("--paused");
    }
    let mut child = command
        .env_remove("ATOLL_DATABASE")
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("atoll demo starts");
    let mut lines = std::io::BufReader::new(child.stdout.take().expect("its output")).lines();
    let first = lines.next().and_then(Result::ok).expect("the greeting");
    let address = first
        .split("http://")
        .nth(1)
        .expect("an address")
        .trim_end_matches('/')
        .to_owned();
    // Keep reading what it prints, so that it never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    (child, address, started)
}

/// Sets the demo exercise's stored clock paused at exercise time `at`.
pub(crate) fn stop_clock_at(data: &Path, at: u64) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("a runtime");
    runtime.block_on(async {
        let db = atoll_store::Sqlite::open(&data.join("atoll.db"))
            .await
            .expect("the demo's database");
        let exercise = db.exercises().await.expect("exercises").remove(0);
        let mut clock: atoll_exercise::Clock = serde_json::from_str(&exercise.clock).expect("the stored clock");
        let wall = atoll_app::clock_now();
        if clock.state == atoll_exercise::State::NotStarted {
            clock.start(wall).expect("started");
        }
        let _ = clock.pause(wall);
        clock.jump(wall, at).expect("moved on");
        db.save_clock(exercise.id, &serde_json::to_string(&clock).expect("as JSON"))
            .await
            .expect("stored");
    });
}
