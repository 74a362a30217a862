// Model::compile in its forms, compile_from_training_config, and add_loss/add_metric from
// outside the model.
#include "ksave/model.hpp"
#include "resolve.hpp"
#include "trainer.hpp"

namespace ksave {
namespace {

// Spreads a compile argument over the outputs as Keras does: one value for all outputs, a list
// with one entry per output, or a dict keyed by output name. `single` says whether a value is
// a per-output item (a loss name/dict) rather than a container.
std::vector<Json> per_output(const Json& value, const std::vector<std::string>& names, const char* what,
                             const std::function<bool(const Json&)>& single) {
  const std::size_t n = names.size();
  if (value.is_null()) return std::vector<Json>(n, nullptr);
  if (single(value)) return std::vector<Json>(n, value);
  if (value.is_array()) {
    if (value.size() != n)
      throw Error(std::string("compile: ") + what + " has " + std::to_string(value.size()) + " entries for a model with " +
                  std::to_string(n) + " outputs (" + [&] {
                    std::string s;
                    for (const auto& nm : names) s += (s.empty() ? "" : ", ") + nm;
                    return s;
                  }() + ")");
    return std::vector<Json>(value.begin(), value.end());
  }
  if (value.is_object()) {
    std::vector<Json> out(n, nullptr);
    for (const auto& [key, v] : value.items()) {
      auto it = std::find(names.begin(), names.end(), key);
      if (it == names.end())
        throw Error(std::string("compile: ") + what + " names output '" + key + "', which the model does not have");
      out[static_cast<std::size_t>(it - names.begin())] = v;
    }
    return out;
  }
  throw Error(std::string("compile: unexpected ") + what + " value " + value.dump());
}

bool is_loss_item(const Json& v) { return v.is_string() || (v.is_object() && v.contains("class_name")); }

// Metrics per output: a flat list applies to every output; a list of lists (one per output) or
// a dict by output name gives each output its own.
std::vector<std::vector<Json>> metrics_per_output(const Json& metrics, const std::vector<std::string>& names) {
  const std::size_t n = names.size();
  std::vector<std::vector<Json>> out(n);
  if (metrics.is_null()) return out;
  auto as_list = [](const Json& v) {
    if (v.is_null()) return std::vector<Json>{};
    if (v.is_array()) return std::vector<Json>(v.begin(), v.end());
    return std::vector<Json>{v};
  };
  if (is_loss_item(metrics)) metrics_per_output(Json::array({metrics}), names).swap(out);
  else if (metrics.is_array()) {
    const bool nested = !metrics.empty() && std::all_of(metrics.begin(), metrics.end(),
                                                        [](const Json& m) { return m.is_array() || m.is_null(); });
    if (nested) {
      if (metrics.size() != n)
        throw Error("compile: metrics has " + std::to_string(metrics.size()) + " per-output lists for a model with " +
                    std::to_string(n) + " outputs");
      for (std::size_t i = 0; i < n; ++i) out[i] = as_list(metrics[i]);
    } else {
      for (auto& o : out) o = as_list(metrics);
    }
  } else if (metrics.is_object()) {
    auto spread = per_output(metrics, names, "metrics", [](const Json&) { return false; });
    for (std::size_t i = 0; i < n; ++i) out[i] = as_list(spread[i]);
  } else {
    throw Error("compile: unexpected metrics value " + metrics.dump());
  }
  return out;
}

std::vector<double> weights_per_output(const Json& loss_weights, const std::vector<std::string>& names) {
  auto spread = per_output(loss_weights, names, "loss_weights", [](const Json& v) { return v.is_number(); });
  std::vector<double> out;
  for (const auto& w : spread) {
    if (!w.is_null() && !w.is_number()) throw Error("compile: a loss weight must be a number, found " + w.dump());
    out.push_back(w.is_null() ? 1.0 : w.get<double>());
  }
  return out;
}

}  // namespace

void Model::compile(const Json& optimizer, const Json& loss, const Json& metrics, const Json& loss_weights) {
  OptimizerPtr opt = resolve_optimizer(optimizer);
  const std::size_t n = Trainer::output_count(*this) > 0 ? Trainer::output_count(*this)
                        : loss.is_array()                 ? loss.size()
                                                          : 1;
  const auto names = Trainer::output_names(*this, n);
  const auto losses = per_output(loss, names, "loss", is_loss_item);
  const auto metric_specs = metrics_per_output(metrics, names);
  const auto weights = weights_per_output(loss_weights, names);
  std::vector<OutputTarget> outputs(n);
  for (std::size_t i = 0; i < n; ++i) {
    outputs[i].name = names[i];
    if (!losses[i].is_null()) {
      outputs[i].loss = resolve_loss(losses[i]);
      outputs[i].loss_name = describe(losses[i]);
    }
    outputs[i].weight = weights[i];
    outputs[i].metric_specs = metric_specs[i];
  }
  // tf.keras 2.x's training_config (saving_utils.model_metadata); "metrics" is replaced by the
  // resolved per-output form once the metrics are built, as Keras's compiled_metrics are.
  Json config = Json::object();
  config["loss"] = loss;
  config["metrics"] = metrics.is_array() && metrics.empty() ? Json(nullptr) : metrics;
  config["weighted_metrics"] = nullptr;
  config["loss_weights"] = loss_weights;
  config["optimizer_config"] = Json{{"class_name", opt->class_name()}, {"config", opt->get_config()}};
  Trainer::set_compiled(*this, std::move(opt), std::move(outputs), std::move(config));
}

void Model::compile(std::shared_ptr<Optimizer> optimizer, std::vector<std::shared_ptr<Loss>> losses,
                    std::vector<std::shared_ptr<Metric>> metrics, std::vector<double> loss_weights) {
  if (!optimizer) throw Error("compile of model '" + name() + "': no optimizer given");
  const std::size_t n = Trainer::output_count(*this) > 0 ? Trainer::output_count(*this) : std::max<std::size_t>(losses.size(), 1);
  if (losses.size() != 1 && losses.size() != n)
    throw Error("compile of model '" + name() + "': " + std::to_string(losses.size()) + " losses for " +
                std::to_string(n) + " outputs");
  if (!loss_weights.empty() && loss_weights.size() != n)
    throw Error("compile of model '" + name() + "': " + std::to_string(loss_weights.size()) + " loss weights for " +
                std::to_string(n) + " outputs");
  if (!metrics.empty() && n > 1)
    throw Error("compile of model '" + name() + "': metric objects are shared state; with " + std::to_string(n) +
                " outputs give metrics by name (the Json form of compile) instead");
  const auto names = Trainer::output_names(*this, n);
  std::vector<OutputTarget> outputs(n);
  Json loss_json = Json::array();
  for (std::size_t i = 0; i < n; ++i) {
    outputs[i].name = names[i];
    outputs[i].loss = losses.size() == 1 ? losses[0] : losses[i];
    if (outputs[i].loss) {
      outputs[i].loss_name = outputs[i].loss->class_name();
      loss_json.push_back(Json{{"class_name", outputs[i].loss->class_name()}, {"config", outputs[i].loss->get_config()}});
    } else {
      loss_json.push_back(nullptr);
    }
    outputs[i].weight = loss_weights.empty() ? 1.0 : loss_weights[i];
  }
  if (n > 0) outputs[0].metrics = metrics;
  Json config = Json::object();
  config["loss"] = n == 1 ? loss_json[0] : loss_json;
  if (metrics.empty()) {
    config["metrics"] = nullptr;
  } else {
    Json list = Json::array();
    for (const auto& m : metrics) list.push_back(serialize_metric(*m));
    config["metrics"] = Json::array({list});
  }
  config["weighted_metrics"] = nullptr;
  config["loss_weights"] = loss_weights.empty() ? Json(nullptr) : Json(loss_weights);
  config["optimizer_config"] = Json{{"class_name", optimizer->class_name()}, {"config", optimizer->get_config()}};
  Trainer::set_compiled(*this, std::move(optimizer), std::move(outputs), std::move(config));
  compile_state_->metrics_built = true;
}

void Model::compile_from_training_config(const Json& training_config) {
  if (!training_config.is_object())
    throw Error("model '" + name() + "': training_config must be a JSON object, found " + training_config.dump());
  const Json* optimizer = nullptr;
  for (const char* key : {"optimizer_config", "optimizer"})
    if (training_config.contains(key) && !training_config[key].is_null()) {
      optimizer = &training_config[key];
      break;
    }
  if (!optimizer) throw Error("model '" + name() + "': training_config has no optimizer_config");
  auto get = [&](const char* key) { return training_config.contains(key) ? training_config[key] : Json(nullptr); };
  Json metrics = get("metrics");
  // Keras 2.x's weighted_metrics are computed as plain metrics here (fit takes no sample weights).
  if (Json weighted = get("weighted_metrics"); weighted.is_array() && !weighted.empty()) {
    if (metrics.is_null()) metrics = weighted;
  }
  // tf.keras 2.0-2.3 and tfjs wrote {} for "no metrics".
  if (metrics.is_object() && metrics.empty()) metrics = nullptr;
  compile(*optimizer, get("loss"), metrics, get("loss_weights"));
  training_config_ = training_config;  // saved unchanged, as it was read
}

void Model::add_loss(ExternalLoss loss) {
  if (!loss) throw Error("add_loss on model '" + name() + "': empty function");
  external_losses_.emplace_back("", std::move(loss));
}

void Model::add_metric(ExternalLoss value, const std::string& metric_name) {
  if (!value) throw Error("add_metric on model '" + name() + "': empty function");
  if (metric_name.empty()) throw Error("add_metric on model '" + name() + "': a metric needs a name");
  for (const auto& [n, _] : external_metrics_)
    if (n == metric_name) throw Error("add_metric on model '" + name() + "': a metric named '" + metric_name + "' already exists");
  external_metrics_.emplace_back(metric_name, std::move(value));
  if (compile_state_) compile_state_->external_metric_means.resize(external_metrics_.size());
}

}  // namespace ksave
