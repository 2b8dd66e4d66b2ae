import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as bpf from './bpf.ts';
import {
  ATTACH_TYPES, BPF_F_NO_USER_CONV, BPF_F_TIMER_ABS, BPF_F_TIMER_CPU_PIN, BPF_MAP_TYPE_ARENA,
  BPF_MAP_TYPE_CGROUP_STORAGE, BPF_MAP_TYPE_CGROUP_STORAGE_DEPRECATED, BPF_MAP_TYPE_LRU_HASH, BPF_PROG_RUN,
  BPF_PROG_STREAM_READ_BY_FD, BPF_PROG_TEST_RUN, BPF_PROG_TYPE_NETFILTER, BPF_PROG_TYPE_SYSCALL,
  BPF_TRACE_UPROBE_SESSION, BPF_XDP, CLOCK_BOOTTIME, CLOCK_TAI, COMMANDS, MAP_TYPES, PROG_TYPES,
  attachTypeName, commandName, isMapType, isProgType, mapTypeName, progTypeName,
} from './bpf.ts';

// Values checked against the running 6.18 kernel's BTF and include/uapi/linux/bpf.h.
test('spot checks against the 6.18 kernel', () => {
  assert.equal(BPF_MAP_TYPE_LRU_HASH, 9);
  assert.equal(BPF_MAP_TYPE_ARENA, 33);
  assert.equal(BPF_PROG_TYPE_SYSCALL, 31);
  assert.equal(BPF_PROG_TYPE_NETFILTER, 32);
  assert.equal(BPF_XDP, 37);
  assert.equal(BPF_TRACE_UPROBE_SESSION, 57);
  assert.equal(BPF_PROG_TEST_RUN, 10);
  assert.equal(BPF_PROG_RUN, BPF_PROG_TEST_RUN);
  assert.equal(BPF_PROG_STREAM_READ_BY_FD, 37);
  assert.equal(BPF_F_NO_USER_CONV, 0x40000);
  assert.equal(BPF_F_TIMER_ABS, 1);
  assert.equal(BPF_F_TIMER_CPU_PIN, 2);
  assert.equal(CLOCK_BOOTTIME, 7);
  assert.equal(CLOCK_TAI, 11);
  assert.equal(BPF_MAP_TYPE_CGROUP_STORAGE_DEPRECATED, BPF_MAP_TYPE_CGROUP_STORAGE);
});

test('name tables cover dense value ranges and are bijections', () => {
  const cases: [Readonly<Record<string, number>>, (n: number) => string | undefined, number][] = [
    [MAP_TYPES, mapTypeName, 34],
    [PROG_TYPES, progTypeName, 33],
    [ATTACH_TYPES, attachTypeName, 58],
    [COMMANDS, commandName, 38],
  ];
  for (const [table, nameOf, count] of cases) {
    const entries = Object.entries(table);
    assert.equal(entries.length, count);
    assert.equal(new Set(entries.map(([, v]) => v)).size, count);
    for (let v = 0; v < count; v++) {
      const name = nameOf(v);
      assert.ok(name !== undefined, `value ${v} has a name`);
      assert.equal(table[name], v);
      assert.equal((bpf as Record<string, unknown>)[name], v, `${name} is exported with the same value`);
    }
    assert.equal(nameOf(count), undefined);
    assert.equal(nameOf(-1), undefined);
  }
});

test('lookups prefer the current names over deprecated aliases', () => {
  assert.equal(mapTypeName(19), 'BPF_MAP_TYPE_CGROUP_STORAGE');
  assert.equal(mapTypeName(21), 'BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE');
  assert.equal(commandName(10), 'BPF_PROG_TEST_RUN');
  assert.equal(progTypeName(6), 'BPF_PROG_TYPE_XDP');
  assert.equal(attachTypeName(0), 'BPF_CGROUP_INET_INGRESS');
  assert.ok(isMapType(2));
  assert.ok(!isMapType(34));
  assert.ok(isProgType(31));
  assert.ok(!isProgType(33));
});
