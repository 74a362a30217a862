// Embedding plugin: ids of any integer dtype and float ids, out-of-range ids refused, the
// mask_zero mask, configs (and Keras 1 keys), the oracle cases, gradients, weights through every format.
#define BOOST_TEST_MODULE embedding
#include <boost/test/unit_test.hpp>

#include "layer_zoo_support/layer_checks.hpp"

using namespace ksave;
using namespace ksave::test::zoo;

namespace {

LayerPtr built_embedding(bool mask_zero = false) {
  LayerPtr e = layer_from("Embedding", {{"name", "embedding"}, {"input_dim", 5}, {"output_dim", 3}, {"mask_zero", mask_zero}});
  e->build(Shape{kUnknown, 4});
  e->set_weights({random_tensor({5, 3}, 1)});
  return e;
}

}  // namespace

BOOST_AUTO_TEST_CASE(ids_of_every_dtype_pick_rows) {
  LayerPtr e = built_embedding();
  const Tensor table = e->get_weights()[0];
  const Tensor expected = ops::gather(table, Tensor::from_vector<std::int64_t>({4, 0, 2, 1}, {1, 4}), 0);
  BOOST_TEST(e->weights()[0]->name() == "embedding/embeddings:0");
  for (DType dtype : {DType::Int32, DType::Int64, DType::UInt16, DType::UInt8, DType::Float32, DType::Float64}) {
    const Tensor ids = Tensor::from_vector<std::int64_t>({4, 0, 2, 1}, {1, 4}).cast(dtype);
    const Tensor y = (*e)(ids);
    BOOST_TEST(y.shape() == (Shape{1, 4, 3}));
    BOOST_TEST(max_abs_difference(y, expected) == 0.0, dtype_name(dtype));
  }
}

BOOST_AUTO_TEST_CASE(out_of_range_ids_are_refused_with_the_layer_named) {
  LayerPtr e = built_embedding();
  for (std::int64_t bad : {5, -1}) {
    try {
      (*e)(Tensor::from_vector<std::int64_t>({0, bad, 1, 2}, {1, 4}));
      BOOST_FAIL("no error for id " << bad);
    } catch (const Error& err) {
      const std::string what = err.what();
      BOOST_TEST(what.find("embedding") != std::string::npos, what);
      BOOST_TEST(what.find(std::to_string(bad)) != std::string::npos, what);
    }
  }
}

BOOST_AUTO_TEST_CASE(mask_zero_gives_a_mask) {
  LayerPtr e = built_embedding(true);
  const Tensor ids = Tensor::from_vector<std::int32_t>({3, 0, 1, 0}, {1, 4});
  const auto masks = e->compute_mask({ids}, {}, 1);
  BOOST_TEST_REQUIRE(masks.at(0).defined());
  BOOST_TEST(masks[0].cast(DType::Float32).to_vector<float>() == (std::vector<float>{1, 0, 1, 0}),
             boost::test_tools::per_element());
  BOOST_TEST(!built_embedding(false)->compute_mask({ids}, {}, 1).at(0).defined());
}

BOOST_AUTO_TEST_CASE(configs) {
  const Json config = Json::parse(R"({"name": "embedding", "trainable": true, "dtype": "float32",
    "batch_input_shape": [null, 10], "input_dim": 100, "output_dim": 8,
    "embeddings_initializer": {"class_name": "RandomUniform", "config": {"minval": -0.05, "maxval": 0.05, "seed": null}},
    "embeddings_regularizer": null, "activity_regularizer": null, "embeddings_constraint": null,
    "mask_zero": true, "input_length": 10})");
  check_config_round_trip("Embedding", config);
  const Json k1 = layer_from("Embedding", Json::parse(R"({"name": "e1", "input_dim": 7, "output_dim": 2,
    "init": "uniform", "W_regularizer": null, "W_constraint": null, "mask_zero": false, "input_length": 3,
    "dropout": 0.0})"))->get_config();
  BOOST_TEST(k1["input_dim"] == 7);
}

BOOST_AUTO_TEST_CASE(oracle_cases) {
  check_oracle_predict_case("embedding_flatten_dense");
}

BOOST_AUTO_TEST_CASE(gradient_reaches_the_picked_rows) {
  LayerPtr e = built_embedding();
  // Repeated ids: their rows collect both gradients.
  check_layer_gradients("Embedding", e, Tensor::from_vector<float>({1, 3, 1, 0}, {1, 4}), {}, false);
}

BOOST_AUTO_TEST_CASE(weights_round_trip_through_every_format) {
  LayerPtr e = built_embedding();
  KerasTensor in = Input(Shape{4}, "ids", DType::Int32);
  const auto model = std::make_shared<Functional>(KerasTensors{in}, KerasTensors{(*e)(in)});
  check_weight_round_trips(model, {Tensor::from_vector<std::int32_t>({4, 0, 2, 1, 3, 3, 1, 0}, {2, 4})}, "embedding");
}
