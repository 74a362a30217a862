// Samples for the conformance kit (`ksave conform PLUGIN.so`). The kit builds every class a plugin
// registers from its default config ({}) and calls layers on small float inputs of rank 2, 3 or
// 4. A class that needs more (Dense needs `units`, Embedding integer ids, a merge layer two
// inputs) gets a sample from its plugin:
//
//   ksave::Json conformance_samples() {
//     return ksave::ConformanceSamples()
//         .layer("Dense", {{"units", 3}})
//         .layer("Embedding", {{"input_dim", 5}, {"output_dim", 2}}, {{.shape = {3}, .dtype = "int32", .high = 5}})
//         .optimizer("Yogi", {{"learning_rate", 0.05}})
//         .json();
//   }
//   KSAVE_CONFORMANCE_SAMPLES(conformance_samples)
//
// The samples travel as JSON text through a second exported symbol, beside the plugin's entry
// point: nothing is registered, and a plugin without samples needs no change.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <boost/dll/alias.hpp>

#include "ksave/json.hpp"

namespace ksave {

// One input of a sample layer: its shape without the batch axis, its dtype and the range its
// values are drawn from (uniform; integer ids in [low, high)).
struct ConformanceInput {
  std::vector<std::int64_t> shape{};
  std::string dtype = "float32";
  double low = -1.0;
  double high = 1.0;
};

// Builds the samples' JSON: {"layer": {"Dense": {"config": {...}, "inputs": [...]}}, ...}.
class ConformanceSamples {
 public:
  // `inputs` empty: the kit tries its default inputs with this config.
  ConformanceSamples& layer(const std::string& class_name, Json config,
                            const std::vector<ConformanceInput>& inputs = {}) {
    Json sample{{"config", std::move(config)}};
    if (!inputs.empty()) {
      Json list = Json::array();
      for (const ConformanceInput& in : inputs)
        list.push_back({{"shape", in.shape}, {"dtype", in.dtype}, {"low", in.low}, {"high", in.high}});
      sample["inputs"] = std::move(list);
    }
    samples_["layer"][class_name] = std::move(sample);
    return *this;
  }
  ConformanceSamples& optimizer(const std::string& class_name, Json config) {
    samples_["optimizer"][class_name] = Json{{"config", std::move(config)}};
    return *this;
  }
  // A class that refuses every config by design (Lambda: its function is Python bytecode): the
  // kit checks that making it throws a ksave::Error, and nothing else.
  ConformanceSamples& refused(const std::string& kind, const std::string& class_name, const std::string& why) {
    samples_[kind][class_name] = Json{{"refused", why}};
    return *this;
  }
  // Any other kind by its name in `ksave plugins` ("initializer", "regularizer", ...).
  ConformanceSamples& object(const std::string& kind, const std::string& name, Json config) {
    samples_[kind][name] = Json{{"config", std::move(config)}};
    return *this;
  }
  const Json& json() const { return samples_; }

 private:
  Json samples_ = Json::object();
};

}  // namespace ksave

// The name of the exported symbol the kit reads (section "ksave", as the entry point).
#define KSAVE_CONFORMANCE_SAMPLES_SYMBOL_NAME "ksave_conformance_samples"

// SAMPLES_FN: a function returning the samples as ksave::Json (ConformanceSamples::json()).
#define KSAVE_CONFORMANCE_SAMPLES(SAMPLES_FN)                              \
  namespace {                                                             \
  const char* ksave_conformance_samples_impl() {                          \
    static const std::string text = ::ksave::Json(SAMPLES_FN()).dump();   \
    return text.c_str();                                                  \
  }                                                                       \
  }                                                                       \
  BOOST_DLL_ALIAS_SECTIONED(ksave_conformance_samples_impl, ksave_conformance_samples, ksave)
