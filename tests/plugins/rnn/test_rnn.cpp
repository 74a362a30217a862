// RNN plugin: RNN around any cell (the built-in cells, StackedRNNCells, a cell of the
// application's own) and StackedRNNCells. The built-in cells' numbers are checked in their own
// suites against plain loops and tfjs; here RNN(cell) must give exactly what the fused layer of
// the same cell gives with the same weights, for every option (return_sequences, return_state,
// initial states, go_backwards, masks, stateful), and a stack what the layers stacked give.
// Also configs (tf-keras 2.21's form, read as real tf-keras writes it), weight names, gradients
// and weights through every format; Keras 3's form is checked through the keras format and
// against real Keras in the interop suite.
#define BOOST_TEST_MODULE rnn
#include <boost/test/unit_test.hpp>

#include "ksave/custom_objects.hpp"
#include "layer_zoo_support/layer_checks.hpp"

using namespace ksave;
using namespace ksave::test::zoo;

namespace {

// Keras's MinimalRNNCell (the guide's example of a custom cell): h' = x·kernel + h·recurrent.
class MinimalRNNCell : public Layer {
 public:
  explicit MinimalRNNCell(const Json& config) : Layer(config, "MinimalRNNCell"), units_(config.at("units").get<Dim>()) {}
  std::string class_name() const override { return "MinimalRNNCell"; }
  Json get_config() const override {
    Json c = Layer::get_config();
    c["units"] = units_;
    return c;
  }

 protected:
  void build_impl(const std::vector<Shape>& shapes) override {
    kernel_ = add_weight(spec("kernel", {shapes.at(0).back(), units_}, "glorot_uniform"));
    recurrent_ = add_weight(spec("recurrent_kernel", {units_, units_}, "orthogonal"));
  }
  Tensors call(const Tensors& inputs, const CallContext&) override {
    const Tensor h = ops::add(ops::matmul(inputs.at(0), kernel_->value()), ops::matmul(inputs.at(1), recurrent_->value()));
    return {h, h};
  }
  // Keras's state_size: the output, then the one state.
  std::vector<Shape> compute_output_shape(const std::vector<Shape>& shapes) override {
    return {Shape{shapes.at(0).front(), units_}, Shape{shapes.at(0).front(), units_}};
  }

 private:
  static WeightSpec spec(const std::string& name, const Shape& shape, const std::string& initializer) {
    WeightSpec s;
    s.name = name;
    s.shape = shape;
    s.initializer = get_initializer(initializer);
    return s;
  }
  Dim units_;
  VariablePtr kernel_, recurrent_;
};

Json cell(const std::string& class_name, Json config) {
  return Json{{"class_name", class_name}, {"config", std::move(config)}};
}

Json with(Json config, const Json& extra) {
  for (auto it = extra.begin(); it != extra.end(); ++it) config[it.key()] = it.value();
  return config;
}

// A fused layer (SimpleRNN, LSTM, GRU) and RNN around the matching cell, same options and
// weights, built for (batch, 5, 3) inputs.
struct Twins {
  LayerPtr fused, generic;
  Twins(const std::string& fused_class, const Json& cell_keys, const Json& options, Dim batch = kUnknown) {
    fused = layer_from(fused_class, with(with({{"name", "fused"}}, cell_keys), options));
    generic = layer_from("RNN", with({{"name", "rnn"}, {"cell", cell(fused_class + "Cell", cell_keys)}}, options));
    fused->build(Shape{batch, 5, 3});
    generic->build(Shape{batch, 5, 3});
    std::vector<Tensor> weights;
    unsigned seed = 100;
    for (const Tensor& w : fused->get_weights()) weights.push_back(random_tensor(w.shape(), ++seed, -0.6f, 0.6f));
    fused->set_weights(weights);
    generic->set_weights(weights);
  }
};

void expect_same(const Tensors& expected, const Tensors& found, const std::string& what) {
  BOOST_TEST_REQUIRE(expected.size() == found.size(), what << ": number of outputs");
  for (std::size_t i = 0; i < expected.size(); ++i) {
    BOOST_TEST((expected[i].shape() == found[i].shape()), what << " output " << i << " shape");
    BOOST_TEST(max_abs_difference(expected[i], found[i]) < 1e-6, what << " output " << i);
  }
}

const Json kLstmCell = {{"units", 4}};
const Json kGruCell = {{"units", 3}, {"reset_after", true}};
const Json kSimpleCell = {{"units", 2}, {"activation", "relu"}};

}  // namespace

BOOST_AUTO_TEST_CASE(rnn_of_each_built_in_cell_matches_its_fused_layer) {
  const Tensor x = random_tensor({2, 5, 3}, 1);
  for (const auto& [name, keys] : std::vector<std::pair<std::string, Json>>{
           {"LSTM", kLstmCell}, {"GRU", kGruCell}, {"SimpleRNN", kSimpleCell}}) {
    for (const Json& options : {Json{{"return_sequences", true}}, Json{{"return_state", true}},
                                Json{{"go_backwards", true}, {"return_sequences", true}, {"return_state", true}}}) {
      Twins t(name, keys, options);
      expect_same((*t.fused)(Tensors{x}), (*t.generic)(Tensors{x}), name + " " + options.dump());
    }
  }
}

// Found by the model-JSON fuzzer: a SimpleRNN whose input has 0 features (batch_input_shape
// [25, 1, 0]) reached oneDNN's RNN primitive, which divides by that size (SIGFPE). Empty inputs
// (0 features, 0 rows) give what the step-by-step RNN gives, as in Keras: the kernel has no rows,
// so each step sees only its bias and the recurrence.
BOOST_AUTO_TEST_CASE(empty_inputs_do_not_reach_the_fused_kernels) {
  for (const auto& [name, keys] : std::vector<std::pair<std::string, Json>>{
           {"LSTM", kLstmCell}, {"GRU", kGruCell}, {"SimpleRNN", kSimpleCell}}) {
    for (const Shape& shape : {Shape{25, 1, 0}, Shape{0, 5, 3}}) {
      const LayerPtr layer = layer_from(name, with({{"name", "empty"}}, keys));
      layer->build(shape);
      std::vector<Tensor> weights;
      unsigned seed = 300;
      for (const Tensor& w : layer->get_weights()) weights.push_back(random_tensor(w.shape(), ++seed, -0.6f, 0.6f));
      layer->set_weights(weights);
      const LayerPtr generic = layer_from("RNN", {{"name", "rnn"}, {"cell", cell(name + "Cell", keys)}});
      generic->build(shape);
      generic->set_weights(weights);
      const Tensor x(DType::Float32, shape);
      expect_same((*generic)(Tensors{x}), (*layer)(Tensors{x}), name + " on " + shape_to_string(shape));
    }
  }
}

BOOST_AUTO_TEST_CASE(initial_states_masks_and_stateful_as_the_fused_layer) {
  const Tensor x = random_tensor({2, 5, 3}, 2);
  Twins states("LSTM", kLstmCell, {{"return_state", true}});
  const Tensors with_states{x, random_tensor({2, 4}, 3), random_tensor({2, 4}, 4)};
  expect_same((*states.fused)(with_states), (*states.generic)(with_states), "initial states");
  BOOST_CHECK_THROW((*states.generic)(Tensors{x, random_tensor({2, 5}, 3), random_tensor({2, 4}, 4)}), Error);

  // A mask with holes: masked steps keep the output and states; zero_output_for_mask zeros the output.
  const Tensor mask = Tensor::from_vector<bool>({true, false, true, true, false, true, true, false, false, false}, {2, 5});
  CallContext masked;
  masked.masks = {mask};
  for (const Json& options : {Json{{"return_sequences", true}, {"return_state", true}},
                              Json{{"return_sequences", true}, {"zero_output_for_mask", true}}}) {
    Twins t("GRU", kGruCell, options);
    expect_same((*t.fused)(Tensors{x}, masked), (*t.generic)(Tensors{x}, masked), "masked " + options.dump());
  }
  Twins plain("GRU", kGruCell, {{"return_sequences", true}});
  BOOST_TEST(max_abs_difference((*plain.generic)(Tensors{x}, masked).at(0), (*plain.generic)(Tensors{x}).at(0)) > 1e-3,
             "the mask changes the outputs");

  Twins kept("SimpleRNN", {{"units", 2}}, {{"stateful", true}}, 2);
  const Tensor first = (*kept.generic)(x);
  BOOST_TEST(max_abs_difference(first, (*kept.fused)(x)) < 1e-6);
  const Tensor second = (*kept.generic)(x);
  BOOST_TEST(max_abs_difference(second, (*kept.fused)(x)) < 1e-6, "second call starts from the kept states");
  BOOST_TEST(max_abs_difference(first, second) > 1e-6, "the kept states change the second call");
}

BOOST_AUTO_TEST_CASE(stacked_cells_match_the_layers_stacked_and_return_every_state) {
  clear_session();  // automatic names as in a fresh Keras session
  LayerPtr stack = layer_from("RNN", {{"name", "rnn"}, {"return_sequences", true}, {"return_state", true},
                                     {"cell", Json::array({cell("LSTMCell", kLstmCell), cell("GRUCell", kGruCell)})}});
  stack->build(Shape{kUnknown, 5, 3});
  const auto w = stack->weights();
  BOOST_TEST_REQUIRE(w.size() == 6u);
  BOOST_TEST(w[0]->name() == "rnn/stacked_rnn_cells/lstm_cell/kernel:0");
  BOOST_TEST(w[5]->name() == "rnn/stacked_rnn_cells/gru_cell/bias:0");
  BOOST_TEST(stack->get_config()["cell"]["class_name"] == "StackedRNNCells");

  LayerPtr lstm = layer_from("LSTM", with({{"name", "lstm"}, {"return_sequences", true}, {"return_state", true}}, kLstmCell));
  LayerPtr gru = layer_from("GRU", with({{"name", "gru"}, {"return_sequences", true}, {"return_state", true}}, kGruCell));
  lstm->build(Shape{kUnknown, 5, 3});
  gru->build(Shape{kUnknown, 5, 4});
  std::vector<Tensor> weights;
  for (const auto& v : w) weights.push_back(random_tensor(v->shape(), static_cast<unsigned>(weights.size() + 20), -0.6f, 0.6f));
  stack->set_weights(weights);
  lstm->set_weights({weights[0], weights[1], weights[2]});
  gru->set_weights({weights[3], weights[4], weights[5]});

  const Tensor x = random_tensor({2, 5, 3}, 5);
  const Tensors initial{x, random_tensor({2, 4}, 6), random_tensor({2, 4}, 7), random_tensor({2, 3}, 8)};
  const Tensors a = (*lstm)(Tensors{x, initial[1], initial[2]});
  const Tensors b = (*gru)(Tensors{a[0], initial[3]});
  // Keras's order: the last cell's sequence, then every cell's states in turn.
  expect_same({b[0], a[1], a[2], b[1]}, (*stack)(initial), "stacked");
}

BOOST_AUTO_TEST_CASE(config_round_trips_in_tf_keras_form) {
  // As tf-keras 2.21 writes RNN([LSTMCell(4), SimpleRNNCell(2)], return_sequences=True) before it
  // is built (a built one adds build_config to each cell: the interop suite compares those).
  const Json config = Json::parse(R"({"name": "rnn", "trainable": true, "dtype": "float32",
    "return_sequences": true, "return_state": false, "go_backwards": false, "stateful": false,
    "unroll": false, "time_major": false, "cell": {"module": "keras.layers", "class_name": "StackedRNNCells",
    "config": {"name": "stacked_rnn_cells", "trainable": true, "dtype": "float32", "cells": [
      {"module": "keras.layers", "class_name": "LSTMCell", "config": {"name": "lstm_cell", "trainable": true,
       "dtype": "float32", "units": 4, "activation": "tanh", "recurrent_activation": "sigmoid", "use_bias": true,
       "kernel_initializer": {"class_name": "GlorotUniform", "config": {"seed": null}},
       "recurrent_initializer": {"class_name": "Orthogonal", "config": {"gain": 1.0, "seed": null}},
       "bias_initializer": {"class_name": "Zeros", "config": {}}, "unit_forget_bias": true,
       "kernel_regularizer": null, "recurrent_regularizer": null, "bias_regularizer": null,
       "kernel_constraint": null, "recurrent_constraint": null, "bias_constraint": null, "dropout": 0.0,
       "recurrent_dropout": 0.0, "implementation": 2}, "registered_name": null},
      {"module": "keras.layers", "class_name": "SimpleRNNCell", "config": {"name": "simple_rnn_cell", "trainable": true,
       "dtype": "float32", "units": 2, "activation": "tanh", "use_bias": true,
       "kernel_initializer": {"class_name": "GlorotUniform", "config": {"seed": null}},
       "recurrent_initializer": {"class_name": "Orthogonal", "config": {"gain": 1.0, "seed": null}},
       "bias_initializer": {"class_name": "Zeros", "config": {}}, "kernel_regularizer": null,
       "recurrent_regularizer": null, "bias_regularizer": null, "kernel_constraint": null,
       "recurrent_constraint": null, "bias_constraint": null, "dropout": 0.0, "recurrent_dropout": 0.0},
       "registered_name": null}]}, "registered_name": null}})");
  check_config_round_trip("RNN", config);
  check_config_round_trip("RNN", with(config, {{"go_backwards", true}, {"zero_output_for_mask", true}}));
  // Keras 3's spelling: a dtype policy, zero_output_for_mask always written, no time_major.
  Json keras3 = config;
  keras3.erase("time_major");
  keras3["dtype"] = Json::parse(R"({"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}})");
  keras3["zero_output_for_mask"] = false;
  const Json read = layer_from("RNN", keras3)->get_config();
  BOOST_TEST(read["dtype"] == "float32");
  BOOST_TEST(read["cell"]["config"]["cells"].size() == 2u);
}

BOOST_AUTO_TEST_CASE(a_cell_of_the_application_runs_saves_and_loads) {
  CustomObjectScope scope({{"MinimalRNNCell", layer_class<MinimalRNNCell>("MinimalRNNCell")}});
  LayerPtr rnn = layer_from("RNN", {{"name", "rnn"}, {"return_sequences", true},
                                    {"cell", cell("MinimalRNNCell", {{"name", "minimal"}, {"units", 2}})}});
  check_config_round_trip("RNN", rnn->get_config());
  rnn->build(Shape{kUnknown, 5, 3});
  BOOST_TEST(rnn->weights().at(0)->name() == "rnn/minimal/kernel:0");
  const Tensor k = random_tensor({3, 2}, 9), r = random_tensor({2, 2}, 10), x = random_tensor({1, 5, 3}, 11);
  rnn->set_weights({k, r});
  const Tensor y = (*rnn)(x);
  // The recurrence by hand.
  Tensor h = Tensor::zeros(DType::Float32, {1, 2});
  for (Dim t = 0; t < 5; ++t) {
    h = ops::add(ops::matmul(ops::reshape(ops::slice(x, {0, t, 0}, {-1, 1, -1}), {1, 3}), k), ops::matmul(h, r));
    BOOST_TEST(max_abs_difference(ops::reshape(ops::slice(y, {0, t, 0}, {-1, 1, -1}), {1, 2}), h) < 1e-6);
  }
  check_layer_gradients("RNN(MinimalRNNCell)", rnn, x);
  KerasTensor in = Input(Shape{5, 3}, "x");
  check_weight_round_trips(std::make_shared<Functional>(KerasTensors{in}, KerasTensors{(*rnn)(in)}), {x}, "rnn_minimal");
}

BOOST_AUTO_TEST_CASE(gradients_match_finite_differences) {
  // tanh cells: relu's kink would meet the finite differences.
  LayerPtr stack = layer_from("RNN", {{"name", "rnn"}, {"return_sequences", true},
                                     {"cell", cell("StackedRNNCells", {{"cells", {cell("LSTMCell", kLstmCell), cell("SimpleRNNCell", {{"units", 2}})}}})}});
  const Tensor x = random_tensor({2, 3, 3}, 12);
  stack->build(Shape{kUnknown, 3, 3});
  check_layer_gradients("RNN(StackedRNNCells)", stack, x);
}

BOOST_AUTO_TEST_CASE(weights_round_trip_through_every_format) {
  LayerPtr stack = layer_from("RNN", {{"name", "rnn"}, {"return_sequences", true},
                                     {"cell", Json::array({cell("LSTMCell", kLstmCell), cell("GRUCell", kGruCell)})}});
  LayerPtr single = layer_from("RNN", {{"name", "rnn_1"}, {"cell", cell("SimpleRNNCell", kSimpleCell)}});
  KerasTensor in = Input(Shape{5, 3}, "x");
  const auto model = std::make_shared<Functional>(KerasTensors{in}, KerasTensors{(*single)((*stack)(in))});
  check_weight_round_trips(model, {random_tensor({2, 5, 3}, 13)}, "rnn_stacked");
}

BOOST_AUTO_TEST_CASE(bidirectional_and_time_distributed_wrap_it) {
  LayerPtr bi = layer_from("Bidirectional", {{"name", "bidirectional"},
                                             {"layer", cell("RNN", {{"name", "rnn"}, {"return_sequences", true},
                                                                    {"cell", cell("GRUCell", with(kGruCell, {{"name", "gru_cell"}}))}})}});
  LayerPtr fused = layer_from("Bidirectional", {{"name", "fused"},
                                                {"layer", cell("GRU", with({{"name", "gru"}, {"return_sequences", true}}, kGruCell))}});
  const Tensor x = random_tensor({2, 5, 3}, 14);
  bi->build(Shape{kUnknown, 5, 3});
  fused->build(Shape{kUnknown, 5, 3});
  BOOST_TEST(bi->weights().at(0)->name() == "bidirectional/forward_rnn/gru_cell/kernel:0");
  BOOST_TEST(bi->weights().at(3)->name() == "bidirectional/backward_rnn/gru_cell/kernel:0");
  fused->set_weights(bi->get_weights());
  BOOST_TEST(max_abs_difference((*bi)(x), (*fused)(x)) < 1e-6);
  LayerPtr td = layer_from("TimeDistributed", {{"name", "td"}, {"layer", cell("Dense", {{"name", "dense"}, {"units", 2}})}});
  KerasTensor in = Input(Shape{5, 3}, "x");
  check_weight_round_trips(std::make_shared<Functional>(KerasTensors{in}, KerasTensors{(*td)((*bi)(in))}), {x}, "bidirectional_rnn");
}

BOOST_AUTO_TEST_CASE(bad_configs_name_the_layer_and_what_was_found) {
  auto message = [](const Json& config) {
    try {
      layer_from("RNN", config)->build(Shape{kUnknown, 5, 3});
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  const std::string missing = message({{"name", "r"}});
  BOOST_TEST((missing.find("'r' (RNN)") != std::string::npos && missing.find("cell") != std::string::npos), missing);
  const std::string number = message({{"name", "r"}, {"cell", 3}});
  BOOST_TEST(number.find("found 3") != std::string::npos, number);
  // A layer that is not a cell: one output, no state.
  const std::string dense = message({{"name", "r"}, {"cell", cell("Dense", {{"name", "d"}, {"units", 2}})}});
  BOOST_TEST((dense.find("cell 'd' (Dense)") != std::string::npos && dense.find("state") != std::string::npos), dense);
  const std::string empty = message({{"name", "r"}, {"cell", cell("StackedRNNCells", {{"cells", Json::array()}})}});
  BOOST_TEST(empty.find("non-empty list") != std::string::npos, empty);
}
