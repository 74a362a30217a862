#include "variable_read.hpp"

namespace ksave::plugins::h5 {

void read_into_variable(const Dataset& dataset, Variable& variable) {
  if (variable.value().storage() && variable.value().storage().use_count() == 1) {
    Tensor in_place = variable.value();
    dataset.read_into(in_place);
    variable.mark_loaded();
    return;
  }
  Tensor fresh(variable.dtype(), variable.shape());
  dataset.read_into(fresh);
  variable.assign_shared(std::move(fresh));
}

}  // namespace ksave::plugins::h5
