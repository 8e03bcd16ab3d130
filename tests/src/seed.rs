//! Seeds for randomised tests: printed, and replayed with `WUYE_TEST_SEED`.

/// The seed to use: `WUYE_TEST_SEED` if set, else a fresh one. Printed either way.
pub fn seed(test: &str) -> u64 {
    let seed = std::env::var("WUYE_TEST_SEED").ok().and_then(|s| s.trim().parse().ok()).unwrap_or_else(rand::random);
    println!("{test}: seed {seed} (replay with WUYE_TEST_SEED={seed})");
    seed
}

/// Whether the long variants of fault tests should run (`WUYE_LONG_TESTS=1`).
pub fn long() -> bool {
    std::env::var("WUYE_LONG_TESTS").is_ok_and(|v| v == "1")
}
