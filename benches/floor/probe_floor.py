"""Whole-process wall time of `gpuctl probe`, nvidia-smi's query and the NVML floor
programs (benches/floor/nvml_probe.c) in one interleaved run, then each one's step
breakdown and gpuctl's own trace (GPUCTL_TRACE=2). Run by benches/floor/run.sh."""
import os, subprocess, sys, time
G=os.environ.get("GPUCTL", ".dev/bin/gpuctl"); C=os.environ.get("NVML_PROBE", "/tmp/nvml_probe")
cmds={
 "nvidia-smi": ["nvidia-smi","--query-gpu=index,temperature.gpu,ecc.errors.uncorrected.volatile.total","--format=csv"],
 "gpuctl probe": [G,"probe"],
 "gpuctl --version": [G,"--version"],
 "C v2 full": [C,"v2","full"],
 "C v2 smi": [C,"v2","smi"],
 "C v2 verdict": [C,"v2","verdict"],
 "C noattach full": [C,"noattach","full"],
 "C v2 full+shutdown": [C,"v2","full","shutdown"],
 "/bin/true": ["/bin/true"],
 "C dlopen only": [C,"none"],
}
def wall(c):
    s=time.perf_counter(); subprocess.run(c,stdout=subprocess.DEVNULL,stderr=subprocess.DEVNULL); return time.perf_counter()-s
for c in cmds.values(): wall(c)
t={k:[] for k in cmds}
for _ in range(int(sys.argv[1]) if len(sys.argv)>1 else 30):
    for k,c in cmds.items(): t[k].append(wall(c))
for k in cmds:
    s=sorted(t[k]); print(f"{k:22s} median {s[len(s)//2]*1e3:7.2f} ms  min {s[0]*1e3:7.2f}")
for mode in (["v2","full"],["v2","tlimit"],["v2","smi"],["v2","verdict"]):
    print("breakdown", mode); subprocess.run([C]+mode+["shutdown"],env=dict(os.environ,V="1"),stdout=subprocess.DEVNULL)
subprocess.run([C,"v2","tlimit"],env=dict(os.environ,V="1"))
for k in range(3):
    print("gpuctl trace"); subprocess.run([G,"probe"],env=dict(os.environ,GPUCTL_TRACE="2"),stdout=subprocess.DEVNULL)
