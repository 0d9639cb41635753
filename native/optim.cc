// Optimizer updates in one pass over memory. libtorch 1.13 has no fused Adam for the CPU
// (its _fused_adam is CUDA-only), so an Adam step taken operator by operator reads and
// writes every parameter-sized buffer eight times; on the MLP benchmark that was about a
// tenth of the step. This kernel does the same arithmetic per element, in the order
// PyTorch's single-tensor Adam does it, in one pass split over libtorch's threads.
#include "common.h"

#include <ATen/Parallel.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

namespace aekit {
namespace {

// The scalars of one update of one tensor, already in its element type.
template <typename T>
struct AdamScalars {
  T beta1, oneMinusBeta1, beta2, oneMinusBeta2, eps;
  T gradientSign;  // -1 to maximize
  T weightDecay;   // L2 added to the gradient (Adam); 0 for AdamW
  T decay;         // decoupled decay factor 1 - lr * weightDecay (AdamW); 1 for Adam
  T stepSize;      // lr / (1 - beta1^step)
  T biasCorrection2Sqrt;
};

template <typename T>
struct AdamBuffers {
  T* param;
  const T* grad;
  T* expAvg;
  T* expAvgSq;
  T* maxExpAvgSq;  // nullptr unless AMSGrad
};

template <typename T, bool kCoupledDecay, bool kAmsgrad>
inline __attribute__((always_inline)) void adamRange(const AdamBuffers<T>& b,
                                                     const AdamScalars<T>& s, int64_t begin,
                                                     int64_t end) {
  T* __restrict param = b.param;
  const T* __restrict grad = b.grad;
  T* __restrict expAvg = b.expAvg;
  T* __restrict expAvgSq = b.expAvgSq;
  T* __restrict maxExpAvgSq = b.maxExpAvgSq;
#pragma omp simd
  for (int64_t i = begin; i < end; ++i) {
    T p = param[i] * s.decay;
    T g = grad[i] * s.gradientSign;
    if (kCoupledDecay) g = g + s.weightDecay * p;
    T m = expAvg[i] * s.beta1;
    m = m + s.oneMinusBeta1 * g;
    T v = expAvgSq[i] * s.beta2;
    v = v + s.oneMinusBeta2 * g * g;
    T second = v;
    if (kAmsgrad) {
      second = std::max(maxExpAvgSq[i], v);
      maxExpAvgSq[i] = second;
    }
    T denominator = std::sqrt(second) / s.biasCorrection2Sqrt + s.eps;
    expAvg[i] = m;
    expAvgSq[i] = v;
    param[i] = p + -s.stepSize * m / denominator;
  }
}

// One clone per instruction set, chosen when the addon loads: the addon is built on the
// machine that runs it, but not always for its newest vector units.
#define AEKIT_ADAM_CLONE(T, coupled, amsgrad, name)                                        \
  __attribute__((target_clones("avx512f", "avx2", "default"))) void name(                \
      const AdamBuffers<T>& b, const AdamScalars<T>& s, int64_t begin, int64_t end) {      \
    adamRange<T, coupled, amsgrad>(b, s, begin, end);                                      \
  }
AEKIT_ADAM_CLONE(float, false, false, adamFloat)
AEKIT_ADAM_CLONE(float, true, false, adamFloatDecay)
AEKIT_ADAM_CLONE(float, false, true, adamFloatAmsgrad)
AEKIT_ADAM_CLONE(float, true, true, adamFloatDecayAmsgrad)
AEKIT_ADAM_CLONE(double, false, false, adamDouble)
AEKIT_ADAM_CLONE(double, true, false, adamDoubleDecay)
AEKIT_ADAM_CLONE(double, false, true, adamDoubleAmsgrad)
AEKIT_ADAM_CLONE(double, true, true, adamDoubleDecayAmsgrad)
#undef AEKIT_ADAM_CLONE

template <typename T>
using AdamFn = void (*)(const AdamBuffers<T>&, const AdamScalars<T>&, int64_t, int64_t);

AdamFn<float> pick(float, bool coupled, bool amsgrad) {
  if (amsgrad) return coupled ? adamFloatDecayAmsgrad : adamFloatAmsgrad;
  return coupled ? adamFloatDecay : adamFloat;
}
AdamFn<double> pick(double, bool coupled, bool amsgrad) {
  if (amsgrad) return coupled ? adamDoubleDecayAmsgrad : adamDoubleAmsgrad;
  return coupled ? adamDoubleDecay : adamDouble;
}

// About what one thread should get at least, as libtorch's own elementwise kernels do.
constexpr int64_t kGrainSize = 32768;

template <typename T>
void adamTensor(const std::vector<at::Tensor>& t, double beta1, double beta2, double eps,
                double weightDecay, double decay, bool maximize, double stepSize,
                double biasCorrection2Sqrt) {
  // Tensors of one layout that are each one dense block: element i of one is element i of
  // the others, whatever the strides.
  AdamBuffers<T> b{t[0].data_ptr<T>(), t[1].data_ptr<T>(), t[2].data_ptr<T>(),
                   t[3].data_ptr<T>(), t[4].defined() ? t[4].data_ptr<T>() : nullptr};
  AdamScalars<T> s{static_cast<T>(beta1),
                   static_cast<T>(1 - beta1),
                   static_cast<T>(beta2),
                   static_cast<T>(1 - beta2),
                   static_cast<T>(eps),
                   static_cast<T>(maximize ? -1 : 1),
                   static_cast<T>(weightDecay),
                   static_cast<T>(decay),
                   static_cast<T>(stepSize),
                   static_cast<T>(biasCorrection2Sqrt)};
  AdamFn<T> kernel = pick(T(), weightDecay != 0, t[4].defined());
  at::parallel_for(0, t[0].numel(), kGrainSize,
                   [&](int64_t begin, int64_t end) { kernel(b, s, begin, end); });
  // Written in place behind the dispatcher's back: bump the version counters as an in-place
  // operator would, so autograd still refuses a graph that saved the old values.
  for (size_t k = 0; k < t.size(); ++k) {
    if (k != 1 && t[k].defined()) t[k].unsafeGetTensorImpl()->bump_version();
  }
}

std::vector<at::Tensor> tensorList(const Napi::Value& value, const std::string& what) {
  if (!value.IsArray()) throw Napi::TypeError::New(value.Env(), what + ": expected an array");
  auto array = value.As<Napi::Array>();
  std::vector<at::Tensor> list;
  list.reserve(array.Length());
  for (uint32_t i = 0; i < array.Length(); ++i) {
    list.push_back(unwrapTensor(array.Get(i), what + "[" + std::to_string(i) + "]"));
  }
  return list;
}

std::vector<double> numberList(const Napi::Value& value, const std::string& what) {
  if (!value.IsArray()) throw Napi::TypeError::New(value.Env(), what + ": expected an array");
  auto array = value.As<Napi::Array>();
  std::vector<double> list;
  for (uint32_t i = 0; i < array.Length(); ++i) {
    Napi::Value item = array.Get(i);
    if (!item.IsNumber()) throw Napi::TypeError::New(value.Env(), what + ": expected numbers");
    list.push_back(item.As<Napi::Number>().DoubleValue());
  }
  return list;
}

double numberField(const Napi::Object& options, const char* name) {
  Napi::Value value = options.Get(name);
  if (!value.IsNumber()) {
    throw Napi::TypeError::New(options.Env(), std::string("adamStep: ") + name +
                                                  ": expected a number");
  }
  return value.As<Napi::Number>().DoubleValue();
}

// adamStep(params, grads, expAvgs, expAvgSqs, maxExpAvgSqs | null, stepSizes,
//          biasCorrection2Sqrts, {beta1, beta2, eps, weightDecay, decay, maximize}) -> done
// Updates params and the moment buffers in place and returns true; returns false, changing
// nothing, unless every parameter is a dense float32 or float64 CPU tensor whose buffers
// share its dtype, shape and layout.
Napi::Value AdamStep(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    Napi::Env env = info.Env();
    auto params = tensorList(info[0], "params");
    auto grads = tensorList(info[1], "grads");
    auto expAvgs = tensorList(info[2], "expAvgs");
    auto expAvgSqs = tensorList(info[3], "expAvgSqs");
    bool amsgrad = !info[4].IsNull() && !info[4].IsUndefined();
    auto maxima = amsgrad ? tensorList(info[4], "maxExpAvgSqs") : std::vector<at::Tensor>();
    auto stepSizes = numberList(info[5], "stepSizes");
    auto corrections = numberList(info[6], "biasCorrection2Sqrts");
    if (!info[7].IsObject()) throw Napi::TypeError::New(env, "adamStep: expected options");
    auto options = info[7].As<Napi::Object>();
    double beta1 = numberField(options, "beta1");
    double beta2 = numberField(options, "beta2");
    double eps = numberField(options, "eps");
    double weightDecay = numberField(options, "weightDecay");
    double decay = numberField(options, "decay");
    bool maximize = options.Get("maximize").ToBoolean().Value();

    size_t n = params.size();
    if (grads.size() != n || expAvgs.size() != n || expAvgSqs.size() != n ||
        (amsgrad && maxima.size() != n) || stepSizes.size() != n || corrections.size() != n) {
      throw Napi::RangeError::New(env, "adamStep: expected lists of " + std::to_string(n) +
                                           " entries each");
    }
    // Check everything before changing anything: an entry the kernel cannot take (another
    // dtype or device, a layout that is not one dense block) leaves every tensor as it was
    // and returns false, for the caller to update op by op instead.
    std::vector<std::vector<at::Tensor>> entries;
    entries.reserve(n);
    for (size_t i = 0; i < n; ++i) {
      const at::Tensor& param = params[i];
      auto dtype = param.scalar_type();
      if (dtype != at::kFloat && dtype != at::kDouble) return Napi::Boolean::New(env, false);
      auto fits = [&](const at::Tensor& t) {
        return t.device().is_cpu() && t.scalar_type() == dtype && t.sizes() == param.sizes() &&
               t.strides() == param.strides() && t.is_non_overlapping_and_dense();
      };
      at::Tensor grad = grads[i];
      if (!grad.device().is_cpu() || grad.scalar_type() != dtype ||
          grad.sizes() != param.sizes()) {
        return Napi::Boolean::New(env, false);
      }
      // A gradient laid out unlike its parameter is copied into the parameter's layout.
      if (grad.strides() != param.strides()) grad = at::empty_like(param).copy_(grad);
      std::vector<at::Tensor> entry{param, grad, expAvgs[i], expAvgSqs[i],
                                    amsgrad ? maxima[i] : at::Tensor()};
      for (size_t k = 0; k < entry.size(); ++k) {
        if (k != 1 && entry[k].defined() && !fits(entry[k])) return Napi::Boolean::New(env, false);
      }
      entries.push_back(std::move(entry));
    }
    for (size_t i = 0; i < n; ++i) {
      if (params[i].scalar_type() == at::kFloat) {
        adamTensor<float>(entries[i], beta1, beta2, eps, weightDecay, decay, maximize,
                          stepSizes[i], corrections[i]);
      } else {
        adamTensor<double>(entries[i], beta1, beta2, eps, weightDecay, decay, maximize,
                           stepSizes[i], corrections[i]);
      }
    }
    return Napi::Boolean::New(env, true);
  });
}

}  // namespace

void initOptim(Napi::Env env, Napi::Object exports) {
  exports.Set("adamStep", Napi::Function::New(env, AdamStep, "adamStep"));
}

}  // namespace aekit
