import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readPcapFile } from './pcap-file.ts';
import { writePcap, PcapError } from '../examples/pcap.ts';
import { buildFrame, IPPROTO_UDP } from '../examples/frame.ts';

describe('readPcapFile', () => {
  it('reads a capture from disk and reports malformed ones', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tsbpf-pcap-'));
    try {
      const data = buildFrame({ src: 1, dst: 2, proto: IPPROTO_UDP, sport: 3, dport: 4 });
      const good = join(dir, 'good.pcap');
      writeFileSync(good, writePcap([{ timeNs: 1_500_000_000n, data, origLen: data.length }], { nanosecond: true }));
      const f = await readPcapFile(good);
      assert.equal(f.packets.length, 1);
      assert.equal(f.packets[0]!.timeNs, 1_500_000_000n);
      assert.deepEqual(f.packets[0]!.data, data);
      const bad = join(dir, 'bad.pcap');
      writeFileSync(bad, new Uint8Array(7));
      await assert.rejects(readPcapFile(bad), PcapError);
      await assert.rejects(readPcapFile(join(dir, 'missing.pcap')), /ENOENT/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
