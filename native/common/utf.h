// UTF-8 <-> UTF-16 without the platform's wchar_t (4 bytes on Linux, 2 on
// Windows): TAPI's W functions take and return UTF-16 code units.
#pragma once
#include <cstdint>
#include <string>

namespace crmtapi {

inline std::u16string utf8ToUtf16(const std::string& in) {
  std::u16string out;
  out.reserve(in.size());
  size_t i = 0;
  while (i < in.size()) {
    uint32_t c = static_cast<unsigned char>(in[i]);
    size_t extra = c < 0x80 ? 0 : (c >> 5) == 0x6 ? 1 : (c >> 4) == 0xE ? 2 : (c >> 3) == 0x1E ? 3 : 99;
    if (extra == 99 || i + extra >= in.size()) {
      out.push_back(0xFFFD);
      i += 1;
      continue;
    }
    if (extra > 0) c &= (0x3F >> extra);
    bool bad = false;
    for (size_t k = 1; k <= extra; k++) {
      unsigned char b = static_cast<unsigned char>(in[i + k]);
      if ((b & 0xC0) != 0x80) bad = true;
      c = (c << 6) | (b & 0x3F);
    }
    i += bad ? 1 : extra + 1;
    if (bad || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) {
      out.push_back(0xFFFD);
    } else if (c >= 0x10000) {
      c -= 0x10000;
      out.push_back(static_cast<char16_t>(0xD800 + (c >> 10)));
      out.push_back(static_cast<char16_t>(0xDC00 + (c & 0x3FF)));
    } else {
      out.push_back(static_cast<char16_t>(c));
    }
  }
  return out;
}

/** `units` code units, stopping early at a NUL (TAPI counts the terminator in its sizes). */
inline std::string utf16ToUtf8(const char16_t* s, size_t units) {
  std::string out;
  out.reserve(units);
  for (size_t i = 0; i < units && s[i] != 0; i++) {
    uint32_t c = s[i];
    if (c >= 0xD800 && c <= 0xDBFF && i + 1 < units && s[i + 1] >= 0xDC00 && s[i + 1] <= 0xDFFF) {
      c = 0x10000 + ((c - 0xD800) << 10) + (s[i + 1] - 0xDC00);
      i++;
    } else if (c >= 0xD800 && c <= 0xDFFF) {
      c = 0xFFFD;
    }
    if (c < 0x80) {
      out.push_back(static_cast<char>(c));
    } else if (c < 0x800) {
      out.push_back(static_cast<char>(0xC0 | (c >> 6)));
      out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
    } else if (c < 0x10000) {
      out.push_back(static_cast<char>(0xE0 | (c >> 12)));
      out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
    } else {
      out.push_back(static_cast<char>(0xF0 | (c >> 18)));
      out.push_back(static_cast<char>(0x80 | ((c >> 12) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
    }
  }
  return out;
}

}  // namespace crmtapi
