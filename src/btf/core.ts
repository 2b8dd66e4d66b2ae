/**
 * CO-RE relocations applied against the object's own BTF (local == target). This is what a
 * userspace runtime without a vmlinux can do: the program sees the layout it was compiled
 * against. Mirrors the value computation of libbpf's bpf_core_calc_relo() (relo_core.c) for that
 * case. Kinds that need kernel BTF (TYPE_ID_TARGET) are refused with a typed error.
 * Works in node / browser.
 */
import { BtfError } from '../util/errors.ts';
import type { Btf } from './btf.ts';
import type { CoreRelo } from './ext.ts';
import * as K from './ext.ts';
import { isComposite } from './types.ts';

const KIND_NAMES = [
  'byte_off', 'byte_sz', 'field_exists', 'signed', 'lshift_u64', 'rshift_u64', 'local_type_id',
  'target_type_id', 'type_exists', 'type_size', 'enumval_exists', 'enumval_value', 'type_matches',
] as const;

/** libbpf's name for a CO-RE relocation kind (`byte_off`, `type_size`, ...). */
export function coreReloKindName(kind: number): string {
  return KIND_NAMES[kind] ?? `unknown(${kind})`;
}

function parseAccess(relo: CoreRelo): number[] {
  if (!/^\d+(:\d+)*$/.test(relo.accessStr)) throw reloError(relo, `malformed access string '${relo.accessStr}'`);
  return relo.accessStr.split(':').map(Number);
}

function reloError(relo: CoreRelo, what: string): BtfError {
  return new BtfError(`CO-RE relo #insn ${relo.insnIdx} (${coreReloKindName(relo.kind)}, type [${relo.typeId}], '${relo.accessStr}'): ${what}`, { section: '.BTF.ext' });
}

/** Bit offset, bit size and the resolved field type reached by a field access string. */
function walkField(btf: Btf, relo: CoreRelo): { bitOff: number; bitSize: number; typeId: number; bitfield: boolean } {
  const acc = parseAccess(relo);
  let typeId = relo.typeId;
  // The first accessor indexes the root as an array (pointer arithmetic).
  let bitOff = acc[0]! * btf.sizeof(typeId) * 8;
  let bitSize = 0, bitfield = false;
  for (let i = 1; i < acc.length; i++) {
    const idx = acc[i]!;
    const t = btf.resolve(typeId);
    if (isComposite(t)) {
      const m = t.members[idx];
      if (m === undefined) throw reloError(relo, `member index ${idx} out of range for ${t.kind} '${t.name}'`);
      bitOff += m.bitOffset;
      typeId = m.type;
      bitfield = m.bitfieldSize !== 0;
      bitSize = m.bitfieldSize;
    } else if (t.kind === 'array') {
      if (t.nelems !== 0 && idx >= t.nelems) throw reloError(relo, `array index ${idx} out of range (${t.nelems})`);
      bitOff += idx * btf.sizeof(t.type) * 8;
      typeId = t.type;
      bitfield = false;
    } else {
      throw reloError(relo, `cannot index into ${t.kind}`);
    }
  }
  if (!bitfield) bitSize = btf.sizeof(typeId) * 8;
  return { bitOff, bitSize, typeId, bitfield };
}

/**
 * The value libbpf would patch into the instruction for `relo`, with the object's BTF as target.
 * @throws {BtfError} EINVAL for a malformed access string or TYPE_ID_TARGET (needs kernel BTF).
 * Works in node / browser.
 */
export function coreReloValue(btf: Btf, relo: CoreRelo): bigint {
  switch (relo.kind) {
    case K.BPF_CORE_FIELD_EXISTS: walkField(btf, relo); return 1n;
    case K.BPF_CORE_FIELD_BYTE_OFFSET: case K.BPF_CORE_FIELD_BYTE_SIZE: case K.BPF_CORE_FIELD_SIGNED:
    case K.BPF_CORE_FIELD_LSHIFT_U64: case K.BPF_CORE_FIELD_RSHIFT_U64: {
      const f = walkField(btf, relo);
      const ft = btf.resolve(f.typeId);
      let byteSize = btf.sizeof(f.typeId);
      let byteOff = Math.floor(f.bitOff / 8);
      if (f.bitfield) {
        // Smallest naturally aligned load of the member's size (or larger) covering the bitfield.
        byteOff = Math.floor(f.bitOff / 8 / byteSize) * byteSize;
        while (f.bitOff + f.bitSize - byteOff * 8 > byteSize * 8) {
          if (byteSize >= 8) throw reloError(relo, 'bitfield cannot be read with one load');
          byteSize *= 2;
          byteOff = Math.floor(f.bitOff / 8 / byteSize) * byteSize;
        }
      }
      switch (relo.kind) {
        case K.BPF_CORE_FIELD_BYTE_OFFSET: return BigInt(byteOff);
        case K.BPF_CORE_FIELD_BYTE_SIZE: return BigInt(byteSize);
        case K.BPF_CORE_FIELD_SIGNED:
          return (ft.kind === 'int' && ft.signed) || ((ft.kind === 'enum' || ft.kind === 'enum64') && ft.signed) ? 1n : 0n;
        case K.BPF_CORE_FIELD_LSHIFT_U64: return BigInt(64 - (f.bitOff + f.bitSize - byteOff * 8));
        default: return BigInt(64 - f.bitSize);
      }
    }
    case K.BPF_CORE_TYPE_ID_LOCAL: return BigInt(relo.typeId);
    case K.BPF_CORE_TYPE_EXISTS: case K.BPF_CORE_TYPE_MATCHES: btf.typeById(relo.typeId); return 1n;
    case K.BPF_CORE_TYPE_SIZE: return BigInt(btf.sizeof(relo.typeId));
    case K.BPF_CORE_ENUMVAL_EXISTS: case K.BPF_CORE_ENUMVAL_VALUE: {
      const t = btf.resolve(relo.typeId);
      if (t.kind !== 'enum' && t.kind !== 'enum64') throw reloError(relo, `type is ${t.kind}, not an enum`);
      const acc = parseAccess(relo);
      const v = t.values[acc[0]!];
      if (v === undefined || acc.length !== 1) throw reloError(relo, `enumerator index out of range (${t.values.length})`);
      return relo.kind === K.BPF_CORE_ENUMVAL_EXISTS ? 1n : BigInt.asUintN(64, v.value);
    }
    case K.BPF_CORE_TYPE_ID_TARGET:
      throw reloError(relo, 'needs the kernel\'s BTF (vmlinux), which a userspace runtime does not have');
    default:
      throw reloError(relo, 'unknown relocation kind');
  }
}
