// Models: a Layer made of layers. Three kinds, as in Keras:
//  - Functional: a graph of layer calls built from KerasTensors (several inputs and outputs,
//    shared layers, nested models, sub-models such as Model(inputs, layer->input())).
//  - Sequential: a stack of single-input layers (a functional graph once its input is known).
//  - subclassed: a C++ class deriving from Model that tracks layers and writes its own `call`.
#pragma once

#include <iosfwd>
#include <memory>
#include <string>
#include <vector>

#include "ksave/layer.hpp"
#include "ksave/training.hpp"

namespace ksave {

// The chains of a model's layers that run fused at inference (inference_folding.hpp); built with
// the model's graph (framework/src/inference_chains.hpp).
struct InferenceChains;

class Optimizer;
class Loss;
class Metric;
struct CompileState;  // framework/src/training/compile_state.hpp

class Model : public Layer {
 public:
  // `class_name` is the default-name source ("Model" → "model", "model_1", ...).
  explicit Model(const Json& config = Json::object(), const std::string& class_name = "Model");

  std::string class_name() const override { return "Model"; }
  std::string trackable_kind() const override { return "model"; }

  // Layers in Keras's `model.layers` order.
  virtual std::vector<LayerPtr> layers() const;
  LayerPtr get_layer(const std::string& name) const;  // throws naming the known layers
  LayerPtr get_layer(int index) const;                // negative counts from the end

  // Symbolic inputs and outputs (empty for a subclassed model).
  virtual const KerasTensors& inputs() const;
  virtual const KerasTensors& outputs() const;
  std::vector<std::string> input_names() const;
  std::vector<std::string> output_names() const;

  // Runs the model in inference mode on `inputs` (one per model input), `batch_size` rows at a
  // time; inputs are cast to each input's dtype as Keras does.
  Tensors predict(const Tensors& inputs, std::int64_t batch_size = 32);
  Tensor predict(const Tensor& input, std::int64_t batch_size = 32);
  Tensors predict_on_batch(const Tensors& inputs);
  // Data-parallel predict: each rank predicts its slice of the rows, and every rank returns the
  // whole result (gathered in row order). Every rank calls it with the same inputs.
  Tensors predict(const Tensors& inputs, std::int64_t batch_size, const DataParallelStrategy& strategy);

  // Keras's summary table.
  void summary(std::ostream& out) const;
  std::string summary() const;

  // {"class_name", "config", "keras_version", "backend"} as tf.keras 2.x's to_json.
  std::string to_json(int indent = -1) const;

  // ---- training (framework/src/training/) ----
  // Keras's compile. `optimizer`: a name ("adam") or a {"class_name", "config"} dict; `loss`: a
  // name, a dict, or a list (one per output); `metrics`: names/dicts, or one list per output;
  // `loss_weights`: null or one number per output.
  void compile(const Json& optimizer, const Json& loss, const Json& metrics = Json::array(),
               const Json& loss_weights = nullptr);
  void compile(std::shared_ptr<Optimizer> optimizer, std::vector<std::shared_ptr<Loss>> losses,
               std::vector<std::shared_ptr<Metric>> metrics = {}, std::vector<double> loss_weights = {});
  // Compiles from a Keras training_config (what HDF5 files and SavedModels store); every
  // generation's form is read (optimizer `lr`, `Custom>Adam`, per-output metric lists).
  void compile_from_training_config(const Json& training_config);
  bool compiled() const { return optimizer_ != nullptr; }
  History fit(const Tensors& x, const Tensors& y, const FitOptions& options = {});
  // `sample_weight` and `class_weight` as in FitOptions (undefined / empty: every sample weighs 1).
  // With a strategy, every rank calls it with the same data and gets the same logs; each rank
  // evaluates its slice of every batch of `batch_size` rows.
  Logs evaluate(const Tensors& x, const Tensors& y, std::int64_t batch_size = 32, int verbose = 0,
                const Tensor& sample_weight = {}, const std::shared_ptr<DataParallelStrategy>& strategy = nullptr);
  Logs train_on_batch(const Tensors& x, const Tensors& y, const Tensor& sample_weight = {},
                      const ClassWeights& class_weight = {});
  Logs test_on_batch(const Tensors& x, const Tensors& y, const Tensor& sample_weight = {});
  // add_loss / add_metric from outside the model: a function of the model's inputs and
  // outputs, recomputed on every training and test step.
  using ExternalLoss = std::function<Tensor(const Tensors& inputs, const Tensors& outputs)>;
  void add_loss(ExternalLoss loss);
  void add_metric(ExternalLoss value, const std::string& name);
  // Formats that cannot store external losses and metrics (HDF5) warn when there are some.
  bool has_external_losses_or_metrics() const { return !external_losses_.empty() || !external_metrics_.empty(); }

  // Training configuration as Keras's training_config JSON, written by compile or found by a
  // loader in a file, so formats can save it unchanged.
  const Json& training_config() const { return training_config_; }
  void set_training_config(Json config) { training_config_ = std::move(config); }
  std::shared_ptr<Optimizer> optimizer() const { return optimizer_; }
  void set_optimizer(std::shared_ptr<Optimizer> optimizer) { optimizer_ = std::move(optimizer); }
  const std::vector<std::shared_ptr<Loss>>& losses() const { return losses_; }
  const std::vector<std::shared_ptr<Metric>>& metrics() const { return metrics_; }

  std::vector<TrackableChild> trackable_children() const override;
  // Call 0 of a graph model is the model itself: its inputs and outputs.
  KerasTensors input_tensors(std::size_t node_index = 0) const override;
  KerasTensors output_tensors(std::size_t node_index = 0) const override;

 protected:
  Tensors call(const Tensors& inputs, const CallContext& ctx) override;
  // Node 0 of a graph model (see create_own_nodes in layer.hpp).
  void create_own_nodes() override;
  bool lists_weights_by_sublayer() const override { return true; }
  // Subclassed models: the layers are the tracked sublayers.
  std::vector<Shape> compute_output_shape(const std::vector<Shape>& input_shapes) override;

 private:
  Json training_config_;
  std::shared_ptr<Optimizer> optimizer_;
  std::vector<std::shared_ptr<Loss>> losses_;
  std::vector<double> loss_weights_;
  std::vector<std::shared_ptr<Metric>> metrics_;
  std::vector<std::pair<std::string, ExternalLoss>> external_losses_;    // name empty for add_loss
  std::vector<std::pair<std::string, ExternalLoss>> external_metrics_;
  // What compile resolved per output (losses, weights, metric specs and their metric objects).
  std::shared_ptr<CompileState> compile_state_;
  friend class Trainer;
};

using ModelPtr = std::shared_ptr<Model>;

class Functional : public Model {
 public:
  Functional(const KerasTensors& inputs, const KerasTensors& outputs, const std::string& name = "",
             bool trainable = true);

  std::string class_name() const override { return "Functional"; }
  std::vector<LayerPtr> layers() const override { return layers_in_order_; }
  const KerasTensors& inputs() const override { return inputs_; }
  const KerasTensors& outputs() const override { return outputs_; }
  Json get_config() const override;
  // Rebuilds a model from a Functional (or "Model") config; layers are deserialized through
  // the registry.
  static std::shared_ptr<Functional> from_config(const Json& config);

 protected:
  Tensors call(const Tensors& inputs, const CallContext& ctx) override;
  std::vector<Shape> compute_output_shape(const std::vector<Shape>& input_shapes) override;
  DType output_dtype(const std::vector<DType>& input_dtypes) const override;

 private:
  // One node to run: its layer, the slots its inputs come from and its outputs go to.
  struct Step {
    LayerPtr layer;
    std::vector<int> inputs;
    std::vector<int> outputs;
    Json kwargs;                   // the node's call arguments
    std::optional<bool> training;  // an explicit training argument recorded in the graph
    std::vector<int> released;     // slots no later step and no output reads: dropped once it ran
  };
  void build_graph();
  void plan_tensor_lifetimes();  // each step's `released`, from the steps and output slots
  KerasTensors inputs_;
  KerasTensors outputs_;
  std::vector<LayerPtr> layers_in_order_;
  std::vector<std::shared_ptr<Node>> nodes_in_order_;
  std::vector<Step> steps_;
  std::vector<int> output_slots_;
  int slot_count_ = 0;
  std::shared_ptr<const InferenceChains> inference_chains_;
};

class Sequential : public Model {
 public:
  explicit Sequential(const std::vector<LayerPtr>& layers = {}, const std::string& name = "");

  std::string class_name() const override { return "Sequential"; }
  // Appends a layer; an InputLayer (or a first layer with batch_input_shape) fixes the input.
  void add(const LayerPtr& layer);
  void pop();
  std::vector<LayerPtr> layers() const override { return layers_; }
  const KerasTensors& inputs() const override { return inputs_; }
  const KerasTensors& outputs() const override { return outputs_; }
  Json get_config() const override;
  static std::shared_ptr<Sequential> from_config(const Json& config);

 protected:
  void build_impl(const std::vector<Shape>& input_shapes) override;
  Tensors call(const Tensors& inputs, const CallContext& ctx) override;
  std::vector<Shape> compute_output_shape(const std::vector<Shape>& input_shapes) override;

 private:
  void connect(const KerasTensor& input);  // builds the graph from `input` through the layers
  void find_chains();                      // inference_chains_ for the layers as they are now
  std::vector<LayerPtr> layers_;
  LayerPtr input_layer_;  // the auto-created or given InputLayer (not in `layers_`)
  KerasTensors inputs_;
  KerasTensors outputs_;
  std::shared_ptr<const InferenceChains> inference_chains_;  // rebuilt when layers are added or popped
};

// keras.models.clone_model: a new model of the same architecture with fresh weights, built
// from each layer's config (custom objects resolved through scopes and the registry).
ModelPtr clone_model(const Model& model);

}  // namespace ksave
