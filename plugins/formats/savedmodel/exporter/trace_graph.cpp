#include "trace_graph.hpp"

#include <deque>
#include <map>
#include <set>

#include "ksave/error.hpp"
#include "ksave/tf/bundle.hpp"
#include "trace_ops.hpp"

namespace ksave::plugins::savedmodel {

namespace {

// A value seen during the trace: which storage, shape and dtype, and where the graph has it.
struct KnownTensor {
  Shape shape;
  DType dtype;
  std::string endpoint;
};

void fill_tensor_proto(tfproto::TensorProto& proto, const Tensor& value) {
  proto.set_dtype(tf::to_tf_dtype(value.dtype()));
  set_shape(*proto.mutable_tensor_shape(), value.shape());
  if (value.dtype() == DType::String) {
    for (const auto& s : value.string_values()) proto.add_string_val(s);
    return;
  }
  // Scalars as typed values (as TensorFlow writes small constants), the rest as raw bytes.
  if (value.size() == 1 && value.dtype() == DType::Float32) proto.add_float_val(value.data<float>()[0]);
  else if (value.size() == 1 && value.dtype() == DType::Int32) proto.add_int_val(value.data<std::int32_t>()[0]);
  else proto.set_tensor_content(static_cast<const char*>(value.raw_data()), value.nbytes());
}

// True when every element of a float tensor has the same value (a filled tensor).
bool uniform(const Tensor& t) {
  if (t.size() == 0 || t.dtype() == DType::String) return false;
  const double first = t.item(0);
  for (std::int64_t i = 1; i < t.size(); ++i)
    if (t.item(i) != first) return false;
  return true;
}

class Tracer : public OpObserver, public TraceBuilder {
 public:
  Tracer(const std::vector<VariablePtr>& variables, std::string scope) : scope_(std::move(scope)) {
    for (const auto& v : variables) variables_[v->value().storage().get()] = v;
  }

  void add_argument(const TraceArg& arg, const Tensor& placeholder) {
    remember(placeholder, arg.name);
    if (batch_source_.empty() && placeholder.rank() > 0 && placeholder.dim(0) == kTraceBatch) {
      batch_source_ = arg.name;
      batch_source_dtype_ = placeholder.dtype();
    }
  }

  bool wants_primitive_ops() const override { return true; }

  void on_op(const OpDef& op, std::span<const Tensor> inputs, const Attrs& attrs, std::span<const Tensor> outputs) override {
    std::vector<std::string> endpoints;
    for (std::size_t i = 0; i < inputs.size(); ++i) endpoints.push_back(endpoint_of(inputs[i], op.tf_op, i));
    const std::vector<std::string> results = emit_op(*this, op, inputs, endpoints, attrs, outputs);
    for (std::size_t i = 0; i < outputs.size(); ++i) remember(outputs[i], results[i]);
  }

  // The endpoint that holds `t`: an op result, an argument, a variable read, or a constant.
  std::string endpoint_of(const Tensor& t, const std::string& consumer, std::size_t index) {
    auto it = known_.find(t.storage().get());
    if (it != known_.end()) {
      for (auto k = it->second.rbegin(); k != it->second.rend(); ++k)
        if (k->shape == t.shape() && k->dtype == t.dtype()) return k->endpoint;
      // The same storage seen through Tensor::reshape (not an op): a Reshape node.
      const KnownTensor& source = it->second.back();
      if (source.dtype == t.dtype() && num_elements(source.shape) == t.size()) return reshaped(source, t);
    }
    auto v = variables_.find(t.storage().get());
    if (v != variables_.end() && v->second->dtype() == t.dtype()) {
      const std::string read = read_variable(v->second, consumer);
      if (v->second->shape() == t.shape()) return read;
      if (num_elements(v->second->shape()) == t.size()) return reshaped({v->second->shape(), t.dtype(), read}, t);
    }
    std::string endpoint = captured_constant(t, consumer, index);
    remember(t, endpoint);
    return endpoint;
  }

  tfproto::NodeDef& add_node(const std::string& base, const std::string& op) override {
    tfproto::NodeDef& node = nodes_.emplace_back();
    node.set_name(unique_name(scope_ + base));
    node.set_op(op);
    return node;
  }

  std::string add_const(const std::string& base, const Tensor& value) override {
    tfproto::NodeDef& node = add_node(base, "Const");
    set_type_attr(node, "dtype", value.dtype());
    fill_tensor_proto(*(*node.mutable_attr())["value"].mutable_tensor(), value);
    set_shapes_attr(node, {value.shape()});
    return output_endpoint(node.name(), "Const", 0);
  }

  std::string add_int_vector(const std::string& base, const std::vector<std::int64_t>& values, bool batch_leading) override {
    std::vector<std::int32_t> narrow(values.begin(), values.end());
    if (!batch_leading) return add_const(base, Tensor::from_vector<std::int32_t>(narrow, Shape{static_cast<Dim>(narrow.size())}));
    std::vector<std::string> parts{batch_size()};
    for (std::size_t i = 1; i < narrow.size(); ++i) parts.push_back(add_const(base + "/" + std::to_string(i), Tensor::scalar<std::int32_t>(narrow[i])));
    tfproto::NodeDef& pack = add_node(base, "Pack");
    for (const auto& p : parts) pack.add_input(p);
    set_type_attr(pack, "T", DType::Int32);
    (*pack.mutable_attr())["N"].set_i(static_cast<std::int64_t>(parts.size()));
    (*pack.mutable_attr())["axis"].set_i(0);
    return output_endpoint(pack.name(), "Pack", 0);
  }

  TracedFunction finish(TracedFunction out) {
    out.nodes.assign(nodes_.begin(), nodes_.end());
    out.captures = captures_;
    out.capture_arg_names = capture_arg_names_;
    out.read_nodes = read_nodes_;
    return out;
  }

 private:
  void remember(const Tensor& t, std::string endpoint) {
    held_.push_back(t);  // keeps the storage alive so its address is not reused during the trace
    known_[t.storage().get()].push_back({t.shape(), t.dtype(), std::move(endpoint)});
  }

  // TensorFlow's unique names: base, base_1, base_2, ... skipping names already taken (a
  // "stack_1" constant and the second "stack").
  std::string unique_name(const std::string& base) {
    for (;;) {
      const int count = name_counts_[base]++;
      std::string name = count == 0 ? base : numbered(base, static_cast<std::size_t>(count));
      if (used_names_.insert(name).second) return name;
    }
  }

  // A captured variable: a resource argument and a ReadVariableOp named after its first reader.
  std::string read_variable(const VariablePtr& variable, const std::string& consumer) {
    auto existing = reads_.find(variable.get());
    if (existing != reads_.end()) return existing->second;
    tfproto::NodeDef& read = add_node(consumer + "/ReadVariableOp", "ReadVariableOp");
    const std::string arg = unique_arg(lowercase_identifier(read.name()) + "_resource");
    read.add_input(arg);
    set_type_attr(read, "dtype", variable->dtype());
    set_shapes_attr(read, {variable->shape()});
    captures_.push_back(variable);
    capture_arg_names_.push_back(arg);
    read_nodes_.push_back(read.name());
    const std::string endpoint = output_endpoint(read.name(), "ReadVariableOp", 0);
    reads_[variable.get()] = endpoint;
    return endpoint;
  }
  std::string unique_arg(const std::string& base) {
    const int count = arg_counts_[base]++;
    return count == 0 ? base : numbered(base, static_cast<std::size_t>(count));
  }

  std::string reshaped(const KnownTensor& source, const Tensor& t) {
    std::vector<std::int64_t> dims(t.shape().begin(), t.shape().end());
    make_batch_free(dims, source.shape);  // a concrete shape has no -1: never a run-time batch
    const std::string shape = add_int_vector("Reshape/shape", dims, false);
    tfproto::NodeDef& node = add_node("Reshape", "Reshape");
    node.add_input(source.endpoint);
    node.add_input(shape);
    set_type_attr(node, "T", t.dtype());
    set_type_attr(node, "Tshape", DType::Int32);
    set_shapes_attr(node, {symbolic_shape(t.shape())});
    std::string endpoint = output_endpoint(node.name(), "Reshape", 0);
    remember(t, endpoint);
    return endpoint;
  }

  // A tensor no op produced: a constant of the call. A filled tensor whose first dimension is
  // the trace batch (zero initial states) is built from the input's batch size at run time.
  std::string captured_constant(const Tensor& t, const std::string& consumer, std::size_t index) {
    const std::string base = consumer + "/" + (index == 1 ? "y" : "Const");
    if (t.rank() == 0 || t.dim(0) != kTraceBatch || batch_source_.empty()) return add_const(base, t);
    // Zeros of the batch's size are initial states; any other batch-sized value (a mask made as
    // plain data from the input) would be frozen into the function.
    if (!uniform(t) || t.item(0) != 0.0)
      throw UntraceableCall("its input " + std::to_string(index) + " of " + consumer + " (shape " + shape_to_string(t.shape()) +
                            ") depends on the batch but was not computed by ksave's ops (a mask computed as data?)");
    std::vector<std::int64_t> dims(t.shape().begin(), t.shape().end());
    const std::string shape = add_int_vector("zeros/packed", dims, true);
    const std::string value = add_const("zeros/Const", Tensor::scalar<double>(t.item(0)).cast(t.dtype()));
    tfproto::NodeDef& fill = add_node("zeros", "Fill");
    fill.add_input(shape);
    fill.add_input(value);
    set_type_attr(fill, "T", t.dtype());
    set_type_attr(fill, "index_type", DType::Int32);
    set_shapes_attr(fill, {symbolic_shape(t.shape())});
    return output_endpoint(fill.name(), "Fill", 0);
  }

  // Shape(first input)[0], once per function, as tf.keras writes it (Shape → strided_slice).
  std::string batch_size() {
    if (!batch_endpoint_.empty()) return batch_endpoint_;
    tfproto::NodeDef& shape = add_node("Shape", "Shape");
    shape.add_input(batch_source_);
    set_type_attr(shape, "T", batch_source_dtype_);
    set_type_attr(shape, "out_type", DType::Int32);
    const std::string begin = add_const("strided_slice/stack", Tensor::from_vector<std::int32_t>({0}, Shape{1}));
    const std::string end = add_const("strided_slice/stack_1", Tensor::from_vector<std::int32_t>({1}, Shape{1}));
    const std::string strides = add_const("strided_slice/stack_2", Tensor::from_vector<std::int32_t>({1}, Shape{1}));
    tfproto::NodeDef& slice = add_node("strided_slice", "StridedSlice");
    for (const auto& input : {output_endpoint(shape.name(), "Shape", 0), begin, end, strides}) slice.add_input(input);
    set_type_attr(slice, "T", DType::Int32);
    set_type_attr(slice, "Index", DType::Int32);
    (*slice.mutable_attr())["shrink_axis_mask"].set_i(1);
    set_shapes_attr(slice, {Shape{}});
    batch_endpoint_ = output_endpoint(slice.name(), "StridedSlice", 0);
    return batch_endpoint_;
  }

  std::string scope_;
  std::map<const Storage*, VariablePtr> variables_;
  std::map<const Storage*, std::vector<KnownTensor>> known_;
  std::vector<Tensor> held_;
  std::deque<tfproto::NodeDef> nodes_;  // a deque: references to added nodes stay valid
  std::map<std::string, int> name_counts_, arg_counts_;
  std::set<std::string> used_names_;
  std::map<const Variable*, std::string> reads_;
  std::vector<VariablePtr> captures_;
  std::vector<std::string> capture_arg_names_, read_nodes_;
  std::string batch_source_, batch_endpoint_;
  DType batch_source_dtype_ = DType::Float32;
};

}  // namespace

Shape trace_shape(const Shape& declared) {
  Shape out = declared;
  for (std::size_t i = 0; i < out.size(); ++i)
    if (out[i] == kUnknown) out[i] = i == 0 ? kTraceBatch : kTraceUnknownDim;
  return out;
}

TracedFunction with_arg_names(TracedFunction traced, const std::vector<TraceArg>& args) {
  std::map<std::string, std::string> names;
  for (std::size_t i = 0; i < args.size() && i < traced.args.size(); ++i) names[traced.args[i].name] = args[i].name;
  // Arguments are referred to by their bare name ("inputs"), never with an output index.
  auto rename = [&](std::string& endpoint) {
    auto it = names.find(endpoint);
    if (it != names.end()) endpoint = it->second;
  };
  for (auto& node : traced.nodes)
    for (auto& input : *node.mutable_input()) rename(input);
  for (auto& output : traced.outputs) rename(output);
  traced.args = args;
  return traced;
}

TracedFunction trace_call(const std::vector<TraceArg>& args, const std::vector<VariablePtr>& variables,
                          const std::string& scope, const TracedCall& call) {
  Tracer tracer(variables, scope);
  Tensors placeholders;
  for (const auto& arg : args) {
    // Ones, not zeros: a valid id for Embedding-like layers and no all-masked input (string
    // inputs, which Tensor::filled cannot make: "1", which no preprocessing layer treats as empty).
    const Shape shape = trace_shape(arg.shape);
    if (arg.dtype == DType::String)
      placeholders.push_back(Tensor::strings(std::vector<std::string>(static_cast<std::size_t>(num_elements(shape)), "1"), shape));
    else
      placeholders.push_back(Tensor::filled(arg.dtype, shape, 1.0));
    tracer.add_argument(arg, placeholders.back());
  }
  Tensors results;
  {
    ObserverScope observing(tracer);
    results = call(placeholders);
  }
  TracedFunction out;
  out.args = args;
  for (std::size_t i = 0; i < results.size(); ++i) {
    out.outputs.push_back(tracer.endpoint_of(results[i], "Identity", i));
    out.output_shapes.push_back(symbolic_shape(results[i].shape()));
    out.output_dtypes.push_back(results[i].dtype());
  }
  return tracer.finish(std::move(out));
}

}  // namespace ksave::plugins::savedmodel
