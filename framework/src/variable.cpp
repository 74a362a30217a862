#include "ksave/variable.hpp"

namespace ksave {

Variable::Variable(std::string name, Tensor initial_value, bool trainable)
    : name_(std::move(name)), value_(std::move(initial_value)), trainable_(trainable) {}

std::string Variable::shared_name() const {
  const auto colon = name_.rfind(':');
  return colon == std::string::npos ? name_ : name_.substr(0, colon);
}

std::string Variable::short_name() const {
  std::string n = name_;
  if (auto colon = n.rfind(':'); colon != std::string::npos) n.erase(colon);
  if (auto slash = n.rfind('/'); slash != std::string::npos) n.erase(0, slash + 1);
  return n;
}

void Variable::assign(const Tensor& value) { assign_shared(value.clone()); }

void Variable::assign_shared(Tensor value) {
  if (value.shape() != value_.shape() || value.dtype() != value_.dtype())
    throw Error("cannot assign " + std::string(dtype_name(value.dtype())) + " " + shape_to_string(value.shape()) +
                " to variable '" + name_ + "' of " + std::string(dtype_name(value_.dtype())) + " " +
                shape_to_string(value_.shape()));
  value_ = std::move(value);
}

}  // namespace ksave
