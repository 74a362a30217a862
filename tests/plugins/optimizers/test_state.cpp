// Optimizer state: the names and order tf.keras 2.x gives `iter`, the hyperparameters and the
// slots (checked against a real TF checkpoint listing), and resuming: copying variables() into a
// fresh optimizer gives bit-identical next steps for every optimizer and option.
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <cstring>
#include <fstream>
#include <map>
#include <set>

#include "ksave/error.hpp"
#include "optimizer_test_support.hpp"
#include "support/test_data.hpp"

using ksave::Json;
using ksave::VariablePtr;
using ksave::test::make_optimizer;
using ksave::test::make_variable;
using ksave::test::names;

namespace {

std::vector<std::string> child_names(const ksave::Optimizer& opt) {
  std::vector<std::string> out;
  for (const auto& c : opt.trackable_children()) out.push_back(c.name);
  return out;
}

std::vector<std::string> slot_names(const ksave::Optimizer& opt, const ksave::Variable& v) {
  std::vector<std::string> out;
  for (const auto& [name, slot] : opt.slots(v)) out.push_back(name + "=" + slot->name());
  return out;
}

}  // namespace

BOOST_AUTO_TEST_CASE(variable_names_and_order_follow_optimizer_v2) {
  auto kernel = make_variable("dense/kernel:0", {1.0f, 2.0f});
  auto bias = make_variable("dense/bias:0", {0.5f});
  const auto order = [&](const std::string& class_name, const Json& config) {
    auto opt = make_optimizer(class_name, config);
    opt->build({kernel, bias});
    return names(opt->variables());
  };
  using V = std::vector<std::string>;
  // One loop per slot kind: all m, then all v (tf.keras 2.x H5 optimizer_weights show this order).
  BOOST_TEST(order("Adam", Json::object()) == V({"Adam/iter:0", "Adam/dense/kernel/m:0", "Adam/dense/bias/m:0",
                                                 "Adam/dense/kernel/v:0", "Adam/dense/bias/v:0"}),
             boost::test_tools::per_element());
  BOOST_TEST(order("Adam", {{"amsgrad", true}}).back() == "Adam/dense/bias/vhat:0");
  BOOST_TEST(order("SGD", Json::object()) == V({"SGD/iter:0"}), boost::test_tools::per_element());
  BOOST_TEST(order("SGD", {{"momentum", 0.9}}) == V({"SGD/iter:0", "SGD/dense/kernel/momentum:0", "SGD/dense/bias/momentum:0"}),
             boost::test_tools::per_element());
  BOOST_TEST(order("RMSprop", {{"momentum", 0.5}, {"centered", true}}) ==
                 V({"RMSprop/iter:0", "RMSprop/dense/kernel/rms:0", "RMSprop/dense/bias/rms:0", "RMSprop/dense/kernel/momentum:0",
                    "RMSprop/dense/bias/momentum:0", "RMSprop/dense/kernel/mg:0", "RMSprop/dense/bias/mg:0"}),
             boost::test_tools::per_element());
  BOOST_TEST(order("Adagrad", Json::object()) == V({"Adagrad/iter:0", "Adagrad/dense/kernel/accumulator:0", "Adagrad/dense/bias/accumulator:0"}),
             boost::test_tools::per_element());
  BOOST_TEST(order("Adadelta", Json::object()) ==
                 V({"Adadelta/iter:0", "Adadelta/dense/kernel/accum_grad:0", "Adadelta/dense/bias/accum_grad:0",
                    "Adadelta/dense/kernel/accum_var:0", "Adadelta/dense/bias/accum_var:0"}),
             boost::test_tools::per_element());
  BOOST_TEST(order("Adamax", Json::object())[3] == "Adamax/dense/kernel/v:0");
  BOOST_TEST(order("Nadam", Json::object()) == V({"Nadam/iter:0", "Nadam/momentum_cache:0", "Nadam/dense/kernel/m:0",
                                                  "Nadam/dense/bias/m:0", "Nadam/dense/kernel/v:0", "Nadam/dense/bias/v:0"}),
             boost::test_tools::per_element());
  // The optimizer's name prefixes every variable.
  BOOST_TEST(order("Adam", {{"name", "opt"}})[1] == "opt/dense/kernel/m:0");

  auto opt = make_optimizer("Adam", Json::object());
  BOOST_TEST(child_names(*opt) == V({"iter"}), boost::test_tools::per_element());
  opt->build({kernel, bias});
  BOOST_TEST(child_names(*opt) == V({"iter", "beta_1", "beta_2", "decay", "learning_rate"}), boost::test_tools::per_element());
  BOOST_TEST(slot_names(*opt, *kernel) == V({"m=Adam/dense/kernel/m:0", "v=Adam/dense/kernel/v:0"}), boost::test_tools::per_element());
  BOOST_TEST(opt->slots(*make_variable("other:0", {1.0f})).empty());
  BOOST_TEST(ksave::dtype_name(opt->iterations()->dtype()) == "int64");
  BOOST_TEST(opt->iterations()->name() == "Adam/iter:0");
  // Children are the variables a checkpoint stores: "<Name>/<hyper>:0" float32 scalars.
  for (const auto& c : opt->trackable_children())
    BOOST_TEST(std::static_pointer_cast<ksave::Variable>(c.object)->name() == "Adam/" + c.name + ":0");
  BOOST_TEST(child_names(*make_optimizer("SGD", Json::object())).size() == 1u);
  auto sgd = make_optimizer("SGD", Json::object());
  sgd->build({kernel});
  BOOST_TEST(child_names(*sgd) == V({"iter", "decay", "learning_rate", "momentum"}), boost::test_tools::per_element());
  auto nadam = make_optimizer("Nadam", Json::object());
  nadam->build({kernel});
  BOOST_TEST(child_names(*nadam) == V({"iter", "beta_1", "beta_2", "decay", "learning_rate", "momentum_cache"}),
             boost::test_tools::per_element());
  // A schedule is not a variable.
  auto scheduled = make_optimizer("SGD", Json::parse(R"({"learning_rate": {"class_name": "ExponentialDecay",
      "config": {"initial_learning_rate": 0.1, "decay_steps": 10, "decay_rate": 0.5}}})"));
  scheduled->build({kernel});
  BOOST_TEST(child_names(*scheduled) == V({"iter", "decay", "momentum"}), boost::test_tools::per_element());
}

// A real TF 2.3 checkpoint (tfrust fixture, Keras Sequential trained with Adam): the optimizer's
// children and the slot variables' full names must be the ones ksave gives the same variables.
BOOST_AUTO_TEST_CASE(names_match_a_real_tf_checkpoint) {
  const auto fixtures = ksave::test::real_fixtures();
  KSAVE_REQUIRE_DATA(fixtures, "the real fixtures");
  const auto listing = *fixtures / "tfrust_keras_single_input_saved_model" / "expected" / "variables.json";
  if (!std::filesystem::exists(listing)) {
    BOOST_TEST_MESSAGE("SKIPPED: " << listing << " not found");
    return;
  }
  std::ifstream in(listing);
  const Json j = Json::parse(in);
  std::map<std::string, VariablePtr> trained;      // "layer_with_weights-0/kernel" -> variable
  std::set<std::string> expected_children;         // "iter", "beta_1", ...
  std::map<std::string, std::string> expected_slots;  // checkpoint slot key -> full name
  for (const Json& v : j.at("variables")) {
    const std::string key = v.at("key").get<std::string>();
    const auto attributes = key.find("/.ATTRIBUTES/");
    if (attributes == std::string::npos) continue;
    const std::string path = key.substr(0, attributes);
    if (path.rfind("optimizer/", 0) == 0) {
      expected_children.insert(path.substr(10));
      BOOST_TEST(v.at("full_name").get<std::string>() == "Adam/" + path.substr(10));
    } else if (auto slot = path.find("/.OPTIMIZER_SLOT/optimizer/"); slot != std::string::npos) {
      expected_slots[path] = v.at("full_name").get<std::string>();
    } else if (path.rfind("layer_with_weights-", 0) == 0) {
      std::vector<float> zeros(static_cast<std::size_t>(ksave::num_elements(ksave::shape_from_json(v.at("shape"), "variables.json"))), 0.0f);
      auto var = std::make_shared<ksave::Variable>(v.at("full_name").get<std::string>() + ":0",
                                                   ksave::Tensor::from_vector<float>(zeros, ksave::shape_from_json(v.at("shape"), "variables.json")));
      trained[path] = var;
    }
  }
  BOOST_REQUIRE(!trained.empty());
  std::vector<VariablePtr> vars;
  for (const auto& [path, var] : trained) vars.push_back(var);
  auto opt = make_optimizer("Adam", Json::object());
  opt->build(vars);
  std::set<std::string> children;
  for (const auto& name : child_names(*opt)) children.insert(name);
  BOOST_TEST(children == expected_children);
  std::size_t matched = 0;
  for (const auto& [path, var] : trained)
    for (const auto& [slot, slot_var] : opt->slots(*var)) {
      const std::string key = path + "/.OPTIMIZER_SLOT/optimizer/" + slot;
      BOOST_TEST(expected_slots.count(key) == 1u, key);
      if (expected_slots.count(key)) {
        BOOST_TEST(slot_var->name() == expected_slots[key] + ":0");
        ++matched;
      }
    }
  BOOST_TEST(matched == expected_slots.size());
}

namespace {

std::vector<float> gradient(std::size_t n, int t, float scale) {
  std::vector<float> g;
  for (std::size_t i = 0; i < n; ++i) g.push_back(scale * std::sin(0.9f * float(i) + 1.7f * float(t)));
  return g;
}

bool bit_identical(const ksave::Tensor& a, const ksave::Tensor& b) {
  return a.dtype() == b.dtype() && a.shape() == b.shape() && std::memcmp(a.raw_data(), b.raw_data(), a.nbytes()) == 0;
}

}  // namespace

BOOST_AUTO_TEST_CASE(state_copied_into_a_fresh_optimizer_resumes_bit_for_bit) {
  const std::pair<const char*, const char*> configs[] = {
      {"SGD", R"({"learning_rate": 0.1})"},
      {"SGD", R"({"learning_rate": 0.1, "momentum": 0.9, "nesterov": true, "decay": 0.01})"},
      {"Adam", R"({"learning_rate": 0.01})"},
      {"Adam", R"({"learning_rate": 0.01, "amsgrad": true, "clipnorm": 0.5})"},
      {"RMSprop", R"({"learning_rate": 0.01})"},
      {"RMSprop", R"({"learning_rate": 0.01, "momentum": 0.5, "centered": true})"},
      {"Adagrad", R"({"learning_rate": 0.1})"},
      {"Adadelta", R"({"learning_rate": 1.0})"},
      {"Adamax", R"({"learning_rate": 0.01})"},
      {"Nadam", R"({"learning_rate": 0.01})"},
      {"SGD", R"({"learning_rate": {"class_name": "ExponentialDecay", "config": {"initial_learning_rate": 0.1, "decay_steps": 2, "decay_rate": 0.5}}})"},
  };
  for (const auto& [class_name, text] : configs) {
    const Json config = Json::parse(text);
    // Uninterrupted: six steps.
    auto a = make_variable("dense/kernel:0", {0.5f, -1.0f, 2.0f});
    auto b = make_variable("dense/bias:0", {0.25f});
    auto opt = make_optimizer(class_name, config);
    const auto run = [](ksave::Optimizer& o, const VariablePtr& x, const VariablePtr& y, int from, int to) {
      for (int t = from; t < to; ++t) ksave::test::step(o, {{gradient(3, t, 1.0f), x}, {gradient(1, t, 0.5f), y}});
    };
    run(*opt, a, b, 0, 3);
    // Interrupted after three: copy weights and optimizer state (positionally, as H5 loading does)
    // into fresh variables and a fresh optimizer built from the config.
    auto a2 = make_variable("dense/kernel:0", ksave::test::values(a));
    auto b2 = make_variable("dense/bias:0", ksave::test::values(b));
    auto fresh = make_optimizer(class_name, opt->get_config());
    fresh->build({a2, b2});
    const auto saved = opt->variables();
    const auto restored = fresh->variables();
    BOOST_REQUIRE_EQUAL(saved.size(), restored.size());
    for (std::size_t i = 0; i < saved.size(); ++i) {
      BOOST_TEST(saved[i]->name() == restored[i]->name());
      restored[i]->assign(saved[i]->value());
    }
    run(*opt, a, b, 3, 6);
    run(*fresh, a2, b2, 3, 6);
    BOOST_TEST(bit_identical(a->value(), a2->value()), class_name << " " << text);
    BOOST_TEST(bit_identical(b->value(), b2->value()), class_name << " " << text);
    for (std::size_t i = 0; i < saved.size(); ++i)
      BOOST_TEST(bit_identical(saved[i]->value(), restored[i]->value()), saved[i]->name());
    BOOST_TEST(opt->iterations()->value().item() == 6.0);
  }
}
