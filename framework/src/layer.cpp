#include "ksave/layer.hpp"

#include <algorithm>
#include <new>
#include <set>
#include <tuple>
#include <utility>

#include "ksave/config.hpp"
#include "mixed_precision.hpp"
#include "name_scope.hpp"
#include "structured_call.hpp"

namespace ksave {
namespace {

// A layer's dtype policy from its config: a name, a tf.keras Policy dict or a Keras 3
// DTypePolicy dict. Returns the variables' and the compute dtype: a mixed policy keeps float32
// variables and computes in float16 / bfloat16.
std::pair<DType, DType> dtypes_from_config(const Json& value, const std::string& object) {
  if (value.is_null()) return {DType::Float32, DType::Float32};
  std::string name;
  if (value.is_string()) name = value.get<std::string>();
  else if (value.is_object() && value.contains("config") && value["config"].is_object() &&
           value["config"].contains("name") && value["config"]["name"].is_string())
    name = value["config"]["name"].get<std::string>();
  else throw Error(object + ": cannot read dtype " + value.dump() + " (expected a dtype name or a policy dict)");
  if (std::optional<DType> compute = detail::mixed_compute_dtype(name)) return {DType::Float32, *compute};
  if (name.rfind("mixed_", 0) == 0)
    throw Error(object + ": unknown mixed-precision policy '" + name + "' (expected mixed_float16 or mixed_bfloat16)");
  const DType type = parse_dtype(name);
  return {type, type};
}

// tf-keras 2.21's serialized mixed policy (a plain policy it writes as the dtype's name).
Json tf_keras_policy(const std::string& name) {
  Json policy = Json::object();
  policy["module"] = "keras.mixed_precision";
  policy["class_name"] = "Policy";
  policy["config"] = Json{{"name", name}};
  policy["registered_name"] = nullptr;
  return policy;
}

std::vector<VariablePtr> dedup(std::vector<VariablePtr> vars) {
  std::vector<VariablePtr> out;
  std::set<const Variable*> seen;
  for (auto& v : vars)
    if (seen.insert(v.get()).second) out.push_back(std::move(v));
  return out;
}


// The call kwargs of the symbolic call being shape-inferred, so that the default
// compute_output_shape runs `call` with them (a TFOpLambda's whole meaning is in its kwargs; a
// recorded `training` flag too). Thread-local: symbolic calls on other threads do not mix.
class DryRunKwargs {
 public:
  explicit DryRunKwargs(const Json* kwargs) : previous_(current_) { current_ = kwargs; }
  ~DryRunKwargs() { current_ = previous_; }
  DryRunKwargs(const DryRunKwargs&) = delete;
  DryRunKwargs& operator=(const DryRunKwargs&) = delete;
  static const Json* current() { return current_; }

 private:
  const Json* previous_;
  static thread_local const Json* current_;
};
thread_local const Json* DryRunKwargs::current_ = nullptr;

}  // namespace

Layer::Layer(const Json& config, const std::string& class_name) {
  ConfigReader r(config, "layer of class " + class_name);
  name_ = r.get<std::string>("name", "");
  if (name_.empty()) name_ = unique_layer_name(to_snake_case(class_name));
  std::string object = "layer '" + name_ + "' (" + class_name + ")";
  ConfigReader named(config, object);
  trainable_ = named.get<bool>("trainable", true);
  if (const Json* d = named.find("dtype")) std::tie(dtype_, compute_dtype_) = dtypes_from_config(*d, object);
  if (auto s = named.shape("batch_input_shape", {"batch_shape"})) {
    batch_input_shape_ = s;
  } else if (auto s2 = named.shape("input_shape")) {
    Shape full{named.get<Dim>("batch_size", kUnknown)};
    full.insert(full.end(), s2->begin(), s2->end());
    batch_input_shape_ = full;
  } else if (named.has("input_dim") && !named.json()["input_dim"].is_null()) {
    // Keras 1 spelling for the feature size of the first layer (a layer whose own key has that
    // name, Embedding's vocabulary size, keeps it from this constructor).
    batch_input_shape_ = Shape{kUnknown, named.get<Dim>("input_dim", 0)};
  }
}

Layer::~Layer() = default;

// ---- calling ----

Tensors Layer::operator()(const Tensors& inputs, const CallContext& ctx) {
  NameScope scope(name_);
  if (!built_) {
    std::vector<Shape> shapes;
    for (const auto& t : inputs) shapes.push_back(t.shape());
    build(shapes);
  }
  // Only written when there is something to clear: threads predicting with one model (no
  // activity regularizers) then never write the layer.
  if (!call_losses_.empty()) call_losses_.clear();
  // Floating inputs are cast to the layer's dtype (Keras's autocast); integer inputs (ids) are
  // left to the layer.
  // A float16 / bfloat16 layer computes in float32 on rounded values instead (below).
  const bool rounds = detail::rounds_in(compute_dtype_);
  bool needs_cast = !rounds && std::any_of(inputs.begin(), inputs.end(), [&](const Tensor& t) {
    return is_floating(t.dtype()) && t.dtype() != dtype_ && is_floating(dtype_);
  });
  Tensors cast;
  if (needs_cast) {
    cast = inputs;
    for (auto& t : cast)
      if (is_floating(t.dtype()) && t.dtype() != dtype_) t = t.cast(dtype_);
  }
  const Tensors& args = needs_cast ? cast : inputs;
  // Computing in float16 / bfloat16 (a mixed policy or the layer's dtype), or inside a layer that
  // does, the call goes through the emulation (mixed_precision.hpp). A model only runs its layers,
  // which round for themselves.
  if ((rounds || detail::MixedPrecisionCall::active_on_this_thread()) && !lists_weights_by_sublayer()) {
    detail::MixedPrecisionCall mixed(*this);
    if (!mixed.rounds()) return call(args, ctx);
    return mixed.round(call(mixed.round(args), ctx));
  }
  return call(args, ctx);
}

Tensor Layer::operator()(const Tensor& x, const CallContext& ctx) {
  Tensors out = (*this)(Tensors{x}, ctx);
  if (out.size() != 1)
    throw Error("layer '" + name_ + "' returns " + std::to_string(out.size()) + " tensors; call it with a list");
  return out[0];
}

KerasTensors Layer::operator()(const KerasTensors& inputs, const Json& call_kwargs) {
  std::vector<Shape> shapes;
  std::vector<DType> dtypes;
  for (const auto& t : inputs) {
    if (!t.defined()) throw Error("layer '" + name_ + "' called on an empty KerasTensor");
    shapes.push_back(t.shape());
    dtypes.push_back(t.dtype());
  }
  ensure_own_nodes();
  // Fix (variable names): the scope also covers compute_output_shape, whose dry run of `call`
  // is where sublayers created in the constructor get built; outside it their variables lost
  // the parent's prefix ("dense_1/kernel:0" instead of the guide's "nested/dense_1/kernel:0").
  NameScope scope(name_);
  if (!built_) build(shapes);
  auto node = std::make_shared<Node>();
  node->layer = shared_from_this();
  node->inputs = inputs;
  node->call_kwargs = structured_call::keras_call_kwargs(class_name(), inputs.size(),
                                                        call_kwargs.is_null() ? Json::object() : call_kwargs);
  dry_run_dtypes_ = dtypes;
  {
    DryRunKwargs kwargs_seen_by_dry_run(&node->call_kwargs);
    node->output_shapes = compute_output_shape(shapes);
  }
  DType out_dtype = output_dtype(dtypes);
  node->output_dtypes.assign(node->output_shapes.size(), out_dtype);
  inbound_nodes_.push_back(node);
  KerasTensors outputs;
  for (std::size_t i = 0; i < node->output_shapes.size(); ++i)
    outputs.emplace_back(node, static_cast<int>(i));
  return outputs;
}

KerasTensor Layer::operator()(const KerasTensor& x, const Json& call_kwargs) {
  KerasTensors out = (*this)(KerasTensors{x}, call_kwargs);
  if (out.size() != 1)
    throw Error("layer '" + name_ + "' returns " + std::to_string(out.size()) + " tensors; call it with a list");
  return out[0];
}


void Layer::build(const std::vector<Shape>& input_shapes) {
  if (built_) return;
  NameScope scope(name_, NameScope::kIfNotInnermost);
  build_impl(input_shapes);
  built_ = true;
  build_input_shapes_ = input_shapes;
}

void Layer::build_impl(const std::vector<Shape>&) {}

std::vector<Shape> Layer::output_shapes(const std::vector<Shape>& input_shapes) {
  if (!built_) build(input_shapes);
  DryRunKwargs no_call_kwargs(nullptr);  // asked directly (by a wrapper), not for a recorded call
  return compute_output_shape(input_shapes);
}

std::vector<Shape> Layer::compute_output_shape(const std::vector<Shape>& input_shapes) {
  // Run `call` on zeros twice, with unknown dimensions set to 1 and then to 2: dimensions that
  // follow them come out different and are reported unknown again.
  auto run = [&](Dim fill) {
    Tensors dummies;
    for (std::size_t i = 0; i < input_shapes.size(); ++i) {
      Shape s = input_shapes[i];
      for (Dim& d : s)
        if (d < 0) d = fill;
      DType t = i < dry_run_dtypes_.size() ? dry_run_dtypes_[i] : dtype_;
      dummies.emplace_back(t, s);
    }
    CallContext ctx;
    ctx.kwargs = DryRunKwargs::current();
    Tensors out = call(dummies, ctx);
    std::vector<Shape> shapes;
    for (const auto& o : out) shapes.push_back(o.shape());
    return shapes;
  };
  bool has_unknown = std::any_of(input_shapes.begin(), input_shapes.end(), [](const Shape& s) {
    return std::any_of(s.begin(), s.end(), [](Dim d) { return d < 0; });
  });
  std::vector<Shape> a = run(1);
  if (!has_unknown) return a;
  std::vector<Shape> b = run(2);
  for (std::size_t i = 0; i < a.size() && i < b.size(); ++i)
    for (std::size_t j = 0; j < a[i].size() && j < b[i].size(); ++j)
      if (a[i][j] != b[i][j]) a[i][j] = kUnknown;
  return a;
}

DType Layer::output_dtype(const std::vector<DType>&) const { return dtype_; }

std::vector<Tensor> Layer::compute_mask(const Tensors&, const std::vector<Tensor>& masks,
                                        std::size_t output_count) const {
  // Keras drops the mask at a layer that does not support masking. No masks is an empty list
  // (callers read a missing entry as an undefined mask): a list of undefined tensors would
  // allocate on every call of every layer.
  if (!supports_masking_ || masks.empty()) return {};
  return std::vector<Tensor>(output_count, masks.front());
}

// ---- config ----

std::string Layer::dtype_policy() const {
  if (!mixed_precision()) return std::string(dtype_name(dtype_));
  return "mixed_" + std::string(dtype_name(compute_dtype_));
}

Json Layer::get_config() const {
  Json c = Json::object();
  c["name"] = name_;
  c["trainable"] = trainable_;
  c["dtype"] = mixed_precision() ? tf_keras_policy(dtype_policy()) : Json(std::string(dtype_name(dtype_)));
  if (batch_input_shape_) c["batch_input_shape"] = shape_to_json(*batch_input_shape_);
  return c;
}

// ---- weights ----

VariablePtr Layer::add_weight(const WeightSpec& spec) {
  // During a load the initializer waits: the file will most likely supply the value.
  DeferredInitialization* deferred = spec.initializer ? DeferredInitialization::active() : nullptr;
  Tensor value;
  try {
    value = spec.initializer && !deferred ? (*spec.initializer)(spec.shape, spec.dtype) : Tensor(spec.dtype, spec.shape);
  } catch (const std::bad_alloc&) {
    // A size from a damaged or hostile config (units: 2^40): the layer says which weight.
    throw Error("layer '" + name_ + "': weight '" + spec.name + "' of " + std::string(dtype_name(spec.dtype)) + " " +
                shape_to_string(spec.shape) + " does not fit in memory");
  }
  if (value.shape() != spec.shape || value.dtype() != spec.dtype)
    throw Error("layer '" + name_ + "': initializer of weight '" + spec.name + "' gave " +
                std::string(dtype_name(value.dtype())) + " " + shape_to_string(value.shape()) + ", expected " +
                std::string(dtype_name(spec.dtype)) + " " + shape_to_string(spec.shape));
  auto var = std::make_shared<Variable>(NameScope::variable_name(name_, spec.name), value, spec.trainable);
  var->regularizer = spec.regularizer;
  var->constraint = spec.constraint;
  if (deferred) {
    var->defer_initialization(spec.initializer);
    deferred->add(var);
  }
  track_variable(spec.name, var);
  return var;
}

void Layer::track_variable(const std::string& attribute, const VariablePtr& variable) {
  for (auto& [name, v] : vars_)
    if (name == attribute) {
      v = variable;
      return;
    }
  vars_.emplace_back(attribute, variable);
}

void Layer::track_layer(const std::string& attribute, const LayerPtr& layer) {
  if (!layer) throw Error("layer '" + name_ + "': tracking an empty layer as '" + attribute + "'");
  for (auto& [name, l] : layers_)
    if (name == attribute) {
      l = layer;
      return;
    }
  layers_.emplace_back(attribute, layer);
}

void Layer::untrack_layers() { layers_.clear(); }

std::vector<VariablePtr> Layer::trainable_weights() const {
  if (!trainable_) return {};
  std::vector<VariablePtr> out;
  for (const auto& [_, v] : vars_)
    if (v->trainable()) out.push_back(v);
  for (const auto& [_, l] : layers_) {
    auto w = l->trainable_weights();
    out.insert(out.end(), w.begin(), w.end());
  }
  return dedup(std::move(out));
}

std::vector<VariablePtr> Layer::non_trainable_weights() const {
  std::vector<VariablePtr> out;
  if (trainable_) {
    for (const auto& [_, v] : vars_)
      if (!v->trainable()) out.push_back(v);
    for (const auto& [_, l] : layers_) {
      auto w = l->non_trainable_weights();
      out.insert(out.end(), w.begin(), w.end());
    }
  } else {
    // A frozen layer lists all its own weights (trainable ones first), then its children's.
    for (const auto& [_, v] : vars_)
      if (v->trainable()) out.push_back(v);
    for (const auto& [_, v] : vars_)
      if (!v->trainable()) out.push_back(v);
    for (const auto& [_, l] : layers_) {
      auto w = l->weights();
      out.insert(out.end(), w.begin(), w.end());
    }
  }
  return dedup(std::move(out));
}

std::vector<VariablePtr> Layer::weights() const {
  std::vector<VariablePtr> out;
  if (lists_weights_by_sublayer()) {
    // Keras's Model.weights: each tracked layer's weights in turn, then the model's own.
    for (const auto& [_, l] : layers_) {
      auto w = l->weights();
      out.insert(out.end(), w.begin(), w.end());
    }
    for (const auto& [_, v] : vars_)
      if (v->trainable()) out.push_back(v);
    for (const auto& [_, v] : vars_)
      if (!v->trainable()) out.push_back(v);
    return dedup(std::move(out));
  }
  // Keras's Layer.weights: every trainable weight first, then the non-trainable ones.
  out = trainable_weights();
  auto nt = non_trainable_weights();
  out.insert(out.end(), nt.begin(), nt.end());
  return dedup(std::move(out));
}

std::vector<Tensor> Layer::get_weights() const {
  std::vector<Tensor> out;
  for (const auto& v : weights()) out.push_back(v->value().clone());
  return out;
}

void Layer::set_weights(const std::vector<Tensor>& values) {
  auto vars = weights();
  if (values.size() != vars.size())
    throw Error("set_weights on layer '" + name_ + "' with a list of " + std::to_string(values.size()) +
                " arrays, but the layer has " + std::to_string(vars.size()) + " weights");
  for (std::size_t i = 0; i < vars.size(); ++i)
    if (values[i].shape() != vars[i]->shape())
      throw Error("set_weights on layer '" + name_ + "': weight " + std::to_string(i) + " ('" +
                  vars[i]->name() + "') has shape " + shape_to_string(vars[i]->shape()) +
                  ", the given array has shape " + shape_to_string(values[i].shape()));
  for (std::size_t i = 0; i < vars.size(); ++i)
    vars[i]->assign(values[i].dtype() == vars[i]->dtype() ? values[i] : values[i].cast(vars[i]->dtype()));
}

std::int64_t Layer::count_params() const {
  std::int64_t n = 0;
  for (const auto& v : weights()) n += num_elements(v->shape());
  return n;
}

std::vector<Tensor> Layer::regularization_losses() const {
  std::vector<Tensor> out = call_losses_;
  for (const auto& [_, v] : vars_)
    if (v->regularizer) out.push_back((*v->regularizer)(v->value()));
  for (const auto& [_, l] : layers_) {
    auto sub = l->regularization_losses();
    out.insert(out.end(), sub.begin(), sub.end());
  }
  return out;
}

// ---- graph ----

void Layer::ensure_own_nodes() {
  if (own_nodes_created_) return;
  own_nodes_created_ = true;
  create_own_nodes();
}

void Layer::add_inbound_node(const std::shared_ptr<Node>& node) { inbound_nodes_.push_back(node); }

void Layer::add_own_node(const KerasTensors& inputs, std::vector<Shape> shapes, std::vector<DType> dtypes) {
  auto node = std::make_shared<Node>();
  node->layer = std::shared_ptr<Layer>(std::shared_ptr<Layer>(), this);  // non-owning
  node->inputs = inputs;
  node->output_shapes = std::move(shapes);
  node->output_dtypes = std::move(dtypes);
  own_nodes_.push_back(node);
  inbound_nodes_.push_back(node);
}

std::vector<std::shared_ptr<Node>> Layer::inbound_nodes() const {
  const_cast<Layer*>(this)->ensure_own_nodes();  // lazily created; logically part of the layer
  std::vector<std::shared_ptr<Node>> out;
  for (const auto& w : inbound_nodes_) out.push_back(w.lock());
  return out;
}

namespace {

std::shared_ptr<Node> node_at(const std::vector<std::shared_ptr<Node>>& nodes, std::size_t index,
                              const std::string& layer) {
  if (index >= nodes.size())
    throw Error("layer '" + layer + "' has no call number " + std::to_string(index) + " in a graph (it was called " +
                std::to_string(nodes.size()) + " times)");
  if (!nodes[index])
    throw Error("call number " + std::to_string(index) + " of layer '" + layer + "' belongs to a graph that no longer exists");
  return nodes[index];
}

}  // namespace

KerasTensors Layer::input_tensors(std::size_t node_index) const {
  auto node = node_at(inbound_nodes(), node_index, name_);
  if (node->inputs.empty()) return output_tensors(node_index);  // an input layer
  return node->inputs;
}

KerasTensors Layer::output_tensors(std::size_t node_index) const {
  auto node = node_at(inbound_nodes(), node_index, name_);
  bool owned = std::find(own_nodes_.begin(), own_nodes_.end(), node) != own_nodes_.end();
  std::shared_ptr<Layer> owner = owned ? std::const_pointer_cast<Layer>(shared_from_this()) : nullptr;
  KerasTensors out;
  for (std::size_t i = 0; i < node->output_shapes.size(); ++i) out.emplace_back(node, static_cast<int>(i), owner);
  return out;
}

KerasTensor Layer::input() const {
  auto t = input_tensors();
  if (t.size() != 1) throw Error("layer '" + name_ + "' has " + std::to_string(t.size()) + " inputs; use input_tensors()");
  return t[0];
}

KerasTensor Layer::output() const {
  auto t = output_tensors();
  if (t.size() != 1) throw Error("layer '" + name_ + "' has " + std::to_string(t.size()) + " outputs; use output_tensors()");
  return t[0];
}

// ---- tracking ----

std::vector<TrackableChild> Layer::trackable_children() const {
  std::vector<TrackableChild> out;
  for (const auto& [name, v] : vars_) out.push_back({name, v});
  for (const auto& [name, l] : layers_) out.push_back({name, l});
  return out;
}

}  // namespace ksave
