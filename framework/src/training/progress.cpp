#include "progress.hpp"

#include <cmath>
#include <unistd.h>

namespace ksave {
namespace {

double seconds_between(std::chrono::steady_clock::time_point a, std::chrono::steady_clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

std::string printf_string(const char* fmt, double v) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, fmt, v);
  return buffer;
}

}  // namespace

ProgressBar::ProgressBar(std::int64_t target, int verbose, std::FILE* out)
    : target_(target), verbose_(verbose), out_(out), dynamic_(isatty(fileno(out)) != 0),
      start_(std::chrono::steady_clock::now()), last_update_(start_) {}

std::string ProgressBar::bar(std::int64_t current) const {
  const int digits = static_cast<int>(std::floor(std::log10(static_cast<double>(std::max<std::int64_t>(target_, 1))))) + 1;
  char head[64];
  std::snprintf(head, sizeof head, "%*lld/%lld", digits, static_cast<long long>(current), static_cast<long long>(target_));
  std::string s = head;
  if (verbose_ == 2) return s;
  constexpr int width = 30;
  s += " [";
  const int progress = static_cast<int>(width * static_cast<double>(current) / static_cast<double>(target_));
  if (progress > 0) {
    s += std::string(static_cast<std::size_t>(progress - 1), '=');
    s += current < target_ ? '>' : '=';
  }
  s += std::string(static_cast<std::size_t>(width - progress), '.');
  s += ']';
  return s;
}

// Keras prints ' %.4f' when |v| > 1e-3 and ' %.4e' otherwise (verbose 2 tests v > 1e-3).
std::string ProgressBar::format_value(double v, bool signed_rule) {
  const bool fixed = signed_rule ? std::abs(v) > 1e-3 : v > 1e-3;
  return printf_string(fixed ? " %.4f" : " %.4e", v);
}

std::string ProgressBar::format_time(double seconds, const char* unit) {
  if (seconds >= 1 || seconds == 0) return printf_string(" %.0fs/", seconds) + unit;
  if (seconds >= 1e-3) return printf_string(" %.0fms/", seconds * 1e3) + unit;
  return printf_string(" %.0fus/", seconds * 1e6) + unit;
}

void ProgressBar::update(std::int64_t current, const std::vector<std::pair<std::string, double>>& values,
                         bool finalize) {
  if (verbose_ <= 0) return;
  const auto now = std::chrono::steady_clock::now();
  const double elapsed = seconds_between(start_, now);
  const double per_step = current > 0 ? elapsed / static_cast<double>(current) : 0.0;
  std::string info = printf_string(" - %.0fs", elapsed);
  if (verbose_ == 2) {
    if (!finalize) return;
    std::string line = bar(current) + info;
    for (const auto& [k, v] : values) line += " - " + k + ":" + format_value(v, false);
    line += " -" + format_time(elapsed, "epoch") + " -" + format_time(per_step, "step") + "\n";
    std::fputs(line.c_str(), out_);
    std::fflush(out_);
    return;
  }
  // verbose 1: redraw at most every 50 ms on a terminal; elsewhere only the final line.
  if (!finalize && (!dynamic_ || seconds_between(last_update_, now) < 0.05)) return;
  last_update_ = now;
  const std::string b = bar(current);
  if (finalize || current >= target_) info += format_time(per_step, "step");
  else {
    const double eta = per_step * static_cast<double>(target_ - current);
    char buffer[64];
    if (eta > 3600)
      std::snprintf(buffer, sizeof buffer, "%d:%02d:%02d", static_cast<int>(eta / 3600),
                    static_cast<int>(std::fmod(eta, 3600) / 60), static_cast<int>(std::fmod(eta, 60)));
    else if (eta > 60)
      std::snprintf(buffer, sizeof buffer, "%d:%02d", static_cast<int>(eta / 60), static_cast<int>(std::fmod(eta, 60)));
    else
      std::snprintf(buffer, sizeof buffer, "%ds", static_cast<int>(eta));
    info = std::string(" - ETA: ") + buffer;
  }
  for (const auto& [k, v] : values) info += " - " + k + ":" + format_value(v, true);
  std::string line = (dynamic_ ? "\r" : "") + b + info;
  const std::size_t width = b.size() + info.size();
  if (total_width_ > width) line += std::string(total_width_ - width, ' ');
  total_width_ = width;
  if (finalize) line += "\n";
  std::fputs(line.c_str(), out_);
  std::fflush(out_);
}

}  // namespace ksave
