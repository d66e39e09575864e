// The one base class of every typed error in the project. Subclasses carry a
// stable string `code` (documented where the error is defined) so callers,
// wire replies and the CLI can act on the kind of failure, not on its wording.

export abstract class CrmTapiError extends Error {
  abstract readonly code: string;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}
