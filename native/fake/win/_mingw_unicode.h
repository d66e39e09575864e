#pragma once
// Linux shim for tapi.h: Unicode names are selected by the including code (lineXxxW).
#define __MINGW_NAME_AW(func) func##W
#define __MINGW_NAME_AW_EXT(func,ext) func##W##ext
#define __MINGW_NAME_UAW(func) func##_W
#define __MINGW_TYPEDEF_AW(type) typedef type##W type;
#define __MINGW_TYPEDEF_UAW(type) typedef type##_W type;
