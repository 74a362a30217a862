// The README's "Loads read tensor data straight into the variables' storage (no second copy)",
// for every format that saves and loads weights (the checkpoint reader, which SavedModel loads
// also use, has its own suite, test_read_in_place): after load_weights each variable keeps the buffer it had, now holding the
// saved values; and a buffer someone else still holds (a value() the user kept) is never written
// behind their back: that variable gets a fresh buffer instead.
#define BOOST_TEST_MODULE loads_in_place
#include <boost/test/unit_test.hpp>

#include "ksave/ksave.hpp"
#include "plugins/layer_checks/format_round_trips.hpp"
#include "support/test_data.hpp"

using namespace ksave;
using ksave::test::fresh_twin;
using ksave::test::same_bytes;

namespace {

// Dense → BatchNormalization (non-trainable moving statistics too) → Dense, with weights no
// initializer gives.
ModelPtr saved_model_of_the_test() {
  auto model = std::make_shared<Sequential>(
      std::vector<LayerPtr>{make_layer("InputLayer", {{"batch_input_shape", Json::array({nullptr, 5})}, {"name", "in"}}),
                            make_layer("Dense", {{"units", 4}, {"name", "first"}}),
                            make_layer("BatchNormalization", {{"name", "norm"}}),
                            make_layer("Dense", {{"units", 2}, {"name", "last"}})},
      "in_place");
  ksave::test::make_weights_distinctive(*model);
  return model;
}

// Saves `model`'s weights in `format` (a file name every format takes, and the one Keras 3 needs).
std::filesystem::path save_for_load_weights(const FormatPtr& format, const ModelPtr& model) {
  const auto path = test::scratch_dir("in_place_" + format->name()) / (format->name() + ".weights.h5");
  save_weights(*model, path, SaveOptions{.format = format->name()});
  return path;
}

}  // namespace

BOOST_AUTO_TEST_CASE(load_weights_fills_each_variables_own_buffer) {
  const ModelPtr model = saved_model_of_the_test();
  std::size_t formats = 0;
  for (const FormatPtr& format : test::registered_formats()) {
    if (!format->can(Capability::LoadWeights) || !format->can(Capability::SaveWeights)) continue;
    ++formats;
    BOOST_TEST_CONTEXT(format->name()) {
      const auto path = save_for_load_weights(format, model);
      const ModelPtr twin = fresh_twin(*model);
      std::vector<const void*> buffers;
      for (const auto& v : twin->weights()) buffers.push_back(v->value().raw_data());
      load_weights(*twin, path);
      const auto expected = model->weights(), loaded = twin->weights();
      BOOST_TEST_REQUIRE(loaded.size() == expected.size());
      for (std::size_t i = 0; i < loaded.size(); ++i) {
        BOOST_TEST(loaded[i]->value().raw_data() == buffers[i], loaded[i]->name() << " was given a second buffer");
        BOOST_TEST(same_bytes(loaded[i]->value(), expected[i]->value()), loaded[i]->name());
      }
    }
  }
  BOOST_TEST(formats == 3u);  // h5, keras (*.weights.h5), tf-checkpoint
}

BOOST_AUTO_TEST_CASE(a_buffer_someone_holds_is_never_written) {
  const ModelPtr model = saved_model_of_the_test();
  for (const FormatPtr& format : test::registered_formats()) {
    if (!format->can(Capability::LoadWeights) || !format->can(Capability::SaveWeights)) continue;
    BOOST_TEST_CONTEXT(format->name()) {
      const auto path = save_for_load_weights(format, model);
      const ModelPtr twin = fresh_twin(*model);
      std::vector<Tensor> held;  // shares each variable's storage, as a kept value() does
      for (const auto& v : twin->weights()) held.push_back(v->value());
      std::vector<Tensor> before;
      for (const auto& h : held) before.push_back(h.clone());
      load_weights(*twin, path);
      const auto expected = model->weights(), loaded = twin->weights();
      for (std::size_t i = 0; i < loaded.size(); ++i) {
        BOOST_TEST(same_bytes(held[i], before[i]), loaded[i]->name() << ": a held buffer was overwritten");
        BOOST_TEST(same_bytes(loaded[i]->value(), expected[i]->value()), loaded[i]->name());
      }
    }
  }
}
