// Saving and loading values in PyTorch's own file format (a zip archive holding a pickle
// and the raw tensor data), through libtorch's pickler: Python's torch.load reads what
// pickleSave writes, and pickleLoad reads what Python's torch.save writes.
#include "common.h"

#include <torch/csrc/jit/serialization/pickle.h>

namespace aekit {
namespace {

bool isTensorHandle(const Napi::Value& value) {
  if (!value.IsExternal()) return false;
  auto* box = value.As<Napi::External<TensorBox>>().Data();
  return box != nullptr && box->kind == BoxKind::Tensor;
}

c10::IValue toIValue(const Napi::Value& value, const std::string& path);

// The element type for a container: Tensor when every item is a tensor, else Any.
c10::TypePtr elementType(const std::vector<c10::IValue>& items) {
  if (items.empty()) return c10::AnyType::get();
  for (const auto& item : items) {
    if (!item.isTensor()) return c10::AnyType::get();
  }
  return c10::TensorType::get();
}

c10::IValue dictOf(const std::vector<c10::IValue>& keys, const std::vector<c10::IValue>& values,
                   c10::TypePtr keyType) {
  c10::impl::GenericDict dict(std::move(keyType), elementType(values));
  for (size_t i = 0; i < keys.size(); ++i) dict.insert(keys[i], values[i]);
  return dict;
}

c10::IValue toIValue(const Napi::Value& value, const std::string& path) {
  Napi::Env env = value.Env();
  if (isTensorHandle(value)) return unwrapTensor(value, path);
  if (value.IsNull() || value.IsUndefined()) return c10::IValue();
  if (value.IsBoolean()) return value.As<Napi::Boolean>().Value();
  if (value.IsNumber()) {
    double number = value.As<Napi::Number>().DoubleValue();
    if (isWholeNumber(number)) return static_cast<int64_t>(number);
    return number;
  }
  if (value.IsString()) return value.As<Napi::String>().Utf8Value();
  if (value.IsArray()) {
    auto array = value.As<Napi::Array>();
    std::vector<c10::IValue> items;
    for (uint32_t i = 0; i < array.Length(); ++i) {
      items.push_back(toIValue(array.Get(i), path + "[" + std::to_string(i) + "]"));
    }
    c10::impl::GenericList list(elementType(items));
    for (auto& item : items) list.push_back(std::move(item));
    return list;
  }
  if (value.IsObject()) {
    // Maps arrive as [key, value] pairs (see pickleSave in TypeScript); plain objects as
    // themselves. Integer keys give Python int keys, as in an optimizer's state.
    auto object = value.As<Napi::Object>();
    std::vector<c10::IValue> keys, values;
    if (object.Has("__aekitMapEntries")) {
      auto entries = object.Get("__aekitMapEntries").As<Napi::Array>();
      bool intKeys = true;
      for (uint32_t i = 0; i < entries.Length(); ++i) {
        auto pair = entries.Get(i).As<Napi::Array>();
        c10::IValue key = toIValue(pair.Get(0u), path + ".<key>");
        intKeys = intKeys && key.isInt();
        keys.push_back(key);
        values.push_back(toIValue(pair.Get(1u), path + "[" + std::to_string(i) + "]"));
      }
      c10::TypePtr keyType = c10::StringType::get();
      if (intKeys) keyType = c10::IntType::get();
      return dictOf(keys, values, keyType);
    }
    auto names = object.GetPropertyNames();
    for (uint32_t i = 0; i < names.Length(); ++i) {
      std::string name = names.Get(i).As<Napi::String>().Utf8Value();
      keys.emplace_back(name);
      values.push_back(toIValue(object.Get(name), path + "." + name));
    }
    return dictOf(keys, values, c10::StringType::get());
  }
  throw Napi::TypeError::New(env, path + ": cannot be saved (expected a tensor, number, string, "
                                         "boolean, null, array, Map or plain object)");
}

Napi::Value fromIValue(Napi::Env env, const c10::IValue& value) {
  if (value.isTensor()) return wrapTensor(env, value.toTensor());
  if (value.isNone()) return env.Null();
  if (value.isBool()) return Napi::Boolean::New(env, value.toBool());
  if (value.isInt()) return Napi::Number::New(env, static_cast<double>(value.toInt()));
  if (value.isDouble()) return Napi::Number::New(env, value.toDouble());
  if (value.isString()) return Napi::String::New(env, value.toStringRef());
  if (value.isTuple() || value.isList()) {
    std::vector<c10::IValue> items;
    if (value.isTuple()) {
      const auto& elements = value.toTupleRef().elements();
      items.assign(elements.begin(), elements.end());
    } else {
      for (const auto& item : value.toListRef()) items.push_back(item);
    }
    auto array = Napi::Array::New(env, items.size());
    for (size_t i = 0; i < items.size(); ++i) array.Set(i, fromIValue(env, items[i]));
    return array;
  }
  if (value.isGenericDict()) {
    // Returned as [key, value] pairs in order; TypeScript makes an object or a Map.
    auto dict = value.toGenericDict();
    auto pairs = Napi::Array::New(env, dict.size());
    uint32_t i = 0;
    for (const auto& entry : dict) {
      auto pair = Napi::Array::New(env, 2);
      pair.Set(0u, fromIValue(env, entry.key()));
      pair.Set(1u, fromIValue(env, entry.value()));
      pairs.Set(i++, pair);
    }
    auto result = Napi::Object::New(env);
    result.Set("__aekitMapEntries", pairs);
    return result;
  }
  throw Napi::TypeError::New(env, std::string("the file holds a value aekit cannot read: ") +
                                      value.tagKind());
}

// pickleSave(value) -> Buffer in PyTorch's zip format
Napi::Value PickleSave(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    std::vector<char> bytes = torch::jit::pickle_save(toIValue(info[0], "value"));
    return Napi::Buffer<char>::Copy(info.Env(), bytes.data(), bytes.size());
  });
}

// pickleLoad(bytes) -> value
Napi::Value PickleLoad(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    if (!info[0].IsTypedArray()) throw Napi::TypeError::New(info.Env(), "bytes: expected a Buffer");
    auto data = info[0].As<Napi::Uint8Array>();
    std::vector<char> bytes(data.Data(), data.Data() + data.ByteLength());
    return fromIValue(info.Env(), torch::jit::pickle_load(bytes));
  });
}

}  // namespace

void initSerialize(Napi::Env env, Napi::Object exports) {
  exports.Set("pickleSave", Napi::Function::New(env, PickleSave, "pickleSave"));
  exports.Set("pickleLoad", Napi::Function::New(env, PickleLoad, "pickleLoad"));
}

}  // namespace aekit
