#include "saved_model_file.hpp"

#include <google/protobuf/arena.h>
#include <sys/mman.h>

#include <algorithm>
#include <fstream>
#include <new>
#include <sstream>

#include "ksave/error.hpp"

namespace ksave::plugins::savedmodel {
namespace fs = std::filesystem;

namespace {

// A saved_model.pb carries every traced function, so real ones reach hundreds of MB; protobuf
// itself refuses messages of 2 GiB and more.
constexpr std::uintmax_t kMaxProtoBytes = std::uintmax_t{2} << 30;

}  // namespace

std::string quoted(const fs::path& path) {
  // Appended piecewise: GCC 12 warns (-Wrestrict, a false positive) on "'" + std::string.
  std::string out(1, '\'');
  out.append(path.string()).push_back('\'');
  return out;
}

fs::path inside_folder(const fs::path& directory, const fs::path& relative, const std::string& what) {
  const fs::path joined = directory / relative;
  bool climbs = relative.is_absolute() || relative.has_root_name();
  for (const auto& part : relative) climbs = climbs || part == "..";
  if (climbs)
    throw Error(what + " " + quoted(relative) + " of the SavedModel " + quoted(directory) +
                " names a place outside its folder: refused (damaged or hostile SavedModel)");
  // Links, of the file or of a folder on the way, are followed only while they stay inside.
  std::error_code ec;
  const fs::path root = fs::weakly_canonical(directory, ec);
  const fs::path resolved = ec ? fs::path() : fs::weakly_canonical(joined, ec);
  if (ec) return joined;  // cannot be resolved: reading it reports why
  if (std::mismatch(root.begin(), root.end(), resolved.begin(), resolved.end()).first != root.end())
    throw Error(what + " " + quoted(joined) + " is a link leading out of the SavedModel folder (to " + quoted(resolved) +
                "): refused (damaged or hostile SavedModel)");
  return joined;
}

fs::path variables_prefix(const fs::path& directory) {
  const fs::path folder = inside_folder(directory, kVariablesDirectory, "the variables folder");
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(folder, ec))
    inside_folder(directory, fs::path(kVariablesDirectory) / entry.path().filename(), "the variables file");
  return folder / kVariablesStem;
}

std::string read_file_bytes(const fs::path& path, std::uintmax_t limit) {
  std::error_code ec;
  const std::uintmax_t size = fs::file_size(path, ec);
  if (ec) throw Error("cannot read " + quoted(path) + ": " + ec.message());
  if (size > limit)
    throw Error(quoted(path) + " is " + std::to_string(size) + " bytes, more than the " + std::to_string(limit) +
                " a protobuf message can hold");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error("cannot open " + quoted(path));
  std::string bytes(static_cast<std::size_t>(size), '\0');
  if (!in.read(bytes.data(), static_cast<std::streamsize>(size)))
    throw Error("cannot read " + quoted(path) + " (" + std::to_string(size) + " bytes expected)");
  return bytes;
}

namespace {

// The arena's blocks, mapped and unmapped whole (at least 1 MiB each, from kArenaBlock).
constexpr std::size_t kArenaBlock = 1 << 20;

void* map_block(std::size_t bytes) {
  void* p = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) throw std::bad_alloc();
  return p;
}

void unmap_block(void* p, std::size_t bytes) { ::munmap(p, bytes); }

std::shared_ptr<google::protobuf::Arena> page_mapped_arena() {
  google::protobuf::ArenaOptions options;
  options.start_block_size = kArenaBlock;
  options.max_block_size = 8 * kArenaBlock;
  options.block_alloc = map_block;
  options.block_dealloc = unmap_block;
  return std::make_shared<google::protobuf::Arena>(options);
}

}  // namespace

std::shared_ptr<const tfproto::SavedModel> read_saved_model(const fs::path& directory) {
  std::error_code ec;
  if (!fs::is_directory(directory, ec))
    throw Error("a SavedModel is a folder; " + quoted(directory) + " is not one");
  const fs::path file = inside_folder(directory, kSavedModelFile, "the file");
  if (!fs::is_regular_file(file, ec)) {
    const bool text = fs::is_regular_file(directory / "saved_model.pbtxt", ec);
    throw Error("the folder " + quoted(directory) + " is not a SavedModel: it has no " + kSavedModelFile +
                (text ? " (only saved_model.pbtxt, the text form, which ksave does not read)" : ""));
  }
  std::shared_ptr<google::protobuf::Arena> arena = page_mapped_arena();
  auto* saved_model = google::protobuf::Arena::CreateMessage<tfproto::SavedModel>(arena.get());
  if (!saved_model->ParseFromString(read_file_bytes(file, kMaxProtoBytes)))
    throw Error(quoted(file) + " is not a valid SavedModel protobuf (parsing failed: the file is corrupt or truncated)");
  if (saved_model->meta_graphs_size() == 0)
    throw Error(quoted(file) + " holds no MetaGraphDef (schema version " +
                std::to_string(saved_model->saved_model_schema_version()) + "): is it a SavedModel?");
  return std::shared_ptr<const tfproto::SavedModel>(std::move(arena), saved_model);  // owns the arena
}

const tfproto::MetaGraphDef& main_meta_graph(const tfproto::SavedModel& saved_model, const fs::path& directory) {
  const tfproto::MetaGraphDef* chosen = nullptr;
  for (const auto& meta_graph : saved_model.meta_graphs()) {
    if (!meta_graph.has_object_graph_def()) continue;
    const auto& tags = meta_graph.meta_info_def().tags();
    const bool serve = std::find(tags.begin(), tags.end(), kServeTag) != tags.end();
    if (chosen == nullptr || serve) chosen = &meta_graph;
    if (serve) break;
  }
  return chosen != nullptr ? *chosen : saved_model.meta_graphs(0);
}

std::optional<tfproto::KerasSavedMetadata> read_keras_metadata(const fs::path& directory) {
  const fs::path file = inside_folder(directory, kKerasMetadataFile, "the file");
  std::error_code ec;
  if (!fs::is_regular_file(file, ec)) return std::nullopt;
  tfproto::KerasSavedMetadata metadata;
  if (!metadata.ParseFromString(read_file_bytes(file, kMaxProtoBytes)))
    throw Error(quoted(file) + " is not a valid keras_metadata protobuf (parsing failed: the file is corrupt or truncated)");
  return metadata;
}

}  // namespace ksave::plugins::savedmodel
