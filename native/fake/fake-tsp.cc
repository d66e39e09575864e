// A fake tapi32: the TAPI 2.x functions the addon uses, with TAPI's signatures
// and semantics (device ids, owner/monitor privileges, asynchronous requests
// answered by LINE_REPLY, the message queue read with lineGetMessage, REINIT),
// for a phone system that is the simulated PBX on the other side of
// fakeTapiControl. Built into the addon on Linux and as tapi32.dll for wine.
#include <chrono>
#include <cstring>
#include "../common/utf.h"
#include "fake-state.h"

namespace faketsp {

State& state() {
  static State instance;
  return instance;
}

void State::post(DWORD hDevice, DWORD id, DWORD_PTR instance, DWORD_PTR p1, DWORD_PTR p2, DWORD_PTR p3, std::function<void()> apply) {
  if (!initialized) return;
  Item item;
  item.message.hDevice = hDevice;
  item.message.dwMessageID = id;
  item.message.dwCallbackInstance = instance;
  item.message.dwParam1 = p1;
  item.message.dwParam2 = p2;
  item.message.dwParam3 = p3;
  item.apply = std::move(apply);
  queue.push_back(std::move(item));
  posted++;
#ifdef _WIN32
  if (event != nullptr) SetEvent(event);
#endif
  wake.notify_all();
}

Line* State::lineByExt(const std::string& ext) {
  for (auto& line : lines)
    if (line.ext == ext && !line.removed) return &line;
  return nullptr;
}

Line* State::lineByHandle(HLINE h) {
  if (h == 0) return nullptr;
  for (auto& line : lines)
    if (line.open == h && !line.removed) return &line;
  return nullptr;
}

Call* State::callByHandle(HCALL h) {
  auto it = calls.find(h);
  return it == calls.end() ? nullptr : &it->second;
}

DWORD State::callIdOf(const std::string& key) {
  auto it = keyIds.find(key);
  if (it != keyIds.end()) return it->second;
  DWORD id = ++callIdCounter;
  keyIds[key] = id;
  return id;
}

}  // namespace faketsp

using namespace faketsp;

namespace {

constexpr DWORD kMinApi = 0x00010004;
constexpr DWORD kMaxApi = 0x00020002;

// Appends UTF-16 strings behind a TAPI structure's fixed part and counts the
// size the whole would need, as TAPI does when the caller's buffer is short.
class VarWriter {
 public:
  VarWriter(void* base, DWORD total, DWORD fixed) : base_(static_cast<uint8_t*>(base)), total_(total), used_(fixed), needed_(fixed) {}
  void put(const std::string& utf8, DWORD* size, DWORD* offset) {
    *size = 0;
    *offset = 0;
    if (utf8.empty()) return;
    std::u16string text = crmtapi::utf8ToUtf16(utf8);
    DWORD bytes = static_cast<DWORD>((text.size() + 1) * sizeof(char16_t));
    needed_ += bytes;
    if (used_ + bytes > total_) return;
    std::memcpy(base_ + used_, text.c_str(), bytes);
    *size = bytes;
    *offset = used_;
    used_ += bytes;
  }
  DWORD used() const { return used_; }
  DWORD needed() const { return needed_; }

 private:
  uint8_t* base_;
  DWORD total_, used_, needed_;
};

template <typename T>
LONG prepare(T* out, DWORD fixed) {
  if (out == nullptr) return LINEERR_INVALPOINTER;
  DWORD total = out->dwTotalSize;
  if (total < fixed) return LINEERR_STRUCTURETOOSMALL;
  std::memset(out, 0, total);
  out->dwTotalSize = total;
  return 0;
}

LONG deviceFor(State& s, HLINEAPP app, DWORD device, Line** line) {
  if (!s.initialized || app != s.app) return LINEERR_INVALAPPHANDLE;
  if (device >= s.lines.size()) return LINEERR_BADDEVICEID;
  if (s.lines[device].removed) return LINEERR_NODEVICE;
  *line = &s.lines[device];
  return 0;
}

void callHook(State& s, std::unique_lock<std::mutex>& lock, const std::string& request) {
  FakeTapiHook hook = s.hook;
  void* context = s.hookContext;
  if (hook != nullptr) s.hooked++;
  lock.unlock();
  if (hook != nullptr) hook(context, request.c_str());
}

}  // namespace

LONG faketsp::destinationOf(LPCWSTR address, std::string* out) {
  if (address == nullptr) return LINEERR_INVALPOINTER;
  size_t units = 0;
  while (address[units] != 0 && units < 256) units++;
  if (units == 0 || address[units] != 0) return LINEERR_INVALADDRESS;
  *out = crmtapi::utf16ToUtf8(reinterpret_cast<const char16_t*>(address), units);
  // Requests travel tab-separated to the PBX: a tab or newline in the address could forge fields.
  for (char c : *out)
    if (c == '\t' || c == '\n') return LINEERR_INVALADDRESS;
  return 0;
}

LONG faketsp::raise(State& s, std::unique_lock<std::mutex>& lock, const char* kind, DWORD device, HCALL* target, const std::string& fields) {
  DWORD id = ++s.requestCounter;
  s.requests[id] = Request{kind, target, device};
  callHook(s, lock, std::string(kind) + "\t" + std::to_string(id) + "\t" + fields);
  return static_cast<LONG>(id);
}

LONG faketsp::callRequest(HCALL hCall, const char* kind, DWORD allowedStates, DWORD feature, const std::string& extra, HCALL* target) {
  State& s = state();
  std::unique_lock<std::mutex> lock(s.mutex);
  Call* call = s.callByHandle(hCall);
  if (!s.initialized || call == nullptr) return LINEERR_INVALCALLHANDLE;
  Line& line = s.lines[call->device];
  if ((line.privileges & LINECALLPRIVILEGE_OWNER) == 0) return LINEERR_NOTOWNER;
  // A TSP refuses a function its switch does not offer on this address before it looks at the call's state.
  if (feature != 0 && (line.callFeatures & feature) == 0) return LINEERR_OPERATIONUNAVAIL;
  // A call handed out with a LINE_REPLY whose first state the application has not read is in no known state yet.
  DWORD visible = call->visible.state == 0 ? LINECALLSTATE_UNKNOWN : call->visible.state;
  if ((visible & allowedStates) == 0) return LINEERR_INVALCALLSTATE;
  return raise(s, lock, kind, call->device, target, call->key + (extra.empty() ? std::string() : "\t" + extra));
}

extern "C" {

LONG WINAPI lineInitializeExW(LPHLINEAPP lphLineApp, HINSTANCE, LINECALLBACK, LPCWSTR, LPDWORD lpdwNumDevs, LPDWORD lpdwAPIVersion,
                              LPLINEINITIALIZEEXPARAMS params) {
  State& s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  if (lphLineApp == nullptr || lpdwNumDevs == nullptr || lpdwAPIVersion == nullptr || params == nullptr) return LINEERR_INVALPOINTER;
  if (params->dwTotalSize < sizeof(LINEINITIALIZEEXPARAMS)) return LINEERR_STRUCTURETOOSMALL;
  // Only event notification is offered: the hidden-window and completion-port modes need a Windows message loop.
  if (params->dwOptions != LINEINITIALIZEEXOPTION_USEEVENT) return LINEERR_INVALPARAM;
  if (s.initialized) return LINEERR_RESOURCEUNAVAIL;
  s.initialized = true;
  s.app = ++s.appCounter;
  s.queue.clear();
  s.posted = s.read = 0;
#ifdef _WIN32
  s.event = CreateEventW(nullptr, TRUE, FALSE, nullptr);
  params->Handles.hEvent = s.event;
#else
  params->Handles.hEvent = reinterpret_cast<HANDLE>(&s);
#endif
  params->dwUsedSize = sizeof(LINEINITIALIZEEXPARAMS);
  params->dwNeededSize = sizeof(LINEINITIALIZEEXPARAMS);
  *lphLineApp = s.app;
  *lpdwNumDevs = static_cast<DWORD>(s.lines.size());
  if (*lpdwAPIVersion > TAPI_CURRENT_VERSION) *lpdwAPIVersion = TAPI_CURRENT_VERSION;
  return 0;
}

LONG WINAPI lineShutdown(HLINEAPP hLineApp) {
  State& s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  if (!s.initialized || hLineApp != s.app) return LINEERR_INVALAPPHANDLE;
  s.initialized = false;
  s.queue.clear();
  s.calls.clear();
  s.byKey.clear();
  s.requests.clear();
  for (auto& line : s.lines) line.open = 0;
#ifdef _WIN32
  CloseHandle(s.event);
  s.event = nullptr;
#endif
  s.wake.notify_all();  // a thread blocked in lineGetMessage returns LINEERR_INVALAPPHANDLE
  return 0;
}

LONG WINAPI lineGetMessage(HLINEAPP hLineApp, LPLINEMESSAGE lpMessage, DWORD dwTimeout) {
  State& s = state();
  std::unique_lock<std::mutex> lock(s.mutex);
  if (lpMessage == nullptr) return LINEERR_INVALPOINTER;
  if (!s.initialized || hLineApp != s.app) return LINEERR_INVALAPPHANDLE;
  auto ready = [&] { return !s.initialized || s.app != hLineApp || !s.queue.empty(); };
  if (dwTimeout == INFINITE) {
    s.wake.wait(lock, ready);
  } else if (!s.wake.wait_for(lock, std::chrono::milliseconds(dwTimeout), ready)) {
    return LINEERR_OPERATIONFAILED;
  }
  if (!s.initialized || s.app != hLineApp) return LINEERR_INVALAPPHANDLE;
  Item item = std::move(s.queue.front());
  s.queue.pop_front();
  if (item.apply) item.apply();
  s.read++;
#ifdef _WIN32
  if (s.queue.empty()) ResetEvent(s.event);
#endif
  *lpMessage = item.message;
  return 0;
}

LONG WINAPI lineNegotiateAPIVersion(HLINEAPP hLineApp, DWORD dwDeviceID, DWORD low, DWORD high, LPDWORD lpdwAPIVersion, LPLINEEXTENSIONID lpExtensionID) {
  State& s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  Line* line = nullptr;
  if (LONG err = deviceFor(s, hLineApp, dwDeviceID, &line)) return err;
  if (lpdwAPIVersion == nullptr || lpExtensionID == nullptr) return LINEERR_INVALPOINTER;
  if (high < kMinApi || low > kMaxApi || low > high) return LINEERR_INCOMPATIBLEAPIVERSION;
  *lpdwAPIVersion = high < kMaxApi ? high : kMaxApi;
  std::memset(lpExtensionID, 0, sizeof(LINEEXTENSIONID));
  return 0;
}

LONG WINAPI lineGetDevCapsW(HLINEAPP hLineApp, DWORD dwDeviceID, DWORD dwAPIVersion, DWORD, LPLINEDEVCAPS caps) {
  State& s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  Line* line = nullptr;
  if (LONG err = deviceFor(s, hLineApp, dwDeviceID, &line)) return err;
  if (dwAPIVersion < kMinApi || dwAPIVersion > kMaxApi) return LINEERR_INCOMPATIBLEAPIVERSION;
  if (LONG err = prepare(caps, sizeof(LINEDEVCAPS))) return err;
  VarWriter w(caps, caps->dwTotalSize, sizeof(LINEDEVCAPS));
  w.put("crm-tapi fake TSP", &caps->dwProviderInfoSize, &caps->dwProviderInfoOffset);
  w.put("simulated PBX", &caps->dwSwitchInfoSize, &caps->dwSwitchInfoOffset);
  w.put(line->name, &caps->dwLineNameSize, &caps->dwLineNameOffset);
  caps->dwPermanentLineID = line->permanentId;
  caps->dwStringFormat = STRINGFORMAT_UNICODE;
  caps->dwNumAddresses = 1;
  caps->dwMaxNumActiveCalls = 1;
  caps->dwMediaModes = line->mediaModes;
  caps->dwBearerModes = LINEBEARERMODE_VOICE;
  caps->dwLineStates =
      LINEDEVSTATE_CONNECTED | LINEDEVSTATE_DISCONNECTED | LINEDEVSTATE_INSERVICE | LINEDEVSTATE_OUTOFSERVICE | LINEDEVSTATE_REINIT | LINEDEVSTATE_CAPSCHANGE;
  caps->dwNeededSize = w.needed();
  caps->dwUsedSize = w.used();
  return 0;
}

LONG WINAPI lineGetAddressCapsW(HLINEAPP hLineApp, DWORD dwDeviceID, DWORD dwAddressID, DWORD dwAPIVersion, DWORD, LPLINEADDRESSCAPS caps) {
  State& s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  Line* line = nullptr;
  if (LONG err = deviceFor(s, hLineApp, dwDeviceID, &line)) return err;
  if (dwAddressID != 0) return LINEERR_INVALADDRESSID;
  if (dwAPIVersion < kMinApi || dwAPIVersion > kMaxApi) return LINEERR_INCOMPATIBLEAPIVERSION;
  if (LONG err = prepare(caps, sizeof(LINEADDRESSCAPS))) return err;
  VarWriter w(caps, caps->dwTotalSize, sizeof(LINEADDRESSCAPS));
  w.put(line->address, &caps->dwAddressSize, &caps->dwAddressOffset);
  caps->dwLineDeviceID = dwDeviceID;
  caps->dwMaxNumActiveCalls = 1;
  caps->dwMaxNumOnHoldCalls = (line->callFeatures & LINECALLFEATURE_HOLD) != 0 ? 1 : 0;
  caps->dwCallFeatures = LINECALLFEATURE_ANSWER | LINECALLFEATURE_DROP | line->callFeatures;
  caps->dwTransferModes = line->transferModes;
  caps->dwAddressStates = LINEADDRESSSTATE_CAPSCHANGE;
  caps->dwCallInfoStates = LINECALLINFOSTATE_CALLERID | LINECALLINFOSTATE_CALLEDID | LINECALLINFOSTATE_CONNECTEDID | LINECALLINFOSTATE_REDIRECTINGID;
  caps->dwNeededSize = w.needed();
  caps->dwUsedSize = w.used();
  return 0;
}

LONG WINAPI lineOpenW(HLINEAPP hLineApp, DWORD dwDeviceID, LPHLINE lphLine, DWORD dwAPIVersion, DWORD, DWORD_PTR dwCallbackInstance,
                      DWORD dwPrivileges, DWORD dwMediaModes, LPLINECALLPARAMS const) {
  State& s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  Line* line = nullptr;
  if (LONG err = deviceFor(s, hLineApp, dwDeviceID, &line)) return err;
  if (lphLine == nullptr) return LINEERR_INVALPOINTER;
  if (dwAPIVersion < kMinApi || dwAPIVersion > kMaxApi) return LINEERR_INCOMPATIBLEAPIVERSION;
  const DWORD known = LINECALLPRIVILEGE_NONE | LINECALLPRIVILEGE_MONITOR | LINECALLPRIVILEGE_OWNER;
  if ((dwPrivileges & ~known) != 0) return LINEERR_INVALPRIVSELECT;
  if ((dwPrivileges & LINECALLPRIVILEGE_OWNER) != 0 && (dwMediaModes == 0 || (dwMediaModes & ~line->mediaModes) != 0)) return LINEERR_INVALMEDIAMODE;
  // One open per device and application: TAPI allows several, the addon never asks for more.
  if (line->open != 0) return LINEERR_ALLOCATED;
  line->open = ++s.lineCounter;
  line->privileges = dwPrivileges;
  line->callbackInstance = dwCallbackInstance;
  *lphLine = line->open;
  return 0;
}

LONG WINAPI lineClose(HLINE hLine) {
  State& s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  Line* line = s.lineByHandle(hLine);
  if (!s.initialized || line == nullptr) return LINEERR_INVALLINEHANDLE;
  line->open = 0;
  return 0;
}

LONG WINAPI lineGetCallInfoW(HCALL hCall, LPLINECALLINFO info) {
  State& s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  Call* call = s.callByHandle(hCall);
  if (!s.initialized || call == nullptr) return LINEERR_INVALCALLHANDLE;
  if (LONG err = prepare(info, sizeof(LINECALLINFO))) return err;
  const CallSnap& v = call->visible;
  const Line& line = s.lines[call->device];
  VarWriter w(info, info->dwTotalSize, sizeof(LINECALLINFO));
  auto party = [&](const Party& p, DWORD* flags, DWORD* size, DWORD* offset, DWORD* nameSize, DWORD* nameOffset) {
    *flags = p.number.empty() && p.name.empty() ? LINECALLPARTYID_UNKNOWN : 0;
    if (!p.number.empty()) *flags |= LINECALLPARTYID_ADDRESS;
    if (!p.name.empty()) *flags |= LINECALLPARTYID_NAME;
    w.put(p.number, size, offset);
    w.put(p.name, nameSize, nameOffset);
  };
  party(v.caller, &info->dwCallerIDFlags, &info->dwCallerIDSize, &info->dwCallerIDOffset, &info->dwCallerIDNameSize, &info->dwCallerIDNameOffset);
  party(v.called, &info->dwCalledIDFlags, &info->dwCalledIDSize, &info->dwCalledIDOffset, &info->dwCalledIDNameSize, &info->dwCalledIDNameOffset);
  party(v.connected, &info->dwConnectedIDFlags, &info->dwConnectedIDSize, &info->dwConnectedIDOffset, &info->dwConnectedIDNameSize,
        &info->dwConnectedIDNameOffset);
  party(v.redirecting, &info->dwRedirectingIDFlags, &info->dwRedirectingIDSize, &info->dwRedirectingIDOffset, &info->dwRedirectingIDNameSize,
        &info->dwRedirectingIDNameOffset);
  info->hLine = line.open;
  info->dwLineDeviceID = call->device;
  info->dwAddressID = 0;
  info->dwBearerMode = LINEBEARERMODE_VOICE;
  info->dwMediaMode = LINEMEDIAMODE_INTERACTIVEVOICE;
  info->dwCallID = call->callId;
  info->dwRelatedCallID = v.relatedCallId;
  info->dwOrigin = v.origin;
  info->dwReason = v.reason;
  info->dwCallStates = LINECALLSTATE_IDLE | LINECALLSTATE_OFFERING | LINECALLSTATE_ACCEPTED | LINECALLSTATE_DIALTONE | LINECALLSTATE_DIALING |
                       LINECALLSTATE_RINGBACK | LINECALLSTATE_BUSY | LINECALLSTATE_CONNECTED | LINECALLSTATE_PROCEEDING | LINECALLSTATE_ONHOLD |
                       LINECALLSTATE_DISCONNECTED | LINECALLSTATE_CONFERENCED | LINECALLSTATE_ONHOLDPENDTRANSFER;
  info->dwNeededSize = w.needed();
  info->dwUsedSize = w.used();
  return 0;
}

LONG WINAPI lineMakeCallW(HLINE hLine, LPHCALL lphCall, LPCWSTR lpszDestAddress, DWORD, LPLINECALLPARAMS const) {
  State& s = state();
  std::unique_lock<std::mutex> lock(s.mutex);
  Line* line = s.lineByHandle(hLine);
  if (!s.initialized || line == nullptr) return LINEERR_INVALLINEHANDLE;
  if (lphCall == nullptr) return LINEERR_INVALPOINTER;
  if ((line->privileges & LINECALLPRIVILEGE_OWNER) == 0) return LINEERR_NOTOWNER;
  std::string dest;
  if (LONG err = destinationOf(lpszDestAddress, &dest)) return err;
  DWORD device = static_cast<DWORD>(line - s.lines.data());
  return raise(s, lock, "makeCall", device, lphCall, line->ext + "\t" + dest);
}

LONG WINAPI lineAnswer(HCALL hCall, LPCSTR, DWORD) { return callRequest(hCall, "answer", LINECALLSTATE_OFFERING | LINECALLSTATE_ACCEPTED); }

LONG WINAPI lineDrop(HCALL hCall, LPCSTR, DWORD) { return callRequest(hCall, "drop", ~static_cast<DWORD>(LINECALLSTATE_IDLE)); }

LONG WINAPI lineDeallocateCall(HCALL hCall) {
  State& s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  Call* call = s.callByHandle(hCall);
  if (!s.initialized || call == nullptr) return LINEERR_INVALCALLHANDLE;
  // The only owner may not deallocate a live call (TAPI: drop it first).
  if (call->visible.state != LINECALLSTATE_IDLE && (s.lines[call->device].privileges & LINECALLPRIVILEGE_OWNER) != 0) return LINEERR_INVALCALLSTATE;
  auto key = s.byKey.find(call->key);
  if (key != s.byKey.end() && key->second == hCall) s.byKey.erase(key);
  s.calls.erase(hCall);
  return 0;
}

void fakeTapiSetHook(FakeTapiHook hook, void* context) {
  State& s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  s.hook = hook;
  s.hookContext = context;
}

}  // extern "C"
