// The main of every Boost.Test program of the suite (they define BOOST_TEST_MODULE, which gives
// init_unit_test, and BOOST_TEST_NO_MAIN). It runs the tests as Boost.Test's own main does, then
// turns "nothing failed, but cases were skipped for missing data" into exit status 77, which
// CTest reports as skipped (SKIP_RETURN_CODE) rather than passed.
#include <boost/test/unit_test.hpp>

#include <iostream>

#include "support/test_data.hpp"

bool init_unit_test();

int main(int argc, char* argv[]) {
  const int status = boost::unit_test::unit_test_main(&init_unit_test, argc, argv);
  const auto& skipped = ksave::test::skipped_cases();
  if (status != 0 || skipped.empty()) return status;
  std::cout << skipped.size() << " test case(s) skipped for missing shared data:\n";
  for (const auto& s : skipped) std::cout << "  " << s << "\n";
  return 77;
}
