/**
 * The verifier's messages, in the kernel's words (kernel/bpf/verifier.c, v6.18): users grep for
 * them, and tests match them as the selftests' __msg() does. Every message the verifier prints is
 * built here.
 */

// check_cfg / program shape
export const jumpOutOfRange = (from: number, to: number): string => `jump out of range from insn ${from} to ${to}`;
export const unreachableInsn = (i: number): string => `unreachable insn ${i}`;
export const lastInsnNotExit = (): string => 'last insn is not an exit or jmp';
export const backEdge = (from: number, to: number): string => `back-edge from insn ${from} to ${to}`;
export const infiniteLoop = (i: number): string => `infinite loop detected at insn ${i}`;
export const funcOutOfRange = (off: number): string => `function offset ${off} is out of range`;
export const invalidLdImm64 = (): string => 'invalid bpf_ld_imm64 insn';
export const unrecognizedLdImm64 = (): string => 'unrecognized bpf_ld_imm64 insn';
export const addrSpaceCastSpaces = (): string => 'addr_space_cast insn can only convert between address space 1 and 0';
export const addrSpaceCastNoArena = (): string => 'addr_space_cast insn can only be used in a program that has an associated arena';
export const unknownOpcode = (code: number): string => `unknown opcode ${code.toString(16).padStart(2, '0')}`;
export const tooManySubprogs = (): string => 'too many subprograms';
export const recursiveCall = (from: number, to: number): string => `recursive call from insn ${from} to ${to}`;
export const callStackTooDeep = (depth: number): string => `the call stack of ${depth} frames is too deep`;
export const combinedStackTooLarge = (frames: number, size: number): string =>
  `combined stack size of ${frames} calls is ${size}. Too large`;
export const tooLarge = (n: number): string => `BPF program is too large. Processed ${n} insn`;
export const jmpSeqTooComplex = (n: number): string => `The sequence of ${n} jumps is too complex.`;
export const jmpSeqTooComplexAsync = (n: number): string => `The sequence of ${n} jumps is too complex for async cb.`;
export const fdIdxWithoutFdArray = (): string => 'fd_idx without fd_array is invalid';
export const fdNotMap = (imm: number): string => `fd ${imm} is not pointing to valid bpf_map`;
export const reservedFieldsOf = (what: string): string => `${what} uses reserved fields`;
export const invalidAluOpcode = (op: number): string => `invalid BPF_ALU opcode ${op.toString(16)}`;

// registers
export const regNotReadOk = (r: number): string => `R${r} !read_ok`;
export const frameReadOnly = (r: number): string => `frame pointer is read only`;
export const invalidRegNo = (r: number): string => `R${r} is invalid`;

// ALU
export const divByZero = (): string => 'div by zero';
export const invalidShift = (n: number): string => `invalid shift ${n}`;
export const ptrArith32 = (r: number): string => `R${r} 32-bit pointer arithmetic prohibited`;
export const ptrArithNullCheck = (r: number, t: string): string =>
  `R${r} pointer arithmetic on ${t} prohibited, null-check it first`;
export const ptrArithProhibited = (r: number, t: string): string => `R${r} pointer arithmetic on ${t} prohibited`;
export const ptrBitwise = (r: number, op: string): string => `R${r} bitwise operator ${op} on pointer prohibited`;
export const ptrArithOperator = (r: number, op: string): string => `R${r} pointer arithmetic with ${op} operator prohibited`;
export const subtractPtrFromScalar = (r: number): string => `R${r} tried to subtract pointer from scalar`;
export const subtractFromFp = (r: number): string => `R${r} subtraction from stack pointer prohibited`;
export const ptrOpPtr = (r: number, op: string): string => `R${r} pointer ${op} pointer prohibited`;
export const mathBetweenPtrAndConst = (t: string, v: bigint): string => `math between ${t} pointer and ${v} is not allowed`;
export const ptrOffsetNotAllowed = (t: string, off: number): string => `${t} pointer offset ${off} is not allowed`;
export const mathUnboundedMin = (t: string): string =>
  `math between ${t} pointer and register with unbounded min value is not allowed`;
export const valueMakesPtrOob = (v: bigint, t: string): string => `value ${v} makes ${t} pointer be out of bounds`;

// memory
export const invalidMemAccess = (r: number, t: string): string => `R${r} invalid mem access '${t}'`;
export const invalidMapValueAccess = (size: number, off: bigint, n: number): string =>
  `invalid access to map value, value_size=${size} off=${off} size=${n}`;
export const invalidMapKeyAccess = (size: number, off: bigint, n: number): string =>
  `invalid access to map key, key_size=${size} off=${off} size=${n}`;
export const invalidPacketAccess = (off: bigint, size: number, r: number, id: number, range: number): string =>
  `invalid access to packet, off=${off} size=${size}, R${r}(id=${id},off=${off},r=${range})`;
export const invalidMemoryAccess = (memSize: number, off: bigint, size: number): string =>
  `invalid access to memory, mem_size=${memSize} off=${off} size=${size}`;
export const minValueNegative = (r: number): string =>
  `R${r} min value is negative, either use unsigned index or do a if (index >=0) check.`;
export const minValueOutside = (r: number): string => `R${r} min value is outside of the allowed memory range`;
export const maxValueOutside = (r: number): string => `R${r} max value is outside of the allowed memory range`;
export const unboundedMemAccess = (r: number): string =>
  `R${r} unbounded memory access, make sure to bounds check any such access`;
export const offsetOutsidePacket = (r: number): string => `R${r} offset is outside of the packet`;
export const writeToMapKey = (r: number): string => `write to change key R${r} not allowed`;
export const writeIntoMapForbidden = (size: number, off: bigint, n: number): string =>
  `write into map forbidden, value_size=${size} off=${off} size=${n}`;
export const cannotWriteInto = (r: number, t: string): string => `R${r} cannot write into ${t}`;
export const cannotWritePacket = (): string => 'cannot write into packet';
export const modifiedCtxPtr = (r: number, off: number): string => `dereference of modified ctx ptr R${r} off=${off} disallowed`;
export const variableCtxAccess = (t: string, varOff: string): string => `variable ${t} access var_off=${varOff} disallowed`;
export const invalidCtxAccess = (off: number, size: number): string => `invalid bpf_context access off=${off} size=${size}`;
export const misalignedAccess = (what: string, varOff: string, regOff: number, off: number, size: number): string =>
  `misaligned ${what}access off ${varOff}+${regOff}+${off} size ${size}`;
export const invalidStackAccess = (extra: string, r: number, off: number, size: number): string =>
  `invalid${extra} stack R${r} off=${off} size=${size}`;
export const invalidVarStackAccess = (extra: string, r: number, varOff: string, off: number, size: number): string =>
  `invalid variable-offset${extra} stack R${r} var_off=${varOff} off=${off} size=${size}`;
export const unboundedVarStack = (extra: string, r: number): string => `invalid unbounded variable-offset${extra} stack R${r}`;
export const invalidSpillSize = (): string => 'invalid size of register spill';
export const invalidFillSize = (): string => 'invalid size of register fill';
export const spillFpIntoCaller = (): string => 'cannot spill pointers to stack into stack frame of the caller';
export const specialFieldAccess = (name: string): string => `${name} cannot be accessed directly by load/store`;
export const atomicInvalidOpcode = (imm: number): string => `BPF_ATOMIC uses invalid atomic opcode ${(imm >>> 0).toString(16).padStart(2, '0')}`;
export const atomicOperandSize = (): string => 'invalid atomic operand size';
export const invalidMayGoto = (imm: number): string => `invalid may_goto imm ${imm}`;
export const invalidJmpOpcode = (op: number): string => `invalid BPF_JMP/JMP32 opcode ${op.toString(16)}`;
export const atomicOnPointer = (r: number, what: string): string => `BPF_ATOMIC stores into R${r} ${what} is not allowed`;

// jumps
export const ptrComparisonProhibited = (r: number): string => `R${r} pointer comparison prohibited`;

// calls
export const invalidFunc = (name: string, id: number): string => `invalid func ${name}#${id}`;
export const helperNotAllowed = (name: string, id: number): string => `program of this type cannot use helper ${name}#${id}`;
export const gplOnly = (): string => 'cannot call GPL-restricted function from non-GPL compatible program';
export const regTypeExpected = (r: number, t: string, expected: readonly string[]): string =>
  `R${r} type=${t} expected=${expected.join(', ')}`;
export const helperPktAccess = (): string => 'helper access to the packet is not allowed';
export const invalidMapPtrKey = (): string => 'invalid map_ptr to access map->key';
export const invalidMapPtrValue = (): string => 'invalid map_ptr to access map->value';
export const sizeNegative = (r: number): string => `R${r} min value is negative, either use unsigned or 'var &= const'`;
export const zeroSizedRead = (r: number, umin: bigint, umax: bigint): string =>
  `R${r} invalid zero-sized read: u64=[${BigInt.asIntN(64, umin)},${BigInt.asIntN(64, umax)}]`;
export const unboundedSize = (r: number): string => `R${r} unbounded memory access, use 'var &= const' or 'if (var < const)'`;
export const notKnownConstant = (r: number): string => `R${r} is not a known constant'`;
export const invalidStackRead = (r: number, off: number, i: number, size: number): string =>
  `invalid read from stack R${r} off ${off}+${i} size ${size}`;
export const invalidIndirectStack = (r: number, off: number, size: number): string =>
  `invalid indirect access to stack R${r} off=${off} size=${size}`;
export const modifiedPtrArg = (t: string, r: number, off: number): string =>
  `dereference of modified ${t} ptr R${r} off=${off} disallowed`;
export const cannotPassMapType = (mapType: number, func: string, id: number): string =>
  `cannot pass map_type ${mapType} into func ${func}#${id}`;
export const unreleasedRef = (id: number, insn: number): string => `Unreleased reference id=${id} alloc_insn=${insn}`;
export const releaseExpected = (r: number): string => `R${r} must be referenced when passed to release function`;
export const releaseZeroOffset = (r: number): string =>
  `R${r} must have zero offset when passed to release func or trusted arg to kfunc`;
export const helperInLock = (): string => 'function calls are not allowed while holding a lock';
export const globalCallInLock = (): string => 'global function calls are not allowed while holding a lock,\nuse static function instead';
export const timerMapUidMismatch = (timerUid: number, mapUid: number): string =>
  `timer pointer in R1 map_uid=${timerUid} doesn't match map pointer in R2 map_uid=${mapUid}`;
export const writeIntoMapForbiddenHelper = (): string => 'write into map forbidden';
export const readFromMapForbidden = (size: number, off: bigint, n: number): string =>
  `read from map forbidden, value_size=${size} off=${off} size=${n}`;
export const expectedProgArray = (): string => 'expected prog array map for tail call';
export const btfTypeMismatch = (r: number, is: string, expected: string): string => `R${r} is of type ${is} but ${expected} is expected`;
export const notReadonlyMap = (r: number): string => `R${r} does not point to a readonly map'`;
export const missingFuncInfo = (): string => 'missing btf func_info';
export const callbackNotStatic = (): string => 'callback function not static';
export const callbackNotAllowedForMap = (): string => 'callback function not allowed for map';
export const returnStackPtr = (): string => 'cannot return stack pointer to the caller';
export const asyncRetNotKnown = (t: string): string => `At async callback return the register R0 is not a known value (${t})`;
export const negativeOffPtr = (t: string, r: number, off: number): string => `negative offset ${t} ptr R${r} off=${off} disallowed`;
export const ldAbsNotAllowed = (): string => 'BPF_LD_[ABS|IND] instructions not allowed for this program type';
export const ldAbsReserved = (): string => 'BPF_LD_[ABS|IND] uses reserved fields';
export const ldAbsR6NotCtx = (): string => 'at the time of BPF_LD_ABS|IND R6 != pointer to skb';
export const tracingSpinLock = (): string => 'tracing progs cannot use bpf_spin_lock yet';
export const tracingTimer = (): string => 'tracing progs cannot use bpf_timer yet';
export const socketSpinLock = (): string => 'socket filter progs cannot use bpf_spin_lock yet';
export const directValueUnsupported = (size: number, off: number): string =>
  `invalid access to map value pointer, value_size=${size} off=${off}`;
export const noDirectValueAccess = (): string => 'no direct value access support for this map type';
export const funcInfoCount = (): string => "number of funcs in func_info doesn't match number of subprogs";
export const funcInfoLayout = (): string => "func_info BTF section doesn't match subprog layout in BPF program";
export const tailCallStackTooLarge = (depth: number): string =>
  `tail_calls are not allowed when call stack of previous frames is ${depth} bytes. Too large`;
export const callStackTooDeepStatic = (frames: number): string => `the call stack of ${frames} frames is too deep !`;
export const usedInsideLock = (prefix: string): string => `${prefix} cannot be used inside bpf_spin_lock-ed region`;
export const wouldLeak = (prefix: string): string => `${prefix} would lead to reference leak`;
export const lockNoSpinLock = (name: string): string => `map '${name}' has no valid bpf_spin_lock`;
export const lockOffMismatch = (off: bigint, lockOff: number): string => `off ${off} doesn't point to 'struct bpf_spin_lock' that is at ${lockOff}`;
export const noBtfForLock = (name: string): string => `map '${name}' has to have BTF in order to use bpf_spin_lock`;
export const unlockOutOfOrder = (): string => 'bpf_spin_unlock cannot be out of order';
export const lockTwice = (): string => 'Locking two bpf_spin_locks are not allowed';
export const unlockWithoutLock = (): string => 'bpf_spin_unlock without taking a lock';
export const unlockMismatch = (): string => 'bpf_spin_unlock of different lock';
export const lockNeedsConstOff = (r: number): string => `R${r} doesn't have constant offset. bpf_spin_lock has to be at the constant offset`;
export const timerNeedsConstOff = (r: number): string => `R${r} doesn't have constant offset. bpf_timer has to be at the constant offset`;
export const mapHasNoTimer = (name: string): string => `map '${name}' has no valid bpf_timer`;
export const timerOffMismatch = (off: bigint, timerOff: number): string =>
  `off ${off} doesn't point to 'struct bpf_timer' that is at ${timerOff}`;
export const noBtfForTimer = (name: string): string => `map '${name}' has to have BTF in order to use bpf_timer`;
export const callbackRetRange = (ctx: string, reg: string, smin: bigint | undefined, smax: bigint | undefined, lo: bigint, hi: bigint): string =>
  `${ctx} the register ${reg} has${smin !== undefined ? ` smin=${smin}` : ''}${smax !== undefined ? ` smax=${smax}` : ''}${smin === undefined && smax === undefined ? ' unknown scalar value' : ''} should have been in [${lo}, ${hi}]`;
export const r0NotScalar = (): string => 'R0 not a scalar value';
export const retNotKnown = (ctx: string, t: string): string => `${ctx} the register R0 is not a known value (${t})`;
export const calleeNotFound = (): string => 'calling a function that is not a subprogram start';
export const tailCallInSubprogWithCallbacks = (): string => 'tail_call is not allowed in callbacks';
export const kfuncNotSupported = (): string => 'calling kernel function is not supported without CONFIG_DEBUG_INFO_BTF';
export const callToInvalidDest = (): string => 'call to invalid destination';
export const jumpIntoLdImm64 = (i: number): string => `jump into the middle of ldimm64 insn ${i}`;

// global functions (check_func_call(), btf_prepare_func_args(), btf_check_func_arg_match(), do_check_subprogs())
export const globalAssumedValid = (i: number, name: string): string => `Func#${i} ('${name}') is global and assumed valid.`;
export const callerPassesInvalidArgs = (i: number, name: string): string => `Caller passes invalid args into func#${i} ('${name}')`;
export const validatingFunc = (name: string, i: number): string => `Validating ${name}() func#${i}...`;
export const globalSafe = (i: number, name: string): string => `Func#${i} ('${name}') is safe for any args that match its prototype`;
export const subprogRetNotScalar = (t: string): string => `At subprogram exit the register R0 is not a scalar value (${t})`;
export const globalNeedsBtf = (): string => 'Global functions need valid BTF';
export const funcNotKindFunc = (i: number): string => `BTF of func#${i} doesn't point to KIND_FUNC`;
export const invalidFuncType = (name: string): string => `Invalid type of function ${name}()`;
export const globalTooManyArgs = (name: string, n: number, max: number): string => `Global function ${name}() with ${n} > ${max} args. Buggy compiler.`;
export const globalRetNotScalar = (name: string): string => `Global function ${name}() doesn't return scalar. Only those are supported.`;
export const argTagsUnsupported = (i: number): string => `arg#${i} has unsupported set of tags`;
export const argTagsInvalid = (i: number): string => `arg#${i} has invalid combination of tags`;
export const argTagNotPointer = (i: number): string => `arg#${i} has pointer tag, but is not a pointer type`;
export const argSizeUnknown = (i: number, kind: string, name: string, err: number): string =>
  `arg#${i} reference type('${kind} ${name}') size cannot be determined: ${err}`;
export const globalArgUnsupported = (i: number, kind: string, name: string): string => `Arg#${i} type ${kind} in ${name}() is not supported yet.`;
export const ctxStructNoName = (i: number): string => `arg#${i} struct doesn't have a name`;
export const ctxArgNoName = (i: number): string => `arg#${i} type doesn't have a name`;
export const ctxArgVoid = (i: number): string => `arg#${i} should be void pointer`;
export const ctxArgStruct = (i: number, name: string): string => `arg#${i} should be \`struct ${name} *\``;
export const argNotScalar = (r: number): string => `R${r} is not a scalar`;
export const argExpectsCtx = (i: number): string => `arg#${i} expects pointer to ctx`;
export const argExpectedNonNull = (i: number): string => `arg#${i} is expected to be non-NULL`;
/** Not the kernel's: argument kinds that need kernel BTF or maps tsbpf does not model. */
export const globalArgUnsupportedByTsbpf = (i: number, what: string): string => `arg#${i}: ${what} argument of a global function is not supported by tsbpf`;
