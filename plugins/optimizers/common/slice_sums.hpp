// An IndexedSlices gradient (an Embedding table's) summed the ways TensorFlow's optimizers need it:
// the slices themselves (the dense gradient, what tf-keras's deduplication gives), their squares
// and their absolute values (the terms Keras 3's optimizers compute slice by slice), and the rows
// looked up (tf-keras's legacy sparse kernels touch only those).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ksave/indexed_slices.hpp"

namespace ksave::optimizers {

struct SliceSums {
  Tensor sum;                      // float32, the variable's shape; slices added in lookup order
  Tensor squares;                  // the slices' squares, added alike (when asked for)
  Tensor absolutes;                // the slices' absolute values, added alike (when asked for)
  std::vector<std::int64_t> rows;  // every looked-up row once, ascending
};

// Which sums to make: the squares and absolute values are whole tables as large as the variable,
// which only Keras 3's sparse updates read.
enum class SliceTerms { Sum, SumSquaresAbsolutes };

// Checks the slices against the variable's shape (errors start with `where`) and sums them.
SliceSums sum_slices(const IndexedSlices& slices, const Shape& variable_shape, const std::string& where,
                     SliceTerms terms = SliceTerms::Sum);

// The rows `rows` of a float32 tensor as a compact [rows.size(), ...] copy, and back into `into`.
Tensor gather_rows(const Tensor& from, const std::vector<std::int64_t>& rows);
void scatter_rows(const Tensor& compact, const std::vector<std::int64_t>& rows, Tensor& into);

}  // namespace ksave::optimizers
