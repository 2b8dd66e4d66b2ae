/**
 * Reads a classic pcap file from disk into the TimedPackets the examples consume. Node only.
 */
import { readFile } from 'node:fs/promises';
import { readPcap, type PcapFile } from '../examples/pcap.ts';

/**
 * Reads and parses `path`.
 * @throws {PcapError} EINVAL for a malformed capture; Node's fs errors (ENOENT ...) as they are.
 */
export async function readPcapFile(path: string): Promise<PcapFile> {
  const buf = await readFile(path);
  return readPcap(new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength));
}
