// Guide, HDF5 section: changing `trainable` of a nested layer changes the order of
// model.weights (trainable weights first, then the others).
#include "guide_support.hpp"

using ksave::Json;

namespace {

// class NestedDenseLayer(keras.layers.Layer): two Dense sublayers called one after the other.
class NestedDenseLayer : public ksave::Layer {
 public:
  NestedDenseLayer(std::int64_t units, const std::string& name) : Layer(Json{{"name", name}}, "NestedDenseLayer") {
    dense_1 = track("dense_1", ksave::make_layer("Dense", {{"units", units}, {"name", "dense_1"}}));
    dense_2 = track("dense_2", ksave::make_layer("Dense", {{"units", units}, {"name", "dense_2"}}));
  }
  std::string class_name() const override { return "NestedDenseLayer"; }
  ksave::LayerPtr dense_1, dense_2;

 protected:
  ksave::Tensors call(const ksave::Tensors& inputs, const ksave::CallContext& ctx) override {
    return (*dense_2)((*dense_1)(inputs, ctx), ctx);
  }
};

std::vector<std::string> variable_names(const ksave::Model& model) {
  std::vector<std::string> names;
  for (const auto& v : model.weights()) names.push_back(v->name());
  return names;
}

std::string show(const std::vector<std::string>& names) {
  std::string out = "[";
  for (const auto& n : names) out += (out.size() > 1 ? ", '" : "'") + n + "'";
  return out + "]";
}

}  // namespace

int main() {
  return guide::run("nested_weight_order", [] {
    // nested_model = keras.Sequential([keras.Input((784,)), NestedDenseLayer(10, "nested")])
    auto nested_model = std::make_shared<ksave::Sequential>(std::vector<ksave::LayerPtr>{
        ksave::Input({784}).layer(), std::make_shared<NestedDenseLayer>(10, "nested")});
    auto names = variable_names(*nested_model);
    std::cout << "variables: " << show(names) << "\n";
    guide::check(names == std::vector<std::string>{"nested/dense_1/kernel:0", "nested/dense_1/bias:0",
                                                   "nested/dense_2/kernel:0", "nested/dense_2/bias:0"},
                 "the guide's first order");

    std::cout << "\nChanging trainable status of one of the nested layers...\n";
    // nested_model.get_layer("nested").dense_1.trainable = False
    std::dynamic_pointer_cast<NestedDenseLayer>(nested_model->get_layer("nested"))->dense_1->set_trainable(false);
    auto names_2 = variable_names(*nested_model);
    std::cout << "\nvariables: " << show(names_2) << "\n";
    std::cout << "variable ordering changed: " << (names != names_2 ? "True" : "False") << "\n";
    guide::check(names_2 == std::vector<std::string>{"nested/dense_2/kernel:0", "nested/dense_2/bias:0",
                                                     "nested/dense_1/kernel:0", "nested/dense_1/bias:0"},
                 "the guide's order after dense_1.trainable = False");
    guide::check(nested_model->trainable_weights().size() == 2, "two weights stay trainable");
    guide::twin_json(guide::work_dir("nested_weight_order"), "variable_names", {{"before", names}, {"after", names_2}});
  });
}
