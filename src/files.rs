//! Reading a file that may be anything a user or an attacker names: only a regular file (or a
//! link to one) of bounded size is read, so that a FIFO does not block, a device such as
//! `/dev/zero` does not fill memory, and a huge file is refused by its size before it is read.
//! The scenario loader, the results directory and the commands read through it.

use std::fs::File;
use std::io::Read;
use std::path::Path;

/// Why a file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// The operating system refused to give information about, open or read the file.
    #[error(transparent)]
    Io(#[from] std::io::Error),
    /// A directory, FIFO, device or socket: reading one would fail, block, or never end.
    #[error("it is {kind}, not a regular file")]
    NotRegularFile {
        /// What it is instead, with its article, such as "a directory".
        kind: &'static str,
    },
    /// The file is larger than the limit for its kind.
    #[error(
        "it is {size} bytes, larger than the limit of {limit} bytes ({} MiB) for {what}",
        limit / (1024 * 1024)
    )]
    TooLarge {
        /// The file's size, in bytes (for a file that grew while it was read, the bytes
        /// read: one past the limit).
        size: u64,
        /// The largest size allowed, in bytes.
        limit: u64,
        /// What kind of file it should have been ("a scenario file"), for the message.
        what: &'static str,
    },
}

/// Reads a regular file of at most `limit` bytes; `what` names the kind of file in the
/// error. What the path names is checked before it is opened, since opening a FIFO blocks
/// until something writes to it; the open file is checked again, in case the path was
/// replaced in between, and read through the limit in case it grows.
pub fn read_regular_file(
    path: &Path,
    limit: u64,
    what: &'static str,
) -> Result<Vec<u8>, ReadError> {
    check_readable(&std::fs::metadata(path)?, limit, what)?;
    let file = File::open(path)?;
    check_readable(&file.metadata()?, limit, what)?;
    let mut bytes = Vec::new();
    file.take(limit + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        return Err(ReadError::TooLarge {
            size: bytes.len() as u64,
            limit,
            what,
        });
    }
    Ok(bytes)
}

/// Refuses anything but a regular file of at most `limit` bytes.
fn check_readable(
    metadata: &std::fs::Metadata,
    limit: u64,
    what: &'static str,
) -> Result<(), ReadError> {
    let file_type = metadata.file_type();
    if !file_type.is_file() {
        return Err(ReadError::NotRegularFile {
            kind: kind_of(file_type),
        });
    }
    if metadata.len() > limit {
        return Err(ReadError::TooLarge {
            size: metadata.len(),
            limit,
            what,
        });
    }
    Ok(())
}

/// What a path that is not a regular file is, for the message.
fn kind_of(file_type: std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if file_type.is_fifo() {
            return "a FIFO";
        }
        if file_type.is_char_device() {
            return "a character device";
        }
        if file_type.is_block_device() {
            return "a block device";
        }
        if file_type.is_socket() {
            return "a socket";
        }
    }
    if file_type.is_dir() {
        "a directory"
    } else {
        "something other than a file"
    }
}
