//! The simulated GPUs' memory: one arena of real host memory per device
//! (a small size standing in for the card's total), pinned host buffers,
//! and the faults a fixture declares, applied on every access the
//! reference kernels and copies make.
//!
//! Addresses are unified as on a GPU: device `d`'s arena starts at
//! [`device_base`]`(d)`, pinned host buffers live above [`HOST_BASE`].
//! Memory is accessed in aligned 64-bit words; narrower accesses read and
//! write inside their word (little-endian), so a fault at a bit of a word
//! shows through any access width.

use serde::Deserialize;
use std::collections::BTreeMap;

/// Where device 0's memory starts; device `d` at `DEVICE_BASE + d << 40`.
pub const DEVICE_BASE: u64 = 0x7000_0000_0000;
/// Where pinned host buffers start.
pub const HOST_BASE: u64 = 0x5000_0000_0000;

/// Device `d`'s first address.
pub const fn device_base(d: u32) -> u64 {
    DEVICE_BASE + ((d as u64) << 40)
}

/// How a faulty cell behaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FaultKind {
    /// The bit always reads 0.
    Stuck0,
    /// The bit always reads 1.
    Stuck1,
    /// A write that flips the bit at `offset` flips the same bit at
    /// `victim` (an inversion coupling fault between two addresses).
    Coupling,
}

/// A fault a fixture declares in `memory_faults`: `offset` is a byte
/// offset into the device's memory (rounded down to its 64-bit word),
/// `bit` a bit of that word.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MemoryFault {
    pub offset: u64,
    pub bit: u32,
    pub kind: FaultKind,
    /// The coupled cell's byte offset (coupling only).
    #[serde(default)]
    pub victim: Option<u64>,
}

/// One device's memory.
#[derive(Debug)]
pub struct Arena {
    pub words: Vec<u64>,
    /// Stuck bits by word: (mask, value).
    stuck: BTreeMap<usize, (u64, u64)>,
    /// Couplings by aggressor word: (mask, victim word).
    coupled: BTreeMap<usize, Vec<(u64, usize)>>,
    /// Whether any fault is declared (the fast path skips the maps).
    faulty: bool,
}

impl Arena {
    pub fn new(bytes: u64, faults: &[MemoryFault]) -> Self {
        let n = (bytes / 8) as usize;
        let mut a = Arena {
            words: vec![0; n],
            stuck: BTreeMap::new(),
            coupled: BTreeMap::new(),
            faulty: false,
        };
        for f in faults {
            let w = (f.offset / 8) as usize;
            let mask = 1u64 << (f.bit & 63);
            if w >= n {
                continue;
            }
            a.faulty = true;
            match f.kind {
                FaultKind::Stuck0 => {
                    let e = a.stuck.entry(w).or_insert((0, 0));
                    e.0 |= mask;
                    e.1 &= !mask;
                }
                FaultKind::Stuck1 => {
                    let e = a.stuck.entry(w).or_insert((0, 0));
                    e.0 |= mask;
                    e.1 |= mask;
                }
                FaultKind::Coupling => {
                    if let Some(v) = f.victim.map(|v| (v / 8) as usize).filter(|&v| v < n) {
                        a.coupled.entry(w).or_default().push((mask, v));
                    }
                }
            }
        }
        for (&w, &(mask, value)) in &a.stuck {
            a.words[w] = (a.words[w] & !mask) | value;
        }
        a
    }

    #[inline]
    pub fn get(&self, w: usize) -> u64 {
        self.words[w]
    }

    #[inline]
    pub fn set(&mut self, w: usize, v: u64) {
        if !self.faulty {
            self.words[w] = v;
            return;
        }
        let old = self.words[w];
        let v = match self.stuck.get(&w) {
            Some(&(mask, value)) => (v & !mask) | value,
            None => v,
        };
        self.words[w] = v;
        if let Some(c) = self.coupled.get(&w) {
            for &(mask, victim) in c.clone().iter() {
                if (old ^ v) & mask != 0 {
                    let flipped = self.words[victim] ^ mask;
                    let flipped = match self.stuck.get(&victim) {
                        Some(&(m, val)) => (flipped & !m) | val,
                        None => flipped,
                    };
                    self.words[victim] = flipped;
                }
            }
        }
    }
}

/// Every simulated device's memory and the pinned host buffers.
#[derive(Debug, Default)]
pub struct Mem {
    pub devices: Vec<Arena>,
    /// Pinned host buffers by base address.
    pub host: BTreeMap<u64, Vec<u64>>,
}

/// Where an address lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    Device(usize, usize),
    Host(u64, usize),
}

impl Mem {
    /// The word holding `addr`, or an error naming the address (as an
    /// illegal address would fault on a GPU).
    pub fn place(&self, addr: u64) -> Result<Place, String> {
        if addr >= DEVICE_BASE {
            let d = ((addr - DEVICE_BASE) >> 40) as usize;
            let w = (((addr - DEVICE_BASE) & ((1 << 40) - 1)) / 8) as usize;
            if d < self.devices.len() && w < self.devices[d].words.len() {
                return Ok(Place::Device(d, w));
            }
        } else if let Some((&base, buf)) = self.host.range(..=addr).next_back() {
            let w = ((addr - base) / 8) as usize;
            if w < buf.len() {
                return Ok(Place::Host(base, w));
            }
        }
        Err(format!("illegal address {addr:#x}"))
    }

    pub fn r64(&self, addr: u64) -> Result<u64, String> {
        Ok(match self.place(addr)? {
            Place::Device(d, w) => self.devices[d].get(w),
            Place::Host(b, w) => self.host[&b][w],
        })
    }

    pub fn w64(&mut self, addr: u64, v: u64) -> Result<(), String> {
        match self.place(addr)? {
            Place::Device(d, w) => self.devices[d].set(w, v),
            Place::Host(b, w) => {
                if let Some(buf) = self.host.get_mut(&b) {
                    buf[w] = v;
                }
            }
        }
        Ok(())
    }

    /// Reads `bytes` (1, 2, 4 or 8) little-endian bytes at `addr`, inside
    /// one word.
    pub fn read(&self, addr: u64, bytes: u32) -> Result<u64, String> {
        let w = self.r64(addr & !7)?;
        let shift = (addr & 7) * 8;
        Ok(if bytes >= 8 {
            w
        } else {
            (w >> shift) & ((1u64 << (bytes * 8)) - 1)
        })
    }

    /// Writes the low `bytes` bytes of `v` at `addr`, inside one word.
    pub fn write(&mut self, addr: u64, bytes: u32, v: u64) -> Result<(), String> {
        if bytes >= 8 {
            return self.w64(addr, v);
        }
        let base = addr & !7;
        let shift = (addr & 7) * 8;
        let mask = ((1u64 << (bytes * 8)) - 1) << shift;
        let old = self.r64(base)?;
        self.w64(base, (old & !mask) | ((v << shift) & mask))
    }

    pub fn r32(&self, addr: u64) -> Result<u32, String> {
        self.read(addr, 4).map(|v| v as u32)
    }
    pub fn w32(&mut self, addr: u64, v: u32) -> Result<(), String> {
        self.write(addr, 4, u64::from(v))
    }
    pub fn r16(&self, addr: u64) -> Result<u16, String> {
        self.read(addr, 2).map(|v| v as u16)
    }
    pub fn w16(&mut self, addr: u64, v: u16) -> Result<(), String> {
        self.write(addr, 2, u64::from(v))
    }
    pub fn rf32(&self, addr: u64) -> Result<f32, String> {
        self.r32(addr).map(f32::from_bits)
    }
    pub fn wf32(&mut self, addr: u64, v: f32) -> Result<(), String> {
        self.w32(addr, v.to_bits())
    }
    pub fn rf64(&self, addr: u64) -> Result<f64, String> {
        self.r64(addr).map(f64::from_bits)
    }
    pub fn wf64(&mut self, addr: u64, v: f64) -> Result<(), String> {
        self.w64(addr, v.to_bits())
    }

    /// Copies `bytes` from `src` to `dst` word by word (both 8-aligned,
    /// `bytes` a multiple of 8; a tail is copied bytewise).
    pub fn copy(&mut self, dst: u64, src: u64, bytes: u64) -> Result<(), String> {
        let words = bytes / 8;
        for i in 0..words {
            let v = self.r64(src + 8 * i)?;
            self.w64(dst + 8 * i, v)?;
        }
        for b in words * 8..bytes {
            let v = self.read(src + b, 1)?;
            self.write(dst + b, 1, v)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mem(faults: &[MemoryFault]) -> Mem {
        Mem {
            devices: vec![Arena::new(1 << 16, faults)],
            host: BTreeMap::new(),
        }
    }

    #[test]
    fn a_stuck_bit_reads_its_value_whatever_is_written() {
        let f = MemoryFault {
            offset: 4096,
            bit: 3,
            kind: FaultKind::Stuck1,
            victim: None,
        };
        let mut m = mem(&[f]);
        let a = device_base(0) + 4096;
        m.w64(a, 0).unwrap();
        assert_eq!(m.r64(a).unwrap(), 8);
        m.w32(a + 4, 0).unwrap();
        assert_eq!(m.r32(a).unwrap(), 8, "a narrow access sees the bit");
        let f0 = MemoryFault {
            kind: FaultKind::Stuck0,
            ..f
        };
        let mut m = mem(&[f0]);
        m.w64(a, u64::MAX).unwrap();
        assert_eq!(m.r64(a).unwrap(), !8);
        m.w64(a + 8, u64::MAX).unwrap();
        assert_eq!(m.r64(a + 8).unwrap(), u64::MAX, "the next word is sound");
    }

    #[test]
    fn a_coupled_write_flips_the_victim() {
        let f = MemoryFault {
            offset: 64,
            bit: 5,
            kind: FaultKind::Coupling,
            victim: Some(1024),
        };
        let mut m = mem(&[f]);
        let (agg, vic) = (device_base(0) + 64, device_base(0) + 1024);
        m.w64(vic, 0).unwrap();
        m.w64(agg, 1 << 4).unwrap();
        assert_eq!(m.r64(vic).unwrap(), 0, "another bit does not couple");
        m.w64(agg, 1 << 5).unwrap();
        assert_eq!(m.r64(vic).unwrap(), 1 << 5);
        m.w64(agg, 1 << 5).unwrap();
        assert_eq!(m.r64(vic).unwrap(), 1 << 5, "no transition, no flip");
    }

    #[test]
    fn addresses_outside_every_buffer_are_illegal() {
        let mut m = mem(&[]);
        assert!(m.r64(device_base(0) + (1 << 16)).is_err());
        assert!(m.r64(device_base(1)).is_err());
        assert!(m.w64(HOST_BASE, 1).is_err());
        m.host.insert(HOST_BASE, vec![0; 4]);
        m.w64(HOST_BASE + 24, 7).unwrap();
        assert_eq!(m.r64(HOST_BASE + 24).unwrap(), 7);
        assert!(m.r64(HOST_BASE + 32).is_err());
    }
}
