//! [`Context`] on the CUDA driver API: the device's primary context,
//! raw allocations (freed on drop), the shipped PTX modules loaded on
//! first use, `cuLaunchKernel` with the launch's arguments, copies through
//! unified addresses, events, graphs, and cuBLASLt plans
//! ([`crate::device::cublaslt::LtPlan`]).
//!
//! Every method binds the context to the calling thread first, so a
//! workload may move between threads; a missing libcuda symbol (cudarc's
//! lazy loader panics) becomes a host-library error.

use super::{Arg, Context, DevPtr, Dim, Event, GemmSpec, Graph, Module, Plan, Props, Stream};
use crate::device::cublaslt::{self, LtPlan, Shape, WORKSPACE_BYTES};
use crate::device::cuerr::{cuda_err, guarded_dev};
use crate::device::types::DeviceError;
use cudarc::driver::sys::{self, CUdevice_attribute_enum as Attr, CUresult};
use cudarc::driver::{CudaContext, CudaStream};
use std::collections::HashMap;
use std::ffi::{c_void, CString};
use std::sync::{Arc, Mutex, MutexGuard};

/// Opens CUDA ordinal `ordinal`'s primary context.
pub fn open(ordinal: u32) -> Result<Box<dyn Context>, DeviceError> {
    guarded_dev(|| {
        let ctx = CudaContext::new(ordinal as usize)
            .map_err(|e| cuda_err("context creation failed", e.0))?;
        let attr = |a: Attr| {
            ctx.attribute(a)
                .map_err(|e| cuda_err("device attribute query failed", e.0))
        };
        let (major, minor) = ctx
            .compute_capability()
            .map_err(|e| cuda_err("device attribute query failed", e.0))?;
        let props = Props {
            ordinal,
            name: ctx.name().unwrap_or_default(),
            compute_capability: (major.max(0) as u32, minor.max(0) as u32),
            sm_count: attr(Attr::CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT)?.max(1) as u32,
            l2_bytes: attr(Attr::CU_DEVICE_ATTRIBUTE_L2_CACHE_SIZE)?.max(0) as u64,
            total_bytes: ctx
                .total_mem()
                .map_err(|e| cuda_err("cuDeviceTotalMem failed", e.0))?
                as u64,
        };
        Ok(Box::new(CudaCompute {
            ctx,
            props,
            state: Mutex::new(State::default()),
        }) as Box<dyn Context>)
    })
}

#[derive(Default)]
struct State {
    modules: HashMap<Module, usize>,
    functions: HashMap<String, usize>,
    streams: HashMap<u64, Arc<CudaStream>>,
    events: Vec<usize>,
    graphs: HashMap<u64, (usize, usize)>,
    plans: HashMap<u64, (LtPlan, u64)>,
    device: Vec<u64>,
    host: Vec<u64>,
    next_plan: u64,
}

// SAFETY: the raw handles (modules, functions, events, graphs) are driver
// objects usable from any thread once the context is bound; every use binds
// it first and the state is behind a mutex.
unsafe impl Send for State {}

struct CudaCompute {
    ctx: Arc<CudaContext>,
    props: Props,
    state: Mutex<State>,
}

fn ck(r: CUresult, step: &str) -> Result<(), DeviceError> {
    match r {
        CUresult::CUDA_SUCCESS => Ok(()),
        e => Err(cuda_err(step, e)),
    }
}

impl CudaCompute {
    /// Binds the context and locks the state; the closure's panics (a
    /// missing symbol) become host-library errors.
    fn with<T>(
        &self,
        f: impl FnOnce(&mut State) -> Result<T, DeviceError>,
    ) -> Result<T, DeviceError> {
        guarded_dev(|| {
            self.ctx
                .bind_to_thread()
                .map_err(|e| cuda_err("context bind failed", e.0))?;
            f(&mut self.lock())
        })
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn raw_stream(state: &State, s: Stream) -> Result<sys::CUstream, DeviceError> {
        if s == Stream::DEFAULT {
            return Ok(std::ptr::null_mut());
        }
        state
            .streams
            .get(&s.0)
            .map(|st| st.cu_stream())
            .ok_or_else(|| DeviceError::Invalid(format!("unknown stream {}", s.0)))
    }

    fn cudarc_stream(&self, state: &State, s: Stream) -> Result<Arc<CudaStream>, DeviceError> {
        if s == Stream::DEFAULT {
            return Ok(self.ctx.default_stream());
        }
        state
            .streams
            .get(&s.0)
            .cloned()
            .ok_or_else(|| DeviceError::Invalid(format!("unknown stream {}", s.0)))
    }

    fn function(state: &mut State, kernel: &str) -> Result<sys::CUfunction, DeviceError> {
        if let Some(&f) = state.functions.get(kernel) {
            return Ok(f as sys::CUfunction);
        }
        let module = Module::of(kernel)
            .ok_or_else(|| DeviceError::Invalid(format!("{kernel} is not a shipped kernel")))?;
        let m = match state.modules.get(&module) {
            Some(&m) => m as sys::CUmodule,
            None => {
                let ptx = CString::new(module.ptx())
                    .map_err(|_| DeviceError::Invalid("PTX holds a NUL byte".into()))?;
                let mut m: sys::CUmodule = std::ptr::null_mut();
                // SAFETY: `ptx` is a NUL-terminated PTX image; the context is bound.
                ck(
                    unsafe { sys::cuModuleLoadData(&mut m, ptx.as_ptr().cast()) },
                    "module load failed",
                )?;
                state.modules.insert(module, m as usize);
                m
            }
        };
        let name = CString::new(kernel)
            .map_err(|_| DeviceError::Invalid(format!("bad kernel name {kernel}")))?;
        let mut f: sys::CUfunction = std::ptr::null_mut();
        // SAFETY: `m` is a loaded module, `name` NUL-terminated.
        ck(
            unsafe { sys::cuModuleGetFunction(&mut f, m, name.as_ptr()) },
            &format!("kernel lookup failed ({kernel})"),
        )?;
        state.functions.insert(kernel.to_string(), f as usize);
        Ok(f)
    }
}

impl Context for CudaCompute {
    fn props(&self) -> &Props {
        &self.props
    }

    fn mem_info(&self) -> Result<(u64, u64), DeviceError> {
        self.with(|_| {
            let (mut free, mut total) = (0usize, 0usize);
            // SAFETY: writes two sizes; the context is bound.
            ck(
                unsafe { sys::cuMemGetInfo_v2(&mut free, &mut total) },
                "cuMemGetInfo failed",
            )?;
            Ok((free as u64, total as u64))
        })
    }

    fn alloc(&self, bytes: u64) -> Result<Option<DevPtr>, DeviceError> {
        self.with(|s| {
            let mut p: sys::CUdeviceptr = 0;
            // SAFETY: writes one device pointer; the context is bound.
            match unsafe { sys::cuMemAlloc_v2(&mut p, bytes as usize) } {
                CUresult::CUDA_SUCCESS => {
                    s.device.push(p);
                    Ok(Some(p))
                }
                CUresult::CUDA_ERROR_OUT_OF_MEMORY => Ok(None),
                e => Err(cuda_err("device allocation failed", e)),
            }
        })
    }

    fn alloc_host(&self, bytes: u64) -> Result<Option<DevPtr>, DeviceError> {
        self.with(|s| {
            let mut p: *mut c_void = std::ptr::null_mut();
            // PORTABLE | DEVICEMAP: usable by every context, mapped into
            // the unified address space.
            // SAFETY: writes one host pointer; the context is bound.
            match unsafe { sys::cuMemHostAlloc(&mut p, bytes as usize, 0x1 | 0x2) } {
                CUresult::CUDA_SUCCESS => {
                    s.host.push(p as u64);
                    Ok(Some(p as u64))
                }
                CUresult::CUDA_ERROR_OUT_OF_MEMORY => Ok(None),
                e => Err(cuda_err("pinned host allocation failed", e)),
            }
        })
    }

    fn free(&self, ptr: DevPtr) -> Result<(), DeviceError> {
        self.with(|s| {
            if let Some(i) = s.host.iter().position(|&p| p == ptr) {
                s.host.swap_remove(i);
                // SAFETY: a live pinned allocation of this context.
                return ck(
                    unsafe { sys::cuMemFreeHost(ptr as *mut c_void) },
                    "cuMemFreeHost failed",
                );
            }
            let i = s.device.iter().position(|&p| p == ptr).ok_or_else(|| {
                DeviceError::Invalid(format!("{ptr:#x} is not an allocation of this context"))
            })?;
            s.device.swap_remove(i);
            // SAFETY: a live device allocation of this context.
            ck(unsafe { sys::cuMemFree_v2(ptr) }, "cuMemFree failed")
        })
    }

    fn memset(
        &self,
        stream: Stream,
        ptr: DevPtr,
        value: u8,
        bytes: u64,
    ) -> Result<(), DeviceError> {
        self.with(|s| {
            let st = Self::raw_stream(s, stream)?;
            // SAFETY: the caller's range lies in one of its allocations.
            ck(
                unsafe { sys::cuMemsetD8Async(ptr, value, bytes as usize, st) },
                "cuMemsetD8Async failed",
            )
        })
    }

    fn upload(&self, dst: DevPtr, src: &[u8]) -> Result<(), DeviceError> {
        self.with(|_| {
            // SAFETY: copies src.len() bytes into the caller's allocation.
            ck(
                unsafe { sys::cuMemcpyHtoD_v2(dst, src.as_ptr().cast(), src.len()) },
                "cuMemcpyHtoD failed",
            )
        })
    }

    fn download(&self, src: DevPtr, dst: &mut [u8]) -> Result<(), DeviceError> {
        self.with(|_| {
            // SAFETY: copies dst.len() bytes out of the caller's allocation.
            ck(
                unsafe { sys::cuMemcpyDtoH_v2(dst.as_mut_ptr().cast(), src, dst.len()) },
                "cuMemcpyDtoH failed",
            )
        })
    }

    fn read_host(&self, src: DevPtr, dst: &mut [u8]) -> Result<(), DeviceError> {
        let s = self.lock();
        if !s.host.contains(&src) {
            return Err(DeviceError::Invalid(format!(
                "{src:#x} is not a pinned buffer"
            )));
        }
        // SAFETY: `src` is a live pinned allocation of at least dst.len()
        // bytes (the caller's), not written by the device meanwhile.
        unsafe { std::ptr::copy_nonoverlapping(src as *const u8, dst.as_mut_ptr(), dst.len()) };
        Ok(())
    }

    fn write_host(&self, dst: DevPtr, src: &[u8]) -> Result<(), DeviceError> {
        let s = self.lock();
        if !s.host.contains(&dst) {
            return Err(DeviceError::Invalid(format!(
                "{dst:#x} is not a pinned buffer"
            )));
        }
        // SAFETY: as read_host.
        unsafe { std::ptr::copy_nonoverlapping(src.as_ptr(), dst as *mut u8, src.len()) };
        Ok(())
    }

    fn copy(
        &self,
        stream: Stream,
        dst: DevPtr,
        src: DevPtr,
        bytes: u64,
    ) -> Result<(), DeviceError> {
        self.with(|s| {
            let st = Self::raw_stream(s, stream)?;
            // SAFETY: both ranges are live allocations (unified addresses).
            ck(
                unsafe { sys::cuMemcpyAsync(dst, src, bytes as usize, st) },
                "cuMemcpyAsync failed",
            )
        })
    }

    fn copy_peer(
        &self,
        stream: Stream,
        _peer: &dyn Context,
        dst: DevPtr,
        src: DevPtr,
        bytes: u64,
    ) -> Result<(), DeviceError> {
        // Unified addressing: the driver sees both devices' pointers and
        // uses the peer path (or stages through the host without access).
        self.copy(stream, dst, src, bytes)
    }

    fn enable_peer(&self, peer: &dyn Context) -> Result<Result<(), String>, DeviceError> {
        let peer_ctx = CudaContext::new(peer.props().ordinal as usize)
            .map_err(|e| cuda_err("peer context creation failed", e.0))?;
        self.with(|_| {
            let mut can = 0;
            // SAFETY: two valid device handles.
            ck(
                unsafe {
                    sys::cuDeviceCanAccessPeer(&mut can, self.ctx.cu_device(), peer_ctx.cu_device())
                },
                "cuDeviceCanAccessPeer failed",
            )?;
            if can == 0 {
                return Ok(Err(
                    "cuDeviceCanAccessPeer says the platform does not allow it".into(),
                ));
            }
            // SAFETY: enables this (bound) context's access to the peer's.
            match unsafe { sys::cuCtxEnablePeerAccess(peer_ctx.cu_ctx(), 0) } {
                CUresult::CUDA_SUCCESS | CUresult::CUDA_ERROR_PEER_ACCESS_ALREADY_ENABLED => {
                    Ok(Ok(()))
                }
                e => Ok(Err(format!(
                    "cuCtxEnablePeerAccess: {}",
                    crate::device::cuerr::describe(e)
                ))),
            }
        })
    }

    fn launch(
        &self,
        stream: Stream,
        kernel: &str,
        dim: Dim,
        args: &[Arg],
    ) -> Result<(), DeviceError> {
        self.with(|s| {
            let f = Self::function(s, kernel)?;
            let st = Self::raw_stream(s, stream)?;
            // Each argument in an 8-byte slot, little-endian: a pointer to
            // the slot is a pointer to a u32, i32, f32, u64 or f64.
            let mut slots: Vec<u64> = args
                .iter()
                .map(|a| match *a {
                    Arg::U32(v) => u64::from(v),
                    Arg::I32(v) => u64::from(v as u32),
                    Arg::U64(v) => v,
                    Arg::F32(v) => u64::from(v.to_bits()),
                    Arg::F64(v) => v.to_bits(),
                })
                .collect();
            let mut params: Vec<*mut c_void> =
                slots.iter_mut().map(|p| (p as *mut u64).cast()).collect();
            // SAFETY: `params` matches the kernel's parameter list (the
            // workloads follow the LAUNCH comments of kernels/*.cu) and
            // outlives the call, which copies the values.
            ck(
                unsafe {
                    sys::cuLaunchKernel(
                        f,
                        dim.grid.max(1),
                        dim.grid_y.max(1),
                        1,
                        dim.block.max(1),
                        1,
                        1,
                        dim.shared_bytes,
                        st,
                        params.as_mut_ptr(),
                        std::ptr::null_mut(),
                    )
                },
                &format!("kernel launch failed ({kernel})"),
            )
        })
    }

    fn stream(&self) -> Result<Stream, DeviceError> {
        self.with(|s| {
            let st = self
                .ctx
                .new_stream()
                .map_err(|e| cuda_err("stream creation failed", e.0))?;
            let id = st.cu_stream() as u64;
            s.streams.insert(id, st);
            Ok(Stream(id))
        })
    }

    fn record(&self, stream: Stream) -> Result<Event, DeviceError> {
        self.with(|s| {
            let st = Self::raw_stream(s, stream)?;
            let mut e: sys::CUevent = std::ptr::null_mut();
            // SAFETY: creates and records one event in the bound context.
            ck(
                unsafe { sys::cuEventCreate(&mut e, 0) },
                "event creation failed",
            )?;
            s.events.push(e as usize);
            ck(unsafe { sys::cuEventRecord(e, st) }, "event record failed")?;
            Ok(Event(e as u64))
        })
    }

    fn elapsed_ms(&self, start: Event, end: Event) -> Result<f32, DeviceError> {
        self.with(|_| {
            let mut ms = 0f32;
            // SAFETY: two recorded events; waits for `end` first.
            ck(
                unsafe { sys::cuEventSynchronize(end.0 as sys::CUevent) },
                "event wait failed",
            )?;
            ck(
                unsafe {
                    sys::cuEventElapsedTime(&mut ms, start.0 as sys::CUevent, end.0 as sys::CUevent)
                },
                "event timing failed",
            )?;
            Ok(ms)
        })
    }

    fn release(&self, events: &[Event]) -> Result<(), DeviceError> {
        self.with(|s| {
            for e in events {
                if let Some(i) = s.events.iter().position(|&x| x as u64 == e.0) {
                    s.events.swap_remove(i);
                    // SAFETY: an event of this context, destroyed once.
                    unsafe { sys::cuEventDestroy_v2(e.0 as sys::CUevent) };
                }
            }
            Ok(())
        })
    }

    fn wait(&self, stream: Stream, event: Event) -> Result<(), DeviceError> {
        self.with(|s| {
            let st = Self::raw_stream(s, stream)?;
            // SAFETY: a recorded event (of any context) and a stream of this one.
            ck(
                unsafe { sys::cuStreamWaitEvent(st, event.0 as sys::CUevent, 0) },
                "cuStreamWaitEvent failed",
            )
        })
    }

    fn sync(&self, stream: Stream) -> Result<(), DeviceError> {
        self.with(|s| {
            let st = Self::raw_stream(s, stream)?;
            // SAFETY: a stream of this context.
            ck(
                unsafe { sys::cuStreamSynchronize(st) },
                "stream synchronize failed",
            )
        })
    }

    fn done(&self, stream: Stream) -> Result<bool, DeviceError> {
        self.with(|s| {
            let st = Self::raw_stream(s, stream)?;
            // SAFETY: a stream of this context.
            match unsafe { sys::cuStreamQuery(st) } {
                CUresult::CUDA_SUCCESS => Ok(true),
                CUresult::CUDA_ERROR_NOT_READY => Ok(false),
                e => Err(cuda_err("cuStreamQuery failed", e)),
            }
        })
    }

    fn begin_capture(&self, stream: Stream) -> Result<(), DeviceError> {
        self.with(|s| {
            let st = Self::raw_stream(s, stream)?;
            // SAFETY: a stream of this context, not capturing yet.
            ck(
                unsafe {
                    sys::cuStreamBeginCapture_v2(
                        st,
                        sys::CUstreamCaptureMode::CU_STREAM_CAPTURE_MODE_THREAD_LOCAL,
                    )
                },
                "starting the graph capture failed",
            )
        })
    }

    fn end_capture(&self, stream: Stream) -> Result<Graph, DeviceError> {
        self.with(|s| {
            let st = Self::raw_stream(s, stream)?;
            let mut g: sys::CUgraph = std::ptr::null_mut();
            let mut exec: sys::CUgraphExec = std::ptr::null_mut();
            // SAFETY: ends this stream's capture, then instantiates it.
            ck(
                unsafe { sys::cuStreamEndCapture(st, &mut g) },
                "ending the graph capture failed",
            )?;
            if g.is_null() {
                return Err(DeviceError::Invalid("the graph capture was empty".into()));
            }
            ck(
                unsafe { sys::cuGraphInstantiateWithFlags(&mut exec, g, 0) },
                "building the graph failed",
            )?;
            let id = exec as u64;
            s.graphs.insert(id, (g as usize, exec as usize));
            Ok(Graph(id))
        })
    }

    fn replay(&self, stream: Stream, graph: Graph) -> Result<(), DeviceError> {
        self.with(|s| {
            let st = Self::raw_stream(s, stream)?;
            if !s.graphs.contains_key(&graph.0) {
                return Err(DeviceError::Invalid("unknown graph".into()));
            }
            // SAFETY: an instantiated graph of this context.
            ck(
                unsafe { sys::cuGraphLaunch(graph.0 as sys::CUgraphExec, st) },
                "launching the graph failed",
            )
        })
    }

    fn gemm_plan(&self, spec: GemmSpec, _workspace: u64) -> Result<Plan, DeviceError> {
        let lib = cublaslt::lib_or_host_error()?;
        let plan = LtPlan::with_shape(
            lib,
            &self.ctx,
            spec.dtype,
            Shape {
                m: spec.m,
                n: spec.n,
                k: spec.k,
            },
        )?;
        let ws = self
            .alloc(WORKSPACE_BYTES as u64)?
            .ok_or_else(|| DeviceError::OutOfMemory {
                step: "cuMemAlloc cuBLASLt workspace".into(),
                requested_bytes: WORKSPACE_BYTES as u64,
                free_bytes: 0,
            })?;
        let mut s = self.lock();
        s.next_plan += 1;
        let id = s.next_plan;
        s.plans.insert(id, (plan, ws));
        Ok(Plan(id))
    }

    fn gemm(
        &self,
        stream: Stream,
        plan: Plan,
        a: DevPtr,
        b: DevPtr,
        c: DevPtr,
    ) -> Result<(), DeviceError> {
        self.with(|s| {
            let st = self.cudarc_stream(s, stream)?;
            let (p, ws) = s
                .plans
                .get(&plan.0)
                .ok_or_else(|| DeviceError::Invalid("unknown GEMM plan".into()))?;
            p.matmul(a, b, c, *ws, &st)
        })
    }
}

impl Drop for CudaCompute {
    fn drop(&mut self) {
        // Errors are ignored: nothing useful can be done with them here.
        let _ = guarded_dev(|| {
            let _ = self.ctx.bind_to_thread();
            let mut s = self.lock();
            // SAFETY: each handle below belongs to this context and is
            // destroyed once; work is synchronized first.
            unsafe {
                let _ = sys::cuCtxSynchronize();
                s.plans.clear();
                for (_, (g, exec)) in s.graphs.drain() {
                    let _ = sys::cuGraphExecDestroy(exec as sys::CUgraphExec);
                    let _ = sys::cuGraphDestroy(g as sys::CUgraph);
                }
                for e in s.events.drain(..) {
                    let _ = sys::cuEventDestroy_v2(e as sys::CUevent);
                }
                for p in s.device.drain(..) {
                    let _ = sys::cuMemFree_v2(p);
                }
                for p in s.host.drain(..) {
                    let _ = sys::cuMemFreeHost(p as *mut c_void);
                }
                for (_, m) in s.modules.drain() {
                    let _ = sys::cuModuleUnload(m as sys::CUmodule);
                }
            }
            s.streams.clear();
            Ok(())
        });
    }
}
