//! scikit-learn-compatible `train_test_split`, reproduced bit for bit.
//!
//! The homework calls `train_test_split(X, y, test_size=0.2, random_state=42)`. To grade against
//! the same rows a student used, the harness must pick exactly the rows scikit-learn picks, so
//! this module re-implements the chain scikit-learn relies on instead of using `rand`:
//!
//! 1. `check_random_state(seed)` → numpy's legacy `RandomState(seed)`: an MT19937 generator
//!    seeded with `init_genrand(seed)` (numpy's `_legacy_seeding` of an integer seed).
//! 2. `ShuffleSplit` → `rng.permutation(n)`: numpy's legacy Fisher–Yates shuffle, drawing each
//!    swap index with `random_interval` (rejection sampling under a bit mask).
//! 3. `n_test = ceil(test_size · n)`, `n_train = n − n_test`; test = the first `n_test` entries
//!    of the permutation, train = the next `n_train`.
//!
//! `tasks/data/wine/train_test_split_vectors.json` holds vectors produced by scikit-learn itself;
//! the tests check every one of them.

/// The two index lists of a split, in the order scikit-learn returns them (not sorted).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Split {
    /// Row indices of the training part.
    pub train: Vec<usize>,
    /// Row indices of the test part.
    pub test: Vec<usize>,
}

/// Why a split could not be made; the messages mirror scikit-learn's own checks.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SplitError {
    /// `test_size` must be a fraction strictly between 0 and 1.
    #[error("test_size must be a fraction strictly between 0 and 1, got {test_size}")]
    TestSizeOutOfRange { test_size: f64 },
    /// The fraction leaves one side empty for this many samples.
    #[error(
        "with n_samples={n_samples} and test_size={test_size} the {side} set would be empty; \
         use more samples or a different test_size"
    )]
    EmptySide {
        n_samples: usize,
        test_size: f64,
        side: &'static str,
    },
}

/// `train_test_split(np.arange(n), test_size=test_size, random_state=seed)` with scikit-learn's
/// defaults (`shuffle=True`, no stratification).
///
/// # Errors
/// [`SplitError`] when `test_size` is not in (0, 1) or leaves the train or test part empty.
pub fn train_test_split(n: usize, test_size: f64, seed: u32) -> Result<Split, SplitError> {
    // `!(a < x && x < b)` also rejects NaN.
    if !(test_size > 0.0 && test_size < 1.0) {
        return Err(SplitError::TestSizeOutOfRange { test_size });
    }
    // scikit-learn: n_test = ceil(test_size * n_samples), computed in float64 like here.
    let n_test = (test_size * n as f64).ceil() as usize;
    let n_train = n.saturating_sub(n_test);
    if n_test == 0 || n == 0 {
        return Err(SplitError::EmptySide {
            n_samples: n,
            test_size,
            side: "test",
        });
    }
    if n_train == 0 {
        return Err(SplitError::EmptySide {
            n_samples: n,
            test_size,
            side: "train",
        });
    }
    let perm = permutation(n, seed);
    Ok(Split {
        test: perm[..n_test].to_vec(),
        train: perm[n_test..n_test + n_train].to_vec(),
    })
}

/// `numpy.random.RandomState(seed).permutation(n)`.
pub(crate) fn permutation(n: usize, seed: u32) -> Vec<usize> {
    let mut rng = Mt19937::new(seed);
    let mut values: Vec<usize> = (0..n).collect();
    // numpy `_shuffle_raw`: for i in reversed(range(1, n)): j = random_interval(i); swap(i, j).
    for i in (1..n).rev() {
        let j = rng.random_interval(i as u64) as usize;
        values.swap(i, j);
    }
    values
}

/// The Mersenne Twister MT19937 as numpy's legacy `RandomState` runs it.
#[derive(Debug, Clone)]
struct Mt19937 {
    key: [u32; N],
    pos: usize,
}

const N: usize = 624;
const M: usize = 397;
const MATRIX_A: u32 = 0x9908_b0df;
const UPPER_MASK: u32 = 0x8000_0000;
const LOWER_MASK: u32 = 0x7fff_ffff;

impl Mt19937 {
    /// numpy `mt19937_seed` (Matsumoto & Nishimura's `init_genrand`).
    fn new(seed: u32) -> Self {
        let mut key = [0u32; N];
        key[0] = seed;
        for i in 1..N {
            let prev = key[i - 1];
            key[i] = 1_812_433_253u32
                .wrapping_mul(prev ^ (prev >> 30))
                .wrapping_add(i as u32);
        }
        Self { key, pos: N }
    }

    /// Regenerates the whole state block (numpy `mt19937_gen`).
    fn generate(&mut self) {
        let mag = |y: u32| if y & 1 == 1 { MATRIX_A } else { 0 };
        for i in 0..N {
            let y = (self.key[i] & UPPER_MASK) | (self.key[(i + 1) % N] & LOWER_MASK);
            self.key[i] = self.key[(i + M) % N] ^ (y >> 1) ^ mag(y);
        }
        self.pos = 0;
    }

    /// One tempered 32-bit output (numpy `mt19937_next32`).
    fn next_u32(&mut self) -> u32 {
        if self.pos == N {
            self.generate();
        }
        let mut y = self.key[self.pos];
        self.pos += 1;
        y ^= y >> 11;
        y ^= (y << 7) & 0x9d2c_5680;
        y ^= (y << 15) & 0xefc6_0000;
        y ^ (y >> 18)
    }

    /// numpy `mt19937_next64`: two 32-bit outputs, the first one high.
    fn next_u64(&mut self) -> u64 {
        let hi = u64::from(self.next_u32());
        let lo = u64::from(self.next_u32());
        (hi << 32) | lo
    }

    /// numpy legacy `random_interval(max)`: uniform in `0..=max` by masked rejection, using
    /// 32-bit draws while `max` fits in 32 bits.
    fn random_interval(&mut self, max: u64) -> u64 {
        if max == 0 {
            return 0;
        }
        let mut mask = max;
        for shift in [1, 2, 4, 8, 16, 32] {
            mask |= mask >> shift;
        }
        if max <= u64::from(u32::MAX) {
            loop {
                let value = u64::from(self.next_u32()) & mask;
                if value <= max {
                    return value;
                }
            }
        } else {
            loop {
                let value = self.next_u64() & mask;
                if value <= max {
                    return value;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    const VECTORS: &str = include_str!("../../../tasks/data/wine/train_test_split_vectors.json");

    /// One entry of the vectors file; its entries come in three shapes.
    #[derive(Debug, Deserialize)]
    #[serde(untagged)]
    enum Vector {
        Full {
            n_samples: usize,
            test_size: f64,
            random_state: u32,
            train: Vec<usize>,
            test: Vec<usize>,
        },
        Head {
            n_samples: usize,
            test_size: f64,
            random_state: u32,
            train_head: Vec<usize>,
            test_head: Vec<usize>,
            n_train: usize,
            n_test: usize,
        },
        Permutation {
            #[serde(rename = "numpy_RandomState_permutation")]
            numpy_randomstate_permutation: PermutationVector,
        },
    }

    #[derive(Debug, Deserialize)]
    struct PermutationVector {
        seed: u32,
        n: usize,
        result: Vec<usize>,
    }

    fn vectors() -> Vec<Vector> {
        serde_json::from_str(VECTORS).expect("vectors file parses")
    }

    #[test]
    fn first_mt19937_outputs_match_reference() {
        // Reference values of init_genrand(5489), the MT19937 paper's default seed.
        let mut rng = Mt19937::new(5489);
        let first: Vec<u32> = (0..3).map(|_| rng.next_u32()).collect();
        assert_eq!(first, [3_499_211_612, 581_869_302, 3_890_346_734]);
    }

    #[test]
    fn every_sklearn_vector_matches() {
        let vectors = vectors();
        let (mut full, mut head, mut perm) = (0, 0, 0);
        for v in &vectors {
            match v {
                Vector::Full {
                    n_samples,
                    test_size,
                    random_state,
                    train,
                    test,
                } => {
                    let split = train_test_split(*n_samples, *test_size, *random_state).unwrap();
                    assert_eq!(
                        &split.train, train,
                        "train, seed {random_state} size {test_size}"
                    );
                    assert_eq!(
                        &split.test, test,
                        "test, seed {random_state} size {test_size}"
                    );
                    full += 1;
                }
                Vector::Head {
                    n_samples,
                    test_size,
                    random_state,
                    train_head,
                    test_head,
                    n_train,
                    n_test,
                } => {
                    let split = train_test_split(*n_samples, *test_size, *random_state).unwrap();
                    assert_eq!(split.train.len(), *n_train);
                    assert_eq!(split.test.len(), *n_test);
                    assert_eq!(&split.train[..train_head.len()], train_head.as_slice());
                    assert_eq!(&split.test[..test_head.len()], test_head.as_slice());
                    head += 1;
                }
                Vector::Permutation {
                    numpy_randomstate_permutation: p,
                } => {
                    assert_eq!(permutation(p.n, p.seed), p.result);
                    perm += 1;
                }
            }
        }
        // Guard against the untagged enum silently swallowing entries.
        assert_eq!((full, head, perm), (8, 1, 1));
    }

    #[test]
    fn wine_default_split_sizes() {
        let split = train_test_split(178, 0.2, 42).unwrap();
        assert_eq!((split.train.len(), split.test.len()), (142, 36));
    }

    #[test]
    fn rejects_bad_test_size() {
        for bad in [0.0, 1.0, -0.1, 1.5, f64::NAN] {
            assert!(matches!(
                train_test_split(10, bad, 0),
                Err(SplitError::TestSizeOutOfRange { .. })
            ));
        }
        assert!(matches!(
            train_test_split(0, 0.2, 0),
            Err(SplitError::EmptySide { side: "test", .. })
        ));
        assert!(matches!(
            train_test_split(1, 0.5, 0),
            Err(SplitError::EmptySide { side: "train", .. })
        ));
    }

    #[test]
    fn large_interval_uses_64_bit_draws() {
        let mut rng = Mt19937::new(1);
        let v = rng.random_interval(u64::from(u32::MAX) + 10);
        assert!(v <= u64::from(u32::MAX) + 10);
    }

    proptest::proptest! {
        #[test]
        fn split_is_a_partition(n in 2usize..500, size in 0.01f64..0.99, seed in 0u32..1000) {
            if let Ok(split) = train_test_split(n, size, seed) {
                let mut all: Vec<usize> = split.train.iter().chain(&split.test).copied().collect();
                all.sort_unstable();
                proptest::prop_assert_eq!(all, (0..n).collect::<Vec<_>>());
            }
        }
    }
}
