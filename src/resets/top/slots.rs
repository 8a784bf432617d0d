//! The table's slots: the open-addressing index from a key's hash to its
//! row, and the min-heap of counts whose root Space-Saving replaces.

use super::{Key, Slot, Top, EMPTY, MINUTES, TICKS};

impl Top {
    pub(super) fn find(&self, key: &Key, hash: u64) -> Option<usize> {
        let mask = self.index.len() - 1;
        let mut i = hash as usize & mask;
        loop {
            let r = self.index[i];
            if r == EMPTY {
                return None;
            }
            let s = &self.slots[r as usize];
            if s.hash == hash && s.key == *key {
                return Some(r as usize);
            }
            i = (i + 1) & mask;
        }
    }

    pub(super) fn index_insert(&mut self, hash: u64, row: u32) {
        let mask = self.index.len() - 1;
        let mut i = hash as usize & mask;
        while self.index[i] != EMPTY {
            i = (i + 1) & mask;
        }
        self.index[i] = row;
    }

    /// Removes `row` from the index (backward-shift deletion: no
    /// tombstones, so lookups stay short however many keys come and go).
    pub(super) fn index_remove(&mut self, hash: u64, row: u32) {
        let mask = self.index.len() - 1;
        let mut i = hash as usize & mask;
        while self.index[i] != row {
            i = (i + 1) & mask;
        }
        let mut hole = i;
        let mut j = i;
        loop {
            j = (j + 1) & mask;
            let r = self.index[j];
            if r == EMPTY {
                break;
            }
            let home = self.slots[r as usize].hash as usize & mask;
            // Move r into the hole unless its home lies in (hole, j].
            if (j.wrapping_sub(home) & mask) >= (j.wrapping_sub(hole) & mask) {
                self.index[hole] = r;
                hole = j;
            }
        }
        self.index[hole] = EMPTY;
    }

    /// A row for a new key: a free one, or the smallest one's.
    pub(super) fn admit(&mut self, key: Key, hash: u64, now: u64) -> usize {
        let tick = self.tick;
        let fresh = |s: &mut Slot, error: u64| {
            s.key = key;
            s.hash = hash;
            s.ticks = [0; TICKS];
            s.minutes = [0; MINUTES];
            s.ticks[(tick % TICKS as u64) as usize] = error as u32;
            s.minutes[(tick / 6 % MINUTES as u64) as usize] = error as u32;
            s.minute = error;
            s.ten = error;
            s.first_seen = now;
            s.last_seen = now;
            s.error = error;
            s.admitted = tick;
        };
        if self.used < self.slots.len() {
            let row = self.used;
            self.used += 1;
            fresh(&mut self.slots[row], 0);
            self.slots[row].heap_at = self.heap.len() as u32;
            self.heap.push(row as u32);
            self.index_insert(hash, row as u32);
            self.sift_up(self.heap.len() - 1);
            return row;
        }
        let row = self.heap[0] as usize;
        let old_hash = self.slots[row].hash;
        self.index_remove(old_hash, row as u32);
        // The inherited count stays within a bucket's u32: an event count
        // is added one at a time, so it cannot exceed u32 in 10 s.
        let m = self.slots[row].ten.min(u64::from(u32::MAX) / 2);
        fresh(&mut self.slots[row], m);
        self.index_insert(hash, row as u32);
        self.evictions += 1;
        row
    }

    pub(super) fn count(&self, heap_at: usize) -> u64 {
        self.slots[self.heap[heap_at] as usize].ten
    }

    pub(super) fn swap(&mut self, a: usize, b: usize) {
        self.heap.swap(a, b);
        self.slots[self.heap[a] as usize].heap_at = a as u32;
        self.slots[self.heap[b] as usize].heap_at = b as u32;
    }

    pub(super) fn sift_up(&mut self, mut i: usize) {
        while i > 0 {
            let parent = (i - 1) / 2;
            if self.count(parent) <= self.count(i) {
                break;
            }
            self.swap(parent, i);
            i = parent;
        }
    }

    pub(super) fn sift_down(&mut self, mut i: usize) {
        let n = self.heap.len();
        loop {
            let (l, r) = (2 * i + 1, 2 * i + 2);
            let mut least = i;
            if l < n && self.count(l) < self.count(least) {
                least = l;
            }
            if r < n && self.count(r) < self.count(least) {
                least = r;
            }
            if least == i {
                return;
            }
            self.swap(i, least);
            i = least;
        }
    }
}
