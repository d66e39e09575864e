// One TAPI application session (lineInitializeExW … lineShutdown) as a
// JavaScript object. A reader thread waits in lineGetMessage and hands each
// message, with the call's details read at once, to JavaScript through a
// thread-safe function; everything else runs on the JavaScript thread.
#pragma once
#include <napi.h>
#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include "../common/tapi-include.h"

namespace crmtapi {

class Session : public Napi::ObjectWrap<Session> {
 public:
  static Napi::Function Define(Napi::Env env);
  explicit Session(const Napi::CallbackInfo& info);
  ~Session() override;

 private:
  Napi::Value NumDevs(const Napi::CallbackInfo& info);
  Napi::Value ApiVersion(const Napi::CallbackInfo& info);
  Napi::Value Negotiate(const Napi::CallbackInfo& info);
  Napi::Value DevCaps(const Napi::CallbackInfo& info);
  Napi::Value AddressCaps(const Napi::CallbackInfo& info);
  Napi::Value Open(const Napi::CallbackInfo& info);
  Napi::Value Close(const Napi::CallbackInfo& info);
  Napi::Value CallInfo(const Napi::CallbackInfo& info);
  Napi::Value MakeCall(const Napi::CallbackInfo& info);
  Napi::Value Answer(const Napi::CallbackInfo& info);
  Napi::Value Drop(const Napi::CallbackInfo& info);
  Napi::Value Hold(const Napi::CallbackInfo& info);
  Napi::Value Unhold(const Napi::CallbackInfo& info);
  Napi::Value BlindTransfer(const Napi::CallbackInfo& info);
  Napi::Value SetupTransfer(const Napi::CallbackInfo& info);
  Napi::Value Dial(const Napi::CallbackInfo& info);
  Napi::Value CompleteTransfer(const Napi::CallbackInfo& info);
  Napi::Value Deallocate(const Napi::CallbackInfo& info);
  Napi::Value Shutdown(const Napi::CallbackInfo& info);
  Napi::Value Stats(const Napi::CallbackInfo& info);

  void ReadMessages();
  void Stop();
  void EnsureOpen(Napi::Env env, const char* function) const;
  /** Sends a request that creates a call (its handle written by TAPI before the LINE_REPLY) and keeps the handle's storage until that reply. */
  template <typename Send>
  Napi::Value RequestNewCall(Napi::Env env, const char* function, Send send);

  HLINEAPP app_ = 0;
  DWORD numDevs_ = 0, apiVersion_ = 0;
  bool started_ = false, shutDown_ = false;
  std::atomic<bool> stop_{false};
  std::thread reader_;
  Napi::ThreadSafeFunction deliver_;
  std::shared_ptr<std::atomic<uint64_t>> delivered_ = std::make_shared<std::atomic<uint64_t>>(0);
  // lineMakeCall, lineSetupTransfer and lineCompleteTransfer (conference) write the new call handle here before
  // their LINE_REPLY; kept until then.
  std::mutex pendingMutex_;
  std::map<DWORD, std::unique_ptr<HCALL>> pendingCalls_;
};

/** A JavaScript Error with the TAPI function and its LONG result (negative LINEERR_* value). */
Napi::Error TapiError(Napi::Env env, const char* function, LONG result);

}  // namespace crmtapi
