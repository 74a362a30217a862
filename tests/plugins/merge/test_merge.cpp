// Add, Subtract, Multiply, Average, Maximum, Minimum, Concatenate and Dot: configs, values,
// shapes, gradients, the tfjs oracle's functional_* cases and round trips through every format.
#define BOOST_TEST_MODULE merge plugin
#include <boost/test/unit_test.hpp>

#include "../layer_checks/layer_checks.hpp"
#include "support/oracle_case.hpp"

using ksave::Json;
using ksave::Tensor;
using ksave::test::layer_from;
using ksave::test::ramp;
namespace tt = boost::test_tools;

namespace {
Tensor vals(std::vector<float> v, ksave::Shape s) { return Tensor::from_vector<float>(v, std::move(s)); }
}  // namespace

BOOST_AUTO_TEST_CASE(configs_round_trip) {
  for (const char* cls : {"Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum"})
    ksave::test::config_round_trips(layer_from(cls, Json::object()));
  ksave::test::config_round_trips(layer_from("Concatenate", {{"axis", 1}}));
  BOOST_TEST(layer_from("Concatenate", Json::object())->get_config()["axis"] == -1);
  ksave::test::config_round_trips(layer_from("Dot", {{"axes", 1}}));
  ksave::test::config_round_trips(layer_from("Dot", {{"axes", {2, 1}}, {"normalize", true}}));
  BOOST_CHECK_THROW(layer_from("Dot", {{"axes", "x"}}), ksave::Error);
}

BOOST_AUTO_TEST_CASE(elementwise_values) {
  const Tensor a = vals({1, 5, 3}, {1, 3}), b = vals({4, 2, 3}, {1, 3}), c = vals({0, 0, 9}, {1, 3});
  auto run = [&](const char* cls, const ksave::Tensors& in) { return (*layer_from(cls, Json::object()))(in).at(0).to_vector<float>(); };
  BOOST_TEST(run("Add", {a, b, c}) == (std::vector<float>{5, 7, 15}), tt::per_element());
  BOOST_TEST(run("Subtract", {a, b}) == (std::vector<float>{-3, 3, 0}), tt::per_element());
  BOOST_TEST(run("Multiply", {a, b}) == (std::vector<float>{4, 10, 9}), tt::per_element());
  BOOST_TEST(run("Average", {a, b, c}) == (std::vector<float>{5.0f / 3, 7.0f / 3, 5}), tt::per_element());
  BOOST_TEST(run("Maximum", {a, b}) == (std::vector<float>{4, 5, 3}), tt::per_element());
  BOOST_TEST(run("Minimum", {a, b}) == (std::vector<float>{1, 2, 3}), tt::per_element());
  BOOST_CHECK_THROW((*layer_from("Subtract", Json::object()))({a, b, c}), ksave::Error);
  BOOST_CHECK_THROW((*layer_from("Add", Json::object()))({a}), ksave::Error);
  BOOST_TEST(layer_from("Add", Json::object())->output_shapes({{ksave::kUnknown, 3}, {ksave::kUnknown, 3}}).at(0) == (ksave::Shape{ksave::kUnknown, 3}));
}

BOOST_AUTO_TEST_CASE(concatenate_and_dot_values) {
  const auto cat = layer_from("Concatenate", {{"axis", 1}});
  BOOST_TEST((*cat)({vals({1, 2}, {1, 2}), vals({3}, {1, 1})}).at(0).to_vector<float>() == (std::vector<float>{1, 2, 3}), tt::per_element());
  BOOST_TEST(cat->output_shapes({{ksave::kUnknown, 2}, {ksave::kUnknown, 1}}).at(0) == (ksave::Shape{ksave::kUnknown, 3}));
  const auto dot = layer_from("Dot", {{"axes", 1}});
  const Tensor y = (*dot)({vals({1, 2, 3, 4}, {2, 2}), vals({5, 6, 7, 8}, {2, 2})}).at(0);
  BOOST_TEST(y.shape() == (ksave::Shape{2, 1}));
  BOOST_TEST(y.to_vector<float>() == (std::vector<float>{17, 53}), tt::per_element());
  // Cosine similarity with normalize.
  const auto cos = layer_from("Dot", {{"axes", 1}, {"normalize", true}});
  BOOST_TEST((*cos)({vals({3, 4}, {1, 2}), vals({6, 8}, {1, 2})}).at(0).to_vector<float>()[0] == 1.0f, tt::tolerance(1e-6f));
  // Rank 3: (1, 2, 3) . (1, 3, 2) over axes (2, 1) is a matrix product.
  const auto dot3 = layer_from("Dot", {{"axes", {2, 1}}});
  const Tensor m = (*dot3)({vals({1, 2, 3, 4, 5, 6}, {1, 2, 3}), vals({1, 0, 0, 1, 1, 1}, {1, 3, 2})}).at(0);
  BOOST_TEST(m.to_vector<float>() == (std::vector<float>{4, 5, 10, 11}), tt::per_element());
  // axes (1, 1) on rank 3 contracts the second axes: x^T y per sample.
  const auto dot11 = layer_from("Dot", {{"axes", {1, 1}}});
  BOOST_TEST((*dot11)({ramp({2, 3, 2}), ramp({2, 3, 4})}).at(0).shape() == (ksave::Shape{2, 2, 4}));
}

BOOST_AUTO_TEST_CASE(tfjs_oracle_functional_cases) {
  for (const char* name : {"functional_add", "functional_average", "functional_concatenate_two_inputs",
                           "functional_maximum", "functional_minimum", "functional_multiply"})
    ksave::test::check_oracle_predict_case(name);
}

BOOST_AUTO_TEST_CASE(gradients_match_finite_differences) {
  for (const char* cls : {"Add", "Subtract", "Multiply", "Average"})
    ksave::test::layer_gradients_match(layer_from(cls, Json::object()), {ramp({2, 3}, 1.0f, 1), ramp({2, 3}, 1.0f, 2)});
  ksave::test::layer_gradients_match(layer_from("Maximum", Json::object()), {ramp({2, 3}, 10.0f, 1), ramp({2, 3}, 10.0f, 2)});
  ksave::test::layer_gradients_match(layer_from("Concatenate", {{"axis", -1}}), {ramp({2, 3}, 1.0f, 1), ramp({2, 2}, 1.0f, 2)});
  ksave::test::layer_gradients_match(layer_from("Dot", {{"axes", {1, 1}}, {"normalize", true}}), {ramp({2, 3, 2}, 1.0f, 1), ramp({2, 3, 2}, 1.0f, 2)});
}

BOOST_AUTO_TEST_CASE(functional_merge_model_round_trips_through_every_format) {
  const auto oracle = ksave::test::oracle_dir();
  KSAVE_REQUIRE_DATA(oracle, "the tfjs oracle");
  const auto c = ksave::test::OracleCase::load(*oracle / "cases-sample" / "functional_concatenate_two_inputs");
  const auto model = ksave::model_from_json(c.model_json);
  c.assign_weights(*model);
  ksave::test::check_weight_round_trips(model, c.inputs, "merge");
}

// Every merge layer in one two-input model (the oracle case above holds Concatenate only); needs
// no oracle.
BOOST_AUTO_TEST_CASE(every_merge_layer_round_trips_through_every_format) {
  const ksave::KerasTensor a = ksave::Input(ksave::Shape{3}, "a"), b = ksave::Input(ksave::Shape{3}, "b");
  ksave::KerasTensors merged;
  for (const char* cls : {"Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum"})
    merged.push_back((*layer_from(cls, Json::object()))(ksave::KerasTensors{a, b}).at(0));
  merged.push_back((*layer_from("Dot", {{"axes", 1}, {"normalize", true}}))(ksave::KerasTensors{a, b}).at(0));
  const auto model = std::make_shared<ksave::Functional>(ksave::KerasTensors{a, b},
                                                         (*layer_from("Concatenate", {{"axis", -1}}))(merged));
  ksave::test::check_weight_round_trips(model, {ramp({2, 3}, 1.0f, 1), ramp({2, 3}, 1.0f, 2)}, "every_merge_layer");
}

BOOST_AUTO_TEST_CASE(keras1_merge_modes) {
  const Json keras1{{"name", "merge_1"}, {"mode", "concat"}, {"mode_type", "raw"}, {"concat_axis", -1}, {"dot_axes", -1},
                    {"output_shape", nullptr}, {"output_shape_type", "raw"}, {"output_mask", nullptr},
                    {"output_mask_type", "raw"}, {"arguments", Json::object()}};
  const auto cat = layer_from("Merge", keras1);
  ksave::test::config_round_trips(cat);
  const Tensor a = vals({1, 2}, {1, 2}), b = vals({3, 4}, {1, 2});
  BOOST_TEST((*cat)({a, b}).at(0).to_vector<float>() == (std::vector<float>{1, 2, 3, 4}), tt::per_element());
  auto with_mode = [&](const char* mode) {
    Json c = keras1;
    c["mode"] = mode;
    return (*layer_from("Merge", c))({a, b}).at(0).to_vector<float>();
  };
  BOOST_TEST(with_mode("sum") == (std::vector<float>{4, 6}), tt::per_element());
  BOOST_TEST(with_mode("mul") == (std::vector<float>{3, 8}), tt::per_element());
  BOOST_TEST(with_mode("ave") == (std::vector<float>{2, 3}), tt::per_element());
  BOOST_TEST(with_mode("max") == (std::vector<float>{3, 4}), tt::per_element());
  BOOST_TEST(with_mode("dot") == (std::vector<float>{11}), tt::per_element());
  Json lambda = keras1;
  lambda["mode"] = "gASVKAAAAAAAAAB9";
  lambda["mode_type"] = "lambda";
  BOOST_CHECK_THROW(layer_from("Merge", lambda), ksave::Error);
  Json branches = keras1;
  branches["layers"] = Json::array();
  BOOST_CHECK_THROW(layer_from("Merge", branches), ksave::Error);
}

// Keras 3 records `x + 3.0` and `x * (1 / 6)` in a functional model (MobileNetV3's hard_sigmoid)
// as its Add and Multiply operations called on a tensor and a constant.
BOOST_AUTO_TEST_CASE(keras3_op_calls_with_constants) {
  auto op_model = [](const char* op, const Json& constant, bool constant_first) {
    const Json x = {{"class_name", "__keras_tensor__"},
                    {"config", {{"shape", {nullptr, 3}}, {"dtype", "float32"}, {"keras_history", {"x", 0, 0}}}}};
    const Json args = constant_first ? Json::array({constant, x}) : Json::array({x, constant});
    const Json config = {
        {"module", "keras"}, {"class_name", "Functional"}, {"registered_name", "Functional"},
        {"config",
         {{"name", "ops"}, {"trainable", true},
          {"layers",
           {{{"module", "keras.layers"}, {"class_name", "InputLayer"}, {"name", "x"}, {"inbound_nodes", Json::array()},
             {"config", {{"batch_shape", {nullptr, 3}}, {"dtype", "float32"}, {"name", "x"}}}},
            {{"module", "keras.src.ops.numpy"}, {"class_name", op}, {"registered_name", op}, {"name", "op"},
             {"config", {{"name", "op"}}}, {"inbound_nodes", {{{"args", args}, {"kwargs", Json::object()}}}}}}},
          {"input_layers", {"x", 0, 0}}, {"output_layers", {"op", 0, 0}}}}};
    return ksave::model_from_json(config.dump());
  };
  const Tensor x = vals({1, 5, 3}, {1, 3});
  BOOST_TEST(op_model("Add", 3.0, false)->predict(x).to_vector<float>() == (std::vector<float>{4, 8, 6}), tt::per_element());
  BOOST_TEST(op_model("Subtract", 10.0, true)->predict(x).to_vector<float>() == (std::vector<float>{9, 5, 7}), tt::per_element());
  BOOST_TEST(op_model("Multiply", Json::array({1.0, 2.0, 0.5}), false)->predict(x).to_vector<float>() ==
                 (std::vector<float>{1, 10, 1.5}),
             tt::per_element());
  BOOST_TEST(op_model("Add", 3.0, false)->outputs().at(0).shape() == (ksave::Shape{ksave::kUnknown, 3}));
}
