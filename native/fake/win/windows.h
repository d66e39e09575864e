// Linux only: the few Windows base types mingw-w64's tapi.h needs, with their
// Windows sizes (LONG and DWORD are 32 bits, WCHAR is UTF-16), so the very same
// tapi.h — its constants and its packed structures — serves the fake TSP and
// the addon on Linux. Never used on Windows, where the real <windows.h> is.
#pragma once
#include <stddef.h>
#include <stdint.h>

#define WINAPI
#define CALLBACK
#define __MSABI_LONG(x) x
#define DECLSPEC_IMPORT
#define INFINITE 0xFFFFFFFFu
#define __LONG32 int

typedef uint32_t DWORD;
typedef DWORD *LPDWORD;
typedef int32_t LONG;
typedef LONG *LPLONG;
typedef uint32_t UINT;
typedef int32_t BOOL;
typedef uint16_t WORD;
typedef uint8_t BYTE;
typedef BYTE *LPBYTE;
typedef char CHAR;
typedef char16_t WCHAR;
typedef const char *LPCSTR;
typedef char *LPSTR;
typedef const WCHAR *LPCWSTR;
typedef WCHAR *LPWSTR;
typedef void *LPVOID;
typedef void *HANDLE;
typedef HANDLE *LPHANDLE;
typedef void *HWND;
typedef void *HICON;
typedef void *HINSTANCE;
typedef uintptr_t DWORD_PTR;
typedef uintptr_t ULONG_PTR;
typedef intptr_t LONG_PTR;
typedef int32_t HRESULT;
typedef uint64_t ULONGLONG;
typedef struct _SYSTEMTIME { WORD wYear, wMonth, wDayOfWeek, wDay, wHour, wMinute, wSecond, wMilliseconds; } SYSTEMTIME;
typedef SYSTEMTIME *LPSYSTEMTIME;
typedef struct _FILETIME { DWORD dwLowDateTime, dwHighDateTime; } FILETIME;
typedef int64_t CURRENCY;
typedef double DATE;
typedef uintptr_t WPARAM;
typedef intptr_t LPARAM;
#define __C89_NAMELESS
typedef struct _VARIANT { uint8_t opaque[24]; } VARIANT;
#define TRUE 1
#define FALSE 0
