//! The FreeBSD packaging under packaging/freebsd/: the port's crate list,
//! version and metadata against Cargo.lock, Cargo.toml and the Porter's
//! Handbook rules that can be checked without a ports tree, and the `.pkg`
//! that packaging/freebsd/build-pkg.sh makes with FreeBSD's pkg(8), checked
//! by pkg(8) itself (packaging/freebsd/test-pkg.sh).
//!
//! The `.pkg` check needs the package and pkg(8) (on Linux, built by
//! ../shared/freebsd-pkg/install.sh beside the checkout) and readelf;
//! without them it says so and skips, unless REQUIRE_TOOLS=1, which turns
//! the skip into a failure (so CI must run the FreeBSD step,
//! packaging/freebsd/cross-build.sh and build-pkg.sh, before `cargo test`).

mod common;

use std::path::Path;
use std::process::Command;

use common::{repo, skip, Need};

const PORT: &str = "packaging/freebsd/net-mgmt/netdata-plugin-tcp-resets";

fn read(rel: &str) -> String {
    std::fs::read_to_string(repo().join(rel)).unwrap_or_else(|e| panic!("cannot read {rel}: {e}"))
}

/// `name-version` of every registry package of a Cargo.lock, in its order.
fn registry_crates(lock: &str) -> Vec<String> {
    let mut out = Vec::new();
    for block in lock.split("[[package]]").skip(1) {
        let field = |key: &str| {
            block.lines().find_map(|l| {
                l.strip_prefix(key)
                    .and_then(|v| v.strip_prefix(" = \""))
                    .and_then(|v| v.strip_suffix('"'))
            })
        };
        let (Some(name), Some(version)) = (field("name"), field("version")) else {
            panic!("a Cargo.lock package without name or version:\n{block}");
        };
        if field("source").is_some_and(|s| s.starts_with("registry+")) {
            out.push(format!("{name}-{version}"));
        }
    }
    out
}

/// Makefile.crates as `make cargo-crates` writes it.
fn makefile_crates(crates: &[String]) -> String {
    let mut s = String::new();
    for (i, c) in crates.iter().enumerate() {
        s.push_str(if i == 0 { "CARGO_CRATES=\t" } else { "\t\t" });
        s.push_str(c);
        s.push_str(if i + 1 < crates.len() { " \\\n" } else { "\n" });
    }
    s
}

fn cargo_version() -> String {
    read("Cargo.toml")
        .lines()
        .skip_while(|l| l.trim() != "[package]")
        .find_map(|l| {
            l.strip_prefix("version = \"")
                .and_then(|v| v.strip_suffix('"'))
        })
        .expect("Cargo.toml has no [package] version")
        .to_string()
}

fn make_var(makefile: &str, name: &str) -> Option<String> {
    makefile.lines().find_map(|l| {
        l.strip_prefix(name)
            .and_then(|v| v.strip_prefix('='))
            .map(|v| v.trim().to_string())
    })
}

#[test]
fn makefile_crates_matches_cargo_lock() {
    let crates = registry_crates(&read("Cargo.lock"));
    assert!(
        !crates
            .iter()
            .any(|c| c.starts_with("netdata-plugin-tcp-resets-")),
        "the workspace's own package must not be listed"
    );
    assert!(crates.iter().any(|c| c.starts_with("sysctl-")));
    let expected = makefile_crates(&crates);
    let committed = read(&format!("{PORT}/Makefile.crates"));
    assert!(
        committed == expected,
        "{PORT}/Makefile.crates is out of date with Cargo.lock: \
         run packaging/freebsd/gen-crates.sh"
    );
}

#[test]
fn gen_crates_script_agrees_with_this_test() {
    let out = Command::new("bash")
        .arg(repo().join("packaging/freebsd/gen-crates.sh"))
        .arg("--print")
        .output()
        .expect("cannot run bash");
    assert!(
        out.status.success(),
        "gen-crates.sh --print failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let expected = makefile_crates(&registry_crates(&read("Cargo.lock")));
    assert_eq!(String::from_utf8_lossy(&out.stdout), expected);
}

#[test]
fn port_version_and_metadata_match_the_crate() {
    let makefile = read(&format!("{PORT}/Makefile"));
    assert_eq!(
        make_var(&makefile, "DISTVERSION").as_deref(),
        Some(cargo_version().as_str()),
        "{PORT}/Makefile DISTVERSION differs from Cargo.toml's version"
    );
    for (var, value) in [
        ("PORTNAME", "netdata-plugin-tcp-resets"),
        ("CATEGORIES", "net-mgmt"),
        ("LICENSE", "GPLv3+"),
        ("USES", "cargo"),
        ("CARGO_INSTALL", "no"),
        // Why 1.37.0: the comment above RUN_DEPENDS in the Makefile.
        ("RUN_DEPENDS", "netdata>=1.37.0:net-mgmt/netdata"),
    ] {
        assert_eq!(
            make_var(&makefile, var).as_deref(),
            Some(value),
            "{PORT}/Makefile: {var}"
        );
    }
    let plist = read(&format!("{PORT}/pkg-plist"));
    for path in [
        "libexec/netdata/plugins.d/tcp_resets.plugin",
        "lib/netdata/conf.d/health.d/tcp_resets_plugin.conf",
    ] {
        assert!(plist.lines().any(|l| l == path), "pkg-plist lacks {path}");
        assert!(
            makefile.contains(path.rsplit('/').next().unwrap()),
            "the Makefile does not install {path}"
        );
    }
    // PORTDOCS are not listed in pkg-plist (the framework adds them).
    assert!(
        !plist.contains("share/doc"),
        "pkg-plist lists docs; they belong in PORTDOCS"
    );
    let mut sorted: Vec<&str> = plist.lines().collect();
    sorted.sort_unstable();
    assert_eq!(
        plist.lines().collect::<Vec<_>>(),
        sorted,
        "pkg-plist is not sorted"
    );
    // Every installed source file exists in the tree.
    for src in [
        "health.d/tcp_resets_plugin.conf",
        "health.d/tcp_resets_troubleshooting.md",
        "README.md",
    ] {
        assert!(repo().join(src).is_file(), "{src} is missing");
    }
    assert_eq!(
        make_var(&makefile, "PORTDOCS").as_deref(),
        Some("README.md tcp_resets_troubleshooting.md")
    );
}

/// The Porter's Handbook rules for COMMENT, MAINTAINER, WWW and pkg-descr
/// that need no ports tree (portlint is not available on Linux).
#[test]
fn port_metadata_follows_the_porters_handbook() {
    let makefile = read(&format!("{PORT}/Makefile"));
    let comment = make_var(&makefile, "COMMENT").expect("COMMENT");
    let first = comment.chars().next().unwrap();
    assert!(
        first.is_uppercase(),
        "COMMENT starts with a capital: {comment}"
    );
    assert!(!comment.ends_with('.'), "COMMENT has no final period");
    assert!(
        comment.chars().count() <= 70,
        "COMMENT is at most 70 characters"
    );
    for article in ["A ", "An ", "The "] {
        assert!(
            !comment.starts_with(article),
            "COMMENT starts without an article"
        );
    }
    assert!(
        !comment.to_lowercase().contains("netdata-plugin-tcp-resets"),
        "COMMENT does not repeat the port's name"
    );
    // One address, no name or comment part.
    let maintainer = make_var(&makefile, "MAINTAINER").expect("MAINTAINER");
    let (user, host) = maintainer
        .split_once('@')
        .expect("MAINTAINER is an address");
    assert!(
        !user.is_empty() && host.contains('.') && !maintainer.contains([' ', '<', '>', ',', '(']),
        "MAINTAINER is one plain address: {maintainer}"
    );
    let www = make_var(&makefile, "WWW").expect("WWW");
    assert!(
        www.starts_with("https://") && !www.contains(' '),
        "WWW is one https URL: {www}"
    );
    // pkg-descr: the description only (WWW lives in the Makefile), lines
    // of at most 80 columns.
    let descr = read(&format!("{PORT}/pkg-descr"));
    for line in descr.lines() {
        assert!(
            line.chars().count() <= 80,
            "pkg-descr line over 80 columns: {line}"
        );
        assert!(!line.starts_with("WWW:"), "pkg-descr has a WWW: line");
    }
    // No trailing blanks.
    for line in makefile.lines() {
        assert!(
            !line.ends_with([' ', '\t']),
            "trailing blank in the Makefile: {line:?}"
        );
    }
}

/// Whether `ok`; else skips the package check, saying `what` is missing,
/// or fails under REQUIRE_TOOLS=1.
fn have(ok: bool, what: &str, how: &str) -> bool {
    if !ok {
        skip(
            Need::Tools,
            "freebsd_pkg_passes_pkg_own_checks",
            &format!("{what} is missing ({how})"),
        );
    }
    ok
}

fn on_path(tool: &str) -> bool {
    std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).any(|d| d.join(tool).is_file()))
        .unwrap_or(false)
}

/// Whether packaging/lib.sh can find pkg(8), without building it.
fn pkg_tool_available() -> bool {
    Command::new("bash")
        .arg("-c")
        .arg(". packaging/lib.sh && freebsd_pkg_available")
        .current_dir(repo())
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}

#[test]
fn freebsd_pkg_passes_pkg_own_checks() {
    let pkg = repo().join(format!(
        "target/freebsd/pkg/netdata-plugin-tcp-resets-{}.pkg",
        cargo_version()
    ));
    if !have(
        on_path("readelf") && on_path("timeout"),
        "readelf or timeout",
        "apt-get install binutils coreutils",
    ) {
        return;
    }
    if !have(
        pkg_tool_available(),
        "FreeBSD's pkg(8)",
        "../shared/freebsd-pkg/install.sh beside the checkout, or FREEBSD_PKG",
    ) {
        return;
    }
    if !have(
        Path::new(&pkg).is_file(),
        &pkg.display().to_string(),
        "run packaging/freebsd/cross-build.sh and packaging/freebsd/build-pkg.sh",
    ) {
        return;
    }
    let out = Command::new("bash")
        .arg(repo().join("packaging/freebsd/test-pkg.sh"))
        .arg(&pkg)
        .output()
        .expect("cannot run bash");
    assert!(
        out.status.success(),
        "test-pkg.sh (pkg(8)'s checks) rejected {}:\n{}",
        pkg.display(),
        String::from_utf8_lossy(&out.stderr)
    );
}
