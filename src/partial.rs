//! Partial-result files: what a shard of a batch writes for `entente merge`, and what a batch
//! writes as it goes so that `--resume` can finish it after an interruption.
//!
//! A file is a first line naming the format, then a gzip stream of one header (entente's
//! version, a hash of the binary that wrote it, the seed, the run count, the shard, whether
//! envelopes are kept, the command and every scenario file's text) and one
//! [`batch::Partial`](crate::batch::Partial), every number in little-endian binary (floats
//! as their bits, so that NaN and infinities survive and nothing is rounded), then a CRC-32 of every byte before it,
//! the first line included. The checksum is checked before anything is decompressed: gzip's
//! own CRC covers only the decompressed body and is read only at the end of the stream, so a
//! flipped bit in gzip's header fields or a decoder that stops early could pass unseen. CRC-32
//! detects every error of one to 32 consecutive bits (ISO 3309), so any single flipped bit is
//! refused. This module turns them into bytes and back; the `results` module and the commands
//! read and write the files.

use std::io::{Read, Write};

use crate::batch::{BatchOptions, EnvelopeSum, Folded, Partial, RunPlan, Shard, Unordered};
use crate::sketch::{Sketch, SketchParts};
use crate::stats::{ExactSum, Moments, PairedCounts};

/// The first line of every partial-result file.
pub const MAGIC: &[u8] = b"entente partial result, format 2\n";

/// The first line of the format before the checksum was added, named in the error for it.
const OLD_MAGIC: &[u8] = b"entente partial result, format 1\n";

/// Bytes of the CRC-32 at the end of every file.
const CHECKSUM_BYTES: usize = 4;

/// The largest decompressed body accepted (a guard against a crafted stream that expands
/// without end; a flagship comparison's body is about 10 MB, and a 200-year scenario with a
/// hundred outcomes' envelopes a few hundred).
pub const MAXIMUM_BODY_BYTES: u64 = 1 << 30;

/// Everything that must be the same for two partial results to belong to one batch, and what
/// `merge` needs to rebuild the scenarios and to write the manifest.
#[derive(Clone, Debug, PartialEq)]
pub struct Header {
    /// The version of entente that wrote the file (the crate's version).
    pub entente_version: String,
    /// FNV-1a (64-bit) of the executable that wrote the file, in hex: results are bit-identical
    /// only for the same binary.
    pub binary: String,
    /// The batch's seed.
    pub seed: u64,
    /// Runs of the whole batch.
    pub runs: u64,
    /// The shard whose share the file holds ([`Shard::WHOLE`] for a whole batch).
    pub shard: Shard,
    /// Whether the batch keeps monthly envelopes.
    pub envelopes: bool,
    /// The command that wrote it, the program first.
    pub command: Vec<String>,
    /// Per scenario, its files as (path, text): the one named, then each file it extends.
    pub scenarios: Vec<Vec<(String, String)>>,
}

impl Header {
    /// The options of the batch this header records, to check, merge or summarise its totals
    /// (on one thread: none of these runs the model).
    pub fn batch_options(&self) -> BatchOptions {
        BatchOptions {
            seed: self.seed,
            plan: RunPlan::Fixed(self.runs),
            threads: 1,
            envelopes: self.envelopes,
            per_run: false,
        }
    }

    /// What differs between two headers that should describe one batch (the shard aside), in
    /// words; empty when they agree.
    pub fn differences(&self, other: &Header) -> Vec<String> {
        let mut differences = Vec::new();
        if self.binary != other.binary || self.entente_version != other.entente_version {
            differences.push(format!(
                "the binary (entente {} {} vs entente {} {})",
                self.entente_version, self.binary, other.entente_version, other.binary
            ));
        }
        let texts = |header: &Header| -> Vec<Vec<String>> {
            header
                .scenarios
                .iter()
                .map(|files| files.iter().map(|(_, text)| text.clone()).collect())
                .collect()
        };
        if texts(self) != texts(other) {
            let names = |header: &Header| {
                header
                    .scenarios
                    .iter()
                    .filter_map(|files| files.first().map(|(path, _)| path.clone()))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            differences.push(format!(
                "the scenario files' text ({} vs {})",
                names(self),
                names(other)
            ));
        }
        if self.seed != other.seed {
            differences.push(format!("the seed ({} vs {})", self.seed, other.seed));
        }
        if self.runs != other.runs {
            differences.push(format!("the run count ({} vs {})", self.runs, other.runs));
        }
        if self.envelopes != other.envelopes {
            differences.push("whether envelopes are kept (--no-envelopes)".to_string());
        }
        if crate::cli::recorded_design(&self.command) != crate::cli::recorded_design(&other.command)
        {
            differences.push("the design (--design and the options that shape it)".to_string());
        }
        if self.shard.count != other.shard.count {
            differences.push(format!(
                "the number of shards ({} vs {})",
                self.shard.count, other.shard.count
            ));
        }
        differences
    }
}

/// Why bytes are not a partial result.
#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    /// The first line is not [`MAGIC`]: the file is something else.
    #[error("not an entente partial result (its first line is not {:?})", String::from_utf8_lossy(MAGIC).trim_end())]
    NotPartial,
    /// A file of format 1, which had no checksum and is no longer read.
    #[error(
        "written by an older entente (partial-result format 1, without a checksum): rerun the batch with this one"
    )]
    OldFormat,
    /// The CRC-32 at the end does not match the bytes before it.
    #[error(
        "damaged: its checksum does not match its content (CRC-32 {stored:08x} stored, {computed:08x} computed)"
    )]
    Checksum {
        /// The CRC-32 the file ends with.
        stored: u32,
        /// The CRC-32 of the bytes before it.
        computed: u32,
    },
    /// The file is too short for a checksum, or its content cannot be decoded; the message
    /// says what is wrong.
    #[error("damaged or cut short: {0}")]
    Damaged(String),
}

/// The bytes of a partial-result file.
pub fn encode(header: &Header, partial: &Partial) -> Vec<u8> {
    let mut writer = Writer(Vec::new());
    writer.header(header);
    writer.partial(partial);
    let mut gzip = flate2::write::GzEncoder::new(MAGIC.to_vec(), flate2::Compression::fast());
    let mut bytes = gzip
        .write_all(&writer.0)
        .and_then(|()| gzip.finish())
        .expect("compressing into memory cannot fail");
    let checksum = crc32fast::hash(&bytes);
    bytes.extend_from_slice(&checksum.to_le_bytes());
    bytes
}

/// Reads a partial-result file's bytes.
pub fn decode(bytes: &[u8]) -> Result<(Header, Partial), DecodeError> {
    let body = checked_body(bytes)?;
    let mut plain = Vec::new();
    let mut decoder = flate2::read::GzDecoder::new(body).take(MAXIMUM_BODY_BYTES + 1);
    decoder
        .read_to_end(&mut plain)
        .map_err(|error| DecodeError::Damaged(error.to_string()))?;
    if plain.len() as u64 > MAXIMUM_BODY_BYTES {
        return Err(DecodeError::Damaged(format!(
            "its body is larger than {MAXIMUM_BODY_BYTES} bytes"
        )));
    }
    let mut reader = Reader(&plain);
    let header = reader.header()?;
    let partial = reader.partial()?;
    if !reader.0.is_empty() {
        return Err(DecodeError::Damaged(format!(
            "{} bytes after the end",
            reader.0.len()
        )));
    }
    Ok((header, partial))
}

/// The compressed body of a partial-result file, once its first line and checksum are checked.
fn checked_body(bytes: &[u8]) -> Result<&[u8], DecodeError> {
    if bytes.starts_with(OLD_MAGIC) {
        return Err(DecodeError::OldFormat);
    }
    if !bytes.starts_with(MAGIC) {
        return Err(DecodeError::NotPartial);
    }
    if bytes.len() < MAGIC.len() + CHECKSUM_BYTES {
        return Err(DecodeError::Damaged("it ends early".to_string()));
    }
    let (content, stored) = bytes.split_at(bytes.len() - CHECKSUM_BYTES);
    let stored = u32::from_le_bytes(stored.try_into().expect("four bytes"));
    let computed = crc32fast::hash(content);
    if stored != computed {
        return Err(DecodeError::Checksum { stored, computed });
    }
    Ok(&content[MAGIC.len()..])
}

struct Writer(Vec<u8>);

impl Writer {
    fn u64(&mut self, value: u64) {
        self.0.extend_from_slice(&value.to_le_bytes());
    }
    fn i128(&mut self, value: i128) {
        self.0.extend_from_slice(&value.to_le_bytes());
    }
    fn f64(&mut self, value: f64) {
        self.u64(value.to_bits());
    }
    fn bool(&mut self, value: bool) {
        self.0.push(u8::from(value));
    }
    fn text(&mut self, text: &str) {
        self.u64(text.len() as u64);
        self.0.extend_from_slice(text.as_bytes());
    }
    fn list<T>(&mut self, items: &[T], mut each: impl FnMut(&mut Writer, &T)) {
        self.u64(items.len() as u64);
        for item in items {
            each(self, item);
        }
    }

    fn header(&mut self, header: &Header) {
        self.text(&header.entente_version);
        self.text(&header.binary);
        self.u64(header.seed);
        self.u64(header.runs);
        self.u64(header.shard.index);
        self.u64(header.shard.count);
        self.bool(header.envelopes);
        self.list(&header.command, |writer, argument| writer.text(argument));
        self.list(&header.scenarios, |writer, files| {
            writer.list(files, |writer, (path, text)| {
                writer.text(path);
                writer.text(text);
            })
        });
    }

    fn moments(&mut self, moments: &Moments) {
        self.u64(moments.count);
        self.u64(moments.missing);
        self.f64(moments.mean);
        self.f64(moments.squares);
        self.f64(moments.min);
        self.f64(moments.max);
    }

    fn folded(&mut self, folded: &Folded) {
        self.list(&folded.moments, |writer, moments| {
            writer.list(moments, Writer::moments)
        });
        self.list(&folded.ones, |writer, ones| {
            writer.list(ones, |writer, &one| writer.u64(one))
        });
        self.list(&folded.differences, |writer, moments| {
            writer.list(moments, Writer::moments)
        });
        self.list(&folded.flags, |writer, flags| {
            writer.list(flags, |writer, counts| {
                for count in [
                    counts.both,
                    counts.only_first,
                    counts.only_second,
                    counts.neither,
                ] {
                    writer.u64(count);
                }
            })
        });
        self.list(&folded.non_finite, |writer, &count| writer.u64(count));
    }

    fn sketch(&mut self, sketch: &Sketch) {
        let parts = sketch.to_parts();
        self.u64(u64::from(parts.precision_bits));
        for (first_key, counts) in [&parts.positive, &parts.negative] {
            self.u64(*first_key);
            self.list(counts, |writer, &count| writer.u64(count));
        }
        self.u64(parts.zero);
        self.u64(parts.count);
        self.f64(parts.min);
        self.f64(parts.max);
    }

    fn unordered(&mut self, unordered: &Unordered) {
        self.list(&unordered.sketches, |writer, sketches| {
            writer.list(sketches, Writer::sketch)
        });
        self.list(&unordered.envelope_sums, |writer, sums| {
            writer.list(sums, |writer, sum| {
                let (fine, coarse, overflowed) = sum.sum.to_parts();
                writer.i128(fine);
                writer.i128(coarse);
                writer.bool(overflowed);
                writer.u64(sum.count);
            })
        });
        self.list(&unordered.envelope_sketches, |writer, sketches| {
            writer.list(sketches, Writer::sketch)
        });
    }

    fn partial(&mut self, partial: &Partial) {
        self.u64(partial.shard.index);
        self.u64(partial.shard.count);
        self.u64(partial.runs);
        self.u64(partial.chunks.start);
        self.u64(partial.chunks.end);
        self.u64(partial.done);
        self.list(&partial.segments, Writer::folded);
        self.folded(&partial.current);
        self.unordered(&partial.unordered);
    }
}

struct Reader<'a>(&'a [u8]);

/// More items than this in one list is damage, not data (a guard against allocating from a
/// corrupted length).
const MAXIMUM_LIST: u64 = 1 << 32;

impl Reader<'_> {
    fn bytes(&mut self, count: usize) -> Result<&[u8], DecodeError> {
        if self.0.len() < count {
            return Err(DecodeError::Damaged("it ends early".to_string()));
        }
        let (taken, rest) = self.0.split_at(count);
        self.0 = rest;
        Ok(taken)
    }
    fn u64(&mut self) -> Result<u64, DecodeError> {
        Ok(u64::from_le_bytes(
            self.bytes(8)?.try_into().expect("8 bytes"),
        ))
    }
    fn i128(&mut self) -> Result<i128, DecodeError> {
        Ok(i128::from_le_bytes(
            self.bytes(16)?.try_into().expect("16 bytes"),
        ))
    }
    fn f64(&mut self) -> Result<f64, DecodeError> {
        Ok(f64::from_bits(self.u64()?))
    }
    fn bool(&mut self) -> Result<bool, DecodeError> {
        match self.bytes(1)?[0] {
            0 => Ok(false),
            1 => Ok(true),
            other => Err(DecodeError::Damaged(format!("{other} is not a yes/no"))),
        }
    }
    fn length(&mut self) -> Result<usize, DecodeError> {
        let length = self.u64()?;
        if length > MAXIMUM_LIST {
            return Err(DecodeError::Damaged(format!("a list of {length} items")));
        }
        Ok(length as usize)
    }
    fn text(&mut self) -> Result<String, DecodeError> {
        let length = self.length()?;
        String::from_utf8(self.bytes(length)?.to_vec())
            .map_err(|_| DecodeError::Damaged("text that is not UTF-8".to_string()))
    }
    fn list<T>(
        &mut self,
        mut each: impl FnMut(&mut Self) -> Result<T, DecodeError>,
    ) -> Result<Vec<T>, DecodeError> {
        let length = self.length()?;
        (0..length).map(|_| each(self)).collect()
    }

    fn header(&mut self) -> Result<Header, DecodeError> {
        let header = Header {
            entente_version: self.text()?,
            binary: self.text()?,
            seed: self.u64()?,
            runs: self.u64()?,
            shard: self.shard()?,
            envelopes: self.bool()?,
            command: self.list(Reader::text)?,
            scenarios: self
                .list(|reader| reader.list(|reader| Ok((reader.text()?, reader.text()?))))?,
        };
        // Every batch runs a scenario, and every scenario is read from a file: a header
        // without them would leave `merge` and `report` a batch of nothing.
        if header.scenarios.is_empty() || header.scenarios.iter().any(Vec::is_empty) {
            return Err(DecodeError::Damaged(
                "a header naming no scenario, or a scenario of no file".to_string(),
            ));
        }
        // The command line never runs more; run and chunk arithmetic is exact below it.
        if header.runs == 0 || header.runs > crate::batch::MAX_RUNS {
            return Err(DecodeError::Damaged(format!(
                "a batch of {} runs (from 1 to {} are possible)",
                header.runs,
                crate::batch::MAX_RUNS
            )));
        }
        Ok(header)
    }

    fn shard(&mut self) -> Result<Shard, DecodeError> {
        let (index, count) = (self.u64()?, self.u64()?);
        if count == 0 || index >= count {
            return Err(DecodeError::Damaged(format!("shard {index}/{count}")));
        }
        Ok(Shard { index, count })
    }

    fn moments(&mut self) -> Result<Moments, DecodeError> {
        Ok(Moments {
            count: self.u64()?,
            missing: self.u64()?,
            mean: self.f64()?,
            squares: self.f64()?,
            min: self.f64()?,
            max: self.f64()?,
        })
    }

    fn folded(&mut self) -> Result<Folded, DecodeError> {
        Ok(Folded {
            moments: self.list(|reader| reader.list(Reader::moments))?,
            ones: self.list(|reader| reader.list(Reader::u64))?,
            differences: self.list(|reader| reader.list(Reader::moments))?,
            flags: self.list(|reader| {
                reader.list(|reader| {
                    Ok(PairedCounts {
                        both: reader.u64()?,
                        only_first: reader.u64()?,
                        only_second: reader.u64()?,
                        neither: reader.u64()?,
                    })
                })
            })?,
            non_finite: self.list(Reader::u64)?,
        })
    }

    fn sketch(&mut self) -> Result<Sketch, DecodeError> {
        let precision_bits = u32::try_from(self.u64()?)
            .map_err(|_| DecodeError::Damaged("a sketch's precision".to_string()))?;
        let positive = (self.u64()?, self.list(Reader::u64)?);
        let negative = (self.u64()?, self.list(Reader::u64)?);
        let parts = SketchParts {
            precision_bits,
            positive,
            negative,
            zero: self.u64()?,
            count: self.u64()?,
            min: self.f64()?,
            max: self.f64()?,
        };
        Sketch::from_parts(parts)
            .ok_or_else(|| DecodeError::Damaged("a sketch no values could have made".to_string()))
    }

    fn unordered(&mut self) -> Result<Unordered, DecodeError> {
        Ok(Unordered {
            sketches: self.list(|reader| reader.list(Reader::sketch))?,
            envelope_sums: self.list(|reader| {
                reader.list(|reader| {
                    let fine = reader.i128()?;
                    let coarse = reader.i128()?;
                    let overflowed = reader.bool()?;
                    Ok(EnvelopeSum {
                        sum: ExactSum::from_parts(fine, coarse, overflowed),
                        count: reader.u64()?,
                    })
                })
            })?,
            envelope_sketches: self.list(|reader| reader.list(Reader::sketch))?,
        })
    }

    fn partial(&mut self) -> Result<Partial, DecodeError> {
        let shard = self.shard()?;
        let runs = self.u64()?;
        let chunks = self.u64()?..self.u64()?;
        let done = self.u64()?;
        if chunks.start > chunks.end || done > chunks.end - chunks.start {
            return Err(DecodeError::Damaged(format!(
                "{done} chunks done of {}..{}",
                chunks.start, chunks.end
            )));
        }
        Ok(Partial {
            shard,
            runs,
            chunks,
            done,
            segments: self.list(Reader::folded)?,
            current: self.folded()?,
            unordered: self.unordered()?,
        })
    }
}
