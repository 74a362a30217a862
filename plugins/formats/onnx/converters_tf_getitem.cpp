// `x[...]` (SlicingOpLambda, tf.__operators__.getitem): one Slice for every slice and integer
// index (with strides and negative steps), a Squeeze of the integer-indexed axes, an Unsqueeze
// for tf.newaxis, in Keras's layout. Where an axis's length is known the bounds are resolved with
// Python's rules first (ONNX clamps a few out-of-range bounds differently); the batch axis keeps
// them as written, which ONNX's Slice reads as Python does for in-range bounds.
#include <algorithm>
#include <limits>

#include "tf_op_converters.hpp"

namespace ksave::plugins::onnx_export {
namespace {

constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();
constexpr std::int64_t kMin = std::numeric_limits<std::int64_t>::min();

using namespace call_arguments::slice_spec;

struct AxisSlice {
  std::int64_t start = 0, end = kMax, step = 1;
};

// A slice of an axis of length n (kUnknown when not known) as ONNX Slice bounds.
AxisSlice slice_bounds(const Json& slice, Dim n, const std::string& object) {
  AxisSlice s;
  s.step = bound(slice, "step", object).value_or(1);
  if (s.step == 0) throw Error(object + ": slice step cannot be zero");
  if (n == kUnknown) {
    const auto start = bound(slice, "start", object), stop = bound(slice, "stop", object);
    s.start = start.value_or(s.step > 0 ? 0 : kMax);
    s.end = stop.value_or(s.step > 0 ? kMax : kMin);
    return s;
  }
  const Indices python = indices(slice, n, object);
  s.start = python.start;
  s.end = python.stop;
  if (s.step < 0 && s.end < 0) s.end = kMin;  // "before the first element", which ONNX reads as -1 + n otherwise
  if (s.step < 0 && s.start < 0) s.start = s.end = 0;  // nothing selected
  return s;
}

bool selects_everything(const AxisSlice& s, Dim n) {
  return s.step == 1 && s.start == 0 && (s.end == kMax || (n != kUnknown && s.end >= n));
}

}  // namespace

std::vector<Value> getitem_tf_op(TfOpCall& a) {
  a.allow_only({"slice_spec", "var"});
  const Value x = a.first();
  const Json spec = expanded(a.value("slice_spec"), static_cast<std::int64_t>(x.rank()), a.object());
  std::vector<std::int64_t> starts, ends, axes, steps, dropped, inserted;
  std::int64_t in_axis = 0, out_axis = 0;
  for (const auto& e : spec) {
    if (e.is_null()) {
      inserted.push_back(out_axis++);
      continue;
    }
    const Dim n = x.shape.at(static_cast<std::size_t>(in_axis));
    if (e.is_number_integer()) {
      std::int64_t i = e.get<std::int64_t>();
      if (n != kUnknown && (i < -n || i >= n))
        throw Error(a.object() + ": index " + std::to_string(i) + " is out of range for an axis of " + std::to_string(n));
      if (n != kUnknown && i < 0) i += n;
      starts.push_back(i);
      ends.push_back(i == -1 ? kMax : i + 1);
      steps.push_back(1);
      axes.push_back(in_axis);
      dropped.push_back(in_axis++);
    } else if (is_slice(e)) {
      const AxisSlice s = slice_bounds(e, n, a.object());
      if (!selects_everything(s, n)) {
        starts.push_back(s.start);
        ends.push_back(s.end);
        steps.push_back(s.step);
        axes.push_back(in_axis);
      }
      ++in_axis;
      ++out_axis;
    } else {
      throw Error(a.object() + ": unsupported slice_spec element " + e.dump().substr(0, 80) +
                  " (boolean masks and tensors as indices have no ONNX form here)");
    }
  }
  Emitter& onnx = a.onnx();
  std::string y = onnx.in_keras_layout(x);
  if (!axes.empty()) y = onnx.slice(y, starts, ends, axes, a.hint(), steps);
  if (!dropped.empty()) y = onnx.squeeze(y, dropped, a.hint());
  if (!inserted.empty()) y = onnx.unsqueeze(y, inserted, a.hint());
  return {a.output(y)};
}

}  // namespace ksave::plugins::onnx_export
