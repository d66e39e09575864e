#include "session.h"
#include <string>
#include "../common/utf.h"
#include "tapi-structs.h"

namespace crmtapi {
namespace {

struct Message {
  LINEMESSAGE raw{};
  bool hasInfo = false;
  LONG infoResult = 0;
  CallSnapshot info;
  bool hasNewCall = false;
  HCALL newCall = 0;
};

// The reader thread waits at most this long per lineGetMessage, so a stop is noticed even from a TSP that never wakes it.
constexpr DWORD kWaitMs = 200;

Napi::Object PartyObject(Napi::Env env, const PartyId& p) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("flags", p.flags);
  o.Set("number", p.number);
  o.Set("name", p.name);
  return o;
}

Napi::Object SnapshotObject(Napi::Env env, const CallSnapshot& s) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("callId", s.callId);
  o.Set("relatedCallId", s.relatedCallId);
  o.Set("origin", s.origin);
  o.Set("reason", s.reason);
  o.Set("lineDeviceId", s.lineDeviceId);
  o.Set("mediaMode", s.mediaMode);
  o.Set("caller", PartyObject(env, s.caller));
  o.Set("called", PartyObject(env, s.called));
  o.Set("connected", PartyObject(env, s.connected));
  o.Set("redirecting", PartyObject(env, s.redirecting));
  return o;
}

Napi::Object MessageObject(Napi::Env env, const Message& m) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("hDevice", static_cast<double>(m.raw.hDevice));
  o.Set("message", static_cast<double>(m.raw.dwMessageID));
  o.Set("instance", static_cast<double>(static_cast<uint32_t>(m.raw.dwCallbackInstance)));
  o.Set("param1", static_cast<double>(static_cast<uint32_t>(m.raw.dwParam1)));
  o.Set("param2", static_cast<double>(static_cast<uint32_t>(m.raw.dwParam2)));
  o.Set("param3", static_cast<double>(static_cast<uint32_t>(m.raw.dwParam3)));
  if (m.raw.dwMessageID == LINE_REPLY) o.Set("result", static_cast<double>(static_cast<int32_t>(m.raw.dwParam2)));
  if (m.hasInfo) {
    if (m.infoResult == 0) o.Set("info", SnapshotObject(env, m.info));
    else o.Set("infoResult", static_cast<double>(m.infoResult));
  }
  if (m.hasNewCall) o.Set("hCall", static_cast<double>(m.newCall));
  return o;
}

uint32_t U32(const Napi::CallbackInfo& info, size_t i, const char* what) {
  if (i >= info.Length() || !info[i].IsNumber()) throw Napi::TypeError::New(info.Env(), std::string(what) + " must be a number");
  return info[i].As<Napi::Number>().Uint32Value();
}

}  // namespace

Napi::Error TapiError(Napi::Env env, const char* function, LONG result) {
  Napi::Error error = Napi::Error::New(env, std::string(function) + " failed with " + std::to_string(result));
  error.Set("tapiFunction", function);
  error.Set("tapiResult", static_cast<double>(result));
  return error;
}

Napi::Function Session::Define(Napi::Env env) {
  return DefineClass(env, "Session",
                     {InstanceMethod("numDevs", &Session::NumDevs), InstanceMethod("apiVersion", &Session::ApiVersion),
                      InstanceMethod("negotiate", &Session::Negotiate), InstanceMethod("devCaps", &Session::DevCaps),
                      InstanceMethod("addressCaps", &Session::AddressCaps), InstanceMethod("open", &Session::Open),
                      InstanceMethod("close", &Session::Close), InstanceMethod("callInfo", &Session::CallInfo),
                      InstanceMethod("makeCall", &Session::MakeCall), InstanceMethod("answer", &Session::Answer),
                      InstanceMethod("drop", &Session::Drop), InstanceMethod("hold", &Session::Hold),
                      InstanceMethod("unhold", &Session::Unhold), InstanceMethod("blindTransfer", &Session::BlindTransfer),
                      InstanceMethod("setupTransfer", &Session::SetupTransfer), InstanceMethod("dial", &Session::Dial),
                      InstanceMethod("completeTransfer", &Session::CompleteTransfer),
                      InstanceMethod("deallocate", &Session::Deallocate),
                      InstanceMethod("shutdown", &Session::Shutdown), InstanceMethod("stats", &Session::Stats)});
}

// new Session(appName, apiVersion, onMessage)
Session::Session(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Session>(info) {
  Napi::Env env = info.Env();
  if (info.Length() < 3 || !info[0].IsString() || !info[1].IsNumber() || !info[2].IsFunction()) {
    throw Napi::TypeError::New(env, "new Session(appName: string, apiVersion: number, onMessage: function)");
  }
  std::u16string appName = utf8ToUtf16(info[0].As<Napi::String>().Utf8Value());
  LINEINITIALIZEEXPARAMS params{};
  params.dwTotalSize = sizeof(params);
  params.dwOptions = LINEINITIALIZEEXOPTION_USEEVENT;
  apiVersion_ = info[1].As<Napi::Number>().Uint32Value();
  LONG r = lineInitializeExW(&app_, nullptr, nullptr, reinterpret_cast<LPCWSTR>(appName.c_str()), &numDevs_, &apiVersion_, &params);
  if (r != 0) throw TapiError(env, "lineInitializeExW", r);
  deliver_ = Napi::ThreadSafeFunction::New(env, info[2].As<Napi::Function>(), "crm-tapi messages", 0, 1);
  started_ = true;
  reader_ = std::thread([this] { ReadMessages(); });
}

Session::~Session() { Stop(); }

void Session::ReadMessages() {
  auto delivered = delivered_;
  while (!stop_.load()) {
    auto message = std::make_unique<Message>();
    LONG r = lineGetMessage(app_, &message->raw, kWaitMs);
    if (r == static_cast<LONG>(LINEERR_OPERATIONFAILED)) continue;  // the wait timed out
    if (r != 0) break;  // LINEERR_INVALAPPHANDLE after lineShutdown
    DWORD id = message->raw.dwMessageID;
    // Read the call's details now, while they still describe the state this message announces.
    if (id == LINE_CALLSTATE || id == LINE_CALLINFO) {
      message->hasInfo = true;
      message->infoResult = readCallInfo(static_cast<HCALL>(message->raw.hDevice), &message->info);
    } else if (id == LINE_REPLY) {
      std::lock_guard<std::mutex> lock(pendingMutex_);
      auto it = pendingCalls_.find(static_cast<DWORD>(message->raw.dwParam1));
      if (it != pendingCalls_.end()) {
        message->hasNewCall = true;
        message->newCall = *it->second;
        pendingCalls_.erase(it);
      }
    }
    napi_status status = deliver_.NonBlockingCall(message.get(), [delivered](Napi::Env env, Napi::Function callback, Message* m) {
      std::unique_ptr<Message> owned(m);
      if (env == nullptr) return;  // the session is being torn down
      delivered->fetch_add(1);
      callback.Call({MessageObject(env, *owned)});
    });
    if (status == napi_ok) message.release();
  }
}

void Session::Stop() {
  if (!started_ || shutDown_) return;
  shutDown_ = true;
  stop_.store(true);
  lineShutdown(app_);
  if (reader_.joinable()) reader_.join();
  deliver_.Release();
  std::lock_guard<std::mutex> lock(pendingMutex_);
  pendingCalls_.clear();
}

void Session::EnsureOpen(Napi::Env env, const char* function) const {
  if (!started_ || shutDown_) throw TapiError(env, function, LINEERR_INVALAPPHANDLE);
}

Napi::Value Session::NumDevs(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), numDevs_); }
Napi::Value Session::ApiVersion(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), apiVersion_); }

Napi::Value Session::Negotiate(const Napi::CallbackInfo& info) {
  EnsureOpen(info.Env(), "lineNegotiateAPIVersion");
  DWORD version = 0;
  LINEEXTENSIONID ext{};
  LONG r = lineNegotiateAPIVersion(app_, U32(info, 0, "device"), U32(info, 1, "low"), U32(info, 2, "high"), &version, &ext);
  if (r != 0) throw TapiError(info.Env(), "lineNegotiateAPIVersion", r);
  return Napi::Number::New(info.Env(), version);
}

Napi::Value Session::DevCaps(const Napi::CallbackInfo& info) {
  EnsureOpen(info.Env(), "lineGetDevCapsW");
  crmtapi::DevCaps caps;
  LONG r = readDevCaps(app_, U32(info, 0, "device"), U32(info, 1, "apiVersion"), &caps);
  if (r != 0) throw TapiError(info.Env(), "lineGetDevCapsW", r);
  Napi::Object o = Napi::Object::New(info.Env());
  o.Set("name", caps.name);
  o.Set("providerInfo", caps.providerInfo);
  o.Set("switchInfo", caps.switchInfo);
  o.Set("permanentLineId", caps.permanentLineId);
  o.Set("mediaModes", caps.mediaModes);
  o.Set("numAddresses", caps.numAddresses);
  o.Set("lineStates", caps.lineStates);
  return o;
}

Napi::Value Session::AddressCaps(const Napi::CallbackInfo& info) {
  EnsureOpen(info.Env(), "lineGetAddressCapsW");
  crmtapi::AddressCaps caps;
  LONG r = readAddressCaps(app_, U32(info, 0, "device"), U32(info, 1, "address"), U32(info, 2, "apiVersion"), &caps);
  if (r != 0) throw TapiError(info.Env(), "lineGetAddressCapsW", r);
  Napi::Object o = Napi::Object::New(info.Env());
  o.Set("address", caps.address);
  o.Set("callInfoStates", caps.callInfoStates);
  o.Set("callFeatures", caps.callFeatures);
  o.Set("transferModes", caps.transferModes);
  return o;
}

// open(device, apiVersion, privileges, mediaModes): the device id is the callback instance of the line's messages.
Napi::Value Session::Open(const Napi::CallbackInfo& info) {
  EnsureOpen(info.Env(), "lineOpenW");
  DWORD device = U32(info, 0, "device");
  HLINE line = 0;
  LONG r = lineOpenW(app_, device, &line, U32(info, 1, "apiVersion"), 0, device, U32(info, 2, "privileges"), U32(info, 3, "mediaModes"), nullptr);
  if (r != 0) throw TapiError(info.Env(), "lineOpenW", r);
  return Napi::Number::New(info.Env(), line);
}

Napi::Value Session::Close(const Napi::CallbackInfo& info) {
  EnsureOpen(info.Env(), "lineClose");
  LONG r = lineClose(U32(info, 0, "hLine"));
  if (r != 0) throw TapiError(info.Env(), "lineClose", r);
  return info.Env().Undefined();
}

Napi::Value Session::CallInfo(const Napi::CallbackInfo& info) {
  EnsureOpen(info.Env(), "lineGetCallInfoW");
  CallSnapshot snapshot;
  LONG r = readCallInfo(U32(info, 0, "hCall"), &snapshot);
  if (r != 0) throw TapiError(info.Env(), "lineGetCallInfoW", r);
  return SnapshotObject(info.Env(), snapshot);
}

template <typename Send>
Napi::Value Session::RequestNewCall(Napi::Env env, const char* function, Send send) {
  auto target = std::make_unique<HCALL>(0);
  // Held across the call so the reader thread cannot see the LINE_REPLY before the handle's storage is registered.
  std::lock_guard<std::mutex> lock(pendingMutex_);
  LONG r = send(target.get());
  if (r < 0) throw TapiError(env, function, r);
  pendingCalls_[static_cast<DWORD>(r)] = std::move(target);
  return Napi::Number::New(env, r);
}

static std::u16string Destination(const Napi::CallbackInfo& info, size_t i) {
  if (info.Length() <= i || !info[i].IsString()) throw Napi::TypeError::New(info.Env(), "destination must be a string");
  return utf8ToUtf16(info[i].As<Napi::String>().Utf8Value());
}

Napi::Value Session::MakeCall(const Napi::CallbackInfo& info) {
  EnsureOpen(info.Env(), "lineMakeCallW");
  HLINE line = U32(info, 0, "hLine");
  std::u16string dest = Destination(info, 1);
  return RequestNewCall(info.Env(), "lineMakeCallW",
                        [&](HCALL* target) { return lineMakeCallW(line, target, reinterpret_cast<LPCWSTR>(dest.c_str()), 0, nullptr); });
}

// setupTransfer(hCall): the consultation call's handle arrives with the LINE_REPLY (hCall of the message).
Napi::Value Session::SetupTransfer(const Napi::CallbackInfo& info) {
  EnsureOpen(info.Env(), "lineSetupTransferW");
  HCALL call = U32(info, 0, "hCall");
  return RequestNewCall(info.Env(), "lineSetupTransferW", [&](HCALL* target) { return lineSetupTransferW(call, target, nullptr); });
}

// dial(hCall, destination): dials on a call that has a dial tone (the consultation call), country code 0.
Napi::Value Session::Dial(const Napi::CallbackInfo& info) {
  EnsureOpen(info.Env(), "lineDialW");
  HCALL call = U32(info, 0, "hCall");
  std::u16string dest = Destination(info, 1);
  LONG r = lineDialW(call, reinterpret_cast<LPCWSTR>(dest.c_str()), 0);
  if (r < 0) throw TapiError(info.Env(), "lineDialW", r);
  return Napi::Number::New(info.Env(), r);
}

// completeTransfer(hCall, hConsultCall, mode): with LINETRANSFERMODE_CONFERENCE the conference call's handle
// arrives with the LINE_REPLY; with LINETRANSFERMODE_TRANSFER TAPI ignores the pointer and both calls go idle.
Napi::Value Session::CompleteTransfer(const Napi::CallbackInfo& info) {
  EnsureOpen(info.Env(), "lineCompleteTransfer");
  HCALL call = U32(info, 0, "hCall");
  HCALL consult = U32(info, 1, "hConsultCall");
  DWORD mode = U32(info, 2, "mode");
  if (mode == LINETRANSFERMODE_CONFERENCE) {
    return RequestNewCall(info.Env(), "lineCompleteTransfer", [&](HCALL* target) { return lineCompleteTransfer(call, consult, target, mode); });
  }
  LONG r = lineCompleteTransfer(call, consult, nullptr, mode);
  if (r < 0) throw TapiError(info.Env(), "lineCompleteTransfer", r);
  return Napi::Number::New(info.Env(), r);
}

Napi::Value Session::Answer(const Napi::CallbackInfo& info) {
  EnsureOpen(info.Env(), "lineAnswer");
  LONG r = lineAnswer(U32(info, 0, "hCall"), nullptr, 0);
  if (r < 0) throw TapiError(info.Env(), "lineAnswer", r);
  return Napi::Number::New(info.Env(), r);
}

Napi::Value Session::Drop(const Napi::CallbackInfo& info) {
  EnsureOpen(info.Env(), "lineDrop");
  LONG r = lineDrop(U32(info, 0, "hCall"), nullptr, 0);
  if (r < 0) throw TapiError(info.Env(), "lineDrop", r);
  return Napi::Number::New(info.Env(), r);
}

Napi::Value Session::Hold(const Napi::CallbackInfo& info) {
  EnsureOpen(info.Env(), "lineHold");
  LONG r = lineHold(U32(info, 0, "hCall"));
  if (r < 0) throw TapiError(info.Env(), "lineHold", r);
  return Napi::Number::New(info.Env(), r);
}

Napi::Value Session::Unhold(const Napi::CallbackInfo& info) {
  EnsureOpen(info.Env(), "lineUnhold");
  LONG r = lineUnhold(U32(info, 0, "hCall"));
  if (r < 0) throw TapiError(info.Env(), "lineUnhold", r);
  return Napi::Number::New(info.Env(), r);
}

// blindTransfer(hCall, destination): the address in canonical or dialable form, country code 0 (the default).
Napi::Value Session::BlindTransfer(const Napi::CallbackInfo& info) {
  EnsureOpen(info.Env(), "lineBlindTransferW");
  HCALL call = U32(info, 0, "hCall");
  std::u16string dest = Destination(info, 1);
  LONG r = lineBlindTransferW(call, reinterpret_cast<LPCWSTR>(dest.c_str()), 0);
  if (r < 0) throw TapiError(info.Env(), "lineBlindTransferW", r);
  return Napi::Number::New(info.Env(), r);
}

Napi::Value Session::Deallocate(const Napi::CallbackInfo& info) {
  EnsureOpen(info.Env(), "lineDeallocateCall");
  LONG r = lineDeallocateCall(U32(info, 0, "hCall"));
  if (r != 0) throw TapiError(info.Env(), "lineDeallocateCall", r);
  return info.Env().Undefined();
}

Napi::Value Session::Shutdown(const Napi::CallbackInfo& info) {
  Stop();
  return info.Env().Undefined();
}

Napi::Value Session::Stats(const Napi::CallbackInfo& info) {
  Napi::Object o = Napi::Object::New(info.Env());
  o.Set("delivered", static_cast<double>(delivered_->load()));
  return o;
}

}  // namespace crmtapi
