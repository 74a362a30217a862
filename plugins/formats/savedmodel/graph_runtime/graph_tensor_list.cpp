#include "graph_tensor_list.hpp"

#include <set>

#include "ksave/error.hpp"
#include "ksave/ops.hpp"
#include "ksave/tf/bundle.hpp"
#include "tf_op_import.hpp"

namespace ksave::plugins::savedmodel {
namespace {

using List = std::vector<Tensor>;

const List& list_of(const GraphValues& inputs, std::size_t i, const std::string& where) {
  if (i >= inputs.size() || !inputs[i].list) throw Error(where + ": input " + std::to_string(i) + " is not a TensorList");
  return *inputs[i].list;
}

const Tensor& tensor_of(const GraphValues& inputs, std::size_t i, const std::string& where) {
  if (i >= inputs.size() || !inputs[i].tensor.defined()) throw Error(where + ": input " + std::to_string(i) + " is not a tensor");
  return inputs[i].tensor;
}

std::int64_t scalar_of(const GraphValues& inputs, std::size_t i, const std::string& where) {
  const auto values = int_values(tensor_of(inputs, i, where), where + " input " + std::to_string(i));
  if (values.size() != 1) throw Error(where + ": input " + std::to_string(i) + " must be a scalar");
  return values[0];
}

std::size_t checked_index(const List& list, std::int64_t index, const std::string& where) {
  if (index < 0 || index >= static_cast<std::int64_t>(list.size()))
    throw Error(where + ": index " + std::to_string(index) + " out of range for a list of " + std::to_string(list.size()));
  return static_cast<std::size_t>(index);
}

GraphValues make_list(List items) { return {{Tensor(), nullptr, std::make_shared<const List>(std::move(items))}}; }

// Zeros of a fully known element shape (what reading an unset item gives); throws otherwise.
Tensor zeros_of_element(const GraphValues& inputs, std::size_t shape_input, const tfproto::NodeDef& node, const std::string& where) {
  const auto dims = int_values(tensor_of(inputs, shape_input, where), where + " element_shape");
  const Shape shape(dims.begin(), dims.end());
  for (Dim d : shape)
    if (d < 0) throw Error(where + ": the list item was never set and its element shape " + shape_to_string(shape) + " is not fully known");
  const auto* dtype = find_attr(node, "element_dtype");
  return Tensor::zeros(dtype ? tf::from_tf_dtype(dtype->type(), where) : DType::Float32, shape);
}

}  // namespace

bool is_tensor_list_op(const std::string& op) {
  static const std::set<std::string> ops{"TensorListReserve", "TensorListFromTensor", "TensorListGetItem", "TensorListSetItem",
                                         "TensorListStack",   "TensorListLength",     "TensorListPushBack"};
  return ops.count(op) != 0;
}

GraphValues run_tensor_list_op(const tfproto::NodeDef& node, const GraphValues& inputs, const std::string& where) {
  const std::string& op = node.op();
  if (op == "TensorListReserve") {
    const std::int64_t count = scalar_of(inputs, 1, where);
    if (count < 0 || count > kMaxTensorListSize) throw Error(where + ": a TensorList of " + std::to_string(count) + " elements");
    return make_list(List(static_cast<std::size_t>(count)));
  }
  if (op == "TensorListFromTensor") {
    const Tensor& t = tensor_of(inputs, 0, where);
    if (t.rank() == 0) throw Error(where + ": a scalar cannot be split into a TensorList");
    return make_list(ops::unstack(t, 0).to_vector());
  }
  if (op == "TensorListGetItem") {
    const List& list = list_of(inputs, 0, where);
    const Tensor& item = list[checked_index(list, scalar_of(inputs, 1, where), where)];
    return {tensor_value(item.defined() ? item : zeros_of_element(inputs, 2, node, where))};
  }
  if (op == "TensorListSetItem") {
    List list = list_of(inputs, 0, where);
    list[checked_index(list, scalar_of(inputs, 1, where), where)] = tensor_of(inputs, 2, where);
    return make_list(std::move(list));
  }
  if (op == "TensorListPushBack") {
    List list = list_of(inputs, 0, where);
    if (static_cast<std::int64_t>(list.size()) >= kMaxTensorListSize) throw Error(where + ": the TensorList grew too long");
    list.push_back(tensor_of(inputs, 1, where));
    return make_list(std::move(list));
  }
  if (op == "TensorListLength") return {tensor_value(Tensor::scalar<std::int32_t>(static_cast<std::int32_t>(list_of(inputs, 0, where).size())))};
  // TensorListStack
  const List& list = list_of(inputs, 0, where);
  if (list.empty()) throw Error(where + ": stacking an empty TensorList");
  for (const auto& item : list)
    if (!item.defined()) throw Error(where + ": stacking a TensorList with unset items");
  return {tensor_value(ops::stack(list, 0))};
}

}  // namespace ksave::plugins::savedmodel
