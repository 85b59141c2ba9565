//===- StatusMatchers.h - Helpers for runtime status checks -----*- C++ -*-===//
//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#ifndef BITNET_UNITTESTS_RUNTIME_STATUSMATCHERS_H
#define BITNET_UNITTESTS_RUNTIME_STATUSMATCHERS_H

#include "bitnet-c/Runtime.h"

#include <string>

namespace bitnet::testing {

/// A status taken apart (and released).
struct TakenStatus {
  bitnet_status_code_t code;
  std::string message;
};

inline TakenStatus take(bitnet_status_t status) {
  TakenStatus result{bitnet_status_code(status), bitnet_status_message(status)};
  bitnet_status_free(status);
  return result;
}

} // namespace bitnet::testing

/// Expects `expr` to fail with `code` and a message containing `needle`.
#define EXPECT_STATUS(expr, expectedCode, needle)                              \
  do {                                                                         \
    ::bitnet::testing::TakenStatus taken = ::bitnet::testing::take(expr);      \
    EXPECT_EQ(taken.code, expectedCode) << taken.message;                      \
    EXPECT_NE(taken.message.find(needle), std::string::npos)                   \
        << "message: " << taken.message;                                       \
  } while (false)

/// Expects `expr` to succeed.
#define EXPECT_OK(expr)                                                        \
  do {                                                                         \
    ::bitnet::testing::TakenStatus taken = ::bitnet::testing::take(expr);      \
    EXPECT_EQ(taken.code, BITNET_STATUS_OK) << taken.message;                  \
  } while (false)

#endif // BITNET_UNITTESTS_RUNTIME_STATUSMATCHERS_H
