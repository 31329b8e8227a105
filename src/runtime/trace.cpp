#include "runtime/trace.h"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <fstream>
#include <map>
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

void write_operator(std::ostream& os, std::chrono::steady_clock::time_point start, const TraceSlice& s) {
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

void write_span(std::ostream& os, std::chrono::steady_clock::time_point start, const std::string& name, const char* cat,
                int tid, std::chrono::steady_clock::time_point begin, std::chrono::steady_clock::time_point end,
                const TraceSlice& s) {
  os << ",\n{\"name\":";
  write_json_string(os, name);
  os << ",\"cat\":\"" << cat << "\",\"ph\":\"X\",\"ts\":";
  write_number(os, micros_between(start, begin));
  os << ",\"dur\":";
  write_number(os, std::max(0.0, micros_between(begin, end)));
  os << ",\"pid\":1,\"tid\":" << tid << ",\"args\":{\"task\":" << s.task_id << ",\"model\":";
  write_json_string(os, s.model);
  os << ",\"ok\":" << (s.ok ? "true" : "false") << "}}";
}

// Task rows come after the streams' (tids 0..streams-1): one per model, in name order.
constexpr int kFirstTaskRow = 100000;

// `slices` is a ring whose oldest element is slices[head]: written oldest first, without a copy.
void write_events(std::ostream& os, std::chrono::steady_clock::time_point start, const std::vector<TraceSlice>& ring,
                  size_t head, size_t dropped) {
  const size_t n = ring.size();
  const auto at = [&](size_t i) -> const TraceSlice& { return ring[(head + i) % n]; };
  os << "{\"traceEvents\":[\n";
  write_metadata(os, "process_name", 0, "top runtime");
  std::set<int> streams;
  std::map<std::string, int> task_rows;
  for (const TraceSlice& s : ring) {
    if (s.kind == TraceSlice::Kind::kOperator) streams.insert(s.stream);
    if (s.kind == TraceSlice::Kind::kTask) task_rows.emplace(s.model, 0);
  }
  for (int stream : streams) {
    os << ",\n";
    write_metadata(os, "thread_name", stream, "stream " + std::to_string(stream));
  }
  int row = kFirstTaskRow;
  for (auto& [model, tid] : task_rows) {
    tid = row++;
    os << ",\n";
    write_metadata(os, "thread_name", tid, "tasks " + model);
  }
  for (size_t i = 0; i < n; ++i) {
    const TraceSlice& s = at(i);
    switch (s.kind) {
      case TraceSlice::Kind::kOperator: write_operator(os, start, s); break;
      case TraceSlice::Kind::kTask: {
        const int tid = task_rows[s.model];
        write_span(os, start, "queued", "queue", tid, s.begin, s.dequeued, s);
        write_span(os, start, "task " + std::to_string(s.task_id), "task", tid, s.dequeued, s.end, s);
        break;
      }
      case TraceSlice::Kind::kQueueLength:
        os << ",\n{\"name\":";
        write_json_string(os, "queue " + s.model);
        os << ",\"ph\":\"C\",\"ts\":";
        write_number(os, micros_between(start, s.begin));
        os << ",\"pid\":1,\"args\":{\"length\":" << s.value << "}}";
        break;
    }
  }
  os << "\n],\"displayTimeUnit\":\"ms\",\"otherData\":{\"dropped_slices\":" << dropped << "}}\n";
}

}  // namespace

TraceSlice TraceSlice::task(std::string model, uint64_t task_id, std::chrono::steady_clock::time_point submitted,
                            std::chrono::steady_clock::time_point dequeued, std::chrono::steady_clock::time_point end,
                            bool ok) {
  TraceSlice s;
  s.kind = Kind::kTask;
  s.model = std::move(model);
  s.task_id = task_id;
  s.begin = submitted;
  s.dequeued = dequeued;
  s.end = end;
  s.ok = ok;
  return s;
}

TraceSlice TraceSlice::queue_length(std::string model, std::chrono::steady_clock::time_point t, size_t length) {
  TraceSlice s;
  s.kind = Kind::kQueueLength;
  s.model = std::move(model);
  s.begin = t;
  s.value = length;
  return s;
}

TraceRecorder::TraceRecorder(std::chrono::steady_clock::time_point start, size_t max_slices)
    : start_(start), max_slices_(max_slices) {}

void TraceRecorder::add(TraceSlice s) {
  std::lock_guard<std::mutex> lock(mu_);
  if (max_slices_ == 0) {
    ++dropped_;
    return;
  }
  if (slices_.size() < max_slices_) {
    slices_.push_back(std::move(s));
    return;
  }
  slices_[head_] = std::move(s);  // the oldest makes room
  head_ = (head_ + 1) % max_slices_;
  ++dropped_;
}

std::vector<TraceSlice> TraceRecorder::ordered_locked() const {
  std::vector<TraceSlice> out;
  out.reserve(slices_.size());
  for (size_t i = 0; i < slices_.size(); ++i) out.push_back(slices_[(head_ + i) % slices_.size()]);
  return out;
}

std::vector<TraceSlice> TraceRecorder::slices() const {
  std::lock_guard<std::mutex> lock(mu_);
  return ordered_locked();
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
  write_events(os, start_, slices_, head_, dropped_);
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
    write_events(out, start_, slices_, head_, dropped_);
  }
  out.close();
  if (!out) return Status(StatusCode::kResourceExhausted, "writing trace file '" + path + "' failed (disk full?)");
  return Status::Ok();
}

}  // namespace top::runtime
