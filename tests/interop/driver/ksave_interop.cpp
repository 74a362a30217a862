// ksave_interop: runs a job of ksave actions that the interop suite's Python side describes in a
// JSON file, so that the comparisons with real TensorFlow/Keras live in one place (the Python
// tests) and ksave is driven exactly as an application would drive it.
//
//   ksave_interop JOB.json
//
// A job is {"steps": [...]} run in order on one current model; every step names its "op":
//   load_model       {path, format?, compile? (true)}
//   model_from_json  {path}
//   load_weights     {path, format?, by_name?, skip_mismatch?, assert_consumed? (true)}
//   compile          {optimizer, loss, metrics?, loss_weights?}      (Keras's compile arguments)
//   predict          {inputs: [npy...], outputs: [npy...], batch_size?}
//   serve            {path, signature?, inputs: {key: npy}, outputs: {key: npy}}  (tf.saved_model.load)
//   train            {batches: [{x: [npy...], y: [npy...], sample_weight?: npy, class_weight?: {..}}],
//                     out: dir}  → dir/logs.json (train_on_batch's logs per batch) and
//                     dir/step_K/w_I.npy (every weight, model.weights order, after batch K)
//   save_model       {path, format?, include_optimizer? (true), save_traces? (true)}
//   save_weights     {path, format?}
//   to_json          {path}
//   get_weights      {dir}                                           → dir/w_I.npy
//   set_weights      {dir, count}
//   checkpoint_save  {directory, max_to_keep?, saves?}  tf.train.Checkpoint(model=, optimizer=) saved
//                    `saves` times (default 1) through a CheckpointManager
//   checkpoint_restore {path, assert_consumed? (true)}  the same objects restored from a prefix or
//                    a directory (its latest checkpoint)
//   optimizer_state  {path}  → {"class_name", "iterations", "loss_scale", "loss_scale_state": {child: value}}
//                    (the LossScaleOptimizer's current_loss_scale and good_steps)
//   checkpoint_list  {path, out, tensors?}  → out: {"name": [dtype, shape]}; with `tensors`, every
//                    value written to tensors/<index>.npy and named in out's "files"
// On failure it prints "step N (op): message" on stderr and exits with status 1.
#include <fstream>
#include <iostream>

#include "ksave/ksave.hpp"
#include "ksave/optimizer.hpp"
#include "ksave/tf/checkpoint.hpp"

namespace ksave::interop {
namespace {
namespace fs = std::filesystem;

Json read_json(const fs::path& path) {
  std::ifstream in(path);
  if (!in) throw Error("cannot open '" + path.string() + "'");
  return Json::parse(in);
}

void write_text(const fs::path& path, const std::string& text) {
  fs::create_directories(path.parent_path());
  std::ofstream out(path);
  out << text;
  if (!out) throw Error("cannot write '" + path.string() + "'");
}

Tensors read_arrays(const Json& paths) {
  Tensors values;
  for (const auto& p : paths) values.push_back(read_npy(p.get<std::string>()));
  return values;
}

std::string optional_string(const Json& step, const char* key) { return step.value(key, std::string()); }

void write_weights(const Model& model, const fs::path& dir) {
  fs::create_directories(dir);
  const std::vector<Tensor> weights = model.get_weights();
  for (std::size_t i = 0; i < weights.size(); ++i) write_npy(dir / ("w_" + std::to_string(i) + ".npy"), weights[i]);
}

Json logs_to_json(const Logs& logs) {
  Json out = Json::object();
  for (const auto& [key, value] : logs) out[key] = value;
  return out;
}

class Job {
 public:
  void run(const Json& step) {
    const std::string op = step.at("op").get<std::string>();
    if (op == "load_model") return load(step);
    if (op == "model_from_json") return from_json(step);
    if (op == "serve") return serve(step);
    if (op == "checkpoint_list") return checkpoint_list(step);
    if (!model_) throw Error("no model: the job must load or build one before '" + op + "'");
    if (op == "load_weights") return weights_in(step);
    if (op == "compile") return model_->compile(step.at("optimizer"), step.at("loss"), step.value("metrics", Json::array()),
                                                step.value("loss_weights", Json()));
    if (op == "predict") return predict(step);
    if (op == "train") return train(step);
    if (op == "save_model") return ksave::save_model(*model_, step.at("path").get<std::string>(), save_options(step));
    if (op == "save_weights") return ksave::save_weights(*model_, step.at("path").get<std::string>(), save_options(step));
    if (op == "to_json") return write_text(step.at("path").get<std::string>(), model_->to_json());
    if (op == "get_weights") return write_weights(*model_, step.at("dir").get<std::string>());
    if (op == "set_weights") return set_weights(step);
    if (op == "checkpoint_save") return checkpoint_save(step);
    if (op == "checkpoint_restore") return checkpoint_restore(step);
    if (op == "optimizer_state") return optimizer_state(step);
    throw Error("unknown op '" + op + "'");
  }

 private:
  static SaveOptions save_options(const Json& step) {
    SaveOptions options;
    options.format = optional_string(step, "format");
    options.include_optimizer = step.value("include_optimizer", true);
    options.save_traces = step.value("save_traces", true);
    return options;
  }

  void load(const Json& step) {
    LoadOptions options;
    options.compile = step.value("compile", true);
    const std::string format = optional_string(step, "format");
    const fs::path path = step.at("path").get<std::string>();
    model_ = format.empty() ? ksave::load_model(path, options) : get_format(format)->load_model(path, options);
  }

  void from_json(const Json& step) {
    std::ifstream in(step.at("path").get<std::string>());
    std::stringstream text;
    text << in.rdbuf();
    model_ = model_from_json(text.str());
  }

  void weights_in(const Json& step) {
    LoadOptions options;
    options.by_name = step.value("by_name", false);
    options.skip_mismatch = step.value("skip_mismatch", false);
    const std::string format = optional_string(step, "format");
    const fs::path path = step.at("path").get<std::string>();
    const LoadStatus status =
        format.empty() ? ksave::load_weights(*model_, path, options) : get_format(format)->load_weights(*model_, path, options);
    if (step.value("assert_consumed", true)) status.assert_consumed();
  }

  void predict(const Json& step) {
    const Tensors outputs = model_->predict(read_arrays(step.at("inputs")), step.value("batch_size", std::int64_t{32}));
    const Json& paths = step.at("outputs");
    if (outputs.size() != paths.size())
      throw Error("the model gave " + std::to_string(outputs.size()) + " outputs, the job names " + std::to_string(paths.size()));
    for (std::size_t i = 0; i < outputs.size(); ++i) write_npy(paths[i].get<std::string>(), outputs[i]);
  }

  void serve(const Json& step) {
    const LoadedFunctionsPtr functions = load_functions(step.at("path").get<std::string>());
    const SignatureFunction& signature = functions->signature(step.value("signature", std::string("serving_default")));
    NamedTensors inputs;
    for (const auto& [key, path] : step.at("inputs").items()) inputs[key] = read_npy(path.get<std::string>());
    const NamedTensors outputs = signature(inputs);
    for (const auto& [key, path] : step.at("outputs").items()) {
      auto found = outputs.find(key);
      if (found == outputs.end()) throw Error("signature has no output '" + key + "'");
      write_npy(path.get<std::string>(), found->second);
    }
  }

  void train(const Json& step) {
    const fs::path out = step.at("out").get<std::string>();
    Json logs = Json::array();
    int index = 0;
    for (const auto& batch : step.at("batches")) {
      Tensor sample_weight;
      if (batch.contains("sample_weight")) sample_weight = read_npy(batch.at("sample_weight").get<std::string>());
      ClassWeights class_weight;
      if (batch.contains("class_weight"))
        for (const auto& [key, value] : batch.at("class_weight").items()) class_weight[std::stoll(key)] = value.get<double>();
      logs.push_back(logs_to_json(
          model_->train_on_batch(read_arrays(batch.at("x")), read_arrays(batch.at("y")), sample_weight, class_weight)));
      write_weights(*model_, out / ("step_" + std::to_string(index++)));
    }
    write_text(out / "logs.json", logs.dump(1));
  }

  void set_weights(const Json& step) {
    const fs::path dir = step.at("dir").get<std::string>();
    std::vector<Tensor> values;
    const int count = step.at("count").get<int>();
    for (int i = 0; i < count; ++i) values.push_back(read_npy(dir / ("w_" + std::to_string(i) + ".npy")));
    model_->set_weights(values);
  }

  // tf.train.Checkpoint(model=model, optimizer=model.optimizer), as the guide writes it.
  std::shared_ptr<tf::Checkpoint> checkpoint_of_model() const {
    tf::Checkpoint::Objects objects{{"model", model_}};
    if (model_->optimizer()) objects.push_back({"optimizer", model_->optimizer()});
    return std::make_shared<tf::Checkpoint>(objects);
  }

  void checkpoint_save(const Json& step) {
    tf::CheckpointManager manager(checkpoint_of_model(), step.at("directory").get<std::string>(),
                                  step.value("max_to_keep", 3));
    for (int i = 0; i < step.value("saves", 1); ++i) manager.save();
  }

  void checkpoint_restore(const Json& step) {
    const tf::CheckpointStatus status = checkpoint_of_model()->restore(step.at("path").get<std::string>());
    if (step.value("assert_consumed", true)) status.assert_consumed();
  }

  void optimizer_state(const Json& step) const {
    const OptimizerPtr optimizer = model_->optimizer();
    if (!optimizer) throw Error("the model has no optimizer (not compiled)");
    Json out{{"class_name", optimizer->class_name()}, {"iterations", optimizer->iterations()->value().item()},
             {"loss_scale", optimizer->loss_scale()}, {"loss_scale_state", Json::object()}};
    for (const auto& child : optimizer->trackable_children())
      if (child.name == "loss_scale")
        for (const auto& var : child.object->trackable_children())
          if (auto v = std::dynamic_pointer_cast<Variable>(var.object)) out["loss_scale_state"][var.name] = v->value().item();
    write_text(step.at("path").get<std::string>(), out.dump(1));
  }

  static void checkpoint_list(const Json& step) {
    const fs::path path = step.at("path").get<std::string>();
    const tf::CheckpointReader reader(tf::resolve_checkpoint_prefix(path));
    const auto dtypes = reader.variable_to_dtype_map();
    Json out = Json::object(), files = Json::object();
    int index = 0;
    for (const auto& [name, shape] : reader.variable_to_shape_map()) {
      out[name] = Json::array({dtypes.at(name), shape_to_json(shape)});
      if (step.contains("tensors") && name != "_CHECKPOINTABLE_OBJECT_GRAPH") {
        const fs::path file = fs::path(step.at("tensors").get<std::string>()) / (std::to_string(index++) + ".npy");
        fs::create_directories(file.parent_path());
        write_npy(file, reader.get_tensor(name));
        files[name] = file.string();
      }
    }
    write_text(step.at("out").get<std::string>(), Json{{"variables", out}, {"files", files}}.dump(1));
  }

  ModelPtr model_;
};

}  // namespace
}  // namespace ksave::interop

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: ksave_interop JOB.json\n";
    return 2;
  }
  ksave::Json job;
  try {
    job = ksave::interop::read_json(argv[1]);
  } catch (const std::exception& e) {
    std::cerr << "job '" << argv[1] << "': " << e.what() << "\n";
    return 2;
  }
  ksave::interop::Job runner;
  int index = 0;
  for (const auto& step : job.at("steps")) {
    try {
      runner.run(step);
    } catch (const std::exception& e) {
      std::cerr << "step " << index << " (" << step.value("op", std::string("?")) << "): " << e.what() << "\n";
      return 1;
    }
    ++index;
  }
  return 0;
}
