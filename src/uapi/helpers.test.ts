import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as helpers from './helpers.ts';
import {
  BPF_FUNC_cgrp_storage_delete, BPF_FUNC_map_lookup_elem, BPF_FUNC_timer_cancel, BPF_FUNC_timer_init,
  BPF_FUNC_timer_set_callback, BPF_FUNC_timer_start, BPF_FUNC_unspec, HELPER_NAMES, __BPF_FUNC_MAX_ID,
  helperId, helperName,
} from './helpers.ts';

// Values read from the running 6.18 kernel's BTF (enum bpf_func_id) and bpf.h's __BPF_FUNC_MAPPER.
test('helper ids match the 6.18 kernel', () => {
  assert.equal(BPF_FUNC_unspec, 0);
  assert.equal(BPF_FUNC_map_lookup_elem, 1);
  assert.equal(BPF_FUNC_timer_init, 169);
  assert.equal(BPF_FUNC_timer_set_callback, 170);
  assert.equal(BPF_FUNC_timer_start, 171);
  assert.equal(BPF_FUNC_timer_cancel, 172);
  assert.equal(BPF_FUNC_cgrp_storage_delete, 211);
  assert.equal(__BPF_FUNC_MAX_ID, 212);
  assert.equal(HELPER_NAMES.length, 212);
  assert.equal(helperName(211), 'cgrp_storage_delete');
});

test('helperName strips bpf_ and rejects unknown ids', () => {
  assert.equal(helperName(1), 'map_lookup_elem');
  assert.equal(helperName(6), 'trace_printk');
  assert.equal(helperName(212), undefined);
  assert.equal(helperName(-1), undefined);
  assert.equal(helperName(1.5), undefined);
});

test('helperId accepts names with and without the bpf_ prefix', () => {
  assert.equal(helperId('map_lookup_elem'), 1);
  assert.equal(helperId('bpf_map_lookup_elem'), 1);
  assert.equal(helperId('bpf_timer_init'), 169);
  assert.equal(helperId('no_such_helper'), undefined);
  assert.equal(helperId('BPF_FUNC_map_lookup_elem'), undefined);
});

test('helper names and ids are a bijection, and agree with the BPF_FUNC_* exports', () => {
  const exported = Object.entries(helpers).filter(([k]) => k.startsWith('BPF_FUNC_'));
  assert.equal(exported.length, __BPF_FUNC_MAX_ID);
  assert.equal(new Set(HELPER_NAMES).size, HELPER_NAMES.length);
  for (let id = 0; id < __BPF_FUNC_MAX_ID; id++) {
    const name = helperName(id);
    assert.ok(name !== undefined, `id ${id} has a name`);
    assert.equal(helperId(name), id);
    assert.equal((helpers as Record<string, unknown>)[`BPF_FUNC_${name}`], id);
  }
});
