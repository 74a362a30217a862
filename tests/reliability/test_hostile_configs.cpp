// Hostile layer configs: every key of every registered layer class gets values a damaged or
// hostile file could hold (null, negative, zero, huge, wrong types, wrong lengths, nesting),
// and each layer is then made, asked for its output shapes and called on small inputs. Each
// must work or throw ksave::Error; any other exception, a crash or a sanitizer report is a bug
// (the Conv1D `kernel_size: null` that indexed an empty vector was one). Keys that are sizes
// (units, filters, kernel_size, ...) must refuse negative values and zero.
#define BOOST_TEST_MODULE reliability_hostile_configs
#include <boost/test/unit_test.hpp>

#include <set>
#include <typeinfo>

#include "ksave/ksave.hpp"
#include "ksave/registry.hpp"
#include "support/small_saved_model.hpp"

using namespace ksave;

namespace {

// Values a layer needs before it can be made at all, offered when its error names the key.
const Json& usable_values() {
  static const Json values = {
      {"units", 3},
      {"filters", 2},
      {"kernel_size", 2},
      {"input_dim", 5},
      {"output_dim", 3},
      {"rate", 0.5},
      {"n", 2},
      {"target_shape", {2, 2}},
      {"dims", {1, 2}},
      {"axes", 1},
      {"batch_input_shape", {nullptr, 4}},
      {"layer", {{"class_name", "SimpleRNN"}, {"config", {{"units", 2}}}}},
      {"cell", {{"class_name", "SimpleRNNCell"}, {"config", {{"units", 2}}}}},  // RNN
      {"cells", Json::array({{{"class_name", "SimpleRNNCell"}, {"config", {{"units", 2}}}}})},  // StackedRNNCells
      {"function", "math.abs"},  // TFOpLambda's TF function (Lambda is refused whatever it holds)
      {"activation", "relu"},
      {"init_values", 0.5},
      {"projection_dim", 4},
      {"drop_path_rate", 0.1},
      {"height", 4},
      {"width", 4},
      {"num_tokens", 4},
      {"bin_boundaries", Json::array({0.5})},
      {"scale", 0.5},
      {"stddev", 0.1},
      {"num_heads", 2},
      {"key_dim", 3},
      {"equation", "ab,bc->ac"},  // EinsumDense
      {"output_shape", 3},
      {"output_size", 2},  // adaptive pooling
      {"num_bins", 3},     // Hashing, HashedCrossing
      {"head_dim", 2},     // GroupQueryAttention
      {"num_query_heads", 2},
      {"num_key_value_heads", 1},
      {"layers", Json::array({{{"class_name", "Dense"}, {"config", {{"units", 2}}}}})},  // Pipeline
      {"max_number", 3},  // MaxNumBoundingBoxes
      {"filepath", test::small_saved_model("hostile_tfsm_layer").string()},  // TFSMLayer's SavedModel
      {"call_endpoint", "serving_default"},
      {"feature_columns", Json::array({{{"class_name", "NumericColumn"}, {"config", {{"key", "a"}}}}})},  // DenseFeatures
  };
  return values;
}

// Keys that are sizes or counts: zero and negative values are refused.
const std::set<std::string>& size_keys() {
  static const std::set<std::string> keys = {"units", "filters", "kernel_size", "strides", "pool_size", "dilation_rate",
                                             "size", "n", "input_dim", "output_dim", "depth_multiplier",
                                             "num_heads", "key_dim", "value_dim", "output_size", "num_bins",
                                             "head_dim", "num_query_heads", "num_key_value_heads"};
  return keys;
}

std::vector<Json> hostile_values() {
  return {nullptr, -1, 0, -2147483649LL, 1099511627776LL, 4611686018427387904LL, 9.5, "x", "", Json::array(),
          Json::array({nullptr}), Json::array({-1}), Json::array({0}), Json::array({1099511627776LL}),
          Json::array({1, 1, 1, 1, 1, 1, 1}), Json::array({Json::array({1})}), Json::object(),
          Json{{"class_name", "NoSuchClass"}, {"config", Json::object()}}, true};
}

// Makes `class_name` from {} plus what its errors ask for; null when the table lacks a key.
LayerPtr make_minimal(const std::string& class_name, std::string& last_error) {
  Json config = Json::object();
  for (int attempt = 0; attempt < 8; ++attempt) {
    try {
      return make_layer(class_name, config);
    } catch (const Error& e) {
      last_error = e.what();
      bool added = false;
      for (const auto& [key, value] : usable_values().items())
        if (!config.contains(key) && last_error.find("'" + key + "'") != std::string::npos) {
          config[key] = value;
          added = true;
        }
      if (!added) return nullptr;
    }
  }
  return nullptr;
}

// Input sets to call a layer on: one tensor of rank 2, 3 or 4, or two equal ones (merges).
std::vector<std::vector<Shape>> input_candidates() {
  std::vector<std::vector<Shape>> out;
  for (const Shape& s : {Shape{2, 4}, Shape{2, 3, 4}, Shape{2, 4, 4, 3}}) out.push_back({s});
  for (const Shape& s : {Shape{2, 4}, Shape{2, 3, 4}, Shape{2, 4, 4, 3}}) out.push_back({s, s});
  return out;
}

// Makes the layer from `config` and runs it on zeros of `shapes`. Returns "" when that worked or
// a ksave::Error was thrown; else what went wrong.
std::string run_layer(const std::string& class_name, const Json& config, const std::vector<Shape>& shapes,
                      bool* refused = nullptr) {
  try {
    LayerPtr layer = make_layer(class_name, config);
    std::vector<Shape> symbolic;
    Tensors inputs;
    for (const Shape& s : shapes) {
      Shape unknown_batch = s;
      unknown_batch[0] = kUnknown;
      symbolic.push_back(unknown_batch);
      inputs.push_back(Tensor::zeros(DType::Float32, s));
    }
    layer->output_shapes(symbolic);
    (*layer)(inputs);
    return "";
  } catch (const Error&) {
    if (refused) *refused = true;
    return "";
  } catch (const std::exception& e) {
    return std::string("threw ") + typeid(e).name() + ": " + e.what();
  }
}

}  // namespace

BOOST_AUTO_TEST_CASE(every_config_value_a_layer_reads_is_checked) {
  std::vector<std::string> classes;
  for (const auto& entry : Registry::global().entries(Kind::Layer)) classes.push_back(entry->class_name);
  BOOST_TEST_REQUIRE(classes.size() >= 40u);  // every layer plugin of the tree is loaded
  int variants = 0, swept_classes = 0;
  for (const std::string& class_name : classes) {
    std::string why;
    LayerPtr minimal = make_minimal(class_name, why);
    if (!minimal) {
      // Lambda holds Python bytecode: it is refused whatever its config (its own suite says so).
      BOOST_TEST(class_name == "Lambda", class_name << " cannot be made from the test's values: " << why);
      continue;
    }
    const Json base = minimal->get_config();
    std::vector<Shape> shapes;
    for (const auto& candidate : input_candidates())
      if (bool refused = false; run_layer(class_name, base, candidate, &refused).empty() && !refused) {
        shapes = candidate;
        break;
      }
    if (shapes.empty()) {
      BOOST_TEST_MESSAGE(class_name << ": no small input fits its base config; made and shaped only");
      shapes = {Shape{2, 4}};
    }
    ++swept_classes;
    for (const auto& [key, original] : base.items()) {
      std::vector<Json> configs;
      Json without = base;
      without.erase(key);
      configs.push_back(without);
      for (const Json& value : hostile_values()) {
        Json changed = base;
        changed[key] = value;
        configs.push_back(changed);
      }
      for (const Json& config : configs) {
        ++variants;
        const std::string problem = run_layer(class_name, config, shapes);
        BOOST_TEST(problem.empty(), class_name << " with " << key << " = "
                                               << (config.contains(key) ? config[key].dump() : "<absent>") << ": " << problem);
      }
      if (size_keys().count(key))
        for (const Json& bad : {Json(0), Json(-1), Json::array({-1})}) {
          Json changed = base;
          changed[key] = bad;
          bool refused = false;
          run_layer(class_name, changed, shapes, &refused);
          BOOST_TEST(refused, class_name << " accepts " << key << " = " << bad.dump());
        }
    }
  }
  BOOST_TEST_MESSAGE(variants << " hostile configs over " << swept_classes << " layer classes");
  BOOST_TEST(swept_classes >= 40);
}
