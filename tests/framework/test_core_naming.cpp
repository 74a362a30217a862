// Automatic names as Keras gives them: "dense", "dense_1", ... per class; inputs "input_1",
// "input_2", ...; models "model", "sequential"; clear_session restarts them; to_snake_case.
#define BOOST_TEST_MODULE core_naming
#include <boost/test/unit_test.hpp>

#include "test_core_support.hpp"

using core_test::dense;

BOOST_AUTO_TEST_CASE(layers_get_zero_based_names_per_class) {
  ksave::clear_session();
  BOOST_TEST(dense(2)->name() == "dense");
  BOOST_TEST(dense(2)->name() == "dense_1");
  BOOST_TEST(ksave::make_layer("Dropout", {{"rate", 0.5}})->name() == "dropout");
  BOOST_TEST(dense(2)->name() == "dense_2");
  // A given name does not use up an automatic one.
  BOOST_TEST(dense(2, "mine")->name() == "mine");
  BOOST_TEST(dense(2)->name() == "dense_3");
}

BOOST_AUTO_TEST_CASE(inputs_are_one_based_and_models_have_their_own_counters) {
  ksave::clear_session();
  auto a = ksave::Input({3});
  auto b = ksave::Input({3});
  BOOST_TEST(a.layer()->name() == "input_1");
  BOOST_TEST(b.layer()->name() == "input_2");
  auto m1 = core_test::functional({a}, {(*dense(1))(a)});
  auto m2 = core_test::functional({b}, {(*dense(1))(b)});
  BOOST_TEST(m1->name() == "model");
  BOOST_TEST(m2->name() == "model_1");
  auto s = std::make_shared<ksave::Sequential>();
  BOOST_TEST(s->name() == "sequential");
}

BOOST_AUTO_TEST_CASE(clear_session_restarts_the_counters) {
  ksave::clear_session();
  BOOST_TEST(dense(1)->name() == "dense");
  BOOST_TEST(ksave::Input({2}).layer()->name() == "input_1");
  ksave::clear_session();
  BOOST_TEST(dense(1)->name() == "dense");
  BOOST_TEST(ksave::Input({2}).layer()->name() == "input_1");
}

BOOST_AUTO_TEST_CASE(input_layer_pointer_owns_its_layer) {
  // Input(...).layer() outlives the tensor it came from (it used to be a non-owning pointer).
  ksave::LayerPtr layer = ksave::Input({5}, "kept").layer();
  BOOST_TEST(layer.use_count() >= 1);
  BOOST_TEST(layer->name() == "kept");
  BOOST_TEST(layer->class_name() == "InputLayer");
  BOOST_TEST((layer->output().shape() == ksave::Shape{ksave::kUnknown, 5}));
}

BOOST_AUTO_TEST_CASE(snake_case_follows_keras) {
  BOOST_TEST(ksave::to_snake_case("Dense") == "dense");
  BOOST_TEST(ksave::to_snake_case("BatchNormalization") == "batch_normalization");
  BOOST_TEST(ksave::to_snake_case("Conv2D") == "conv2d");
  BOOST_TEST(ksave::to_snake_case("Conv2DTranspose") == "conv2d_transpose");
  BOOST_TEST(ksave::to_snake_case("ConvLSTM2D") == "conv_lstm2d");  // tf-keras 2.21: no digits in words
  BOOST_TEST(ksave::to_snake_case("LSTM") == "lstm");
  BOOST_TEST(ksave::to_snake_case("GRUCell") == "gru_cell");
  BOOST_TEST(ksave::to_snake_case("PReLU") == "p_re_lu");
  BOOST_TEST(ksave::to_snake_case("GlobalAveragePooling2D") == "global_average_pooling2d");
  BOOST_TEST(ksave::to_snake_case("_Private") == "private__private");
  BOOST_TEST(ksave::to_snake_case("NestedDenseLayer") == "nested_dense_layer");
}
