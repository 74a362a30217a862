// tf-keras 2.x's DenseFeatures (tf.compat.v1.keras.layers.DenseFeatures): a dict of features
// turned by feature columns (feature_columns.hpp) into one float32 [batch, n] tensor, the
// columns' outputs concatenated in the order of their names. Its weights are the embedding
// columns' tables, named "<column>/embedding_weights" as tf-keras's state manager names them
// (h5: df/e_embedding/embedding_weights:0; checkpoints: e_embedding.Sembedding_weights).
//
// The layer is called on a dict: a tf-keras config's node is {"feature": ref, ...}, which the
// loader holds as the flat inputs plus the dict's structure under call_arguments::kArgsKey
// (named_inputs gives C++ callers the same). A call without it takes the inputs in the sorted
// order of the columns' keys. Features no column reads are ignored, as tf-keras does.
//
// Measured with tf-keras 2.21: the config is the base keys plus feature_columns (tf's
// serialize_feature_column, module-less) and partitioner; input_layers and the node are dicts.
#include <cmath>
#include <map>
#include <set>

#include "feature_columns.hpp"
#include "ksave/call_arguments.hpp"
#include "ksave/conformance.hpp"
#include "ksave/op.hpp"
#include "ksave/ops.hpp"
#include "preprocessing_layer.hpp"

namespace ksave::plugins::preprocessing {
namespace {

// tf's default for an embedding column without an initializer: truncated normal, stddev 1/sqrt(dimension).
Json embedding_initializer(const FeatureColumn& c) {
  if (!c.initializer.is_object()) {
    return Json{{"class_name", "TruncatedNormal"},
                {"config", {{"mean", 0.0}, {"stddev", 1.0 / std::sqrt(static_cast<double>(c.dimension))}, {"seed", nullptr}}}};
  }
  Json init = c.initializer;
  if (init.contains("config") && init["config"].is_object()) init["config"].erase("dtype");  // a tf.compat.v1 initializer's key
  return init;
}

class DenseFeatures : public PreprocessingLayer {
 public:
  explicit DenseFeatures(const Json& config) : PreprocessingLayer(config, "DenseFeatures") {
    columns_ = parse_feature_columns(reader().require<Json>("feature_columns"), object());
    if (const Json p = reader().get<Json>("partitioner", nullptr); !p.is_null())
      throw Error(object() + ": a partitioner (" + p.dump().substr(0, 100) + ") is not supported by ksave");
    std::set<std::string> keys;
    for (const auto& c : columns_)
      for (const auto& key : c.keys()) keys.insert(key);
    sorted_keys_.assign(keys.begin(), keys.end());
  }

 protected:
  void build_impl(const std::vector<Shape>&) override {
    for (const auto& c : columns_) {
      if (c.kind != FeatureColumn::Kind::Embedding) continue;
      embeddings_.push_back(add_weight({.name = c.name + "/embedding_weights",
                                        .shape = {c.categorical.id_count, c.dimension},
                                        .initializer = get_initializer(embedding_initializer(c)),
                                        .trainable = c.trainable}));
    }
  }

  Tensors call(const Tensors& inputs, const CallContext& ctx) override {
    // Ids and one-hots are computed on the values: a traced function would freeze them.
    if (!fused_ops_allowed())
      throw Error(object() + ": feature columns cannot be traced into a SavedModel's functions; save as .h5, or as a "
                             "SavedModel with save_traces=false");
    const Features features = features_by_key(inputs, ctx);
    std::vector<Tensor> parts;
    std::size_t table = 0;
    for (const auto& column : columns_) {
      Tensor weights;
      if (column.kind == FeatureColumn::Kind::Embedding) weights = embeddings_.at(table++)->value();
      parts.push_back(dense_column_output(column, features, &weights, object()));
    }
    return {parts.size() == 1 ? parts[0] : ops::concat(parts, 1)};
  }

  std::vector<Shape> compute_output_shape(const std::vector<Shape>& shapes) override {
    std::int64_t width = 0;
    for (const auto& c : columns_) width += c.output_size();
    return {Shape{shapes.empty() || shapes[0].empty() ? kUnknown : shapes[0][0], width}};
  }

  DType output_dtype(const std::vector<DType>&) const override { return DType::Float32; }

 private:
  // The call's features by key: from its dict, or a flat call's inputs in the sorted keys' order.
  Features features_by_key(const Tensors& inputs, const CallContext& ctx) const {
    Features out;
    const Json* args = ctx.kwargs && ctx.kwargs->contains(call_arguments::kArgsKey) ? &(*ctx.kwargs)[call_arguments::kArgsKey] : nullptr;
    if (args && !args->is_object()) throw Error(object() + ": takes a dict of features, found a call on " + args->dump().substr(0, 100));
    if (args) {
      for (const auto& [key, placeholder] : args->items())
        if (placeholder.is_object() && placeholder.contains(call_arguments::kInputKey) &&
            placeholder[call_arguments::kInputKey].get<std::size_t>() < inputs.size())
          out[key] = inputs[placeholder[call_arguments::kInputKey].get<std::size_t>()];
      return out;
    }
    if (inputs.size() != sorted_keys_.size())
      throw Error(object() + ": called on " + std::to_string(inputs.size()) + " tensors without their names; expected " +
                  std::to_string(sorted_keys_.size()) + " (the features its columns read, in sorted order)");
    for (std::size_t i = 0; i < sorted_keys_.size(); ++i) out[sorted_keys_[i]] = inputs[i];
    return out;
  }

  std::vector<FeatureColumn> columns_;
  std::vector<std::string> sorted_keys_;
  std::vector<VariablePtr> embeddings_;
};

}  // namespace

void register_dense_features(PluginRegistrar& r) { r.layer<DenseFeatures>("DenseFeatures"); }

}  // namespace ksave::plugins::preprocessing
