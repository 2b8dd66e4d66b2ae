/**
 * Values of `__kconfig` externs, as libbpf fills the `.kconfig` map at load
 * (bpf_object__resolve_externs, set_kcfg_value_*): LINUX_KERNEL_VERSION and the other LINUX_*
 * values libbpf computes itself, and CONFIG_* options the user supplies (libbpf reads them from
 * /proc/config.gz; tsbpf has no kernel config, so they come from `load({ kconfig })`).
 * Works in node / browser.
 */
import type { CollectionSpec } from '../loader/spec.ts';
import { BpfError } from '../util/errors.ts';
import { EINVAL, ESRCH } from '../uapi/errno.ts';

/** A CONFIG_ value: 'y' / 'm' / 'n', a number, or a string. */
export type KconfigValue = string | number | bigint | boolean;

/** KERNEL_VERSION(6, 18, 0): the running-kernel-like version tsbpf reports by default. */
export const DEFAULT_KERNEL_VERSION = (6 << 16) | (18 << 8);

/** What libbpf itself provides (x86-64, 6.18). */
export const LIBBPF_KCONFIG_DEFAULTS: Readonly<Record<string, KconfigValue>> = {
  LINUX_KERNEL_VERSION: DEFAULT_KERNEL_VERSION,
  LINUX_HAS_BPF_COOKIE: true,
  LINUX_HAS_SYSCALL_WRAPPER: true,
};

/**
 * Writes every kconfig extern of `spec` into `contents` (the `.kconfig` map's value).
 * @throws {BpfError} ESRCH for a non-weak extern without a value (libbpf: "value not found");
 * EINVAL for a value of the wrong kind.
 */
export function fillKconfig(spec: CollectionSpec, contents: Uint8Array, user: Readonly<Record<string, KconfigValue>>): void {
  const values = { ...LIBBPF_KCONFIG_DEFAULTS, ...user };
  const dv = new DataView(contents.buffer, contents.byteOffset, contents.byteLength);
  for (const ext of spec.externs.values()) {
    if (ext.kind !== 'kconfig' || ext.kconfig === undefined) continue;
    const slot = ext.kconfig;
    const v = values[ext.name];
    if (v === undefined) {
      if (ext.weak) continue;
      throw new BpfError(ESRCH, `extern (kcfg) '${ext.name}': value not found (pass it in load({ kconfig }))`);
    }
    const bad = (): never => { throw new BpfError(EINVAL, `extern (kcfg) '${ext.name}': value ${String(v)} does not fit a ${slot.type}`); };
    const tri = (x: KconfigValue): number | undefined => (x === 'y' || x === true ? 1 : x === 'n' || x === false ? 0 : x === 'm' ? 2 : undefined);
    switch (slot.type) {
      case 'bool': {
        const t = tri(v);
        if (t === undefined || t === 2) bad();
        dv.setUint8(slot.offset, t!);
        break;
      }
      case 'tristate': {
        const t = tri(v);
        if (t === undefined) bad();
        dv.setUint8(slot.offset, t!);
        break;
      }
      case 'char': {
        const c = typeof v === 'string' && v.length === 1 ? v.charCodeAt(0) : typeof v === 'boolean' ? (v ? 0x79 : 0x6e) : bad();
        dv.setUint8(slot.offset, c);
        break;
      }
      case 'int': {
        let n: bigint;
        if (typeof v === 'bigint') n = v;
        else if (typeof v === 'number' && Number.isInteger(v)) n = BigInt(v);
        else if (typeof v === 'boolean') n = v ? 1n : 0n;
        else if (typeof v === 'string' && /^-?(0x[0-9a-f]+|\d+)$/i.test(v)) n = v.startsWith('-') ? -BigInt(v.slice(1)) : BigInt(v);
        else return bad();
        const bits = BigInt(slot.size * 8);
        const min = slot.signed ? -(1n << (bits - 1n)) : 0n;
        const max = slot.signed ? (1n << (bits - 1n)) - 1n : (1n << bits) - 1n;
        if (n < min || n > max) bad();
        const u = BigInt.asUintN(slot.size * 8, n);
        for (let i = 0; i < slot.size; i++) dv.setUint8(slot.offset + i, Number((u >> BigInt(8 * i)) & 0xffn));
        break;
      }
      case 'char_array': {
        if (typeof v !== 'string') return bad();
        const n = Math.min(v.length, slot.size - 1);
        for (let i = 0; i < slot.size; i++) dv.setUint8(slot.offset + i, i < n ? v.charCodeAt(i) & 0xff : 0);
        break;
      }
    }
  }
}
