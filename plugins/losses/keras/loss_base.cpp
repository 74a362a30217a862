#include "loss_base.hpp"

#include <algorithm>

namespace ksave::losses {

KerasLoss::KerasLoss(const Json& config, std::string class_name, const std::string& default_name)
    : class_name_(std::move(class_name)),
      config_copy_(config.is_object() ? config : Json::object()),
      reader_(config_copy_, "loss " + class_name_) {
  name_ = reader_.get<std::string>("name", default_name);
  reduction_ = reader_.get<std::string>("reduction", "auto");
  static const char* const known[] = {"auto", "sum_over_batch_size", "sum", "none"};
  if (std::find(std::begin(known), std::end(known), reduction_) == std::end(known))
    throw Error("loss " + class_name_ + ": unknown reduction '" + reduction_ +
                "' (expected auto, sum_over_batch_size, sum or none)");
}

Json KerasLoss::get_config() const {
  Json c = {{"reduction", reduction_}, {"name", name_}};
  add_config(c);
  return c;
}

Tensor KerasLoss::per_sample(const Tensor& y_true_in, const Tensor& y_pred_in) const {
  const Tensor y_pred = y_pred_in.as_float();
  if (sparse_labels()) return compute(y_true_in, y_pred);
  Tensor y_true = y_true_in.as_float();
  // Keras's squeeze_or_expand_dimensions: labels [N] for predictions [N, 1] and the reverse.
  if (y_true.rank() == y_pred.rank() - 1 && y_pred.dim(-1) == 1) y_true = ops::expand_dims(y_true, -1);
  else if (y_true.rank() == y_pred.rank() + 1 && y_true.dim(-1) == 1) y_true = ops::squeeze(y_true, {-1});
  if (y_true.shape() != y_pred.shape())
    throw Error("loss " + name_ + ": y_true has shape " + shape_to_string(y_true_in.shape()) +
                ", which does not match y_pred's " + shape_to_string(y_pred.shape()));
  return compute(y_true, y_pred);
}

}  // namespace ksave::losses
