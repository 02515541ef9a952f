use super::gemm::{f32_to_half, half_to_f32};
use super::*;
use crate::device::compute::Dtype;

fn props(ordinal: u32) -> Props {
    Props {
        ordinal,
        name: "Simulated".into(),
        compute_capability: (9, 0),
        sm_count: 4,
        l2_bytes: 1 << 20,
        total_bytes: 0,
    }
}

#[test]
fn buffers_hold_what_is_written_and_are_freed() {
    let ctx = SimContext::standalone(props(0), 1 << 20);
    let a = ctx.alloc(4096).unwrap().unwrap();
    let b = ctx.alloc(4096).unwrap().unwrap();
    assert_ne!(a, b);
    super::super::upload_u64(&ctx, a, &[1, 2, 3]).unwrap();
    ctx.copy(Stream::DEFAULT, b, a, 24).unwrap();
    assert_eq!(
        super::super::download_u64(&ctx, b, 3).unwrap(),
        vec![1, 2, 3]
    );
    assert_eq!(ctx.mem_info().unwrap().0, (1 << 20) - 8192);
    ctx.free(a).unwrap();
    assert!(ctx.free(a).is_err(), "a double free is refused");
    assert!(
        ctx.alloc(2 << 20).unwrap().is_none(),
        "too big: out of memory"
    );
}

#[test]
fn a_dropped_context_frees_what_it_held_and_only_that() {
    let world = Arc::new(Mutex::new(World::new(vec![SimCompute {
        memory_bytes: 1 << 20,
        ..SimCompute::default()
    }])));
    let keeper = SimContext::open(Arc::clone(&world), 0, props(0));
    let kept = keeper.alloc(4096).unwrap().unwrap();
    super::super::upload_u64(&keeper, kept, &[7]).unwrap();
    for _ in 0..3 {
        // Another context on the same GPU takes most of what is left and
        // ends without freeing it (p2p opens one per pair).
        let ctx = SimContext::open(Arc::clone(&world), 0, props(0));
        let big = ctx.alloc((1 << 20) - 8192).unwrap();
        assert!(big.is_some(), "the last context's buffers were not freed");
        let freed = ctx.alloc(256).unwrap().unwrap();
        ctx.free(freed).unwrap();
        ctx.alloc_host(4096).unwrap().unwrap();
    }
    // The keeper's buffer survived the others' ends, untouched.
    assert_eq!(keeper.mem_info().unwrap().0, (1 << 20) - 4096);
    assert_eq!(super::super::download_u64(&keeper, kept, 1).unwrap(), [7]);
    assert!(world.lock().unwrap().mem().host.is_empty());
}

#[test]
fn events_time_what_the_stream_moved() {
    let ctx = SimContext::standalone(props(0), 1 << 22);
    let a = ctx.alloc(1 << 20).unwrap().unwrap();
    let b = ctx.alloc(1 << 20).unwrap().unwrap();
    let s = ctx.stream().unwrap();
    let e0 = ctx.record(s).unwrap();
    ctx.copy(s, b, a, 1 << 20).unwrap();
    let e1 = ctx.record(s).unwrap();
    let ms = f64::from(ctx.elapsed_ms(e0, e1).unwrap());
    // 1 MiB at 3000/2 GB/s plus one kernel spacing of 1 us.
    let want = ((1u64 << 20) as f64 / 1500.0 + 1000.0) / 1e6;
    assert!((ms - want).abs() < 1e-6, "{ms} vs {want}");
}

#[test]
fn a_dropped_copy_leaves_the_destination_and_a_lost_gpu_stays_lost() {
    let world = Arc::new(Mutex::new(World::new(vec![SimCompute {
        memory_bytes: 1 << 20,
        drop_copy_at: Some(1),
        lost_at_call: Some(9),
        ..SimCompute::default()
    }])));
    let ctx = SimContext::open(world, 0, props(0));
    let a = ctx.alloc(64).unwrap().unwrap(); // call 1
    let b = ctx.alloc(64).unwrap().unwrap(); // 2
    super::super::upload_u64(&ctx, a, &[7]).unwrap(); // 3
    ctx.copy(Stream::DEFAULT, b, a, 8).unwrap(); // 4: dropped
    assert_eq!(super::super::download_u64(&ctx, b, 1).unwrap(), vec![0]); // 5
    ctx.copy(Stream::DEFAULT, b, a, 8).unwrap(); // 6
    assert_eq!(super::super::download_u64(&ctx, b, 1).unwrap(), vec![7]); // 7
    ctx.sync(Stream::DEFAULT).unwrap(); // 8
    assert!(ctx.sync(Stream::DEFAULT).is_err()); // 9: lost
    assert!(ctx.mem_info().is_err(), "and stays lost");
}

#[test]
fn a_reference_gemm_multiplies_and_a_corrupt_element_shows() {
    let world = Arc::new(Mutex::new(World::new(vec![SimCompute {
        memory_bytes: 1 << 20,
        gemm_corrupt: Some(GemmCorrupt {
            element: 1,
            from_call: 2,
        }),
        ..SimCompute::default()
    }])));
    let ctx = SimContext::open(world, 0, props(0));
    let spec = GemmSpec {
        m: 2,
        n: 2,
        k: 2,
        dtype: Dtype::Fp32,
    };
    let buf = |v: &[f32]| {
        let p = ctx.alloc(64).unwrap().unwrap();
        let bytes: Vec<u8> = v.iter().flat_map(|x| x.to_le_bytes()).collect();
        ctx.upload(p, &bytes).unwrap();
        p
    };
    // Row-major A = [[1,2],[3,4]]; B = identity (C = A * B^T = A).
    let (a, b, c) = (
        buf(&[1.0, 2.0, 3.0, 4.0]),
        buf(&[1.0, 0.0, 0.0, 1.0]),
        buf(&[0.0; 4]),
    );
    let plan = ctx.gemm_plan(spec, 0).unwrap();
    let read = || {
        let mut out = [0u8; 16];
        ctx.download(c, &mut out).unwrap();
        out.chunks(4)
            .map(|x| f32::from_le_bytes([x[0], x[1], x[2], x[3]]))
            .collect::<Vec<_>>()
    };
    ctx.gemm(Stream::DEFAULT, plan, a, b, c).unwrap();
    assert_eq!(read(), vec![1.0, 2.0, 3.0, 4.0]);
    ctx.gemm(Stream::DEFAULT, plan, a, b, c).unwrap();
    assert_ne!(read()[1], 2.0, "the second GEMM corrupts element 1");
    assert_eq!(read()[0], 1.0);
}

#[test]
fn halves_round_trip() {
    for v in [0.0f32, 1.0, -2.5, 0.333_251_95, 65504.0] {
        assert_eq!(half_to_f32(f32_to_half(v)), v);
    }
}
