#include "subjects.hpp"

#include <random>

#include "ksave/error.hpp"
#include "ksave/keras_tensor.hpp"
#include "ksave/serialization.hpp"

namespace ksave::conformance {

Json object_user_sample(const ClassEntry& entry, const Json& sample) {
  Json config{{"units", 3}, {"name", "user"}};
  const Json object{{"class_name", entry.registered_name()}, {"config", sample.value("config", Json::object())}};
  switch (entry.kind) {
    case Kind::Activation: config["activation"] = entry.registered_name(); break;
    case Kind::Initializer: config["kernel_initializer"] = object; break;
    case Kind::Regularizer: config["kernel_regularizer"] = object; break;
    case Kind::Constraint: config["kernel_constraint"] = object; break;
    default: throw Error("the kit has no Dense user for a " + std::string(kind_name(entry.kind)));
  }
  return {{"config", config}, {"inputs", Json::array({{{"shape", {4}}, {"dtype", "float32"}, {"low", -1.0}, {"high", 1.0}}})}};
}

const TrainingData& training_data() {
  static const TrainingData data = [] {
    std::mt19937 generator(3);
    std::uniform_real_distribution<float> uniform(-1.f, 1.f);
    TrainingData d{Tensor(DType::Float32, {16, 6}), Tensor(DType::Float32, {16, 2})};
    for (float& v : d.x.values<float>()) v = uniform(generator);
    for (float& v : d.y.values<float>()) v = uniform(generator);
    return d;
  }();
  return data;
}

void train_one_step(Model& model) { model.train_on_batch({training_data().x}, {training_data().y}); }

ModelPtr trained_model(const Json& optimizer) {
  auto inputs = Input({6}, "features");
  auto hidden = (*make_layer("Dense", {{"units", 4}, {"activation", "tanh"}, {"name", "hidden"}}))(inputs);
  auto outputs = (*make_layer("Dense", {{"units", 2}, {"name", "out"}}))(hidden);
  auto model = std::make_shared<Functional>(KerasTensors{inputs}, KerasTensors{outputs}, "conformance");
  model->compile(optimizer, "mean_squared_error");
  for (int step = 0; step < 3; ++step) train_one_step(*model);
  return model;
}

}  // namespace ksave::conformance
