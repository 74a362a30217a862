// Layer: the base of every layer and model.
//
// The public entry points (calls, build, weights) are non-virtual and own naming, building,
// weight order and tracking; a concrete layer implements only the protected hooks `build_impl`,
// `call`, `compute_output_shape` and `get_config`. That keeps plugins small and keeps Keras's
// rules (names, weight order, trainable semantics) in one place.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ksave/json.hpp"
#include "ksave/keras_tensor.hpp"
#include "ksave/objects.hpp"
#include "ksave/op.hpp"
#include "ksave/trackable.hpp"
#include "ksave/variable.hpp"

namespace ksave {

struct CallContext {
  bool training = false;
  // One mask per input (undefined where none), for layers that use masks.
  std::vector<Tensor> masks;
  // Keyword arguments of the call as recorded in a functional graph (e.g. {"training": true});
  // null when the call has none.
  const Json* kwargs = nullptr;
};

// Every member has an initializer, so designated initialization naming only some of them
// (`{.name = "kernel", .shape = {4, 2}}`) is clean under -Wextra's missing-field-initializers.
struct WeightSpec {
  std::string name{};  // attribute name, e.g. "kernel"
  Shape shape{};
  DType dtype = DType::Float32;
  InitializerPtr initializer{};  // null: zeros
  RegularizerPtr regularizer{};
  ConstraintPtr constraint{};
  bool trainable = true;
};

// Keras's InputSpec: what a layer declares about the inputs it takes, as tf.keras records it in
// a SavedModel's layer metadata (a saver writes it; nothing checks inputs against it here).
struct InputSpec {
  std::optional<Shape> shape{};     // kUnknown for a free axis
  std::optional<std::int64_t> ndim{};
  std::optional<std::int64_t> min_ndim{};
  std::map<std::int64_t, Dim> axes{};  // axis (negative: from the end) → its fixed size
  bool in_a_list = false;              // declared as a list of one spec (tf.keras's RNN layers)
};

class Layer;
using LayerPtr = std::shared_ptr<Layer>;

class Layer : public Trackable, public std::enable_shared_from_this<Layer> {
 public:
  // Reads the base keys every layer has: name, trainable, dtype, batch_input_shape (or
  // input_shape / batch_size / input_dim, the older spellings). `class_name` gives the default
  // automatic name ("Dense" → "dense", "dense_1", ...).
  Layer(const Json& config, const std::string& class_name);
  ~Layer() override;
  Layer(const Layer&) = delete;
  Layer& operator=(const Layer&) = delete;

  virtual std::string class_name() const = 0;
  const std::string& name() const { return name_; }
  bool trainable() const { return trainable_; }
  virtual void set_trainable(bool trainable) { trainable_ = trainable; }
  // The variables' dtype (Keras's variable_dtype).
  DType dtype() const { return dtype_; }
  // Keras's mixed precision: under "mixed_float16" or "mixed_bfloat16" the variables stay float32
  // and Keras computes in float16 / bfloat16 (the compute dtype). ksave computes in float32 and
  // rounds where Keras holds compute-dtype values (mixed_precision.hpp). Under any other policy
  // the compute dtype is dtype().
  DType compute_dtype() const { return compute_dtype_; }
  bool mixed_precision() const { return compute_dtype_ != dtype_; }
  // The policy's name, as Keras spells it: "float32", "mixed_float16", ...
  std::string dtype_policy() const;
  // Whether a mixed-precision call reads this layer's variables in the compute dtype (Keras's
  // AutoCastVariable). The normalization layers create theirs with autocast=False and compute in
  // float32 inside: they override this with false.
  virtual bool autocasts_variables() const { return true; }
  bool built() const { return built_; }
  // Shape given through batch_input_shape/input_shape, with the batch dimension.
  const std::optional<Shape>& batch_input_shape() const { return batch_input_shape_; }
  // The input shapes of the first build (tf-keras's build_config), when the layer was built
  // for known inputs.
  const std::optional<std::vector<Shape>>& build_input_shapes() const { return build_input_shapes_; }

  // ---- calling ----
  Tensors operator()(const Tensors& inputs, const CallContext& ctx = {});
  Tensor operator()(const Tensor& x, const CallContext& ctx = {});
  KerasTensors operator()(const KerasTensors& inputs, const Json& call_kwargs = Json::object());
  KerasTensor operator()(const KerasTensor& x, const Json& call_kwargs = Json::object());

  // Creates the weights for these input shapes (batch dimension first, may be kUnknown).
  void build(const std::vector<Shape>& input_shapes);
  void build(const Shape& input_shape) { build(std::vector<Shape>{input_shape}); }
  // Output shapes for these input shapes, without computing.
  std::vector<Shape> output_shapes(const std::vector<Shape>& input_shapes);

  // ---- config ----
  // Base keys, then the layer's own, in tf.keras's order.
  virtual Json get_config() const;
  // The input spec the layer declares once built for `input_shape` (its single input), so that
  // savers write it for any class, a third party's included; none by default.
  virtual std::optional<InputSpec> input_spec(const Shape& /*input_shape*/) const { return std::nullopt; }
  // True for a Keras RNN layer (a subclass of keras.layers.RNN): tf.keras's SavedModel metadata
  // files those under their own identifier ("_tf_keras_rnn_layer").
  virtual bool is_recurrent_layer() const { return false; }

  // ---- weights, in Keras's order ----
  std::vector<VariablePtr> trainable_weights() const;
  std::vector<VariablePtr> non_trainable_weights() const;
  std::vector<VariablePtr> weights() const;  // a layer: trainable first; a model: layer by layer
  std::vector<Tensor> get_weights() const;
  // Checks the count and every shape first; on a mismatch nothing is changed.
  void set_weights(const std::vector<Tensor>& values);
  std::int64_t count_params() const;
  // Keras's preprocess_weights_for_loading, declared by the class whose weights an older Keras
  // stored in another layout (Keras 1's per-gate LSTM arrays, CuDNNLSTM's biases, Theano's kernel
  // order): whether the arrays a file holds for this layer (`keras_version`: the file's, "1..."
  // or empty for Keras 1) must be converted, and the arrays to assign to weights(), in order.
  virtual bool stored_weights_need_conversion(const std::vector<Shape>& /*stored*/,
                                              const std::string& /*keras_version*/) const {
    return false;
  }
  virtual std::vector<Tensor> convert_stored_weights(std::vector<Tensor> stored,
                                                     const std::string& /*keras_version*/) const {
    return stored;
  }

  // ---- masks (Keras's compute_mask) ----
  // The masks of this layer's `output_count` outputs for these inputs and input masks (one per
  // input, undefined where none). Default: no masks, or, for a layer that supports masking, the
  // first input's mask on every output. Layers that make or change masks (Embedding, RNNs)
  // override it.
  virtual std::vector<Tensor> compute_mask(const Tensors& inputs, const std::vector<Tensor>& masks,
                                           std::size_t output_count) const;
  bool supports_masking() const { return supports_masking_; }

  // ---- graph ----
  // The calls of this layer recorded in graphs, in order (node 0 of a functional model is its
  // own input → output call, as in Keras). A call whose graph no longer exists is null, so
  // that indices stay those Keras would give.
  std::vector<std::shared_ptr<Node>> inbound_nodes() const;
  // Tensors of a call (default: the first one); throw when the layer was never called.
  virtual KerasTensors input_tensors(std::size_t node_index = 0) const;
  virtual KerasTensors output_tensors(std::size_t node_index = 0) const;
  KerasTensor input() const;   // single-input layers
  KerasTensor output() const;  // single-output layers
  // Registers a node created elsewhere.
  void add_inbound_node(const std::shared_ptr<Node>& node);

  // ---- tracking ----
  // Sublayers in tracking order, with the attribute names that hold them.
  const std::vector<std::pair<std::string, LayerPtr>>& tracked_layers() const { return layers_; }
  const std::vector<std::pair<std::string, VariablePtr>>& own_variables() const { return vars_; }
  std::vector<TrackableChild> trackable_children() const override;
  std::string trackable_kind() const override { return "layer"; }

  // Losses created during the last call (activity regularizers, add_loss inside call) and the
  // weight regularization penalties; used by training.
  std::vector<Tensor> regularization_losses() const;
  std::vector<Tensor>& call_losses() { return call_losses_; }

 protected:
  // Creates weights. batch_input_shape is not checked here: as in Keras, it only declares the
  // input of a model's first layer (Keras 2.4 wrote it on every stacked layer).
  virtual void build_impl(const std::vector<Shape>& input_shapes);
  // Computes the outputs with ops. Inputs have the layer's dtype (or their own for integer
  // inputs of layers that take ids).
  virtual Tensors call(const Tensors& inputs, const CallContext& ctx) = 0;
  // Default: runs `call` on zero-filled tensors with unknown dimensions set to 1, and reports
  // unknown again in the batch dimension. Layers with other unknown dimensions override it.
  virtual std::vector<Shape> compute_output_shape(const std::vector<Shape>& input_shapes);
  // Which dtype the outputs of a symbolic call have (default: the layer's dtype).
  virtual DType output_dtype(const std::vector<DType>& input_dtypes) const;
  // Nodes a layer has before any call: an InputLayer's own node, a functional model's node 0
  // (its input → output call). Called once, when the node list is first needed.
  virtual void create_own_nodes() {}
  // Records a node owned by this layer (see create_own_nodes); it refers back to the layer
  // without owning it, and tensors taken from it keep the layer alive, so no cycle forms.
  void add_own_node(const KerasTensors& inputs, std::vector<Shape> shapes, std::vector<DType> dtypes);

  VariablePtr add_weight(const WeightSpec& spec);
  // Tracks a sublayer under `attribute`; its weights become this layer's weights.
  template <typename L>
  std::shared_ptr<L> track(const std::string& attribute, std::shared_ptr<L> layer) {
    track_layer(attribute, layer);
    return layer;
  }
  void track_layer(const std::string& attribute, const LayerPtr& layer);
  void track_variable(const std::string& attribute, const VariablePtr& variable);
  void untrack_layers();  // models rebuild their layer list
  void set_built(bool built, std::optional<std::vector<Shape>> input_shapes = std::nullopt) {
    built_ = built;
    if (input_shapes) build_input_shapes_ = std::move(input_shapes);
  }
  void add_loss(const Tensor& loss) { call_losses_.push_back(loss); }
  // True for models: Keras's Model.weights lists each sublayer's weights in turn (a BatchNormalization's
  // moving statistics stay beside its gamma and beta) where Layer.weights lists every trainable
  // weight before the non-trainable ones.
  virtual bool lists_weights_by_sublayer() const { return false; }
  // Layers that pass their input's mask on unchanged (Keras's supports_masking = True).
  void set_supports_masking(bool value) { supports_masking_ = value; }

 private:
  void ensure_own_nodes();
  friend class Functional;
  std::string name_;
  bool trainable_ = true;
  DType dtype_ = DType::Float32;
  DType compute_dtype_ = DType::Float32;
  bool built_ = false;
  std::optional<Shape> batch_input_shape_;
  std::optional<std::vector<Shape>> build_input_shapes_;
  std::vector<std::pair<std::string, VariablePtr>> vars_;
  std::vector<std::pair<std::string, LayerPtr>> layers_;
  std::vector<std::weak_ptr<Node>> inbound_nodes_;
  bool own_nodes_created_ = false;
  std::vector<std::shared_ptr<Node>> own_nodes_;
  std::vector<DType> dry_run_dtypes_;  // input dtypes for the default compute_output_shape
  std::vector<Tensor> call_losses_;
  bool supports_masking_ = false;
};

// keras.backend.clear_session: restarts automatic names ("dense", "dense_1", ...).
void clear_session();
// The next free automatic name for `prefix`: "dense", "dense_1", ... (zero-based) or "input_1",
// "input_2", ... (one-based, as Keras names inputs).
std::string unique_layer_name(const std::string& prefix, bool zero_based = true);
// Keras's class-name-to-name rule: "BatchNormalization" → "batch_normalization",
// "Conv2D" → "conv2d".
std::string to_snake_case(const std::string& class_name);

}  // namespace ksave
