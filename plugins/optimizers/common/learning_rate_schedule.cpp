#include "learning_rate_schedule.hpp"

#include <algorithm>
#include <cmath>
#include <functional>
#include <map>
#include <utility>
#include <vector>

#include "ksave/error.hpp"

namespace ksave::optimizers {
namespace {

// One config key of a schedule: its name and the default Keras uses when it is absent (a null
// Json for a required key).
struct Key {
  const char* name;
  Json fallback;
  bool required = false;
};

// Reads a schedule config against its key list: every key in Keras's order (defaults filled in),
// unknown keys refused, types checked.
Json read_keys(const Json& config, const std::vector<Key>& keys, const std::string& where) {
  if (!config.is_object()) throw Error(where + ": config must be a JSON object, found " + config.dump());
  for (const auto& item : config.items()) {
    const std::string& key = item.key();
    const bool known = std::any_of(keys.begin(), keys.end(), [&](const Key& k) { return key == k.name; });
    if (!known) {
      std::string accepted;
      for (const Key& k : keys) accepted += (accepted.empty() ? "" : ", ") + std::string(k.name);
      throw Error(where + ": unknown config key '" + key + "' (accepted: " + accepted + ")");
    }
  }
  Json out = Json::object();
  for (const Key& k : keys) {
    auto it = config.find(k.name);
    if (it == config.end() || (k.required && it->is_null())) {
      if (k.required) throw Error(where + ": config has no '" + std::string(k.name) + "'");
      out[k.name] = k.fallback;
    } else {
      out[k.name] = *it;
    }
  }
  return out;
}

float number(const Json& config, const char* key, const std::string& where) {
  const Json& v = config.at(key);
  if (!v.is_number())
    throw Error(where + ": config key '" + std::string(key) + "' must be a number, found " + v.dump());
  return static_cast<float>(v.get<double>());
}

bool boolean(const Json& config, const char* key, const std::string& where) {
  const Json& v = config.at(key);
  if (!v.is_boolean())
    throw Error(where + ": config key '" + std::string(key) + "' must be true or false, found " + v.dump());
  return v.get<bool>();
}

void check_name(const Json& config, const std::string& where) {
  const Json& v = config.at("name");
  if (!v.is_null() && !v.is_string())
    throw Error(where + ": config key 'name' must be a string or null, found " + v.dump());
}

float positive_steps(const Json& config, const std::string& where) {
  const float steps = number(config, "decay_steps", where);
  if (!(steps > 0.0f)) throw Error(where + ": decay_steps must be positive, found " + config.at("decay_steps").dump());
  return steps;
}

// Base for the schedules: holds the config exactly as read.
class StoredConfigSchedule : public LearningRateSchedule {
 public:
  StoredConfigSchedule(std::string class_name, Json config)
      : class_name_(std::move(class_name)), config_(std::move(config)) {}
  std::string class_name() const override { return class_name_; }
  Json get_config() const override { return config_; }

 private:
  std::string class_name_;
  Json config_;
};

// initial * decay_rate ^ (step / decay_steps), the exponent floored with `staircase`.
class ExponentialDecay final : public StoredConfigSchedule {
 public:
  ExponentialDecay(const Json& given, const std::string& where)
      : StoredConfigSchedule("ExponentialDecay",
                             read_keys(given, {{"initial_learning_rate", nullptr, true}, {"decay_steps", nullptr, true},
                                               {"decay_rate", nullptr, true}, {"staircase", false}, {"name", nullptr}},
                                       where)) {
    const Json c = get_config();
    initial_ = number(c, "initial_learning_rate", where);
    steps_ = positive_steps(c, where);
    rate_ = number(c, "decay_rate", where);
    staircase_ = boolean(c, "staircase", where);
    check_name(c, where);
  }
  float operator()(float step) const override {
    float p = step / steps_;
    if (staircase_) p = std::floor(p);
    return initial_ * std::pow(rate_, p);
  }

 private:
  float initial_, steps_, rate_;
  bool staircase_;
};

// initial / (1 + decay_rate * step / decay_steps), the ratio floored with `staircase`.
class InverseTimeDecay final : public StoredConfigSchedule {
 public:
  InverseTimeDecay(const Json& given, const std::string& where)
      : StoredConfigSchedule("InverseTimeDecay",
                             read_keys(given, {{"initial_learning_rate", nullptr, true}, {"decay_steps", nullptr, true},
                                               {"decay_rate", nullptr, true}, {"staircase", false}, {"name", nullptr}},
                                       where)) {
    const Json c = get_config();
    initial_ = number(c, "initial_learning_rate", where);
    steps_ = positive_steps(c, where);
    rate_ = number(c, "decay_rate", where);
    staircase_ = boolean(c, "staircase", where);
    check_name(c, where);
  }
  float operator()(float step) const override {
    float p = step / steps_;
    if (staircase_) p = std::floor(p);
    return initial_ / (1.0f + rate_ * p);
  }

 private:
  float initial_, steps_, rate_;
  bool staircase_;
};

// values[0] while step <= boundaries[0], values[i] while boundaries[i-1] < step <= boundaries[i],
// the last value after the last boundary.
class PiecewiseConstantDecay final : public StoredConfigSchedule {
 public:
  PiecewiseConstantDecay(const Json& given, const std::string& where)
      : StoredConfigSchedule("PiecewiseConstantDecay",
                             read_keys(given, {{"boundaries", nullptr, true}, {"values", nullptr, true}, {"name", nullptr}},
                                       where)) {
    const Json c = get_config();
    boundaries_ = numbers(c, "boundaries", where);
    values_ = numbers(c, "values", where);
    if (values_.size() != boundaries_.size() + 1)
      throw Error(where + ": PiecewiseConstantDecay needs one more value than boundaries, found " +
                  std::to_string(boundaries_.size()) + " boundaries and " + std::to_string(values_.size()) + " values");
    check_name(c, where);
  }
  float operator()(float step) const override {
    for (std::size_t i = 0; i < boundaries_.size(); ++i)
      if (step <= boundaries_[i]) return values_[i];
    return values_.back();
  }

 private:
  static std::vector<float> numbers(const Json& config, const char* key, const std::string& where) {
    const Json& list = config.at(key);
    std::vector<float> out;
    if (list.is_array())
      for (const Json& v : list) {
        if (!v.is_number()) { out.clear(); break; }
        out.push_back(static_cast<float>(v.get<double>()));
      }
    if (!list.is_array() || out.size() != list.size())
      throw Error(where + ": config key '" + std::string(key) + "' must be a list of numbers, found " + list.dump());
    return out;
  }
  std::vector<float> boundaries_, values_;
};

// (initial - end) * (1 - step / decay_steps) ^ power + end; with `cycle` the decay restarts at
// each multiple of decay_steps, otherwise the step stops at decay_steps.
class PolynomialDecay final : public StoredConfigSchedule {
 public:
  PolynomialDecay(const Json& given, const std::string& where)
      : StoredConfigSchedule("PolynomialDecay",
                             read_keys(given, {{"initial_learning_rate", nullptr, true}, {"decay_steps", nullptr, true},
                                               {"end_learning_rate", 0.0001}, {"power", 1.0}, {"cycle", false},
                                               {"name", nullptr}},
                                       where)) {
    const Json c = get_config();
    initial_ = number(c, "initial_learning_rate", where);
    steps_ = positive_steps(c, where);
    end_ = number(c, "end_learning_rate", where);
    power_ = number(c, "power", where);
    cycle_ = boolean(c, "cycle", where);
    check_name(c, where);
  }
  float operator()(float step) const override {
    float steps = steps_;
    if (cycle_) {
      const float multiplier = step == 0.0f ? 1.0f : std::ceil(step / steps_);
      steps = steps * multiplier;
    } else {
      step = std::min(step, steps);
    }
    const float p = step / steps;
    return (initial_ - end_) * std::pow(1.0f - p, power_) + end_;
  }

 private:
  float initial_, steps_, end_, power_;
  bool cycle_;
};

using Factory = std::function<LearningRateSchedulePtr(const Json&, const std::string&)>;

template <typename S>
Factory factory() {
  return [](const Json& config, const std::string& where) { return std::make_shared<const S>(config, where); };
}

const std::map<std::string, Factory>& factories() {
  static const std::map<std::string, Factory> table{
      {"ExponentialDecay", factory<ExponentialDecay>()},
      {"InverseTimeDecay", factory<InverseTimeDecay>()},
      {"PiecewiseConstantDecay", factory<PiecewiseConstantDecay>()},
      {"PolynomialDecay", factory<PolynomialDecay>()},
  };
  return table;
}

}  // namespace

LearningRateSchedulePtr deserialize_schedule(const Json& value, const std::string& where) {
  if (!value.is_object() || !value.contains("class_name") || !value.at("class_name").is_string())
    throw Error(where + ": a learning-rate schedule must be {\"class_name\": ..., \"config\": {...}}, found " +
                value.dump());
  for (const auto& [key, v] : value.items())
    if (key != "class_name" && key != "config" && key != "module" && key != "registered_name")
      throw Error(where + ": unknown key '" + key + "' in the learning-rate schedule " + value.dump());
  const std::string class_name = value.at("class_name").get<std::string>();
  auto it = factories().find(class_name);
  if (it == factories().end())
    throw Error(where + ": unknown learning-rate schedule '" + class_name +
                "' (known: ExponentialDecay, InverseTimeDecay, PiecewiseConstantDecay, PolynomialDecay)");
  const Json config = value.contains("config") ? value.at("config") : Json::object();
  return it->second(config, where + " (" + class_name + ")");
}

Json serialize_schedule(const LearningRateSchedule& schedule, bool keras3_envelope) {
  Json out = Json::object();
  if (keras3_envelope) out["module"] = "keras.optimizers.schedules";
  out["class_name"] = schedule.class_name();
  out["config"] = schedule.get_config();
  if (keras3_envelope) out["registered_name"] = nullptr;
  return out;
}

}  // namespace ksave::optimizers
