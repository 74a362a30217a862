#include "rnn_layout.hpp"

#include <cstring>

#include "kernel_util.hpp"

namespace ksave::detail {

RnnDescs describe_rnn(const RnnShape& s, std::int64_t gates, std::int64_t bias_gates) {
  const std::int64_t n = s.batch, t = s.steps, i = s.features, h = s.units, g = gates, b = bias_gates;
  return {onednn::plain({t, n, i}, {i, t * i, 1}),  // (batch, time, features) as ntc
          onednn::plain({1, 1, n, h}, {n * h, n * h, h, 1}),
          onednn::plain({1, 1, i, g, h}, {i * g * h, i * g * h, g * h, h, 1}),
          onednn::plain({1, 1, h, g, h}, {h * g * h, h * g * h, g * h, h, 1}),
          onednn::plain({1, 1, b, h}, {b * h, b * h, h, 1}),
          onednn::plain({t, n, h}, {h, t * h, 1})};
}

dnnl::memory::desc any_like(const dnnl::memory::desc& d) {
  return dnnl::memory::desc(d.dims(), dnnl::memory::data_type::f32, dnnl::memory::format_tag::any);
}

float* sequence_output(const RnnShape& s, bool keep, Tensor& sequence) {
  if (!keep) return onednn::thread_buffer(onednn::kSequenceSlot, static_cast<std::size_t>(s.batch * s.steps * s.units));
  sequence = make_float_output({s.batch, s.steps, s.units});
  return sequence.data<float>();
}

Tensor copy_of(const Tensor& t) {
  Tensor copy = make_float_output(t.shape());
  std::memcpy(copy.raw_data(), t.raw_data(), t.nbytes());
  return copy;
}

}  // namespace ksave::detail
