// CSVLogger with tf.keras 2.x's rules (keras/callbacks.py): columns fixed at the first epoch,
// sorted; val_ columns added when the first epoch has none; Python's csv.excel dialect.
#include <algorithm>
#include <cerrno>
#include <cstring>

#include "ksave/model.hpp"
#include "python_repr.hpp"

namespace ksave {
namespace {

bool starts_with(const std::string& s, const std::string& prefix) { return s.rfind(prefix, 0) == 0; }

// Python's csv QUOTE_MINIMAL: a field holding the separator, a quote or a line break is quoted,
// its quotes doubled.
std::string csv_field(const std::string& text, char separator) {
  if (text.find_first_of(std::string{separator, '"', '\r', '\n'}) == std::string::npos) return text;
  std::string quoted = "\"";
  for (char c : text) {
    if (c == '"') quoted += '"';
    quoted += c;
  }
  return quoted + "\"";
}

std::string errno_text() { return std::strerror(errno); }

}  // namespace

CSVLogger::CSVLogger(std::filesystem::path filename, char separator, bool append)
    : filename_(std::move(filename)), separator_(separator), append_(append) {
  if (filename_.empty()) throw UsageError("CSVLogger: empty filename");
  if (separator_ == '"' || separator_ == '\r' || separator_ == '\n' || separator_ == '\0')
    throw UsageError("CSVLogger: the separator cannot be a quote, a line break or NUL");
}

CSVLogger::~CSVLogger() {
  if (file_) std::fclose(file_);
}

void CSVLogger::on_train_begin(Model&) {
  if (file_) std::fclose(file_);
  write_header_ = true;
  if (append_) {
    // Keras writes the header only when the file is new or its first line is empty.
    if (std::FILE* existing = std::fopen(filename_.c_str(), "rb")) {
      const int first = std::fgetc(existing);
      write_header_ = first == EOF || first == '\n' || first == '\r';
      std::fclose(existing);
    }
  }
  file_ = std::fopen(filename_.c_str(), append_ ? "ab" : "wb");
  if (!file_)
    throw Error("CSVLogger: cannot open '" + filename_.string() + "' for writing: " + errno_text());
}

void CSVLogger::on_epoch_end(Model&, int epoch, const Logs& logs) {
  if (!file_) throw Error("CSVLogger '" + filename_.string() + "': on_epoch_end before on_train_begin");
  if (keys_.empty()) {
    for (const auto& [key, _] : logs) keys_.push_back(key);  // a std::map: sorted, as Python's sorted()
    const bool has_validation = std::any_of(keys_.begin(), keys_.end(), [](const auto& k) { return starts_with(k, "val_"); });
    // When validation runs less often than every epoch its keys are missing from the first
    // logs, so Keras adds them up front (and writes "NA" when there is no validation at all).
    if (!has_validation) {
      const std::size_t count = keys_.size();
      for (std::size_t i = 0; i < count; ++i) keys_.push_back("val_" + keys_[i]);
    }
  }
  if (write_header_) {
    std::vector<std::string> header{"epoch"};
    header.insert(header.end(), keys_.begin(), keys_.end());
    write_row(header);
    write_header_ = false;
  }
  std::vector<std::string> row{std::to_string(epoch)};
  for (const auto& key : keys_) {
    auto it = logs.find(key);
    row.push_back(it == logs.end() ? "NA" : python_float_repr(it->second));
  }
  write_row(row);
}

void CSVLogger::on_train_end(Model&) {
  if (!file_) return;
  const bool closed = std::fclose(file_) == 0;
  file_ = nullptr;
  if (!closed) throw Error("CSVLogger: writing '" + filename_.string() + "' failed: " + errno_text());
}

void CSVLogger::write_row(const std::vector<std::string>& fields) {
  std::string line;
  for (std::size_t i = 0; i < fields.size(); ++i) {
    if (i) line += separator_;
    line += csv_field(fields[i], separator_);
  }
  line += "\r\n";  // csv.excel's line terminator
  // Flushed after each row, as Keras does, so the history can be followed while training runs.
  if (std::fwrite(line.data(), 1, line.size(), file_) != line.size() || std::fflush(file_) != 0)
    throw Error("CSVLogger: writing '" + filename_.string() + "' failed: " + errno_text());
}

}  // namespace ksave
