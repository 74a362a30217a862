#include "auc.hpp"

#include "ksave/config.hpp"

namespace ksave::metrics {

AUC::AUC(const Json& config_in) {
  const Json config = config_in.is_object() ? config_in : Json::object();
  ConfigReader r(config, "metric AUC");
  name_ = r.get<std::string>("name", "auc");
  num_thresholds_ = r.get<std::int64_t>("num_thresholds", 200);
  curve_ = r.get<std::string>("curve", "ROC");
  const std::string summation = r.get<std::string>("summation_method", "interpolation");
  if (num_thresholds_ < 2 || num_thresholds_ > 1000000)
    throw Error("metric '" + name_ + "' (AUC): num_thresholds must be in [2, 1000000], found " +
                std::to_string(num_thresholds_));
  // PR needs Keras's interpolate_pr_auc (Davis & Goadrich), which ksave does not have yet.
  if (curve_ != "ROC") throw Error("metric '" + name_ + "' (AUC): only curve 'ROC' is supported, found " + curve_);
  if (summation != "interpolation")
    throw Error("metric '" + name_ + "' (AUC): only summation_method 'interpolation' is supported, found " + summation);
  if (r.has("thresholds") && !config["thresholds"].is_null())
    throw Error("metric '" + name_ + "' (AUC): explicit thresholds are not supported");
  // Keras: [0 - eps, 1/(n-1), ..., (n-2)/(n-1), 1 + eps] so predictions of exactly 0 and 1 count.
  const double eps = 1e-7;
  thresholds_.push_back(static_cast<float>(0.0 - eps));
  for (std::int64_t i = 0; i < num_thresholds_ - 2; ++i)
    thresholds_.push_back(static_cast<float>(static_cast<double>(i + 1) / static_cast<double>(num_thresholds_ - 1)));
  thresholds_.push_back(static_cast<float>(1.0 + eps));
  auto make = [&](const char* n) {
    return std::make_shared<Variable>(name_ + "/" + n + ":0", Tensor::zeros(DType::Float32, {num_thresholds_}), false);
  };
  tp_ = make("true_positives");
  tn_ = make("true_negatives");
  fp_ = make("false_positives");
  fn_ = make("false_negatives");
}

Json AUC::get_config() const {
  Json thresholds = Json::array();
  for (std::size_t i = 1; i + 1 < thresholds_.size(); ++i) thresholds.push_back(thresholds_[i]);
  return {{"name", name_}, {"dtype", "float32"}, {"num_thresholds", num_thresholds_}, {"curve", curve_},
          {"summation_method", "interpolation"}, {"thresholds", thresholds}, {"multi_label", false},
          {"num_labels", nullptr}, {"label_weights", nullptr}, {"from_logits", false}};
}

void AUC::update_state(const Tensor& y_true, const Tensor& y_pred) {
  const auto labels = y_true.cast(DType::Float32).to_vector<float>();
  const auto preds = y_pred.cast(DType::Float32).to_vector<float>();
  if (labels.size() != preds.size())
    throw Error("metric '" + name_ + "' (AUC): y_true has " + std::to_string(labels.size()) + " values, y_pred " +
                std::to_string(preds.size()));
  Tensor tp = tp_->value().clone(), tn = tn_->value().clone(), fp = fp_->value().clone(), fn = fn_->value().clone();
  for (std::size_t t = 0; t < thresholds_.size(); ++t) {
    float ctp = 0, ctn = 0, cfp = 0, cfn = 0;
    for (std::size_t i = 0; i < preds.size(); ++i) {
      const bool positive = labels[i] > 0.f;  // Keras casts labels to bool
      const bool predicted = preds[i] > thresholds_[t];
      (positive ? (predicted ? ctp : cfn) : (predicted ? cfp : ctn)) += 1.f;
    }
    tp.data<float>()[t] += ctp;
    tn.data<float>()[t] += ctn;
    fp.data<float>()[t] += cfp;
    fn.data<float>()[t] += cfn;
  }
  tp_->assign_shared(tp);
  tn_->assign_shared(tn);
  fp_->assign_shared(fp);
  fn_->assign_shared(fn);
}

double AUC::result() const {
  const float* tp = tp_->value().data<float>();
  const float* tn = tn_->value().data<float>();
  const float* fp = fp_->value().data<float>();
  const float* fn = fn_->value().data<float>();
  auto div_no_nan = [](double a, double b) { return b == 0 ? 0.0 : a / b; };
  const std::size_t n = thresholds_.size();
  std::vector<double> x(n), y(n);
  for (std::size_t i = 0; i < n; ++i) {
    x[i] = div_no_nan(fp[i], fp[i] + tn[i]);  // false positive rate
    y[i] = div_no_nan(tp[i], tp[i] + fn[i]);  // recall
  }
  double auc = 0;
  for (std::size_t i = 0; i + 1 < n; ++i) auc += (x[i] - x[i + 1]) * (y[i] + y[i + 1]) / 2.0;
  return auc;
}

void AUC::reset_state() {
  for (auto* v : {&tp_, &tn_, &fp_, &fn_}) (*v)->assign(Tensor::zeros(DType::Float32, {num_thresholds_}));
}

std::vector<TrackableChild> AUC::trackable_children() const {
  return {{"true_positives", tp_}, {"true_negatives", tn_}, {"false_positives", fp_}, {"false_negatives", fn_}};
}

}  // namespace ksave::metrics
