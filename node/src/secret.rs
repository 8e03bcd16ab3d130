//! Secrets both sides make and keep: 256 random bits as hex, and what is
//! stored in their place (SHA-256 as hex). A certificate's fingerprint is the
//! same hash of its bytes.

use sha2::{Digest, Sha256};

/// 32 bytes from the operating system's random source, as 64 lowercase hex digits.
pub fn random_hex_256() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// The SHA-256 of `bytes` as lowercase hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_fresh_and_hashes_are_the_known_ones() {
        let (a, b) = (random_hex_256(), random_hex_256());
        assert_eq!(a.len(), 64);
        assert_ne!(a, b);
        assert_eq!(sha256_hex(b"abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }
}
