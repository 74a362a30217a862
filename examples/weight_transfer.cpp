// Guide, "API pour le transfert de poids en mémoire": get_weights / set_weights from a layer to
// a layer, from a functional model to a subclassed model of the same architecture, and across a
// stateless Dropout layer that changes neither the order nor the number of weights.
#include "guide_support.hpp"

using ksave::Json;
using ksave::KerasTensors;
using ksave::LayerPtr;

namespace {

void check_same_weights(const ksave::Layer& a, const ksave::Layer& b, const std::string& what) {
  auto wa = a.weights(), wb = b.weights();
  guide::check(wa.size() == wb.size(), what + ": same number of weights");
  for (std::size_t i = 0; i < wa.size(); ++i)
    guide::check(ksave::allclose(wa[i]->value(), wb[i]->value()), what + ": weight " + std::to_string(i) + " copied");
}

LayerPtr dense(std::int64_t units, const std::string& name, const std::string& activation = "linear") {
  return ksave::make_layer("Dense", {{"units", units}, {"activation", activation}, {"name", name}});
}

// inputs = keras.Input(shape=(784,), name="digits"); dense_1, dense_2 (relu, 64),
// [Dropout(0.5)], predictions (10); keras.Model(..., name="3_layer_mlp")
ksave::ModelPtr three_layer_mlp(bool with_dropout) {
  auto inputs = ksave::Input({784}, "digits");
  auto x = (*dense(64, "dense_1", "relu"))(inputs);
  x = (*dense(64, "dense_2", "relu"))(x);
  if (with_dropout) x = (*ksave::make_layer("Dropout", {{"rate", 0.5}}))(x);
  auto outputs = (*dense(10, "predictions"))(x);
  return std::make_shared<ksave::Functional>(KerasTensors{inputs}, KerasTensors{outputs}, "3_layer_mlp");
}

// class SubclassedModel(keras.Model): three tracked Dense layers and its own call.
class SubclassedModel : public ksave::Model {
 public:
  explicit SubclassedModel(std::int64_t output_dim) : Model(Json::object(), "SubclassedModel"), output_dim_(output_dim) {
    dense_1_ = track("dense_1", dense(64, "dense_1", "relu"));
    dense_2_ = track("dense_2", dense(64, "dense_2", "relu"));
    dense_3_ = track("dense_3", dense(output_dim, "predictions"));
  }
  std::string class_name() const override { return "SubclassedModel"; }
  Json get_config() const override { return {{"output_dim", output_dim_}, {"name", name()}}; }

 protected:
  ksave::Tensors call(const ksave::Tensors& inputs, const ksave::CallContext& ctx) override {
    auto x = (*dense_1_)(inputs, ctx);
    x = (*dense_2_)(x, ctx);
    return (*dense_3_)(x, ctx);
  }

 private:
  std::int64_t output_dim_;
  LayerPtr dense_1_, dense_2_, dense_3_;
};

}  // namespace

int main() {
  return guide::run("weight_transfer", [] {
    // def create_layer(): Dense(64, activation="relu", name="dense_2"); layer.build((None, 784))
    auto create_layer = [] {
      auto layer = dense(64, "dense_2", "relu");
      layer->build(ksave::Shape{ksave::kUnknown, 784});
      return layer;
    };
    auto layer_1 = create_layer();
    auto layer_2 = create_layer();
    guide::check(!ksave::allclose(layer_1->weights()[0]->value(), layer_2->weights()[0]->value()),
                 "two fresh layers start with different kernels");
    // layer_2.set_weights(layer_1.get_weights())
    layer_2->set_weights(layer_1->get_weights());
    check_same_weights(*layer_1, *layer_2, "layer to layer");

    auto functional_model = three_layer_mlp(false);
    // subclassed_model = SubclassedModel(10); subclassed_model(tf.ones((1, 784)))
    auto subclassed_model = std::make_shared<SubclassedModel>(10);
    (*subclassed_model)(ksave::Tensor::filled(ksave::DType::Float32, {1, 784}, 1.0));
    // subclassed_model.set_weights(functional_model.get_weights())
    subclassed_model->set_weights(functional_model->get_weights());
    check_same_weights(*functional_model, *subclassed_model, "functional to subclassed");
    const auto dir = guide::work_dir("weight_transfer");
    guide::twin_tensors(dir, "functional_weights", functional_model->get_weights());
    auto x = ksave::Tensor::filled(ksave::DType::Float32, {3, 784}, 0.25);
    guide::twin_tensor(dir, "subclassed_prediction", subclassed_model->predict(x));
    guide::check(ksave::allclose(subclassed_model->predict(x), functional_model->predict(x), 1e-5, 1e-6),
                 "the subclassed model computes what the functional model computes");

    // functional_model_with_dropout.set_weights(functional_model.get_weights())
    auto functional_model_with_dropout = three_layer_mlp(true);
    guide::check(functional_model_with_dropout->layers().size() == 5, "the model has a Dropout layer");
    functional_model_with_dropout->set_weights(functional_model->get_weights());
    check_same_weights(*functional_model, *functional_model_with_dropout, "across a Dropout layer");
    guide::check(ksave::allclose(functional_model_with_dropout->predict(x), functional_model->predict(x), 1e-5, 1e-6),
                 "Dropout is the identity at inference");

    // A list that does not fit is refused, naming the layer and weight, and changes nothing.
    auto weights = functional_model->get_weights();
    weights.pop_back();
    std::string error = guide::error_of([&] { subclassed_model->set_weights(weights); }, "set_weights with 5 arrays");
    guide::check(guide::contains(error, "5") && guide::contains(error, "6"), "the error gives both counts: " + error);
  });
}
