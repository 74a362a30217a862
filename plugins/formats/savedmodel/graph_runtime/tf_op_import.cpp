#include "tf_op_import.hpp"

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <map>
#include <memory>
#include <mutex>

#include "graph_tensor.hpp"
#include "tf_op_import_example.hpp"
#include "tf_op_import_3d.hpp"
#include "tf_op_import_attention.hpp"
#include "tf_op_import_image.hpp"
#include "tf_op_import_keras3.hpp"
#include "tf_op_import_host.hpp"
#include "ksave/error.hpp"
#include "ksave/ops.hpp"
#include "ksave/tf/bundle.hpp"
#include "ksave/tf/op_signature.hpp"

namespace ksave::plugins::savedmodel {
namespace {

using Ints = std::vector<std::int64_t>;

// A ksave op looked up in the registry on first use only (a lookup per call would cost as much
// as a small op).
class KsaveOp {
 public:
  explicit KsaveOp(std::string name) : name_(std::move(name)) {}
  Tensors operator()(std::span<const Tensor> inputs, const Attrs& attrs) const {
    const OpDef* def = def_.load(std::memory_order_acquire);
    if (!def) {
      def = &find_op(name_);
      def_.store(def, std::memory_order_release);
    }
    return run_op(*def, inputs, attrs);
  }

 private:
  std::string name_;
  mutable std::atomic<const OpDef*> def_{nullptr};
};

// An op ksave has under the same (or another) name whose attributes are TensorFlow's.
TfOpImporter same_op(const std::string& ksave_name) {
  return {[op = std::make_shared<const KsaveOp>(ksave_name)](const TfOpCall& call) { return (*op)(call.inputs, call.attrs); }, {}};
}

// An op whose last inputs TensorFlow passes as tensors and ksave takes as attributes: the
// inputs from `first_const` on become the declared attributes, in order (once, when they are
// Consts of a prepared function body; see TfOpImporter::fold_constants).
TfOpImporter const_inputs_as_attrs(const std::string& ksave_name, std::size_t first_const, std::vector<tf::ConstantInput> constants) {
  auto fold = [first_const, constants](const TfOpCall& call) {
    expect_inputs(call, first_const + constants.size());
    Attrs attrs = call.attrs;
    for (std::size_t i = 0; i < constants.size(); ++i) {
      const std::string& name = constants[i].attr;
      Ints values = int_values(call.inputs[first_const + i], call.where + " input " + std::to_string(first_const + i));
      if (constants[i].scalar) {
        if (values.size() != 1) throw Error(call.where + ": " + name + " must be a scalar");
        attrs.set(name, values[0]);
      } else {
        attrs.set(name, std::move(values));
      }
    }
    return attrs;
  };
  TfOpImporter importer{[first_const, fold, op = std::make_shared<const KsaveOp>(ksave_name)](const TfOpCall& call) {
                          if (call.constants_folded) return (*op)(call.inputs, call.attrs);
                          return (*op)(call.inputs.first(first_const), fold(call));
                        },
                        {}};
  importer.first_constant_input = first_const;
  importer.fold_constants = fold;
  return importer;
}

// A declared op (ksave/tf/op_signature.hpp) run with its ksave op: its attributes as the node
// has them, its constant inputs back into the attributes they were written from.
TfOpImporter declared_importer(const tf::OpSignature& signature) {
  if (signature.constant_inputs.empty()) return same_op(signature.runs_as());
  return const_inputs_as_attrs(signature.runs_as(), signature.data_inputs, signature.constant_inputs);
}

// Sum, Mean, Max, Min: TensorFlow's empty reduction list reduces nothing (ksave's means all).
TfOpImporter reduction(const std::string& ksave_name) {
  return {[op = std::make_shared<const KsaveOp>(ksave_name)](const TfOpCall& call) {
            expect_inputs(call, 2);
            Ints axes = int_values(call.inputs[1], call.where + " reduction_indices");
            if (axes.empty()) return Tensors{call.inputs[0]};
            Attrs attrs = call.attrs;
            attrs.set("axis", std::move(axes));
            return (*op)(call.inputs.first(1), attrs);
          },
          {}};
}

TfOpImporter unary(Tensor (*fn)(const Tensor&)) {
  return {[fn](const TfOpCall& call) {
            expect_inputs(call, 1);
            return Tensors{fn(call.inputs[0])};
          },
          {}};
}

Tensors concat_v2(const TfOpCall& call) {
  if (call.inputs.size() < 2) throw Error(call.where + " (ConcatV2): needs values and an axis");
  Ints axis = int_values(call.inputs.back(), call.where + " axis");
  if (axis.size() != 1) throw Error(call.where + " (ConcatV2): the axis must be a scalar");
  static const KsaveOp concat("ConcatV2");
  return concat(call.inputs.first(call.inputs.size() - 1), Attrs{{"axis", axis[0]}});
}

// Conv2DBackpropInput (transposed convolutions): TensorFlow passes input_sizes as the first
// input (computed from the batch at run time in a Keras trace), ksave as an attribute.
Tensors conv2d_backprop_input(const TfOpCall& call) {
  static const KsaveOp op("Conv2DBackpropInput");
  expect_inputs(call, 3);
  Attrs attrs = call.attrs;
  attrs.set("input_sizes", int_values(call.inputs[0], call.where + " input_sizes"));
  return op(call.inputs.subspan(1), attrs);
}

Tensors shape_of(const TfOpCall& call) {
  expect_inputs(call, 1);
  const auto* out_type = find_attr(call.node, "out_type");
  const Shape& shape = call.inputs[0].shape();
  if (out_type && out_type->type() == tfproto::DT_INT64) return {Tensor::from_vector<std::int64_t>(to_dims(shape), {static_cast<Dim>(shape.size())})};
  std::vector<std::int32_t> dims(shape.begin(), shape.end());
  return {Tensor::from_vector<std::int32_t>(dims, {static_cast<Dim>(dims.size())})};
}

Tensors fill(const TfOpCall& call) {
  expect_inputs(call, 2);
  const Ints dims = int_values(call.inputs[0], call.where + " dims");
  const Shape shape(dims.begin(), dims.end());
  for (Dim d : shape)
    if (d < 0) throw Error(call.where + " (Fill): negative dimension in " + shape_to_string(shape));
  const Tensor& value = call.inputs[1];
  if (value.size() != 1) throw Error(call.where + " (Fill): the value must be a scalar");
  const std::size_t bytes = dtype_size(value.dtype()) ? dtype_size(value.dtype()) : sizeof(std::string);
  if (static_cast<std::uint64_t>(num_elements(shape)) > kMaxProtoTensorBytes / bytes)
    throw Error(call.where + " (Fill): the shape " + shape_to_string(shape) + " is too large");
  if (value.dtype() == DType::String) return {Tensor::strings(std::vector<std::string>(static_cast<std::size_t>(num_elements(shape)), value.string_values()[0]), shape)};
  return {Tensor::filled(value.dtype(), shape, value.item())};
}

// StridedSlice's begin, end and strides inputs as attributes (folded once for Const inputs).
Attrs strided_slice_bounds(const TfOpCall& call) {
  expect_inputs(call, 4);
  Attrs attrs = call.attrs;
  attrs.set("begin", int_values(call.inputs[1], call.where + " begin"));
  attrs.set("end", int_values(call.inputs[2], call.where + " end"));
  attrs.set("strides", int_values(call.inputs[3], call.where + " strides"));
  return attrs;
}

// One sliced axis of StridedSlice as TensorFlow's ValidateStridedSliceOp resolves it: masked
// bounds run to the end the stride points at, negative indices count from the end, and the
// bounds are clamped to [0, n] for a positive stride and [-1, n - 1] for a negative one.
struct SlicedAxis {
  std::int64_t begin = 0, stride = 1, size = 0;
};

SlicedAxis resolve_axis(std::int64_t begin, std::int64_t end, std::int64_t stride, bool begin_masked, bool end_masked, Dim n,
                        const std::string& where) {
  if (stride == 0) throw Error(where + " (StridedSlice): strides must be nonzero");
  const std::int64_t low = stride > 0 ? 0 : -1, high = stride > 0 ? n : n - 1;
  const auto canonical = [&](std::int64_t v, bool masked, bool is_end) {
    if (masked) return (stride > 0) == is_end ? high : low;
    return std::clamp<std::int64_t>(v < 0 ? v + n : v, low, high);
  };
  const std::int64_t b = canonical(begin, begin_masked, false), e = canonical(end, end_masked, true);
  const std::int64_t length = e - b;
  // ceil(length / stride) when the interval runs the stride's way, else empty.
  const std::int64_t size = (length == 0 || (length < 0) != (stride < 0)) ? 0 : length / stride + (length % stride != 0);
  return {b, stride, size};
}

// StridedSlice (what shape arithmetic, Keras's slicing and Keras 3's GetItem emit): any nonzero
// stride, begin/end masks, negative indices, shrink_axis_mask, new_axis_mask (Keras 3's
// `mask[None, ...]` in MultiHeadAttention's causal mask) and ellipsis_mask, as TensorFlow's dense
// spec reads them: a new axis consumes no input axis, an ellipsis every input axis the other
// entries leave. The covering range is one Slice; axes stepped other than by +1 are then gathered.
Tensors strided_slice(const TfOpCall& call) {
  const Attrs converted = call.constants_folded ? Attrs{} : strided_slice_bounds(call);
  const Attrs& attrs = call.constants_folded ? call.attrs : converted;
  const Tensor& x = call.inputs[0];  // one input when folded, four checked otherwise
  const Ints &begin = attrs.get<Ints>("begin"), &end = attrs.get<Ints>("end"), &strides = attrs.get<Ints>("strides");
  const auto mask = [&](const char* name) { return attrs.get_or<std::int64_t>(name, 0); };
  const std::int64_t shrink_mask = mask("shrink_axis_mask"), begin_mask = mask("begin_mask"), end_mask = mask("end_mask"),
                     new_axis_mask = mask("new_axis_mask"), ellipsis_mask = mask("ellipsis_mask");
  const auto bit = [](std::int64_t m, std::size_t i) { return ((m >> i) & 1) != 0; };
  if (begin.size() != end.size() || begin.size() != strides.size())
    throw Error(call.where + " (StridedSlice): begin, end and strides must have one entry per sliced axis");
  std::size_t consuming = 0, ellipses = 0;
  for (std::size_t i = 0; i < begin.size(); ++i) {
    if (bit(ellipsis_mask, i)) ++ellipses;
    else if (!bit(new_axis_mask, i)) ++consuming;
  }
  if (ellipses > 1 || static_cast<int>(consuming) > x.rank())
    throw Error(call.where + " (StridedSlice): " + std::to_string(consuming) + " sliced axes and " + std::to_string(ellipses) +
                " ellipses for an input of rank " + std::to_string(x.rank()));
  std::vector<SlicedAxis> axes;  // one per input axis
  for (Dim n : x.shape()) axes.push_back({0, 1, n});
  Shape out_shape;
  std::size_t axis = 0;  // the next input axis
  for (std::size_t i = 0; i < begin.size(); ++i) {
    if (bit(ellipsis_mask, i)) {
      for (const std::size_t last = axis + static_cast<std::size_t>(x.rank()) - consuming; axis < last; ++axis)
        out_shape.push_back(x.shape()[axis]);
      continue;
    }
    if (bit(new_axis_mask, i)) {
      out_shape.push_back(1);
      continue;
    }
    const Dim n = x.shape()[axis];
    if (bit(shrink_mask, i)) {
      // TensorFlow indexes with the begin alone ("only stride 1 allowed on non-range indexing").
      if (strides[i] <= 0) throw Error(call.where + " (StridedSlice): an indexed axis needs stride 1, found " + std::to_string(strides[i]));
      if (begin[i] < -n || begin[i] >= n) throw Error(call.where + " (StridedSlice): index " + std::to_string(begin[i]) + " out of range");
      axes[axis] = {begin[i] < 0 ? begin[i] + n : begin[i], 1, 1};
    } else {
      axes[axis] = resolve_axis(begin[i], end[i], strides[i], bit(begin_mask, i), bit(end_mask, i), n, call.where);
      out_shape.push_back(axes[axis].size);
    }
    ++axis;
  }
  for (; axis < static_cast<std::size_t>(x.rank()); ++axis) out_shape.push_back(x.shape()[axis]);
  // The covering range of each axis, then the positions of the stepped axes within it.
  Ints starts, sizes;
  for (const SlicedAxis& a : axes) {
    const std::int64_t last = a.size == 0 ? a.begin : a.begin + (a.size - 1) * a.stride;
    starts.push_back(a.size == 0 ? 0 : std::min(a.begin, last));
    sizes.push_back(a.size == 0 ? 0 : std::abs(last - a.begin) + 1);
  }
  Tensor y = ops::slice(x, starts, sizes);
  for (std::size_t i = 0; i < axes.size(); ++i) {
    if (axes[i].stride == 1 || axes[i].size <= 1) continue;
    Ints picked;
    for (std::int64_t k = 0; k < axes[i].size; ++k) picked.push_back(axes[i].begin + k * axes[i].stride - starts[i]);
    y = ops::gather(y, Tensor::from_vector(picked, {static_cast<Dim>(picked.size())}), static_cast<std::int64_t>(i));
  }
  return {ops::reshape(y, out_shape)};
}

// Pad / PadV2: paddings [rank, 2] and an optional constant.
Tensors pad(const TfOpCall& call) {
  if (call.inputs.size() != 2 && call.inputs.size() != 3) throw Error(call.where + " (Pad): expects 2 or 3 inputs");
  const Ints flat = int_values(call.inputs[1].reshape({call.inputs[1].size()}), call.where + " paddings");
  if (flat.size() != 2 * static_cast<std::size_t>(call.inputs[0].rank())) throw Error(call.where + " (Pad): paddings must be [rank, 2]");
  std::vector<std::pair<std::int64_t, std::int64_t>> pads;
  for (std::size_t i = 0; i < flat.size(); i += 2) pads.emplace_back(flat[i], flat[i + 1]);
  return {ops::pad(call.inputs[0], pads, call.inputs.size() == 3 ? call.inputs[2].item() : 0.0)};
}

Tensors add_n(const TfOpCall& call) {
  if (call.inputs.empty()) throw Error(call.where + " (AddN): no inputs");
  Tensor total = call.inputs[0];
  for (std::size_t i = 1; i < call.inputs.size(); ++i) total = ops::add(total, call.inputs[i]);
  return {total};
}

// Select (v1): a rank-1 condition picks rows; otherwise it is SelectV2.
Tensors select_v1(const TfOpCall& call) {
  expect_inputs(call, 3);
  Tensor cond = call.inputs[0];
  if (cond.rank() == 1 && call.inputs[1].rank() > 1) {
    Shape shape(static_cast<std::size_t>(call.inputs[1].rank()), 1);
    shape[0] = cond.shape()[0];
    cond = cond.reshape(shape);
  }
  return {ops::select(cond, call.inputs[1], call.inputs[2])};
}

// Split: `num_split` equal parts along the constant axis.
Tensors split(const TfOpCall& call) {
  expect_inputs(call, 2);
  const Ints axis_value = int_values(call.inputs[0], call.where + " split_dim");
  const Tensor& x = call.inputs[1];
  const auto* parts_attr = find_attr(call.node, "num_split");
  const std::int64_t parts = parts_attr ? parts_attr->i() : 0;
  if (axis_value.size() != 1 || x.rank() == 0) throw Error(call.where + " (Split): needs a scalar axis and a tensor of rank >= 1");
  const std::int64_t axis = axis_value[0] < 0 ? axis_value[0] + x.rank() : axis_value[0];
  if (axis < 0 || axis >= x.rank() || parts <= 0 || x.shape()[static_cast<std::size_t>(axis)] % parts != 0)
    throw Error(call.where + " (Split): cannot split shape " + shape_to_string(x.shape()) + " into " + std::to_string(parts) +
                " parts along axis " + std::to_string(axis_value[0]));
  const Dim size = x.shape()[static_cast<std::size_t>(axis)] / parts;
  Tensors out;
  for (std::int64_t i = 0; i < parts; ++i) {
    Ints begin(static_cast<std::size_t>(x.rank()), 0), sizes(static_cast<std::size_t>(x.rank()), -1);
    begin[static_cast<std::size_t>(axis)] = i * size;
    sizes[static_cast<std::size_t>(axis)] = size;
    out.push_back(ops::slice(x, begin, sizes));
  }
  return out;
}

// The ops that need code of their own to run; every other op is run from its declaration
// (declared_importer).
const std::map<std::string, TfOpImporter>& table() {
  static const std::map<std::string, TfOpImporter> importers = [] {
    std::map<std::string, TfOpImporter> t;
    for (const char* op : {"AddV2", "Sub", "Mul", "Maximum", "Minimum"}) t[op] = integer_or_float_importer(op, same_op(op));
    t["Add"] = integer_or_float_importer("Add", same_op("AddV2"));
    for (const char* op : {"FloorMod", "FloorDiv"}) t[op] = integer_or_float_importer(op, {});
    for (const char* op : {"Less", "LessEqual", "Greater", "GreaterEqual", "Equal", "NotEqual", "LogicalAnd", "LogicalOr"})
      t[op] = comparison_importer(op);
    t["LogicalNot"] = logical_not_importer();
    t["Split"] = {split, {}};
    t["BatchMatMulV3"] = same_op("BatchMatMulV2");
    // SavedModels leave out attrs at their op's default (strip_default_attrs): LeakyRelu's alpha 0.2.
    t["LeakyRelu"] = {[op = std::make_shared<const KsaveOp>("LeakyRelu")](const TfOpCall& call) {
                        if (call.attrs.has("alpha")) return (*op)(call.inputs, call.attrs);
                        Attrs attrs = call.attrs;
                        attrs.set("alpha", 0.2);
                        return (*op)(call.inputs, attrs);
                      },
                      {}};
    t["Relu6"] = {[](const TfOpCall& c) { expect_inputs(c, 1); return Tensors{ops::clip(c.inputs[0], 0.0, 6.0)}; }, {}};
    t["Reciprocal"] = unary([](const Tensor& x) { return ops::div(Tensor::filled(x.dtype(), {}, 1.0), x); });
    for (const char* op : {"Sum", "Mean", "Max", "Min"}) t[op] = reduction(op);
    t["GatherV2"] = const_inputs_as_attrs("GatherV2", 2, {tf::ConstantInput{"axis", "axis", true, {}, false}});
    t["GatherV2"].run = [gather = t["GatherV2"].run](const TfOpCall& call) {
      if (call.attrs.get_or<std::int64_t>("batch_dims", 0) != 0)
        throw Error(call.where + " (GatherV2): batch_dims other than 0 is not supported");
      return gather(call);
    };
    t["ConcatV2"] = {concat_v2, {}};
    t["Shape"] = {shape_of, {}};
    t["Conv2DBackpropInput"] = {conv2d_backprop_input, {}};
    t["Fill"] = {fill, {}};
    t["StridedSlice"] = {strided_slice, {}};
    t["StridedSlice"].first_constant_input = 1;
    t["StridedSlice"].fold_constants = strided_slice_bounds;
    t["Pad"] = {pad, {}};
    t["PadV2"] = {pad, {}};
    t["AddN"] = {add_n, {}};
    t["Select"] = {select_v1, {}};
    t["ParseExample"] = parse_example_importer(false);
    t["ParseExampleV2"] = parse_example_importer(true);
    add_keras3_export_importers(t);
    add_3d_importers(t);
    add_attention_importers(t);
    add_image_importers(t);
    return t;
  }();
  return importers;
}

}  // namespace

void expect_inputs(const TfOpCall& call, std::size_t count) {
  if (call.inputs.size() != count)
    throw Error(call.where + " (" + call.node.op() + "): expects " + std::to_string(count) + " inputs, found " +
                std::to_string(call.inputs.size()));
}

const TfOpImporter* find_tf_op_importer(const std::string& op_type) {
  auto it = table().find(op_type);
  if (it != table().end()) return &it->second;
  const tf::OpSignature* signature = tf::find_op_signature(op_type);
  if (!signature) return nullptr;
  // Made on first use and kept: a plugin may declare its ops after the first lookup.
  static std::mutex mutex;
  static std::map<std::string, TfOpImporter> declared;
  std::lock_guard lock(mutex);
  auto [entry, added] = declared.try_emplace(op_type);
  if (added) entry->second = declared_importer(*signature);
  return &entry->second;
}

const tfproto::AttrValue* find_attr(const tfproto::NodeDef& node, const std::string& name) {
  auto it = node.attr().find(name);
  return it == node.attr().end() ? nullptr : &it->second;
}

Attrs attrs_from_node(const tfproto::NodeDef& node) {
  Attrs attrs;
  for (const auto& [name, value] : node.attr()) {
    if (name.empty() || name[0] == '_') continue;
    switch (value.value_case()) {
      case tfproto::AttrValue::kS: attrs.set(name, value.s()); break;
      case tfproto::AttrValue::kI: attrs.set(name, static_cast<std::int64_t>(value.i())); break;
      case tfproto::AttrValue::kF: attrs.set(name, static_cast<double>(value.f())); break;
      case tfproto::AttrValue::kB: attrs.set(name, value.b()); break;
      case tfproto::AttrValue::kType: attrs.set(name, tf::tf_dtype_name(value.type())); break;
      case tfproto::AttrValue::kList:
        if (value.list().i_size() > 0 || (value.list().f_size() == 0 && value.list().s_size() == 0 && value.list().type_size() == 0 &&
                                          value.list().shape_size() == 0))
          attrs.set(name, Ints(value.list().i().begin(), value.list().i().end()));
        else if (value.list().f_size() > 0)
          attrs.set(name, std::vector<double>(value.list().f().begin(), value.list().f().end()));
        break;
      default: break;  // shapes, tensors, functions: not op parameters ksave reads
    }
  }
  return attrs;
}

Ints int_values(const Tensor& t, const std::string& what) {
  if (t.rank() > 1) throw Error(what + ": expected a scalar or a list of integers, found shape " + shape_to_string(t.shape()));
  if (!is_integer(t.dtype())) throw Error(what + ": expected integers, found " + std::string(dtype_name(t.dtype())));
  return t.to_vector<std::int64_t>();
}

}  // namespace ksave::plugins::savedmodel
