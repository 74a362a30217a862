#include "einsum_dense_shapes.hpp"

#include <algorithm>

#include "ksave/error.hpp"

namespace ksave::plugins::attention {
namespace {

enum class Ellipsis { None, Leading, Trailing };

struct Split {
  std::string input, kernel, output;
  Ellipsis ellipsis = Ellipsis::None;
};

bool ascii_letter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

Split split_equation(const std::string& equation, const std::string& object) {
  auto refuse = [&](const std::string& why) {
    return Error(object + ": equation '" + equation + "' " + why +
                 "; EinsumDense takes 'ab,bc->ac' (letters), '...b,bc->...c' or 'ab...,bc->ac...'");
  };
  const auto comma = equation.find(','), arrow = equation.find("->");
  if (comma == std::string::npos || arrow == std::string::npos || arrow < comma)
    throw refuse("does not have two operands and an output");
  Split s{equation.substr(0, comma), equation.substr(comma + 1, arrow - comma - 1), equation.substr(arrow + 2)};
  const std::string dots = "...";
  auto starts = [&](const std::string& part) { return part.starts_with(dots); };
  auto ends = [&](const std::string& part) { return part.size() >= dots.size() && part.ends_with(dots); };
  if (starts(s.input) && starts(s.output)) {
    s.ellipsis = Ellipsis::Leading;
    s.input.erase(0, dots.size());
    s.output.erase(0, dots.size());
  } else if (ends(s.input) && ends(s.output)) {
    s.ellipsis = Ellipsis::Trailing;
    s.input.resize(s.input.size() - dots.size());
    s.output.resize(s.output.size() - dots.size());
  }
  for (const std::string* part : {&s.input, &s.kernel, &s.output}) {
    if (part->empty() || !std::all_of(part->begin(), part->end(), ascii_letter))
      throw refuse("has an operand that is not letters ('" + *part + "')");
    for (std::size_t i = 0; i < part->size(); ++i)
      if (part->find((*part)[i], i + 1) != std::string::npos)
        throw refuse("repeats '" + std::string(1, (*part)[i]) + "' within '" + *part + "' (a diagonal)");
  }
  return s;
}

// `count` letters the equation does not use, for the axes the ellipsis stands for.
std::string fresh_letters(std::size_t count, const std::string& used, const std::string& object) {
  std::string fresh;
  for (char c = 'z'; c >= 'a' && fresh.size() < count; --c)
    if (!einsum::has(used, c)) fresh += c;
  for (char c = 'Z'; c >= 'A' && fresh.size() < count; --c)
    if (!einsum::has(used, c)) fresh += c;
  if (fresh.size() < count)
    throw Error(object + ": the ellipsis stands for " + std::to_string(count) + " axes, more than the letters left");
  return fresh;
}

std::string letter(char c) { return "'" + std::string(1, c) + "'"; }

}  // namespace

EinsumDenseShapes analyze_einsum_dense(const std::string& equation, const std::string& bias_axes,
                                       const Shape& partial_output, const Shape& input, const std::string& object) {
  const Split s = split_equation(equation, object);
  const std::size_t rank = input.size();
  if (rank < s.input.size() || (s.ellipsis == Ellipsis::None && rank != s.input.size()))
    throw Error(object + ": equation '" + equation + "' expects an input of rank " + std::to_string(s.input.size()) +
                (s.ellipsis == Ellipsis::None ? "" : " or more") + ", found " + shape_to_string(input));
  const std::size_t elided = rank - s.input.size();
  const std::string extra = fresh_letters(elided, s.input + s.kernel + s.output, object);
  const bool leading = s.ellipsis == Ellipsis::Leading;

  EinsumDenseShapes r;
  r.labels = {leading ? extra + s.input : s.input + extra, s.kernel, leading ? extra + s.output : s.output + extra};
  // What the config and the input say of each output axis (kUnknown: nothing).
  const std::size_t given_axes = leading ? s.output.size() : s.output.size() - 1;
  if (partial_output.size() != given_axes)
    throw Error(object + ": output_shape " + shape_to_string(partial_output) + " has " +
                std::to_string(partial_output.size()) + " axes, the equation's output '" + s.output + "' needs " +
                std::to_string(given_axes) + (leading ? "" : " (all but the batch axis)"));
  Shape given(r.labels.out.size(), kUnknown);
  std::copy(partial_output.begin(), partial_output.end(), given.begin() + static_cast<std::ptrdiff_t>(leading ? elided : 1));
  const auto input_axis = [&](char c) { return input[r.labels.a.find(c)]; };

  for (std::size_t i = 0; i < r.labels.out.size(); ++i) {
    const char c = r.labels.out[i];
    if (einsum::has(r.labels.a, c)) {
      const Dim from_input = input_axis(c);
      if (from_input >= 0 && given[i] >= 0 && given[i] != from_input)
        throw Error(object + ": output_shape gives axis " + letter(c) + " the size " + std::to_string(given[i]) +
                    ", the input " + shape_to_string(input) + " has " + std::to_string(from_input));
      r.output.push_back(from_input >= 0 ? from_input : given[i]);
    } else if (einsum::has(s.kernel, c)) {
      if (given[i] < 0)
        throw Error(object + ": output_shape must give the size of output axis " + letter(c) +
                    " (the kernel's, not the input's), found " + shape_to_string(partial_output));
      r.output.push_back(given[i]);
    } else {
      throw Error(object + ": equation '" + equation + "' has output axis " + letter(c) +
                  " in neither the input nor the kernel");
    }
  }
  for (char c : s.kernel) {
    const bool from_input = einsum::has(r.labels.a, c);
    if (!from_input && !einsum::has(r.labels.out, c))
      throw Error(object + ": equation '" + equation + "' has kernel axis " + letter(c) +
                  " in neither the input nor the output");
    const Dim d = from_input ? input_axis(c) : r.output[r.labels.out.find(c)];
    if (d < 0)
      throw Error(object + ": kernel axis " + letter(c) + " needs a known size, found input " + shape_to_string(input));
    r.kernel.push_back(d);
  }
  if (bias_axes.empty()) return r;
  // Keras's bias: the output's axes from the first of bias_axes to the end.
  std::size_t first = s.output.size();
  for (char c : bias_axes) {
    if (!einsum::has(s.output, c))
      throw Error(object + ": bias_axes '" + bias_axes + "' names " + letter(c) + ", which is not an axis of the output '" +
                  s.output + "'");
    first = std::min(first, s.output.find(c));
  }
  Shape bias;
  for (std::size_t i = first + (leading ? elided : 0); i < r.labels.out.size(); ++i) {
    const bool biased = einsum::has(bias_axes, r.labels.out[i]);
    if (biased && r.output[i] < 0)
      throw Error(object + ": bias axis " + letter(r.labels.out[i]) + " needs a known size, found output " +
                  shape_to_string(r.output));
    bias.push_back(biased ? r.output[i] : 1);
  }
  r.bias = bias;
  return r;
}

}  // namespace ksave::plugins::attention
