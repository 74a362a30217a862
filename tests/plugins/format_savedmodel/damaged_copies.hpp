// Helpers of the bad-input suites: writable copies of fixture SavedModels to damage, byte
// edits, bundle rewrites, and the error a load gives.
#pragma once

#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <string>

#include <boost/test/unit_test.hpp>

#include "ksave/saving.hpp"
#include "ksave/tf/bundle.hpp"
#include "savedmodel_fixtures.hpp"
#include "support/test_data.hpp"

namespace ksave::test::savedmodel {

// <scratch>/<scratch_name>/<folder>: a writable copy of the fixture's SavedModel (the shared
// fixtures are read-only, and copies keep the permissions).
inline std::filesystem::path copy_fixture(const std::filesystem::path& real, const std::string& case_name,
                                          const std::string& folder, const std::string& scratch_name) {
  namespace fs = std::filesystem;
  const fs::path target = test::scratch_dir(scratch_name) / folder;
  fs::copy(fixture_folder(real, case_name, folder), target, fs::copy_options::recursive);
  for (const auto& entry : fs::recursive_directory_iterator(target))
    fs::permissions(entry.path(), fs::perms::owner_write, fs::perm_options::add);
  fs::permissions(target, fs::perms::owner_write, fs::perm_options::add);
  return target;
}

inline void write_bytes(const std::filesystem::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << bytes;
  BOOST_TEST_REQUIRE(out.good(), "cannot write " << path);
}

inline std::string read_bytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// The message of loading `folder` with the named format, or "" when it loads.
inline std::string load_error(const std::filesystem::path& folder, const std::string& format = "savedmodel") {
  try {
    get_format(format)->load_model(folder, {});
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

inline bool mentions(const std::string& message, const std::string& part) {
  BOOST_TEST_MESSAGE(message);
  return message.find(part) != std::string::npos;
}

// Rewrites the bundle at `prefix` (one shard): `add` gets every stored key and value in turn and
// writes what it wants to keep, changed or not.
using BundleEdit = std::function<void(tf::BundleWriter& writer, const std::string& key, const Tensor& value)>;
inline void rewrite_bundle(const std::filesystem::path& prefix, const BundleEdit& add) {
  namespace fs = std::filesystem;
  const fs::path rewritten = prefix.parent_path().parent_path() / "rewritten";
  {
    const tf::BundleReader original(prefix);
    tf::BundleWriter writer(rewritten);
    for (const auto& key : original.keys()) add(writer, key, original.read(key));
    writer.finish();
  }
  fs::rename(tf::index_path(rewritten), tf::index_path(prefix));
  fs::rename(tf::shard_path(rewritten, 0, 1), tf::shard_path(prefix, 0, 1));
}

}  // namespace ksave::test::savedmodel
