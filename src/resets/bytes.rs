//! Typed fields at byte offsets: the reader every decoder of this module
//! uses (the same idea as `freebsd::pcblist`, kept here so that `resets`
//! depends on nothing else in the crate).
//!
//! Unlike pcblist's, an offset may be known only at run time (tracefs
//! `format` files give them), so [`Field::at`] is also called with offsets
//! read at start-up; a read past the end of the bytes is `None`, never a
//! panic.

use std::fmt;
use std::marker::PhantomData;

/// A value that can be read from bytes: a native-endian integer, or a run
/// of bytes kept as they are.
pub trait Scalar: Sized {
    /// Its length in bytes.
    const SIZE: usize;
    /// The value in `b`, which is exactly [`Self::SIZE`] bytes long.
    fn from_bytes(b: &[u8]) -> Option<Self>;
}

macro_rules! scalar {
    ($($t:ty),*) => {$(
        impl Scalar for $t {
            const SIZE: usize = std::mem::size_of::<$t>();
            fn from_bytes(b: &[u8]) -> Option<Self> {
                Some(<$t>::from_ne_bytes(b.try_into().ok()?))
            }
        }
    )*};
}
scalar!(u8, u16, i32, u32, u64);

impl<const N: usize> Scalar for [u8; N] {
    const SIZE: usize = N;
    fn from_bytes(b: &[u8]) -> Option<Self> {
        b.try_into().ok()
    }
}

/// A field of type `T` at a byte offset from the start of a record.
pub struct Field<T> {
    offset: usize,
    kind: PhantomData<fn() -> T>,
}

impl<T> Clone for Field<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for Field<T> {}

impl<T> PartialEq for Field<T> {
    fn eq(&self, other: &Self) -> bool {
        self.offset == other.offset
    }
}

impl<T> Eq for Field<T> {}

impl<T> fmt::Debug for Field<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Field({})", self.offset)
    }
}

impl<T: Scalar> Field<T> {
    /// The field at `offset`.
    pub const fn at(offset: usize) -> Field<T> {
        Field {
            offset,
            kind: PhantomData,
        }
    }

    /// Its offset from the start of the record.
    pub const fn offset(self) -> usize {
        self.offset
    }

    /// The offset of the first byte after it.
    pub const fn end(self) -> usize {
        self.offset + T::SIZE
    }

    /// Its value in `b`, or `None` when `b` is too short to hold it.
    pub fn read(self, b: &[u8]) -> Option<T> {
        T::from_bytes(b.get(self.offset..self.offset.checked_add(T::SIZE)?)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_native_endian_at_offset() {
        let b = [0xff, 1, 0, 0, 0, 9];
        assert_eq!(
            Field::<u32>::at(1).read(&b),
            Some(u32::from_ne_bytes([1, 0, 0, 0]))
        );
        assert_eq!(Field::<[u8; 2]>::at(4).read(&b), Some([0, 9]));
    }

    #[test]
    fn short_or_huge_offsets_are_none() {
        let b = [0u8; 4];
        assert_eq!(Field::<u32>::at(1).read(&b), None);
        assert_eq!(Field::<u64>::at(usize::MAX - 2).read(&b), None);
    }
}
