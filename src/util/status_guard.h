// status_guard(): runs a function that returns a Status or Result<T> and turns any
// exception it lets out into a Status, so library calls that promise "never throws"
// keep that promise even when an allocation (a vector, a map entry) fails on the way.
//
//   return status_guard("Session::run", [&] { return impl_->run(inputs); });
#pragma once

#include <exception>
#include <new>
#include <string>

#include "top/status.h"

namespace top {

template <class F>
auto status_guard(const std::string& what, F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const std::bad_alloc&) {
    return OutOfMemory(what + ": out of memory");
  } catch (const std::exception& e) {
    return Internal(what + " failed: " + e.what());
  } catch (...) {
    return Internal(what + " failed with an unknown exception");
  }
}

}  // namespace top
