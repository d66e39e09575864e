// Watching the configuration file while the service runs. fs.watch is fast
// but unreliable across editors (save-by-rename) and network shares, so a
// periodic stat backs it up; bursts of change notices are debounced into one
// reload. The watcher only notices; reading and validating is the caller's.
import { watch, type FSWatcher } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename, dirname } from 'node:path';

export interface ConfigWatcherOptions {
  path: string;
  /** Called once per burst of changes; errors are the callee's to handle. */
  onChange: () => void;
  debounceMs?: number;
  pollMs?: number;
}

export class ConfigWatcher {
  #watcher: FSWatcher | undefined;
  #poll: ReturnType<typeof setInterval> | undefined;
  #debounce: ReturnType<typeof setTimeout> | undefined;
  #signature = '';
  #stopped = false;

  constructor(private readonly options: ConfigWatcherOptions) {}

  async start(): Promise<void> {
    this.#signature = await this.#stat();
    const file = basename(this.options.path);
    try {
      // The directory, not the file: an editor that saves by renaming replaces the watched inode.
      this.#watcher = watch(dirname(this.options.path), (_event, name) => {
        if (name === null || name === file) this.#changed();
      });
      this.#watcher.on('error', () => this.#watcher?.close());
    } catch {
      // No fs.watch here (some network file systems): the poll alone does the job.
    }
    this.#poll = setInterval(() => void this.#check(), this.options.pollMs ?? 2_000);
    this.#poll.unref();
  }

  stop(): void {
    this.#stopped = true;
    this.#watcher?.close();
    if (this.#poll !== undefined) clearInterval(this.#poll);
    if (this.#debounce !== undefined) clearTimeout(this.#debounce);
    this.#watcher = undefined;
    this.#poll = undefined;
    this.#debounce = undefined;
  }

  async #check(): Promise<void> {
    const now = await this.#stat();
    if (now !== this.#signature) this.#changed();
  }

  #changed(): void {
    if (this.#stopped) return;
    if (this.#debounce !== undefined) clearTimeout(this.#debounce);
    this.#debounce = setTimeout(() => {
      this.#debounce = undefined;
      void this.#stat().then((signature) => {
        this.#signature = signature;
        if (!this.#stopped) this.options.onChange();
      });
    }, this.options.debounceMs ?? 300);
  }

  async #stat(): Promise<string> {
    try {
      const s = await stat(this.options.path);
      return `${s.mtimeMs}:${s.size}:${s.ino}`;
    } catch {
      return 'missing';
    }
  }
}
