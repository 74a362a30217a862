// The preprocessing layers ksave runs: the Random* augmentations (the identity at inference, as in
// Keras), RandomCrop (tf-keras's smart resize, Keras 3's identity), Keras 3's AutoContrast and
// MaxNumBoundingBoxes (the images as float32), Resizing and CenterCrop (ONNX's Resize with the
// attributes that give TensorFlow's half-pixel rules: bilinear is "linear" + "half_pixel", whose source position (i + 0.5)·in/out
// − 0.5 is clamped into the image as ResizeBilinear does; nearest is "tf_half_pixel_for_nn" +
// "floor", i.e. floor((i + 0.5)·in/out)), CategoryEncoding (OneHot, then ReduceMax or ReduceSum
// over the ids), Discretization (the count of boundaries at or below each value) and the int-mode
// vocabulary lookups (ai.onnx.ml's LabelEncoder). Hashing is refused (no ONNX operator hashes
// strings), as is TextVectorization (none splits text). (CLAHE: converters_clahe.cpp.)
#include <algorithm>
#include <cmath>
#include <set>

#include "converter.hpp"
#include "ksave/augmentation_layers.hpp"

namespace ksave::plugins::onnx_export {
namespace {

std::vector<Value> identity(Conversion& c) { return {c.input()}; }

struct ImageSize {
  Dim height = 0, width = 0;
};

ImageSize target_size(const Conversion& c) {
  return {c.config().at("height").get<Dim>(), c.config().at("width").get<Dim>()};
}

// The input's height and width, which the crop of crop_to_aspect_ratio and CenterCrop depend on.
ImageSize known_input_size(const Conversion& c) {
  const Value& x = c.input();
  if (x.rank() != 4 || x.shape[1] == kUnknown || x.shape[2] == kUnknown)
    throw Error(c.describe() + ": its crop depends on the images' height and width, which the model leaves unknown (" +
                shape_to_string(x.shape) + "); ONNX export needs them fixed");
  return {x.shape[1], x.shape[2]};
}

// x held channels-first (N, C, H, W), resized to `size` with TensorFlow's half-pixel rules.
std::string resized(Conversion& c, const std::string& x, ImageSize size, const std::string& interpolation) {
  Emitter& onnx = c.onnx;
  const std::string batch_and_channels = onnx.dims(x, 0, 2, c.hint());
  const std::string sizes = onnx.concat({batch_and_channels, onnx.ints({size.height, size.width})}, 0, c.hint());
  Attributes attributes;
  if (interpolation == "nearest")
    attributes = {string_attr("mode", "nearest"), string_attr("coordinate_transformation_mode", "tf_half_pixel_for_nn"),
                  string_attr("nearest_mode", "floor")};
  else
    attributes = {string_attr("mode", "linear"), string_attr("coordinate_transformation_mode", "half_pixel")};
  return onnx.op("Resize", {x, "", "", sizes}, c.hint(), std::move(attributes));
}

// Rows [top, top + size.height) and columns [left, left + size.width) of x held (N, C, H, W).
std::string cropped(Conversion& c, const std::string& x, Dim top, Dim left, ImageSize size) {
  return c.onnx.slice(x, {top, left}, {top + size.height, left + size.width}, {2, 3}, c.hint());
}

// keras.preprocessing.image.smart_resize: the largest centered crop of the target's aspect ratio,
// then resized (in float32 arithmetic, as ksave's layer computes it).
std::string smart_resized(Conversion& c, const std::string& x, ImageSize in, ImageSize size, const std::string& interpolation) {
  const Dim crop_h = std::min(in.height, static_cast<Dim>(static_cast<float>(in.width * size.height) / static_cast<float>(size.width)));
  const Dim crop_w = std::min(in.width, static_cast<Dim>(static_cast<float>(in.height * size.width) / static_cast<float>(size.height)));
  const Dim top = static_cast<Dim>(static_cast<float>(in.height - crop_h) / 2.0f);
  const Dim left = static_cast<Dim>(static_cast<float>(in.width - crop_w) / 2.0f);
  return resized(c, cropped(c, x, top, left, {crop_h, crop_w}), size, interpolation);
}

// The images as float32, channels-first (the layout Resize wants and a convolution after keeps).
std::string images(Conversion& c) { return c.onnx.float_in_layout(c.input(), channels_first_perm(4)); }

std::vector<Value> resizing(Conversion& c) {
  const ImageSize size = target_size(c);
  const std::string interpolation = c.config().value("interpolation", std::string("bilinear"));
  const std::string x = images(c);
  const std::string y = c.config().value("crop_to_aspect_ratio", false) ? smart_resized(c, x, known_input_size(c), size, interpolation)
                                                                         : resized(c, x, size, interpolation);
  return {c.output(y, 0, channels_first_perm(4))};
}

std::vector<Value> center_crop(Conversion& c) {
  const ImageSize size = target_size(c), in = known_input_size(c);
  const Dim dh = in.height - size.height, dw = in.width - size.width;
  const std::string x = images(c);
  // Images smaller than the target are smart-resized, as Keras's CenterCrop does.
  const std::string y = dh < 0 || dw < 0 ? smart_resized(c, x, in, size, "bilinear") : cropped(c, x, dh / 2, dw / 2, size);
  return {c.output(y, 0, channels_first_perm(4))};
}

// RandomCrop at inference, as the Keras that wrote the model computes it (see the layer):
// tf-keras smart-resizes to the target; Keras 3, whose configs carry data_format, passes the
// images through.
std::vector<Value> random_crop(Conversion& c) {
  if (c.config().contains("data_format")) return identity(c);
  const std::string y = smart_resized(c, images(c), known_input_size(c), target_size(c), "bilinear");
  return {c.output(y, 0, channels_first_perm(4))};
}

// Keras 3's AutoContrast in the layer's order of operations (see the layer); Where keeps a
// channel whose min equals its max as it is.
std::vector<Value> auto_contrast(Conversion& c) {
  Emitter& onnx = c.onnx;
  const auto scalar = [&](double v) { return onnx.graph().constant(Tensor::scalar(static_cast<float>(v)), c.hint("constant")); };
  const auto binary = [&](const char* op, const std::string& a, const std::string& b) { return onnx.op(op, {a, b}, c.hint()); };
  std::vector<double> range = c.config().value("value_range", std::vector<double>{0.0, 255.0});
  std::sort(range.begin(), range.end());
  const bool bytes = range[0] == 0.0 && range[1] == 255.0;
  const auto in_range = [&](const std::string& v, double from_low, double from_high, double to_low, double to_high) {
    const std::string unit = binary("Div", binary("Sub", v, scalar(from_low)), scalar(from_high - from_low));
    return binary("Add", binary("Mul", unit, scalar(to_high - to_low)), scalar(to_low));
  };
  const std::string x = onnx.float_in_layout(c.input(), {});
  const std::string images = bytes ? x : in_range(x, range[0], range[1], 0.0, 255.0);
  const std::string low = onnx.reduce("ReduceMin", images, {1, 2}, true, c.hint());
  const std::string high = onnx.reduce("ReduceMax", images, {1, 2}, true, c.hint());
  const std::string scale = binary("Div", scalar(255.0), binary("Sub", high, low));
  const std::string offset = binary("Mul", onnx.op("Neg", {low}, c.hint()), scale);
  std::string stretched = onnx.op("Clip", {binary("Add", binary("Mul", images, scale), offset), scalar(0.0), scalar(255.0)}, c.hint());
  if (!bytes) stretched = in_range(stretched, 0.0, 255.0, range[0], range[1]);
  return {c.output(onnx.op("Where", {binary("Greater", high, low), stretched, x}, c.hint()))};
}

std::string image_layer_problem(const Layer&, const Json& config) {
  if (config.value("data_format", std::string("channels_last")) != "channels_last") return "only channels_last images are exported";
  const std::string interpolation = config.value("interpolation", std::string("bilinear"));
  if (interpolation != "bilinear" && interpolation != "nearest")
    return "interpolation '" + interpolation + "' is not exported (bilinear, nearest)";
  return "";
}

// (batch, n) ids → (batch, num_tokens): one_hot and multi_hot mark the ids, count counts them.
std::vector<Value> category_encoding(Conversion& c) {
  const Value& ids = c.input();
  const std::string mode = c.config().value("output_mode", std::string("multi_hot"));
  const std::int64_t tokens = c.config().value("num_tokens", c.config().value("max_tokens", std::int64_t{0}));
  std::string x = c.onnx.in_keras_layout(ids);
  if (ids.dtype != DType::Int64) x = c.onnx.cast(x, DType::Int64, c.hint());
  if (mode == "one_hot" && ids.rank() == 1) x = c.onnx.unsqueeze(x, {1}, c.hint());
  const std::string off_on = c.onnx.graph().constant(Tensor::from_vector<float>({0.0f, 1.0f}, {2}), c.hint("values"));
  const std::string hot = c.onnx.op("OneHot", {x, c.onnx.ints({tokens}), off_on}, c.hint(), {int_attr("axis", -1)});
  return {c.output(c.onnx.reduce(mode == "count" ? "ReduceSum" : "ReduceMax", hot, {1}, false, c.hint()))};
}

std::string category_encoding_problem(const Layer&, const Json& config) {
  if (config.value("sparse", false)) return "sparse outputs have no ONNX form";
  return "";
}

// The number of boundaries b <= x, as int64.
std::vector<Value> discretization(Conversion& c) {
  const Value& x = c.input();
  std::vector<float> boundaries;
  for (const Json& b : c.config().at("bin_boundaries")) boundaries.push_back(b.get<float>());
  const std::string in = c.onnx.float_in_layout(x, x.perm);
  if (boundaries.empty()) {
    const std::string shape = c.onnx.op("Shape", {in}, c.hint());
    return {c.output(c.onnx.op("ConstantOfShape", {shape}, c.hint(), {tensor_attr("value", Tensor::filled(DType::Int64, {1}, 0.0))}), 0, x.perm)};
  }
  const std::string b = c.onnx.graph().constant(Tensor::from_vector(boundaries, {static_cast<Dim>(boundaries.size())}), c.hint("boundaries"));
  const std::string at_or_above = c.onnx.op("GreaterOrEqual", {c.onnx.unsqueeze(in, {-1}, c.hint()), b}, c.hint());
  const std::string count = c.onnx.reduce("ReduceSum", c.onnx.cast(at_or_above, DType::Int64, c.hint()), {-1}, false, c.hint());
  return {c.output(count, 0, x.perm)};
}

// Hashing has no ONNX form: ONNX has no string hashing operator (nor one that formats an integer
// as text, which Keras hashes for integer inputs), so neither FarmHash's Fingerprint64 nor SipHash
// can be expressed. Refused before anything is written, naming the layer.
std::string hashing_problem(const Layer&, const Json&) {
  return "ONNX has no operator that hashes a value's text (Keras's Hashing is FarmHash Fingerprint64, or SipHash with a "
         "salt, of each string or integer's decimal text); hash the inputs before the ONNX model instead";
}
// DenseFeatures turns a dict of features into ids by tf's feature columns (vocabulary tables,
// FarmHash buckets, bucketizing): refused as a whole rather than half translated.
std::string dense_features_problem(const Layer&, const Json&) {
  return "DenseFeatures' feature columns (vocabulary lookups, hash buckets, embedding tables) have no ONNX export in "
         "ksave; rebuild the model with Keras preprocessing layers, or compute the features before the ONNX model";
}
std::string text_vectorization_problem(const Layer&, const Json&) {
  return "ONNX has no operator that standardizes and splits text as TextVectorization does; split the text before the ONNX "
         "model instead";
}

// StringLookup / IntegerLookup in output_mode int with one OOV index: ai.onnx.ml's LabelEncoder
// maps each token (and the mask token) to its index, anything else to the OOV index. The other
// settings have no such form, and say why.
std::string lookup_problem(const Layer&, const Json& config) {
  const std::string mode = config.value("output_mode", std::string("int"));
  if (mode != "int") return "output_mode '" + mode + "' is not exported (only int, as ai.onnx.ml's LabelEncoder)";
  if (config.value("invert", false)) return "invert is not exported (only token -> index, as ai.onnx.ml's LabelEncoder)";
  const auto oov = config.value("num_oov_indices", std::int64_t{1});
  if (oov > 1)
    return "num_oov_indices " + std::to_string(oov) + " is not exported: Keras hashes unknown values into the OOV indices "
           "(FarmHash / SipHash / floormod of the text), which no ONNX operator does";
  if (oov != 1) return "num_oov_indices 0 is not exported: Keras raises on an unknown value, which an ONNX graph cannot";
  if (config.value("sparse", false)) return "sparse outputs have no ONNX form";
  if (!config.contains("vocabulary") || !config["vocabulary"].is_array())
    return "only a vocabulary listed in the config is exported (this one is a file or not set)";
  return "";
}

std::vector<Value> lookup(Conversion& c) {
  const Json& config = c.config();
  const bool strings = c.layer().class_name() == "StringLookup";
  // The listed tokens and the mask token, each once (an adapted vocabulary lists the mask token too).
  std::vector<Json> keys;
  std::set<std::string> seen;
  auto add_key = [&](const Json& k) {
    if (seen.insert(k.dump()).second) keys.push_back(k);
  };
  for (const Json& k : config.at("vocabulary")) add_key(k);
  if (const auto mask = config.find("mask_token"); mask != config.end() && !mask->is_null()) add_key(*mask);
  // Each key's index as the layer itself computes it (Keras's rules for a list that starts with
  // the special tokens, the mask's 0); calling a built layer at inference changes nothing in it.
  std::vector<std::string> text;
  std::vector<std::int64_t> ints;
  for (const Json& k : keys) {
    if (strings) text.push_back(k.get<std::string>());
    else ints.push_back(k.get<std::int64_t>());
  }
  const auto n = static_cast<Dim>(keys.size());
  Layer& layer = const_cast<Layer&>(c.layer());
  const Tensor ids = layer(strings ? Tensor::strings(text, {n}) : Tensor::from_vector(ints, {n})).cast(DType::Int64);
  const std::int64_t oov_index = config.contains("mask_token") && !config["mask_token"].is_null() ? 1 : 0;
  Attributes attributes = {ints_attr("values_int64s", ids.to_vector<std::int64_t>()), int_attr("default_int64", oov_index)};
  attributes.push_back(strings ? strings_attr("keys_strings", text) : ints_attr("keys_int64s", ints));
  const Value& x = c.input();
  std::string in = c.onnx.in_keras_layout(x);
  if (!strings && x.dtype != DType::Int64) in = c.onnx.cast(in, DType::Int64, c.hint());
  std::string out = c.onnx.graph().add_in_domain("ai.onnx.ml", 2, "LabelEncoder", {in}, std::move(attributes), c.hint());
  const DType dtype = c.call.output_dtypes.empty() ? DType::Int64 : c.call.output_dtypes[0];
  if (dtype != DType::Int64) out = c.onnx.cast(out, dtype, c.hint());
  return {c.output(out)};
}

// MaxNumBoundingBoxes on images: the images as float32 (its bounding boxes are never in a graph).
std::vector<Value> images_as_float(Conversion& c) { return {c.output(c.onnx.float_in_layout(c.input(), {}))}; }

}  // namespace

void add_preprocessing_converters(ConverterTable& t) {
  // Random augmentation is the identity at inference, which is all an ONNX model runs.
  for (const char* cls : kAugmentationLayersIdentityAtInference)
    t[cls] = {identity, {}};
  t["RandomCrop"] = {random_crop, image_layer_problem};
  t["AutoContrast"] = {auto_contrast, image_layer_problem};
  t["Resizing"] = {resizing, image_layer_problem};
  t["CenterCrop"] = {center_crop, image_layer_problem};
  t["CategoryEncoding"] = {category_encoding, category_encoding_problem};
  t["Discretization"] = {discretization, {}};
  t["MaxNumBoundingBoxes"] = {images_as_float, {}};
  t["Hashing"] = {never_converted, hashing_problem};
  t["HashedCrossing"] = {never_converted, hashing_problem};
  t["DenseFeatures"] = {never_converted, dense_features_problem};
  t["StringLookup"] = {lookup, lookup_problem};
  t["IntegerLookup"] = {lookup, lookup_problem};
  t["TextVectorization"] = {never_converted, text_vectorization_problem};
}

}  // namespace ksave::plugins::onnx_export
