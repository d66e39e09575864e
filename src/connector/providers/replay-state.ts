// What a replayed session looks like "now": the lines and the calls not yet
// idle, updated from each replayed event exactly as a consumer would see them.
import type { CallInfo, LineInfo, ProviderEvent } from '../line-provider.ts';

export class ReplayState {
  private readonly lineMap = new Map<string, LineInfo>();
  private readonly calls = new Map<string, CallInfo>();

  constructor(lines: readonly LineInfo[]) {
    for (const line of lines) this.lineMap.set(line.name, line);
  }

  lines(): LineInfo[] {
    return [...this.lineMap.values()];
  }

  hasLine(name: string): boolean {
    return this.lineMap.has(name);
  }

  hasCall(callId: string): boolean {
    return this.calls.has(callId);
  }

  activeCalls(): CallInfo[] {
    return [...this.calls.values()];
  }

  apply(event: ProviderEvent): void {
    switch (event.type) {
      case 'call': {
        const { type: _type, at: _at, ...info } = event;
        if (info.state === 'idle') this.calls.delete(info.callId);
        else this.calls.set(info.callId, info);
        return;
      }
      case 'lineAdded':
        this.lineMap.set(event.line.name, event.line);
        return;
      case 'lineRemoved':
        this.lineMap.delete(event.line);
        return;
      case 'lineOutOfService':
      case 'lineInService': {
        const line = this.lineMap.get(event.line);
        if (line !== undefined) this.lineMap.set(event.line, { ...line, inService: event.type === 'lineInService' });
        return;
      }
      case 'providerDown':
        this.calls.clear();
        return;
      default:
        return;
    }
  }
}
