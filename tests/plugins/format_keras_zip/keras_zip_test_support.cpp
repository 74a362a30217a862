#include "keras_zip_test_support.hpp"

#include <zip.h>

#include <fstream>
#include <functional>

#include "hdf5_handle.hpp"
#include "zip_archive.hpp"

namespace ksave::test::keras_zip {
namespace fs = std::filesystem;
namespace h5 = ksave::plugins::h5;
using ksave::plugins::keras_zip::ZipReader;
using ksave::plugins::keras_zip::ZipWriter;

std::vector<std::pair<std::string, int>> entry_methods(const fs::path& archive) {
  int code = 0;
  zip_t* z = zip_open(archive.c_str(), ZIP_RDONLY, &code);
  if (!z) throw Error("cannot open '" + archive.string() + "' with libzip");
  std::vector<std::pair<std::string, int>> out;
  for (zip_int64_t i = 0; i < zip_get_num_entries(z, 0); ++i) {
    zip_stat_t st;
    zip_stat_index(z, static_cast<zip_uint64_t>(i), 0, &st);
    out.emplace_back(st.name, static_cast<int>(st.comp_method));
  }
  zip_discard(z);
  return out;
}

std::vector<char> read_entry(const fs::path& archive, const std::string& name) {
  return ZipReader(archive).require(name, "asked for by a test");
}

Json read_json_entry(const fs::path& archive, const std::string& name) {
  std::vector<char> bytes = read_entry(archive, name);
  return Json::parse(bytes.begin(), bytes.end());
}

namespace {

// Calls `visit(path, dataset)` for every dataset below `group`.
void for_each_dataset(const h5::Group& group, const std::string& at, const std::function<void(const std::string&, const h5::Dataset&)>& visit) {
  for (const auto& child : group.children()) {
    const std::string path = at.empty() ? child : at + "/" + child;
    if (group.has_group(child)) for_each_dataset(group.group(child), path, visit);
    else if (group.has_dataset(child)) visit(path, group.dataset(child));
  }
}

h5::File open_weights(const fs::path& archive) {
  return h5::File::open_image(read_entry(archive, "model.weights.h5"), archive / "model.weights.h5");
}

}  // namespace

namespace {

std::map<std::string, std::string> layout_of(const h5::Group& root) {
  std::map<std::string, std::string> out;
  for_each_dataset(root, "", [&](const std::string& path, const h5::Dataset& d) {
    out[path] = d.type_description() + " " + shape_to_string(d.shape());
  });
  return out;
}

}  // namespace

std::map<std::string, std::string> weights_layout(const fs::path& archive) {
  auto lock = h5::hdf5_lock();
  return layout_of(open_weights(archive));
}

std::map<std::string, std::string> weights_file_layout(const fs::path& file) {
  auto lock = h5::hdf5_lock();
  return layout_of(h5::File::open(file));
}

void extract_weights(const fs::path& archive, const fs::path& file) {
  std::vector<char> bytes = read_entry(archive, "model.weights.h5");
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out.flush()) throw Error("cannot write '" + file.string() + "'");
}

Tensor read_weights_dataset(const fs::path& archive, const std::string& path) {
  auto lock = h5::hdf5_lock();
  h5::File file = open_weights(archive);
  return file.dataset(path).read();
}

void write_archive(const fs::path& archive, const std::vector<std::pair<std::string, std::vector<char>>>& entries, bool deflate) {
  if (!deflate) {
    ZipWriter writer(archive);
    for (const auto& [name, bytes] : entries) writer.add(name, bytes);
    writer.close();
    return;
  }
  int code = 0;
  zip_t* z = zip_open(archive.c_str(), ZIP_CREATE | ZIP_TRUNCATE, &code);
  if (!z) throw Error("cannot create '" + archive.string() + "' with libzip");
  for (const auto& [name, bytes] : entries) {
    zip_source_t* source = zip_source_buffer(z, bytes.data(), bytes.size(), 0);
    zip_int64_t index = zip_file_add(z, name.c_str(), source, ZIP_FL_ENC_UTF_8);
    zip_set_file_compression(z, static_cast<zip_uint64_t>(index), ZIP_CM_DEFLATE, 9);
  }
  if (zip_close(z) != 0) throw Error("cannot write '" + archive.string() + "': " + zip_strerror(z));
}

std::vector<char> bytes_of(const std::string& text) { return std::vector<char>(text.begin(), text.end()); }

bool same_values(const Tensor& a, const Tensor& b) {
  return a.dtype() == b.dtype() && a.shape() == b.shape() && max_abs_difference(a, b) == 0.0;
}

std::vector<char> edited_weights(const fs::path& archive, const std::function<void(std::map<std::string, Tensor>&)>& edit) {
  auto lock = h5::hdf5_lock();
  std::map<std::string, Tensor> datasets;
  {
    h5::File file = open_weights(archive);
    for_each_dataset(file, "", [&](const std::string& path, const h5::Dataset& d) { datasets[path] = d.read(); });
  }
  edit(datasets);
  h5::File out = h5::File::create_in_memory("edited.weights.h5");
  for (const auto& [path, value] : datasets) out.create_dataset(path, value.dtype(), value.shape()).write(value);
  return out.image();
}

}  // namespace ksave::test::keras_zip
