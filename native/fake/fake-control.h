// The fake TSP's control entry point: how the simulated PBX drives it. Not
// part of TAPI; the addon looks these up at run time (GetProcAddress on
// Windows) and offers them to JavaScript only when the loaded tapi32 is this
// fake, so a real tapi32.dll never sees them.
#pragma once
#include "../common/tapi-include.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * One command, tab-separated fields (text fields percent-encoded UTF-8):
 *   reset | line EXT NAME ADDRESS PERMID MEDIAMODES INSERVICE [CALLFEATURES [TRANSFERMODES]] | remove EXT
 *   caps EXT CALLFEATURES TRANSFERMODES [address] (posts LINEDEVSTATE_CAPSCHANGE, or LINEADDRESSSTATE_CAPSCHANGE)
 *   service EXT 0|1 | close EXT | link 0|1 | reinit
 *   call KEY EXT STATE MODE ORIGIN REASON CALLER CALLERNAME CALLED CALLEDNAME
 *        CONNECTED CONNECTEDNAME REDIRECTING REDIRECTINGNAME RELATEDKEY
 *   info KEY (same fields as call, from EXT on; posts LINE_CALLINFO)
 *   reply REQUESTID RESULT [KEY] (KEY: the call a successful makeCall, setupTransfer or conference creates) | stats
 * Returns 0 or a negative LINEERR_* value; `stats` writes "POSTED READ QUEUED HOOKED INITIALIZED"
 * (messages since lineInitializeEx, requests raised since reset).
 */
LONG fakeTapiControl(const char* command, char* reply, DWORD replySize);

/**
 * Requests of the application the PBX must carry out: "makeCall ID EXT DEST", "answer ID KEY", "drop ID KEY",
 * "hold ID KEY", "unhold ID KEY", "transfer ID KEY DEST", "setupTransfer ID KEY", "dial ID KEY DEST",
 * "completeTransfer ID KEY CONSULTKEY transfer|conference".
 */
typedef void (*FakeTapiHook)(void* context, const char* request);
void fakeTapiSetHook(FakeTapiHook hook, void* context);

#ifdef __cplusplus
}
#endif
