#include "trace_ops.hpp"

#include <algorithm>
#include <cctype>
#include <type_traits>
#include <variant>

#include "ksave/error.hpp"
#include "ksave/tf/bundle.hpp"
#include "ksave/tf/op_signature.hpp"
#include "trace_graph.hpp"

namespace ksave::plugins::savedmodel {

namespace {

using Ints = std::vector<std::int64_t>;

// TensorFlow's name of each op's (first) output argument, from its declaration; "value" for the
// variable reads the tracer writes (the executor's own op), "output" for every other op.
const std::string& output_arg_name(const std::string& op) {
  static const std::string fallback = "output", read_variable = "value";
  if (const tf::OpSignature* signature = tf::find_op_signature(op)) return signature->output_arg;
  return op == "ReadVariableOp" ? read_variable : fallback;
}

// The node names tf.function gives ops created through the Python API (tf.add → "add").
std::string node_base_name(const std::string& op) {
  const tf::OpSignature* signature = tf::find_op_signature(op);
  return signature ? signature->node_base() : op;
}

void set_int(tfproto::NodeDef& node, const std::string& name, std::int64_t value) { (*node.mutable_attr())[name].set_i(value); }
void set_bool(tfproto::NodeDef& node, const std::string& name, bool value) { (*node.mutable_attr())[name].set_b(value); }
void set_string(tfproto::NodeDef& node, const std::string& name, const std::string& value) {
  (*node.mutable_attr())[name].set_s(value);
}
void set_ints(tfproto::NodeDef& node, const std::string& name, const Ints& values) {
  auto* list = (*node.mutable_attr())[name].mutable_list();
  for (auto v : values) list->add_i(v);
}

// A node attribute from a ksave attribute's value, by its type.
void set_attr(tfproto::NodeDef& node, const std::string& name, const AttrValue& value) {
  tfproto::AttrValue& attr = (*node.mutable_attr())[name];
  std::visit(
      [&attr](const auto& v) {
        using V = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<V, bool>) attr.set_b(v);
        else if constexpr (std::is_same_v<V, std::int64_t>) attr.set_i(v);
        else if constexpr (std::is_same_v<V, double>) attr.set_f(static_cast<float>(v));
        else if constexpr (std::is_same_v<V, std::string>) attr.set_s(v);
        else if constexpr (std::is_same_v<V, Ints>) for (auto i : v) attr.mutable_list()->add_i(i);
        else for (auto f : v) attr.mutable_list()->add_f(static_cast<float>(f));
      },
      value);
}

Tensor int32_vector(const Ints& values) {
  std::vector<std::int32_t> narrow(values.begin(), values.end());
  return Tensor::from_vector<std::int32_t>(narrow, Shape{static_cast<Dim>(values.size())});
}
Tensor int32_scalar(std::int64_t value) { return Tensor::scalar<std::int32_t>(static_cast<std::int32_t>(value)); }

// Emits one op call; each helper adds the TensorFlow node(s) and returns the output endpoints.
class OpWriter {
 public:
  OpWriter(TraceBuilder& builder, const OpDef& op, std::span<const Tensor> inputs, const std::vector<std::string>& endpoints,
           const Attrs& attrs, std::span<const Tensor> outputs)
      : b_(builder), op_(op), in_(inputs), ep_(endpoints), attrs_(attrs), out_(outputs) {}

  std::vector<std::string> write();

 private:
  const std::string& type() const { return op_.tf_op; }
  std::string base() const { return node_base_name(type()); }

  // The node of this op with its data inputs (already converted where needed).
  tfproto::NodeDef& node(const std::vector<std::string>& inputs, const std::string& op = {}) {
    tfproto::NodeDef& n = b_.add_node(op.empty() ? base() : node_base_name(op), op.empty() ? type() : op);
    for (const auto& input : inputs) n.add_input(input);
    set_shapes_attr(n, shapes_of(out_));
    return n;
  }
  static std::vector<Shape> shapes_of(std::span<const Tensor> tensors) {
    std::vector<Shape> out;
    for (const auto& t : tensors) out.push_back(symbolic_shape(t.shape()));
    return out;
  }
  std::vector<std::string> single(const tfproto::NodeDef& n) const { return {output_endpoint(n.name(), n.op(), 0)}; }

  // Input `i` as float32 (ksave's arithmetic converts its inputs; TensorFlow wants one type).
  std::string float_input(std::size_t i) { return converted(i, DType::Float32); }
  std::string converted(std::size_t i, DType dtype) {
    if (in_[i].dtype() == dtype) return ep_[i];
    tfproto::NodeDef& cast = b_.add_node("Cast", "Cast");
    cast.add_input(ep_[i]);
    set_type_attr(cast, "SrcT", in_[i].dtype());
    set_type_attr(cast, "DstT", dtype);
    return output_endpoint(cast.name(), "Cast", 0);
  }
  std::vector<std::string> float_inputs() {
    std::vector<std::string> out;
    for (std::size_t i = 0; i < in_.size(); ++i) out.push_back(float_input(i));
    return out;
  }
  std::string const_input(const std::string& suffix, const Tensor& value) { return b_.add_const(base() + "/" + suffix, value); }
  // Axes normalized to [0, rank).
  static std::int64_t axis_of(std::int64_t axis, int rank) { return axis < 0 ? axis + rank : axis; }
  bool batch_sized(const Tensor& t) const { return t.rank() > 0 && t.dim(0) == kTraceBatch; }

  std::vector<std::string> declared(const tf::OpSignature& signature);
  std::vector<std::string> cast();
  std::vector<std::string> comparison();
  std::vector<std::string> clip();
  std::vector<std::string> select();
  std::vector<std::string> matmul();
  std::vector<std::string> reduction();
  std::vector<std::string> softmax();
  std::vector<std::string> reshape();
  std::vector<std::string> slice();
  std::vector<std::string> window_op();
  std::vector<std::string> conv_backprop_input();
  std::string sizes_with_batch_of(std::size_t input, const Ints& sizes);
  std::vector<std::string> gather();
  std::vector<std::string> pad();
  std::vector<std::string> one_hot();
  std::vector<std::string> shape_op();
  std::vector<std::string> unstack();

  TraceBuilder& b_;
  const OpDef& op_;
  std::span<const Tensor> in_;
  const std::vector<std::string>& ep_;
  const Attrs& attrs_;
  std::span<const Tensor> out_;
};

// An op written from its declaration alone: its data inputs (as float32 for arithmetic), its
// constant inputs as int32 Consts, its type, count and copied attributes.
std::vector<std::string> OpWriter::declared(const tf::OpSignature& signature) {
  const int rank = in_[0].rank();
  std::vector<std::string> inputs = signature.float_inputs ? float_inputs() : std::vector<std::string>(ep_.begin(), ep_.end());
  for (const tf::ConstantInput& constant : signature.constant_inputs) {
    if (constant.scalar) {
      const std::int64_t value = attrs_.get<std::int64_t>(constant.attr);
      inputs.push_back(const_input(constant.node, int32_scalar(constant.axis ? axis_of(value, rank) : value)));
    } else {
      Ints values = attrs_.get<Ints>(constant.attr);
      if (constant.axis)
        for (auto& a : values) a = axis_of(a, rank);
      inputs.push_back(const_input(constant.node, int32_vector(values)));
    }
  }
  tfproto::NodeDef& n = node(inputs);
  if (!signature.type_attr.empty()) set_type_attr(n, signature.type_attr, signature.float_inputs ? DType::Float32 : in_[0].dtype());
  for (const tf::ConstantInput& constant : signature.constant_inputs)
    if (!constant.type_attr.empty()) set_type_attr(n, constant.type_attr, DType::Int32);
  if (!signature.count_attr.empty()) set_int(n, signature.count_attr, static_cast<std::int64_t>(in_.size()));
  for (const tf::CopiedAttr& copied : signature.attrs) {
    const AttrValue* found = attrs_.find(copied.name);
    if (!found && !copied.fallback) attrs_.get<std::int64_t>(copied.name);  // throws, naming the attribute
    AttrValue value = found ? *found : *copied.fallback;
    if (copied.axes)
      for (auto& a : std::get<Ints>(value)) a = axis_of(a, rank);
    set_attr(n, copied.name, value);
  }
  std::vector<std::string> outputs;
  for (std::size_t i = 0; i < out_.size(); ++i) outputs.push_back(output_endpoint(n.name(), n.op(), i));
  return outputs;
}

// tf.clip_by_value as TensorFlow's Python writes it: Minimum with the upper bound, then Maximum
// with the lower one.
std::vector<std::string> OpWriter::clip() {
  auto bound = [&](const char* name, const char* attr) {
    return b_.add_const(std::string("clip_by_value/") + name, Tensor::scalar<float>(static_cast<float>(attrs_.get<double>(attr))));
  };
  tfproto::NodeDef& lower = b_.add_node("clip_by_value/Minimum", "Minimum");
  lower.add_input(float_input(0));
  lower.add_input(bound("Minimum/y", "clip_value_max"));
  set_type_attr(lower, "T", DType::Float32);
  const std::string clipped_above = output_endpoint(lower.name(), "Minimum", 0);
  tfproto::NodeDef& n = b_.add_node("clip_by_value", "Maximum");
  n.add_input(clipped_above);
  n.add_input(bound("y", "clip_value_min"));
  set_type_attr(n, "T", DType::Float32);
  set_shapes_attr(n, shapes_of(out_));
  return single(n);
}

// Greater/Equal: TensorFlow returns bool, ksave float32 0/1: the bool is cast back.
std::vector<std::string> OpWriter::comparison() {
  tfproto::NodeDef& n = node(float_inputs());
  set_type_attr(n, "T", DType::Float32);
  tfproto::NodeDef& cast = b_.add_node("Cast", "Cast");
  cast.add_input(output_endpoint(n.name(), n.op(), 0));
  set_type_attr(cast, "SrcT", DType::Bool);
  set_type_attr(cast, "DstT", DType::Float32);
  return single(cast);
}

// SelectV2's condition is bool in TensorFlow: ksave's (cond != 0).
std::vector<std::string> OpWriter::select() {
  tfproto::NodeDef& cast = b_.add_node("Cast", "Cast");
  cast.add_input(ep_[0]);
  set_type_attr(cast, "SrcT", in_[0].dtype());
  set_type_attr(cast, "DstT", DType::Bool);
  const std::string condition = output_endpoint(cast.name(), "Cast", 0);
  tfproto::NodeDef& n = node({condition, float_input(1), float_input(2)});
  set_type_attr(n, "T", DType::Float32);
  return single(n);
}

// A rank > 2 `a` contracts its last axis with a 2-D `b`: BatchMatMulV2 broadcasts b over the
// leading axes, which is the same product.
std::vector<std::string> OpWriter::matmul() {
  const bool batched = type() == "BatchMatMulV2" || in_[0].rank() > 2;
  const bool first = type() == "BatchMatMulV2" ? attrs_.get_or<bool>("adj_x", false) : attrs_.get_or<bool>("transpose_a", false);
  const bool second = type() == "BatchMatMulV2" ? attrs_.get_or<bool>("adj_y", false) : attrs_.get_or<bool>("transpose_b", false);
  tfproto::NodeDef& n = node(float_inputs(), batched ? "BatchMatMulV2" : "MatMul");
  set_type_attr(n, "T", DType::Float32);
  set_bool(n, batched ? "adj_x" : "transpose_a", first);
  set_bool(n, batched ? "adj_y" : "transpose_b", second);
  return single(n);
}

std::vector<std::string> OpWriter::reduction() {
  Ints axes = attrs_.get_or<Ints>("axis", {});
  if (axes.empty())
    for (int a = 0; a < in_[0].rank(); ++a) axes.push_back(a);
  for (auto& a : axes) a = axis_of(a, in_[0].rank());
  const bool is_float = type() != "Max" && type() != "Min";
  std::vector<std::string> inputs = {is_float ? float_input(0) : ep_[0], const_input("reduction_indices", int32_vector(axes))};
  tfproto::NodeDef& n = node(inputs);
  set_type_attr(n, "T", is_float ? DType::Float32 : in_[0].dtype());
  set_type_attr(n, "Tidx", DType::Int32);
  set_bool(n, "keep_dims", attrs_.get_or<bool>("keep_dims", false));
  return single(n);
}

// TensorFlow's Softmax works on the last axis: another axis is swapped with it around the op,
// as tf.nn.softmax does.
std::vector<std::string> OpWriter::softmax() {
  const int rank = in_[0].rank();
  const std::int64_t axis = axis_of(attrs_.get_or<std::int64_t>("axis", -1), rank);
  std::string input = float_input(0);
  Ints perm;
  for (int a = 0; a < rank; ++a) perm.push_back(a);
  const bool swapped = axis != rank - 1;
  auto transpose = [&](const std::string& x) {
    tfproto::NodeDef& t = b_.add_node("transpose", "Transpose");
    t.add_input(x);
    t.add_input(b_.add_const("transpose/perm", int32_vector(perm)));
    set_type_attr(t, "T", DType::Float32);
    set_type_attr(t, "Tperm", DType::Int32);
    return output_endpoint(t.name(), "Transpose", 0);
  };
  if (swapped) {
    std::swap(perm[static_cast<std::size_t>(axis)], perm.back());
    input = transpose(input);
  }
  tfproto::NodeDef& n = b_.add_node(base(), type());
  n.add_input(input);
  set_type_attr(n, "T", DType::Float32);
  const std::vector<std::string> out = single(n);
  return swapped ? std::vector<std::string>{transpose(out[0])} : out;
}

// Reshape to [batch, ...] becomes [-1, ...] (or, with another -1, the batch read at run time).
std::vector<std::string> OpWriter::reshape() {
  Ints shape = attrs_.get<Ints>("shape");
  const bool batch_leading = make_batch_free(shape, in_[0].shape());
  tfproto::NodeDef& n = node({ep_[0], b_.add_int_vector(base() + "/shape", shape, batch_leading)});
  set_type_attr(n, "T", in_[0].dtype());
  set_type_attr(n, "Tshape", DType::Int32);
  return single(n);
}

std::vector<std::string> OpWriter::slice() {
  const Ints begin = attrs_.get<Ints>("begin");
  Ints size = attrs_.get<Ints>("size");
  if (!size.empty() && size[0] == kTraceBatch && begin[0] == 0 && batch_sized(in_[0])) size[0] = -1;
  tfproto::NodeDef& n = node({ep_[0], const_input("begin", int32_vector(begin)), const_input("size", int32_vector(size))});
  set_type_attr(n, "T", in_[0].dtype());
  set_type_attr(n, "Index", DType::Int32);
  return single(n);
}

// Conv2D, DepthwiseConv2dNative, MaxPool, AvgPool: NHWC window attributes as TensorFlow has them.
std::vector<std::string> OpWriter::window_op() {
  tfproto::NodeDef& n = node(float_inputs());
  set_type_attr(n, "T", DType::Float32);
  set_ints(n, "strides", attrs_.get<Ints>("strides"));
  const std::string padding = attrs_.get<std::string>("padding");
  set_string(n, "padding", padding);
  set_string(n, "data_format", "NHWC");
  if (attrs_.has("ksize")) set_ints(n, "ksize", attrs_.get<Ints>("ksize"));
  if (attrs_.has("dilations")) set_ints(n, "dilations", attrs_.get<Ints>("dilations"));
  if (padding == "EXPLICIT") set_ints(n, "explicit_paddings", attrs_.get<Ints>("explicit_paddings"));
  return single(n);
}

// `sizes` with its first value read at run time from input `input`'s first dimension:
// ConcatV2(StridedSlice(Shape(input), [0], [1]), sizes[1:]).
std::string OpWriter::sizes_with_batch_of(std::size_t input, const Ints& sizes) {
  tfproto::NodeDef& shape = b_.add_node(base() + "/Shape", "Shape");
  shape.add_input(ep_[input]);
  set_type_attr(shape, "T", in_[input].dtype());
  set_type_attr(shape, "out_type", DType::Int32);
  tfproto::NodeDef& first = b_.add_node(base() + "/strided_slice", "StridedSlice");
  first.add_input(output_endpoint(shape.name(), "Shape", 0));
  for (const char* bound : {"begin", "end", "strides"})
    first.add_input(const_input(std::string("strided_slice/") + bound, int32_vector({bound == std::string("begin") ? 0 : 1})));
  set_type_attr(first, "T", DType::Int32);
  set_type_attr(first, "Index", DType::Int32);
  tfproto::NodeDef& concat = b_.add_node(base() + "/input_sizes", "ConcatV2");
  concat.add_input(output_endpoint(first.name(), "StridedSlice", 0));
  concat.add_input(const_input("input_sizes/rest", int32_vector(Ints(sizes.begin() + 1, sizes.end()))));
  concat.add_input(const_input("input_sizes/axis", int32_scalar(0)));
  set_type_attr(concat, "T", DType::Int32);
  set_type_attr(concat, "Tidx", DType::Int32);
  set_int(concat, "N", 2);
  return output_endpoint(concat.name(), "ConcatV2", 0);
}

// Conv2DBackpropInput (transposed convolutions): TensorFlow takes input_sizes as the first input.
// Its batch is out_backprop's: when that holds the trace batch folded with another axis (a
// multiple of it, as Conv3DTranspose's depth taps have), it is read from out_backprop at run time.
std::vector<std::string> OpWriter::conv_backprop_input() {
  const Ints sizes = attrs_.get<Ints>("input_sizes");
  const bool batch_leading = !sizes.empty() && sizes[0] == kTraceBatch && batch_sized(in_[1]);
  const bool folded_batch = !sizes.empty() && !batch_leading && in_[1].rank() > 0 && sizes[0] == in_[1].dim(0) &&
                            sizes[0] % kTraceBatch == 0;
  const std::string input_sizes = folded_batch ? sizes_with_batch_of(1, sizes)
                                               : b_.add_int_vector(base() + "/input_sizes", sizes, batch_leading);
  tfproto::NodeDef& n = node({input_sizes, float_input(0), float_input(1)});
  set_type_attr(n, "T", DType::Float32);
  set_ints(n, "strides", attrs_.get<Ints>("strides"));
  set_string(n, "padding", attrs_.get<std::string>("padding"));
  set_string(n, "data_format", "NHWC");
  if (attrs_.has("dilations")) set_ints(n, "dilations", attrs_.get<Ints>("dilations"));
  if (attrs_.get<std::string>("padding") == "EXPLICIT") set_ints(n, "explicit_paddings", attrs_.get<Ints>("explicit_paddings"));
  return single(n);
}

// GatherV2 and OneHot take integer ids; ksave also accepts float ids, which are converted.
std::vector<std::string> OpWriter::gather() {
  const bool integer_ids = in_[1].dtype() == DType::Int32 || in_[1].dtype() == DType::Int64;
  const std::string indices = integer_ids ? ep_[1] : converted(1, DType::Int32);
  tfproto::NodeDef& n = node({ep_[0], indices, const_input("axis", int32_scalar(attrs_.get_or<std::int64_t>("axis", 0)))});
  set_type_attr(n, "Tparams", in_[0].dtype());
  set_type_attr(n, "Tindices", integer_ids ? in_[1].dtype() : DType::Int32);
  set_type_attr(n, "Taxis", DType::Int32);
  set_int(n, "batch_dims", 0);
  return single(n);
}

std::vector<std::string> OpWriter::one_hot() {
  const bool integer_ids = in_[0].dtype() == DType::Int32 || in_[0].dtype() == DType::Int64 || in_[0].dtype() == DType::UInt8;
  const std::string indices = integer_ids ? ep_[0] : converted(0, DType::Int32);
  tfproto::NodeDef& n = node({indices, const_input("depth", int32_scalar(attrs_.get<std::int64_t>("depth"))),
                              const_input("on_value", Tensor::scalar<float>(1.f)), const_input("off_value", Tensor::scalar<float>(0.f))});
  set_type_attr(n, "T", DType::Float32);
  set_type_attr(n, "TI", integer_ids ? in_[0].dtype() : DType::Int32);
  set_int(n, "axis", -1);
  return single(n);
}

std::vector<std::string> OpWriter::pad() {
  const Ints flat = attrs_.get<Ints>("paddings");
  std::vector<std::int32_t> narrow(flat.begin(), flat.end());
  const Tensor paddings = Tensor::from_vector<std::int32_t>(narrow, Shape{static_cast<Dim>(flat.size() / 2), 2});
  const double value = attrs_.get_or<double>("constant_values", 0.0);
  const Tensor constant = Tensor::scalar<double>(value).cast(in_[0].dtype());
  tfproto::NodeDef& n = node({ep_[0], const_input("paddings", paddings), const_input("constant_values", constant)});
  set_type_attr(n, "T", in_[0].dtype());
  set_type_attr(n, "Tpaddings", DType::Int32);
  return single(n);
}

// tf.unstack as one StridedSlice per slice (shrinking the axis), which every TensorFlow graph
// runtime executes — ksave's graph executor has no Unpack yet — and computes the same values.
// Its constants are named under "unstack", as tf.function names them.
std::vector<std::string> OpWriter::unstack() {
  const int rank = in_[0].rank();
  const std::int64_t axis = axis_of(attrs_.get_or<std::int64_t>("axis", 0), rank);
  const std::int64_t all_but_axis = ((std::int64_t{1} << rank) - 1) & ~(std::int64_t{1} << axis);
  const std::string strides = b_.add_const("unstack/stack_2", int32_vector(Ints(static_cast<std::size_t>(rank), 1)));
  std::vector<std::string> outputs;
  for (std::size_t i = 0; i < out_.size(); ++i) {
    Ints begin(static_cast<std::size_t>(rank), 0), end(static_cast<std::size_t>(rank), 0);
    begin[static_cast<std::size_t>(axis)] = static_cast<std::int64_t>(i);
    end[static_cast<std::size_t>(axis)] = static_cast<std::int64_t>(i) + 1;
    const std::string b = b_.add_const("unstack/stack", int32_vector(begin)), e = b_.add_const("unstack/stack_1", int32_vector(end));
    tfproto::NodeDef& n = b_.add_node("strided_slice", "StridedSlice");
    for (const auto& input : {ep_[0], b, e, strides}) n.add_input(input);
    set_type_attr(n, "T", in_[0].dtype());
    set_type_attr(n, "Index", DType::Int32);
    set_int(n, "begin_mask", all_but_axis);
    set_int(n, "end_mask", all_but_axis);
    set_int(n, "shrink_axis_mask", std::int64_t{1} << axis);
    set_shapes_attr(n, {symbolic_shape(out_[i].shape())});
    outputs.push_back(output_endpoint(n.name(), "StridedSlice", 0));
  }
  return outputs;
}

// Cast: SrcT and DstT for the input's and output's dtypes, as tf.cast writes them.
std::vector<std::string> OpWriter::cast() {
  tfproto::NodeDef& n = node(ep_);
  set_type_attr(n, "SrcT", in_[0].dtype());
  set_type_attr(n, "DstT", out_[0].dtype());
  set_bool(n, "Truncate", false);
  return single(n);
}

std::vector<std::string> OpWriter::write() {
  const std::string& t = type();
  if (t == "Unpack") return unstack();
  if (t == "ClipByValue") return clip();
  if (t == "Cast") return cast();
  if (t == "Greater" || t == "Equal") return comparison();
  if (t == "SelectV2") return select();
  if (t == "MatMul" || t == "BatchMatMulV2") return matmul();
  if (t == "Sum" || t == "Mean" || t == "Max" || t == "Min") return reduction();
  if (t == "ArgMax") {
    tfproto::NodeDef& n = node({float_input(0), const_input("dimension", int32_scalar(axis_of(attrs_.get<std::int64_t>("axis"), in_[0].rank())))});
    set_type_attr(n, "T", DType::Float32);
    set_type_attr(n, "Tidx", DType::Int32);
    set_type_attr(n, "output_type", DType::Int64);
    return single(n);
  }
  if (t == "Softmax" || t == "LogSoftmax") return softmax();
  if (t == "Reshape") return reshape();
  if (t == "Slice") return slice();
  if (t == "Conv2D" || t == "DepthwiseConv2dNative" || t == "MaxPool" || t == "AvgPool") return window_op();
  if (t == "Conv2DBackpropInput") return conv_backprop_input();
  if (t == "GatherV2") return gather();
  if (t == "OneHot") return one_hot();
  if (t == "PadV2") return pad();
  if (const tf::OpSignature* signature = tf::find_op_signature(t)) return declared(*signature);
  throw Error("cannot trace op '" + op_.name + "' (TensorFlow type '" + t +
              "') into a SavedModel function: it is a gradient or internal op with no TensorFlow forward equivalent here");
}

}  // namespace

std::string output_endpoint(const std::string& node, const std::string& op, std::size_t index) {
  return node + ":" + output_arg_name(op) + ":" + std::to_string(index);
}

bool make_batch_free(std::vector<std::int64_t>& target, const Shape& input) {
  const bool carries_batch = std::any_of(input.begin(), input.end(), [](Dim d) { return d > 0 && d % kTraceBatch == 0; });
  if (!carries_batch) return false;
  if (std::find(target.begin(), target.end(), -1) != target.end()) return !target.empty() && target[0] == kTraceBatch;
  for (auto& dim : target)
    if (dim > 0 && dim % kTraceBatch == 0) {
      dim = -1;
      break;
    }
  return false;
}

std::string lowercase_identifier(const std::string& name) {
  std::string out;
  for (char c : name) {
    const auto u = static_cast<unsigned char>(c);
    out.push_back(std::isalnum(u) ? static_cast<char>(std::tolower(u)) : '_');
  }
  return out;
}

std::string numbered(std::string base, std::size_t n) {
  base.append("_").append(std::to_string(n));
  return base;
}

std::vector<std::string> emit_op(TraceBuilder& builder, const OpDef& op, std::span<const Tensor> inputs,
                                 const std::vector<std::string>& input_endpoints, const Attrs& attrs,
                                 std::span<const Tensor> outputs) {
  return OpWriter(builder, op, inputs, input_endpoints, attrs, outputs).write();
}

void set_type_attr(tfproto::NodeDef& node, const std::string& name, DType dtype) {
  (*node.mutable_attr())[name].set_type(tf::to_tf_dtype(dtype));
}

void set_shape(tfproto::TensorShapeProto& proto, const Shape& shape) {
  for (auto dim : shape) proto.add_dim()->set_size(dim == kUnknown ? -1 : dim);
}

void set_shapes_attr(tfproto::NodeDef& node, const std::vector<Shape>& shapes) {
  auto* list = (*node.mutable_attr())["_output_shapes"].mutable_list();
  for (const auto& shape : shapes) set_shape(*list->add_shape(), shape);
}

Shape symbolic_shape(const Shape& traced) {
  Shape out = traced;
  if (!out.empty() && (out[0] == kTraceBatch || out[0] == kUnknown)) out[0] = -1;
  return out;
}

}  // namespace ksave::plugins::savedmodel
