//! How big a burn is: matrix size per dtype, how many result buffers fit,
//! how many products make a batch, and which buffer each product writes.
//! Pure arithmetic, unit-tested without a GPU.

use crate::device::burn::Dtype;

/// One product's fixed buffers (A, B, the reference and one result) may
/// take at most this share of the device's total memory: a GPU too small
/// for the requested size (a simulated one, a few MiB) gets a smaller
/// product rather than no burn. Every data-centre GPU keeps the full size
/// (16384 bf16 takes 3 GiB, under a quarter of a 16 GB card).
pub const FIT_SHARE: u64 = 4;
/// The smallest product: one tile of the built-in kernels.
pub const MIN_MATRIX_SIZE: u32 = 128;
/// A host slower than the device by this factor sizes batches by its own
/// clock (see [`product_seconds`]).
pub const HOST_BOUND_FACTOR: f64 = 2.0;

/// Square matrix size for the SIMT types: ~1.1 TFLOP per product, and a
/// multiple of the built-in kernels' 128 x 128 tiles and 32-deep K steps.
pub const MATRIX_SIZE: u32 = 8192;
/// Left free besides the budget: the driver, cuBLASLt and the JIT need some.
pub const MARGIN_BYTES: u64 = 256 << 20;
/// More buffers add nothing but checksum launches.
pub const MAX_RESULT_BUFFERS: u64 = 256;
/// `burn`'s target device time of one batch's products (the config's
/// default; health's short GEMM asks for less).
pub const BATCH_TARGET_S: f64 = 1.0;
/// A batch may stretch to this many times its target to write every result
/// buffer at least once.
pub const COVER_ALL_LIMIT_S: f64 = 2.0;
/// Cap on products per batch: each has its own checksum slot, and a batch
/// of this many is far more than a second of work for any real GPU.
pub const MAX_PRODUCTS_PER_BATCH: u64 = 4096;
/// Checksum slots: one per product of a batch, plus one for the reference.
pub const SLOT_COUNT: u64 = MAX_PRODUCTS_PER_BATCH + 1;
/// The slot the reference's checksum goes to at set-up.
pub const REFERENCE_SLOT: usize = MAX_PRODUCTS_PER_BATCH as usize;

/// Matrix size for `dtype`. The tensor-core types use 16384: a product then
/// takes ~13 ms on an H100 while checksumming its 1 GiB result takes ~0.35 ms,
/// so checking every product costs under 5% of throughput. The slow SIMT
/// types keep 8192 (their products take tens of ms anyway).
pub fn matrix_size(dtype: Dtype) -> u32 {
    match dtype {
        Dtype::Bf16 | Dtype::Fp16 | Dtype::Tf32 => 2 * MATRIX_SIZE,
        Dtype::Fp32 | Dtype::Fp64 => MATRIX_SIZE,
    }
}

pub fn in_elem_bytes(d: Dtype) -> u64 {
    match d {
        Dtype::Bf16 | Dtype::Fp16 => 2,
        Dtype::Tf32 | Dtype::Fp32 => 4,
        Dtype::Fp64 => 8,
    }
}

/// Results are fp32, fp64 for fp64.
pub fn out_elem_bytes(d: Dtype) -> u64 {
    if d == Dtype::Fp64 {
        8
    } else {
        4
    }
}

/// 64-bit checksum words in one n x n result.
pub fn checksum_words(n: u64, d: Dtype) -> u64 {
    n * n * out_elem_bytes(d) / 8
}

/// Floating-point operations of one n x n x n product.
pub fn product_flops(n: u64) -> f64 {
    let n = n as f64;
    2.0 * n * n * n
}

/// Bytes of one product's fixed buffers: A, B, the reference and one
/// result buffer.
pub fn fixed_bytes(n: u64, d: Dtype) -> u64 {
    n * n * (2 * in_elem_bytes(d) + 2 * out_elem_bytes(d))
}

/// The matrix size to burn on a device of `total_bytes`: `n`, halved (a
/// multiple of 128, at least [`MIN_MATRIX_SIZE`]) while its fixed buffers
/// exceed [`FIT_SHARE`]'s share of the device.
pub fn fit_matrix_size(n: u32, d: Dtype, total_bytes: u64) -> u32 {
    let mut n = n.max(MIN_MATRIX_SIZE);
    while n > MIN_MATRIX_SIZE && fixed_bytes(u64::from(n), d) > total_bytes / FIT_SHARE {
        n = (n / 2).max(MIN_MATRIX_SIZE) / MIN_MATRIX_SIZE * MIN_MATRIX_SIZE;
    }
    n
}

/// The time of one product that a batch is sized by: the device's (event)
/// time, unless the host took more than [`HOST_BOUND_FACTOR`] times as long
/// to get the products done (a simulated GPU, whose kernels run on the
/// host): then the host's, so that a batch stays near its target in wall
/// time, which the harness's step deadline counts. On a GPU the two agree
/// within the launch overhead and the device time decides.
pub fn product_seconds(device_s: f64, wall_s: f64) -> f64 {
    if wall_s.is_finite() && wall_s > HOST_BOUND_FACTOR * device_s {
        wall_s
    } else {
        device_s
    }
}

/// Result buffers that fit the budget after the fixed allocations.
/// The margin is [`MARGIN_BYTES`], or a quarter of the budget where that is
/// less (a device of a few MiB).
pub fn result_buffer_count(budget: u64, fixed: u64, out_bytes: u64) -> u64 {
    let margin = MARGIN_BYTES.min(budget / 4);
    (budget.saturating_sub(fixed).saturating_sub(margin) / out_bytes.max(1))
        .clamp(1, MAX_RESULT_BUFFERS)
}

/// About a second of products; stretched to write every buffer once when
/// that stays within [`COVER_ALL_LIMIT_S`].
pub fn products_per_batch(t_product_s: f64, buffers: u64, target_s: f64) -> u64 {
    if !(t_product_s.is_finite() && t_product_s > 0.0) {
        return buffers.max(1);
    }
    let p = ((target_s / t_product_s).round() as u64).clamp(1, MAX_PRODUCTS_PER_BATCH);
    if p < buffers && buffers as f64 * t_product_s <= COVER_ALL_LIMIT_S * target_s {
        buffers
    } else {
        p
    }
}

/// The result buffer product `j` of a batch writes, when the batch starts
/// at `cursor`: batches cycle through every buffer.
pub fn buffer_of(cursor: usize, j: usize, buffers: usize) -> usize {
    (cursor + j) % buffers.max(1)
}

/// The cursor after a batch of `products`.
pub fn next_cursor(cursor: usize, products: u64, buffers: usize) -> usize {
    ((cursor as u64 + products) % buffers.max(1) as u64) as usize
}

/// For each buffer, the last product of the batch that wrote it (None if
/// none did): only that product's elements can still be counted after it.
pub fn last_writes(cursor: usize, products: u64, buffers: usize) -> Vec<Option<usize>> {
    let mut last = vec![None; buffers];
    for j in 0..products as usize {
        last[buffer_of(cursor, j, buffers)] = Some(j);
    }
    last
}

/// The fill kernels' 32-bit seeds for A and B from the run's seed (the same
/// on every GPU of a run, so their reference products can be compared). All
/// 64 bits count, and A and B always differ.
pub fn operand_seeds(seed: u64) -> (u32, u32) {
    let folded = (seed as u32) ^ ((seed >> 32) as u32);
    (folded, folded ^ 0x5BD1_E995)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buffer_count_is_clamped() {
        let mib = 1u64 << 20;
        // Budget below the fixed cost still gives one buffer.
        assert_eq!(result_buffer_count(100 * mib, 1024 * mib, 256 * mib), 1);
        // 40 GiB budget, 768 MiB fixed, 256 MiB margin, 256 MiB buffers.
        assert_eq!(
            result_buffer_count(40 * 1024 * mib, 768 * mib, 256 * mib),
            156
        );
        assert_eq!(result_buffer_count(u64::MAX / 2, 0, 256 * mib), 256);
        // Zero-sized buffers never divide by zero.
        assert_eq!(result_buffer_count(1 << 40, 0, 0), MAX_RESULT_BUFFERS);
    }

    #[test]
    fn batch_length() {
        // 1.5 ms products, 150 buffers: 667 products (> buffers).
        assert_eq!(products_per_batch(0.0015, 150, BATCH_TARGET_S), 667);
        // 10 ms products, 150 buffers: 100 < 150 and 1.5 s covers all.
        assert_eq!(products_per_batch(0.010, 150, BATCH_TARGET_S), 150);
        // 25 ms products, 150 buffers: covering all would take 3.75 s.
        assert_eq!(products_per_batch(0.025, 150, BATCH_TARGET_S), 40);
        // Slow product: at least one.
        assert_eq!(products_per_batch(5.0, 1, BATCH_TARGET_S), 1);
        // Very fast product: capped by the checksum slots.
        assert_eq!(
            products_per_batch(1e-9, 4, BATCH_TARGET_S),
            MAX_PRODUCTS_PER_BATCH
        );
        // Broken timer: cover the buffers, never divide by zero.
        assert_eq!(products_per_batch(0.0, 7, BATCH_TARGET_S), 7);
        assert_eq!(products_per_batch(f64::NAN, 7, BATCH_TARGET_S), 7);
    }

    #[test]
    fn every_product_of_a_batch_has_its_own_slot() {
        // Product j of a batch checksums into slot j; the reference's slot
        // lies beyond every product's, so a batch never overwrites it.
        for t in [1e-9, 1e-4, 0.0015, 0.013, 1.0, f64::NAN] {
            for buffers in [1, 7, 150, MAX_RESULT_BUFFERS] {
                let p = products_per_batch(t, buffers, BATCH_TARGET_S);
                assert!(
                    (1..=MAX_PRODUCTS_PER_BATCH).contains(&p),
                    "{t} {buffers}: {p}"
                );
                assert!((p as usize) <= REFERENCE_SLOT);
            }
        }
        assert_eq!(SLOT_COUNT as usize, REFERENCE_SLOT + 1);
    }

    #[test]
    fn cursors_cycle_through_every_buffer() {
        let (buffers, products) = (5usize, 3u64);
        let mut cursor = 0;
        let mut written = vec![0u32; buffers];
        for _ in 0..5 {
            for j in 0..products as usize {
                written[buffer_of(cursor, j, buffers)] += 1;
            }
            cursor = next_cursor(cursor, products, buffers);
        }
        // 15 products over 5 buffers: each written exactly 3 times.
        assert_eq!(written, vec![3; buffers]);
        assert_eq!(cursor, 0);
    }

    #[test]
    fn last_writes_name_the_surviving_product() {
        // 7 products over 3 buffers from cursor 2: buffers 2,0,1,2,0,1,2.
        let last = last_writes(2, 7, 3);
        assert_eq!(last, vec![Some(4), Some(5), Some(6)]);
        // Fewer products than buffers: untouched buffers have none.
        assert_eq!(last_writes(1, 2, 4), vec![None, Some(0), Some(1), None]);
        assert!(last_writes(0, 0, 0).is_empty());
    }

    #[test]
    fn elements_and_words_are_counted_per_dtype() {
        assert_eq!(checksum_words(16384, Dtype::Bf16), 16384 * 16384 / 2);
        assert_eq!(checksum_words(8192, Dtype::Fp64), 8192 * 8192);
        assert_eq!(in_elem_bytes(Dtype::Fp16), 2);
        assert_eq!(out_elem_bytes(Dtype::Tf32), 4);
        assert_eq!(product_flops(8192), 2.0 * 8192f64.powi(3));
        // Every size is a multiple of the kernels' tiles and of 2 (whole
        // 64-bit words, 16-byte loads).
        for d in [
            Dtype::Bf16,
            Dtype::Fp16,
            Dtype::Tf32,
            Dtype::Fp32,
            Dtype::Fp64,
        ] {
            assert_eq!(matrix_size(d) % 128, 0);
        }
    }

    #[test]
    fn real_gpus_keep_the_full_size_and_small_ones_shrink() {
        let gib = 1u64 << 30;
        // An H100 (80 GB), a 40 GB A100 and a 16 GB card keep every size.
        for total in [80 * gib, 40 * gib, 16 * gib] {
            for d in [
                Dtype::Bf16,
                Dtype::Fp16,
                Dtype::Tf32,
                Dtype::Fp32,
                Dtype::Fp64,
            ] {
                assert_eq!(fit_matrix_size(matrix_size(d), d, total), matrix_size(d));
            }
            assert_eq!(fit_matrix_size(8192, Dtype::Bf16, total), 8192);
        }
        // A simulated GPU of 2 MiB: the smallest product.
        assert_eq!(fit_matrix_size(16384, Dtype::Bf16, 2 << 20), 128);
        assert_eq!(fit_matrix_size(8192, Dtype::Fp64, 2 << 20), 128);
        // 4 MiB: 256 (768 KiB of fixed buffers fit in 1 MiB).
        assert_eq!(fit_matrix_size(16384, Dtype::Bf16, 4 << 20), 256);
        // Never below one tile, even on nothing.
        assert_eq!(fit_matrix_size(16384, Dtype::Fp64, 0), MIN_MATRIX_SIZE);
        assert_eq!(fixed_bytes(128, Dtype::Bf16), 128 * 128 * 12);
    }

    #[test]
    fn batches_follow_the_slower_clock_only_when_the_host_lags() {
        // A GPU: wall time a little above device time: device time.
        assert_eq!(product_seconds(0.013, 0.0134), 0.013);
        // A simulated GPU: 6 us of device time, 10 ms on the host.
        assert_eq!(product_seconds(6e-6, 0.01), 0.01);
        assert_eq!(product_seconds(0.013, f64::NAN), 0.013);
    }

    #[test]
    fn a_small_budget_keeps_a_small_margin() {
        let mib = 1u64 << 20;
        // 1.8 MiB budget, 192 KiB fixed, 64 KiB results: margin 0.45 MiB.
        let n = result_buffer_count(18 * mib / 10, 192 << 10, 64 << 10);
        assert_eq!(n, 18);
    }

    #[test]
    fn operand_seeds_use_all_bits() {
        let (a, b) = operand_seeds(0x1234_5678_0000_0000);
        assert_ne!(a, b);
        assert_ne!(operand_seeds(1 << 40).0, operand_seeds(0).0);
        assert_eq!(operand_seeds(7), operand_seeds(7));
    }
}
