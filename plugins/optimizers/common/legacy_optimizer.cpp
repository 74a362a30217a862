#include "legacy_optimizer.hpp"

#include <algorithm>
#include <array>
#include <string_view>

#include "ksave/error.hpp"
#include "ksave/objects.hpp"
#include "slice_sums.hpp"

namespace ksave::optimizers {
namespace {

// Keys of the Keras >= 2.11 and Keras 3 optimizer base class.
constexpr std::array<std::string_view, 7> kNewStyleKeys{
    "weight_decay", "use_ema", "ema_momentum", "ema_overwrite_frequency", "jit_compile",
    "loss_scale_factor", "gradient_accumulation_steps"};
constexpr std::array<std::string_view, 8> kCommonKeys{
    "name", "learning_rate", "lr", "decay", "clipnorm", "clipvalue", "global_clipnorm", "is_legacy_optimizer"};

bool is_new_style_key(std::string_view key) {
  return std::find(kNewStyleKeys.begin(), kNewStyleKeys.end(), key) != kNewStyleKeys.end();
}

// Which Keras generation wrote the config: tf.keras >= 2.11 marks its configs with
// is_legacy_optimizer (false for the new optimizers, true for keras.optimizers.legacy); Keras 3
// has the new base keys without that marker; older configs have neither.
ConfigStyle detect_style(const Json& config) {
  if (auto it = config.find("is_legacy_optimizer"); it != config.end() && it->is_boolean())
    return it->get<bool>() ? ConfigStyle::Legacy : ConfigStyle::KerasNew;
  if (config.contains("jit_compile")) return ConfigStyle::KerasNew;
  for (const auto& [key, value] : config.items())
    if (is_new_style_key(key)) return ConfigStyle::Keras3;
  return ConfigStyle::Legacy;
}

// "dense/kernel:0" -> "dense/kernel" (TensorFlow's shared name, used to name slots).
std::string shared_name(const std::string& name) {
  const auto colon = name.rfind(':');
  if (colon == std::string::npos) return name;
  const std::string_view suffix = std::string_view(name).substr(colon + 1);
  const bool digits = !suffix.empty() && std::all_of(suffix.begin(), suffix.end(), [](char c) { return c >= '0' && c <= '9'; });
  return digits ? name.substr(0, colon) : name;
}

float scalar_float(const Variable& v) { return v.value().as_float().data<float>()[0]; }

}  // namespace

LegacyOptimizer::LegacyOptimizer(std::string class_name, const Json& config, std::vector<std::string> class_keys,
                                 double default_learning_rate)
    : class_name_(std::move(class_name)), class_keys_(std::move(class_keys)), config_(config) {
  reader_ = std::make_unique<ConfigReader>(config_, "optimizer " + class_name_);
  name_ = reader_->get<std::string>("name", class_name_);
  style_ = detect_style(config_);
  check_keys(config_);
  read_common(default_learning_rate);
  iterations_ = make_variable("iter", Tensor::scalar<std::int64_t>(0));
  weights_.push_back(iterations_);
}

std::string LegacyOptimizer::where() const { return "optimizer '" + name_ + "' (" + class_name_ + ")"; }

void LegacyOptimizer::check_keys(const Json& config) const {
  for (const auto& [key, value] : config.items()) {
    const bool common = std::find(kCommonKeys.begin(), kCommonKeys.end(), key) != kCommonKeys.end();
    const bool own = std::find(class_keys_.begin(), class_keys_.end(), key) != class_keys_.end();
    if (common || own) continue;
    if (is_new_style_key(key)) {
      if (style_ != ConfigStyle::Legacy) continue;
      throw Error(where() + ": config key '" + key +
                  "' belongs to the Keras >= 2.11 optimizers, but the config says is_legacy_optimizer: true");
    }
    std::string accepted;
    for (auto k : kCommonKeys) accepted += std::string(k) + ", ";
    for (const auto& k : class_keys_) accepted += k + ", ";
    throw Error(where() + ": unknown config key '" + key + "' (accepted: " + accepted +
                "and the Keras >= 2.11 keys weight_decay, use_ema, ema_momentum, ema_overwrite_frequency, jit_compile)");
  }
  if (auto it = config.find("is_legacy_optimizer"); it != config.end() && !it->is_boolean())
    throw Error(where() + ": config key 'is_legacy_optimizer' must be true or false, found " + it->dump());
}

Json LegacyOptimizer::read_number(const std::string& key, double fallback) const {
  const Json* v = reader_->find(key);
  if (!v) return fallback;
  if (!v->is_number()) throw Error(where() + ": config key '" + key + "' must be a number, found " + v->dump());
  return *v;
}

bool LegacyOptimizer::read_bool(const std::string& key, bool fallback) const {
  return reader_->get<bool>(key, fallback);
}

Json LegacyOptimizer::read_epsilon(bool zero_is_default) const {
  constexpr double kBackendEpsilon = 1e-7;  // keras.backend.epsilon()
  const Json* v = reader_->find("epsilon");
  if (!v || v->is_null()) return kBackendEpsilon;
  if (!v->is_number()) throw Error(where() + ": config key 'epsilon' must be a number, found " + v->dump());
  if (zero_is_default && v->get<double>() == 0.0) return kBackendEpsilon;
  return *v;
}

void LegacyOptimizer::read_common(double default_learning_rate) {
  // `lr` (Keras <= 2.2) wins over learning_rate, as OptimizerV2.from_config renames it.
  const Json* lr = reader_->find("lr", {"learning_rate"});
  if (lr && lr->is_object()) {
    schedule_ = deserialize_schedule(*lr, where() + ": learning_rate");
    schedule_keras3_envelope_ = lr->contains("module");
  } else {
    Json value = default_learning_rate;
    if (lr && !lr->is_null()) {
      if (!lr->is_number())
        throw Error(where() + ": config key 'learning_rate' must be a number or a schedule, found " + lr->dump());
      value = *lr;
    }
    hypers_["learning_rate"] = {value, nullptr};
  }

  set_initial_decay(0.0);
  if (const Json* decay = reader_->find("decay"); decay && !decay->is_null()) {
    if (!decay->is_number() || decay->get<double>() < 0.0)
      throw Error(where() + ": config key 'decay' must be a number >= 0, found " + decay->dump());
    if (style_ == ConfigStyle::KerasNew)
      throw Error(where() + ": 'decay' is not an argument of the Keras >= 2.11 optimizers (is_legacy_optimizer: "
                            "false); use a learning-rate schedule or a legacy optimizer config");
    // Keras 3 ignores decay with a warning; only the legacy optimizers apply it.
    if (style_ == ConfigStyle::Legacy) set_initial_decay(*decay);
  }

  for (const char* key : {"clipnorm", "clipvalue", "global_clipnorm"}) {
    const Json* v = reader_->find(key);
    clip_given_[key] = v ? *v : Json(nullptr);
    if (!v || v->is_null()) continue;
    if (!v->is_number() || v->get<double>() < 0.0)
      throw Error(where() + ": config key '" + key + "' must be a number >= 0, found " + v->dump());
    const float value = static_cast<float>(v->get<double>());
    if (std::string_view(key) == "clipnorm") clip_.clipnorm = value;
    if (std::string_view(key) == "clipvalue") clip_.clipvalue = value;
    if (std::string_view(key) == "global_clipnorm") clip_.global_clipnorm = value;
  }
  if (clip_.clipnorm && clip_.global_clipnorm)
    throw Error(where() + ": clipnorm and global_clipnorm cannot both be set (found clipnorm " +
                clip_given_["clipnorm"].dump() + " and global_clipnorm " + clip_given_["global_clipnorm"].dump() + ")");
  legacy_marker_ = config_.contains("is_legacy_optimizer") && style_ == ConfigStyle::Legacy;
  if (style_ != ConfigStyle::Legacy) read_new_style_options();
}

void LegacyOptimizer::read_new_style_options() {
  struct Option {
    const char* key;
    Json fallback;
    bool keras3_only_when_given;
  };
  const Option options[] = {
      {"weight_decay", nullptr, false},        {"use_ema", false, false},
      {"ema_momentum", 0.99, false},           {"ema_overwrite_frequency", nullptr, false},
      {"jit_compile", true, false},            {"loss_scale_factor", nullptr, true},
      {"gradient_accumulation_steps", nullptr, true},
  };
  for (const Option& o : options) {
    const std::string_view key = o.key;
    if (style_ == ConfigStyle::KerasNew && (o.keras3_only_when_given)) {
      if (config_.contains(key)) throw Error(where() + ": config key '" + std::string(key) + "' is a Keras 3 key, but the config says is_legacy_optimizer: false (tf.keras 2.11-2.15)");
      continue;
    }
    if (style_ == ConfigStyle::Keras3 && key == "jit_compile") continue;
    if (o.keras3_only_when_given && !config_.contains(key)) continue;
    const Json* v = reader_->find(key);
    new_style_options_[o.key] = v ? *v : o.fallback;
  }
  const auto check = [&](const char* key, bool ok, const char* expected) {
    if (new_style_options_.contains(key) && !ok)
      throw Error(where() + ": config key '" + key + "' must be " + expected + ", found " +
                  new_style_options_.at(key).dump());
  };
  const auto get = [&](const char* key) -> const Json& {
    static const Json null_value;
    return new_style_options_.contains(key) ? new_style_options_.at(key) : null_value;
  };
  const Json& wd = get("weight_decay");
  check("weight_decay", wd.is_null() || (wd.is_number() && wd.get<double>() >= 0.0), "null or a number >= 0");
  check("use_ema", get("use_ema").is_boolean(), "true or false");
  check("ema_momentum", get("ema_momentum").is_number(), "a number");
  check("ema_overwrite_frequency", get("ema_overwrite_frequency").is_null() || get("ema_overwrite_frequency").is_number_integer(),
        "null or an integer");
  check("jit_compile", get("jit_compile").is_boolean(), "true or false");
  check("loss_scale_factor", get("loss_scale_factor").is_null() || get("loss_scale_factor").is_number(), "null or a number");
  const Json& steps = get("gradient_accumulation_steps");
  if (!steps.is_null() && !(steps.is_number_integer() && steps.get<std::int64_t>() == 1))
    throw Error(where() + ": gradient_accumulation_steps " + steps.dump() +
                " is not supported (ksave applies every gradient when it is given; use null)");
  if (wd.is_number()) weight_decay_ = static_cast<float>(wd.get<double>());
}

void LegacyOptimizer::set_initial_decay(Json decay) {
  decay_given_ = std::move(decay);
  initial_decay_ = decay_given_.get<double>();
  hypers_["decay"] = {decay_given_, nullptr};
}

void LegacyOptimizer::declare_hyper(const std::string& key, double fallback) {
  hypers_[key] = {read_number(key, fallback), nullptr};
}

float LegacyOptimizer::hyper(const std::string& key) const {
  auto it = hypers_.find(key);
  if (it == hypers_.end()) throw Error(where() + ": has no hyperparameter '" + key + "'");
  const Hyper& h = it->second;
  return h.variable ? scalar_float(*h.variable) : static_cast<float>(h.given.get<double>());
}

Json LegacyOptimizer::serialize_hyper(const std::string& key) const {
  const Hyper& h = hypers_.at(key);
  // OptimizerV2 reads a created hyperparameter back from its float32 variable.
  if (style_ == ConfigStyle::Legacy && h.variable) return static_cast<double>(scalar_float(*h.variable));
  return h.given;
}

float LegacyOptimizer::raw_learning_rate() const {
  if (schedule_) throw Error(where() + ": the learning rate is a schedule, not a value");
  return hyper("learning_rate");
}

float LegacyOptimizer::current_learning_rate() const {
  const float step = static_cast<float>(iterations_->value().data<std::int64_t>()[0]);
  float lr = schedule_ ? (*schedule_)(step) : raw_learning_rate();
  if (initial_decay_ > 0.0) lr = lr / (1.0f + static_cast<float>(initial_decay_) * step);
  return lr;
}

VariablePtr LegacyOptimizer::make_variable(const std::string& key, Tensor value) const {
  return std::make_shared<Variable>(name_ + "/" + key + ":0", std::move(value), false);
}

VariablePtr LegacyOptimizer::add_extra_weight(const std::string& key, Tensor initial_value) {
  VariablePtr v = make_variable(key, std::move(initial_value));
  extra_weights_.emplace_back(key, v);
  weights_.push_back(v);
  return v;
}

void LegacyOptimizer::build_hypers() {
  if (hypers_built_) return;
  for (auto& [key, h] : hypers_)
    h.variable = make_variable(key, Tensor::scalar<float>(static_cast<float>(h.given.get<double>())));
  create_extra_weights();
  hypers_built_ = true;
}

const LegacyOptimizer::Tracked* LegacyOptimizer::find_tracked(const Variable& variable) const {
  for (const Tracked& t : tracked_)
    if (t.variable.get() == &variable) return &t;
  return nullptr;
}

std::vector<VariablePtr> LegacyOptimizer::built_for() const {
  std::vector<VariablePtr> out;
  for (const Tracked& t : tracked_) out.push_back(t.variable);
  return out;
}

void LegacyOptimizer::build(const std::vector<VariablePtr>& variables) {
  build_hypers();
  std::vector<VariablePtr> fresh;
  for (const VariablePtr& v : variables) {
    if (!v) throw Error(where() + ": build() got a null variable");
    if (find_tracked(*v) || std::find(fresh.begin(), fresh.end(), v) != fresh.end()) continue;
    if (v->dtype() != DType::Float32)
      throw Error(where() + ": can only train float32 variables, '" + v->name() + "' is " +
                  std::string(dtype_name(v->dtype())));
    fresh.push_back(v);
  }
  const std::size_t first = tracked_.size();
  for (const VariablePtr& v : fresh) tracked_.push_back({v, {}});
  // One loop per slot kind, as OptimizerV2's _create_slots does ("to respect the ordering of slot
  // variables from v1"): all `m`, then all `v`.
  for (const SlotSpec& spec : slot_specs())
    for (std::size_t i = first; i < tracked_.size(); ++i) {
      Tracked& t = tracked_[i];
      VariablePtr slot = std::make_shared<Variable>(
          name_ + "/" + shared_name(t.variable->name()) + "/" + spec.name + ":0",
          Tensor::filled(DType::Float32, t.variable->shape(), spec.initial_value), false);
      t.slots.push_back(slot);
      weights_.push_back(slot);
    }
}

std::vector<std::pair<std::string, VariablePtr>> LegacyOptimizer::slots(const Variable& variable) const {
  std::vector<std::pair<std::string, VariablePtr>> out;
  const Tracked* t = find_tracked(variable);
  if (!t) return out;
  const std::vector<SlotSpec> specs = slot_specs();
  for (std::size_t i = 0; i < specs.size() && i < t->slots.size(); ++i) out.emplace_back(specs[i].name, t->slots[i]);
  return out;
}

std::vector<TrackableChild> LegacyOptimizer::trackable_children() const {
  std::vector<TrackableChild> out{{"iter", iterations_}};
  for (const auto& [key, h] : hypers_)
    if (h.variable) out.push_back({key, h.variable});
  for (const auto& [key, v] : extra_weights_) out.push_back({key, v});
  return out;
}

void LegacyOptimizer::apply_gradients(const std::vector<std::pair<Tensor, VariablePtr>>& grads_and_vars) {
  apply_gradients_with_slices(grads_and_vars, {});
}

void LegacyOptimizer::apply_gradients_with_slices(const std::vector<std::pair<Tensor, VariablePtr>>& grads_and_vars,
                                                  const std::vector<std::optional<IndexedSlices>>& slices) {
  if (!slices.empty() && slices.size() != grads_and_vars.size())
    throw Error(where() + ": apply_gradients got " + std::to_string(slices.size()) + " IndexedSlices entries for " +
                std::to_string(grads_and_vars.size()) + " gradients");
  std::vector<Tensor> grads;
  std::vector<VariablePtr> vars;
  std::vector<std::optional<IndexedSlices>> sliced;
  for (std::size_t k = 0; k < grads_and_vars.size(); ++k) {
    const auto& [grad, var] = grads_and_vars[k];
    if (!var) throw Error(where() + ": apply_gradients got a null variable");
    // Keras drops variables without a gradient (with a warning) and updates the others.
    if (!grad.defined()) continue;
    if (grad.shape() != var->shape())
      throw Error(where() + ": the gradient of '" + var->name() + "' has shape " + shape_to_string(grad.shape()) +
                  ", the variable " + shape_to_string(var->shape()));
    if (!is_floating(grad.dtype()))
      throw Error(where() + ": the gradient of '" + var->name() + "' is " + std::string(dtype_name(grad.dtype())) +
                  ", expected a floating-point tensor");
    grads.push_back(grad);
    vars.push_back(var);
    sliced.push_back(slices.empty() ? std::nullopt : slices[k]);
  }
  if (vars.empty()) {
    std::string names;
    for (const auto& [grad, var] : grads_and_vars) names += (names.empty() ? "" : ", ") + (var ? var->name() : "?");
    throw Error(where() + ": no gradients provided for any variable (" + names + ")");
  }
  const bool unbuilt = tracked_.empty();
  build(vars);
  const std::int64_t step = iterations_->value().data<std::int64_t>()[0];
  if (unbuilt && step == 0) variables_built_by_first_step_ = tracked_.size();
  const float lr_t = current_learning_rate();
  prepare_step(lr_t, step);
  // tf.clip_by_norm, clip_by_global_norm and clip_by_value take an IndexedSlices' values.
  for (std::size_t i = 0; i < vars.size(); ++i)
    if (sliced[i]) grads[i] = sliced[i]->values;
  grads = clip_gradients(grads, clip_);
  for (std::size_t i = 0; i < vars.size(); ++i) {
    if (!sliced[i]) continue;
    sliced[i]->values = grads[i];
    grads[i] = Tensor();
    // Keras 3 applies the global norm's factor with `*`, which makes an IndexedSlices dense
    // (measured): its update then sees the summed gradient.
    if (style_ == ConfigStyle::Keras3 && clip_.global_clipnorm) {
      grads[i] = sum_slices(*sliced[i], vars[i]->shape(), where()).sum;
      sliced[i].reset();
    }
  }
  if (weight_decay_) apply_weight_decay(vars, lr_t);
  for (std::size_t i = 0; i < vars.size(); ++i) {
    prepare_variable(i, step);
    update_variable(grads[i], sliced[i], *find_tracked(*vars[i]));
  }
  iterations_->assign_shared(Tensor::scalar<std::int64_t>(step + 1));
}

void LegacyOptimizer::apply_weight_decay(const std::vector<VariablePtr>& variables, float lr) const {
  const float wd = *weight_decay_;
  for (const VariablePtr& v : variables) {
    Tensor w = v->value().clone();
    for (float& x : w.values<float>()) x = x - x * wd * lr;
    v->assign_shared(std::move(w));
  }
}

void LegacyOptimizer::update_variable(const Tensor& grad, const std::optional<IndexedSlices>& slices,
                                      const Tracked& tracked) {
  Variable& var = *tracked.variable;
  // Fresh tensors, not in-place writes: the old values may still be shared (a tape, a caller).
  Tensor w = var.value().clone();
  std::vector<Tensor> slot_values;
  for (const VariablePtr& s : tracked.slots) slot_values.push_back(s->value().as_float().clone());
  if (slices)
    update_from_slices(*slices, w, slot_values);
  else
    run_update(grad, w, slot_values);
  var.assign_shared(std::move(w));
  for (std::size_t i = 0; i < tracked.slots.size(); ++i) tracked.slots[i]->assign_shared(std::move(slot_values[i]));
  // OptimizerV2 projects the variable right after its update.
  if (var.constraint) var.assign_shared((*var.constraint)(var.value()).as_float());
}

void LegacyOptimizer::run_update(const Tensor& grad, Tensor& var, std::vector<Tensor>& slots,
                                 const float* grad_squares, const float* grad_absolutes) const {
  std::vector<float*> slot_data;
  for (Tensor& s : slots) slot_data.push_back(s.data<float>());
  update({grad.data<float>(), var.data<float>(), slot_data, static_cast<std::size_t>(var.size()), grad_squares,
          grad_absolutes});
}

void LegacyOptimizer::update_from_slices(const IndexedSlices& slices, Tensor& var, std::vector<Tensor>& slots) const {
  const SliceSums sums = sum_slices(slices, var.shape(), where(),
                                    style_ == ConfigStyle::Keras3 ? SliceTerms::SumSquaresAbsolutes : SliceTerms::Sum);
  if (style_ == ConfigStyle::Keras3) {
    run_update(sums.sum, var, slots, sums.squares.data<float>(), sums.absolutes.data<float>());
    return;
  }
  // tf-keras sums the duplicates (both generations); its new optimizers' sparse branches then
  // update every row as their dense arithmetic does (measured equal), the legacy ones their rows.
  const LegacySparseRows rows = style_ == ConfigStyle::Legacy ? legacy_sparse_rows() : LegacySparseRows::All;
  if (rows == LegacySparseRows::All) {
    run_update(sums.sum, var, slots);
  } else if (rows == LegacySparseRows::VariableLookedUp) {
    Tensor updated = var.clone();
    run_update(sums.sum, updated, slots);
    scatter_rows(gather_rows(updated, sums.rows), sums.rows, var);
  } else {
    Tensor compact_var = gather_rows(var, sums.rows);
    std::vector<Tensor> compact_slots;
    for (const Tensor& s : slots) compact_slots.push_back(gather_rows(s, sums.rows));
    run_update(gather_rows(sums.sum, sums.rows), compact_var, compact_slots);
    scatter_rows(compact_var, sums.rows, var);
    for (std::size_t i = 0; i < slots.size(); ++i) scatter_rows(compact_slots[i], sums.rows, slots[i]);
  }
}

Json LegacyOptimizer::serialize_learning_rate() const {
  if (schedule_) return serialize_schedule(*schedule_, schedule_keras3_envelope_);
  if (style_ == ConfigStyle::Legacy) return serialize_hyper("learning_rate");
  // The new optimizers keep the learning rate in a float32 variable from the start.
  return static_cast<double>(hyper("learning_rate"));
}

Json LegacyOptimizer::get_config() const {
  Json c = Json::object();
  c["name"] = name_;
  const auto copy_new = [&](const char* key) {
    if (new_style_options_.contains(key)) c[key] = new_style_options_.at(key);
  };
  switch (style_) {
    case ConfigStyle::Legacy:
      for (const char* key : {"clipnorm", "clipvalue", "global_clipnorm"})
        if (!clip_given_.at(key).is_null()) c[key] = clip_given_.at(key);
      c["learning_rate"] = serialize_learning_rate();
      c["decay"] = decay_given_;
      write_config(c);
      if (legacy_marker_) c["is_legacy_optimizer"] = true;
      break;
    case ConfigStyle::KerasNew:
      copy_new("weight_decay");
      for (const char* key : {"clipnorm", "global_clipnorm", "clipvalue"}) c[key] = clip_given_.at(key);
      for (const char* key : {"use_ema", "ema_momentum", "ema_overwrite_frequency", "jit_compile"}) copy_new(key);
      c["is_legacy_optimizer"] = false;
      c["learning_rate"] = serialize_learning_rate();
      write_config(c);
      break;
    case ConfigStyle::Keras3:
      c["learning_rate"] = serialize_learning_rate();
      copy_new("weight_decay");
      for (const char* key : {"clipnorm", "global_clipnorm", "clipvalue"}) c[key] = clip_given_.at(key);
      for (const char* key : {"use_ema", "ema_momentum", "ema_overwrite_frequency", "loss_scale_factor",
                              "gradient_accumulation_steps"})
        copy_new(key);
      write_config(c);
      break;
  }
  return c;
}

}  // namespace ksave::optimizers
