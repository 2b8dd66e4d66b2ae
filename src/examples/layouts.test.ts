import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parseElf } from '../elf/index.ts';
import { parseBtf } from '../btf/index.ts';
import {
  BACKEND, CONNTRACK_STATS, COUNTERS, FIELD_BYTES, FLOW, FLOW_KEY, HEALTH, HEALTH_CONFIG_BYTES, SAMPLE, SAMPLER,
  conntrackStatIndex, encodeHealthConfig, type Fields, type StructLayout,
} from './layouts.ts';
import { ipv4 } from './frame.ts';

const EXAMPLES = new URL('../../examples/', import.meta.url);

function btfOf(object: string) {
  const elf = parseElf(new Uint8Array(readFileSync(new URL(object, EXAMPLES))));
  const sec = elf.sectionByName('.BTF');
  assert.ok(sec, `${object} has .BTF`);
  return parseBtf(elf.bytes.subarray(sec.offset, sec.offset + sec.size));
}

/** Checks a layout against the object's BTF: struct size, and each field's offset and size. */
function checkLayout(object: string, l: StructLayout<Fields>): void {
  const btf = btfOf(object);
  const t = btf.typeByName(l.name, 'struct');
  assert.ok(t, `struct ${l.name} in ${object}`);
  assert.equal(btf.sizeof(t.id), l.sizeBytes, `sizeof(struct ${l.name})`);
  const cName = (f: string): string => f.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
  for (const [field, [off, kind]] of Object.entries(l.fields)) {
    const loc = btf.findMember(t.id, cName(field));
    assert.ok(loc, `struct ${l.name} has ${cName(field)}`);
    assert.equal(loc.bitOffset / 8, off, `offsetof(${l.name}, ${cName(field)})`);
    assert.equal(btf.sizeof(loc.member.type), FIELD_BYTES[kind], `sizeof(${l.name}.${cName(field)})`);
  }
}

describe('example map layouts', () => {
  it('match the BTF of the committed objects', () => {
    checkLayout('conntrack.bpf.o', FLOW_KEY);
    checkLayout('conntrack.bpf.o', FLOW);
    checkLayout('healthcheck.bpf.o', BACKEND);
    checkLayout('healthcheck.bpf.o', HEALTH);
    checkLayout('sampler.bpf.o', COUNTERS);
    checkLayout('sampler.bpf.o', SAMPLER);
    checkLayout('sampler.bpf.o', SAMPLE);
    const btf = btfOf('healthcheck.bpf.o');
    assert.equal(btf.sizeof(btf.typeByName('health_config', 'struct')!.id), HEALTH_CONFIG_BYTES);
  });

  it('list the conntrack stats in the order of the C enum', () => {
    const src = readFileSync(new URL('conntrack.bpf.c', EXAMPLES), 'utf8');
    const names = [...src.matchAll(/^\s*STAT_([A-Z_]+)(?: = 0)?,/gm)].map((m) => m[1]!).filter((n) => n !== 'MAX');
    const camel = names.map((n) => n.toLowerCase().replace(/_([a-z])/g, (_, c: string) => c.toUpperCase()));
    assert.deepEqual(camel, [...CONNTRACK_STATS]);
    assert.equal(conntrackStatIndex('expired'), 3);
  });

  it('decode values and encode the healthcheck setup ctx', () => {
    const v = new Uint8Array(48);
    v.set([10, 0, 0, 7], 0);
    v[4] = 2;
    v[40] = 5;
    const b = BACKEND.decode(v);
    assert.equal(b.addr, ipv4('10.0.0.7'));
    assert.equal(b.state, 2);
    assert.equal(b.flips, 5n);
    assert.throws(() => BACKEND.decode(new Uint8Array(47)), /need 48/);
    const ctx = encodeHealthConfig([ipv4('10.0.1.1'), ipv4('10.0.1.2')]);
    assert.equal(ctx.length, HEALTH_CONFIG_BYTES);
    assert.deepEqual([...ctx.subarray(0, 12)], [2, 0, 0, 0, 10, 0, 1, 1, 10, 0, 1, 2]);
    assert.throws(() => encodeHealthConfig(new Array(9).fill(1)), RangeError);
  });
});
