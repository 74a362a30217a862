// The training engine: compile in its forms, fit/evaluate/train_on_batch/test_on_batch on
// hand-computed steps, metrics resolution, several outputs, added losses and metrics,
// regularizers, constraints, seeded Dropout, callbacks, validation, resumed training and bad
// input. Uses a plain gradient-descent optimizer local to the tests (test_training_support.hpp).
#define BOOST_TEST_MODULE training engine
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <regex>
#include <unistd.h>

#include "ksave/autodiff.hpp"
#include "ksave/format.hpp"
#include "ksave/loss.hpp"
#include "ksave/metric.hpp"
#include "support/test_data.hpp"
#include "test_training_support.hpp"

using namespace ksave;
using namespace training_test;

namespace {

// Captures what the code under test writes to stdout (a file: not a terminal).
class CaptureStdout {
 public:
  CaptureStdout() : path_(ksave::test::scratch_dir("stdout") / "out.txt") {
    std::fflush(stdout);
    saved_ = dup(fileno(stdout));
    FILE* f = std::fopen(path_.c_str(), "w");
    dup2(fileno(f), fileno(stdout));
    std::fclose(f);
  }
  std::string finish() {
    std::fflush(stdout);
    dup2(saved_, fileno(stdout));
    close(saved_);
    std::ifstream in(path_);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }

 private:
  std::filesystem::path path_;
  int saved_;
};

}  // namespace

BOOST_AUTO_TEST_CASE(one_step_matches_hand_computation) {
  // y = w x + b, mse over 2 samples: dL/dw = mean(2 (y - t) x), dL/db = mean(2 (y - t)).
  auto m = linear_model(0.5f, 0.25f);
  m->compile(std::make_shared<PlainDescent>(0.1), {Registry::global().require(Kind::Loss, "mse")->as<LossFactory>()({})});
  const Tensor x = F({1, 2}, {2, 1}), t = F({2, 1}, {2, 1});
  // y = [0.75, 1.25]; errors [-1.25, 0.25]; loss = (1.5625 + 0.0625)/2 = 0.8125
  // dw = (2*-1.25*1 + 2*0.25*2)/2 = -0.75; db = (2*-1.25 + 2*0.25)/2 = -1
  const Logs logs = m->train_on_batch({x}, {t});
  BOOST_TEST(logs.at("loss") == 0.8125, boost::test_tools::tolerance(1e-6));
  const auto w = m->get_weights();
  BOOST_TEST(w[0].item() == 0.5 + 0.1 * 0.75, boost::test_tools::tolerance(1e-6));
  BOOST_TEST(w[1].item() == 0.25 + 0.1 * 1.0, boost::test_tools::tolerance(1e-6));
  BOOST_TEST(m->optimizer()->iterations()->value().item() == 1.0);
  // test_on_batch: the loss with the new weights, no update.
  const double after = m->test_on_batch({x}, {t}).at("loss");
  const double y0 = 0.575 + 0.35, y1 = 2 * 0.575 + 0.35;
  BOOST_TEST(after == ((y0 - 2) * (y0 - 2) + (y1 - 1) * (y1 - 1)) / 2, boost::test_tools::tolerance(1e-5));
  BOOST_TEST(m->get_weights()[0].item() == w[0].item());
}

BOOST_AUTO_TEST_CASE(fit_batches_history_and_evaluate) {
  register_plain_descent();
  auto m = mlp(3, {{8, "tanh"}, {2, "linear"}});
  m->compile(plain(0.1), "mse", Json::array({"mae"}));
  const Tensor x = data({10, 3}, 1), y = data({10, 2}, 2);
  FitOptions o;
  o.batch_size = 4;  // 3 steps: 4, 4, 2
  o.epochs = 5;
  o.verbose = 0;
  o.shuffle = false;
  const History h = m->fit({x}, {y}, o);
  BOOST_TEST(h.epochs.size() == 5u);
  BOOST_TEST(h.history.at("loss").size() == 5u);
  BOOST_TEST(h.history.at("mae").size() == 5u);
  BOOST_TEST(h.history.at("loss").back() < h.history.at("loss").front());
  // evaluate: the sample-weighted mean of batch losses (Keras's Mean with batch-size weights).
  const Logs e = m->evaluate({x}, {y}, 4);
  double expected = 0;
  for (Dim b = 0; b < 10; b += 4) {
    const Dim end = std::min<Dim>(10, b + 4);
    const Tensor p = m->predict(x.slice_rows(b, end));
    const Tensor d = ops::mean(ops::squared_difference(p, y.slice_rows(b, end)));
    expected += d.item() * static_cast<double>(end - b);
  }
  BOOST_TEST(e.at("loss") == expected / 10, boost::test_tools::tolerance(1e-5));
  BOOST_TEST(m->optimizer()->iterations()->value().item() == 15.0);
  // tf.keras 2.x's training_config, with the metrics in their resolved per-output form.
  const Json& tc = m->training_config();
  BOOST_TEST(tc["loss"] == "mse");
  BOOST_TEST(tc["metrics"].dump() ==
             R"([[{"class_name":"MeanMetricWrapper","config":{"name":"mae","dtype":"float32","fn":"mean_absolute_error"}}]])");
  BOOST_TEST(tc["optimizer_config"]["class_name"] == "PlainDescent");
  std::vector<std::string> keys;
  for (const auto& [k, _] : tc.items()) keys.push_back(k);
  BOOST_TEST(keys == (std::vector<std::string>{"loss", "metrics", "weighted_metrics", "loss_weights", "optimizer_config"}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(accuracy_resolved_from_shapes_as_keras_does) {
  register_plain_descent();
  struct Case {
    Dim units;
    std::string activation, loss;
    Tensor y;
    std::string fn;
  };
  const std::vector<Case> cases{
      {1, "sigmoid", "binary_crossentropy", F({1, 0, 1, 0}, {4, 1}), "binary_accuracy"},
      {3, "softmax", "categorical_crossentropy", F({1, 0, 0, 0, 1, 0, 0, 0, 1, 1, 0, 0}, {4, 3}), "categorical_accuracy"},
      {3, "softmax", "sparse_categorical_crossentropy", F({0, 1, 2, 0}, {4, 1}), "sparse_categorical_accuracy"},
      {3, "softmax", "sparse_categorical_crossentropy", F({0, 1, 2, 0}, {4}), "sparse_categorical_accuracy"},
  };
  for (const auto& c : cases) {
    auto m = mlp(2, {{c.units, c.activation}});
    m->compile(plain(0.1), c.loss, Json::array({"accuracy", "acc"}));
    const Tensor x = data({4, 2}, 3);
    const Logs logs = m->test_on_batch({x}, {c.y});
    BOOST_TEST(m->training_config()["metrics"][0][0]["config"]["fn"] == c.fn, c.loss);
    BOOST_TEST(m->training_config()["metrics"][0][1]["config"]["name"] == "acc");
    // The value: the fraction of samples predicted right, computed here directly.
    const Tensor p = m->predict(x);
    double right = 0;
    for (Dim i = 0; i < 4; ++i) {
      if (c.units == 1) right += ((p.item(i) > 0.5) == (c.y.item(i) > 0.5));
      else {
        Dim best = 0;
        for (Dim k = 1; k < 3; ++k) if (p.item(i * 3 + k) > p.item(i * 3 + best)) best = k;
        const double label = c.fn == "categorical_accuracy" ? c.y.item(i * 3 + best) : (c.y.item(i) == best);
        right += label;
      }
    }
    BOOST_TEST(logs.at("accuracy") == right / 4, boost::test_tools::tolerance(1e-6));
    BOOST_TEST(logs.at("acc") == right / 4, boost::test_tools::tolerance(1e-6));
  }
}

BOOST_AUTO_TEST_CASE(several_outputs_weighted_losses_and_names) {
  register_plain_descent();
  const KerasTensor in = Input({3});
  const KerasTensor h = (*make_layer("Dense", {{"units", 4}, {"activation", "tanh"}, {"name", "hidden"}}))(in);
  const KerasTensor a = (*make_layer("Dense", {{"units", 2}, {"name", "reg"}}))(h);
  const KerasTensor b = (*make_layer("Dense", {{"units", 1}, {"activation", "sigmoid"}, {"name", "cls"}}))(h);
  auto m = std::make_shared<Functional>(KerasTensors{in}, KerasTensors{a, b});
  set_deterministic_weights(*m);
  m->compile(plain(0.05), Json{{"reg", "mse"}, {"cls", "binary_crossentropy"}}, Json{{"cls", Json::array({"accuracy"})}},
             Json::array({0.5, 2.0}));
  const Tensor x = data({6, 3}, 4), ya = data({6, 2}, 5), yb = F({1, 0, 1, 1, 0, 0}, {6, 1});
  const Logs logs = m->test_on_batch({x}, {ya, yb});
  const Tensors p = m->predict(Tensors{x});
  const double mse = ops::mean(ops::squared_difference(p[0], ya)).item();
  const double bce = ops::mean(Registry::global().require(Kind::Loss, "binary_crossentropy")->as<LossFactory>()({})
                                   ->per_sample(yb, p[1])).item();
  BOOST_TEST(logs.at("reg_loss") == mse, boost::test_tools::tolerance(1e-5));
  BOOST_TEST(logs.at("cls_loss") == bce, boost::test_tools::tolerance(1e-5));
  BOOST_TEST(logs.at("loss") == 0.5 * mse + 2.0 * bce, boost::test_tools::tolerance(1e-5));
  BOOST_TEST(logs.count("cls_accuracy") == 1u);
  BOOST_TEST(m->training_config()["loss_weights"].dump() == "[0.5,2.0]");
  FitOptions o;
  o.verbose = 0;
  o.epochs = 3;
  o.batch_size = 6;
  const History hist = m->fit({x}, {ya, yb}, o);
  BOOST_TEST(hist.history.at("loss").back() < hist.history.at("loss").front());
  BOOST_CHECK_THROW(m->compile(plain(0.1), Json::array({"mse"})), Error);  // one loss for two outputs
  BOOST_CHECK_THROW(m->compile(plain(0.1), Json{{"nope", "mse"}}), Error);
}

BOOST_AUTO_TEST_CASE(regularizers_added_losses_and_metrics) {
  register_plain_descent();
  auto m = std::make_shared<Sequential>(std::vector<LayerPtr>{
      Input({2}).layer(),
      make_layer("Dense", {{"units", 2}, {"kernel_regularizer", {{"class_name", "L2"}, {"config", {{"l2", 0.1}}}}}})});
  set_deterministic_weights(*m);
  m->compile(plain(0.1), "mse");
  m->add_loss([](const Tensors&, const Tensors& outputs) { return ops::mul(ops::mean(ops::abs(outputs[0])), 0.5); });
  m->add_metric([](const Tensors& inputs, const Tensors&) { return ops::mean(inputs[0]); }, "input_mean");
  const Tensor x = data({4, 2}, 6), y = data({4, 2}, 7);
  const Logs logs = m->test_on_batch({x}, {y});
  const Tensor p = m->predict(x);
  const Tensor kernel = m->get_weights()[0];
  const double expected = ops::mean(ops::squared_difference(p, y)).item() +
                          0.1 * ops::sum(ops::square(kernel)).item() + 0.5 * ops::mean(ops::abs(p)).item();
  BOOST_TEST(logs.at("loss") == expected, boost::test_tools::tolerance(1e-5));
  BOOST_TEST(logs.at("input_mean") == ops::mean(x).item(), boost::test_tools::tolerance(1e-6));
  // The penalty's gradient is part of the step: one step equals the hand-taped one.
  std::vector<Tensor> before = m->get_weights();
  Tensors expected_after;
  {
    auto vars = m->trainable_weights();
    GradientTape tape;
    const Tensor out = (*m)(Tensors{x})[0];
    const Tensor loss = ops::add(ops::add(ops::mean(ops::squared_difference(out, y)),
                                          ops::mul(ops::sum(ops::square(vars[0]->value())), 0.1)),
                                 ops::mul(ops::mean(ops::abs(out)), 0.5));
    const auto g = tape.gradient(loss, vars);
    for (std::size_t i = 0; i < vars.size(); ++i) expected_after.push_back(ops::sub(before[i], ops::mul(g[i], 0.1)));
  }
  m->train_on_batch({x}, {y});
  for (std::size_t i = 0; i < expected_after.size(); ++i)
    BOOST_TEST(max_abs_difference(m->get_weights()[i], expected_after[i]) < 1e-6);
}

BOOST_AUTO_TEST_CASE(constraints_apply_after_each_update) {
  auto m = std::make_shared<Sequential>(std::vector<LayerPtr>{
      Input({2}).layer(), make_layer("Dense", {{"units", 3}, {"kernel_constraint", "non_neg"}})});
  set_deterministic_weights(*m);
  // The optimizer applies constraints after its update (OptimizerV2), so use a real one.
  m->compile(Json{{"class_name", "SGD"}, {"config", {{"learning_rate", 0.5}}}}, "mse");
  FitOptions o;
  o.verbose = 0;
  o.epochs = 3;
  o.batch_size = 2;
  m->fit({data({6, 2}, 8)}, {ops::mul(data({6, 3}, 9), 5.0)}, o);
  for (float v : m->get_weights()[0].to_vector<float>()) BOOST_TEST(v >= 0.f);
}

BOOST_AUTO_TEST_CASE(dropout_is_seeded_and_active_in_training_only) {
  register_plain_descent();
  auto build = [] {
    auto m = std::make_shared<Sequential>(std::vector<LayerPtr>{
        Input({4}).layer(), make_layer("Dense", {{"units", 8}, {"activation", "relu"}}),
        make_layer("Dropout", {{"rate", 0.5}, {"seed", 42}}), make_layer("Dense", {{"units", 1}})});
    set_deterministic_weights(*m);
    m->compile(plain(0.1), "mse");
    return m;
  };
  const Tensor x = data({8, 4}, 10), y = data({8, 1}, 11);
  FitOptions o;
  o.verbose = 0;
  o.epochs = 2;
  o.batch_size = 4;
  o.shuffle = false;
  auto m1 = build(), m2 = build();
  m1->fit({x}, {y}, o);
  m2->fit({x}, {y}, o);
  for (std::size_t i = 0; i < m1->get_weights().size(); ++i)
    BOOST_TEST(max_abs_difference(m1->get_weights()[i], m2->get_weights()[i]) == 0.0);
  // Training uses the mask: the training-mode loss differs from evaluate's (inference, no mask).
  auto m3 = build();
  const double train_loss = m3->fit({x}, {y}, [&] { FitOptions f = o; f.epochs = 1; f.batch_size = 8; return f; }())
                                .history.at("loss")[0];
  auto m4 = build();
  const double eval_loss = m4->evaluate({x}, {y}, 8).at("loss");
  BOOST_TEST(train_loss != eval_loss);
}

BOOST_AUTO_TEST_CASE(progress_output_as_keras_prints_it) {
  register_plain_descent();
  auto m = mlp(2, {{1, "linear"}});
  m->compile(plain(0.01), "mse", Json::array({"mae"}));
  const Tensor x = data({8, 2}, 12), y = data({8, 1}, 13);
  FitOptions o;
  o.batch_size = 2;
  o.epochs = 2;
  o.shuffle = false;
  auto run = [&](int verbose) {
    o.verbose = verbose;
    CaptureStdout capture;
    m->fit({x}, {y}, o);
    return capture.finish();
  };
  const std::string v1 = run(1), v2 = run(2), v0 = run(0);
  BOOST_TEST_MESSAGE("verbose 1:\n" << v1 << "verbose 2:\n" << v2);
  const std::regex line1(R"(Epoch 1/2\n4/4 \[==============================\] - \d+s \d+(us|ms|s)/step - loss: \d\.\d{4}(e-\d\d)? - mae: \d\.\d{4}(e-\d\d)?\nEpoch 2/2\n4/4 \[=+\] - \d+s \d+(us|ms|s)/step - loss: [^\n]*\n)");
  BOOST_TEST(std::regex_match(v1, line1), v1);
  const std::regex line2(R"(Epoch 1/2\n4/4 - \d+s - loss: \d\.\d{4}(e-\d\d)? - mae: [0-9.e-]+ - \d+(us|ms|s)/epoch - \d+(us|ms|s)/step\nEpoch 2/2\n4/4 - [^\n]*/step\n)");
  BOOST_TEST(std::regex_match(v2, line2), v2);
  BOOST_TEST(v0.empty());
  // Several-digit targets are right-aligned as Keras's "%{digits}d/%d".
  o.batch_size = 1;
  o.epochs = 1;
  o.verbose = 1;
  CaptureStdout capture;
  m->fit({x}, {y}, o);
  BOOST_TEST(capture.finish().rfind("8/8 [", 0) == 0u);
}

namespace {

struct Recorder : Callback {
  std::vector<std::string> events;
  void on_train_begin(Model&) override { events.push_back("train_begin"); }
  void on_train_end(Model&) override { events.push_back("train_end"); }
  void on_epoch_begin(Model&, int e) override { events.push_back("epoch_begin " + std::to_string(e)); }
  void on_epoch_end(Model&, int e, const Logs& logs) override {
    events.push_back("epoch_end " + std::to_string(e) + (logs.count("val_loss") ? " val" : ""));
  }
  void on_train_batch_end(Model&, int b, const Logs&) override { events.push_back("batch " + std::to_string(b)); }
};

// A format local to the test that writes the first weight's value into a text file, so
// ModelCheckpoint can be checked without depending on the format plugins.
class TextWeightsFormat : public Format {
 public:
  std::string name() const override { return "test-text-weights"; }
  std::vector<Capability> capabilities() const override { return {Capability::SaveModel, Capability::SaveWeights}; }
  bool sniff(const std::filesystem::path&) const override { return false; }
  void save_model(const Model& m, const std::filesystem::path& p, const SaveOptions& o) override { save_weights(m, p, o); }
  void save_weights(const Model& m, const std::filesystem::path& p, const SaveOptions&) override {
    std::ofstream(p) << m.get_weights()[0].item();
  }
};

void register_text_format() {
  static bool done = [] {
    ClassEntry e;
    e.kind = Kind::Format;
    e.class_name = "test-text-weights";
    e.factory = FormatFactory([]() -> FormatPtr { return std::make_shared<TextWeightsFormat>(); });
    Registry::global().add(e);
    return true;
  }();
  (void)done;
}

}  // namespace

BOOST_AUTO_TEST_CASE(user_callback_validation_split_and_validation_data) {
  register_plain_descent();
  auto m = mlp(2, {{1, "linear"}});
  m->compile(plain(0.05), "mse");
  const Tensor x = data({10, 2}, 14), y = data({10, 1}, 15);
  auto rec = std::make_shared<Recorder>();
  FitOptions o;
  o.verbose = 0;
  o.epochs = 2;
  o.batch_size = 4;
  o.validation_split = 0.2;  // the last 2 samples; 8 train samples in 2 batches
  o.callbacks = {rec};
  const History h = m->fit({x}, {y}, o);
  BOOST_TEST(rec->events == (std::vector<std::string>{"train_begin", "epoch_begin 0", "batch 0", "batch 1",
                                                      "epoch_end 0 val", "epoch_begin 1", "batch 0", "batch 1",
                                                      "epoch_end 1 val", "train_end"}),
             boost::test_tools::per_element());
  // val_loss is evaluate on the last 20 %, with the weights at the end of the epoch.
  BOOST_TEST(h.history.at("val_loss").back() == m->evaluate({x.slice_rows(8, 10)}, {y.slice_rows(8, 10)}).at("loss"),
             boost::test_tools::tolerance(1e-6));
  FitOptions v = o;
  v.validation_split = 0;
  v.callbacks.clear();
  v.validation_x = {x.slice_rows(0, 3)};
  v.validation_y = {y.slice_rows(0, 3)};
  const History h2 = m->fit({x}, {y}, v);
  BOOST_TEST(h2.history.at("val_loss").back() == m->evaluate(Tensors(v.validation_x), Tensors(v.validation_y)).at("loss"),
             boost::test_tools::tolerance(1e-6));
}

BOOST_AUTO_TEST_CASE(early_stopping_and_restore_best_weights) {
  register_plain_descent();
  // A learning rate that makes the loss grow: the best epoch is the first.
  auto m = mlp(2, {{1, "linear"}});
  m->compile(plain(3.0), "mse");
  const Tensor x = ops::mul(data({8, 2}, 16), 2.0), y = data({8, 1}, 17);
  EarlyStoppingOptions eo;
  eo.monitor = "loss";
  eo.patience = 2;
  eo.restore_best_weights = true;
  auto early = std::make_shared<EarlyStopping>(eo);
  std::vector<std::vector<Tensor>> weights_per_epoch;
  struct Snap : Callback {
    std::vector<std::vector<Tensor>>* out;
    void on_epoch_end(Model& model, int, const Logs&) override { out->push_back(model.get_weights()); }
  };
  auto snap = std::make_shared<Snap>();
  snap->out = &weights_per_epoch;
  FitOptions o;
  o.verbose = 0;
  o.epochs = 20;
  o.batch_size = 8;
  o.callbacks = {snap, early};
  const History h = m->fit({x}, {y}, o);
  BOOST_TEST_REQUIRE(h.history.at("loss").size() == 3u);  // epoch 0 best, 1 and 2 worse → stop at 2
  BOOST_TEST(h.history.at("loss")[1] > h.history.at("loss")[0]);
  BOOST_TEST(early->stopped_epoch() == 2);
  BOOST_TEST(early->best_epoch() == 0);
  for (std::size_t i = 0; i < m->get_weights().size(); ++i)
    BOOST_TEST(max_abs_difference(m->get_weights()[i], weights_per_epoch[0][i]) == 0.0);
}

BOOST_AUTO_TEST_CASE(model_checkpoint_paths_and_best_only) {
  register_plain_descent();
  register_text_format();
  BOOST_TEST(format_keras_path("w-{epoch:02d}-{val_loss:.2f}.h5", {{"epoch", 3}, {"val_loss", 0.12345}}) == "w-03-0.12.h5");
  BOOST_TEST(format_keras_path("e{epoch}_{{x}}", {{"epoch", 12}}) == "e12_{x}");
  BOOST_CHECK_THROW(format_keras_path("{nope}", {{"epoch", 1}}), Error);
  const auto dir = ksave::test::scratch_dir("checkpoint");
  auto m = mlp(2, {{1, "linear"}});
  m->compile(plain(3.0), "mse");  // the loss grows after the first epoch
  ModelCheckpointOptions co;
  co.monitor = "loss";
  co.save_best_only = true;
  co.format = "test-text-weights";
  auto best = std::make_shared<ModelCheckpoint>((dir / "best-{epoch:02d}.txt").string(), co);
  co.save_best_only = false;
  co.save_weights_only = true;
  auto every = std::make_shared<ModelCheckpoint>((dir / "every-{epoch}-{loss:.3f}.txt").string(), co);
  FitOptions o;
  o.verbose = 0;
  o.epochs = 3;
  o.batch_size = 8;
  o.callbacks = {best, every};
  const History h = m->fit({ops::mul(data({8, 2}, 16), 2.0)}, {data({8, 1}, 17)}, o);
  BOOST_TEST(best->saved() == std::vector<std::string>{(dir / "best-01.txt").string()}, boost::test_tools::per_element());
  BOOST_TEST(every->saved().size() == 3u);
  char name[64];
  std::snprintf(name, sizeof name, "every-3-%.3f.txt", h.history.at("loss")[2]);
  BOOST_TEST(std::filesystem::exists(dir / name));
}

BOOST_AUTO_TEST_CASE(interrupted_training_resumes_bit_identically) {
  register_plain_descent();
  const Tensor x = data({12, 3}, 18), y = data({12, 2}, 19);
  FitOptions o;
  o.verbose = 0;
  o.batch_size = 5;
  o.shuffle = true;
  o.seed = 1234;
  std::vector<Json> optimizers{plain(0.05)};
  for (const char* name : {"SGD", "Adam", "RMSprop", "Adagrad", "Adadelta", "Adamax", "Nadam"})
    optimizers.push_back(Json{{"class_name", name}, {"config", Json::object()}});
  optimizers.push_back(Json{{"class_name", "SGD"}, {"config", {{"momentum", 0.9}, {"nesterov", true}}}});
  for (const Json& opt : optimizers) {
    BOOST_TEST_CONTEXT(opt.dump()) {
      auto fresh = [&] {
        auto m = mlp(3, {{6, "tanh"}, {2, "linear"}});
        m->compile(opt, "mse");
        return m;
      };
      auto straight = fresh();
      o.epochs = 4;
      straight->fit({x}, {y}, o);

      auto first = fresh();
      o.epochs = 2;
      first->fit({x}, {y}, o);
      // Copy the model's weights and the optimizer's state into a fresh model and optimizer.
      auto second = fresh();
      second->set_weights(first->get_weights());
      second->optimizer()->build(second->trainable_weights());
      const auto from = first->optimizer()->variables(), to = second->optimizer()->variables();
      BOOST_TEST_REQUIRE(from.size() == to.size());
      for (std::size_t i = 0; i < from.size(); ++i) to[i]->assign(from[i]->value());
      // Epochs 3 and 4 shuffle as the uninterrupted run's did (per-epoch streams from the seed).
      FitOptions rest = o;
      rest.initial_epoch = 2;
      rest.epochs = 4;
      second->fit({x}, {y}, rest);
      for (std::size_t i = 0; i < straight->get_weights().size(); ++i)
        BOOST_TEST(max_abs_difference(second->get_weights()[i], straight->get_weights()[i]) == 0.0);
      const auto a = straight->optimizer()->variables(), b = second->optimizer()->variables();
      for (std::size_t i = 0; i < a.size(); ++i) BOOST_TEST(max_abs_difference(a[i]->value(), b[i]->value()) == 0.0);
    }
  }
}

BOOST_AUTO_TEST_CASE(training_config_of_every_generation) {
  register_plain_descent();
  auto m = mlp(4, {{3, "softmax"}});
  // tf.keras 2.x after build: per-output lists of serialized MeanMetricWrapper dicts.
  const Json tf2 = Json::parse(R"({"loss": "sparse_categorical_crossentropy",
      "metrics": [[{"class_name": "MeanMetricWrapper", "config": {"name": "accuracy", "dtype": "float32",
                    "fn": "sparse_categorical_accuracy"}}]],
      "weighted_metrics": null, "loss_weights": null,
      "optimizer_config": {"class_name": "PlainDescent", "config": {"learning_rate": 0.1}}})");
  m->compile_from_training_config(tf2);
  BOOST_TEST(m->training_config() == tf2);
  const Logs logs = m->test_on_batch({data({4, 4}, 20)}, {F({0, 1, 2, 1}, {4, 1})});
  BOOST_TEST(logs.count("accuracy") == 1u);
  // Keras 2.1 (lr, metrics null, sample_weight_mode), loss as a dict, tfjs's {} metrics.
  const Json old = Json::parse(R"({"metrics": null, "loss": {"class_name": "CategoricalCrossentropy",
      "config": {"from_logits": false, "label_smoothing": 0.1}}, "optimizer_config": {"class_name": "PlainDescent",
      "config": {"lr": 0.5, "decay": 0.0}}, "loss_weights": null, "sample_weight_mode": null})");
  m->compile_from_training_config(old);
  BOOST_TEST(m->losses().at(0)->get_config()["label_smoothing"] == 0.1);
  BOOST_TEST(m->optimizer()->get_config()["learning_rate"] == 0.5);
  m->compile_from_training_config(Json::parse(R"({"loss": "categorical_crossentropy", "metrics": {},
      "optimizer_config": {"class_name": "PlainDescent", "config": {"learningRate": 0.1}}})"));
  BOOST_TEST(m->metrics().empty());
  // Keras 2.11's new optimizers are written as "Custom>Adam" with is_legacy_optimizer false.
  m->compile_from_training_config(Json::parse(R"({"loss": "mean_squared_error", "metrics": null,
      "weighted_metrics": null, "loss_weights": null, "optimizer_config": {"class_name": "Custom>Adam",
      "config": {"name": "Adam", "weight_decay": null, "clipnorm": null, "global_clipnorm": null, "clipvalue": null,
      "use_ema": false, "ema_momentum": 0.99, "ema_overwrite_frequency": null, "jit_compile": true,
      "is_legacy_optimizer": false, "learning_rate": 0.004999999888241291, "beta_1": 0.9, "beta_2": 0.999,
      "epsilon": 1e-07, "amsgrad": false}}})"));
  BOOST_TEST(m->optimizer()->class_name() == "Adam");
  BOOST_CHECK_THROW(m->compile_from_training_config(Json::parse(R"({"loss": "mse"})")), Error);
}

BOOST_AUTO_TEST_CASE(bad_input_gives_clear_errors) {
  register_plain_descent();
  auto m = mlp(3, {{2, "softmax"}});
  const Tensor x = data({4, 3}, 21), y = F({1, 0, 0, 1, 1, 0, 0, 1}, {4, 2});
  expect_error([&] { m->fit({x}, {y}); }, "must be compiled");
  expect_error([&] { m->compile(plain(0.1), "mean_sqared_error"); }, "mean_sqared_error");
  expect_error([&] { m->compile(Json("no_such_optimizer"), "mse"); }, "no_such_optimizer");
  m->compile(plain(0.1), "sparse_categorical_crossentropy");
  FitOptions o;
  o.verbose = 0;
  expect_error([&] { m->fit({data({4, 5}, 1)}, {F({0, 1, 1, 0}, {4})}, o); }, "expects shape");
  expect_error([&] { m->fit({x}, {F({0, 1, 1}, {3})}, o); }, "same number of samples");
  expect_error([&] { m->fit({x, x}, {F({0, 1, 1, 0}, {4})}, o); }, "1 inputs, 2 input arrays");
  expect_error([&] { m->fit({x}, {F({0, 1, 2, 0}, {4})}, o); }, "received a label value of 2");
  o.batch_size = 0;
  BOOST_CHECK_THROW(m->fit({x}, {F({0, 1, 1, 0}, {4})}, o), Error);
  // NaN in the data: Keras trains on it and reports a NaN loss (no check, no crash); ksave does
  // the same. TerminateOnNaN-like behaviour is a callback's job.
  m->compile(plain(0.1), "categorical_crossentropy");
  Tensor bad = x.clone();
  bad.data<float>()[0] = NAN;
  o.batch_size = 4;
  const History h = m->fit({bad}, {y}, o);
  BOOST_TEST(std::isnan(h.history.at("loss")[0]));
}
