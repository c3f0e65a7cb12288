//! Issue 13: partial-result files (`partial.entente`, `checkpoint.entente`) refuse every
//! damaged copy. Of about 240 single-bit flips per column tested before, 2–3 were accepted
//! and gave different numbers; now a CRC-32 of the whole file is checked first.

use entente::batch::{self, BatchOptions, RunPlan, Sharding};
use entente::model::Model;
use entente::partial::{self, DecodeError, Header};
use entente::scenario::Scenario;

/// A small batch's partial result and its file's bytes.
fn small_partial_file(envelopes: bool) -> (Vec<Model>, BatchOptions, Vec<u8>) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/minimal.toml");
    let scenario = Scenario::load(&path).expect("the minimal scenario loads");
    let files: Vec<(String, String)> = scenario
        .sources()
        .iter()
        .map(|file| (file.path.clone(), file.text.clone()))
        .collect();
    let models = vec![Model::new(scenario)];
    let options = BatchOptions {
        seed: 3,
        plan: RunPlan::Fixed(300),
        threads: 1,
        envelopes,
        per_run: false,
    };
    let (_, partial) = batch::run_sharded(
        &models,
        &options,
        &Sharding::default(),
        &|_| {},
        |_| Ok::<(), ()>(()),
        |_| Ok(()),
    )
    .expect("the batch runs");
    let header = Header {
        entente_version: "test".into(),
        binary: "0000000000000000".into(),
        seed: 3,
        runs: 300,
        shard: batch::Shard::WHOLE,
        envelopes,
        command: vec!["entente".into()],
        scenarios: vec![files],
    };
    let bytes = partial::encode(&header, &partial);
    (models, options, bytes)
}

#[test]
fn issue_13_every_single_bit_flip_of_a_partial_file_is_refused() {
    let (models, options, bytes) = small_partial_file(false);
    let (_, original) = partial::decode(&bytes).expect("the file reads back");
    batch::check_partial(&models, &options, &original).expect("it fits its batch");
    let mut flipped = bytes.clone();
    let mut refused_by_checksum = 0;
    for bit in 0..bytes.len() * 8 {
        flipped[bit / 8] ^= 1 << (bit % 8);
        match partial::decode(&flipped) {
            Ok(_) => panic!("a flip of bit {bit} of {} was accepted", bytes.len() * 8),
            Err(DecodeError::Checksum { .. }) => refused_by_checksum += 1,
            Err(DecodeError::NotPartial | DecodeError::OldFormat | DecodeError::Damaged(_)) => {}
        }
        flipped[bit / 8] ^= 1 << (bit % 8);
    }
    assert_eq!(flipped, bytes);
    // Only flips in the first line are caught before the checksum.
    let first_line_bits = partial::MAGIC.len() * 8;
    assert_eq!(refused_by_checksum, bytes.len() * 8 - first_line_bits);
}

#[test]
fn issue_13_random_bit_flips_of_a_file_with_envelopes_are_refused() {
    use rand::{RngExt, SeedableRng};
    let (_, _, bytes) = small_partial_file(true);
    let mut random = rand_chacha::ChaCha8Rng::seed_from_u64(13);
    for _ in 0..20_000 {
        let mut damaged = bytes.clone();
        let flips = random.random_range(1..=3);
        for _ in 0..flips {
            let bit = random.random_range(0..bytes.len() * 8);
            damaged[bit / 8] ^= 1 << (bit % 8);
        }
        if damaged != bytes {
            assert!(
                partial::decode(&damaged).is_err(),
                "{flips} flips were accepted"
            );
        }
    }
    // Cut short anywhere, it is refused too.
    for length in (0..bytes.len()).step_by(97) {
        assert!(
            partial::decode(&bytes[..length]).is_err(),
            "cut at {length}"
        );
    }
}

#[test]
fn a_file_of_the_format_before_the_checksum_is_named_as_such() {
    let mut old = b"entente partial result, format 1\n".to_vec();
    old.extend_from_slice(&[0x1f, 0x8b, 0, 0]);
    let error = partial::decode(&old).unwrap_err();
    assert!(matches!(error, DecodeError::OldFormat), "{error}");
    assert!(error.to_string().contains("format 1, without a checksum"));
}

/// Issue 13: `--runs` near u64::MAX wrapped the last chunk's end; the command line refuses
/// such counts, and a file that claims one is damage.
#[test]
fn issue_13_a_header_of_more_runs_than_a_batch_can_have_is_refused() {
    let (_, _, bytes) = small_partial_file(false);
    let (mut header, partial) = partial::decode(&bytes).unwrap();
    for runs in [0, batch::MAX_RUNS + 1, u64::MAX] {
        header.runs = runs;
        let error = partial::decode(&partial::encode(&header, &partial)).unwrap_err();
        assert!(
            error
                .to_string()
                .contains(&format!("a batch of {runs} runs")),
            "{error}"
        );
    }
}
