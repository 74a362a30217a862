// Every plugin this build tree makes is found beside libksave and loads, registering something:
// the suites rely on them being there (a missing one fails them, it never makes them skip).
#define BOOST_TEST_MODULE plugins_of_the_tree
#include <boost/test/unit_test.hpp>

#include "ksave/plugin_loader.hpp"
#include "ksave/registry.hpp"
#include "support/in_tree_plugins.hpp"

BOOST_AUTO_TEST_CASE(every_plugin_of_the_build_tree_loads) {
  const auto names = ksave::test::in_tree_plugins();
  BOOST_TEST_MESSAGE(names.size() << " plugins in the tree");
  BOOST_TEST(names.size() >= 30u);  // the tree's layer, object and format families
  for (const std::string& problem : ksave::test::in_tree_plugins_not_loaded()) BOOST_ERROR(problem);
  for (const ksave::PluginRecord& record : ksave::Registry::global().plugins().records())
    if (record.loaded) BOOST_TEST(!record.registered.empty(), record.name << " registered nothing");
}
