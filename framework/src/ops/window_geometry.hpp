// The sliding-window arithmetic shared by Conv2D, DepthwiseConv2dNative, MaxPool and AvgPool
// (and their gradients): output sizes and padding from TensorFlow's attributes. Internal to
// framework/src/ops.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ksave/attrs.hpp"
#include "ksave/shape.hpp"

namespace ksave::detail {

// One NHWC window placement: input and output sizes, window size, strides, dilations and the
// padding before each spatial axis (padding after is implied by the output size).
struct WindowGeometry {
  std::int64_t batch = 0, in_h = 0, in_w = 0, channels = 0;
  std::int64_t k_h = 1, k_w = 1;
  std::int64_t stride_h = 1, stride_w = 1;
  std::int64_t dilation_h = 1, dilation_w = 1;
  std::int64_t pad_top = 0, pad_left = 0;
  std::int64_t out_h = 0, out_w = 0;

  // Padding after each spatial axis, from the output size (never negative: a window may stop
  // short of the input's end).
  std::int64_t pad_bottom() const { return pad_after(in_h, out_h, k_h, stride_h, dilation_h, pad_top); }
  std::int64_t pad_right() const { return pad_after(in_w, out_w, k_w, stride_w, dilation_w, pad_left); }

 private:
  static std::int64_t pad_after(std::int64_t in, std::int64_t out, std::int64_t k, std::int64_t stride,
                                std::int64_t dilation, std::int64_t before) {
    const std::int64_t after = (out - 1) * stride + (k - 1) * dilation + 1 - in - before;
    return after > 0 ? after : 0;
  }
};

// Reads strides/dilations ([1, h, w, 1]), padding ("SAME", "VALID" or "EXPLICIT" with
// explicit_paddings, 8 NHWC ints) and data_format (NHWC only) for an input of NHWC `input`
// shape and a k_h x k_w window. SAME follows TensorFlow: total padding
// max((ceil(in/s)-1)*s + (k-1)*d + 1 - in, 0), the odd unit at the bottom/right.
WindowGeometry window_geometry(const Shape& input, std::int64_t k_h, std::int64_t k_w,
                               const Attrs& attrs, const char* op, bool with_dilations);

// Shape attributes (input_sizes, filter_sizes, orig_input_shape) as a checked Shape.
Shape shape_attr(const Attrs& attrs, const char* name, std::size_t rank, const char* op);

}  // namespace ksave::detail
