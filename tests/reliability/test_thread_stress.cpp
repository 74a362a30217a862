// Threads: four threads predict with one model while a fifth loads models in every format and
// lists the plugins, over and over. Every prediction must equal the one made before the threads
// started, and every load must succeed. Built with -DKSAVE_TSAN=ON (ThreadSanitizer), the run
// must also give no report (ThreadSanitizer then fails the process).
#define BOOST_TEST_MODULE reliability_thread_stress
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <cstring>
#include <thread>

#include "ksave/ksave.hpp"
#include "support/test_data.hpp"
#include "versioned_model.hpp"

namespace fs = std::filesystem;
using namespace ksave;
using namespace ksave::reliability;

BOOST_AUTO_TEST_CASE(predicting_while_loading_every_format_and_listing_plugins) {
  const fs::path folder = test::scratch_dir("thread_stress");
  const ModelPtr model = versioned_model({0, 1});
  for (const SaveKind& kind : save_kinds()) {
    fs::create_directories(folder / kind.name);
    save_version(kind, *model, folder / kind.name / kind.target);
  }
  const Tensor input = Tensor::filled(DType::Float32, {8, 512}, 0.25);
  const Tensor expected = model->predict(input);

  std::atomic<bool> loading{true};
  std::atomic<int> predictions{0}, wrong{0}, loads{0};
  std::vector<std::string> load_errors;
  std::vector<std::thread> predictors;
  for (int t = 0; t < 4; ++t)
    predictors.emplace_back([&] {
      while (loading) {
        const Tensor got = model->predict(input);
        if (got.shape() != expected.shape() || std::memcmp(got.raw_data(), expected.raw_data(), expected.nbytes()) != 0) ++wrong;
        ++predictions;
      }
    });
  // Boost.Test's checks are not thread-safe: the threads count, the main thread checks.
  std::thread loader([&] {
    try {
      for (int round = 0; round < 3; ++round)
        for (const SaveKind& kind : save_kinds()) {
          loaded_version(kind, folder / kind.name / kind.target, {{0, 1}});  // throws unless version 0, whole
          if (Registry::global().plugins().records().empty() || Registry::global().entries(Kind::Layer).empty())
            throw Error("the plugin listing came back empty");
          ++loads;
        }
    } catch (const std::exception& e) {
      load_errors.push_back(e.what());
    }
    loading = false;
  });
  loader.join();
  for (auto& t : predictors) t.join();
  BOOST_TEST(load_errors.empty(), (load_errors.empty() ? "" : load_errors.front()));
  BOOST_TEST(loads.load() == 3 * static_cast<int>(save_kinds().size()));
  BOOST_TEST(wrong.load() == 0, wrong.load() << " of " << predictions.load() << " predictions differed");
  BOOST_TEST_MESSAGE(predictions.load() << " predictions during " << loads.load() << " loads");
}
