// Every layer class the registry holds exports to ONNX: one small model per class, each saved as
// ONNX. The table must name every registered layer class, so a class added to ksave without an
// ONNX converter fails here, naming it. (ONNX Runtime runs these forms in tests/onnx/.)
#include <boost/test/unit_test.hpp>

#include <set>

#include "ksave/registry.hpp"
#include "onnx_test_models.hpp"
#include "support/small_saved_model.hpp"
#include "support/test_data.hpp"

using namespace ksave;
using namespace ksave::test::onnx;
namespace fs = std::filesystem;

namespace {

struct Sample {
  std::string class_name;
  Json config;
  std::vector<Shape> inputs;  // without the batch dimension
  Json call_kwargs = Json::object();  // a TFOpLambda's arguments
};

Json wrapped(const std::string& cls, Json config) { return {{"layer", {{"class_name", cls}, {"config", std::move(config)}}}}; }

const std::vector<Sample>& samples() {
  static const std::vector<Sample> table = {
      {"Dense", {{"units", 2}}, {{4}}},
      {"EinsumDense", {{"equation", "...b,bc->...c"}, {"output_shape", 2}, {"bias_axes", "c"}, {"activation", "softmax"}}, {{3, 4}}},
      {"Activation", {{"activation", "tanh"}}, {{4}}},
      {"Dropout", {{"rate", 0.5}}, {{4}}},
      {"SpatialDropout1D", {{"rate", 0.5}}, {{3, 4}}},
      {"SpatialDropout2D", {{"rate", 0.5}}, {{3, 3, 4}}},
      {"SpatialDropout3D", {{"rate", 0.5}}, {{2, 3, 3, 4}}},
      {"GaussianNoise", {{"stddev", 0.5}}, {{4}}},
      {"GaussianDropout", {{"rate", 0.5}}, {{4}}},
      {"AlphaDropout", {{"rate", 0.5}}, {{4}}},
      {"ActivityRegularization", {{"l1", 0.5}}, {{4}}},
      {"Identity", Json::object(), {{4}}},
      {"Embedding", {{"input_dim", 10}, {"output_dim", 3}, {"mask_zero", true}}, {{5}}},
      {"ReversibleEmbedding", {{"input_dim", 10}, {"output_dim", 3}}, {{5}}},
      {"ReversibleEmbedding", {{"input_dim", 10}, {"output_dim", 3}, {"tie_weights", false}, {"logit_soft_cap", 2.0}},
       {{5, 3}}, {{"reverse", true}}},
      {"Masking", {{"mask_value", 0.5}}, {{5, 3}}},
      {"ReLU", {{"max_value", 6.0}, {"threshold", 0.1}, {"negative_slope", 0.2}}, {{4}}},
      {"LeakyReLU", {{"alpha", 0.1}}, {{4}}},
      {"PReLU", {{"shared_axes", {1}}}, {{3, 4}}},
      {"ELU", {{"alpha", 0.5}}, {{4}}},
      {"ThresholdedReLU", {{"theta", 0.5}}, {{4}}},
      {"Softmax", {{"axis", 1}}, {{3, 4}}},
      {"Conv1D", {{"filters", 2}, {"kernel_size", 2}, {"padding", "causal"}}, {{6, 3}}},
      {"Conv2D", {{"filters", 2}, {"kernel_size", 2}, {"padding", "same"}, {"strides", 2}}, {{5, 5, 3}}},
      {"Conv2DTranspose", {{"filters", 2}, {"kernel_size", 3}, {"strides", 2}, {"padding", "same"}}, {{4, 4, 3}}},
      {"DepthwiseConv2D", {{"kernel_size", 2}, {"depth_multiplier", 2}}, {{5, 5, 3}}},
      {"SeparableConv2D", {{"filters", 2}, {"kernel_size", 2}}, {{5, 5, 3}}},
      {"STFTSpectrogram", {{"frame_length", 4}, {"frame_step", 2}, {"mode", "psd"}, {"padding", "same"}}, {{9, 2}}},
      {"STFTSpectrogram", {{"frame_length", 4}, {"mode", "stft"}, {"data_format", "channels_first"}, {"expand_dims", true}},
       {{2, 9}}},
      {"MelSpectrogram", {{"fft_length", 8}, {"sequence_stride", 3}, {"num_mel_bins", 4}, {"sampling_rate", 800}, {"top_db", 20.0}}, {{13}}},
      {"MelSpectrogram", {{"fft_length", 10}, {"sequence_length", 7}, {"window", "hamming"}, {"num_mel_bins", 3},
                          {"sampling_rate", 1000}, {"power_to_db", false}, {"mag_exp", 1.0}}, {{16}}},
      {"LocallyConnected1D", {{"filters", 2}, {"kernel_size", 2}, {"implementation", 3}, {"padding", "same"}}, {{5, 3}}},
      {"LocallyConnected2D", {{"filters", 2}, {"kernel_size", 2}, {"strides", 2}, {"implementation", 2}}, {{5, 4, 3}}},
      {"Conv3D", {{"filters", 2}, {"kernel_size", 2}, {"padding", "same"}, {"strides", {2, 1, 1}}}, {{4, 3, 3, 2}}},
      {"Conv1DTranspose", {{"filters", 2}, {"kernel_size", 3}, {"strides", 2}, {"padding", "same"}}, {{4, 3}}},
      {"Conv3DTranspose", {{"filters", 2}, {"kernel_size", 2}, {"strides", {2, 1, 1}}, {"padding", "same"}}, {{3, 3, 3, 2}}},
      {"DepthwiseConv1D", {{"kernel_size", 2}, {"depth_multiplier", 2}}, {{5, 3}}},
      {"SeparableConv1D", {{"filters", 2}, {"kernel_size", 2}}, {{5, 3}}},
      {"MaxPooling1D", Json::object(), {{4, 2}}},
      {"AveragePooling1D", {{"padding", "same"}, {"pool_size", 3}}, {{4, 2}}},
      {"MaxPooling2D", Json::object(), {{4, 4, 2}}},
      {"AveragePooling2D", Json::object(), {{4, 4, 2}}},
      {"GlobalMaxPooling1D", Json::object(), {{4, 2}}},
      {"GlobalAveragePooling1D", {{"keepdims", true}}, {{4, 2}}},
      {"GlobalMaxPooling2D", Json::object(), {{3, 3, 2}}},
      {"GlobalAveragePooling2D", Json::object(), {{3, 3, 2}}},
      {"MaxPooling3D", {{"padding", "same"}}, {{3, 3, 3, 2}}},
      {"AveragePooling3D", {{"pool_size", {2, 1, 2}}}, {{3, 3, 3, 2}}},
      {"GlobalMaxPooling3D", Json::object(), {{2, 3, 3, 2}}},
      {"GlobalAveragePooling3D", {{"keepdims", true}}, {{2, 3, 3, 2}}},
      {"BatchNormalization", Json::object(), {{4}}},
      {"LayerNormalization", {{"axis", {1, 2}}}, {{3, 4}}},
      {"GroupNormalization", {{"groups", 2}}, {{3, 4}}},
      {"UnitNormalization", {{"axis", {1, 2}}}, {{3, 4}}},
      {"RMSNormalization", {{"axis", {1, 2}}}, {{3, 4}}},
      {"Normalization", {{"axis", {-1}}, {"mean", {1.0, 2.0}}, {"variance", {4.0, 9.0}}, {"invert", true}}, {{3, 2}}},
      {"Rescaling", {{"scale", {0.5, 2.0}}, {"offset", -1.0}}, {{3, 2}}},
      {"LayerScale", {{"init_values", 0.5}, {"projection_dim", 4}}, {{2, 2, 4}}},
      {"StochasticDepth", {{"drop_path_rate", 0.1}}, {{4}}},
      {"Flatten", Json::object(), {{2, 3}}},
      {"Reshape", {{"target_shape", {3, 2}}}, {{6}}},
      {"Permute", {{"dims", {2, 1}}}, {{2, 3}}},
      {"RepeatVector", {{"n", 2}}, {{3}}},
      {"ZeroPadding1D", {{"padding", 1}}, {{4, 2}}},
      {"ZeroPadding2D", {{"padding", {{1, 0}, {0, 2}}}}, {{3, 3, 2}}},
      {"Cropping1D", {{"cropping", {1, 0}}}, {{4, 2}}},
      {"Cropping2D", {{"cropping", {{1, 0}, {0, 1}}}}, {{3, 3, 2}}},
      {"UpSampling1D", {{"size", 2}}, {{4, 2}}},
      {"UpSampling2D", {{"size", {2, 3}}}, {{3, 3, 2}}},
      {"ZeroPadding3D", {{"padding", {{1, 0}, {0, 2}, {1, 1}}}}, {{2, 3, 3, 2}}},
      {"Cropping3D", {{"cropping", {{1, 0}, {0, 1}, {1, 1}}}}, {{3, 3, 3, 2}}},
      {"UpSampling3D", {{"size", {2, 1, 3}}}, {{2, 3, 3, 2}}},
      {"Add", Json::object(), {{3}, {3}}},
      {"Subtract", Json::object(), {{3}, {3}}},
      {"Multiply", Json::object(), {{3}, {3}}},
      {"Average", Json::object(), {{3}, {3}}},
      {"Maximum", Json::object(), {{3}, {3}}},
      {"Minimum", Json::object(), {{3}, {3}}},
      {"Concatenate", Json::object(), {{3}, {2}}},
      {"Dot", {{"axes", 1}, {"normalize", true}}, {{3}, {3}}},
      {"Merge", {{"mode", "ave"}}, {{3}, {3}}},
      {"Attention", {{"use_scale", true}, {"score_mode", "concat"}}, {{4, 3}, {5, 3}}},
      {"AdditiveAttention", {{"use_scale", true}}, {{4, 3}, {5, 3}}},
      {"MultiHeadAttention", {{"num_heads", 2}, {"key_dim", 3}, {"output_shape", Json::array({2, 2})}}, {{4, 3}, {5, 6}}},
      {"GroupedQueryAttention", {{"head_dim", 2}, {"num_query_heads", 4}, {"num_key_value_heads", 2}, {"use_gate", true},
                               {"sliding_window", 2}}, {{4, 3}, {5, 3}}},
      {"SimpleRNN", {{"units", 3}, {"return_sequences", true}}, {{5, 2}}},
      {"LSTM", {{"units", 3}, {"return_state", true}}, {{5, 2}}},
      {"GRU", {{"units", 3}, {"go_backwards", true}}, {{5, 2}}},
      {"CuDNNLSTM", {{"units", 3}}, {{5, 2}}},  // loaded as an LSTM
      {"CuDNNGRU", {{"units", 3}}, {{5, 2}}},   // loaded as a GRU (reset_after)
      {"SimpleRNNCell", {{"units", 3}}, {{2}, {3}}},
      {"LSTMCell", {{"units", 3}}, {{2}, {3}, {3}}},
      {"GRUCell", {{"units", 3}, {"reset_after", true}}, {{2}, {3}}},
      {"RNN", {{"cell", {{"class_name", "LSTMCell"}, {"config", {{"units", 3}}}}}, {"return_state", true}}, {{5, 2}}},
      {"RNN", {{"cell", {{"class_name", "StackedRNNCells"}, {"config", {{"cells", {{{"class_name", "GRUCell"}, {"config", {{"units", 3}}}},
                                                                                    {{"class_name", "SimpleRNNCell"}, {"config", {{"units", 2}}}}}}}}}},
               {"go_backwards", true}}, {{5, 2}}},
      {"Bidirectional", wrapped("GRU", {{"units", 3}, {"return_sequences", true}}), {{5, 2}}},
      {"TimeDistributed", wrapped("Dense", {{"units", 2}}), {{4, 3}}},
      {"TFOpLambda", {{"function", "math.multiply"}}, {{4}}, {{"y", 2.0}}},
      {"SlicingOpLambda", {{"function", "__operators__.getitem"}}, {{4, 3}},
       {{"slice_spec", {{{"start", nullptr}, {"stop", nullptr}, {"step", nullptr}}, {{"start", 1}, {"stop", nullptr}, {"step", -2}}, nullptr}}}},
      {"Resizing", {{"height", 5}, {"width", 3}, {"crop_to_aspect_ratio", true}}, {{4, 4, 2}}},
      {"CenterCrop", {{"height", 2}, {"width", 3}}, {{4, 4, 2}}},
      {"CategoryEncoding", {{"num_tokens", 5}, {"output_mode", "count"}}, {{3}}},
      {"Discretization", {{"bin_boundaries", {0.0, 1.0}}}, {{3}}},
      {"RandomFlip", Json::object(), {{4, 4, 2}}},
      {"RandomRotation", {{"factor", 0.1}}, {{4, 4, 2}}},
      {"RandomZoom", {{"height_factor", 0.1}}, {{4, 4, 2}}},
      {"RandomTranslation", {{"height_factor", 0.1}, {"width_factor", 0.1}}, {{4, 4, 2}}},
      {"RandomContrast", {{"factor", 0.1}}, {{4, 4, 2}}},
      {"RandomBrightness", {{"factor", 0.1}}, {{4, 4, 2}}},
      {"RandomHeight", {{"factor", 0.1}}, {{4, 4, 2}}},
      {"RandomWidth", {{"factor", 0.1}}, {{4, 4, 2}}},
      {"RandomCrop", {{"height", 2}, {"width", 3}}, {{4, 4, 2}}},
      {"AutoContrast", {{"value_range", {0.0, 1.0}}}, {{4, 4, 2}}},
      {"MaxNumBoundingBoxes", {{"max_number", 3}}, {{4, 4, 2}}},
      {"ContrastLimitedAdaptiveHistogramEqualization", {{"tile_grid_size", {2, 3}}}, {{5, 6, 2}}},
      {"Pipeline", {{"layers", Json::array({{{"class_name", "Rescaling"}, {"config", {{"scale", 0.5}}}},
                                            {{"class_name", "CenterCrop"}, {"config", {{"height", 2}, {"width", 3}}}},
                                            {{"class_name", "Dense"}, {"config", {{"units", 2}}}}})}},
       {{4, 4, 2}}},
      {"AugMix", Json::object(), {{4, 4, 2}}},
      {"CutMix", Json::object(), {{4, 4, 2}}},
      {"Equalization", Json::object(), {{4, 4, 2}}},
      {"MixUp", Json::object(), {{4, 4, 2}}},
      {"RandAugment", Json::object(), {{4, 4, 2}}},
      {"RandomColorDegeneration", {{"factor", 0.5}}, {{4, 4, 2}}},
      {"RandomColorJitter", Json::object(), {{4, 4, 2}}},
      {"RandomElasticTransform", Json::object(), {{4, 4, 2}}},
      {"RandomErasing", Json::object(), {{4, 4, 2}}},
      {"RandomGaussianBlur", Json::object(), {{4, 4, 2}}},
      {"RandomGrayscale", Json::object(), {{4, 4, 2}}},
      {"RandomHue", {{"factor", 0.5}}, {{4, 4, 2}}},
      {"RandomInvert", Json::object(), {{4, 4, 2}}},
      {"RandomPerspective", Json::object(), {{4, 4, 2}}},
      {"RandomPosterization", {{"factor", {1, 3}}}, {{4, 4, 2}}},
      {"RandomSaturation", {{"factor", 0.5}}, {{4, 4, 2}}},
      {"RandomSharpness", {{"factor", 0.5}}, {{4, 4, 2}}},
      {"RandomShear", Json::object(), {{4, 4, 2}}},
      {"Solarization", Json::object(), {{4, 4, 2}}},
      {"AdaptiveMaxPooling1D", {{"output_size", 3}}, {{7, 2}}},
      {"AdaptiveAveragePooling1D", {{"output_size", 9}}, {{7, 2}}},
      {"AdaptiveMaxPooling2D", {{"output_size", {2, 3}}}, {{5, 4, 2}}},
      {"AdaptiveAveragePooling2D", {{"output_size", {3, 3}}, {"data_format", "channels_first"}}, {{2, 5, 4}}},
      {"AdaptiveMaxPooling3D", {{"output_size", {2, 2, 1}}}, {{3, 4, 3, 2}}},
      {"AdaptiveAveragePooling3D", {{"output_size", {2, 3, 2}}}, {{3, 4, 3, 2}}},
      {"SpectralNormalization", wrapped("Conv2D", {{"filters", 2}, {"kernel_size", 2}}), {{4, 4, 3}}},
      {"ConvLSTM1D", {{"filters", 2}, {"kernel_size", 2}, {"return_state", true}}, {{3, 5, 2}}},
      {"ConvLSTM2D", {{"filters", 2}, {"kernel_size", 2}, {"padding", "same"}, {"return_sequences", true}}, {{3, 4, 4, 2}}},
      {"ConvLSTM3D", {{"filters", 2}, {"kernel_size", 2}, {"go_backwards", true}}, {{2, 3, 3, 3, 2}}},
  };
  return table;
}

// The refusal list: classes no model can hold as a layer of its own graph. Every model has
// InputLayers (inlined, never a node of its own); a Lambda's constructor refuses (its function is
// Python bytecode, which ksave cannot run, so there is nothing to export). StackedRNNCells is a
// cell: RNN runs it (sampled there).
const std::set<std::string> kNotSampled = {"InputLayer", "Lambda", "StackedRNNCells"};

// Classes ONNX cannot express, each with a model that holds one and a fragment of the reason the
// exporter must give.
struct Refusal {
  Sample sample;
  std::string reason;
};
const std::vector<Refusal>& refusals() {
  static const std::vector<Refusal> table = {
      {{"Hashing", {{"num_bins", 5}}, {{3}}}, "ONNX has no operator that hashes"},
      {{"HashedCrossing", {{"num_bins", 5}}, {{1}, {1}}}, "ONNX has no operator that hashes"},
      {{"DenseFeatures",
        {{"feature_columns", {{{"class_name", "NumericColumn"}, {"config", {{"key", "a"}, {"shape", {2}}}}}}}},
        {{2}}},
       "feature columns"},
      // The int-mode lookups with one OOV index export (tests/onnx runs them); these settings do not.
      {{"StringLookup", {{"vocabulary", {"a", "b"}}, {"invert", true}}, {{3}}}, "invert is not exported"},
      {{"StringLookup", {{"vocabulary", {"a", "b"}}, {"output_mode", "count"}}, {{3}}}, "output_mode 'count' is not exported"},
      {{"IntegerLookup", {{"vocabulary", {3, 5}}, {"num_oov_indices", 2}}, {{3}}}, "hashes unknown values"},
      {{"IntegerLookup", {{"vocabulary", {3, 5}}, {"num_oov_indices", 0}}, {{3}}}, "Keras raises on an unknown value"},
      {{"TextVectorization", {{"vocabulary", {"a", "b"}}, {"split", nullptr}}, {{3}}}, "standardizes and splits text"},
      {{"TFSMLayer", {{"filepath", ksave::test::small_saved_model("onnx_tfsm_layer").string()}, {"call_endpoint", "serving_default"}}, {{4}}},
       "runs a SavedModel's TensorFlow graph"},
  };
  return table;
}

ModelPtr sample_model(const Sample& s) {
  KerasTensors inputs;
  for (std::size_t i = 0; i < s.inputs.size(); ++i) inputs.push_back(Input(s.inputs[i], "in_" + std::to_string(i)));
  const LayerPtr layer = make_layer(s.class_name, s.config);
  const KerasTensors outputs = (*layer)(inputs, s.call_kwargs);
  return std::make_shared<Functional>(inputs, outputs, "sample");
}

}  // namespace

BOOST_AUTO_TEST_CASE(every_registered_layer_class_has_an_onnx_form) {
  std::set<std::string> sampled;
  for (const Sample& s : samples()) sampled.insert(s.class_name);
  for (const Refusal& r : refusals()) sampled.insert(r.sample.class_name);
  for (const ClassRef& entry : Registry::global().entries(Kind::Layer))
    if (!kNotSampled.count(entry->class_name))
      BOOST_TEST(sampled.count(entry->class_name) == 1u,
                 "layer class '" << entry->class_name << "' is registered but not exported here: give it an ONNX converter "
                                                          "(plugins/formats/onnx) and a sample, or a refusal");
  const fs::path dir = ksave::test::scratch_dir("onnx_coverage");
  for (const Sample& s : samples()) {
    BOOST_TEST_CONTEXT(s.class_name) {
      try {
        save_onnx(*sample_model(s), dir / (s.class_name + ".onnx"));
        BOOST_TEST(describe(dir / (s.class_name + ".onnx")).at("nodes").get<int>() >= 1);
      } catch (const std::exception& e) {
        BOOST_ERROR("layer class '" << s.class_name << "' does not export: " << e.what());
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(bidirectional_around_stacked_cells_is_refused_naming_why) {
  const Json cell{{"class_name", "LSTMCell"}, {"config", {{"units", 2}}}};
  const Json stack{{"class_name", "RNN"}, {"config", {{"name", "stack"}, {"cell", Json::array({cell, cell})}}}};
  const ModelPtr model = sample_model({"Bidirectional", {{"name", "both_ways"}, {"layer", stack}}, {{5, 2}}});
  const fs::path path = ksave::test::scratch_dir("onnx_coverage_stacked") / "m.onnx";
  try {
    save_onnx(*model, path);
    BOOST_ERROR("Bidirectional(RNN(StackedRNNCells)) exported");
  } catch (const Error& e) {
    const std::string message = e.what();
    BOOST_TEST((message.find("'both_ways' (Bidirectional)") != std::string::npos &&
                message.find("StackedRNNCells") != std::string::npos),
               message);
  }
  BOOST_TEST(!fs::exists(path));
}

BOOST_AUTO_TEST_CASE(classes_without_an_onnx_form_are_refused_naming_the_layer_and_why) {
  const fs::path dir = ksave::test::scratch_dir("onnx_coverage_refused");
  for (const Refusal& r : refusals()) {
    BOOST_TEST_CONTEXT(r.sample.class_name) {
      Json config = r.sample.config;
      config["name"] = "refused";
      const ModelPtr model = sample_model({r.sample.class_name, config, r.sample.inputs, r.sample.call_kwargs});
      const fs::path path = dir / (r.sample.class_name + ".onnx");
      try {
        save_onnx(*model, path);
        BOOST_ERROR("exported");
      } catch (const Error& e) {
        const std::string message = e.what();
        BOOST_TEST((message.find("'refused' (" + r.sample.class_name + ")") != std::string::npos &&
                    message.find(r.reason) != std::string::npos),
                   message);
      }
      BOOST_TEST(!fs::exists(path));
    }
  }
}
