//! Named, seeded random streams.
//!
//! Every independent source of randomness (a host's process activity, a campaign step's jitter,
//! …) draws from its own stream, derived from the run's seed and the stream's name by SHA-256.
//! Adding a host or a profile therefore leaves every other stream, and the events it drives,
//! unchanged. The generator is ChaCha8, and the few samplers below are written out here rather
//! than taken from `rand`'s distributions, whose outputs may change between releases: the same
//! seed must give the same bytes on any machine and with any dependency version.

use rand::rngs::ChaCha8Rng;
use rand::{Rng as _, SeedableRng};
use sha2::{Digest, Sha256};

/// One named random stream.
#[derive(Debug)]
pub struct Rng(ChaCha8Rng);

impl Rng {
    /// The stream `path` of the run seeded with `seed`.
    pub fn stream(seed: u64, path: &[&str]) -> Rng {
        let mut hash = Sha256::new();
        hash.update(b"atoll-sim/1\0");
        hash.update(seed.to_le_bytes());
        for part in path {
            hash.update((part.len() as u64).to_le_bytes());
            hash.update(part.as_bytes());
        }
        Rng(ChaCha8Rng::from_seed(hash.finalize().into()))
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0.next_u64()
    }

    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Uniform in 0..n (n > 0); the bias of the multiply-shift is below 2^-40 for any n used here.
    pub fn below(&mut self, n: usize) -> usize {
        debug_assert!(n > 0);
        ((u128::from(self.next_u64()) * n as u128) >> 64) as usize
    }

    /// Uniform in lo..=hi.
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        if hi <= lo {
            return lo;
        }
        lo + ((u128::from(self.next_u64()) * u128::from(hi - lo + 1)) >> 64) as u64
    }

    pub fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    /// A standard exponential variate (mean 1).
    pub fn exp1(&mut self) -> f64 {
        // 1 - unit() is in (0, 1], so the logarithm is finite.
        -(1.0 - self.unit()).ln()
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    /// An index drawn with the given weights (which must not all be zero).
    pub fn weighted(&mut self, weights: &[u32]) -> usize {
        let total: u64 = weights.iter().map(|&w| u64::from(w)).sum();
        let mut x = self.range(0, total.saturating_sub(1));
        for (i, &w) in weights.iter().enumerate() {
            if x < u64::from(w) {
                return i;
            }
            x -= u64::from(w);
        }
        weights.len() - 1
    }

    /// A value spread around `mean` by up to `spread` either way.
    pub fn around(&mut self, mean: u64, spread: u64) -> u64 {
        self.range(mean.saturating_sub(spread), mean + spread)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_are_reproducible_and_independent() {
        let a1: Vec<u64> = (0..4)
            .map({
                let mut r = Rng::stream(7, &["palau", "pw-tel-dc01", "logons"]);
                move |_| r.next_u64()
            })
            .collect();
        let mut again = Rng::stream(7, &["palau", "pw-tel-dc01", "logons"]);
        assert_eq!(a1, (0..4).map(|_| again.next_u64()).collect::<Vec<_>>());
        let mut other = Rng::stream(7, &["palau", "pw-tel-dc01", "processes"]);
        assert_ne!(a1[0], other.next_u64());
        let mut reseeded = Rng::stream(8, &["palau", "pw-tel-dc01", "logons"]);
        assert_ne!(a1[0], reseeded.next_u64());
        // Path parts are length-prefixed: ["ab", "c"] and ["a", "bc"] differ.
        assert_ne!(
            Rng::stream(1, &["ab", "c"]).next_u64(),
            Rng::stream(1, &["a", "bc"]).next_u64()
        );
    }

    #[test]
    fn samplers_stay_in_range() {
        let mut r = Rng::stream(1, &["t"]);
        for _ in 0..10_000 {
            assert!(r.below(3) < 3);
            let x = r.range(5, 9);
            assert!((5..=9).contains(&x));
            let u = r.unit();
            assert!((0.0..1.0).contains(&u));
            assert!(r.exp1().is_finite());
            assert_eq!(r.weighted(&[0, 5, 0]), 1);
        }
        // The mean of exp1 is near 1 over many draws.
        let mean: f64 = (0..100_000).map(|_| r.exp1()).sum::<f64>() / 100_000.0;
        assert!((mean - 1.0).abs() < 0.02, "mean {mean}");
    }
}
