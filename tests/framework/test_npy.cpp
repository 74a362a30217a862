// read_npy and write_npy: round trips of every dtype, the NumPy-written files of the real
// fixtures, big-endian and Fortran-order files built here byte by byte, damaged files (each must
// fail with a ksave::Error naming the file) and failed writes (the old file must survive).
#define BOOST_TEST_MODULE npy
#include <sys/resource.h>

#include <algorithm>
#include <bit>
#include <csignal>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "ksave/error.hpp"
#include "ksave/json.hpp"
#include "ksave/npy.hpp"
#include "support/test_data.hpp"

namespace fs = std::filesystem;
using ksave::DType;
using ksave::Shape;
using ksave::Tensor;

namespace {

constexpr bool kHostBigEndian = std::endian::native == std::endian::big;

// A fresh folder per test case, removed afterwards.
struct Scratch {
  fs::path dir = ksave::test::scratch_dir("npy");
  ~Scratch() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
  fs::path put(const std::string& name, const std::string& bytes) const {
    fs::path p = dir / name;
    std::ofstream(p, std::ios::binary) << bytes;
    return p;
  }
};

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// A .npy file laid out as the format description says, built independently of write_npy so the
// reader is checked against the format rather than against our own writer.
std::string npy_file(const std::string& dict, const std::string& data, int major = 1) {
  const std::size_t prefix = major == 1 ? 10 : 12;
  std::size_t len = dict.size() + 1;
  len += (64 - (prefix + len) % 64) % 64;
  std::string out = "\x93NUMPY";
  out += static_cast<char>(major);
  out += '\0';
  for (std::size_t i = 0; i < prefix - 8; ++i) out += static_cast<char>((len >> (8 * i)) & 0xff);
  out += dict;
  out.append(len - 1 - dict.size(), ' ');
  out += '\n';
  return out + data;
}

std::string dict(const std::string& descr, const std::string& shape, bool fortran = false) {
  return "{'descr': '" + descr + "', 'fortran_order': " + (fortran ? "True" : "False") +
         ", 'shape': " + shape + ", }";
}

// The bytes of `values` in the given byte order.
template <typename T>
std::string bytes_of(const std::vector<T>& values, bool big_endian = false) {
  std::string out;
  for (const T& v : values) {
    char b[sizeof(T)];
    std::memcpy(b, &v, sizeof(T));
    if (big_endian != kHostBigEndian) std::reverse(b, b + sizeof(T));
    out.append(b, sizeof(T));
  }
  return out;
}

bool same_tensor(const Tensor& a, const Tensor& b) {
  return a.dtype() == b.dtype() && a.shape() == b.shape() &&
         std::memcmp(a.raw_data(), b.raw_data(), a.nbytes()) == 0;
}

// Reading `file` must throw ksave::Error naming the file and containing `fragment`.
void check_read_fails(const fs::path& file, const std::string& fragment) {
  try {
    ksave::read_npy(file);
    BOOST_ERROR(file.filename() << " was read without error; expected \"" << fragment << "\"");
  } catch (const ksave::Error& e) {
    const std::string message = e.what();
    BOOST_TEST_MESSAGE(message);
    BOOST_CHECK_MESSAGE(message.find(file.string()) != std::string::npos,
                        "message does not name the file: " << message);
    BOOST_CHECK_MESSAGE(message.find(fragment) != std::string::npos,
                        "message lacks \"" << fragment << "\": " << message);
  } catch (const std::exception& e) {
    BOOST_ERROR(file.filename() << " failed with an exception other than ksave::Error: " << e.what());
  }
}

// Every element type a .npy file can hold.
const DType kNumericDTypes[] = {DType::Float16, DType::Float32, DType::Float64, DType::Int8,
                                DType::Int16,   DType::Int32,   DType::Int64,   DType::UInt8,
                                DType::UInt16,  DType::UInt32,  DType::UInt64,  DType::Bool};

// A tensor whose bytes follow a pattern (any bit pattern is a valid value, bools aside).
Tensor patterned(DType dtype, const Shape& shape) {
  Tensor t(dtype, shape);
  auto* p = static_cast<unsigned char*>(t.raw_data());
  for (std::size_t i = 0; i < t.nbytes(); ++i)
    p[i] = dtype == DType::Bool ? (i % 3 == 0) : static_cast<unsigned char>(i * 37 + 11);
  return t;
}

}  // namespace

BOOST_AUTO_TEST_CASE(round_trip_every_dtype_and_shape) {
  Scratch scratch;
  const Shape shapes[] = {{}, {0}, {5}, {3, 0, 2}, {2, 3, 4}};
  for (DType dtype : kNumericDTypes) {
    for (const Shape& shape : shapes) {
      BOOST_TEST_CONTEXT(ksave::dtype_name(dtype) << " " << ksave::shape_to_string(shape)) {
        const fs::path file = scratch.dir / "t.npy";
        const Tensor t = patterned(dtype, shape);
        ksave::write_npy(file, t);
        BOOST_CHECK(same_tensor(ksave::read_npy(file), t));
        // The data starts on a 64-byte boundary, as np.save aligns it.
        BOOST_CHECK_EQUAL((fs::file_size(file) - t.nbytes()) % 64, 0u);
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(writes_the_bytes_numpy_writes) {
  Scratch scratch;
  const std::vector<float> values = {0, 1, 2, 3, 4, 5};
  ksave::write_npy(scratch.dir / "a.npy", Tensor::from_vector(values, {2, 3}));
  BOOST_CHECK(slurp(scratch.dir / "a.npy") == npy_file(dict("<f4", "(2, 3)"), bytes_of(values)));

  const std::vector<std::uint8_t> bytes = {7, 8};
  ksave::write_npy(scratch.dir / "b.npy", Tensor::from_vector(bytes, {2}));
  BOOST_CHECK(slurp(scratch.dir / "b.npy") == npy_file(dict("|u1", "(2,)"), bytes_of(bytes)));

  // Overwriting replaces the content and leaves no temporary file behind.
  ksave::write_npy(scratch.dir / "a.npy", Tensor::scalar(2.5));
  BOOST_CHECK(slurp(scratch.dir / "a.npy") == npy_file(dict("<f8", "()"), bytes_of<double>({2.5})));
  BOOST_CHECK_EQUAL(std::distance(fs::directory_iterator(scratch.dir), fs::directory_iterator()), 2);
}

BOOST_AUTO_TEST_CASE(reads_big_endian_files) {
  Scratch scratch;
  const Tensor i4 = ksave::read_npy(scratch.put(
      "i4.npy", npy_file(dict(">i4", "(3,)"), bytes_of<std::int32_t>({1, -2, 0x01020304}, true))));
  BOOST_CHECK(i4.to_vector<std::int32_t>() == (std::vector<std::int32_t>{1, -2, 0x01020304}));

  const Tensor f8 = ksave::read_npy(
      scratch.put("f8.npy", npy_file(dict(">f8", "(2,)"), bytes_of<double>({1.5, -0.25}, true))));
  BOOST_CHECK(f8.to_vector<double>() == (std::vector<double>{1.5, -0.25}));

  const Tensor u2 = ksave::read_npy(scratch.put(
      "u2.npy", npy_file(dict(">u2", "(1, 2)"), bytes_of<std::uint16_t>({0xabcd, 1}, true))));
  BOOST_CHECK(u2.shape() == (Shape{1, 2}));
  BOOST_CHECK(u2.to_vector<std::uint16_t>() == (std::vector<std::uint16_t>{0xabcd, 1}));

  // float16 keeps its raw bits: 1.0 and -2.0.
  const Tensor f2 = ksave::read_npy(scratch.put(
      "f2.npy", npy_file(dict(">f2", "(2,)"), bytes_of<std::uint16_t>({0x3c00, 0xc000}, true))));
  BOOST_CHECK(f2.dtype() == DType::Float16);
  const auto* bits = static_cast<const std::uint16_t*>(f2.raw_data());
  BOOST_CHECK_EQUAL(bits[0], 0x3c00);
  BOOST_CHECK_EQUAL(bits[1], 0xc000);

  const Tensor i8 = ksave::read_npy(
      scratch.put("i8.npy", npy_file(dict(">i8", "()"), bytes_of<std::int64_t>({-1000}, true))));
  BOOST_CHECK(i8.shape().empty());
  BOOST_CHECK_EQUAL(i8.to_vector<std::int64_t>().at(0), -1000);
}

BOOST_AUTO_TEST_CASE(reads_fortran_order_files) {
  Scratch scratch;
  // a[i][j] = 10 i + j stored column by column.
  const Tensor two = ksave::read_npy(scratch.put(
      "f2d.npy", npy_file(dict("<i4", "(2, 3)", true), bytes_of<std::int32_t>({0, 10, 1, 11, 2, 12}))));
  BOOST_CHECK(two.shape() == (Shape{2, 3}));
  BOOST_CHECK(two.to_vector<std::int32_t>() == (std::vector<std::int32_t>{0, 1, 2, 10, 11, 12}));

  // a[i][j][k] = 100 i + 10 j + k, big-endian float64, first axis fastest in the file.
  std::vector<double> column_major;
  for (int k = 0; k < 4; ++k)
    for (int j = 0; j < 3; ++j)
      for (int i = 0; i < 2; ++i) column_major.push_back(100 * i + 10 * j + k);
  const Tensor three = ksave::read_npy(
      scratch.put("f3d.npy", npy_file(dict(">f8", "(2, 3, 4)", true), bytes_of(column_major, true))));
  BOOST_REQUIRE(three.shape() == (Shape{2, 3, 4}));
  const std::vector<double> c_order = three.to_vector<double>();
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 3; ++j)
      for (int k = 0; k < 4; ++k) BOOST_CHECK_EQUAL(c_order[(i * 3 + j) * 4 + k], 100 * i + 10 * j + k);

  const Tensor one = ksave::read_npy(
      scratch.put("f1d.npy", npy_file(dict("<i2", "(3,)", true), bytes_of<std::int16_t>({4, 5, 6}))));
  BOOST_CHECK(one.to_vector<std::int16_t>() == (std::vector<std::int16_t>{4, 5, 6}));
}

// NumPy's fixed-width strings: bytes ('S') and UCS-4 text ('U', either byte order), NUL-padded,
// in C or Fortran order; written back as the 'S' array np.save writes for bytes objects.
BOOST_AUTO_TEST_CASE(reads_and_writes_string_arrays) {
  Scratch scratch;
  const Tensor bytes = ksave::read_npy(scratch.put("s.npy", npy_file(dict("|S3", "(2, 2)"), std::string("ab\0xyzc\0\0\0\0\0", 12))));
  BOOST_CHECK(bytes.dtype() == DType::String);
  BOOST_CHECK(bytes.shape() == (Shape{2, 2}));
  BOOST_CHECK(bytes.string_values() == (std::vector<std::string>{"ab", "xyz", "c", ""}));

  const Tensor fortran = ksave::read_npy(scratch.put("sf.npy", npy_file(dict("|S1", "(2, 2)", true), "acbd")));
  BOOST_CHECK(fortran.string_values() == (std::vector<std::string>{"a", "b", "c", "d"}));

  // "é" (U+00E9) and "€" (U+20AC) become their UTF-8 bytes.
  auto ucs4 = [](const std::vector<std::uint32_t>& code_points, bool big_endian) {
    std::string out;
    for (std::uint32_t c : code_points)
      for (int b = 0; b < 4; ++b) out += static_cast<char>((c >> (8 * (big_endian ? 3 - b : b))) & 0xff);
    return out;
  };
  for (bool big_endian : {false, true}) {
    const Tensor text = ksave::read_npy(scratch.put(
        "u.npy", npy_file(dict(big_endian ? ">U2" : "<U2", "(2,)"), ucs4({0xe9, 'a', 0x20ac, 0}, big_endian))));
    BOOST_CHECK(text.string_values() == (std::vector<std::string>{"\xc3\xa9" "a", "\xe2\x82\xac"}));
  }

  ksave::write_npy(scratch.dir / "w.npy", Tensor::strings({"hash", "", "me"}, {3}));
  BOOST_CHECK(slurp(scratch.dir / "w.npy") == npy_file(dict("|S4", "(3,)"), std::string("hash\0\0\0\0me\0\0", 12)));
  BOOST_CHECK(ksave::read_npy(scratch.dir / "w.npy").string_values() == (std::vector<std::string>{"hash", "", "me"}));
  ksave::write_npy(scratch.dir / "empty.npy", Tensor::strings({}, {0}));
  BOOST_CHECK(slurp(scratch.dir / "empty.npy") == npy_file(dict("|S1", "(0,)"), ""));
}

BOOST_AUTO_TEST_CASE(reads_other_versions_and_header_spellings) {
  Scratch scratch;
  const std::string data = bytes_of<float>({1, 2});
  for (int major : {2, 3}) {
    const std::string name = std::to_string(major) + "_0.npy";
    const Tensor t = ksave::read_npy(scratch.put(name, npy_file(dict("<f4", "(2,)"), data, major)));
    BOOST_CHECK(t.to_vector<float>() == (std::vector<float>{1, 2}));
  }
  // Key order is free, Python 2 wrote longs as 3L, and any non-zero byte is True.
  const Tensor b = ksave::read_npy(scratch.put(
      "b1.npy", npy_file("{\"shape\": (3L,), \"fortran_order\": False, \"descr\": \"|b1\"}", std::string("\x00\x01\x02", 3))));
  BOOST_CHECK(b.to_vector<bool>() == (std::vector<bool>{false, true, true}));
  // np.load ignores bytes after the data.
  const Tensor extra = ksave::read_npy(scratch.put("extra.npy", npy_file(dict("<f4", "(1,)"), data)));
  BOOST_CHECK(extra.to_vector<float>() == (std::vector<float>{1}));
}

BOOST_AUTO_TEST_CASE(damaged_files_fail_naming_the_file) {
  Scratch scratch;
  const std::string f4x2x3 = bytes_of<float>({1, 2, 3, 4, 5, 6});
  const std::string good = npy_file(dict("<f4", "(2, 3)"), f4x2x3);
  struct Bad {
    std::string name, bytes, fragment;
  };
  std::string long_header = good.substr(0, 40);  // says 118 header bytes, holds 30
  std::string deep = "{'descr': " + std::string(5000, '(') + "}";
  const Bad cases[] = {
      {"magic.npy", "\x93NUMPZ" + good.substr(6), "magic"},
      {"empty.npy", "", "truncated preamble"},
      {"short_header.npy", long_header, "needs 128 bytes, found 40"},
      {"short_data.npy", good.substr(0, good.size() - 4), "needs 24 bytes after the header, found 20"},
      {"huge_f4.npy", npy_file(dict("<f4", "(4611686018427387904,)"), f4x2x3), "more than 2^64 bytes, found 24"},
      {"huge_u1.npy", npy_file(dict("|u1", "(4611686018427387904,)"), ""), "needs 4611686018427387904 bytes"},
      {"overflow.npy", npy_file(dict("<f4", "(1099511627776, 1099511627776, 0)"), ""), "more than 2^63 elements"},
      {"object.npy", npy_file(dict("|O", "(2,)"), std::string(16, '\0')), "object arrays"},
      {"structured.npy", npy_file("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (2,), }", f4x2x3),
       "structured"},
      {"complex.npy", npy_file(dict("<c8", "(1,)"), f4x2x3), "unsupported dtype descr '<c8'"},
      {"code_point.npy", npy_file(dict("<U1", "(1,)"), std::string(4, '\xff')), "not a Unicode code point"},
      {"no_width.npy", npy_file(dict("|S0", "(1,)"), f4x2x3), "unsupported dtype descr '|S0'"},
      {"short_strings.npy", npy_file(dict("|S5", "(5,)"), f4x2x3), "needs 25 bytes after the header, found 24"},
      {"version.npy", "\x93NUMPY\x04" + good.substr(7), "version 4.0"},
      {"garbage.npy", npy_file("hello", f4x2x3), "malformed header"},
      {"deep.npy", npy_file(deep, ""), "nesting too deep"},
      {"unterminated.npy", npy_file("{'descr: '<f4'}", ""), "malformed header"},
      {"missing.npy", npy_file("{'descr': '<f4', 'fortran_order': False}", f4x2x3), "lacks 'shape'"},
      {"extra_key.npy", npy_file("{'descr': '<f4', 'fortran_order': False, 'shape': (), 'x': 1}", f4x2x3),
       "unexpected key 'x'"},
      {"negative.npy", npy_file(dict("<f4", "(-1,)"), f4x2x3), "non-negative"},
      {"not_tuple.npy", npy_file(dict("<f4", "(6)"), f4x2x3), "'shape' is not a tuple"},
      {"big_int.npy", npy_file(dict("<f4", "(99999999999999999999,)"), f4x2x3), "integer too large"},
      {"fortran_flag.npy", npy_file("{'descr': '<f4', 'fortran_order': 0, 'shape': (6,), }", f4x2x3),
       "'fortran_order' is not True or False"},
  };
  for (const Bad& bad : cases) {
    BOOST_TEST_CONTEXT(bad.name) { check_read_fails(scratch.put(bad.name, bad.bytes), bad.fragment); }
  }
  check_read_fails(scratch.dir / "absent.npy", "cannot open");
  fs::create_directory(scratch.dir / "folder.npy");
  check_read_fails(scratch.dir / "folder.npy", "not a regular file");
}

BOOST_AUTO_TEST_CASE(every_truncation_fails_cleanly) {
  Scratch scratch;
  const std::string good = npy_file(dict(">f8", "(2, 2)", true), bytes_of<double>({1, 2, 3, 4}, true));
  for (std::size_t n = 0; n < good.size(); ++n) {
    const fs::path file = scratch.put("cut.npy", good.substr(0, n));
    BOOST_CHECK_THROW(ksave::read_npy(file), ksave::Error);
  }
  // Single corrupted header bytes: each either reads or fails with ksave::Error, never worse.
  for (std::size_t i = 8; i < 10 + 60; ++i) {
    std::string bent = good;
    bent[i] = static_cast<char>(bent[i] ^ 0x5a);
    try {
      ksave::read_npy(scratch.put("bent.npy", bent));
    } catch (const ksave::Error&) {
    }
  }
}

BOOST_AUTO_TEST_CASE(write_failures_leave_the_old_file) {
  Scratch scratch;
  const fs::path target = scratch.dir / "keep.npy";
  ksave::write_npy(target, Tensor::from_vector<float>({1, 2, 3}, {3}));
  const std::string before = slurp(target);
  auto only_target_left = [&] {
    return slurp(target) == before &&
           std::distance(fs::directory_iterator(scratch.dir), fs::directory_iterator()) == 1;
  };

  // Into a folder that does not exist.
  const fs::path nowhere = scratch.dir / "missing" / "x.npy";
  BOOST_CHECK_EXCEPTION(ksave::write_npy(nowhere, Tensor::scalar(1.0f)), ksave::Error,
                        [&](const ksave::Error& e) { return std::string(e.what()).find(nowhere.string()) != std::string::npos; });
  BOOST_CHECK(!fs::exists(nowhere.parent_path()));

  // A tensor with nothing to write: refused before anything is written.
  BOOST_CHECK_THROW(ksave::write_npy(target, Tensor()), ksave::Error);
  BOOST_CHECK(only_target_left());

  // Failing halfway: the file size limit stops the data (as a full disk would).
  {
    rlimit old{};
    BOOST_REQUIRE_EQUAL(getrlimit(RLIMIT_FSIZE, &old), 0);
    auto old_handler = std::signal(SIGXFSZ, SIG_IGN);  // report EFBIG instead of killing us
    rlimit small = old;
    small.rlim_cur = 4096;
    BOOST_REQUIRE_EQUAL(setrlimit(RLIMIT_FSIZE, &small), 0);
    BOOST_CHECK_EXCEPTION(ksave::write_npy(target, Tensor::zeros(DType::Float32, {100000})), ksave::Error,
                          [&](const ksave::Error& e) {
                            BOOST_TEST_MESSAGE(e.what());
                            return std::string(e.what()).find(target.string()) != std::string::npos;
                          });
    setrlimit(RLIMIT_FSIZE, &old);
    std::signal(SIGXFSZ, old_handler);
  }
  BOOST_CHECK(only_target_left());

  // The final rename fails: the target is a folder. The folder stays, the temporary goes.
  const fs::path folder = scratch.dir / "folder.npy";
  fs::create_directory(folder);
  std::ofstream(folder / "inside") << "x";
  BOOST_CHECK_THROW(ksave::write_npy(folder, Tensor::scalar(1.0f)), ksave::Error);
  BOOST_CHECK(fs::is_directory(folder) && fs::exists(folder / "inside"));
  fs::remove_all(folder);
  BOOST_CHECK(only_target_left());
}

// Every .npy of the real fixtures (written by NumPy) is read with the shape and dtype that its
// expected.json lists, and written back byte for byte.
BOOST_AUTO_TEST_CASE(reads_the_real_fixtures) {
  auto dir = ksave::test::real_fixtures();
  KSAVE_REQUIRE_DATA(dir, "real fixtures");
  Scratch scratch;
  int listed = 0;
  for (const auto& case_dir : fs::directory_iterator(*dir)) {
    const fs::path expected = case_dir.path() / "expected";
    if (!fs::is_regular_file(expected / "expected.json")) continue;
    const ksave::Json info = ksave::Json::parse(slurp(expected / "expected.json"));
    for (const char* group : {"inputs", "outputs", "extra"}) {
      for (const ksave::Json& entry : info.value(group, ksave::Json::array())) {
        const fs::path file = expected / entry.at("file").get<std::string>();
        BOOST_TEST_CONTEXT(file) {
          const Tensor t = ksave::read_npy(file);
          BOOST_CHECK(t.shape() == entry.at("shape").get<Shape>());
          BOOST_CHECK_EQUAL(ksave::dtype_name(t.dtype()), entry.at("dtype").get<std::string>());
          ksave::write_npy(scratch.dir / "copy.npy", t);
          BOOST_CHECK_MESSAGE(slurp(scratch.dir / "copy.npy") == slurp(file), "rewritten bytes differ");
          ++listed;
        }
      }
    }
  }
  BOOST_TEST_MESSAGE(listed << " listed fixture arrays read");
  BOOST_CHECK_GT(listed, 50);

  // Files outside expected/ too (an older NumPy's header, float64).
  int all = 0;
  for (const auto& entry : fs::recursive_directory_iterator(*dir)) {
    if (entry.path().extension() != ".npy") continue;
    BOOST_CHECK_NO_THROW(ksave::read_npy(entry.path()));
    ++all;
  }
  BOOST_CHECK_GE(all, listed);
}

BOOST_AUTO_TEST_CASE(real_fixture_values) {
  auto dir = ksave::test::real_fixtures();
  KSAVE_REQUIRE_DATA(dir, "real fixtures");
  // half_plus_two: y = 0.5 x + 2 with the variables a = 0.5, b = 2, c = 3 (its README).
  const fs::path hp2 = *dir / "tfserving_tf1_savedmodel_half_plus_two" / "expected";
  const auto x = ksave::read_npy(hp2 / "input_0.npy").to_vector<float>();
  const auto y = ksave::read_npy(hp2 / "output_0.npy").to_vector<float>();
  BOOST_CHECK(x == (std::vector<float>{2, 20, 80, -1}));
  BOOST_REQUIRE_EQUAL(y.size(), x.size());
  for (std::size_t i = 0; i < x.size(); ++i) BOOST_CHECK_EQUAL(y[i], 0.5f * x[i] + 2);
  BOOST_CHECK_EQUAL(ksave::read_npy(hp2 / "var_a.npy").to_vector<float>().at(0), 0.5f);
  BOOST_CHECK_EQUAL(ksave::read_npy(hp2 / "var_c.npy").to_vector<float>().at(0), 3.0f);

  // An int64 scalar: the Estimator checkpoint was saved at step 1000.
  const Tensor step = ksave::read_npy(*dir / "tfx_tf1_estimator_ckpt" / "expected" / "var_global_step.npy");
  BOOST_CHECK(step.dtype() == DType::Int64 && step.shape().empty());
  BOOST_CHECK_EQUAL(step.to_vector<std::int64_t>().at(0), 1000);

  // The repository's own float64 input.npy, rounded to float32, is expected/input_0.npy; its
  // predictions.npy is expected/output_0.npy unchanged.
  const fs::path cnn = *dir / "dl4j_keras213_cnn_batchnorm_npy_io";
  const Tensor input64 = ksave::read_npy(cnn / "input.npy");
  const Tensor input32 = ksave::read_npy(cnn / "expected" / "input_0.npy");
  BOOST_REQUIRE(input64.dtype() == DType::Float64 && input64.shape() == input32.shape());
  const auto wide = input64.to_vector<double>();
  const auto narrow = input32.to_vector<float>();
  for (std::size_t i = 0; i < wide.size(); ++i) BOOST_CHECK_EQUAL(static_cast<float>(wide[i]), narrow[i]);
  BOOST_CHECK(same_tensor(ksave::read_npy(cnn / "predictions.npy"), ksave::read_npy(cnn / "expected" / "output_0.npy")));
}
