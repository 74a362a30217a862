#include "layer_subject.hpp"

#include <cmath>
#include <random>

#include "ksave/error.hpp"
#include "ksave/keras_tensor.hpp"
#include "ksave/serialization.hpp"

namespace ksave::conformance {
namespace {

Json float_input(std::vector<std::int64_t> shape) {
  return {{"shape", std::move(shape)}, {"dtype", "float32"}, {"low", -1.0}, {"high", 1.0}};
}

std::vector<Json> default_input_sets() {
  std::vector<Json> sets;
  const std::vector<std::vector<std::int64_t>> shapes = {{4}, {3, 4}, {4, 4, 3}, {3, 4, 4, 2}};
  for (const auto& s : shapes) sets.push_back(Json::array({float_input(s)}));
  for (const auto& s : shapes) sets.push_back(Json::array({float_input(s), float_input(s)}));
  return sets;
}

ModelPtr model_of(const LayerPtr& layer, const Json& inputs) {
  KerasTensors symbolic;
  for (std::size_t i = 0; i < inputs.size(); ++i)
    symbolic.push_back(Input(inputs[i]["shape"].get<Shape>(), "input_" + std::to_string(i + 1),
                             parse_dtype(inputs[i]["dtype"].get<std::string>())));
  const KerasTensors outputs = (*layer)(symbolic);
  return std::make_shared<Functional>(symbolic, outputs, "conformance");
}

// The layer made and called on `inputs`, or the reason it could not be.
std::string try_subject(const std::string& name, const Json& config, const Json& inputs, LayerSubject& subject) {
  try {
    LayerPtr layer = make_layer(name, config);
    ModelPtr model = model_of(layer, inputs);
    Tensors data = random_inputs(inputs, 2, 7);
    model->predict_on_batch(data);
    subject = {name, layer->get_config(), inputs, model, layer, std::move(data)};
    return "";
  } catch (const std::exception& e) {
    return e.what();
  }
}

}  // namespace

Tensors random_inputs(const Json& inputs, std::int64_t batch, unsigned seed) {
  std::mt19937 generator(seed);
  Tensors out;
  for (const Json& in : inputs) {
    Shape shape{batch};
    for (const Json& d : in["shape"]) shape.push_back(d.get<std::int64_t>());
    const DType dtype = parse_dtype(in["dtype"].get<std::string>());
    const double low = in.value("low", -1.0), high = in.value("high", 1.0);
    std::uniform_real_distribution<double> uniform(low, high);
    if (dtype == DType::String) {
      // Text layers (StringLookup, TextVectorization): words made of the drawn integers' digits.
      std::vector<std::string> words(static_cast<std::size_t>(num_elements(shape)));
      for (std::string& w : words) w = std::to_string(static_cast<std::int64_t>(std::floor(uniform(generator))));
      out.push_back(Tensor::strings(words, shape));
      continue;
    }
    Tensor values(DType::Float64, shape);
    for (double& v : values.values<double>()) v = dtype == DType::Float32 || dtype == DType::Float64 ? uniform(generator)
                                                                                                      : std::floor(uniform(generator));
    out.push_back(values.cast(dtype));
  }
  return out;
}

LayerSubject make_layer_subject(const std::string& registered_name, const Json& sample) {
  const Json config = sample.value("config", Json::object());
  LayerSubject subject;
  if (sample.contains("inputs")) {
    const std::string why = try_subject(registered_name, config, sample["inputs"], subject);
    if (!why.empty())
      throw Error("layer " + registered_name + " with its sample config " + config.dump() + " and inputs " +
                  sample["inputs"].dump() + ": " + why);
    return subject;
  }
  std::string tried;
  for (const Json& inputs : default_input_sets()) {
    const std::string why = try_subject(registered_name, config, inputs, subject);
    if (why.empty()) return subject;
    if (tried.empty()) tried = why;  // the first reason is the telling one (config or rank 2)
  }
  throw Error("layer " + registered_name + " cannot be made from config " + config.dump() +
              " and called on the kit's default inputs (float, rank 2 to 5, one or two of them): " + tried +
              "; register a sample for it (ksave/conformance.hpp)");
}

ModelPtr rebuild_model(const LayerSubject& subject) {
  return model_of(make_layer(subject.registered_name, subject.config), subject.inputs);
}

}  // namespace ksave::conformance
