// Weight order (trainable first, then the rest, changed by `trainable` on nested layers),
// weight names with their scopes, and set_weights refusing bad lists without changing anything.
#define BOOST_TEST_MODULE core_weights
#include <boost/test/unit_test.hpp>

#include "test_core_support.hpp"

using core_test::dense;
using core_test::weight_names;
using Names = std::vector<std::string>;

namespace {

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

std::shared_ptr<ksave::Sequential> nested_model() {
  return std::make_shared<ksave::Sequential>(std::vector<ksave::LayerPtr>{
      ksave::Input({784}).layer(), std::make_shared<core_test::NestedDenseLayer>(10, "nested")});
}

core_test::NestedDenseLayer& nested_of(const ksave::Model& model) {
  return dynamic_cast<core_test::NestedDenseLayer&>(*model.get_layer("nested"));
}

}  // namespace

BOOST_AUTO_TEST_CASE(nested_weight_order_follows_trainable) {
  auto model = nested_model();
  BOOST_TEST(weight_names(*model) == (Names{"nested/dense_1/kernel:0", "nested/dense_1/bias:0",
                                            "nested/dense_2/kernel:0", "nested/dense_2/bias:0"}));
  nested_of(*model).dense_1->set_trainable(false);
  BOOST_TEST(weight_names(*model) == (Names{"nested/dense_2/kernel:0", "nested/dense_2/bias:0",
                                            "nested/dense_1/kernel:0", "nested/dense_1/bias:0"}));
  BOOST_TEST(model->trainable_weights().size() == 2u);
  BOOST_TEST(model->non_trainable_weights().size() == 2u);
  // Freezing the outer layer makes all of them non-trainable, in tracking order.
  nested_of(*model).dense_1->set_trainable(true);
  model->get_layer("nested")->set_trainable(false);
  BOOST_TEST(model->trainable_weights().empty());
  BOOST_TEST(weight_names(*model) == (Names{"nested/dense_1/kernel:0", "nested/dense_1/bias:0",
                                            "nested/dense_2/kernel:0", "nested/dense_2/bias:0"}));
}

// tf-keras 2.21's Model.weights lists layer after layer, so a frozen layer keeps its place (its
// own weights and its trainable list change, not the model's order). The interop suite compares
// get_weights with real tf-keras after every training step.
BOOST_AUTO_TEST_CASE(frozen_layer_keeps_its_place_in_a_model) {
  auto inputs = ksave::Input({4});
  auto first = dense(3, "first"), second = dense(2, "second");
  auto model = core_test::functional({inputs}, {(*second)((*first)(inputs))});
  const Names in_order{"first/kernel:0", "first/bias:0", "second/kernel:0", "second/bias:0"};
  BOOST_TEST(weight_names(*model) == in_order);
  first->set_trainable(false);
  BOOST_TEST(weight_names(*model) == in_order);
  BOOST_TEST(model->trainable_weights().size() == 2u);
  // get_weights / set_weights follow the same order.
  auto values = model->get_weights();
  BOOST_TEST((values[0].shape() == ksave::Shape{4, 3}));
  model->set_weights(values);
}

BOOST_AUTO_TEST_CASE(set_weights_checks_the_count) {
  auto layer = dense(3, "counted");
  layer->build(ksave::Shape{ksave::kUnknown, 4});
  auto before = layer->get_weights();
  std::vector<ksave::Tensor> one{before[0]};
  BOOST_CHECK_EXCEPTION(layer->set_weights(one), ksave::Error, [](const ksave::Error& e) {
    std::string m = e.what();
    BOOST_TEST_MESSAGE(m);
    return contains(m, "'counted'") && contains(m, "1 array") && contains(m, "2 weights");
  });
}

BOOST_AUTO_TEST_CASE(set_weights_checks_every_shape_before_changing_anything) {
  auto layer = dense(3, "shaped");
  layer->build(ksave::Shape{ksave::kUnknown, 4});
  auto before = layer->get_weights();
  // A good kernel and a bad bias: the kernel must not be written either.
  std::vector<ksave::Tensor> values{ksave::Tensor::filled(ksave::DType::Float32, {4, 3}, 7.0),
                                    ksave::Tensor::filled(ksave::DType::Float32, {4}, 1.0)};
  BOOST_CHECK_EXCEPTION(layer->set_weights(values), ksave::Error, [](const ksave::Error& e) {
    std::string m = e.what();
    BOOST_TEST_MESSAGE(m);
    return contains(m, "'shaped'") && contains(m, "shaped/bias:0") && contains(m, "(3,)") && contains(m, "(4,)");
  });
  auto after = layer->get_weights();
  BOOST_TEST(ksave::allclose(after[0], before[0]));
  BOOST_TEST(ksave::allclose(after[1], before[1]));
}

BOOST_AUTO_TEST_CASE(set_weights_casts_other_dtypes) {
  auto layer = dense(1, "cast");
  layer->build(ksave::Shape{ksave::kUnknown, 2});
  layer->set_weights({ksave::Tensor::from_vector<double>({1.5, 2.5}, {2, 1}), ksave::Tensor::from_vector<double>({0.5}, {1})});
  auto w = layer->get_weights();
  BOOST_TEST((w[0].dtype() == ksave::DType::Float32));
  BOOST_TEST(w[0].item(1) == 2.5);
}

BOOST_AUTO_TEST_CASE(variables_of_a_layer_built_directly_have_its_scope) {
  auto layer = dense(2, "direct");
  layer->build(ksave::Shape{ksave::kUnknown, 3});
  BOOST_TEST(weight_names(*layer) == (Names{"direct/kernel:0", "direct/bias:0"}));
  BOOST_TEST(layer->count_params() == 8);
}
