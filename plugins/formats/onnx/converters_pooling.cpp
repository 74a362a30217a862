// Max and average pooling (1-D, 2-D, 3-D) as ONNX MaxPool/AveragePool in the channels-first layout, and
// global pooling over the spatial axes in whatever layout the input is held: ONNX's global
// pooling operator when it is held channels-first and the pooled axes go, reductions otherwise;
// Keras 3's adaptive pooling as slices and reductions.
#include "converter.hpp"
#include "ksave/adaptive_pooling_window.hpp"
#include "window.hpp"

namespace ksave::plugins::onnx_export {
namespace {

bool channels_first(const Conversion& c) { return c.config().value("data_format", std::string()) == "channels_first"; }

Converter pooling(const char* type) {
  return {[type](Conversion& c) {
            const Value& x = c.input();
            const Perm layout = channels_first(c) ? Perm{} : channels_first_perm(x.rank());
            const Window window = read_window(c.config(), x.rank() - 2, "pool_size");
            // TensorFlow's SAME average leaves the padding out of the count: count_include_pad 0.
            const std::string y = c.onnx.op(type, {c.onnx.float_in_layout(x, layout)}, c.hint(),
                                             window_attributes(window, spatial_sizes(x.shape, channels_first(c)), false));
            return std::vector<Value>{c.output(y, 0, layout)};
          },
          {}};
}

// ONNX axes 2..rank-1: the spatial axes of a tensor held channels-first.
std::vector<std::int64_t> spatial_axes_of_channels_first(std::size_t rank) {
  std::vector<std::int64_t> axes;
  for (std::size_t a = 2; a < rank; ++a) axes.push_back(static_cast<std::int64_t>(a));
  return axes;
}

// The global operator only when the pooled axes go (keepdims false), as tf2onnx's graphs have it:
// ONNX Runtime (1.32, one thread) runs EfficientNetB0's and DenseNet121's poolings faster as
// GlobalAveragePool + Squeeze, and MobileNetV3Small's keepdims squeeze-excite poolings faster as
// ReduceMean (ONNX Runtime's profiler: 0.45 ms against 0.78 ms for the ten of them, batch 32).
Converter global_pooling(const char* global, const char* reduce) {
  return {[global, reduce](Conversion& c) {
            const Value& x = c.input();
            const std::size_t first = channels_first(c) ? 2 : 1;
            std::vector<std::int64_t> keras_axes, axes;
            for (std::size_t a = first; a < first + x.rank() - 2; ++a) {
              keras_axes.push_back(static_cast<std::int64_t>(a));
              axes.push_back(onnx_axis(x.perm, static_cast<std::int64_t>(a), x.rank()));
            }
            const bool keepdims = c.config().value("keepdims", false);
            const std::string in = c.onnx.float_in_layout(x, x.perm);
            const Perm layout = keepdims ? x.perm : without_axes(x.perm, keras_axes, x.rank());
            const std::string y = !keepdims && axes == spatial_axes_of_channels_first(x.rank())
                                      ? c.onnx.squeeze(c.onnx.op(global, {in}, c.hint()), axes, c.hint())
                                      : c.onnx.reduce(reduce, in, axes, keepdims, c.hint());
            return std::vector<Value>{c.output(y, 0, is_identity(layout) ? Perm{} : layout)};
          },
          {}};
}

// Keras 3's adaptive pooling (ONNX has no such operator): each spatial axis in turn, output i
// the ReduceMean or ReduceMax of the Slice the layer pools (ksave/adaptive_pooling_window.hpp),
// the outputs concatenated. The windows need the axes' lengths.
Converter adaptive_pooling(const char* reduce) {
  return {[reduce](Conversion& c) {
            const Value& x = c.input();
            const std::size_t first = channels_first(c) ? 2 : 1;
            const std::vector<Shape>& out = c.call.output_shapes;
            std::string y = c.onnx.float_in_layout(x, {});
            for (std::size_t axis = first; axis < first + x.rank() - 2; ++axis) {
              const Dim in = x.shape[axis], size = out.at(0)[axis];
              if (in == kUnknown)
                throw Error(c.describe() + ": its windows depend on the input's spatial lengths, which the model leaves unknown (" +
                            shape_to_string(x.shape) + "); ONNX export needs them fixed");
              if (in == size) continue;
              std::vector<std::string> windows;
              for (Dim i = 0; i < size; ++i) {
                const AdaptiveWindow w = adaptive_pooling_window(i, in, size);
                const auto a = static_cast<std::int64_t>(axis);
                windows.push_back(c.onnx.reduce(reduce, c.onnx.slice(y, {w.start}, {w.end}, {a}, c.hint()), {a}, true, c.hint()));
              }
              y = c.onnx.concat(windows, static_cast<std::int64_t>(axis), c.hint());
            }
            return std::vector<Value>{c.output(y)};
          },
          {}};
}

}  // namespace

void add_pooling_converters(ConverterTable& t) {
  for (const char* dims : {"1D", "2D", "3D"}) {
    t[std::string("AdaptiveMaxPooling") + dims] = adaptive_pooling("ReduceMax");
    t[std::string("AdaptiveAveragePooling") + dims] = adaptive_pooling("ReduceMean");
  }
  for (const char* dims : {"1D", "2D", "3D"}) {
    t[std::string("MaxPooling") + dims] = pooling("MaxPool");
    t[std::string("AveragePooling") + dims] = pooling("AveragePool");
    t[std::string("GlobalMaxPooling") + dims] = global_pooling("GlobalMaxPool", "ReduceMax");
    t[std::string("GlobalAveragePooling") + dims] = global_pooling("GlobalAveragePool", "ReduceMean");
  }
}

}  // namespace ksave::plugins::onnx_export
