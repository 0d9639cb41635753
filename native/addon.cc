// Module entry: tensor handles, conversion to and from typed arrays, autograd entry
// points, random generators and thread settings. Operators live in dispatch.cc.
#include "common.h"

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Parallel.h>
#include <c10/core/GradMode.h>
#include <torch/version.h>

#include <dlfcn.h>
#include <malloc.h>

#include <cstdlib>
#include <cstring>
#include <mutex>
#include <sstream>

namespace aekit {

std::atomic<int64_t> liveTensorCount{0};

namespace {

// Bytes to report to V8 for a new handle: only a handle that alone owns its storage
// reports it, so views and aliases of one buffer do not count it many times.
int64_t ownedBytes(const at::Tensor& tensor) {
  if (!tensor.has_storage()) return 0;
  const c10::Storage& storage = tensor.storage();
  if (storage.use_count() != 1) return 0;
  return static_cast<int64_t>(storage.nbytes());
}

template <typename Box>
Box* unwrapBox(const Napi::Value& value, BoxKind kind, const std::string& what,
               const char* expected) {
  if (!value.IsExternal()) {
    throw Napi::TypeError::New(value.Env(), what + ": expected " + expected);
  }
  auto* box = value.As<Napi::External<Box>>().Data();
  if (box == nullptr || box->kind != kind) {
    throw Napi::TypeError::New(value.Env(), what + ": expected " + expected);
  }
  return box;
}

std::vector<int64_t> toShape(const Napi::Value& value, const char* what) {
  if (!value.IsArray()) {
    throw Napi::TypeError::New(value.Env(), std::string(what) + ": expected an array");
  }
  auto array = value.As<Napi::Array>();
  std::vector<int64_t> shape(array.Length());
  for (uint32_t i = 0; i < array.Length(); ++i) {
    shape[i] = array.Get(i).As<Napi::Number>().Int64Value();
  }
  return shape;
}

Napi::Array fromShape(Napi::Env env, at::IntArrayRef sizes) {
  auto array = Napi::Array::New(env, sizes.size());
  for (size_t i = 0; i < sizes.size(); ++i) array.Set(i, Napi::Number::New(env, sizes[i]));
  return array;
}

const at::Tensor& arg0(const Napi::CallbackInfo& info) { return unwrapTensor(info[0], "tensor"); }

}  // namespace

std::string shortMessage(const char* what) {
  std::string message(what == nullptr ? "" : what);
  // libtorch appends "Exception raised from ..." and frames; keep the sentence only.
  auto cut = message.find("\nException raised from");
  if (cut != std::string::npos) message.resize(cut);
  while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
  return message;
}

void releaseTensor(Napi::Env env, TensorBox* box) {
  if (!box->live) return;
  box->live = false;
  box->tensor.reset();
  liveTensorCount--;
  if (box->reportedBytes != 0) {
    Napi::MemoryManagement::AdjustExternalMemory(env, -box->reportedBytes);
    box->reportedBytes = 0;
  }
}

Napi::Value wrapTensor(Napi::Env env, at::Tensor tensor) {
  if (!tensor.defined()) return env.Null();
  auto* box = new TensorBox();
  box->tensor = std::move(tensor);
  box->reportedBytes = ownedBytes(box->tensor);
  liveTensorCount++;
  if (box->reportedBytes != 0) {
    Napi::MemoryManagement::AdjustExternalMemory(env, box->reportedBytes);
  }
  return Napi::External<TensorBox>::New(env, box, [](Napi::Env env, TensorBox* data) {
    releaseTensor(env, data);
    delete data;
  });
}

TensorBox* unwrapTensorBox(const Napi::Value& value, const std::string& what) {
  return unwrapBox<TensorBox>(value, BoxKind::Tensor, what, "a Tensor");
}

const at::Tensor& unwrapTensor(const Napi::Value& value, const std::string& what) {
  TensorBox* box = unwrapTensorBox(value, what);
  if (!box->live) throw Napi::Error::New(value.Env(), what + ": tensor was disposed");
  return box->tensor;
}

at::Generator& unwrapGenerator(const Napi::Value& value, const std::string& what) {
  return unwrapBox<GeneratorBox>(value, BoxKind::Generator, what, "a Generator")->generator;
}

namespace {

// fromBuffer(typedArray, shape, scalarType, device) -> tensor (a copy of the data)
Napi::Value FromBuffer(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    Napi::Env env = info.Env();
    if (!info[0].IsTypedArray()) throw Napi::TypeError::New(env, "data: expected a typed array");
    auto data = info[0].As<Napi::TypedArray>();
    auto shape = toShape(info[1], "shape");
    auto scalarType = static_cast<at::ScalarType>(info[2].As<Napi::Number>().Int32Value());
    at::Tensor tensor = at::empty(shape, at::TensorOptions().dtype(scalarType));
    size_t bytes = tensor.nbytes();
    if (bytes != data.ByteLength()) {
      throw Napi::RangeError::New(env, "data: expected " + std::to_string(bytes) +
                                           " bytes for the shape, got " +
                                           std::to_string(data.ByteLength()));
    }
    auto* source = static_cast<uint8_t*>(data.ArrayBuffer().Data()) + data.ByteOffset();
    if (bytes != 0) std::memcpy(tensor.data_ptr(), source, bytes);
    if (info.Length() > 3 && info[3].IsString()) {
      c10::Device device(info[3].As<Napi::String>().Utf8Value());
      if (!device.is_cpu()) tensor = tensor.to(device);
    }
    return wrapTensor(env, std::move(tensor));
  });
}

// toBuffer(tensor) -> ArrayBuffer holding a contiguous CPU copy of the values
Napi::Value ToBuffer(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    at::Tensor tensor = arg0(info).detach();
    if (!tensor.device().is_cpu()) tensor = tensor.cpu();
    tensor = tensor.contiguous();
    auto buffer = Napi::ArrayBuffer::New(info.Env(), tensor.nbytes());
    if (tensor.nbytes() != 0) std::memcpy(buffer.Data(), tensor.data_ptr(), tensor.nbytes());
    return buffer;
  });
}

Napi::Value Item(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    const at::Tensor& tensor = arg0(info);
    if (tensor.numel() != 1) {
      throw Napi::RangeError::New(info.Env(), "item: expected a tensor with one element, got " +
                                                  std::to_string(tensor.numel()));
    }
    c10::Scalar value = tensor.item();
    if (value.isBoolean()) return Napi::Boolean::New(info.Env(), value.toBool());
    return Napi::Number::New(info.Env(), value.toDouble());
  });
}

// meta(tensor) -> [shape, scalarType, device, requiresGrad]
Napi::Value Meta(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    Napi::Env env = info.Env();
    const at::Tensor& tensor = arg0(info);
    auto result = Napi::Array::New(env, 4);
    result.Set(0u, fromShape(env, tensor.sizes()));
    result.Set(1u, Napi::Number::New(env, static_cast<int>(tensor.scalar_type())));
    result.Set(2u, Napi::String::New(env, tensor.device().str()));
    result.Set(3u, Napi::Boolean::New(env, tensor.requires_grad()));
    return result;
  });
}

Napi::Value Shape(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value { return fromShape(info.Env(), arg0(info).sizes()); });
}

Napi::Value ScalarTypeOf(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    return Napi::Number::New(info.Env(), static_cast<int>(arg0(info).scalar_type()));
  });
}

Napi::Value SetRequiresGrad(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    at::Tensor tensor = arg0(info);
    tensor.set_requires_grad(info[1].As<Napi::Boolean>().Value());
    return info.Env().Undefined();
  });
}

Napi::Value IsLeaf(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    return Napi::Boolean::New(info.Env(), arg0(info).is_leaf());
  });
}

Napi::Value Grad(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value { return wrapTensor(info.Env(), arg0(info).grad()); });
}

// setGrad(tensor, gradOrNull)
Napi::Value SetGrad(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    at::Tensor tensor = arg0(info);
    if (info[1].IsNull() || info[1].IsUndefined()) {
      tensor.mutable_grad() = at::Tensor();
    } else {
      tensor.mutable_grad() = unwrapTensor(info[1], "grad");
    }
    return info.Env().Undefined();
  });
}

// setData(tensor, source): the tensor takes the source's values, dtype and device in place,
// keeping its identity and autograd flags (PyTorch's `param.data = source`).
Napi::Value SetData(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    const at::Tensor& source = unwrapTensor(info[1], "source");
    arg0(info);  // refuses a disposed tensor
    TensorBox* box = unwrapTensorBox(info[0], "tensor");
    box->tensor.set_data(source);
    if (box->reportedBytes != 0) {
      int64_t bytes = static_cast<int64_t>(box->tensor.storage().nbytes());
      Napi::MemoryManagement::AdjustExternalMemory(info.Env(), bytes - box->reportedBytes);
      box->reportedBytes = bytes;
    }
    return info.Env().Undefined();
  });
}

// backward(tensor, gradOrNull, retainGraph)
Napi::Value Backward(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    const at::Tensor& tensor = arg0(info);
    at::Tensor gradient;
    if (!(info[1].IsNull() || info[1].IsUndefined())) gradient = unwrapTensor(info[1], "gradient");
    bool retain = info.Length() > 2 && info[2].ToBoolean().Value();
    tensor.backward(gradient, retain);
    return info.Env().Undefined();
  });
}

Napi::Value Dispose(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    releaseTensor(info.Env(), unwrapTensorBox(info[0], "tensor"));
    return info.Env().Undefined();
  });
}

Napi::Value IsDisposed(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    return Napi::Boolean::New(info.Env(), !unwrapTensorBox(info[0], "tensor")->live);
  });
}

Napi::Value LiveTensors(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(liveTensorCount.load()));
}

// setGradEnabled(enabled) -> previous setting (thread-local, like PyTorch's)
Napi::Value SetGradEnabled(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    bool previous = c10::GradMode::is_enabled();
    c10::GradMode::set_enabled(info[0].As<Napi::Boolean>().Value());
    return Napi::Boolean::New(info.Env(), previous);
  });
}

Napi::Value IsGradEnabled(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), c10::GradMode::is_enabled());
}

uint64_t toSeed(const Napi::Value& value) {
  if (value.IsBigInt()) {
    bool lossless = false;
    return value.As<Napi::BigInt>().Uint64Value(&lossless);
  }
  return static_cast<uint64_t>(value.As<Napi::Number>().Int64Value());
}

Napi::Value ManualSeed(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    at::manual_seed(toSeed(info[0]));
    return info.Env().Undefined();
  });
}

Napi::Value NewGenerator(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    auto* box = new GeneratorBox();
    box->generator = at::make_generator<at::CPUGeneratorImpl>(toSeed(info[0]));
    return Napi::External<GeneratorBox>::New(info.Env(), box,
                                             [](Napi::Env, GeneratorBox* data) { delete data; });
  });
}

Napi::Value SetNumThreads(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    at::set_num_threads(info[0].As<Napi::Number>().Int32Value());
    return info.Env().Undefined();
  });
}

Napi::Value GetNumThreads(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), at::get_num_threads());
}

// The OpenBLAS library libtorch calls, opened without loading anything new.
void* openBlasHandle() {
  for (const char* name : {"libblas.so.3", "libopenblas.so.0", "libopenblas.so"}) {
    if (void* handle = dlopen(name, RTLD_LAZY | RTLD_NOLOAD)) {
      if (dlsym(handle, "openblas_set_num_threads") != nullptr) return handle;
    }
  }
  return nullptr;
}

// A function of that OpenBLAS by name, or nullptr (no OpenBLAS, or a version without it).
template <typename Fn>
Fn openBlasFunction(const char* name) {
  void* handle = openBlasHandle();
  return handle == nullptr ? nullptr : reinterpret_cast<Fn>(dlsym(handle, name));
}

// setBlasThreads(n) -> whether an OpenBLAS was found to set
Napi::Value SetBlasThreads(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    auto set = openBlasFunction<void (*)(int)>("openblas_set_num_threads");
    if (set == nullptr) return Napi::Boolean::New(info.Env(), false);
    set(info[0].As<Napi::Number>().Int32Value());
    return Napi::Boolean::New(info.Env(), true);
  });
}

Napi::Value GetBlasThreads(const Napi::CallbackInfo& info) {
  auto get = openBlasFunction<int (*)()>("openblas_get_num_threads");
  if (get == nullptr) return info.Env().Null();
  return Napi::Number::New(info.Env(), get());
}

// blasThreading() -> 'serial', 'pthread' or 'openmp': how the loaded OpenBLAS runs work in
// parallel (openblas_get_parallel), or null when libtorch calls another BLAS.
Napi::Value BlasThreading(const Napi::CallbackInfo& info) {
  auto get = openBlasFunction<int (*)()>("openblas_get_parallel");
  if (get == nullptr) return info.Env().Null();
  int kind = get();
  return Napi::String::New(info.Env(), kind == 2 ? "openmp" : kind == 1 ? "pthread" : "serial");
}

Napi::Value BuildInfo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto result = Napi::Object::New(env);
  result.Set("torchVersion", TORCH_VERSION);
  result.Set("cuda", at::hasCUDA());
  result.Set("mkldnn", at::hasMKLDNN());
  result.Set("openmp", at::hasOpenMP());
  result.Set("parallelInfo", at::get_parallel_info());
  return result;
}

// glibc returns large freed blocks to the system (blocks above the mmap threshold, and
// the top of the heap above the trim threshold), so every training step faults its tensor
// memory back in: measured here at about 42,000 page faults and 83 ms of kernel time per
// conv-autoencoder step. Keeping freed memory for reuse removes nearly all of them, at the
// cost of the process holding on to its peak heap. AEKIT_MALLOC_TUNING=0 leaves glibc alone.
// Returns whether the tuning is in force.
bool tuneAllocator() {
#if defined(__GLIBC__)
  const char* setting = std::getenv("AEKIT_MALLOC_TUNING");
  if (setting != nullptr && std::string(setting) == "0") return false;
  static std::once_flag once;
  std::call_once(once, [] {
    mallopt(M_MMAP_THRESHOLD, 32 << 20);  // the largest glibc accepts on 64-bit
    mallopt(M_TRIM_THRESHOLD, 1 << 30);
  });
  return true;
#else
  return false;
#endif
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  bool allocatorTuned = tuneAllocator();
  auto add = [&](const char* name, Napi::Function::Callback fn) {
    exports.Set(name, Napi::Function::New(env, fn, name));
  };
  add("fromBuffer", FromBuffer);
  add("toBuffer", ToBuffer);
  add("item", Item);
  add("meta", Meta);
  add("shape", Shape);
  add("scalarType", ScalarTypeOf);
  add("setRequiresGrad", SetRequiresGrad);
  add("isLeaf", IsLeaf);
  add("grad", Grad);
  add("setGrad", SetGrad);
  add("setData", SetData);
  add("backward", Backward);
  add("dispose", Dispose);
  add("isDisposed", IsDisposed);
  add("liveTensors", LiveTensors);
  add("setGradEnabled", SetGradEnabled);
  add("isGradEnabled", IsGradEnabled);
  add("manualSeed", ManualSeed);
  add("newGenerator", NewGenerator);
  add("setNumThreads", SetNumThreads);
  add("getNumThreads", GetNumThreads);
  add("setBlasThreads", SetBlasThreads);
  add("getBlasThreads", GetBlasThreads);
  add("blasThreading", BlasThreading);
  add("buildInfo", BuildInfo);
  exports.Set("allocatorTuned", Napi::Boolean::New(env, allocatorTuned));
  initDispatch(env, exports);
  initSerialize(env, exports);
  initOptim(env, exports);
  return exports;
}

}  // namespace

}  // namespace aekit

static Napi::Object InitAddon(Napi::Env env, Napi::Object exports) {
  return aekit::Init(env, exports);
}

NODE_API_MODULE(aekit, InitAddon)
