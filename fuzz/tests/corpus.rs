//! Replays the kept inputs without instrumentation: the hand-made seeds (`seeds/<target>/`), the
//! corpus the fuzzer kept (`corpus/<target>/`) and every input that once crashed a target
//! (`regressions/<target>/`).

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;

use portal_fuzz::TARGETS;

fn replay(folder: &str) -> usize {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join(folder);
    let mut replayed = 0;
    for (name, target) in TARGETS {
        let Ok(entries) = std::fs::read_dir(root.join(name)) else { continue };
        for entry in entries {
            let path = entry.expect("a readable folder").path();
            let data = std::fs::read(&path).expect("a readable input");
            if catch_unwind(AssertUnwindSafe(|| target(&data))).is_err() {
                panic!("{name} panics on {}", path.display());
            }
            replayed += 1;
        }
    }
    replayed
}

#[test]
fn every_seed_and_kept_corpus_input_still_parses_without_a_panic() {
    assert!(replay("seeds") > 0, "the seeds are missing");
    replay("corpus");
}

#[test]
fn every_input_that_once_crashed_a_target_no_longer_does() {
    replay("regressions");
}

#[test]
fn every_target_has_seeds() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("seeds");
    for (name, _) in TARGETS {
        let seeds = std::fs::read_dir(root.join(name)).map(|d| d.count()).unwrap_or(0);
        assert!(seeds > 0, "seeds/{name} is empty");
    }
}

/// Writes the signed seeds (their signatures need the fixture's key):
/// `cargo test --test corpus -- --ignored`.
#[test]
#[ignore]
fn write_signed_seeds() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("seeds");
    let write = |target: &str, name: &str, text: String| {
        std::fs::create_dir_all(root.join(target)).unwrap();
        std::fs::write(root.join(target).join(name), text).unwrap();
    };
    write(
        "client_assertion",
        "seed-valid",
        format!("{}\nsystem/Coverage.rs", portal_fuzz::seed_assertion()),
    );
    write(
        "proof",
        "seed-genuine",
        format!("{}\nA123456780", portal_fuzz::seed_proof("A123456780")),
    );
    write(
        "proof",
        "seed-other-kvnr",
        format!("{}\nB123456786", portal_fuzz::seed_proof("A123456780")),
    );
}
