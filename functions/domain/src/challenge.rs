//! The registration's security check: an accessible proof of work instead of a picture to read.
//! The browser finds a decimal `nonce` such that SHA-256(`salt` ":" `nonce`) starts with at least
//! `difficulty` zero bits; the server checks it with one hash. The same code runs on both sides.

use sha2::{Digest, Sha256};

/// Whether `nonce` solves the challenge `salt` at `difficulty` leading zero bits.
pub fn proof_of_work_holds(salt: &str, nonce: &str, difficulty: u8) -> bool {
    let decimal =
        !nonce.is_empty() && nonce.len() <= 20 && nonce.bytes().all(|b| b.is_ascii_digit());
    decimal
        && leading_zero_bits(&Sha256::digest(format!("{salt}:{nonce}"))) >= u32::from(difficulty)
}

/// Finds the smallest nonce from `start` on; the app calls this in slices to show progress.
/// Returns `None` when `tries` nonces did not suffice.
pub fn solve_proof_of_work(salt: &str, difficulty: u8, start: u64, tries: u64) -> Option<u64> {
    (start..start.saturating_add(tries)).find(|nonce| {
        leading_zero_bits(&Sha256::digest(format!("{salt}:{nonce}"))) >= u32::from(difficulty)
    })
}

fn leading_zero_bits(hash: &[u8]) -> u32 {
    let mut bits = 0;
    for byte in hash {
        bits += byte.leading_zeros();
        if *byte != 0 {
            break;
        }
    }
    bits
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_found_nonce_holds_and_its_neighbours_mostly_do_not() {
        let nonce = solve_proof_of_work("c2FsdA", 12, 0, 1 << 20).unwrap();
        assert!(proof_of_work_holds("c2FsdA", &nonce.to_string(), 12));
        assert!(!proof_of_work_holds("another salt", &nonce.to_string(), 12) || nonce == 0);
    }

    #[test]
    fn difficulty_zero_accepts_any_decimal_nonce_but_nothing_else() {
        assert!(proof_of_work_holds("s", "0", 0));
        for bad in ["", "-1", "1e3", " 7", "123456789012345678901"] {
            assert!(!proof_of_work_holds("s", bad, 0), "{bad:?}");
        }
    }

    #[test]
    fn leading_zero_bits_count_across_bytes() {
        assert_eq!(leading_zero_bits(&[0, 0, 0b0001_0000, 0xff]), 19);
        assert_eq!(leading_zero_bits(&[0xff]), 0);
        assert_eq!(leading_zero_bits(&[0, 0]), 16);
    }
}
