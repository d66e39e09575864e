// The fake TSP's call-control functions: lineHold, lineUnhold,
// lineBlindTransferW, and the consultation functions lineSetupTransferW,
// lineDialW and lineCompleteTransfer. Asynchronous requests the simulated PBX
// carries out and answers with LINE_REPLY, like lineAnswer and lineDrop; what
// follows on the switch (ONHOLD, ONHOLDPENDTRANSFER, the consultation's
// DIALTONE … CONNECTED, IDLE of transferred calls, CONFERENCED parties and the
// conference call) arrives as the PBX's own call states, as from a real TSP.
// Each function needs its LINECALLFEATURE_* bit in the address caps (else
// LINEERR_OPERATIONUNAVAIL) and its calls in the states MSDN names (else
// LINEERR_INVALCALLSTATE).
#include "../common/utf.h"
#include "fake-state.h"

using namespace faketsp;

extern "C" {

LONG WINAPI lineHold(HCALL hCall) { return callRequest(hCall, "hold", LINECALLSTATE_CONNECTED, LINECALLFEATURE_HOLD); }

LONG WINAPI lineUnhold(HCALL hCall) { return callRequest(hCall, "unhold", LINECALLSTATE_ONHOLD, LINECALLFEATURE_UNHOLD); }

LONG WINAPI lineBlindTransferW(HCALL hCall, LPCWSTR lpszDestAddressW, DWORD) {
  std::string dest;
  if (LONG err = destinationOf(lpszDestAddressW, &dest)) return err;
  return callRequest(hCall, "transfer", LINECALLSTATE_CONNECTED | LINECALLSTATE_ONHOLD, LINECALLFEATURE_BLINDTRANSFER, dest);
}

// The consultation call's handle is written to lphConsultCall when the application reads the LINE_REPLY.
LONG WINAPI lineSetupTransferW(HCALL hCall, LPHCALL lphConsultCall, LPLINECALLPARAMS const) {
  if (lphConsultCall == nullptr) return LINEERR_INVALPOINTER;
  return callRequest(hCall, "setupTransfer", LINECALLSTATE_CONNECTED, LINECALLFEATURE_SETUPTRANSFER, std::string(), lphConsultCall);
}

// Dialling on a call with a dial tone, or on a consultation call whose first state the application has not seen
// (UNKNOWN): MSDN leaves its state "not applicable", and TSPs take lineDial right after lineSetupTransfer's reply.
LONG WINAPI lineDialW(HCALL hCall, LPCWSTR lpszDestAddress, DWORD) {
  std::string dest;
  if (LONG err = destinationOf(lpszDestAddress, &dest)) return err;
  return callRequest(hCall, "dial", LINECALLSTATE_DIALTONE | LINECALLSTATE_UNKNOWN, LINECALLFEATURE_DIAL, dest);
}

LONG WINAPI lineCompleteTransfer(HCALL hCall, HCALL hConsultCall, LPHCALL lphConfCall, DWORD dwTransferMode) {
  State& s = state();
  std::unique_lock<std::mutex> lock(s.mutex);
  Call* call = s.callByHandle(hCall);
  Call* consult = s.callByHandle(hConsultCall);
  if (!s.initialized || call == nullptr || consult == nullptr || call == consult) return LINEERR_INVALCALLHANDLE;
  if (dwTransferMode != LINETRANSFERMODE_TRANSFER && dwTransferMode != LINETRANSFERMODE_CONFERENCE) return LINEERR_INVALTRANSFERMODE;
  bool conference = dwTransferMode == LINETRANSFERMODE_CONFERENCE;
  if (conference && lphConfCall == nullptr) return LINEERR_INVALPOINTER;
  Line& line = s.lines[call->device];
  if ((line.privileges & LINECALLPRIVILEGE_OWNER) == 0) return LINEERR_NOTOWNER;
  // The switch resolves a transfer only in the modes the address caps list.
  if ((line.callFeatures & LINECALLFEATURE_COMPLETETRANSF) == 0 || (line.transferModes & dwTransferMode) == 0) return LINEERR_OPERATIONUNAVAIL;
  // This switch keeps a consultation on its primary call's address (no cross-address transfer).
  if (consult->device != call->device) return LINEERR_INVALCALLHANDLE;
  if ((call->visible.state & (LINECALLSTATE_ONHOLD | LINECALLSTATE_ONHOLDPENDTRANSFER)) == 0) return LINEERR_INVALCALLSTATE;
  // A conference needs the consulted party in the call; a transfer may also be completed while it rings (or is busy).
  DWORD consultStates = conference ? LINECALLSTATE_CONNECTED : LINECALLSTATE_CONNECTED | LINECALLSTATE_RINGBACK | LINECALLSTATE_BUSY | LINECALLSTATE_PROCEEDING;
  if ((consult->visible.state & consultStates) == 0) return LINEERR_INVALCALLSTATE;
  return raise(s, lock, "completeTransfer", call->device, conference ? lphConfCall : nullptr,
               call->key + "\t" + consult->key + "\t" + (conference ? "conference" : "transfer"));
}

}  // extern "C"
