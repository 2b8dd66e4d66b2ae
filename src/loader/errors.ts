/**
 * The loader's typed error: what libbpf reports with pr_warn() and an errno at open, with the
 * program, section, instruction and symbol as fields. Works in node / browser.
 */
import { EINVAL } from '../uapi/errno.ts';
import { BpfError } from '../util/errors.ts';

/** Where in the object a loader error was found. Any of the fields may be absent. */
export interface LoaderLocation {
  readonly prog?: string;
  readonly section?: string;
  /** Instruction index (8-byte slots) inside the program's section, or the linked program. */
  readonly insnIdx?: number;
  readonly symbol?: string;
  readonly map?: string;
}

/** An object that cannot be opened or loaded as written (EINVAL unless stated). */
export class LoaderError extends BpfError {
  readonly prog?: string;
  readonly section?: string;
  readonly insnIdx?: number;
  readonly symbol?: string;
  readonly map?: string;
  constructor(message: string, where: LoaderLocation = {}, errno: number = EINVAL) {
    super(errno, message);
    this.name = 'LoaderError';
    if (where.prog !== undefined) this.prog = where.prog;
    if (where.section !== undefined) this.section = where.section;
    if (where.insnIdx !== undefined) this.insnIdx = where.insnIdx;
    if (where.symbol !== undefined) this.symbol = where.symbol;
    if (where.map !== undefined) this.map = where.map;
  }
}
