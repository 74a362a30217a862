// SummaryWriter: the summaries TF2's tf.summary ops write, as TensorBoard's plugins expect them
// (tensor values with plugin metadata, one value per event).
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "event_file.hpp"
#include "ksave/tensorboard.hpp"

namespace ksave::tensorboard {
namespace {

// An event holding one summary value of `tag`, for plugin `plugin`.
tfproto::Summary::Value& add_value(tfproto::Event& event, std::int64_t step, const std::string& tag,
                                   const std::string& plugin, const std::string& content = "") {
  event.set_step(step);
  tfproto::Summary::Value& value = *event.mutable_summary()->add_value();
  value.set_tag(tag);
  auto& data = *value.mutable_metadata()->mutable_plugin_data();
  data.set_plugin_name(plugin);
  data.set_content(content);
  return value;
}

}  // namespace

std::vector<std::array<double, 3>> histogram_buckets(const Tensor& values, int bucket_count) {
  if (bucket_count <= 0) return {};
  const auto count = static_cast<std::size_t>(bucket_count);
  if (values.dtype() == DType::String) throw UsageError("histogram: string tensors have no histogram");
  // NaN and infinities are left out: they have no bucket (TensorFlow's result is undefined).
  std::vector<double> data;
  data.reserve(static_cast<std::size_t>(values.size()));
  for (std::int64_t i = 0; i < values.size(); ++i)
    if (const double x = values.item(i); std::isfinite(x)) data.push_back(x);
  std::vector<std::array<double, 3>> rows(count, {0.0, 0.0, 0.0});
  if (data.empty()) return rows;
  const auto [lo, hi] = std::minmax_element(data.begin(), data.end());
  const double min = *lo, max = *hi, range = max - min;
  if (range == 0) {  // one value: every edge at it, all the counts in the last bucket
    for (auto& row : rows) row = {max, max, 0.0};
    rows.back()[2] = static_cast<double>(data.size());
    return rows;
  }
  const double width = range / static_cast<double>(count);
  for (double x : data) {
    const double index = std::floor((x - min) / width);
    rows[std::min(static_cast<std::size_t>(index), count - 1)][2] += 1;
  }
  // tf.linspace(min, max, count + 1) with its last edge set to max exactly.
  auto edge = [&](std::size_t i) { return i == 0 ? min : i == count ? max : min + width * static_cast<double>(i); };
  for (std::size_t i = 0; i < count; ++i) {
    rows[i][0] = edge(i);
    rows[i][1] = edge(i + 1);
  }
  return rows;
}

SummaryWriter::SummaryWriter(const std::filesystem::path& log_dir) : file_(std::make_unique<EventFile>(log_dir)) {}

SummaryWriter::~SummaryWriter() = default;

void SummaryWriter::scalar(const std::string& tag, double value, std::int64_t step) {
  tfproto::Event event;
  auto& tensor = *add_value(event, step, tag, "scalars").mutable_tensor();
  tensor.set_dtype(tfproto::DT_FLOAT);
  tensor.mutable_tensor_shape();  // a scalar: a shape without dimensions
  const auto f = static_cast<float>(value);
  char bytes[sizeof f];
  std::memcpy(bytes, &f, sizeof f);
  tensor.set_tensor_content(bytes, sizeof bytes);
  file_->write(event);
}

void SummaryWriter::histogram(const std::string& tag, const Tensor& values, std::int64_t step, int buckets) {
  const auto rows = histogram_buckets(values, buckets);
  tfproto::Event event;
  auto& tensor = *add_value(event, step, tag, "histograms").mutable_tensor();
  tensor.set_dtype(tfproto::DT_DOUBLE);
  auto& shape = *tensor.mutable_tensor_shape();
  shape.add_dim()->set_size(static_cast<std::int64_t>(rows.size()));
  shape.add_dim()->set_size(3);
  std::string content(rows.size() * sizeof(rows[0]), '\0');
  if (!rows.empty()) std::memcpy(content.data(), rows.data(), content.size());
  tensor.set_tensor_content(std::move(content));
  file_->write(event);
}

void SummaryWriter::keras_model(const std::string& tag, const Model& model, std::int64_t step) {
  tfproto::Event event;
  auto& tensor = *add_value(event, step, tag, "graph_keras_model", "1").mutable_tensor();
  tensor.set_dtype(tfproto::DT_STRING);
  tensor.mutable_tensor_shape();
  tensor.add_string_val(model.to_json());
  file_->write(event);
}

void SummaryWriter::graph(const std::string& serialized_graph_def, std::int64_t step) {
  tfproto::Event event;
  event.set_step(step);
  event.set_graph_def(serialized_graph_def);
  file_->write(event);
}

void SummaryWriter::flush() { file_->flush(); }

const std::filesystem::path& SummaryWriter::path() const { return file_->path(); }

bool SummaryWriter::good() const { return file_->good(); }

}  // namespace ksave::tensorboard
