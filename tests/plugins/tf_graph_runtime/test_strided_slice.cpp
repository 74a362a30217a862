// StridedSlice as the graph runtime runs it, against TensorFlow 2.21's own results
// (tf.raw_ops.StridedSlice on tf.range(60) reshaped to [2, 5, 6]): steps other than 1, negative
// steps, masks, an ellipsis, a new axis, an empty interval; a zero stride and a stepped indexed
// axis are refused as TensorFlow refuses them.
#define BOOST_TEST_MODULE tf_graph_strided_slice
#include <boost/test/unit_test.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "ksave/error.hpp"
#include "ksave/tensor.hpp"
#include "tf_op_import.hpp"

using namespace ksave;
using namespace ksave::plugins::savedmodel;

namespace {

using Ints = std::vector<std::int64_t>;

struct Spec {
  Ints begin, end, strides;
  std::int64_t begin_mask = 0, end_mask = 0, ellipsis_mask = 0, new_axis_mask = 0, shrink_axis_mask = 0;
};

Tensor int_tensor(const Ints& values) {
  std::vector<std::int32_t> narrow(values.begin(), values.end());
  return Tensor::from_vector<std::int32_t>(narrow, {static_cast<Dim>(narrow.size())});
}

// The op run as a graph node would run it: x and the three bounds as inputs, the masks as attrs.
Tensor strided_slice(const Spec& spec) {
  std::vector<float> values(60);
  for (std::size_t i = 0; i < values.size(); ++i) values[i] = static_cast<float>(i);
  const Tensors inputs = {Tensor::from_vector<float>(values, {2, 5, 6}), int_tensor(spec.begin), int_tensor(spec.end),
                          int_tensor(spec.strides)};
  tfproto::NodeDef node;
  node.set_name("strided_slice");
  node.set_op("StridedSlice");
  const std::pair<const char*, std::int64_t> masks[] = {{"begin_mask", spec.begin_mask},
                                                         {"end_mask", spec.end_mask},
                                                         {"ellipsis_mask", spec.ellipsis_mask},
                                                         {"new_axis_mask", spec.new_axis_mask},
                                                         {"shrink_axis_mask", spec.shrink_axis_mask}};
  for (const auto& [name, value] : masks) (*node.mutable_attr())[name].set_i(value);
  const Attrs attrs = attrs_from_node(node);
  const std::string where = "function f node strided_slice";
  const TfOpImporter* importer = find_tf_op_importer("StridedSlice");
  BOOST_REQUIRE(importer);
  const Tensors out = importer->run(TfOpCall{node, inputs, attrs, where});
  BOOST_REQUIRE_EQUAL(out.size(), 1u);
  return out[0];
}

void expect(const Spec& spec, const Shape& shape, const std::vector<float>& values) {
  const Tensor y = strided_slice(spec);
  BOOST_TEST(y.shape() == shape);
  BOOST_TEST(y.to_vector<float>() == values, boost::test_tools::per_element());
}

std::string error_of(const Spec& spec) {
  try {
    strided_slice(spec);
  } catch (const Error& e) {
    return e.what();
  }
  return {};
}

}  // namespace

BOOST_AUTO_TEST_CASE(steps_other_than_one_give_tensorflows_values) {
  // x[:, ::2] (Keras 3's GetItem of h[:, ::2] in an export()).
  expect({{0, 0}, {0, 0}, {1, 2}, 3, 3}, {2, 3, 6},
         {0, 1, 2, 3, 4, 5, 12, 13, 14, 15, 16, 17, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 42, 43, 44, 45, 46, 47, 54, 55, 56, 57, 58, 59});
  // x[:, ::-1, 1:5:3]
  expect({{0, 0, 1}, {0, 0, 5}, {1, -1, 3}, 3, 3}, {2, 5, 2}, {25, 28, 19, 22, 13, 16, 7, 10, 1, 4, 55, 58, 49, 52, 43, 46, 37, 40, 31, 34});
  // x[1, -1:0:-2, ::-4]
  expect({{1, -1, 0}, {2, 0, 0}, {1, -2, -4}, 4, 4, 0, 0, 1}, {2, 2}, {59, 55, 47, 43});
}

BOOST_AUTO_TEST_CASE(negative_steps_clamp_and_combine_with_ellipsis_and_new_axes) {
  // x[..., 4:-7:-2]: the end clamps to before the first element.
  expect({{0, 4}, {0, -7}, {1, -2}, 0, 0, 1}, {2, 5, 3}, {4, 2, 0, 10, 8, 6, 16, 14, 12, 22, 20, 18, 28, 26, 24,
                                                         34, 32, 30, 40, 38, 36, 46, 44, 42, 52, 50, 48, 58, 56, 54});
  // x[None, :, 10:-10:-3]: the begin clamps to the last row.
  expect({{0, 0, 10}, {0, 0, -10}, {1, 1, -3}, 2, 2, 0, 1}, {1, 2, 2, 6},
         {24, 25, 26, 27, 28, 29, 6, 7, 8, 9, 10, 11, 54, 55, 56, 57, 58, 59, 36, 37, 38, 39, 40, 41});
  // x[:, 3:1:1]: an interval against its step is empty.
  expect({{0, 3}, {0, 1}, {1, 1}, 1, 1}, {2, 0, 6}, {});
}

BOOST_AUTO_TEST_CASE(zero_strides_and_stepped_indices_are_refused) {
  const std::string zero = error_of({{0}, {1}, {0}});
  BOOST_TEST_INFO("error: " << zero);
  BOOST_TEST(zero.find("strided_slice") != std::string::npos);
  BOOST_TEST(zero.find("nonzero") != std::string::npos);
  const std::string indexed = error_of({{1}, {2}, {-1}, 0, 0, 0, 0, 1});
  BOOST_TEST_INFO("error: " << indexed);
  BOOST_TEST(indexed.find("stride 1") != std::string::npos);
}
