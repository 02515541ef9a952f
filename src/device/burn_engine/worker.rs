//! The real burn worker: one GPU's context, operands, reference product and
//! result buffers; batches of products each checksummed on the GPU right
//! after it is computed.

use super::hbm_stream::HbmStream;
use super::sizing::{
    buffer_of, checksum_words, in_elem_bytes, last_writes, matrix_size, next_cursor, operand_seeds,
    out_elem_bytes, product_flops, products_per_batch, result_buffer_count, REFERENCE_SLOT,
    SLOT_COUNT,
};
use super::verify;
use super::CROSS_CHECK_ENV;
use crate::device::burn::{
    BatchResult, BurnConfig, BurnMode, BurnSetup, BurnWorker, Dtype, Engine, FaultKind,
    VerificationMode, WipeReport,
};
use crate::device::cublaslt::{self, LtPlan, WORKSPACE_BYTES};
use crate::device::cuerr::{cuda_err, de, guarded_dev};
use crate::device::devbuf::{wipe_each, DevBuf};
use crate::device::DeviceError;
use crate::kernels;
use cudarc::driver::result as cu;
use cudarc::driver::sys::CUdevice_attribute_enum as Attr;
use cudarc::driver::{
    CudaContext, CudaEvent, CudaFunction, CudaStream, LaunchConfig, PushKernelArg,
};
use cudarc::nvrtc::Ptx;
use std::ffi::c_int;
use std::sync::Arc;
use std::time::Instant;

enum Gemm {
    Builtin {
        func: CudaFunction,
        cfg: LaunchConfig,
    },
    Lt {
        plan: LtPlan,
        workspace: DevBuf,
    },
}

pub(super) struct Burn {
    setup: BurnSetup,
    // Kernels and GEMM before the buffers: they are released first.
    gemm: Gemm,
    checksum: CudaFunction,
    compare: CudaFunction,
    count_nonzero: CudaFunction,
    a: DevBuf,
    b: DevBuf,
    reference: DevBuf,
    results: Vec<DevBuf>,
    /// One checksum per product of a batch (plus one for set-up checks).
    slots: DevBuf,
    /// Compare kernel outputs: mismatches, checksum.
    counters: DevBuf,
    /// The wipe's nonzero-word counter.
    wipe_counter: DevBuf,
    start_ev: CudaEvent,
    end_ev: CudaEvent,
    /// One (start, end) pair per product of a batch, so product time is
    /// measured without the checksums interleaved between products.
    product_events: Vec<(CudaEvent, CudaEvent)>,
    stream: Arc<CudaStream>,
    ctx: Arc<CudaContext>,
    dtype: Dtype,
    n: u64,
    sm_count: u32,
    reference_sum: u64,
    products_per_batch: u64,
    /// Target device time of one batch (from the config).
    batch_seconds: f64,
    /// Next result buffer to write: batches cycle through all of them.
    cursor: usize,
    batch: u64,
    inject_at: Option<u64>,
    inject_kind: FaultKind,
    /// Hidden test hook: corrupt the reference's repeat (and its re-run).
    inject_reference: bool,
    seed: u64,
    wiped: Option<WipeReport>,
    /// `--mode mixed`: the HBM stream beside the GEMM.
    hbm: Option<HbmStream>,
}

/// The built-in GEMM kernel for `dtype`, its launch configuration (LAUNCH
/// notes in kernels/gemm.cu: 128 threads for the tensor-core kernels, 256 for
/// the SIMT ones, one block per 128 x 128 tile, no dynamic shared memory) and
/// its name.
fn builtin_gemm(
    load: &impl Fn(&str) -> Result<CudaFunction, DeviceError>,
    dtype: Dtype,
    n: u32,
) -> Result<(CudaFunction, LaunchConfig, String), DeviceError> {
    let name = format!("gpuctl_gemm_{}", super::dtype_name(dtype));
    let threads = match dtype {
        Dtype::Bf16 | Dtype::Fp16 | Dtype::Tf32 => 128,
        Dtype::Fp32 | Dtype::Fp64 => 256,
    };
    let cfg = LaunchConfig {
        grid_dim: (n / 128, n / 128, 1),
        block_dim: (threads, 1, 1),
        shared_mem_bytes: 0,
    };
    Ok((load(&name)?, cfg, name))
}

/// Grid for the grid-stride fill/compare kernels.
fn stride_grid(n: u64) -> LaunchConfig {
    LaunchConfig {
        grid_dim: (n.div_ceil(256).clamp(1, 65_535) as u32, 1, 1),
        block_dim: (256, 1, 1),
        shared_mem_bytes: 0,
    }
}

impl Burn {
    pub(super) fn new(ordinal: u32, config: &BurnConfig) -> Result<Self, DeviceError> {
        let dtype = config.dtype;
        let n = u64::from(config.matrix_size.unwrap_or(matrix_size(dtype)));
        let elems = n * n;
        let in_bytes = elems * in_elem_bytes(dtype);
        let out_bytes = elems * out_elem_bytes(dtype);

        let ctx = CudaContext::new(ordinal as usize).map_err(de("context creation"))?;
        // The legacy default stream: one stream means cudarc never records
        // per-buffer events, and cuBLASLt and synchronous copies order with it.
        let stream = ctx.default_stream();
        let module = ctx
            .load_module(Ptx::from_src(kernels::GEMM_PTX))
            .map_err(de("GEMM module load"))?;
        let func = |name: &str| {
            module
                .load_function(name)
                .map_err(|e| cuda_err(format!("kernel {name} lookup"), e.0))
        };
        let fill = func(match dtype {
            Dtype::Bf16 => "gpuctl_fill_bf16",
            Dtype::Fp16 => "gpuctl_fill_f16",
            Dtype::Tf32 | Dtype::Fp32 => "gpuctl_fill_f32",
            Dtype::Fp64 => "gpuctl_fill_f64",
        })?;
        let checksum = func("gpuctl_checksum_mix64")?;
        let count_nonzero = func("gpuctl_count_nonzero")?;
        let compare = func(if dtype == Dtype::Fp64 {
            "gpuctl_compare_f64"
        } else {
            "gpuctl_compare_f32"
        })?;
        let sm_count = ctx
            .attribute(Attr::CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT)
            .map_err(de("SM count query"))?
            .max(1) as u32;

        let (free, _total) = ctx.mem_get_info().map_err(de("memory query"))?;
        let budget = (free as f64 * config.memory_fraction) as u64;

        // Contents are written (fill, GEMM, memset) before anything reads them.
        let alloc = |bytes: u64, what: &str| {
            DevBuf::new(&ctx, bytes as usize, &format!("cuMemAlloc {what}"))
        };
        let a = alloc(in_bytes, "matrix A")?;
        let b = alloc(in_bytes, "matrix B")?;
        let reference = alloc(out_bytes, "reference product")?;
        let slots = alloc(SLOT_COUNT * 8, "checksum slots")?;
        let counters = alloc(2 * 8, "compare counters")?;
        let wipe_counter = alloc(8, "wipe counter")?;

        let (gemm, engine_detail, ws_bytes) = match config.engine {
            Engine::Cublas => {
                let lib = cublaslt::lib_or_host_error()?;
                let workspace = alloc(WORKSPACE_BYTES as u64, "cuBLASLt workspace")?;
                let plan = LtPlan::new(lib, &ctx, dtype, n)?;
                let detail = format!("cuBLASLt {}", lib.describe());
                (Gemm::Lt { plan, workspace }, detail, WORKSPACE_BYTES as u64)
            }
            Engine::Builtin => {
                let (func, cfg, name) = builtin_gemm(&func, dtype, n as u32)?;
                (Gemm::Builtin { func, cfg }, format!("built-in {name}"), 0)
            }
        };
        // Development aid: check cuBLASLt's product (layouts, transposes)
        // against the independent built-in kernel once at setup.
        let cross_check = match config.engine {
            Engine::Cublas if std::env::var_os(CROSS_CHECK_ENV).is_some_and(|v| !v.is_empty()) => {
                Some(builtin_gemm(&func, dtype, n as u32)?)
            }
            _ => None,
        };

        let fixed = 2 * in_bytes + out_bytes + ws_bytes;
        let want = result_buffer_count(budget, fixed, out_bytes);
        let mut results = Vec::with_capacity(want as usize);
        for i in 0..want {
            // Every buffer is fully written by a product before it is read.
            match alloc(out_bytes, &format!("result buffer {i}")) {
                Ok(s) => results.push(s),
                // Keep what fits; memory can shrink under us (other processes).
                Err(_) if i > 0 => break,
                Err(e) => return Err(e),
            }
        }

        let timing = Some(cudarc::driver::sys::CUevent_flags::CU_EVENT_DEFAULT);
        let start_ev = ctx.new_event(timing).map_err(de("event creation"))?;
        let end_ev = ctx.new_event(timing).map_err(de("event creation"))?;

        // The GEMM is sized as without the stream; the stream takes its
        // share of what is left.
        let hbm = match config.mode {
            BurnMode::Mixed => Some(HbmStream::new(
                &ctx,
                sm_count,
                config.seed,
                config.batch_seconds,
            )?),
            BurnMode::Gemm => None,
        };
        let memory_bytes = fixed
            + out_bytes * results.len() as u64
            + (SLOT_COUNT + 3) * 8
            + hbm.as_ref().map_or(0, HbmStream::memory_bytes);
        let setup = BurnSetup {
            engine: config.engine,
            dtype,
            matrix_size: n as u32,
            result_buffers: results.len() as u32,
            memory_bytes,
            detail: match &hbm {
                Some(h) => format!("{engine_detail}; {}", h.describe()),
                None => engine_detail,
            },
            reference_products: 1,
            verification: VerificationMode::Exact,
            anchor: None,
        };
        let mut w = Burn {
            setup,
            gemm,
            checksum,
            compare,
            count_nonzero,
            a,
            b,
            reference,
            results,
            slots,
            counters,
            wipe_counter,
            start_ev,
            end_ev,
            product_events: Vec::new(),
            stream,
            ctx,
            dtype,
            n,
            sm_count,
            reference_sum: 0,
            products_per_batch: 1,
            batch_seconds: config.batch_seconds,
            cursor: 0,
            batch: 0,
            inject_at: config.inject_fault_at_batch,
            inject_kind: config.inject_fault_kind,
            inject_reference: config.inject_reference_fault,
            seed: config.seed,
            wiped: None,
            hbm,
        };

        // Operands from the run's seed: fresh each run (a stuck fault cannot
        // hide behind a cached answer), shared by the run's GPUs (comparable).
        let seeds = operand_seeds(config.seed);
        w.fill(&fill, &w.a, elems, seeds.0)?;
        w.fill(&fill, &w.b, elems, seeds.1)?;
        w.reference_product_and_timing()?;
        w.anchor(seeds)?;
        if let Some((func, cfg, name)) = cross_check {
            w.cross_check(&func, cfg, &name)?;
        }
        Ok(w)
    }

    /// Runs the built-in kernel into the first result buffer and counts the
    /// elements that differ from the reference by more than 1% (relative):
    /// rounding gives a few near-zero elements, a layout error nearly all.
    fn cross_check(
        &mut self,
        func: &CudaFunction,
        cfg: LaunchConfig,
        name: &str,
    ) -> Result<(), DeviceError> {
        let (a, b) = (self.a.ptr, self.b.ptr);
        let c = self.results[0].ptr;
        let m = self.n as c_int;
        let mut l = self.stream.launch_builder(func);
        l.arg(&a).arg(&b).arg(&c).arg(&m).arg(&m).arg(&m);
        // SAFETY: as in `product` for the built-in engine.
        unsafe { l.launch(cfg) }.map_err(de("cross-check kernel launch"))?;
        let beyond = self.compare_elements(c, 1e-2)?;
        self.setup.detail.push_str(&format!(
            "; cross-check vs {name}: {beyond} of {} elements differ by > 1%",
            self.n * self.n
        ));
        Ok(())
    }

    fn fill(
        &self,
        fill: &CudaFunction,
        buf: &DevBuf,
        elems: u64,
        seed: u32,
    ) -> Result<(), DeviceError> {
        let p = buf.ptr;
        let mut l = self.stream.launch_builder(fill);
        l.arg(&p).arg(&elems).arg(&seed);
        // SAFETY: gpuctl_fill_*(T* p, u64 n, u32 seed); buf holds n elements of T.
        unsafe { l.launch(stride_grid(elems)) }.map_err(de("fill kernel launch"))?;
        Ok(())
    }

    /// Enqueues zeroing `buf`.
    fn zero(&self, buf: &DevBuf, step: &'static str) -> Result<(), DeviceError> {
        // SAFETY: the whole live allocation, on the worker's stream.
        unsafe { cu::memset_d8_async(buf.ptr, 0, buf.bytes, self.stream.cu_stream()) }
            .map_err(de(step))
    }

    /// `len` u64s at device address `ptr`, after all work queued before it.
    fn download_at(
        &self,
        ptr: u64,
        len: usize,
        step: &'static str,
    ) -> Result<Vec<u64>, DeviceError> {
        let mut host = vec![0u64; len];
        // SAFETY: host holds exactly the bytes copied, read from inside a
        // live allocation (callers pass in-bounds ranges).
        unsafe { cu::memcpy_dtoh_async(&mut host, ptr, self.stream.cu_stream()) }
            .map_err(de(step))?;
        self.stream.synchronize().map_err(de(step))?;
        Ok(host)
    }

    /// `buf` as u64s, after all work queued before it; synchronous.
    fn download(&self, buf: &DevBuf, step: &'static str) -> Result<Vec<u64>, DeviceError> {
        self.download_at(buf.ptr, buf.bytes / 8, step)
    }

    /// Enqueues one product into `c` (a raw device pointer to n*n outputs).
    fn product(&self, c: u64) -> Result<(), DeviceError> {
        let (a, b) = (self.a.ptr, self.b.ptr);
        match &self.gemm {
            Gemm::Builtin { func, cfg } => {
                let m = self.n as c_int;
                let mut l = self.stream.launch_builder(func);
                l.arg(&a).arg(&b).arg(&c).arg(&m).arg(&m).arg(&m);
                // SAFETY: gpuctl_gemm_*(A, B, C, int M, int N, int K) with
                // M = N = K = n (multiples of 128 and 32) and buffers of
                // n*n elements of the kernel's types; cfg is its LAUNCH config.
                unsafe { l.launch(*cfg) }.map_err(de("GEMM kernel launch"))?;
                Ok(())
            }
            Gemm::Lt { plan, workspace } => plan.matmul(a, b, c, workspace.ptr, &self.stream),
        }
    }

    /// Enqueues the checksum of `buf` into slot `slot` (zeroed beforehand).
    fn checksum_into(&self, buf: u64, slot: usize) -> Result<(), DeviceError> {
        let out = self.slots.ptr + 8 * slot as u64;
        let nwords = checksum_words(self.n, self.dtype);
        let mut l = self.stream.launch_builder(&self.checksum);
        l.arg(&buf).arg(&nwords).arg(&out);
        let cfg = LaunchConfig {
            // Enough resident threads to saturate memory bandwidth.
            grid_dim: (self.sm_count * 8, 1, 1),
            block_dim: (256, 1, 1),
            shared_mem_bytes: 0,
        };
        // SAFETY: gpuctl_checksum_mix64(const u64* p, u64 nwords, u64* out);
        // buf holds nwords words, out is one u64 inside `slots`; block 256.
        unsafe { l.launch(cfg) }.map_err(de("checksum kernel launch"))?;
        Ok(())
    }

    /// Elements of `buf` that differ from the reference by more than `tol`
    /// (relative); synchronous.
    fn compare_elements(&self, buf: u64, tol: f64) -> Result<u64, DeviceError> {
        self.zero(&self.counters, "zeroing compare counters")?;
        let reference = self.reference.ptr;
        let counters = self.counters.ptr;
        let (mism, sum) = (counters, counters + 8);
        let elems = self.n * self.n;
        let tol32 = tol as f32;
        let mut l = self.stream.launch_builder(&self.compare);
        l.arg(&buf).arg(&reference).arg(&elems);
        if self.dtype == Dtype::Fp64 {
            l.arg(&tol);
        } else {
            l.arg(&tol32);
        }
        l.arg(&mism).arg(&sum);
        // SAFETY: gpuctl_compare_f32/f64(c, ref, u64 n, rel_tol, u64*, u64*)
        // with n elements in both buffers; block 256 as required.
        unsafe { l.launch(stride_grid(elems)) }.map_err(de("compare kernel launch"))?;
        let host = self.download(&self.counters, "compare kernel or copy")?;
        Ok(host.first().copied().unwrap_or(0))
    }

    /// Checksums of the listed result buffers (slot i = buffer i), plus
    /// `extra` into the reference slot; synchronous.
    fn checksums(&self, buffers: &[usize], extra: Option<u64>) -> Result<Vec<u64>, DeviceError> {
        self.zero(&self.slots, "zeroing checksum slots")?;
        for &i in buffers {
            self.checksum_into(self.results[i].ptr, i)?;
        }
        if let Some(buf) = extra {
            self.checksum_into(buf, REFERENCE_SLOT)?;
        }
        self.download(&self.slots, "verification kernels or copy")
    }

    /// Computes the reference twice (it must agree with itself bit for bit),
    /// times the product and sizes the batch.
    fn reference_product_and_timing(&mut self) -> Result<(), DeviceError> {
        let reference = self.reference.ptr;
        // First product: also pays the JIT and cuBLASLt's lazy loading.
        self.product(reference)?;
        self.stream.synchronize().map_err(de("reference product"))?;
        // Timed products into the first result buffer: the last one is the
        // reference's second computation.
        let first = self.results[0].ptr;
        const TIMED: u32 = 3;
        self.start_ev
            .record(&self.stream)
            .map_err(de("event record"))?;
        for _ in 0..TIMED {
            self.product(first)?;
        }
        self.end_ev
            .record(&self.stream)
            .map_err(de("event record"))?;
        let sums = self.checksums(&[0], Some(reference))?;
        let t_product = f64::from(
            self.start_ev
                .elapsed_ms(&self.end_ev)
                .map_err(de("event timing"))?,
        ) / 1e3
            / f64::from(TIMED);
        self.reference_sum = sums[REFERENCE_SLOT];
        // No tolerance fallback: a product that does not reproduce bit for
        // bit (the algorithm is fixed and split-K reductions are excluded,
        // cublaslt.rs) is an intermittent fault or a non-deterministic
        // library. One re-run of both tells a single glitch from either.
        let mut second = sums[0];
        if self.inject_reference {
            self.inject_fault(0)?;
            second = self.checksums(&[0], None)?[0];
        }
        let mut agreed = second == self.reference_sum;
        if !agreed {
            self.product(reference)?;
            self.product(first)?;
            if self.inject_reference {
                self.inject_fault(0)?;
            }
            let again = self.checksums(&[0], Some(reference))?;
            self.reference_sum = again[REFERENCE_SLOT];
            agreed = again[0] == self.reference_sum;
            if !agreed {
                return Err(DeviceError::WrongResult {
                    step: "reference product".into(),
                    reason: verify::NOT_REPRODUCED.into(),
                });
            }
            self.setup
                .detail
                .push_str("; the reference reproduced only when computed again");
        }
        self.setup.reference_products = 2;
        self.products_per_batch =
            products_per_batch(t_product, self.results.len() as u64, self.batch_seconds);
        let timing = Some(cudarc::driver::sys::CUevent_flags::CU_EVENT_DEFAULT);
        self.product_events = (0..self.products_per_batch)
            .map(|_| {
                Ok((
                    self.ctx.new_event(timing).map_err(de("event creation"))?,
                    self.ctx.new_event(timing).map_err(de("event creation"))?,
                ))
            })
            .collect::<Result<_, DeviceError>>()?;
        Ok(())
    }

    /// Anchors the reference independently of this GPU: entries of C
    /// recomputed on the host from the operands the fill kernels wrote.
    fn anchor(&mut self, seeds: (u32, u32)) -> Result<(), DeviceError> {
        let positions = verify::anchor_positions(self.n, self.seed);
        let eb = out_elem_bytes(self.dtype);
        let mut gpu = Vec::with_capacity(positions.len());
        for &(i, j) in &positions {
            let e = i * self.n + j;
            // The 8-byte word holding the element (f32 results: its half).
            let word = self.download_at(self.reference.ptr + (e * eb) / 8 * 8, 1, "anchor copy")?;
            let w = word.first().copied().unwrap_or(0);
            gpu.push(if eb == 8 {
                f64::from_bits(w)
            } else {
                let bits = if e % 2 == 0 {
                    w as u32
                } else {
                    (w >> 32) as u32
                };
                f64::from(f32::from_bits(bits))
            });
        }
        let (dtype, n) = (self.dtype, self.n);
        let host: Vec<(f64, f64)> = positions
            .iter()
            .map(|&(i, j)| verify::host_entry(dtype, n, seeds, i, j))
            .collect();
        let result = verify::judge_anchor(&gpu, &host);
        if !result.passed() {
            return Err(DeviceError::WrongResult {
                step: "reference anchor".into(),
                reason: format!(
                    "{} of {} entries of C differ from the host's by more than the tolerance \
                     (largest error {:e}, tolerance {:e}): a deterministic datapath fault",
                    result.beyond_tolerance, result.entries, result.max_abs_error, result.tolerance
                ),
            });
        }
        self.setup.anchor = Some(result);
        Ok(())
    }

    fn batch_inner(&mut self) -> Result<BatchResult, DeviceError> {
        let started = Instant::now();
        self.ctx
            .bind_to_thread()
            .map_err(de("binding the context"))?;
        let nbuf = self.results.len();
        let products = self.products_per_batch;
        let cursor = self.cursor;
        // The HBM stream runs on its own stream while the products run.
        if let Some(h) = &mut self.hbm {
            h.launch()?;
        }
        // Every product is verified: each one is checksummed right after it
        // is computed (stream order), into its own slot, before a later
        // product may overwrite its buffer.
        self.zero(&self.slots, "zeroing checksum slots")?;
        let mut mismatched_products = 0;
        let mut mismatched_elements = 0;
        for j in 0..products as usize {
            let i = buffer_of(cursor, j, nbuf);
            let (start, end) = &self.product_events[j];
            start.record(&self.stream).map_err(de("event record"))?;
            self.product(self.results[i].ptr)?;
            end.record(&self.stream).map_err(de("event record"))?;
            if j == 0 && self.inject_at == Some(self.batch) {
                self.inject_fault(i)?;
            }
            self.checksum_into(self.results[i].ptr, j)?;
        }
        self.cursor = next_cursor(cursor, products, nbuf);

        {
            let sums = self.download(&self.slots, "verification kernels or copy")?;
            let last = last_writes(cursor, products, nbuf);
            for j in 0..products as usize {
                if sums.get(j).copied() != Some(self.reference_sum) {
                    mismatched_products += 1;
                    let i = buffer_of(cursor, j, nbuf);
                    // Elements can be counted only where the buffer still
                    // holds this product (its last write in the batch).
                    if last[i] == Some(j) {
                        mismatched_elements +=
                            self.compare_elements(self.results[i].ptr, 0.0)?.max(1);
                    } else {
                        mismatched_elements += 1;
                    }
                }
            }
        }
        self.stream.synchronize().map_err(de("batch execution"))?;
        // Product time only: each pair brackets one product, not the
        // checksum launched after it.
        let mut gemm_seconds = 0.0;
        for (start, end) in self.product_events.iter().take(products as usize) {
            let ms = start.elapsed_ms(end).map_err(de("event timing"))?;
            gemm_seconds += f64::from(ms) / 1e3;
        }
        let gemm_wall = started.elapsed().as_secs_f64();
        let streamed = match &mut self.hbm {
            Some(h) => h.collect(gemm_wall)?,
            None => Default::default(),
        };
        self.batch += 1;
        Ok(BatchResult {
            products,
            flops: product_flops(self.n) * products as f64,
            gemm_seconds,
            batch_seconds: started.elapsed().as_secs_f64(),
            mismatched_products,
            mismatched_elements,
            stream_bytes: streamed.bytes,
            stream_bytes_verified: streamed.bytes_verified,
            stream_mismatched_words: streamed.mismatched_words,
            stream_seconds: streamed.seconds,
            ..Default::default()
        })
    }

    /// Corrupts result buffer `i` on the device in the configured shape
    /// (read, modify and write back the touched elements).
    fn inject_fault(&mut self, i: usize) -> Result<(), DeviceError> {
        self.stream.synchronize().map_err(de("batch execution"))?;
        let eb = out_elem_bytes(self.dtype);
        let rng = self.seed ^ self.batch.wrapping_mul(0x9E37_79B9);
        let edits = verify::plan_fault(self.inject_kind, self.n, eb, rng);
        let base = self.results[i].ptr;
        for e in edits {
            let (addr, count) = (base + e.start * eb, e.count as usize);
            // SAFETY (both copies): `count` elements inside a live allocation
            // of n*n elements (plan_fault keeps edits in range); the stream
            // is idle, so nothing races with them.
            if eb == 8 {
                let mut v = vec![0u64; count];
                unsafe { cu::memcpy_dtoh_sync(&mut v, addr) }
                    .map_err(de("fault injection read"))?;
                v.iter_mut().for_each(|x| *x = e.op.apply(*x));
                unsafe { cu::memcpy_htod_sync(addr, &v) }.map_err(de("fault injection write"))?;
            } else {
                let mut v = vec![0u32; count];
                unsafe { cu::memcpy_dtoh_sync(&mut v, addr) }
                    .map_err(de("fault injection read"))?;
                v.iter_mut()
                    .for_each(|x| *x = e.op.apply(u64::from(*x)) as u32);
                unsafe { cu::memcpy_htod_sync(addr, &v) }.map_err(de("fault injection write"))?;
            }
        }
        Ok(())
    }

    /// Zeroes and verifies every buffer; the result is kept so Drop does
    /// not repeat it.
    fn wipe_all(&mut self) -> Result<WipeReport, DeviceError> {
        if let Some(r) = self.wiped {
            return Ok(r);
        }
        let mut bufs: Vec<&DevBuf> = vec![
            &self.a,
            &self.b,
            &self.reference,
            &self.slots,
            &self.counters,
        ];
        bufs.extend(self.results.iter());
        if let Gemm::Lt { workspace, .. } = &self.gemm {
            bufs.push(workspace);
        }
        if let Some(h) = &self.hbm {
            h.idle()?;
            bufs.extend(h.buffers());
        }
        let report = wipe_each(
            &self.ctx,
            &self.stream,
            &bufs,
            &self.count_nonzero,
            self.wipe_counter.ptr,
        )?;
        self.wiped = Some(report);
        Ok(report)
    }
}

impl BurnWorker for Burn {
    fn setup(&self) -> &BurnSetup {
        &self.setup
    }

    fn reference_checksum(&self) -> u64 {
        self.reference_sum
    }

    fn run_batch(&mut self) -> Result<BatchResult, DeviceError> {
        guarded_dev(|| self.batch_inner())
    }

    fn finish(&mut self) -> Result<WipeReport, DeviceError> {
        guarded_dev(|| self.wipe_all())
    }
}

impl Drop for Burn {
    fn drop(&mut self) {
        // Let queued work finish before buffers and cuBLASLt objects go, and
        // wipe them (verified) if the caller did not: also after an error.
        let _ = self.ctx.bind_to_thread();
        let _ = self.stream.synchronize();
        if let Some(h) = &self.hbm {
            let _ = h.idle();
        }
        let _ = guarded_dev(|| self.wipe_all());
    }
}
