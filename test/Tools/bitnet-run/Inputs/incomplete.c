// A library with the right ABI version but none of the other entry points.
#include <stdint.h>

__attribute__((visibility("default"))) uint32_t bitnet_api_version(void) {
  return 1u << 16;
}
