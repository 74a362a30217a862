// LSTM plugin: configs (tf.keras 2 and Keras 1 spellings), weight names, numerics against the
// tfjs oracle and an independent loop written here (return_sequences, return_state, initial
// states, go_backwards, masks, stateful), gradients, weights through every format, and
// Bidirectional / TimeDistributed around it.
#define BOOST_TEST_MODULE lstm
#include <boost/test/unit_test.hpp>

#include <cmath>

#include "layer_zoo_support/layer_checks.hpp"

using namespace ksave;
using namespace ksave::test::zoo;

namespace {

Json lstm_config(const Json& extra = Json::object()) {
  Json c = {{"name", "lstm"}, {"units", 3}};
  for (auto it = extra.begin(); it != extra.end(); ++it) c[it.key()] = it.value();
  return c;
}

float sigmoid(float x) { return 1.0f / (1.0f + std::exp(-x)); }

// Plain-loop LSTM (gates i, f, c, o), independent of the ops: returns the outputs per processed
// step, and the final h and c. `keep[b][t]` false skips a step (mask).
struct Reference {
  std::vector<std::vector<std::vector<float>>> outputs;  // [step][batch][unit]
  std::vector<std::vector<float>> h, c;
};

Reference reference_lstm(const Tensor& x, const Tensor& kernel, const Tensor& recurrent, const Tensor& bias,
                         std::vector<std::vector<float>> h, std::vector<std::vector<float>> c, bool backwards,
                         const std::vector<std::vector<bool>>& keep = {}) {
  const auto B = x.dim(0), T = x.dim(1), F = x.dim(2), U = recurrent.dim(0);
  const float* px = x.data<float>();
  const float* k = kernel.data<float>();
  const float* r = recurrent.data<float>();
  const float* b = bias.data<float>();
  Reference out;
  std::vector<std::vector<float>> last(B, std::vector<float>(U, 0.0f));
  for (Dim s = 0; s < T; ++s) {
    const Dim t = backwards ? T - 1 - s : s;
    for (Dim n = 0; n < B; ++n) {
      if (!keep.empty() && !keep[n][t]) continue;
      std::vector<float> z(4 * U);
      for (Dim g = 0; g < 4 * U; ++g) {
        float v = b[g];
        for (Dim f = 0; f < F; ++f) v += px[(n * T + t) * F + f] * k[f * 4 * U + g];
        for (Dim u = 0; u < U; ++u) v += h[n][u] * r[u * 4 * U + g];
        z[g] = v;
      }
      for (Dim u = 0; u < U; ++u) {
        const float i = sigmoid(z[u]), f = sigmoid(z[U + u]), cc = std::tanh(z[2 * U + u]), o = sigmoid(z[3 * U + u]);
        c[n][u] = f * c[n][u] + i * cc;
        h[n][u] = o * std::tanh(c[n][u]);
      }
      last[n] = h[n];
    }
    out.outputs.push_back(last);
  }
  out.h = h;
  out.c = c;
  return out;
}

std::vector<std::vector<float>> rows(const Tensor& t) {
  std::vector<std::vector<float>> r(t.dim(0), std::vector<float>(t.dim(1)));
  for (Dim i = 0; i < t.dim(0); ++i)
    for (Dim j = 0; j < t.dim(1); ++j) r[i][j] = t.data<float>()[i * t.dim(1) + j];
  return r;
}

void expect_rows(const Tensor& actual, const std::vector<std::vector<float>>& expected, const std::string& what) {
  BOOST_TEST_REQUIRE(actual.rank() == 2);
  for (Dim i = 0; i < actual.dim(0); ++i)
    for (Dim j = 0; j < actual.dim(1); ++j)
      BOOST_TEST(std::abs(actual.data<float>()[i * actual.dim(1) + j] - expected[i][j]) < 1e-5f,
                 what << " [" << i << "," << j << "]");
}

struct Fixture {
  LayerPtr layer;
  Tensor x, kernel, recurrent, bias;
  explicit Fixture(const Json& extra = Json::object(), Dim batch = 2, Dim steps = 4, Dim features = 2) {
    layer = layer_from("LSTM", lstm_config(extra));
    x = random_tensor({batch, steps, features}, 1);
    // A stateful layer is built for its fixed batch, as Keras builds it when it is called on an
    // input with a batch shape (the build_config a saved file records).
    const bool stateful = extra.is_object() && extra.value("stateful", false);
    layer->build(Shape{stateful ? batch : kUnknown, steps, features});
    kernel = random_tensor({features, 12}, 2, -0.6f, 0.6f);
    recurrent = random_tensor({3, 12}, 3, -0.6f, 0.6f);
    bias = random_tensor({12}, 4, -0.3f, 0.3f);
    layer->set_weights({kernel, recurrent, bias});
  }
  std::vector<std::vector<float>> zeros(Dim batch) const { return std::vector<std::vector<float>>(batch, std::vector<float>(3, 0.0f)); }
};

}  // namespace

BOOST_AUTO_TEST_CASE(config_round_trip_tf_keras_2) {
  // As tf.keras 2.x writes an LSTM (kotlindl_lstm_stack / tf.keras 2.4 form).
  const Json config = Json::parse(R"({"name": "lstm_1", "trainable": true, "dtype": "float32",
    "return_sequences": true, "return_state": false, "go_backwards": false, "stateful": false,
    "unroll": false, "time_major": false, "units": 8, "activation": "tanh",
    "recurrent_activation": "sigmoid", "use_bias": true,
    "kernel_initializer": {"class_name": "GlorotUniform", "config": {"seed": null}},
    "recurrent_initializer": {"class_name": "Orthogonal", "config": {"gain": 1.0, "seed": null}},
    "bias_initializer": {"class_name": "Zeros", "config": {}}, "unit_forget_bias": true,
    "kernel_regularizer": null, "recurrent_regularizer": null, "bias_regularizer": null,
    "activity_regularizer": null, "kernel_constraint": null, "recurrent_constraint": null,
    "bias_constraint": null, "dropout": 0.0, "recurrent_dropout": 0.0, "implementation": 2})");
  check_config_round_trip("LSTM", config);
  const Json out = layer_from("LSTM", config)->get_config();
  std::vector<std::string> keys, expected;
  for (auto it = out.begin(); it != out.end(); ++it) keys.push_back(it.key());
  for (auto it = config.begin(); it != config.end(); ++it) expected.push_back(it.key());
  // Same keys in tf.keras's order (the base keys are Layer::get_config's).
  BOOST_TEST(std::vector<std::string>(keys.begin() + 3, keys.end()) == std::vector<std::string>(expected.begin() + 3, expected.end()),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(keras_1_config_is_read) {
  const Json keras1 = Json::parse(R"({"name": "lstm_k1", "output_dim": 5, "activation": "tanh",
    "inner_activation": "hard_sigmoid", "init": "glorot_uniform", "inner_init": "orthogonal",
    "forget_bias_init": "one", "W_regularizer": null, "U_regularizer": null, "b_regularizer": null,
    "dropout_W": 0.1, "dropout_U": 0.2, "return_sequences": false, "go_backwards": false,
    "stateful": false, "unroll": false, "consume_less": "cpu", "input_dim": 3, "input_length": null})");
  const Json c = layer_from("LSTM", keras1)->get_config();
  BOOST_TEST(c["units"] == 5);
  BOOST_TEST(c["recurrent_activation"] == "hard_sigmoid");
  BOOST_TEST(c["dropout"] == 0.1);
  BOOST_TEST(c["recurrent_dropout"] == 0.2);
}

BOOST_AUTO_TEST_CASE(weights_have_keras_names_order_and_shapes) {
  Fixture f;
  const auto w = f.layer->weights();
  BOOST_TEST_REQUIRE(w.size() == 3u);
  BOOST_TEST(w[0]->name() == "lstm/lstm_cell/kernel:0");
  BOOST_TEST(w[1]->name() == "lstm/lstm_cell/recurrent_kernel:0");
  BOOST_TEST(w[2]->name() == "lstm/lstm_cell/bias:0");
  BOOST_TEST(f.layer->tracked_layers().at(0).first == "cell");
  // unit_forget_bias: ones in the forget gate's columns of a fresh layer.
  LayerPtr fresh = layer_from("LSTM", lstm_config());
  fresh->build(Shape{kUnknown, 4, 2});
  const Tensor b = fresh->get_weights()[2];
  BOOST_TEST(b.data<float>()[0] == 0.0f);
  BOOST_TEST(b.data<float>()[3] == 1.0f);
  BOOST_TEST(b.data<float>()[6] == 0.0f);
}

BOOST_AUTO_TEST_CASE(oracle_predict_cases) {
  check_oracle_predict_case("lstm_last_state");
  check_oracle_predict_case("lstm_sequences_default_hard_sigmoid");
}

BOOST_AUTO_TEST_CASE(sequences_states_and_initial_states_match_a_plain_loop) {
  Fixture f({{"return_sequences", true}, {"return_state", true}});
  const Tensor h0 = random_tensor({2, 3}, 7), c0 = random_tensor({2, 3}, 8);
  const Tensors out = (*f.layer)(Tensors{f.x, h0, c0});
  BOOST_TEST_REQUIRE(out.size() == 3u);
  BOOST_TEST(out[0].shape() == (Shape{2, 4, 3}));
  const Reference ref = reference_lstm(f.x, f.kernel, f.recurrent, f.bias, rows(h0), rows(c0), false);
  for (Dim t = 0; t < 4; ++t)
    expect_rows(ops::reshape(ops::slice(out[0], {0, t, 0}, {-1, 1, -1}), {2, 3}), ref.outputs[t], "output");
  expect_rows(out[1], ref.h, "h");
  expect_rows(out[2], ref.c, "c");
}

BOOST_AUTO_TEST_CASE(go_backwards_processes_time_in_reverse) {
  Fixture f({{"go_backwards", true}, {"return_sequences", true}});
  const Tensor y = (*f.layer)(f.x);
  const Reference ref = reference_lstm(f.x, f.kernel, f.recurrent, f.bias, f.zeros(2), f.zeros(2), true);
  // Keras returns the sequence in processing order (reversed time).
  for (Dim t = 0; t < 4; ++t) expect_rows(ops::reshape(ops::slice(y, {0, t, 0}, {-1, 1, -1}), {2, 3}), ref.outputs[t], "step");
}

BOOST_AUTO_TEST_CASE(masked_steps_keep_the_state_through_a_functional_model) {
  // Embedding(mask_zero) → LSTM: id 0 steps are skipped.
  const Json model_json = Json::parse(R"({"class_name": "Sequential", "config": {"name": "s", "layers": [
    {"class_name": "InputLayer", "config": {"batch_input_shape": [null, 4], "dtype": "int32", "name": "ids"}},
    {"class_name": "Embedding", "config": {"name": "embedding", "input_dim": 5, "output_dim": 2, "mask_zero": true}},
    {"class_name": "LSTM", "config": {"name": "lstm", "units": 3}}]}})");
  // A functional copy, since masks travel through Functional graphs.
  ModelPtr seq = model_from_json(model_json.dump());
  ModelPtr model = std::make_shared<Functional>(seq->inputs(), seq->outputs());
  Fixture f;
  const Tensor table = random_tensor({5, 2}, 11);
  model->set_weights({table, f.kernel, f.recurrent, f.bias});
  const Tensor ids = Tensor::from_vector<std::int32_t>({1, 0, 2, 0, 3, 4, 0, 0}, {2, 4});
  const Tensor y = model->predict(ids);
  const Tensor x = ops::gather(table, ids, 0);
  const std::vector<std::vector<bool>> keep = {{true, false, true, false}, {true, true, false, false}};
  const Reference ref = reference_lstm(x, f.kernel, f.recurrent, f.bias, f.zeros(2), f.zeros(2), false, keep);
  expect_rows(y, ref.h, "masked");
}

BOOST_AUTO_TEST_CASE(stateful_layer_keeps_its_state_between_calls) {
  Fixture f({{"stateful", true}, {"batch_input_shape", Json::array({2, 4, 2})}});
  const Tensor y1 = (*f.layer)(f.x);
  const Tensor y2 = (*f.layer)(f.x);
  const Reference first = reference_lstm(f.x, f.kernel, f.recurrent, f.bias, f.zeros(2), f.zeros(2), false);
  const Reference second = reference_lstm(f.x, f.kernel, f.recurrent, f.bias, first.h, first.c, false);
  expect_rows(y1, first.h, "first call");
  expect_rows(y2, second.h, "second call");
  BOOST_CHECK_THROW((*f.layer)(random_tensor({3, 4, 2}, 5)), Error);  // another batch size
}

BOOST_AUTO_TEST_CASE(gradients_match_finite_differences) {
  Fixture f({{"return_sequences", true}}, 2, 3, 2);
  check_layer_gradients("LSTM", f.layer, random_tensor({2, 3, 2}, 9));
  Fixture hard({{"recurrent_activation", "hard_sigmoid"}, {"activation", "relu"}}, 1, 3, 2);
  check_layer_gradients("LSTM relu/hard_sigmoid", hard.layer, random_tensor({1, 3, 2}, 10), {.eps = 1e-3});
}

BOOST_AUTO_TEST_CASE(weights_round_trip_through_every_format) {
  Fixture f;
  KerasTensor in = Input(Shape{4, 2}, "x");
  const auto model = std::make_shared<Functional>(KerasTensors{in}, KerasTensors{(*f.layer)(in)});
  check_weight_round_trips(model, {f.x}, "lstm");
}

// The states a stateful layer keeps are not variables (tf.keras saves them in no format): its
// weights and config round-trip, and a loaded copy starts from zero states as the original did.
BOOST_AUTO_TEST_CASE(stateful_weights_round_trip_through_every_format) {
  Fixture f(Json{{"stateful", true}});
  KerasTensor in = Input(Shape{4, 2}, "x", DType::Float32, 2);
  const auto model = std::make_shared<Functional>(KerasTensors{in}, KerasTensors{(*f.layer)(in)});
  check_weight_round_trips(model, {f.x}, "lstm_stateful");
}

BOOST_AUTO_TEST_CASE(wrapper_weights_round_trip_through_every_format) {
  LayerPtr bi = layer_from("Bidirectional", Json::parse(R"({"name": "bidirectional", "merge_mode": "concat",
    "layer": {"class_name": "LSTM", "config": {"name": "lstm", "units": 3, "return_sequences": true}}})"));
  LayerPtr td = layer_from("TimeDistributed", Json::parse(R"({"name": "td", "layer": {"class_name": "Dense",
    "config": {"name": "dense", "units": 2}}})"));
  KerasTensor in = Input(Shape{4, 2}, "x");
  const auto model = std::make_shared<Functional>(KerasTensors{in}, KerasTensors{(*td)((*bi)(in))});
  check_weight_round_trips(model, {random_tensor({2, 4, 2}, 51)}, "bidirectional_time_distributed");
  // Masked ids (mask_zero) through an averaging Bidirectional: masks change nothing saved.
  LayerPtr embedding = layer_from("Embedding", {{"name", "embedding"}, {"input_dim", 6}, {"output_dim", 2}, {"mask_zero", true}});
  LayerPtr averaged = layer_from("Bidirectional", Json::parse(R"({"name": "bidirectional_ave", "merge_mode": "ave",
    "layer": {"class_name": "LSTM", "config": {"name": "lstm", "units": 3}}})"));
  KerasTensor ids = Input(Shape{4}, "ids", DType::Int32);
  const auto masked = std::make_shared<Functional>(KerasTensors{ids}, KerasTensors{(*averaged)((*embedding)(ids))});
  check_weight_round_trips(masked, {Tensor::from_vector<std::int32_t>({3, 1, 0, 0, 5, 2, 4, 0}, {2, 4})}, "embedding_bidirectional_ave");
}

BOOST_AUTO_TEST_CASE(bidirectional_concat_and_names) {
  const Json config = Json::parse(R"({"name": "bidirectional", "trainable": true, "dtype": "float32",
    "layer": {"class_name": "LSTM", "config": {"name": "lstm", "units": 3, "return_sequences": true}},
    "merge_mode": "concat"})");
  LayerPtr bi = layer_from("Bidirectional", config);
  bi->build(Shape{kUnknown, 4, 2});
  const auto w = bi->weights();
  BOOST_TEST_REQUIRE(w.size() == 6u);
  BOOST_TEST(w[0]->name() == "bidirectional/forward_lstm/lstm_cell/kernel:0");
  BOOST_TEST(w[3]->name() == "bidirectional/backward_lstm/lstm_cell/kernel:0");
  Fixture f;
  const Tensor k2 = random_tensor({2, 12}, 21), r2 = random_tensor({3, 12}, 22), b2 = random_tensor({12}, 23);
  bi->set_weights({f.kernel, f.recurrent, f.bias, k2, r2, b2});
  const Tensor y = (*bi)(f.x);
  BOOST_TEST(y.shape() == (Shape{2, 4, 6}));
  const Reference fwd = reference_lstm(f.x, f.kernel, f.recurrent, f.bias, f.zeros(2), f.zeros(2), false);
  const Reference bwd = reference_lstm(f.x, k2, r2, b2, f.zeros(2), f.zeros(2), true);
  for (Dim t = 0; t < 4; ++t) {
    expect_rows(ops::reshape(ops::slice(y, {0, t, 0}, {-1, 1, 3}), {2, 3}), fwd.outputs[t], "forward");
    // The backward half is back in time order.
    expect_rows(ops::reshape(ops::slice(y, {0, t, 3}, {-1, 1, 3}), {2, 3}), bwd.outputs[3 - t], "backward");
  }
  // The wrapped layer comes back in its full tf.keras form.
  check_config_round_trip("Bidirectional", bi->get_config());
  for (const char* mode : {"sum", "mul", "ave"}) {
    Json c = config;
    c["merge_mode"] = mode;
    LayerPtr m = layer_from("Bidirectional", c);
    m->build(Shape{kUnknown, 4, 2});
    m->set_weights({f.kernel, f.recurrent, f.bias, k2, r2, b2});
    BOOST_TEST(((*m)(f.x).shape() == Shape{2, 4, 3}), mode);
  }
  Json none = config;
  none["merge_mode"] = nullptr;
  LayerPtr two = layer_from("Bidirectional", none);
  BOOST_TEST((*two)(Tensors{f.x}).size() == 2u);
}

BOOST_AUTO_TEST_CASE(time_distributed_dense_matches_dense_per_step) {
  LayerPtr td = layer_from("TimeDistributed", Json::parse(R"({"name": "td", "layer": {"class_name": "Dense",
    "config": {"name": "dense", "units": 2}}})"));
  const Tensor x = random_tensor({2, 3, 4}, 31);
  const Tensor y = (*td)(x);
  BOOST_TEST(y.shape() == (Shape{2, 3, 2}));
  const auto w = td->get_weights();
  const Tensor expected = ops::bias_add(ops::matmul(x, w[0]), w[1]);
  BOOST_TEST(max_abs_difference(y, expected) < 1e-6);
  check_layer_gradients("TimeDistributed(Dense)", td, x);
}

BOOST_AUTO_TEST_CASE(unpack_op_splits_steps_and_its_gradient_packs_them) {
  // The op the recurrent layers use to take the steps of the input projection.
  const Tensor x = random_tensor({2, 3, 2}, 41);
  const Tensors parts = ops::unstack(x, 1);
  BOOST_TEST_REQUIRE(parts.size() == 3u);
  for (Dim t = 0; t < 3; ++t)
    BOOST_TEST(max_abs_difference(parts[t], ops::reshape(ops::slice(x, {0, t, 0}, {-1, 1, -1}), {2, 2})) == 0.0);
  // Unused steps get zero gradient.
  const auto f = [](const std::vector<Tensor>& in) {
    const Tensors p = ops::unstack(in[0], 1);
    return ops::add(ops::tanh(p[0]), ops::mul(p[2], 2.0));
  };
  const auto analytic = [&](const std::vector<Tensor>& in, const Tensor&, const Tensor& dy) {
    GradientTape tape;
    const Tensor loss = ops::sum(ops::mul(f(in), dy));
    return tape.gradient(loss, std::vector<Tensor>{in[0]});
  };
  test::check_gradients("Unpack", f, {x}, analytic);
}

// Old configs store flags as integers (`stateful: -1` in published files); Keras only tests them
// for truth, so any nonzero integer is true and 0 is false.
BOOST_AUTO_TEST_CASE(integer_flags_are_python_truthiness) {
  const std::string json = R"({"class_name": "Sequential", "config": {"name": "s", "layers": [
    {"class_name": "LSTM", "config": {"name": "lstm", "units": 2, "batch_input_shape": [1, 3, 2],
      "stateful": -1, "return_sequences": 1, "go_backwards": 0}}]}})";
  const ModelPtr model = model_from_json(json);
  const Json config = model->get_layer("lstm")->get_config();
  BOOST_TEST(config["stateful"] == Json(true));
  BOOST_TEST(config["return_sequences"] == Json(true));
  BOOST_TEST(config["go_backwards"] == Json(false));
  BOOST_TEST((model->outputs().at(0).shape() == Shape{1, 3, 2}));
}
