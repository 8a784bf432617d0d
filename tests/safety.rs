//! Source hygiene: `unsafe` lives only in the module that talks to libc
//! (and in tests' own helpers), and every `unsafe` block, impl or function
//! carries a `// SAFETY:` comment just above it.

use std::path::{Path, PathBuf};

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

fn files() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut v = Vec::new();
    for d in ["src", "tests", "benches", "fuzz/fuzz_targets"] {
        if root.join(d).is_dir() {
            rust_files(&root.join(d), &mut v);
        }
    }
    v
}

#[test]
fn every_unsafe_has_a_safety_comment() {
    let mut missing = Vec::new();
    for f in files() {
        let text = std::fs::read_to_string(&f).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        for (i, l) in lines.iter().enumerate() {
            let code = l.split("//").next().unwrap();
            let uses = code.contains("unsafe {")
                || code.contains("unsafe impl")
                || code.contains("unsafe fn")
                || code.trim_start().starts_with("unsafe ");
            if !uses || code.contains("\"") {
                continue;
            }
            // Walk up over attributes and comment lines to find SAFETY:.
            let mut j = i;
            let mut found = l.contains("SAFETY:");
            while !found && j > 0 {
                j -= 1;
                let above = lines[j].trim_start();
                if above.contains("SAFETY:") {
                    found = true;
                } else if !(above.starts_with("//") || above.starts_with("#[")) {
                    // A block inside an unsafe fn of a trait impl is covered
                    // by the comment on the impl; otherwise stop here.
                    break;
                }
            }
            if !found
                && !lines[..i]
                    .iter()
                    .rev()
                    .take(3)
                    .any(|x| x.contains("SAFETY:"))
            {
                missing.push(format!("{}:{}: {}", f.display(), i + 1, l.trim()));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "unsafe without SAFETY:\n{}",
        missing.join("\n")
    );
}

#[test]
fn only_the_libc_module_allows_unsafe_code() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for f in ["src/lib.rs", "src/main.rs"] {
        let text = std::fs::read_to_string(root.join(f)).unwrap();
        assert!(text.contains("#![deny(unsafe_code)]"), "{f}");
    }
    let mut src = Vec::new();
    rust_files(&root.join("src"), &mut src);
    for f in src {
        let text = std::fs::read_to_string(&f).unwrap();
        let allows = text.contains("allow(unsafe_code)");
        assert_eq!(
            allows,
            f.ends_with("src/sys.rs"),
            "{}: only src/sys.rs may allow unsafe code",
            f.display()
        );
    }
}
