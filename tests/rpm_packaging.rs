//! The `.rpm`'s metadata (`[package.metadata.generate-rpm]` of Cargo.toml
//! and packaging/rpm/) against the other packages and the policy of the
//! README's Privileges: what can be checked without rpm, and the two
//! scriptlets run as rpm runs them. packaging/rpm/test-rpm.sh, run by
//! .ci/run, checks the package itself with rpm and rpmlint.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::process::Command;

use common::{repo, TempDir};

const PLUGIN: &str = "/usr/libexec/netdata/plugins.d/tcp_resets.plugin";

fn read(rel: &str) -> String {
    std::fs::read_to_string(repo().join(rel)).unwrap_or_else(|e| panic!("cannot read {rel}: {e}"))
}

/// The lines of Cargo.toml's `[section]`, up to the next section.
fn section(name: &str) -> Vec<String> {
    read("Cargo.toml")
        .lines()
        .skip_while(|l| l.trim() != format!("[{name}]"))
        .skip(1)
        .take_while(|l| !l.starts_with('['))
        .map(str::to_string)
        .collect()
}

/// The value of `key = """\ ... """` in Cargo.toml's `[section]`, its
/// line-ending backslashes joined as TOML joins them.
fn multiline(name: &str, key: &str) -> String {
    let lines = section(name);
    let start = lines
        .iter()
        .position(|l| *l == format!("{key} = \"\"\"\\"))
        .unwrap_or_else(|| panic!("[{name}] has no {key} = \"\"\"\\"));
    let mut text = String::new();
    for line in &lines[start + 1..] {
        if let Some(last) = line.strip_suffix("\"\"\"") {
            text.push_str(last);
            return text;
        }
        text.push_str(line.strip_suffix('\\').unwrap_or(line));
    }
    panic!("[{name}] {key} does not end");
}

/// The asset line of `[package.metadata.generate-rpm]` installing `dest`.
fn rpm_asset(dest: &str) -> String {
    section("package.metadata.generate-rpm")
        .into_iter()
        .find(|l| l.contains(&format!("dest = \"{dest}\"")))
        .unwrap_or_else(|| panic!("no .rpm asset for {dest}"))
}

#[test]
fn rpm_description_is_the_deb_description_up_to_its_last_sentence() {
    let deb = multiline("package.metadata.deb", "extended-description");
    let rpm = multiline("package.metadata.generate-rpm", "description");
    let shared = "names the listener whose queue overflows.";
    let deb_part = &deb[..deb.find(shared).expect("the .deb's text") + shared.len()];
    let rpm_part = &rpm[..rpm.find(shared).expect("the .rpm's text") + shared.len()];
    assert_eq!(rpm_part, deb_part);
}

/// README: Privileges. Every package makes the plugin 0750 root:netdata and
/// grants no capability; the README gives one command to grant them and
/// one to take them back.
#[test]
fn every_package_makes_the_plugin_0750_root_netdata_without_capabilities() {
    let rpm = rpm_asset(PLUGIN);
    for want in [
        "source = \"target/release/tcp_resets\"",
        "mode = \"0750\"",
        "user = \"root\"",
        "group = \"netdata\"",
    ] {
        assert!(rpm.contains(want), "the .rpm's plugin lacks {want}: {rpm}");
    }
    assert!(!rpm.contains("caps"), "the .rpm grants capabilities: {rpm}");

    let postinst = read("packaging/debian/postinst");
    let code: Vec<&str> = postinst
        .lines()
        .map(str::trim)
        .filter(|l| !l.starts_with('#'))
        .collect();
    for want in [
        &format!("PLUGIN={PLUGIN}") as &str,
        "if ! dpkg-statoverride --list \"$PLUGIN\" >/dev/null 2>&1; then",
        "chown root:netdata \"$PLUGIN\"",
        "chmod 0750 \"$PLUGIN\"",
    ] {
        assert!(code.contains(&want), "the .deb's postinst lacks {want}");
    }
    assert!(
        !code.iter().any(|l| l.contains("setcap")),
        "the .deb grants capabilities"
    );

    let plist = read("packaging/freebsd/net-mgmt/netdata-plugin-tcp-resets/pkg-plist");
    assert!(plist
        .lines()
        .any(|l| l == "@(root,netdata,0750) libexec/netdata/plugins.d/tcp_resets.plugin"));

    let readme = read("README.md");
    for command in [
        format!("sudo setcap cap_sys_ptrace,cap_dac_read_search,cap_perfmon+ep {PLUGIN}"),
        format!("sudo setcap cap_sys_ptrace,cap_dac_read_search,cap_sys_admin+ep {PLUGIN}"),
        format!("sudo setcap -r {PLUGIN}"),
        "sudo install -o root -g netdata -m 0750 target/release/tcp_resets".to_string(),
    ] {
        assert!(readme.contains(&command), "README lacks `{command}`");
    }
    assert!(
        !readme.contains("-g root -m 0755 target/release/tcp_resets"),
        "README still installs the plugin 0755 by hand"
    );
}

/// The same minimum netdata as the FreeBSD port (its Makefile says why).
#[test]
fn rpm_requires_the_netdata_the_freebsd_port_requires() {
    let requires = section("package.metadata.generate-rpm.requires");
    let rpm = requires
        .iter()
        .find_map(|l| l.strip_prefix("netdata = \">= "))
        .and_then(|v| v.strip_suffix('"'))
        .expect("the .rpm requires netdata >= a version");
    let makefile = read("packaging/freebsd/net-mgmt/netdata-plugin-tcp-resets/Makefile");
    let port = makefile
        .lines()
        .find_map(|l| l.strip_prefix("RUN_DEPENDS=\tnetdata>="))
        .and_then(|v| v.strip_suffix(":net-mgmt/netdata"))
        .expect("the port's RUN_DEPENDS on netdata");
    assert_eq!(rpm, port);
    let meta = section("package.metadata.generate-rpm").join("\n");
    for (key, file) in [
        ("post_install_script", "packaging/rpm/post.sh"),
        ("post_uninstall_script", "packaging/rpm/postun.sh"),
    ] {
        assert!(
            meta.contains(&format!("{key} = \"{file}\"")) && repo().join(file).is_file(),
            "{key} is {file}"
        );
    }
}

/// rpm runs a scriptlet with /bin/sh and the number of installed copies
/// left as $1. Neither may fail where netdata is not installed (no
/// netdatacli) or not running (netdatacli fails).
#[test]
fn rpm_scriptlets_succeed_without_netdata_and_with_netdata_stopped() {
    let dir = TempDir::new("rpm-scriptlets");
    let fake = dir.join("netdatacli");
    std::fs::write(&fake, "#!/bin/sh\necho \"not running\" >&2\nexit 255\n").unwrap();
    std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).unwrap();
    let timeout_dir = Command::new("sh")
        .args(["-c", "dirname \"$(command -v timeout)\""])
        .output()
        .expect("sh");
    let system = String::from_utf8_lossy(&timeout_dir.stdout)
        .trim()
        .to_string();
    assert!(!system.is_empty(), "timeout(1) not found");
    let bare = dir.join("bare");
    std::fs::create_dir(&bare).unwrap();
    for (script, arg) in [
        ("packaging/rpm/post.sh", "1"),
        ("packaging/rpm/postun.sh", "1"),
    ] {
        for (case, path) in [
            // Only this test's empty directory: no netdatacli, no timeout.
            ("netdata not installed", bare.display().to_string()),
            (
                "netdata stopped",
                format!("{}:{system}", dir.path().display()),
            ),
        ] {
            let out = Command::new("/bin/sh")
                .arg("-c")
                .arg(read(script))
                .args([script, arg])
                .env_clear()
                .env("PATH", &path)
                .output()
                .expect("/bin/sh");
            assert!(
                out.status.success(),
                "{script} {arg} failed with {case}: {:?} {}",
                out.status,
                String::from_utf8_lossy(&out.stderr)
            );
            assert!(
                out.stdout.is_empty() && out.stderr.is_empty(),
                "{script} {arg} said something with {case}: {} {}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }
}

/// No package carries a made-up address or page: no host under the names
/// RFC 2606 reserves for examples (the .deb's Maintainer is under .invalid,
/// which says that no address exists).
#[test]
fn packaging_invents_no_example_hosts() {
    let mut files = vec![repo().join("Cargo.toml")];
    let mut dirs = vec![repo().join("packaging")];
    while let Some(d) = dirs.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let p = entry.unwrap().path();
            if p.is_dir() {
                dirs.push(p);
            } else {
                files.push(p);
            }
        }
    }
    for file in files {
        let Ok(text) = std::fs::read_to_string(&file) else {
            continue;
        };
        for (at, _) in text.match_indices(".example") {
            let before = text[..at].chars().next_back();
            let after = text[at + ".example".len()..].chars().next();
            let host_like = before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '-')
                && !after.is_some_and(|c| c.is_ascii_alphanumeric());
            assert!(
                !host_like,
                "{} names an example host: {}",
                file.display(),
                &text[text[..at].rfind(char::is_whitespace).map_or(0, |i| i + 1)..at + 8]
            );
        }
    }
}
