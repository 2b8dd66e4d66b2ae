/**
 * @module examples
 * Inputs and views for the example programs in examples/: a seeded synthetic packet stream
 * (traffic.ts, frames from frame.ts), a classic pcap reader and writer (pcap.ts), and the struct
 * layouts of the examples' maps (layouts.ts). Pure data code: imports util/ and uapi/ only, never
 * node:* (a Node file reader lives in node/pcap-file.ts).
 */
export * from './frame.ts';
export * from './traffic.ts';
export * from './pcap.ts';
export * from './layouts.ts';
