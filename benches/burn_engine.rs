//! GPU validation of the GEMM burn engine: every engine x dtype for a few
//! batches, then a fault-injection run per engine that must be caught.
//!
//! `cargo bench --bench burn_engine` on a machine with a GPU (or build it
//! with `cargo build --release --benches` and run the binary there).
//! Env: BURN_BATCHES (default 3), BURN_DTYPES (comma list, default all),
//! BURN_FRACTION (default 0.5), GPUCTL_CUBLASLT (library path),
//! GPUCTL_BURN_CROSSCHECK=1 (cuBLASLt vs built-in product at setup).
//! Exits 1 if fault injection is missed or a clean run reports mismatches.

use gpuctl::device::burn::{BatchResult, BurnConfig, Dtype, Engine};
use gpuctl::device::{Backend, CudaApi};
use std::sync::Arc;
use std::time::Instant;

fn main() {
    match run() {
        Ok(true) => {}
        Ok(false) => std::process::exit(1),
        Err(e) => {
            eprintln!("burn_engine: {e}");
            std::process::exit(2);
        }
    }
}

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

struct Summary {
    label: String,
    gemm_tflops: f64,
    total_tflops: f64,
}

fn run() -> Result<bool, String> {
    let backend = Backend::from_env().map_err(|e| e.to_string())?;
    let cuda: Arc<dyn CudaApi> = backend.cuda().map_err(str::to_string)?.clone();
    let batches: u64 = env_or("BURN_BATCHES", 3);
    let fraction: f64 = env_or("BURN_FRACTION", 0.5);
    let all = [
        Dtype::Bf16,
        Dtype::Fp16,
        Dtype::Tf32,
        Dtype::Fp32,
        Dtype::Fp64,
    ];
    let dtypes: Vec<Dtype> = match std::env::var("BURN_DTYPES") {
        Ok(list) => all
            .into_iter()
            .filter(|d| {
                list.split(',')
                    .any(|x| x.trim() == format!("{d:?}").to_lowercase())
            })
            .collect(),
        Err(_) => all.to_vec(),
    };

    // A fresh seed per run: the same on every GPU would let them be compared.
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(1);
    let cublas = cuda.cublaslt_available();
    println!(
        "cuBLASLt: {}",
        match &cublas {
            Ok(()) => "available".to_string(),
            Err(e) => format!("NOT available: {e}"),
        }
    );
    let mut engines = vec![];
    if cublas.is_ok() {
        engines.push(Engine::Cublas);
    }
    engines.push(Engine::Builtin);

    let mut ok = true;
    let mut summary = Vec::new();
    for &engine in &engines {
        for &dtype in &dtypes {
            let cfg = BurnConfig::new(engine, dtype, fraction, seed);
            let label = format!("{engine:?}/{dtype:?}");
            match burn(&*cuda, &cfg, batches, &label) {
                Ok(results) => {
                    if results.iter().any(|r| r.mismatched_products > 0) {
                        println!("  FAIL: mismatches in a clean run");
                        ok = false;
                    }
                    // Median-free summary: all batches after the first
                    // (clock ramp), or the only one.
                    let steady: Vec<&BatchResult> = if results.len() > 1 {
                        results[1..].iter().collect()
                    } else {
                        results.iter().collect()
                    };
                    let flops: f64 = steady.iter().map(|r| r.flops).sum();
                    let g: f64 = steady.iter().map(|r| r.gemm_seconds).sum();
                    let t: f64 = steady.iter().map(|r| r.batch_seconds).sum();
                    summary.push(Summary {
                        label,
                        gemm_tflops: flops / g / 1e12,
                        total_tflops: flops / t / 1e12,
                    });
                }
                Err(e) => {
                    println!("  ERROR: {e}");
                    ok = false;
                }
            }
        }
    }

    println!("\n== fault injection (batch 1 of 3) ==");
    for &engine in &engines {
        let cfg = BurnConfig {
            inject_fault_at_batch: Some(1),
            ..BurnConfig::new(
                engine,
                dtypes.first().copied().unwrap_or(Dtype::Bf16),
                fraction,
                seed,
            )
        };
        let label = format!("{engine:?}/{:?} inject@1", cfg.dtype);
        match burn(&*cuda, &cfg, 3, &label) {
            Ok(r) => {
                let want = [0u64, 1, 0];
                let got: Vec<u64> = r.iter().map(|b| b.mismatched_products).collect();
                let pass = got == want && r[1].mismatched_elements >= 1;
                println!(
                    "  {}: mismatched_products per batch {got:?} (want {want:?}), \
                     elements in batch 1: {}",
                    if pass { "PASS" } else { "FAIL" },
                    r.get(1).map(|b| b.mismatched_elements).unwrap_or(0)
                );
                ok &= pass;
            }
            Err(e) => {
                println!("  ERROR: {e}");
                ok = false;
            }
        }
    }

    println!("\n== summary (batches after the first) ==");
    println!(
        "{:<18} {:>12} {:>16} {:>10}",
        "engine/dtype", "GEMM TFLOP/s", "incl. verify", "overhead"
    );
    for s in &summary {
        println!(
            "{:<18} {:>12.1} {:>16.1} {:>9.2}%",
            s.label,
            s.gemm_tflops,
            s.total_tflops,
            100.0 * (1.0 - s.total_tflops / s.gemm_tflops)
        );
    }
    println!("\nresult: {}", if ok { "OK" } else { "FAILED" });
    Ok(ok)
}

fn burn(
    cuda: &dyn CudaApi,
    cfg: &BurnConfig,
    batches: u64,
    label: &str,
) -> Result<Vec<BatchResult>, String> {
    println!("\n== {label} ==");
    let t0 = Instant::now();
    let mut worker = cuda
        .open(0)
        .and_then(|ctx| gpuctl::workloads::burn::start(ctx, cfg))
        .map_err(|e| e.to_string())?;
    let s = worker.setup();
    println!(
        "  setup {:.2} s: n={} buffers={} memory={:.1} GiB reference_checksum={:#018x}\n  detail: {}",
        t0.elapsed().as_secs_f64(),
        s.matrix_size,
        s.result_buffers,
        s.memory_bytes as f64 / (1u64 << 30) as f64,
        worker.reference_checksum(),
        s.detail
    );
    let mut out = Vec::new();
    for i in 0..batches {
        let r = worker.run_batch().map_err(|e| e.to_string())?;
        println!(
            "  batch {i}: products={:>4} gemm={:.3}s batch={:.3}s TFLOP/s={:>7.1} \
             incl.verify={:>7.1} mismatched_products={} mismatched_elements={}",
            r.products,
            r.gemm_seconds,
            r.batch_seconds,
            r.flops / r.gemm_seconds / 1e12,
            r.flops / r.batch_seconds / 1e12,
            r.mismatched_products,
            r.mismatched_elements
        );
        out.push(r);
    }
    let t1 = Instant::now();
    drop(worker);
    println!("  teardown {:.2} s", t1.elapsed().as_secs_f64());
    Ok(out)
}
