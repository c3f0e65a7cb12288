//! The results directory (`--out`): what a batch leaves there, how it is written so that a
//! crash at any point leaves the previous complete results or the new complete results and
//! never a mix, and how `report`, `merge` and `--resume` read it back.
//!
//! # Layout
//!
//! - the result files (`summary.json`, `envelopes.csv`, `comparison.json`, `runs.csv`,
//!   `partial.entente`, `manifest.json`, ...), as the commands name them;
//! - [`COMMIT_FILE`], the commit record: every result file's name, length and CRC-32. It is
//!   installed last; a directory without one holds no finished results, and a directory whose
//!   files do not match it is refused, naming the file;
//! - [`CHECKPOINT_FILE`], a batch's progress while it runs (not part of the results);
//! - [`LOCK_FILE`], locked exclusively by the one process writing the directory (its pid is
//!   written inside for the message the next writer gets) and shared by readers;
//! - `.entente-staging/` and `.entente-ready/` exist only while results are being committed.
//!
//! # Commit protocol (a small redo journal)
//!
//! 1. Every new file is written and synced into `.entente-staging/` (per-run files are streamed
//!    there as the batch goes), then the new commit record and the list of the files it
//!    supersedes.
//! 2. **The commit point**: `.entente-staging/` is renamed to `.entente-ready/` (one rename).
//!    Before it, the previous results are untouched; after it, the new ones are complete on
//!    disk.
//! 3. Installation: each new file is renamed from `.entente-ready/` into the directory, the
//!    superseded files that the new results lack are removed, the commit record is renamed
//!    last, and `.entente-ready/` is removed.
//!
//! [`recover`] runs before any write or read of the directory: a leftover `.entente-staging/`
//! (a crash before the commit point) is removed, and a leftover `.entente-ready/` (a crash
//! after it) is installed again from step 3, which may be repeated any number of times. So a
//! reader that goes through this module sees the old results or the new, whole. The tests
//! inject a failure after every single write, rename and removal (see [`Faults`]).

use std::collections::BTreeSet;
use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::files::read_regular_file;

/// The commit record, installed last.
pub const COMMIT_FILE: &str = "commit.json";
/// A batch's progress while it runs, for `--resume`.
pub const CHECKPOINT_FILE: &str = "checkpoint.entente";
/// The exact totals of a batch or a shard (see `partial`).
pub const PARTIAL_FILE: &str = "partial.entente";
/// What ran: the command, seed, scenario texts and outputs.
pub const MANIFEST_FILE: &str = "manifest.json";
/// Locked by the process writing the directory.
pub const LOCK_FILE: &str = ".entente.lock";

const STAGING_DIRECTORY: &str = ".entente-staging";
const READY_DIRECTORY: &str = ".entente-ready";
/// Inside the ready directory: the names of the previous results, removed by installation
/// unless the new results have a file of the same name.
const SUPERSEDED_FILE: &str = "superseded.json";
/// The first line of every commit record's `format` field.
const COMMIT_FORMAT: &str = "entente results, commit record 1";

/// Names of the files earlier entente versions wrote into a results directory, superseded by
/// new results when no commit record lists the old ones.
fn is_result_name(name: &str) -> bool {
    let with = |prefix: &str, suffix: &str| name.starts_with(prefix) && name.ends_with(suffix);
    with("summary", ".json")
        || with("envelopes", ".csv")
        || [
            "summary.csv",
            "comparison.json",
            "comparison.csv",
            "runs.csv",
            "ema.tar.gz",
            PARTIAL_FILE,
            MANIFEST_FILE,
        ]
        .contains(&name)
}

/// Why a results directory cannot be written or read.
#[derive(Debug, thiserror::Error)]
pub enum ResultsError {
    /// A file-system operation failed. The reason is in the message and not the error's
    /// `source`, so that a chain of causes printed in full does not say it twice (issue 17:
    /// "no such directory: no such directory").
    #[error("cannot {action} {}: {reason}", path.display())]
    Io {
        /// What was being done, such as "create directory".
        action: &'static str,
        /// The file or directory it was done to.
        path: PathBuf,
        /// The operating system's error.
        reason: std::io::Error,
    },
    // The reason is in the message and not the error's `source`, so that a chain of causes
    // printed in full does not say it twice.
    /// A file of the directory could not be read (not a regular file, too large, ...).
    #[error("cannot read {}: {reason}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why it could not be read.
        reason: crate::files::ReadError,
    },
    /// Another process holds the directory's lock.
    #[error(
        "{} is in use by another entente process ({holder}): wait for it to finish, or write to another directory",
        directory.display()
    )]
    Locked {
        /// The results directory.
        directory: PathBuf,
        /// What the lock file says of its holder ("pid N"), or that it is unknown.
        holder: String,
    },
    /// The directory has no commit record: its batch never finished.
    #[error(
        "{} holds no finished results (no {COMMIT_FILE}): the batch that wrote it was interrupted, or it was written by an entente older than 0.1 with commit records; run the batch again (--resume continues from its checkpoint)",
        directory.display()
    )]
    NotFinished {
        /// The results directory.
        directory: PathBuf,
    },
    /// A file the commit record lists is missing or differs in length or checksum.
    #[error(
        "{} does not match the commit record of {} ({what}): the directory was edited or damaged after the batch wrote it",
        directory.join(name).display(), directory.display()
    )]
    Mismatch {
        /// The results directory.
        directory: PathBuf,
        /// The file's name in it.
        name: String,
        /// How it differs.
        what: String,
    },
    /// The commit record cannot be read as one.
    #[error("{} is not a commit record entente can read: {reason}", path.display())]
    BadRecord {
        /// The commit record's path.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// A file asked for that the commit record does not list.
    #[error("{} is not among the results in {}", name, directory.display())]
    Missing {
        /// The results directory.
        directory: PathBuf,
        /// The file's name.
        name: String,
    },
    /// A failure injected by [`Faults`] in a test.
    #[error("fault injected at step {step} ({what}) by a test")]
    Injected {
        /// The step that failed, counted from 0.
        step: usize,
        /// What the step would have done.
        what: String,
    },
}

type Result<T> = std::result::Result<T, ResultsError>;

fn io(action: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> ResultsError + use<> {
    let path = path.to_path_buf();
    move |reason| ResultsError::Io {
        action,
        path,
        reason,
    }
}

/// Test-only fault injection: the step numbered `fail_at` (counting every file write,
/// rename, removal and directory sync from 0) fails as a crash would, leaving everything
/// on disk as it is. The default injects nothing.
#[derive(Debug, Default)]
pub struct Faults {
    fail_at: Option<usize>,
    steps: std::cell::Cell<usize>,
}

impl Faults {
    /// Fails the `step`-th step (from 0).
    pub fn at(step: usize) -> Faults {
        Faults {
            fail_at: Some(step),
            steps: std::cell::Cell::new(0),
        }
    }

    /// Steps taken so far.
    pub fn steps(&self) -> usize {
        self.steps.get()
    }

    fn step(&self, what: impl FnOnce() -> String) -> Result<()> {
        let step = self.steps.get();
        self.steps.set(step + 1);
        if self.fail_at == Some(step) {
            return Err(ResultsError::Injected { step, what: what() });
        }
        Ok(())
    }
}

/// One result file as the commit record lists it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommittedFile {
    /// The file's name in the results directory.
    pub name: String,
    /// The file's length in bytes.
    pub bytes: u64,
    /// CRC-32 (ISO 3309) of the file's bytes, in hex.
    pub crc32: String,
}

/// The commit record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommitRecord {
    /// The record's format, "entente results, commit record 1".
    pub format: String,
    /// The version of entente that committed the results.
    pub entente_version: String,
    /// Every result file of the directory.
    pub files: Vec<CommittedFile>,
}

/// An exclusive or shared lock on a results directory, released when dropped (and by the
/// operating system if the process dies).
#[derive(Debug)]
pub struct Lock {
    directory: PathBuf,
    _file: File,
}

impl Lock {
    /// Locks `directory` for writing, creating it if needed. A second writer gets
    /// [`ResultsError::Locked`] at once, naming the holder's pid.
    pub fn exclusive(directory: &Path) -> Result<Lock> {
        std::fs::create_dir_all(directory).map_err(io("create directory", directory))?;
        let path = directory.join(LOCK_FILE);
        let mut file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(io("create the lock file", &path))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                return Err(ResultsError::Locked {
                    directory: directory.to_path_buf(),
                    holder: holder(&mut file),
                });
            }
            Err(std::fs::TryLockError::Error(source)) => {
                return Err(io("lock", &path)(source));
            }
        }
        // The pid, for the message another writer gets; the lock itself is what excludes.
        file.set_len(0)
            .and_then(|()| writeln!(file, "pid {}", std::process::id()))
            .map_err(io("write", &path))?;
        Ok(Lock {
            directory: directory.to_path_buf(),
            _file: file,
        })
    }

    /// Locks `directory` for reading: waits for no one, and fails if a writer holds it.
    pub fn shared(directory: &Path) -> Result<Lock> {
        let path = directory.join(LOCK_FILE);
        let mut file = match File::open(&path) {
            Ok(file) => file,
            // A directory nobody has written with a lock (an older entente) is read unlocked;
            // the commit record still decides whether it is whole.
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                let file = File::open(directory).map_err(io("open", directory))?;
                return Ok(Lock {
                    directory: directory.to_path_buf(),
                    _file: file,
                });
            }
            Err(error) => return Err(io("open", &path)(error)),
        };
        match file.try_lock_shared() {
            Ok(()) => Ok(Lock {
                directory: directory.to_path_buf(),
                _file: file,
            }),
            Err(std::fs::TryLockError::WouldBlock) => Err(ResultsError::Locked {
                directory: directory.to_path_buf(),
                holder: holder(&mut file),
            }),
            Err(std::fs::TryLockError::Error(source)) => Err(io("lock", &path)(source)),
        }
    }

    /// The locked results directory.
    pub fn directory(&self) -> &Path {
        &self.directory
    }
}

/// What the lock file says of its holder.
fn holder(file: &mut File) -> String {
    let mut text = String::new();
    let _ = file.take(64).read_to_string(&mut text);
    match text.trim() {
        "" => "pid unknown".to_string(),
        said => said.to_string(),
    }
}

/// CRC-32 and length of a file, read in blocks.
fn checksum(path: &Path) -> Result<(u64, u32)> {
    let mut file = File::open(path).map_err(io("read", path))?;
    let mut hasher = crc32fast::Hasher::new();
    let mut buffer = vec![0; 1 << 16];
    let mut length = 0u64;
    loop {
        let read = file.read(&mut buffer).map_err(io("read", path))?;
        if read == 0 {
            break;
        }
        hasher.update(&buffer[..read]);
        length += read as u64;
    }
    Ok((length, hasher.finalize()))
}

fn sync_directory(path: &Path, faults: &Faults) -> Result<()> {
    faults.step(|| format!("sync directory {}", path.display()))?;
    File::open(path)
        .and_then(|directory| directory.sync_all())
        .map_err(io("sync", path))
}

fn rename(from: &Path, to: &Path, faults: &Faults) -> Result<()> {
    faults.step(|| format!("rename {} to {}", from.display(), to.display()))?;
    std::fs::rename(from, to).map_err(io("rename", from))
}

fn remove_file(path: &Path, faults: &Faults) -> Result<()> {
    faults.step(|| format!("remove {}", path.display()))?;
    match std::fs::remove_file(path) {
        Err(error) if error.kind() != std::io::ErrorKind::NotFound => {
            Err(io("remove", path)(error))
        }
        _ => Ok(()),
    }
}

fn remove_directory(path: &Path, faults: &Faults) -> Result<()> {
    faults.step(|| format!("remove {}", path.display()))?;
    match std::fs::remove_dir_all(path) {
        Err(error) if error.kind() != std::io::ErrorKind::NotFound => {
            Err(io("remove", path)(error))
        }
        _ => Ok(()),
    }
}

fn write_synced(path: &Path, bytes: &[u8], faults: &Faults) -> Result<()> {
    faults.step(|| format!("write {}", path.display()))?;
    File::create(path)
        .and_then(|mut file| {
            file.write_all(bytes)?;
            file.sync_all()
        })
        .map_err(io("write", path))
}

/// Whether a name is what a crash before the commit point leaves: a staging directory or a
/// checkpoint's temporary file. Neither is a result; the next writer removes them.
fn is_leftover(name: &str) -> bool {
    name == STAGING_DIRECTORY || name.starts_with(&format!(".{CHECKPOINT_FILE}.tmp-"))
}

/// Finishes or undoes a commit that a crash interrupted (see the module's header). Needs the
/// exclusive lock: it may write.
pub fn recover(lock: &Lock, faults: &Faults) -> Result<()> {
    let directory = lock.directory();
    let ready = directory.join(READY_DIRECTORY);
    if ready.is_dir() {
        install(directory, faults)?;
    }
    let staging = directory.join(STAGING_DIRECTORY);
    if staging.exists() {
        remove_directory(&staging, faults)?;
    }
    // A checkpoint's temporary file whose rename a crash prevented.
    let entries = std::fs::read_dir(directory).map_err(io("list", directory))?;
    for entry in entries.filter_map(|entry| entry.ok()) {
        if entry.path().is_file() && is_leftover(&entry.file_name().to_string_lossy()) {
            remove_file(&entry.path(), faults)?;
        }
    }
    Ok(())
}

/// Step 3 of the protocol: moves the files of `.entente-ready/` into `directory`, removes
/// the superseded ones, installs the commit record and removes `.entente-ready/`. Repeatable.
fn install(directory: &Path, faults: &Faults) -> Result<()> {
    let ready = directory.join(READY_DIRECTORY);
    let record_path = ready.join(COMMIT_FILE);
    if record_path.exists() {
        let record = read_record(&record_path)?;
        for file in &record.files {
            let staged = ready.join(&file.name);
            if staged.exists() {
                rename(&staged, &directory.join(&file.name), faults)?;
            }
        }
        let superseded_path = ready.join(SUPERSEDED_FILE);
        let superseded: Vec<String> = if superseded_path.exists() {
            let bytes = read_limited(&superseded_path, MAXIMUM_RECORD_BYTES, "a list of names")?;
            serde_json::from_slice(&bytes).map_err(|error| ResultsError::BadRecord {
                path: superseded_path.clone(),
                reason: error.to_string(),
            })?
        } else {
            Vec::new()
        };
        let kept: BTreeSet<&str> = record.files.iter().map(|file| file.name.as_str()).collect();
        for name in superseded {
            if !kept.contains(name.as_str()) && is_plain_name(&name) {
                remove_file(&directory.join(&name), faults)?;
            }
        }
        rename(&record_path, &directory.join(COMMIT_FILE), faults)?;
        sync_directory(directory, faults)?;
    }
    remove_directory(&ready, faults)
}

/// A file name with no directory part, so that a damaged record cannot name a file elsewhere.
fn is_plain_name(name: &str) -> bool {
    !name.is_empty()
        && name != "."
        && name != ".."
        && !name.contains(['/', '\\', '\0'])
        && !name.starts_with(".entente")
}

fn read_record(path: &Path) -> Result<CommitRecord> {
    let bytes = read_limited(path, MAXIMUM_RECORD_BYTES, "a commit record")?;
    let record: CommitRecord =
        serde_json::from_slice(&bytes).map_err(|error| ResultsError::BadRecord {
            path: path.to_path_buf(),
            reason: error.to_string(),
        })?;
    if record.format != COMMIT_FORMAT {
        return Err(ResultsError::BadRecord {
            path: path.to_path_buf(),
            reason: format!("its format is {:?}, not {COMMIT_FORMAT:?}", record.format),
        });
    }
    if let Some(bad) = record.files.iter().find(|file| !is_plain_name(&file.name)) {
        return Err(ResultsError::BadRecord {
            path: path.to_path_buf(),
            reason: format!("it names {:?}, which is not a plain file name", bad.name),
        });
    }
    Ok(record)
}

/// The largest checkpoint read: the most a partial result's body may decompress to.
const MAXIMUM_CHECKPOINT_BYTES: u64 = crate::partial::MAXIMUM_BODY_BYTES;

/// The largest commit record read (a few hundred bytes a file).
const MAXIMUM_RECORD_BYTES: u64 = 1 << 20;

/// Reads a regular file of at most `limit` bytes (`what` names it in the error).
fn read_limited(path: &Path, limit: u64, what: &'static str) -> Result<Vec<u8>> {
    read_regular_file(path, limit, what).map_err(|reason| ResultsError::Read {
        path: path.to_path_buf(),
        reason,
    })
}

/// New results being written: files go into `.entente-staging/` until [`Staging::commit`].
#[derive(Debug)]
pub struct Staging {
    lock: Lock,
    staging: PathBuf,
    files: Vec<String>,
    faults: Faults,
}

impl Staging {
    /// Locks `directory` (creating it), finishes or undoes any interrupted commit, and starts
    /// an empty staging directory. Fails at once if the directory cannot be written.
    pub fn begin(directory: &Path) -> Result<Staging> {
        Staging::begin_with(directory, Faults::default())
    }

    /// [`Staging::begin`] with injected faults, for tests.
    pub fn begin_with(directory: &Path, faults: Faults) -> Result<Staging> {
        let lock = Lock::exclusive(directory)?;
        recover(&lock, &faults)?;
        let staging = directory.join(STAGING_DIRECTORY);
        faults.step(|| format!("create {}", staging.display()))?;
        std::fs::create_dir(&staging).map_err(io("create directory", &staging))?;
        Ok(Staging {
            lock,
            staging,
            files: Vec::new(),
            faults,
        })
    }

    /// The results directory.
    pub fn directory(&self) -> &Path {
        self.lock.directory()
    }

    /// The staging directory, for files streamed while the batch runs (then [`Staging::adopt`]).
    pub fn path(&self) -> &Path {
        &self.staging
    }

    /// Writes (and syncs) one result file into the staging directory.
    pub fn write(&mut self, name: &str, bytes: &[u8]) -> Result<()> {
        write_synced(&self.staging.join(name), bytes, &self.faults)?;
        self.adopt(name);
        Ok(())
    }

    /// Streams one result file into the staging directory through `write` (buffered, then
    /// synced), for files too large to build in memory such as per-run tables.
    pub fn write_streamed(
        &mut self,
        name: &str,
        write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
    ) -> Result<()> {
        let path = self.staging.join(name);
        self.faults.step(|| format!("write {}", path.display()))?;
        File::create(&path)
            .and_then(|file| {
                let mut buffered = std::io::BufWriter::with_capacity(1 << 16, file);
                write(&mut buffered)?;
                buffered
                    .into_inner()
                    .map_err(|error| error.into_error())?
                    .sync_all()
            })
            .map_err(io("write", &path))?;
        self.adopt(name);
        Ok(())
    }

    /// The result files staged so far, in the order they were written.
    pub fn files(&self) -> &[String] {
        &self.files
    }

    /// Counts a file already written into [`Staging::path`] among the results.
    pub fn adopt(&mut self, name: &str) {
        if !self.files.iter().any(|file| file == name) {
            self.files.push(name.to_string());
        }
    }

    /// Writes a checkpoint (not part of the results) atomically into the results directory.
    pub fn checkpoint(&self, bytes: &[u8]) -> Result<()> {
        let path = self.directory().join(CHECKPOINT_FILE);
        let temporary = self
            .directory()
            .join(format!(".{CHECKPOINT_FILE}.tmp-{}", std::process::id()));
        write_synced(&temporary, bytes, &self.faults)?;
        rename(&temporary, &path, &self.faults)
    }

    /// The directory's current finished results, checked against their commit record (under
    /// this writer's lock).
    pub fn committed(&self) -> Result<Option<Committed>> {
        Committed::verify(self.directory(), None)
    }

    /// The directory's checkpoint, if it has one.
    pub fn checkpoint_bytes(&self) -> Result<Option<Vec<u8>>> {
        let path = self.directory().join(CHECKPOINT_FILE);
        if !path.exists() {
            return Ok(None);
        }
        read_limited(&path, MAXIMUM_CHECKPOINT_BYTES, "a checkpoint").map(Some)
    }

    /// Gives up the new results (nothing was staged worth keeping, as when `--resume` finds the
    /// batch finished): removes the staging directory and keeps the lock until dropped.
    pub fn abandon(self) -> Result<Lock> {
        remove_directory(&self.staging, &self.faults)?;
        Ok(self.lock)
    }

    /// Commits the staged files as the directory's results (see the module's header), removes
    /// the checkpoint, and returns the lock, still held.
    pub fn commit(self) -> Result<Lock> {
        let Staging {
            lock,
            staging,
            files,
            faults,
        } = self;
        let directory = lock.directory().to_path_buf();
        let mut listed = Vec::with_capacity(files.len());
        for name in &files {
            let (bytes, crc32) = checksum(&staging.join(name))?;
            listed.push(CommittedFile {
                name: name.clone(),
                bytes,
                crc32: format!("{crc32:08x}"),
            });
        }
        let record = CommitRecord {
            format: COMMIT_FORMAT.to_string(),
            entente_version: env!("CARGO_PKG_VERSION").to_string(),
            files: listed,
        };
        let superseded = superseded_names(&directory)?;
        write_synced(
            &staging.join(SUPERSEDED_FILE),
            &serde_json::to_vec(&superseded).expect("names serialise"),
            &faults,
        )?;
        write_synced(
            &staging.join(COMMIT_FILE),
            &serde_json::to_vec_pretty(&record).expect("a record serialises"),
            &faults,
        )?;
        sync_directory(&staging, &faults)?;
        // The commit point.
        rename(&staging, &directory.join(READY_DIRECTORY), &faults)?;
        sync_directory(&directory, &faults)?;
        install(&directory, &faults)?;
        remove_file(&directory.join(CHECKPOINT_FILE), &faults)?;
        Ok(lock)
    }
}

/// The names of the directory's current results: its commit record's files, or for a
/// directory without one, the files earlier entente versions wrote there.
fn superseded_names(directory: &Path) -> Result<Vec<String>> {
    let record_path = directory.join(COMMIT_FILE);
    if record_path.exists()
        && let Ok(record) = read_record(&record_path)
    {
        return Ok(record.files.into_iter().map(|file| file.name).collect());
    }
    let entries = std::fs::read_dir(directory).map_err(io("list", directory))?;
    Ok(entries
        .filter_map(|entry| entry.ok())
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .filter(|name| is_result_name(name))
        .collect())
}

/// A finished results directory, its commit record checked against its files.
#[derive(Debug)]
pub struct Committed {
    directory: PathBuf,
    record: CommitRecord,
    /// The shared lock, unless the directory's writer opened it under its own lock.
    _lock: Option<Lock>,
}

impl Committed {
    /// Opens the finished results in `directory`: finishes an interrupted commit first (which
    /// needs write access only when there is one), then checks that every file the commit
    /// record lists has its recorded length and checksum. `Ok(None)` when the directory holds
    /// no commit record.
    pub fn open(directory: &Path) -> Result<Option<Committed>> {
        if !directory.is_dir() {
            return Err(io("open", directory)(std::io::Error::new(
                std::io::ErrorKind::NotFound,
                "no such directory",
            )));
        }
        if directory.join(READY_DIRECTORY).exists() {
            let lock = Lock::exclusive(directory)?;
            recover(&lock, &Faults::default())?;
        }
        let lock = Lock::shared(directory)?;
        Committed::verify(directory, Some(lock))
    }

    /// Reads and checks the commit record of `directory`, whose lock the caller holds.
    fn verify(directory: &Path, lock: Option<Lock>) -> Result<Option<Committed>> {
        let record_path = directory.join(COMMIT_FILE);
        if !record_path.exists() {
            return Ok(None);
        }
        let record = read_record(&record_path)?;
        for file in &record.files {
            let path = directory.join(&file.name);
            if !path.exists() {
                return Err(ResultsError::Mismatch {
                    directory: directory.to_path_buf(),
                    name: file.name.clone(),
                    what: "the file is missing".to_string(),
                });
            }
            let (bytes, crc32) = checksum(&path)?;
            let crc32 = format!("{crc32:08x}");
            if bytes != file.bytes || crc32 != file.crc32 {
                return Err(ResultsError::Mismatch {
                    directory: directory.to_path_buf(),
                    name: file.name.clone(),
                    what: format!(
                        "{bytes} bytes with CRC-32 {crc32}, recorded {} bytes with CRC-32 {}",
                        file.bytes, file.crc32
                    ),
                });
            }
        }
        Ok(Some(Committed {
            directory: directory.to_path_buf(),
            record,
            _lock: lock,
        }))
    }

    /// [`Committed::open`], with a directory that holds no finished results an error.
    pub fn open_finished(directory: &Path) -> Result<Committed> {
        Committed::open(directory)?.ok_or_else(|| ResultsError::NotFinished {
            directory: directory.to_path_buf(),
        })
    }

    /// The results directory.
    pub fn directory(&self) -> &Path {
        &self.directory
    }

    /// The directory's commit record.
    pub fn record(&self) -> &CommitRecord {
        &self.record
    }

    /// Whether the commit record lists a file of this name.
    pub fn contains(&self, name: &str) -> bool {
        self.record.files.iter().any(|file| file.name == name)
    }

    /// Reads a committed file and checks it again against the record (it may have changed
    /// since the directory was opened).
    pub fn read(&self, name: &str) -> Result<Vec<u8>> {
        let Some(file) = self.record.files.iter().find(|file| file.name == name) else {
            return Err(ResultsError::Missing {
                directory: self.directory.clone(),
                name: name.to_string(),
            });
        };
        let path = self.directory.join(name);
        let bytes = read_limited(&path, file.bytes, "its commit record's length")?;
        let crc32 = format!("{:08x}", crc32fast::hash(&bytes));
        if bytes.len() as u64 != file.bytes || crc32 != file.crc32 {
            return Err(ResultsError::Mismatch {
                directory: self.directory.clone(),
                name: name.to_string(),
                what: "it changed while being read".to_string(),
            });
        }
        Ok(bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The result files of a directory (its commit record's, read through [`Committed`]), and
    /// every other name in it besides the lock, the checkpoint and a staging directory that a
    /// crash before the commit point left (not results; the next writer removes it).
    fn contents(directory: &Path) -> (Vec<(String, Vec<u8>)>, Vec<String>) {
        let committed = Committed::open_finished(directory).expect("finished results");
        let mut files: Vec<(String, Vec<u8>)> = committed
            .record()
            .files
            .iter()
            .map(|file| (file.name.clone(), committed.read(&file.name).unwrap()))
            .collect();
        files.sort();
        let listed: BTreeSet<String> = files.iter().map(|(name, _)| name.clone()).collect();
        let mut strays: Vec<String> = std::fs::read_dir(directory)
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|name| {
                !listed.contains(name)
                    && ![COMMIT_FILE, LOCK_FILE, CHECKPOINT_FILE].contains(&name.as_str())
                    && !is_leftover(name)
            })
            .collect();
        strays.sort();
        (files, strays)
    }

    fn commit(directory: &Path, files: &[(&str, &[u8])], faults: Faults) -> Result<()> {
        let mut staging = Staging::begin_with(directory, faults)?;
        for (name, bytes) in files {
            staging.write(name, bytes)?;
        }
        staging.checkpoint(b"progress")?;
        staging.commit().map(drop)
    }

    fn sorted(files: &[(&str, &[u8])]) -> Vec<(String, Vec<u8>)> {
        let mut files: Vec<(String, Vec<u8>)> = files
            .iter()
            .map(|(name, bytes)| (name.to_string(), bytes.to_vec()))
            .collect();
        files.sort();
        files
    }

    const OLD: &[(&str, &[u8])] = &[
        ("summary.json", b"old summary"),
        ("envelopes.csv", b"old envelopes"),
        ("manifest.json", b"old manifest"),
    ];
    const NEW: &[(&str, &[u8])] = &[
        ("summary.json", b"new summary, longer"),
        ("runs.csv", b"new runs"),
        ("manifest.json", b"new manifest"),
    ];

    /// Issue 13's fault-injection matrix: a failure after every single write, rename,
    /// removal and sync of a commit over earlier results, then a failure at every step of
    /// the recovery that follows, leaves the old results or the new, whole, with no stray
    /// file; and both outcomes occur.
    #[test]
    fn issue_13_a_crash_at_any_step_leaves_old_or_new_results() {
        let root = tempfile::tempdir().unwrap();
        let old = sorted(OLD);
        let new = sorted(NEW);
        let mut outcomes = (0, 0);
        let mut step = 0;
        loop {
            let directory = root.path().join(format!("case-{step}"));
            commit(&directory, OLD, Faults::default()).unwrap();
            let failed_step = match commit(&directory, NEW, Faults::at(step)) {
                Ok(_) => break,
                Err(ResultsError::Injected { what, .. }) => what,
                Err(other) => panic!("step {step}: {other}"),
            };
            // A crash during recovery too, at every one of its steps.
            let mut recovery_step = 0;
            loop {
                let lock = Lock::exclusive(&directory).unwrap();
                let outcome = recover(&lock, &Faults::at(recovery_step));
                drop(lock);
                match outcome {
                    Ok(()) => break,
                    Err(ResultsError::Injected { .. }) => recovery_step += 1,
                    Err(other) => panic!("step {step}, recovery {recovery_step}: {other}"),
                }
                let (files, strays) = contents_after_recovery(&directory);
                assert!(files == old || files == new, "step {step}: a mix {files:?}");
                assert!(strays.is_empty(), "step {step}: stray files {strays:?}");
            }
            let (files, strays) = contents(&directory);
            assert!(strays.is_empty(), "step {step}: stray files {strays:?}");
            let outcome = if files == old {
                outcomes.0 += 1;
                "old results"
            } else if files == new {
                outcomes.1 += 1;
                "new results"
            } else {
                panic!("step {step}: neither the old nor the new results: {files:?}");
            };
            // The matrix, for `cargo test results -- --nocapture`.
            let relative = failed_step.replace(&root.path().display().to_string(), "");
            eprintln!(
                "fault at step {step:2} ({relative}): {outcome}; {recovery_step} recovery steps also failed one by one"
            );
            step += 1;
        }
        assert!(step > 10, "the commit takes {step} steps");
        assert!(outcomes.0 > 0 && outcomes.1 > 0, "{outcomes:?}");
        // Uninterrupted, the new results replace the old and the superseded file is gone.
        let directory = root.path().join("whole");
        commit(&directory, OLD, Faults::default()).unwrap();
        commit(&directory, NEW, Faults::default()).unwrap();
        assert_eq!(contents(&directory), (new, Vec::new()));
        assert!(!directory.join(CHECKPOINT_FILE).exists());
    }

    /// Opens a directory whose recovery was itself interrupted (so it recovers again).
    fn contents_after_recovery(directory: &Path) -> (Vec<(String, Vec<u8>)>, Vec<String>) {
        let copy = tempfile::tempdir().unwrap();
        for entry in walk(directory) {
            let relative = entry.strip_prefix(directory).unwrap();
            let target = copy.path().join(relative);
            std::fs::create_dir_all(target.parent().unwrap()).unwrap();
            std::fs::copy(&entry, &target).unwrap();
        }
        contents(copy.path())
    }

    fn walk(directory: &Path) -> Vec<PathBuf> {
        let mut found = Vec::new();
        for entry in std::fs::read_dir(directory).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                found.extend(walk(&path));
            } else {
                found.push(path);
            }
        }
        found
    }

    #[test]
    fn issue_13_a_second_writer_is_refused_with_the_holders_pid() {
        let root = tempfile::tempdir().unwrap();
        let _first = Staging::begin(root.path()).unwrap();
        let error = Staging::begin(root.path()).unwrap_err();
        let shown = error.to_string();
        assert!(matches!(error, ResultsError::Locked { .. }), "{shown}");
        assert!(
            shown.contains(&format!("pid {}", std::process::id())),
            "{shown}"
        );
        // A reader is refused too while the writer holds it.
        assert!(matches!(
            Committed::open(root.path()),
            Err(ResultsError::Locked { .. })
        ));
    }

    #[test]
    fn issue_13_an_edited_or_missing_file_is_named() {
        let root = tempfile::tempdir().unwrap();
        commit(root.path(), NEW, Faults::default()).unwrap();
        std::fs::write(root.path().join("runs.csv"), b"new runz").unwrap();
        let shown = Committed::open(root.path()).unwrap_err().to_string();
        assert!(
            shown.contains("runs.csv does not match the commit record"),
            "{shown}"
        );
        std::fs::remove_file(root.path().join("runs.csv")).unwrap();
        let shown = Committed::open(root.path()).unwrap_err().to_string();
        assert!(shown.contains("the file is missing"), "{shown}");
        std::fs::remove_file(root.path().join(COMMIT_FILE)).unwrap();
        assert!(Committed::open(root.path()).unwrap().is_none());
        let shown = Committed::open_finished(root.path())
            .unwrap_err()
            .to_string();
        assert!(shown.contains("holds no finished results"), "{shown}");
    }

    /// Every single-bit flip of a commit record is refused, or (in the version text, or a
    /// letter's case in a checksum) changes nothing that is read.
    #[test]
    fn issue_13_a_flipped_bit_in_the_commit_record_never_admits_other_files() {
        let root = tempfile::tempdir().unwrap();
        commit(root.path(), NEW, Faults::default()).unwrap();
        let path = root.path().join(COMMIT_FILE);
        let original = std::fs::read(&path).unwrap();
        let (expected, _) = contents(root.path());
        // A different file behind the record, of the same length as the original.
        std::fs::write(root.path().join("runs.csv"), b"new ruNs").unwrap();
        let mut accepted = 0;
        for bit in 0..original.len() * 8 {
            let mut flipped = original.clone();
            flipped[bit / 8] ^= 1 << (bit % 8);
            std::fs::write(&path, &flipped).unwrap();
            if let Ok(Some(committed)) = Committed::open(root.path()) {
                accepted += 1;
                assert!(
                    committed
                        .record()
                        .files
                        .iter()
                        .all(|file| expected.iter().any(|(name, _)| name == &file.name)),
                    "bit {bit}"
                );
                assert!(committed.read("runs.csv").is_err(), "bit {bit}");
            }
        }
        std::fs::write(&path, &original).unwrap();
        assert!(
            Committed::open(root.path()).is_err(),
            "the edited runs.csv is refused"
        );
        assert!(accepted < original.len(), "{accepted} flips accepted");
    }

    #[test]
    fn a_record_naming_a_file_elsewhere_is_refused() {
        let root = tempfile::tempdir().unwrap();
        commit(root.path(), NEW, Faults::default()).unwrap();
        let path = root.path().join(COMMIT_FILE);
        let text = std::fs::read_to_string(&path)
            .unwrap()
            .replace("runs.csv", "../runs.csv");
        std::fs::write(&path, text).unwrap();
        let shown = Committed::open(root.path()).unwrap_err().to_string();
        assert!(shown.contains("not a plain file name"), "{shown}");
    }
}
