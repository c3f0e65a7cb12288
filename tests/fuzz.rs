//! Fuzzing inside `cargo test`: a seeded mutation fuzzer over the three readers of untrusted
//! input, the scenario loader, the partial-result decoder and the command line's option
//! parsing. None of them may panic or ask for a huge allocation whatever its input, and each
//! keeps its contract on what it accepts or refuses (see each target's test). Cases are
//! deterministic from `ENTENTE_FUZZ_SEED`; `ENTENTE_FUZZ_CASES` sets the cases per target
//! (fuzz/README.md says how to run long). A panicking input is written to
//! `target/fuzz-crashes/`; every input that ever crashed is kept in `fuzz/regressions/` and
//! replayed by the last test.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::convert::Infallible;
use std::ffi::OsString;
use std::fmt::Write as _;
use std::io::{Read, Write};
use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::Once;
use std::time::{Duration, Instant};

use clap::{CommandFactory, Parser};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

use entente::batch::{self, BatchOptions, MAX_RUNS, Partial, RunPlan, Shard, Sharding};
use entente::cli::{
    self, BatchRequest, Cli, Command, MAX_CHECKPOINT_SECONDS, MAX_THREADS, MIN_PRECISION, RunArgs,
};
use entente::model::{Model, Simulation};
use entente::partial::{self, Header};
use entente::report;
use entente::scenario::Scenario;
use entente::summary::{ComparisonSummary, ScenarioSummary};

// ---------------------------------------------------------------------------------------------
// Settings.

/// The seed of every target's mutations when `ENTENTE_FUZZ_SEED` is not set: fixed, so that
/// `cargo test` runs the same cases every time and a failure can be repeated.
const DEFAULT_SEED: u64 = 13;

/// Cases per target in a plain `cargo test`, chosen so that the whole fuzz test takes one to
/// two minutes in the debug profile on a 2-core machine (fuzz/README.md has the measurements).
const DEFAULT_LOADER_CASES: u64 = 9_000;
const DEFAULT_DECODER_CASES: u64 = 8_000;
const DEFAULT_CLI_CASES: u64 = 30_000;

/// The seed of the mutations, from `ENTENTE_FUZZ_SEED`.
fn fuzz_seed() -> u64 {
    match std::env::var("ENTENTE_FUZZ_SEED") {
        Ok(text) => text
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("ENTENTE_FUZZ_SEED={text:?} is not a whole number")),
        Err(_) => DEFAULT_SEED,
    }
}

/// Cases to run per target: `ENTENTE_FUZZ_CASES`, or the target's default.
fn case_count(default: u64) -> u64 {
    match std::env::var("ENTENTE_FUZZ_CASES") {
        Ok(text) => text
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("ENTENTE_FUZZ_CASES={text:?} is not a whole number")),
        Err(_) => default,
    }
}

fn repository() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Where a crashing input is written: `target/fuzz-crashes/` of the build's target directory.
fn crash_directory() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| repository().join("target"))
        .join("fuzz-crashes")
}

// ---------------------------------------------------------------------------------------------
// The guard on allocations and the capture of panics.

/// The largest single allocation a case may ask for. Nothing the targets read legitimately
/// needs this much at once (a flagship comparison's partial-result body is about 10 MB), so a
/// larger request is a size read from damaged input or work out of proportion to the input,
/// which would abort the process or swap the machine to a halt.
const ALLOCATION_LIMIT: usize = 1 << 30;

/// The system allocator, refusing a request above [`ALLOCATION_LIMIT`] while a fuzz case runs.
struct GuardedAllocator;

/// The case a thread is running: what to save if it crashes.
struct Running {
    target: &'static str,
    case: u64,
    extension: &'static str,
    input: Vec<u8>,
}

thread_local! {
    /// Whether this thread is inside a fuzz case (const-initialised: the allocator reads it
    /// without allocating).
    static IN_CASE: Cell<bool> = const { Cell::new(false) };
    /// The case this thread is running.
    static RUNNING: RefCell<Option<Running>> = const { RefCell::new(None) };
    /// The panic the hook saw last on this thread, while in a case.
    static CAUGHT: RefCell<Option<Caught>> = const { RefCell::new(None) };
}

fn check_request(size: usize) {
    if size > ALLOCATION_LIMIT && IN_CASE.try_with(Cell::get).unwrap_or(false) {
        refuse_allocation(size);
    }
}

/// Saves the running case and aborts. A panic may not leave an allocator, and failing the
/// allocation would abort the process anyway ("memory allocation failed") without saying which
/// input asked for it, so the input is written first.
#[cold]
fn refuse_allocation(size: usize) -> ! {
    // Saving allocates (small amounts): the guard is off from here.
    IN_CASE.with(|in_case| in_case.set(false));
    let saved = RUNNING
        .try_with(|running| {
            running
                .try_borrow()
                .ok()
                .and_then(|running| running.as_ref().map(|running| save_crash(running, "")))
        })
        .ok()
        .flatten();
    eprintln!(
        "fuzz: a case asked for {size} bytes at once (the limit is {ALLOCATION_LIMIT}); \
         its input is saved as {saved:?}; aborting"
    );
    std::process::abort();
}

// SAFETY: every method forwards to `System` with the caller's arguments; the guard only reads
// thread-local flags before forwarding, or aborts.
unsafe impl GlobalAlloc for GuardedAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        check_request(layout.size());
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        check_request(layout.size());
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, pointer: *mut u8, layout: Layout) {
        unsafe { System.dealloc(pointer, layout) }
    }

    unsafe fn realloc(&self, pointer: *mut u8, layout: Layout, size: usize) -> *mut u8 {
        check_request(size);
        unsafe { System.realloc(pointer, layout, size) }
    }
}

#[global_allocator]
static GLOBAL: GuardedAllocator = GuardedAllocator;

/// A panic caught in a case: its message and where it was raised.
#[derive(Clone, Debug)]
struct Caught {
    message: String,
    location: String,
}

/// Installs, once, a panic hook that records a panic inside a case instead of printing it
/// (thousands of expected-looking backtraces would bury the report), and leaves every other
/// panic, such as a failed assertion of the tests themselves, to the default hook.
fn install_panic_hook() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        let default = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if IN_CASE.try_with(Cell::get).unwrap_or(false) {
                let mut location = info.location().map_or_else(
                    || "(unknown)".to_string(),
                    |location| format!("{}:{}", location.file(), location.line()),
                );
                if !location.starts_with("src/") {
                    // Raised inside the standard library or a dependency (an `unwrap`, a
                    // `clamp`): the first frame in entente's own code is what needs fixing.
                    if let Some(caller) = first_frame_in_entente() {
                        location = format!("{caller} (in {location})");
                    }
                }
                let caught = Caught {
                    message: panic_message(info.payload()),
                    location,
                };
                CAUGHT.with(|slot| *slot.borrow_mut() = Some(caught));
            } else {
                default(info);
            }
        }));
    });
}

/// A panic's message: its payload when it is text (as `panic!` makes it).
fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|text| text.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "(not text)".to_string())
}

/// The innermost place in entente's `src/` on the current stack, from a backtrace (panics are
/// rare, so its cost does not matter).
fn first_frame_in_entente() -> Option<String> {
    let trace = std::backtrace::Backtrace::force_capture().to_string();
    let source = format!("{}/src/", repository().display());
    trace.lines().find_map(|line| {
        let place = line.trim().strip_prefix("at ")?;
        let relative = place
            .strip_prefix(source.as_str())
            .map(|rest| format!("src/{rest}"))
            .or_else(|| {
                place
                    .strip_prefix("./src/")
                    .map(|rest| format!("src/{rest}"))
            })?;
        Some(relative)
    })
}

/// Runs `case` with panics caught and allocations guarded.
fn guarded<T>(case: impl FnOnce() -> T) -> Result<T, Caught> {
    install_panic_hook();
    IN_CASE.with(|in_case| in_case.set(true));
    let result = panic::catch_unwind(AssertUnwindSafe(case));
    IN_CASE.with(|in_case| in_case.set(false));
    result.map_err(|_| {
        CAUGHT
            .with(|slot| slot.borrow_mut().take())
            .unwrap_or_else(|| Caught {
                message: "(the panic hook saw nothing)".to_string(),
                location: "(unknown)".to_string(),
            })
    })
}

/// Writes a case's input to the crash directory, its name starting with `prefix`, and returns
/// its path.
fn save_crash(running: &Running, prefix: &str) -> PathBuf {
    let directory = crash_directory();
    let path = directory.join(format!(
        "{prefix}{}-seed{}-case{}.{}",
        running.target,
        fuzz_seed(),
        running.case,
        running.extension
    ));
    std::fs::create_dir_all(&directory)
        .and_then(|()| std::fs::write(&path, &running.input))
        .unwrap_or_else(|error| panic!("cannot write {}: {error}", path.display()));
    path
}

/// What a case found besides a panic.
#[derive(Default)]
struct Findings {
    /// Broken promises: each fails the test.
    violations: Vec<String>,
}

impl Findings {
    fn violation(&mut self, text: String) {
        self.violations.push(text);
    }
}

// ---------------------------------------------------------------------------------------------
// Sessions: running cases, counting them and reporting.

/// The cases of one target: counters, crashes and timing.
struct Session {
    target: &'static str,
    started: Instant,
    cases: u64,
    slowest: Duration,
    /// The slowest case's number and input, saved at the end when it took over
    /// [`SLOW_CASE_NOTED`] (a sign of work that grows faster than the input).
    slowest_case: u64,
    slowest_input: Option<(Vec<u8>, &'static str)>,
    /// Per panic location or violation: how many cases hit it and the files saved for it.
    failures: BTreeMap<String, (u64, Vec<PathBuf>)>,
}

/// Inputs saved per distinct failure: enough to debug it, without thousands of files.
const SAVED_PER_FAILURE: usize = 3;

/// A slowest case that took longer than this is saved and named in the report.
const SLOW_CASE_NOTED: Duration = Duration::from_secs(1);

/// The longest a case may take, however large its input: work out of proportion to it is a
/// failure too. (A case that never returns cannot be stopped from inside the process; cargo
/// test then says the test has been running for a long time.)
const SLOWEST_CASE: Duration = Duration::from_secs(60);

impl Session {
    fn new(target: &'static str) -> Session {
        Session {
            target,
            started: Instant::now(),
            cases: 0,
            slowest: Duration::ZERO,
            slowest_case: 0,
            slowest_input: None,
            failures: BTreeMap::new(),
        }
    }

    /// Runs one case on `input` (saved as a file ending `extension` if it fails).
    fn case(
        &mut self,
        case: u64,
        extension: &'static str,
        input: Vec<u8>,
        check: impl FnOnce(&mut Findings),
    ) {
        RUNNING.with(|running| {
            *running.borrow_mut() = Some(Running {
                target: self.target,
                case,
                extension,
                input,
            })
        });
        let mut findings = Findings::default();
        let began = Instant::now();
        let outcome = guarded(|| check(&mut findings));
        let took = began.elapsed();
        self.cases += 1;
        if took > self.slowest {
            self.slowest = took;
            self.slowest_input = RUNNING.with(|running| {
                running
                    .borrow()
                    .as_ref()
                    .map(|running| (running.input.clone(), running.extension))
            });
            self.slowest_case = case;
        }
        let mut failures = findings.violations;
        if took > SLOWEST_CASE {
            failures.push(format!("a case took {took:?}"));
        }
        if let Err(caught) = outcome {
            failures.push(format!(
                "panicked at {}: {}",
                caught.location, caught.message
            ));
        }
        for failure in failures {
            let (count, saved) = self.failures.entry(failure).or_default();
            *count += 1;
            if saved.len() < SAVED_PER_FAILURE {
                let path = RUNNING.with(|running| {
                    save_crash(running.borrow().as_ref().expect("the running case"), "")
                });
                saved.push(path);
            }
        }
        RUNNING.with(|running| *running.borrow_mut() = None);
    }

    /// Prints the counts and fails if any case failed, naming the saved inputs.
    fn finish(self) {
        let seconds = self.started.elapsed().as_secs_f64();
        eprintln!(
            "fuzz {}: {} cases in {seconds:.1} s ({:.0} cases/s, seed {}), slowest case {:.0} ms",
            self.target,
            self.cases,
            self.cases as f64 / seconds,
            fuzz_seed(),
            self.slowest.as_secs_f64() * 1000.0
        );
        if self.slowest > SLOW_CASE_NOTED
            && let Some((input, extension)) = &self.slowest_input
        {
            let path = crash_directory().join(format!(
                "slowest-{}-seed{}-case{}.{}",
                self.target,
                fuzz_seed(),
                self.slowest_case,
                extension
            ));
            std::fs::create_dir_all(crash_directory())
                .and_then(|()| std::fs::write(&path, input))
                .unwrap_or_else(|error| panic!("cannot write {}: {error}", path.display()));
            eprintln!(
                "fuzz {}: the slowest case is {}",
                self.target,
                path.display()
            );
        }
        let mut report = String::new();
        for (failure, (count, saved)) in &self.failures {
            let files: Vec<String> = saved
                .iter()
                .map(|path| path.display().to_string())
                .collect();
            report.push_str(&format!(
                "\n  {count} case(s): {failure}\n    saved: {}",
                files.join(", ")
            ));
        }
        assert!(
            self.failures.is_empty(),
            "fuzz {}: {} kind(s) of failure (move each saved input to fuzz/regressions/ once \
             understood):{report}",
            self.target,
            self.failures.len()
        );
    }
}

// ---------------------------------------------------------------------------------------------
// The mutator.

/// Numbers at the edges of what the format and the command line accept, put where a number
/// was.
const BOUNDARY_NUMBERS: &[&str] = &[
    "0",
    "-0",
    "1",
    "-1",
    "0.0",
    "-0.0",
    "0.5",
    "2",
    "8",
    "64",
    "65",
    "600",
    "1e-300",
    "-1e-300",
    "5e-324",
    "1e308",
    "-1e308",
    "1e309",
    "nan",
    "-nan",
    "inf",
    "-inf",
    "65535",
    "65536",
    "4294967295",
    "4294967296",
    "9007199254740992",
    "9007199254740993",
    "9223372036854775807",
    "-9223372036854775808",
    "18446744073709551615",
    "18446744073709551616",
    "99999999999999999999999999999999",
    "1.0000000000000002",
    "0.9999999999999999",
];

/// 64-bit values at the edges, for binary fields: counts, lengths, keys and floats' bits.
const BOUNDARY_WORDS: &[u64] = &[
    0,
    1,
    2,
    5,
    7,
    8,
    52,
    53,
    64,
    255,
    256,
    4096,
    65_535,
    65_536,
    (1 << 32) - 1,
    1 << 32,
    (1 << 32) + 1,
    1 << 53,
    (1 << 53) + 1,
    (1 << 62) - 1,
    i64::MAX as u64,
    1 << 63,
    u64::MAX - 1,
    u64::MAX,
    0x7ff8_0000_0000_0000, // NaN
    0x7ff0_0000_0000_0000, // +infinity
    0xfff0_0000_0000_0000, // -infinity
    0x8000_0000_0000_0000, // -0.0
    0x7fef_ffff_ffff_ffff, // the largest double
    0x0000_0000_0000_0001, // the smallest subnormal
    0x3ff0_0000_0000_0000, // 1.0
    0xbff0_0000_0000_0000, // -1.0
];

/// Bytes that mean something in TOML, put in place of a byte.
const INTERESTING_TEXT_BYTES: &[u8] = b"\"'[]{}=,.#\n\r\t \\-+_0e\x00\xff\x7f\x80";

/// A mutation fuzzer's mutations: text-aware ones for scenario files and argument vectors,
/// word-aware ones for binary bodies. Deterministic from its seed.
struct Mutator {
    rng: ChaCha8Rng,
    dictionary: Vec<Vec<u8>>,
}

impl Mutator {
    fn new(seed: u64, target: &str, dictionary: Vec<Vec<u8>>) -> Mutator {
        Mutator {
            rng: ChaCha8Rng::seed_from_u64(seed ^ entente::rng::fnv1a(target.as_bytes())),
            dictionary,
        }
    }

    /// A number in `0..count` (0 when `count` is 0).
    fn below(&mut self, count: usize) -> usize {
        if count == 0 {
            0
        } else {
            self.rng.random_range(0..count)
        }
    }

    fn chance(&mut self, probability: f64) -> bool {
        self.rng.random_bool(probability)
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    /// A token of the dictionary.
    fn token(&mut self) -> Vec<u8> {
        let index = self.below(self.dictionary.len());
        self.dictionary[index].clone()
    }

    /// How many mutations a case stacks: one, often a few, rarely eight.
    fn stack(&mut self) -> usize {
        let mut count = 1;
        while count < 8 && self.chance(0.5) {
            count += 1;
        }
        count
    }

    /// A position in `data`, three times in four at or after `focus` (where the interesting
    /// structure is), or anywhere.
    fn position(&mut self, length: usize, focus: usize) -> usize {
        if focus < length && self.chance(0.75) {
            focus + self.below(length - focus)
        } else {
            self.below(length + 1)
        }
    }

    /// A copy of `input` with a few text-aware mutations, at most `limit` bytes long; `others`
    /// are inputs to splice pieces of.
    fn text(&mut self, input: &[u8], others: &[&[u8]], limit: usize) -> Vec<u8> {
        let mut data = input.to_vec();
        for _ in 0..self.stack() {
            self.text_once(&mut data, others, limit);
            data.truncate(limit);
        }
        data
    }

    /// A copy of `input` with one mutation that often leaves a valid scenario valid: a number
    /// at a boundary, a line repeated or dropped, a token as a line. Valid inputs are what
    /// reach the model and the simulation, with values at their edges.
    fn text_gently(&mut self, input: &[u8], limit: usize) -> Vec<u8> {
        let mut data = input.to_vec();
        let kind = *self.pick(&[9, 9, 9, 9, 5, 6, 7]);
        self.apply_text(kind, &mut data, &[], limit);
        data.truncate(limit);
        data
    }

    fn text_once(&mut self, data: &mut Vec<u8>, others: &[&[u8]], limit: usize) {
        let kind = self.below(14);
        self.apply_text(kind, data, others, limit);
    }

    /// Applies the text mutation numbered `kind` (see the arms).
    fn apply_text(&mut self, kind: usize, data: &mut Vec<u8>, others: &[&[u8]], limit: usize) {
        let length = data.len();
        match kind {
            0 if length > 0 => {
                let at = self.below(length);
                data[at] ^= 1 << self.below(8);
            }
            1 if length > 0 => {
                let at = self.below(length);
                data[at] = *self.pick(INTERESTING_TEXT_BYTES);
            }
            2 => {
                let at = self.below(length + 1);
                let count = 1 + self.below(8);
                let bytes: Vec<u8> = (0..count).map(|_| self.rng.random()).collect();
                data.splice(at..at, bytes);
            }
            3 if length > 0 => {
                let at = self.below(length);
                let end = (at + 1 + self.below(64)).min(length);
                data.drain(at..end);
            }
            4 if !self.dictionary.is_empty() => {
                let at = self.below(length + 1);
                let token = self.token();
                data.splice(at..at, token);
            }
            5 if !self.dictionary.is_empty() => {
                // A token as a line of its own, or as `token = token`: a new section or key.
                let lines = line_ranges(data);
                let at = lines[self.below(lines.len())].start;
                let mut line = self.token();
                if self.chance(0.5) {
                    line.extend_from_slice(b" = ");
                    line.extend(self.token());
                }
                line.push(b'\n');
                data.splice(at..at, line);
            }
            6 => {
                let lines = line_ranges(data);
                let line = lines[self.below(lines.len())].clone();
                let copy = data[line.clone()].to_vec();
                data.splice(line.start..line.start, copy);
            }
            7 => {
                let lines = line_ranges(data);
                let line = lines[self.below(lines.len())].clone();
                data.drain(line);
            }
            8 => {
                let lines = line_ranges(data);
                let (first, second) = (self.below(lines.len()), self.below(lines.len()));
                let (first, second) = (first.min(second), first.max(second));
                if first != second {
                    let (earlier, later) = (lines[first].clone(), lines[second].clone());
                    let mut swapped = data[..earlier.start].to_vec();
                    swapped.extend_from_slice(&data[later.clone()]);
                    swapped.extend_from_slice(&data[earlier.end..later.start]);
                    swapped.extend_from_slice(&data[earlier]);
                    swapped.extend_from_slice(&data[later.end..]);
                    *data = swapped;
                }
            }
            9 => {
                let digits: Vec<usize> = (0..length)
                    .filter(|&at| data[at].is_ascii_digit())
                    .collect();
                if !digits.is_empty() {
                    let number = number_around(data, *self.pick(&digits));
                    let boundary = self.pick(BOUNDARY_NUMBERS).as_bytes().to_vec();
                    data.splice(number, boundary);
                }
            }
            10 if length > 0 => {
                let at = self.below(length);
                data.truncate(at);
            }
            11 if length > 0 => {
                // A chunk repeated: long lines, long strings, deep nesting. Rarely past 65,536
                // bytes, the widest column a diagnostic could point at.
                let at = self.below(length);
                let end = (at + 1 + self.below(256)).min(length);
                let chunk = data[at..end].to_vec();
                let room = limit.saturating_sub(length);
                let wanted = if self.chance(0.1) {
                    70_000
                } else {
                    self.below(4096)
                };
                let times = wanted.min(room) / chunk.len();
                let repeated: Vec<u8> = chunk.repeat(times);
                data.splice(end..end, repeated);
            }
            12 => {
                // A block of lines repeated: many actors, ties or events, many errors.
                let lines = line_ranges(data);
                let first = self.below(lines.len());
                let last = (first + self.below(40)).min(lines.len() - 1);
                let block = data[lines[first].start..lines[last].end].to_vec();
                if !block.is_empty() {
                    let room = limit.saturating_sub(length);
                    let times = (1 + self.below(200)).min(room / block.len());
                    let at = lines[last].end;
                    data.splice(at..at, block.repeat(times));
                }
            }
            13 if !others.is_empty() => {
                let other = *self.pick(others);
                if !other.is_empty() {
                    let from = self.below(other.len());
                    let end = (from + 1 + self.below(512)).min(other.len());
                    let at = self.below(length + 1);
                    data.splice(at..at, other[from..end].iter().copied());
                }
            }
            _ => {
                let at = self.below(length + 1);
                data.insert(at, *self.pick(INTERESTING_TEXT_BYTES));
            }
        }
    }

    /// A copy of `input` with a few byte- and word-level mutations, most of them at or after
    /// `focus`, at most `limit` bytes long.
    fn binary(&mut self, input: &[u8], focus: usize, limit: usize) -> Vec<u8> {
        let mut data = input.to_vec();
        for _ in 0..self.stack() {
            self.binary_once(&mut data, focus);
            data.truncate(limit);
        }
        data
    }

    fn binary_once(&mut self, data: &mut Vec<u8>, focus: usize) {
        let length = data.len();
        let mut at = self.position(length, focus).min(length);
        if at > focus && self.chance(0.5) {
            // Most fields after the focus are 8-byte words: aligned to it, a change hits one
            // field instead of straddling two.
            at -= (at - focus) % 8;
        }
        // Changes in place seven times in ten: a change of length breaks the structure of
        // nearly every body, and stacked ones would leave little for the checks after decoding.
        let kind = if self.chance(0.7) {
            *self.pick(&[0, 1, 2, 3, 6])
        } else {
            *self.pick(&[4, 5, 7, 8, 9])
        };
        match kind {
            0 if at < length => data[at] ^= 1 << self.below(8),
            1 if at < length => data[at] = *self.pick(&[0, 1, 0x7f, 0x80, 0xfe, 0xff]),
            2 => {
                // A boundary value over a word: a length, a count, a key or a float.
                let word = self.pick(BOUNDARY_WORDS).to_le_bytes();
                let end = (at + 8).min(length);
                data.splice(at..end, word);
            }
            3 => {
                // A small step up or down of the word here: a count off by a few.
                if at + 8 <= length {
                    let word = u64::from_le_bytes(data[at..at + 8].try_into().expect("8 bytes"));
                    let step = 1 + self.below(16) as u64;
                    let word = if self.chance(0.5) {
                        word.wrapping_add(step)
                    } else {
                        word.wrapping_sub(step)
                    };
                    data[at..at + 8].copy_from_slice(&word.to_le_bytes());
                }
            }
            4 => {
                let count = *self.pick(&[1, 2, 4, 8, 16]);
                let bytes: Vec<u8> = (0..count).map(|_| self.rng.random()).collect();
                data.splice(at..at, bytes);
            }
            5 if at < length => {
                let count = *self.pick(&[1, 4, 8, 16, 48, 64, 256]);
                data.drain(at..(at + count).min(length));
            }
            6 if length > 0 => {
                // A chunk of elsewhere copied over this place: fields out of their context.
                let from = self.below(length);
                let count = (1 + self.below(64)).min(length - from);
                let chunk = data[from..from + count].to_vec();
                let end = (at + count).min(length);
                data.splice(at..end, chunk);
            }
            7 if length > 0 => {
                // A chunk repeated: more list items than their length says, or more lists.
                let from = self.below(length);
                let count = (1 + self.below(256)).min(length - from);
                let chunk = data[from..from + count].repeat(1 + self.below(8));
                data.splice(at..at, chunk);
            }
            8 if at < length => data.truncate(at),
            _ => {
                let at = self.below(length + 1);
                data.insert(at, self.rng.random());
            }
        }
    }
}

/// The byte ranges of `data`'s lines, each with its line feed; at least one (empty) range.
fn line_ranges(data: &[u8]) -> Vec<std::ops::Range<usize>> {
    let mut ranges = Vec::new();
    let mut start = 0;
    for (at, &byte) in data.iter().enumerate() {
        if byte == b'\n' {
            ranges.push(start..at + 1);
            start = at + 1;
        }
    }
    if start < data.len() || ranges.is_empty() {
        ranges.push(start..data.len());
    }
    ranges
}

/// The range of the number around the digit at `at`: digits, a decimal point, underscores,
/// an exponent and a sign before it.
fn number_around(data: &[u8], at: usize) -> std::ops::Range<usize> {
    let part = |byte: u8| byte.is_ascii_digit() || byte == b'.' || byte == b'_';
    let mut start = at;
    while start > 0 && part(data[start - 1]) {
        start -= 1;
    }
    if start > 0 && matches!(data[start - 1], b'-' | b'+') {
        start -= 1;
    }
    let mut end = at;
    while end < data.len() {
        let byte = data[end];
        let signed_exponent =
            matches!(byte, b'-' | b'+') && end > 0 && matches!(data[end - 1], b'e' | b'E');
        if part(byte) || matches!(byte, b'e' | b'E') || signed_exponent {
            end += 1;
        } else {
            break;
        }
    }
    start..end
}

/// The tokens of fuzz/dictionary.txt: one a line in double quotes, with `\"`, `\\` and
/// `\xNN` escapes (the AFL and libFuzzer format); `#` starts a comment line.
fn dictionary() -> Vec<Vec<u8>> {
    let path = repository().join("fuzz/dictionary.txt");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|error| panic!("cannot read {}: {error}", path.display()));
    let mut tokens = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (Some(open), Some(close)) = (line.find('"'), line.rfind('"')) else {
            panic!("fuzz/dictionary.txt: {line:?} is not a quoted token");
        };
        assert!(
            open < close,
            "fuzz/dictionary.txt: {line:?} is not a quoted token"
        );
        let quoted = &line.as_bytes()[open + 1..close];
        let mut token = Vec::new();
        let mut at = 0;
        while at < quoted.len() {
            match (quoted[at], quoted.get(at + 1)) {
                (b'\\', Some(b'x')) => {
                    let hex = std::str::from_utf8(&quoted[at + 2..at + 4]).expect("hex digits");
                    token.push(u8::from_str_radix(hex, 16).expect("two hex digits"));
                    at += 4;
                }
                (b'\\', Some(&escaped)) => {
                    token.push(escaped);
                    at += 2;
                }
                (byte, _) => {
                    token.push(byte);
                    at += 1;
                }
            }
        }
        tokens.push(token);
    }
    tokens
}

// ---------------------------------------------------------------------------------------------
// Target 1: the scenario loader.

/// The line that starts each file of an `extends` chain in a saved input (a single file is
/// saved as it is): the loader sees the text between one and the next.
const CHAIN_FILE_MARKER: &str = "#~~~ entente fuzz: file of an extends chain: ";

/// Scenarios the loader target also builds and runs once: small enough to take milliseconds.
const RUN_ACTORS: usize = 64;
const RUN_MONTHS: usize = 600;

/// The most bytes of error text accepted per file read, plus [`RENDERED_BYTES_PER_INPUT_KIB`]
/// per KiB of input. With at most 50 diagnostics a file, each with its source line cut to
/// about 200 characters, a caret line and a message of a few hundred bytes (an "expected one
/// of" list), a file's report stays under about 40 KB whatever its size; the per-KiB part
/// leaves room for the lines echoed from large inputs. Without those caps, one error a line
/// echoes each line with its caret, several times the input.
const RENDERED_BYTES_PER_FILE: usize = 64 * 1024;
const RENDERED_BYTES_PER_INPUT_KIB: usize = 300;

/// Error text is rendered (measured, not kept) up to this many bytes, far past any bound, so
/// that a panic in a late diagnostic is still met, but not the gigabytes some inputs would
/// render (a second in a debug build, where the gigabytes would take many).
const RENDERED_BYTES_AT_MOST: usize = 256 << 20;

/// Inputs of the loader target are cut to this size: large enough for a line past column
/// 65,535 and thousands of elements, small enough for a debug build to validate quickly.
const LOADER_INPUT_LIMIT: usize = 192 * 1024;

/// Loads `files` (a single file with `from_toml`, a chain with `from_files`) and checks the
/// loader's contract: an error renders, within the bound; a small valid scenario compiles and
/// runs. Returns what became of the input, for the counts.
fn check_loader(files: &[(String, String)], findings: &mut Findings) -> &'static str {
    let result = match files {
        [(origin, text)] => Scenario::from_toml(text, origin),
        chain => Scenario::from_files(chain),
    };
    match result {
        Ok(scenario) => {
            if scenario.actors().len() > RUN_ACTORS || scenario.months() > RUN_MONTHS {
                "valid, too large to run"
            } else {
                let seed = scenario.seed();
                let outcomes = scenario.outcomes().len();
                let model = Model::new(scenario);
                let result = Simulation::new(&model).run(seed, 0, None);
                if result.outcomes.len() != outcomes {
                    findings.violation(format!(
                        "a run gave {} outcome values for {outcomes} outcomes",
                        result.outcomes.len()
                    ));
                }
                "valid and run"
            }
        }
        Err(error) => {
            let input: usize = files.iter().map(|(_, text)| text.len()).sum();
            let bound = RENDERED_BYTES_PER_FILE * files.len()
                + RENDERED_BYTES_PER_INPUT_KIB * input.div_ceil(1024);
            // Rendered as `to_string` does, but measured rather than kept past the bound, and
            // stopped past RENDERED_BYTES_AT_MOST: one input with thousands of errors, each
            // echoing a 70 KB line, asked for more than a gigabyte at once.
            let mut text = BoundedText::new(bound);
            let complete = write!(text, "{error}").is_ok();
            if complete {
                rendered(&text.text, findings);
            }
            if !complete || text.length > bound {
                findings.violation(format!(
                    "the error text is {} bytes or more, over its bound of {bound}",
                    text.length
                ));
            }
            "refused"
        }
    }
}

/// Rendered text, measured in full but kept only up to `kept` bytes; a write past
/// [`RENDERED_BYTES_AT_MOST`] fails, which stops a `Display` that propagates errors, as the
/// diagnostics' does.
struct BoundedText {
    text: String,
    length: usize,
    kept: usize,
}

impl BoundedText {
    fn new(kept: usize) -> BoundedText {
        BoundedText {
            text: String::new(),
            length: 0,
            kept,
        }
    }
}

impl std::fmt::Write for BoundedText {
    fn write_str(&mut self, text: &str) -> std::fmt::Result {
        self.length += text.len();
        if self.length > RENDERED_BYTES_AT_MOST {
            return Err(std::fmt::Error);
        }
        if self.length <= self.kept {
            self.text.push_str(text);
        }
        Ok(())
    }
}

/// The bytes a loader case is saved as: one file as it is, a chain with a marker line before
/// each file.
fn loader_input_bytes(files: &[(String, String)]) -> Vec<u8> {
    match files {
        [(_, text)] => text.as_bytes().to_vec(),
        chain => chain
            .iter()
            .map(|(path, text)| format!("{CHAIN_FILE_MARKER}{path}\n{text}\n"))
            .collect::<String>()
            .into_bytes(),
    }
}

/// The files a saved loader input holds (the inverse of [`loader_input_bytes`]); a single file
/// is named `origin`.
fn loader_files_of(text: &str, origin: &str) -> Vec<(String, String)> {
    if !text.starts_with(CHAIN_FILE_MARKER) {
        return vec![(origin.to_string(), text.to_string())];
    }
    text.split(CHAIN_FILE_MARKER)
        .skip(1)
        .map(|part| {
            let (path, body) = part.split_once('\n').unwrap_or((part, ""));
            let body = body.strip_suffix('\n').unwrap_or(body);
            (path.to_string(), body.to_string())
        })
        .collect()
}

/// Every .toml file under `directory`, recursively, in name order.
fn toml_files(directory: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut entries: Vec<PathBuf> = std::fs::read_dir(directory)
        .unwrap_or_else(|error| panic!("cannot list {}: {error}", directory.display()))
        .map(|entry| entry.expect("a directory entry").path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            found.extend(toml_files(&path));
        } else if path
            .extension()
            .is_some_and(|extension| extension == "toml")
        {
            found.push(path);
        }
    }
    found
}

/// (path relative to the repository, text) of a file.
fn read_relative(path: &Path) -> (String, String) {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|error| panic!("cannot read {}: {error}", path.display()));
    let relative = path.strip_prefix(repository()).unwrap_or(path);
    (relative.display().to_string(), text)
}

/// The loader's seeds: every scenario file alone, and two `extends` chains.
fn loader_seeds() -> Vec<Vec<(String, String)>> {
    let mut seeds: Vec<Vec<(String, String)>> = ["scenarios", "tests/scenarios", "tests/malformed"]
        .iter()
        .flat_map(|directory| toml_files(&repository().join(directory)))
        .map(|path| vec![read_relative(&path)])
        .collect();
    for chain in [
        [
            "scenarios/venezuela/no_war.toml",
            "scenarios/venezuela/baseline.toml",
        ],
        [
            "tests/scenarios/minimal_no_war.toml",
            "scenarios/minimal.toml",
        ],
    ] {
        seeds.push(
            chain
                .iter()
                .map(|path| read_relative(&repository().join(path)))
                .collect(),
        );
    }
    seeds
}

#[test]
fn fuzz_the_scenario_loader() {
    let seeds = loader_seeds();
    assert!(seeds.len() > 40, "only {} seeds were found", seeds.len());
    let others: Vec<&[u8]> = seeds
        .iter()
        .flatten()
        .map(|(_, text)| text.as_bytes())
        .collect();
    // Half the cases start from a valid scenario: only those reach the model and the run once
    // mutated, and they are a few of the seeds.
    let valid: Vec<Vec<(String, String)>> = seeds
        .iter()
        .filter(|files| match files.as_slice() {
            [(origin, text)] => Scenario::from_toml(text, origin).is_ok(),
            chain => Scenario::from_files(chain).is_ok(),
        })
        .cloned()
        .collect();
    assert!(valid.len() >= 6, "only {} seeds are valid", valid.len());
    let mut mutator = Mutator::new(fuzz_seed(), "loader", dictionary());
    let mut session = Session::new("loader");
    let mut outcomes: BTreeMap<&str, u64> = BTreeMap::new();
    for case in 0..case_count(DEFAULT_LOADER_CASES) {
        let pool = if mutator.chance(0.5) { &valid } else { &seeds };
        let mut files = mutator.pick(pool).clone();
        let chosen = mutator.below(files.len());
        let original = files[chosen].1.as_bytes();
        let mutated = if mutator.chance(0.3) {
            mutator.text_gently(original, LOADER_INPUT_LIMIT)
        } else {
            mutator.text(original, &others, LOADER_INPUT_LIMIT)
        };
        files[chosen].1 = String::from_utf8_lossy(&mutated).into_owned();
        session.case(case, "toml", loader_input_bytes(&files), |findings| {
            *outcomes.entry(check_loader(&files, findings)).or_default() += 1;
        });
    }
    eprintln!("fuzz loader: the inputs that did not panic were {outcomes:?}");
    session.finish();
}

// ---------------------------------------------------------------------------------------------
// Target 2: the partial-result decoder.

/// A body mutated by the decoder target is cut to this many times its seed's size.
const BODY_GROWTH_LIMIT: usize = 4;

/// A partial-result file to mutate, with what a case needs to use it.
struct DecoderSeed {
    name: &'static str,
    bytes: Vec<u8>,
    /// The decompressed body.
    body: Vec<u8>,
    /// Bytes of the header at the start of the body: mutations mostly go after it, into the
    /// totals, whose structure is what the decoder checks.
    header_bytes: usize,
    /// The other shards of its split, for `combine`.
    siblings: Vec<Partial>,
    /// What it decodes to, for structure-aware mutations.
    header: Header,
    partial: Partial,
}

/// Scenario files (as a header holds them) and the models built from them, so that cases
/// whose header names known files do not rebuild them.
type KnownModels = Vec<(Vec<Vec<(String, String)>>, Vec<Model>)>;

/// The files of a scenario, as a header holds them.
fn scenario_files(path: &str) -> Vec<(String, String)> {
    let scenario = Scenario::load(&repository().join(path))
        .unwrap_or_else(|error| panic!("{path} is valid: {error}"));
    scenario
        .sources()
        .iter()
        .map(|file| (file.path.clone(), file.text.clone()))
        .collect()
}

/// The partial results of a batch of `scenarios` split into `shards`, with their header.
fn batch_partials(
    models: &[Model],
    scenarios: &[Vec<(String, String)>],
    runs: u64,
    envelopes: bool,
    shards: u64,
) -> Vec<(Header, Partial)> {
    let options = BatchOptions {
        seed: 7,
        plan: RunPlan::Fixed(runs),
        threads: 2,
        envelopes,
        per_run: false,
    };
    (0..shards)
        .map(|index| {
            let shard = Shard {
                index,
                count: shards,
            };
            let sharding = Sharding {
                shard,
                ..Sharding::default()
            };
            let (_, partial) = batch::run_sharded(
                models,
                &options,
                &sharding,
                &|_| {},
                |_| Ok::<(), Infallible>(()),
                |_| Ok(()),
            )
            .expect("no callback fails");
            let header = Header {
                entente_version: env!("CARGO_PKG_VERSION").to_string(),
                binary: "0123456789abcdef".to_string(),
                seed: options.seed,
                runs,
                shard,
                envelopes,
                command: vec!["entente".to_string(), "batch".to_string()],
                scenarios: scenarios.to_vec(),
            };
            (header, partial)
        })
        .collect()
}

/// Bytes of a header as `partial::encode` writes it: texts and lists are a length and their
/// items, numbers eight bytes, yes/no one.
fn header_bytes(header: &Header) -> usize {
    let text = |text: &str| 8 + text.len();
    text(&header.entente_version)
        + text(&header.binary)
        + 8 * 4
        + 1
        + 8
        + header
            .command
            .iter()
            .map(|argument| text(argument))
            .sum::<usize>()
        + 8
        + header
            .scenarios
            .iter()
            .map(|files| {
                8 + files
                    .iter()
                    .map(|(path, file)| text(path) + text(file))
                    .sum::<usize>()
            })
            .sum::<usize>()
}

fn gunzip(compressed: &[u8]) -> Vec<u8> {
    let mut plain = Vec::new();
    flate2::read::GzDecoder::new(compressed)
        .read_to_end(&mut plain)
        .expect("a seed's body decompresses");
    plain
}

/// A partial-result file around `body`: the first line, the gzipped body and a correct
/// CRC-32, so that the decoder's checks of the structure are what the body meets.
fn frame(body: &[u8]) -> Vec<u8> {
    let mut gzip =
        flate2::write::GzEncoder::new(partial::MAGIC.to_vec(), flate2::Compression::fast());
    gzip.write_all(body).expect("compressing into memory");
    let mut bytes = gzip.finish().expect("compressing into memory");
    let checksum = crc32fast::hash(&bytes);
    bytes.extend_from_slice(&checksum.to_le_bytes());
    bytes
}

/// The decoder's seeds: batches of scenarios/minimal.toml without and with envelopes, a
/// two-shard split, and a comparison; and the models of their scenarios.
fn decoder_seeds() -> (Vec<DecoderSeed>, KnownModels) {
    let minimal = vec![scenario_files("scenarios/minimal.toml")];
    let comparison = vec![
        scenario_files("scenarios/minimal.toml"),
        scenario_files("tests/scenarios/minimal_no_war.toml"),
    ];
    let build = |scenarios: &[Vec<(String, String)>]| -> Vec<Model> {
        scenarios
            .iter()
            .map(|files| Model::new(Scenario::from_files(files).expect("a valid scenario")))
            .collect()
    };
    let known: KnownModels = vec![
        (minimal.clone(), build(&minimal)),
        (comparison.clone(), build(&comparison)),
    ];
    let segment = batch::SEGMENT_CHUNKS * batch::CHUNK_RUNS;
    let mut seeds = Vec::new();
    let mut add = |name: &'static str, set: usize, runs: u64, envelopes: bool, shards: u64| {
        let (scenarios, models) = &known[set];
        let split = batch_partials(models, scenarios, runs, envelopes, shards);
        for (index, (header, partial)) in split.iter().enumerate() {
            let bytes = partial::encode(header, partial);
            let (decoded_header, decoded) = partial::decode(&bytes).expect("a seed decodes");
            assert_eq!(
                &decoded_header, header,
                "{name}: the header survives encoding"
            );
            assert_eq!(&decoded, partial, "{name}: the partial survives encoding");
            let body = gunzip(&bytes[partial::MAGIC.len()..bytes.len() - 4]);
            let header_length = header_bytes(header);
            let word = |at: usize| u64::from_le_bytes(body[at..at + 8].try_into().expect("8"));
            assert_eq!(
                (word(header_length), word(header_length + 8)),
                (partial.shard.index, partial.shard.count),
                "{name}: the totals start with their shard after {header_length} header bytes"
            );
            let siblings = split
                .iter()
                .enumerate()
                .filter(|&(other, _)| other != index)
                .map(|(_, (_, partial))| partial.clone())
                .collect();
            seeds.push(DecoderSeed {
                name,
                header_bytes: header_length,
                bytes,
                body,
                siblings,
                header: header.clone(),
                partial: partial.clone(),
            });
        }
    };
    add("minimal, 300 runs, no envelopes", 0, 300, false, 1);
    add("minimal, 300 runs, envelopes", 0, 300, true, 1);
    add(
        "minimal, 2 shards, no envelopes",
        0,
        segment + 300,
        false,
        2,
    );
    add("comparison, 300 runs, envelopes", 1, 300, true, 1);
    (seeds, known)
}

/// How far a decoded partial result went through what uses it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Reached {
    /// Its header's scenarios did not load (or were too large to bother).
    NoModels,
    /// `check_partial` refused it.
    Refused,
    /// Checked, but neither merged alone nor combined with its siblings.
    Checked,
    /// Merged and summarised.
    Summarised,
}

/// What `entente report` and `entente merge` do with a decoded partial result, with the
/// models its header names (built as `batch_of` builds them, or reused when known): check it,
/// then merge it alone (report) and with the other shards of its split (merge), and summarise.
fn use_decoded(
    header: &Header,
    partial: &Partial,
    known: &KnownModels,
    siblings: &[Partial],
) -> Reached {
    let built;
    let models: &[Model] = match known
        .iter()
        .find(|(scenarios, _)| *scenarios == header.scenarios)
    {
        Some((_, models)) => models,
        None => {
            let mut models = Vec::new();
            for files in &header.scenarios {
                let Ok(scenario) = Scenario::from_files(files) else {
                    return Reached::NoModels;
                };
                if scenario.actors().len() > RUN_ACTORS || scenario.months() > RUN_MONTHS {
                    // Large worlds are the loader target's business, and slow here.
                    return Reached::NoModels;
                }
                models.push(Model::new(scenario));
            }
            built = models;
            &built
        }
    };
    let options = header.batch_options();
    if batch::check_partial(models, &options, partial).is_err() {
        return Reached::Refused;
    }
    let mut reached = Reached::Checked;
    if partial.shard == Shard::WHOLE
        && let Ok(result) = batch::merge(models, &options, std::slice::from_ref(partial))
    {
        summarise(models, header.seed, &result);
        reached = Reached::Summarised;
    }
    if siblings
        .iter()
        .any(|sibling| batch::check_partial(models, &options, sibling).is_err())
    {
        return reached;
    }
    let mut partials = siblings.to_vec();
    partials.push(partial.clone());
    if let Ok(whole) = batch::combine(models, &options, &partials)
        && let Ok(result) = batch::merge(models, &options, std::slice::from_ref(&whole))
    {
        summarise(models, header.seed, &result);
        reached = Reached::Summarised;
    }
    reached
}

/// The summaries a report is made of, rendered as JSON and text (for their panics only).
fn summarise(models: &[Model], seed: u64, result: &batch::BatchResult) {
    for (index, model) in models.iter().enumerate() {
        let summary = ScenarioSummary::new(model, seed, result, index, None);
        std::hint::black_box(report::summary_json(&summary));
        std::hint::black_box(report::batch_text(&summary));
    }
    if models.len() > 1 {
        let comparison = ComparisonSummary::new(models, seed, result);
        std::hint::black_box(report::comparison_json(&comparison));
    }
}

/// An error must say something when it is shown.
fn rendered(text: &str, findings: &mut Findings) {
    if text.trim().is_empty() {
        findings.violation("an error rendered as nothing".to_string());
    }
}

/// A 64-bit value for a count, a length or an index: a boundary value, a small one, or
/// `current` moved a little.
fn word(mutator: &mut Mutator, current: u64) -> u64 {
    match mutator.below(3) {
        0 => *mutator.pick(BOUNDARY_WORDS),
        1 => mutator.below(20) as u64,
        _ => current
            .wrapping_add(mutator.below(5) as u64)
            .wrapping_sub(2),
    }
}

/// Floats at their edges, for moments.
const BOUNDARY_FLOATS: &[f64] = &[
    0.0,
    -0.0,
    1.0,
    -1.0,
    f64::NAN,
    f64::INFINITY,
    f64::NEG_INFINITY,
    f64::MAX,
    f64::MIN,
    f64::MIN_POSITIVE,
    5e-324,
    1e-300,
    1e300,
];

/// Structure-aware mutations of a decoded partial result (encoded again by the caller): what
/// byte-level mutations rarely reach together, such as a header naming no scenario or other
/// scenarios, shard and run counts at their boundaries, segments dropped or repeated, moments
/// at the edges of the floats and counts past the runs, sketches moved between outcomes.
fn mutate_structure(
    mutator: &mut Mutator,
    header: &mut Header,
    partial: &mut Partial,
    known: &KnownModels,
) {
    for _ in 0..mutator.stack() {
        let folded_count = partial.segments.len() + 1;
        let which = mutator.below(folded_count);
        let folded = if which < partial.segments.len() {
            &mut partial.segments[which]
        } else {
            &mut partial.current
        };
        match mutator.below(12) {
            0 => header.runs = word(mutator, header.runs),
            1 => header.seed = word(mutator, header.seed),
            2 => header.envelopes = !header.envelopes,
            3 => {
                header.shard = Shard {
                    index: word(mutator, header.shard.index),
                    count: word(mutator, header.shard.count),
                }
            }
            4 => match mutator.below(4) {
                0 => header.scenarios.clear(),
                1 => {
                    let first = header.scenarios.first().cloned().unwrap_or_default();
                    header.scenarios.push(first);
                }
                2 => {
                    header.scenarios.pop();
                }
                _ => header.scenarios = mutator.pick(known).0.clone(),
            },
            5 => partial.runs = word(mutator, partial.runs),
            6 => {
                let start = word(mutator, partial.chunks.start);
                let end = word(mutator, partial.chunks.end);
                partial.chunks = start..end;
            }
            7 => partial.done = word(mutator, partial.done),
            8 => match mutator.below(3) {
                0 => partial.segments.clear(),
                1 => {
                    let copy = partial.current.clone();
                    partial.segments.push(copy);
                }
                _ => {
                    partial.segments.pop();
                }
            },
            9 => {
                let model = mutator.below(folded.moments.len());
                if let Some(moments) = folded.moments.get_mut(model) {
                    let outcome = mutator.below(moments.len());
                    if let Some(moments) = moments.get_mut(outcome) {
                        let value = *mutator.pick(BOUNDARY_FLOATS);
                        match mutator.below(4) {
                            0 => moments.mean = value,
                            1 => moments.squares = value,
                            2 => moments.min = value,
                            _ => moments.max = value,
                        }
                    }
                }
            }
            10 => {
                let model = mutator.below(folded.moments.len());
                if let Some(moments) = folded.moments.get_mut(model) {
                    let outcome = mutator.below(moments.len());
                    if let Some(moments) = moments.get_mut(outcome) {
                        let count = word(mutator, moments.count);
                        let missing = moments.count.wrapping_add(moments.missing);
                        // Often keeping count + missing, which the checks compare to the runs.
                        moments.count = count;
                        if mutator.chance(0.5) {
                            moments.missing = missing.wrapping_sub(count);
                        }
                    }
                }
                if let Some(count) = folded.non_finite.get_mut(0) {
                    *count = word(mutator, *count);
                }
            }
            _ => {
                let sketches = &mut partial.unordered.sketches;
                let model = mutator.below(sketches.len());
                if let Some(sketches) = sketches.get_mut(model)
                    && sketches.len() > 1
                {
                    let (first, second) =
                        (mutator.below(sketches.len()), mutator.below(sketches.len()));
                    sketches.swap(first, second);
                }
                if mutator.chance(0.3) {
                    partial
                        .unordered
                        .envelope_sums
                        .iter_mut()
                        .for_each(Vec::clear);
                }
            }
        }
    }
}

#[test]
fn fuzz_the_partial_result_decoder() {
    let (seeds, known) = decoder_seeds();
    let mut mutator = Mutator::new(fuzz_seed(), "decoder", Vec::new());
    let mut session = Session::new("decoder");
    let mut refused = 0u64;
    let mut reached: BTreeMap<Reached, u64> = BTreeMap::new();
    for case in 0..case_count(DEFAULT_DECODER_CASES) {
        let seed = mutator.pick(&seeds);
        let mode = mutator.below(4);
        if mode == 0 {
            // Damage anywhere in the file: the checksum must refuse every change.
            let limit = seed.bytes.len() * BODY_GROWTH_LIMIT;
            let damaged = mutator.binary(&seed.bytes, 0, limit);
            if damaged == seed.bytes {
                continue;
            }
            session.case(
                case,
                "entente",
                damaged.clone(),
                |findings| match partial::decode(&damaged) {
                    Ok(_) => findings.violation(format!(
                        "a damaged file was accepted (from the seed {:?})",
                        seed.name
                    )),
                    Err(error) => rendered(&error.to_string(), findings),
                },
            );
        } else {
            // A body with a correct checksum: the decoder's checks of the structure, and what
            // uses what they accept, must hold. One case in four changes the decoded values
            // and encodes them again, which reaches what uses a decoded result more often.
            let bytes = if mode == 1 {
                let (mut header, mut partial) = (seed.header.clone(), seed.partial.clone());
                mutate_structure(&mut mutator, &mut header, &mut partial, &known);
                partial::encode(&header, &partial)
            } else {
                let limit = seed.body.len() * BODY_GROWTH_LIMIT;
                frame(&mutator.binary(&seed.body, seed.header_bytes, limit))
            };
            session.case(
                case,
                "entente",
                bytes.clone(),
                |findings| match partial::decode(&bytes) {
                    Ok((header, partial)) => {
                        let stage = use_decoded(&header, &partial, &known, &seed.siblings);
                        *reached.entry(stage).or_default() += 1;
                    }
                    Err(error) => {
                        refused += 1;
                        rendered(&error.to_string(), findings);
                    }
                },
            );
        }
    }
    eprintln!(
        "fuzz decoder: of the bodies with a correct checksum, {refused} were refused and the \
         decoded went as far as {reached:?}"
    );
    session.finish();
}

// ---------------------------------------------------------------------------------------------
// Target 3: the command line's option parsing.

/// Valid command lines to mutate (the program name first), their arguments separated by
/// spaces.
const COMMAND_LINES: &[&str] = &[
    "entente batch s.toml --runs 100000 --threads 4 --seed 7 --out out --checkpoint-every 10 \
     --max-memory 512M --shard 0/2",
    "entente batch s.toml --precision 0.01 --max-runs 100000 --precision-outcome survives \
     --no-envelopes --format json",
    "entente batch s.toml --runs 20000 --out out --per-run --resume --checkpoint-every 0.5 \
     --report r.html",
    "entente batch s.toml --runs 100000 --out out --shard auto --shard-count 4 --max-memory 8GiB",
    "entente compare a.toml b.toml --runs 20000 --threads 2 --shard 3/4 --out out \
     --format markdown",
    "entente compare a.toml b.toml c.toml --runs=5000 --seed=3 --checkpoint-every=86400 \
     --max-memory=1.5G",
    "entente run s.toml --seed 1 --run 5 --every 12 --format json --trace t.csv",
    "entente check s.toml -q",
    "entente report out --threads 3 --out r.html",
    "entente merge a b --out merged --format markdown --report r.html",
    "entente rerun manifest.json --out again --threads 1024",
];

/// Argument values at and past the edges of what the options accept.
fn boundary_arguments() -> Vec<String> {
    let mut values: Vec<String> = BOUNDARY_NUMBERS
        .iter()
        .map(|number| number.to_string())
        .collect();
    values.extend(
        [
            "",
            " ",
            " 12 ",
            "+5",
            "0x10",
            "1_000",
            "1e3",
            "NaN",
            "infinity",
            "-infinity",
            "86400",
            "86400.0000001",
            "1024",
            "1025",
            "1e-12",
            "9.99e-13",
            "8G",
            "8g",
            "0.5K",
            "1.5GiB",
            "16EiB",
            "1e30T",
            "-1G",
            "1B",
            "1iB",
            "K",
            "G",
            "0/1",
            "1/0",
            "0/0",
            "5/4",
            "0/16",
            "auto",
            "AUTO",
            "/",
            "-",
            "--",
            "=",
            "s.toml",
            "text",
            "json",
            "markdown",
            "١٢٣",
            "１２",
            "½",
            "𝟙",
            "ǅ",
            "\u{202e}12",
            "é",
            "0/١",
            "18446744073709551615/18446744073709551615",
            "9007199254740992/9007199254740993",
        ]
        .iter()
        .map(|value| value.to_string()),
    );
    values.push("9".repeat(5_000));
    values.push("x".repeat(100_000));
    values.push("1".repeat(400) + "/" + &"2".repeat(400));
    values
}

/// Every subcommand and option name of the command line, read from its definition so that new
/// options are fuzzed too.
fn option_names() -> Vec<String> {
    let mut names = Vec::new();
    for subcommand in Cli::command().get_subcommands() {
        names.push(subcommand.get_name().to_string());
        for argument in subcommand.get_arguments() {
            if let Some(long) = argument.get_long() {
                names.push(format!("--{long}"));
            }
            if let Some(short) = argument.get_short() {
                names.push(format!("-{short}"));
            }
        }
    }
    names.extend(["--help", "-h", "--version", "-V", "help"].map(String::from));
    names
}

/// The environment `--shard auto` reads, drawn for a case: Slurm's and Kubernetes' variables,
/// each unset, valid or a boundary value.
fn shard_environment(mutator: &mut Mutator, boundary: &[String]) -> BTreeMap<&'static str, String> {
    let mut environment = BTreeMap::new();
    for name in [
        "SLURM_ARRAY_TASK_ID",
        "SLURM_ARRAY_TASK_MIN",
        "SLURM_ARRAY_TASK_COUNT",
        "JOB_COMPLETION_INDEX",
        "ENTENTE_SHARD_COUNT",
    ] {
        match mutator.below(3) {
            0 => {}
            1 => {
                environment.insert(name, mutator.below(8).to_string());
            }
            _ => {
                environment.insert(name, mutator.pick(boundary).clone());
            }
        }
    }
    environment
}

/// A mutated command line: arguments replaced by boundary values, inserted, deleted,
/// duplicated, swapped, joined with `=` or mutated byte by byte.
fn mutate_arguments(
    mutator: &mut Mutator,
    seed: &[&str],
    boundary: &[String],
    options: &[String],
) -> Vec<OsString> {
    let mut arguments: Vec<OsString> = seed.iter().map(OsString::from).collect();
    for _ in 0..mutator.stack() {
        // The program name stays first.
        let count = arguments.len();
        let at = 1 + mutator.below(count - 1);
        match mutator.below(10) {
            0 | 1 => {
                // A number replaced by a boundary value, the commonest typo.
                let numeric: Vec<usize> = (1..count)
                    .filter(|&index| {
                        arguments[index]
                            .to_str()
                            .is_some_and(|text| text.bytes().any(|byte| byte.is_ascii_digit()))
                    })
                    .collect();
                let index = if numeric.is_empty() {
                    at
                } else {
                    *mutator.pick(&numeric)
                };
                if index < count {
                    arguments[index] = mutator.pick(boundary).into();
                }
            }
            2 if at < count => arguments[at] = mutator.pick(boundary).into(),
            3 => {
                let option = mutator.pick(options).clone();
                let value = mutator.pick(boundary).clone();
                arguments.splice(at..at, [option.into(), value.into()]);
            }
            4 => {
                let option = mutator.pick(options).clone();
                arguments.insert(at, option.into());
            }
            5 if at < count && count > 2 => {
                arguments.remove(at);
            }
            6 if at < count => {
                let copy = arguments[at].clone();
                arguments.insert(at, copy);
            }
            7 if count > 2 => {
                let other = 1 + mutator.below(count - 1);
                if at < count {
                    arguments.swap(at, other);
                }
            }
            8 if at + 1 < count => {
                // `--option value` joined as `--option=value`.
                let value = arguments.remove(at + 1);
                let mut joined = arguments[at].clone();
                joined.push("=");
                joined.push(value);
                arguments[at] = joined;
            }
            9 if at < count => {
                let bytes = arguments[at].as_encoded_bytes().to_vec();
                let mutated = mutator.text(&bytes, &[], 4096);
                arguments[at] = if mutator.chance(0.2) {
                    // Bytes that are not UTF-8, as a Unix command line may hold.
                    use std::os::unix::ffi::OsStringExt;
                    OsString::from_vec(mutated)
                } else {
                    String::from_utf8_lossy(&mutated).into_owned().into()
                };
            }
            _ => {}
        }
    }
    arguments
}

/// Checks what the parser accepted: every number in its range, and the shard, when asked
/// for, resolved without panicking into a valid one. Returns whether a `--shard` was resolved
/// (`None` when none was asked for).
fn check_parsed(
    cli: &Cli,
    environment: &BTreeMap<&'static str, String>,
    findings: &mut Findings,
) -> Option<bool> {
    let check_runs = |name: &str, runs: u64, findings: &mut Findings| {
        if !(1..=MAX_RUNS).contains(&runs) {
            findings.violation(format!("{name} {runs} was accepted"));
        }
    };
    let threads = |threads: Option<u32>, findings: &mut Findings| {
        if let Some(threads) = threads
            && !(1..=MAX_THREADS).contains(&threads)
        {
            findings.violation(format!("--threads {threads} was accepted"));
        }
    };
    let (common, runs) = match &cli.command {
        Command::Batch {
            request:
                BatchRequest {
                    runs,
                    precision,
                    max_runs,
                    ..
                },
            common,
            ..
        } => {
            if let Some(runs) = runs {
                check_runs("--runs", *runs, findings);
            }
            check_runs("--max-runs", *max_runs, findings);
            if let Some(precision) = precision
                && !(precision.is_finite() && *precision >= MIN_PRECISION)
            {
                findings.violation(format!("--precision {precision} was accepted"));
            }
            let total = match (runs, precision) {
                (Some(runs), _) => *runs,
                (None, Some(_)) => *max_runs,
                (None, None) => cli::DEFAULT_RUNS,
            };
            (common, total)
        }
        Command::Compare {
            scenarios,
            runs,
            common,
            ..
        } => {
            if let Some(runs) = runs {
                check_runs("--runs", *runs, findings);
            }
            if scenarios.len() < 2 {
                findings.violation(format!(
                    "compare of {} scenarios was accepted",
                    scenarios.len()
                ));
            }
            (common, runs.unwrap_or(cli::DEFAULT_RUNS))
        }
        Command::Run(RunArgs { every, .. }) => {
            if *every == 0 {
                findings.violation("--every 0 was accepted".to_string());
            }
            return None;
        }
        Command::Report { threads: count, .. } | Command::Rerun { threads: count, .. } => {
            threads(*count, findings);
            return None;
        }
        Command::Sensitivity(args) => {
            threads(args.threads, findings);
            if let Some(points) = args.points {
                check_runs("--points", points, findings);
            }
            if args.inputs.replications == Some(0) {
                findings.violation("--replications 0 was accepted".to_string());
            }
            return None;
        }
        Command::Check { .. }
        | Command::Merge { .. }
        | Command::Discover(_)
        | Command::Completions { .. }
        | Command::Man => return None,
    };
    threads(common.threads, findings);
    let every = common.checkpoint_every;
    if !(every.is_finite() && (0.0..=MAX_CHECKPOINT_SECONDS).contains(&every)) {
        findings.violation(format!("--checkpoint-every {every} was accepted"));
    }
    if common.max_memory == Some(0) {
        findings.violation("--max-memory 0 was accepted".to_string());
    }
    if let Some(count) = common.shard_count {
        check_runs("--shard-count", count, findings);
    }
    let variable = |name: &str| environment.get(name).cloned();
    let resolved = cli::resolve_shard(common.shard.as_deref(), common.shard_count, runs, variable);
    if let Ok(shard) = resolved {
        if shard.count == 0 || shard.index >= shard.count || shard.count > cli::segments(runs) {
            findings.violation(format!(
                "shard {shard} of a batch of {runs} runs was resolved"
            ));
        }
        let span = shard.runs(runs);
        if span.start > span.end || span.end > runs {
            findings.violation(format!("shard {shard} runs {span:?} of {runs}"));
        }
    }
    common.shard.as_ref().map(|_| resolved.is_ok())
}

#[test]
fn fuzz_the_command_line() {
    let boundary = boundary_arguments();
    let options = option_names();
    assert!(
        options.iter().any(|name| name == "--checkpoint-every"),
        "the option names come from the command line's definition"
    );
    for line in COMMAND_LINES {
        if let Err(error) = Cli::try_parse_from(line.split_whitespace()) {
            panic!("the seed {line:?} does not parse: {error}");
        }
    }
    let mut mutator = Mutator::new(fuzz_seed(), "command-line", Vec::new());
    let mut session = Session::new("command-line");
    let mut parsed = 0u64;
    let mut shards: BTreeMap<&str, u64> = BTreeMap::new();
    for case in 0..case_count(DEFAULT_CLI_CASES) {
        let seed: Vec<&str> = mutator.pick(COMMAND_LINES).split_whitespace().collect();
        let arguments = mutate_arguments(&mut mutator, &seed, &boundary, &options);
        let environment = shard_environment(&mut mutator, &boundary);
        let size = if mutator.chance(0.5) {
            mutator.pick(&boundary).clone()
        } else {
            let bytes = mutator.text(b"512M", &[], 64);
            String::from_utf8_lossy(&bytes).into_owned()
        };
        let saved = arguments_bytes(&arguments);
        session.case(case, "args", saved, |findings| {
            if let Ok(bytes) = cli::memory_size(&size)
                && bytes == 0
            {
                findings.violation(format!("--max-memory {size:?} read as 0 bytes"));
            }
            match Cli::try_parse_from(&arguments) {
                Ok(cli) => {
                    parsed += 1;
                    let shard = match check_parsed(&cli, &environment, findings) {
                        None => "none asked for",
                        Some(true) => "resolved",
                        Some(false) => "refused",
                    };
                    *shards.entry(shard).or_default() += 1;
                }
                Err(error) => rendered(&error.to_string(), findings),
            }
        });
    }
    eprintln!(
        "fuzz command-line: {parsed} mutated command lines parsed; their --shard: {shards:?}"
    );
    session.finish();
}

/// A command line as saved: its arguments separated by NUL bytes (which no argument holds).
fn arguments_bytes(arguments: &[OsString]) -> Vec<u8> {
    arguments
        .iter()
        .map(|argument| argument.as_encoded_bytes())
        .collect::<Vec<_>>()
        .join(&0u8)
}

// ---------------------------------------------------------------------------------------------
// Regressions and the fuzzer's own checks.

/// Every input in fuzz/regressions/ that ever crashed a target goes through it again: files
/// ending .toml through the loader (a chain when it starts with the chain marker), .entente
/// through the decoder and what uses a decoded result, .args through the command line.
#[test]
fn saved_regressions_replay_without_a_panic() {
    let directory = repository().join("fuzz/regressions");
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&directory)
        .unwrap_or_else(|error| panic!("cannot list {}: {error}", directory.display()))
        .map(|entry| entry.expect("a directory entry").path())
        .filter(|path| path.is_file())
        .collect();
    paths.sort();
    let known: KnownModels = Vec::new();
    let mut session = Session::new("regressions");
    for (case, path) in paths.iter().enumerate() {
        let bytes = std::fs::read(path).expect("a regression file reads");
        let name = path
            .file_name()
            .expect("a file name")
            .to_string_lossy()
            .into_owned();
        match path.extension().and_then(|extension| extension.to_str()) {
            Some("toml") => {
                let text = String::from_utf8_lossy(&bytes).into_owned();
                let files = loader_files_of(&text, &name);
                session.case(case as u64, "toml", bytes, |findings| {
                    check_loader(&files, findings);
                });
            }
            Some("entente") => {
                session.case(case as u64, "entente", bytes.clone(), |_| {
                    if let Ok((header, partial)) = partial::decode(&bytes) {
                        use_decoded(&header, &partial, &known, &[]);
                    }
                });
            }
            Some("args") => {
                let arguments: Vec<OsString> = bytes
                    .split(|&byte| byte == 0)
                    .map(|argument| {
                        use std::os::unix::ffi::OsStringExt;
                        OsString::from_vec(argument.to_vec())
                    })
                    .collect();
                session.case(case as u64, "args", bytes, |findings| {
                    if let Ok(cli) = Cli::try_parse_from(&arguments) {
                        check_parsed(&cli, &BTreeMap::new(), findings);
                    }
                });
            }
            Some("md") => {}
            _ => panic!(
                "{}: a regression must end .toml, .entente or .args to say its target",
                path.display()
            ),
        }
    }
    session.finish();
}

#[test]
fn the_mutator_is_deterministic_and_changes_its_input() {
    let input = std::fs::read(repository().join("scenarios/minimal.toml")).expect("readable");
    let run = || {
        let mut mutator = Mutator::new(5, "loader", dictionary());
        (0..200)
            .map(|_| mutator.text(&input, &[], LOADER_INPUT_LIMIT))
            .collect::<Vec<_>>()
    };
    let first = run();
    assert_eq!(first, run(), "the same seed gives the same mutations");
    let changed = first.iter().filter(|mutated| **mutated != input).count();
    assert!(
        changed >= 190,
        "only {changed} of 200 mutations changed the input"
    );
    assert!(
        first
            .iter()
            .all(|mutated| mutated.len() <= LOADER_INPUT_LIMIT)
    );
}

#[test]
fn saved_inputs_read_back_as_the_files_they_were() {
    let chain = vec![
        ("a.toml".to_string(), "extends = \"b.toml\"\n".to_string()),
        ("b.toml".to_string(), "[scenario]\nname = \"b\"".to_string()),
    ];
    let text = String::from_utf8(loader_input_bytes(&chain)).expect("UTF-8");
    assert_eq!(loader_files_of(&text, "ignored.toml"), chain);
    let single = vec![("x.toml".to_string(), "[scenario]\n".to_string())];
    let text = String::from_utf8(loader_input_bytes(&single)).expect("UTF-8");
    assert_eq!(loader_files_of(&text, "x.toml"), single);
    let arguments: Vec<OsString> = ["entente", "batch", ""]
        .iter()
        .map(OsString::from)
        .collect();
    assert_eq!(arguments_bytes(&arguments), b"entente\0batch\0");
}

#[test]
fn a_panic_in_a_case_is_caught_with_its_message_and_place() {
    let number = std::hint::black_box(5);
    let caught = guarded(|| panic!("formatted {number}")).expect_err("it panicked");
    assert_eq!(caught.message, "formatted 5");
    assert!(
        caught.location.starts_with("tests/fuzz.rs:"),
        "{}",
        caught.location
    );
    let caught = guarded(|| {
        let empty: Vec<u8> = std::hint::black_box(Vec::new());
        empty[0]
    })
    .expect_err("it panicked");
    assert_eq!(
        caught.message,
        "index out of bounds: the len is 0 but the index is 0"
    );
    assert_eq!(guarded(|| 7).expect("no panic"), 7);
}
