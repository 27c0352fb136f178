// Prebuilt binaries only. GCC 11+ headers make every std::vector growth reference
// std::__throw_bad_array_new_length, which only libstdc++ 3.4.29 (GCC 11) exports; a local,
// hidden definition lets the binary load with the libstdc++ of older distributions.
#include <new>

namespace std {
[[noreturn]] __attribute__((visibility("hidden"))) void __throw_bad_array_new_length() {
  throw std::bad_array_new_length();
}
}  // namespace std
