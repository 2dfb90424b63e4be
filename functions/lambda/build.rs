//! Builds the information pages (`content/`, Markdown) into the functions: the content function
//! renders them once per cold start, so a change is reviewed, checked (`portal content check`
//! in tools/test) and rolled out (and back) with the code, and nothing is fetched at run time.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn main() {
    let manifest = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let content = manifest.join("../../content");
    println!("cargo:rerun-if-changed={}", content.display());
    let mut files = Vec::new();
    collect(&content, &content, &mut files);
    files.sort();
    let mut code = String::from(
        "/// Every Markdown file of `content/`: its path there, its text.\npub static CONTENT_FILES: &[(&str, &str)] = &[\n",
    );
    for (relative, absolute) in &files {
        // Each file and folder is watched, so adding or changing a page rebuilds.
        println!("cargo:rerun-if-changed={}", absolute.display());
        writeln!(code, "    ({relative:?}, include_str!({:?})),", absolute.display().to_string())
            .unwrap();
    }
    code.push_str("];\n");
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("set by cargo"));
    std::fs::write(out.join("content_files.rs"), code).expect("OUT_DIR is writable");
}

fn collect(root: &Path, dir: &Path, into: &mut Vec<(String, PathBuf)>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    println!("cargo:rerun-if-changed={}", dir.display());
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect(root, &path, into);
        } else if path.extension().is_some_and(|e| e == "md") {
            let relative = path.strip_prefix(root).unwrap().to_string_lossy().replace('\\', "/");
            into.push((relative, path));
        }
    }
}
