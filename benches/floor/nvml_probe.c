// Floor of an NVML probe: the calls `gpuctl probe` (mode `full`) or nvidia-smi's
// `--query-gpu=index,temperature.gpu,ecc.errors.uncorrected.volatile.total` (mode `smi`)
// make, from a bare C program, with optional nvmlShutdown. `V=1` prints each step's time.
// Issue 7 measured with it that an NVML client reading what nvidia-smi reads, without
// shutdown, takes about 0.95x nvidia-smi: below that no NVML probe can go.
// Mode `verdict` (issue 21): only what probe's verdict needs, no identity (no driver or CUDA
// version, name, UUID or PCI info), one thread per GPU doing its reads right after its
// handle: temperature, ECC + row-remap field values, slowdown threshold.
// Build and run on a GPU machine: benches/floor/run.sh
// (gcc -O2 -o nvml_probe nvml_probe.c -ldl -lpthread).
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
typedef void *dev_t_;
static double now(){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec*1e6+t.tv_nsec/1e3;}
static double T; static int V;
static void mark(const char*w,int rc){double n=now(); if(V) fprintf(stderr,"%8.0f us %-28s rc=%d\n",n-T,w,rc);}
typedef struct {unsigned fieldId, scopeId; long long ts, lat; int vt, ret; unsigned long long v;} fv_t;
static void *p_handle, *p_temp, *p_fields, *p_thresh;
// One GPU's verdict reads, right after its handle (mode `verdict`).
static void *verdict(void *arg){
  unsigned i=(unsigned)(unsigned long)arg; dev_t_ d; int rc;
  rc=((int(*)(unsigned,dev_t_*))p_handle)(i,&d); mark("handle",rc);
  unsigned t; rc=((int(*)(dev_t_,int,unsigned*))p_temp)(d,0,&t); mark("temperature",rc);
  fv_t f[5]; unsigned ids[5]={4,142,143,144,145}; memset(f,0,sizeof f); for(int k=0;k<5;k++) f[k].fieldId=ids[k];
  rc=((int(*)(dev_t_,int,fv_t*))p_fields)(d,5,f); mark("field values (ecc+remap)",rc);
  unsigned th; rc=((int(*)(dev_t_,int,unsigned*))p_thresh)(d,1,&th); mark("slowdown threshold",rc);
  return 0;
}
int main(int argc,char**argv){
  T=now(); V=getenv("V")!=0;
  const char*init=argc>1?argv[1]:"v2"; const char*what=argc>2?argv[2]:"full"; int shut=argc>3&&!strcmp(argv[3],"shutdown");
  void*h=dlopen("libnvidia-ml.so.1",RTLD_NOW|RTLD_LOCAL); mark("dlopen",h!=0);
#define S(n) void*n=dlsym(h,#n)
  S(nvmlInit_v2);S(nvmlInitWithFlags);S(nvmlShutdown);S(nvmlDeviceGetCount_v2);S(nvmlDeviceGetHandleByIndex_v2);
  S(nvmlDeviceGetName);S(nvmlDeviceGetUUID);S(nvmlDeviceGetPciInfo_v3);S(nvmlDeviceGetTemperature);
  S(nvmlDeviceGetTotalEccErrors);S(nvmlDeviceGetFieldValues);S(nvmlDeviceGetTemperatureThreshold);
  S(nvmlSystemGetDriverVersion);S(nvmlSystemGetCudaDriverVersion);
  int rc;
  if(!strcmp(init,"none")) _exit(0);
  if(!strcmp(init,"v2")) rc=((int(*)(void))nvmlInit_v2)();
  else if(!strcmp(init,"noattach")) rc=((int(*)(unsigned))nvmlInitWithFlags)(2);
  else rc=((int(*)(unsigned))nvmlInitWithFlags)(0);
  mark(init,rc);
  unsigned n=0; rc=((int(*)(unsigned*))nvmlDeviceGetCount_v2)(&n); mark("count",rc);
  if(!strcmp(what,"verdict")){
    p_handle=nvmlDeviceGetHandleByIndex_v2; p_temp=nvmlDeviceGetTemperature;
    p_fields=nvmlDeviceGetFieldValues; p_thresh=nvmlDeviceGetTemperatureThreshold;
    pthread_t th[64]; unsigned m=n<64?n:64;
    for(unsigned i=0;i<m;i++) pthread_create(&th[i],0,verdict,(void*)(unsigned long)i);
    for(unsigned i=0;i<m;i++) pthread_join(th[i],0);
    printf("ok\n"); fflush(stdout);
    if(shut){ rc=((int(*)(void))nvmlShutdown)(); mark("shutdown",rc); }
    _exit(0);
  }
  char buf[256];
  if(!strcmp(what,"full")){ rc=((int(*)(char*,unsigned))nvmlSystemGetDriverVersion)(buf,80); mark("driver version",rc);
    int cv; rc=((int(*)(int*))nvmlSystemGetCudaDriverVersion)(&cv); mark("cuda driver version",rc);}
  for(unsigned i=0;i<n;i++){
    dev_t_ d; rc=((int(*)(unsigned,dev_t_*))nvmlDeviceGetHandleByIndex_v2)(i,&d); mark("handle",rc);
    if(!strcmp(what,"full")){
      rc=((int(*)(dev_t_,char*,unsigned))nvmlDeviceGetName)(d,buf,96); mark("name",rc);
      rc=((int(*)(dev_t_,char*,unsigned))nvmlDeviceGetUUID)(d,buf,96); mark("uuid",rc);
      rc=((int(*)(dev_t_,void*))nvmlDeviceGetPciInfo_v3)(d,buf); mark("pci",rc);
    }
    unsigned t; rc=((int(*)(dev_t_,int,unsigned*))nvmlDeviceGetTemperature)(d,0,&t); mark("temperature",rc);
    if(!strcmp(what,"tlimit")){
      fv_t f[6]; unsigned ids[6]={4,142,143,144,145,194}; memset(f,0,sizeof f); for(int k=0;k<6;k++) f[k].fieldId=ids[k];
      rc=((int(*)(dev_t_,int,fv_t*))nvmlDeviceGetFieldValues)(d,6,f); mark("field values 6 (ecc+remap+tlimit)",rc);
      unsigned th; rc=((int(*)(dev_t_,int,unsigned*))nvmlDeviceGetTemperatureThreshold)(d,1,&th); mark("slowdown threshold",rc);
      fv_t g[1]; memset(g,0,sizeof g); g[0].fieldId=194; rc=((int(*)(dev_t_,int,fv_t*))nvmlDeviceGetFieldValues)(d,1,g); mark("field 194 alone",rc);
      fv_t h2[5]; unsigned ids2[5]={4,142,143,144,145}; memset(h2,0,sizeof h2); for(int k=0;k<5;k++) h2[k].fieldId=ids2[k];
      rc=((int(*)(dev_t_,int,fv_t*))nvmlDeviceGetFieldValues)(d,5,h2); mark("field values 5 again",rc);
      unsigned t2; rc=((int(*)(dev_t_,int,unsigned*))nvmlDeviceGetTemperature)(d,0,&t2); mark("temperature again",rc);
      printf("temp %u slowdown %u tlimit194 ret %d type %d value %lld\n",t,th,f[5].ret,f[5].vt,(long long)f[5].v);
    }
    if(!strcmp(what,"full")){
      fv_t f[5]; unsigned ids[5]={4,142,143,144,145}; memset(f,0,sizeof f); for(int k=0;k<5;k++) f[k].fieldId=ids[k];
      rc=((int(*)(dev_t_,int,fv_t*))nvmlDeviceGetFieldValues)(d,5,f); mark("field values (ecc+remap)",rc);
      rc=((int(*)(dev_t_,int,unsigned*))nvmlDeviceGetTemperatureThreshold)(d,1,&t); mark("slowdown threshold",rc);
    } else {
      unsigned long long e; rc=((int(*)(dev_t_,int,int,unsigned long long*))nvmlDeviceGetTotalEccErrors)(d,1,1,&e); mark("ecc total",rc);
    }
  }
  printf("ok\n"); fflush(stdout);
  if(shut){ rc=((int(*)(void))nvmlShutdown)(); mark("shutdown",rc); }
  _exit(0);
}
