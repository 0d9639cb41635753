// A probe addon for bench/probes/mallopt.mjs: calls glibc's mallopt() inside a running Node
// process, to show that the allocator settings aekit's addon could make at load time (rather
// than GLIBC_TUNABLES, which only act at process start) remove the per-step page faults.
// Build (bench/probes/mallopt.mjs does it): cc -O2 -shared -fPIC -I/usr/include/node \
//   -o bench/results/mallopt.node bench/probes/mallopt/mallopt.c
#include <malloc.h>
#include <node_api.h>

// keepFreedMemory(mmapThresholdBytes, trimThresholdBytes) -> true when glibc accepted both
static napi_value KeepFreedMemory(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  double mmapThreshold = 0, trimThreshold = 0;
  napi_get_value_double(env, argv[0], &mmapThreshold);
  napi_get_value_double(env, argv[1], &trimThreshold);
  int ok = mallopt(M_MMAP_THRESHOLD, (int)mmapThreshold) == 1;
  ok = mallopt(M_TRIM_THRESHOLD, (int)trimThreshold) == 1 && ok;
  napi_value result;
  napi_get_boolean(env, ok, &result);
  return result;
}

NAPI_MODULE_INIT() {
  napi_value fn;
  napi_create_function(env, "keepFreedMemory", NAPI_AUTO_LENGTH, KeepFreedMemory, NULL, &fn);
  napi_set_named_property(env, exports, "keepFreedMemory", fn);
  return exports;
}
