#include "keras_saver.hpp"

#include <fstream>
#include <map>
#include <optional>
#include <random>

#include "keras_metadata.hpp"
#include "ksave/error.hpp"
#include "ksave/keras_tensor.hpp"
#include "ksave/saving.hpp"
#include "ksave/serialization.hpp"
#include "ksave/tf/bundle.hpp"
#include "ksave/tf/object_graph.hpp"
#include "function_library_graph.hpp"
#include "object_graph_writer.hpp"
#include "saved_model_file.hpp"
#include "trace_saved_objects.hpp"

namespace ksave::plugins::savedmodel {
namespace fs = std::filesystem;

namespace {

// The TensorFlow release whose layout this writer follows (recorded in meta_info_def).
constexpr const char* kTensorflowVersion = "2.15.0";

tfproto::TensorInfo tensor_info(const std::string& name, const SignatureTensor& tensor) {
  tfproto::TensorInfo info;
  info.set_name(name);
  info.set_dtype(tf::to_tf_dtype(tensor.dtype));
  for (auto dim : tensor.shape) info.mutable_tensor_shape()->add_dim()->set_size(dim == kUnknown ? -1 : dim);
  return info;
}

// serving_default as tf.keras writes it: inputs keyed by input name (graph tensor
// "serving_default_<name>:0"), outputs by output name ("StatefulPartitionedCall:<i>").
void add_serving_signature(const TracedModel& traced, tfproto::MetaGraphDef& meta_graph) {
  tfproto::SignatureDef signature;
  signature.set_method_name("tensorflow/serving/predict");
  for (const auto& input : traced.signature_inputs)
    (*signature.mutable_inputs())[input.key] = tensor_info("serving_default_" + input.key + ":0", input);
  // The call's results come in sorted key order (the signature returns a dict).
  const std::vector<std::size_t> positions = sorted_output_positions(traced.signature_outputs);
  for (std::size_t i = 0; i < positions.size(); ++i) {
    const SignatureTensor& output = traced.signature_outputs[i];
    (*signature.mutable_outputs())[output.key] = tensor_info("StatefulPartitionedCall:" + std::to_string(positions[i]), output);
  }
  (*meta_graph.mutable_signature_def())[kServingSignature] = std::move(signature);
}

// The init op TensorFlow names twice: the "__saved_model_init_op" signature and the
// saved_model_main_op collection. Here the graph's NoOp (no tables or assets to initialize).
void add_init_op(tfproto::MetaGraphDef& meta_graph) {
  constexpr const char* kInitOp = "__saved_model_init_op";
  tfproto::TensorInfo info;
  info.set_name("NoOp");
  info.mutable_tensor_shape()->set_unknown_rank(true);
  (*(*meta_graph.mutable_signature_def())[kInitOp].mutable_outputs())[kInitOp] = std::move(info);
  (*meta_graph.mutable_collection_def())["saved_model_main_op"].mutable_node_list()->add_value("NoOp");
}

// FNV-1a, 64 bits: the fingerprint's hashes. TensorFlow's own algorithms are not documented in
// the facts sheet and its loaders treat fingerprint.pb as metadata, so ours are simply stable.
std::uint64_t fnv1a(const std::string& bytes) {
  std::uint64_t hash = 14695981039346656037ull;
  for (unsigned char c : bytes) hash = (hash ^ c) * 1099511628211ull;
  return hash;
}

std::string random_uuid() {
  std::random_device rd;
  std::uniform_int_distribution<int> digit(0, 15);
  std::string out;
  for (int i = 0; i < 32; ++i) out.push_back("0123456789abcdef"[digit(rd)]);
  return out;
}

void write_message(const fs::path& path, const google::protobuf::MessageLite& message) {
  std::string bytes;
  if (!message.SerializeToString(&bytes)) throw Error("cannot serialize " + quoted(path));
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  out.close();
  if (!out) throw Error("cannot write " + quoted(path));
}

std::string serialized(const google::protobuf::MessageLite& message) {
  std::string bytes;
  message.SerializeToString(&bytes);
  return bytes;
}

// The signatures in key order, each key followed by its serialized SignatureDef.
std::string signatures_bytes(const tfproto::MetaGraphDef& meta_graph) {
  const std::map<std::string, tfproto::SignatureDef> sorted(meta_graph.signature_def().begin(), meta_graph.signature_def().end());
  std::string bytes;
  for (const auto& [key, signature] : sorted) bytes += key + serialized(signature);
  return bytes;
}

}  // namespace

void save_keras_saved_model(const Model& model, const fs::path& path, const SaveOptions& options) {
  std::error_code ec;
  if (!options.overwrite && fs::exists(path, ec))
    throw Error("cannot save to " + quoted(path) + ": it exists and overwrite is off");
  const bool with_optimizer = options.include_optimizer && model.compiled();
  // Everything that can fail on the model (a layer without a config, a call that cannot be
  // traced) fails before the disk is touched.
  std::shared_ptr<Trackable> root = std::const_pointer_cast<Layer>(model.shared_from_this());
  std::optional<TracedModel> traced;
  if (options.save_traces) {
    // The traced view is the root of both saved_model.pb's object graph and variables/, as the
    // same breadth-first walk numbers both in TensorFlow.
    traced = trace_model(model, options.include_optimizer);
    root = traced->root;
  } else if (!options.include_optimizer) {
    root = tf::without_optimizer(root);
  }
  SavedGraphs graphs = build_saved_graphs(root, model, with_optimizer, traced ? &traced->functions : nullptr);

  tfproto::SavedModel saved_model;
  saved_model.set_saved_model_schema_version(1);
  tfproto::MetaGraphDef* meta_graph = saved_model.add_meta_graphs();
  auto* info = meta_graph->mutable_meta_info_def();
  info->add_tags(kServeTag);
  info->set_tensorflow_version(kTensorflowVersion);
  info->set_tensorflow_git_version("ksave");
  info->set_stripped_default_attrs(true);
  // Without traces there is no function to serve: tf.keras then writes no serving_default
  // either (nor without a traced model call, e.g. a stateful model or a subclassed model never
  // called).
  if (traced) {
    if (!traced->signature_function.empty()) add_serving_signature(*traced, *meta_graph);
    add_init_op(*meta_graph);
    ServingGraph graph = serving_graph(*traced, tf::build_object_graph(root));
    *meta_graph->mutable_graph_def() = std::move(graph.graph);
    *meta_graph->mutable_saver_def() = std::move(graph.saver);
  }
  *meta_graph->mutable_object_graph_def() = std::move(graphs.object_graph);

  write_atomically(path, [&](const fs::path& folder) {
    fs::create_directories(folder / kVariablesDirectory);
    fs::create_directories(folder / kAssetsDirectory);
    tf::write_object_checkpoint(root, variables_prefix(folder));
    write_message(folder / kKerasMetadataFile, graphs.keras_metadata);
    tfproto::FingerprintDef fingerprint;
    const std::string saved_model_bytes = serialized(saved_model);
    fingerprint.set_saved_model_checksum(fnv1a(saved_model_bytes));
    fingerprint.set_signature_def_hash(fnv1a(signatures_bytes(*meta_graph)));
    fingerprint.set_saved_object_graph_hash(fnv1a(serialized(meta_graph->object_graph_def())));
    fingerprint.set_checkpoint_hash(fnv1a(read_file_bytes(tf::index_path(variables_prefix(folder)), std::uintmax_t{1} << 31)));
    fingerprint.mutable_version()->set_producer(1);
    fingerprint.set_uuid(random_uuid());
    write_message(folder / kFingerprintFile, fingerprint);
    // Last, as TensorFlow does: its presence says the folder is complete.
    write_message(folder / kSavedModelFile, saved_model);
  });
}

}  // namespace ksave::plugins::savedmodel
