// The fake TSP's control entry point: the simulated PBX (simulator/pbx/tsp-feed.ts)
// tells it what happens on the switch, and it turns that into the messages a
// TSP queues for its application. Call details become visible to
// lineGetCallInfo when the application reads the message that announced them,
// so an application that reads promptly sees each state with its own details.
#include <cstdio>
#include <cstring>
#include <cstdlib>
#include <vector>
#include "fake-state.h"

using namespace faketsp;

namespace {

std::string percentDecode(const std::string& in) {
  std::string out;
  for (size_t i = 0; i < in.size(); i++) {
    if (in[i] == '%' && i + 2 < in.size()) {
      char hex[3] = {in[i + 1], in[i + 2], 0};
      char* end = nullptr;
      long value = std::strtol(hex, &end, 16);
      if (end == hex + 2) {
        out.push_back(static_cast<char>(value));
        i += 2;
        continue;
      }
    }
    out.push_back(in[i]);
  }
  return out;
}

std::vector<std::string> split(const char* command) {
  std::vector<std::string> fields;
  std::string current;
  for (const char* p = command; *p != 0; p++) {
    if (*p == '\t') {
      fields.push_back(percentDecode(current));
      current.clear();
    } else {
      current.push_back(*p);
    }
  }
  fields.push_back(percentDecode(current));
  return fields;
}

DWORD number(const std::string& text) { return static_cast<DWORD>(std::strtoul(text.c_str(), nullptr, 0)); }

// Fields from EXT on: EXT STATE MODE ORIGIN REASON CALLER CALLERNAME CALLED CALLEDNAME CONNECTED CONNECTEDNAME REDIRECTING REDIRECTINGNAME RELATEDKEY
bool parseSnap(const std::vector<std::string>& f, size_t at, CallSnap* snap) {
  if (f.size() < at + 14) return false;
  snap->state = number(f[at + 1]);
  snap->mode = number(f[at + 2]);
  snap->origin = number(f[at + 3]);
  snap->reason = number(f[at + 4]);
  snap->caller = {f[at + 5], f[at + 6]};
  snap->called = {f[at + 7], f[at + 8]};
  snap->connected = {f[at + 9], f[at + 10]};
  snap->redirecting = {f[at + 11], f[at + 12]};
  snap->relatedKey = f[at + 13];
  return true;
}

bool same(const Party& a, const Party& b) { return a.number == b.number && a.name == b.name; }

Call& newCall(State& s, const std::string& key, DWORD device) {
  HCALL handle = ++s.callCounter;
  Call& call = s.calls[handle];
  call.key = key;
  call.device = device;
  call.handle = handle;
  call.callId = s.callIdOf(key);
  s.byKey[key] = handle;
  return call;
}

void setVisible(State& s, HCALL handle, const CallSnap& snap) {
  Call* call = s.callByHandle(handle);
  if (call != nullptr) call->visible = snap;
}

LONG callCommand(State& s, const std::vector<std::string>& f, bool infoOnly) {
  CallSnap snap;
  if (f.size() < 2 || !parseSnap(f, 2, &snap)) return LINEERR_INVALPARAM;
  const std::string& key = f[1];
  if (!snap.relatedKey.empty()) snap.relatedCallId = s.callIdOf(snap.relatedKey);
  Line* line = s.lineByExt(f[2]);
  if (line == nullptr) return LINEERR_BADDEVICEID;
  if (!s.initialized || line->open == 0) return 0;  // nobody watches this line: the switch goes on without telling
  DWORD device = static_cast<DWORD>(line - s.lines.data());
  auto known = s.byKey.find(key);
  Call* call = known == s.byKey.end() ? nullptr : s.callByHandle(known->second);
  if (call == nullptr) {
    if (infoOnly || snap.state == LINECALLSTATE_IDLE) return 0;
    call = &newCall(s, key, device);
    DWORD privilege = (line->privileges & LINECALLPRIVILEGE_OWNER) != 0 ? LINECALLPRIVILEGE_OWNER : LINECALLPRIVILEGE_MONITOR;
    s.post(line->open, LINE_APPNEWCALL, line->callbackInstance, 0, call->handle, privilege);
  }
  HCALL handle = call->handle;
  DWORD changed = 0;
  if (!same(call->latest.caller, snap.caller)) changed |= LINECALLINFOSTATE_CALLERID;
  if (!same(call->latest.called, snap.called)) changed |= LINECALLINFOSTATE_CALLEDID;
  if (!same(call->latest.connected, snap.connected)) changed |= LINECALLINFOSTATE_CONNECTEDID;
  if (!same(call->latest.redirecting, snap.redirecting)) changed |= LINECALLINFOSTATE_REDIRECTINGID;
  if (call->latest.relatedKey != snap.relatedKey) changed |= LINECALLINFOSTATE_RELATEDCALLID;
  if (infoOnly) snap.state = call->latest.state, snap.mode = call->latest.mode;
  call->latest = snap;
  auto apply = [&s, handle, snap] { setVisible(s, handle, snap); };
  if (infoOnly) {
    if (changed != 0) s.post(handle, LINE_CALLINFO, line->callbackInstance, changed, 0, 0, apply);
  } else {
    s.post(handle, LINE_CALLSTATE, line->callbackInstance, snap.state, snap.mode, 0, apply);
  }
  return 0;
}

LONG replyCommand(State& s, const std::vector<std::string>& f) {
  if (f.size() < 3) return LINEERR_INVALPARAM;
  DWORD id = number(f[1]);
  LONG result = static_cast<LONG>(std::strtol(f[2].c_str(), nullptr, 0));
  auto it = s.requests.find(id);
  if (it == s.requests.end()) return LINEERR_INVALPARAM;  // unknown, or lost in a lineShutdown
  Request request = it->second;
  s.requests.erase(it);
  std::function<void()> apply;
  // lineMakeCall, lineSetupTransfer and a conference's lineCompleteTransfer create a call: its key names it from now on.
  if (request.target != nullptr && result == 0) {
    if (f.size() < 4 || f[3].empty()) return LINEERR_INVALPARAM;
    Call& call = newCall(s, f[3], request.device);
    HCALL handle = call.handle;
    HCALL* target = request.target;
    apply = [target, handle] { *target = handle; };
  }
  s.post(0, LINE_REPLY, 0, id, static_cast<DWORD_PTR>(static_cast<LONG_PTR>(result)), 0, apply);
  return 0;
}

LONG lineCommand(State& s, const std::vector<std::string>& f) {
  if (f.size() < 7 || f[1].empty() || s.lineByExt(f[1]) != nullptr) return LINEERR_INVALPARAM;
  Line line;
  line.ext = f[1];
  line.name = f[2];
  line.address = f[3];
  line.permanentId = number(f[4]);
  line.mediaModes = number(f[5]);
  line.inService = f[6] == "1";
  if (f.size() >= 8) line.callFeatures = number(f[7]);
  if (f.size() >= 9) line.transferModes = number(f[8]);
  s.lines.push_back(line);
  s.post(0, LINE_CREATE, 0, s.lines.size() - 1, 0, 0);
  return 0;
}

void reset(State& s) {
  s.initialized = false;
  s.lines.clear();
  s.queue.clear();
  s.calls.clear();
  s.byKey.clear();
  s.keyIds.clear();
  s.requests.clear();
  s.linkUp = true;
  s.posted = s.read = s.hooked = 0;
  s.wake.notify_all();
}

}  // namespace

extern "C" LONG fakeTapiControl(const char* command, char* reply, DWORD replySize) {
  if (command == nullptr) return LINEERR_INVALPOINTER;
  State& s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  std::vector<std::string> f = split(command);
  const std::string& verb = f[0];
  if (verb == "call" || verb == "info") return callCommand(s, f, verb == "info");
  if (verb == "reply") return replyCommand(s, f);
  if (verb == "line") return lineCommand(s, f);
  if (verb == "close") {
    // The TSP closes the application's line on its own (LINE_CLOSE); the handle is void once the message is read.
    Line* line = f.size() >= 2 ? s.lineByExt(f[1]) : nullptr;
    if (line == nullptr) return LINEERR_BADDEVICEID;
    if (line->open == 0) return LINEERR_INVALLINEHANDLE;
    HLINE handle = line->open;
    DWORD device = static_cast<DWORD>(line - s.lines.data());
    s.post(handle, LINE_CLOSE, line->callbackInstance, 0, 0, 0, [&s, device, handle] {
      if (s.lines[device].open == handle) s.lines[device].open = 0;
    });
    return 0;
  }
  if (verb == "caps") {
    // The switch changed what the address offers: LINE_LINEDEVSTATE CAPSCHANGE, or LINE_ADDRESSSTATE CAPSCHANGE of address 0.
    Line* line = f.size() >= 4 ? s.lineByExt(f[1]) : nullptr;
    if (line == nullptr) return f.size() >= 4 ? LINEERR_BADDEVICEID : LINEERR_INVALPARAM;
    line->callFeatures = number(f[2]);
    line->transferModes = number(f[3]);
    bool address = f.size() >= 5 && f[4] == "address";
    if (line->open != 0) {
      if (address) s.post(line->open, LINE_ADDRESSSTATE, line->callbackInstance, 0, LINEADDRESSSTATE_CAPSCHANGE, 0);
      else s.post(line->open, LINE_LINEDEVSTATE, line->callbackInstance, LINEDEVSTATE_CAPSCHANGE, 0, 0);
    }
    return 0;
  }
  if (verb == "remove" || verb == "service") {
    Line* line = f.size() >= 2 ? s.lineByExt(f[1]) : nullptr;
    if (line == nullptr) return LINEERR_BADDEVICEID;
    DWORD device = static_cast<DWORD>(line - s.lines.data());
    if (verb == "remove") {
      line->removed = true;
      line->open = 0;
      s.post(0, LINE_REMOVE, 0, device, 0, 0);
      return 0;
    }
    if (f.size() < 3) return LINEERR_INVALPARAM;
    line->inService = f[2] == "1";
    if (line->open != 0) s.post(line->open, LINE_LINEDEVSTATE, line->callbackInstance, line->inService ? LINEDEVSTATE_INSERVICE : LINEDEVSTATE_OUTOFSERVICE, 0, 0);
    return 0;
  }
  if (verb == "link") {
    if (f.size() < 2) return LINEERR_INVALPARAM;
    s.linkUp = f[1] == "1";
    for (auto& line : s.lines)
      if (line.open != 0 && !line.removed) s.post(line.open, LINE_LINEDEVSTATE, line.callbackInstance, s.linkUp ? LINEDEVSTATE_CONNECTED : LINEDEVSTATE_DISCONNECTED, 0, 0);
    return 0;
  }
  if (verb == "reinit") {
    s.post(0, LINE_LINEDEVSTATE, 0, LINEDEVSTATE_REINIT, 0, 0);
    return 0;
  }
  if (verb == "reset") {
    reset(s);
    return 0;
  }
  if (verb == "stats") {
    if (reply == nullptr || replySize == 0) return LINEERR_INVALPOINTER;
    std::snprintf(reply, replySize, "%llu %llu %llu %llu %d", static_cast<unsigned long long>(s.posted), static_cast<unsigned long long>(s.read),
                  static_cast<unsigned long long>(s.queue.size()), static_cast<unsigned long long>(s.hooked), s.initialized ? 1 : 0);
    return 0;
  }
  return LINEERR_OPERATIONUNAVAIL;
}
