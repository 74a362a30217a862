// Keras >= 2.11 optimizer state ("new" optimizers: optimizer/_iterations, optimizer/_learning_rate,
// optimizer/_variables/N) from the real TF 2.11/2.12 SavedModels: the Adam m/v slots land on the
// right variables with the bundle's values, the step counter and learning rate come back, and
// one more training step is exactly Adam's update from that state (computed here by hand from
// the gradient the step used). The same bundle restores through the TF checkpoint format too.
// Only Adam has a real fixture: the slot layout of every other Keras >= 2.11 optimizer is checked
// on checkpoints written here in that layout.
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
#include "ksave/tf/object_graph.hpp"
#include "ksave/tf/restore.hpp"
#include "savedmodel_fixtures.hpp"
#include "support/compare.hpp"
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
        worst = std::max(worst, test::deviation(after[i], expected, tolerance));  // NaN-safe: a NaN is +inf
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

namespace {

// A Keras list attribute as a checkpoint stores it: children "0", "1", ...
struct ListNode : Trackable {
  std::vector<std::pair<std::string, std::shared_ptr<Trackable>>> items;
  std::vector<TrackableChild> trackable_children() const override {
    std::vector<TrackableChild> out;
    for (const auto& [name, item] : items) out.push_back({name, item});
    return out;
  }
  std::string trackable_kind() const override { return "list"; }
};

// A Keras >= 2.11 optimizer's checkpoint children, and a root holding it beside a model's layers.
struct NewStyleRoot : Trackable {
  std::vector<TrackableChild> model_children;
  std::shared_ptr<ListNode> optimizer = std::make_shared<ListNode>();
  std::vector<TrackableChild> trackable_children() const override {
    auto out = model_children;
    out.push_back({"optimizer", optimizer});
    return out;
  }
  std::string trackable_kind() const override { return "root"; }
};

struct LayoutCase {
  Json optimizer;
  // `_variables/1..` in Keras's build order: "<list>/<variable index>:<ksave slot>" (no slot:
  // Keras keeps it, ksave does not).
  std::vector<std::string> order;
};

ModelPtr small_model() {
  auto model = std::make_shared<Sequential>(
      std::vector<LayerPtr>{make_layer("InputLayer", {{"batch_input_shape", Json::array({nullptr, 2})}}),
                            make_layer("Dense", {{"units", 3}})},
      "layout");
  return model;
}

Json new_style(const std::string& class_name, Json config) {
  config["is_legacy_optimizer"] = false;
  return Json{{"class_name", class_name}, {"config", config}};
}

}  // namespace

// The slot order of each Keras >= 2.11 optimizer's build() (keras/optimizers/optimizer_experimental),
// written by hand as such a checkpoint stores it, restores onto ksave's slots of the same meaning.
BOOST_AUTO_TEST_CASE(every_new_optimizers_slot_lists_restore_onto_ksaves_slots) {
  const std::vector<LayoutCase> cases = {
      {new_style("Adam", {{"amsgrad", true}}),
       {"_momentums/0:m", "_velocities/0:v", "_momentums/1:m", "_velocities/1:v", "_velocity_hats/0:vhat", "_velocity_hats/1:vhat"}},
      {new_style("SGD", {{"momentum", 0.9}}), {"momentums/0:momentum", "momentums/1:momentum"}},
      {new_style("SGD", {{"momentum", 0.0}}), {"momentums/0:", "momentums/1:"}},
      {new_style("RMSprop", {{"momentum", 0.5}, {"centered", true}}),
       {"_velocities/0:rms", "_velocities/1:rms", "_momentums/0:momentum", "_momentums/1:momentum",
        "_average_gradients/0:mg", "_average_gradients/1:mg"}},
      {new_style("RMSprop", Json::object()), {"_velocities/0:rms", "_velocities/1:rms"}},
      {new_style("Adagrad", Json::object()), {"_accumulators/0:accumulator", "_accumulators/1:accumulator"}},
      {new_style("Adadelta", Json::object()),
       {"_accumulated_grads/0:accum_grad", "_accumulated_delta_vars/0:accum_var", "_accumulated_grads/1:accum_grad",
        "_accumulated_delta_vars/1:accum_var"}},
      {new_style("Adamax", Json::object()), {"_m/0:m", "_u/0:v", "_m/1:m", "_u/1:v"}},
      {new_style("Nadam", Json::object()), {"_momentums/0:m", "_velocities/0:v", "_momentums/1:m", "_velocities/1:v"}},
  };
  for (const auto& c : cases) {
    BOOST_TEST_CONTEXT(c.optimizer.dump()) {
      ModelPtr source = small_model();
      const auto trained = source->trainable_weights();  // kernel [2, 3], bias [3]
      auto root = std::make_shared<NewStyleRoot>();
      for (const auto& child : source->trackable_children())
        if (child.name != "optimizer") root->model_children.push_back(child);
      auto all = std::make_shared<ListNode>();
      std::map<std::string, std::shared_ptr<ListNode>> lists;
      auto iterations = std::make_shared<Variable>("iteration:0", Tensor::from_vector<std::int64_t>({42}, {}));
      all->items.push_back({"0", iterations});
      // Slot N holds N everywhere, so a value in the wrong place shows.
      for (std::size_t n = 1; n <= c.order.size(); ++n) {
        const std::string& entry = c.order[n - 1];
        const std::string list = entry.substr(0, entry.find('/'));
        const std::size_t index = std::stoul(entry.substr(list.size() + 1));
        Tensor value(DType::Float32, trained[index]->shape());
        for (float& x : value.values<float>()) x = static_cast<float>(n);
        auto slot = std::make_shared<Variable>(list + "_" + std::to_string(index) + ":0", value);
        all->items.push_back({std::to_string(n), slot});
        auto& node = lists[list];
        if (!node) node = std::make_shared<ListNode>();
        node->items.push_back({std::to_string(index), slot});
      }
      root->optimizer->items = {{"_iterations", iterations},
                                {"_learning_rate", std::make_shared<Variable>("lr:0", Tensor::from_vector<float>({0.25f}, {}))},
                                {"_variables", all}};
      for (const auto& [name, node] : lists) root->optimizer->items.push_back({name, node});
      // Nadam's running momentum product, `_u_product` (ksave's momentum_cache).
      const bool nadam = c.optimizer["class_name"] == "Nadam";
      if (nadam) root->optimizer->items.push_back({"_u_product", std::make_shared<Variable>("u:0", Tensor::from_vector<float>({0.5f}, {}))});
      const fs::path prefix = test::scratch_dir("new_optimizer_layout") / "ckpt";
      tf::write_object_checkpoint(root, prefix);

      ModelPtr target = small_model();
      target->compile(c.optimizer, "mse");
      const auto status = tf::restore_checkpoint(target, prefix).status();
      const auto& optimizer = *target->optimizer();
      BOOST_TEST(optimizer.iterations()->value().to_vector<std::int64_t>().front() == 42);
      BOOST_TEST(learning_rate(optimizer)->value().to_vector<float>().front() == 0.25f);
      if (nadam)
        for (const auto& child : optimizer.trackable_children())
          if (child.name == "momentum_cache")
            BOOST_TEST(std::dynamic_pointer_cast<Variable>(child.object)->value().to_vector<float>().front() == 0.5f);
      std::size_t unused_expected = 0;
      for (std::size_t n = 1; n <= c.order.size(); ++n) {
        const std::string& entry = c.order[n - 1];
        const std::string slot_name = entry.substr(entry.find(':') + 1);
        const std::size_t index = std::stoul(entry.substr(entry.find('/') + 1));
        if (slot_name.empty()) {
          ++unused_expected;
          continue;
        }
        const auto values = slot(optimizer, *target->trainable_weights()[index], slot_name)->value().to_vector<float>();
        BOOST_TEST(std::all_of(values.begin(), values.end(), [&](float x) { return x == static_cast<float>(n); }),
                   entry << " should hold " << n);
      }
      for (const auto& unmatched : status.unmatched_in_model) BOOST_TEST(unmatched.find("optimizer") == std::string::npos, unmatched);
      BOOST_TEST(status.unused_in_file.size() == unused_expected);
      // `_variables/N` and `<list>/i` reach the same values: both namings agree.
      for (const auto& warning : status.warnings) BOOST_TEST(warning.find("two different objects") == std::string::npos, warning);
    }
  }
}
