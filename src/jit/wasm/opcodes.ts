/**
 * WebAssembly opcodes used by the JIT: one table keyed by the text-format mnemonic, so the encoder
 * never carries a bare opcode byte and the names match the spec (WebAssembly Core 2.0, §5.4).
 * Multi-byte (0xFC-prefixed) opcodes are written as [prefix, sub-opcode]. Works in node / browser.
 */
export const OP = {
  'unreachable': 0x00, 'nop': 0x01, 'block': 0x02, 'loop': 0x03, 'if': 0x04, 'else': 0x05,
  'end': 0x0b, 'br': 0x0c, 'br_if': 0x0d, 'br_table': 0x0e, 'return': 0x0f, 'call': 0x10,
  'drop': 0x1a, 'select': 0x1b,
  'local.get': 0x20, 'local.set': 0x21, 'local.tee': 0x22, 'global.get': 0x23, 'global.set': 0x24,
  'i32.load': 0x28, 'i64.load': 0x29,
  'i32.load8_s': 0x2c, 'i32.load8_u': 0x2d, 'i32.load16_s': 0x2e, 'i32.load16_u': 0x2f,
  'i64.load8_s': 0x30, 'i64.load8_u': 0x31, 'i64.load16_s': 0x32, 'i64.load16_u': 0x33,
  'i64.load32_s': 0x34, 'i64.load32_u': 0x35,
  'i32.store': 0x36, 'i64.store': 0x37, 'i32.store8': 0x3a, 'i32.store16': 0x3b,
  'i64.store8': 0x3c, 'i64.store16': 0x3d, 'i64.store32': 0x3e,
  'i32.const': 0x41, 'i64.const': 0x42,
  'i32.eqz': 0x45, 'i32.eq': 0x46, 'i32.ne': 0x47, 'i32.lt_s': 0x48, 'i32.lt_u': 0x49,
  'i32.gt_s': 0x4a, 'i32.gt_u': 0x4b, 'i32.le_s': 0x4c, 'i32.le_u': 0x4d, 'i32.ge_s': 0x4e, 'i32.ge_u': 0x4f,
  'i64.eqz': 0x50, 'i64.eq': 0x51, 'i64.ne': 0x52, 'i64.lt_s': 0x53, 'i64.lt_u': 0x54,
  'i64.gt_s': 0x55, 'i64.gt_u': 0x56, 'i64.le_s': 0x57, 'i64.le_u': 0x58, 'i64.ge_s': 0x59, 'i64.ge_u': 0x5a,
  'i32.add': 0x6a, 'i32.sub': 0x6b, 'i32.mul': 0x6c, 'i32.div_s': 0x6d, 'i32.div_u': 0x6e,
  'i32.rem_s': 0x6f, 'i32.rem_u': 0x70, 'i32.and': 0x71, 'i32.or': 0x72, 'i32.xor': 0x73,
  'i32.shl': 0x74, 'i32.shr_s': 0x75, 'i32.shr_u': 0x76, 'i32.rotl': 0x77, 'i32.rotr': 0x78,
  'i64.add': 0x7c, 'i64.sub': 0x7d, 'i64.mul': 0x7e, 'i64.div_s': 0x7f, 'i64.div_u': 0x80,
  'i64.rem_s': 0x81, 'i64.rem_u': 0x82, 'i64.and': 0x83, 'i64.or': 0x84, 'i64.xor': 0x85,
  'i64.shl': 0x86, 'i64.shr_s': 0x87, 'i64.shr_u': 0x88, 'i64.rotl': 0x89, 'i64.rotr': 0x8a,
  'i32.wrap_i64': 0xa7, 'i64.extend_i32_s': 0xac, 'i64.extend_i32_u': 0xad,
  'i32.extend8_s': 0xc0, 'i32.extend16_s': 0xc1,
  'i64.extend8_s': 0xc2, 'i64.extend16_s': 0xc3, 'i64.extend32_s': 0xc4,
} as const;

/** A one-byte opcode mnemonic. */
export type Op = keyof typeof OP;

/** 0xFC-prefixed opcodes (bulk memory): [0xfc, sub-opcode as u32 LEB]. */
export const OP_FC = {
  'memory.copy': 10,
  'memory.fill': 11,
} as const;
export type OpFc = keyof typeof OP_FC;
export const FC_PREFIX = 0xfc;

/** Value types. */
export const I32 = 0x7f;
export const I64 = 0x7e;
export type ValType = typeof I32 | typeof I64;
/** The empty block type (a block that takes and leaves nothing). */
export const BLOCK_VOID = 0x40;
export const FUNC_TYPE = 0x60;

/** Section ids. */
export const SEC_TYPE = 1;
export const SEC_IMPORT = 2;
export const SEC_FUNCTION = 3;
export const SEC_GLOBAL = 6;
export const SEC_EXPORT = 7;
export const SEC_CODE = 10;

/** Import / export descriptor kinds. */
export const EXT_FUNC = 0x00;
export const EXT_MEMORY = 0x02;
export const EXT_GLOBAL = 0x03;

/**
 * Natural alignment (log2) of each memory access, used as the alignment hint of memargs: BPF
 * allows unaligned access, and a hint of 0 is always valid, so the JIT passes 0 to stay exact.
 */
export const ALIGN_NONE = 0;
