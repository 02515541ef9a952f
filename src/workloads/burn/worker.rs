//! The burn worker over [`Context`]: one GPU's operands, reference product
//! and result buffers; batches of products each checksummed on the GPU
//! right after it is computed, all on the context's default stream (the
//! one cuBLASLt and synchronous copies order with).

use super::hbm_stream::HbmStream;
use super::sizing::{
    buffer_of, checksum_words, fit_matrix_size, in_elem_bytes, last_writes, matrix_size,
    next_cursor, operand_seeds, out_elem_bytes, product_flops, product_seconds, products_per_batch,
    result_buffer_count, REFERENCE_SLOT, SLOT_COUNT,
};
use super::CROSS_CHECK_ENV;
use crate::device::burn::{
    BatchResult, BurnConfig, BurnMode, BurnSetup, BurnWorker, Dtype, Engine, FaultKind,
    VerificationMode, WipeReport,
};
use crate::device::burn_engine::verify;
use crate::device::compute::{download_u64, Arg, Context, Dim, Event, GemmSpec, Plan, Stream};
use crate::device::cublaslt::WORKSPACE_BYTES;
use crate::device::DeviceError;
use crate::workloads::wipe::{alloc, wipe_each, Buf};
use std::time::Instant;

/// The GEMM stream: the context's own (legacy default) stream.
const S: Stream = Stream::DEFAULT;

enum Gemm {
    /// A built-in kernel by name and its launch shape.
    Builtin {
        kernel: String,
        dim: Dim,
    },
    Lt(Plan),
}

/// The built-in GEMM kernel for `dtype` and its launch shape (LAUNCH notes
/// in kernels/gemm.cu: 128 threads for the tensor-core kernels, 256 for the
/// SIMT ones, one block per 128 x 128 tile, grid (N/128, M/128)).
fn builtin_gemm(dtype: Dtype, n: u32) -> (String, Dim) {
    let threads = match dtype {
        Dtype::Bf16 | Dtype::Fp16 | Dtype::Tf32 => 128,
        Dtype::Fp32 | Dtype::Fp64 => 256,
    };
    let name = format!("gpuctl_gemm_{}", super::dtype_name(dtype));
    (name, Dim::new_2d(n / 128, n / 128, threads))
}

/// Grid for the grid-stride fill/compare kernels (block 256).
fn stride_grid(n: u64) -> Dim {
    Dim::new(n.div_ceil(256).clamp(1, 65_535) as u32, 256)
}

pub(super) struct Burn {
    setup: BurnSetup,
    gemm: Gemm,
    a: Buf,
    b: Buf,
    reference: Buf,
    results: Vec<Buf>,
    /// One checksum per product of a batch (plus one for set-up checks).
    slots: Buf,
    /// Compare kernel outputs: mismatches, checksum.
    counters: Buf,
    /// The wipe's nonzero-word counter.
    wipe_counter: Buf,
    dtype: Dtype,
    n: u64,
    sm_count: u32,
    reference_sum: u64,
    products_per_batch: u64,
    /// Target time of one batch (from the config).
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
    /// Last: everything above lives in it.
    ctx: Box<dyn Context>,
}

impl Burn {
    pub(super) fn new(ctx: Box<dyn Context>, config: &BurnConfig) -> Result<Self, DeviceError> {
        let dtype = config.dtype;
        let props = ctx.props().clone();
        let asked = config.matrix_size.unwrap_or(matrix_size(dtype));
        let n = u64::from(fit_matrix_size(asked, dtype, props.total_bytes));
        let elems = n * n;
        let in_bytes = elems * in_elem_bytes(dtype);
        let out_bytes = elems * out_elem_bytes(dtype);
        let (free, _total) = ctx.mem_info()?;
        let budget = (free as f64 * config.memory_fraction) as u64;
        let (kernel, dim) = builtin_gemm(dtype, n as u32);
        // Buffers are added as they are allocated: should set-up fail, Drop
        // wipes and frees what it holds.
        let mut w = Burn {
            setup: BurnSetup {
                engine: config.engine,
                dtype,
                matrix_size: n as u32,
                result_buffers: 0,
                memory_bytes: 0,
                detail: format!("built-in {kernel}"),
                reference_products: 1,
                verification: VerificationMode::Exact,
                anchor: None,
            },
            gemm: Gemm::Builtin { kernel, dim },
            a: Buf::NONE,
            b: Buf::NONE,
            reference: Buf::NONE,
            results: Vec::new(),
            slots: Buf::NONE,
            counters: Buf::NONE,
            wipe_counter: Buf::NONE,
            dtype,
            n,
            sm_count: props.sm_count.max(1),
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
            hbm: None,
            ctx,
        };
        // Contents are written (fill, GEMM, memset) before anything reads them.
        w.wipe_counter = alloc(w.ctx.as_ref(), 8, "wipe counter")?;
        w.a = alloc(w.ctx.as_ref(), in_bytes, "matrix A")?;
        w.b = alloc(w.ctx.as_ref(), in_bytes, "matrix B")?;
        w.reference = alloc(w.ctx.as_ref(), out_bytes, "reference product")?;
        w.slots = alloc(w.ctx.as_ref(), SLOT_COUNT * 8, "checksum slots")?;
        w.counters = alloc(w.ctx.as_ref(), 2 * 8, "compare counters")?;

        let mut ws_bytes = 0;
        if config.engine == Engine::Cublas {
            let spec = GemmSpec {
                m: n,
                n,
                k: n,
                dtype,
            };
            let before = w.ctx.mem_info()?.0;
            w.gemm = Gemm::Lt(w.ctx.gemm_plan(spec, WORKSPACE_BYTES as u64)?);
            // The plan's workspace, as the device counts it (none on a
            // simulated GPU).
            ws_bytes = before
                .saturating_sub(w.ctx.mem_info()?.0)
                .min(WORKSPACE_BYTES as u64);
            w.setup.detail = match crate::device::cublaslt::describe_loaded() {
                Some(lib) => format!("cuBLASLt {lib}"),
                None => "cuBLASLt".to_string(),
            };
        }

        let fixed = 2 * in_bytes + out_bytes + ws_bytes;
        let want = result_buffer_count(budget, fixed, out_bytes);
        for i in 0..want {
            // Every buffer is fully written by a product before it is read.
            match alloc(w.ctx.as_ref(), out_bytes, &format!("result buffer {i}")) {
                Ok(s) => w.results.push(s),
                // Keep what fits; memory can shrink under us (other processes).
                Err(DeviceError::OutOfMemory { .. }) if i > 0 => break,
                Err(e) => return Err(e),
            }
        }

        // The GEMM is sized as without the stream; the stream takes its
        // share of what is left.
        if config.mode == BurnMode::Mixed {
            let h = HbmStream::new(w.ctx.as_ref(), config.seed)?;
            w.setup.detail = format!("{}; {}", w.setup.detail, h.describe());
            w.hbm = Some(h);
        }
        w.setup.result_buffers = w.results.len() as u32;
        w.setup.memory_bytes = fixed
            + out_bytes * w.results.len() as u64
            + (SLOT_COUNT + 3) * 8
            + w.hbm.as_ref().map_or(0, HbmStream::memory_bytes);

        // Operands from the run's seed: fresh each run (a stuck fault cannot
        // hide behind a cached answer), shared by the run's GPUs (comparable).
        let seeds = operand_seeds(config.seed);
        w.fill(w.a, elems, seeds.0)?;
        w.fill(w.b, elems, seeds.1)?;
        w.reference_product_and_timing()?;
        w.anchor(seeds)?;
        // Development aid: check cuBLASLt's product (layouts, transposes)
        // against the independent built-in kernel once at setup.
        if config.engine == Engine::Cublas
            && std::env::var_os(CROSS_CHECK_ENV).is_some_and(|v| !v.is_empty())
        {
            w.cross_check()?;
        }
        Ok(w)
    }

    /// Runs the built-in kernel into the first result buffer and counts the
    /// elements that differ from the reference by more than 1% (relative):
    /// rounding gives a few near-zero elements, a layout error nearly all.
    fn cross_check(&mut self) -> Result<(), DeviceError> {
        let (kernel, dim) = builtin_gemm(self.dtype, self.n as u32);
        let c = self.results[0].ptr;
        self.launch_gemm(&kernel, dim, c)?;
        let beyond = self.compare_elements(c, 1e-2)?;
        self.setup.detail.push_str(&format!(
            "; cross-check vs {kernel}: {beyond} of {} elements differ by > 1%",
            self.n * self.n
        ));
        Ok(())
    }

    fn fill(&self, buf: Buf, elems: u64, seed: u32) -> Result<(), DeviceError> {
        let kernel = match self.dtype {
            Dtype::Bf16 => "gpuctl_fill_bf16",
            Dtype::Fp16 => "gpuctl_fill_f16",
            Dtype::Tf32 | Dtype::Fp32 => "gpuctl_fill_f32",
            Dtype::Fp64 => "gpuctl_fill_f64",
        };
        let args = [Arg::U64(buf.ptr), Arg::U64(elems), Arg::U32(seed)];
        self.ctx.launch(S, kernel, stride_grid(elems), &args)
    }

    /// Enqueues zeroing `buf`.
    fn zero(&self, buf: Buf) -> Result<(), DeviceError> {
        self.ctx.memset(S, buf.ptr, 0, buf.bytes)
    }

    /// `buf` as u64s, after all work queued before it; synchronous.
    fn download(&self, buf: Buf) -> Result<Vec<u64>, DeviceError> {
        download_u64(self.ctx.as_ref(), buf.ptr, (buf.bytes / 8) as usize)
    }

    fn launch_gemm(&self, kernel: &str, dim: Dim, c: u64) -> Result<(), DeviceError> {
        let m = self.n as i32;
        let (a, b) = (self.a.ptr, self.b.ptr);
        // gpuctl_gemm_*(A, B, C, int M, int N, int K) with M = N = K = n
        // (multiples of 128) and buffers of n*n elements of its types.
        let args = [
            Arg::U64(a),
            Arg::U64(b),
            Arg::U64(c),
            Arg::I32(m),
            Arg::I32(m),
            Arg::I32(m),
        ];
        self.ctx.launch(S, kernel, dim, &args)
    }

    /// Enqueues one product into `c` (a device pointer to n*n outputs).
    fn product(&self, c: u64) -> Result<(), DeviceError> {
        match &self.gemm {
            Gemm::Builtin { kernel, dim } => self.launch_gemm(kernel, *dim, c),
            Gemm::Lt(plan) => self.ctx.gemm(S, *plan, self.a.ptr, self.b.ptr, c),
        }
    }

    /// Enqueues the checksum of `buf` into slot `slot` (zeroed beforehand).
    fn checksum_into(&self, buf: u64, slot: usize) -> Result<(), DeviceError> {
        let out = self.slots.ptr + 8 * slot as u64;
        let nwords = checksum_words(self.n, self.dtype);
        // Block 256 as the kernel requires; enough resident threads to
        // saturate memory bandwidth.
        let dim = Dim::new(self.sm_count * 8, 256);
        let args = [Arg::U64(buf), Arg::U64(nwords), Arg::U64(out)];
        self.ctx.launch(S, "gpuctl_checksum_mix64", dim, &args)
    }

    /// Elements of `buf` that differ from the reference by more than `tol`
    /// (relative); synchronous.
    fn compare_elements(&self, buf: u64, tol: f64) -> Result<u64, DeviceError> {
        self.zero(self.counters)?;
        let (mism, sum) = (self.counters.ptr, self.counters.ptr + 8);
        let elems = self.n * self.n;
        let (kernel, tol) = if self.dtype == Dtype::Fp64 {
            ("gpuctl_compare_f64", Arg::F64(tol))
        } else {
            ("gpuctl_compare_f32", Arg::F32(tol as f32))
        };
        let args = [
            Arg::U64(buf),
            Arg::U64(self.reference.ptr),
            Arg::U64(elems),
            tol,
            Arg::U64(mism),
            Arg::U64(sum),
        ];
        self.ctx.launch(S, kernel, stride_grid(elems), &args)?;
        Ok(self.download(self.counters)?.first().copied().unwrap_or(0))
    }

    /// Checksums of the listed result buffers (slot i = buffer i), plus
    /// `extra` into the reference slot; synchronous.
    fn checksums(&self, buffers: &[usize], extra: Option<u64>) -> Result<Vec<u64>, DeviceError> {
        self.zero(self.slots)?;
        for &i in buffers {
            self.checksum_into(self.results[i].ptr, i)?;
        }
        if let Some(buf) = extra {
            self.checksum_into(buf, REFERENCE_SLOT)?;
        }
        self.download(self.slots)
    }

    /// Device seconds between two events, which are then released.
    fn seconds(&self, start: Event, end: Event) -> Result<f64, DeviceError> {
        let ms = self.ctx.elapsed_ms(start, end)?;
        Ok(f64::from(ms) / 1e3)
    }

    /// Computes the reference twice (it must agree with itself bit for bit),
    /// times the product and sizes the batch.
    fn reference_product_and_timing(&mut self) -> Result<(), DeviceError> {
        let reference = self.reference.ptr;
        // First product: also pays the JIT and cuBLASLt's lazy loading.
        self.product(reference)?;
        self.ctx.sync(S)?;
        // Timed products into the first result buffer: the last one is the
        // reference's second computation.
        let first = self.results[0].ptr;
        const TIMED: u32 = 3;
        let wall = Instant::now();
        let start = self.ctx.record(S)?;
        for _ in 0..TIMED {
            self.product(first)?;
        }
        let end = self.ctx.record(S)?;
        let sums = self.checksums(&[0], Some(reference))?;
        let wall_s = wall.elapsed().as_secs_f64() / f64::from(TIMED);
        let t_product = self.seconds(start, end)? / f64::from(TIMED);
        self.ctx.release(&[start, end])?;
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
        if second != self.reference_sum {
            self.product(reference)?;
            self.product(first)?;
            if self.inject_reference {
                self.inject_fault(0)?;
            }
            let again = self.checksums(&[0], Some(reference))?;
            self.reference_sum = again[REFERENCE_SLOT];
            if again[0] != self.reference_sum {
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
        let t = product_seconds(t_product, wall_s);
        self.products_per_batch =
            products_per_batch(t, self.results.len() as u64, self.batch_seconds);
        if let Some(h) = &mut self.hbm {
            // The stream's first batch lasts about the GEMM's device time.
            h.plan(self.products_per_batch as f64 * t_product);
        }
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
            let at = self.reference.ptr + (e * eb) / 8 * 8;
            let w = download_u64(self.ctx.as_ref(), at, 1)?
                .first()
                .copied()
                .unwrap_or(0);
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
        let nbuf = self.results.len();
        let products = self.products_per_batch;
        let cursor = self.cursor;
        // The HBM stream runs on its own stream while the products run.
        if let Some(h) = &mut self.hbm {
            h.launch(self.ctx.as_ref())?;
        }
        // Every product is verified: each one is checksummed right after it
        // is computed (stream order), into its own slot, before a later
        // product may overwrite its buffer. One (start, end) event pair per
        // product times the products without the checksums between them.
        self.zero(self.slots)?;
        let mut events: Vec<(Event, Event)> = Vec::with_capacity(products as usize);
        for j in 0..products as usize {
            let i = buffer_of(cursor, j, nbuf);
            let start = self.ctx.record(S)?;
            self.product(self.results[i].ptr)?;
            let end = self.ctx.record(S)?;
            events.push((start, end));
            // The fault goes into the batch's last product: its buffer is
            // not overwritten in the batch, so every element is counted.
            if j + 1 == products as usize && self.inject_at == Some(self.batch) {
                self.inject_fault(i)?;
            }
            self.checksum_into(self.results[i].ptr, j)?;
        }
        let done = self.ctx.record(S)?;
        self.cursor = next_cursor(cursor, products, nbuf);

        let (mut mismatched_products, mut mismatched_elements) = (0, 0);
        let sums = self.download(self.slots)?;
        let last = last_writes(cursor, products, nbuf);
        for j in 0..products as usize {
            if sums.get(j).copied() != Some(self.reference_sum) {
                mismatched_products += 1;
                let i = buffer_of(cursor, j, nbuf);
                // Elements can be counted only where the buffer still
                // holds this product (its last write in the batch).
                mismatched_elements += if last[i] == Some(j) {
                    self.compare_elements(self.results[i].ptr, 0.0)?.max(1)
                } else {
                    1
                };
            }
        }
        self.ctx.sync(S)?;
        let mut gemm_seconds = 0.0;
        for &(start, end) in &events {
            gemm_seconds += self.seconds(start, end)?;
        }
        // The GEMM's device time for the batch, products and checksums:
        // what the HBM stream's next batch should last.
        let device_batch = match events.first() {
            Some(&(first, _)) => self.seconds(first, done)?,
            None => 0.0,
        };
        let mut all: Vec<Event> = events.iter().flat_map(|&(s, e)| [s, e]).collect();
        all.push(done);
        self.ctx.release(&all)?;
        let streamed = match &mut self.hbm {
            Some(h) => h.collect(self.ctx.as_ref(), device_batch)?,
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
        self.ctx.sync(S)?;
        let eb = out_elem_bytes(self.dtype);
        let rng = self.seed ^ self.batch.wrapping_mul(0x9E37_79B9);
        let edits = verify::plan_fault(self.inject_kind, self.n, eb, rng);
        let base = self.results[i].ptr;
        for e in edits {
            let addr = base + e.start * eb;
            let mut bytes = vec![0u8; (e.count * eb) as usize];
            self.ctx.download(addr, &mut bytes)?;
            for x in bytes.chunks_exact_mut(eb as usize) {
                if eb == 8 {
                    let v = u64::from_le_bytes(x.try_into().unwrap_or([0; 8]));
                    x.copy_from_slice(&e.op.apply(v).to_le_bytes());
                } else {
                    let v = u32::from_le_bytes(x.try_into().unwrap_or([0; 4]));
                    let new = e.op.apply(u64::from(v)) as u32;
                    x.copy_from_slice(&new.to_le_bytes());
                }
            }
            self.ctx.upload(addr, &bytes)?;
        }
        Ok(())
    }

    /// Every buffer the worker holds.
    fn buffers(&self) -> Vec<Buf> {
        let mut bufs = vec![self.a, self.b, self.reference, self.slots, self.counters];
        bufs.extend(self.results.iter().copied());
        if let Some(h) = &self.hbm {
            bufs.extend(h.buffers());
        }
        bufs.retain(|b| b.ptr != 0);
        bufs
    }

    /// Zeroes and verifies every buffer; the result is kept so Drop does
    /// not repeat it.
    fn wipe_all(&mut self) -> Result<WipeReport, DeviceError> {
        if let Some(r) = self.wiped {
            return Ok(r);
        }
        if let Some(h) = &self.hbm {
            h.idle(self.ctx.as_ref())?;
        }
        if self.wipe_counter.ptr == 0 {
            return Ok(WipeReport::default());
        }
        let bufs = self.buffers();
        let report = wipe_each(self.ctx.as_ref(), S, &bufs, self.wipe_counter.ptr)?;
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
        self.batch_inner()
    }

    fn finish(&mut self) -> Result<WipeReport, DeviceError> {
        self.wipe_all()
    }
}

impl Drop for Burn {
    fn drop(&mut self) {
        // Wipe the buffers (verified) if the caller did not, also after an
        // error, then free them: queued work finishes first.
        let _ = self.wipe_all();
        let mut bufs = self.buffers();
        bufs.push(self.wipe_counter);
        for b in bufs.into_iter().filter(|b| b.ptr != 0) {
            let _ = self.ctx.free(b.ptr);
        }
    }
}
