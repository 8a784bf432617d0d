//! The plugin's one error type: small, `Copy`, with static context.

use std::fmt;

use crate::sys::Errno;

/// Why the plugin stops with an error.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Error {
    /// A data source cannot be used at start-up: the plugin prints
    /// `DISABLE` and exits 1.
    Source {
        /// The file, sysctl or setting.
        what: &'static str,
        reason: &'static str,
        errno: Option<Errno>,
    },
    /// Netdata closed the pipe: exit 0 quietly.
    BrokenPipe,
    /// Writing to stdout failed for another reason.
    Output(Errno),
    /// A start-up step (signal handlers, the wake-up pipe) failed.
    Setup {
        what: &'static str,
        errno: Option<Errno>,
    },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Error::Source {
                what,
                reason,
                errno,
            } => {
                write!(f, "{what}: {reason}")?;
                if let Some(e) = errno {
                    write!(f, ": {}", e.describe().as_str())?;
                }
                Ok(())
            }
            Error::BrokenPipe => f.write_str("netdata closed the output pipe"),
            Error::Output(e) => write!(f, "cannot write to stdout: {}", e.describe().as_str()),
            Error::Setup { what, errno } => {
                write!(f, "cannot {what}")?;
                if let Some(e) = errno {
                    write!(f, ": {}", e.describe().as_str())?;
                }
                Ok(())
            }
        }
    }
}

impl std::error::Error for Error {}

impl From<Errno> for Error {
    /// An error writing to stdout.
    fn from(e: Errno) -> Error {
        if e == Errno::PIPE {
            Error::BrokenPipe
        } else {
            Error::Output(e)
        }
    }
}
