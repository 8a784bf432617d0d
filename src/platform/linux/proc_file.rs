//! A file re-read whole with one `pread` per sample into a buffer sized at
//! start-up.
//!
//! Files on procfs can be neither deleted nor replaced, so their descriptor
//! is kept for ever and a sample costs exactly one `pread`. Anywhere else (a
//! fixture tree behind `NETDATA_HOST_PREFIX`) the path is checked with
//! `stat` before each read and the file reopened when it was replaced, so a
//! vanished file reads as missing instead of as its old contents.

use std::ffi::{CStr, CString};
use std::fs::File;
use std::os::fd::AsFd;
use std::os::unix::fs::{FileExt, MetadataExt};

use super::sys::{self, FileId};
use crate::error::Error;
use crate::sys::Errno;

/// The read buffer a file starts with; grown (at start-up only) until it
/// holds the file twice over, which leaves room for counters that grow
/// longer. Small buffers keep the resident memory small: /proc/net/netstat
/// is about 5 KiB on Linux 6.x, /proc/net/snmp 2 KiB.
const INITIAL_BUFFER: usize = 4 * 1024;
const MAX_BUFFER: usize = 4 * 1024 * 1024;

/// Builds `$prefix/relative` once, for the life of the process.
fn leak_path(prefix: &str, relative: &str) -> Result<(&'static str, &'static CStr), Error> {
    let full = format!("{}{}", prefix.trim_end_matches('/'), relative);
    let c = CString::new(full.clone()).map_err(|_| Error::Source {
        what: "NETDATA_HOST_PREFIX",
        reason: "contains a NUL byte",
        errno: None,
    })?;
    Ok((
        Box::leak(full.into_boxed_str()),
        Box::leak(c.into_boxed_c_str()),
    ))
}

fn id(f: &File) -> Option<FileId> {
    let m = f.metadata().ok()?;
    Some(FileId {
        dev: m.dev(),
        ino: m.ino(),
    })
}

/// The bytes of one read.
#[derive(Clone, Copy, Debug)]
pub struct Contents<'a> {
    /// Whole lines only.
    pub text: &'a [u8],
    /// The file filled the buffer, so its last (possibly cut) line was
    /// dropped.
    pub cut: bool,
}

/// A file re-read whole with one `pread` per sample.
#[derive(Debug)]
pub struct ProcFile {
    /// `$NETDATA_HOST_PREFIX` and the file's path, for messages.
    pub path: &'static str,
    cpath: &'static CStr,
    file: Option<File>,
    id: Option<FileId>,
    on_procfs: bool,
    buf: Box<[u8]>,
}

impl ProcFile {
    /// Opens `$prefix/relative` and sizes the buffer to hold it twice.
    pub fn open(prefix: &str, relative: &str) -> Result<ProcFile, Error> {
        let (path, cpath) = leak_path(prefix, relative)?;
        let file = File::from(sys::open_read(cpath).map_err(|e| Error::Source {
            what: path,
            reason: "cannot open",
            errno: Some(e),
        })?);
        let on_procfs = sys::is_procfs(file.as_fd());
        let mut f = ProcFile {
            path,
            cpath,
            id: id(&file),
            file: Some(file),
            on_procfs,
            buf: vec![0; INITIAL_BUFFER].into_boxed_slice(),
        };
        loop {
            let n = f.pread().map_err(|e| Error::Source {
                what: path,
                reason: "cannot read",
                errno: Some(e),
            })?;
            if n.saturating_mul(2) <= f.buf.len() || f.buf.len() >= MAX_BUFFER {
                break;
            }
            f.buf = vec![0; f.buf.len() * 2].into_boxed_slice();
        }
        Ok(f)
    }

    /// One `pread` at offset 0 into the buffer.
    fn pread(&mut self) -> Result<usize, Errno> {
        let f = self.file.as_ref().ok_or(Errno::NOENT)?;
        loop {
            match f.read_at(&mut self.buf, 0) {
                Ok(n) => return Ok(n),
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(Errno::of(&e)),
            }
        }
    }

    /// Off procfs: makes sure the open file is the one at the path now,
    /// reopening it when it was replaced and closing it when it is gone.
    fn follow_path(&mut self) -> Result<(), Errno> {
        match sys::stat_id(self.cpath) {
            Err(e) => {
                self.file = None;
                Err(e)
            }
            Ok(now) if self.file.is_none() || self.id != Some(now) => {
                self.file = None;
                let f = File::from(sys::open_read(self.cpath)?);
                self.id = id(&f).or(Some(now));
                self.file = Some(f);
                Ok(())
            }
            Ok(_) => Ok(()),
        }
    }

    /// Reads the whole file. When the file fills the buffer, the last,
    /// possibly cut, line is dropped (the caller sees its values as absent,
    /// never as a shortened number).
    pub fn read(&mut self) -> Result<Contents<'_>, Errno> {
        if !self.on_procfs || self.file.is_none() {
            self.follow_path()?;
        }
        let n = match self.pread() {
            Ok(n) => n,
            Err(e) => {
                self.file = None;
                return Err(e);
            }
        };
        if n < self.buf.len() {
            return Ok(Contents {
                text: &self.buf[..n],
                cut: false,
            });
        }
        let end = self
            .buf
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |i| i + 1);
        Ok(Contents {
            text: &self.buf[..end],
            cut: true,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buffer_holds_the_file_twice_and_a_grown_file_loses_only_its_cut_line() {
        let dir = std::env::temp_dir().join(format!("tcp_resets-grow-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("proc/net")).unwrap();
        let path = dir.join("proc/net/snmp");
        let line = "Tcp: 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20\n";
        std::fs::write(&path, line.repeat(100)).unwrap(); // 5.8 KiB
        let mut f = ProcFile::open(dir.to_str().unwrap(), "/proc/net/snmp").unwrap();
        assert!(f.buf.len() >= 2 * line.len() * 100, "{}", f.buf.len());
        let c = f.read().unwrap();
        assert_eq!((c.text.len(), c.cut), (line.len() * 100, false));
        // Grown past the buffer after start-up: whole lines only, no panic.
        std::fs::write(&path, line.repeat(1000)).unwrap();
        let cap = f.buf.len();
        let c = f.read().unwrap();
        assert!(c.cut);
        assert!(c.text.len() <= cap && c.text.ends_with(b"\n"));
        assert_eq!(c.text.len() % line.len(), 0);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn replaced_file_is_reopened_and_a_removed_one_is_missing() {
        let dir = std::env::temp_dir().join(format!("tcp_resets-swap-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("f");
        std::fs::write(&path, "old\n").unwrap();
        let mut f = ProcFile::open(dir.to_str().unwrap(), "/f").unwrap();
        assert_eq!(f.read().unwrap().text, b"old\n");
        std::fs::remove_file(&path).unwrap();
        assert_eq!(f.read().unwrap_err(), Errno::NOENT);
        std::fs::write(dir.join("g"), "new\n").unwrap();
        std::fs::rename(dir.join("g"), &path).unwrap();
        assert_eq!(f.read().unwrap().text, b"new\n");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
