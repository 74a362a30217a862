// examples/custom_optimizer (Yogi, written against the public Optimizer interface and built
// against the installed SDK by the fixture sdk_build_custom_optimizer_plugin_installed) trains,
// saves and resumes through every registered format exactly as a built-in optimizer does: its
// state comes back slot by slot in the grouping its slots() declare, and one more step on the
// reloaded model equals one more step on the original, bit for bit.
#define BOOST_TEST_MODULE sdk_custom_optimizer
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <filesystem>
#include <random>

#include "ksave/ksave.hpp"
#include "support/test_data.hpp"

namespace fs = std::filesystem;
using namespace ksave;

namespace {

Tensor random_array(Shape shape, unsigned seed) {
  Tensor t(DType::Float32, std::move(shape));
  std::mt19937 generator(seed);
  std::uniform_real_distribution<float> uniform(-1.f, 1.f);
  for (float& v : t.values<float>()) v = uniform(generator);
  return t;
}

const Tensor& x() {
  static const Tensor value = random_array({16, 6}, 1);
  return value;
}
const Tensor& y() {
  static const Tensor value = random_array({16, 2}, 2);
  return value;
}

// Two Dense layers (four trained variables, so the grouping of slots by kind shows), trained
// with Yogi for three steps.
ModelPtr trained_model() {
  auto inputs = Input({6});
  auto hidden = (*make_layer("Dense", {{"units", 4}, {"activation", "tanh"}, {"name", "hidden"}}))(inputs);
  auto outputs = (*make_layer("Dense", {{"units", 2}, {"name", "out"}}))(hidden);
  auto model = std::make_shared<Functional>(KerasTensors{inputs}, KerasTensors{outputs});
  model->compile(Json{{"class_name", "Yogi"}, {"config", {{"learning_rate", 0.05}}}}, "mean_squared_error");
  for (int step = 0; step < 3; ++step) model->train_on_batch({x()}, {y()});
  return model;
}

// Same names, same values, same order: the optimizer's state as variables() lists it.
void check_same_state(const Optimizer& expected, const Optimizer& actual, const std::string& where) {
  const auto want = expected.variables(), got = actual.variables();
  BOOST_REQUIRE_MESSAGE(want.size() == got.size(), where << ": " << got.size() << " optimizer variables, expected " << want.size());
  for (std::size_t i = 0; i < want.size(); ++i) {
    BOOST_TEST(got[i]->name() == want[i]->name(), where << " #" << i);
    BOOST_TEST(max_abs_difference(got[i]->value(), want[i]->value()) == 0.0, where << ": " << want[i]->name());
  }
}

// One more step on both: the reloaded model continues exactly where the original stopped.
void check_resumes(const ModelPtr& original, const ModelPtr& reloaded, const std::string& where) {
  original->train_on_batch({x()}, {y()});
  reloaded->train_on_batch({x()}, {y()});
  for (std::size_t i = 0; i < original->weights().size(); ++i)
    BOOST_TEST(max_abs_difference(original->weights()[i]->value(), reloaded->weights()[i]->value()) == 0.0,
               where << ": resumed " << original->weights()[i]->name());
}

bool holds_state(const Optimizer& optimizer) {
  return optimizer.iterations()->value().data<std::int64_t>()[0] != 0;
}

fs::path path_for(const fs::path& dir, const std::string& stem, const Format& format,
                  const std::vector<std::string>& endings) {
  return dir / (stem + "_" + format.name() + (endings.empty() ? std::string() : endings.front()));
}

std::vector<FormatPtr> registered_formats() {
  load_plugins();
  std::vector<FormatPtr> formats;
  for (const auto& entry : Registry::global().entries(Kind::Format)) formats.push_back(entry->as<FormatFactory>()());
  return formats;
}

}  // namespace

BOOST_AUTO_TEST_CASE(the_plugin_is_found_through_the_plugin_path) {
  load_plugins();
  BOOST_REQUIRE_MESSAGE(Registry::global().find_registered(Kind::Optimizer, "Yogi"),
                        "Yogi is not registered; " << Registry::global().plugins().search_summary());
}

// Its declared order, derived: iterations, every "m", every "v" (OptimizerV2's grouping), state
// shifted away from the initial zeros by training.
BOOST_AUTO_TEST_CASE(variables_are_grouped_by_slot_kind) {
  const ModelPtr model = trained_model();
  const auto variables = model->optimizer()->variables();
  BOOST_REQUIRE_EQUAL(variables.size(), 1u + 2 * model->trainable_weights().size());
  BOOST_TEST(variables[0]->name() == "Yogi/iter:0");
  const std::size_t n = model->trainable_weights().size();
  for (std::size_t i = 0; i < n; ++i) {
    const std::string trained = model->trainable_weights()[i]->shared_name();
    BOOST_TEST(variables[1 + i]->name() == "Yogi/" + trained + "/m:0");
    BOOST_TEST(variables[1 + n + i]->name() == "Yogi/" + trained + "/v:0");
    BOOST_TEST(max_abs_difference(variables[1 + i]->value(), Tensor::zeros(DType::Float32, variables[1 + i]->shape())) > 0.0);
  }
}

BOOST_AUTO_TEST_CASE(whole_models_keep_the_state_in_every_format) {
  const fs::path dir = test::scratch_dir("custom_optimizer_models");
  std::size_t checked = 0;
  for (const FormatPtr& format : registered_formats()) {
    const FormatTraits traits = format->traits();
    if (!format->can(Capability::SaveModel) || !format->can(Capability::LoadModel) || !traits.holds_values) continue;
    const std::string where = "format " + format->name() + " (whole model)";
    BOOST_TEST_MESSAGE(where);
    const ModelPtr original = trained_model();
    const fs::path path = path_for(dir, "model", *format, traits.model_endings);
    SaveOptions options;
    options.format = format->name();
    save_model(*original, path, options);
    const ModelPtr reloaded = load_model(path);
    BOOST_REQUIRE_MESSAGE(reloaded->optimizer(), where << ": no optimizer");
    BOOST_TEST(reloaded->optimizer()->class_name() == "Yogi", where);
    check_same_state(*original->optimizer(), *reloaded->optimizer(), where);
    check_resumes(original, reloaded, where);
    ++checked;
  }
  BOOST_TEST(checked > 0u);
}

// Weights files: a format that carries the optimizer (a TF checkpoint, as Keras's) gives it back
// whole; the others leave the fresh optimizer untouched. Either way training resumes from there.
BOOST_AUTO_TEST_CASE(weights_files_keep_the_state_where_the_format_holds_it) {
  const fs::path dir = test::scratch_dir("custom_optimizer_weights");
  std::size_t with_state = 0;
  for (const FormatPtr& format : registered_formats()) {
    if (!format->can(Capability::SaveWeights) || !format->can(Capability::LoadWeights)) continue;
    const std::string where = "format " + format->name() + " (weights)";
    BOOST_TEST_MESSAGE(where);
    const ModelPtr original = trained_model();
    const fs::path path = path_for(dir, "weights", *format, format->traits().weights_endings);
    SaveOptions options;
    options.format = format->name();
    save_weights(*original, path, options);
    ModelPtr fresh = clone_model(*original);
    fresh->compile(Json{{"class_name", "Yogi"}, {"config", {{"learning_rate", 0.05}}}}, "mean_squared_error");
    load_weights(*fresh, path).expect_partial();
    for (std::size_t i = 0; i < original->weights().size(); ++i)
      BOOST_TEST(max_abs_difference(original->weights()[i]->value(), fresh->weights()[i]->value()) == 0.0,
                 where << ": " << original->weights()[i]->name());
    if (!holds_state(*fresh->optimizer())) continue;
    ++with_state;
    check_same_state(*original->optimizer(), *fresh->optimizer(), where);
    check_resumes(original, fresh, where);
  }
  BOOST_TEST(with_state > 0u, "no weights format gave the optimizer's state back");
}
