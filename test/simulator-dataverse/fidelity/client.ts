// The fidelity suite's frame: a simulated Dataverse on a real port, driven by a widely used
// third-party client (dynamics-web-api, its Node build, signed in with a token from the
// simulator's own token endpoint) and by plain requests. Each test names the Microsoft
// documentation page whose behaviour it checks.
import { DynamicsWebApi } from 'dynamics-web-api';
import type { SimulatedDataverse } from '../../../simulator/dataverse/index.ts';
import { api, appToken, startSim, userToken, type Api } from '../support.ts';

export interface Fidelity {
  dv: SimulatedDataverse;
  /** dynamics-web-api as Petra Hoffmann (System Administrator), signed in with ROPC. */
  client: DynamicsWebApi;
  /** Plain requests as the same user. */
  raw: Api;
  /** Her access token. */
  token: string;
  /** The manager application (an application user with the Delegate privilege) for impersonation. */
  appClient: DynamicsWebApi;
  appRaw: Api;
  /** dynamics-web-api with extra configuration (e.g. impersonate or another token). */
  clientWith(config: ConstructorParameters<typeof DynamicsWebApi>[0]): DynamicsWebApi;
}

export async function startFidelity(): Promise<Fidelity> {
  const dv = await startSim();
  const [token, app] = await Promise.all([userToken(dv, 'phoffmann'), appToken(dv)]);
  const base = { serverUrl: `${dv.url}/`, dataApi: { version: '9.2' }, onTokenRefresh: () => Promise.resolve(token) };
  const clientWith = (config: ConstructorParameters<typeof DynamicsWebApi>[0]): DynamicsWebApi => new DynamicsWebApi({ ...base, ...config });
  return {
    dv, client: clientWith({}), raw: api(dv, token), token, clientWith,
    appClient: clientWith({ onTokenRefresh: () => Promise.resolve(app) }), appRaw: api(dv, app),
  };
}

/** The status and Dataverse error code of a failed dynamics-web-api call. */
export async function failure(promise: Promise<unknown>): Promise<{ status: number; code: string; message: string }> {
  try {
    await promise;
  } catch (err) {
    const e = err as { status?: number; code?: string; message?: string };
    return { status: e.status ?? 0, code: String(e.code ?? ''), message: String(e.message ?? '') };
  }
  throw new Error('expected the request to fail');
}
