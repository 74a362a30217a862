#include "graph_loader.hpp"

#include <atomic>
#include <mutex>

#include "graph_runtime/graph_tensor.hpp"
#include "ksave/error.hpp"
#include "revive_call.hpp"
#include "saved_model_file.hpp"

namespace ksave::plugins::savedmodel {
namespace fs = std::filesystem;
namespace {

constexpr const char* kInitOpSignature = "__saved_model_init_op";

// Everything the signatures' closures share: the parsed file, its function library, and the
// variables of TF1 graphs (by checkpoint key, read on first use).
struct LoadedGraph {
  std::shared_ptr<SavedModelGraph> model;
  std::mutex mutex;  // guards tf1_variables: signatures may run on several threads
  std::map<std::string, VariablePtr> tf1_variables;
  std::unique_ptr<tf::BundleReader> tf1_bundle;
};

const tfproto::MetaGraphDef& choose_meta_graph(const tfproto::SavedModel& saved_model, const fs::path& directory) {
  for (const auto& meta_graph : saved_model.meta_graphs())
    if (meta_graph.has_object_graph_def()) return main_meta_graph(saved_model, directory);
  for (const auto& meta_graph : saved_model.meta_graphs())
    for (const auto& tag : meta_graph.meta_info_def().tags())
      if (tag == kServeTag) return meta_graph;
  return saved_model.meta_graphs(0);
}

SignatureFunction signature_shell(const std::string& name, const tfproto::SignatureDef& def, const fs::path& directory) {
  const std::string where = "SavedModel " + quoted(directory) + " signature '" + name + "'";
  SignatureFunction f;
  f.name = name;
  f.method_name = def.method_name();
  for (const auto& [key, info] : def.inputs()) f.inputs[key] = tensor_spec_from_info(info, where + " input '" + key + "'");
  for (const auto& [key, info] : def.outputs()) f.outputs[key] = tensor_spec_from_info(info, where + " output '" + key + "'");
  for (const auto& [key, proto] : def.defaults()) f.defaults[key] = tensor_from_proto(proto, where + " default '" + key + "'");
  return f;
}

// A signature that cannot run keeps its specs; calling it explains why.
void refuse_with(SignatureFunction& f, const std::string& problem) {
  f.run = [problem](const NamedTensors&) -> NamedTensors { throw Error(problem); };
}

// ---- TF2: the signature's concrete function from the object graph ----

std::string signature_function_name(const tfproto::SavedObjectGraph& graph, const std::string& signature, const std::string& where) {
  const int map = saved_child(graph, 0, "signatures");
  const int node = saved_child(graph, map, signature);
  if (node < 0) throw Error(where + ": the object graph has no function for it under root.signatures");
  const tfproto::SavedObject& object = saved_node(graph, node, where);
  if (object.has_bare_concrete_function()) return object.bare_concrete_function().concrete_function_name();
  if (object.has_function() && object.function().concrete_functions_size() == 1) return object.function().concrete_functions(0);
  throw Error(where + ": root.signatures." + signature + " is not a single concrete function");
}

// A signature's captured inputs (its variables and assets), looked up on its first call and then
// reused: the variables are shared objects whose values are read when the function runs, so
// later calls see assignments all the same. A failed lookup is retried (and reported) next call.
class CapturedInputs {
 public:
  const GraphValues& get(const SavedModelGraph& model, const tfproto::SavedConcreteFunction& spec, const std::string& where) {
    if (const GraphValues* values = ready_.load(std::memory_order_acquire)) return *values;
    std::lock_guard lock(mutex_);
    if (!values_) {
      values_ = std::make_unique<GraphValues>(captured_inputs(*model.meta_graph, spec, *model.variables, model.directory, where));
      ready_.store(values_.get(), std::memory_order_release);
    }
    return *values_;
  }

 private:
  std::mutex mutex_;
  std::unique_ptr<GraphValues> values_;
  std::atomic<const GraphValues*> ready_{nullptr};
};

// Binds `f` to its concrete function; returns the function's captured variables (see
// SavedModelFunctions), or null where its signature was refused.
CapturedVariables bind_tf2(SignatureFunction& f, const std::shared_ptr<LoadedGraph>& graph) {
  const SavedModelGraph& model = *graph->model;
  const std::string where = "SavedModel " + quoted(model.directory) + " signature '" + f.name + "'";
  const auto& objects = model.objects();
  const std::string function = signature_function_name(objects, f.name, where);
  auto concrete = objects.concrete_functions().find(function);
  if (concrete == objects.concrete_functions().end()) throw Error(where + ": concrete function '" + function + "' is not described in the object graph");
  if (!model.library->find(function)) throw Error(where + ": function '" + function + "' is missing from the function library");
  const auto inputs = flatten_tensor_specs(concrete->second.canonicalized_input_signature(), where);
  const auto outputs = flatten_tensor_specs(concrete->second.output_signature(), where);
  for (const auto& input : inputs)
    if (!f.inputs.count(input.key)) throw Error(where + ": function input '" + input.key + "' is not a signature input");
  if (std::string problem = model.library->unsupported_ops({function}); !problem.empty()) {
    refuse_with(f, where + ": " + problem);
    return nullptr;
  }
  const tfproto::SavedConcreteFunction* spec = &concrete->second;
  const auto body = model.library->prepared(function);
  const auto captured = std::make_shared<CapturedInputs>();
  f.run = [model = graph->model, body, inputs, outputs, spec, where, captured](const NamedTensors& given) {
    const GraphValues& captures = captured->get(*model, *spec, where);
    GraphValues args;
    args.reserve(inputs.size() + captures.size());
    for (const auto& input : inputs) args.push_back(tensor_value(given.at(input.key)));
    args.insert(args.end(), captures.begin(), captures.end());
    GraphValues results = model->library->call(*body, std::move(args));
    if (results.size() != outputs.size())
      throw Error(where + ": the function returned " + std::to_string(results.size()) + " values for " + std::to_string(outputs.size()) + " outputs");
    NamedTensors named;
    for (std::size_t i = 0; i < outputs.size(); ++i) named[outputs[i].key] = results[i].tensor;
    return named;
  };
  return [model = graph->model, spec, where, captured] {
    std::vector<VariablePtr> variables;
    for (const GraphValue& value : captured->get(*model, *spec, where))
      if (value.variable) variables.push_back(value.variable);
    return variables;
  };
}

// ---- TF1: the graph from the signature's tensors ----

VariablePtr tf1_variable(LoadedGraph& graph, const tfproto::NodeDef& node) {
  const tfproto::AttrValue* shared = nullptr;
  if (auto it = node.attr().find("shared_name"); it != node.attr().end()) shared = &it->second;
  const std::string key = shared && !shared->s().empty() ? shared->s() : node.name();
  std::lock_guard lock(graph.mutex);
  if (auto it = graph.tf1_variables.find(key); it != graph.tf1_variables.end()) return it->second;
  if (!graph.tf1_bundle || !graph.tf1_bundle->contains(key))
    throw Error("SavedModel " + quoted(graph.model->directory) + ": variable '" + key + "' (graph node '" + node.name() +
                "') has no value in " + variables_prefix(graph.model->directory).string());
  auto variable = std::make_shared<Variable>(key, graph.tf1_bundle->read(key));
  graph.tf1_variables[key] = variable;
  return variable;
}

void bind_tf1(SignatureFunction& f, const std::shared_ptr<LoadedGraph>& graph) {
  const SavedModelGraph& model = *graph->model;
  const std::string where = "SavedModel " + quoted(model.directory) + " signature '" + f.name + "'";
  std::vector<std::string> feeds, fetches;
  std::map<std::string, GraphValue> assets;
  for (const auto& asset : model.meta_graph->asset_file_def()) {
    const fs::path path = inside_folder(model.directory, fs::path(kAssetsDirectory) / asset.filename(), "asset file");
    assets[asset.tensor_info().name()] = tensor_value(Tensor::strings({path.string()}, {}));
    feeds.push_back(asset.tensor_info().name());
  }
  for (const auto& [key, spec] : f.inputs) feeds.push_back(spec.tensor_name);
  for (const auto& [key, spec] : f.outputs) fetches.push_back(spec.tensor_name);
  if (std::string problem = unsupported_graph_ops(model.meta_graph->graph_def(), *model.library, feeds, fetches); !problem.empty())
    return refuse_with(f, where + ": " + problem);
  f.run = [graph, assets, inputs = f.inputs, outputs = f.outputs](const NamedTensors& given) {
    std::map<std::string, GraphValue> feeds = assets;
    for (const auto& [key, spec] : inputs) feeds[spec.tensor_name] = tensor_value(given.at(key));
    std::vector<std::string> names;
    for (const auto& [key, spec] : outputs) names.push_back(spec.tensor_name);
    const GraphValues values = run_graph(graph->model->meta_graph->graph_def(), *graph->model->library, feeds, names,
                                         [&](const tfproto::NodeDef& node) { return tf1_variable(*graph, node); });
    NamedTensors named;
    std::size_t i = 0;
    for (const auto& [key, spec] : outputs) named[key] = values[i++].tensor;
    return named;
  };
}

}  // namespace

SavedModelFunctions load_saved_model_with_variables(const fs::path& directory) {
  auto saved_model = read_saved_model(directory);
  auto graph = std::make_shared<LoadedGraph>();
  graph->model = SavedModelGraph::open(saved_model, choose_meta_graph(*saved_model, directory), directory);
  const bool tf2 = graph->model->meta_graph->has_object_graph_def();
  if (!tf2) {
    std::error_code ec;
    if (fs::is_regular_file(tf::index_path(variables_prefix(directory)), ec))
      graph->tf1_bundle = std::make_unique<tf::BundleReader>(variables_prefix(directory));
  }
  SavedModelFunctions loaded;
  std::map<std::string, SignatureFunction> signatures;
  for (const auto& [name, def] : graph->model->meta_graph->signature_def()) {
    if (name == kInitOpSignature) continue;
    SignatureFunction f = signature_shell(name, def, directory);
    try {
      if (tf2) {
        if (CapturedVariables variables = bind_tf2(f, graph)) loaded.captured_variables[name] = std::move(variables);
      } else {
        bind_tf1(f, graph);
      }
    } catch (const Error& e) {  // one broken signature leaves the others usable
      refuse_with(f, e.what());
    }
    signatures.emplace(name, std::move(f));
  }
  loaded.functions = std::make_shared<LoadedFunctions>(std::move(signatures));
  return loaded;
}

LoadedFunctionsPtr load_saved_model_functions(const fs::path& directory) { return load_saved_model_with_variables(directory).functions; }

}  // namespace ksave::plugins::savedmodel
