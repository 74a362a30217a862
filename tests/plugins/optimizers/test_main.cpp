// The optimizer plugins' suite: oracle replays (test_oracle_replay), update rules computed by hand
// (test_update_rules), configs (test_configs), state and names (test_state).
#define BOOST_TEST_MODULE test_plugin_optimizers
#include <boost/test/unit_test.hpp>
