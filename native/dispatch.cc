// One generic operator call through libtorch's dispatcher. JavaScript looks an operator up
// once by name and overload, then calls it by number; each argument is converted by the
// type its schema declares, and omitted trailing arguments take the schema's defaults.
// Autograd, broadcasting and every kernel are libtorch's own.
#include "common.h"

#include <ATen/core/dispatch/Dispatcher.h>
#include <ATen/core/stack.h>

#include <memory>
#include <mutex>
#include <sstream>
#include <vector>

namespace aekit {
namespace {

struct Operator {
  c10::OperatorHandle handle;
  std::string name;
};

// Operators are shared by every worker thread; entries are never removed, so a pointer
// read under the lock stays valid afterwards.
std::mutex operatorsMutex;
std::vector<std::unique_ptr<Operator>> operators;

Operator* operatorAt(const Napi::Value& value) {
  if (!value.IsNumber()) throw Napi::TypeError::New(value.Env(), "operator: expected an id");
  int64_t id = value.As<Napi::Number>().Int64Value();
  std::lock_guard<std::mutex> lock(operatorsMutex);
  if (id < 0 || id >= static_cast<int64_t>(operators.size())) {
    throw Napi::RangeError::New(value.Env(), "operator: unknown id " + std::to_string(id));
  }
  return operators[id].get();
}

[[noreturn]] void refuse(const Napi::Value& value, const Operator& op, const c10::Argument& formal,
                         const std::string& expected) {
  throw Napi::TypeError::New(value.Env(), op.name + ": argument '" + formal.name() +
                                              "' expected " + expected);
}

int64_t toInt(const Napi::Value& value, const Operator& op, const c10::Argument& formal) {
  if (!value.IsNumber()) refuse(value, op, formal, "an integer");
  double number = value.As<Napi::Number>().DoubleValue();
  auto integer = static_cast<int64_t>(number);
  if (static_cast<double>(integer) != number) refuse(value, op, formal, "an integer");
  return integer;
}

double toDouble(const Napi::Value& value, const Operator& op, const c10::Argument& formal) {
  if (!value.IsNumber()) refuse(value, op, formal, "a number");
  return value.As<Napi::Number>().DoubleValue();
}

bool toBool(const Napi::Value& value, const Operator& op, const c10::Argument& formal) {
  if (!value.IsBoolean()) refuse(value, op, formal, "a boolean");
  return value.As<Napi::Boolean>().Value();
}

Napi::Array toArray(const Napi::Value& value, const Operator& op, const c10::Argument& formal,
                    const char* expected) {
  if (!value.IsArray()) refuse(value, op, formal, expected);
  return value.As<Napi::Array>();
}

c10::IValue toIValue(const Napi::Value& value, const c10::TypePtr& type, const Operator& op,
                     const c10::Argument& formal);

c10::IValue toList(const Napi::Value& value, const c10::ListType& type, const Operator& op,
                   const c10::Argument& formal) {
  const c10::TypePtr& element = type.getElementType();
  switch (element->kind()) {
    case c10::TypeKind::IntType: {
      std::vector<int64_t> items;
      if (value.IsNumber()) {
        // PyTorch lets `kernel_size=3` stand for `int[2]` [3, 3]; so does aekit.
        items.assign(formal.N() ? *formal.N() : 1, toInt(value, op, formal));
      } else {
        auto array = toArray(value, op, formal, "an integer or an array of integers");
        items.reserve(array.Length());
        for (uint32_t i = 0; i < array.Length(); ++i) {
          items.push_back(toInt(array.Get(i), op, formal));
        }
      }
      return c10::IValue(std::move(items));
    }
    case c10::TypeKind::FloatType: {
      std::vector<double> items;
      if (value.IsNumber()) {
        items.assign(formal.N() ? *formal.N() : 1, toDouble(value, op, formal));
      } else {
        auto array = toArray(value, op, formal, "a number or an array of numbers");
        for (uint32_t i = 0; i < array.Length(); ++i) {
          items.push_back(toDouble(array.Get(i), op, formal));
        }
      }
      return c10::IValue(std::move(items));
    }
    case c10::TypeKind::BoolType: {
      c10::List<bool> items;
      auto array = toArray(value, op, formal, "an array of booleans");
      for (uint32_t i = 0; i < array.Length(); ++i) {
        items.push_back(toBool(array.Get(i), op, formal));
      }
      return c10::IValue(std::move(items));
    }
    case c10::TypeKind::TensorType: {
      c10::List<at::Tensor> items;
      auto array = toArray(value, op, formal, "an array of tensors");
      items.reserve(array.Length());
      for (uint32_t i = 0; i < array.Length(); ++i) {
        items.push_back(unwrapTensor(array.Get(i), op.name + ": argument '" + formal.name() + "'"));
      }
      return c10::IValue(std::move(items));
    }
    case c10::TypeKind::OptionalType: {
      c10::List<c10::optional<at::Tensor>> items;
      auto array = toArray(value, op, formal, "an array of tensors and nulls");
      for (uint32_t i = 0; i < array.Length(); ++i) {
        Napi::Value item = array.Get(i);
        if (item.IsNull() || item.IsUndefined()) {
          items.push_back(c10::nullopt);
        } else {
          items.push_back(unwrapTensor(item, op.name + ": argument '" + formal.name() + "'"));
        }
      }
      return c10::IValue(std::move(items));
    }
    default:
      refuse(value, op, formal, "a list type aekit does not convert (" + type.str() + ")");
  }
}

c10::IValue toIValue(const Napi::Value& value, const c10::TypePtr& type, const Operator& op,
                     const c10::Argument& formal) {
  switch (type->kind()) {
    case c10::TypeKind::TensorType:
      return unwrapTensor(value, op.name + ": argument '" + formal.name() + "'");
    case c10::TypeKind::OptionalType:
      if (value.IsNull() || value.IsUndefined()) return c10::IValue();
      return toIValue(value, type->castRaw<c10::OptionalType>()->getElementType(), op, formal);
    case c10::TypeKind::IntType:
      return toInt(value, op, formal);
    case c10::TypeKind::FloatType:
      return toDouble(value, op, formal);
    case c10::TypeKind::BoolType:
      return toBool(value, op, formal);
    case c10::TypeKind::NumberType: {
      // A Scalar: booleans stay booleans, whole numbers are integers (so that an integer
      // tensor times 2 stays an integer tensor, as in Python), the rest are doubles.
      if (value.IsBoolean()) return value.As<Napi::Boolean>().Value();
      double number = toDouble(value, op, formal);
      if (isWholeNumber(number)) return static_cast<int64_t>(number);
      return number;
    }
    case c10::TypeKind::StringType:
      if (!value.IsString()) refuse(value, op, formal, "a string");
      return value.As<Napi::String>().Utf8Value();
    case c10::TypeKind::DeviceObjType:
      if (!value.IsString()) refuse(value, op, formal, "a device name such as 'cpu'");
      return c10::Device(value.As<Napi::String>().Utf8Value());
    case c10::TypeKind::GeneratorType:
      return unwrapGenerator(value, op.name + ": argument '" + formal.name() + "'");
    case c10::TypeKind::ListType:
      return toList(value, *type->castRaw<c10::ListType>(), op, formal);
    default:
      refuse(value, op, formal, "a type aekit does not convert (" + type->str() + ")");
  }
}

Napi::Value fromIValue(Napi::Env env, const c10::IValue& value) {
  if (value.isTensor()) return wrapTensor(env, value.toTensor());
  if (value.isNone()) return env.Null();
  if (value.isInt()) return Napi::Number::New(env, static_cast<double>(value.toInt()));
  if (value.isDouble()) return Napi::Number::New(env, value.toDouble());
  if (value.isBool()) return Napi::Boolean::New(env, value.toBool());
  if (value.isTuple()) {
    const auto& elements = value.toTupleRef().elements();
    auto array = Napi::Array::New(env, elements.size());
    for (size_t i = 0; i < elements.size(); ++i) array.Set(i, fromIValue(env, elements[i]));
    return array;
  }
  if (value.isTensorList()) {
    auto list = value.toTensorList();
    auto array = Napi::Array::New(env, list.size());
    for (size_t i = 0; i < list.size(); ++i) array.Set(i, wrapTensor(env, list.get(i)));
    return array;
  }
  if (value.isList()) {
    auto list = value.toListRef();
    auto array = Napi::Array::New(env, list.size());
    for (size_t i = 0; i < list.size(); ++i) array.Set(i, fromIValue(env, list[i]));
    return array;
  }
  if (value.isScalar()) return Napi::Number::New(env, value.toScalar().toDouble());
  if (value.isString()) return Napi::String::New(env, value.toStringRef());
  throw Napi::TypeError::New(env, std::string("result of a type aekit does not convert: ") +
                                      value.tagKind());
}

// The shapes of the tensor arguments, for error messages: "[2, 3] Float and [4] Float".
// Read again from the JavaScript arguments, because a failed call leaves its stack spent.
std::string describeTensors(const Napi::Array& args) {
  std::ostringstream out;
  bool first = true;
  for (uint32_t i = 0; i < args.Length(); ++i) {
    Napi::Value value = args.Get(i);
    if (!value.IsExternal()) continue;
    auto* box = value.As<Napi::External<TensorBox>>().Data();
    if (box == nullptr || box->kind != BoxKind::Tensor || !box->live) continue;
    const at::Tensor& tensor = box->tensor;
    out << (first ? "" : " and ") << tensor.sizes() << " " << tensor.scalar_type();
    if (!tensor.device().is_cpu()) out << " on " << tensor.device();
    first = false;
  }
  return out.str();
}

// findOperator(name, overload) -> id
Napi::Value FindOperator(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    std::string name = info[0].As<Napi::String>().Utf8Value();
    std::string overload = info[1].As<Napi::String>().Utf8Value();
    auto handle = c10::Dispatcher::singleton().findSchemaOrThrow(name.c_str(), overload.c_str());
    auto entry = std::make_unique<Operator>(
        Operator{handle, overload.empty() ? name : name + "." + overload});
    std::lock_guard<std::mutex> lock(operatorsMutex);
    operators.push_back(std::move(entry));
    return Napi::Number::New(info.Env(), static_cast<double>(operators.size() - 1));
  });
}

// operatorSchema(id) -> the schema as libtorch prints it
Napi::Value OperatorSchema(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    std::ostringstream out;
    out << operatorAt(info[0])->handle.schema();
    return Napi::String::New(info.Env(), out.str());
  });
}

// call(id, args, keepResult) -> the result (one value, or an array for several), or
// undefined when keepResult is false (in-place updates need no new handle).
Napi::Value Call(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Operator* op = operatorAt(info[0]);
  const auto& formals = op->handle.schema().arguments();
  if (!info[1].IsArray()) {
    throw Napi::TypeError::New(env, op->name + ": expected an argument array");
  }
  auto args = info[1].As<Napi::Array>();
  uint32_t given = args.Length();
  if (given > formals.size()) {
    throw Napi::TypeError::New(env, op->name + ": expected at most " +
                                        std::to_string(formals.size()) + " arguments, got " +
                                        std::to_string(given));
  }
  bool keep = info[2].ToBoolean().Value();

  torch::jit::Stack stack;
  try {
    stack.reserve(formals.size());
    for (size_t i = 0; i < formals.size(); ++i) {
      const c10::Argument& formal = formals[i];
      Napi::Value value = i < given ? args.Get(static_cast<uint32_t>(i)) : env.Undefined();
      if (value.IsUndefined()) {
        if (!formal.default_value()) {
          throw Napi::TypeError::New(env, op->name + ": missing argument '" + formal.name() + "'");
        }
        stack.push_back(*formal.default_value());
      } else {
        stack.push_back(toIValue(value, formal.type(), *op, formal));
      }
    }
  } catch (const Napi::Error&) {
    throw;
  } catch (const c10::Error& error) {
    throw Napi::Error::New(env, op->name + ": " + shortMessage(error.what_without_backtrace()));
  }

  try {
    op->handle.callBoxed(&stack);
  } catch (const c10::Error& error) {
    throw Napi::Error::New(env, op->name + ": " + shortMessage(error.what_without_backtrace()) +
                                    " (inputs: " + describeTensors(args) + ")");
  } catch (const std::exception& error) {
    throw Napi::Error::New(env, op->name + ": " + shortMessage(error.what()) + " (inputs: " +
                                    describeTensors(args) + ")");
  }

  if (!keep) return env.Undefined();
  return guarded(info, [&]() -> Napi::Value {
    if (stack.size() == 1) return fromIValue(env, stack[0]);
    auto results = Napi::Array::New(env, stack.size());
    for (size_t i = 0; i < stack.size(); ++i) results.Set(i, fromIValue(env, stack[i]));
    return results;
  });
}

}  // namespace

void initDispatch(Napi::Env env, Napi::Object exports) {
  exports.Set("findOperator", Napi::Function::New(env, FindOperator, "findOperator"));
  exports.Set("operatorSchema", Napi::Function::New(env, OperatorSchema, "operatorSchema"));
  exports.Set("call", Napi::Function::New(env, Call, "call"));
}

}  // namespace aekit
