// MultiHeadAttention (keras.layers.MultiHeadAttention), with Keras's sublayers and weights:
// EinsumDense "query", "key", "value" (kernels (dim, heads, key_dim|value_dim), biases
// (heads, size)) and "attention_output" (kernel (heads, value_dim, *output_shape)), tracked as
// Keras's attributes _query_dense, _key_dense, _value_dense, _output_dense, so that .h5 names,
// checkpoint paths and Keras 3 archive paths are Keras's. scores = (query/√key_dim) · keyᵀ per
// head, hidden (−1e9) where the attention mask is false: the call's attention_mask, Keras masks
// of query, value and key, and the causal mask (use_causal_mask) combined with "and" as Keras's
// _compute_attention_mask does; softmax over the keys, dropout on the probabilities in training.
// return_attention_scores adds the (batch, heads, Tq, Tk) probabilities as a second output.
// Attention over the steps axis of rank-3 inputs only (attention_axes None or [1]).
#include <cmath>
#include <mutex>
#include <random>

#include "attention_base.hpp"
#include "einsum_dense.hpp"
#include "ksave/ops.hpp"
#include "heads_attention.hpp"

namespace ksave::plugins::attention {
namespace {

// Keys only one Keras generation writes; each is written back when it was read.
constexpr const char* kTfKerasOnlyKeys[] = {"softmax_robust_masking"};
constexpr const char* kKeras3OnlyKeys[] = {"use_gate", "sliding_window", "seed"};
constexpr const char* kBuildShapeKeys[] = {"query_shape", "key_shape", "value_shape"};

Shape int_shape(const Json& v, const std::string& object, const char* key) {
  if (v.is_number_integer()) return {v.get<Dim>()};
  if (!v.is_array() || v.empty()) throw Error(object + ": config key '" + key + "' expected an int or a list of ints, found " + v.dump());
  Shape s;
  for (const auto& d : v) {
    if (!d.is_number_integer() || d.get<Dim>() <= 0)
      throw Error(object + ": config key '" + key + "' expected positive ints, found " + v.dump());
    s.push_back(d.get<Dim>());
  }
  return s;
}

class MultiHeadAttention : public Layer {
 public:
  explicit MultiHeadAttention(const Json& config) : Layer(config, "MultiHeadAttention") {
    ConfigReader r(config, describe());
    num_heads_ = r.require<std::int64_t>("num_heads");
    key_dim_ = r.require<std::int64_t>("key_dim");
    value_dim_ = r.get<std::int64_t>("value_dim", key_dim_);
    if (num_heads_ <= 0 || key_dim_ <= 0 || value_dim_ <= 0)
      throw Error(describe() + ": num_heads, key_dim and value_dim must be positive, found " +
                  std::to_string(num_heads_) + ", " + std::to_string(key_dim_) + ", " + std::to_string(value_dim_));
    dropout_ = r.get<double>("dropout", 0.0);
    if (dropout_ < 0 || dropout_ >= 1) throw Error(describe() + ": dropout must be in [0, 1), found " + std::to_string(dropout_));
    output_shape_ = r.get<Json>("output_shape", nullptr);
    if (!output_shape_.is_null()) int_shape(output_shape_, describe(), "output_shape");
    attention_axes_ = r.get<Json>("attention_axes", nullptr);
    if (!attention_axes_.is_null() && attention_axes_ != Json(1) && attention_axes_ != Json::array({1}))
      throw Error(describe() + ": attention_axes other than the steps axis (None or [1]) are not supported, found " +
                  attention_axes_.dump());
    options_ = KernelBiasOptions::read(r);
    for (const char* key : kTfKerasOnlyKeys) keep_if_present(config, key);
    for (const char* key : kKeras3OnlyKeys) keep_if_present(config, key);
    for (const char* key : kBuildShapeKeys) keep_if_present(config, key);
    if (generation_keys_.value("softmax_robust_masking", false))
      throw Error(describe() + ": softmax_robust_masking = true is not supported");
    if (generation_keys_.value("use_gate", false)) throw Error(describe() + ": use_gate = true is not supported");
    if (generation_keys_.contains("sliding_window") && !generation_keys_["sliding_window"].is_null())
      throw Error(describe() + ": sliding_window is not supported, found " + generation_keys_["sliding_window"].dump());
    const Json seed = generation_keys_.value("seed", Json());
    generator_.seed(seed.is_number_integer() ? seed.get<std::uint64_t>() : std::random_device{}());
    query_ = track("_query_dense", EinsumDense::projection("query", 1, Shape{num_heads_, key_dim_}, options_));
    key_ = track("_key_dense", EinsumDense::projection("key", 1, Shape{num_heads_, key_dim_}, options_));
    value_ = track("_value_dense", EinsumDense::projection("value", 1, Shape{num_heads_, value_dim_}, options_));
    set_supports_masking(true);
  }

  std::string class_name() const override { return "MultiHeadAttention"; }

  // In Keras's key order: tf-keras 2.21 ends with the build shapes and softmax_robust_masking;
  // Keras 3.15 has use_gate after use_bias, sliding_window after attention_axes, seed last.
  Json get_config() const override {
    Json c = Layer::get_config();
    c["num_heads"] = num_heads_;
    c["key_dim"] = key_dim_;
    c["value_dim"] = value_dim_;
    c["dropout"] = dropout_;
    Json options = Json::object();
    options_.write(options);
    c["use_bias"] = options["use_bias"];
    write_if_read(c, "use_gate");
    c["output_shape"] = output_shape_;
    c["attention_axes"] = attention_axes_;
    write_if_read(c, "sliding_window");
    for (const auto& [k, v] : options.items())
      if (k != "use_bias") c[k] = v;
    if (!generation_keys_.contains("use_gate")) {
      // tf-keras's from_config requires the build shapes (null when unknown).
      for (const char* key : kBuildShapeKeys) c[key] = generation_keys_.value(key, Json());
      write_if_read(c, "softmax_robust_masking");
    }
    write_if_read(c, "seed");
    return c;
  }

 protected:
  // Which input is which is known only in `call` (from the call's kwargs): the shapes are kept.
  void build_impl(const std::vector<Shape>& shapes) override { built_shapes_ = shapes; }

  Tensors call(const Tensors& inputs, const CallContext& ctx) override {
    const MultiHeadArguments a = resolve_arguments(inputs, ctx, describe());
    if (a.query.rank() != 3 || a.value.rank() != 3 || a.key.rank() != 3)
      throw Error(describe() + ": query, value and key must be rank 3 (batch, steps, features), found " +
                  shape_to_string(a.query.shape()) + ", " + shape_to_string(a.value.shape()) + ", " +
                  shape_to_string(a.key.shape()));
    ensure_output_projection(a);
    const Dim batch = a.query.dim(0), tq = a.query.dim(1), tk = a.key.dim(1);
    if (a.value.dim(1) != tk)
      throw Error(describe() + ": value and key must have as many steps, found " + shape_to_string(a.value.shape()) +
                  " and " + shape_to_string(a.key.shape()));
    std::function<Tensor(const Shape&)> dropout;
    if (ctx.training && dropout_ > 0)
      dropout = [&](const Shape& shape) { return dropout_mask(shape, dropout_, generator_, mutex_); };
    const Tensor query = (*query_)(a.query), key = (*key_)(a.key), value = (*value_)(a.value);
    const HeadsAttention heads = attend_per_head(query, key, value, 1.0 / std::sqrt(static_cast<double>(key_dim_)),
                                                 attention_keep(a, batch, tq, tk, describe()), dropout);
    Tensors out{(*output_)(heads.output)};
    if (a.return_attention_scores) out.push_back(heads.probabilities);
    return out;
  }

 private:
  std::string describe() const { return "layer '" + name() + "' (MultiHeadAttention)"; }

  void write_if_read(Json& c, const char* key) const {
    if (generation_keys_.contains(key)) c[key] = generation_keys_[key];
  }

  void keep_if_present(const Json& config, const char* key) {
    if (config.is_object() && config.contains(key)) generation_keys_[key] = config[key];
  }

  // The output projection needs the query's feature size when output_shape is None. The input
  // shapes (as the layer was built, batch and steps possibly unknown) go into tf-keras's config
  // unless the config gave them, and, as tf-keras records, the query's alone is the build shape.
  void ensure_output_projection(const MultiHeadArguments& a) {
    if (output_) return;
    const Shape outputs = output_shape_.is_null() ? Shape{a.query.dim(-1)} : int_shape(output_shape_, describe(), "output_shape");
    output_ = track("_output_dense", EinsumDense::projection("attention_output", 2, outputs, options_));
    auto built_shape = [&](int slot, const Tensor& t) {
      return slot >= 0 && slot < static_cast<int>(built_shapes_.size()) ? built_shapes_[slot] : t.shape();
    };
    const Shape query = built_shape(a.query_slot, a.query);
    const std::pair<const char*, Shape> seen[] = {{"query_shape", query},
                                                  {"value_shape", built_shape(a.value_slot, a.value)},
                                                  {"key_shape", a.key_slot >= 0 ? built_shape(a.key_slot, a.key)
                                                                                : built_shape(a.value_slot, a.value)}};
    for (const auto& [key, shape] : seen)
      if (generation_keys_.value(key, Json()).is_null()) generation_keys_[key] = shape_to_json(shape);
    set_built(true, std::vector<Shape>{query});
    // The sublayers are built for the symbolic shapes (steps possibly unknown), as tf-keras
    // records them, before the first call builds them for its concrete ones.
    const Shape value = built_shape(a.value_slot, a.value), key = a.key_slot >= 0 ? built_shape(a.key_slot, a.key) : value;
    query_->build(query);
    value_->build(value);
    key_->build(key);
    output_->build(Shape{query.at(0), query.at(1), num_heads_, value_dim_});
  }

  std::int64_t num_heads_ = 0, key_dim_ = 0, value_dim_ = 0;
  double dropout_ = 0.0;
  Json output_shape_, attention_axes_;
  KernelBiasOptions options_;
  Json generation_keys_ = Json::object();
  std::vector<Shape> built_shapes_;
  std::shared_ptr<EinsumDense> query_, key_, value_, output_;
  std::mutex mutex_;  // predict from several threads never draws; training may
  std::mt19937_64 generator_;
};

}  // namespace

void register_multi_head_attention(PluginRegistrar& r) {
  // Keras 3's MultiHeadAttention: built on its first call from the shapes of query, value and key
  // (not from the build shapes ksave records), called as (query, value, key=...), its EinsumDense
  // sublayers saved under its public properties (query_dense, ...), no query/key/value_shape keys
  // and no softmax_robust_masking while it is false (checked on real Keras 3.15 archives).
  r.layer<MultiHeadAttention>("MultiHeadAttention")
      .keras3_form(Keras3Form()
                       .no_build_config()
                       .build_from_call_shapes({"query", "value", "key"})
                       .positional_call_tensors({"query", "value"})
                       .sublayers_saved_under_public_names()
                       .dropped({"query_shape", "key_shape", "value_shape"})
                       .dropped_when("softmax_robust_masking", false));
}

}  // namespace ksave::plugins::attention
