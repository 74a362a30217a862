#include "recurrent.hpp"

#include <algorithm>
#include <limits>

namespace ksave::plugins::rnn {

// ---- CellConfig ----

CellConfig CellConfig::read(const ConfigReader& r, const Extras& extras) {
  CellConfig c;
  c.filters = extras.filters;
  c.units = c.filters ? r.require<std::int64_t>("filters") : r.require<std::int64_t>("units", {"output_dim"});
  // Bounded above too: the gates' weights have 3 or 4 times `units` columns, which must not overflow
  // (a hostile 2^62); 2^31 - 1, TensorFlow's int32 dimension limit, is far beyond any real cell.
  if (c.units <= 0 || c.units > std::numeric_limits<std::int32_t>::max())
    throw Error(r.object() + ": " + c.units_key() + " must be between 1 and 2147483647, found " +
                std::to_string(c.units));
  c.activation = get_activation(r.get<Json>("activation", "tanh"));
  // tf.keras 2 defaults to sigmoid (its ConvLSTM to hard_sigmoid); Keras 1 files always write
  // their inner_activation.
  if (extras.recurrent_activation)
    c.recurrent_activation = get_activation(
        r.get<Json>("recurrent_activation", extras.recurrent_activation_default, {"inner_activation"}));
  c.use_bias = r.get<bool>("use_bias", true);
  c.kernel_initializer = get_initializer(r.get<Json>("kernel_initializer", "glorot_uniform", {"init"}));
  c.recurrent_initializer = get_initializer(r.get<Json>("recurrent_initializer", "orthogonal", {"inner_init"}));
  c.bias_initializer = get_initializer(r.get<Json>("bias_initializer", "zeros"));
  if (extras.unit_forget_bias) c.unit_forget_bias = r.get<bool>("unit_forget_bias", true);
  c.kernel_regularizer = get_regularizer(r.get<Json>("kernel_regularizer", nullptr, {"W_regularizer"}));
  c.recurrent_regularizer = get_regularizer(r.get<Json>("recurrent_regularizer", nullptr, {"U_regularizer"}));
  c.bias_regularizer = get_regularizer(r.get<Json>("bias_regularizer", nullptr, {"b_regularizer"}));
  c.kernel_constraint = get_constraint(r.get<Json>("kernel_constraint", nullptr));
  c.recurrent_constraint = get_constraint(r.get<Json>("recurrent_constraint", nullptr));
  c.bias_constraint = get_constraint(r.get<Json>("bias_constraint", nullptr));
  c.dropout = r.get<double>("dropout", 0.0, {"dropout_W"});
  c.recurrent_dropout = r.get<double>("recurrent_dropout", 0.0, {"dropout_U"});
  if (extras.implementation) c.implementation = r.get<Json>("implementation", 2);
  // Configs without reset_after come from Keras versions before it existed, whose GRU is the
  // reset-before form (bias of 3 * units); tf.keras 2 always writes the key.
  if (extras.reset_after) c.reset_after = r.get<bool>("reset_after", false);
  return c;
}

void CellConfig::write(Json& c, const RegularizerPtr* activity_regularizer) const {
  c[units_key()] = units;
  c["activation"] = serialize(activation);
  if (recurrent_activation) c["recurrent_activation"] = serialize(*recurrent_activation);
  c["use_bias"] = use_bias;
  c["kernel_initializer"] = serialize(kernel_initializer);
  c["recurrent_initializer"] = serialize(recurrent_initializer);
  c["bias_initializer"] = serialize(bias_initializer);
  if (unit_forget_bias) c["unit_forget_bias"] = *unit_forget_bias;
  c["kernel_regularizer"] = serialize(kernel_regularizer);
  c["recurrent_regularizer"] = serialize(recurrent_regularizer);
  c["bias_regularizer"] = serialize(bias_regularizer);
  if (activity_regularizer) c["activity_regularizer"] = serialize(*activity_regularizer);
  c["kernel_constraint"] = serialize(kernel_constraint);
  c["recurrent_constraint"] = serialize(recurrent_constraint);
  c["bias_constraint"] = serialize(bias_constraint);
  c["dropout"] = dropout;
  c["recurrent_dropout"] = recurrent_dropout;
  if (implementation) c["implementation"] = *implementation;
  if (reset_after) c["reset_after"] = *reset_after;
}

// ---- Cell ----

namespace {

Json cell_base_config(const std::string& name, const Json& layer_config) {
  Json c = Json::object();
  c["name"] = name;
  if (layer_config.contains("trainable")) c["trainable"] = layer_config["trainable"];
  if (layer_config.contains("dtype")) c["dtype"] = layer_config["dtype"];
  return c;
}

}  // namespace

Cell::Cell(const std::string& name, const Json& layer_config, CellConfig config)
    : Layer(cell_base_config(name, layer_config), name), options_(std::move(config)) {}

Json Cell::get_config() const {
  Json c = Layer::get_config();
  options_.write(c, nullptr);
  return c;
}

void Cell::add_standard_weights(std::int64_t features, std::int64_t gates, const Shape& bias_shape,
                                InitializerPtr bias_initializer) {
  const std::int64_t width = gates * options_.units;
  kernel_ = add_weight({"kernel", {features, width}, DType::Float32, options_.kernel_initializer,
                        options_.kernel_regularizer, options_.kernel_constraint, true});
  recurrent_kernel_ = add_weight({"recurrent_kernel", {options_.units, width}, DType::Float32,
                                  options_.recurrent_initializer, options_.recurrent_regularizer,
                                  options_.recurrent_constraint, true});
  if (options_.use_bias)
    bias_ = add_weight({"bias", bias_shape, DType::Float32,
                        bias_initializer ? bias_initializer : options_.bias_initializer,
                        options_.bias_regularizer, options_.bias_constraint, true});
}

Tensor Cell::gate(const Tensor& z, std::int64_t index) const {
  return ops::slice(z, {0, index * options_.units}, {-1, options_.units});
}

Tensors Cell::call(const Tensors& inputs, const CallContext&) {
  if (inputs.size() != 1 + state_count())
    throw Error("cell '" + name() + "' takes its input and " + std::to_string(state_count()) + " states, found " +
                std::to_string(inputs.size()) + " tensors");
  const Tensor x = ops::expand_dims(inputs[0].as_float(), 1);
  const Tensor projected = ops::squeeze(begin_sequence(x), {1});
  return step(projected, Tensors(inputs.begin() + 1, inputs.end()));
}

std::vector<Shape> Cell::compute_output_shape(const std::vector<Shape>& shapes) {
  const Dim batch = shapes.empty() || shapes[0].empty() ? kUnknown : shapes[0][0];
  return std::vector<Shape>(1 + state_count(), Shape{batch, units()});
}

// ---- RecurrentLayer ----

RecurrentLayer::RecurrentLayer(const Json& config, const std::string& class_name, std::shared_ptr<Cell> cell)
    : RecurrentLayer(config, class_name, cell, cell) {}

RecurrentLayer::RecurrentLayer(const Json& config, const std::string& class_name, LayerPtr cell,
                               std::shared_ptr<CellSteps> steps)
    : Layer(config, class_name), class_name_(class_name), cell_(std::move(cell)), steps_(std::move(steps)) {
  ConfigReader r(config, describe());
  return_sequences_ = r.get<bool>("return_sequences", false);
  return_state_ = r.get<bool>("return_state", false);
  go_backwards_ = r.get<bool>("go_backwards", false);
  stateful_ = r.get<bool>("stateful", false);
  unroll_ = r.get<bool>("unroll", false);  // a speed choice in Keras; same numbers
  time_major_ = r.get<bool>("time_major", false);
  zero_output_for_mask_ = r.get<bool>("zero_output_for_mask", false);
  if (time_major_) throw Error(describe() + ": time_major=True inputs are not supported (use batch-major inputs)");
  activity_regularizer_ = get_regularizer(r.get<Json>("activity_regularizer", nullptr));
  track("cell", cell_);
}

std::optional<InputSpec> RecurrentLayer::input_spec(const Shape& input_shape) const {
  const std::size_t rank = steps_->input_rank();
  if (input_shape.size() != rank) return std::nullopt;
  Shape shape{kUnknown, kUnknown};
  shape.insert(shape.end(), input_shape.begin() + 2, input_shape.end());
  return InputSpec{.shape = std::move(shape), .ndim = static_cast<std::int64_t>(rank), .in_a_list = true};
}

Json RecurrentLayer::get_config() const {
  Json c = Layer::get_config();
  c["return_sequences"] = return_sequences_;
  c["return_state"] = return_state_;
  c["go_backwards"] = go_backwards_;
  c["stateful"] = stateful_;
  c["unroll"] = unroll_;
  c["time_major"] = time_major_;
  if (zero_output_for_mask_) c["zero_output_for_mask"] = true;  // tf-keras writes it only when set
  write_cell_config(c);
  return c;
}

void RecurrentLayer::write_cell_config(Json& c) const {
  const auto* cell = dynamic_cast<const Cell*>(cell_.get());
  if (!cell) throw Error(describe() + ": its cell '" + cell_->name() + "' (" + cell_->class_name() + ") has no fused-layer keys");
  cell->options().write(c, &activity_regularizer_);
}

void RecurrentLayer::build_impl(const std::vector<Shape>& shapes) {
  if (shapes.empty() || shapes[0].size() != steps_->input_rank() || shapes[0].back() < 0)
    throw Error(describe() + " needs inputs of " + input_description() + " with known features, found " +
                (shapes.empty() ? std::string("no input") : shape_to_string(shapes[0])));
  // The cell is built for one step: the input without its time axis.
  Shape step = shapes[0];
  step.erase(step.begin() + 1);
  cell_->build(step);
  const std::size_t state_count = steps_->state_sizes().size();
  if (shapes.size() != 1 && shapes.size() != 1 + state_count)
    throw Error(describe() + " takes its input and optionally " + std::to_string(state_count) +
                " initial states, found " + std::to_string(shapes.size()) + " inputs");
}

namespace {

bool any_nonzero(const Tensors& states) {
  for (const Tensor& s : states)
    for (float v : s.as_float().values<float>())
      if (v != 0.0f) return true;
  return false;
}

}  // namespace

Tensors RecurrentLayer::initial_states(const Tensors& inputs, const Shape& input_shape) const {
  const Dim batch = input_shape[0];
  const CellSteps::StateSizes sizes = steps_->state_sizes();
  const std::size_t n = sizes.size();
  // tf.keras 2: a stateful layer uses the states it kept unless they are all zeros (never set, or
  // reset), even when initial states are passed in; then the given states, then zeros.
  if (stateful_ && !kept_states_.empty() && any_nonzero(kept_states_)) {
    if (kept_states_[0].dim(0) != batch)
      throw Error(describe() + " is stateful with batch size " + std::to_string(kept_states_[0].dim(0)) +
                  ", called with a batch of " + std::to_string(batch) + " (reset its states first)");
    return kept_states_;
  }
  Tensors states;
  if (inputs.size() > 1) {
    if (inputs.size() != 1 + n)
      throw Error(describe() + " needs " + std::to_string(n) + " initial states, found " +
                  std::to_string(inputs.size() - 1));
    for (std::size_t i = 1; i < inputs.size(); ++i) {
      const Shape expected = steps_->step_shape(input_shape, sizes[i - 1]);
      if (inputs[i].shape() != expected)
        throw Error(describe() + ": initial state " + std::to_string(i - 1) + " has shape " +
                    shape_to_string(inputs[i].shape()) + ", expected " + shape_to_string(expected));
      states.push_back(inputs[i].as_float());
    }
    return states;
  }
  for (Dim size : sizes) states.push_back(Tensor::zeros(DType::Float32, steps_->step_shape(input_shape, size)));
  return states;
}

Tensors RecurrentLayer::call(const Tensors& inputs, const CallContext& ctx) {
  const Tensor x = inputs.at(0).as_float();
  if (static_cast<std::size_t>(x.rank()) != steps_->input_rank())
    throw Error(describe() + " needs an input of " + input_description() + ", found " + shape_to_string(x.shape()));
  const Dim batch = x.dim(0), steps = x.dim(1);
  Tensors states = initial_states(inputs, x.shape());

  // Masked steps keep the previous states and output (zeros as output with zero_output_for_mask,
  // as tf.keras's Bidirectional sets it); the mask enters as float 0/1 per step, cast by an op so
  // that traces follow it.
  Tensor mask;
  if (!ctx.masks.empty() && ctx.masks[0].defined()) {
    mask = ops::cast(ctx.masks[0], DType::Float32);
    if (mask.shape() != Shape{batch, steps})
      throw Error(describe() + ": mask of shape " + shape_to_string(mask.shape()) + " does not match input " +
                  shape_to_string(x.shape()));
  }

  // oneDNN's RNN primitives divide by their dimensions (a SimpleRNN over 0 features raised SIGFPE
  // in the fuzz campaign): an empty input takes the steps below, which give Keras's numbers.
  if (!mask.defined() && !go_backwards_ && fused_ops_allowed() && x.size() > 0)
    if (std::optional<Tensors> fused = steps_->run_fused(x, states, return_sequences_))
      return finish((*fused)[0], Tensors(fused->begin() + 1, fused->end()), batch);
  // After the fused path, which needs no step shape: a steady-state predict allocates no shape.
  const Shape output_shape = steps_->step_shape(x.shape(), steps_->output_size());

  // The input projection of every step in one matmul, then split into steps with one op (its
  // gradient is one Pack, where a Slice per step would cost a full-size gradient per step).
  const Tensors projected = ops::unstack(steps_->begin_sequence(x), 1);  // time × (batch, gates)
  Tensors step_masks;
  if (mask.defined()) {
    // (batch, time) → (batch, time, 1...): each step's mask broadcasts over its output's axes.
    Tensor expanded = mask;
    for (std::size_t axis = 1; axis < output_shape.size(); ++axis) expanded = ops::expand_dims(expanded, -1);
    step_masks = ops::unstack(expanded, 1);
  }
  std::vector<Tensor> outputs;  // ops::stack's argument
  outputs.reserve(static_cast<std::size_t>(steps));
  const Tensor zero_output = Tensor::zeros(DType::Float32, output_shape);
  Tensor output = zero_output;
  for (Dim i = 0; i < steps; ++i) {
    const Dim t = go_backwards_ ? steps - 1 - i : i;
    Tensors next = steps_->step(projected[static_cast<std::size_t>(t)], states);
    if (next.size() != 1 + states.size())
      throw Error(describe() + ": its cell '" + cell_->name() + "' returned " + std::to_string(next.size()) +
                  " tensors for a step, expected its output and " + std::to_string(states.size()) + " states");
    if (mask.defined()) {
      const Tensor& m = step_masks[static_cast<std::size_t>(t)];  // (batch, 1...)
      // Keras carries the masked output on as the previous output, zeros included.
      next[0] = ops::select(m, next[0], zero_output_for_mask_ ? zero_output : output);
      for (std::size_t s = 0; s < states.size(); ++s) next[s + 1] = ops::select(m, next[s + 1], states[s]);
    }
    output = next[0];
    states.assign(next.begin() + 1, next.end());
    if (return_sequences_) outputs.push_back(output);
  }
  // Outputs come in processing order, reversed in time for go_backwards, as in Keras.
  return finish(return_sequences_ ? ops::stack(outputs, 1) : output, states, batch);
}

Tensors RecurrentLayer::finish(const Tensor& output, const Tensors& states, Dim batch) {
  if (stateful_) kept_states_ = states;
  Tensors result{output};
  if (activity_regularizer_)
    add_loss(ops::div((*activity_regularizer_)(result[0]), Tensor::scalar(static_cast<float>(batch))));
  if (return_state_) result.insert(result.end(), states.begin(), states.end());
  return result;
}

Tensors RecurrentLayer::compute_mask(const Tensors&, const Tensors& masks, std::size_t output_count) const {
  Tensors out(output_count);
  if (return_sequences_ && !masks.empty() && output_count > 0) out[0] = masks[0];
  return out;
}

std::vector<Shape> RecurrentLayer::compute_output_shape(const std::vector<Shape>& shapes) {
  const Shape& in = shapes.at(0);
  if (in.size() != steps_->input_rank())
    throw Error(describe() + " needs an input of " + input_description() + ", found " + shape_to_string(in));
  std::vector<Shape> out;
  Shape output = steps_->step_shape(in, steps_->output_size());
  if (return_sequences_) output.insert(output.begin() + 1, in[1]);
  out.push_back(std::move(output));
  if (return_state_)
    for (Dim size : steps_->state_sizes()) out.push_back(steps_->step_shape(in, size));
  return out;
}

std::string RecurrentLayer::input_description() const {
  const std::size_t rank = steps_->input_rank();
  if (rank == 3) return "shape (batch, time, features)";
  return "rank " + std::to_string(rank) + " (batch, time, " + std::to_string(rank - 3) + " spatial axes, channels)";
}

Json cudnn_layer_config(Json config, bool is_gru) {
  config["activation"] = "tanh";
  config["recurrent_activation"] = "sigmoid";
  config["use_bias"] = true;
  if (is_gru) config["reset_after"] = true;
  return config;
}

}  // namespace ksave::plugins::rnn
