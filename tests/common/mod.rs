//! Helpers shared by the command-line tests: run the `entente` binary in a directory.

use std::path::Path;
use std::process::{Command, Output};

/// Runs `entente` with `arguments` in `directory`.
pub fn entente(directory: &Path, arguments: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_entente"))
        .args(arguments)
        .current_dir(directory)
        .output()
        .expect("the entente binary runs")
}

/// Runs `entente` and asserts that it succeeded, showing its standard error if not.
#[allow(dead_code)] // not every test crate that includes this module uses it
pub fn entente_ok(directory: &Path, arguments: &[&str]) -> Output {
    let output = entente(directory, arguments);
    assert!(
        output.status.success(),
        "entente {}: {}",
        arguments.join(" "),
        text(&output.stderr)
    );
    output
}

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).expect("output is UTF-8")
}

/// Runs `entente`, asserts that it failed, and returns its standard error.
#[allow(dead_code)] // not every test crate that includes this module uses it
pub fn entente_fails(directory: &Path, arguments: &[&str]) -> String {
    let output = entente(directory, arguments);
    assert!(
        !output.status.success(),
        "entente {} should fail",
        arguments.join(" ")
    );
    text(&output.stderr)
}

/// The repository root, where the scenario paths of the tests start.
#[allow(dead_code)] // not every test crate that includes this module uses it
pub fn repository() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Starts `entente` with `arguments` in `directory` and kills it (SIGKILL) as soon as
/// `checkpoint` appears: a batch stopped mid-way, for the resume tests.
#[allow(dead_code)] // not every test crate that includes this module uses it
pub fn killed_after_checkpoint(directory: &Path, arguments: &[&str], checkpoint: &Path) {
    use std::time::{Duration, Instant};
    let mut child = Command::new(env!("CARGO_BIN_EXE_entente"))
        .current_dir(directory)
        .args(arguments)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("entente starts");
    let waited = Instant::now();
    while !checkpoint.exists() {
        assert!(
            waited.elapsed() < Duration::from_secs(120),
            "no checkpoint appeared"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().expect("SIGKILL");
    child.wait().expect("the batch ends");
}
