#include "tf_op_import_image.hpp"

#include "../../../layers/common/image_resize.hpp"
#include "graph_tensor.hpp"
#include "ksave/error.hpp"

namespace ksave::plugins::savedmodel {
namespace {

using Ints = std::vector<std::int64_t>;

// The size input (new_height, new_width) as the "size" attribute (folded once for a Const).
Attrs size_attr(const TfOpCall& call) {
  expect_inputs(call, 2);
  Attrs attrs = call.attrs;
  attrs.set("size", int_values(call.inputs[1], call.where + " (" + call.node.op() + ") size"));
  return attrs;
}

TfOpImporter resize_importer(std::string interpolation) {
  TfOpImporter importer{[interpolation](const TfOpCall& call) {
                          const Attrs folded = call.constants_folded ? Attrs{} : size_attr(call);
                          const Attrs& attrs = call.constants_folded ? call.attrs : folded;
                          const std::string op = call.where + " (" + call.node.op() + ")";
                          const Tensor& images = call.inputs[0];
                          if (images.rank() != 4)
                            throw Error(op + ": images must be of rank 4 (batch, height, width, channels), found shape " +
                                        shape_to_string(images.shape()));
                          const Ints size = attrs.get<Ints>("size");
                          if (size.size() != 2 || size[0] <= 0 || size[1] <= 0)
                            throw Error(op + ": size must be two positive values (height, width), found " +
                                        std::to_string(size.size()) + " values");
                          // The output's size is the graph's to choose: bounded as a tensor read from a file.
                          const Shape out_shape = {images.dim(0), size[0], size[1], images.dim(3)};
                          if (static_cast<double>(num_elements(out_shape)) * 4 > static_cast<double>(kMaxProtoTensorBytes))
                            throw Error(op + ": the output shape " + shape_to_string(out_shape) + " is too large");
                          // Absent attrs are at TensorFlow's defaults (SavedModels strip them): both false.
                          const image_resize::Centers centers{attrs.get_or<bool>("align_corners", false),
                                                              attrs.get_or<bool>("half_pixel_centers", false)};
                          if (centers.align_corners && centers.half_pixel_centers)
                            throw Error(op + ": align_corners and half_pixel_centers cannot both be true (TensorFlow refuses it)");
                          return Tensors{image_resize::resize(images, size[0], size[1], interpolation, centers)};
                        },
                        {}};
  importer.first_constant_input = 1;
  importer.fold_constants = size_attr;
  return importer;
}

}  // namespace

void add_image_importers(std::map<std::string, TfOpImporter>& table) {
  table["ResizeBilinear"] = resize_importer("bilinear");
  table["ResizeNearestNeighbor"] = resize_importer("nearest");
  table["ResizeBicubic"] = resize_importer("bicubic");
}

}  // namespace ksave::plugins::savedmodel
