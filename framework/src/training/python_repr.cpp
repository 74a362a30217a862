#include "python_repr.hpp"

#include <charconv>
#include <cmath>
#include <cstdlib>

namespace ksave {

std::string python_float_repr(double value) {
  if (std::isnan(value)) return "nan";
  if (std::isinf(value)) return value < 0 ? "-inf" : "inf";
  // Shortest round-trip digits, as "d.ddde±x", then laid out by Python's rule (float_repr_style
  // 'short': scientific when the decimal point would sit more than 16 places right of the first
  // digit or more than 4 places left of it).
  char buffer[64];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, value, std::chars_format::scientific);
  const std::string text(buffer, result.ptr);
  const std::size_t e = text.find('e');
  std::string digits;
  std::size_t start = 0;
  std::string sign;
  if (text[0] == '-') {
    sign = "-";
    start = 1;
  }
  for (std::size_t i = start; i < e; ++i)
    if (text[i] != '.') digits += text[i];
  const int exponent = std::atoi(text.c_str() + e + 1);

  if (exponent < -4 || exponent >= 16) {
    std::string mantissa = digits.substr(0, 1);
    if (digits.size() > 1) mantissa += "." + digits.substr(1);
    std::string exp_text = std::to_string(std::abs(exponent));
    if (exp_text.size() < 2) exp_text.insert(0, "0");
    return sign + mantissa + (exponent < 0 ? "e-" : "e+") + exp_text;
  }
  std::string integer, fraction;
  if (exponent < 0) {
    integer = "0";
    fraction = std::string(static_cast<std::size_t>(-exponent - 1), '0') + digits;
  } else {
    const auto point = static_cast<std::size_t>(exponent + 1);
    if (digits.size() <= point) {
      integer = digits + std::string(point - digits.size(), '0');
    } else {
      integer = digits.substr(0, point);
      fraction = digits.substr(point);
    }
  }
  return sign + integer + "." + (fraction.empty() ? "0" : fraction);
}

}  // namespace ksave
