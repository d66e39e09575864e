// One way to reach mingw-w64's tapi.h from every translation unit: on Windows
// the toolchain's own <tapi.h>; on Linux the same file through the base-type
// shims in native/fake/win (the path is given by binding.gyp / the build
// scripts as TAPI_H_PATH). Constants and structure layouts therefore come from
// tapi.h itself on both systems, never from memory.
#pragma once
#ifdef _WIN32
#include <windows.h>
#include <tapi.h>
#else
#ifndef TAPI_H_PATH
#define TAPI_H_PATH "/usr/share/mingw-w64/include/tapi.h"
#endif
#include TAPI_H_PATH
#endif
