// Keras >= 2.11 optimizer state ("new" optimizers: optimizer/_iterations, optimizer/_learning_rate,
// optimizer/_variables/N) from the real TF 2.11/2.12 SavedModels: the Adam m/v slots land on the
// right variables with the bundle's values, the step counter and learning rate come back, and
// one more training step is exactly Adam's update from that state (computed here by hand from
// the gradient the step used). The same bundle restores through the TF checkpoint format too.
#define BOOST_TEST_MODULE format_savedmodel_new_optimizer_state
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>

#include "ksave/ksave.hpp"
#include "ksave/optimizer.hpp"
#include "ksave/saving.hpp"
#include "ksave/tf/bundle.hpp"
#include "ksave/tf/restore.hpp"
#include "savedmodel_fixtures.hpp"
#include "support/test_data.hpp"

namespace fs = std::filesystem;
using namespace ksave;
using namespace ksave::test::savedmodel;

namespace {

const char* const kLstmCase = "tfnet_kerassm_lstm_from_sequential";

fs::path lstm_folder(const fs::path& real) { return fixture_folder(real, kLstmCase, "lstm_from_sequential"); }

std::string slot_key(std::size_t n) { return "optimizer/_variables/" + std::to_string(n) + "/.ATTRIBUTES/VARIABLE_VALUE"; }

VariablePtr slot(const Optimizer& optimizer, const Variable& variable, const std::string& name) {
  for (const auto& [slot_name, value] : optimizer.slots(variable))
    if (slot_name == name) return value;
  BOOST_FAIL("no slot '" << name << "' for " << variable.name());
  return nullptr;
}

VariablePtr learning_rate(const Optimizer& optimizer) {
  for (const auto& child : optimizer.trackable_children())
    if (child.name == "learning_rate") return std::dynamic_pointer_cast<Variable>(child.object);
  return nullptr;
}

bool same_bits(const Tensor& a, const Tensor& b) {
  return a.dtype() == b.dtype() && a.shape() == b.shape() && std::memcmp(a.raw_data(), b.raw_data(), a.nbytes()) == 0;
}

// Keras >= 2.11 builds Adam over model.trainable_variables, making m then v for each:
// _variables/1 + 2i is variable i's m, _variables/2 + 2i its v (_variables/0 is the step counter).
void check_adam_state(const Model& model, const fs::path& folder) {
  const tf::BundleReader bundle(folder / "variables" / "variables");
  auto optimizer = model.optimizer();
  BOOST_TEST_REQUIRE(optimizer != nullptr);
  BOOST_TEST(same_bits(optimizer->iterations()->value(), bundle.read("optimizer/_iterations/.ATTRIBUTES/VARIABLE_VALUE")));
  auto lr = learning_rate(*optimizer);
  BOOST_TEST_REQUIRE(lr != nullptr);
  BOOST_TEST(same_bits(lr->value(), bundle.read("optimizer/_learning_rate/.ATTRIBUTES/VARIABLE_VALUE")));
  const auto trainable = model.trainable_weights();
  BOOST_TEST_REQUIRE(trainable.size() == 5u);  // LSTM kernel, recurrent_kernel, bias; Dense kernel, bias
  for (std::size_t i = 0; i < trainable.size(); ++i) {
    BOOST_TEST_CONTEXT(trainable[i]->name()) {
      const Tensor m = slot(*optimizer, *trainable[i], "m")->value(), v = slot(*optimizer, *trainable[i], "v")->value();
      BOOST_TEST(same_bits(m, bundle.read(slot_key(1 + 2 * i))));
      BOOST_TEST(same_bits(v, bundle.read(slot_key(2 + 2 * i))));
      const auto vs = v.to_vector<float>();
      BOOST_TEST(std::any_of(vs.begin(), vs.end(), [](float x) { return x != 0.0f; }));  // trained state, not fresh zeros
    }
  }
}

// Passes the gradients on to the real optimizer and keeps a copy of them.
class RecordingOptimizer final : public Optimizer {
 public:
  explicit RecordingOptimizer(OptimizerPtr inner) : inner_(std::move(inner)) {}
  std::string class_name() const override { return inner_->class_name(); }
  Json get_config() const override { return inner_->get_config(); }
  void apply_gradients(const std::vector<std::pair<Tensor, VariablePtr>>& grads_and_vars) override {
    for (const auto& [grad, variable] : grads_and_vars) gradients[variable.get()] = grad.clone();
    inner_->apply_gradients(grads_and_vars);
  }
  VariablePtr iterations() const override { return inner_->iterations(); }
  std::vector<std::pair<std::string, VariablePtr>> slots(const Variable& variable) const override { return inner_->slots(variable); }
  void build(const std::vector<VariablePtr>& variables) override { inner_->build(variables); }
  std::vector<VariablePtr> variables() const override { return inner_->variables(); }
  std::vector<TrackableChild> trackable_children() const override { return inner_->trackable_children(); }

  std::map<const Variable*, Tensor> gradients;

 private:
  OptimizerPtr inner_;
};

std::vector<double> doubles(const Tensor& t) {
  const auto f = t.as_float().to_vector<float>();
  return {f.begin(), f.end()};
}

}  // namespace

BOOST_AUTO_TEST_CASE(loading_the_keras_2_12_savedmodel_restores_adam_slots_onto_their_variables) {
  auto real = test::real_fixtures();
  KSAVE_REQUIRE_DATA(real, "real fixtures");
  ModelPtr model = load_model(lstm_folder(*real));
  BOOST_TEST_REQUIRE(model->compiled());
  BOOST_TEST(model->optimizer()->class_name() == "Adam");
  BOOST_TEST(model->optimizer()->iterations()->value().to_vector<std::int64_t>().front() == 10);
  check_adam_state(*model, lstm_folder(*real));
}

BOOST_AUTO_TEST_CASE(training_resumes_with_adams_update_from_the_restored_state) {
  auto real = test::real_fixtures();
  KSAVE_REQUIRE_DATA(real, "real fixtures");
  ModelPtr model = load_model(lstm_folder(*real));
  BOOST_TEST_REQUIRE(model->compiled());
  auto adam = model->optimizer();
  auto recorder = std::make_shared<RecordingOptimizer>(adam);
  model->set_optimizer(recorder);

  struct Before {
    VariablePtr variable;
    std::vector<double> w, m, v;
  };
  std::vector<Before> before;
  for (const auto& variable : model->trainable_weights())
    before.push_back({variable, doubles(variable->value()), doubles(slot(*adam, *variable, "m")->value()),
                      doubles(slot(*adam, *variable, "v")->value())});
  const double lr = learning_rate(*adam)->value().as_float().to_vector<float>().front();
  const Json config = adam->get_config();
  const double beta_1 = config["beta_1"], beta_2 = config["beta_2"], epsilon = config["epsilon"];

  const Tensor x = read_npy(*real / kLstmCase / "expected" / "input_0.npy");
  const Tensor y = Tensor::from_vector<float>({0.f, 1.f, 1.f}, {3, 1});
  model->train_on_batch({x}, {y});
  BOOST_TEST(adam->iterations()->value().to_vector<std::int64_t>().front() == 11);

  // Keras's Adam.update_step at local_step t = 11 (iterations + 1), in double here.
  const double t = 11;
  const double alpha = lr * std::sqrt(1 - std::pow(beta_2, t)) / (1 - std::pow(beta_1, t));
  double largest_state_effect = 0;
  for (const auto& b : before) {
    BOOST_TEST_CONTEXT(b.variable->name()) {
      BOOST_TEST_REQUIRE(recorder->gradients.count(b.variable.get()) == 1u);
      const auto g = doubles(recorder->gradients[b.variable.get()]);
      const auto after = doubles(b.variable->value());
      double worst = 0;
      for (std::size_t i = 0; i < g.size(); ++i) {
        const double m = b.m[i] + (g[i] - b.m[i]) * (1 - beta_1);
        const double v = b.v[i] + (g[i] * g[i] - b.v[i]) * (1 - beta_2);
        const double expected = b.w[i] - m * alpha / (std::sqrt(v) + epsilon);
        // float32 rounding: of the weight (2 ulp) and of the step's arithmetic (relative).
        const double tolerance = 2.4e-7 * std::abs(b.w[i]) + 1e-5 * std::abs(b.w[i] - expected) + 1e-12;
        worst = std::max(worst, std::abs(after[i] - expected) / tolerance);
        // What a fresh optimizer (m = v = 0, t = 1) would have done instead.
        const double fresh = b.w[i] - (g[i] * 0.1) * (lr * std::sqrt(1 - beta_2) / (1 - beta_1)) / (std::sqrt(g[i] * g[i] * (1 - beta_2)) + epsilon);
        largest_state_effect = std::max(largest_state_effect, std::abs(fresh - expected));
      }
      BOOST_TEST(worst <= 1.0, "worst deviation from Adam's update, in tolerance units: " << worst);
    }
  }
  BOOST_TEST(largest_state_effect > 1e-5);  // the restored slots changed the step: the test sees them
}

BOOST_AUTO_TEST_CASE(the_tf_checkpoint_format_restores_the_same_state_into_a_compiled_model) {
  auto real = test::real_fixtures();
  KSAVE_REQUIRE_DATA(real, "real fixtures");
  LoadOptions no_compile;
  no_compile.compile = false;
  ModelPtr model = load_model(lstm_folder(*real), no_compile);
  BOOST_TEST_REQUIRE(!model->compiled());
  model->compile_from_training_config(model->training_config());
  const LoadStatus status =
      get_format("tf-checkpoint")->load_weights(*model, lstm_folder(*real) / "variables" / "variables", {});
  // Nothing of the optimizer is unmatched: beta_1, beta_2 and decay are plain numbers of the Keras
  // >= 2.11 optimizer's config, not checkpoint values.
  for (const auto& unmatched : status.unmatched_in_model) BOOST_TEST(unmatched.find("optimizer") == std::string::npos, unmatched);
  for (const auto& unused : status.unused_in_file) BOOST_TEST(unused.find("optimizer") == std::string::npos, unused);
  check_adam_state(*model, lstm_folder(*real));
}

BOOST_AUTO_TEST_CASE(an_untrained_keras_2_11_optimizer_restores_its_counter_and_learning_rate) {
  // python_func_model (TF 2.11) was compiled but never trained: the optimizer holds only
  // _iterations (0) and _learning_rate, restored here into a checkpoint root holding an Adam.
  auto real = test::real_fixtures();
  KSAVE_REQUIRE_DATA(real, "real fixtures");
  const fs::path folder = fixture_folder(*real, "tfnet_kerassm_python_func_model", "python_func_model");
  struct Root : Trackable {
    OptimizerPtr optimizer;
    std::vector<TrackableChild> trackable_children() const override { return {{"optimizer", optimizer}}; }
    std::string trackable_kind() const override { return "root"; }
  };
  auto root = std::make_shared<Root>();
  auto model = std::make_shared<Sequential>(std::vector<LayerPtr>{make_layer("Dense", {{"units", 1}})}, "stand_in");
  model->compile(Json{{"class_name", "Custom>Adam"}, {"config", {{"learning_rate", 0.5}, {"is_legacy_optimizer", false}}}}, "mse");
  root->optimizer = model->optimizer();
  root->optimizer->iterations()->assign_shared(Tensor::from_vector<std::int64_t>({7}, {}));
  auto status = tf::restore_checkpoint(root, folder / "variables" / "variables");
  BOOST_TEST(root->optimizer->iterations()->value().to_vector<std::int64_t>().front() == 0);
  BOOST_TEST(learning_rate(*root->optimizer)->value().to_vector<float>().front() == 0.001f);
  for (const auto& key : status.status().unused_in_file) BOOST_TEST(key.find("optimizer") == std::string::npos, key);
}
