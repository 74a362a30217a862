#include "h5_test_support.hpp"

#include <hdf5.h>

#include <fstream>
#include <iterator>

#include "hdf5_handle.hpp"
#include "ksave/error.hpp"
#include "ksave/ksave.hpp"
#include "string_attributes.hpp"

namespace ksave::test::h5 {
namespace p = ksave::plugins::h5;

namespace {

std::string attribute_type(hid_t object, const char* name, bool detailed) {
  hid_t attr = H5Aopen(object, name, H5P_DEFAULT);
  hid_t type = H5Aget_type(attr);
  hid_t space = H5Aget_space(attr);
  int rank = H5Sget_simple_extent_ndims(space);
  hssize_t count = H5Sget_simple_extent_npoints(space);
  std::string out = "attribute ";
  if (count == 0) {
    out += "empty list";  // h5py writes an empty list as a zero-length float64 array
  } else if (H5Tget_class(type) == H5T_STRING) {
    out += "string";
    if (detailed) {
      out += H5Tis_variable_str(type) > 0 ? " vlen" : " fixed";
      out += H5Tget_cset(type) == H5T_CSET_UTF8 ? " utf8" : " ascii";
    }
  } else {
    out += "class " + std::to_string(static_cast<int>(H5Tget_class(type)));
  }
  // Appended piece by piece: " " + std::to_string(rank) trips GCC 12's -Wrestrict false positive.
  if (rank == 0) {
    out += " scalar";
  } else {
    out += ' ';
    out += std::to_string(rank);
    out += "-D";
  }
  H5Sclose(space);
  H5Tclose(type);
  H5Aclose(attr);
  return out;
}

struct Walk {
  std::map<std::string, std::string>* out;
  bool detailed;
};

void record_attributes(hid_t object, const std::string& path, Walk& walk) {
  hsize_t index = 0;
  struct Ctx {
    Walk* walk;
    std::string path;
  } ctx{&walk, path};
  H5Aiterate2(
      object, H5_INDEX_NAME, H5_ITER_INC, &index,
      [](hid_t loc, const char* name, const H5A_info_t*, void* data) -> herr_t {
        auto* c = static_cast<Ctx*>(data);
        (*c->walk->out)[c->path + "@" + name] = attribute_type(loc, name, c->walk->detailed);
        return 0;
      },
      &ctx);
}

}  // namespace

std::map<std::string, std::string> file_layout(const std::filesystem::path& path, bool detailed) {
  auto lock = p::hdf5_lock();
  std::map<std::string, std::string> out;
  Walk walk{&out, detailed};
  hid_t file = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  if (file < 0) throw Error("cannot open " + path.string());
  hid_t root = H5Gopen2(file, "/", H5P_DEFAULT);
  record_attributes(root, "/", walk);
  H5Ovisit(
      root, H5_INDEX_NAME, H5_ITER_INC,
      [](hid_t loc, const char* name, const H5O_info_t* info, void* data) -> herr_t {
        auto* w = static_cast<Walk*>(data);
        std::string path = std::string("/") + name;
        if (std::string(name) == ".") return 0;
        hid_t obj = H5Oopen(loc, name, H5P_DEFAULT);
        if (info->type == H5O_TYPE_GROUP) {
          (*w->out)[path] = "group";
        } else if (info->type == H5O_TYPE_DATASET) {
          hid_t type = H5Dget_type(obj);
          hid_t space = H5Dget_space(obj);
          int rank = H5Sget_simple_extent_ndims(space);
          std::vector<hsize_t> dims(static_cast<std::size_t>(rank));
          H5Sget_simple_extent_dims(space, dims.data(), nullptr);
          Shape shape(dims.begin(), dims.end());
          (*w->out)[path] = "dataset " + std::string(dtype_name(p::dtype_of_type(type, path))) + " " + shape_to_string(shape);
          H5Sclose(space);
          H5Tclose(type);
        }
        record_attributes(obj, path, *w);
        H5Oclose(obj);
        return 0;
      },
      &walk);
  H5Gclose(root);
  H5Fclose(file);
  return out;
}

std::map<std::string, std::string> file_values(const std::filesystem::path& path) {
  const auto layout = file_layout(path);
  auto lock = p::hdf5_lock();
  const p::File file = p::File::open(path);
  std::map<std::string, std::string> out;
  for (const auto& entry : layout) {
    // Named apart, not as a structured binding: clang 14 (the sanitizer builds) refuses a
    // binding captured by the lambda below.
    const std::string& key = entry.first;
    const std::string& kind = entry.second;
    const auto at = key.find('@');
    if (at != std::string::npos) {
      const std::string object = key.substr(0, at), name = key.substr(at + 1);
      const auto text = [&](const p::Node& node) {
        if (kind.rfind("attribute string", 0) != 0) return kind;
        const auto strings = p::read_string_list(node, name);
        std::string joined;
        for (const auto& s : strings.value()) joined += s + "\n";
        return joined;
      };
      out[key] = object == "/" ? text(file) : layout.at(object) == "group" ? text(file.group(object)) : text(file.dataset(object));
    } else if (kind.rfind("dataset", 0) == 0) {
      const Tensor values = file.dataset(key).read();
      out[key] = kind + " " + std::string(static_cast<const char*>(values.raw_data()), values.nbytes());
    } else {
      out[key] = kind;
    }
  }
  return out;
}

Bytes read_bytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return Bytes(std::istreambuf_iterator<char>(in), {});
}

void write_bytes(const std::filesystem::path& path, const Bytes& bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

std::uint64_t stored_integer(const Bytes& b, std::size_t at, std::size_t n) {
  std::uint64_t v = 0;
  for (std::size_t i = n; i-- > 0;) v = v << 8 | static_cast<unsigned char>(b[at + i]);
  return v;
}

void put_integer(Bytes& b, std::size_t at, std::size_t n, std::uint64_t v) {
  for (std::size_t i = 0; i < n; ++i, v >>= 8) b[at + i] = static_cast<char>(v & 0xff);
}

Bytes small_model_file(const std::filesystem::path& scratch) {
  auto model = std::make_shared<Sequential>(std::vector<LayerPtr>{
      make_layer("Dense", {{"units", 3}, {"batch_input_shape", {nullptr, 4}}})});
  save_model(*model, scratch / "model.h5");
  return read_bytes(scratch / "model.h5");
}

}  // namespace ksave::test::h5
