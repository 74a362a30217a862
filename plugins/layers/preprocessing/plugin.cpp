// Preprocessing layers with a numeric meaning: Resizing, CenterCrop, CategoryEncoding,
// Discretization, Hashing, HashedCrossing, StringLookup, IntegerLookup, TextVectorization,
// RandomCrop, Keras 3's AutoContrast, ContrastLimitedAdaptiveHistogramEqualization and
// MaxNumBoundingBoxes (on image tensors), and the augmentation layers of both Keras versions (the
// identity at inference). (Rescaling and Normalization live with the keras.applications work.)
#include "preprocessing_layer.hpp"
#include "ksave/conformance.hpp"

namespace ksave::plugins::preprocessing {
namespace {

void register_objects(PluginRegistrar& r) {
  register_augmentation(r);
  register_image_layers(r);
  register_auto_contrast(r);
  register_clahe(r);
  register_max_num_bounding_boxes(r);
  register_encoding_layers(r);
  register_hashing(r);
  register_lookups(r);
  register_text_vectorization(r);
  register_hashed_crossing(r);
  register_dense_features(r);
}

}  // namespace
}  // namespace ksave::plugins::preprocessing

KSAVE_PLUGIN("preprocessing", "0.1.0", ksave::plugins::preprocessing::register_objects)

// What the conformance kit (ksave conform) builds these classes from where {} builds nothing or
// the inputs are not one float tensor.
namespace {

ksave::Json conformance_samples() {
  ksave::Json samples = ksave::ConformanceSamples()
      .layer("Resizing", {{"height", 2}, {"width", 2}}, {{.shape = {4, 4, 3}}})
      .layer("CenterCrop", {{"height", 2}, {"width", 2}}, {{.shape = {4, 4, 3}}})
      .layer("RandomCrop", {{"height", 2}, {"width", 3}}, {{.shape = {4, 4, 3}}})
      .layer("MaxNumBoundingBoxes", {{"max_number", 3}}, {{.shape = {4, 4, 3}}})
      .layer("ContrastLimitedAdaptiveHistogramEqualization", {{"tile_grid_size", {2, 2}}}, {{.shape = {6, 5, 2}, .low = 0, .high = 255}})
      .layer("CategoryEncoding", {{"num_tokens", 4}}, {{.shape = {3}, .dtype = "int32", .low = 0, .high = 4}})
      .layer("Discretization", {{"bin_boundaries", {0.0, 0.5}}})
      .layer("Hashing", {{"num_bins", 5}}, {{.shape = {3}, .dtype = "int64", .low = 0, .high = 100}})
      .layer("HashedCrossing", {{"num_bins", 5}},
             {{.shape = {1}, .dtype = "int64", .low = 0, .high = 100}, {.shape = {1}, .dtype = "string", .low = 0, .high = 9}})
      .layer("IntegerLookup", {{"vocabulary", {3, 5, 7}}}, {{.shape = {3}, .dtype = "int64", .low = 0, .high = 10}})
      .layer("StringLookup", {{"vocabulary", {"1", "2", "3"}}}, {{.shape = {3}, .dtype = "string", .low = 0, .high = 5}})
      .layer("TextVectorization", {{"vocabulary", {"1", "2", "3"}}, {"split", nullptr}},
             {{.shape = {3}, .dtype = "string", .low = 0, .high = 5}})
      .layer("DenseFeatures",
             {{"feature_columns", {{{"class_name", "NumericColumn"}, {"config", {{"key", "a"}, {"shape", {2}}}}}}}},
             {{.shape = {2}}})
      .json();
  // A lookup table has no traced form (index_lookup.cpp refuses it by name).
  for (const char* lookup : {"IntegerLookup", "StringLookup", "TextVectorization"})
    samples["layer"][lookup]["not_in_formats"] = {{"savedmodel", "a vocabulary lookup has no traced TensorFlow form in ksave yet"}};
  samples["layer"]["ContrastLimitedAdaptiveHistogramEqualization"]["not_in_formats"] = {
      {"savedmodel", "its tile histograms are computed outside ksave's ops, which have no traced TensorFlow form"}};
  samples["layer"]["DenseFeatures"]["not_in_formats"] = {
      {"savedmodel", "feature columns are computed outside ksave's ops, which have no traced TensorFlow form"}};
  samples["layer"]["HashedCrossing"]["not_in_formats"] = {{"savedmodel", "a feature cross has no traced TensorFlow form in ksave yet"}};
  return samples;
}

}  // namespace

KSAVE_CONFORMANCE_SAMPLES(conformance_samples)
