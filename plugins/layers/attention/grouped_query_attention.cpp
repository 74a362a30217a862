// GroupedQueryAttention (Keras 3's keras.layers.GroupQueryAttention, written into an archive's
// config.json under that exported name, into its legacy .h5 as the class's): MultiHeadAttention whose key and value have
// num_key_value_heads heads, each shared by num_query_heads / num_key_value_heads query heads
// (Keras's ops.repeat on the heads axis: query head u reads key/value head u / repeats). Keras's
// sublayers and weights: EinsumDense "query" (kernel (dim, query heads, head_dim)), "key" and
// "value" (kernel (dim, key/value heads, head_dim)), with use_gate a sigmoid "gate" shaped as
// "query" multiplying the attended values, and "attention_output" (kernel (query heads, head_dim,
// query dim)), tracked as Keras's attributes _query_dense, _key_dense, _gate_dense, _value_dense,
// _output_dense, under which Keras 3 saves them. Masks as MultiHeadAttention's, plus the
// sliding_window band; dropout on the probabilities in training. flash_attention (an __init__
// argument Keras does not write into configs) changes no numbers: kept when a config has it.
#include <cmath>
#include <mutex>
#include <random>

#include "attention_base.hpp"
#include "einsum_dense.hpp"
#include "heads_attention.hpp"
#include "ksave/ops.hpp"

namespace ksave::plugins::attention {
namespace {

class GroupedQueryAttention : public Layer {
 public:
  explicit GroupedQueryAttention(const Json& config) : Layer(config, "GroupedQueryAttention") {
    ConfigReader r(config, describe());
    head_dim_ = r.require<std::int64_t>("head_dim");
    query_heads_ = r.require<std::int64_t>("num_query_heads");
    key_value_heads_ = r.require<std::int64_t>("num_key_value_heads");
    if (head_dim_ <= 0 || query_heads_ <= 0 || key_value_heads_ <= 0)
      throw Error(describe() + ": head_dim, num_query_heads and num_key_value_heads must be positive, found " +
                  std::to_string(head_dim_) + ", " + std::to_string(query_heads_) + ", " + std::to_string(key_value_heads_));
    if (query_heads_ % key_value_heads_ != 0)
      throw Error(describe() + ": num_query_heads must be a multiple of num_key_value_heads, found " +
                  std::to_string(query_heads_) + " and " + std::to_string(key_value_heads_));
    use_gate_ = r.get<bool>("use_gate", false);
    const Json window = r.get<Json>("sliding_window", nullptr);
    if (!window.is_null() && (!window.is_number_integer() || window.get<std::int64_t>() <= 0))
      throw Error(describe() + ": sliding_window must be None or a positive int, found " + window.dump());
    sliding_window_ = window.is_null() ? 0 : window.get<std::int64_t>();
    dropout_ = r.get<double>("dropout", 0.0);
    if (dropout_ < 0 || dropout_ >= 1) throw Error(describe() + ": dropout must be in [0, 1), found " + std::to_string(dropout_));
    options_ = KernelBiasOptions::read(r);
    seed_ = r.get<Json>("seed", nullptr);
    flash_attention_ = r.get<Json>("flash_attention", Json());
    generator_.seed(seed_.is_number_integer() ? seed_.get<std::uint64_t>() : std::random_device{}());
    set_supports_masking(true);
  }

  std::string class_name() const override { return "GroupedQueryAttention"; }

  // Keras 3.15's key order.
  Json get_config() const override {
    Json c = Layer::get_config();
    c["head_dim"] = head_dim_;
    c["num_query_heads"] = query_heads_;
    c["num_key_value_heads"] = key_value_heads_;
    Json options = Json::object();
    options_.write(options);
    c["use_bias"] = options["use_bias"];
    c["use_gate"] = use_gate_;
    c["sliding_window"] = sliding_window_ > 0 ? Json(sliding_window_) : Json(nullptr);
    c["dropout"] = dropout_;
    for (const auto& [k, v] : options.items())
      if (k != "use_bias") c[k] = v;
    c["seed"] = seed_;
    if (!flash_attention_.is_null()) c["flash_attention"] = flash_attention_;
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
    const Dim batch = a.query.dim(0), tq = a.query.dim(1), tk = a.key.dim(1);
    if (a.value.dim(1) != tk)
      throw Error(describe() + ": value and key must have as many steps, found " + shape_to_string(a.value.shape()) +
                  " and " + shape_to_string(a.key.shape()));
    ensure_projections(a);
    const Tensor query = (*query_)(a.query);
    const Tensor key = shared_heads((*key_)(a.key)), value = shared_heads((*value_)(a.value));
    std::function<Tensor(const Shape&)> dropout;
    if (ctx.training && dropout_ > 0)
      dropout = [&](const Shape& shape) { return dropout_mask(shape, dropout_, generator_, mutex_); };
    const HeadsAttention heads = attend_per_head(query, key, value, 1.0 / std::sqrt(static_cast<double>(head_dim_)),
                                                 attention_keep(a, batch, tq, tk, describe(), sliding_window_), dropout);
    const Tensor attended = use_gate_ ? ops::mul(heads.output, (*gate_)(a.query)) : heads.output;
    Tensors out{(*output_)(attended)};
    if (a.return_attention_scores) out.push_back(heads.probabilities);
    return out;
  }

 private:
  std::string describe() const { return "layer '" + name() + "' (GroupedQueryAttention)"; }

  // (batch, steps, key/value heads, head_dim) → (batch, steps, query heads, head_dim), each head
  // repeated in place (h0 h0 h1 h1), as Keras's ops.repeat(…, repeats, axis=2).
  Tensor shared_heads(const Tensor& projected) const {
    const std::int64_t repeats = query_heads_ / key_value_heads_;
    if (repeats == 1) return projected;
    const Tensor tiled = ops::tile(ops::expand_dims(projected, 3), {1, 1, 1, repeats, 1});
    return ops::reshape(tiled, {-1, projected.dim(1), query_heads_, head_dim_});
  }

  // The sublayers, in Keras's order (its legacy .h5 lists weights so), built from the shapes of
  // the layer's build (steps possibly unknown) as Keras's build(query_shape, value_shape, key_shape).
  void ensure_projections(const MultiHeadArguments& a) {
    if (output_) return;
    auto built_shape = [&](int slot, const Tensor& t) {
      return slot >= 0 && slot < static_cast<int>(built_shapes_.size()) ? built_shapes_[slot] : t.shape();
    };
    const Shape query = built_shape(a.query_slot, a.query), value = built_shape(a.value_slot, a.value);
    const Shape key = a.key_slot >= 0 ? built_shape(a.key_slot, a.key) : value;
    const Shape query_heads{query_heads_, head_dim_}, shared_heads{key_value_heads_, head_dim_};
    query_ = track("_query_dense", EinsumDense::projection("query", 1, query_heads, options_));
    key_ = track("_key_dense", EinsumDense::projection("key", 1, shared_heads, options_));
    if (use_gate_) gate_ = track("_gate_dense", EinsumDense::projection("gate", 1, query_heads, options_, "sigmoid"));
    value_ = track("_value_dense", EinsumDense::projection("value", 1, shared_heads, options_));
    output_ = track("_output_dense", EinsumDense::projection("attention_output", 2, Shape{query.back()}, options_));
    set_built(true, std::vector<Shape>{query});
    query_->build(query);
    key_->build(key);
    if (gate_) gate_->build(query);
    value_->build(value);
    output_->build(Shape{kUnknown, kUnknown, query_heads_, head_dim_});
  }

  std::int64_t head_dim_ = 0, query_heads_ = 0, key_value_heads_ = 0, sliding_window_ = 0;
  bool use_gate_ = false;
  double dropout_ = 0.0;
  KernelBiasOptions options_;
  Json seed_, flash_attention_;
  std::vector<Shape> built_shapes_;
  std::shared_ptr<EinsumDense> query_, key_, gate_, value_, output_;
  std::mutex mutex_;  // predict from several threads never draws; training may
  std::mt19937_64 generator_;
};

}  // namespace

void register_group_query_attention(PluginRegistrar& r) {
  // Keras 3 builds it on its first call from the shapes of query, value and key (its build_config
  // is their shapes_dict) and records value and key as positional tensors.
  r.layer<GroupedQueryAttention>("GroupedQueryAttention", {"GroupQueryAttention"})
      .keras3_form(Keras3Form()
                       .no_build_config()
                       .build_from_call_shapes({"query", "value", "key"})
                       .positional_call_tensors({"query", "value"}));
}

}  // namespace ksave::plugins::attention
