// Threads adapted to a busy machine (ksave/threads.hpp, set_adapt_threads_to_load): the rule on
// given samples, and the whole path on this machine with a busy child process per core beside
// the test (more load than that only makes the expected answer more certain, so a shared CI
// machine cannot turn it). The other suites run with adaptation off (tests/CMakeLists.txt).
#define BOOST_TEST_MODULE load_adaptation
#include <boost/test/unit_test.hpp>

#include <sched.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "ksave/ksave.hpp"
#include "ksave/threads.hpp"

using namespace ksave;

namespace {

// Child processes that each keep a core busy until the guard ends (or 60 s pass: a test killed
// before its guard ran leaves nothing behind for long).
class BusyProcesses {
 public:
  explicit BusyProcesses(int count) {
    for (int i = 0; i < count; ++i) {
      const pid_t pid = fork();
      BOOST_TEST_REQUIRE(pid >= 0);
      if (pid == 0) {
        alarm(60);
        for (;;) asm volatile("");  // a side effect the compiler keeps: the loop spins
      }
      pids_.push_back(pid);
    }
  }
  ~BusyProcesses() {
    for (pid_t pid : pids_) kill(pid, SIGKILL);
    for (pid_t pid : pids_) waitpid(pid, nullptr, 0);
  }

 private:
  std::vector<pid_t> pids_;
};

int cores() {
  cpu_set_t set;
  BOOST_TEST_REQUIRE(sched_getaffinity(0, sizeof set, &set) == 0);
  return CPU_COUNT(&set);
}

// Leaves the process's settings as it found them.
struct Settings {
  bool adapting = adapt_threads_to_load();
  Settings() { set_intra_op_parallelism_threads(2); }
  ~Settings() {
    set_adapt_threads_to_load(adapting);
    set_intra_op_parallelism_threads(0);
  }
};

Tensor ramp(Shape shape) {
  Tensor t(DType::Float32, std::move(shape));
  for (std::int64_t i = 0; i < t.size(); ++i) t.data<float>()[i] = static_cast<float>(i % 23) / 23.0f - 0.5f;
  return t;
}

}  // namespace

BOOST_AUTO_TEST_CASE(the_count_follows_idle_cores_once_two_samples_agree) {
  detail::IdleCoreRule rule(2);
  BOOST_TEST(rule.threads() == 2);
  BOOST_TEST(rule.update(0) == 2);
  BOOST_TEST(rule.update(2) == 2);  // one sample: a passing task, perhaps
  BOOST_TEST(rule.update(2) == 1);  // two in a row
  BOOST_TEST(rule.update(5) == 1);  // never below one
  BOOST_TEST(rule.update(0) == 1);
  BOOST_TEST(rule.update(1) == 1);  // the samples disagree: no change
  BOOST_TEST(rule.update(0) == 1);
  BOOST_TEST(rule.update(0) == 2);
  BOOST_TEST(rule.update(-3) == 2);  // a race of the two counts reads as none
  detail::IdleCoreRule eight(8);
  eight.update(3);
  BOOST_TEST(eight.update(3) == 5);
  eight.update(1);
  BOOST_TEST(eight.update(7) == 5);  // 1 then 7: neither held twice
  BOOST_TEST(eight.update(7) == 1);
}

// CTest runs this suite with KSAVE_ADAPT_THREADS=0 (as every suite) and without it.
BOOST_AUTO_TEST_CASE(on_unless_the_environment_says_0) {
  const char* env = std::getenv("KSAVE_ADAPT_THREADS");
  BOOST_TEST_MESSAGE("KSAVE_ADAPT_THREADS=" << (env ? env : "(unset)"));
  BOOST_TEST(adapt_threads_to_load() == !(env && std::string(env) == "0"));
}

BOOST_FIXTURE_TEST_CASE(a_busy_machine_gets_one_thread_and_the_same_predictions, Settings) {
  auto model = std::make_shared<Sequential>(std::vector<LayerPtr>{
      Input({28, 28, 1}).layer(), make_layer("Conv2D", {{"filters", 16}, {"kernel_size", {3, 3}}, {"activation", "relu"}}),
      make_layer("Flatten"), make_layer("Dense", {{"units", 10}})});
  const Tensor x = ramp({64, 28, 28, 1});
  const Tensor quiet = model->predict(x);

  set_adapt_threads_to_load(true);
  const BusyProcesses busy(cores());
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  int threads = inference_threads();
  while (threads > 1 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    threads = inference_threads();
  }
  BOOST_TEST(threads == 1);
  set_adapt_threads_to_load(false);
  BOOST_TEST(inference_threads() == 2);  // turned off: the set count, busy or not
  set_adapt_threads_to_load(true);
  // Its predictions: the primitives made for one thread, the same numbers within float rounding.
  const Tensor loaded = model->predict(x);
  BOOST_TEST_REQUIRE(loaded.shape() == quiet.shape());
  for (std::int64_t i = 0; i < quiet.size(); ++i)
    BOOST_TEST(loaded.data<float>()[i] == quiet.data<float>()[i], boost::test_tools::tolerance(1e-5f));
}
