//! The plugin's one error type: small, `Copy`, with static context.

use std::fmt;

use crate::sys::Errno;

/// Why the plugin stops with an error.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Error {
    /// A data source cannot be used at start-up: the plugin prints
    /// `DISABLE` and exits 1.
    Source {
        path: &'static str,
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
            Error::Source { .. } => {
                write!(f, "{}", Cause(*self))?;
                f.write_str("; the plugin disables itself")
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

impl Error {
    /// The message of a start-up error that does not stop the plugin: what
    /// went wrong, without "the plugin disables itself" (what follows from
    /// it is said by the caller).
    pub fn without_consequence(self) -> String {
        match self {
            Error::Source { .. } => Cause(self).to_string(),
            other => other.to_string(),
        }
    }
}

/// What went wrong with a source: `path: reason[: errno text]`.
struct Cause(Error);

impl fmt::Display for Cause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Error::Source {
            path,
            reason,
            errno,
        } = self.0
        {
            write!(f, "{path}: {reason}")?;
            if let Some(e) = errno {
                write!(f, ": {}", e.describe().as_str())?;
            }
        }
        Ok(())
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
