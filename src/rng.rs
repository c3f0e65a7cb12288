//! Random streams keyed by (seed, run index, purpose).
//!
//! Every random number in a run comes from a ChaCha8 stream whose key is derived from the
//! scenario seed and a *purpose* (a stable 64-bit hash of a name such as
//! `param:actors.VEN.growth` or `hazard:VEN`), and whose ChaCha stream number is the run index.
//! Because each purpose owns its stream, switching a rule or an event on or off in a variant
//! never shifts the draws of anything else: run *i* of two scenarios sees the same numbers
//! wherever both draw for the same purpose. This is what makes paired comparisons (common
//! random numbers) work, and it makes results independent of thread scheduling.
//!
//! [`LaneStreams`] produces the streams of eight runs at once, for an engine that simulates one
//! run per SIMD lane. It computes the same ChaCha8 blocks as `rand_chacha`, only eight streams
//! side by side, so lane *i* sees exactly the numbers that `stream(seed, runs[i], purpose)` gives.

use rand_chacha::ChaCha8Rng;

use crate::model::LANES;
use rand_chacha::rand_core::SeedableRng;

/// A stable identifier of what a stream is used for, derived from a name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Purpose(pub u64);

impl Purpose {
    /// Hashes a purpose name with 64-bit FNV-1a, which (unlike `std`'s hasher) is specified and
    /// therefore stable across Rust versions and platforms.
    pub fn named(name: &str) -> Purpose {
        Purpose(fnv1a(name.as_bytes()))
    }
}

/// 64-bit FNV-1a of `bytes`: a specified, stable hash (not a cryptographic one).
pub fn fnv1a(bytes: &[u8]) -> u64 {
    const FNV_OFFSET_BASIS: u64 = 0xcbf2_9ce4_8422_2325;
    const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;
    let mut hash = FNV_OFFSET_BASIS;
    for &byte in bytes {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(FNV_PRIME);
    }
    hash
}

/// SplitMix64's output function: a bijective mixer that spreads nearby inputs apart.
fn split_mix(mut value: u64) -> u64 {
    value = value.wrapping_add(0x9e37_79b9_7f4a_7c15);
    value = (value ^ (value >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    value = (value ^ (value >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    value ^ (value >> 31)
}

/// The ChaCha key of one purpose under one seed, as the eight 32-bit words of the ChaCha state
/// (words 4 to 11). It does not depend on the run: runs differ only in the stream number.
///
/// Four SplitMix64 outputs are chained from the seed mixed with the purpose; each one gives two
/// key words, low half first, because `rand_chacha` reads its 32-byte seed as little-endian
/// words and `stream` hands it these outputs as little-endian bytes.
pub fn key(seed: u64, purpose: Purpose) -> [u32; 8] {
    let mut key = [0u32; 8];
    let mut state = split_mix(seed) ^ purpose.0;
    for pair in key.chunks_exact_mut(2) {
        state = split_mix(state);
        pair[0] = state as u32;
        pair[1] = (state >> 32) as u32;
    }
    key
}

/// The stream for one purpose of one run. Creating it costs a key setup, no allocation.
pub fn stream(seed: u64, run: u64, purpose: Purpose) -> ChaCha8Rng {
    let mut seed_bytes = [0u8; 32];
    for (bytes, word) in seed_bytes.chunks_exact_mut(4).zip(key(seed, purpose)) {
        bytes.copy_from_slice(&word.to_le_bytes());
    }
    let mut rng = ChaCha8Rng::from_seed(seed_bytes);
    rng.set_stream(run);
    rng
}

/// A uniform draw in `[0, 1)` with 53 random bits, independent of `rand`'s conventions.
pub fn unit(rng: &mut ChaCha8Rng) -> f64 {
    use rand_chacha::rand_core::Rng;
    (rng.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

/// The number of 32-bit words in a ChaCha block.
const BLOCK_WORDS: usize = 16;

/// ChaCha8 has eight rounds, done as four double rounds (a column round and a diagonal round).
const DOUBLE_ROUNDS: usize = 4;

/// The ChaCha constant "expand 32-byte k" as four little-endian words (words 0 to 3 of the state).
const CONSTANTS: [u32; 4] = [0x6170_7865, 0x3320_646e, 0x7962_2d32, 0x6b20_6574];

/// One 32-bit word for each lane: the model's runs per group ([`LANES`]).
type LaneWords = [u32; LANES];

/// The ChaCha8 streams of eight runs that share a seed and a purpose, computed side by side.
///
/// Lane *i* yields exactly the `u64`s that `stream(seed, runs[i], purpose).next_u64()` yields,
/// in the same order. `rand_chacha` lays its state out as Bernstein's ChaCha does: the four
/// constant words, the eight key words, a 64-bit block counter (low word 12, high word 13) and
/// the 64-bit stream number (low word 14, high word 15). It generates four blocks at a time,
/// but those are simply blocks `n` to `n + 3`, and `next_u64` on a fresh stream always reads an
/// aligned pair of words, low word first; so the `u64`s of a stream are the consecutive word
/// pairs of its consecutive blocks, and one block per refill gives the same sequence.
///
/// All lanes share the key and the block counter; only words 14 and 15 differ. The state is
/// kept word-major (word *w* of all lanes is one `[u32; 8]`), so that the compiler can keep word
/// *w* of all lanes in one SIMD register (two with SSE2) and compute the eight blocks with
/// vector additions, exclusive ors and shifts: SSE2 in the default build, AVX2 inside a caller
/// compiled with `#[target_feature(enable = "avx2")]`, because [`LaneStreams::next_words`] and
/// the block function are always inlined into their caller.
#[derive(Clone, Debug)]
pub struct LaneStreams {
    /// The key words shared by all lanes (ChaCha state words 4 to 11).
    key: [u32; 8],
    /// The low halves of the lanes' stream numbers (ChaCha state word 14).
    stream_low: LaneWords,
    /// The high halves of the lanes' stream numbers (ChaCha state word 15).
    stream_high: LaneWords,
    /// The counter of the next block to compute, the same in every lane.
    block_counter: u64,
    /// The current block of every lane, word-major: `block[w][lane]` is word `w` of that lane.
    block: [LaneWords; BLOCK_WORDS],
    /// The index in `block` of the next word to hand out; `BLOCK_WORDS` means the block is used
    /// up, which is also the starting state so that building a `LaneStreams` computes nothing.
    position: usize,
}

impl LaneStreams {
    /// The streams of `runs` (one run index per lane) under a key from [`key`]. Building one
    /// costs no allocation and no block computation, so a simulation can build one per purpose
    /// for every group of runs.
    pub fn new(key: [u32; 8], runs: [u64; LANES]) -> LaneStreams {
        let mut streams = LaneStreams {
            key,
            stream_low: [0; LANES],
            stream_high: [0; LANES],
            block_counter: 0,
            block: [[0; LANES]; BLOCK_WORDS],
            position: BLOCK_WORDS,
        };
        streams.reset(runs);
        streams
    }

    /// Restarts every lane at the beginning of the stream of its new run, keeping the key, as if
    /// the streams had been built anew for `runs`.
    pub fn reset(&mut self, runs: [u64; LANES]) {
        for (lane, run) in runs.into_iter().enumerate() {
            self.stream_low[lane] = run as u32;
            self.stream_high[lane] = (run >> 32) as u32;
        }
        self.block_counter = 0;
        self.position = BLOCK_WORDS;
    }

    /// The next `u64` of every lane, as its low and its high 32-bit halves: lane *i*'s number is
    /// `u64::from(low[i]) | u64::from(high[i]) << 32`. Keeping the halves apart lets a caller
    /// work on 32-bit lanes, or join them into 64-bit lanes, as its own SIMD code prefers.
    #[inline(always)]
    pub fn next_words(&mut self) -> ([u32; LANES], [u32; LANES]) {
        if self.position >= BLOCK_WORDS {
            self.compute_block();
            self.position = 0;
        }
        let low = self.block[self.position];
        let high = self.block[self.position + 1];
        self.position += 2;
        (low, high)
    }

    /// Computes the block at `block_counter` for every lane into `block` and advances the
    /// counter: the ChaCha8 block function, lane-wise.
    #[inline(always)]
    fn compute_block(&mut self) {
        let mut input = [[0; LANES]; BLOCK_WORDS];
        for (word, constant) in CONSTANTS.into_iter().enumerate() {
            input[word] = [constant; LANES];
        }
        for (index, key_word) in self.key.into_iter().enumerate() {
            input[4 + index] = [key_word; LANES];
        }
        input[12] = [self.block_counter as u32; LANES];
        input[13] = [(self.block_counter >> 32) as u32; LANES];
        input[14] = self.stream_low;
        input[15] = self.stream_high;

        let mut state = input;
        for _ in 0..DOUBLE_ROUNDS {
            // The lanes are the innermost loop, and its body (one double round of one lane) is
            // too large for LLVM to unroll the loop completely, so the loop vectorizer widens
            // the body instead: each of its scalar operations becomes one vector operation over
            // the lanes. Writing the rounds as lane-wise operations on `[u32; 8]` arrays leaves
            // the vectorizing to the SLP vectorizer, which on SSE2 (where there is no vector
            // rotation) judges the rotations cheaper as scalar ones and so left the whole block
            // function scalar in the default build, where it ran about half as fast as
            // `rand_chacha`.
            // The lane indexes the inner dimension of the word-major state, which no iterator
            // over `state` reaches, hence the index loop.
            #[allow(clippy::needless_range_loop)]
            for lane in 0..LANES {
                let mut words: [u32; BLOCK_WORDS] = std::array::from_fn(|word| state[word][lane]);
                double_round(&mut words);
                for (word, value) in words.into_iter().enumerate() {
                    state[word][lane] = value;
                }
            }
        }
        for word in 0..BLOCK_WORDS {
            self.block[word] = add(state[word], input[word]);
        }
        // The counter is 64 bits wide in `rand_chacha` too, so it wraps only after 2^64 blocks.
        self.block_counter = self.block_counter.wrapping_add(1);
    }
}

/// A ChaCha double round on the sixteen words of one lane: a quarter round on each column of
/// the 4 × 4 state, then one on each diagonal.
#[inline(always)]
fn double_round(words: &mut [u32; BLOCK_WORDS]) {
    quarter_round(words, 0, 4, 8, 12);
    quarter_round(words, 1, 5, 9, 13);
    quarter_round(words, 2, 6, 10, 14);
    quarter_round(words, 3, 7, 11, 15);
    quarter_round(words, 0, 5, 10, 15);
    quarter_round(words, 1, 6, 11, 12);
    quarter_round(words, 2, 7, 8, 13);
    quarter_round(words, 3, 4, 9, 14);
}

/// The ChaCha quarter round on words `a`, `b`, `c` and `d`. The indices are constants at every
/// call, so after inlining the words stay in registers.
#[inline(always)]
fn quarter_round(words: &mut [u32; BLOCK_WORDS], a: usize, b: usize, c: usize, d: usize) {
    words[a] = words[a].wrapping_add(words[b]);
    words[d] = (words[d] ^ words[a]).rotate_left(16);
    words[c] = words[c].wrapping_add(words[d]);
    words[b] = (words[b] ^ words[c]).rotate_left(12);
    words[a] = words[a].wrapping_add(words[b]);
    words[d] = (words[d] ^ words[a]).rotate_left(8);
    words[c] = words[c].wrapping_add(words[d]);
    words[b] = (words[b] ^ words[c]).rotate_left(7);
}

/// Lane-wise wrapping addition, which the compiler emits as one or two vector additions.
#[inline(always)]
fn add(left: LaneWords, right: LaneWords) -> LaneWords {
    let mut sum = [0; LANES];
    for lane in 0..LANES {
        sum[lane] = left[lane].wrapping_add(right[lane]);
    }
    sum
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_chacha::rand_core::Rng;

    #[test]
    fn purpose_hash_is_fnv1a() {
        // Reference values of 64-bit FNV-1a.
        assert_eq!(Purpose::named("").0, 0xcbf2_9ce4_8422_2325);
        assert_eq!(Purpose::named("a").0, 0xaf63_dc4c_8601_ec8c);
    }

    #[test]
    fn streams_differ_by_seed_run_and_purpose_and_repeat_exactly() {
        let draw = |seed, run, name| unit(&mut stream(seed, run, Purpose::named(name)));
        let base = draw(1, 0, "x");
        assert_eq!(base, draw(1, 0, "x"));
        assert_ne!(base, draw(2, 0, "x"));
        assert_ne!(base, draw(1, 1, "x"));
        assert_ne!(base, draw(1, 0, "y"));
        assert!((0.0..1.0).contains(&base));
    }

    /// Run indices that are not consecutive and use both halves of the 64-bit stream number.
    const SCATTERED_RUNS: [u64; LANES] = [0, 1, 7, 8, 1000, 1 << 40, u64::MAX - 1, 3];

    /// Enough `u64`s to cross ten ChaCha blocks, and twice the four-block buffer of `rand_chacha`.
    const DRAWS: usize = 80;

    /// The first `DRAWS` `u64`s of every lane, each joined from its two halves.
    fn lane_draws(streams: &mut LaneStreams) -> Vec<[u64; LANES]> {
        (0..DRAWS)
            .map(|_| {
                let (low, high) = streams.next_words();
                std::array::from_fn(|lane| u64::from(low[lane]) | u64::from(high[lane]) << 32)
            })
            .collect()
    }

    /// Checks every lane's draws against the scalar stream of its run, position by position.
    fn assert_lanes_match_scalar(
        seed: u64,
        purpose: Purpose,
        runs: [u64; LANES],
        draws: &[[u64; LANES]],
    ) {
        for (lane, &run) in runs.iter().enumerate() {
            let mut scalar = stream(seed, run, purpose);
            for (position, row) in draws.iter().enumerate() {
                assert_eq!(
                    row[lane],
                    scalar.next_u64(),
                    "seed {seed}, purpose {purpose:?}, run {run} (lane {lane}), u64 number {position}"
                );
            }
        }
    }

    fn seeds_and_purposes() -> Vec<(u64, Purpose)> {
        vec![
            (0, Purpose(0)),
            (1, Purpose::named("param:actors.VEN.growth")),
            (42, Purpose::named("hazard:VEN")),
            (u64::MAX, Purpose(u64::MAX)),
        ]
    }

    #[test]
    fn stream_gives_the_numbers_it_gave_before_the_key_derivation_was_shared() {
        // Recorded from `stream` as it was before `key` existed; results of earlier batches
        // are reproducible only while these stay the same.
        let mut rng = stream(1, 7, Purpose::named("param:actors.VEN.growth"));
        let first: Vec<u64> = (0..3).map(|_| rng.next_u64()).collect();
        assert_eq!(
            first,
            [
                0x9fed_abca_07a6_7bd7,
                0xfc53_b79e_2942_416c,
                0x1fd9_f301_45f5_19a9
            ]
        );
    }

    #[test]
    fn key_is_the_seed_that_stream_gives_rand_chacha() {
        for (seed, purpose) in seeds_and_purposes() {
            let seed_bytes = stream(seed, 5, purpose).get_seed();
            let words: Vec<u32> = seed_bytes
                .chunks_exact(4)
                .map(|bytes| u32::from_le_bytes(bytes.try_into().unwrap()))
                .collect();
            assert_eq!(words, key(seed, purpose));
        }
    }

    #[test]
    fn lanes_match_the_scalar_streams_of_their_runs() {
        for (seed, purpose) in seeds_and_purposes() {
            let mut streams = LaneStreams::new(key(seed, purpose), SCATTERED_RUNS);
            let draws = lane_draws(&mut streams);
            assert_lanes_match_scalar(seed, purpose, SCATTERED_RUNS, &draws);
        }
    }

    #[test]
    fn reset_restarts_the_lanes_on_the_streams_of_the_new_runs() {
        let (seed, purpose) = (9, Purpose::named("hazard:VEN"));
        let mut streams = LaneStreams::new(key(seed, purpose), SCATTERED_RUNS);
        // Stop in the middle of a block, so that the reset must discard a partly read block.
        for _ in 0..11 {
            streams.next_words();
        }
        let other_runs = [16, 17, 18, 19, 20, 21, 22, 1 << 63];
        streams.reset(other_runs);
        let draws = lane_draws(&mut streams);
        assert_lanes_match_scalar(seed, purpose, other_runs, &draws);
    }

    #[test]
    fn a_lane_does_not_depend_on_the_runs_of_the_other_lanes() {
        let key = key(3, Purpose::named("x"));
        let mut first = LaneStreams::new(key, [10, 11, 12, 13, 14, 3, 16, 17]);
        let mut second = LaneStreams::new(key, [20, 21, 22, 3, 24, 25, 26, 27]);
        for _ in 0..DRAWS {
            let (first_low, first_high) = first.next_words();
            let (second_low, second_high) = second.next_words();
            assert_eq!(
                (first_low[5], first_high[5]),
                (second_low[3], second_high[3])
            );
        }
    }

    #[test]
    fn the_block_counter_carries_into_its_high_word() {
        let (seed, purpose) = (5, Purpose::named("carry"));
        let last_block_with_zero_high_word = u64::from(u32::MAX);
        let mut streams = LaneStreams::new(key(seed, purpose), SCATTERED_RUNS);
        streams.block_counter = last_block_with_zero_high_word;
        let draws = lane_draws(&mut streams);
        for (lane, &run) in SCATTERED_RUNS.iter().enumerate() {
            let mut scalar = stream(seed, run, purpose);
            scalar.set_word_pos(u128::from(last_block_with_zero_high_word) * 16);
            for row in &draws {
                assert_eq!(row[lane], scalar.next_u64(), "run {run}");
            }
        }
    }
}
