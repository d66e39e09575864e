// The fake TSP's call-control functions (lineHold, lineUnhold,
// lineBlindTransferW): asynchronous requests the simulated PBX carries out and
// answers with LINE_REPLY, like lineAnswer and lineDrop. What follows on the
// switch (ONHOLD, CONNECTED again, or the transferred call going
// DISCONNECTED/IDLE) arrives as the PBX's own call states, as from a real TSP.
#include "../common/utf.h"
#include "fake-state.h"

using namespace faketsp;

extern "C" {

LONG WINAPI lineHold(HCALL hCall) { return callRequest(hCall, "hold", LINECALLSTATE_CONNECTED, LINECALLFEATURE_HOLD); }

LONG WINAPI lineUnhold(HCALL hCall) { return callRequest(hCall, "unhold", LINECALLSTATE_ONHOLD, LINECALLFEATURE_UNHOLD); }

LONG WINAPI lineBlindTransferW(HCALL hCall, LPCWSTR lpszDestAddressW, DWORD) {
  if (lpszDestAddressW == nullptr) return LINEERR_INVALPOINTER;
  size_t units = 0;
  while (lpszDestAddressW[units] != 0 && units < 256) units++;
  if (units == 0 || lpszDestAddressW[units] != 0) return LINEERR_INVALADDRESS;
  std::string dest = crmtapi::utf16ToUtf8(reinterpret_cast<const char16_t*>(lpszDestAddressW), units);
  // The request travels tab-separated to the PBX: a tab or newline in the address could forge fields.
  for (char c : dest)
    if (c == '\t' || c == '\n') return LINEERR_INVALADDRESS;
  return callRequest(hCall, "transfer", LINECALLSTATE_CONNECTED | LINECALLSTATE_ONHOLD, LINECALLFEATURE_BLINDTRANSFER, dest);
}

}  // extern "C"
