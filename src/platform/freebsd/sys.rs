//! FreeBSD's own libc calls: `sysctl`, into buffers the caller sized.
#![allow(unsafe_code)]

use crate::sys::Errno;

/// One `sysctl` read of `mib` into `buf`; returns the bytes the kernel
/// wrote.
pub(crate) fn sysctl_read(mib: &[libc::c_int], buf: &mut [u8]) -> Result<usize, Errno> {
    let mut len: libc::size_t = buf.len();
    // SAFETY: `mib` points to `mib.len()` valid ints, `buf` to `len`
    // writable bytes and `len` to a valid size_t, all outliving the call;
    // no new value is set (null, 0).
    let r = unsafe {
        libc::sysctl(
            mib.as_ptr(),
            mib.len() as libc::c_uint,
            buf.as_mut_ptr().cast(),
            &mut len,
            std::ptr::null(),
            0,
        )
    };
    if r != 0 {
        return Err(Errno::last());
    }
    Ok(len.min(buf.len()))
}

/// The size in bytes of the value behind `mib`.
pub(crate) fn sysctl_size(mib: &[libc::c_int]) -> Result<usize, Errno> {
    let mut len: libc::size_t = 0;
    // SAFETY: a null output buffer asks only for the size, written to the
    // valid `len`; `mib` points to `mib.len()` valid ints.
    let r = unsafe {
        libc::sysctl(
            mib.as_ptr(),
            mib.len() as libc::c_uint,
            std::ptr::null_mut(),
            &mut len,
            std::ptr::null(),
            0,
        )
    };
    if r != 0 {
        return Err(Errno::last());
    }
    Ok(len)
}
