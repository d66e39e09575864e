#include "tapi-structs.h"
#include <cstring>
#include <vector>
#include "../common/utf.h"

namespace crmtapi {
namespace {

// Calls `fill` with a buffer of dwTotalSize bytes until the structure fits.
template <typename T, typename Fill>
LONG fetch(std::vector<uint8_t>* buffer, Fill fill) {
  size_t size = sizeof(T) + 512;
  for (int attempt = 0; attempt < 4; attempt++) {
    buffer->assign(size, 0);
    T* s = reinterpret_cast<T*>(buffer->data());
    s->dwTotalSize = static_cast<DWORD>(size);
    LONG result = fill(s);
    if (result != 0) return result;
    if (s->dwNeededSize <= s->dwTotalSize) return 0;
    size = s->dwNeededSize;
  }
  return LINEERR_STRUCTURETOOSMALL;
}

std::string text(const std::vector<uint8_t>& buffer, DWORD used, DWORD size, DWORD offset) {
  if (size == 0 || offset == 0 || offset > used || size > used - offset) return std::string();
  // Copy to aligned storage: an offset may be odd in a packed structure.
  std::u16string units(size / sizeof(char16_t), u'\0');
  std::memcpy(&units[0], buffer.data() + offset, units.size() * sizeof(char16_t));
  return utf16ToUtf8(units.data(), units.size());
}

}  // namespace

LONG readDevCaps(HLINEAPP app, DWORD device, DWORD api, DevCaps* out) {
  std::vector<uint8_t> b;
  LONG r = fetch<LINEDEVCAPS>(&b, [&](LINEDEVCAPS* s) { return lineGetDevCapsW(app, device, api, 0, s); });
  if (r != 0) return r;
  const LINEDEVCAPS* c = reinterpret_cast<const LINEDEVCAPS*>(b.data());
  out->name = text(b, c->dwUsedSize, c->dwLineNameSize, c->dwLineNameOffset);
  out->providerInfo = text(b, c->dwUsedSize, c->dwProviderInfoSize, c->dwProviderInfoOffset);
  out->switchInfo = text(b, c->dwUsedSize, c->dwSwitchInfoSize, c->dwSwitchInfoOffset);
  out->permanentLineId = c->dwPermanentLineID;
  out->mediaModes = c->dwMediaModes;
  out->numAddresses = c->dwNumAddresses;
  out->lineStates = c->dwLineStates;
  return 0;
}

LONG readAddressCaps(HLINEAPP app, DWORD device, DWORD address, DWORD api, AddressCaps* out) {
  std::vector<uint8_t> b;
  LONG r = fetch<LINEADDRESSCAPS>(&b, [&](LINEADDRESSCAPS* s) { return lineGetAddressCapsW(app, device, address, api, 0, s); });
  if (r != 0) return r;
  const LINEADDRESSCAPS* c = reinterpret_cast<const LINEADDRESSCAPS*>(b.data());
  out->address = text(b, c->dwUsedSize, c->dwAddressSize, c->dwAddressOffset);
  out->callInfoStates = c->dwCallInfoStates;
  out->callFeatures = c->dwCallFeatures;
  out->transferModes = c->dwTransferModes;
  return 0;
}

LONG readCallInfo(HCALL call, CallSnapshot* out) {
  std::vector<uint8_t> b;
  LONG r = fetch<LINECALLINFO>(&b, [&](LINECALLINFO* s) { return lineGetCallInfoW(call, s); });
  if (r != 0) return r;
  const LINECALLINFO* c = reinterpret_cast<const LINECALLINFO*>(b.data());
  auto party = [&](DWORD flags, DWORD size, DWORD offset, DWORD nameSize, DWORD nameOffset) {
    PartyId p;
    p.flags = flags;
    p.number = text(b, c->dwUsedSize, size, offset);
    p.name = text(b, c->dwUsedSize, nameSize, nameOffset);
    return p;
  };
  out->caller = party(c->dwCallerIDFlags, c->dwCallerIDSize, c->dwCallerIDOffset, c->dwCallerIDNameSize, c->dwCallerIDNameOffset);
  out->called = party(c->dwCalledIDFlags, c->dwCalledIDSize, c->dwCalledIDOffset, c->dwCalledIDNameSize, c->dwCalledIDNameOffset);
  out->connected = party(c->dwConnectedIDFlags, c->dwConnectedIDSize, c->dwConnectedIDOffset, c->dwConnectedIDNameSize, c->dwConnectedIDNameOffset);
  out->redirecting =
      party(c->dwRedirectingIDFlags, c->dwRedirectingIDSize, c->dwRedirectingIDOffset, c->dwRedirectingIDNameSize, c->dwRedirectingIDNameOffset);
  out->callId = c->dwCallID;
  out->relatedCallId = c->dwRelatedCallID;
  out->origin = c->dwOrigin;
  out->reason = c->dwReason;
  out->lineDeviceId = c->dwLineDeviceID;
  out->mediaMode = c->dwMediaMode;
  out->callStates = c->dwCallStates;
  return 0;
}

}  // namespace crmtapi
