// Config and layout helpers shared by the convolution, pooling and padding layer plugins
// (header only: each plugin compiles it in). Reads Keras 2 keys and their Keras 1 spellings:
// data_format / dim_ordering ("tf" = channels_last, "th" = channels_first) and padding /
// border_mode.
#pragma once

#include <string>
#include <vector>

#include "ksave/config.hpp"
#include "ksave/ops.hpp"

namespace ksave::plugins {

// The class name of a layer templated on its spatial rank (1, 2 or 3).
template <int Rank>
constexpr const char* by_rank(const char* one, const char* two, const char* three) {
  static_assert(Rank >= 1 && Rank <= 3);
  return Rank == 1 ? one : Rank == 2 ? two : three;
}

}  // namespace ksave::plugins

namespace ksave::plugins::spatial {

// "channels_last" or "channels_first" from data_format (or Keras 1 dim_ordering).
inline std::string data_format(const ConfigReader& r) {
  const Json* v = r.find("data_format");
  if (v && !v->is_null()) {
    if (!v->is_string())
      throw Error(r.object() + ": data_format must be channels_last or channels_first, found " + v->dump());
    const std::string f = v->get<std::string>();
    if (f != "channels_last" && f != "channels_first")
      throw Error(r.object() + ": data_format must be channels_last or channels_first, found '" +
                  f + "'");
    return f;
  }
  const Json* old = r.find("dim_ordering");
  if (old && old->is_string()) {
    const std::string o = old->get<std::string>();
    if (o == "th") return "channels_first";
    if (o != "tf" && o != "default")
      throw Error(r.object() + ": dim_ordering must be 'tf' or 'th', found '" + o + "'");
  }
  return "channels_last";
}

// Lower-case padding from padding (or Keras 1 border_mode), checked against `allowed`.
inline std::string padding(const ConfigReader& r, const std::vector<std::string>& allowed) {
  const std::string p = r.get<std::string>("padding", "valid", {"border_mode"});
  for (const auto& a : allowed)
    if (p == a) return p;
  std::string list;
  for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
  throw Error(r.object() + ": padding must be one of " + list + ", found '" + p + "'");
}

inline Json ints_json(const std::vector<std::int64_t>& v) {
  Json j = Json::array();
  for (auto x : v) j.push_back(x);
  return j;
}

// Checks every entry of an int tuple is positive (kernel sizes, strides, dilations).
inline void require_positive(const std::vector<std::int64_t>& v, const ConfigReader& r,
                             const char* key) {
  for (auto x : v)
    if (x < 1)
      throw Error(r.object() + ": " + key + " must be positive, found " + ints_json(v).dump());
}

// Permutations between channels_first and channels_last for a tensor of `rank`.
inline std::vector<std::int64_t> to_channels_last(int rank) {
  std::vector<std::int64_t> perm{0};
  for (int i = 2; i < rank; ++i) perm.push_back(i);
  perm.push_back(1);
  return perm;
}
inline std::vector<std::int64_t> to_channels_first(int rank) {
  std::vector<std::int64_t> perm{0, rank - 1};
  for (int i = 1; i < rank - 1; ++i) perm.push_back(i);
  return perm;
}

// Shapes in the same layouts.
inline Shape permuted(const Shape& s, const std::vector<std::int64_t>& perm) {
  Shape out;
  for (auto p : perm) out.push_back(s[static_cast<std::size_t>(p)]);
  return out;
}

// Runs `fn` on the channels_last view of x and returns the result in the layer's layout.
template <typename Fn>
Tensor in_channels_last(const Tensor& x, bool channels_first, Fn fn) {
  if (!channels_first) return fn(x);
  const int rank = x.rank();
  return ops::transpose(fn(ops::transpose(x, to_channels_last(rank))), to_channels_first(rank));
}

// Output length of one spatial axis for Keras's padding names (conv_utils.conv_output_length);
// unknown stays unknown.
inline Dim output_length(Dim in, std::int64_t k, const std::string& padding, std::int64_t stride,
                         std::int64_t dilation = 1) {
  if (in < 0) return in;
  const std::int64_t effective = (k - 1) * dilation + 1;
  std::int64_t len = in;
  if (padding == "valid") len = in - effective + 1;
  if (padding == "full") len = in + effective - 1;
  return len <= 0 ? 0 : (len + stride - 1) / stride;
}

inline ops::Window2D window(const std::string& padding, std::int64_t sh, std::int64_t sw,
                            std::int64_t dh = 1, std::int64_t dw = 1) {
  ops::Window2D w;
  w.stride_h = sh;
  w.stride_w = sw;
  w.dilation_h = dh;
  w.dilation_w = dw;
  w.padding = padding == "same" ? "SAME" : "VALID";
  return w;
}

}  // namespace ksave::plugins::spatial
