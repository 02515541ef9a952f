//! The burn on a simulated GPU: the real workload code over
//! [`SimContext`], finding faults the simulated memory and GEMM inject.

use super::*;
use crate::device::burn::{BurnMode, Engine, FaultKind};
use crate::device::compute::sim::mem::{FaultKind as CellFault, MemoryFault};
use crate::device::compute::sim::{GemmCorrupt, SimCompute, SimContext, World};
use crate::device::compute::Props;
use std::sync::{Arc, Mutex};

fn props() -> Props {
    Props {
        ordinal: 0,
        name: "NVIDIA H100 80GB HBM3".into(),
        compute_capability: (9, 0),
        sm_count: 4,
        l2_bytes: 256 << 10,
        total_bytes: 0,
    }
}

fn sim(memory: u64) -> Box<dyn Context> {
    let props = Props {
        total_bytes: memory,
        ..props()
    };
    Box::new(SimContext::standalone(props, memory))
}

/// A simulated GPU of 2 MiB with the given `compute` section.
fn sim_with(spec: SimCompute) -> Box<dyn Context> {
    let props = Props {
        total_bytes: spec.memory_bytes,
        ..props()
    };
    let world = Arc::new(Mutex::new(World::new(vec![spec])));
    Box::new(SimContext::open(world, 0, props))
}

fn small() -> SimCompute {
    SimCompute {
        memory_bytes: 2 << 20,
        ..SimCompute::default()
    }
}

fn config(engine: Engine) -> BurnConfig {
    BurnConfig {
        batch_seconds: 0.05,
        ..BurnConfig::new(engine, Dtype::Bf16, 0.9, 42)
    }
}

#[test]
fn a_healthy_simulated_gpu_burns_small_products_and_verifies_them() {
    for engine in [Engine::Cublas, Engine::Builtin] {
        let started = std::time::Instant::now();
        let mut w = start(sim_with(small()), &config(engine)).unwrap();
        println!("{engine:?}: set-up {:?}", started.elapsed());
        let s = w.setup().clone();
        // The 16384 default does not fit 2 MiB: the smallest product.
        assert_eq!(s.matrix_size, 128, "{s:?}");
        assert!(s.result_buffers > 1, "{s:?}");
        assert_eq!(s.reference_products, 2);
        assert!(s.anchor.is_some_and(|a| a.passed() && a.entries == 256));
        let b = w.run_batch().unwrap();
        println!("{engine:?}: batch {b:?}");
        assert!(b.products >= 1);
        assert_eq!(b.mismatched_products, 0);
        assert_eq!(b.flops, 2.0 * 128f64.powi(3) * b.products as f64);
        // The time comes from the simulated clock: 700 TFLOP/s, plus for
        // the built-in kernel 1 us between kernels and its memory traffic
        // at 3000 GB/s (the simulated cuBLASLt charges no launch gap).
        let per = b.gemm_seconds / b.products as f64;
        let gap = if engine == Engine::Builtin { 1e-6 } else { 0.0 };
        let expect = 2.0 * 128f64.powi(3) / 700e12 + gap;
        assert!(
            per >= expect - 1e-9 && per < expect + 1e-7,
            "{per} vs {expect}"
        );
        let wipe = w.finish().unwrap();
        assert!(wipe.verified && wipe.nonzero_words == 0, "{wipe:?}");
        assert_eq!(wipe.buffers, 5 + s.result_buffers);
    }
}

#[test]
fn both_engines_agree_on_the_reference_of_a_tensor_core_product() {
    // The simulated cuBLASLt and the built-in kernel's reference compute
    // the same exact sum, rounded once: one checksum across engines.
    let sums: Vec<u64> = [Engine::Cublas, Engine::Builtin]
        .into_iter()
        .map(|e| {
            start(sim_with(small()), &config(e))
                .unwrap()
                .reference_checksum()
        })
        .collect();
    assert_eq!(sums[0], sums[1]);
}

#[test]
fn a_corrupted_gemm_element_is_caught_by_the_checksum() {
    // Set-up computes 4 products (the reference, 3 timed); from the fifth
    // on one element's lowest bit flips.
    let spec = SimCompute {
        gemm_corrupt: Some(GemmCorrupt {
            element: 777,
            from_call: 5,
        }),
        ..small()
    };
    let mut w = start(sim_with(spec), &config(Engine::Cublas)).unwrap();
    let b = w.run_batch().unwrap();
    assert_eq!(b.mismatched_products, b.products, "{b:?}");
    // Where the buffer still holds the product, the compare kernel counts
    // exactly the one element.
    assert!(b.mismatched_elements >= b.products);
    let last = w.run_batch().unwrap();
    assert!(last.mismatched_products > 0);
}

#[test]
fn a_stuck_bit_in_a_result_buffer_fails_the_products_written_there() {
    // The sign bits of eight f32 results in the middle of the memory, in
    // a result buffer past the first (the first holds the reference's
    // repeat at set-up).
    let offset = 1 << 20;
    let faults = (0..4)
        .flat_map(|w| {
            [31, 63].map(|bit| MemoryFault {
                offset: offset + 8 * w,
                bit,
                kind: CellFault::Stuck1,
                victim: None,
            })
        })
        .collect();
    let spec = SimCompute {
        memory_faults: faults,
        ..small()
    };
    let mut w = start(sim_with(spec), &config(Engine::Builtin)).unwrap();
    let buffers = u64::from(w.setup().result_buffers);
    let (mut products, mut bad) = (0, 0);
    while products < 2 * buffers {
        let b = w.run_batch().unwrap();
        products += b.products;
        bad += b.mismatched_products;
    }
    // Every pass over the buffers writes the faulty one once.
    assert!(bad >= 2, "{bad} of {products}");
    assert!(
        bad < products,
        "only the faulty buffer: {bad} of {products}"
    );
}

#[test]
fn a_gpu_lost_mid_burn_fails_the_batch_with_the_driver_error() {
    let spec = SimCompute {
        lost_at_call: Some(400),
        ..small()
    };
    let mut w = start(sim_with(spec), &config(Engine::Cublas)).unwrap();
    let err = loop {
        match w.run_batch() {
            Ok(_) => continue,
            Err(e) => break e,
        }
    };
    assert!(
        matches!(&err, DeviceError::Cuda { code: 999, .. }),
        "{err:?}"
    );
    // The wipe cannot reach it either: an error, never a verified wipe.
    assert!(w.finish().is_err());
}

#[test]
fn every_injected_fault_shape_is_caught_on_simulated_memory() {
    for kind in FaultKind::ALL {
        let cfg = BurnConfig {
            inject_fault_at_batch: Some(1),
            inject_fault_kind: kind,
            ..config(Engine::Builtin)
        };
        let mut w = start(sim_with(small()), &cfg).unwrap();
        assert_eq!(w.run_batch().unwrap().mismatched_products, 0);
        let b = w.run_batch().unwrap();
        assert_eq!(b.mismatched_products, 1, "{kind:?}: {b:?}");
        assert!(b.mismatched_elements >= 1);
    }
}

#[test]
fn a_reference_that_does_not_reproduce_fails_the_set_up() {
    let cfg = BurnConfig {
        inject_reference_fault: true,
        ..config(Engine::Cublas)
    };
    let err = start(sim_with(small()), &cfg).err().unwrap();
    assert!(
        matches!(&err, QueryError::Device(DeviceError::WrongResult { step, .. }) if step == "reference product"),
        "{err:?}"
    );
}

#[test]
fn mixed_mode_streams_and_verifies_on_simulated_memory() {
    let cfg = BurnConfig {
        mode: BurnMode::Mixed,
        ..config(Engine::Cublas)
    };
    let mut w = start(sim_with(small()), &cfg).unwrap();
    assert!(
        w.setup().detail.contains("HBM stream: 2 x "),
        "{:?}",
        w.setup()
    );
    let b = w.run_batch().unwrap();
    assert!(b.stream_bytes > b.stream_bytes_verified, "{b:?}");
    assert!(b.stream_bytes_verified > 0);
    assert_eq!(b.stream_mismatched_words, 0);
    assert!(b.stream_seconds > 0.0);
    let wipe = w.finish().unwrap();
    assert!(wipe.verified);
}

#[test]
fn a_stuck_bit_in_the_streamed_memory_is_caught_by_the_word_check() {
    // Stuck bits every 32 KiB over the upper half of the memory, where the
    // stream's buffers lie (after the GEMM's), each at another bit and
    // alternately stuck at 0 and 1 (the pattern's words at a 32 KiB stride
    // share their low bits).
    let faults = (0..32u64)
        .map(|k| MemoryFault {
            offset: (1 << 20) + k * (32 << 10),
            bit: (13 + 7 * k % 50) as u32,
            kind: if k % 2 == 0 {
                CellFault::Stuck1
            } else {
                CellFault::Stuck0
            },
            victim: None,
        })
        .collect();
    let spec = SimCompute {
        memory_faults: faults,
        ..small()
    };
    let cfg = BurnConfig {
        mode: BurnMode::Mixed,
        ..config(Engine::Cublas)
    };
    let mut w = start(sim_with(spec), &cfg).unwrap();
    let b = w.run_batch().unwrap();
    assert!(b.stream_mismatched_words > 0, "{b:?}");
}

#[test]
fn bad_memory_fraction_is_rejected() {
    let cfg = BurnConfig::new(Engine::Builtin, Dtype::Bf16, 0.0, 1);
    assert!(matches!(
        start(sim(2 << 20), &cfg).err(),
        Some(QueryError::Device(DeviceError::Invalid(_)))
    ));
}

#[test]
fn gemm_ptx_has_the_entry_points() {
    let names = [
        "gpuctl_fill_bf16",
        "gpuctl_fill_f16",
        "gpuctl_fill_f32",
        "gpuctl_fill_f64",
        "gpuctl_compare_f32",
        "gpuctl_compare_f64",
        "gpuctl_checksum_mix64",
        "gpuctl_count_nonzero",
    ];
    let gemms = [
        Dtype::Bf16,
        Dtype::Fp16,
        Dtype::Tf32,
        Dtype::Fp32,
        Dtype::Fp64,
    ]
    .map(|d| format!("gpuctl_gemm_{}", dtype_name(d)));
    for name in names.iter().map(|n| n.to_string()).chain(gemms) {
        assert!(
            crate::kernels::GEMM_PTX.contains(&format!(".entry {name}(")),
            "{name}"
        );
    }
}
