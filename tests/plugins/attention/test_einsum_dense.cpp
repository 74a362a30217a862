// EinsumDense: every equation form Keras's _analyze_einsum_string takes, against an einsum
// written as loops over every letter's values; the kernel's and bias's shapes as tf-keras 2.21
// and Keras 3.15 make them (read off the real libraries for these equations); gradients against
// finite differences; the config of both Keras versions; clear refusals; weights through every
// format. The interop suite compares with real tf-keras and Keras 3 (models.py, "einsum_dense").
#include <boost/test/unit_test.hpp>

#include <map>

#include "layer_zoo_support/layer_checks.hpp"

using namespace ksave;
using namespace ksave::test::zoo;

namespace {

// out[...] = Σ a[...] · b[...] over every letter not in the output, by enumerating the values of
// all letters of the equation (sizes from the operands).
Tensor loop_einsum(const Tensor& a, const std::string& la, const Tensor& b, const std::string& lb, const std::string& lo) {
  std::map<char, Dim> size;
  for (std::size_t i = 0; i < la.size(); ++i) size[la[i]] = a.dim(static_cast<std::int64_t>(i));
  for (std::size_t i = 0; i < lb.size(); ++i) size[lb[i]] = b.dim(static_cast<std::int64_t>(i));
  Shape out_shape;
  for (char c : lo) out_shape.push_back(size.at(c));
  Tensor out = Tensor::zeros(DType::Float32, out_shape);
  std::string letters;
  for (const auto& [c, n] : size) letters += c;
  std::map<char, Dim> at;
  for (char c : letters) at[c] = 0;
  auto offset = [&](const std::string& labels, const Tensor& t) {
    Dim o = 0;
    for (std::size_t i = 0; i < labels.size(); ++i) o = o * t.dim(static_cast<std::int64_t>(i)) + at[labels[i]];
    return o;
  };
  for (;;) {
    out.data<float>()[offset(lo, out)] += a.data<float>()[offset(la, a)] * b.data<float>()[offset(lb, b)];
    std::size_t i = 0;
    for (; i < letters.size(); ++i) {
      if (++at[letters[i]] < size[letters[i]]) break;
      at[letters[i]] = 0;
    }
    if (i == letters.size()) return out;
  }
}

struct Form {
  std::string equation;
  Json output_shape, bias_axes;
  Shape input;  // without the batch axis
  Shape kernel, bias, output;  // as Keras builds them (output without the batch axis)
  std::string in_letters, kernel_letters, out_letters;  // the ellipsis spelled out, for the loops
};

const std::vector<Form> kForms = {
    {"ab,bc->ac", 3, "c", {4}, {4, 3}, {3}, {3}, "ab", "bc", "ac"},
    {"abc,cd->abd", {nullptr, 4}, "d", {3, 5}, {5, 4}, {4}, {3, 4}, "abc", "cd", "abd"},
    {"abc,cde->abde", {nullptr, 2, 3}, "de", {3, 4}, {4, 2, 3}, {2, 3}, {3, 2, 3}, "abc", "cde", "abde"},
    {"abcd,cde->abe", {nullptr, 6}, "e", {3, 2, 4}, {2, 4, 6}, {6}, {3, 6}, "abcd", "cde", "abe"},
    {"...b,bc->...c", 5, "c", {3, 4}, {4, 5}, {5}, {3, 5}, "zyb", "bc", "zyc"},
    {"...b,bc->...c", 5, "c", {2, 3, 4}, {4, 5}, {5}, {2, 3, 5}, "zyxb", "bc", "zyxc"},
    {"ab...,bc->ac...", 5, "c", {4, 3}, {4, 5}, {5, 1}, {5, 3}, "abz", "bc", "acz"},
    {"abc,cd->ad", 4, nullptr, {3, 5}, {5, 4}, {}, {4}, "abc", "cd", "ad"},
    {"abc,bcd->abd", {3, 4}, "bd", {3, 5}, {3, 5, 4}, {3, 4}, {3, 4}, "abc", "bcd", "abd"},
};

Shape batched(Dim batch, const Shape& shape) {
  Shape s{batch};
  s.insert(s.end(), shape.begin(), shape.end());
  return s;
}

template <typename F>
void check_refused(F&& make, const std::string& says) {
  try {
    make();
    BOOST_ERROR("no error, expected one saying '" << says << "'");
  } catch (const Error& e) {
    BOOST_TEST(std::string(e.what()).find(says) != std::string::npos, e.what());
  }
}

}  // namespace

BOOST_AUTO_TEST_CASE(every_equation_form_against_loops) {
  for (const Form& f : kForms) {
    BOOST_TEST_CONTEXT(f.equation << " on " << shape_to_string(f.input)) {
      Json config{{"name", "einsum_dense"}, {"equation", f.equation}, {"output_shape", f.output_shape},
                  {"bias_axes", f.bias_axes}, {"activation", "tanh"}};
      LayerPtr layer = layer_from("EinsumDense", config);
      // The symbolic call builds the layer and gives Keras's output shape.
      BOOST_TEST((*layer)(Input(f.input, "x")).shape() == batched(kUnknown, f.output));
      BOOST_REQUIRE(layer->weights().size() == (f.bias_axes.is_null() ? 1u : 2u));
      BOOST_TEST(layer->weights()[0]->name() == "einsum_dense/kernel:0");
      BOOST_TEST(layer->weights()[0]->value().shape() == f.kernel);
      const Tensor kernel = random_tensor(f.kernel, 2);
      std::vector<Tensor> weights{kernel};
      if (!f.bias_axes.is_null()) {
        BOOST_TEST(layer->weights()[1]->value().shape() == f.bias);
        weights.push_back(random_tensor(f.bias, 3));
      }
      layer->set_weights(weights);
      const Tensor x = random_tensor(batched(2, f.input), 1);
      Tensor expected = loop_einsum(x, f.in_letters, kernel, f.kernel_letters, f.out_letters);
      if (weights.size() == 2) expected = ops::add(expected, weights[1]);
      expected = ops::tanh(expected);
      const Tensor y = (*layer)(x);
      BOOST_REQUIRE(y.shape() == batched(2, f.output));
      for (Dim i = 0; i < y.size(); ++i) BOOST_TEST(std::abs(y.data<float>()[i] - expected.data<float>()[i]) < 1e-5);
      check_layer_gradients("EinsumDense " + f.equation, layer, x);
    }
  }
}

BOOST_AUTO_TEST_CASE(config_of_both_keras_versions) {
  // tf-keras 2.21's (output_shape written as a list even when given as an int).
  const Json tf_keras = Json::parse(R"({"name": "einsum_dense", "trainable": true, "dtype": "float32",
    "output_shape": [null, 2, 3], "equation": "abc,cde->abde", "activation": "relu", "bias_axes": "de",
    "kernel_initializer": {"class_name": "GlorotUniform", "config": {"seed": null}},
    "bias_initializer": {"class_name": "Zeros", "config": {}}, "kernel_regularizer": null, "bias_regularizer": null,
    "activity_regularizer": null, "kernel_constraint": null, "bias_constraint": null})");
  check_config_round_trip("EinsumDense", tf_keras);
  const Json from_int = layer_from("EinsumDense", {{"equation", "ab,bc->ac"}, {"output_shape", 3}})->get_config();
  BOOST_TEST(from_int["output_shape"] == Json::array({3}));
  BOOST_TEST(from_int["bias_axes"].is_null());
  BOOST_TEST(from_int["activation"] == "linear");
  // Keras 3.15's keys: quantization_config null is taken; LoRA and quantization are refused.
  Json keras3 = tf_keras;
  keras3["quantization_config"] = nullptr;
  keras3["lora_rank"] = nullptr;
  BOOST_CHECK_NO_THROW(layer_from("EinsumDense", keras3));
  keras3["lora_rank"] = 4;
  check_refused([&] { layer_from("EinsumDense", keras3); }, "lora_rank (LoRA) is not supported, found 4");
  keras3["lora_rank"] = nullptr;
  keras3["quantization_config"] = Json{{"class_name", "Int8QuantizationConfig"}};
  check_refused([&] { layer_from("EinsumDense", keras3); }, "quantization_config (quantization) is not supported");
}

BOOST_AUTO_TEST_CASE(refuses_what_keras_refuses_naming_it) {
  auto build = [](const std::string& equation, Json output_shape, Json bias_axes, const Shape& input) {
    layer_from("EinsumDense", {{"name", "e"}, {"equation", equation}, {"output_shape", output_shape}, {"bias_axes", bias_axes}})
        ->build(input);
  };
  const Shape in{kUnknown, 3, 4};
  check_refused([&] { build("abc,cd", 5, nullptr, in); }, "equation 'abc,cd' does not have two operands and an output");
  check_refused([&] { build("a.c,cd->ad", 5, nullptr, in); }, "has an operand that is not letters ('a.c')");
  check_refused([&] { build("...bc,cd->ad...", 5, nullptr, in); }, "has an operand that is not letters");
  check_refused([&] { build("abb,bd->ad", 5, nullptr, in); }, "repeats 'b' within 'abb'");
  check_refused([&] { build("ab,bc->ac", 5, nullptr, in); }, "expects an input of rank 2, found (None, 3, 4)");
  check_refused([&] { build("abc,cd->abd", 5, nullptr, in); }, "output_shape (5,) has 1 axes, the equation's output 'abd' needs 2");
  check_refused([&] { build("abc,cd->abd", Json::array({7, 5}), nullptr, in); },
                "output_shape gives axis 'b' the size 7, the input (None, 3, 4) has 3");
  check_refused([&] { build("abc,cd->abd", Json::array({nullptr, nullptr}), nullptr, in); },
                "output_shape must give the size of output axis 'd'");
  check_refused([&] { build("abc,cd->abe", Json::array({nullptr, 5}), nullptr, in); },
                "output axis 'e' in neither the input nor the kernel");
  check_refused([&] { build("abc,cde->abd", Json::array({nullptr, 5}), nullptr, in); },
                "kernel axis 'e' in neither the input nor the output");
  check_refused([&] { build("abc,cd->abd", Json::array({nullptr, 5}), "c", in); },
                "bias_axes 'c' names 'c', which is not an axis of the output 'abd'");
  check_refused([&] { build("abc,cd->abd", Json::array({nullptr, 5}), nullptr, Shape{kUnknown, 3, kUnknown}); },
                "kernel axis 'c' needs a known size");
  check_refused([&] { layer_from("EinsumDense", {{"equation", "ab,bc->ac"}, {"output_shape", "3"}}); },
                "output_shape must be an int or a list of ints and None, found \"3\"");
}

BOOST_AUTO_TEST_CASE(weights_through_every_format) {
  KerasTensor in = Input(Shape{3, 4}, "x");
  LayerPtr heads = layer_from("EinsumDense", {{"name", "heads"}, {"equation", "abc,cde->abde"},
                                              {"output_shape", {nullptr, 2, 3}}, {"bias_axes", "de"}});
  LayerPtr merge = layer_from("EinsumDense", {{"name", "merge"}, {"equation", "abcd,cde->abe"},
                                              {"output_shape", {nullptr, 5}}, {"bias_axes", "e"}, {"activation", "relu"}});
  LayerPtr last = layer_from("EinsumDense", {{"name", "last"}, {"equation", "...b,bc->...c"}, {"output_shape", 2}});
  const auto model = std::make_shared<Functional>(KerasTensors{in}, KerasTensors{(*last)((*merge)((*heads)(in)))});
  check_weight_round_trips(model, {random_tensor({2, 3, 4}, 5)}, "einsum_dense");
}
