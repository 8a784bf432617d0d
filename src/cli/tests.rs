use super::*;

fn run(args: &[&str]) -> Result<Command, UsageError> {
    parse(args.iter(), |_| None)
}

fn cfg(update_every: u64, iterations: Option<u64>) -> Result<Command, UsageError> {
    Ok(Command::Run(Config {
        update_every,
        iterations,
        trace: true,
    }))
}

#[test]
fn netdata_style_single_argument() {
    assert_eq!(run(&["5"]), cfg(5, None));
    assert_eq!(run(&[]), cfg(1, None));
    assert_eq!(run(&["86400"]), cfg(86400, None));
}

#[test]
fn iterations_both_spellings() {
    assert_eq!(run(&["--iterations", "3", "2"]), cfg(2, Some(3)));
    assert_eq!(run(&["2", "--iterations=7"]), cfg(2, Some(7)));
}

#[test]
fn environment_interval_is_the_fallback() {
    let env = |k: &str| (k == "NETDATA_UPDATE_EVERY").then(|| "3".to_string());
    assert_eq!(parse(["--iterations", "1"], env), cfg(3, Some(1)));
    assert_eq!(parse(["4"], env), cfg(4, None));
    let bad = |k: &str| (k == "NETDATA_UPDATE_EVERY").then(|| "x".to_string());
    let e = parse(Vec::<String>::new(), bad).unwrap_err().to_string();
    assert!(e.contains("NETDATA_UPDATE_EVERY 'x'"), "{e}");
}

#[test]
fn bad_values_name_the_value_and_what_is_accepted() {
    for (args, needle) in [
        (
            &["abc"][..],
            "invalid update interval 'abc': expected whole seconds from 1 to 86400",
        ),
        (&["0"][..], "'0'"),
        (&["-5"][..], "invalid update interval '-5'"),
        (&["86401"][..], "'86401'"),
        (&["1.5"][..], "'1.5'"),
        (
            &["99999999999999999999999"][..],
            "'99999999999999999999999'",
        ),
        (&["--bogus"][..], "unknown option '--bogus'"),
        (&["--iterations"][..], "missing value for '--iterations'"),
        (&["--seconds"][..], "missing value for '--seconds'"),
        (&["--iterations", "0"][..], "invalid --iterations value '0'"),
        (&["--iterations", "x"][..], "invalid --iterations value 'x'"),
        (&["1", "2"][..], "unexpected extra argument '2'"),
    ] {
        let e = run(args).unwrap_err().to_string();
        assert!(e.contains(needle), "{args:?}: {e}");
        assert!(!e.contains('\n'));
    }
}

#[test]
fn listeners_by_hand() {
    assert_eq!(
        run(&["--listeners"]),
        Ok(Command::Listeners { json: false })
    );
    assert_eq!(
        run(&["--json", "--listeners"]),
        Ok(Command::Listeners { json: true })
    );
    for (args, needle) in [
        (
            &["--json"][..],
            "option without --listeners or --resets '--json'",
        ),
        (
            &["--listeners", "5"][..],
            "unexpected argument with '--listeners 5'",
        ),
        (
            &["--listeners", "--iterations", "2"][..],
            "unexpected argument with '--listeners --iterations'",
        ),
        (
            &["--listeners", "--seconds", "2"][..],
            "unexpected argument with '--listeners --seconds'",
        ),
    ] {
        let e = run(args).unwrap_err().to_string();
        assert!(e.contains(needle), "{args:?}: {e}");
    }
}

#[test]
fn resets_by_hand() {
    assert_eq!(
        run(&["--resets"]),
        Ok(Command::Resets {
            json: false,
            seconds: RESETS_SECONDS
        })
    );
    assert_eq!(
        run(&["--resets", "--json", "--seconds=3"]),
        Ok(Command::Resets {
            json: true,
            seconds: 3
        })
    );
    assert_eq!(
        run(&["--seconds", "3600", "--resets"]),
        Ok(Command::Resets {
            json: false,
            seconds: 3600
        })
    );
    for (args, needle) in [
        (
            &["--resets", "--seconds", "0"][..],
            "invalid --seconds value '0'",
        ),
        (&["--resets", "--seconds", "3601"][..], "'3601'"),
        (&["--resets", "--seconds", "-1"][..], "'-1'"),
        (
            &["--seconds", "3"][..],
            "option without --listeners or --resets '--seconds'",
        ),
        (&["--resets", "--listeners"][..], "two things asked at once"),
        (
            &["--resets", "5"][..],
            "unexpected argument with '--resets 5'",
        ),
        (&["--resets", "--no-trace"][..], "'--resets --no-trace'"),
    ] {
        let e = run(args).unwrap_err().to_string();
        assert!(e.contains(needle), "{args:?}: {e}");
    }
}

#[test]
fn no_trace_keeps_the_counters_and_the_listeners() {
    assert_eq!(
        run(&["--no-trace", "2"]),
        Ok(Command::Run(Config {
            update_every: 2,
            iterations: None,
            trace: false
        }))
    );
}

#[test]
fn help_and_version() {
    assert_eq!(run(&["--help"]), Ok(Command::Help));
    assert_eq!(run(&["1", "--version"]), Ok(Command::Version));
}
