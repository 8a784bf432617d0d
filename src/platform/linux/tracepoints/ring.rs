//! The decoder of a perf mmap ring (`include/uapi/linux/perf_event.h`,
//! 6.12): the fields of `struct perf_event_mmap_page` it uses, the record
//! header, `PERF_RECORD_SAMPLE` with `sample_type == PERF_SAMPLE_RAW`
//! (what `perf.rs` asks for, nothing else) and `PERF_RECORD_LOST`.
//!
//! The data area is a power-of-two number of bytes; `data_head` and
//! `data_tail` are free-running byte counters, taken modulo its size. The
//! kernel writes records at `data_head` and never past `data_tail` (the
//! mapping is writable, so the ring does not overwrite): the bytes in
//! `[data_tail, data_head)` are whole records, 8-byte aligned, one of which
//! may run over the end of the area and go on at its start. Such a record
//! is copied into a buffer on the stack ([`WRAP_BUF`] bytes; a longer one
//! is skipped and counted), so decoding allocates nothing.
//!
//! Pure: the caller hands the data area as bytes and the two counters
//! (`perf.rs` reads them from the mapped page with acquire/release
//! ordering). Corrupt values — a `data_head` more than the area's size
//! ahead of `data_tail`, a record shorter than its header or running past
//! `data_head` — end the walk at `data_head`, counted: it never loops more
//! than once per 8 bytes of the area, and never panics.

use crate::bytes::Field;

// --- struct perf_event_mmap_page (the first page of the mapping) ---------

/// `data_head`: where the kernel will write the next record (uapi
/// `perf_event.h:733`; offset checked with `offsetof` against the headers).
pub const DATA_HEAD: Field<u64> = Field::at(1024);
/// `data_tail`: where user space has read up to (`perf_event.h:734`).
pub const DATA_TAIL: Field<u64> = Field::at(1032);
/// `data_offset`: where the data area begins in the mapping (`:735`).
pub const DATA_OFFSET: Field<u64> = Field::at(1040);
/// `data_size`: the data area's size (`:736`).
pub const DATA_SIZE: Field<u64> = Field::at(1048);

// --- struct perf_event_header (perf_event.h:824) -------------------------

/// `sizeof(struct perf_event_header)`.
pub const HEADER_LEN: usize = 8;
/// `type`: `PERF_RECORD_*`.
pub const HEADER_TYPE: Field<u32> = Field::at(0);
/// `misc`.
pub const HEADER_MISC: Field<u16> = Field::at(4);
/// `size`: the whole record's, header included.
pub const HEADER_SIZE: Field<u16> = Field::at(6);

/// `PERF_RECORD_LOST` (`perf_event.h:898`): `u64 id; u64 lost;`.
pub const PERF_RECORD_LOST: u32 = 2;
/// `PERF_RECORD_SAMPLE` (`perf_event.h:1042`): with only
/// `PERF_SAMPLE_RAW`, `u32 size; char data[size];`.
pub const PERF_RECORD_SAMPLE: u32 = 9;
/// `PERF_RECORD_LOST`'s `id` and `lost`.
pub const LOST_ID: Field<u64> = Field::at(8);
pub const LOST_LOST: Field<u64> = Field::at(16);
/// `PERF_RECORD_SAMPLE`'s raw `size`; the raw bytes follow it.
pub const RAW_SIZE: Field<u32> = Field::at(8);
/// Where the raw bytes of a sample begin.
pub const RAW_DATA: usize = 12;

/// The stack buffer a record that wraps around is copied into. The reset
/// samples are about 100 bytes; a longer wrapped record is skipped.
pub const WRAP_BUF: usize = 512;

/// The data area's place in the mapping, from the first page.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Area {
    pub offset: u64,
    pub size: u64,
}

/// Reads `data_offset` and `data_size` from the first page; `None` when
/// the page is short or the size not a power of two.
pub fn area(page: &[u8]) -> Option<Area> {
    let a = Area {
        offset: DATA_OFFSET.read(page)?,
        size: DATA_SIZE.read(page)?,
    };
    a.size.is_power_of_two().then_some(a)
}

/// One record of the ring.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Record<'a> {
    /// A `PERF_RECORD_SAMPLE`'s raw bytes (the `u32` size removed).
    Sample(&'a [u8]),
    /// `PERF_RECORD_LOST`: `lost` samples were dropped, the ring being
    /// full, on the event whose id is `id`.
    Lost { id: u64, lost: u64 },
}

/// What one walk found.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Walk {
    /// The new `data_tail`: always the `head` given.
    pub tail: u64,
    pub samples: u64,
    /// Records lost, as `PERF_RECORD_LOST` reported (the sum of `lost`).
    pub lost: u64,
    /// Records of another type, skipped.
    pub other: u64,
    /// Records that wrapped and were longer than [`WRAP_BUF`], skipped.
    pub too_long: u64,
    /// Times the ring's bytes made no sense and the rest was skipped.
    pub corrupt: u64,
}

/// Walks the records in `[tail, head)` of the data area `data` (its whole
/// length, a power of two), handing each to `f`.
pub fn walk(data: &[u8], tail: u64, head: u64, mut f: impl FnMut(Record<'_>)) -> Walk {
    let mut w = Walk {
        tail: head,
        ..Walk::default()
    };
    let size = data.len() as u64;
    let pending = head.wrapping_sub(tail);
    if pending == 0 {
        return w;
    }
    if !size.is_power_of_two() || pending > size {
        w.corrupt += 1;
        return w;
    }
    let mask = size - 1;
    let mut at = tail;
    while at != head {
        let left = head.wrapping_sub(at);
        let start = (at & mask) as usize;
        let mut hb = [0u8; HEADER_LEN];
        if left < HEADER_LEN as u64 || !copy_out(data, start, &mut hb) {
            w.corrupt += 1;
            break;
        }
        let len = HEADER_SIZE.read(&hb).map_or(0, usize::from);
        if len < HEADER_LEN || len as u64 > left {
            w.corrupt += 1;
            break;
        }
        let ty = HEADER_TYPE.read(&hb).unwrap_or(0);
        if start + len <= data.len() {
            record(&data[start..start + len], ty, &mut w, &mut f);
        } else if len <= WRAP_BUF {
            let mut buf = [0u8; WRAP_BUF];
            copy_out(data, start, &mut buf[..len]);
            record(&buf[..len], ty, &mut w, &mut f);
        } else {
            w.too_long += 1;
        }
        at = at.wrapping_add(len as u64);
    }
    w
}

/// Copies `out.len()` bytes from `start` on, going on at the start of
/// `data` past its end; false when `out` is longer than `data`.
fn copy_out(data: &[u8], start: usize, out: &mut [u8]) -> bool {
    if out.len() > data.len() || start >= data.len() {
        return false;
    }
    let first = out.len().min(data.len() - start);
    let (a, b) = out.split_at_mut(first);
    a.copy_from_slice(&data[start..start + first]);
    b.copy_from_slice(&data[..b.len()]);
    true
}

/// Decodes one whole record `r` of type `ty`.
fn record(r: &[u8], ty: u32, w: &mut Walk, f: &mut impl FnMut(Record<'_>)) {
    match ty {
        PERF_RECORD_SAMPLE => {
            let raw = RAW_SIZE
                .read(r)
                .and_then(|n| r.get(RAW_DATA..RAW_DATA.checked_add(n as usize)?));
            match raw {
                Some(raw) => {
                    w.samples += 1;
                    f(Record::Sample(raw));
                }
                None => w.corrupt += 1,
            }
        }
        PERF_RECORD_LOST => match (LOST_ID.read(r), LOST_LOST.read(r)) {
            (Some(id), Some(lost)) => {
                w.lost = w.lost.saturating_add(lost);
                f(Record::Lost { id, lost });
            }
            _ => w.corrupt += 1,
        },
        _ => w.other += 1,
    }
}

#[cfg(test)]
mod tests;
