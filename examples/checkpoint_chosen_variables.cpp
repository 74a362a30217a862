// Guide, saving and restoring exact layers and variables across very different architectures:
// tf.train.Checkpoint(dense=first_dense, kernel=last_dense.kernel, bias=last_dense.bias) saved
// from the functional MLP, restored through a Checkpoint of the same structure over a
// subclassed ContrivedModel's own layer and variables; assert_consumed passes.
#include "checkpoint_support.hpp"

namespace {

// class ContrivedModel(keras.Model): first_dense = Dense(64); kernel (64, 10); bias (10,)
class ContrivedModel : public ksave::Model {
 public:
  ContrivedModel() : Model(ksave::Json::object(), "ContrivedModel") {
    first_dense = track("first_dense", guide::dense(64, "dense"));
    kernel = add_weight({"kernel", {64, 10}, ksave::DType::Float32, nullptr, nullptr, nullptr, true});
    bias = add_weight({"bias", {10}, ksave::DType::Float32, nullptr, nullptr, nullptr, true});
  }
  std::string class_name() const override { return "ContrivedModel"; }
  ksave::LayerPtr first_dense;
  ksave::VariablePtr kernel, bias;

 protected:
  ksave::Tensors call(const ksave::Tensors& inputs, const ksave::CallContext& ctx) override {
    const ksave::Tensor x = (*first_dense)(inputs[0], ctx);
    return {ksave::ops::add(ksave::ops::matmul(x, kernel->value()), bias->value())};
  }
};

}  // namespace

int main() {
  return guide::run("checkpoint_chosen_variables", [] {
    const auto dir = guide::work_dir("checkpoint_chosen_variables");
    auto functional_model = guide::digits_mlp(10, "3_layer_mlp");
    guide::randomize(*functional_model, 3);
    // first_dense = functional_model.layers[1]; last_dense = functional_model.layers[-1]
    const auto first_dense = functional_model->layers()[1];
    const auto last_dense = functional_model->layers().back();
    const auto last_weights = last_dense->weights();  // kernel, bias
    auto saved = std::make_shared<ksave::tf::Checkpoint>(ksave::tf::Checkpoint::Objects{
        {"dense", first_dense}, {"kernel", last_weights[0]}, {"bias", last_weights[1]}});
    const std::string ckpt_path = saved->save(dir / "ckpt");
    guide::twin_tensors(dir, "saved", {first_dense->weights()[0]->value(), first_dense->weights()[1]->value(),
                                       last_weights[0]->value(), last_weights[1]->value()});

    auto model = std::make_shared<ContrivedModel>();
    // _ = model(tf.ones((1, 784))) creates the dense layer's variables.
    (*model)(ksave::Tensor::filled(ksave::DType::Float32, {1, 784}, 1.0));

    auto restore = std::make_shared<ksave::tf::Checkpoint>(ksave::tf::Checkpoint::Objects{
        {"dense", model->first_dense}, {"kernel", model->kernel}, {"bias", model->bias}});
    restore->restore(ckpt_path).assert_consumed();
    guide::check(guide::same_values(model->kernel->value(), last_weights[0]->value()), "kernel restored");
    guide::check(guide::same_values(model->bias->value(), last_weights[1]->value()), "bias restored");
    guide::check(guide::same_values(model->first_dense->weights()[0]->value(), first_dense->weights()[0]->value()),
                 "the first dense layer's kernel restored");
  });
}
