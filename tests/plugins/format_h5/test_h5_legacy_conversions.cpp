// tf.keras's preprocess_weights_for_loading on the real Keras 1.2.2 file: its LSTM's 12 per-gate
// arrays (gates i, c, f, o) become kernel, recurrent_kernel and bias with gates i, f, c, o, as
// the LSTM class declares (Layer::convert_stored_weights; the fixture suite checks predictions).
#define BOOST_TEST_MODULE format_h5_legacy_conversions
#include <boost/test/unit_test.hpp>

#include "hdf5_handle.hpp"
#include "ksave/serialization.hpp"
#include "string_attributes.hpp"
#include "support/test_data.hpp"

using namespace ksave;
namespace p = ksave::plugins::h5;

namespace {

// Column block `gate` (of 4) of a 2-D [rows, 4u] or 1-D [4u] array.
std::vector<float> gate_block(const Tensor& t, int gate, Dim units) {
  std::vector<float> out;
  Dim rows = t.rank() == 2 ? t.dim(0) : 1;
  Dim cols = t.dim(-1);
  const float* d = t.data<float>();
  for (Dim r = 0; r < rows; ++r)
    for (Dim c = gate * units; c < (gate + 1) * units; ++c) out.push_back(d[r * cols + c]);
  return out;
}

}  // namespace

BOOST_AUTO_TEST_CASE(keras1_lstm_gates_are_merged_in_keras2_order) {
  auto real = test::real_fixtures();
  KSAVE_REQUIRE_DATA(real, "real fixtures");
  auto lock = p::hdf5_lock();
  p::File file = p::File::open(*real / "dl4j_keras122_lstm_full_weights_json_io" / "simple_lstm_tf_keras_1_model.h5");
  p::Group group = file.group("model_weights/lstm_1");
  auto names = *p::read_string_list(group, "weight_names");
  BOOST_REQUIRE_EQUAL(names.size(), 12u);
  std::vector<Tensor> stored;
  std::vector<Shape> shapes;
  for (const auto& n : names) {
    stored.push_back(group.dataset(n).read());
    shapes.push_back(stored.back().shape());
  }
  LayerPtr layer = make_layer("LSTM", {{"units", 50}});
  layer->build(Shape{kUnknown, kUnknown, 1});
  BOOST_TEST(layer->stored_weights_need_conversion(shapes, "1"));
  BOOST_TEST(!layer->stored_weights_need_conversion(shapes, "2.2.4"));
  auto merged = layer->convert_stored_weights(stored, "1");
  BOOST_REQUIRE_EQUAL(merged.size(), 3u);
  BOOST_TEST(merged[0].shape() == (Shape{1, 200}));
  BOOST_TEST(merged[1].shape() == (Shape{50, 200}));
  BOOST_TEST(merged[2].shape() == (Shape{200}));
  // File order: W_i U_i b_i, W_c U_c b_c, W_f U_f b_f, W_o U_o b_o. Keras 2 blocks: i, f, c, o.
  const int file_gate_of_block[4] = {0, 2, 1, 3};
  for (int block = 0; block < 4; ++block)
    for (int part = 0; part < 3; ++part) {
      const Tensor& source = stored[static_cast<std::size_t>(3 * file_gate_of_block[block] + part)];
      BOOST_TEST(gate_block(merged[static_cast<std::size_t>(part)], block, 50) == source.to_vector<float>(),
                 "block " << block << " of " << names[static_cast<std::size_t>(part)]);
    }
}
