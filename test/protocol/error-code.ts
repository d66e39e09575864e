import { ProtocolError } from '../../src/protocol/index.ts';

/** The ProtocolError code `fn` throws, `'no error'` if it returns; any other exception fails the test. */
export function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof ProtocolError) return err.code;
    throw err;
  }
  return 'no error';
}
