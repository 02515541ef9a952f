#!/usr/bin/env python3
"""Build kernels/*.cu to kernels/*.ptx with NVRTC 12.2 (no GPU, no CUDA toolkit needed).

Usage:
  python3 kernels/build.py            # (re)write kernels/<name>.ptx for every kernels/*.cu
  python3 kernels/build.py --check    # build into a temp dir; exit 1 if any committed .ptx differs
  python3 kernels/build.py --out DIR [-D NAME=VAL ...] [FILE.cu ...]   # development builds

libnvrtc.so.12 is taken from $NVRTC_LIB if set, else from the PyPI wheel
`nvidia-cuda-nvrtc-cu12==12.2.140` (nvidia/cuda_nvrtc/lib/libnvrtc.so.12*) found in this
interpreter's site-packages, the user site, or the venv made by kernels/install-tools.sh
($GPUCTL_KERNEL_TOOLS, default ~/.cache/gpuctl-kernel-tools). Only the stdlib and ctypes are used.

Options, for every file: --gpu-architecture=compute_80 --fmad=false -default-device --std=c++17
(fmad=false so the self-test's separate multiply/add are never contracted and the host can
reproduce it bit-exactly; kernels that want FMA call fmaf()/fma() explicitly, as gemm.cu does).
A file may add options with a line `// NVRTC_EXTRA_OPTIONS: opt1 opt2` (none do today).
No CUDA header is #included anywhere: NVRTC 12.2 cannot find them without the toolkit.

The output is deterministic (the program name passed to NVRTC is the bare file name), so CI can
run `--check` or rebuild and `git diff --exit-code kernels/`.
"""
import ctypes
import glob
import os
import shlex
import site
import sys
import sysconfig
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
BASE_OPTIONS = [
    "--gpu-architecture=compute_80",
    "--fmad=false",
    "-default-device",
    "--std=c++17",
]
EXPECTED_VERSION = (12, 2)


def candidate_dirs():
    dirs = []
    try:
        dirs += site.getsitepackages()
    except Exception:
        pass
    try:
        dirs.append(site.getusersitepackages())
    except Exception:
        pass
    for key in ("purelib", "platlib"):
        try:
            dirs.append(sysconfig.get_paths()[key])
        except Exception:
            pass
    dirs += [p for p in sys.path if p]
    tools = os.environ.get("GPUCTL_KERNEL_TOOLS",
                           os.path.join(os.path.expanduser("~"), ".cache", "gpuctl-kernel-tools"))
    dirs += sorted(glob.glob(os.path.join(tools, "lib", "python3*", "site-packages")))
    seen, out = set(), []
    for d in dirs:
        if d not in seen:
            seen.add(d)
            out.append(d)
    return out


def find_nvrtc():
    env = os.environ.get("NVRTC_LIB")
    if env:
        if not os.path.isfile(env):
            sys.exit(f"build.py: NVRTC_LIB={env} does not exist")
        return env
    for d in candidate_dirs():
        hits = sorted(glob.glob(os.path.join(d, "nvidia", "cuda_nvrtc", "lib", "libnvrtc.so.12*")))
        # prefer the plain soname, skip the builtins library
        hits = [h for h in hits if "builtins" not in os.path.basename(h)]
        if hits:
            return hits[0]
    sys.exit("build.py: libnvrtc.so.12 not found; run `bash kernels/install-tools.sh` "
             "(pip install nvidia-cuda-nvrtc-cu12==12.2.140) or set NVRTC_LIB")


class Nvrtc:
    def __init__(self, path):
        self.lib = ctypes.CDLL(path)
        L = self.lib
        L.nvrtcGetErrorString.restype = ctypes.c_char_p
        L.nvrtcGetErrorString.argtypes = [ctypes.c_int]
        L.nvrtcVersion.argtypes = [ctypes.POINTER(ctypes.c_int), ctypes.POINTER(ctypes.c_int)]
        L.nvrtcCreateProgram.argtypes = [ctypes.POINTER(ctypes.c_void_p), ctypes.c_char_p,
                                         ctypes.c_char_p, ctypes.c_int,
                                         ctypes.POINTER(ctypes.c_char_p),
                                         ctypes.POINTER(ctypes.c_char_p)]
        L.nvrtcCompileProgram.argtypes = [ctypes.c_void_p, ctypes.c_int,
                                          ctypes.POINTER(ctypes.c_char_p)]
        L.nvrtcGetPTXSize.argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.c_size_t)]
        L.nvrtcGetPTX.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
        L.nvrtcGetProgramLogSize.argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.c_size_t)]
        L.nvrtcGetProgramLog.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
        L.nvrtcDestroyProgram.argtypes = [ctypes.POINTER(ctypes.c_void_p)]
        major, minor = ctypes.c_int(), ctypes.c_int()
        self._ok(L.nvrtcVersion(ctypes.byref(major), ctypes.byref(minor)), "nvrtcVersion")
        self.version = (major.value, minor.value)

    def _ok(self, rc, what):
        if rc != 0:
            raise RuntimeError(f"{what}: {self.lib.nvrtcGetErrorString(rc).decode()}")

    def compile(self, source, name, options):
        L = self.lib
        prog = ctypes.c_void_p()
        self._ok(L.nvrtcCreateProgram(ctypes.byref(prog), source, name.encode(), 0, None, None),
                 "nvrtcCreateProgram")
        try:
            opts = (ctypes.c_char_p * len(options))(*[o.encode() for o in options])
            rc = L.nvrtcCompileProgram(prog, len(options), opts)
            size = ctypes.c_size_t()
            L.nvrtcGetProgramLogSize(prog, ctypes.byref(size))
            buf = ctypes.create_string_buffer(size.value)
            L.nvrtcGetProgramLog(prog, buf)
            log = buf.value.decode(errors="replace").strip()
            if rc != 0:
                raise RuntimeError(f"compiling {name} failed "
                                   f"({L.nvrtcGetErrorString(rc).decode()}):\n{log}")
            self._ok(L.nvrtcGetPTXSize(prog, ctypes.byref(size)), "nvrtcGetPTXSize")
            buf = ctypes.create_string_buffer(size.value)
            self._ok(L.nvrtcGetPTX(prog, buf), "nvrtcGetPTX")
            return buf.value, log  # .value drops the trailing NUL
        finally:
            L.nvrtcDestroyProgram(ctypes.byref(prog))


def file_options(source):
    extra = []
    for line in source.decode().splitlines():
        s = line.strip()
        if s.startswith("// NVRTC_EXTRA_OPTIONS:"):
            extra += shlex.split(s.split(":", 1)[1])
    return extra


def build(nvrtc, sources, out_dir, defines=()):
    written = []
    for src in sources:
        name = os.path.basename(src)
        with open(src, "rb") as f:
            source = f.read()
        options = BASE_OPTIONS + file_options(source) + [f"-D{d}" for d in defines]
        ptx, log = nvrtc.compile(source, name, options)
        if log:
            print(f"{name}: {log}", file=sys.stderr)
        out = os.path.join(out_dir, os.path.splitext(name)[0] + ".ptx")
        with open(out, "wb") as f:
            f.write(ptx)
        written.append(out)
    return written


def main(argv):
    check = False
    out_dir = HERE
    defines = []
    files = []
    it = iter(argv)
    for a in it:
        if a == "--check":
            check = True
        elif a == "--out":
            out_dir = next(it)
        elif a == "-D":
            defines.append(next(it))
        elif a.startswith("-D"):
            defines.append(a[2:])
        elif a in ("-h", "--help"):
            print(__doc__)
            return 0
        else:
            files.append(a)
    sources = files or sorted(glob.glob(os.path.join(HERE, "*.cu")))
    if not sources:
        sys.exit("build.py: no kernels/*.cu found")
    lib = find_nvrtc()
    nvrtc = Nvrtc(lib)
    if nvrtc.version != EXPECTED_VERSION:
        print(f"build.py: warning: NVRTC {nvrtc.version[0]}.{nvrtc.version[1]} at {lib}; the "
              f"committed PTX is built with {EXPECTED_VERSION[0]}.{EXPECTED_VERSION[1]}",
              file=sys.stderr)
    if check:
        with tempfile.TemporaryDirectory() as tmp:
            built = build(nvrtc, sources, tmp, defines)
            bad = 0
            for b in built:
                committed = os.path.join(HERE, os.path.basename(b))
                with open(b, "rb") as f:
                    new = f.read()
                try:
                    with open(committed, "rb") as f:
                        old = f.read()
                except FileNotFoundError:
                    old = None
                if old != new:
                    bad += 1
                    why = "missing" if old is None else "differs from a fresh build"
                    print(f"build.py --check: kernels/{os.path.basename(b)} {why}; "
                          f"run `python3 kernels/build.py` and commit", file=sys.stderr)
            if bad:
                return 1
            print(f"build.py --check: {len(built)} PTX file(s) up to date "
                  f"(NVRTC {nvrtc.version[0]}.{nvrtc.version[1]})")
            return 0
    os.makedirs(out_dir, exist_ok=True)
    for w in build(nvrtc, sources, out_dir, defines):
        print(f"wrote {os.path.relpath(w)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
