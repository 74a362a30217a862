// Optimizer configs: tf.keras 2.x's names, key order and defaults; exact round trips of the three
// generations' configs (legacy OptimizerV2, tf.keras >= 2.11 "Custom>Adam", Keras 3); old aliases
// (lr, schedule_decay, configs without a name); registry names; and errors naming the bad key.
#include <boost/test/unit_test.hpp>

#include <string>
#include <utility>

#include "ksave/error.hpp"
#include "optimizer_test_support.hpp"

using ksave::Json;
using ksave::test::make_optimizer;
using ksave::test::make_variable;

namespace {

std::string written(const std::string& class_name, const Json& config) {
  return make_optimizer(class_name, config)->get_config().dump();
}

std::string error_of(const std::string& class_name, const Json& config) {
  try {
    make_optimizer(class_name, config);
  } catch (const ksave::Error& e) {
    return e.what();
  }
  return "";
}

}  // namespace

BOOST_AUTO_TEST_CASE(default_configs_are_tf_keras_2x) {
  const std::pair<const char*, const char*> cases[] = {
      {"SGD", R"({"name":"SGD","learning_rate":0.01,"decay":0.0,"momentum":0.0,"nesterov":false})"},
      {"Adam", R"({"name":"Adam","learning_rate":0.001,"decay":0.0,"beta_1":0.9,"beta_2":0.999,"epsilon":1e-07,"amsgrad":false})"},
      {"RMSprop", R"({"name":"RMSprop","learning_rate":0.001,"decay":0.0,"rho":0.9,"momentum":0.0,"epsilon":1e-07,"centered":false})"},
      {"Adagrad", R"({"name":"Adagrad","learning_rate":0.001,"decay":0.0,"initial_accumulator_value":0.1,"epsilon":1e-07})"},
      {"Adadelta", R"({"name":"Adadelta","learning_rate":0.001,"decay":0.0,"rho":0.95,"epsilon":1e-07})"},
      {"Adamax", R"({"name":"Adamax","learning_rate":0.001,"decay":0.0,"beta_1":0.9,"beta_2":0.999,"epsilon":1e-07})"},
      {"Nadam", R"({"name":"Nadam","learning_rate":0.001,"decay":0.004,"beta_1":0.9,"beta_2":0.999,"epsilon":1e-07})"},
  };
  for (const auto& [class_name, expected] : cases) {
    BOOST_TEST(written(class_name, Json::object()) == expected, class_name);
    BOOST_TEST(make_optimizer(class_name, Json::object())->class_name() == class_name);
  }
}

BOOST_AUTO_TEST_CASE(configs_of_every_generation_round_trip_exactly) {
  const std::pair<const char*, const char*> cases[] = {
      // tf.keras 2.x legacy, as written after training (float32 hyperparameters read back).
      {"Adam", R"({"name":"Adam","learning_rate":0.0011449999874457717,"decay":0.0,"beta_1":0.8999999761581421,"beta_2":0.9990000128746033,"epsilon":1e-08,"amsgrad":false})"},
      {"Adam", R"({"name":"Adam","clipnorm":1.0,"clipvalue":0.5,"learning_rate":0.001,"decay":0.0,"beta_1":0.9,"beta_2":0.999,"epsilon":1e-07,"amsgrad":true})"},
      {"SGD", R"({"name":"SGD","global_clipnorm":2.5,"learning_rate":0.1,"decay":0.001,"momentum":0.9,"nesterov":true})"},
      {"SGD", R"({"name":"SGD","learning_rate":0.1,"decay":0.0,"momentum":0,"nesterov":false})"},
      {"RMSprop", R"({"name":"custom_rms","learning_rate":0.01,"decay":0.0,"rho":0.8,"momentum":0.5,"epsilon":1e-10,"centered":true})"},
      {"Adagrad", R"({"name":"Adagrad","learning_rate":0.1,"decay":0.0,"initial_accumulator_value":0.0,"epsilon":0.0})"},
      // tf.keras >= 2.11 writes is_legacy_optimizer: true into legacy configs.
      {"Adamax", R"({"name":"Adamax","learning_rate":0.002,"decay":0.0,"beta_1":0.9,"beta_2":0.999,"epsilon":1e-07,"is_legacy_optimizer":true})"},
      {"SGD", R"({"name":"SGD","learning_rate":{"class_name":"ExponentialDecay","config":{"initial_learning_rate":0.1,"decay_steps":1000,"decay_rate":0.96,"staircase":true,"name":null}},"decay":0.0,"momentum":0.0,"nesterov":false})"},
      {"Adam", R"({"name":"Adam","learning_rate":{"class_name":"PiecewiseConstantDecay","config":{"boundaries":[100,200],"values":[0.1,0.01,0.001],"name":"pw"}},"decay":0.0,"beta_1":0.9,"beta_2":0.999,"epsilon":1e-07,"amsgrad":false})"},
      {"RMSprop", R"({"name":"RMSprop","learning_rate":{"class_name":"InverseTimeDecay","config":{"initial_learning_rate":0.01,"decay_steps":10,"decay_rate":0.5,"staircase":false,"name":null}},"decay":0.0,"rho":0.9,"momentum":0.0,"epsilon":1e-07,"centered":false})"},
      {"Adagrad", R"({"name":"Adagrad","learning_rate":{"class_name":"PolynomialDecay","config":{"initial_learning_rate":0.1,"decay_steps":100,"end_learning_rate":0.0001,"power":1.0,"cycle":false,"name":null}},"decay":0.0,"initial_accumulator_value":0.1,"epsilon":1e-07})"},
      // tf.keras 2.11-2.15 new optimizer ("Custom>Adam" in H5 training configs).
      {"Custom>Adam", R"({"name":"Adam","weight_decay":null,"clipnorm":null,"global_clipnorm":null,"clipvalue":null,"use_ema":false,"ema_momentum":0.99,"ema_overwrite_frequency":null,"jit_compile":true,"is_legacy_optimizer":false,"learning_rate":0.004999999888241291,"beta_1":0.9,"beta_2":0.999,"epsilon":1e-07,"amsgrad":false})"},
      {"Custom>RMSprop", R"({"name":"RMSprop","weight_decay":0.004,"clipnorm":1.0,"global_clipnorm":null,"clipvalue":null,"use_ema":true,"ema_momentum":0.99,"ema_overwrite_frequency":100,"jit_compile":false,"is_legacy_optimizer":false,"learning_rate":0.0010000000474974513,"rho":0.9,"momentum":0.0,"epsilon":1e-07,"centered":false})"},
      // Keras 3.
      {"Adam", R"({"name":"adam","learning_rate":0.0010000000474974513,"weight_decay":null,"clipnorm":null,"global_clipnorm":null,"clipvalue":null,"use_ema":false,"ema_momentum":0.99,"ema_overwrite_frequency":null,"loss_scale_factor":null,"gradient_accumulation_steps":null,"beta_1":0.9,"beta_2":0.999,"epsilon":1e-07,"amsgrad":false})"},
      {"SGD", R"({"name":"sgd","learning_rate":{"module":"keras.optimizers.schedules","class_name":"ExponentialDecay","config":{"initial_learning_rate":0.01,"decay_steps":100,"decay_rate":0.9,"staircase":false,"name":"ExponentialDecay"},"registered_name":null},"weight_decay":null,"clipnorm":null,"global_clipnorm":null,"clipvalue":null,"use_ema":false,"ema_momentum":0.99,"ema_overwrite_frequency":null,"momentum":0.0,"nesterov":false})"},
  };
  for (const auto& [class_name, text] : cases) {
    const Json config = Json::parse(text);
    BOOST_TEST(written(class_name, config) == text, class_name);
    // And again after training, for configs whose values are already what Keras reads back.
    auto opt = make_optimizer(class_name, config);
    auto w = make_variable("w:0", {1.0f});
    opt->apply_gradients({{ksave::Tensor::from_vector<float>({0.5f}, {1}), w}});
    const Json again = make_optimizer(class_name, opt->get_config())->get_config();
    BOOST_TEST(again == opt->get_config(), class_name << " after training");
  }
}

BOOST_AUTO_TEST_CASE(legacy_configs_read_float32_values_after_building) {
  auto opt = make_optimizer("Adam", Json::object());
  opt->build({make_variable("w:0", {1.0f})});
  BOOST_TEST(opt->get_config().dump() ==
             R"({"name":"Adam","learning_rate":0.0010000000474974513,"decay":0.0,"beta_1":0.8999999761581421,"beta_2":0.9990000128746033,"epsilon":1e-07,"amsgrad":false})");
  // A restored hyperparameter variable is what the next step and the config use.
  for (const auto& child : opt->trackable_children())
    if (child.name == "learning_rate")
      std::static_pointer_cast<ksave::Variable>(child.object)->assign(ksave::Tensor::scalar<float>(0.5f));
  BOOST_TEST(opt->get_config().at("learning_rate").get<double>() == 0.5);
}

BOOST_AUTO_TEST_CASE(old_aliases_and_older_configs) {
  // `lr` (Keras <= 2.2) and configs without a name.
  BOOST_TEST(written("Adam", Json::parse(R"({"beta_1":0.8999999761581421,"beta_2":0.9990000128746033,"decay":0.0,"epsilon":1e-07,"amsgrad":false,"lr":0.0010000000474974513})")) ==
             R"({"name":"Adam","learning_rate":0.0010000000474974513,"decay":0.0,"beta_1":0.8999999761581421,"beta_2":0.9990000128746033,"epsilon":1e-07,"amsgrad":false})");
  BOOST_TEST(written("RMSprop", Json::parse(R"({"epsilon":1e-08,"lr":0.0010000000474974513,"rho":0.8999999761581421,"decay":0.0})")) ==
             R"({"name":"RMSprop","learning_rate":0.0010000000474974513,"decay":0.0,"rho":0.8999999761581421,"momentum":0.0,"epsilon":1e-08,"centered":false})");
  // Keras's `epsilon or backend.epsilon()`: 0 means 1e-7 (except for Adagrad).
  BOOST_TEST(make_optimizer("Adam", {{"epsilon", 0}})->get_config().at("epsilon").get<double>() == 1e-7);
  // Nadam: `decay` is the momentum schedule decay, taken from schedule_decay (default 0.004).
  BOOST_TEST(make_optimizer("Nadam", Json::parse(R"({"lr":0.002,"beta_1":0.9,"beta_2":0.999,"epsilon":1e-08,"schedule_decay":0.005})"))
                 ->get_config()
                 .dump() == R"({"name":"Nadam","learning_rate":0.002,"decay":0.005,"beta_1":0.9,"beta_2":0.999,"epsilon":1e-08})");
  BOOST_TEST(make_optimizer("Nadam", {{"decay", 0.01}})->get_config().at("decay").get<double>() == 0.004);
  // Keras 3 ignores `decay` (with a warning) and does not write it.
  BOOST_TEST(written("Adam", {{"weight_decay", nullptr}, {"decay", 0.5}}).find("decay\":0.5") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(registry_names) {
  for (const char* name : {"adam", "sgd", "rmsprop", "adagrad", "adadelta", "adamax", "nadam", "Custom>Adam",
                           "Custom>SGD", "Custom>RMSprop", "Custom>Adagrad", "Custom>Adadelta", "Custom>Adamax", "Custom>Nadam"}) {
    const ksave::OptimizerPtr opt = make_optimizer(name, Json::object());
    BOOST_TEST(!opt->class_name().empty(), name);
  }
  BOOST_TEST(make_optimizer("rmsprop", Json::object())->class_name() == "RMSprop");
  BOOST_TEST(make_optimizer("Custom>Adam", Json::object())->class_name() == "Adam");
  const std::string unknown = error_of("AdamW", Json::object());
  BOOST_TEST(unknown.find("unknown optimizer 'AdamW'") != std::string::npos, unknown);
}

BOOST_AUTO_TEST_CASE(bad_configs_are_errors_naming_the_key) {
  const std::pair<std::pair<const char*, const char*>, const char*> cases[] = {
      {{"Adam", R"({"beta_3": 0.9})"}, "unknown config key 'beta_3'"},
      {{"SGD", R"({"rho": 0.9})"}, "unknown config key 'rho'"},
      {{"Adam", R"({"beta_1": "high"})"}, "config key 'beta_1' must be a number"},
      {{"Adam", R"({"learning_rate": "fast"})"}, "config key 'learning_rate' must be a number or a schedule"},
      {{"Adam", R"({"amsgrad": 1})"}, "amsgrad"},
      {{"Adam", R"({"clipnorm": 1.0, "global_clipnorm": 1.0})"}, "clipnorm and global_clipnorm cannot both be set"},
      {{"Adam", R"({"clipvalue": -1})"}, "config key 'clipvalue' must be a number >= 0"},
      {{"Adam", R"({"decay": -0.1})"}, "config key 'decay' must be a number >= 0"},
      {{"SGD", R"({"momentum": 1.5})"}, "momentum must be between 0 and 1"},
      {{"Adagrad", R"({"initial_accumulator_value": -1})"}, "initial_accumulator_value must be >= 0"},
      {{"Adam", R"({"is_legacy_optimizer": false, "decay": 0.1})"}, "'decay' is not an argument of the Keras >= 2.11"},
      {{"Adam", R"({"is_legacy_optimizer": true, "weight_decay": 0.1})"}, "'weight_decay' belongs to the Keras >= 2.11"},
      {{"Adam", R"({"weight_decay": null, "gradient_accumulation_steps": 4})"}, "gradient_accumulation_steps 4 is not supported"},
      {{"Adam", R"({"use_ema": "yes", "weight_decay": null})"}, "config key 'use_ema' must be true or false"},
      {{"Nadam", R"({"learning_rate": {"class_name": "ExponentialDecay", "config": {"initial_learning_rate": 0.1, "decay_steps": 10, "decay_rate": 0.5}}})"},
       "the legacy Nadam does not support a learning-rate schedule"},
      {{"SGD", R"({"learning_rate": {"class_name": "CosineDecay", "config": {}}})"}, "unknown learning-rate schedule 'CosineDecay'"},
      {{"SGD", R"({"learning_rate": {"class_name": "ExponentialDecay", "config": {"initial_learning_rate": 0.1, "decay_rate": 0.5}}})"},
       "config has no 'decay_steps'"},
      {{"SGD", R"({"learning_rate": {"class_name": "ExponentialDecay", "config": {"initial_learning_rate": 0.1, "decay_steps": 0, "decay_rate": 0.5}}})"},
       "decay_steps must be positive"},
      {{"SGD", R"({"learning_rate": {"class_name": "PolynomialDecay", "config": {"initial_learning_rate": 0.1, "decay_steps": 10, "warmup": 1}}})"},
       "unknown config key 'warmup'"},
      {{"SGD", R"({"learning_rate": {"class_name": "PiecewiseConstantDecay", "config": {"boundaries": [1, 2], "values": [0.1, 0.2]}}})"},
       "needs one more value than boundaries"},
      {{"SGD", R"({"name": 7})"}, "name"},
  };
  for (const auto& [input, expected] : cases) {
    const std::string message = error_of(input.first, Json::parse(input.second));
    BOOST_TEST(message.find(expected) != std::string::npos, input.second << " -> " << message);
  }
}
