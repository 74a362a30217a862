// Numbers printed the way Python prints them, for the files Keras writes with Python's own
// formatting (CSVLogger rows, checkpoint paths): a C++ run's files then read exactly like a
// Python run's.
#pragma once

#include <string>

namespace ksave {

// Python's repr(float): the shortest digits that read back to the same double, in fixed notation
// for exponents -4 to 15 ("0.0001", "100.0") and scientific otherwise ("1e-05", "1.5e+16");
// "nan", "inf", "-inf".
std::string python_float_repr(double value);

}  // namespace ksave
