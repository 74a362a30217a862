// The tfjs oracle's training cases (../shared/oracle/cases-sample/train_*) whose update rule is
// tf.keras 2.x's (keras_equivalent.keras2_legacy), or else Keras >= 2.11's (keras_new, run with
// a new-optimizer config): build from model.json, set the initial
// weights, compile with the case's Keras optimizer and loss, fit(batch_size = N, epochs = 3,
// shuffle = false), and compare each step's gradients (step_K.grads.bin), weights after the
// step (step_K.weights.bin) and reported loss with the recording. Every such case of the sample
// must run: a layer or optimizer class no plugin provides fails it.
#define BOOST_TEST_MODULE training oracle cases
#include <boost/test/unit_test.hpp>

#include <fstream>
#include <sstream>

#include "ksave/loss.hpp"
#include "ksave/registry.hpp"
#include "ksave/serialization.hpp"
#include "support/compare.hpp"
#include "support/oracle_case.hpp"
#include "support/test_data.hpp"
#include "test_training_support.hpp"

using namespace ksave;
using ksave::test::OracleCase;

namespace {

// Forwards to the real optimizer and keeps each step's gradients by variable.
class RecordingOptimizer : public Optimizer {
 public:
  explicit RecordingOptimizer(OptimizerPtr inner) : inner_(std::move(inner)) {}
  std::string class_name() const override { return inner_->class_name(); }
  Json get_config() const override { return inner_->get_config(); }
  void apply_gradients(const std::vector<std::pair<Tensor, VariablePtr>>& gv) override {
    std::map<const Variable*, Tensor> step;
    for (const auto& [g, v] : gv) step[v.get()] = g.clone();
    steps.push_back(std::move(step));
    inner_->apply_gradients(gv);
  }
  VariablePtr iterations() const override { return inner_->iterations(); }
  std::vector<std::pair<std::string, VariablePtr>> slots(const Variable& v) const override { return inner_->slots(v); }
  void build(const std::vector<VariablePtr>& vars) override { inner_->build(vars); }
  std::vector<VariablePtr> variables() const override { return inner_->variables(); }
  std::vector<std::map<const Variable*, Tensor>> steps;

 private:
  OptimizerPtr inner_;
};

std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// The gradients of step K from step_K.grads.bin in grads.json order (all trainable weights).
std::vector<std::pair<std::string, Tensor>> oracle_grads(const OracleCase& c, const std::string& file) {
  const Json index = Json::parse(read_file(c.dir / c.info["train"].value("grads_index", "grads.json")));
  const std::string bytes = read_file(c.dir / file);
  std::vector<std::pair<std::string, Tensor>> out;
  for (const Json& e : index.at("weights")) {
    const Shape shape = e.at("shape").get<Shape>();
    const auto offset = e.at("offset_bytes").get<std::size_t>();
    Tensor t(DType::Float32, shape);
    if (offset + t.nbytes() > bytes.size()) throw Error(file + ": too short for " + e.dump());
    std::memcpy(t.raw_data(), bytes.data() + offset, t.nbytes());
    out.emplace_back(e.at("layer").get<std::string>() + "/" + e.at("name").get<std::string>(), t);
  }
  return out;
}

Tensors read_arrays(const OracleCase& c, const Json& list) {
  Tensors out;
  for (const Json& a : list) out.push_back(c.read_bin(a.at("file").get<std::string>(), a.at("shape").get<Shape>()));
  return out;
}

// Runs one case with the optimizer config `opt_json`: every step's gradients, weights and loss
// against the recording.
void run_case(const OracleCase& c, const Json& opt_json) {
  const std::string name = c.dir.filename().string();
  const Json& train = c.info.at("train");
  ModelPtr model = model_from_json(c.model_json);
  c.assign_weights(*model);
  auto optimizer = std::make_shared<RecordingOptimizer>(
      Registry::global().require(Kind::Optimizer, opt_json["class_name"].get<std::string>())->as<OptimizerFactory>()(
          opt_json.at("config")));
  const LossPtr loss = Registry::global().require(Kind::Loss, train.at("loss").at("keras").get<std::string>())
                           ->as<LossFactory>()(Json::object());
  model->compile(optimizer, {loss});

  const Tensors x = read_arrays(c, train.at("x")), y = read_arrays(c, train.at("y"));
  // One snapshot of the weights after each step (one step per epoch: the batch is the whole set).
  struct Snapshots : Callback {
    std::vector<std::vector<Tensor>> weights;
    void on_epoch_end(Model& m, int, const Logs&) override { weights.push_back(m.get_weights()); }
  };
  auto snapshots = std::make_shared<Snapshots>();
  FitOptions o;
  o.batch_size = train.at("fit").at("batch_size").get<std::int64_t>();
  o.epochs = train.at("fit").at("epochs").get<int>();
  o.shuffle = false;
  o.verbose = 0;
  o.callbacks = {snapshots};
  const History history = model->fit(x, y, o);

  const auto& steps = train.at("steps");
  const test::Tolerance tolerance{c.rtol, c.atol};
  BOOST_TEST_REQUIRE(optimizer->steps.size() == steps.size());
  const auto trainable = model->trainable_weights();
  for (std::size_t k = 0; k < steps.size(); ++k) {
    const Json& step = steps[k];
    BOOST_TEST_CONTEXT(name << " step " << step.at("step")) {
      // Gradients: ours in trainable-weight order against grads.json's order.
      const auto expected_grads = oracle_grads(c, step.at("grads_file").get<std::string>());
      BOOST_TEST_REQUIRE(expected_grads.size() == trainable.size());
      for (std::size_t i = 0; i < trainable.size(); ++i) {
        const auto& [label, expected] = expected_grads[i];
        auto it = optimizer->steps[k].find(trainable[i].get());
        BOOST_TEST_REQUIRE((it != optimizer->steps[k].end()), "no gradient for " << trainable[i]->name());
        BOOST_TEST_REQUIRE(it->second.shape() == expected.shape());
        BOOST_TEST(test::close(it->second, expected, tolerance), "gradient of " << trainable[i]->name() << " (oracle " << label << ")");
      }
      // Weights after the step: all of them (trainable first, as get_weights orders them), against
      // a twin model given the recorded values.
      ModelPtr twin = model_from_json(c.model_json);
      c.assign_weights(*twin, step.at("weights_file").get<std::string>());
      const auto expected_weights = twin->get_weights();
      const auto names = twin->weights();
      BOOST_TEST_REQUIRE(expected_weights.size() == snapshots->weights[k].size());
      for (std::size_t i = 0; i < expected_weights.size(); ++i) {
        BOOST_TEST(test::close(snapshots->weights[k][i], expected_weights[i], tolerance), "weight " << names[i]->name());
      }
      const double expected_loss = step.at("loss_before_update").get<double>();
      BOOST_TEST(test::close({history.history.at("loss")[k]}, {expected_loss}, tolerance), "loss");
    }
  }
}

}  // namespace

BOOST_AUTO_TEST_CASE(oracle_training_cases) {
  const auto dir = ksave::test::oracle_dir();
  KSAVE_REQUIRE_DATA(dir, "the tfjs oracle");
  int legacy = 0, keras_new = 0, neither = 0;
  for (const auto& path : ksave::test::oracle_cases(*dir)) {
    if (path.filename().string().rfind("train_", 0) != 0) continue;
    const OracleCase c = OracleCase::load(path);
    const Json& equivalent = c.info.at("train").at("keras_equivalent");
    Json optimizer = c.info.at("train").at("optimizer").at("keras");
    if (equivalent.value("keras2_legacy", false)) {
      ++legacy;
    } else if (equivalent.value("keras_new", false)) {
      optimizer["config"]["weight_decay"] = nullptr;  // a Keras >= 2.11 config: the new update rules
      ++keras_new;
    } else {
      BOOST_TEST_MESSAGE("not checked " << path.filename().string() << ": tfjs's update is no Keras optimizer's");
      ++neither;
      continue;
    }
    BOOST_TEST_CONTEXT(path.filename().string()) { run_case(c, optimizer); }
  }
  BOOST_TEST_MESSAGE("oracle training cases: " << legacy << " with tf.keras 2.x rules, " << keras_new
                                               << " with Keras >= 2.11 rules, " << neither << " not Keras-equivalent");
  // cases-sample has 16 training cases; the oracle README's table lists the exceptions:
  // train_rmsprop_mse follows the new rules only, train_adam_default_eps_cce no Keras rule.
  BOOST_TEST(legacy == 14);
  BOOST_TEST(keras_new == 1);
  BOOST_TEST(neither == 1);
}
