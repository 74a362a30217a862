// Crash-safe saving without killing anything: the SaveLock's leftover rules, leftovers of a dead
// writer removed by the next save, folders replaced whole, failed writers leaving the previous
// version, threads saving to one path, and the checkpoint states a kill can leave mid-publish.
#define BOOST_TEST_MODULE reliability_durable_saves
#include <boost/test/unit_test.hpp>

#include <fstream>
#include <thread>

#include "ksave/durable_files.hpp"
#include "ksave/ksave.hpp"
#include "ksave/tf/bundle.hpp"
#include "support/test_data.hpp"
#include "versioned_model.hpp"

namespace fs = std::filesystem;
using namespace ksave;
using namespace ksave::reliability;

namespace {

void touch(const fs::path& file, const std::string& text = "x") { std::ofstream(file) << text; }

std::vector<std::string> entries(const fs::path& folder) {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(folder)) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

void save(const std::string& kind, const Version& version, const fs::path& target) {
  save_version(save_kind(kind), *versioned_model(version), target);
}

int held(const std::string& kind, const fs::path& target, std::vector<Version> candidates) {
  return loaded_version(save_kind(kind), target, candidates);
}

}  // namespace

BOOST_AUTO_TEST_CASE(leftover_names_are_only_those_writers_make) {
  BOOST_TEST(is_leftover_of(".model.h5.tmp-123-4", "model.h5"));
  BOOST_TEST(is_leftover_of(".ckpt.tmp-123-4.index", "ckpt"));
  BOOST_TEST(is_leftover_of(".ckpt.tmp-123-4.data-00000-of-00002", "ckpt"));
  BOOST_TEST(is_leftover_of(".model.tmp-123-4-old", "model"));
  BOOST_TEST(is_leftover_of(".m.keras.tmp-1-2.aB3xY9", "m.keras"));        // libzip's own temporary
  BOOST_TEST(is_leftover_of(".model.tmp-2881927391", "model"));            // ksave before the lock
  BOOST_TEST(is_leftover_of(".model.old-2881927391", "model"));
  BOOST_TEST(!is_leftover_of(".model.h5.lock", "model.h5"));               // a live writer's lock
  BOOST_TEST(!is_leftover_of(".model.h5.tmp-notes", "model.h5"));          // a user's file
  BOOST_TEST(!is_leftover_of(".ckpt.prev.index", "ckpt"));                 // possibly what readers read
  BOOST_TEST(!is_leftover_of(".a.tmp-5-7.x.tmp-1-2", "a"));                // another target's temporary
  BOOST_TEST(!is_leftover_of(".a.tmp-5-7.index.lock", "a"));
  BOOST_TEST(!is_leftover_of("model.h5", "model.h5"));
}

BOOST_AUTO_TEST_CASE(the_next_save_removes_what_a_dead_writer_left) {
  const fs::path folder = test::scratch_dir("durable_leftovers");
  const fs::path target = folder / "model.h5";
  save("h5", {0, 1}, target);
  touch(folder / ".model.h5.tmp-999999-1");
  fs::create_directories(folder / ".model.h5.tmp-999999-2" / "variables");  // a folder too
  touch(folder / ".model.h5.lock", "999999\n");                            // its lock, no longer held
  touch(folder / ".model.h5.tmp-notes");                                   // not ours: stays
  save("h5", {1, 1}, target);
  BOOST_TEST(entries(folder) == (std::vector<std::string>{".model.h5.tmp-notes", "model.h5"}), boost::test_tools::per_element());
  BOOST_TEST(held("h5", target, {{0, 1}, {1, 1}}) == 1);
}

BOOST_AUTO_TEST_CASE(a_folder_is_replaced_whole) {
  const fs::path folder = test::scratch_dir("durable_folder");
  const fs::path target = folder / "model";
  save("savedmodel", {0, 1}, target);
  touch(target / "only_in_the_old_version");
  save("savedmodel", {1, 1}, target);
  BOOST_TEST(!fs::exists(target / "only_in_the_old_version"));
  BOOST_TEST(held("savedmodel", target, {{0, 1}, {1, 1}}) == 1);
  BOOST_TEST(entries(folder) == std::vector<std::string>{"model"}, boost::test_tools::per_element());
  // A file is not saved where a folder is, nor a folder where a file is: what is there stays.
  BOOST_CHECK_THROW(save("h5", {0, 1}, target), Error);
  BOOST_TEST(held("savedmodel", target, {{0, 1}, {1, 1}}) == 1);
  const fs::path file = folder / "model.h5";
  save("h5", {0, 1}, file);
  BOOST_CHECK_THROW(save("savedmodel", {1, 1}, file), Error);
  BOOST_TEST(held("h5", file, {{0, 1}, {1, 1}}) == 0);
  BOOST_TEST(entries(folder) == (std::vector<std::string>{"model", "model.h5"}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(a_failed_writer_leaves_the_previous_version) {
  const fs::path folder = test::scratch_dir("durable_failed_writer");
  const fs::path target = folder / "model.h5";
  save("h5", {0, 1}, target);
  BOOST_CHECK_THROW(write_atomically(target,
                                     [](const fs::path& temporary) {
                                       touch(temporary, "half a file");
                                       throw Error("the writer gave up");
                                     }),
                    Error);
  BOOST_CHECK_THROW(write_atomically(target, [](const fs::path&) {}), Error);  // wrote nothing at all
  BOOST_TEST(held("h5", target, {{0, 1}, {1, 1}}) == 0);
  BOOST_TEST(entries(folder) == std::vector<std::string>{"model.h5"}, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(threads_saving_to_one_path_never_mix) {
  const fs::path folder = test::scratch_dir("durable_threads");
  for (const std::string kind : {"h5", "savedmodel", "tf-checkpoint"}) {
    const fs::path target = folder / kind / save_kind(kind).target;
    fs::create_directories(target.parent_path());
    std::vector<ModelPtr> models;
    for (int v = 0; v < 4; ++v) models.push_back(versioned_model({v, 1}));
    std::vector<std::thread> threads;
    std::vector<std::string> errors(models.size());
    for (std::size_t v = 0; v < models.size(); ++v)
      threads.emplace_back([&, v] {
        try {
          save_version(save_kind(kind), *models[v], target);
        } catch (const std::exception& e) {
          errors[v] = e.what();
        }
      });
    for (auto& t : threads) t.join();
    for (const auto& e : errors) BOOST_TEST(e == "");
    const int version = held(kind, target, {{0, 1}, {1, 1}, {2, 1}, {3, 1}});
    BOOST_TEST_MESSAGE(kind << ": the last of 4 concurrent saves was version " << version);
    BOOST_TEST(unexpected_entries(save_kind(kind), target.parent_path()).empty());
  }
}

// The states a kill can leave while a checkpoint replaces another under the same prefix (see
// tf_common/src/bundle_publish.hpp), made by hand from two complete checkpoints.
BOOST_AUTO_TEST_CASE(an_interrupted_checkpoint_publish_reads_as_the_old_or_the_new_version) {
  const fs::path folder = test::scratch_dir("durable_checkpoint");
  const fs::path other = test::scratch_dir("durable_checkpoint_new");
  const fs::path prefix = folder / "ckpt";
  save("tf-checkpoint", {0, 1}, prefix);
  save("tf-checkpoint", {1, 1}, other / "ckpt");
  const std::vector<Version> both = {{0, 1}, {1, 1}};
  const std::string data = ".data-00000-of-00001";
  // The backup made, then the new data renamed in: readers must get the old version whole.
  fs::create_hard_link(fs::path(prefix.string() + data), folder / (".ckpt.prev" + data));
  fs::create_hard_link(tf::index_path(prefix), folder / ".ckpt.prev.index");
  fs::rename(other / ("ckpt" + data), prefix.string() + data);
  BOOST_TEST(held("tf-checkpoint", prefix, both) == 0);
  // Then the new index: the new version.
  fs::path saved_new_index = other / "saved.index";
  fs::copy_file(other / "ckpt.index", saved_new_index);
  fs::rename(other / "ckpt.index", tf::index_path(prefix));
  BOOST_TEST(held("tf-checkpoint", prefix, both) == 1);

  // Back to the mid-swap state; the next save (of version 0 again) puts the old data back at the
  // prefix first, and leaves no backup.
  fs::copy_file(folder / ".ckpt.prev.index", tf::index_path(prefix), fs::copy_options::overwrite_existing);
  BOOST_TEST(held("tf-checkpoint", prefix, both) == 0);
  save("tf-checkpoint", {1, 1}, prefix);
  BOOST_TEST(held("tf-checkpoint", prefix, both) == 1);
  BOOST_TEST(unexpected_entries(save_kind("tf-checkpoint"), folder).empty());
}

BOOST_AUTO_TEST_CASE(shards_of_an_older_shard_count_are_removed) {
  const fs::path folder = test::scratch_dir("durable_checkpoint_shards");
  const fs::path prefix = folder / "ckpt";
  {
    tf::BundleWriter writer(prefix, 2);
    writer.add("a", Tensor::scalar<float>(1), 0);
    writer.add("b", Tensor::scalar<float>(2), 1);
    writer.finish();
  }
  BOOST_TEST(fs::exists(tf::shard_path(prefix, 1, 2)));
  {
    tf::BundleWriter writer(prefix, 1);
    writer.add("a", Tensor::scalar<float>(3));
    writer.finish();
  }
  BOOST_TEST(entries(folder) == (std::vector<std::string>{"ckpt.data-00000-of-00001", "ckpt.index"}),
             boost::test_tools::per_element());
  BOOST_TEST(tf::BundleReader(prefix).read("a").data<float>()[0] == 3.0f);
}
