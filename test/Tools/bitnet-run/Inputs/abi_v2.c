// A library claiming a future major version of the bitnet C ABI.
#include <stdint.h>

__attribute__((visibility("default"))) uint32_t bitnet_api_version(void) {
  return (2u << 16) | 1u;
}
