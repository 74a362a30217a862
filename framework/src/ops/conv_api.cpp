// The ksave::ops functions of conv.cpp and pool.cpp: Window2D to TensorFlow's attributes.
#include "ksave/ops.hpp"

namespace ksave::ops {

namespace {

std::vector<std::int64_t> nhwc(std::int64_t h, std::int64_t w) { return {1, h, w, 1}; }
std::vector<std::int64_t> dims(const Shape& shape) { return {shape.begin(), shape.end()}; }

Attrs window_attrs(const Window2D& w, bool dilations) {
  Attrs attrs{{"strides", nhwc(w.stride_h, w.stride_w)}, {"padding", w.padding}};
  if (dilations) attrs.set("dilations", nhwc(w.dilation_h, w.dilation_w));
  if (w.padding == "EXPLICIT") {
    const auto& p = w.explicit_paddings;
    attrs.set("explicit_paddings", std::vector<std::int64_t>{0, 0, p[0], p[1], p[2], p[3], 0, 0});
  }
  return attrs;
}

Tensor first(const char* op, std::vector<Tensor> inputs, const Attrs& attrs) {
  return std::move(run_op(op, inputs, attrs)[0]);
}

}  // namespace

Attrs conv2d_window_attrs(const Window2D& window) { return window_attrs(window, true); }

Tensor conv2d(const Tensor& x, const Tensor& filter, const Window2D& window) {
  return first("Conv2D", {x, filter}, window_attrs(window, true));
}

Tensor conv2d_backprop_input(const Shape& input_shape, const Tensor& filter, const Tensor& dy,
                             const Window2D& window) {
  return first("Conv2DBackpropInput", {filter, dy},
               window_attrs(window, true).set("input_sizes", dims(input_shape)));
}

Tensor conv2d_backprop_filter(const Tensor& x, const Shape& filter_shape, const Tensor& dy,
                              const Window2D& window) {
  return first("Conv2DBackpropFilter", {x, dy},
               window_attrs(window, true).set("filter_sizes", dims(filter_shape)));
}

Tensor depthwise_conv2d(const Tensor& x, const Tensor& filter, const Window2D& window) {
  return first("DepthwiseConv2dNative", {x, filter}, window_attrs(window, true));
}

Tensor max_pool(const Tensor& x, std::int64_t pool_h, std::int64_t pool_w,
                const Window2D& window) {
  return first("MaxPool", {x}, window_attrs(window, false).set("ksize", nhwc(pool_h, pool_w)));
}

Tensor avg_pool(const Tensor& x, std::int64_t pool_h, std::int64_t pool_w,
                const Window2D& window) {
  return first("AvgPool", {x}, window_attrs(window, false).set("ksize", nhwc(pool_h, pool_w)));
}

}  // namespace ksave::ops
