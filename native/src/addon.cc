// The crm-tapi native addon: TAPI 2.x sessions for the `tapi` line provider
// (src/connector/providers/tapi/). When the tapi32 in this process is the
// fake TSP (native/fake/), its control entry point is offered too, so the
// simulated PBX can drive it; with a real tapi32.dll it is absent.
#include <napi.h>
#include "../fake/fake-control.h"
#include "session.h"
#ifdef _WIN32
#include <windows.h>
#endif

namespace crmtapi {
namespace {

using ControlFn = LONG (*)(const char*, char*, DWORD);
using SetHookFn = void (*)(FakeTapiHook, void*);

struct FakeEntry {
  ControlFn control = nullptr;
  SetHookFn setHook = nullptr;
};

FakeEntry FindFake() {
  FakeEntry entry;
#ifdef CRM_TAPI_FAKE_LINKED
  entry.control = &fakeTapiControl;
  entry.setHook = &fakeTapiSetHook;
#elif defined(_WIN32)
  HMODULE tapi = GetModuleHandleW(L"tapi32.dll");
  if (tapi != nullptr) {
    entry.control = reinterpret_cast<ControlFn>(reinterpret_cast<void*>(GetProcAddress(tapi, "fakeTapiControl")));
    entry.setHook = reinterpret_cast<SetHookFn>(reinterpret_cast<void*>(GetProcAddress(tapi, "fakeTapiSetHook")));
  }
#endif
  return entry;
}

FakeEntry fake;
Napi::ThreadSafeFunction hookTsfn;
bool hookSet = false;

void HookTrampoline(void*, const char* request) {
  // Runs on whichever thread called lineMakeCall & co.; JavaScript hears of it in its own turn.
  hookTsfn.NonBlockingCall(new std::string(request), [](Napi::Env env, Napi::Function callback, std::string* text) {
    std::unique_ptr<std::string> owned(text);
    if (env != nullptr) callback.Call({Napi::String::New(env, *owned)});
  });
}

Napi::Value FakeControl(const Napi::CallbackInfo& info) {
  if (info.Length() < 1 || !info[0].IsString()) throw Napi::TypeError::New(info.Env(), "fakeControl(command: string)");
  char reply[256] = {0};
  LONG r = fake.control(info[0].As<Napi::String>().Utf8Value().c_str(), reply, sizeof(reply));
  Napi::Object o = Napi::Object::New(info.Env());
  o.Set("result", static_cast<double>(r));
  o.Set("reply", reply);
  return o;
}

// fakeHook(fn | null): fn(request) hears the application's requests the PBX must carry out.
Napi::Value FakeHook(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  fake.setHook(nullptr, nullptr);
  if (hookSet) {
    hookTsfn.Release();
    hookSet = false;
  }
  if (info.Length() >= 1 && info[0].IsFunction()) {
    hookTsfn = Napi::ThreadSafeFunction::New(env, info[0].As<Napi::Function>(), "crm-tapi fake hook", 0, 1);
    hookTsfn.Unref(env);  // the hook alone never keeps the process alive
    hookSet = true;
    fake.setHook(&HookTrampoline, nullptr);
  }
  return env.Undefined();
}

}  // namespace

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("Session", Session::Define(env));
#ifdef _WIN32
  exports.Set("platform", "win32");
#else
  exports.Set("platform", "fake");
#endif
  fake = FindFake();
  if (fake.control != nullptr && fake.setHook != nullptr) {
    exports.Set("fakeControl", Napi::Function::New(env, FakeControl, "fakeControl"));
    exports.Set("fakeHook", Napi::Function::New(env, FakeHook, "fakeHook"));
  }
  return exports;
}

}  // namespace crmtapi

static Napi::Object InitAddon(Napi::Env env, Napi::Object exports) { return crmtapi::Init(env, exports); }

NODE_API_MODULE(crm_tapi, InitAddon)
