// What the README's "Thread safety" section promises, with threads: the first registry use from
// several threads at once loads each plugin once; predict on one model that nobody changes runs
// from several threads with the results of a serial run while other threads look names up, build
// layers and list plugins (within float32 round-off, not bit for bit: a product that finds the
// matmul worker pool busy runs on one core, and Eigen then blocks the sum differently); a SavedModel signature (ksave's graph executor, with its
// per-thread run buffers) serves several threads at once; custom-object scopes belong to the
// thread that opened them. Run it under ThreadSanitizer too (-DKSAVE_TSAN=ON, README).
//
// Boost.Test's assertions are not thread-safe: the threads collect what went wrong as text and
// the test checks it after joining them.
#define BOOST_TEST_MODULE thread_safety
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <functional>
#include <latch>
#include <map>
#include <mutex>
#include <thread>

#include "ksave/ksave.hpp"
#include "ksave/loaded_functions.hpp"
#include "ksave/plugin_loader.hpp"
#include "ksave/registry.hpp"
#include "ksave/saving.hpp"
#include "ksave/serialization.hpp"
#include "support/compare.hpp"
#include "support/in_tree_plugins.hpp"
#include "support/test_data.hpp"

using namespace ksave;

namespace {

constexpr int kThreads = 4;
constexpr int kRounds = 20;

// What the threads of one run found wrong.
class Problems {
 public:
  void add(const std::string& what) {
    std::lock_guard lock(mutex_);
    list_.push_back(what);
  }
  std::vector<std::string> list() const {
    std::lock_guard lock(mutex_);
    return list_;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<std::string> list_;
};

// Runs body(thread) on kThreads threads released together; an exception is a problem.
std::vector<std::string> run_together(const std::function<void(int, Problems&)>& body) {
  Problems problems;
  std::latch start(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      start.arrive_and_wait();
      try {
        body(t, problems);
      } catch (const std::exception& e) {
        problems.add("thread " + std::to_string(t) + " threw: " + e.what());
      }
    });
  for (auto& thread : threads) thread.join();
  return problems.list();
}

void expect_none(const std::vector<std::string>& problems) {
  BOOST_TEST(problems.empty(), problems.size() << " problem(s), first: " << (problems.empty() ? "" : problems.front()));
}

// A race gives garbage or another thread's rows; summation order moves the last bits only.
bool same_results(const Tensor& got, const Tensor& serial) {
  return ksave::test::compare(got, serial, {.rtol = 1e-5, .atol = 1e-6}).ok();
}

Tensor ramp(const Shape& shape, float offset) {
  std::vector<float> v(static_cast<std::size_t>(num_elements(shape)));
  for (std::size_t i = 0; i < v.size(); ++i) v[i] = std::sin(0.37f * static_cast<float>(i) + offset);
  return Tensor::from_vector<float>(v, shape);
}

// Two inputs: a wide Dense stack (big enough for the matmul worker pool to join in), an LSTM
// over a sequence, BatchNormalization, merged.
ModelPtr busy_model() {
  const KerasTensor features = Input({64}, "features"), sequence = Input({6, 5}, "sequence");
  KerasTensor wide = (*make_layer("Dense", {{"units", 256}, {"activation", "relu"}}))(features);
  wide = (*make_layer("BatchNormalization", Json::object()))(wide);
  wide = (*make_layer("Dense", {{"units", 256}, {"activation", "tanh"}}))(wide);
  const KerasTensor recurrent = (*make_layer("LSTM", {{"units", 8}}))(sequence);
  const KerasTensor merged = (*make_layer("Concatenate", Json::object()))(KerasTensors{wide, recurrent}).at(0);
  const KerasTensor out = (*make_layer("Dense", {{"units", 3}, {"activation", "softmax"}}))(merged);
  return std::make_shared<Functional>(KerasTensors{features, sequence}, KerasTensors{out}, "busy");
}

Tensors inputs_of_thread(int t) { return {ramp({96, 64}, 0.1f * static_cast<float>(t)), ramp({96, 6, 5}, 1.0f + static_cast<float>(t))}; }

// Lookups and constructions other threads make meanwhile.
void use_the_registry(int round, Problems& problems) {
  const Registry& registry = Registry::global();
  for (const auto& [kind, name] : std::vector<std::pair<Kind, std::string>>{
           {Kind::Layer, "Dense"}, {Kind::Activation, "relu"}, {Kind::Optimizer, "Adam"}, {Kind::Loss, "mse"},
           {Kind::Format, "h5"}, {Kind::Initializer, "GlorotUniform"}})
    if (!registry.resolve(kind, name)) problems.add("resolve found no " + name);
  const LayerPtr layer = make_layer("Dense", {{"units", 2 + round % 3}});
  if (layer->get_config().at("units") != 2 + round % 3) problems.add("make_layer built another Dense");
  if (registry.plugins().records().size() < ksave::test::in_tree_plugins().size())
    problems.add("the plugin listing lost records");
  if (registry.entries(Kind::Layer).empty()) problems.add("no layer entries");
}

}  // namespace

// First in this file: nothing has touched the registry before, so the threads race to load the
// plugins.
BOOST_AUTO_TEST_CASE(first_use_from_several_threads_loads_each_plugin_once) {
  std::vector<ClassRef> found(kThreads);
  expect_none(run_together([&](int t, Problems& problems) {
    found[static_cast<std::size_t>(t)] = Registry::global().resolve(Kind::Layer, "Dense");
    if (!found[static_cast<std::size_t>(t)]) problems.add("thread " + std::to_string(t) + " found no Dense");
  }));
  for (const auto& entry : found) BOOST_TEST(entry == found.front());  // the very same entry
  std::map<std::string, int> times;
  for (const PluginRecord& record : Registry::global().plugins().records()) ++times[record.name];
  for (const std::string& name : ksave::test::in_tree_plugins()) BOOST_TEST(times[name] == 1, name);
  BOOST_TEST(ksave::test::in_tree_plugins_not_loaded().empty());
}

BOOST_AUTO_TEST_CASE(concurrent_predict_on_one_model_gives_the_serial_results) {
  const ModelPtr model = busy_model();
  std::vector<Tensors> serial;
  for (int t = 0; t < kThreads; ++t) serial.push_back(model->predict(inputs_of_thread(t)));
  expect_none(run_together([&](int t, Problems& problems) {
    const Tensors inputs = inputs_of_thread(t);
    for (int round = 0; round < kRounds; ++round) {
      const Tensors got = model->predict(inputs, 32);
      if (!same_results(got.at(0), serial[static_cast<std::size_t>(t)].at(0)))
        problems.add("thread " + std::to_string(t) + " round " + std::to_string(round) + ": predict differs from the serial run");
      use_the_registry(round, problems);
    }
  }));
}

BOOST_AUTO_TEST_CASE(a_savedmodel_signature_serves_several_threads) {
  const ModelPtr model = busy_model();
  const auto folder = test::scratch_dir("thread_safety_savedmodel") / "model";
  save_model(*model, folder, SaveOptions{.format = "savedmodel"});
  const LoadedFunctionsPtr functions = load_functions(folder);
  const SignatureFunction& serving = functions->signature("serving_default");
  BOOST_TEST_REQUIRE(serving.inputs.size() == 2u);
  BOOST_TEST_REQUIRE(serving.outputs.size() == 1u);
  const auto named = [&](const Tensors& x) {
    return NamedTensors{{"features", x.at(0)}, {"sequence", x.at(1)}};
  };
  std::vector<Tensor> serial;
  for (int t = 0; t < kThreads; ++t) serial.push_back(serving(named(inputs_of_thread(t))).begin()->second);
  expect_none(run_together([&](int t, Problems& problems) {
    const NamedTensors inputs = named(inputs_of_thread(t));
    for (int round = 0; round < kRounds; ++round)
      if (!same_results(serving(inputs).begin()->second, serial[static_cast<std::size_t>(t)]))
        problems.add("thread " + std::to_string(t) + " round " + std::to_string(round) + ": serving_default differs");
  }));
}

BOOST_AUTO_TEST_CASE(custom_object_scopes_belong_to_their_thread) {
  expect_none(run_together([&](int t, Problems& problems) {
    const float factor = static_cast<float>(t + 2);
    const CustomObjectScope scope({{"relu", activation_function("relu", [factor](const Tensor& x) {
                                      return ops::mul(x, factor);
                                    })}});
    for (int round = 0; round < kRounds; ++round) {
      const double got = Registry::global().resolve(Kind::Activation, "relu")->as<ActivationFunction>()(Tensor::scalar<float>(1.0f)).item();
      if (got != factor) problems.add("thread " + std::to_string(t) + " resolved another thread's relu: " + std::to_string(got));
    }
  }));
  // Outside every scope, the built-in again.
  BOOST_TEST(Registry::global().resolve(Kind::Activation, "relu")->as<ActivationFunction>()(Tensor::scalar<float>(-1.0f)).item() == 0.0);
}
