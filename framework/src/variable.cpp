#include "ksave/variable.hpp"

#include <exception>

#include "ksave/objects.hpp"

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
  pending_initializer_.reset();
}

void Variable::defer_initialization(std::shared_ptr<Initializer> initializer) {
  pending_initializer_ = std::move(initializer);
}

void Variable::initialize_if_pending() {
  if (!pending_initializer_) return;
  const std::shared_ptr<Initializer> initializer = std::move(pending_initializer_);
  Tensor value = (*initializer)(value_.shape(), value_.dtype());
  if (value.shape() != value_.shape() || value.dtype() != value_.dtype())
    throw Error("variable '" + name_ + "': initializer gave " + std::string(dtype_name(value.dtype())) + " " +
                shape_to_string(value.shape()) + ", expected " + std::string(dtype_name(value_.dtype())) + " " +
                shape_to_string(value_.shape()));
  value_ = std::move(value);
}

namespace {
thread_local DeferredInitialization* t_deferred = nullptr;
}  // namespace

DeferredInitialization::DeferredInitialization()
    : outer_(t_deferred), uncaught_at_start_(std::uncaught_exceptions()) {
  t_deferred = this;
}

DeferredInitialization::~DeferredInitialization() noexcept(false) {
  t_deferred = outer_;
  if (std::uncaught_exceptions() > uncaught_at_start_) return;  // the load failed
  for (const auto& weak : deferred_)
    if (auto variable = weak.lock()) {
      if (outer_) outer_->add(variable);  // an enclosing load may still supply it
      else variable->initialize_if_pending();
    }
}

DeferredInitialization* DeferredInitialization::active() { return t_deferred; }

}  // namespace ksave
