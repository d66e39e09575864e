// The fake TSP's state, shared by its tapi32 functions (fake-tsp.cc) and its
// control entry point (fake-control.cc). One global instance behind one mutex,
// as a TSP is one per process.
#pragma once
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>
#include "../common/tapi-include.h"
#include "fake-control.h"

namespace faketsp {

struct Line {
  std::string ext, name, address;
  DWORD permanentId = 0, mediaModes = 0;
  DWORD callFeatures = 0;  // LINEADDRESSCAPS.dwCallFeatures: what the switch lets calls on this line do beyond answer/drop
  DWORD transferModes = 0;  // LINEADDRESSCAPS.dwTransferModes: how lineCompleteTransfer may resolve (transfer, conference)
  bool inService = true, removed = false;
  HLINE open = 0;  // the application's handle while open
  DWORD privileges = 0;
  DWORD_PTR callbackInstance = 0;
};

struct Party {
  std::string number, name;
};

/** What lineGetCallInfo reports; replaced as a whole when its message is read. */
struct CallSnap {
  DWORD state = 0, mode = 0, origin = 0, reason = 0;
  Party caller, called, connected, redirecting;
  std::string relatedKey;
  DWORD relatedCallId = 0;  // fixed when the PBX names the related call, as a switch numbers calls when they exist
};

struct Call {
  std::string key;
  DWORD device = 0, callId = 0;
  HCALL handle = 0;
  CallSnap visible;  // as of the last message the application has read
  CallSnap latest;  // as the PBX last said, for the control side
};

struct Item {
  LINEMESSAGE message{};
  std::function<void()> apply;  // runs under the lock when the application reads the message
};

struct Request {
  std::string kind;  // makeCall, answer, drop, hold, unhold, transfer, setupTransfer, dial, completeTransfer
  HCALL* target = nullptr;  // makeCall, setupTransfer, completeTransfer (conference): where the new handle goes (TAPI writes it before LINE_REPLY)
  DWORD device = 0;
};

struct State {
  std::mutex mutex;
  std::condition_variable wake;
  std::vector<Line> lines;
  bool initialized = false;
  HLINEAPP app = 0;
  DWORD appCounter = 0, lineCounter = 0, callCounter = 0, callIdCounter = 0, requestCounter = 0;
  bool linkUp = true;
  std::deque<Item> queue;
  std::map<HCALL, Call> calls;
  std::map<std::string, HCALL> byKey;
  std::map<std::string, DWORD> keyIds;  // the switch's call id (dwCallID) of every call key mentioned so far
  std::map<DWORD, Request> requests;
  uint64_t posted = 0, read = 0, hooked = 0;
  FakeTapiHook hook = nullptr;
  void* hookContext = nullptr;
#ifdef _WIN32
  HANDLE event = nullptr;
#endif

  void post(DWORD hDevice, DWORD id, DWORD_PTR instance, DWORD_PTR p1, DWORD_PTR p2, DWORD_PTR p3, std::function<void()> apply = nullptr);
  Line* lineByExt(const std::string& ext);
  Line* lineByHandle(HLINE h);
  Call* callByHandle(HCALL h);
  DWORD callIdOf(const std::string& key);
};

State& state();

/**
 * An owner-only asynchronous request on a call in one of `allowedStates`, needing `feature` (a
 * LINECALLFEATURE_* bit of the line's caps, 0 for none): raised to the PBX as "KIND ID KEY[ EXTRA]".
 * Returns the request id or a LINEERR_* value.
 */
LONG callRequest(HCALL hCall, const char* kind, DWORD allowedStates, DWORD feature = 0, const std::string& extra = std::string(), HCALL* target = nullptr);

/** A dial string from the application: 1–255 UTF-16 units without tab or newline (else LINEERR_INVALADDRESS). */
LONG destinationOf(LPCWSTR address, std::string* out);

/** Registers request `kind` on `device` and raises "KIND ID FIELDS" to the PBX; releases `lock` for the hook. Returns the request id. */
LONG raise(State& s, std::unique_lock<std::mutex>& lock, const char* kind, DWORD device, HCALL* target, const std::string& fields);

}  // namespace faketsp
