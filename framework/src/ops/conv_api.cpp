// The ksave::ops functions of conv.cpp and pool.cpp: Window2D to TensorFlow's attributes.
#include <array>
#include <vector>

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

// What a window op's attributes are made of: its window, whether it dilates (convolutions), and
// its pool size (pooling; 0 otherwise).
struct WindowKey {
  Window2D window;
  bool dilations = false;
  std::int64_t pool_h = 0, pool_w = 0;

  bool operator==(const WindowKey& o) const {
    const Window2D& a = window;
    const Window2D& b = o.window;
    return a.stride_h == b.stride_h && a.stride_w == b.stride_w && a.dilation_h == b.dilation_h &&
           a.dilation_w == b.dilation_w && a.padding == b.padding && a.explicit_paddings == b.explicit_paddings &&
           dilations == o.dilations && pool_h == o.pool_h && pool_w == o.pool_w;
  }
};

// The attributes of a window op, built once per window on each thread and kept: a model calls its
// layers with the same few windows every time, and building them (int lists) would allocate on
// every call. The last kEntries windows are kept (a model with more distinct windows than that
// builds some per call again, as before); a returned reference stays valid until kEntries other
// windows were asked for, far longer than the op call that reads it.
const Attrs& window_op_attrs(const WindowKey& key) {
  struct Entry {
    WindowKey key;
    Attrs attrs;
  };
  constexpr std::size_t kEntries = 32;
  thread_local std::vector<Entry> entries = [] {
    std::vector<Entry> list;
    list.reserve(kEntries);  // entries never move
    return list;
  }();
  thread_local std::size_t next = 0;  // the entry replaced next once all are used
  for (const Entry& e : entries)
    if (e.key == key) return e.attrs;
  Attrs attrs = window_attrs(key.window, key.dilations);
  if (key.pool_h > 0) attrs.set("ksize", nhwc(key.pool_h, key.pool_w));
  if (entries.size() < kEntries) return entries.emplace_back(Entry{key, std::move(attrs)}).attrs;
  Entry& slot = entries[next];
  next = (next + 1) % kEntries;
  slot = Entry{key, std::move(attrs)};
  return slot.attrs;
}

Tensor first(const OpDef& op, std::span<const Tensor> inputs, const Attrs& attrs) {
  return std::move(run_op(op, inputs, attrs)[0]);
}

}  // namespace

Attrs conv2d_window_attrs(const Window2D& window) { return window_attrs(window, true); }

Tensor conv2d(const Tensor& x, const Tensor& filter, const Window2D& window) {
  static const OpDef& op = find_op("Conv2D");
  return first(op, std::array{x, filter}, window_op_attrs({window, true}));
}

Tensor conv2d_backprop_input(const Shape& input_shape, const Tensor& filter, const Tensor& dy,
                             const Window2D& window) {
  static const OpDef& op = find_op("Conv2DBackpropInput");
  return first(op, std::array{filter, dy}, window_attrs(window, true).set("input_sizes", dims(input_shape)));
}

Tensor conv2d_backprop_filter(const Tensor& x, const Shape& filter_shape, const Tensor& dy,
                              const Window2D& window) {
  static const OpDef& op = find_op("Conv2DBackpropFilter");
  return first(op, std::array{x, dy}, window_attrs(window, true).set("filter_sizes", dims(filter_shape)));
}

Tensor depthwise_conv2d(const Tensor& x, const Tensor& filter, const Window2D& window) {
  static const OpDef& op = find_op("DepthwiseConv2dNative");
  return first(op, std::array{x, filter}, window_op_attrs({window, true}));
}

Tensor max_pool(const Tensor& x, std::int64_t pool_h, std::int64_t pool_w,
                const Window2D& window) {
  static const OpDef& op = find_op("MaxPool");
  return first(op, {&x, 1}, window_op_attrs({window, false, pool_h, pool_w}));
}

Tensor avg_pool(const Tensor& x, std::int64_t pool_h, std::int64_t pool_w,
                const Window2D& window) {
  static const OpDef& op = find_op("AvgPool");
  return first(op, {&x, 1}, window_op_attrs({window, false, pool_h, pool_w}));
}

}  // namespace ksave::ops
