//! Typed fields at named offsets: the one way the kernel's binary answers
//! (sock_diag messages, FreeBSD's sysctl structs) are read.
//!
//! ```
//! use tcp_resets::bytes::Field;
//!
//! /// `struct inet_diag_msg`'s `idiag_uid`.
//! const UID: Field<u32> = Field::at(64);
//! let mut msg = [0u8; 72];
//! msg[64..68].copy_from_slice(&1000u32.to_ne_bytes());
//! assert_eq!(UID.read(&msg), Some(1000));
//! assert_eq!(UID.read(&msg[..66]), None);
//! ```
//!
//! A read past the end of the bytes is `None`, never a panic. Integers are
//! native-endian; fields the kernel keeps in network byte order are byte
//! arrays, turned into numbers by the caller (`u16::from_be_bytes`).

use std::fmt;
use std::marker::PhantomData;

/// A value that can be read from bytes: a native-endian integer, or a run
/// of bytes kept as they are.
pub trait Scalar: Sized {
    /// Its length in bytes.
    const SIZE: usize;
    /// The C type of the same width and signedness (`<stdint.h>`'s), for
    /// the check against C headers; `None` for a run of bytes.
    const C_TYPE: Option<&'static str>;
    /// The value in `b`, which is exactly [`Self::SIZE`] bytes long.
    fn from_bytes(b: &[u8]) -> Option<Self>;
    /// Writes the value into `b`, which is exactly [`Self::SIZE`] bytes
    /// long.
    fn to_bytes(&self, b: &mut [u8]);
}

macro_rules! scalar {
    ($($t:ty => $c:literal),*) => {$(
        impl Scalar for $t {
            const SIZE: usize = std::mem::size_of::<$t>();
            const C_TYPE: Option<&'static str> = Some($c);
            fn from_bytes(b: &[u8]) -> Option<Self> {
                Some(<$t>::from_ne_bytes(b.try_into().ok()?))
            }
            fn to_bytes(&self, b: &mut [u8]) {
                b.copy_from_slice(&self.to_ne_bytes());
            }
        }
    )*};
}
scalar!(u8 => "uint8_t", i16 => "int16_t", u16 => "uint16_t", i32 => "int32_t",
    u32 => "uint32_t", u64 => "uint64_t");

impl<const N: usize> Scalar for [u8; N] {
    const SIZE: usize = N;
    const C_TYPE: Option<&'static str> = None;
    fn from_bytes(b: &[u8]) -> Option<Self> {
        b.try_into().ok()
    }
    fn to_bytes(&self, b: &mut [u8]) {
        b.copy_from_slice(self);
    }
}

/// A field of type `T` at a byte offset from the start of a struct.
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

    /// Its offset from the start of the struct.
    pub const fn offset(self) -> usize {
        self.offset
    }

    /// Its length in bytes.
    pub const fn size(self) -> usize {
        T::SIZE
    }

    /// The offset of the first byte after it.
    pub const fn end(self) -> usize {
        self.offset + T::SIZE
    }

    /// Its value in `b`, or `None` when `b` is too short to hold it (an
    /// offset read at run time may be anything).
    pub fn read(self, b: &[u8]) -> Option<T> {
        T::from_bytes(b.get(self.offset..self.offset.checked_add(T::SIZE)?)?)
    }

    /// Writes `v` into `b` at its offset (requests, and the tests' images
    /// of kernel answers). Panics when `b` is too short: the caller sizes
    /// what it builds.
    pub fn write(self, b: &mut [u8], v: T) {
        v.to_bytes(&mut b[self.offset..self.end()]);
    }
}

/// The largest of `ends`, in a `const` context: the length a record must
/// have for every field read from it.
pub const fn max_end(ends: &[usize]) -> usize {
    let mut m = 0;
    let mut i = 0;
    while i < ends.len() {
        if ends[i] > m {
            m = ends[i];
        }
        i += 1;
    }
    m
}

/// A fact about a C struct or macro that a decoder relies on, checked
/// against the C headers: [`CFact::c_assert`] writes it as a C11
/// `_Static_assert` (`examples/c_layout.rs` prints them all).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CFact {
    /// `offsetof(strukt, member) == offset`, `sizeof` the member is `size`
    /// and, when given, its type is `c_type` (width and signedness).
    Member {
        strukt: &'static str,
        member: &'static str,
        offset: usize,
        size: usize,
        c_type: Option<&'static str>,
    },
    /// `sizeof(strukt) == size`.
    Size { strukt: &'static str, size: usize },
    /// The macro `name` has the value `value`.
    Value { name: &'static str, value: i64 },
}

impl CFact {
    /// The fact as C11 `_Static_assert`s, each with a message that says
    /// which Rust constant disagrees with the header.
    pub fn c_assert(&self) -> String {
        match *self {
            CFact::Member {
                strukt,
                member,
                offset,
                size,
                c_type,
            } => {
                let mut c = format!(
                    "_Static_assert(offsetof({strukt}, {member}) == {offset}, \
                     \"{member} of {strukt} is not at offset {offset}\");\n\
                     _Static_assert(sizeof((({strukt} *)0)->{member}) == {size}, \
                     \"{member} of {strukt} is not {size} bytes\");\n"
                );
                if let Some(t) = c_type {
                    c.push_str(&format!(
                        "_Static_assert(_Generic((({strukt} *)0)->{member}, {t}: 1, default: 0), \
                         \"{member} of {strukt} is not a {t}\");\n"
                    ));
                }
                c
            }
            CFact::Size { strukt, size } => format!(
                "_Static_assert(sizeof({strukt}) == {size}, \"sizeof({strukt}) is not {size}\");\n"
            ),
            CFact::Value { name, value } => {
                format!("_Static_assert({name} == {value}, \"{name} is not {value}\");\n")
            }
        }
    }

    /// The fact about `field`, which is `member` of `strukt`.
    pub const fn member<T: Scalar>(
        strukt: &'static str,
        member: &'static str,
        field: Field<T>,
    ) -> CFact {
        CFact::Member {
            strukt,
            member,
            offset: field.offset,
            size: T::SIZE,
            c_type: T::C_TYPE,
        }
    }
}

/// Declares the fields of one C struct as [`Field`] constants and, as
/// `$facts`, the list of their [`CFact`]s, so that no field escapes the
/// check against the C header:
///
/// ```ignore
/// c_fields! { XINPGEN_FIELDS = "struct xinpgen";
///     /// `xig_len`: the length of this struct.
///     XIG_LEN: u64 = "xig_len" @ 0;
/// }
/// ```
macro_rules! c_fields {
    ($facts:ident = $strukt:literal;
     $( $(#[$doc:meta])* $name:ident : $t:ty = $member:literal @ $off:expr; )*) => {
        $( $(#[$doc])* pub const $name: $crate::bytes::Field<$t> = $crate::bytes::Field::at($off); )*
        #[doc = concat!("The members of `", $strukt, "` read here, for the check against the C header.")]
        pub const $facts: &[$crate::bytes::CFact] = &[
            $( $crate::bytes::CFact::member($strukt, $member, $name), )*
        ];
    };
}
pub(crate) use c_fields;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_within_bounds_only() {
        const F: Field<u16> = Field::at(3);
        let b = [0, 1, 2, 0x34, 0x12, 5];
        assert_eq!(F.read(&b), Some(u16::from_ne_bytes([0x34, 0x12])));
        assert_eq!(F.read(&b[..4]), None);
        assert_eq!(F.read(&[]), None);
        assert_eq!(Field::<u64>::at(usize::MAX - 2).read(&b), None);
        assert_eq!((F.offset(), F.size(), F.end()), (3, 2, 5));
        const A: Field<[u8; 4]> = Field::at(2);
        assert_eq!(A.read(&b), Some([2, 0x34, 0x12, 5]));
    }

    #[test]
    fn facts_become_static_assertions() {
        const F: Field<u16> = Field::at(262);
        let m = CFact::member("struct x", "a.b", F).c_assert();
        assert!(
            m.contains("_Static_assert(offsetof(struct x, a.b) == 262,"),
            "{m}"
        );
        assert!(m.contains("sizeof(((struct x *)0)->a.b) == 2,"), "{m}");
        assert!(
            m.contains("_Generic(((struct x *)0)->a.b, uint16_t: 1, default: 0)"),
            "{m}"
        );
        const B: Field<[u8; 4]> = Field::at(0);
        assert!(!CFact::member("struct x", "c", B)
            .c_assert()
            .contains("_Generic"));
        let v = CFact::Value {
            name: "SO_ACCEPTCONN",
            value: 2,
        }
        .c_assert();
        assert_eq!(
            v,
            "_Static_assert(SO_ACCEPTCONN == 2, \"SO_ACCEPTCONN is not 2\");\n"
        );
    }

    #[test]
    fn max_end_is_the_largest() {
        assert_eq!(max_end(&[]), 0);
        assert_eq!(max_end(&[4, 12, 8]), 12);
    }
}
