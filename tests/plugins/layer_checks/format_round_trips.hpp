// Weights (and configs) through every file format, for the layer suites (header only, included by
// both layer_checks.hpp headers; this folder has no CMakeLists.txt of its own).
//
// check_weight_round_trips(model, inputs, label) asks the registry at run time which formats
// exist, so a format plugin added later is covered by every layer suite without touching them:
//  - formats that save and load weights (h5, tf-checkpoint, ...): save_weights, load_weights into
//    a fresh model built from the same JSON;
//  - formats that save and load whole models (h5, savedmodel, json, keras, ...): save_model,
//    load_model, the same config; and, unless the file holds an architecture only (its inspect
//    says "weights": false, as the json format does), the same weights, also through
//    load_weights of that file where the format reads weights from it.
// "The same weights" means the same names in the same order with the same dtype, shape and bytes
// (non-trainable ones included: moving statistics, ...), and the same predictions on `inputs`,
// bit for bit. Formats whose plugin was not built are simply absent (their suites test them).
#pragma once

#include <algorithm>

#include <boost/test/unit_test.hpp>

#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "comparison.hpp"  // the conformance kit's shift_weights
#include "ksave/class_entry.hpp"
#include "ksave/format.hpp"
#include "ksave/model.hpp"
#include "ksave/registry.hpp"
#include "ksave/saving.hpp"
#include "ksave/serialization.hpp"
#include "support/test_data.hpp"

namespace ksave::test {

// Every registered format, asked fresh each time (plugins load on first use).
inline std::vector<FormatPtr> registered_formats() {
  std::vector<FormatPtr> formats;
  for (const auto& entry : Registry::global().entries(Kind::Format)) formats.push_back(entry->as<FormatFactory>()());
  return formats;
}

inline bool same_bytes(const Tensor& a, const Tensor& b) {
  if (a.dtype() != b.dtype() || a.shape() != b.shape()) return false;
  if (a.dtype() == DType::String) return a.string_values() == b.string_values();
  return a.nbytes() == 0 || std::memcmp(a.raw_data(), b.raw_data(), a.nbytes()) == 0;
}

// Same variable names, in the same order, with bit-identical values.
inline void expect_same_weights(const Model& expected, const Model& found, const std::string& what) {
  const auto a = expected.weights(), b = found.weights();
  BOOST_TEST_REQUIRE(a.size() == b.size(), what << ": " << a.size() << " weights saved, " << b.size() << " loaded");
  for (std::size_t i = 0; i < a.size(); ++i) {
    BOOST_TEST(a[i]->name() == b[i]->name(), what << " weight " << i);
    BOOST_TEST(same_bytes(a[i]->value(), b[i]->value()),
               what << " weight " << i << " '" << a[i]->name() << "' is not bit-identical (max difference "
                    << max_abs_difference(a[i]->value(), b[i]->value()) << ")");
  }
}

inline void expect_same_predictions(const Tensors& expected, Model& found, const Tensors& inputs, const std::string& what) {
  const Tensors y = found.predict(inputs);
  BOOST_TEST_REQUIRE(y.size() == expected.size(), what << ": number of outputs");
  for (std::size_t i = 0; i < y.size(); ++i)
    BOOST_TEST(same_bytes(y[i], expected[i]),
               what << " output " << i << " is not bit-identical (max difference " << max_abs_difference(y[i], expected[i]) << ")");
}

// Moves every float weight of `model` away from what an initializer gives (zeros, ones, a seeded
// draw), as the conformance kit does: a format that rebuilt a weight instead of loading it
// cannot pass. Positive values stay positive (variances).
inline void make_weights_distinctive(Model& model) { conformance::shift_weights(model); }

// A model from `model`'s JSON whose every weight holds a value no layer initializes to, so a
// weight the load leaves alone shows as a difference.
inline ModelPtr fresh_twin(const Model& model) {
  ModelPtr twin = model_from_json(model.to_json());
  for (const auto& w : twin->weights()) w->assign(Tensor::filled(w->dtype(), w->shape(), 3.25));
  return twin;
}

// What each check below needs: the model, its inputs and predictions, a folder, a label.
struct RoundTrip {
  const ModelPtr& model;
  const Tensors& inputs;
  const Tensors& expected;
  std::filesystem::path dir;
  std::string label;
};

// load_weights of `path` into a fresh model gives `trip.model`'s weights and predictions.
inline void expect_weights_load(const std::filesystem::path& path, const RoundTrip& trip, const std::string& what) {
  ModelPtr twin = fresh_twin(*trip.model);
  const LoadStatus status = load_weights(*twin, path);
  BOOST_TEST(status.unmatched_in_model.empty(), what << ": model variables without a value, first '"
                                                     << (status.unmatched_in_model.empty() ? "" : status.unmatched_in_model.front()) << "'");
  BOOST_TEST(status.unused_in_file.empty(), what << ": saved values no variable took, first '"
                                                 << (status.unused_in_file.empty() ? "" : status.unused_in_file.front()) << "'");
  expect_same_weights(*trip.model, *twin, what);
  expect_same_predictions(trip.expected, *twin, trip.inputs, what);
}

inline void check_weights_format(const FormatPtr& format, const RoundTrip& trip) {
  // A prefix for checkpoints, a file for the others: one name serves both. Keras 3 (the keras
  // format) only takes weights files named `*.weights.h5`; the other formats take any name.
  const auto path = trip.dir / (format->name() + ".weights.h5");
  save_weights(*trip.model, path, SaveOptions{.format = format->name()});
  expect_weights_load(path, trip, trip.label + ": weights through '" + format->name() + "'");
}

// `same_config` false: the format writes the model in another form of the same computation (a
// Keras 3 archive holds tf-keras's TF ops as Keras 3's operations), so only the numbers are compared.
inline void check_model_format(const FormatPtr& format, const RoundTrip& trip, bool same_config = true) {
  const std::string what = trip.label + ": model saved as '" + format->name() + "'";
  const auto path = trip.dir / ("model." + format->name());
  save_model(*trip.model, path, SaveOptions{.format = format->name()});
  BOOST_TEST(detect_format(path)->name() == format->name(), what << ": read back as another format");
  ModelPtr loaded = load_model(path);
  if (same_config) BOOST_TEST(loaded->to_json() == trip.model->to_json(), what << ": config differs");
  if (format->can(Capability::Inspect) && format->inspect(path).value("weights", Json(true)) == Json(false)) return;
  expect_same_weights(*trip.model, *loaded, what);
  expect_same_predictions(trip.expected, *loaded, trip.inputs, what);
  // Keras's model.load_weights also reads whole-model files (HDF5, Keras 3 archives).
  if (format->can(Capability::LoadWeights)) expect_weights_load(path, trip, what + ", read by load_weights");
}

// The whole check described at the top. It changes `model`'s weights first (see
// make_weights_distinctive). `model` must be owned by a shared_ptr (the TF formats walk it as a
// trackable object); a stateful model must come with no kept states, since it is compared with
// freshly loaded ones. The formats in `refusing` must refuse to save the whole model (one that
// their Keras cannot load) with a ksave::Error; those in `converting` save it in another form
// (check_model_format's same_config).
inline void check_weight_round_trips(const ModelPtr& model, const Tensors& inputs, const std::string& label,
                                     const std::vector<std::string>& refusing = {}, const std::vector<std::string>& converting = {}) {
  make_weights_distinctive(*model);
  const Tensors expected = model->predict(inputs);
  const std::vector<FormatPtr> formats = registered_formats();
  BOOST_TEST_REQUIRE(!formats.empty(), label << ": no format plugin is installed");
  for (const FormatPtr& format : formats) {
    const RoundTrip trip{model, inputs, expected, scratch_dir(label + "_" + format->name()), label};
    const bool weights = format->can(Capability::SaveWeights) && format->can(Capability::LoadWeights);
    const bool whole_model = format->can(Capability::SaveModel) && format->can(Capability::LoadModel);
    BOOST_TEST_MESSAGE(label << " through '" << format->name() << "':" << (weights ? " weights" : "")
                             << (whole_model ? " model" : "") << (weights || whole_model ? "" : " nothing to check"));
    try {
      if (weights) check_weights_format(format, trip);
      const bool refused = std::find(refusing.begin(), refusing.end(), format->name()) != refusing.end();
      if (whole_model && refused)
        BOOST_CHECK_THROW(save_model(*model, trip.dir / ("model." + format->name()), SaveOptions{.format = format->name()}), Error);
      else if (whole_model)
        check_model_format(format, trip, std::find(converting.begin(), converting.end(), format->name()) == converting.end());
    } catch (const std::exception& e) {
      BOOST_ERROR(label << " through '" << format->name() << "': " << e.what());
    }
  }
}

}  // namespace ksave::test
