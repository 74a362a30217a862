#include "onnx_file.hpp"

#include <fstream>

#include "ksave/saving.hpp"

namespace ksave::plugins::onnx_export {
namespace fs = std::filesystem;

namespace {

// Protobuf refuses to serialize or parse a message of 2 GiB or more.
constexpr std::size_t kMessageLimit = static_cast<std::size_t>(INT_MAX);
constexpr std::size_t kAlignment = 4096;

void add_entry(proto::TensorProto& t, const std::string& key, const std::string& value) {
  auto* e = t.add_external_data();
  e->set_key(key);
  e->set_value(value);
}

void check_written(std::ostream& out, const fs::path& target) {
  if (!out) throw Error("cannot write '" + target.string() + "' (disk full?)");
}

// Moves the large initializers' bytes out of `model` into the file `data` (named `location`
// in the model), recording where they went.
void stream_out(proto::ModelProto& model, const fs::path& data, const std::string& location, const fs::path& target) {
  std::ofstream out(data, std::ios::binary);
  if (!out) throw Error("cannot create '" + data.string() + "' to save '" + target.string() + "'");
  std::uint64_t offset = 0;
  const std::string padding(kAlignment, '\0');
  for (auto& t : *model.mutable_graph()->mutable_initializer()) {
    if (t.raw_data().size() < kExternalMinBytes) continue;
    const std::uint64_t aligned = (offset + kAlignment - 1) / kAlignment * kAlignment;
    out.write(padding.data(), static_cast<std::streamsize>(aligned - offset));
    out.write(t.raw_data().data(), static_cast<std::streamsize>(t.raw_data().size()));
    check_written(out, target);
    add_entry(t, "location", location);
    add_entry(t, "offset", std::to_string(aligned));
    add_entry(t, "length", std::to_string(t.raw_data().size()));
    t.set_data_location(proto::TensorProto::EXTERNAL);
    offset = aligned + t.raw_data().size();
    t.clear_raw_data();
    t.mutable_raw_data()->shrink_to_fit();
  }
  out.close();
  check_written(out, target);
}

}  // namespace

fs::path external_data_path(const fs::path& model_path) { return model_path.string() + ".data"; }

void write_onnx(proto::ModelProto model, const fs::path& path, ExternalData external) {
  const std::size_t size = model.ByteSizeLong();
  const bool outside = external.when == ExternalData::When::Always ||
                       (external.when == ExternalData::When::Threshold && size >= external.threshold);
  if (size >= kMessageLimit && !outside)
    throw Error("cannot save '" + path.string() + "': the ONNX model is over 2 GiB, protobuf's limit for one file " +
                "(allow external data)");
  const fs::path data_path = external_data_path(path);
  // Beside the target, hidden, until the model is written too. Built by appending (GCC 12 reports
  // a false -Wrestrict on "." + std::string temporaries).
  std::string partial_name = ".";
  partial_name.append(data_path.filename().string()).append(".partial");
  const fs::path data_partial = path.parent_path() / partial_name;
  try {
    if (outside) stream_out(model, data_partial, data_path.filename().string(), path);
    if (model.ByteSizeLong() >= kMessageLimit)
      throw Error("cannot save '" + path.string() + "': the ONNX graph is over 2 GiB even without its large initializers");
    write_atomically(path, [&](const fs::path& temporary) {
      std::ofstream out(temporary, std::ios::binary);
      if (!out) throw Error("cannot create '" + temporary.string() + "' to save '" + path.string() + "'");
      if (!model.SerializeToOstream(&out)) throw Error("cannot write '" + path.string() + "' (disk full?)");
      out.close();
      check_written(out, path);
      if (outside) fs::rename(data_partial, data_path);
    });
  } catch (...) {
    std::error_code ignore;
    fs::remove(data_partial, ignore);
    throw;
  }
}

proto::ModelProto read_onnx(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error("cannot open '" + path.string() + "'");
  proto::ModelProto model;
  if (!model.ParseFromIstream(&in)) throw Error("'" + path.string() + "' is not an ONNX model (its protobuf does not parse)");
  if (!model.has_graph()) throw Error("'" + path.string() + "' is not an ONNX model (no graph)");
  return model;
}

namespace {

bool read_varint(std::istream& in, std::uint64_t& value) {
  value = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    const int byte = in.get();
    if (byte == EOF) return false;
    value |= static_cast<std::uint64_t>(byte & 0x7f) << shift;
    if (!(byte & 0x80)) return true;
  }
  return false;
}

// ModelProto's field numbers and their wire types (0 varint, 2 length-delimited).
int expected_wire_type(std::uint64_t field) {
  switch (field) {
    case 1: case 5: return 0;                                         // ir_version, model_version
    case 2: case 3: case 4: case 6: case 7: case 8: case 14: case 20: case 25: case 26: return 2;
    default: return -1;
  }
}

}  // namespace

bool looks_like_onnx(const fs::path& path) {
  std::error_code error;
  if (!fs::is_regular_file(path, error)) return false;
  const std::uint64_t size = fs::file_size(path, error);
  if (error || size == 0) return false;
  std::ifstream in(path, std::ios::binary);
  bool ir_version = false, graph = false, opset = false;
  while (in && static_cast<std::uint64_t>(in.tellg()) < size) {
    std::uint64_t tag = 0, value = 0;
    if (!read_varint(in, tag)) return false;
    const std::uint64_t field = tag >> 3;
    const int wire = static_cast<int>(tag & 7);
    if (expected_wire_type(field) != wire || !read_varint(in, value)) return false;
    if (wire == 0) {
      if (field == 1) ir_version = value >= 3 && value <= 64;
      continue;
    }
    const auto at = static_cast<std::uint64_t>(in.tellg());
    if (value > size - at) return false;
    in.seekg(static_cast<std::streamoff>(at + value));
    graph = graph || field == 7;
    opset = opset || field == 8;
  }
  return ir_version && graph && opset;
}

}  // namespace ksave::plugins::onnx_export
