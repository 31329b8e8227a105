#include "runtime/trace.h"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

namespace top::runtime {

namespace {

// A JSON string literal. Plain ASCII (the common case for node names) is copied as is;
// anything else goes through nlohmann, which escapes control characters and replaces
// invalid UTF-8 instead of throwing.
void write_json_string(std::ostream& os, const std::string& s) {
  bool plain = true;
  for (unsigned char c : s) {
    if (c < 0x20 || c >= 0x80 || c == '"' || c == '\\') {
      plain = false;
      break;
    }
  }
  if (plain) {
    os << '"' << s << '"';
  } else {
    os << nlohmann::json(s).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  }
}

void write_number(std::ostream& os, double v) {
  if (!std::isfinite(v)) v = 0;  // JSON has no NaN/Inf
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof buf, v);
  os.write(buf, res.ptr - buf);
}

double micros_between(std::chrono::steady_clock::time_point from, std::chrono::steady_clock::time_point to) {
  return std::chrono::duration<double, std::micro>(to - from).count();
}

void write_metadata(std::ostream& os, const char* name, int tid, const std::string& value) {
  os << "{\"name\":\"" << name << "\",\"ph\":\"M\",\"pid\":1,\"tid\":" << tid << ",\"args\":{\"name\":";
  write_json_string(os, value);
  os << "}}";
}

void write_events(std::ostream& os, std::chrono::steady_clock::time_point start, const std::vector<TraceSlice>& slices,
                  size_t dropped) {
  os << "{\"traceEvents\":[\n";
  write_metadata(os, "process_name", 0, "top runtime");
  std::set<int> streams;
  for (const TraceSlice& s : slices) streams.insert(s.stream);
  for (int stream : streams) {
    os << ",\n";
    write_metadata(os, "thread_name", stream, "stream " + std::to_string(stream));
  }
  for (const TraceSlice& s : slices) {
    os << ",\n{\"name\":";
    write_json_string(os, s.name.empty() ? s.op_type : s.name);
    os << ",\"cat\":";
    write_json_string(os, s.op_type);
    os << ",\"ph\":\"X\",\"ts\":";
    write_number(os, micros_between(start, s.begin));
    os << ",\"dur\":";
    write_number(os, std::max(0.0, micros_between(s.begin, s.end)));
    os << ",\"pid\":1,\"tid\":" << s.stream << ",\"args\":{\"task\":" << s.task_id << ",\"task_index\":" << s.task_index
       << ",\"model\":";
    write_json_string(os, s.model);
    os << ",\"stage\":" << s.stage << ",\"group\":" << s.group << ",\"op_type\":";
    write_json_string(os, s.op_type);
    os << "}}";
  }
  os << "\n],\"displayTimeUnit\":\"ms\",\"otherData\":{\"dropped_slices\":" << dropped << "}}\n";
}

}  // namespace

TraceRecorder::TraceRecorder(std::chrono::steady_clock::time_point start, size_t max_slices)
    : start_(start), max_slices_(max_slices) {}

void TraceRecorder::add(TraceSlice s) {
  std::lock_guard<std::mutex> lock(mu_);
  if (slices_.size() >= max_slices_) {
    ++dropped_;
    return;
  }
  slices_.push_back(std::move(s));
}

std::vector<TraceSlice> TraceRecorder::slices() const {
  std::lock_guard<std::mutex> lock(mu_);
  return slices_;
}

size_t TraceRecorder::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return slices_.size();
}

size_t TraceRecorder::dropped() const {
  std::lock_guard<std::mutex> lock(mu_);
  return dropped_;
}

std::string TraceRecorder::to_chrome_json() const {
  std::ostringstream os;
  std::lock_guard<std::mutex> lock(mu_);
  write_events(os, start_, slices_, dropped_);
  return std::move(os).str();
}

Status TraceRecorder::write_chrome_json(const std::string& path) const {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) {
    const int err = errno;
    const std::string why = "cannot open trace file '" + path + "' for writing: " + std::strerror(err);
    return err == ENOENT ? NotFound(why) : InvalidArgument(why);
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    write_events(out, start_, slices_, dropped_);
  }
  out.close();
  if (!out) return Status(StatusCode::kResourceExhausted, "writing trace file '" + path + "' failed (disk full?)");
  return Status::Ok();
}

}  // namespace top::runtime
