// Shared pieces of the aekit addon: the handles JavaScript holds for native objects, and
// the guard that turns C++ exceptions into JavaScript errors.
#pragma once

#include <napi.h>

#include <ATen/ATen.h>

#include <atomic>
#include <cmath>
#include <cstdint>
#include <string>

namespace aekit {

// Every native object handed to JavaScript is a Napi::External whose data starts with a
// tag, so a handle of the wrong kind is refused instead of reinterpreted.
enum class BoxKind : uint32_t { Tensor = 0x54454e53, Generator = 0x47454e52 };

struct TensorBox {
  BoxKind kind = BoxKind::Tensor;
  bool live = true;
  at::Tensor tensor;
  int64_t reportedBytes = 0;
};

struct GeneratorBox {
  BoxKind kind = BoxKind::Generator;
  at::Generator generator;
};

// Tensors created through the addon and neither disposed nor collected yet.
extern std::atomic<int64_t> liveTensorCount;

Napi::Value wrapTensor(Napi::Env env, at::Tensor tensor);
// The tensor behind a handle; throws a TypeError naming `what` for anything else and an
// Error for a disposed tensor.
const at::Tensor& unwrapTensor(const Napi::Value& value, const std::string& what);
TensorBox* unwrapTensorBox(const Napi::Value& value, const std::string& what);
at::Generator& unwrapGenerator(const Napi::Value& value, const std::string& what);

// Drops the native tensor of a box and tells V8 the memory is gone. Safe to call twice.
void releaseTensor(Napi::Env env, TensorBox* box);

// Whether a JavaScript number is an integer that int64 holds exactly.
inline bool isWholeNumber(double number) {
  return std::abs(number) < 9007199254740992.0 &&
         number == static_cast<double>(static_cast<int64_t>(number));
}

// libtorch's message without the C++ backtrace it appends.
std::string shortMessage(const char* what);

// Runs body and converts any C++ exception to a JavaScript exception carrying libtorch's
// message, so no entry point can take the process down.
template <typename Body>
Napi::Value guarded(const Napi::CallbackInfo& info, Body body) {
  Napi::Env env = info.Env();
  try {
    return body();
  } catch (const Napi::Error&) {
    throw;
  } catch (const c10::Error& error) {
    throw Napi::Error::New(env, shortMessage(error.what_without_backtrace()));
  } catch (const std::exception& error) {
    throw Napi::Error::New(env, shortMessage(error.what()));
  } catch (...) {
    throw Napi::Error::New(env, "unknown native error");
  }
}

void initDispatch(Napi::Env env, Napi::Object exports);
void initSerialize(Napi::Env env, Napi::Object exports);
void initOptim(Napi::Env env, Napi::Object exports);

}  // namespace aekit
