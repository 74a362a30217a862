// The activations plugin, used through the registry as a layer would: values against formulas
// and hand-computed numbers, every name and config form, serialization, bad input.
#define BOOST_TEST_MODULE test_plugin_activations
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include "ksave/custom_objects.hpp"
#include "ksave/objects.hpp"
#include "ksave/ops.hpp"

using ksave::Json;
using ksave::Tensor;

namespace {

const std::vector<double> kInputs{-3.0, -1.0, -0.5, 0.0, 0.25, 1.0, 3.0};

Tensor tensor(const std::vector<double>& values, ksave::Shape shape) {
  return Tensor::from_vector(std::vector<float>(values.begin(), values.end()), std::move(shape));
}

void check_close(const Tensor& got, const Tensor& expected, double tolerance = 1e-6) {
  BOOST_TEST(got.shape() == expected.shape());
  BOOST_TEST(ksave::allclose(got, expected, tolerance, tolerance),
             "max difference " << ksave::max_abs_difference(got, expected));
}

double sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }
double softplus(double x) { return std::log1p(std::exp(x)); }

// The element-wise activations with their tf.keras 2.x formulas.
struct Elementwise {
  std::string name;
  std::function<double(double)> formula;
};

const std::vector<Elementwise>& elementwise() {
  constexpr double selu_alpha = 1.6732632423543772848170429916717;
  constexpr double selu_scale = 1.0507009873554804934193349852946;
  static const std::vector<Elementwise> table{
      {"linear", [](double x) { return x; }},
      {"relu", [](double x) { return std::max(x, 0.0); }},
      {"sigmoid", sigmoid},
      {"tanh", [](double x) { return std::tanh(x); }},
      {"elu", [](double x) { return x > 0 ? x : std::expm1(x); }},
      {"selu", [=](double x) { return selu_scale * (x > 0 ? x : selu_alpha * std::expm1(x)); }},
      {"softplus", softplus},
      {"softsign", [](double x) { return x / (1.0 + std::abs(x)); }},
      {"hard_sigmoid", [](double x) { return std::clamp(0.2 * x + 0.5, 0.0, 1.0); }},
      {"swish", [](double x) { return x * sigmoid(x); }},
      {"silu", [](double x) { return x * sigmoid(x); }},
      {"gelu", [](double x) { return 0.5 * x * (1.0 + std::erf(x / std::sqrt(2.0))); }},
      {"exponential", [](double x) { return std::exp(x); }},
      {"relu6", [](double x) { return std::clamp(x, 0.0, 6.0); }},
      {"mish", [](double x) { return x * std::tanh(softplus(x)); }},
  };
  return table;
}

}  // namespace

BOOST_AUTO_TEST_CASE(elementwise_activations_follow_their_formulas) {
  const Tensor x = tensor(kInputs, {static_cast<ksave::Dim>(kInputs.size())});
  for (const Elementwise& a : elementwise()) {
    BOOST_TEST_CONTEXT("activation " << a.name) {
      std::vector<double> expected;
      for (double v : kInputs) expected.push_back(a.formula(v));
      check_close(ksave::get_activation(a.name)(x), tensor(expected, x.shape()));
    }
  }
}

BOOST_AUTO_TEST_CASE(hand_computed_values) {
  // Reference numbers worked out by hand / with a calculator, independent of the formulas above.
  const struct { const char* name; double x, y; } cases[] = {
      {"gelu", 1.0, 0.8413447460685429},    {"gelu", -1.0, -0.15865525393145707},
      {"selu", 1.0, 1.0507009873554805},    {"selu", -1.0, -1.1113307378125625},
      {"elu", -1.0, -0.6321205588285577},   {"softplus", 0.0, 0.6931471805599453},
      {"hard_sigmoid", 1.0, 0.7},           {"hard_sigmoid", 3.0, 1.0},
      {"swish", 1.0, 0.7310585786300049},   {"mish", 1.0, 0.8650983882673103},
      {"relu6", 7.5, 6.0},                  {"softsign", 3.0, 0.75},
      {"sigmoid", 0.0, 0.5},                {"exponential", 1.0, 2.718281828459045},
  };
  for (const auto& c : cases) {
    BOOST_TEST_CONTEXT(c.name << "(" << c.x << ")") {
      const Tensor y = ksave::get_activation(c.name)(Tensor::scalar<float>(static_cast<float>(c.x)));
      BOOST_TEST(y.item() == c.y, boost::test_tools::tolerance(1e-5));
    }
  }
}

BOOST_AUTO_TEST_CASE(softmax_and_log_softmax_normalise_the_last_axis) {
  const Tensor x = tensor({1.0, 2.0, 3.0, -1.0, 0.0, 1000.0}, {2, 3});
  // Row 1 by hand: exp(k - 3) / (e^-2 + e^-1 + 1); row 2 is saturated by the large value.
  const double z = std::exp(-2.0) + std::exp(-1.0) + 1.0;
  const std::vector<double> row1{std::exp(-2.0) / z, std::exp(-1.0) / z, 1.0 / z};
  check_close(ksave::get_activation("softmax")(x), tensor({row1[0], row1[1], row1[2], 0.0, 0.0, 1.0}, {2, 3}));
  check_close(ksave::get_activation("log_softmax")(x),
              tensor({std::log(row1[0]), std::log(row1[1]), std::log(row1[2]), -1001.0, -1000.0, 0.0},
                     {2, 3}),
              1e-5);
}

BOOST_AUTO_TEST_CASE(activations_keep_the_shape) {
  const Tensor x = Tensor::filled(ksave::DType::Float32, {2, 3, 4}, 0.5);
  for (const char* name : {"relu", "softmax", "gelu", "log_softmax", "hard_sigmoid"})
    BOOST_TEST(ksave::get_activation(name)(x).shape() == x.shape(), name);
}

BOOST_AUTO_TEST_CASE(names_and_serialization) {
  for (const Elementwise& a : elementwise()) {
    const ksave::Activation act = ksave::get_activation(a.name);
    // An alias serializes under the function's own name, as Keras writes __name__.
    const std::string expected = a.name == "silu" ? "swish" : a.name;
    BOOST_TEST(act.name == expected);
    BOOST_TEST(ksave::serialize(act).dump() == Json(expected).dump());
  }
  BOOST_TEST(ksave::get_activation("linear").is_linear());
  BOOST_TEST(!ksave::get_activation("relu").is_linear());
}

BOOST_AUTO_TEST_CASE(every_config_form) {
  const Tensor x = tensor(kInputs, {7});
  const Tensor relu = ksave::get_activation("relu")(x);
  // Keras 3 / tf.keras >= 2.13 serialize functions as a dict with the name as config.
  const Json keras3 = Json::parse(
      R"({"module": "keras.activations", "class_name": "function", "config": "relu",
          "registered_name": "function"})");
  const ksave::Activation from_dict = ksave::get_activation(keras3);
  BOOST_TEST(from_dict.name == "relu");
  check_close(from_dict(x), relu);
  const Json builtins = Json::parse(
      R"({"module": "builtins", "class_name": "function", "config": "tanh", "registered_name": "function"})");
  BOOST_TEST(ksave::get_activation(builtins).name == "tanh");
  // null is Keras's "no activation": linear, serialized as "linear".
  const ksave::Activation none = ksave::get_activation(Json(nullptr));
  BOOST_TEST(none.is_linear());
  BOOST_TEST(ksave::serialize(none).dump() == R"("linear")");
  check_close(none(x), x);
}

BOOST_AUTO_TEST_CASE(custom_activation_through_a_scope) {
  ksave::CustomObjectScope scope({{"double_it", ksave::activation_function(
                                                    "double_it", [](const Tensor& t) { return ksave::ops::mul(t, 2.0); })}});
  const ksave::Activation act = ksave::get_activation("double_it");
  BOOST_TEST(act.name == "double_it");
  BOOST_TEST(act(Tensor::scalar<float>(1.5f)).item() == 3.0);
  // tf-keras 2.21 writes a function outside Keras as this dict (measured with
  // tf_keras.Sequential.to_json); older Keras wrote the bare name, which ksave still reads.
  BOOST_TEST(ksave::serialize(act).dump() ==
             R"({"module":"builtins","class_name":"function","config":"double_it","registered_name":"function"})");
  BOOST_TEST(ksave::get_activation(ksave::serialize(act)).name == "double_it");
}

BOOST_AUTO_TEST_CASE(unknown_names_and_bad_values_are_errors) {
  auto message_of = [](const Json& value) -> std::string {
    try {
      ksave::get_activation(value);
    } catch (const ksave::Error& e) {
      return e.what();
    }
    return "";
  };
  BOOST_TEST(message_of("relux").find("relux") != std::string::npos);
  BOOST_TEST(message_of(Json::parse(R"({"class_name": "function", "config": "not_an_activation"})"))
                 .find("not_an_activation") != std::string::npos);
  BOOST_TEST(!message_of(42).empty());
  BOOST_TEST(!message_of(Json::parse(R"({"class_name": "function", "config": {}})")).empty());
  BOOST_TEST(!message_of(Json::parse(R"({"config": "relu"})")).empty());
}
