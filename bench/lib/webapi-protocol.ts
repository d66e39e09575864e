// What bench/lib/webapi.ts and its stand-in Web API process (webapi-child.ts) share. A module of its own:
// importing webapi-child.ts would start its server in the importing process.
export const WEB_API_PATH = '/api/data/v9.2/';
export const BENCH_TOKEN = 'bench-static-token';

export type WebApiChildReply = { type: 'listening'; port: number } | { type: 'stats'; created: number; refused: number; requests: number; cpuMs: number };
