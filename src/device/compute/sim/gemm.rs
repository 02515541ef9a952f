//! The simulated cuBLASLt: a host reference of the product.

use super::mem::Mem;
use crate::device::compute::{DevPtr, Dtype, GemmSpec};

/// Host reference of a cuBLASLt product ([`GemmSpec`]'s layout),
/// accumulated in f64 and stored in the output type.
pub fn reference_gemm(
    m: &mut Mem,
    spec: GemmSpec,
    a: DevPtr,
    b: DevPtr,
    c: DevPtr,
) -> Result<(), String> {
    let eb = spec.input_bytes();
    // Each operand read once, word by word (a per-element read costs an
    // address lookup per multiply-add: seconds for one small product in
    // a debug build).
    let load = |m: &Mem, p: DevPtr, count: u64| -> Result<Vec<f64>, String> {
        (0..count)
            .map(|i| {
                let bits = m.read(p + eb * i, eb as u32)?;
                Ok(match spec.dtype {
                    Dtype::Bf16 => f64::from(f32::from_bits((bits as u32) << 16)),
                    Dtype::Fp16 => f64::from(half_to_f32(bits as u16)),
                    Dtype::Tf32 | Dtype::Fp32 => f64::from(f32::from_bits(bits as u32)),
                    Dtype::Fp64 => f64::from_bits(bits),
                })
            })
            .collect()
    };
    let av = load(m, a, spec.m * spec.k)?;
    let bv = load(m, b, spec.n * spec.k)?;
    let k = spec.k as usize;
    for i in 0..spec.m as usize {
        let ar = &av[i * k..(i + 1) * k];
        for j in 0..spec.n as usize {
            let br = &bv[j * k..(j + 1) * k];
            let mut acc = 0f64;
            for (x, y) in ar.iter().zip(br) {
                acc += x * y;
            }
            let idx = (i * spec.n as usize + j) as u64;
            if spec.dtype == Dtype::Fp64 {
                m.wf64(c + 8 * idx, acc)?;
            } else {
                m.wf32(c + 4 * idx, acc as f32)?;
            }
        }
    }
    Ok(())
}

pub fn half_to_f32(h: u16) -> f32 {
    let sign = u32::from(h >> 15) << 31;
    let exp = u32::from((h >> 10) & 0x1f);
    let man = u32::from(h & 0x3ff);
    let bits = match (exp, man) {
        (0, 0) => sign,
        (0, _) => {
            let v = man as f32 * (1.0 / (1u32 << 24) as f32);
            return if sign != 0 { -v } else { v };
        }
        (31, _) => sign | 0x7f80_0000 | (man << 13),
        _ => sign | ((exp + 112) << 23) | (man << 13),
    };
    f32::from_bits(bits)
}

#[cfg(test)]
pub fn f32_to_half(f: f32) -> u16 {
    let b = f.to_bits();
    let sign = ((b >> 16) & 0x8000) as u16;
    let exp = ((b >> 23) & 0xff) as i32 - 127 + 15;
    let man = b & 0x7f_ffff;
    if exp >= 31 {
        sign | 0x7c00
    } else if exp <= 0 {
        sign
    } else {
        sign | ((exp as u16) << 10) | ((man >> 13) as u16)
    }
}
