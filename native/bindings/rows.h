// The `rows` argument shared by the byte gathers (gatherBytes, augmentBytes): which samples of
// src a batch takes, checked against src before any kernel reads it.
#pragma once
#include <napi.h>

#include <cstdint>
#include <string>

#include "bindings/args.h"

namespace sn {

// info[idx] is null (samples start..end−1) or an Int32Array whose [start, end) entries are
// sample numbers in [0, count). Returns the entries from `start` on, or nullptr for null.
// `noun` names a sample in the messages ("row", "image").
inline const int32_t* RowsArg(const Napi::CallbackInfo& info, size_t idx, const char* fn, int64_t start, int64_t end,
                              int64_t count, const char* noun) {
  Napi::Env env = info.Env();
  const std::string fix_end = ". Fix: end at most ";
  if (info[idx].IsNull()) {
    if (end > count) {
      ThrowRange(env, std::string(fn) + ": 'end' " + std::to_string(end) + " is past the " + std::to_string(count) +
                          " " + noun + "s of src" + fix_end + std::to_string(count) + ".");
    }
    return nullptr;
  }
  uint64_t rows_length = 0;
  const int32_t* all =
      TypedArgAnyLength<int32_t, napi_int32_array>(info, idx, fn, "rows", "Int32Array or null", &rows_length);
  if (uint64_t(end) > rows_length) {
    ThrowRange(env, std::string(fn) + ": 'end' " + std::to_string(end) + " is past the " + std::to_string(rows_length) +
                        " entries of rows" + fix_end + std::to_string(rows_length) + ".");
  }
  const int32_t* rows = all + start;
  for (int64_t s = 0; s < end - start; ++s) {
    if (rows[s] < 0 || rows[s] >= count) {
      ThrowRange(env, std::string(fn) + ": rows[" + std::to_string(start + s) + "] = " + std::to_string(rows[s]) +
                          " is not " + (noun[0] == 'i' ? "an " : "a ") + noun + " of src (0 to " +
                          std::to_string(count - 1) + "). Fix: pass sample indices of this dataset, e.g. a permutation of 0.." +
                          std::to_string(count - 1) + ".");
    }
  }
  return rows;
}

}  // namespace sn
