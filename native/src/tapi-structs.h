// TAPI's variable-size structures (LINEDEVCAPS, LINEADDRESSCAPS, LINECALLINFO)
// read into plain C++ values: the buffer grows to dwNeededSize and the
// request is repeated, strings are UTF-16 in the structure and UTF-8 out.
#pragma once
#include <cstdint>
#include <string>
#include "../common/tapi-include.h"

namespace crmtapi {

struct DevCaps {
  std::string name, providerInfo, switchInfo;
  uint32_t permanentLineId = 0, mediaModes = 0, numAddresses = 0, lineStates = 0;
};

struct AddressCaps {
  std::string address;
  uint32_t callInfoStates = 0, callFeatures = 0, transferModes = 0;
};

struct PartyId {
  uint32_t flags = 0;
  std::string number, name;
};

struct CallSnapshot {
  uint32_t callId = 0, relatedCallId = 0, origin = 0, reason = 0, lineDeviceId = 0, mediaMode = 0, callStates = 0;
  PartyId caller, called, connected, redirecting;
};

LONG readDevCaps(HLINEAPP app, DWORD device, DWORD api, DevCaps* out);
LONG readAddressCaps(HLINEAPP app, DWORD device, DWORD address, DWORD api, AddressCaps* out);
LONG readCallInfo(HCALL call, CallSnapshot* out);

}  // namespace crmtapi
