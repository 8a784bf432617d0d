//! The parser of a kernel CPU list (`/sys/devices/system/cpu/online`:
//! "0-3,5\n"; `Documentation/ABI/testing/sysfs-devices-system-cpu`, printed
//! by `cpumap_print_to_pagebuf()` with `%*pbl`). Pure.

/// The largest CPU number accepted (the kernel's `NR_CPUS` maximum is
/// 8192 on x86-64).
pub const MAX_CPU: u32 = 8191;

/// Why a CPU list does not parse.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CpuListError(pub &'static str);

impl std::fmt::Display for CpuListError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "CPU list: {}", self.0)
    }
}

/// The CPUs of a list like "0-3,5", ascending, each once.
pub fn parse(text: &[u8]) -> Result<Vec<u32>, CpuListError> {
    let text = std::str::from_utf8(text).map_err(|_| CpuListError("not text"))?;
    let text = text.trim();
    if text.is_empty() {
        return Err(CpuListError("empty"));
    }
    let num = |s: &str| -> Result<u32, CpuListError> {
        let n = s.parse::<u32>().map_err(|_| CpuListError("not a number"))?;
        if n > MAX_CPU {
            return Err(CpuListError("CPU number too large"));
        }
        Ok(n)
    };
    let mut cpus: Vec<u32> = Vec::new();
    for part in text.split(',') {
        let (a, b) = match part.split_once('-') {
            Some((a, b)) => (num(a)?, num(b)?),
            None => (num(part)?, num(part)?),
        };
        if a > b {
            return Err(CpuListError("a range ends before it starts"));
        }
        if cpus.last().is_some_and(|&l| l >= a) {
            return Err(CpuListError("not ascending"));
        }
        cpus.extend(a..=b);
    }
    Ok(cpus)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_and_singles() {
        assert_eq!(parse(b"0-3,5\n").unwrap(), vec![0, 1, 2, 3, 5]);
        assert_eq!(parse(b"0\n").unwrap(), vec![0]);
        assert_eq!(parse(b"2,4-5,7").unwrap(), vec![2, 4, 5, 7]);
    }

    #[test]
    fn bad_lists_are_errors() {
        for bad in [
            &b""[..],
            b"\n",
            b"a",
            b"3-1",
            b"1,1",
            b"0-",
            b"-1",
            b"0-9999",
            b"1,,2",
            b"\xff",
        ] {
            assert!(parse(bad).is_err(), "{:?}", String::from_utf8_lossy(bad));
        }
    }
}
