#include "h5_test_support.hpp"

#include <hdf5.h>

#include "hdf5_handle.hpp"
#include "ksave/serialization.hpp"
#include "string_attributes.hpp"

namespace ksave::test::h5 {
namespace p = ksave::plugins::h5;

Json read_model_config(const std::filesystem::path& path) {
  auto lock = p::hdf5_lock();
  p::File file = p::File::open(path);
  return Json::parse(p::require_string(file, "model_config"));
}

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
  out += rank == 0 ? " scalar" : " " + std::to_string(rank) + "-D";
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

bool names_every_missing_class(const std::string& message, const Json& config) {
  auto missing = unknown_classes(config);
  if (missing.empty()) return false;
  for (const auto& entry : missing) {
    std::string name = entry.substr(entry.find(' ') + 1);  // "layer Conv2D" → "Conv2D"
    if (message.find(name) == std::string::npos) return false;
  }
  return true;
}

bool outputs_match(const Tensor& ours, const Tensor& expected, double rtol, double atol, std::string& detail) {
  if (ours.shape() != expected.shape()) {
    detail = "shape " + shape_to_string(ours.shape()) + " vs expected " + shape_to_string(expected.shape());
    return false;
  }
  Tensor a = ours.cast(DType::Float64), b = expected.cast(DType::Float64);
  const double* x = a.data<double>();
  const double* y = b.data<double>();
  double worst = 0;
  bool ok = true;
  for (std::int64_t i = 0; i < a.size(); ++i) {
    double d = std::abs(x[i] - y[i]);
    worst = std::max(worst, d);
    if (!(d <= atol + rtol * std::abs(y[i]))) ok = false;
  }
  detail = "max |difference| " + std::to_string(worst);
  return ok;
}

}  // namespace ksave::test::h5
