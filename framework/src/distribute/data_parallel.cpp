#include "ksave/data_parallel.hpp"

#include <cstring>
#include <vector>

#include "ksave/error.hpp"
#include "ksave/model.hpp"
#include "ksave/optimizer.hpp"

namespace ksave {
namespace {

// Every variable whose value the replicas must share: the model's weights, then the optimizer's
// iterations and slots.
std::vector<VariablePtr> replicated_variables(Model& model) {
  std::vector<VariablePtr> variables = model.weights();
  if (auto optimizer = model.optimizer()) {
    optimizer->build(model.trainable_weights());  // slots exist before their values travel
    for (const auto& v : optimizer->variables()) variables.push_back(v);
  }
  return variables;
}

std::vector<std::string> describe(const std::vector<VariablePtr>& variables) {
  std::vector<std::string> lines;
  for (const auto& v : variables)
    lines.push_back("'" + v->name() + "' " + std::string(dtype_name(v->dtype())) + " " + shape_to_string(v->shape()));
  return lines;
}

std::string joined(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& line : lines) (out += line) += '\n';
  return out;
}

// Throws on every rank when some rank's variables differ from rank 0's, naming the first one.
void check_same_variables(Collectives& collectives, const Model& model, const std::vector<std::string>& mine) {
  const std::vector<std::string> all = collectives.allgather(joined(mine));
  for (std::size_t r = 1; r < all.size(); ++r) {
    if (all[r] == all[0]) continue;
    std::string first_difference;
    std::size_t a = 0, b = 0;
    while (first_difference.empty() && (a < all[0].size() || b < all[r].size())) {
      const std::size_t ea = all[0].find('\n', a), eb = all[r].find('\n', b);
      const std::string la = a < all[0].size() ? all[0].substr(a, ea - a) : "nothing";
      const std::string lb = b < all[r].size() ? all[r].substr(b, eb - b) : "nothing";
      if (la != lb) first_difference = "rank 0 has " + la + ", rank " + std::to_string(r) + " has " + lb;
      a = ea == std::string::npos ? all[0].size() : ea + 1;
      b = eb == std::string::npos ? all[r].size() : eb + 1;
    }
    throw Error("data-parallel training of model '" + model.name() + "': the ranks hold different models (" +
                first_difference + ")");
  }
}

}  // namespace

DataParallelStrategy::DataParallelStrategy(std::shared_ptr<Collectives> collectives, DataParallelOptions options)
    : collectives_(std::move(collectives)), options_(options) {
  if (!collectives_) throw Error("DataParallelStrategy: no collectives given");
  if (options_.bucket_bytes == 0) throw UsageError("DataParallelStrategy: bucket_bytes must be positive");
}

std::pair<std::int64_t, std::int64_t> DataParallelStrategy::local_rows(std::int64_t rows) const {
  const std::int64_t replicas = num_replicas(), r = rank();
  const std::int64_t base = rows / replicas, extra = rows % replicas;
  const std::int64_t begin = r * base + std::min(r, extra);
  return {begin, begin + base + (r < extra ? 1 : 0)};
}

void DataParallelStrategy::broadcast_state(Model& model) const {
  const std::vector<VariablePtr> variables = replicated_variables(model);
  check_same_variables(*collectives_, model, describe(variables));
  std::size_t total = 0;
  for (const auto& v : variables) {
    if (v->dtype() == DType::String)
      throw Error("data-parallel training of model '" + model.name() + "': variable '" + v->name() +
                  "' holds strings, which cannot be broadcast");
    total += v->value().nbytes();
  }
  // One message for the whole state: a broadcast per variable would pay the latency hundreds of times.
  std::vector<std::byte> buffer(total);
  std::size_t offset = 0;
  if (is_chief())
    for (const auto& v : variables) {
      std::memcpy(buffer.data() + offset, v->value().raw_data(), v->value().nbytes());
      offset += v->value().nbytes();
    }
  collectives_->broadcast(buffer, 0);
  if (is_chief()) return;
  offset = 0;
  for (const auto& v : variables) {
    Tensor value(v->dtype(), v->shape());
    std::memcpy(value.raw_data(), buffer.data() + offset, value.nbytes());
    offset += value.nbytes();
    v->assign_shared(std::move(value));
  }
}

}  // namespace ksave
