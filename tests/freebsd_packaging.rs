//! The FreeBSD packaging under packaging/freebsd/: the port's version and
//! metadata against Cargo.toml, its distfile (made by packaging/release.sh,
//! crates vendored, found in DISTDIR) and the Porter's Handbook rules that
//! can be checked without a ports tree, and the `.pkg` that
//! packaging/freebsd/build-pkg.sh makes with FreeBSD's pkg(8), checked by
//! pkg(8) itself (packaging/freebsd/test-pkg.sh).
//!
//! The `.pkg` check needs the package and pkg(8) (on Linux, built by
//! ../shared/freebsd-pkg/install.sh beside the checkout), readelf and the
//! group netdata on this host (pkg gives the installed plugin that group by
//! name); without them it says so and skips, unless REQUIRE_TOOLS=1, which
//! turns the skip into a failure (so CI must run the FreeBSD step,
//! packaging/freebsd/cross-build.sh and build-pkg.sh, before `cargo test`).

mod common;

use std::path::Path;
use std::process::Command;

use common::{repo, skip, Need};

const PORT: &str = "packaging/freebsd/net-mgmt/netdata-plugin-tcp-resets";

fn read(rel: &str) -> String {
    std::fs::read_to_string(repo().join(rel)).unwrap_or_else(|e| panic!("cannot read {rel}: {e}"))
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
    // The plugin 0750 root:netdata (README: Privileges), the alarms with
    // the framework's defaults.
    let plist = read(&format!("{PORT}/pkg-plist"));
    for (line, path) in [
        (
            "@(root,netdata,0750) libexec/netdata/plugins.d/tcp_resets.plugin",
            "libexec/netdata/plugins.d/tcp_resets.plugin",
        ),
        (
            "lib/netdata/conf.d/health.d/tcp_resets_plugin.conf",
            "lib/netdata/conf.d/health.d/tcp_resets_plugin.conf",
        ),
    ] {
        assert!(plist.lines().any(|l| l == line), "pkg-plist lacks {line}");
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
    // Sorted by path, whatever @(owner,group,mode) comes before it.
    let paths: Vec<&str> = plist
        .lines()
        .map(|l| l.rsplit(' ').next().unwrap_or(l))
        .collect();
    let mut sorted = paths.clone();
    sorted.sort_unstable();
    assert_eq!(paths, sorted, "pkg-plist is not sorted by path");
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
    // MAINTAINER and WWW only with true values: none yet (the framework's
    // default maintainer, no home page); a real one later must be one plain
    // address and one https URL.
    if let Some(maintainer) = make_var(&makefile, "MAINTAINER") {
        let (user, host) = maintainer
            .split_once('@')
            .expect("MAINTAINER is an address");
        assert!(
            !user.is_empty()
                && host.contains('.')
                && !maintainer.contains([' ', '<', '>', ',', '(']),
            "MAINTAINER is one plain address: {maintainer}"
        );
        assert!(
            !is_reserved_host(host),
            "MAINTAINER is invented: {maintainer}"
        );
    }
    if let Some(www) = make_var(&makefile, "WWW") {
        let host = www
            .strip_prefix("https://")
            .unwrap_or_else(|| panic!("WWW is an https URL: {www}"));
        assert!(!www.contains(' '), "WWW is one URL: {www}");
        assert!(
            !is_reserved_host(host.split('/').next().unwrap_or(host)),
            "WWW is invented: {www}"
        );
    }
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

/// A host name RFC 2606 (and RFC 6761) reserve, so never a real one.
fn is_reserved_host(host: &str) -> bool {
    let host = host.to_ascii_lowercase();
    ["example", "invalid", "test", "localhost"]
        .iter()
        .any(|tld| host == *tld || host.ends_with(&format!(".{tld}")))
        || ["example.com", "example.net", "example.org"]
            .iter()
            .any(|d| host == *d || host.ends_with(&format!(".{d}")))
}

/// The distfile is the release's source tarball, crates vendored, which no
/// site serves yet: the port fetches nothing, says where the file comes
/// from when it is not in DISTDIR (the Porter's Handbook's stanza for
/// distfiles fetched by hand), and has no distinfo of its own (release.sh
/// writes it beside the tarball).
#[test]
fn port_takes_its_distfile_from_distdir() {
    let makefile = read(&format!("{PORT}/Makefile"));
    for var in ["MASTER_SITES", "CARGO_CRATES", "DISTFILES", "USE_GITHUB"] {
        assert_eq!(make_var(&makefile, var), None, "{PORT}/Makefile sets {var}");
    }
    assert_eq!(
        make_var(&makefile, "CARGO_VENDOR_DIR").as_deref(),
        Some("${WRKSRC}/vendor"),
        "the crates come from the tarball's vendor/ (packaging/source-tarball.sh)"
    );
    for gone in ["Makefile.crates", "distinfo"] {
        assert!(
            !repo().join(PORT).join(gone).exists(),
            "{PORT}/{gone} must not be committed"
        );
    }
    let lines: Vec<&str> = makefile.lines().collect();
    let pre = lines
        .iter()
        .position(|l| *l == ".include <bsd.port.pre.mk>")
        .expect("the port includes bsd.port.pre.mk (the stanza below needs it)");
    let check = lines
        .iter()
        .position(|l| *l == ".if !exists(${DISTDIR}/${DISTNAME}${EXTRACT_SUFX})")
        .expect("the port checks that the distfile is in DISTDIR");
    assert!(pre < check, "the DISTDIR check comes after bsd.port.pre.mk");
    let ignore = lines[check + 1];
    assert!(
        ignore.starts_with("IGNORE=") && ignore.contains("packaging/release.sh"),
        "the port says which script makes the distfile: {ignore}"
    );
    assert_eq!(lines[check + 2], ".endif");
    assert_eq!(lines.last().copied(), Some(".include <bsd.port.post.mk>"));
    let script = read("packaging/source-tarball.sh");
    assert!(
        script.contains("cargo vendor --locked") && script.contains("vendor/"),
        "packaging/source-tarball.sh vendors the crates into vendor/"
    );
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
        Command::new("getent")
            .args(["group", "netdata"])
            .output()
            .is_ok_and(|o| o.status.success()),
        "the group netdata",
        "apt-get install netdata: pkg gives the installed plugin that group",
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
