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
    let load = |m: &Mem, p: DevPtr, i: u64| -> Result<f64, String> {
        Ok(match spec.dtype {
            Dtype::Bf16 => f64::from(f32::from_bits(u32::from(m.r16(p + eb * i)?) << 16)),
            Dtype::Fp16 => f64::from(half_to_f32(m.r16(p + eb * i)?)),
            Dtype::Tf32 | Dtype::Fp32 => f64::from(m.rf32(p + eb * i)?),
            Dtype::Fp64 => m.rf64(p + eb * i)?,
        })
    };
    for i in 0..spec.m {
        for j in 0..spec.n {
            let mut acc = 0f64;
            for kk in 0..spec.k {
                acc += load(m, a, i * spec.k + kk)? * load(m, b, j * spec.k + kk)?;
            }
            let idx = i * spec.n + j;
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
